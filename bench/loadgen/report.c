/*  =========================================================================
    report.c - what a run measured: summary, JSON and a TSV row

    The summary goes to stdout for people; the JSON file (one per run, in
    bench/results/) keeps every figure; the TSV row feeds the table and
    the chart that bench/run.sh draws. Server CPU per delivery is the
    figure to compare between servers: on a shared, noisy machine the
    wall-clock rates move with the neighbours, CPU per delivery much less.
    =========================================================================
*/
#include "loadgen.h"

#define REPORT_KB               1024.0
#define REPORT_NS_PER_US        1000.0
#define REPORT_NS_PER_S         1e9

//  Figures derived from a result, shared by every output.
typedef struct {
    double deliveries_per_s;
    double messages_per_s;
    double server_cpu_s;
    double cpu_us_per_delivery;     //  0 when nothing was delivered
    double rss_kb_per_conn;         //  above the baseline, per ready connection
    double rss_total_kb_per_conn;   //  all of it, per ready connection
    uint32_t failed;
    double first_cpu_s;             //  CPU of the first server process (zchat: the router)
    double first_us_per_message;    //  ... per message sent
    double first_core_share;        //  ... as a share of one core over the window
    double switches_per_message;    //  context switches, all threads, in the window
    double account_syscalls_per_message;    //  accounting phase; -1 if not counted
    double account_switches_per_message;    //  accounting phase; -1 if none
    double account_first_syscalls;  //  ... of the first process; -1 if not counted
} report_figures_t;

static void
s_figures (const run_result_t *result, report_figures_t *figures)
{
    memset (figures, 0, sizeof (*figures));
    if (result->measured_s > 0) {
        figures->deliveries_per_s = (double) result->window_deliveries / result->measured_s;
        figures->messages_per_s = (double) result->messages_sent / result->measured_s;
    }
    figures->server_cpu_s = (double) (result->cpu_end.cpu_ns_total
                                      - result->cpu_start.cpu_ns_total) / REPORT_NS_PER_S;
    if (result->window_deliveries)
        figures->cpu_us_per_delivery = figures->server_cpu_s * 1e6
                                     / (double) result->window_deliveries;
    if (result->ready) {
        double above = (double) result->cpu_end.rss_kb_total
                     - (double) result->baseline.rss_kb_total;
        figures->rss_kb_per_conn = above / result->ready;
        figures->rss_total_kb_per_conn = (double) result->cpu_end.rss_kb_total / result->ready;
    }
    if (result->cpu_end.count > 0)
        figures->first_cpu_s = (double) (result->cpu_end.cpu_ns [0]
                                         - result->cpu_start.cpu_ns [0]) / REPORT_NS_PER_S;
    if (result->messages_sent)
        figures->first_us_per_message = figures->first_cpu_s * 1e6
                                      / (double) result->messages_sent;
    if (result->measured_s > 0)
        figures->first_core_share = figures->first_cpu_s / result->measured_s;
    if (result->messages_sent)
        figures->switches_per_message = (double) (result->cpu_end.switches_total
                                                  - result->cpu_start.switches_total)
                                      / (double) result->messages_sent;
    figures->account_syscalls_per_message = -1;
    figures->account_switches_per_message = -1;
    figures->account_first_syscalls = -1;
    if (result->account_sent) {
        figures->account_switches_per_message
            = (double) (result->account_end.switches_total - result->account_start.switches_total)
            / (double) result->account_sent;
        if (result->syscalls_counted) {
            figures->account_syscalls_per_message = (double) result->account_syscalls_total
                                                  / (double) result->account_sent;
            figures->account_first_syscalls = (double) result->account_syscalls [0]
                                            / (double) result->account_sent;
        }
    }
    figures->failed = result->failed_connect + result->failed_login + result->failed_barrier
                    + result->failed_later + result->timed_out;
}

static const char *
s_mode_name (run_mode_t mode)
{
    return mode == RUN_OPEN? "open": mode == RUN_CLOSED? "closed": "idle";
}

static double
s_us (uint64_t ns)
{
    return (double) ns / REPORT_NS_PER_US;
}

