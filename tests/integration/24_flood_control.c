/*  =========================================================================
    24_flood_control.c - a flooder is slowed, loses nothing, slows nobody

    Flooder beside humans: one client writes numbered lines into a room as
    fast as its socket takes them for a few seconds, while two humans in
    the room exchange a line every 100 ms. With flood control on, the
    humans' lines all arrive, quickly (p99 under a generous bound), no
    human is told of lag, the gateway's memory stays bounded, the flooder
    is told once to slow down, and every line it wrote reaches both
    humans exactly once, in order. The same run with --rate-lines 0 is
    measured too (figures on stderr): that is the old skip-and-tell.

    Command flood: thousands of /join of new rooms and a /nick churn, at
    the default rate: the router's room count and the renames stay within
    what the rate allows.
    =========================================================================
*/
#include "harness.h"
#include <cmocka.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define FLOOD_RATE          "100"   //  lines/s in the flooder test: above the
#define FLOOD_BURST         "100"   //  humans' 5 lines/s each, and the backlog
                                    //  the kernel holds drains in seconds
#define FLOOD_SEND_MS       3000    //  the flooder writes this long
#define FLOOD_HUMAN_MS      100     //  a human line this often (alternating)
#define FLOOD_DEADLINE_MS   120000  //  whole test, generous under sanitizers
#define FLOOD_POLL_MS       10
#define FLOOD_LINE_SIZE     300     //  bytes per flood line including CRLF
#define FLOOD_LINES_MAX     2000000 //  lines the flooder could ever write
#define FLOOD_SNDBUF        16384   //  the flooder's own kernel buffer, small
#define FLOOD_TEXT_SIZE     512
#define FLOOD_HUMANS        2
#define FLOOD_HUMAN_LINES_MAX 4096
#define FLOOD_P99_MS        1000    //  generous: ~ms when idle
#define FLOOD_PERCENT       100
#define FLOOD_P99           99
#define FLOOD_RSS_GROWTH_KB (16 * 1024)
#define FLOOD_RSS_GROWTH_SANITIZED_KB (64 * 1024)
#define FLOOD_QUIET_MS      1000    //  humans go on this long after the last flood line
#define FLOOD_STALL_MS      3000    //  no flood line this long: the rest was skipped
#define FLOOD_ROOM          "flood"
#define FLOOD_PREFIX        "[flood] flooder: flood "
#define FLOOD_HUMAN_TEXT    "human "
#define FLOOD_SLOW          "! slow down: "
#define FLOOD_LAGGED        "! lagged: "

#define COMMAND_JOINS       5000    //  /join of new rooms written at once
#define COMMAND_NICKS       1000    //  /nick written at once
#define COMMAND_WAIT_MS     3000    //  then the counts are taken after this
#define COMMAND_RATE        2       //  the defaults (settings.c)
#define COMMAND_BURST       20
#define COMMAND_SLACK       5       //  lines in flight or timer rounding
#define COMMAND_MS_PER_S    1000
#define COMMAND_LINE_SIZE   32
#define COMMAND_JOINED      " joined #x"
#define LEAVE_WAIT_MS       10000   //  the linger (2 s) and then some

static const char *s_on_flags [] = {
    "--rate-lines", FLOOD_RATE, "--rate-burst", FLOOD_BURST, NULL
};
static const char *s_off_flags [] = { "--rate-lines", "0", NULL };

//  Flood line index, padded to FLOOD_LINE_SIZE with CRLF.
static void
s_flood_line (char *buffer, long index)
{
    int size = snprintf (buffer, FLOOD_LINE_SIZE + 1, "flood %07ld ", index);
    memset (buffer + size, 'f', FLOOD_LINE_SIZE - 2 - (size_t) size);
    memcpy (buffer + FLOOD_LINE_SIZE - 2, "\r\n", 2);
}

//  What one human saw: the next flood number expected, flood lines out
//  of order or repeated, the latencies of human lines, notices.
typedef struct {
    harness_client_t *client;
    size_t scanned;
    long next_flood;
    long flood_wrong;           //  repeated or out of order
    long flood_skipped;         //  gaps (lines the gateway skipped, told of)
    long latencies [FLOOD_HUMAN_LINES_MAX];
    size_t human_lines;
    long lagged;
} s_human_t;

