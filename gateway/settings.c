/*  =========================================================================
    settings.c - the gateway's settings: defaults, flags, checks

    Every gateway setting is one line of the option table below: its flag,
    its ZCHAT_* variable, what it takes and a line of help. main.c only
    calls settings_parse; gateway_new gets the finished config.
    =========================================================================
*/
#include "settings.h"
#include "config.h"
#include "wire.h"
#include "listener.h"
#include "admission.h"
#include "io_threads.h"

#define SETTINGS_STRING(x)      #x
#define SETTINGS_STRING_OF(x)   SETTINGS_STRING (x)     //  a macro's value as text

#define SETTINGS_HOSTNAME_MAX   256
#define SETTINGS_DRAIN_LINGER_MS 2000   //  wait for a client's EOF after our FIN
#define SETTINGS_BACKLOG        4096    //  listen backlog default
#define SETTINGS_QUEUE_MAX      CHAT_UPLINK_HWM //  requests waiting in the gateway before "busy"
//  Client SO_SNDBUF default. Linux doubles it for bookkeeping: a socket
//  then takes about 95 KB of payload (125 KB of kernel memory) before a
//  send is short, against ~2.7 MB with autotuning for a peer that stops
//  reading. 95 KB is a whole relay batch (1000 lines) of chat in one
//  send per pass, so fan-out to readers keeps one write per pass.
#define SETTINGS_SNDBUF         65536
#define SETTINGS_SNDBUF_MAX     INT_MAX
#define SETTINGS_JOIN_TIMEOUT_S 10      //  a login or /join gives up after this
#define SETTINGS_HOLD_MAX       (16 * 1024) //  input queued while a request is in flight
#define SETTINGS_LINE_END       2       //  CR LF after a line
#define SETTINGS_LIST_MAX       50      //  rooms or members a /rooms or /who answer shows
#define SETTINGS_IDLE_WARNING_S 60      //  warn an idle client this long before closing it
#define SETTINGS_KEEPALIVE_S    60      //  TCP keepalive: probe a client quiet for this long
//  WebSocket pings every 30 s: under the 60 s that proxies (nginx's
//  proxy_read_timeout, many balancers) give a quiet connection
#define SETTINGS_WS_PING_S      30
#define SETTINGS_HTTP_TIMEOUT_S 10      //  an HTTP request head and its answer
//  Flood control at the pace Solanum and Ergo allow people (2 lines/s),
//  with a burst of 20 instead of their 5: zchat delays a paste instead of
//  killing the sender, and a paste of 20 lines is not even slowed
//  (docs/OPERATIONS.md)
#define SETTINGS_RATE_LINES     2
#define SETTINGS_RATE_BURST     20
//  Per-address caps as Ergo sets them (16 per address, IPv6 per /64; 32
//  new connections per 10 minutes): the most generous of the servers
//  zchat's users know, since many people share one NAT address; loopback
//  is exempt, as in Ergo (docs/OPERATIONS.md)
//  Join and leave lines only in rooms up to 100 members: a conversation
//  where people know who is there; past it they are noise (2000
//  connections made 4000 such lines in #general), /who still tells
#define SETTINGS_ANNOUNCE_MAX   100
#define SETTINGS_MAX_PER_IP     16
#define SETTINGS_CONNECT_RATE   "32/600"
#define SETTINGS_EXEMPT         "127.0.0.0/8,::1/128"
//  A TLS handshake takes a round trip or two; 10 s is generous for a
//  slow mobile link and still bounds a client that opens TLS and stalls
//  (nginx allows 60 s, HAProxy's "timeout client" is usually 30 s)
#define SETTINGS_TLS_HANDSHAKE_S 10

//  The default name is the host name; it must outlive the config.
static char s_hostname [SETTINGS_HOSTNAME_MAX] = "gateway";