static void
s_print_summary (const run_options_t *options, const run_result_t *result,
                 const report_figures_t *figures)
{
    printf ("loadgen: %s against %s (%zu servers) clients=%" PRIu32 " rooms=%" PRIu32
            " senders/room=%" PRIu32 " mode=%s rate=%.1f window=%" PRIu32 " size=%" PRIu32 "\n",
            options->label, options->server_name, options->server_count, options->clients,
            options->rooms, options->senders, s_mode_name (options->mode), options->rate,
            options->window, options->size);
    printf ("  clients   connected %" PRIu32 ", joined %" PRIu32 ", ready %" PRIu32
            ", failed %" PRIu32 " (connect %" PRIu32 ", login %" PRIu32 ", barrier %" PRIu32
            ", later %" PRIu32 ", timeout %" PRIu32 "); join %.2f s, barrier %.2f s\n",
            result->connected, result->joined, result->ready, figures->failed,
            result->failed_connect, result->failed_login, result->failed_barrier,
            result->failed_later, result->timed_out, result->join_s, result->barrier_s);
    if (result->first_error [0])
        printf ("  first error: %s\n", result->first_error);
    printf ("  messages  sent %" PRIu64 " (%.0f/s), delivered %" PRIu64 " of %" PRIu64
            ", %.0f deliveries/s in the %.2f s window\n",
            result->messages_sent, figures->messages_per_s, result->delivered,
            result->expected, figures->deliveries_per_s, result->measured_s);
    printf ("  latency   p50 %.0f us, p90 %.0f us, p99 %.0f us, p99.9 %.0f us, max %.0f us"
            " (mean %.0f us)\n",
            s_us (result->latency_ns [0]), s_us (result->latency_ns [1]),
            s_us (result->latency_ns [2]), s_us (result->latency_ns [3]),
            s_us (result->latency_ns [4]), s_us (result->latency_ns [5]));
    printf ("  errors    lost %" PRIu64 ", duplicated %" PRIu64 ", out-of-order %" PRIu64
            ", misrouted %" PRIu64 ", window timeouts %" PRIu64 ", server warnings %" PRIu64 "\n",
            result->lost, result->duplicated, result->out_of_order, result->misrouted,
            result->flight_timeouts, result->server_warnings);
    printf ("  server    cpu %.3f s = %.3f us per delivery (the figure to compare: wall-clock"
            " rates move with a noisy machine); rss %" PRIu64 " kB, %.2f kB per connection"
            " above the %" PRIu64 " kB baseline\n",
            figures->server_cpu_s, figures->cpu_us_per_delivery,
            result->cpu_end.rss_kb_total, figures->rss_kb_per_conn,
            result->baseline.rss_kb_total);
    for (size_t index = 0; index < result->cpu_end.count; index++)
        printf ("            pid %d cpu %.3f s rss %" PRIu64 " kB\n",
                (int) result->cpu_end.pid [index],
                (double) (result->cpu_end.cpu_ns [index] - result->cpu_start.cpu_ns [index])
                / REPORT_NS_PER_S, result->cpu_end.rss_kb [index]);
    printf ("  switches  %.2f context switches per message in the window (all server threads)\n",
            figures->switches_per_message);
    if (result->account_sent) {
        printf ("  account   %" PRIu64 " messages, %" PRIu64 " deliveries in %.2f s: ",
                result->account_sent, result->account_deliveries, result->account_s);
        if (result->syscalls_counted)
            printf ("%.2f system calls per message (%zu threads),",
                    figures->account_syscalls_per_message, result->account_threads);
        else
            printf ("system calls not counted,");
        printf (" %.2f context switches per message%s%s\n",
                figures->account_switches_per_message, result->account_note [0]? "; ": "",
                result->account_note);
        for (size_t index = 0; index < result->account_end.count; index++)
            printf ("            pid %d threads %" PRIu32 " syscalls/msg %.2f switches/msg %.2f\n",
                    (int) result->account_end.pid [index], result->account_end.threads [index],
                    (double) result->account_syscalls [index] / (double) result->account_sent,
                    (double) (result->account_end.switches [index]
                              - result->account_start.switches [index])
                    / (double) result->account_sent);
    }
    printf ("  loadgen   cpu %.3f s\n", result->loadgen_cpu_s);
}

