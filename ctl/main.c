/*  =========================================================================
    main.c - zchat-ctl: ask a running router for its status, or to drain

    zchat-ctl [--control EP] [--timeout MS] [--curve-secret FILE
              --curve-server FILE] status|shutdown
    zchat-ctl keygen NAME

    Sends one request on a DEALER connected to the router's control
    socket (a CURVE client with an operator's key pair when the router
    runs CURVE), waits up to --timeout for the two-frame reply, prints its
    body on stdout. A router that refuses our key answers nothing: that is
    a timeout. keygen writes a key pair (curve.h) and talks to no one.
    Exit 0 on OK; 1 on ERROR, timeout or a bad reply; 2 on bad arguments.
    =========================================================================
*/
#include "chat.h"
#include "config.h"
#include "curve.h"
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
//  With cert, speak CURVE to the server whose public key is server_key.
static int
s_request (const char *endpoint, const char *verb, int64_t timeout_ms, zcert_t *cert,
           const char *server_key)
{
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    assert (dealer);
    if (cert)
        curve_apply_client (dealer, cert, server_key);
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
        fprintf (stderr, "zchat-ctl: no reply from %s within %" PRId64 " ms%s\n",
                 endpoint, timeout_ms, cert? "": " (does the router want CURVE keys?)");
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
    const char *curve_secret = "";
    const char *curve_server = "";
    int64_t timeout_ms = CTL_TIMEOUT_MS;
    //  Not ZCHAT_CURVE_*: in the router's own environment those name the
    //  router's keys, and a health check runs zchat-ctl there
    config_option_t options [] = {
        { "control", "ZCHAT_CONTROL", CONFIG_STRING, &control,
          "EP", "router control endpoint" },
        { "timeout", "ZCHAT_CTL_TIMEOUT", CONFIG_INT, &timeout_ms,
          "MS", "milliseconds to wait for the reply" },
        { "curve-secret", "ZCHAT_CTL_CURVE_SECRET", CONFIG_STRING, &curve_secret,
          "FILE", "an operator's CURVE key pair (NAME_secret; its public key in the "
          "router's --control-allow) for a router that runs CURVE (empty = plaintext)" },
        { "curve-server", "ZCHAT_CTL_CURVE_SERVER", CONFIG_STRING, &curve_server,
          "FILE", "the router's public key (NAME, with --curve-secret)" },
    };
    zlist_t *positional = zlist_new ();
    assert (positional);
    config_result_t result = config_parse (options, sizeof (options) / sizeof (options [0]),
                                           argc, argv,
                                           "usage: zchat-ctl [options] status|shutdown\n"
                                           "       zchat-ctl keygen NAME   (writes NAME "
                                           "and NAME_secret here)",
                                           positional);
    const char *verb = NULL;
    char *keygen = NULL;
    if (result == CONFIG_OK) {
        const char *first = (const char *) zlist_first (positional);
        if (zlist_size (positional) == 2 && streq (first, "keygen"))
            keygen = strdup ((const char *) zlist_next (positional));
        else
        if (zlist_size (positional) == 1)
            verb = s_verb (first);
        if (!verb && !keygen) {
            fprintf (stderr, "zchat-ctl: expected one command: status, shutdown "
                             "or keygen NAME\n");
            result = CONFIG_FAILED;
        }
    }
    zlist_destroy (&positional);
    if (result == CONFIG_OK && !keygen && (*curve_secret == 0) != (*curve_server == 0)) {
        fprintf (stderr, "zchat-ctl: --curve-secret and --curve-server go together\n");
        result = CONFIG_FAILED;
    }
    if (result != CONFIG_OK) {
        free (keygen);
        return result == CONFIG_HELP? 0: CTL_EXIT_USAGE;
    }
    if (timeout_ms > INT_MAX)
        timeout_ms = INT_MAX;

    //  A client, not a server: no signal handler, no log noise.
    zsys_handler_set (NULL);
    int rc = CTL_EXIT_FAILED;
    if (keygen)
        rc = curve_keygen (keygen)? CTL_EXIT_FAILED: 0;
    else
    if (*curve_secret) {
        zcert_t *cert = curve_load_pair (curve_secret);
        char server_key [CURVE_KEY_TEXT + 1];
        if (cert && curve_load_public (curve_server, server_key) == 0)
            rc = s_request (control, verb, timeout_ms, cert, server_key);
        zcert_destroy (&cert);
    }
    else
        rc = s_request (control, verb, timeout_ms, NULL, NULL);
    free (keygen);
    zsys_shutdown ();
    return rc;
}
