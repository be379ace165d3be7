/*  =========================================================================
    main.c - zchat-router: parse settings, run the router, exit

    Everything else lives in router.c (and requests.c, liveness.c). Exit
    codes: 0 after a clean stop (drain finished or timed out), 1 if the
    router could not start, 2 on bad arguments.
    =========================================================================
*/
#include "chat.h"
#include "config.h"
#include "router.h"

#define MAIN_EXIT_FAILED        1
#define MAIN_EXIT_USAGE         2

//  SIGINT/SIGTERM start a drain: the router polls zsys_interrupted. Our
//  own handler, so a ZSYS_SIGHANDLER setting cannot turn it off.
static void
s_signal_handler (int signal_value)
{
    (void) signal_value;
    zsys_interrupted = 1;
}

int
main (int argc, char **argv)
{
    router_config_t config;
    router_config_defaults (&config);
    config_option_t options [] = {
        { "ingress", "ZCHAT_INGRESS", CONFIG_STRING, &config.ingress,
          "EP", "bind endpoint for gateway requests" },
        { "publish", "ZCHAT_PUBLISH", CONFIG_STRING, &config.publish,
          "EP", "bind endpoint for room traffic (PUB)" },
        { "control", "ZCHAT_CONTROL", CONFIG_STRING, &config.control,
          "EP", "bind endpoint for zchat-ctl" },
        { "metrics-listen", "ZCHAT_METRICS_LISTEN", CONFIG_STRING, &config.metrics_listen,
          "HOST:PORT", "serve Prometheus GET /metrics on this address (empty = off)" },
        { "curve-secret", "ZCHAT_CURVE_SECRET", CONFIG_STRING, &config.curve_secret,
          "FILE", "the router's CURVE key pair (NAME_secret, zchat-ctl keygen): ingress, "
          "publish and control then take CURVE clients only (empty = off, plaintext)" },
        { "curve-allow", "ZCHAT_CURVE_ALLOW", CONFIG_STRING, &config.curve_allow,
          "DIR", "public keys of the gateways allowed in (with --curve-secret; read "
          "again on change, no signal needed)" },
        { "control-allow", "ZCHAT_CONTROL_ALLOW", CONFIG_STRING, &config.control_allow,
          "DIR", "public keys of the operators allowed on the control socket (with "
          "--curve-secret; keep gateway keys out of it)" },
        { "gateway-timeout", "ZCHAT_GATEWAY_TIMEOUT", CONFIG_INT, &config.gateway_timeout_s,
          "SECONDS", "seconds of silence before a gateway is dropped" },
        { "drain-timeout", "ZCHAT_DRAIN_TIMEOUT", CONFIG_INT, &config.drain_timeout_s,
          "SECONDS", "seconds to wait for gateways to drain on shutdown" },
        { "heartbeat-interval", "ZCHAT_HEARTBEAT_INTERVAL", CONFIG_INT, &config.heartbeat_ms,
          "MS", "milliseconds between BEATs" },
        { "pub-hwm", "ZCHAT_PUB_HWM", CONFIG_INT, &config.pub_hwm,
          "MESSAGES", "high-water mark of the PUB socket (messages)" },
        { "max-rooms", "ZCHAT_MAX_ROOMS", CONFIG_INT, &config.max_rooms,
          "N", "most rooms at once" },
        { "max-sessions", "ZCHAT_MAX_SESSIONS", CONFIG_INT, &config.max_sessions,
          "N", "most logged-in users at once" },
        { "store", "ZCHAT_STORE", CONFIG_STRING, &config.store,
          "memory|sqlite:PATH", "where room history lives (sqlite keeps it across restarts)" },
        { "history-size", "ZCHAT_HISTORY_SIZE", CONFIG_INT, &config.history.history_size,
          "LINES", "history lines kept per room" },
        { "history-memory", "ZCHAT_HISTORY_MEMORY", CONFIG_INT, &config.history.memory_max,
          "BYTES", "memory for all rooms' history (quietest rooms' oldest lines go first)" },
        { "history-batch", "ZCHAT_HISTORY_BATCH", CONFIG_INT, &config.history.batch_ms,
          "MS", "sqlite: ms of lines per transaction (what a crash can lose)" },
        { "history-backlog", "ZCHAT_HISTORY_BACKLOG", CONFIG_INT, &config.history.backlog_max,
          "BYTES", "sqlite: bytes of lines held while the disk fails" },
        { "replay", "ZCHAT_REPLAY", CONFIG_INT, &config.replay,
          "LINES", "history lines shown on every join (0 = none)" },
        { "history-max", "ZCHAT_HISTORY_MAX", CONFIG_INT, &config.history_max,
          "LINES", "most lines one /history answer carries" },
        { "verbose", "ZCHAT_VERBOSE", CONFIG_FLAG, &config.verbose,
          NULL, "log every message at debug level" },
    };
    config_result_t result = config_parse (options, sizeof (options) / sizeof (options [0]),
                                           argc, argv, "usage: zchat-router [options]", NULL);
    if (result == CONFIG_HELP)
        return 0;
    if (result == CONFIG_FAILED)
        return MAIN_EXIT_USAGE;
    if (config.heartbeat_ms == 0 || config.gateway_timeout_s == 0 || config.pub_hwm > INT_MAX) {
        fprintf (stderr, "error: --heartbeat-interval and --gateway-timeout must be > 0, "
                         "--pub-hwm at most %d\n", INT_MAX);
        return MAIN_EXIT_USAGE;
    }

    bool curve = config.curve_secret && *config.curve_secret;
    bool allow = config.curve_allow && *config.curve_allow;
    bool control_allow = config.control_allow && *config.control_allow;
    if (curve != allow || curve != control_allow) {
        fprintf (stderr, "error: --curve-secret, --curve-allow and --control-allow go "
                         "together (all three, or none for plaintext)\n");
        return MAIN_EXIT_USAGE;
    }

    //  A closed stderr (say, the reader of our log pipe went away) must
    //  not kill the router with SIGPIPE; the write just fails.
    signal (SIGPIPE, SIG_IGN);
    zsys_init ();
    zsys_handler_set (s_signal_handler);
    zsys_set_logstream (stderr);
    zsys_set_logident ("zchat-router");
    router_t *router = router_new (&config);
    if (!router) {
        zsys_shutdown ();
        return MAIN_EXIT_FAILED;
    }
    int rc = router_run (router, NULL);
    router_destroy (&router);
    zsys_shutdown ();
    return rc;
}
