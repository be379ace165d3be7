/*  =========================================================================
    command.h - turn one client line into a command

    Pure parsing, no side effects: the session acts on the result. A line
    that does not start with '/' is a chat line; "//text" is the chat line
    "/text"; verbs are case-insensitive. Arguments are slices of the line
    (pointer + size, not NUL-terminated), valid as long as the line is.
    A verb takes exactly the words its usage names: a missing or an extra
    argument makes the line COMMAND_USAGE. The same table gives /help its
    text (command_help_at), so help and parsing cannot disagree.
    =========================================================================
*/
#ifndef COMMAND_H_INCLUDED
#define COMMAND_H_INCLUDED

#include "chat.h"

typedef enum {
    COMMAND_SAY,            //  text = the chat line
    COMMAND_JOIN,           //  name = room
    COMMAND_NICK,           //  name = nickname
    COMMAND_ROOMS,          //  name = filter word, or empty
    COMMAND_WHO,
    COMMAND_HISTORY,        //  name = line count, "more", or empty
    COMMAND_MSG,            //  name = nickname, text = the private line
    COMMAND_ME,             //  text = the action
    COMMAND_HELP,           //  name = topic (a verb, '/' optional), or empty
    COMMAND_QUIT,
    COMMAND_USAGE,          //  a known verb without its arguments; usage says how
    COMMAND_UNKNOWN         //  name = the verb as typed, '/' included
} command_type_t;

typedef struct {
    command_type_t type;
    const char *name;       //  first argument (room, nickname) or unknown verb
    size_t name_size;
    const char *text;       //  free text argument
    size_t text_size;
    const char *usage;      //  for COMMAND_USAGE: "/join <room>", ...
} command_t;

//  One verb as /help describes it.
typedef struct {
    const char *verb;       //  lower case, '/' included: "/join"
    const char *usage;      //  "/join <room>"
    const char *summary;    //  one line for the /help list
    const char *detail;     //  one line for /help join
    const char *example;    //  a line to type
} command_help_t;

//  Parse line (size bytes, no line end) into command. Never fails: every
//  line is some command, possibly COMMAND_UNKNOWN or COMMAND_USAGE.
void
    command_parse (const char *line, size_t size, command_t *command);

//  The help of the index-th verb, in /help order; NULL past the last.
const command_help_t *
    command_help_at (size_t index);

//  The help of the verb named by topic (size bytes, not NUL-terminated;
//  "join" or "/join", any case), or NULL if there is no such verb.
const command_help_t *
    command_help_find (const char *topic, size_t size);

#endif