static void
s_human_scan (s_human_t *human)
{
    while (human->scanned < harness_line_count (human->client)) {
        const char *line = harness_line_at (human->client, human->scanned++);
        const char *text;
        if (strncmp (line, FLOOD_PREFIX, strlen (FLOOD_PREFIX)) == 0) {
            long number = strtol (line + strlen (FLOOD_PREFIX), NULL, 10);
            if (number == human->next_flood)
                human->next_flood++;
            else
            if (number > human->next_flood) {
                human->flood_skipped += number - human->next_flood;
                human->next_flood = number + 1;
            }
            else
                human->flood_wrong++;
        }
        else
        if ((text = strstr (line, ": " FLOOD_HUMAN_TEXT)) != NULL) {
            //  "human SENT_MS": latency from our clock (the same machine)
            long sent = strtol (text + strlen (": " FLOOD_HUMAN_TEXT), NULL, 10);
            if (human->human_lines < FLOOD_HUMAN_LINES_MAX)
                human->latencies [human->human_lines++] = (long) harness_now () - sent;
        }
        else
        if (strncmp (line, FLOOD_LAGGED, strlen (FLOOD_LAGGED)) == 0)
            human->lagged++;
    }
}

static int
s_compare_long (const void *a, const void *b)
{
    long x = *(const long *) a, y = *(const long *) b;
    return (x > y) - (x < y);
}

typedef struct {
    long flood_sent;            //  whole lines the flooder wrote
    long delivered [FLOOD_HUMANS];  //  flood lines in order at each human
    long wrong [FLOOD_HUMANS];      //  repeated or out of order
    long skipped [FLOOD_HUMANS];    //  missing
    long human_sent;
    long human_received [FLOOD_HUMANS];
    long p99_ms;
    long lagged;
    long slow_notices;
    long rss_growth_kb;
    bool sanitized;
} s_figures_t;

