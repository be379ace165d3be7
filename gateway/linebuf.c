/*  =========================================================================
    linebuf.c - split a client's bytes into lines, edit them, with a hard cap

    Like redis' processInlineBuffer: a cursor moves over the bytes and only
    what cannot be handed out now is copied. The line being assembled is
    also edited on the way, in place: bytes after an erase are moved down
    over what it removed, so a line is still handed out straight from the
    caller's read buffer. The waiting buffer holds at most max_line bytes
    of a partial line (already edited), or a held line, its line end and
    the rest of the read it came in.
    =========================================================================
*/
#include "linebuf.h"

#define LINEBUF_MIN_CAPACITY    64      //  smallest waiting buffer
#define LINEBUF_LF              '\n'
#define LINEBUF_CR              '\r'
#define LINEBUF_NUL             '\0'
#define LINEBUF_SPACE           0x20    //  below it: C0 controls
#define LINEBUF_UTF8_MAX        4       //  bytes of the longest UTF-8 character
#define LINEBUF_CONT_MASK       0xC0    //  continuation bytes are 10xxxxxx
#define LINEBUF_CONT            0x80    //  ... and the top bit
#define LINEBUF_LEAD            0xC0    //  lead bytes: 110xxxxx, 1110xxxx, 11110xxx

//  Where parsing stands in the bytes being parsed (a read, or the stolen
//  waiting buffer on resume). The line being assembled is the waiting
//  partial line (self->data, if any) followed by data [start, end).
typedef struct {
    char *data;                 //  the bytes, edited in place
    size_t size;                //  how many
    size_t next;                //  next byte to look at
    size_t start;               //  the line's bytes in data: [start, end)
    size_t end;
} s_cursor_t;

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

//  Free the waiting buffer (an idle client holds no input memory).
static void
s_clear (linebuf_t *self)
{
    free (self->data);
    self->data = NULL;
    self->size = 0;
    self->capacity = 0;
}

//  Bytes up to the next one that is not line content: a line end or an
//  editing character. Other controls are content (text.c rejects them).
static size_t
s_plain_run (const uint8_t *bytes, size_t size)
{
    size_t index = 0;
    for (; index < size; index++) {
        uint8_t byte = bytes [index];
        if (byte == LINEBUF_ERASE_DEL)
            break;
        if (byte < LINEBUF_SPACE
        && (byte == LINEBUF_LF || byte == LINEBUF_CR || byte == LINEBUF_ERASE_BS
        ||  byte == LINEBUF_ERASE_LINE || byte == LINEBUF_EOT))
            break;
    }
    return index;
}

//  Byte at distance back (1 = the last) from the end of the line.
static uint8_t
s_line_byte (linebuf_t *self, s_cursor_t *cursor, size_t back)
{
    size_t own = cursor->end - cursor->start;
    if (back <= own)
        return (uint8_t) cursor->data [cursor->end - back];
    return (uint8_t) self->data [self->size - (back - own)];
}

//  Remove the line's last character: a lead byte with all the
//  continuation bytes it announces, or else a single byte.
static void
s_erase_character (linebuf_t *self, s_cursor_t *cursor)
{
    size_t total = self->size + (cursor->end - cursor->start);
    size_t count = 1;
    for (size_t back = 1; back <= total && back <= LINEBUF_UTF8_MAX; back++) {
        uint8_t byte = s_line_byte (self, cursor, back);
        if ((byte & LINEBUF_CONT_MASK) == LINEBUF_CONT)
            continue;
        //  A lead byte announces its length in its leading one bits
        size_t length = 1;
        if (byte >= LINEBUF_LEAD) {
            length = 0;
            for (uint8_t bits = byte; bits & LINEBUF_CONT; bits = (uint8_t) (bits << 1))
                length++;
        }
        if (length == back)
            count = back;
        break;
    }
    if (total == 0)
        return;
    size_t own = cursor->end - cursor->start;
    size_t take = count < own? count: own;
    cursor->end -= take;
    count -= take;
    if (count > 0) {
        self->size -= count;
        if (self->size == 0)
            s_clear (self);
    }
}

//  The line is over the cap: drop it up to its line end, tell fn once.
static int
s_too_long (linebuf_t *self, s_cursor_t *cursor, linebuf_line_fn *fn, void *arg)
{
    s_clear (self);
    cursor->start = cursor->end = cursor->next;
    self->discarding = true;
    if (fn (arg, NULL, 0, LINEBUF_TOO_LONG) == LINEBUF_STOP) {
        linebuf_reset (self);
        return LINEBUF_STOP;
    }
    return LINEBUF_CONTINUE;
}

