/*  =========================================================================
    metrics.c - counters, gauges and histograms, shown as Prometheus text

    The values live in plain arrays that the loop thread adds to; this
    file only allocates them and renders them. Rendering writes into an
    open_memstream buffer: a scrape is rare, so clarity wins over speed
    here, and the hot path never sees this code.
    =========================================================================
*/
#include "metrics.h"
#include <dirent.h>
#include <sys/resource.h>

#define METRICS_PREFIX          "zchat_"
#define METRICS_COUNTER_SUFFIX  "_total"
#define METRICS_STATM           "/proc/self/statm"
#define METRICS_FD_DIR          "/proc/self/fd"
#define METRICS_USEC_PER_SEC    1000000.0
#define METRICS_MSEC_PER_SEC    1000.0

static const double s_bounds [METRICS_BUCKETS] = METRICS_BUCKET_BOUNDS;

bool
metrics_table_valid (const metrics_def_t *defs, size_t count)
{
    for (size_t id = 0; id < count; id++) {
        const char *name = defs [id].name;
        size_t size = strlen (name);
        bool total = size > strlen (METRICS_COUNTER_SUFFIX)
            && streq (name + size - strlen (METRICS_COUNTER_SUFFIX), METRICS_COUNTER_SUFFIX);
        if (strncmp (name, METRICS_PREFIX, strlen (METRICS_PREFIX)) != 0
        ||  total != (defs [id].type == METRICS_COUNTER))
            return false;
        //  A family's rows are adjacent: a name seen before must be the last one
        for (size_t earlier = 0; id > 0 && earlier < id - 1; earlier++)
            if (streq (defs [earlier].name, name) && !streq (defs [id - 1].name, name))
                return false;
    }
    return true;
}

metrics_t *
metrics_new (const metrics_def_t *defs, size_t count)
{
    assert (defs);
    assert (metrics_table_valid (defs, count));
    metrics_t *self = (metrics_t *) zmalloc (sizeof (metrics_t));
    assert (self);
    self->defs = defs;
    self->count = count;
    self->values = (uint64_t *) zmalloc (count * sizeof (uint64_t) + 1);
    self->histograms = (metrics_histogram_t *) zmalloc (count * sizeof (metrics_histogram_t) + 1);
    assert (self->values && self->histograms);
    self->start_time_ms = zclock_time ();
    return self;
}

void
metrics_destroy (metrics_t **self_p)
{
    assert (self_p);
    metrics_t *self = *self_p;
    if (!self)
        return;
    free (self->values);
    free (self->histograms);
    free (self);
    *self_p = NULL;
}

void
metrics_observe (metrics_t *self, size_t id, double seconds)
{
    assert (self);
    assert (id < self->count && self->defs [id].type == METRICS_HISTOGRAM);
    metrics_histogram_observe (&self->histograms [id], seconds);
}

void
metrics_histogram_observe (metrics_histogram_t *histogram, double seconds)
{
    assert (histogram);
    size_t bucket = 0;
    while (bucket < METRICS_BUCKETS && seconds > s_bounds [bucket])
        bucket++;
    histogram->buckets [bucket]++;
    histogram->sum += seconds;
    histogram->count++;
}

static const char *
s_type_name (metrics_type_t type)
{
    return type == METRICS_COUNTER? "counter": type == METRICS_GAUGE? "gauge": "histogram";
}

//  "name{labels}" or "name{labels,extra}" or "name".
static void
s_series (FILE *out, const char *name, const char *suffix, const char *labels,
          const char *extra)
{
    bool any = *labels || (extra && *extra);
    fprintf (out, "%s%s%s%s%s%s%s", name, suffix, any? "{": "", labels,
             *labels && extra && *extra? ",": "", extra? extra: "", any? "}": "");
}

static void
s_render_histogram (FILE *out, const metrics_def_t *def, const metrics_histogram_t *histogram)
{
    uint64_t cumulative = 0;
    for (size_t bucket = 0; bucket <= METRICS_BUCKETS; bucket++) {
        cumulative += histogram->buckets [bucket];
        char le [32];
        if (bucket < METRICS_BUCKETS)
            snprintf (le, sizeof (le), "le=\"%g\"", s_bounds [bucket]);
        else
            snprintf (le, sizeof (le), "le=\"+Inf\"");
        s_series (out, def->name, "_bucket", def->labels, le);
        fprintf (out, " %" PRIu64 "\n", cumulative);
    }
    s_series (out, def->name, "_sum", def->labels, NULL);
    fprintf (out, " %.9g\n", histogram->sum);
    s_series (out, def->name, "_count", def->labels, NULL);
    fprintf (out, " %" PRIu64 "\n", histogram->count);
}