static int
s_write_json (const run_options_t *options, const run_result_t *result,
              const report_figures_t *figures)
{
    FILE *file = fopen (options->json_path, "w");
    if (!file) {
        fprintf (stderr, "loadgen: cannot write %s: %s\n", options->json_path, strerror (errno));
        return -1;
    }
    fprintf (file, "{\n  \"label\": \"%s\",\n  \"server\": \"%s\",\n  \"servers\": %zu,\n",
             options->label, options->server_name, options->server_count);
    fprintf (file, "  \"protocol\": \"%s\",\n  \"clients\": %" PRIu32 ",\n  \"rooms\": %" PRIu32
             ",\n  \"senders_per_room\": %" PRIu32 ",\n  \"mode\": \"%s\",\n  \"rate\": %.3f,\n"
             "  \"window\": %" PRIu32 ",\n  \"duration_s\": %.3f,\n  \"size\": %" PRIu32 ",\n"
             "  \"connect_rate\": %.1f,\n",
             options->dialect == DIALECT_ZCHAT? "zchat": "irc", options->clients,
             options->rooms, options->senders, s_mode_name (options->mode), options->rate,
             options->window, options->duration, options->size, options->connect_rate);
    fprintf (file, "  \"connected\": %" PRIu32 ",\n  \"joined\": %" PRIu32 ",\n  \"ready\": %"
             PRIu32 ",\n  \"failed\": %" PRIu32 ",\n  \"failed_connect\": %" PRIu32 ",\n"
             "  \"failed_login\": %" PRIu32 ",\n  \"failed_barrier\": %" PRIu32 ",\n"
             "  \"failed_later\": %" PRIu32 ",\n  \"timed_out\": %" PRIu32 ",\n"
             "  \"join_s\": %.3f,\n  \"barrier_s\": %.3f,\n  \"measured_s\": %.3f,\n",
             result->connected, result->joined, result->ready, figures->failed,
             result->failed_connect, result->failed_login, result->failed_barrier,
             result->failed_later, result->timed_out, result->join_s, result->barrier_s,
             result->measured_s);
    fprintf (file, "  \"messages_sent\": %" PRIu64 ",\n  \"messages_per_s\": %.1f,\n"
             "  \"expected\": %" PRIu64 ",\n  \"delivered\": %" PRIu64 ",\n"
             "  \"window_deliveries\": %" PRIu64 ",\n  \"deliveries_per_s\": %.1f,\n",
             result->messages_sent, figures->messages_per_s, result->expected,
             result->delivered, result->window_deliveries, figures->deliveries_per_s);
    fprintf (file, "  \"latency_us\": {\"p50\": %.1f, \"p90\": %.1f, \"p99\": %.1f,"
             " \"p999\": %.1f, \"max\": %.1f, \"mean\": %.1f},\n",
             s_us (result->latency_ns [0]), s_us (result->latency_ns [1]),
             s_us (result->latency_ns [2]), s_us (result->latency_ns [3]),
             s_us (result->latency_ns [4]), s_us (result->latency_ns [5]));
    fprintf (file, "  \"lost\": %" PRIu64 ",\n  \"duplicated\": %" PRIu64 ",\n"
             "  \"out_of_order\": %" PRIu64 ",\n  \"misrouted\": %" PRIu64 ",\n"
             "  \"window_timeouts\": %" PRIu64 ",\n  \"server_warnings\": %" PRIu64 ",\n",
             result->lost, result->duplicated, result->out_of_order, result->misrouted,
             result->flight_timeouts, result->server_warnings);
    fprintf (file, "  \"server_cpu_s\": %.3f,\n  \"server_cpu_us_per_delivery\": %.4f,\n"
             "  \"server_rss_kb\": %" PRIu64 ",\n  \"server_rss_kb_baseline\": %" PRIu64 ",\n"
             "  \"server_rss_kb_per_conn\": %.3f,\n  \"server_rss_total_kb_per_conn\": %.3f,\n"
             "  \"loadgen_cpu_s\": %.3f,\n",
             figures->server_cpu_s, figures->cpu_us_per_delivery, result->cpu_end.rss_kb_total,
             result->baseline.rss_kb_total, figures->rss_kb_per_conn,
             figures->rss_total_kb_per_conn, result->loadgen_cpu_s);
    fprintf (file, "  \"transport\": \"%s\",\n  \"switches_per_message\": %.3f,\n",
             options->transport, figures->switches_per_message);
    fprintf (file, "  \"account\": {\"messages\": %" PRIu64 ", \"deliveries\": %" PRIu64
             ", \"seconds\": %.3f, \"syscalls_counted\": %s, \"threads\": %zu,"
             " \"syscalls_per_message\": %.3f, \"switches_per_message\": %.3f,"
             " \"note\": \"%s\", \"processes\": [",
             result->account_sent, result->account_deliveries, result->account_s,
             result->syscalls_counted? "true": "false", result->account_threads,
             figures->account_syscalls_per_message, figures->account_switches_per_message,
             result->account_note);
    for (size_t index = 0; result->account_sent && index < result->account_end.count; index++)
        fprintf (file, "%s{\"pid\": %d, \"threads\": %" PRIu32 ", \"syscalls\": %" PRIu64
                 ", \"switches\": %" PRIu64 "}", index? ", ": "",
                 (int) result->account_end.pid [index], result->account_end.threads [index],
                 result->account_syscalls [index],
                 result->account_end.switches [index] - result->account_start.switches [index]);
    fprintf (file, "]},\n");
    fprintf (file, "  \"processes\": [");
    for (size_t index = 0; index < result->cpu_end.count; index++)
        fprintf (file, "%s{\"pid\": %d, \"cpu_s\": %.3f, \"rss_kb\": %" PRIu64 "}",
                 index? ", ": "", (int) result->cpu_end.pid [index],
                 (double) (result->cpu_end.cpu_ns [index] - result->cpu_start.cpu_ns [index])
                 / REPORT_NS_PER_S, result->cpu_end.rss_kb [index]);
    fprintf (file, "],\n  \"baseline_processes\": [");
    for (size_t index = 0; index < result->baseline.count; index++)
        fprintf (file, "%s{\"pid\": %d, \"rss_kb\": %" PRIu64 "}", index? ", ": "",
                 (int) result->baseline.pid [index], result->baseline.rss_kb [index]);
    fprintf (file, "],\n  \"first_error\": \"");
    for (const char *cursor = result->first_error; *cursor; cursor++)
        if (*cursor != '"' && *cursor != '\\' && (unsigned char) *cursor >= ' ')
            fputc (*cursor, file);
    fprintf (file, "\"\n}\n");
    return fclose (file) == 0? 0: -1;
}

