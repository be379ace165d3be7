/*  =========================================================================
    main.c - zchat-loadgen: load generator for zchat and IRC servers

    Parses the settings (flags or ZCHAT_LOADGEN_* variables), runs one
    benchmark (run.c) and reports it (report.c). With --expect-clean the
    exit status says whether every client joined and every message reached
    every member exactly once, in order, in its own room: the smoke test
    that `make test` runs relies on it.
    =========================================================================
*/
#include "loadgen.h"
#include "config.h"

#define LOADGEN_LIST_SEPARATORS ","
#define LOADGEN_EXIT_USAGE      2
#define LOADGEN_EXIT_UNCLEAN    1

//  Split a comma-separated list into a new array of new strings; returns
//  the count. Caller frees each item and the array.
static size_t
s_split (const char *list, char ***items_p)
{
    char *copy = strdup (list);
    size_t count = 0;
    char **items = NULL;
    char *save = NULL;
    for (char *item = strtok_r (copy, LOADGEN_LIST_SEPARATORS, &save); item;
         item = strtok_r (NULL, LOADGEN_LIST_SEPARATORS, &save)) {
        items = (char **) realloc (items, (count + 1) * sizeof (char *));
        assert (items);
        items [count++] = strdup (item);
    }
    free (copy);
    *items_p = items;
    return count;
}

static bool
s_clean (const run_options_t *options, const run_result_t *result)
{
    return result->ready == options->clients && result->lost == 0 && result->duplicated == 0
        && result->out_of_order == 0 && result->misrouted == 0 && result->failed_later == 0
        && (options->mode == RUN_IDLE || result->delivered > 0);
}

