/*  =========================================================================
    19_one_shot.c - printf '/who\n' | nc -N host port gets its answer

    A client that sends a request and closes its side at once (nc -N
    shuts down its write side at the end of its input, then reads until
    the server closes) used to lose the answer: the gateway closed it as
    soon as it saw the FIN, before its login was even done, and the
    request and its reply went with it. Now, after a client's FIN, the
    gateway finishes the input it already had and waits for the replies
    it is owed (within --drain-linger), then closes. 50 such clients,
    all at once: every one gets "* #general (N): ..." and then EOF.
    =========================================================================
*/
#include "harness.h"
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define ONESHOT_CLIENTS     50
#define ONESHOT_END_MS      15000
#define ONESHOT_WHO         "* #general ("

static void
test_one_shot_who (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateways [1];
    assert_non_null (harness_start_system (harness, NULL, gateways, 1, NULL));
    harness_client_t *clients [ONESHOT_CLIENTS];
    for (size_t index = 0; index < ONESHOT_CLIENTS; index++) {
        clients [index] = harness_connect (harness, gateways [0]);
        assert_non_null (clients [index]);
        assert_int_equal (harness_send (clients [index], "/who"), 0);
        assert_int_equal (shutdown (harness_client_fd (clients [index]), SHUT_WR), 0);
    }
    size_t answered = 0, closed = 0;
    for (size_t index = 0; index < ONESHOT_CLIENTS; index++) {
        closed += harness_read_to_end (clients [index], ONESHOT_END_MS) == HARNESS_EOF;
        answered += harness_received_prefix (clients [index], ONESHOT_WHO) == 1;
    }
    fprintf (stderr, "one shot: %zu of %d clients got their /who answer, %zu closed cleanly\n",
             answered, ONESHOT_CLIENTS, closed);
    assert_int_equal (answered, ONESHOT_CLIENTS);
    assert_int_equal (closed, ONESHOT_CLIENTS);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_one_shot_who, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
