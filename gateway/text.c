/*  =========================================================================
    text.c - what a client line may contain, and what a client may be sent

    Two passes: a tight ASCII pass that turns TABs into spaces, finds
    control characters and notes whether any byte is above 0x7F; then, only
    for lines that have such bytes, text_char over each character: a UTF-8
    validator after RFC 3629's table of well-formed byte sequences (Unicode
    3.9, table 3-7), then the code points that are controls in disguise.
    =========================================================================
*/
#include "text.h"

#define TEXT_TAB        0x09
#define TEXT_SPACE      0x20
#define TEXT_DELETE     0x7F
#define TEXT_ASCII_MAX  0x7F
#define TEXT_CONT_LOW   0x80        //  continuation bytes are 10xxxxxx
#define TEXT_CONT_HIGH  0xBF
#define TEXT_LEAD_C1    0xC2        //  U+0080..U+00BF: C2 80..C2 BF
#define TEXT_C1_LAST    0x9F        //  ... of which C2 80..C2 9F are C1
#define TEXT_LEAD_U20   0xE2        //  U+2000..U+2FFF
#define TEXT_U2000      0x80        //  second byte of U+2000..U+203F
#define TEXT_U2040      0x81        //  second byte of U+2040..U+207F
#define TEXT_U2028      0xA8        //  line separator (after E2 80)
#define TEXT_U202E      0xAE        //  last embedding/override (after E2 80)
#define TEXT_U2066      0xA6        //  first isolate (after E2 81)
#define TEXT_U2069      0xA9        //  last isolate (after E2 81)

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

//  True for a well-formed sequence (3 bytes or 2) that is a control in
//  disguise: C1, U+2028..U+202E (separators, embeddings, overrides) or
//  U+2066..U+2069 (isolates).
static bool
s_is_disguised_control (const uint8_t *bytes, size_t length)
{
    if (length == 2)
        return bytes [0] == TEXT_LEAD_C1 && bytes [1] <= TEXT_C1_LAST;
    if (length != 3 || bytes [0] != TEXT_LEAD_U20)
        return false;
    if (bytes [1] == TEXT_U2000)
        return bytes [2] >= TEXT_U2028 && bytes [2] <= TEXT_U202E;
    if (bytes [1] == TEXT_U2040)
        return bytes [2] >= TEXT_U2066 && bytes [2] <= TEXT_U2069;
    return false;
}

text_char_t
text_char (const uint8_t *bytes, size_t size, size_t *length_p)
{
    assert (bytes && size > 0);
    assert (length_p);
    uint8_t byte = bytes [0];
    *length_p = 1;
    if (byte == TEXT_TAB)
        return TEXT_CHAR_TAB;
    if (byte < TEXT_SPACE || byte == TEXT_DELETE)
        return TEXT_CHAR_CONTROL;
    if (byte <= TEXT_ASCII_MAX)
        return TEXT_CHAR_PRINTABLE;
    size_t length = s_utf8_sequence (bytes, size);
    if (length == 0)
        return TEXT_CHAR_INVALID;
    *length_p = length;
    return s_is_disguised_control (bytes, length)? TEXT_CHAR_CONTROL: TEXT_CHAR_PRINTABLE;
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

    //  Not at the first invalid byte: a control later on still wins
    bool invalid = false;
    size_t index = 0;
    while (index < size) {
        size_t length;
        text_char_t kind = text_char (bytes + index, size - index, &length);
        if (kind == TEXT_CHAR_CONTROL)
            return TEXT_CONTROL;
        if (kind == TEXT_CHAR_INVALID)
            invalid = true;
        index += length;
    }
    return invalid? TEXT_INVALID_UTF8: TEXT_OK;
}

bool
text_is_blank (const char *line, size_t size)
{
    for (size_t index = 0; index < size; index++)
        if (line [index] != TEXT_SPACE)
            return false;
    return true;
}

void
text_sanitize (const char *text, size_t size, text_sink_fn *sink, void *arg)
{
    assert (text || size == 0);
    assert (sink);
    const uint8_t *bytes = (const uint8_t *) text;
    size_t start = 0;
    size_t index = 0;
    //  Runs of printable ASCII and of allowed UTF-8 go out as they are
    while (index < size) {
        if (bytes [index] >= TEXT_SPACE && bytes [index] < TEXT_DELETE) {
            index++;
            continue;
        }
        size_t length;
        text_char_t kind = text_char (bytes + index, size - index, &length);
        if (kind != TEXT_CHAR_PRINTABLE) {
            if (index > start)
                sink (arg, text + start, index - start);
            if (kind == TEXT_CHAR_TAB)
                sink (arg, " ", 1);
            else
                sink (arg, TEXT_REPLACEMENT, strlen (TEXT_REPLACEMENT));
            start = index + length;
        }
        index += length;
    }
    if (size > start)
        sink (arg, text + start, size - start);
}
