/*  =========================================================================
    linebuf.h - split a client's bytes into lines, with a hard cap

    Lines end with LF or CRLF (the CR is removed; any other CR stays in the
    line, where text.c rejects it). Lines are handed out straight from the
    caller's read buffer; only bytes that must wait - the incomplete tail of
    a read, or, when the consumer says "again", the refused line and
    everything after it - are copied into a small buffer that is allocated
    on demand and freed as soon as it is empty. An idle connection thus
    holds no input memory.

    A line longer than max_line bytes is reported once (LINEBUF_TOO_LONG)
    and its bytes are dropped up to and including the next LF.
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

//  Embedded in each client (16 bytes).
typedef struct {
    char *data;                 //  waiting bytes, NULL when none
    uint32_t size;              //  bytes waiting
    uint32_t capacity : 30;     //  bytes allocated
    uint32_t discarding : 1;    //  dropping an over-long line up to its LF
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

//  The waiting bytes (linebuf_size of them), borrowed until the next
//  call; NULL when none.
const char *
    linebuf_data (linebuf_t *self);

//  Drop the incomplete line at the end of the waiting bytes, if any (its
//  rest is being dropped by the caller); complete lines stay.
void
    linebuf_drop_partial (linebuf_t *self);

#endif
