/*  =========================================================================
    test_loadgen.c - unit tests of the load generator's accounting

    The benchmark's verdicts (lost, duplicated, out-of-order, misrouted,
    latency percentiles, context switches and system calls per message) are
    only as good as marker.c, track.c, histogram.c, procstat.c and
    syscount.c, and the login logic of dialect.c; these tests pin them
    down, edge cases first. Run by `make test` (bench/bench.mk).
    =========================================================================
*/
#include "../loadgen/loadgen.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#define TEST_BUFFER             256
#define TEST_NS                 123456789012ULL

static void
test_marker_round_trip (void **state)
{
    (void) state;
    marker_t marker = { .type = MARKER_MESSAGE, .room = 7, .sender = 4242, .seq = 99,
                        .sent_ns = TEST_NS };
    char buffer [TEST_BUFFER];
    int length = marker_format (buffer, sizeof (buffer), &marker);
    assert_int_equal (length, (int) strlen ("ZBM7.4242.99.123456789012."));
    //  Found anywhere in a line, whatever the server put before and after
    char line [TEST_BUFFER * 2];
    snprintf (line, sizeof (line), "[r7] guest-12: %sxxxxZB", buffer);
    marker_t found;
    assert_int_equal (marker_find (line, strlen (line), &found), 0);
    assert_int_equal (found.type, MARKER_MESSAGE);
    assert_int_equal (found.room, 7);
    assert_int_equal (found.sender, 4242);
    assert_int_equal (found.seq, 99);
    assert_true (found.sent_ns == TEST_NS);
    //  Too small a buffer
    assert_int_equal (marker_format (buffer, 10, &marker), -1);
}

static void
test_marker_rejects (void **state)
{
    (void) state;
    marker_t found;
    const char *bad [] = {
        "", "ZB", "ZBM", "ZBX1.2.3.4.", "ZBM1.2.3.4", "ZBM1.2.3.", "ZBM1..3.4.",
        "ZBMa.2.3.4.", "ZBM1.2.3.123456789012345678901.", "ZBM4294967296.1.1.1."
    };
    for (size_t index = 0; index < sizeof (bad) / sizeof (bad [0]); index++)
        assert_int_equal (marker_find (bad [index], strlen (bad [index]), &found), -1);
    //  A broken marker before a good one: the good one is found
    const char *line = "ZBM1.2 ZBP3.4.0.5.";
    assert_int_equal (marker_find (line, strlen (line), &found), 0);
    assert_int_equal (found.type, MARKER_PROBE);
    assert_int_equal (found.room, 3);
    //  The length bounds the search: a marker cut by it is not found
    line = "ZBM1.2.3.4.";
    assert_int_equal (marker_find (line, strlen (line) - 1, &found), -1);
}

static void
test_track_counts (void **state)
{
    (void) state;
    track_t track = { 0 };
    assert_int_equal (track_record (&track, 0), TRACK_INVALID);
    assert_int_equal (track_record (&track, 1), TRACK_NEW);
    assert_int_equal (track_record (&track, 3), TRACK_NEW);
    assert_int_equal (track_record (&track, 2), TRACK_LATE);
    assert_int_equal (track_record (&track, 2), TRACK_DUPLICATE);
    assert_int_equal (track_record (&track, 3), TRACK_DUPLICATE);
    //  Far beyond the first allocation: the bitmap grows
    assert_int_equal (track_record (&track, 100000), TRACK_NEW);
    assert_int_equal (track_record (&track, 64), TRACK_LATE);
    assert_int_equal (track_record (&track, 65), TRACK_LATE);
    assert_int_equal (track_record (&track, 100000), TRACK_DUPLICATE);
    assert_int_equal (track.unique, 6);
    assert_int_equal (track.max_seq, 100000);
    track_reset (&track);
    assert_null (track.bits);
    assert_int_equal (track.unique, 0);
    track_reset (&track);       //  twice is harmless
}

static void
test_histogram_percentiles (void **state)
{
    (void) state;
    histogram_t *histogram = histogram_new ();
    assert_non_null (histogram);
    assert_int_equal (histogram_percentile (histogram, 50), 0);
    assert_int_equal (histogram_max (histogram), 0);
    //  1..1000 us: percentiles within the 1/64 bucket resolution
    for (uint64_t value = 1; value <= 1000; value++)
        histogram_record (histogram, value * LOADGEN_NS_PER_US);
    assert_int_equal (histogram_count (histogram), 1000);
    assert_int_equal (histogram_max (histogram), 1000 * LOADGEN_NS_PER_US);
    assert_int_equal (histogram_mean (histogram), 500500);
    uint64_t p50 = histogram_percentile (histogram, 50);
    uint64_t p99 = histogram_percentile (histogram, 99);
    assert_true (p50 >= 500 * LOADGEN_NS_PER_US && p50 <= 500 * LOADGEN_NS_PER_US * 65 / 64);
    assert_true (p99 >= 990 * LOADGEN_NS_PER_US && p99 <= 1000 * LOADGEN_NS_PER_US);
    assert_int_equal (histogram_percentile (histogram, 100), 1000 * LOADGEN_NS_PER_US);
    //  Small values are exact, huge ones do not overflow the buckets
    histogram_record (histogram, 0);
    histogram_record (histogram, UINT64_MAX / 2);
    assert_true (histogram_max (histogram) == UINT64_MAX / 2);
    assert_int_equal (histogram_percentile (histogram, 0), 0);
    histogram_destroy (&histogram);
    assert_null (histogram);
    histogram_destroy (&histogram);
}