static int
s_write_tsv (const run_options_t *options, const run_result_t *result,
             const report_figures_t *figures)
{
    FILE *file = fopen (options->tsv_path, "a");
    if (!file) {
        fprintf (stderr, "loadgen: cannot write %s: %s\n", options->tsv_path, strerror (errno));
        return -1;
    }
    if (ftell (file) == 0)
        fprintf (file, "label\tserver\tgateways\tclients\trooms\tmode\tready\tfailed"
                 "\tmessages_per_s\tdeliveries_per_s\tp50_us\tp90_us\tp99_us\tp999_us\tmax_us"
                 "\tlost\tduplicated\tout_of_order\tmisrouted\tcpu_us_per_delivery"
                 "\trss_kb_per_conn\trss_kb\tserver_cpu_s\tloadgen_cpu_s\tfirst_cpu_s"
                 "\tfirst_us_per_message\tfirst_core_share\ttransport\tswitches_per_message"
                 "\taccount_messages\tsyscalls_per_message\taccount_switches_per_message"
                 "\tfirst_syscalls_per_message\n");
    fprintf (file, "%s\t%s\t%zu\t%" PRIu32 "\t%" PRIu32 "\t%s\t%" PRIu32 "\t%" PRIu32
             "\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64
             "\t%" PRIu64 "\t%.4f\t%.3f\t%" PRIu64 "\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f"
             "\t%s\t%.3f\t%" PRIu64 "\t%.3f\t%.3f\t%.3f\n",
             options->label, options->server_name, options->server_count, options->clients,
             options->rooms, s_mode_name (options->mode), result->ready, figures->failed,
             figures->messages_per_s, figures->deliveries_per_s,
             s_us (result->latency_ns [0]), s_us (result->latency_ns [1]),
             s_us (result->latency_ns [2]), s_us (result->latency_ns [3]),
             s_us (result->latency_ns [4]), result->lost, result->duplicated,
             result->out_of_order, result->misrouted, figures->cpu_us_per_delivery,
             figures->rss_kb_per_conn, result->cpu_end.rss_kb_total, figures->server_cpu_s,
             result->loadgen_cpu_s, figures->first_cpu_s, figures->first_us_per_message,
             figures->first_core_share, options->transport, figures->switches_per_message,
             result->account_sent, figures->account_syscalls_per_message,
             figures->account_switches_per_message, figures->account_first_syscalls);
    return fclose (file) == 0? 0: -1;
}

int
report_write (const run_options_t *options, const run_result_t *result)
{
    assert (options);
    assert (result);
    report_figures_t figures;
    s_figures (result, &figures);
    s_print_summary (options, result, &figures);
    fflush (stdout);
    int rc = 0;
    if (options->json_path && *options->json_path
    &&  s_write_json (options, result, &figures))
        rc = -1;
    if (options->tsv_path && *options->tsv_path
    &&  s_write_tsv (options, result, &figures))
        rc = -1;
    return rc;
}
