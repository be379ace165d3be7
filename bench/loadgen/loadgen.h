/*  =========================================================================
    loadgen.h - private header of the zchat load generator

    The load generator (bin/zchat-loadgen) opens many client connections to
    one or more chat servers (zchat gateways or an IRC server), puts them in
    rooms, waits until every member has seen traffic from its room, then
    sends marked messages for a measured window and accounts for every
    delivery. It is a single-threaded epoll program; see bench/loadgen/run.c
    for the phases and docs/BENCHMARKS.md for how `make bench` uses it.

    One header for the tool's small modules, one section per module:
      marker.c     the text stamp a message carries (room, sender, seq, time)
      histogram.c  latency percentiles in a log-linear histogram
      track.c      per (receiver, sender) record of the sequences received
      procstat.c   CPU time, RSS and context switches of the server processes
      syscount.c   system calls of the server processes (perf tracepoint)
      dialect.c    zchat and IRC: login, join, message lines
      conn.c       one client connection: fd, partial input, output buffer
      run.c        the phases (run_private.h: what the run_*.c files share)
      run_io.c     connections and the epoll loop
      run_traffic.c  received lines (markers, login, join) and marked sends
      report.c     text summary, JSON and TSV results
    =========================================================================
*/
#ifndef LOADGEN_H_INCLUDED
#define LOADGEN_H_INCLUDED

#include "chat.h"
#include <sys/types.h>

#define LOADGEN_NS_PER_S        1000000000ULL
#define LOADGEN_NS_PER_MS       1000000ULL
#define LOADGEN_NS_PER_US       1000ULL

//  Monotonic time in nanoseconds (CLOCK_MONOTONIC, as stamped in markers).
uint64_t
    loadgen_now (void);

//  --- marker.c -------------------------------------------------------------
//  A marker is "ZB" + type + "room.sender.seq.sent_ns." in decimal, found
//  anywhere in a line, so the server's own prefix does not matter.
#define MARKER_PREFIX           "ZB"
#define MARKER_MESSAGE          'M'     //  a measured message
#define MARKER_PROBE            'P'     //  a barrier probe, not measured
#define MARKER_MAX              96      //  bytes of the longest marker

typedef struct {
    char type;              //  MARKER_MESSAGE or MARKER_PROBE
    uint32_t room;          //  room index of the sender
    uint32_t sender;        //  global connection index of the sender
    uint64_t seq;           //  sender's sequence, 1, 2, 3, ... (0 for probes)
    uint64_t sent_ns;       //  loadgen_now () when it was queued
} marker_t;

//  Write a marker into buffer (size bytes); returns its length, or -1 if
//  it does not fit.
int
    marker_format (char *buffer, size_t size, const marker_t *marker);

//  Find the first well-formed marker in line (length bytes, need not be
//  NUL-terminated). Returns 0 and fills *marker, or -1 if there is none.
int
    marker_find (const char *line, size_t length, marker_t *marker);

//  --- histogram.c ----------------------------------------------------------
//  Log-linear histogram of nanosecond values, about 1.6 % resolution.
typedef struct _histogram_t histogram_t;

//  Create an empty histogram; NULL if out of memory.
histogram_t *
    histogram_new (void);
//  Destroy; NULL-safe, sets *self_p to NULL.
void
    histogram_destroy (histogram_t **self_p);
void
    histogram_record (histogram_t *self, uint64_t value);
//  Values recorded so far.
uint64_t
    histogram_count (histogram_t *self);
//  Largest value recorded (exact), 0 if none.
uint64_t
    histogram_max (histogram_t *self);
//  Mean of the values recorded (exact), 0 if none.
uint64_t
    histogram_mean (histogram_t *self);
//  Value at or below which percent (0..100) of the values lie (upper edge
//  of its bucket, never above the max), 0 if none.
uint64_t
    histogram_percentile (histogram_t *self, double percent);

//  --- track.c --------------------------------------------------------------
//  What one receiver got from one sender: a bitmap of sequence numbers
//  (grown on demand), so losses, duplicates and reordering are exact.
typedef struct {
    uint64_t *bits;         //  bit seq-1 is set once seq was received
    size_t words;           //  words allocated in bits
    uint64_t max_seq;       //  highest sequence received
    uint64_t unique;        //  distinct sequences received
} track_t;