//  Values that parse but cannot work; prints why.
static int
s_check (const gateway_config_t *config)
{
    if (config->heartbeat_interval_ms == 0 || config->max_line == 0 || config->outbuf_max == 0) {
        fprintf (stderr, "error: --heartbeat-interval, --max-line and --outbuf-max must be > 0\n");
        return -1;
    }
    //  A longer line could not cross the wire whole (wire.h)
    if (config->max_line > WIRE_TEXT_MAX) {
        fprintf (stderr, "error: --max-line must be at most %d\n", WIRE_TEXT_MAX);
        return -1;
    }
    if (io_threads_check (config->io_thread_policy)) {
        fprintf (stderr, "error: --io-thread-policy must be %s\n", IO_THREADS_POLICY_NAMES);
        return -1;
    }
    if (config->sndbuf > SETTINGS_SNDBUF_MAX) {
        fprintf (stderr, "error: --sndbuf must be at most %d\n", SETTINGS_SNDBUF_MAX);
        return -1;
    }
    admission_limits_t admission = { 0 };
    if (admission_parse_rate (&admission, config->connect_rate_per_ip)) {
        fprintf (stderr, "error: --connect-rate-per-ip must be N/SECONDS (or 0)\n");
        return -1;
    }
    cidr_list_t exempt;
    if (cidr_parse (&exempt, config->admission_exempt)) {
        fprintf (stderr, "error: --admission-exempt must be CIDR,... (at most %d)\n", CIDR_MAX);
        return -1;
    }
    cidr_list_t trusted;
    if (cidr_parse (&trusted, config->trusted_proxy)) {
        fprintf (stderr, "error: --trusted-proxy must be CIDR,... (at most %d)\n", CIDR_MAX);
        return -1;
    }
    if (config->proxy_protocol && trusted.count == 0) {
        fprintf (stderr, "error: --proxy-protocol needs --trusted-proxy (the balancers)\n");
        return -1;
    }
    if (config->http_timeout_s <= 0) {
        fprintf (stderr, "error: --http-timeout must be > 0\n");
        return -1;
    }
    bool tls = (config->tls_listen && *config->tls_listen)
            || (config->https_listen && *config->https_listen);
    if (tls && (!*config->tls_cert || !*config->tls_key)) {
        fprintf (stderr, "error: --tls-listen and --https-listen need --tls-cert and --tls-key\n");
        return -1;
    }
    if (!tls && (*config->tls_cert || *config->tls_key)) {
        fprintf (stderr, "error: --tls-cert and --tls-key need --tls-listen or --https-listen\n");
        return -1;
    }
    if (config->tls_handshake_timeout_s <= 0) {
        fprintf (stderr, "error: --tls-handshake-timeout must be > 0\n");
        return -1;
    }
    if ((*config->curve_secret == 0) != (*config->curve_server == 0)) {
        fprintf (stderr, "error: --curve-secret and --curve-server go together (both, or "
                         "neither for plaintext)\n");
        return -1;
    }
    if (config->rate_lines > 0 && config->rate_burst == 0) {
        fprintf (stderr, "error: --rate-burst must be at least 1 when --rate-lines is on\n");
        return -1;
    }
    if (config->hold_max > 0 && config->hold_max < config->max_line + SETTINGS_LINE_END) {
        //  A whole line must fit, or a long one typed behind a /join is always dropped
        fprintf (stderr, "error: --hold-max must be 0 or at least --max-line + 2\n");
        return -1;
    }
    return 0;
}

