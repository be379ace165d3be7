/*  =========================================================================
    fuzz_ws_frames.c - WebSocket frames from a client, any bytes in any reads

    A transport_ws over a stand-in lower transport that hands out the
    input in pseudo-random reads and takes every write: the frames go
    through wslay and this gateway's glue (the header scan, message
    checks, the input queue) as from a socket. What comes out as input
    must be lines: valid UTF-8, each ended by LF, none longer than the
    cap, no CR inside. Then output lines are written, and the close
    frame, and everything the server sent must be unmasked frames.
    =========================================================================
*/
#include "fuzz.h"
#include "transport_ws.h"
#include "text.h"

#define FUZZ_MAX_LINE       64
#define FUZZ_READ_SIZE      256
#define FUZZ_CUT_MAX        29
#define FUZZ_READS_MAX      10000   //  bounded, whatever the input
#define FUZZ_SENT_MAX       (256 * 1024)

typedef struct {
    const uint8_t *data;
    size_t size;
    unsigned seed;
    size_t sent;                    //  bytes the server wrote
    bool blocked;                   //  the next write says EAGAIN once
} fuzz_lower_t;

static ssize_t
s_read (void *state, int fd, void *buffer, size_t size)
{
    (void) fd;
    fuzz_lower_t *self = (fuzz_lower_t *) state;
    if (self->size == 0)
        return 0;
    self->seed = self->seed * 1103515245 + 12345;
    if ((self->seed >> 16) % 5 == 0) {
        errno = EAGAIN;
        return -1;
    }
    size_t piece = MIN (MIN (size, self->size), 1 + (self->seed >> 8) % FUZZ_CUT_MAX);
    memcpy (buffer, self->data, piece);
    self->data += piece;
    self->size -= piece;
    return (ssize_t) piece;
}

static ssize_t
s_write (void *state, int fd, const void *data, size_t size)
{
    (void) fd;
    (void) data;
    fuzz_lower_t *self = (fuzz_lower_t *) state;
    if (self->blocked) {
        self->blocked = false;
        errno = EAGAIN;
        return -1;
    }
    self->sent += size;
    return (ssize_t) size;
}

static int
s_shutdown (void *state, int fd, int reason)
{
    (void) state;
    (void) fd;
    (void) reason;
    return 0;
}

static const transport_ops_t s_lower = {
    .name = "fuzz", .read = s_read, .write = s_write, .shutdown = s_shutdown
};

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    fuzz_input_t input = { data, size };
    fuzz_lower_t lower = { .seed = (unsigned) fuzz_length (&input) };
    bool json = fuzz_byte (&input) & 1;
    size_t early = fuzz_byte (&input) % 16;
    early = MIN (early, input.size);
    lower.data = input.data + early;
    lower.size = input.size - early;
    loop_t *loop = loop_new ();
    FUZZ_CHECK (loop);
    transport_ws_config_t config = { .max_message = FUZZ_MAX_LINE, .ping_interval_ms = 0 };
    const transport_ops_t *ops = json? &transport_ws_json: &transport_ws;
    void *state = transport_ws_new (loop, -1, &config, &s_lower, &lower,
                                    (const char *) input.data, early);
    FUZZ_CHECK (state);
    //  Everything read, as the client's line assembler would get it
    size_t capacity = FUZZ_READ_SIZE * 4, used = 0;
    char *lines = (char *) malloc (capacity);
    FUZZ_CHECK (lines);
    for (int round = 0; round < FUZZ_READS_MAX; round++) {
        if (capacity - used < FUZZ_READ_SIZE) {
            capacity *= 2;
            lines = (char *) realloc (lines, capacity);
            FUZZ_CHECK (lines);
        }
        ssize_t got = ops->read (state, -1, lines + used, FUZZ_READ_SIZE);
        if (got == 0 || (got == -1 && errno != EAGAIN))
            break;
        if (got > 0)
            used += (size_t) got;
        else
        if (lower.size == 0 && ops->pending (state) == 0)
            break;
    }
    //  Whole lines, each valid UTF-8 without CR, none over the cap
    size_t start = 0;
    for (size_t index = 0; index < used; index++) {
        if (lines [index] != '\n')
            continue;
        size_t length = index - start;
        FUZZ_CHECK (length <= FUZZ_MAX_LINE);
        FUZZ_CHECK (!memchr (lines + start, '\r', length));
        for (size_t at = start, step; at < index; at += step)
            FUZZ_CHECK (text_char ((const uint8_t *) lines + at, index - at, &step)
                        != TEXT_CHAR_INVALID);
        start = index + 1;
    }
    FUZZ_CHECK (start == used);     //  a message is a whole line or nothing
    free (lines);
    static const char output [] = "* one\r\n! two\r\n{\"type\":\"notice\",\"text\":\"x\"}\r\n"
                                  "! lagged: 3 messages skipped\r\n";
    lower.blocked = true;
    ssize_t taken = ops->write (state, -1, output, sizeof (output) - 1);
    FUZZ_CHECK (taken == -1 || (taken > 0 && (size_t) taken <= sizeof (output) - 1));
    while (ops->unsent (state) > 0 && ops->write (state, -1, NULL, 0) == 0)
        ;
    int rounds = 0;
    while (ops->shutdown (state, -1, CLIENT_CLOSE_QUIT) == -1 && errno == EAGAIN && rounds++ < 8)
        ;
    FUZZ_CHECK (lower.sent < FUZZ_SENT_MAX);
    ops->destroy (state);
    loop_destroy (&loop);
    return 0;
}