typedef enum {
    TRACK_NEW,              //  first time, in order
    TRACK_LATE,             //  first time, but after a higher sequence
    TRACK_DUPLICATE,        //  received before
    TRACK_INVALID           //  sequence 0 or out of memory
} track_result_t;

track_result_t
    track_record (track_t *self, uint64_t seq);
//  Free the bitmap; the track is empty again.
void
    track_reset (track_t *self);

//  --- procstat.c -----------------------------------------------------------
#define PROCSTAT_MAX            16      //  server processes watched

typedef struct {
    size_t count;                       //  processes sampled
    pid_t pid [PROCSTAT_MAX];
    uint64_t cpu_ns [PROCSTAT_MAX];     //  utime + stime, all threads
    uint64_t rss_kb [PROCSTAT_MAX];     //  VmRSS
    uint64_t switches [PROCSTAT_MAX];   //  voluntary + nonvoluntary, all threads
    uint32_t threads [PROCSTAT_MAX];    //  threads seen in /proc/PID/task
    uint64_t cpu_ns_total;
    uint64_t rss_kb_total;
    uint64_t switches_total;
    size_t alive;                       //  processes that could be read
} procstat_t;

//  Sample every pid; a pid that cannot be read counts as 0 (and not alive).
void
    procstat_sample (const pid_t *pids, size_t count, procstat_t *sample);

//  --- syscount.c -----------------------------------------------------------
//  Exact system call counts of every thread of some processes: a counting
//  perf event on the raw_syscalls:sys_enter tracepoint per thread, read by
//  the kernel with no tracer stopping the threads (strace would), so the
//  servers batch as they do untraced.
typedef struct _syscount_t syscount_t;

//  Start counting for every thread the pids have now. NULL if the kernel
//  does not allow it (no tracefs, no permission); why says what failed.
syscount_t *
    syscount_new (const pid_t *pids, size_t count, char *why, size_t why_size);
//  Stop counting; NULL-safe, sets *self_p to NULL.
void
    syscount_destroy (syscount_t **self_p);
//  System calls counted so far, per pid (calls [count] as given to new);
//  returns their sum.
uint64_t
    syscount_read (syscount_t *self, uint64_t *calls);
//  Threads being counted.
size_t
    syscount_threads (syscount_t *self);

//  --- dialect.c ------------------------------------------------------------
typedef enum {
    DIALECT_ZCHAT,          //  docs/PROTOCOL.md client protocol
    DIALECT_IRC             //  RFC 2812 subset: NICK/USER, JOIN, PRIVMSG, PING
} dialect_t;

typedef enum {
    DIALECT_LINE_OTHER,     //  nothing the login cares about
    DIALECT_LINE_WELCOME,   //  logged in; nick may have been learnt
    DIALECT_LINE_JOINED,    //  our own join to our room
    DIALECT_LINE_ERROR,     //  the server refused something
    DIALECT_LINE_PING       //  IRC PING: answer with the PONG given
} dialect_line_t;

#define DIALECT_NICK_MAX        40      //  bytes of a nickname, with NUL
#define DIALECT_ROOM_PREFIX     "r"     //  room N is "r<N>" ("#r<N>" on IRC)

//  Parse a dialect name ("zchat" or "irc"); -1 if unknown.
int
    dialect_parse (const char *name, dialect_t *dialect);
//  Bytes to send right after connecting (IRC registration); "" for zchat.
//  Writes into buffer, returns the length or -1 if it does not fit.
int
    dialect_hello (dialect_t dialect, uint32_t index, char *nick,
                   char *buffer, size_t size);
//  Bytes that ask to join room (buffer, size); returns length or -1.
int
    dialect_join (dialect_t dialect, uint32_t room, char *buffer, size_t size);
//  Bytes that send text to room; returns length or -1.
int
    dialect_say (dialect_t dialect, uint32_t room, const char *text,
                 size_t text_size, char *buffer, size_t size);
