/*  =========================================================================
    linebuf.c - split a client's bytes into lines, with a hard cap

    Like redis' processInlineBuffer: a cursor moves over the bytes, each LF
    ends a line, and only what cannot be handed out now is copied. The
    waiting buffer holds at most max_line + 1 bytes of a partial line (the
    line and its CR), or a held line plus the rest of the read it came in.
    =========================================================================
*/
#include "linebuf.h"

#define LINEBUF_MIN_CAPACITY    64      //  smallest waiting buffer
#define LINEBUF_LINE_END        2       //  CR LF

void
linebuf_init (linebuf_t *self)
{
    assert (self);
    memset (self, 0, sizeof (linebuf_t));
}

void
linebuf_reset (linebuf_t *self)
{
    assert (self);
    free (self->data);
    linebuf_init (self);
}

bool
linebuf_held (linebuf_t *self)
{
    assert (self);
    return self->held;
}

size_t
linebuf_size (linebuf_t *self)
{
    assert (self);
    return self->size;
}

const char *
linebuf_data (linebuf_t *self)
{
    assert (self);
    return self->data;
}

void
linebuf_drop_partial (linebuf_t *self)
{
    assert (self);
    size_t keep = self->size;
    while (keep > 0 && self->data [keep - 1] != '\n')
        keep--;
    if (keep == 0) {
        linebuf_reset (self);       //  a held line ends with its LF: none was held
        return;
    }
    self->size = (uint32_t) keep;
    self->discarding = false;
}

//  Append bytes to the waiting buffer, growing it geometrically.
static int
s_append (linebuf_t *self, const char *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t needed = (size_t) self->size + size;
    if (needed > self->capacity) {
        size_t capacity = self->capacity? self->capacity: LINEBUF_MIN_CAPACITY;
        while (capacity < needed)
            capacity *= 2;
        char *buffer = (char *) realloc (self->data, capacity);
        if (!buffer)
            return -1;
        self->data = buffer;
        self->capacity = capacity;
    }
    memcpy (self->data + self->size, data, size);
    self->size += size;
    return 0;
}

//  Keep only bytes [offset, size) of the waiting buffer; free it if empty.
static void
s_consume (linebuf_t *self, size_t offset)
{
    assert (offset <= self->size);
    if (offset == self->size) {
        free (self->data);
        self->data = NULL;
        self->size = 0;
        self->capacity = 0;
        return;
    }
    memmove (self->data, self->data + offset, self->size - offset);
    self->size -= offset;
}

//  Hand out the complete lines in data. Sets *consumed to the bytes
//  taken; returns the callback's stopping value or LINEBUF_CONTINUE.
static int
s_parse (linebuf_t *self, char *data, size_t size, size_t max_line,
         linebuf_line_fn *fn, void *arg, size_t *consumed)
{
    size_t offset = 0;
    int rc = LINEBUF_CONTINUE;
    while (offset < size) {
        char *start = data + offset;
        char *end = (char *) memchr (start, '\n', size - offset);
        if (self->discarding) {
            if (!end) {
                offset = size;
                break;
            }
            self->discarding = false;
            offset = end - data + 1;
            continue;
        }
        if (!end)
            break;
        size_t line_size = end - start;
        if (line_size > 0 && start [line_size - 1] == '\r')
            line_size--;
        if (line_size > max_line) {
            rc = fn (arg, NULL, 0, LINEBUF_TOO_LONG);
            if (rc == LINEBUF_AGAIN)
                rc = LINEBUF_CONTINUE;      //  nothing to hold
        }
        else
            rc = fn (arg, start, line_size, LINEBUF_LINE);
        if (rc == LINEBUF_AGAIN)
            break;              //  offset stays at the refused line
        offset = end - data + 1;
        if (rc != LINEBUF_CONTINUE)
            break;
    }
    *consumed = offset;
    return rc;
}

//  A partial line (no LF yet) of size bytes ending in last is already too
//  long when it cannot be max_line bytes plus the CR of a CRLF.
static bool
s_partial_too_long (size_t size, char last, size_t max_line)
{
    return size > max_line + 1 || (size == max_line + 1 && last != '\r');
}