static void
test_dialect_zchat (void **state)
{
    (void) state;
    char nick [DIALECT_NICK_MAX] = "";
    char reply [TEST_BUFFER];
    char buffer [TEST_BUFFER];
    assert_int_equal (dialect_hello (DIALECT_ZCHAT, 5, nick, buffer, sizeof (buffer)), 0);
    //  Our join before the welcome names us is not recognised
    const char *line = "* guest-17 joined #r3";
    assert_int_equal (dialect_classify (DIALECT_ZCHAT, line, strlen (line), nick, 3, reply,
                                        sizeof (reply)), DIALECT_LINE_OTHER);
    line = "* Welcome to zchat, guest-17! You are in #general.";
    assert_int_equal (dialect_classify (DIALECT_ZCHAT, line, strlen (line), nick, 3, reply,
                                        sizeof (reply)), DIALECT_LINE_WELCOME);
    assert_string_equal (nick, "guest-17");
    //  The first line comes after the gateway's telnet offer
    static const char offered [] = "\xff\xfb\x00\xff\xfd\x00* Welcome to zchat, guest-18! You";
    nick [0] = 0;
    assert_int_equal (dialect_classify (DIALECT_ZCHAT, offered, sizeof (offered) - 1, nick, 3,
                                        reply, sizeof (reply)), DIALECT_LINE_WELCOME);
    assert_string_equal (nick, "guest-18");
    strcpy (nick, "guest-17");
    line = "* guest-17 joined #r3";
    assert_int_equal (dialect_classify (DIALECT_ZCHAT, line, strlen (line), nick, 3, reply,
                                        sizeof (reply)), DIALECT_LINE_JOINED);
    //  Someone else's join, or ours to another room, is not ours
    line = "* guest-170 joined #r3";
    assert_int_equal (dialect_classify (DIALECT_ZCHAT, line, strlen (line), nick, 3, reply,
                                        sizeof (reply)), DIALECT_LINE_OTHER);
    line = "* guest-17 joined #r33";
    assert_int_equal (dialect_classify (DIALECT_ZCHAT, line, strlen (line), nick, 3, reply,
                                        sizeof (reply)), DIALECT_LINE_OTHER);
    line = "! nickname taken: bob";
    assert_int_equal (dialect_classify (DIALECT_ZCHAT, line, strlen (line), nick, 3, reply,
                                        sizeof (reply)), DIALECT_LINE_ERROR);
    int size = dialect_join (DIALECT_ZCHAT, 3, buffer, sizeof (buffer));
    assert_int_equal (size, (int) strlen ("/join r3\n"));
    assert_memory_equal (buffer, "/join r3\n", (size_t) size);
    size = dialect_say (DIALECT_ZCHAT, 3, "hi", 2, buffer, sizeof (buffer));
    assert_memory_equal (buffer, "hi\n", (size_t) size);
}

