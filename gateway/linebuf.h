/*  =========================================================================
    linebuf.h - split a client's bytes into lines, edit them, with a hard cap

    Line ends: LF, CR LF, CR NUL (telnet's bare CR) and a bare CR all end
    a line; a CR followed by LF or NUL is one line end, also when the two
    come in different reads. Editing applies to the line being assembled,
    as a terminal in canonical mode would: BS (0x08) and DEL (0x7F) erase
    its last character (a whole UTF-8 character, 1 to 4 bytes; a stray
    byte alone), Ctrl+U (NAK, 0x15) erases all of it; telnet's EC and EL
    arrive as DEL and Ctrl+U (telnet.h). Ctrl+D (EOT, 0x04) is dropped: on
    a terminal it only flushes a line or ends input, it is never text.
    Every other control byte stays in the line, where text.c rejects it.

    Lines are handed out straight from the caller's read buffer; only
    bytes that must wait - the incomplete tail of a read, or, when the
    consumer says "again", the refused line and everything after it - are
    copied into a small buffer that is allocated on demand and freed as
    soon as it is empty. An idle connection thus holds no input memory.

    The cap holds at every moment: as soon as the line being assembled
    would pass max_line bytes it is reported once (LINEBUF_TOO_LONG) and
    its bytes are dropped up to and including its line end; erasing later
    does not bring it back.
    =========================================================================
*/
#ifndef LINEBUF_H_INCLUDED
#define LINEBUF_H_INCLUDED

#include "chat.h"

//  What the line callback is told, and what it returns
#define LINEBUF_LINE        0   //  status: a complete line
#define LINEBUF_TOO_LONG    1   //  status: a line over max_line was dropped
#define LINEBUF_CONTINUE    0   //  return: go on with the next line
#define LINEBUF_AGAIN       1   //  return: keep this line, stop; offer it on resume
#define LINEBUF_STOP        2   //  return: stop and discard all input

//  Editing bytes
#define LINEBUF_ERASE_BS    0x08    //  erase a character (Backspace)
#define LINEBUF_ERASE_DEL   0x7F    //  erase a character (DEL, telnet EC)
#define LINEBUF_ERASE_LINE  0x15    //  erase the line (Ctrl+U, telnet EL)
#define LINEBUF_EOT         0x04    //  Ctrl+D: dropped

//  Embedded in each client (16 bytes).
typedef struct {
    char *data;                 //  waiting bytes, NULL when none
    uint32_t size;              //  bytes waiting
    uint32_t capacity : 29;     //  bytes allocated
    uint32_t discarding : 1;    //  dropping an over-long line up to its end
    uint32_t after_cr : 1;      //  a CR ended the last line: LF or NUL next is its end
    uint32_t held : 1;          //  data starts with a line refused by AGAIN
} linebuf_t;

//  Receives a line (size bytes, no line end, writable in place, valid only
//  during the call) or, with LINEBUF_TOO_LONG, nothing (line NULL, size 0;
//  LINEBUF_AGAIN then counts as LINEBUF_CONTINUE).
typedef int (linebuf_line_fn) (void *arg, char *line, size_t size, int status);

//  Start empty.
void
    linebuf_init (linebuf_t *self);

//  Free waiting bytes; back to the initial state.
void
    linebuf_reset (linebuf_t *self);

//  Feed bytes just read. Calls fn for each complete line until it returns
//  non-zero. Returns LINEBUF_CONTINUE (all taken), LINEBUF_AGAIN (a line is
//  held: stop reading until linebuf_resume), LINEBUF_STOP (input dropped),
//  or -1 (out of memory; input dropped).
int
    linebuf_feed (linebuf_t *self, char *data, size_t size, size_t max_line,
                  linebuf_line_fn *fn, void *arg);

//  Offer the held line (and any complete lines after it) again. Same
//  returns as linebuf_feed; LINEBUF_CONTINUE when nothing is held.
int
    linebuf_resume (linebuf_t *self, size_t max_line, linebuf_line_fn *fn, void *arg);

//  True when a line is held (the reader must not read more).
bool
    linebuf_held (linebuf_t *self);

//  Bytes waiting (partial line, or held input).
size_t
    linebuf_size (linebuf_t *self);

#endif
