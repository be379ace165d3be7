/*  =========================================================================
    fuzz_command.c - the client command parser

    Every line a client sends goes through command_parse. The input is one
    line; the target checks that the parse is total and safe: the type is
    one the session knows, and every argument slice lies inside the line
    (the session copies them out by pointer and size, so a slice past the
    end would read another client's bytes).
    =========================================================================
*/
#include "fuzz.h"
#include "command.h"

//  True if [slice, slice + size) lies inside [line, line + line_size).
static bool
s_inside (const char *line, size_t line_size, const char *slice, size_t size)
{
    if (size == 0)
        return true;            //  an empty slice may point anywhere
    return slice >= line && slice + size <= line + line_size;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    //  A copy of exactly size bytes, so ASan sees any read past the line
    char *line = (char *) malloc (size? size: 1);
    assert (line);
    memcpy (line, data, size);
    command_t command;
    command_parse (line, size, &command);
    FUZZ_CHECK (command.type >= COMMAND_SAY && command.type <= COMMAND_UNKNOWN);
    FUZZ_CHECK (s_inside (line, size, command.name, command.name_size));
    FUZZ_CHECK (s_inside (line, size, command.text, command.text_size));
    if (command.type == COMMAND_USAGE)
        FUZZ_CHECK (command.usage && command.usage [0] == '/');
    if (size > 0 && line [0] != '/')
        FUZZ_CHECK (command.type == COMMAND_SAY);
    free (line);
    return 0;
}