static void
test_dialect_irc (void **state)
{
    (void) state;
    char nick [DIALECT_NICK_MAX];
    char reply [TEST_BUFFER];
    char buffer [TEST_BUFFER];
    int size = dialect_hello (DIALECT_IRC, 12, nick, buffer, sizeof (buffer));
    assert_string_equal (nick, "u12");
    assert_memory_equal (buffer, "NICK u12\r\nUSER u12 0 * :zchat bench\r\n", (size_t) size);
    const char *line = ":bench.zchat.invalid 001 u12 :Welcome to the Internet Relay Network";
    assert_int_equal (dialect_classify (DIALECT_IRC, line, strlen (line), nick, 4, reply,
                                        sizeof (reply)), DIALECT_LINE_WELCOME);
    line = ":bench.zchat.invalid 422 u12 :MOTD File is missing";
    assert_int_equal (dialect_classify (DIALECT_IRC, line, strlen (line), nick, 4, reply,
                                        sizeof (reply)), DIALECT_LINE_OTHER);
    line = ":bench.zchat.invalid 433 * u12 :Nickname already in use";
    assert_int_equal (dialect_classify (DIALECT_IRC, line, strlen (line), nick, 4, reply,
                                        sizeof (reply)), DIALECT_LINE_ERROR);
    line = ":u12!~u12@127.0.0.1 JOIN :#r4";
    assert_int_equal (dialect_classify (DIALECT_IRC, line, strlen (line), nick, 4, reply,
                                        sizeof (reply)), DIALECT_LINE_JOINED);
    line = ":u120!~u120@127.0.0.1 JOIN :#r4";
    assert_int_equal (dialect_classify (DIALECT_IRC, line, strlen (line), nick, 4, reply,
                                        sizeof (reply)), DIALECT_LINE_OTHER);
    line = "PING :bench.zchat.invalid";
    assert_int_equal (dialect_classify (DIALECT_IRC, line, strlen (line), nick, 4, reply,
                                        sizeof (reply)), DIALECT_LINE_PING);
    assert_string_equal (reply, "PONG :bench.zchat.invalid\r\n");
    size = dialect_say (DIALECT_IRC, 4, "hi", 2, buffer, sizeof (buffer));
    assert_memory_equal (buffer, "PRIVMSG #r4 :hi\r\n", (size_t) size);
    //  A line that does not fit is refused, not truncated
    assert_int_equal (dialect_say (DIALECT_IRC, 4, "hi", 2, buffer, 8), -1);
    //  InspIRCd's forms: no ident, so no "~" before the user name
    line = ":u12!u12@127.0.0.1 JOIN :#r4";
    assert_int_equal (dialect_classify (DIALECT_IRC, line, strlen (line), nick, 4, reply,
                                        sizeof (reply)), DIALECT_LINE_JOINED);
    line = ":bench.zchat.invalid 422 u12 :There is no message of the day.";
    assert_int_equal (dialect_classify (DIALECT_IRC, line, strlen (line), nick, 4, reply,
                                        sizeof (reply)), DIALECT_LINE_OTHER);
    line = "ERROR :Closing link: (u12@127.0.0.1) [Excess Flood]";
    assert_int_equal (dialect_classify (DIALECT_IRC, line, strlen (line), nick, 4, reply,
                                        sizeof (reply)), DIALECT_LINE_ERROR);
    dialect_t dialect;
    assert_int_equal (dialect_parse ("irc", &dialect), 0);
    assert_int_equal (dialect, DIALECT_IRC);
    assert_int_equal (dialect_parse ("xmpp", &dialect), -1);
}

#define TEST_SLEEPS             3
#define TEST_SLEEP_US           1000
#define TEST_CALLS              1000

//  Sleeping gives the CPU away: each sleep is a voluntary context switch
//  of this (the main) thread, which procstat finds under /proc/PID/task.
static void
test_procstat_switches (void **state)
{
    (void) state;
    pid_t self = getpid ();
    procstat_t before, after;
    procstat_sample (&self, 1, &before);
    for (int sleep = 0; sleep < TEST_SLEEPS; sleep++)
        usleep (TEST_SLEEP_US);
    procstat_sample (&self, 1, &after);
    assert_int_equal (after.alive, 1);
    assert_true (after.threads [0] >= 1);
    assert_true (after.switches_total >= before.switches_total + TEST_SLEEPS);
    //  A pid that is not there reads as nothing, not as an error
    pid_t gone = -1;
    procstat_sample (&gone, 1, &after);
    assert_int_equal (after.alive, 0);
    assert_true (after.switches_total == 0);
}

//  The counter sees at least the calls made between two reads (the reads
//  themselves add a few). Where the kernel refuses perf events the
//  constructor says why instead.
static void
test_syscount (void **state)
{
    (void) state;
    pid_t self = getpid ();
    char why [TEST_BUFFER] = "";
    syscount_t *counter = syscount_new (&self, 1, why, sizeof (why));
    if (!counter) {
        assert_true (why [0] != 0);
        print_message ("syscount unavailable here: %s\n", why);
        return;
    }
    assert_int_equal (syscount_threads (counter), 1);
    uint64_t before = 0, after = 0;
    syscount_read (counter, &before);
    for (int call = 0; call < TEST_CALLS; call++)
        getppid ();
    assert_true (syscount_read (counter, &after) == after);
    assert_true (after - before >= TEST_CALLS);
    assert_true (after - before < TEST_CALLS * 2);
    syscount_destroy (&counter);
    assert_null (counter);
    syscount_destroy (&counter);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_marker_round_trip),
        cmocka_unit_test (test_marker_rejects),
        cmocka_unit_test (test_track_counts),
        cmocka_unit_test (test_histogram_percentiles),
        cmocka_unit_test (test_dialect_zchat),
        cmocka_unit_test (test_dialect_irc),
        cmocka_unit_test (test_procstat_switches),
        cmocka_unit_test (test_syscount),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
