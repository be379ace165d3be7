/*  =========================================================================
    main.c - zchat-gateway: parse settings, run the gateway, clean up

    Signals: SIGINT and SIGTERM are blocked here, before ZeroMQ starts its
    threads, so that every thread inherits the mask and the gateway reads
    them from a signalfd in its loop (czmq's own handler is switched off).
    Its shutdown sequence then runs inside the loop like any other event.
    =========================================================================
*/
#include "chat.h"
#include "config.h"
#include "gateway.h"
#include <signal.h>

#define MAIN_HOSTNAME_MAX       256
#define MAIN_DRAIN_LINGER_MS    2000    //  wait for a client's EOF after our FIN
#define MAIN_EXIT_CONFIG        2
#define MAIN_BACKLOG            4096    //  listen backlog default
#define MAIN_QUEUE_MAX          CHAT_UPLINK_HWM //  requests waiting in the gateway before "busy"

int
main (int argc, char **argv)
{
    char hostname [MAIN_HOSTNAME_MAX] = "gateway";
    if (gethostname (hostname, sizeof (hostname)) == 0)
        hostname [sizeof (hostname) - 1] = 0;

    gateway_config_t config = {
        .listen = CHAT_DEFAULT_LISTEN,
        .health_listen = "",
        .ingress = CHAT_DEFAULT_INGRESS,
        .publish = CHAT_DEFAULT_PUBLISH,
        .name = hostname,
        .idle_timeout_s = CHAT_IDLE_TIMEOUT_S,
        .max_clients = CHAT_MAX_CLIENTS,
        .max_line = CHAT_LINE_MAX,
        .outbuf_max = CHAT_OUTBUF_MAX,
        .stuck_timeout_s = CHAT_STUCK_TIMEOUT_S,
        .sub_hwm = CHAT_SUB_HWM,
        .uplink_hwm = CHAT_UPLINK_HWM,
        .queue_max = MAIN_QUEUE_MAX,
        .router_timeout_s = CHAT_ROUTER_TIMEOUT_S,
        .heartbeat_interval_ms = CHAT_HEARTBEAT_MS,
        .backlog = MAIN_BACKLOG,
        .drain_linger_ms = MAIN_DRAIN_LINGER_MS,
        .verbose = false
    };
    config_option_t options [] = {
        { "listen", "ZCHAT_LISTEN", CONFIG_STRING, &config.listen,
          "client address HOST:PORT (port 0 = any free port)" },
        { "health-listen", "ZCHAT_HEALTH_LISTEN", CONFIG_STRING, &config.health_listen,
          "health check address HOST:PORT: answers \"ok clients=N\" and closes (empty = off)" },
        { "ingress", "ZCHAT_INGRESS", CONFIG_STRING, &config.ingress,
          "router ingress endpoint (requests)" },
        { "publish", "ZCHAT_PUBLISH", CONFIG_STRING, &config.publish,
          "router publish endpoint (room traffic)" },
        { "name", "ZCHAT_NAME", CONFIG_STRING, &config.name,
          "gateway name (the id adds a random suffix)" },
        { "idle-timeout", "ZCHAT_IDLE_TIMEOUT", CONFIG_INT, &config.idle_timeout_s,
          "seconds without a line before a client is dropped (0 = never)" },
        { "max-clients", "ZCHAT_MAX_CLIENTS", CONFIG_INT, &config.max_clients,
          "client connections at most" },
        { "max-line", "ZCHAT_MAX_LINE", CONFIG_INT, &config.max_line,
          "bytes in a client line at most" },
        { "outbuf-max", "ZCHAT_OUTBUF_MAX", CONFIG_INT, &config.outbuf_max,
          "bytes of output queued per client at most" },
        { "stuck-timeout", "ZCHAT_STUCK_TIMEOUT", CONFIG_INT, &config.stuck_timeout_s,
          "seconds a client's output may stay full (0 = never)" },
        { "sub-hwm", "ZCHAT_SUB_HWM", CONFIG_INT, &config.sub_hwm,
          "high-water mark of the room traffic socket (messages)" },
        { "uplink-hwm", "ZCHAT_UPLINK_HWM", CONFIG_INT, &config.uplink_hwm,
          "high-water mark of the uplink to the router (messages)" },
        { "queue-max", "ZCHAT_QUEUE_MAX", CONFIG_INT, &config.queue_max,
          "gateway requests (LOGIN, LOGOUT, ...) that may wait past a full uplink; "
          "at that, new clients are refused: server busy (0 = no limit)" },
        { "router-timeout", "ZCHAT_ROUTER_TIMEOUT", CONFIG_INT, &config.router_timeout_s,
          "seconds without a router beat before clients are told" },
        { "heartbeat-interval", "ZCHAT_HEARTBEAT_INTERVAL", CONFIG_INT,
          &config.heartbeat_interval_ms, "milliseconds between heartbeats to the router" },
        { "backlog", "ZCHAT_BACKLOG", CONFIG_INT, &config.backlog,
          "listen backlog" },
        { "drain-linger", "ZCHAT_DRAIN_LINGER", CONFIG_INT, &config.drain_linger_ms,
          "milliseconds to wait for a client's EOF after closing it" },
        { "no-telnet-offer", "ZCHAT_NO_TELNET_OFFER", CONFIG_FLAG, &config.no_telnet_offer,
          "do not ask for telnet BINARY at connect: raw-socket clients see no IAC bytes, "
          "but a telnet client then garbles UTF-8 input (CJK cannot be typed)" },
        { "verbose", "ZCHAT_VERBOSE", CONFIG_FLAG, &config.verbose,
          "log every message (debug)" },
    };
    config_result_t result = config_parse (options, sizeof (options) / sizeof (options [0]),
        argc, argv, "usage: zchat-gateway [options]", NULL);
    if (result == CONFIG_HELP)
        return 0;
    if (result == CONFIG_FAILED)
        return MAIN_EXIT_CONFIG;
    if (config.heartbeat_interval_ms == 0 || config.max_line == 0 || config.outbuf_max == 0) {
        fprintf (stderr, "error: --heartbeat-interval, --max-line and --outbuf-max must be > 0\n");
        return MAIN_EXIT_CONFIG;
    }

    //  Before any ZeroMQ thread exists: see the header comment
    zsys_handler_set (NULL);
    sigset_t signals;
    sigemptyset (&signals);
    sigaddset (&signals, SIGINT);
    sigaddset (&signals, SIGTERM);
    sigprocmask (SIG_BLOCK, &signals, NULL);
    signal (SIGPIPE, SIG_IGN);

    zsys_set_logstream (stderr);
    zsys_set_logident ("zchat-gateway");
    zsys_init ();

    gateway_t *gateway = gateway_new (&config);
    if (!gateway)
        return 1;
    int rc = gateway_run (gateway);
    gateway_destroy (&gateway);
    zsys_shutdown ();
    return rc == 0? 0: 1;
}