//  The flooder writes for FLOOD_SEND_MS, while humans send a line every
//  FLOOD_HUMAN_MS until both have every flood line (or the deadline).
static void
s_flood_beside_humans (harness_t *harness, const char **flags, s_figures_t *figures)
{
    harness_proc_t *gateway;
    assert_non_null (harness_start_system (harness, NULL, &gateway, 1, flags));
    harness_client_t *flooder = harness_login (harness, gateway);
    assert_non_null (flooder);
    assert_true (harness_set_nick (flooder, "flooder"));
    assert_true (harness_join (flooder, FLOOD_ROOM));
    s_human_t humans [FLOOD_HUMANS];
    harness_client_t *clients [FLOOD_HUMANS];
    for (size_t index = 0; index < FLOOD_HUMANS; index++) {
        memset (&humans [index], 0, sizeof (s_human_t));
        humans [index].client = clients [index] = harness_login (harness, gateway);
        assert_non_null (clients [index]);
        assert_true (harness_join (clients [index], FLOOD_ROOM));
    }
    assert_true (harness_marker (flooder, FLOOD_ROOM, clients, FLOOD_HUMANS));
    for (size_t index = 0; index < FLOOD_HUMANS; index++)
        humans [index].scanned = harness_line_count (clients [index]);
    int sndbuf = FLOOD_SNDBUF;
    setsockopt (harness_client_fd (flooder), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    long rss_before = harness_proc_rss_kb (gateway), rss_peak = rss_before;
    assert_true (rss_before > 0);

    char line [FLOOD_LINE_SIZE + 1];
    long written = 0;               //  whole lines
    size_t partial = 0;             //  bytes of line written
    int64_t start = harness_now ();
    int64_t deadline = start + FLOOD_DEADLINE_MS;
    int64_t next_human = start, all_since = 0, flood_seen_at = start;
    long flood_seen = 0;
    long human_sent = 0;
    s_flood_line (line, 0);
    while (harness_now () < deadline) {
        int64_t now = harness_now ();
        //  Write until the time is up, and finish a line begun
        bool flooding = (now - start < FLOOD_SEND_MS || partial > 0) && written < FLOOD_LINES_MAX;
        struct pollfd items [1 + FLOOD_HUMANS] = {
            { harness_client_fd (flooder), (short) (POLLIN | (flooding ? POLLOUT : 0)), 0 },
        };
        for (size_t index = 0; index < FLOOD_HUMANS; index++)
            items [1 + index] = (struct pollfd) { harness_client_fd (clients [index]), POLLIN, 0 };
        poll (items, 1 + FLOOD_HUMANS, FLOOD_POLL_MS);
        if (flooding && (items [0].revents & POLLOUT)) {
            ssize_t size;
            while ((size = harness_write_some (flooder, line + partial,
                                               FLOOD_LINE_SIZE - partial)) > 0) {
                partial += (size_t) size;
                if (partial < FLOOD_LINE_SIZE)
                    break;
                partial = 0;
                s_flood_line (line, ++written);
                if (harness_now () - start >= FLOOD_SEND_MS)
                    break;
            }
            assert_true (size >= 0);
        }
        harness_read_some (flooder, 0);
        for (size_t index = 0; index < FLOOD_HUMANS; index++) {
            harness_read_some (clients [index], 0);
            s_human_scan (&humans [index]);
        }
        now = harness_now ();
        if (now >= next_human) {
            harness_client_t *speaker = clients [human_sent % FLOOD_HUMANS];
            assert_int_equal (harness_send (speaker, FLOOD_HUMAN_TEXT "%ld", (long) now), 0);
            human_sent++;
            next_human += FLOOD_HUMAN_MS;
        }
        long rss = harness_proc_rss_kb (gateway);
        if (rss > rss_peak)
            rss_peak = rss;
        //  Done when the flood is over and both humans have all of it (or,
        //  without flood control, no flood line came for a while: the
        //  last ones were skipped), and the humans talked on a while after
        long seen = humans [0].next_flood + humans [1].next_flood;
        if (seen != flood_seen) {
            flood_seen = seen;
            flood_seen_at = now;
        }
        bool all = !flooding;
        for (size_t index = 0; index < FLOOD_HUMANS; index++)
            all = all && (humans [index].next_flood >= written
                      ||  now - flood_seen_at >= FLOOD_STALL_MS);
        if (all && all_since == 0)
            all_since = now;
        if (!all)
            all_since = 0;
        if (all_since && now - all_since >= FLOOD_QUIET_MS)
            break;
    }
    //  The humans' last lines have their chance to arrive
    assert_true (harness_marker (flooder, FLOOD_ROOM, clients, FLOOD_HUMANS));
    long all_latencies [FLOOD_HUMANS * FLOOD_HUMAN_LINES_MAX];
    size_t count = 0;
    figures->flood_sent = written;
    figures->human_sent = human_sent;
    figures->lagged = 0;
    for (size_t index = 0; index < FLOOD_HUMANS; index++) {
        s_human_scan (&humans [index]);
        figures->delivered [index] = humans [index].next_flood - humans [index].flood_skipped;
        figures->skipped [index] = humans [index].flood_skipped;
        figures->wrong [index] = humans [index].flood_wrong;
        figures->human_received [index] = (long) humans [index].human_lines;
        figures->lagged += humans [index].lagged;
        memcpy (all_latencies + count, humans [index].latencies,
                humans [index].human_lines * sizeof (long));
        count += humans [index].human_lines;
    }
    qsort (all_latencies, count, sizeof (long), s_compare_long);
    figures->p99_ms = count ? all_latencies [(count - 1) * FLOOD_P99 / FLOOD_PERCENT] : -1;
    figures->slow_notices = harness_received_prefix (flooder, FLOOD_SLOW);
    figures->rss_growth_kb = rss_peak - rss_before;
    figures->sanitized = harness_proc_sanitized (gateway);
    fprintf (stderr, "flood control %s: flooder wrote %ld lines; humans got %ld and %ld of "
             "them in order (%ld, %ld skipped; %ld, %ld repeated or out of order), %ld and %ld of %ld human lines (each "
             "gets the other's), p99 latency %ld ms; %ld lag notices; flooder told to slow "
             "down %ld times; gateway rss +%ld KiB\n",
             flags == s_on_flags ? "on (" FLOOD_RATE " lines/s, burst " FLOOD_BURST ")": "off",
             written, figures->delivered [0], figures->delivered [1], figures->skipped [0],
             figures->skipped [1], figures->wrong [0],
             figures->wrong [1], figures->human_received [0], figures->human_received [1],
             human_sent, figures->p99_ms, figures->lagged, figures->slow_notices,
             figures->rss_growth_kb);
}

static void
test_flooder_beside_humans (void **state)
{
    s_figures_t figures;
    s_flood_beside_humans (*state, s_on_flags, &figures);
    //  Every flood line, exactly once and in order, at both humans
    for (size_t index = 0; index < FLOOD_HUMANS; index++) {
        assert_int_equal (figures.delivered [index], figures.flood_sent);
        assert_int_equal (figures.wrong [index], 0);
        assert_int_equal (figures.skipped [index], 0);
        //  Every human line reaches the other human (a speaker does not
        //  get its own); they take turns, the first human first
        long spoken_by_other = index == 0 ? figures.human_sent / FLOOD_HUMANS
                                          : (figures.human_sent + 1) / FLOOD_HUMANS;
        assert_int_equal (figures.human_received [index], spoken_by_other);
    }
    assert_true (figures.flood_sent > 0);
    assert_int_equal (figures.lagged, 0);
    assert_int_equal (figures.slow_notices, 1);
    assert_true (figures.p99_ms >= 0 && figures.p99_ms < FLOOD_P99_MS);
    assert_true (figures.rss_growth_kb < (figures.sanitized
                 ? FLOOD_RSS_GROWTH_SANITIZED_KB: FLOOD_RSS_GROWTH_KB));
}

//  The same without flood control, for the figures: the flooder is not
//  slowed, so the humans (ordinary readers) may be told of lag. What is
//  asserted is the old promise: nobody is told to slow down, and lines
//  that arrive arrive once and in order.
static void
test_flooder_unthrottled (void **state)
{
    s_figures_t figures;
    s_flood_beside_humans (*state, s_off_flags, &figures);
    assert_int_equal (figures.slow_notices, 0);
    assert_true (figures.flood_sent > 0);
    for (size_t index = 0; index < FLOOD_HUMANS; index++)
        assert_int_equal (figures.wrong [index], 0);
}

//  The lines written at once to client: "/verb PREFIXN" for count.
static void
s_write_commands (harness_client_t *client, const char *verb, long count)
{
    char *text = malloc ((size_t) count * COMMAND_LINE_SIZE);
    assert_non_null (text);
    size_t size = 0;
    for (long index = 0; index < count; index++)
        size += (size_t) snprintf (text + size, COMMAND_LINE_SIZE, "/%s x%ld\r\n", verb, index);
    //  Blocks only if the kernel will not take it all (then it waits for
    //  the gateway, which reads at the rate): write what fits
    size_t sent = 0;
    int64_t deadline = harness_now () + COMMAND_WAIT_MS;
    while (sent < size && harness_now () < deadline) {
        ssize_t some = harness_write_some (client, text + sent, size - sent);
        assert_true (some >= 0);
        sent += (size_t) some;
        if (some == 0)
            harness_read_some (client, FLOOD_POLL_MS);
    }
    free (text);
}

//  The highest N of "* NICK joined #xN" client received, or -1.
static long
s_last_join (harness_client_t *client)
{
    long last = -1;
    for (size_t index = 0; index < harness_line_count (client); index++) {
        const char *joined = strstr (harness_line_at (client, index), COMMAND_JOINED);
        if (joined) {
            long number = strtol (joined + strlen (COMMAND_JOINED), NULL, 10);
            if (number > last)
                last = number;
        }
    }
    return last;
}

static void
test_command_flood (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateway;
    harness_proc_t *router = harness_start_system (harness, NULL, &gateway, 1, NULL);
    assert_non_null (router);
    harness_client_t *joiner = harness_login (harness, gateway);
    harness_client_t *renamer = harness_login (harness, gateway);
    harness_client_t *human = harness_login (harness, gateway);
    harness_client_t *listener = harness_login (harness, gateway);
    assert_non_null (joiner);
    assert_non_null (renamer);
    assert_non_null (human);
    assert_non_null (listener);
    int64_t start = harness_now ();
    s_write_commands (joiner, "join", COMMAND_JOINS);
    s_write_commands (renamer, "nick", COMMAND_NICKS);
    while (harness_now () - start < COMMAND_WAIT_MS) {
        harness_read_some (joiner, FLOOD_POLL_MS);
        harness_read_some (renamer, 0);
    }
    //  A session is in one room at a time, so each /join creates a room
    //  and empties the last: what is bounded is how many the router made.
    //  The join line of a room already left may not come: the last one
    //  that did tells how far the joiner got
    long rooms = harness_status_number (harness, router, "rooms");
    int64_t elapsed = harness_now () - start;
    long allowed = COMMAND_BURST + COMMAND_RATE * (long) elapsed / COMMAND_MS_PER_S + COMMAND_SLACK;
    long joins = s_last_join (joiner) + 1;
    long renames = harness_received_count (renamer, " is now known as ");
    fprintf (stderr, "command flood: after %ld ms, %ld rooms created of %d /join written "
             "(%ld rooms now), %ld renames of %d /nick, %ld allowed by the rate\n",
             (long) elapsed, joins, COMMAND_JOINS, rooms, renames, COMMAND_NICKS, allowed);
    assert_true (joins > 0 && joins <= allowed);
    assert_true (renames > 0 && renames <= allowed);
    assert_int_equal (harness_received_prefix (joiner, FLOOD_SLOW), 1);
    assert_int_equal (harness_received_prefix (renamer, FLOOD_SLOW), 1);
    //  Nobody else is slowed: a human still talks at once
    assert_true (harness_marker (human, "general", &listener, 1));
    harness_client_reset (joiner);
    harness_client_reset (renamer);
}

//  A throttled client that queued thousands of lines and then closed its
//  side is not read, yet its FIN is seen: it is closed within the linger
//  time, not after the hours its lines would take at the rate, and the
//  room sees it leave.
static void
test_flooder_leaves (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateway;
    assert_non_null (harness_start_system (harness, NULL, &gateway, 1, NULL));
    harness_client_t *flooder = harness_login (harness, gateway);
    harness_client_t *human = harness_login (harness, gateway);
    assert_non_null (flooder);
    assert_non_null (human);
    assert_true (harness_set_nick (flooder, "flooder"));
    s_write_commands (flooder, "me", COMMAND_JOINS);
    assert_non_null (harness_expect_sub (flooder, FLOOD_SLOW, HARNESS_TIMEOUT_MS));
    shutdown (harness_client_fd (flooder), SHUT_WR);
    int64_t start = harness_now ();
    harness_end_t end = harness_read_to_end (flooder, LEAVE_WAIT_MS);
    fprintf (stderr, "flooder leaves: %s after %ld ms, %d of %d lines delivered\n",
             end == HARNESS_OPEN ? "still open" : "closed", (long) (harness_now () - start),
             harness_received_count (human, "flooder x"), COMMAND_JOINS);
    assert_true (end != HARNESS_OPEN);
    assert_non_null (harness_expect (human, "* flooder left #general (disconnected)",
                                     HARNESS_TIMEOUT_MS));
    assert_true (harness_received_count (human, "flooder x") < COMMAND_JOINS);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_flooder_beside_humans, harness_setup,
                                         harness_teardown),
        cmocka_unit_test_setup_teardown (test_flooder_unthrottled, harness_setup,
                                         harness_teardown),
        cmocka_unit_test_setup_teardown (test_command_flood, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_flooder_leaves, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
