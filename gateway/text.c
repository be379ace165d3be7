/*  =========================================================================
    text.c - what a client line may contain

    Two passes: a tight ASCII pass that turns TABs into spaces, finds
    control characters and notes whether any byte is above 0x7F; then, only
    for lines that have such bytes, a UTF-8 validator after RFC 3629's
    table of well-formed byte sequences (Unicode 3.9, table 3-7).
    =========================================================================
*/
#include "text.h"

#define TEXT_TAB        0x09
#define TEXT_SPACE      0x20
#define TEXT_DELETE     0x7F
#define TEXT_ASCII_MAX  0x7F
#define TEXT_CONT_LOW   0x80        //  continuation bytes are 10xxxxxx
#define TEXT_CONT_HIGH  0xBF

//  Returns the length of the well-formed sequence at bytes, or 0.
static size_t
s_utf8_sequence (const uint8_t *bytes, size_t size)
{
    uint8_t lead = bytes [0];
    size_t length;
    uint8_t low = TEXT_CONT_LOW, high = TEXT_CONT_HIGH; //  second byte's range
    if (lead >= 0xC2 && lead <= 0xDF)
        length = 2;
    else
    if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0)
            low = 0xA0;                 //  no overlong 3-byte forms
        else
        if (lead == 0xED)
            high = 0x9F;                //  no surrogates
    }
    else
    if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0)
            low = 0x90;                 //  no overlong 4-byte forms
        else
        if (lead == 0xF4)
            high = 0x8F;                //  nothing above U+10FFFF
    }
    else
        return 0;                       //  continuation, C0/C1, F5..FF
    if (size < length)
        return 0;                       //  truncated
    if (bytes [1] < low || bytes [1] > high)
        return 0;
    for (size_t index = 2; index < length; index++)
        if (bytes [index] < TEXT_CONT_LOW || bytes [index] > TEXT_CONT_HIGH)
            return 0;
    return length;
}

text_status_t
text_check (char *line, size_t size)
{
    assert (line || size == 0);
    uint8_t *bytes = (uint8_t *) line;
    bool high = false;
    for (size_t index = 0; index < size; index++) {
        uint8_t byte = bytes [index];
        if (byte < TEXT_SPACE) {
            if (byte != TEXT_TAB)
                return TEXT_CONTROL;
            bytes [index] = TEXT_SPACE;
        }
        else
        if (byte == TEXT_DELETE)
            return TEXT_CONTROL;
        else
        if (byte > TEXT_ASCII_MAX)
            high = true;
    }
    if (!high)
        return TEXT_OK;

    size_t index = 0;
    while (index < size) {
        if (bytes [index] <= TEXT_ASCII_MAX) {
            index++;
            continue;
        }
        size_t length = s_utf8_sequence (bytes + index, size - index);
        if (length == 0)
            return TEXT_INVALID_UTF8;
        index += length;
    }
    return TEXT_OK;
}

bool
text_is_blank (const char *line, size_t size)
{
    for (size_t index = 0; index < size; index++)
        if (line [index] != TEXT_SPACE)
            return false;
    return true;
}
