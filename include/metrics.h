/*  =========================================================================
    metrics.h - counters, gauges and histograms, named once, shown as Prometheus text

    Each tier names its metrics in one table (an X-macro list: id, type,
    name, labels, help), from which come both the ids the code counts
    with and the text /metrics serves, so a metric cannot exist in one
    place and not the other. Counting is a plain add into an array owned
    by the loop thread, with no lock and no call: metrics_add is inline.
    The exposition (text format 0.0.4) is rendered by the same thread
    when a scrape asks, together with the process metrics every
    Prometheus client exports and a zchat_build_info gauge.

    Rows that share a name are one metric family with a fixed, bounded
    label set (e.g. closed clients by reason="quit"|"idle"|...): rows of a
    family must be adjacent in the table, and only the first row's help
    is shown. Label values are never room names or nicknames.
    =========================================================================
*/
#ifndef METRICS_H_INCLUDED
#define METRICS_H_INCLUDED

#include "chat.h"

typedef enum {
    METRICS_COUNTER,        //  only goes up; the name ends in _total
    METRICS_GAUGE,          //  set to the current value
    METRICS_HISTOGRAM       //  observations into METRICS_BUCKETS buckets
} metrics_type_t;

//  One row of a tier's table.
typedef struct {
    metrics_type_t type;
    const char *name;       //  "zchat_gateway_lines_received_total"
    const char *labels;     //  "" or a fixed set: "reason=\"idle\""
    const char *help;       //  one line for # HELP
} metrics_def_t;

//  Histogram buckets, in seconds (latency from reading a message to
//  writing it to a client: tens of microseconds to seconds).
#define METRICS_BUCKETS     12
#define METRICS_BUCKET_BOUNDS \
    { 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 2.5 }

typedef struct {
    uint64_t buckets [METRICS_BUCKETS + 1];     //  per bucket (not cumulative); the last is +Inf
    double sum;                                 //  seconds
    uint64_t count;
} metrics_histogram_t;

typedef struct {
    const metrics_def_t *defs;      //  the tier's table (static)
    size_t count;                   //  rows
    uint64_t *values;               //  one per row (counters and gauges)
    metrics_histogram_t *histograms;  //  one per row; used by histogram rows only
    int64_t start_time_ms;          //  wall clock at metrics_new, for process_start_time_seconds
} metrics_t;

//  True if a table keeps the rules: every name starts with zchat_, a
//  name ends in _total exactly when its row is a counter, and the rows
//  of one family are adjacent. metrics_new asserts it.
bool
    metrics_table_valid (const metrics_def_t *defs, size_t count);

//  Create the values of a table (all zero). defs must outlive it.
metrics_t *
    metrics_new (const metrics_def_t *defs, size_t count);

//  Destroy; NULL-safe, sets *self_p NULL.
void
    metrics_destroy (metrics_t **self_p);

//  Count: add to a counter, set a gauge, move a gauge.
static inline void
metrics_add (metrics_t *self, size_t id, uint64_t amount)
{
    self->values [id] += amount;
}

static inline void
metrics_set (metrics_t *self, size_t id, uint64_t value)
{
    self->values [id] = value;
}

static inline void
metrics_sub (metrics_t *self, size_t id, uint64_t amount)
{
    self->values [id] -= amount;
}

//  The current value of a counter or gauge row.
static inline uint64_t
metrics_value (metrics_t *self, size_t id)
{
    return self->values [id];
}

//  Record one observation (seconds) in a histogram row.
void
    metrics_observe (metrics_t *self, size_t id, double seconds);

//  Record one observation (seconds) in a histogram kept outside a table
//  (by a module that hands it over whole, see metrics_set_histogram).
void
    metrics_histogram_observe (metrics_histogram_t *histogram, double seconds);

//  Replace a histogram row's values with a copy of histogram.
static inline void
metrics_set_histogram (metrics_t *self, size_t id, const metrics_histogram_t *histogram)
{
    self->histograms [id] = *histogram;
}

//  The whole exposition: the table's families in order, then the
//  process metrics and zchat_build_info. Returns a new string for the
//  caller to free.
char *
    metrics_render (metrics_t *self);

//  The Content-Type of the exposition.
#define METRICS_CONTENT_TYPE    "text/plain; version=0.0.4; charset=utf-8"

//  A tier's table is an X-macro list of rows X (id, type, name, labels,
//  help), e.g. a GATEWAY_METRICS(X) whose rows are
//      X (GATEWAY_LINES_IN, METRICS_COUNTER, "zchat_gateway_lines_received_total", "",
//         "Lines received from clients.")
//  then the ids and the table come from the one list:
//      typedef enum { GATEWAY_METRICS (METRICS_ID) GATEWAY_METRIC_COUNT } gateway_metric_t;
//      static const metrics_def_t s_defs [] = { GATEWAY_METRICS (METRICS_ROW) };
#define METRICS_ID(id, type, name, labels, help)    id,
#define METRICS_ROW(id, type, name, labels, help)   { type, name, labels, help },

#endif