static void
s_family_head (FILE *out, const char *name, const char *help, const char *type)
{
    fprintf (out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

//  Open file descriptors, counted in /proc/self/fd (less the one that
//  counting opens).
static size_t
s_open_fds (void)
{
    DIR *directory = opendir (METRICS_FD_DIR);
    if (!directory)
        return 0;
    size_t count = 0;
    struct dirent *entry;
    while ((entry = readdir (directory)))
        if (entry->d_name [0] != '.')
            count++;
    closedir (directory);
    return count > 0? count - 1: 0;
}

//  The standard process metrics (the names every Prometheus client uses).
static void
s_render_process (FILE *out, metrics_t *self)
{
    struct rusage usage;
    getrusage (RUSAGE_SELF, &usage);
    double cpu = usage.ru_utime.tv_sec + usage.ru_stime.tv_sec
               + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / METRICS_USEC_PER_SEC;
    s_family_head (out, "process_cpu_seconds_total", "User and system CPU time spent in seconds.",
                   "counter");
    fprintf (out, "process_cpu_seconds_total %.6f\n", cpu);

    unsigned long pages_virtual = 0, pages_resident = 0;
    FILE *statm = fopen (METRICS_STATM, "r");
    if (statm) {
        if (fscanf (statm, "%lu %lu", &pages_virtual, &pages_resident) != 2)
            pages_virtual = pages_resident = 0;
        fclose (statm);
    }
    long page = sysconf (_SC_PAGESIZE);
    s_family_head (out, "process_resident_memory_bytes", "Resident memory size in bytes.",
                   "gauge");
    fprintf (out, "process_resident_memory_bytes %lu\n", pages_resident * (unsigned long) page);
    s_family_head (out, "process_virtual_memory_bytes", "Virtual memory size in bytes.",
                   "gauge");
    fprintf (out, "process_virtual_memory_bytes %lu\n", pages_virtual * (unsigned long) page);

    s_family_head (out, "process_open_fds", "Number of open file descriptors.", "gauge");
    fprintf (out, "process_open_fds %zu\n", s_open_fds ());
    struct rlimit limit;
    if (getrlimit (RLIMIT_NOFILE, &limit) == 0) {
        s_family_head (out, "process_max_fds", "Maximum number of open file descriptors.",
                       "gauge");
        fprintf (out, "process_max_fds %llu\n", (unsigned long long) limit.rlim_cur);
    }
    s_family_head (out, "process_start_time_seconds",
                   "Start time of the process since unix epoch in seconds.", "gauge");
    fprintf (out, "process_start_time_seconds %.3f\n", self->start_time_ms / METRICS_MSEC_PER_SEC);
}

static void
s_render_build_info (FILE *out)
{
    int major, minor, patch;
    zmq_version (&major, &minor, &patch);
    s_family_head (out, "zchat_build_info",
                   "Always 1; the labels say which zchat and libraries this process runs.",
                   "gauge");
    fprintf (out, "zchat_build_info{version=\"%s\",czmq=\"%d.%d.%d\",libzmq=\"%d.%d.%d\"} 1\n",
             CHAT_VERSION, CZMQ_VERSION_MAJOR, CZMQ_VERSION_MINOR, CZMQ_VERSION_PATCH,
             major, minor, patch);
}

char *
metrics_render (metrics_t *self)
{
    assert (self);
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    assert (out);
    for (size_t id = 0; id < self->count; id++) {
        const metrics_def_t *def = &self->defs [id];
        if (id == 0 || !streq (def->name, self->defs [id - 1].name))
            s_family_head (out, def->name, def->help, s_type_name (def->type));
        if (def->type == METRICS_HISTOGRAM)
            s_render_histogram (out, def, &self->histograms [id]);
        else {
            s_series (out, def->name, "", def->labels, NULL);
            fprintf (out, " %" PRIu64 "\n", self->values [id]);
        }
    }
    s_render_process (out, self);
    s_render_build_info (out);
    fclose (out);
    return text;
}