//  Drop the waiting bytes and the rest of the current line; tell fn once.
static int
s_too_long (linebuf_t *self, linebuf_line_fn *fn, void *arg, bool to_line_end)
{
    linebuf_reset (self);
    self->discarding = to_line_end;
    if (fn (arg, NULL, 0, LINEBUF_TOO_LONG) == LINEBUF_STOP) {
        self->discarding = false;
        return LINEBUF_STOP;
    }
    return LINEBUF_CONTINUE;
}

//  After parsing, deal with what is left at data: a held line and what
//  follows it, or a partial line (which may already be too long).
static int
s_keep_rest (linebuf_t *self, char *data, size_t size, size_t max_line,
             linebuf_line_fn *fn, void *arg, int rc)
{
    if (rc == LINEBUF_STOP) {
        linebuf_reset (self);
        return LINEBUF_STOP;
    }
    if (rc == LINEBUF_AGAIN)
        self->held = true;
    else
    if (size > 0 && s_partial_too_long (size, data [size - 1], max_line))
        return s_too_long (self, fn, arg, true);
    if (s_append (self, data, size)) {
        linebuf_reset (self);
        return -1;
    }
    return rc;
}

int
linebuf_feed (linebuf_t *self, char *data, size_t size, size_t max_line,
              linebuf_line_fn *fn, void *arg)
{
    assert (self);
    assert (fn);
    if (self->held) {
        //  The reader should have stopped; keep the bytes in order anyway
        if (s_append (self, data, size))
            return -1;
        return LINEBUF_AGAIN;
    }
    size_t offset = 0;
    if (self->size > 0) {
        //  Complete the waiting partial line with the head of this read
        char *end = (char *) memchr (data, '\n', size);
        if (!end) {
            if (s_partial_too_long (self->size + size, data [size - 1], max_line))
                return s_too_long (self, fn, arg, true);
            return s_append (self, data, size)? -1: LINEBUF_CONTINUE;
        }
        size_t piece = end - data + 1;
        offset = piece;
        if (self->size + piece > max_line + LINEBUF_LINE_END) {
            if (s_too_long (self, fn, arg, false) == LINEBUF_STOP)
                return LINEBUF_STOP;
        }
        else {
            if (s_append (self, data, piece)) {
                linebuf_reset (self);
                return -1;
            }
            size_t consumed;
            int rc = s_parse (self, self->data, self->size, max_line, fn, arg, &consumed);
            if (rc == LINEBUF_STOP) {
                linebuf_reset (self);
                return LINEBUF_STOP;
            }
            if (rc == LINEBUF_AGAIN) {
                //  The waiting buffer is exactly the held line; add the rest
                self->held = true;
                if (s_append (self, data + offset, size - offset)) {
                    linebuf_reset (self);
                    return -1;
                }
                return LINEBUF_AGAIN;
            }
            s_consume (self, consumed);
        }
    }
    size_t consumed;
    int rc = s_parse (self, data + offset, size - offset, max_line, fn, arg, &consumed);
    offset += consumed;
    return s_keep_rest (self, data + offset, size - offset, max_line, fn, arg, rc);
}

int
linebuf_resume (linebuf_t *self, size_t max_line, linebuf_line_fn *fn, void *arg)
{
    assert (self);
    assert (fn);
    if (!self->held)
        return LINEBUF_CONTINUE;
    self->held = false;
    size_t consumed;
    int rc = s_parse (self, self->data, self->size, max_line, fn, arg, &consumed);
    if (rc == LINEBUF_STOP) {
        linebuf_reset (self);
        return LINEBUF_STOP;
    }
    if (rc == LINEBUF_AGAIN) {
        self->held = true;
        s_consume (self, consumed);
        return LINEBUF_AGAIN;
    }
    //  What is left is a partial line: keep it, unless it is too long
    s_consume (self, consumed);
    if (self->size > 0
    &&  s_partial_too_long (self->size, self->data [self->size - 1], max_line))
        return s_too_long (self, fn, arg, true);
    return LINEBUF_CONTINUE;
}
