/*  =========================================================================
    fuzz_input.c - a client's bytes: telnet filter, line assembly, text rules

    The path every byte from a telnet or nc client takes, in the order
    client.c runs it: telnet_filter in place on each read, linebuf_feed
    splitting and editing lines under the cap, text_check on each line.
    The input's first bytes choose the line cap and seed where the rest
    is cut into reads; the stream is then run twice, whole and cut, and
    both runs must produce the same record of events (each line handed
    on, each rejection and its reason, each too-long notice, each telnet
    reply; replies and line events as two streams, since a read's replies
    come before its lines), so "resumes across reads" is fuzzed rather than assumed. The
    consumer also refuses some lines once (LINEBUF_AGAIN, as a paused
    client does) and takes them on resume. Every line handed on must be
    within the cap, well-formed UTF-8 and free of control characters.
    =========================================================================
*/
#include "fuzz.h"
#include "telnet.h"
#include "linebuf.h"
#include "text.h"

#define FUZZ_CUT_MAX        29      //  longest read of the cut run
#define FUZZ_HOLD_EVERY     5       //  every 5th line is refused once
#define FUZZ_EVENT_LINE     'L'     //  record: a line handed on
#define FUZZ_EVENT_CONTROL  'C'     //  a line with control characters
#define FUZZ_EVENT_UTF8     'U'     //  a line that is not UTF-8
#define FUZZ_EVENT_LONG     'T'     //  a line over the cap
#define FUZZ_EVENT_REPLY    'R'     //  a telnet reply

typedef struct {
    telnet_t telnet;
    linebuf_t input;
    size_t max_line;
    zchunk_t *events;       //  what happened to lines, in order
    zchunk_t *replies;      //  telnet replies, in order (a separate stream:
                            //  a read's replies come before its lines)
    size_t offered;         //  lines offered so far
    bool holding;           //  the last offer was refused with AGAIN
} pipeline_t;

static void
s_append (zchunk_t *record, char event, const void *data, size_t size)
{
    uint32_t length = (uint32_t) size;
    zchunk_extend (record, &event, 1);
    zchunk_extend (record, &length, sizeof (length));
    if (size)
        zchunk_extend (record, data, size);
}

static void
s_record (pipeline_t *self, char event, const void *data, size_t size)
{
    s_append (self->events, event, data, size);
}

static void
s_on_reply (void *arg, const uint8_t *reply, size_t size)
{
    s_append (((pipeline_t *) arg)->replies, FUZZ_EVENT_REPLY, reply, size);
}

static bool
s_same (zchunk_t *first, zchunk_t *second)
{
    return zchunk_size (first) == zchunk_size (second)
        && memcmp (zchunk_data (first), zchunk_data (second), zchunk_size (first)) == 0;
}

//  Every character of a line handed on is printable.
static void
s_check_line (pipeline_t *self, const char *line, size_t size)
{
    FUZZ_CHECK (size <= self->max_line);
    size_t offset = 0;
    while (offset < size) {
        size_t length = 0;
        text_char_t kind = text_char ((const uint8_t *) line + offset, size - offset, &length);
        FUZZ_CHECK (kind == TEXT_CHAR_PRINTABLE);
        FUZZ_CHECK (length > 0 && offset + length <= size);
        offset += length;
    }
}

static int
s_on_line (void *arg, char *line, size_t size, int status)
{
    pipeline_t *self = (pipeline_t *) arg;
    if (status == LINEBUF_TOO_LONG) {
        s_record (self, FUZZ_EVENT_LONG, NULL, 0);
        return LINEBUF_CONTINUE;
    }
    if (!self->holding && ++self->offered % FUZZ_HOLD_EVERY == 0) {
        self->holding = true;
        return LINEBUF_AGAIN;
    }
    self->holding = false;
    text_status_t text = text_check (line, size);
    if (text == TEXT_CONTROL)
        s_record (self, FUZZ_EVENT_CONTROL, NULL, 0);
    else
    if (text == TEXT_INVALID_UTF8)
        s_record (self, FUZZ_EVENT_UTF8, NULL, 0);
    else {
        s_check_line (self, line, size);
        s_record (self, FUZZ_EVENT_LINE, line, size);
    }
    return LINEBUF_CONTINUE;
}

//  One read, as client.c handles it: filter, feed, and take a refused
//  line back at once (the fuzzed client is never paused for long).
static void
s_read (pipeline_t *self, const uint8_t *data, size_t size)
{
    uint8_t *copy = (uint8_t *) malloc (size? size: 1);
    assert (copy);
    memcpy (copy, data, size);
    size_t kept = telnet_filter (&self->telnet, copy, size, s_on_reply, self);
    int rc = kept? linebuf_feed (&self->input, (char *) copy, kept, self->max_line,
                                 s_on_line, self): LINEBUF_CONTINUE;
    while (rc == LINEBUF_AGAIN)
        rc = linebuf_resume (&self->input, self->max_line, s_on_line, self);
    FUZZ_CHECK (rc == LINEBUF_CONTINUE);
    free (copy);
}

static void
s_pipeline_init (pipeline_t *self, size_t max_line)
{
    memset (self, 0, sizeof (*self));
    telnet_init (&self->telnet);
    linebuf_init (&self->input);
    self->max_line = max_line;
    self->events = zchunk_new (NULL, 0);
    self->replies = zchunk_new (NULL, 0);
    telnet_offer (&self->telnet, s_on_reply, self);
}

static void
s_pipeline_end (pipeline_t *self)
{
    //  What is left is a partial line, never more than the cap (+ a CR)
    FUZZ_CHECK (linebuf_size (&self->input) <= self->max_line + 1);
    linebuf_reset (&self->input);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    fuzz_input_t input = { data, size };
    size_t max_line = 1 + fuzz_byte (&input) % CHAT_LINE_MAX;
    unsigned seed = (unsigned) fuzz_length (&input);

    pipeline_t whole, cut;
    s_pipeline_init (&whole, max_line);
    s_pipeline_init (&cut, max_line);
    s_read (&whole, input.data, input.size);
    size_t offset = 0;
    while (offset < input.size) {
        seed = seed * 1103515245 + 12345;
        size_t piece = 1 + (seed >> 16) % FUZZ_CUT_MAX;
        if (piece > input.size - offset)
            piece = input.size - offset;
        s_read (&cut, input.data + offset, piece);
        offset += piece;
    }
    FUZZ_CHECK (s_same (whole.events, cut.events));
    FUZZ_CHECK (s_same (whole.replies, cut.replies));
    s_pipeline_end (&whole);
    s_pipeline_end (&cut);
    zchunk_destroy (&whole.events);
    zchunk_destroy (&cut.events);
    zchunk_destroy (&whole.replies);
    zchunk_destroy (&cut.replies);
    return 0;
}
