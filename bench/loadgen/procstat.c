/*  =========================================================================
    procstat.c - CPU time, memory and context switches of the server processes

    Reads utime + stime (every thread of the process) from /proc/PID/stat,
    VmRSS from /proc/PID/status, and the voluntary + nonvoluntary context
    switches of every thread from /proc/PID/task/TID/status (the process's
    own status counts its main thread only). The benchmark compares servers by CPU
    time per delivery over the measured window, which stays meaningful on
    a shared, noisy machine where wall-clock throughput does not.
    =========================================================================
*/
#include "loadgen.h"
#include <dirent.h>

#define PROCSTAT_PATH_MAX       64
#define PROCSTAT_LINE_MAX       1024
#define PROCSTAT_UTIME_FIELD    14      //  field numbers of proc(5), 1-based
#define PROCSTAT_STIME_FIELD    15
#define PROCSTAT_AFTER_COMM     3       //  first field after "pid (comm)"
#define PROCSTAT_VOLUNTARY      "voluntary_ctxt_switches:"
#define PROCSTAT_NONVOLUNTARY   "nonvoluntary_ctxt_switches:"

//  utime + stime of pid in nanoseconds; -1 if it cannot be read.
static int
s_read_cpu (pid_t pid, uint64_t *cpu_ns)
{
    char path [PROCSTAT_PATH_MAX];
    snprintf (path, sizeof (path), "/proc/%d/stat", (int) pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return -1;
    char line [PROCSTAT_LINE_MAX];
    char *got = fgets (line, sizeof (line), file);
    fclose (file);
    if (!got)
        return -1;
    //  comm may hold spaces and parentheses: fields start after the last ')'
    char *cursor = strrchr (line, ')');
    if (!cursor)
        return -1;
    cursor++;
    unsigned long long utime = 0, stime = 0;
    bool found = false;
    char *save = NULL;
    int field = PROCSTAT_AFTER_COMM;
    for (char *token = strtok_r (cursor, " ", &save); token;
         token = strtok_r (NULL, " ", &save), field++) {
        if (field == PROCSTAT_UTIME_FIELD)
            utime = strtoull (token, NULL, 10);
        else
        if (field == PROCSTAT_STIME_FIELD) {
            stime = strtoull (token, NULL, 10);
            found = true;
            break;
        }
    }
    if (!found)
        return -1;
    long ticks = sysconf (_SC_CLK_TCK);
    if (ticks <= 0)
        return -1;
    *cpu_ns = (uint64_t) (utime + stime) * (LOADGEN_NS_PER_S / (uint64_t) ticks);
    return 0;
}

//  VmRSS of pid in kB; -1 if it cannot be read.
static int
s_read_rss (pid_t pid, uint64_t *rss_kb)
{
    char path [PROCSTAT_PATH_MAX];
    snprintf (path, sizeof (path), "/proc/%d/status", (int) pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return -1;
    char line [PROCSTAT_LINE_MAX];
    int rc = -1;
    while (fgets (line, sizeof (line), file)) {
        if (strncmp (line, "VmRSS:", strlen ("VmRSS:")) == 0) {
            *rss_kb = strtoull (line + strlen ("VmRSS:"), NULL, 10);
            rc = 0;
            break;
        }
    }
    fclose (file);
    return rc;
}

//  Value of the "NAME: value" line of a status file, added to *sum.
static void
s_add_field (const char *line, const char *name, uint64_t *sum)
{
    if (strncmp (line, name, strlen (name)) == 0)
        *sum += strtoull (line + strlen (name), NULL, 10);
}

//  Context switches of every thread of pid; -1 if its tasks cannot be read.
static int
s_read_switches (pid_t pid, uint64_t *switches, uint32_t *threads)
{
    char path [PROCSTAT_PATH_MAX];
    snprintf (path, sizeof (path), "/proc/%d/task", (int) pid);
    DIR *tasks = opendir (path);
    if (!tasks)
        return -1;
    struct dirent *entry;
    while ((entry = readdir (tasks))) {
        if (entry->d_name [0] == '.')
            continue;
        char status [PROCSTAT_PATH_MAX * 2];
        snprintf (status, sizeof (status), "/proc/%d/task/%.24s/status", (int) pid,
                  entry->d_name);
        FILE *file = fopen (status, "r");
        if (!file)
            continue;           //  the thread has just exited
        char line [PROCSTAT_LINE_MAX];
        while (fgets (line, sizeof (line), file)) {
            s_add_field (line, PROCSTAT_VOLUNTARY, switches);
            s_add_field (line, PROCSTAT_NONVOLUNTARY, switches);
        }
        fclose (file);
        (*threads)++;
    }
    closedir (tasks);
    return 0;
}

void
procstat_sample (const pid_t *pids, size_t count, procstat_t *sample)
{
    assert (sample);
    memset (sample, 0, sizeof (*sample));
    if (count > PROCSTAT_MAX)
        count = PROCSTAT_MAX;
    sample->count = count;
    for (size_t index = 0; index < count; index++) {
        sample->pid [index] = pids [index];
        uint64_t cpu_ns = 0, rss_kb = 0, switches = 0;
        uint32_t threads = 0;
        if (s_read_cpu (pids [index], &cpu_ns) == 0
        &&  s_read_rss (pids [index], &rss_kb) == 0
        &&  s_read_switches (pids [index], &switches, &threads) == 0)
            sample->alive++;
        sample->cpu_ns [index] = cpu_ns;
        sample->rss_kb [index] = rss_kb;
        sample->switches [index] = switches;
        sample->threads [index] = threads;
        sample->cpu_ns_total += cpu_ns;
        sample->rss_kb_total += rss_kb;
        sample->switches_total += switches;
    }
}
