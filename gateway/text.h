/*  =========================================================================
    text.h - what a client line may contain

    A complete line (without its line end) is checked before it reaches the
    session layer: a TAB becomes a space; any other control character
    (0x00-0x1F, 0x7F, so also a stray CR or NUL) rejects the line; so does
    anything that is not well-formed UTF-8 (overlong forms, surrogates,
    code points above U+10FFFF, truncated sequences). Control characters
    are reported first when a line has both faults.
    =========================================================================
*/
#ifndef TEXT_H_INCLUDED
#define TEXT_H_INCLUDED

#include "chat.h"

typedef enum {
    TEXT_OK = 0,                //  valid (TABs replaced)
    TEXT_CONTROL,               //  has a control character
    TEXT_INVALID_UTF8           //  not well-formed UTF-8
} text_status_t;

//  Check line in place, replacing each TAB with a space.
text_status_t
    text_check (char *line, size_t size);

//  True when line is empty or only spaces (such lines are dropped).
bool
    text_is_blank (const char *line, size_t size);

#endif
