/*  =========================================================================
    main.c - zchat-ctl: ask a running router for its status, or to drain

    zchat-ctl [--control EP] [--timeout MS] status|shutdown

    Sends one request on a DEALER connected to the router's control
    socket, waits up to --timeout for the two-frame reply, prints its body
    on stdout. Exit 0 on OK; 1 on ERROR, timeout or a bad reply; 2 on bad
    arguments.
    =========================================================================
*/
#include "chat.h"
#include "config.h"
#include "wire.h"

#define CTL_TIMEOUT_MS          3000
#define CTL_EXIT_FAILED         1
#define CTL_EXIT_USAGE          2
#define CTL_REPLY_FRAMES        2       //  status, body

//  Map a command word to its control verb, or NULL.
static const char *
s_verb (const char *command)
{
    if (streq (command, "status"))
        return WIRE_CTL_STATUS;
    if (streq (command, "shutdown"))
        return WIRE_CTL_SHUTDOWN;
    return NULL;
}

//  Send verb to endpoint, wait for the reply; returns the exit code.
static int
s_request (const char *endpoint, const char *verb, int64_t timeout_ms)
{
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    assert (dealer);
    zsock_set_linger (dealer, 0);
    zsock_set_sndtimeo (dealer, (int) timeout_ms);
    if (zsock_connect (dealer, "%s", endpoint) == -1) {
        fprintf (stderr, "zchat-ctl: bad endpoint %s\n", endpoint);
        zsock_destroy (&dealer);
        return CTL_EXIT_FAILED;
    }
    int rc = CTL_EXIT_FAILED;
    zpoller_t *poller = zpoller_new (dealer, NULL);
    assert (poller);
    if (zstr_send (dealer, verb) == -1)
        fprintf (stderr, "zchat-ctl: cannot send to %s\n", endpoint);
    else
    if (zpoller_wait (poller, (int) timeout_ms) != dealer)
        fprintf (stderr, "zchat-ctl: no reply from %s within %" PRId64 " ms\n",
                 endpoint, timeout_ms);
    else {
        zmsg_t *reply = zmsg_recv (dealer);
        char *status = reply? zmsg_popstr (reply): NULL;
        char *body = reply? zmsg_popstr (reply): NULL;
        if (!status || !body || zmsg_size (reply) != 0)
            fprintf (stderr, "zchat-ctl: malformed reply from %s\n", endpoint);
        else {
            size_t size = strlen (body);
            FILE *out = streq (status, WIRE_CTL_OK)? stdout: stderr;
            fputs (body, out);
            if (size && body [size - 1] != '\n')
                fputc ('\n', out);
            if (streq (status, WIRE_CTL_OK))
                rc = 0;
        }
        zstr_free (&status);
        zstr_free (&body);
        zmsg_destroy (&reply);
    }
    zpoller_destroy (&poller);
    zsock_destroy (&dealer);
    return rc;
}

int
main (int argc, char **argv)
{
    const char *control = CHAT_DEFAULT_CONTROL;
    int64_t timeout_ms = CTL_TIMEOUT_MS;
    config_option_t options [] = {
        { "control", "ZCHAT_CONTROL", CONFIG_STRING, &control,
          "EP", "router control endpoint" },
        { "timeout", "ZCHAT_CTL_TIMEOUT", CONFIG_INT, &timeout_ms,
          "MS", "milliseconds to wait for the reply" },
    };
    zlist_t *positional = zlist_new ();
    assert (positional);
    config_result_t result = config_parse (options, sizeof (options) / sizeof (options [0]),
                                           argc, argv,
                                           "usage: zchat-ctl [options] status|shutdown",
                                           positional);
    const char *verb = NULL;
    if (result == CONFIG_OK) {
        if (zlist_size (positional) == 1)
            verb = s_verb ((const char *) zlist_first (positional));
        if (!verb) {
            fprintf (stderr, "zchat-ctl: expected one command: status or shutdown\n");
            result = CONFIG_FAILED;
        }
    }
    zlist_destroy (&positional);
    if (result == CONFIG_HELP)
        return 0;
    if (result == CONFIG_FAILED)
        return CTL_EXIT_USAGE;
    if (timeout_ms > INT_MAX)
        timeout_ms = INT_MAX;

    //  A client, not a server: no signal handler, no log noise.
    zsys_handler_set (NULL);
    int rc = s_request (control, verb, timeout_ms);
    zsys_shutdown ();
    return rc;
}