int
main (int argc, char *argv [])
{
    const char *dialect = "zchat";
    const char *servers = "127.0.0.1:8080";
    const char *pids = "";
    const char *mode = "closed";
    const char *label = "run";
    const char *server_name = "zchat";
    const char *json_path = "";
    const char *tsv_path = "";
    int64_t clients = 100, rooms = 10, senders = 0, rate = 1, window = 16;
    int64_t duration = 5, drain = 3, size = 64, connect_rate = 0, sources = 1, max_pending = 256;
    int64_t join_timeout = 60, barrier_timeout = 20, account = 0;
    const char *transport = "tcp";
    bool quiet = false, expect_clean = false;

    config_option_t table [] = {
        { "dialect", "ZCHAT_LOADGEN_DIALECT", CONFIG_STRING, &dialect, "NAME", "zchat or irc" },
        { "servers", "ZCHAT_LOADGEN_SERVERS", CONFIG_STRING, &servers, "HOST:PORT,...",
          "HOST:PORT,HOST:PORT,... one per gateway (member m goes to server m mod count)" },
        { "pids", "ZCHAT_LOADGEN_PIDS", CONFIG_STRING, &pids, "PID,...",
          "server process ids, comma-separated, for CPU and RSS from /proc" },
        { "clients", "ZCHAT_LOADGEN_CLIENTS", CONFIG_INT, &clients, "N", "connections" },
        { "rooms", "ZCHAT_LOADGEN_ROOMS", CONFIG_INT, &rooms, "N", "rooms (client j joins room j mod rooms)" },
        { "senders", "ZCHAT_LOADGEN_SENDERS", CONFIG_INT, &senders, "N", "senders per room (0 = every member)" },
        { "mode", "ZCHAT_LOADGEN_MODE", CONFIG_STRING, &mode, "MODE",
          "open (fixed --rate), closed (--window in flight) or idle (no messages)" },
        { "rate", "ZCHAT_LOADGEN_RATE", CONFIG_INT, &rate, "N", "open loop: messages/s per sender" },
        { "window", "ZCHAT_LOADGEN_WINDOW", CONFIG_INT, &window, "N",
          "closed loop: messages per sender not yet received by every member" },
        { "duration", "ZCHAT_LOADGEN_DURATION", CONFIG_INT, &duration, "SECONDS", "measured window, seconds" },
        { "drain", "ZCHAT_LOADGEN_DRAIN", CONFIG_INT, &drain, "SECONDS", "longest wait for stragglers, seconds" },
        { "size", "ZCHAT_LOADGEN_SIZE", CONFIG_INT, &size, "BYTES", "bytes of message text (marker included)" },
        { "connect-rate", "ZCHAT_LOADGEN_CONNECT_RATE", CONFIG_INT, &connect_rate, "N",
          "new connections per second (0 = as fast as logins complete)" },
        { "max-pending", "ZCHAT_LOADGEN_MAX_PENDING", CONFIG_INT, &max_pending, "N",
          "logins in progress at once without --connect-rate (a server with a short"
          " listen backlog needs a small value)" },
        { "sources", "ZCHAT_LOADGEN_SOURCES", CONFIG_INT, &sources, "N",
          "source addresses 127.0.0.1 .. 127.0.0.N (for many connections)" },
        { "join-timeout", "ZCHAT_LOADGEN_JOIN_TIMEOUT", CONFIG_INT, &join_timeout, "SECONDS",
          "seconds to connect, log in and join everyone" },
        { "barrier-timeout", "ZCHAT_LOADGEN_BARRIER_TIMEOUT", CONFIG_INT, &barrier_timeout, "SECONDS",
          "seconds for every member to see a probe" },
        { "account", "ZCHAT_LOADGEN_ACCOUNT", CONFIG_INT, &account, "N",
          "after the drain, N more messages (at most --duration s) with the servers'"
          " system calls and context switches counted per message (0 = none)" },
        { "transport", "ZCHAT_LOADGEN_TRANSPORT", CONFIG_STRING, &transport, "NAME",
          "client transport: tcp or tls (--servers are TLS ports; the certificate is"
          " not checked)" },
        { "label", "ZCHAT_LOADGEN_LABEL", CONFIG_STRING, &label, "NAME", "scenario name in the results" },
        { "server-name", "ZCHAT_LOADGEN_SERVER_NAME", CONFIG_STRING, &server_name, "NAME",
          "server name in the results (zchat, ngircd, ...)" },
        { "json", "ZCHAT_LOADGEN_JSON", CONFIG_STRING, &json_path, "FILE", "write the result as JSON here" },
        { "tsv", "ZCHAT_LOADGEN_TSV", CONFIG_STRING, &tsv_path, "FILE", "append a TSV row here" },
        { "quiet", "ZCHAT_LOADGEN_QUIET", CONFIG_FLAG, &quiet, NULL, "no progress lines on stderr" },
        { "expect-clean", "ZCHAT_LOADGEN_EXPECT_CLEAN", CONFIG_FLAG, &expect_clean, NULL,
          "exit 1 unless all joined and nothing was lost, doubled, reordered or misrouted" },
    };
    config_result_t parsed = config_parse (table, sizeof (table) / sizeof (table [0]), argc, argv,
                                           "usage: zchat-loadgen [options]", NULL);
    if (parsed == CONFIG_HELP)
        return 0;
    if (parsed == CONFIG_FAILED)
        return LOADGEN_EXIT_USAGE;

    run_options_t options = {
        .clients = (uint32_t) clients, .rooms = (uint32_t) rooms, .senders = (uint32_t) senders,
        .rate = (double) rate, .window = (uint32_t) window, .duration = (double) duration,
        .drain = (double) drain, .size = (uint32_t) size, .connect_rate = (double) connect_rate,
        .max_pending = (uint32_t) max_pending,
        .sources = (uint32_t) sources, .join_timeout = (double) join_timeout,
        .barrier_timeout = (double) barrier_timeout, .account = (uint32_t) account,
        .transport = transport, .label = label,
        .server_name = server_name, .json_path = json_path, .tsv_path = tsv_path,
        .quiet = quiet
    };

    int rc = LOADGEN_EXIT_USAGE;
    if (dialect_parse (dialect, &options.dialect)) {
        fprintf (stderr, "zchat-loadgen: unknown dialect '%s' (zchat or irc)\n", dialect);
        return rc;
    }
    //  Other transports (WebSocket) plug in here and in conn.c
    bool tls = streq (transport, "tls");
    if (!streq (transport, "tcp") && !tls) {
        fprintf (stderr, "zchat-loadgen: unknown transport '%s' (tcp or tls)\n", transport);
        return rc;
    }
    if (streq (mode, "open"))
        options.mode = RUN_OPEN;
    else
    if (streq (mode, "closed"))
        options.mode = RUN_CLOSED;
    else
    if (streq (mode, "idle"))
        options.mode = RUN_IDLE;
    else {
        fprintf (stderr, "zchat-loadgen: unknown mode '%s' (open, closed or idle)\n", mode);
        return rc;
    }
    if (clients < 1 || rooms < 1 || rooms > clients || clients > UINT32_MAX
    ||  (options.mode == RUN_OPEN && rate < 1) || (options.mode == RUN_CLOSED && window < 1)
    ||  size > CHAT_LINE_MAX || sources > UINT8_MAX || max_pending < 1
    ||  account < 0 || account > UINT32_MAX) {
        fprintf (stderr, "zchat-loadgen: need 1 <= rooms <= clients, rate >= 1 (open),"
                 " window >= 1 (closed), size <= %d, sources <= %d, account >= 0\n",
                 CHAT_LINE_MAX, UINT8_MAX);
        return rc;
    }
    options.server_count = s_split (servers, &options.servers);
    char **pid_list = NULL;
    size_t pid_count = s_split (pids, &pid_list);
    for (size_t index = 0; index < pid_count; index++) {
        if (index < PROCSTAT_MAX)
            options.pids [options.pid_count++] = (pid_t) atoi (pid_list [index]);
        free (pid_list [index]);
    }
    free (pid_list);

    run_result_t result;
    if (tls && !(options.tls_context = conn_tls_context_new ()))
        fprintf (stderr, "zchat-loadgen: cannot create a TLS context\n");
    else
    if (options.server_count == 0)
        fprintf (stderr, "zchat-loadgen: no servers\n");
    else
    if (run_execute (&options, &result) == 0) {
        rc = report_write (&options, &result)? LOADGEN_EXIT_UNCLEAN: 0;
        if (expect_clean && !s_clean (&options, &result)) {
            fprintf (stderr, "zchat-loadgen: run was not clean\n");
            rc = LOADGEN_EXIT_UNCLEAN;
        }
    }
    conn_tls_context_free (options.tls_context);
    for (size_t index = 0; index < options.server_count; index++)
        free (options.servers [index]);
    free (options.servers);
    return rc;
}
