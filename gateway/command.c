/*  =========================================================================
    command.c - turn one client line into a command

    The client layer already removed the line end, turned TABs into spaces
    and rejected control characters, so a space is the only separator.
    A verb's arguments are words; a free-text argument is the rest of the
    line after the words, kept byte for byte.
    =========================================================================
*/
#include "command.h"

#define COMMAND_PREFIX      '/'
#define COMMAND_SEPARATOR   ' '

typedef struct {
    const char *verb;       //  lower case, '/' included
    command_type_t type;
    const char *usage;      //  NULL when the verb takes no argument
    bool wants_name;        //  first word is a name
    bool wants_text;        //  rest of the line is text
} command_verb_t;

static const command_verb_t s_verbs [] = {
    { "/join",  COMMAND_JOIN,  "/join <room>",       true,  false },
    { "/nick",  COMMAND_NICK,  "/nick <name>",       true,  false },
    { "/rooms", COMMAND_ROOMS, NULL,                 false, false },
    { "/who",   COMMAND_WHO,   NULL,                 false, false },
    { "/msg",   COMMAND_MSG,   "/msg <nick> <text>", true,  true  },
    { "/me",    COMMAND_ME,    "/me <action>",       false, true  },
    { "/help",  COMMAND_HELP,  NULL,                 false, false },
    { "/quit",  COMMAND_QUIT,  NULL,                 false, false },
};
#define COMMAND_VERB_COUNT (sizeof (s_verbs) / sizeof (s_verbs [0]))

//  Skip separators from position; returns the new position.
static size_t
s_skip_spaces (const char *line, size_t size, size_t position)
{
    while (position < size && line [position] == COMMAND_SEPARATOR)
        position++;
    return position;
}

//  End of the word starting at position.
static size_t
s_word_end (const char *line, size_t size, size_t position)
{
    while (position < size && line [position] != COMMAND_SEPARATOR)
        position++;
    return position;
}

static const command_verb_t *
s_lookup (const char *verb, size_t size)
{
    for (size_t index = 0; index < COMMAND_VERB_COUNT; index++)
        if (strlen (s_verbs [index].verb) == size
        &&  strncasecmp (s_verbs [index].verb, verb, size) == 0)
            return &s_verbs [index];
    return NULL;
}

void
command_parse (const char *line, size_t size, command_t *command)
{
    assert (line || size == 0);
    assert (command);
    memset (command, 0, sizeof (command_t));

    //  A chat line, or "//text" which says "/text"
    if (size == 0 || line [0] != COMMAND_PREFIX
    ||  (size > 1 && line [1] == COMMAND_PREFIX)) {
        size_t skip = size > 0 && line [0] == COMMAND_PREFIX? 1: 0;
        command->type = COMMAND_SAY;
        command->text = line + skip;
        command->text_size = size - skip;
        return;
    }
    size_t verb_end = s_word_end (line, size, 0);
    const command_verb_t *verb = s_lookup (line, verb_end);
    if (!verb) {
        command->type = COMMAND_UNKNOWN;
        command->name = line;
        command->name_size = verb_end;
        return;
    }
    command->type = verb->type;
    size_t position = s_skip_spaces (line, size, verb_end);
    if (verb->wants_name) {
        size_t name_end = s_word_end (line, size, position);
        command->name = line + position;
        command->name_size = name_end - position;
        position = s_skip_spaces (line, size, name_end);
    }
    if (verb->wants_text) {
        command->text = line + position;
        command->text_size = size - position;
    }
    if ((verb->wants_name && command->name_size == 0)
    ||  (verb->wants_text && command->text_size == 0)) {
        command->type = COMMAND_USAGE;
        command->usage = verb->usage;
    }
}
