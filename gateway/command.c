/*  =========================================================================
    command.c - turn one client line into a command

    The client layer already removed the line end, turned TABs into spaces
    and rejected control characters, so a space is the only separator.
    A verb's arguments are words; a free-text argument is the rest of the
    line after the words, kept byte for byte. Each verb says which words
    it takes, and a line with fewer or more is a usage error: "/nick a b"
    must not quietly become "/nick a".
    =========================================================================
*/
#include "command.h"

#define COMMAND_PREFIX      '/'
#define COMMAND_SEPARATOR   ' '

//  What may follow a verb.
typedef enum {
    COMMAND_ARGS_NONE,              //  nothing
    COMMAND_ARGS_WORD,              //  exactly one word (name)
    COMMAND_ARGS_OPTIONAL_WORD,     //  one word (name) or nothing
    COMMAND_ARGS_WORD_TEXT,         //  one word (name), then text
    COMMAND_ARGS_TEXT               //  text
} command_args_t;

typedef struct {
    command_type_t type;
    command_args_t args;
    command_help_t help;    //  verb, usage and the /help texts
} command_verb_t;

static const command_verb_t s_verbs [] = {
    { COMMAND_JOIN, COMMAND_ARGS_WORD, {
        "/join", "/join <room>", "leave your room and enter another",
        "leave your room and enter <room>; a room is made by its first member and "
        "goes with its last. Names are 1-32 letters, digits, _ or - (a leading # is "
        "optional; case does not matter)",
        "/join rust" } },
    { COMMAND_NICK, COMMAND_ARGS_WORD, {
        "/nick", "/nick <name>", "change your nickname",
        "change your nickname, unique on every gateway (case does not matter): 1-32 "
        "letters, digits, _ or -, starting with a letter or _. Names starting with "
        "guest- are only given out by the server",
        "/nick alice" } },
    { COMMAND_ROOMS, COMMAND_ARGS_OPTIONAL_WORD, {
        "/rooms", "/rooms [word]", "list the rooms, biggest first",
        "list the rooms and how many are in each, biggest first; a long list shows "
        "the biggest and how many more there are. With a word, only the rooms whose "
        "name contains it",
        "/rooms rust" } },
    { COMMAND_WHO, COMMAND_ARGS_NONE, {
        "/who", "/who", "list who is in your room",
        "list the members of your room, on every gateway, by name; a long list shows "
        "the first and how many more there are",
        "/who" } },
    { COMMAND_HISTORY, COMMAND_ARGS_OPTIONAL_WORD, {
        "/history", "/history [n|more]", "show your room's earlier lines",
        "show the last lines said in your room (20, or as many as you ask, up to the "
        "server's cap), each with its UTC time; /history more shows the page before "
        "the last one you saw",
        "/history 50" } },
    { COMMAND_MSG, COMMAND_ARGS_WORD_TEXT, {
        "/msg", "/msg <nick> <text>", "send a private line",
        "send <text> to <nick> alone, on any gateway; you see [pm to nick] when it "
        "is delivered",
        "/msg bob see you at five" } },
    { COMMAND_ME, COMMAND_ARGS_TEXT, {
        "/me", "/me <action>", "act in your room",
        "send an action to your room; the others see [room] * yourname <action>",
        "/me waves" } },
    { COMMAND_HELP, COMMAND_ARGS_OPTIONAL_WORD, {
        "/help", "/help [command]", "this list, or how to use one command",
        "without a word, list the commands; with one (join or /join), explain it",
        "/help join" } },
    { COMMAND_QUIT, COMMAND_ARGS_NONE, {
        "/quit", "/quit", "leave zchat",
        "say goodbye and close the connection; your room sees you leave",
        "/quit" } },
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
        if (strlen (s_verbs [index].help.verb) == size
        &&  strncasecmp (s_verbs [index].help.verb, verb, size) == 0)
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
    command_args_t args = verb->args;
    size_t position = s_skip_spaces (line, size, verb_end);
    if (args == COMMAND_ARGS_WORD || args == COMMAND_ARGS_OPTIONAL_WORD
    ||  args == COMMAND_ARGS_WORD_TEXT) {
        size_t name_end = s_word_end (line, size, position);
        command->name = line + position;
        command->name_size = name_end - position;
        position = s_skip_spaces (line, size, name_end);
    }
    bool wants_text = args == COMMAND_ARGS_WORD_TEXT || args == COMMAND_ARGS_TEXT;
    if (wants_text) {
        command->text = line + position;
        command->text_size = size - position;
    }
    bool missing = command->name_size == 0
                && (args == COMMAND_ARGS_WORD || args == COMMAND_ARGS_WORD_TEXT);
    bool extra = !wants_text && position < size;
    if (missing || extra || (wants_text && command->text_size == 0)) {
        command->type = COMMAND_USAGE;
        command->usage = verb->help.usage;
    }
}

const command_help_t *
command_help_at (size_t index)
{
    return index < COMMAND_VERB_COUNT? &s_verbs [index].help: NULL;
}

const command_help_t *
command_help_find (const char *topic, size_t size)
{
    assert (topic || size == 0);
    if (size == 0)
        return NULL;
    if (topic [0] == COMMAND_PREFIX) {
        topic++;
        size--;
    }
    for (size_t index = 0; index < COMMAND_VERB_COUNT; index++) {
        const char *name = s_verbs [index].help.verb + 1;   //  without the '/'
        if (size && strlen (name) == size && strncasecmp (name, topic, size) == 0)
            return &s_verbs [index].help;
    }
    return NULL;
}
