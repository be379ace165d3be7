/*  =========================================================================
    test_client.c - one client connection, driven over socketpairs

    The test plays both the peer (the other end of a socketpair) and the
    owner (client_events_t callbacks that record lines and closes). The
    loop runs in short bounded bursts: until a condition holds or a few
    hundred milliseconds pass.
    =========================================================================
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "client_private.h"     //  the idle lists, to see where a client stands

#define RUN_MAX_MS      5000    //  longest any wait may take (only reached on failure)
#define POLL_MS         1       //  condition check period

typedef struct _ctx_t ctx_t;
typedef bool (s_condition_fn) (ctx_t *ctx);

struct _ctx_t {
    loop_t *loop;
    client_set_t *clients;
    client_limits_t limits;
    int peer;                   //  our end of the socketpair
    client_t *client;           //  the client under test
    char lines [4096];          //  delivered lines, each followed by '|'
    int line_count;
    int again_count;            //  answer CLIENT_AGAIN this many more times
    bool pause_on_open;         //  client_pause in on_opened
    bool quit_on_line;          //  "/quit" writes Bye and closes
    bool pause_on_line;         //  "pause" pauses the client (as /join does)
    bool quit_when_held;        //  a held "/quit" writes Bye and closes at once
    bool owner_busy;            //  on_eof: the owner still waits for something
    int held_seen;              //  on_held_line calls
    int eof_asked;              //  on_eof calls
    int opened;
    int closed;                 //  on_closed calls
    client_close_reason_t reason;
    bool inside_close;          //  client_close is running (re-entry check)
    bool closed_inside_close;   //  on_closed came from inside client_close
    char received [65536];      //  what the peer read
    size_t received_size;
    bool peer_eof;              //  peer read 0
    bool peer_muted;            //  the peer does not read
    int client_fd;              //  the client's end of the socketpair
    size_t accepted;            //  bytes client_write took (s_flood_count)
    s_condition_fn *condition;
};

static int
s_on_line (void *owner, client_t *client, const char *line, size_t size)
{
    ctx_t *ctx = (ctx_t *) owner;
    assert_ptr_equal (client, ctx->client);
    if (ctx->again_count > 0) {
        ctx->again_count--;
        return CLIENT_AGAIN;
    }
    strncat (ctx->lines, line, size);
    strcat (ctx->lines, "|");
    ctx->line_count++;
    if (ctx->pause_on_line && size == 5 && memcmp (line, "pause", 5) == 0)
        client_pause (client);
    if (ctx->quit_on_line && size == 5 && memcmp (line, "/quit", 5) == 0) {
        assert_int_equal (client_write (client, "* Bye!\r\n", 8), 0);
        ctx->inside_close = true;
        client_close (client, CLIENT_CLOSE_QUIT);
        client_close (client, CLIENT_CLOSE_ERROR);      //  idempotent
        ctx->inside_close = false;
        assert_true (client_is_closing (client));
        assert_int_equal (client_write (client, "late\r\n", 6), -1);
    }
    return 0;
}

static void
s_on_closed (void *owner, client_t *client, client_close_reason_t reason)
{
    ctx_t *ctx = (ctx_t *) owner;
    if (ctx->client)
        assert_ptr_equal (client, ctx->client);
    ctx->closed++;
    ctx->reason = reason;
    if (ctx->inside_close)
        ctx->closed_inside_close = true;
}

static bool
s_on_held_line (void *owner, client_t *client, const char *line, size_t size)
{
    ctx_t *ctx = (ctx_t *) owner;
    ctx->held_seen++;
    if (ctx->quit_when_held && size == 5 && memcmp (line, "/quit", 5) == 0) {
        assert_int_equal (client_write (client, "* Bye!\r\n", 8), 0);
        client_close (client, CLIENT_CLOSE_QUIT);
        return true;
    }
    return false;
}

static bool
s_on_eof (void *owner, client_t *client)
{
    (void) client;
    ctx_t *ctx = (ctx_t *) owner;
    ctx->eof_asked++;
    return !ctx->owner_busy;
}

static void
s_on_opened (void *owner, client_t *client)
{
    ctx_t *ctx = (ctx_t *) owner;
    ctx->opened++;
    ctx->client = client;
    client_set_owner_data (client, ctx);
    if (ctx->pause_on_open)
        client_pause (client);
}

static int
client_fd_for_test (ctx_t *ctx)
{
    return ctx->client_fd;
}

//  A context whose clients queue up to hold_max bytes while paused, and
//  whose owner answers on_held_line and on_eof.
static ctx_t *
s_ctx_new_holding (size_t max_line, int64_t linger_ms, size_t hold_max)
{
    ctx_t *ctx = (ctx_t *) calloc (1, sizeof (ctx_t));
    ctx->limits = (client_limits_t) {
        .max_line = max_line, .outbuf_max = 4096, .linger_ms = linger_ms,
        .hold_max = hold_max
    };
    ctx->loop = loop_new ();
    client_events_t events = {
        s_on_line, s_on_closed, s_on_opened, s_on_held_line, s_on_eof
    };
    ctx->clients = client_set_new (ctx->loop, &ctx->limits, &events, ctx);
    assert_non_null (ctx->clients);
    return ctx;
}

static ctx_t *
s_ctx_new (size_t max_line, size_t outbuf_max, int64_t idle_ms, int64_t stuck_ms,
           int64_t linger_ms)
{
    ctx_t *ctx = (ctx_t *) calloc (1, sizeof (ctx_t));
    ctx->limits = (client_limits_t) {
        .max_line = max_line, .outbuf_max = outbuf_max, .idle_timeout_ms = idle_ms,
        .stuck_timeout_ms = stuck_ms, .linger_ms = linger_ms
    };
    ctx->loop = loop_new ();
    client_events_t events = { s_on_line, s_on_closed, s_on_opened, NULL, NULL };
    ctx->clients = client_set_new (ctx->loop, &ctx->limits, &events, ctx);
    assert_non_null (ctx->clients);
    return ctx;
}

//  Connect one client through a socketpair.
static void
s_connect (ctx_t *ctx)
{
    int pair [2];
    assert_int_equal (socketpair (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair), 0);
    ctx->peer = pair [0];
    ctx->client_fd = pair [1];
    client_t *client = client_set_accept (ctx->clients, pair [1]);
    assert_non_null (client);
    assert_ptr_equal (client, ctx->client);
    assert_ptr_equal (client_owner_data (client), ctx);
    assert_int_equal (ctx->opened, 1);
}

static void
s_ctx_destroy (ctx_t **ctx_p)
{
    ctx_t *ctx = *ctx_p;
    client_set_destroy (&ctx->clients);
    client_set_destroy (&ctx->clients);
    loop_destroy (&ctx->loop);
    if (ctx->peer > 0)
        close (ctx->peer);
    free (ctx);
    *ctx_p = NULL;
}

//  Read whatever the peer has (never blocks).
static void
s_peer_read (ctx_t *ctx)
{
    while (!ctx->peer_eof && !ctx->peer_muted) {
        ssize_t size = read (ctx->peer, ctx->received + ctx->received_size,
                             sizeof (ctx->received) - 1 - ctx->received_size);
        if (size > 0)
            ctx->received_size += size;
        else {
            if (size == 0)
                ctx->peer_eof = true;
            break;
        }
    }
    ctx->received [ctx->received_size] = 0;
}

static int
s_poll (loop_t *loop, int timer_id, void *arg)
{
    (void) timer_id;
    ctx_t *ctx = (ctx_t *) arg;
    s_peer_read (ctx);
    if (ctx->condition && ctx->condition (ctx))
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

//  Run the loop until condition (NULL: for max_ms); returns the condition.
static bool
s_run (ctx_t *ctx, s_condition_fn *condition, int64_t max_ms)
{
    ctx->condition = condition;
    int poll = loop_timer_add (ctx->loop, POLL_MS, true, s_poll, ctx);
    int timeout = loop_timer_add (ctx->loop, max_ms, false, s_timeout, ctx);
    loop_run (ctx->loop);
    loop_timer_cancel (ctx->loop, poll);
    loop_timer_cancel (ctx->loop, timeout);
    s_peer_read (ctx);
    return condition? condition (ctx): true;
}

static void
s_send (ctx_t *ctx, const char *data, size_t size)
{
    assert_int_equal (write (ctx->peer, data, size), (ssize_t) size);
}
#define SEND(ctx, literal) s_send (ctx, literal, sizeof (literal) - 1)

static bool s_two_lines (ctx_t *ctx) { return ctx->line_count >= 2; }
static bool s_peer_eof (ctx_t *ctx) { return ctx->peer_eof; }
static bool s_closed (ctx_t *ctx) { return ctx->closed > 0; }
static bool s_set_empty (ctx_t *ctx) { return client_set_size (ctx->clients) == 0; }
static bool s_received_lagged (ctx_t *ctx) { return strstr (ctx->received, "! lagged") != NULL; }

static void
test_line_delivery (void **state)
{
    (void) state;
    ctx_t *ctx = s_ctx_new (16, 4096, 0, 0, 100);
    s_connect (ctx);
    assert_int_equal (client_set_size (ctx->clients), 1);
    assert_true (client_id (ctx->client) > 0);
    SEND (ctx, "hello\r\nwor");
    SEND (ctx, "ld\tx\n");
    assert_true (s_run (ctx, s_two_lines, RUN_MAX_MS));
    assert_string_equal (ctx->lines, "hello|world x|");
    //  Rejections are answered by the client module, never delivered
    SEND (ctx, "bad\x01line\n" "\xc3\x28\n" "0123456789abcdefX\n" "   \n\n"
               "\xff\xfd\x01" "ok\n");
    ctx->line_count = 0;
    s_run (ctx, NULL, 20);
    assert_string_equal (ctx->lines, "hello|world x|ok|");
    //  The telnet answer is queued while the read is filtered, before
    //  any of that read's lines are looked at
    assert_string_equal (ctx->received,
        "\xff\xfc\x01"
        "! line rejected: control characters are not allowed\r\n"
        "! line rejected: invalid UTF-8\r\n"
        "! line too long (max 16 bytes), discarded\r\n");
    assert_int_equal (ctx->closed, 0);
    s_ctx_destroy (&ctx);
}

static bool s_three_lines (ctx_t *ctx) { return ctx->line_count >= 3; }

//  With telnet_offer the first bytes out are the BINARY offer; the peer's
//  answers get no reply; line ends and editing (keyboard and telnet EC)
//  shape the lines the owner gets.
static void
test_telnet_offer_and_editing (void **state)
{
    (void) state;
    ctx_t *ctx = s_ctx_new (16, 4096, 0, 0, 100);
    client_set_destroy (&ctx->clients);
    ctx->limits.telnet_offer = true;
    client_events_t events = { s_on_line, s_on_closed, s_on_opened, NULL, NULL };
    ctx->clients = client_set_new (ctx->loop, &ctx->limits, &events, ctx);
    s_connect (ctx);
    s_run (ctx, NULL, 20);
    assert_int_equal (ctx->received_size, 6);
    assert_memory_equal (ctx->received, "\xff\xfb\x00\xff\xfd\x00", 6);
    SEND (ctx, "\xff\xfd\x00\xff\xfb\x00" "ab\x7f" "c\r");
    SEND (ctx, "\n\xe6\x9c\xac\b" "x\r");
    SEND (ctx, "\0\x04y\xff\xf7z\r\n");
    assert_true (s_run (ctx, s_three_lines, RUN_MAX_MS));
    assert_string_equal (ctx->lines, "ac|x|z|");
    s_run (ctx, NULL, 20);
    assert_int_equal (ctx->received_size, 6);
    s_ctx_destroy (&ctx);
}

static void
test_again_holds_and_resumes (void **state)
{
    (void) state;
    ctx_t *ctx = s_ctx_new (64, 4096, 0, 0, 100);
    s_connect (ctx);
    ctx->again_count = 1;
    SEND (ctx, "first\nsecond\n");
    s_run (ctx, NULL, 20);
    assert_int_equal (ctx->line_count, 0);
    //  While held, nothing more is read, so nothing else is delivered
    SEND (ctx, "third\n");
    s_run (ctx, NULL, 20);
    assert_int_equal (ctx->line_count, 0);
    //  Refused once more on the first resume: stays held
    ctx->again_count = 1;
    client_set_resume (ctx->clients);
    assert_int_equal (ctx->line_count, 0);
    client_set_resume (ctx->clients);
    assert_int_equal (ctx->line_count, 2);
    assert_string_equal (ctx->lines, "first|second|");
    //  Reading starts again
    assert_true (s_run (ctx, s_two_lines, RUN_MAX_MS));
    s_run (ctx, NULL, 10);
    assert_string_equal (ctx->lines, "first|second|third|");
    s_ctx_destroy (&ctx);
}

static void
test_pause_and_resume (void **state)
{
    (void) state;
    ctx_t *ctx = s_ctx_new (64, 4096, 0, 0, 100);
    ctx->pause_on_open = true;
    s_connect (ctx);
    SEND (ctx, "early\n");
    s_run (ctx, NULL, 20);
    assert_int_equal (ctx->line_count, 0);
    client_resume (ctx->client);
    s_run (ctx, NULL, 20);
    assert_string_equal (ctx->lines, "early|");
    //  Paused while lines are pending in one read: the rest waits
    SEND (ctx, "a\nb\n");
    client_pause (ctx->client);
    s_run (ctx, NULL, 20);
    assert_string_equal (ctx->lines, "early|");
    client_resume (ctx->client);
    s_run (ctx, NULL, 20);
    assert_string_equal (ctx->lines, "early|a|b|");
    s_ctx_destroy (&ctx);
}

//  A line too long that comes while the owner has paused the client (a
//  /join in flight) is still answered: it is dropped, never held, so this
//  is its only chance to be told
static void
test_too_long_while_paused (void **state)
{
    (void) state;
    ctx_t *ctx = s_ctx_new (16, 4096, 0, 0, 100);
    ctx->pause_on_line = true;
    s_connect (ctx);
    SEND (ctx, "pause\n" "0123456789abcdefX\n" "after\n");
    s_run (ctx, NULL, 20);
    assert_string_equal (ctx->lines, "pause|");
    assert_string_equal (ctx->received, "! line too long (max 16 bytes), discarded\r\n");
    client_resume (ctx->client);
    s_run (ctx, NULL, 20);
    assert_string_equal (ctx->lines, "pause|after|");
    //  The same for a partial line already too long
    SEND (ctx, "pause\n" "0123456789abcdefXYZ");
    s_run (ctx, NULL, 20);
    assert_string_equal (ctx->lines, "pause|after|pause|");
    assert_string_equal (ctx->received, "! line too long (max 16 bytes), discarded\r\n"
                                        "! line too long (max 16 bytes), discarded\r\n");
    s_ctx_destroy (&ctx);
}

//  A client that sends a line and closes at once (printf 'hi\n' | nc),
//  while its login is in flight: its line is still delivered once the
//  owner resumes it, though the socket hung up (and our output to it
//  failed) meanwhile; then it closes as disconnected
static void
test_peer_gone_while_paused (void **state)
{
    (void) state;
    for (int variant = 0; variant < 2; variant++) {
        ctx_t *ctx = s_ctx_new (64, 4096, 0, 0, 100);
        ctx->pause_on_open = true;
        s_connect (ctx);
        SEND (ctx, "early\n");
        close (ctx->peer);
        ctx->peer = -1;
        if (variant == 1)           //  the welcome meets the closed socket
            assert_int_equal (client_write (ctx->client, "welcome\r\n", 9), 0);
        s_run (ctx, NULL, 20);
        assert_int_equal (ctx->closed, 0);
        client_resume (ctx->client);
        assert_true (s_run (ctx, s_closed, RUN_MAX_MS));
        assert_string_equal (ctx->lines, "early|");
        assert_int_equal (ctx->reason, CLIENT_CLOSE_EOF);
        assert_true (s_run (ctx, s_set_empty, RUN_MAX_MS));
        s_ctx_destroy (&ctx);
    }
}

static void
test_output_coalesced (void **state)
{
    (void) state;
    ctx_t *ctx = s_ctx_new (64, 4096, 0, 0, 100);
    s_connect (ctx);
    assert_int_equal (client_write (ctx->client, "one\r\n", 5), 0);
    assert_int_equal (client_write (ctx->client, "two\r\n", 5), 0);
    assert_int_equal (client_write (ctx->client, "three\r\n", 7), 0);
    //  client_write makes no syscall: nothing has been sent yet
    char byte;
    assert_int_equal (read (ctx->peer, &byte, 1), -1);
    assert_int_equal (errno, EAGAIN);
    s_run (ctx, NULL, 5);
    assert_string_equal (ctx->received, "one\r\ntwo\r\nthree\r\n");
    assert_int_equal (client_skipped (ctx->client), 0);
    s_ctx_destroy (&ctx);
}

static void
test_cap_and_lag_notice (void **state)
{
    (void) state;
    ctx_t *ctx = s_ctx_new (64, 20, 0, 0, 100);
    s_connect (ctx);
    assert_int_equal (client_write (ctx->client, "0123456789\r\n", 12), 0);
    assert_int_equal (client_write (ctx->client, "abcdef\r\n", 8), 0);    //  exactly 20
    assert_int_equal (client_write (ctx->client, "x\r\n", 3), -1);
    assert_int_equal (client_write (ctx->client, "y\r\n", 3), -1);
    assert_int_equal (client_skipped (ctx->client), 2);
    assert_true (s_run (ctx, s_received_lagged, RUN_MAX_MS));
    //  The notice comes once the queue has drained, even though it is
    //  longer than the cap
    assert_string_equal (ctx->received,
        "0123456789\r\nabcdef\r\n! lagged: 2 messages skipped\r\n");
    assert_int_equal (client_skipped (ctx->client), 0);
    assert_int_equal (client_write (ctx->client, "z\r\n", 3), 0);
    s_run (ctx, NULL, 5);
    assert_string_equal (ctx->received + 50, "z\r\n");
    s_ctx_destroy (&ctx);
}

//  Shared lines (a room's, client_write_shared) count against the cap as
//  copied ones do, and come out in order with them.
static void
test_shared_lines_capped (void **state)
{
    (void) state;
    ctx_t *ctx = s_ctx_new (64, 20, 0, 0, 100);
    s_connect (ctx);
    client_shared_t first, second, third;
    assert_int_equal (client_set_share (ctx->clients, "0123456789\r\n", 12, &first), 0);
    assert_int_equal (client_set_share (ctx->clients, "abc\r\n", 5, &second), 0);
    assert_int_equal (client_set_share (ctx->clients, "x\r\n", 3, &third), 0);
    assert_int_equal (client_write_shared (ctx->client, &first), 0);
    assert_int_equal (client_write (ctx->client, "de\r\n", 4), 0);   //  16 of 20
    assert_int_equal (client_write_shared (ctx->client, &second), -1);
    assert_int_equal (client_write_shared (ctx->client, &third), 0);  //  exactly 20
    assert_int_equal (client_skipped (ctx->client), 1);
    assert_true (s_run (ctx, s_received_lagged, RUN_MAX_MS));
    assert_string_equal (ctx->received,
        "0123456789\r\nde\r\nx\r\n! lagged: 1 messages skipped\r\n");
    s_ctx_destroy (&ctx);
}

static int
s_flood (loop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    ctx_t *ctx = (ctx_t *) arg;
    static const char line [] = "flood flood flood flood flood flood flood flood\r\n";
    if (ctx->closed == 0)
        for (int count = 0; count < 100; count++)
            client_write (ctx->client, line, sizeof (line) - 1);
    return 0;
}

static void
test_stuck_client_closed (void **state)
{
    (void) state;
    ctx_t *ctx = s_ctx_new (64, 1024, 0, 30, 20);
    s_connect (ctx);
    int small = 4096;
    assert_int_equal (setsockopt (client_fd_for_test (ctx), SOL_SOCKET, SO_SNDBUF,
                                  &small, sizeof (small)), 0);
    //  The peer does not read while the owner floods the client
    ctx->peer_muted = true;
    int flood = loop_timer_add (ctx->loop, 1, true, s_flood, ctx);
    assert_true (s_run (ctx, s_closed, RUN_MAX_MS));
    loop_timer_cancel (ctx->loop, flood);
    assert_int_equal (ctx->reason, CLIENT_CLOSE_STUCK);
    assert_true (client_skipped (ctx->client) > 0);
    //  Once the peer reads, it gets the queued output, then EOF
    ctx->peer_muted = false;
    assert_true (s_run (ctx, s_set_empty, RUN_MAX_MS));
    assert_true (ctx->peer_eof);
    assert_true (ctx->received_size > 0);
    //  Only whole lines were queued
    assert_memory_equal (ctx->received + ctx->received_size - 2, "\r\n", 2);
    ctx->client = NULL;
    s_ctx_destroy (&ctx);
}

#define TEST_FLOOD_LINE     "flood flood flood flood flood flood flood flood\r\n"
#define TEST_KERNEL_OUTBUF  16384   //  --outbuf-max of the next test
#define TEST_KERNEL_SNDBUF  4096    //  --sndbuf of the next test
#define TEST_KERNEL_RUN_MS  300

//  s_flood, counting what client_write took.
static int
s_flood_count (loop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    ctx_t *ctx = (ctx_t *) arg;
    for (int count = 0; count < 100; count++)
        if (client_write (ctx->client, TEST_FLOOD_LINE, strlen (TEST_FLOOD_LINE)) == 0)
            ctx->accepted += strlen (TEST_FLOOD_LINE);
    return 0;
}

//  What a reader that stops reading costs is bounded by --outbuf-max,
//  the kernel's send queue (SO_SNDBUF from --sndbuf) included: the bytes
//  the client took are at most the cap plus one line, not the cap plus
//  what the kernel holds.
static void
test_kernel_queue_counts (void **state)
{
    (void) state;
    ctx_t *ctx = s_ctx_new (64, TEST_KERNEL_OUTBUF, 0, 0, 20);
    ctx->limits.sndbuf = TEST_KERNEL_SNDBUF;
    client_set_destroy (&ctx->clients);
    client_events_t events = { s_on_line, s_on_closed, s_on_opened, NULL, NULL };
    ctx->clients = client_set_new (ctx->loop, &ctx->limits, &events, ctx);
    assert_non_null (ctx->clients);
    s_connect (ctx);
    int sndbuf = 0;
    socklen_t size = sizeof (sndbuf);
    assert_int_equal (getsockopt (client_fd_for_test (ctx), SOL_SOCKET, SO_SNDBUF,
                                  &sndbuf, &size), 0);
    assert_true (sndbuf >= TEST_KERNEL_SNDBUF && sndbuf <= 2 * TEST_KERNEL_SNDBUF);
    ctx->peer_muted = true;
    int flood = loop_timer_add (ctx->loop, 1, true, s_flood_count, ctx);
    s_run (ctx, NULL, TEST_KERNEL_RUN_MS);
    loop_timer_cancel (ctx->loop, flood);
    assert_true (client_skipped (ctx->client) > 0);
    assert_true (ctx->accepted <= TEST_KERNEL_OUTBUF + strlen (TEST_FLOOD_LINE));
    //  Once the peer reads, it gets everything taken, then the lag notice
    ctx->peer_muted = false;
    assert_true (s_run (ctx, s_received_lagged, RUN_MAX_MS));
    assert_memory_equal (ctx->received, TEST_FLOOD_LINE, strlen (TEST_FLOOD_LINE));
    assert_true (ctx->received_size > ctx->accepted);
    s_ctx_destroy (&ctx);
}

//  A client whose queue filled and then gets no more output is still
//  closed as stuck: the tick checks it, not only the next client_write.
static void
test_stuck_without_more_output (void **state)
{
    (void) state;
    ctx_t *ctx = s_ctx_new (64, 256, 0, 30, 20);
    s_connect (ctx);
    ctx->peer_muted = true;
    //  Fill the kernel buffer behind the client's back
    char filler [1024];
    memset (filler, 'f', sizeof (filler));
    while (write (client_fd_for_test (ctx), filler, sizeof (filler)) > 0)
        ;
    //  Then fill the queue past the cap, once, and write nothing more
    static const char line [] = "0123456789012345678901234567890123456789\r\n";
    int refused = 0;
    for (int count = 0; count < 10; count++)
        if (client_write (ctx->client, line, sizeof (line) - 1))
            refused++;
    assert_true (refused > 0);
    assert_true (s_run (ctx, s_closed, 500));
    assert_int_equal (ctx->reason, CLIENT_CLOSE_STUCK);
    //  A closed client left the stuck list: the set empties once the peer reads
    ctx->peer_muted = false;
    assert_true (s_run (ctx, s_set_empty, RUN_MAX_MS));
    ctx->client = NULL;
    s_ctx_destroy (&ctx);
}

//  A queue that drains in time is not stuck, however long the client lives.
static void
test_drained_queue_not_stuck (void **state)
{
    (void) state;
    ctx_t *ctx = s_ctx_new (64, 20, 0, 30, 20);
    s_connect (ctx);
    assert_int_equal (client_write (ctx->client, "0123456789abcdef\r\n", 18), 0);
    assert_int_equal (client_write (ctx->client, "x\r\n", 3), -1);
    assert_true (s_run (ctx, s_received_lagged, RUN_MAX_MS));
    s_run (ctx, NULL, 100);
    assert_int_equal (ctx->closed, 0);
    s_ctx_destroy (&ctx);
}

static void
test_idle_close (void **state)
{
    (void) state;
    ctx_t *ctx = s_ctx_new (64, 4096, 300, 0, 100);
    s_connect (ctx);
    //  Lines keep it alive past the timeout; partial bytes do not
    for (int round = 0; round < 6; round++) {
        SEND (ctx, "ping\n");
        s_run (ctx, NULL, 10);
    }
    assert_int_equal (ctx->closed, 0);
    assert_int_equal (ctx->line_count, 6);
    SEND (ctx, "slow");
    s_run (ctx, NULL, 15);
    SEND (ctx, "loris");
    assert_true (s_run (ctx, s_peer_eof, RUN_MAX_MS));
    assert_int_equal (ctx->closed, 1);
    assert_int_equal (ctx->reason, CLIENT_CLOSE_IDLE);
    assert_string_equal (ctx->received, "! idle for 0 seconds, disconnecting\r\n");
    assert_int_equal (ctx->line_count, 6);
    close (ctx->peer);
    ctx->peer = -1;
    assert_true (s_run (ctx, s_set_empty, RUN_MAX_MS));
    ctx->client = NULL;
    s_ctx_destroy (&ctx);
}

static bool s_received_warning (ctx_t *ctx) { return strstr (ctx->received, "* you will") != NULL; }
static bool s_clock_moved (ctx_t *ctx)
{
    return loop_now (ctx->loop) > ctx->client->last_active;
}

//  An empty line (or one of spaces) is activity: it is not delivered, but
//  it resets the idle clock and moves the client to the idle list's tail.
static void
test_empty_line_is_activity (void **state)
{
    (void) state;
    ctx_t *ctx = s_ctx_new (64, 4096, 60000, 0, 100);
    s_connect (ctx);
    client_set_t *set = ctx->clients;
    const char *lines [] = { "\n", "\r\n", "   \r\n" };
    for (size_t index = 0; index < 3; index++) {
        int64_t before = ctx->client->last_active;
        assert_true (s_run (ctx, s_clock_moved, RUN_MAX_MS));
        s_send (ctx, lines [index], strlen (lines [index]));
        s_run (ctx, NULL, 20);
        assert_true (ctx->client->last_active > before);
        assert_ptr_equal (set->idle.tail, ctx->client);
    }
    assert_int_equal (ctx->line_count, 0);
    assert_int_equal (ctx->received_size, 0);
    s_ctx_destroy (&ctx);
}

//  Half way to the idle close (at most --idle-warning before it) a client
//  is told how to stay; any line, an empty one too, takes it off the
//  warned list, and it is warned again before it is ever closed.
static void
test_idle_warning (void **state)
{
    (void) state;
    ctx_t *ctx = s_ctx_new (64, 4096, 2000, 0, 100);
    client_set_destroy (&ctx->clients);
    ctx->limits.idle_warning_ms = 60000;        //  capped at half the timeout
    client_events_t events = { s_on_line, s_on_closed, s_on_opened, NULL, NULL };
    ctx->clients = client_set_new (ctx->loop, &ctx->limits, &events, ctx);
    s_connect (ctx);
    client_set_t *set = ctx->clients;
    const char *warning = "* you will be disconnected in 1 s for inactivity; send any line "
                          "(even an empty one) to stay\r\n";
    assert_true (s_run (ctx, s_received_warning, RUN_MAX_MS));
    assert_string_equal (ctx->received, warning);
    assert_true (ctx->client->warned);
    assert_ptr_equal (set->warned.head, ctx->client);
    assert_null (set->idle.head);
    assert_int_equal (ctx->closed, 0);

    SEND (ctx, "\r\n");
    s_run (ctx, NULL, 20);
    assert_false (ctx->client->warned);
    assert_ptr_equal (set->idle.head, ctx->client);
    assert_null (set->warned.head);
    //  Warned again (not closed) a second later, then closed idle
    ctx->received_size = 0;
    ctx->received [0] = 0;
    assert_true (s_run (ctx, s_received_warning, RUN_MAX_MS));
    assert_string_equal (ctx->received, warning);
    assert_int_equal (ctx->closed, 0);
    assert_true (s_run (ctx, s_peer_eof, RUN_MAX_MS));
    assert_int_equal (ctx->reason, CLIENT_CLOSE_IDLE);
    assert_non_null (strstr (ctx->received, "! idle for 2 seconds, disconnecting\r\n"));
    close (ctx->peer);
    ctx->peer = -1;
    assert_true (s_run (ctx, s_set_empty, RUN_MAX_MS));
    ctx->client = NULL;
    s_ctx_destroy (&ctx);
}

static void
test_quit_flushes_then_fin (void **state)
{
    (void) state;
    ctx_t *ctx = s_ctx_new (64, 4096, 0, 0, 2000);
    ctx->quit_on_line = true;
    s_connect (ctx);
    SEND (ctx, "/quit\nignored after quit\n");
    assert_true (s_run (ctx, s_peer_eof, RUN_MAX_MS));
    //  The line written before client_close arrived, then FIN
    assert_string_equal (ctx->received, "* Bye!\r\n");
    assert_string_equal (ctx->lines, "/quit|");
    assert_int_equal (ctx->closed, 1);
    assert_int_equal (ctx->reason, CLIENT_CLOSE_QUIT);
    assert_false (ctx->closed_inside_close);        //  deferred to the reap
    //  Still lingering until the peer closes (long linger): then freed
    assert_int_equal (client_set_size (ctx->clients), 1);
    close (ctx->peer);
    ctx->peer = -1;
    assert_true (s_run (ctx, s_set_empty, 100));
    assert_int_equal (ctx->closed, 1);              //  exactly once
    assert_string_equal (client_close_reason_text (CLIENT_CLOSE_QUIT), "quit");
    ctx->client = NULL;
    s_ctx_destroy (&ctx);
}

static void
test_peer_eof (void **state)
{
    (void) state;
    ctx_t *ctx = s_ctx_new (64, 4096, 0, 0, 100);
    s_connect (ctx);
    SEND (ctx, "last words\n");
    shutdown (ctx->peer, SHUT_WR);
    assert_true (s_run (ctx, s_closed, RUN_MAX_MS));
    assert_string_equal (ctx->lines, "last words|");
    assert_int_equal (ctx->reason, CLIENT_CLOSE_EOF);
    assert_true (s_run (ctx, s_set_empty, RUN_MAX_MS));
    assert_true (ctx->peer_eof);                    //  we sent FIN back
    ctx->client = NULL;
    s_ctx_destroy (&ctx);
}

//  A paused client is still read, into a queue of at most hold_max bytes
//  (whole lines); past it lines are dropped and it is told once. On
//  resume the queued lines come in order, and new input after them.
static void
test_held_input_bounded (void **state)
{
    (void) state;
    ctx_t *ctx = s_ctx_new_holding (64, 100, 16);
    ctx->pause_on_open = true;
    s_connect (ctx);
    SEND (ctx, "one\ntwo\n");                  //  8 bytes: kept
    s_run (ctx, NULL, 20);
    SEND (ctx, "three\nfour\nfive\nsix\n");   //  only "three" fits
    s_run (ctx, NULL, 20);
    SEND (ctx, "seven\neig");                  //  dropped, and the rest of "eig..."
    s_run (ctx, NULL, 20);
    SEND (ctx, "ht\n");
    s_run (ctx, NULL, 20);
    assert_int_equal (ctx->line_count, 0);
    assert_string_equal (ctx->received, "! too much input while waiting for the server "
                                        "(over 16 bytes): lines dropped\r\n");
    assert_true (ctx->held_seen >= 3);
    client_resume (ctx->client);
    SEND (ctx, "nine\n");
    s_run (ctx, NULL, 20);
    assert_string_equal (ctx->lines, "one|two|three|nine|");
    s_ctx_destroy (&ctx);
}

//  /quit behind held input is acted on at once; what it followed is dropped.
static void
test_quit_while_held (void **state)
{
    (void) state;
    ctx_t *ctx = s_ctx_new_holding (64, 100, 1024);
    ctx->pause_on_open = true;
    ctx->quit_when_held = true;
    s_connect (ctx);
    SEND (ctx, "hello\n/qu");
    s_run (ctx, NULL, 20);
    assert_int_equal (ctx->closed, 0);
    SEND (ctx, "it\nafter\n");
    assert_true (s_run (ctx, s_peer_eof, RUN_MAX_MS));
    assert_int_equal (ctx->reason, CLIENT_CLOSE_QUIT);
    assert_int_equal (ctx->line_count, 0);
    assert_string_equal (ctx->received, "* Bye!\r\n");
    s_ctx_destroy (&ctx);

    //  The same behind a line the owner refused (a full uplink)
    ctx = s_ctx_new_holding (64, 100, 1024);
    ctx->quit_when_held = true;
    ctx->again_count = 1;
    s_connect (ctx);
    SEND (ctx, "hello\n/quit\n");
    assert_true (s_run (ctx, s_peer_eof, RUN_MAX_MS));
    assert_int_equal (ctx->reason, CLIENT_CLOSE_QUIT);
    assert_int_equal (ctx->line_count, 0);
    s_ctx_destroy (&ctx);
}

//  After the peer's FIN the client stays open while the owner is busy
//  (a reply owed): it closes when the owner says so, or at the linger.
static void
test_eof_waits_for_owner (void **state)
{
    (void) state;
    for (int variant = 0; variant < 2; variant++) {
        ctx_t *ctx = s_ctx_new_holding (64, variant == 0? RUN_MAX_MS: 100, 1024);
        ctx->owner_busy = true;
        s_connect (ctx);
        SEND (ctx, "/who\n");
        shutdown (ctx->peer, SHUT_WR);
        s_run (ctx, NULL, 50);
        assert_string_equal (ctx->lines, "/who|");
        assert_true (ctx->eof_asked >= 1);
        if (variant == 0) {
            assert_int_equal (ctx->closed, 0);
            assert_int_equal (client_write (ctx->client, "* #general (1): x\r\n", 20), 0);
            ctx->owner_busy = false;
            client_check_eof (ctx->client);
        }
        assert_true (s_run (ctx, s_peer_eof, RUN_MAX_MS));
        assert_int_equal (ctx->reason, CLIENT_CLOSE_EOF);
        if (variant == 0)
            assert_string_equal (ctx->received, "* #general (1): x\r\n");
        assert_true (s_run (ctx, s_set_empty, RUN_MAX_MS));
        ctx->client = NULL;
        s_ctx_destroy (&ctx);
    }
}

static void
test_close_all_and_destroy (void **state)
{
    (void) state;
    ctx_t *ctx = s_ctx_new (64, 4096, 0, 0, 100);
    s_connect (ctx);
    client_write (ctx->client, "* Server shutting down...\r\n", 27);
    client_set_close_all (ctx->clients, CLIENT_CLOSE_DRAIN);
    assert_true (s_run (ctx, s_peer_eof, RUN_MAX_MS));
    assert_string_equal (ctx->received, "* Server shutting down...\r\n");
    assert_int_equal (ctx->closed, 1);
    assert_int_equal (ctx->reason, CLIENT_CLOSE_DRAIN);
    assert_string_equal (client_close_reason_text (ctx->reason), "server shutting down");
    //  Destroy with a client still open: it is told, once
    ctx_t *other = s_ctx_new (64, 4096, 0, 0, 100);
    s_connect (other);
    client_write (other->client, "never sent\r\n", 12);
    client_set_destroy (&other->clients);
    assert_int_equal (other->closed, 1);
    assert_int_equal (other->reason, CLIENT_CLOSE_SHUTDOWN);
    s_peer_read (other);
    assert_true (other->peer_eof);
    assert_int_equal (other->received_size, 0);
    other->client = NULL;
    s_ctx_destroy (&other);
    ctx->client = NULL;
    s_ctx_destroy (&ctx);
}

static void
s_late_writer (loop_t *loop, void *arg)
{
    (void) loop;
    ctx_t *ctx = (ctx_t *) arg;
    if (ctx->again_count > 0) {
        ctx->again_count--;
        client_write (ctx->client, "late\r\n", 6);
    }
}

static bool s_received_late (ctx_t *ctx) { return ctx->received_size >= 6; }

//  Read what has arrived so far (before this pass's hooks), then stop.
static int
s_check_and_stop (loop_t *loop, int timer_id, void *arg)
{
    (void) timer_id;
    s_peer_read ((ctx_t *) arg);
    loop_stop (loop);
    return -1;
}

static void
test_output_from_a_later_hook (void **state)
{
    (void) state;
    //  No idle or linger timeout: the set's tick is a full second away
    ctx_t *ctx = s_ctx_new (64, 4096, 0, 0, 0);
    s_connect (ctx);
    //  A late hook added after the set's own runs after its flush (the
    //  gateway's ZeroMQ re-check does this); its output must still leave
    //  at once, not at the next wake-up
    loop_hook_add_late (ctx->loop, s_late_writer, ctx);
    ctx->again_count = 1;       //  reused here as "write once"
    //  No polling timer here (it would wake the loop): one check at 20 ms
    loop_timer_add (ctx->loop, 20, false, s_check_and_stop, ctx);
    loop_run (ctx->loop);
    assert_true (s_received_late (ctx));
    assert_string_equal (ctx->received, "late\r\n");
    loop_hook_remove (ctx->loop, s_late_writer, ctx);
    s_ctx_destroy (&ctx);
}

static void
test_reason_texts (void **state)
{
    (void) state;
    assert_string_equal (client_close_reason_text (CLIENT_CLOSE_EOF), "disconnected");
    assert_string_equal (client_close_reason_text (CLIENT_CLOSE_ERROR), "connection error");
    assert_string_equal (client_close_reason_text (CLIENT_CLOSE_IDLE), "idle");
    assert_string_equal (client_close_reason_text (CLIENT_CLOSE_STUCK), "stuck");
    assert_string_equal (client_close_reason_text (CLIENT_CLOSE_SHUTDOWN), "gateway shut down");
    assert_string_equal (client_close_reason_text (CLIENT_CLOSE_REFUSED), "refused");
    assert_string_equal (client_close_reason_text (CLIENT_CLOSE_TIMEOUT), "timed out");
    //  One word each for the log's reason=
    assert_string_equal (client_close_reason_key (CLIENT_CLOSE_QUIT), "quit");
    assert_string_equal (client_close_reason_key (CLIENT_CLOSE_EOF), "eof");
    assert_string_equal (client_close_reason_key (CLIENT_CLOSE_ERROR), "error");
    assert_string_equal (client_close_reason_key (CLIENT_CLOSE_DRAIN), "drain");
    assert_string_equal (client_close_reason_key (CLIENT_CLOSE_SHUTDOWN), "shutdown");
    assert_string_equal (client_close_reason_key ((client_close_reason_t) 99), "unknown");
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_line_delivery),
        cmocka_unit_test (test_telnet_offer_and_editing),
        cmocka_unit_test (test_again_holds_and_resumes),
        cmocka_unit_test (test_pause_and_resume),
        cmocka_unit_test (test_too_long_while_paused),
        cmocka_unit_test (test_peer_gone_while_paused),
        cmocka_unit_test (test_output_coalesced),
        cmocka_unit_test (test_output_from_a_later_hook),
        cmocka_unit_test (test_cap_and_lag_notice),
        cmocka_unit_test (test_shared_lines_capped),
        cmocka_unit_test (test_stuck_client_closed),
        cmocka_unit_test (test_kernel_queue_counts),
        cmocka_unit_test (test_stuck_without_more_output),
        cmocka_unit_test (test_drained_queue_not_stuck),
        cmocka_unit_test (test_idle_close),
        cmocka_unit_test (test_empty_line_is_activity),
        cmocka_unit_test (test_idle_warning),
        cmocka_unit_test (test_quit_flushes_then_fin),
        cmocka_unit_test (test_peer_eof),
        cmocka_unit_test (test_close_all_and_destroy),
        cmocka_unit_test (test_held_input_bounded),
        cmocka_unit_test (test_quit_while_held),
        cmocka_unit_test (test_eof_waits_for_owner),
        cmocka_unit_test (test_reason_texts),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
