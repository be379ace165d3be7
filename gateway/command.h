/*  =========================================================================
    command.h - turn one client line into a command

    Pure parsing, no side effects: the session acts on the result. A line
    that does not start with '/' is a chat line; "//text" is the chat line
    "/text"; verbs are case-insensitive. Arguments are slices of the line
    (pointer + size, not NUL-terminated), valid as long as the line is.
    =========================================================================
*/
#ifndef COMMAND_H_INCLUDED
#define COMMAND_H_INCLUDED

#include "chat.h"

typedef enum {
    COMMAND_SAY,            //  text = the chat line
    COMMAND_JOIN,           //  name = room
    COMMAND_NICK,           //  name = nickname
    COMMAND_ROOMS,
    COMMAND_WHO,
    COMMAND_MSG,            //  name = nickname, text = the private line
    COMMAND_ME,             //  text = the action
    COMMAND_HELP,
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

//  Parse line (size bytes, no line end) into command. Never fails: every
//  line is some command, possibly COMMAND_UNKNOWN or COMMAND_USAGE.
void
    command_parse (const char *line, size_t size, command_t *command);

#endif