//  Classify a received line (no line end). nick is our nickname (updated
//  on a zchat welcome). On DIALECT_LINE_PING the reply goes into reply.
dialect_line_t
    dialect_classify (dialect_t dialect, const char *line, size_t length,
                      char *nick, uint32_t room, char *reply, size_t reply_size);

//  --- conn.c ---------------------------------------------------------------
typedef enum {
    CONN_IDLE,              //  not connected yet
    CONN_CONNECTING,        //  non-blocking connect in progress
    CONN_LOGIN,             //  connected, waiting for the welcome
    CONN_JOINING,           //  join sent, waiting for our own join notice
    CONN_JOINED,            //  in the room, waiting for a probe
    CONN_READY,             //  passed the barrier
    CONN_FAILED             //  gave up; fd closed
} conn_state_t;

#define CONN_INPUT_MAX          (64 * 1024)     //  longest line we keep
#define CONN_OUTPUT_MAX         (4 * 1024 * 1024)  //  bytes queued per connection

//  One message of a closed-loop sender's window
typedef struct {
    uint64_t seq;           //  sequence it carries
    uint64_t sent_ns;       //  when it was queued
    uint32_t remaining;     //  receivers that still have to get it
} flight_t;

typedef struct {
    int fd;                 //  -1 when not connected
    uint32_t index;         //  global connection index
    uint32_t room;          //  room index
    uint32_t member;        //  position in the room
    uint32_t server;        //  server (gateway) index it connects to
    conn_state_t state;
    bool was_ready;         //  reached CONN_READY at some point
    bool dirty;             //  in the flush list
    bool want_output;       //  EPOLLOUT requested
    char nick [DIALECT_NICK_MAX];
    char *input;            //  partial line kept between reads, or NULL
    size_t input_used;
    char *output;           //  bytes not yet written, or NULL
    size_t output_used;
    size_t output_size;
    int sender_slot;        //  index among its room's senders, -1 if none
    uint64_t sent;          //  measured messages sent (last seq)
    uint64_t acked;         //  closed loop: every seq <= acked is settled
    flight_t *flights;      //  closed loop window, or NULL
    uint64_t next_send_ns;  //  open loop: when the next message is due
    track_t *tracks;        //  one per sender slot of its room, or NULL
    uint64_t probe_ns;      //  last probe sent (barrier)
    void *tls;              //  --tls: its SSL connection (conn_tls.c), or NULL
    bool handshaking;       //  --tls: connected, TLS handshake not done yet
} conn_t;

//  Queue bytes for the connection; -1 when the output cap is reached.
int
    conn_queue (conn_t *self, const char *data, size_t size);
//  Write as much queued output as the kernel takes: returns 0 when all was
//  written, 1 when some is left (wait for EPOLLOUT), -1 on error.
int
    conn_flush (conn_t *self);
//  Close the fd and free the buffers (not the tracks, which the final
//  accounting still reads); the state is left to the caller.
void
    conn_close (conn_t *self);

//  --- conn_tls.c: --tls ------------------------------------------------------
//  The client context of every TLS connection (no certificate check), or
//  NULL; freed with conn_tls_context_free.
void *
    conn_tls_context_new (void);
void
    conn_tls_context_free (void *context);
//  Start TLS on a connected socket: returns 0 (handshaking is set) or -1.
int
    conn_tls_start (conn_t *self, void *context);
//  Take the handshake on: CONN_TLS_DONE, CONN_TLS_WANT_READ,
//  CONN_TLS_WANT_WRITE (wait for that), or -1 (failed).
#define CONN_TLS_DONE           0
#define CONN_TLS_WANT_READ      1
#define CONN_TLS_WANT_WRITE     2
int
    conn_tls_handshake (conn_t *self);
//  recv (2) and send (2) on the connection, through TLS when it has it.
ssize_t
    conn_recv (conn_t *self, void *buffer, size_t size);
ssize_t
    conn_send (conn_t *self, const void *data, size_t size);
//  Free the TLS connection (the socket is closed by conn_close).
void
    conn_tls_close (conn_t *self);

//  --- run.c / report.c -------------------------------------------------------
typedef enum {
    RUN_OPEN,               //  fixed rate per sender
    RUN_CLOSED,             //  at most window messages in flight per sender
    RUN_IDLE                //  no messages: connect, join, hold (scale test)
} run_mode_t;

