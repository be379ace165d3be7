/*  =========================================================================
    text.h - what a client line may contain, and what a client may be sent

    A complete line (without its line end) is checked before it reaches the
    session layer: a TAB becomes a space; any other control character
    rejects the line: C0 (0x00-0x1F, so also a stray NUL), DEL (0x7F), the
    C1 controls U+0080-U+009F (their UTF-8 forms C2 80..C2 9F are what a
    terminal takes as CSI, OSC, ...), the bidirectional embedding, override
    and isolate controls U+202A-U+202E and U+2066-U+2069 (they reorder the
    text around them), and the line and paragraph separators U+2028 and
    U+2029 (a chat line is one line). So does anything that is not
    well-formed UTF-8 (overlong forms, surrogates, code points above
    U+10FFFF, truncated sequences). Control characters are reported first
    when a line has both faults.

    Other invisible characters are allowed in text on purpose: the zero
    width joiner and non-joiner (U+200C, U+200D) are part of emoji and of
    Indic and Persian writing, the marks U+200E, U+200F and U+061C are
    needed for mixed-direction text and, unlike overrides, cannot reorder
    strong letters; U+200B, U+2060, U+FEFF and U+00AD only hide
    themselves. Names (names.h) allow none of them: they are ASCII.

    text_char is the one classifier: the input check and the output
    sanitiser (format.c) both use it.
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

//  What one character is.
typedef enum {
    TEXT_CHAR_PRINTABLE = 0,    //  may be shown as it is
    TEXT_CHAR_TAB,              //  a TAB (shown as a space)
    TEXT_CHAR_CONTROL,          //  C0, DEL, C1, bidi control, U+2028/U+2029
    TEXT_CHAR_INVALID           //  a byte that starts no well-formed sequence
} text_char_t;

//  Check line in place, replacing each TAB with a space.
text_status_t
    text_check (char *line, size_t size);

//  True when line is empty or only spaces (such lines are dropped).
bool
    text_is_blank (const char *line, size_t size);

//  Classify the character that starts at bytes (size > 0 bytes there) and
//  set *length_p to its length in bytes (1 for an invalid byte).
text_char_t
    text_char (const uint8_t *bytes, size_t size, size_t *length_p);

//  Text from anywhere, made fit to show: size bytes of text go to sink as
//  pieces, in order, with each TAB as a space and every other control
//  character and invalid byte as U+FFFD (TEXT_REPLACEMENT). The output
//  renderers (format.c, json.c) both write text through this.
#define TEXT_REPLACEMENT    "\xef\xbf\xbd"
typedef void (text_sink_fn) (void *arg, const char *piece, size_t size);
void
    text_sanitize (const char *text, size_t size, text_sink_fn *sink, void *arg);

#endif