//  A line ended (terminator was its CR or LF): hand it to fn. On "again",
//  keep the line, its terminator and the rest of the bytes, in order.
static int
s_line (linebuf_t *self, s_cursor_t *cursor, char terminator, linebuf_line_fn *fn,
        void *arg)
{
    char *line = cursor->data + cursor->start;
    size_t size = cursor->end - cursor->start;
    if (self->size > 0) {
        //  It began in an earlier read: complete it in the waiting buffer
        if (s_append (self, line, size))
            return -1;
        line = self->data;
        size = self->size;
    }
    int rc = fn (arg, line, size, LINEBUF_LINE);
    if (rc == LINEBUF_AGAIN) {
        if ((self->size == 0 && s_append (self, line, size))
        ||  s_append (self, &terminator, 1)
        ||  s_append (self, cursor->data + cursor->next, cursor->size - cursor->next))
            return -1;
        //  Parsed again from the line's first byte, CR and all
        self->after_cr = false;
        self->held = true;
        return LINEBUF_AGAIN;
    }
    s_clear (self);
    if (rc != LINEBUF_CONTINUE) {
        linebuf_reset (self);
        return LINEBUF_STOP;
    }
    cursor->start = cursor->end = cursor->next;
    return LINEBUF_CONTINUE;
}

//  Parse the cursor's bytes to their end: hand out lines, apply editing,
//  keep the partial line that is left.
static int
s_parse (linebuf_t *self, s_cursor_t *cursor, size_t max_line, linebuf_line_fn *fn,
         void *arg)
{
    char *data = cursor->data;
    while (cursor->next < cursor->size) {
        uint8_t byte = (uint8_t) data [cursor->next];
        if (self->after_cr) {
            //  CR LF and CR NUL are one line end, also across reads
            self->after_cr = false;
            if (byte == LINEBUF_LF || byte == LINEBUF_NUL) {
                cursor->next++;
                cursor->start = cursor->end = cursor->next;
                continue;
            }
        }
        size_t run = s_plain_run ((const uint8_t *) data + cursor->next,
                                  cursor->size - cursor->next);
        if (run > 0) {
            if (self->discarding) {
                cursor->next += run;
                cursor->start = cursor->end = cursor->next;
                continue;
            }
            if (self->size + (cursor->end - cursor->start) + run > max_line) {
                cursor->next += run;
                if (s_too_long (self, cursor, fn, arg) == LINEBUF_STOP)
                    return LINEBUF_STOP;
                continue;
            }
            if (cursor->end != cursor->next)
                memmove (data + cursor->end, data + cursor->next, run);
            cursor->end += run;
            cursor->next += run;
            continue;
        }
        cursor->next++;
        if (byte == LINEBUF_CR || byte == LINEBUF_LF) {
            if (byte == LINEBUF_CR)
                self->after_cr = true;
            if (self->discarding) {
                self->discarding = false;
                cursor->start = cursor->end = cursor->next;
                continue;
            }
            int rc = s_line (self, cursor, (char) byte, fn, arg);
            if (rc == -1)
                linebuf_reset (self);
            if (rc != LINEBUF_CONTINUE)
                return rc;
        }
        else
        if (self->discarding || byte == LINEBUF_EOT)
            ;                   //  nothing to edit; EOT is ignored
        else
        if (byte == LINEBUF_ERASE_LINE) {
            s_clear (self);
            cursor->end = cursor->start;
        }
        else
            s_erase_character (self, cursor);
    }
    if (s_append (self, data + cursor->start, cursor->end - cursor->start)) {
        linebuf_reset (self);
        return -1;
    }
    return LINEBUF_CONTINUE;
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
    s_cursor_t cursor = { data, size, 0, 0, 0 };
    return s_parse (self, &cursor, max_line, fn, arg);
}

int
linebuf_resume (linebuf_t *self, size_t max_line, linebuf_line_fn *fn, void *arg)
{
    assert (self);
    assert (fn);
    if (!self->held)
        return LINEBUF_CONTINUE;
    //  Parse the held bytes as a read of their own: what is left over
    //  (held again, or a partial line) goes into a new waiting buffer
    s_cursor_t cursor = { self->data, self->size, 0, 0, 0 };
    self->data = NULL;
    self->size = 0;
    self->capacity = 0;
    self->held = false;
    int rc = s_parse (self, &cursor, max_line, fn, arg);
    free (cursor.data);
    return rc;
}