config_result_t
settings_parse (gateway_config_t *config, int argc, char **argv)
{
    assert (config);
    if (gethostname (s_hostname, sizeof (s_hostname)) == 0)
        s_hostname [sizeof (s_hostname) - 1] = 0;
    *config = (gateway_config_t) {
        .listen = CHAT_DEFAULT_LISTEN,
        .health_listen = "",
        .metrics_listen = "",
        .http_listen = "",
        .https_listen = "",
        .ws_origin = "",
        .ws_ping_interval_s = SETTINGS_WS_PING_S,
        .http_timeout_s = SETTINGS_HTTP_TIMEOUT_S,
        .tls_listen = "",
        .tls_cert = "",
        .tls_key = "",
        .tls_handshake_timeout_s = SETTINGS_TLS_HANDSHAKE_S,
        .ingress = CHAT_DEFAULT_INGRESS,
        .publish = CHAT_DEFAULT_PUBLISH,
        .curve_secret = "",
        .curve_server = "",
        .name = s_hostname,
        .io_thread_policy = IO_THREADS_POLICY_DEFAULT,
        .idle_timeout_s = CHAT_IDLE_TIMEOUT_S,
        .idle_warning_s = SETTINGS_IDLE_WARNING_S,
        .keepalive_s = SETTINGS_KEEPALIVE_S,
        .max_clients = CHAT_MAX_CLIENTS,
        .max_line = CHAT_LINE_MAX,
        .outbuf_max = CHAT_OUTBUF_MAX,
        .sndbuf = SETTINGS_SNDBUF,
        .stuck_timeout_s = CHAT_STUCK_TIMEOUT_S,
        .sub_hwm = CHAT_SUB_HWM,
        .uplink_hwm = CHAT_UPLINK_HWM,
        .queue_max = SETTINGS_QUEUE_MAX,
        .router_timeout_s = CHAT_ROUTER_TIMEOUT_S,
        .heartbeat_interval_ms = CHAT_HEARTBEAT_MS,
        .backlog = SETTINGS_BACKLOG,
        .drain_linger_ms = SETTINGS_DRAIN_LINGER_MS,
        .list_max = SETTINGS_LIST_MAX,
        .no_telnet_offer = false,
        .join_timeout_s = SETTINGS_JOIN_TIMEOUT_S,
        .hold_max = SETTINGS_HOLD_MAX,
        .rate_lines = SETTINGS_RATE_LINES,
        .rate_burst = SETTINGS_RATE_BURST,
        .announce_max = SETTINGS_ANNOUNCE_MAX,
        .max_per_ip = SETTINGS_MAX_PER_IP,
        .connect_rate_per_ip = SETTINGS_CONNECT_RATE,
        .admission_exempt = SETTINGS_EXEMPT,
        .proxy_protocol = false,
        .trusted_proxy = "",
        .verbose = false,
        .log_addresses = true
    };
    config_option_t options [] = {
        { "listen", "ZCHAT_LISTEN", CONFIG_STRING, &config->listen,
          "HOST:PORT", "client address (port 0 = any free port)" },
        { "health-listen", "ZCHAT_HEALTH_LISTEN", CONFIG_STRING, &config->health_listen,
          "HOST:PORT", "health check address HOST:PORT: answers \"ok clients=N\" (ready) or "
          "\"not-ready ...\" (router unreachable) and closes (empty = off)" },
        { "health-ignore-router", "ZCHAT_HEALTH_IGNORE_ROUTER", CONFIG_FLAG,
          &config->health_ignore_router, NULL, "health port says ok while the router is "
          "unreachable too (alive only, the behaviour before readiness)" },
        { "metrics-listen", "ZCHAT_METRICS_LISTEN", CONFIG_STRING, &config->metrics_listen,
          "HOST:PORT", "serve Prometheus GET /metrics on this address (empty = off)" },
        { "http-listen", "ZCHAT_HTTP_LISTEN", CONFIG_STRING, &config->http_listen,
          "HOST:PORT", "serve the chat page (GET /) and WebSocket clients (GET /ws) on this "
          "address (empty = off)" },
        { "https-listen", "ZCHAT_HTTPS_LISTEN", CONFIG_STRING, &config->https_listen,
          "HOST:PORT", "the same page and WebSocket clients (wss) over TLS, with --tls-cert "
          "and --tls-key (empty = off)" },
        { "ws-origin", "ZCHAT_WS_ORIGIN", CONFIG_STRING, &config->ws_origin,
          "ORIGIN,...", "origins a browser's WebSocket may come from, e.g. "
          "https://chat.example.org (* = any; empty = the page's own: http://HOST, "
          "https://HOST on --https-listen); others get 403" },
        { "ws-ping-interval", "ZCHAT_WS_PING_INTERVAL", CONFIG_INT, &config->ws_ping_interval_s,
          "SECONDS", "ping WebSocket clients this often; one that has sent nothing since "
          "the last ping when the next is due is closed (0 = no pings)" },
        { "http-timeout", "ZCHAT_HTTP_TIMEOUT", CONFIG_INT, &config->http_timeout_s,
          "SECONDS", "an HTTP request on --http-listen or --https-listen must arrive and be "
          "answered within this, else 408 and close" },
        { "tls-listen", "ZCHAT_TLS_LISTEN", CONFIG_STRING, &config->tls_listen,
          "HOST:PORT", "TLS client address, beside --listen; clients on both share rooms "
          "(empty = off)" },
        { "tls-cert", "ZCHAT_TLS_CERT", CONFIG_STRING, &config->tls_cert,
          "FILE", "PEM certificate of the TLS port, then its chain; SIGHUP reloads it and "
          "the key (open connections stay)" },
        { "tls-key", "ZCHAT_TLS_KEY", CONFIG_STRING, &config->tls_key,
          "FILE", "PEM private key of --tls-cert" },
        { "tls-handshake-timeout", "ZCHAT_TLS_HANDSHAKE_TIMEOUT", CONFIG_INT,
          &config->tls_handshake_timeout_s, "SECONDS", "a TLS handshake not done within "
          "this is closed (a client that opens TLS and stalls)" },
        { "ingress", "ZCHAT_INGRESS", CONFIG_STRING, &config->ingress,
          "EP", "router ingress endpoint (requests)" },
        { "publish", "ZCHAT_PUBLISH", CONFIG_STRING, &config->publish,
          "EP", "router publish endpoint (room traffic)" },
        { "curve-secret", "ZCHAT_CURVE_SECRET", CONFIG_STRING, &config->curve_secret,
          "FILE", "this gateway's CURVE key pair (NAME_secret, zchat-ctl keygen; its "
          "public key in the router's --curve-allow): both links to the router use "
          "CURVE (empty = off, plaintext)" },
        { "curve-server", "ZCHAT_CURVE_SERVER", CONFIG_STRING, &config->curve_server,
          "FILE", "the router's public key (NAME, with --curve-secret)" },
        { "name", "ZCHAT_NAME", CONFIG_STRING, &config->name,
          "NAME", "gateway name (the id adds a random suffix)" },
        { "idle-timeout", "ZCHAT_IDLE_TIMEOUT", CONFIG_INT, &config->idle_timeout_s,
          "SECONDS", "seconds without a line before a client is dropped (0 = never)" },
        { "idle-warning", "ZCHAT_IDLE_WARNING", CONFIG_INT, &config->idle_warning_s,
          "SECONDS", "seconds before that drop a client is told how to stay (at most "
          "half the idle timeout; 0 = no warning)" },
        { "keepalive", "ZCHAT_KEEPALIVE", CONFIG_INT, &config->keepalive_s,
          "SECONDS", "TCP keepalive on client sockets: probe a peer quiet this long, "
          "every " SETTINGS_STRING_OF (LISTENER_KEEPALIVE_INTERVAL_S) " s, and drop it after "
          SETTINGS_STRING_OF (LISTENER_KEEPALIVE_PROBES) " unanswered probes (0 = off)" },
        { "max-clients", "ZCHAT_MAX_CLIENTS", CONFIG_INT, &config->max_clients,
          "N", "client connections at most" },
        { "max-line", "ZCHAT_MAX_LINE", CONFIG_INT, &config->max_line,
          "BYTES", "bytes in a client line at most" },
        { "outbuf-max", "ZCHAT_OUTBUF_MAX", CONFIG_INT, &config->outbuf_max,
          "BYTES", "bytes of output queued per client at most, the kernel's send queue included" },
        { "sndbuf", "ZCHAT_SNDBUF", CONFIG_INT, &config->sndbuf,
          "BYTES", "SO_SNDBUF of each client socket: bounds the kernel's send queue "
          "(0 = kernel default, autotuned to megabytes)" },
        { "stuck-timeout", "ZCHAT_STUCK_TIMEOUT", CONFIG_INT, &config->stuck_timeout_s,
          "SECONDS", "seconds a client's output may stay full (0 = never)" },
        { "sub-hwm", "ZCHAT_SUB_HWM", CONFIG_INT, &config->sub_hwm,
          "MESSAGES", "high-water mark of the room traffic socket (messages)" },
        { "uplink-hwm", "ZCHAT_UPLINK_HWM", CONFIG_INT, &config->uplink_hwm,
          "MESSAGES", "high-water mark of the uplink to the router (messages)" },
        { "queue-max", "ZCHAT_QUEUE_MAX", CONFIG_INT, &config->queue_max,
          "N", "gateway requests (LOGIN, LOGOUT, ...) that may wait past a full uplink; "
          "at that, new clients are refused: server busy (0 = no limit)" },
        { "router-timeout", "ZCHAT_ROUTER_TIMEOUT", CONFIG_INT, &config->router_timeout_s,
          "SECONDS", "seconds without a router beat before clients are told; also the wait "
          "before a handshake the router refused is tried again" },
        { "heartbeat-interval", "ZCHAT_HEARTBEAT_INTERVAL", CONFIG_INT,
          &config->heartbeat_interval_ms, "MS", "milliseconds between heartbeats to the router" },
        { "backlog", "ZCHAT_BACKLOG", CONFIG_INT, &config->backlog,
          "N", "listen backlog" },
        { "drain-linger", "ZCHAT_DRAIN_LINGER", CONFIG_INT, &config->drain_linger_ms,
          "MS", "milliseconds to wait for a client's EOF after closing it, and after "
          "its EOF for the answers to what it asked" },
        { "join-timeout", "ZCHAT_JOIN_TIMEOUT", CONFIG_INT, &config->join_timeout_s,
          "SECONDS", "seconds a login or /join may wait for the server before it is "
          "given up with an error (0 = never)" },
        { "hold-max", "ZCHAT_HOLD_MAX", CONFIG_INT, &config->hold_max,
          "BYTES", "bytes of input a client may queue while a request of its is in "
          "flight; past it, lines are dropped (0 = stop reading instead)" },
        { "rate-lines", "ZCHAT_RATE_LINES", CONFIG_INT, &config->rate_lines,
          "LINES_PER_S", "lines (chat and commands) a client may send per second once its "
          "burst is spent; past it its socket is read later, nothing is lost (0 = no "
          "flood control)" },
        { "rate-burst", "ZCHAT_RATE_BURST", CONFIG_INT, &config->rate_burst,
          "LINES", "lines a client may send at once before --rate-lines applies" },
        { "max-per-ip", "ZCHAT_MAX_PER_IP", CONFIG_INT, &config->max_per_ip,
          "N", "connections open at once from one client address (IPv6: one /64); "
          "past it: \"! too many connections from your address\" and close (0 = no cap)" },
        { "connect-rate-per-ip", "ZCHAT_CONNECT_RATE_PER_IP", CONFIG_STRING,
          &config->connect_rate_per_ip, "N/SECONDS",
          "new connections from one client address per SECONDS (0 = no cap)" },
        { "admission-exempt", "ZCHAT_ADMISSION_EXEMPT", CONFIG_STRING, &config->admission_exempt,
          "CIDR,...", "client addresses --max-per-ip and --connect-rate-per-ip never apply to "
          "(empty = none)" },
        { "proxy-protocol", "ZCHAT_PROXY_PROTOCOL", CONFIG_FLAG, &config->proxy_protocol,
          NULL, "the client port takes connections only from --trusted-proxy, each "
          "starting with a PROXY v2 header (HAProxy send-proxy-v2) whose client address "
          "the per-address caps and the logs use" },
        { "trusted-proxy", "ZCHAT_TRUSTED_PROXY", CONFIG_STRING, &config->trusted_proxy,
          "CIDR,...", "balancers allowed to send PROXY headers (with --proxy-protocol)" },
        { "announce-max", "ZCHAT_ANNOUNCE_MAX", CONFIG_INT, &config->announce_max,
          "MEMBERS", "join and leave lines only in rooms of up to this many members; in "
          "bigger ones only the one who joins or leaves sees it (/who still lists all; "
          "0 = always)" },
        { "list-max", "ZCHAT_LIST_MAX", CONFIG_INT, &config->list_max,
          "N", "rooms (the biggest) or members a /rooms or /who answer shows; "
          "the rest are counted (0 = all)" },
        { "log-addresses", "ZCHAT_LOG_ADDRESSES", CONFIG_FLAG, &config->log_addresses,
          NULL, "name each client's address in its connect and close log lines "
          "(--log-addresses=no for privacy)" },
        { "no-telnet-offer", "ZCHAT_NO_TELNET_OFFER", CONFIG_FLAG, &config->no_telnet_offer,
          NULL, "do not ask for telnet BINARY at connect: raw-socket clients see no IAC bytes, "
          "but a telnet client then garbles UTF-8 input (CJK cannot be typed)" },
        { "io-thread-policy", "ZCHAT_IO_THREAD_POLICY", CONFIG_STRING, &config->io_thread_policy,
          IO_THREADS_POLICY_NAMES, IO_THREADS_POLICY_HELP },
        { "verbose", "ZCHAT_VERBOSE", CONFIG_FLAG, &config->verbose,
          NULL, "log every message (debug)" },
    };
    config_result_t result = config_parse (options, sizeof (options) / sizeof (options [0]),
        argc, argv, "usage: zchat-gateway [options]", NULL);
    if (result == CONFIG_OK && s_check (config) == -1)
        result = CONFIG_FAILED;
    return result;
}
