/*  =========================================================================
    test_transport.c - the transport seam under client.c, with a fake transport

    The fake transport does what TLS and WebSocket do to client.c: it
    reads the whole socket at once and hands out its input in small
    pieces (input held inside it, invisible to epoll, like SSL_pending),
    takes output it cannot send yet (unsent, like a framed line), and
    needs a second try to close its write side (like close_notify on a
    full socket). Each test fails on a client.c that ignores one of those.
    =========================================================================
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "client_private.h"

#define RUN_MAX_MS      3000    //  longest any wait may take (only reached on failure)
#define POLL_MS         1
#define FAKE_PIECE      3       //  input bytes the fake hands out per read
#define FAKE_SEND       5       //  output bytes the fake sends per write
#define FAKE_SIZE       4096

typedef struct {
    char input [FAKE_SIZE];     //  read from the socket, not yet handed out
    size_t input_size;
    size_t input_at;
    bool input_eof;
    char output [FAKE_SIZE];    //  taken, not yet sent
    size_t output_size;
    int shutdown_calls;
    int destroyed;
    int last_reason;
} fake_t;

static ssize_t
s_fake_read (void *state, int fd, void *buffer, size_t size)
{
    fake_t *fake = (fake_t *) state;
    if (fake->input_at == fake->input_size) {
        ssize_t rc = read (fd, fake->input, sizeof (fake->input));
        if (rc <= 0)
            return rc;
        fake->input_size = (size_t) rc;
        fake->input_at = 0;
    }
    size_t piece = MIN (size, MIN ((size_t) FAKE_PIECE, fake->input_size - fake->input_at));
    memcpy (buffer, fake->input + fake->input_at, piece);
    fake->input_at += piece;
    return (ssize_t) piece;
}

static size_t
s_fake_pending (void *state)
{
    fake_t *fake = (fake_t *) state;
    return fake->input_size - fake->input_at;
}

//  Takes everything, sends at most FAKE_SEND bytes per call.
static ssize_t
s_fake_write (void *state, int fd, const void *data, size_t size)
{
    fake_t *fake = (fake_t *) state;
    size_t room = sizeof (fake->output) - fake->output_size;
    size_t take = MIN (size, room);
    if (take > 0)
        memcpy (fake->output + fake->output_size, data, take);
    fake->output_size += take;
    size_t piece = MIN ((size_t) FAKE_SEND, fake->output_size);
    ssize_t sent = send (fd, fake->output, piece, MSG_NOSIGNAL);
    if (sent > 0) {
        memmove (fake->output, fake->output + sent, fake->output_size - (size_t) sent);
        fake->output_size -= (size_t) sent;
    }
    if (take == 0 && size > 0) {
        errno = EAGAIN;
        return -1;
    }
    return take > 0? (ssize_t) take: (sent >= 0? 0: -1);
}

static size_t
s_fake_unsent (void *state)
{
    return ((fake_t *) state)->output_size;
}

//  The first call says "again", as TLS may when the socket is full.
static int
s_fake_shutdown (void *state, int fd, int reason)
{
    fake_t *fake = (fake_t *) state;
    fake->last_reason = reason;
    if (++fake->shutdown_calls == 1) {
        errno = EAGAIN;
        return -1;
    }
    return shutdown (fd, SHUT_WR);
}

static void
s_fake_destroy (void *state)
{
    ((fake_t *) state)->destroyed++;
}

static const transport_ops_t s_fake_ops = {
    .name = "fake",
    .flags = 0,
    .read = s_fake_read,
    .write = s_fake_write,
    .unsent = s_fake_unsent,
    .shutdown = s_fake_shutdown,
    .pending = s_fake_pending,
    .destroy = s_fake_destroy,
};

typedef struct {
    loop_t *loop;
    client_set_t *clients;
    client_limits_t limits;
    client_t *client;
    fake_t fake;
    int peer;
    char lines [1024];
    int line_count;
    int again_count;            //  answer CLIENT_AGAIN this many times
    int closed;
    char received [FAKE_SIZE];
    size_t received_size;
    bool peer_eof;
    bool (*condition) (void *ctx);
} ctx_t;

static int
s_on_line (void *owner, client_t *client, const char *line, size_t size)
{
    (void) client;
    ctx_t *ctx = (ctx_t *) owner;
    if (ctx->again_count > 0) {
        ctx->again_count--;
        return CLIENT_AGAIN;
    }
    strncat (ctx->lines, line, size);
    strcat (ctx->lines, "|");
    ctx->line_count++;
    return 0;
}

static void
s_on_closed (void *owner, client_t *client, client_close_reason_t reason)
{
    (void) client;
    (void) reason;
    ((ctx_t *) owner)->closed++;
}

static ctx_t *
s_ctx_new (void)
{
    ctx_t *ctx = (ctx_t *) calloc (1, sizeof (ctx_t));
    ctx->limits = (client_limits_t) { .max_line = 64, .outbuf_max = 4096, .linger_ms = 500 };
    ctx->loop = loop_new ();
    client_events_t events = { s_on_line, s_on_closed, NULL, NULL, NULL };
    ctx->clients = client_set_new (ctx->loop, &ctx->limits, &events, ctx);
    int pair [2];
    assert_int_equal (socketpair (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair), 0);
    ctx->peer = pair [0];
    ctx->client = client_set_accept_transport (ctx->clients, pair [1], NULL, NULL,
                                               &s_fake_ops, &ctx->fake);
    assert_non_null (ctx->client);
    assert_string_equal (client_transport_name (ctx->client), "fake");
    return ctx;
}

static void
s_ctx_destroy (ctx_t **ctx_p)
{
    ctx_t *ctx = *ctx_p;
    client_set_destroy (&ctx->clients);
    assert_int_equal (ctx->fake.destroyed, 1);
    loop_destroy (&ctx->loop);
    close (ctx->peer);
    free (ctx);
    *ctx_p = NULL;
}

static int
s_poll (loop_t *loop, int timer_id, void *arg)
{
    (void) timer_id;
    ctx_t *ctx = (ctx_t *) arg;
    ssize_t size;
    while (!ctx->peer_eof
    &&     (size = read (ctx->peer, ctx->received + ctx->received_size,
                         sizeof (ctx->received) - 1 - ctx->received_size)) >= 0) {
        if (size == 0)
            ctx->peer_eof = true;
        ctx->received_size += (size_t) size;
    }
    ctx->received [ctx->received_size] = 0;
    if (ctx->condition (ctx))
        loop_stop (loop);
    return 0;
}

static int
s_timeout (loop_t *loop, int timer_id, void *arg)
{
    (void) timer_id;
    (void) arg;
    loop_stop (loop);
    return -1;
}

static bool
s_run (ctx_t *ctx, bool (*condition) (void *ctx))
{
    ctx->condition = condition;
    int poll = loop_timer_add (ctx->loop, POLL_MS, true, s_poll, ctx);
    int timeout = loop_timer_add (ctx->loop, RUN_MAX_MS, false, s_timeout, ctx);
    loop_run (ctx->loop);
    loop_timer_cancel (ctx->loop, poll);
    loop_timer_cancel (ctx->loop, timeout);
    return condition (ctx);
}

static bool s_three_lines (void *ctx) { return ((ctx_t *) ctx)->line_count >= 3; }
static bool s_peer_eof (void *ctx) { return ((ctx_t *) ctx)->peer_eof; }

//  All input arrives in one socket read; the fake hands it out 3 bytes at
//  a time, so after the first piece the socket is no longer readable.
static void
test_pending_input_is_read (void **state)
{
    (void) state;
    ctx_t *ctx = s_ctx_new ();
    assert_int_equal (write (ctx->peer, "one\ntwo\nthree\n", 14), 14);
    assert_true (s_run (ctx, s_three_lines));
    assert_string_equal (ctx->lines, "one|two|three|");
    s_ctx_destroy (&ctx);
}

//  The owner refuses the first line (uplink full): the client stops
//  reading with the rest inside the transport; resuming must read it.
static void
test_pending_input_after_resume (void **state)
{
    (void) state;
    ctx_t *ctx = s_ctx_new ();
    ctx->again_count = 1;
    assert_int_equal (write (ctx->peer, "one\ntwo\nthree\n", 14), 14);
    s_run (ctx, s_three_lines);
    assert_int_equal (ctx->line_count, 0);
    assert_true (s_fake_pending (&ctx->fake) > 0);
    client_set_resume (ctx->clients);
    assert_true (s_run (ctx, s_three_lines));
    assert_string_equal (ctx->lines, "one|two|three|");
    s_ctx_destroy (&ctx);
}

//  Output the transport took but could not send is all sent before its
//  clean close, which needed a second try; the peer then sees FIN.
static void
test_unsent_output_then_clean_close (void **state)
{
    (void) state;
    ctx_t *ctx = s_ctx_new ();
    const char *text = "* Bye, this line is longer than one piece\r\n";
    assert_int_equal (client_write (ctx->client, text, strlen (text)), 0);
    client_close (ctx->client, CLIENT_CLOSE_QUIT);
    assert_true (s_run (ctx, s_peer_eof));
    assert_string_equal (ctx->received, text);
    assert_int_equal (ctx->fake.shutdown_calls, 2);
    assert_int_equal (ctx->fake.last_reason, CLIENT_CLOSE_QUIT);
    s_ctx_destroy (&ctx);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_pending_input_is_read),
        cmocka_unit_test (test_pending_input_after_resume),
        cmocka_unit_test (test_unsent_output_then_clean_close),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