typedef struct {
    dialect_t dialect;
    char **servers;         //  "host:port" per server (gateway)
    size_t server_count;
    pid_t pids [PROCSTAT_MAX];          //  server processes to watch
    size_t pid_count;
    uint32_t clients;
    uint32_t rooms;
    uint32_t senders;       //  senders per room (0 = every member)
    run_mode_t mode;
    double rate;            //  open loop: messages/s per sender
    uint32_t window;        //  closed loop: messages in flight per sender
    double duration;        //  measured window, seconds
    double drain;           //  longest wait for stragglers, seconds
    uint32_t size;          //  bytes of message text
    double connect_rate;    //  new connections/s (0 = as fast as possible)
    uint32_t max_pending;   //  logins in progress at once when connect_rate is 0
    uint32_t sources;       //  source addresses 127.0.0.1 .. 127.0.0.N
    double join_timeout;    //  seconds for connect + login + join
    double barrier_timeout; //  seconds for the probe barrier
    uint32_t account;       //  messages of the accounting phase (0 = none)
    const char *transport;  //  client transport: "tcp" (the only one so far)
    const char *label;      //  scenario name for the results
    const char *server_name;  //  "zchat", "ngircd", ...
    const char *json_path;  //  write the JSON result here, or NULL
    const char *tsv_path;   //  append a TSV row here, or NULL
    bool quiet;             //  no progress lines
    void *tls_context;      //  --tls: every connection speaks TLS, or NULL
} run_options_t;

typedef struct {
    uint32_t connected;     //  connections established
    uint32_t joined;        //  reached their room
    uint32_t ready;         //  passed the barrier
    uint32_t failed_connect;
    uint32_t failed_login;  //  refused or closed before the join completed
    uint32_t failed_barrier;
    uint32_t failed_later;  //  dropped after the barrier
    uint32_t timed_out;     //  still joining at the join timeout
    char first_error [128]; //  first refusal or error seen, for the report
    double join_s;          //  time to connect and join everyone
    double barrier_s;       //  time for the barrier
    double measured_s;      //  actual measured window
    uint64_t messages_sent;
    uint64_t expected;      //  deliveries that should have happened
    uint64_t delivered;     //  distinct deliveries
    uint64_t window_deliveries;  //  deliveries received inside the window
    uint64_t lost;
    uint64_t duplicated;
    uint64_t out_of_order;
    uint64_t misrouted;     //  marker from another room, own echo or corrupt
    uint64_t flight_timeouts;   //  closed loop: gave up waiting on a message
    uint64_t server_warnings;   //  "! ..." (zchat) or error numerics after the barrier
    uint64_t latency_ns [6];    //  p50 p90 p99 p99.9 max mean
    procstat_t cpu_start;   //  servers at the start of the window
    procstat_t cpu_end;     //  ... and at its end
    procstat_t baseline;    //  servers before the first connection
    double loadgen_cpu_s;   //  our own CPU over the window
    //  Accounting phase (--account N, after the drain): N more messages of
    //  the same shape with the servers' system calls and context switches
    //  counted, so both are per message over a fixed number of messages
    uint64_t account_sent;          //  messages sent in it
    uint64_t account_deliveries;    //  ... and delivered
    double account_s;               //  from its first send to its drain's end
    procstat_t account_start;       //  servers before its first send
    procstat_t account_end;         //  ... and after its drain
    bool syscalls_counted;          //  false: account_note says why
    uint64_t account_syscalls [PROCSTAT_MAX];   //  per server process
    uint64_t account_syscalls_total;
    size_t account_threads;         //  threads whose calls were counted
    char account_note [128];
} run_result_t;

//  Run one benchmark; 0 when it ran (the result says how well), -1 when it
//  could not start (bad servers, no epoll).
int
    run_execute (const run_options_t *options, run_result_t *result);

//  Print the summary on stdout; write JSON / TSV where options ask.
//  Returns 0, or -1 if a file could not be written.
int
    report_write (const run_options_t *options, const run_result_t *result);

#endif
