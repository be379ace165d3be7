/*  =========================================================================
    harness.h - start the real zchat binaries and drive them over TCP

    The integration tests start zchat-router and zchat-gateway as child
    processes (fork/exec, binaries from $ZCHAT_BIN_DIR, default "bin"),
    on loopback ports the processes pick themselves, and wait for each
    ready line in the child's captured stderr. Clients are plain TCP
    sockets with a receive buffer split into lines. Nothing ever sleeps a
    fixed time: every wait polls a condition until a deadline.

    A harness_t owns everything a test starts. harness_destroy fails when
    a client received a line not ending in CRLF, stops each
    process still running (SIGTERM, then SIGKILL past the deadline), in
    reverse start order, and reports a failure when a process that was
    meant to exit cleanly did not exit 0, or when its stderr holds a
    sanitizer report or czmq's dangling-socket warning; the captured
    stderr of a failing process is printed. Every child also carries
    PR_SET_PDEATHSIG, so none outlives a crashed test program.

    Implemented in harness.c (harness, processes), harness_ctl.c
    (zchat-ctl, STATUS) and harness_client.c (TCP clients).
    =========================================================================
*/
#ifndef HARNESS_H_INCLUDED
#define HARNESS_H_INCLUDED

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define HARNESS_TIMEOUT_MS      5000    //  default deadline of every wait
#define HARNESS_STOP_MS         15000   //  SIGTERM to exit, before SIGKILL
#define HARNESS_ENDPOINT_MAX    128     //  bytes of a tcp://host:port endpoint

typedef struct _harness_t harness_t;
typedef struct _harness_proc_t harness_proc_t;
typedef struct _harness_client_t harness_client_t;

//  How a client connection ended, seen from the client.
typedef enum {
    HARNESS_EOF = 0,            //  orderly close: read returned 0
    HARNESS_RESET,              //  ECONNRESET (or another read error)
    HARNESS_OPEN                //  still open at the deadline
} harness_end_t;

//  --- harness ------------------------------------------------------------

//  Create a harness with its own scratch directory for captured output.
harness_t *
    harness_new (void);

//  Stop every process still running, close every client, check exit
//  statuses. Returns 0 when every process ended as expected, -1 (after
//  printing why and the process's stderr) otherwise. NULL-safe.
int
    harness_destroy (harness_t **self_p);

//  cmocka fixtures: *state becomes a new harness / is destroyed. The
//  teardown fails the test when harness_destroy returns -1.
int
    harness_setup (void **state);
int
    harness_teardown (void **state);

//  The harness's scratch directory (removed with it when the test passed):
//  a place for a test's files, such as an SQLite history store.
const char *
    harness_dir (harness_t *self);

//  Monotonic clock in milliseconds.
int64_t
    harness_now (void);

//  A free TCP port on 127.0.0.1 (bind port 0, read it, close).
int
    harness_free_port (void);

//  A free port on 127.0.0.1 outside the kernel's ephemeral range, for a
//  process that must bind it later (no connection is given it meanwhile).
int
    harness_fixed_port (void);

//  Three router endpoints on free loopback ports, fixed in advance so a
//  router can be killed and started again at the same place. The ports
//  lie outside the kernel's ephemeral range (ip_local_port_range), so no
//  outgoing connection takes one meanwhile; harness_router_start_at
//  retries a start whose bind failed all the same.
typedef struct {
    char ingress [HARNESS_ENDPOINT_MAX];
    char publish [HARNESS_ENDPOINT_MAX];
    char control [HARNESS_ENDPOINT_MAX];
} harness_endpoints_t;

void
    harness_free_endpoints (harness_endpoints_t *endpoints);

//  --- processes ----------------------------------------------------------

//  Set name=value in the environment of every process this harness starts
//  from now on (replacing an earlier value); processes already running
//  keep theirs. E.g. ASAN_OPTIONS for one gateway.
void
    harness_child_env (harness_t *self, const char *name, const char *value);

//  Start zchat-router on ephemeral loopback ports, with extra flags (a
//  NULL-terminated list, may be NULL), and wait for its ready line.
//  Returns NULL (after printing its stderr) if it never became ready.
harness_proc_t *
    harness_router_start (harness_t *self, const char **extra);

//  Start zchat-router (ephemeral ports, extra flags) expecting it to
//  refuse to start: wait for it to exit. Returns its exit code (-1 if it
//  was killed or did not exit in time); *log_p (may be NULL) gets its
//  stderr, for the caller to free. Its failure is not a test failure.
int
    harness_router_refused (harness_t *self, const char **extra, char **log_p);

//  Same, on the given endpoints (e.g. to restart a router in place).
harness_proc_t *
    harness_router_start_at (harness_t *self, const char *ingress,
                             const char *publish, const char *control,
                             const char **extra);

//  Run program (a binary of ours) with args (NULL-terminated, may be
//  NULL) to its exit; returns its exit code (-1 if killed or too slow).
//  *log_p (may be NULL) gets its stderr, for the caller to free. Its
//  failure is not a test failure.
int
    harness_run (harness_t *self, const char *program, const char **args, char **log_p);

//  Start zchat-gateway named name against router, listening on an
//  ephemeral loopback port, with extra flags; waits for its listening line.
harness_proc_t *
    harness_gateway_start (harness_t *self, harness_proc_t *router,
                           const char *name, const char **extra);

//  Same, against the router endpoints given (e.g. a stand-in router).
harness_proc_t *
    harness_gateway_start_at (harness_t *self, const char *ingress, const char *publish,
                              const char *name, const char **extra);

//  Start zchat-gateway (against router, extra flags) expecting it to
//  refuse to start, as harness_router_refused: its exit code, *log_p its
//  stderr (to free; may be NULL).
int
    harness_gateway_refused (harness_t *self, harness_proc_t *router, const char **extra,
                             char **log_p);

//  Start a router (router_extra) and count gateways named gw1, gw2, ...
//  (gateway_extra), filling gateways. Returns the router, or NULL if any
//  of them did not become ready.
harness_proc_t *
    harness_start_system (harness_t *self, const char **router_extra,
                          harness_proc_t **gateways, size_t count,
                          const char **gateway_extra);

//  Endpoints parsed from a router's ready line.
const char *
    harness_router_ingress (harness_proc_t *proc);
const char *
    harness_router_publish (harness_proc_t *proc);
const char *
    harness_router_control (harness_proc_t *proc);

//  TCP port and gateway id from a gateway's listening line.
int
    harness_gateway_port (harness_proc_t *proc);
const char *
    harness_gateway_id (harness_proc_t *proc);
//  Another port the listening line names ("http" for http=PORT), or 0.
int
    harness_gateway_port_named (harness_proc_t *proc, const char *name);

//  The TLS port from the listening line (tls=N), 0 if the gateway has none.
int
    harness_gateway_tls_port (harness_proc_t *proc);

//  Process id (0 once reaped).
pid_t
    harness_proc_pid (harness_proc_t *proc);

//  Wait until the process's stderr contains text. Returns true if it
//  did before timeout_ms.
bool
    harness_proc_wait_log (harness_proc_t *proc, const char *text, int timeout_ms);

//  Number of times text occurs in the process's stderr so far.
int
    harness_proc_log_count (harness_proc_t *proc, const char *text);

//  Wait until text occurs at least count times in the process's stderr.
bool
    harness_proc_wait_log_count (harness_proc_t *proc, const char *text, int count,
                                 int timeout_ms);

//  Print the captured stderr of the process to our stderr.
void
    harness_proc_dump (harness_proc_t *proc);

//  Send a signal.
void
    harness_proc_signal (harness_proc_t *proc, int signal_number);

//  Wait for the process to exit within timeout_ms (SIGKILL after it).
//  Returns the raw wait status, or -1 if it had to be killed.
int
    harness_proc_wait (harness_proc_t *proc, int timeout_ms);

//  SIGKILL the process on purpose and reap it; harness_destroy will not
//  count its exit status as a failure.
void
    harness_proc_kill (harness_proc_t *proc);

//  True if the process exited with status 0 and its stderr holds no
//  sanitizer report or dangling-socket warning (it must have been
//  waited for). Prints the reason and the stderr otherwise.
bool
    harness_proc_clean (harness_proc_t *proc);

//  True if the process runs under a sanitizer (its memory figures then
//  include shadow memory and the allocator's quarantine).
bool
    harness_proc_sanitized (harness_proc_t *proc);

//  Resident set size in KiB from /proc/PID/status, -1 if unknown.
long
    harness_proc_rss_kb (harness_proc_t *proc);

//  Run zchat-ctl --control EP VERB, wait for it, and return its stdout
//  (caller frees), or NULL if it failed or timed out. *exit_code_p (may
//  be NULL) gets its exit code.
char *
    harness_ctl (harness_t *self, harness_proc_t *router, const char *verb,
                 int *exit_code_p);

//  Run zchat-ctl --control EP [flags...] VERB (flags NULL-terminated, may
//  be NULL; the harness's ctl flags are not added). Returns its stdout
//  when it exited 0 (caller frees), else NULL, without printing anything.
//  *exit_code_p and *log_p (its stderr, to free) may be NULL.
char *
    harness_ctl_with (harness_t *self, harness_proc_t *router, const char **flags,
                      const char *verb, int *exit_code_p, char **log_p);

//  Flags (NULL-terminated, borrowed; NULL = none) that harness_ctl and
//  the STATUS helpers pass from now on: e.g. an operator's CURVE keys.
void
    harness_ctl_flags (harness_t *self, const char **flags);

//  Run zchat-ctl keygen NAME in the harness directory: NAME and
//  NAME_secret appear there. Returns its exit code (printed unless 0).
int
    harness_keygen (harness_t *self, const char *name);

//  Value of key in a "key=value" line body (the first line starting with
//  "key="). Returns a fresh string to free, or NULL.
char *
    harness_body_value (const char *body, const char *key);

//  Run STATUS and return the numeric value of key, -1 on failure.
long
    harness_status_number (harness_t *self, harness_proc_t *router, const char *key);

//  Poll STATUS until key equals value. Returns true on success.
bool
    harness_wait_status (harness_t *self, harness_proc_t *router, const char *key,
                         long value, int timeout_ms);

//  --- CURVE keys (harness_curve.c) ----------------------------------------

#define HARNESS_CURVE_FILES     3       //  paths one set of flags names
#define HARNESS_CURVE_ARGS      (HARNESS_CURVE_FILES * 2 + 1)

//  Flags naming key files: argv is NULL-terminated, for the start helpers'
//  extra lists; the paths live in files.
typedef struct {
    char files [HARNESS_CURVE_FILES][512];
    const char *argv [HARNESS_CURVE_ARGS];
} harness_flags_t;

//  Subdirectories of the harness directory that the router's flags name
#define HARNESS_CURVE_GATEWAYS  "gateways"      //  --curve-allow
#define HARNESS_CURVE_OPERATORS "operators"     //  --control-allow

//  Key pairs "router" and "operator" (zchat-ctl keygen) in the harness
//  directory, the allow directories, the operator's key allowed; fills
//  flags with the router's --curve-secret, --curve-allow, --control-allow
//  and makes harness_ctl use the operator's keys from now on. Returns
//  false (printed) on failure.
bool
    harness_curve_router (harness_t *self, harness_flags_t *flags);

//  A key pair name for a gateway, its public key in the gateways'
//  directory when allowed; fills flags with --curve-secret and
//  --curve-server. harness_curve_router must have run.
bool
    harness_curve_gateway (harness_t *self, const char *name, bool allowed,
                           harness_flags_t *flags);

//  Put name's public key into (allowed) or take it out of directory
//  (HARNESS_CURVE_GATEWAYS or _OPERATORS) while the router runs.
bool
    harness_curve_allow (harness_t *self, const char *name, const char *directory,
                         bool allowed);

//  Concatenate two NULL-terminated flag lists (either may be NULL) into
//  into, HARNESS_FLAGS_MAX entries at most; returns into.
#define HARNESS_FLAGS_MAX       32
const char **
    harness_join_flags (const char **into, const char **first, const char **second);

//  Flags --curve-secret DIR/name_secret --curve-server DIR/router, for a
//  zchat-ctl or a gateway using an existing key pair.
void
    harness_curve_client_flags (harness_t *self, const char *name, harness_flags_t *flags);

//  --- metrics (harness_metrics.c) ------------------------------------------

//  The /metrics port from a tier's ready line (metrics=N), 0 if none.
int
    harness_metrics_port (harness_proc_t *proc);

//  One HTTP request (whole, as given) on a fresh connection to
//  127.0.0.1:port; everything read until the server closes or the
//  default deadline, NUL-terminated (caller frees; *size_p its length if
//  size_p), or NULL if the connection or the send failed.
char *
    harness_http_exchange (int port, const char *request, size_t *size_p);

//  GET /metrics from the tier; the body of a 200 answer (caller frees),
//  or NULL.
char *
    harness_scrape (harness_proc_t *proc);

//  The value of one series ("name" or "name{labels}") in a body, -1 if absent.
int64_t
    harness_metric (const char *body, const char *series);

//  Scrape and read one series; -1 if the scrape failed or it is absent.
int64_t
    harness_scrape_metric (harness_proc_t *proc, const char *series);

//  Scrape until series equals value or timeout_ms pass; returns the last
//  value seen (printed when it is not value), for the test to assert.
int64_t
    harness_wait_metric (harness_proc_t *proc, const char *series, int64_t value,
                         int timeout_ms);

//  Scrape until series is at least minimum or timeout_ms pass; returns
//  the last value seen (printed when below minimum).
int64_t
    harness_wait_metric_min (harness_proc_t *proc, const char *series, int64_t minimum,
                             int timeout_ms);

//  Feed body to promtool check metrics; its exit code (0 clean, 1 error,
//  3 lint warnings).
int
    harness_promtool (const char *body);

//  --- TLS (harness_tls.c) -------------------------------------------------

//  A throw-away CA in the harness directory, made on first use with the
//  openssl command: the path of its certificate (PEM). Fails the test if
//  openssl does.
const char *
    harness_tls_ca (harness_t *self);

//  A server certificate for 127.0.0.1 and localhost with subject CN=cn,
//  signed by that CA, written to NAME.pem and NAME.key in the harness
//  directory (paths: harness_tls_path). expired: its validity ended in
//  2021. Each one gets a new serial. Fails the test if openssl does.
void
    harness_tls_cert (harness_t *self, const char *name, const char *cn, bool expired);

//  dir/NAME.EXTENSION ("pem", "key") into path (HARNESS_PATH_BYTES).
#define HARNESS_PATH_BYTES      512
void
    harness_tls_path (harness_t *self, const char *name, const char *extension, char *path);

//  The flags of a TLS port on an ephemeral loopback port with NAME's
//  certificate and key (valid until the harness is destroyed), ready
//  for the extra flags of harness_gateway_start: "--tls-listen",
//  "127.0.0.1:0", "--tls-cert", ..., then more (NULL-terminated, may be
//  NULL), NULL. At most HARNESS_TLS_FLAGS_MAX entries in all.
#define HARNESS_TLS_FLAGS_MAX   48
const char **
    harness_tls_flags (harness_t *self, const char *name, const char **more);

//  A router, and a gateway "gw1" with a TLS port whose certificate
//  ("gateway": CN=zchat gateway) is made first, plus more flags (may be
//  NULL); *router_p gets the router. Fails the test if either does not start.
harness_proc_t *
    harness_tls_system (harness_t *self, harness_proc_t **router_p, const char **more);

//  Connect a TLS client to the gateway's TLS port, verifying its
//  certificate against the harness's CA; the handshake is done when it
//  returns. The client then works with every function below, as a TCP one.
//  Returns NULL (printed why) on failure.
harness_client_t *
    harness_connect_tls (harness_t *self, harness_proc_t *gateway);

//  A client over a connected stream socket of the caller's (owned from
//  now on), e.g. one end of a socketpair whose other end is the stdin
//  and stdout of `openssl s_client`.
harness_client_t *
    harness_client_adopt (harness_t *self, int fd);

//  Wait for the welcome harness_login waits for, on a client already
//  connected. Returns client, or NULL (also when given NULL).
harness_client_t *
    harness_welcome (harness_client_t *client);

//  harness_login over TLS.
harness_client_t *
    harness_login_tls (harness_t *self, harness_proc_t *gateway);

//  The subject and serial (hex) of the certificate a TLS client was
//  shown, borrowed ("" for a TCP client).
const char *
    harness_client_tls_subject (harness_client_t *client);
const char *
    harness_client_tls_serial (harness_client_t *client);

//  True when the TLS client's last read ended with the gateway's
//  close_notify (before its FIN), false for a bare FIN or a TCP client.
bool
    harness_client_tls_notified (harness_client_t *client);

//  --- clients ------------------------------------------------------------

//  Connect a TCP client to port on 127.0.0.1 (e.g. a gateway's TLS port,
//  to speak something else than TLS there). Returns NULL on failure.
harness_client_t *
    harness_connect_port (harness_t *self, int port);

//  Connect a TCP client to a gateway. Returns NULL on failure.
harness_client_t *
    harness_connect (harness_t *self, harness_proc_t *gateway);

//  Connect and wait for the welcome: "* Welcome to zchat, NICK! You are
//  in #general.", the command list, and "* NICK joined #general" (in any
//  order). Returns NULL on failure; harness_client_nick gives the nick.
harness_client_t *
    harness_login (harness_t *self, harness_proc_t *gateway);

//  The nickname seen in the welcome line (or set by harness_set_nick).
const char *
    harness_client_nick (harness_client_t *client);

//  Send /nick and wait for the confirmation "* OLD is now known as NEW".
//  Returns true on success.
bool
    harness_set_nick (harness_client_t *client, const char *nick);

//  Send /join and wait for "* NICK joined #room". Returns true on success.
bool
    harness_join (harness_client_t *client, const char *room);

//  Write bytes, all of them (blocking with the default deadline).
//  Returns 0 or -1.
int
    harness_send_raw (harness_client_t *client, const void *data, size_t size);

//  Write a formatted line followed by CRLF. Returns 0 or -1.
int
    harness_send (harness_client_t *client, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  Write what the socket takes without blocking. Returns bytes written
//  (0 when full), -1 on error.
ssize_t
    harness_write_some (harness_client_t *client, const void *data, size_t size);

//  Wait up to timeout_ms for input and read what is there, splitting
//  lines. Returns bytes read (0 on timeout), -1 once the peer closed.
ssize_t
    harness_read_some (harness_client_t *client, int timeout_ms);

//  Socket descriptor (to poll several clients at once).
int
    harness_client_fd (harness_client_t *client);

//  Wait for a line equal to line (without its CRLF) among the lines not
//  yet consumed, consume it and return it (borrowed until the next call),
//  or NULL at the deadline. Other pending lines stay pending.
const char *
    harness_expect (harness_client_t *client, const char *line, int timeout_ms);

//  Same, for a line containing text.
const char *
    harness_expect_sub (harness_client_t *client, const char *text, int timeout_ms);

//  Wait for a line equal to lines [0], then require lines [1 .. count-1]
//  to be the very next lines received (a multi-line reply, which arrives
//  in one piece); consumes them all. Returns false (printing why) if not.
bool
    harness_expect_block (harness_client_t *client, const char **lines, size_t count,
                          int timeout_ms);

//  The next pending line in arrival order, or NULL at the deadline.
const char *
    harness_next_line (harness_client_t *client, int timeout_ms);

//  Forget every pending line (they stay in the received log).
void
    harness_clear (harness_client_t *client);

//  Number of lines received so far (consumed or not) that contain text.
int
    harness_received_count (harness_client_t *client, const char *text);

//  Number of lines received so far that start with prefix.
int
    harness_received_prefix (harness_client_t *client, const char *prefix);

//  Number of pending (not yet consumed) lines that contain text.
int
    harness_pending_count (harness_client_t *client, const char *text);

//  Number of lines received so far that equal line exactly.
int
    harness_received_exact (harness_client_t *client, const char *line);

//  The line received at index (in arrival order, consumed or not),
//  borrowed; NULL past the end.
const char *
    harness_line_at (harness_client_t *client, size_t index);

//  Index (in arrival order, from 0) of the first line received that
//  equals line, or -1.
long
    harness_line_index (harness_client_t *client, const char *line);

//  Total lines received; lines that did not end with CRLF.
size_t
    harness_line_count (harness_client_t *client);
size_t
    harness_bad_endings (harness_client_t *client);

//  True if the raw received bytes contain these bytes (waits up to
//  timeout_ms for them).
bool
    harness_expect_bytes (harness_client_t *client, const void *bytes, size_t size,
                          int timeout_ms);

//  Every byte received so far (borrowed until the next read), its size
//  in *size_p.
const char *
    harness_client_raw (harness_client_t *client, size_t *size_p);

//  Read until the peer closes or the deadline: clean EOF, reset, or still
//  open. Once the peer closed, our socket is closed too (as telnet does).
//  Received lines are kept.
harness_end_t
    harness_read_to_end (harness_client_t *client, int timeout_ms);

//  Close the socket with an RST (SO_LINGER 0), as a crashed client would.
void
    harness_client_reset (harness_client_t *client);

//  Close the socket normally.
void
    harness_client_close (harness_client_t *client);

//  Prove that what should not arrive did not: sender says marker text in
//  its room, each receiver waits for "[room] NICK: marker". After this,
//  everything sent before the marker has had its chance to arrive.
//  Returns true if every receiver saw the marker.
bool
    harness_marker (harness_client_t *sender, const char *room,
                    harness_client_t **receivers, size_t count);

//  --- crowds: thousands of clients at once (harness_crowd.c) --------------

typedef struct _harness_crowd_t harness_crowd_t;

//  Raise RLIMIT_NOFILE's soft limit to the hard one; fails the test when
//  that is still below needed. Children started later inherit it.
//  Returns the new limit.
long
    harness_raise_fd_limit (size_t needed);

//  Connect count clients to gateway (raising the descriptor limit first),
//  in batches: each waits for its welcome, then joins its own room
//  room_prefix + index ("r17") and waits for its join line. Returns NULL
//  (after printing how many failed) unless all did within timeout_ms.
harness_crowd_t *
    harness_crowd_new (harness_t *harness, harness_proc_t *gateway, size_t count,
                       const char *room_prefix, int timeout_ms);

//  Close every member's socket and free the crowd. NULL-safe. Call it
//  before the harness stops the gateway.
void
    harness_crowd_destroy (harness_crowd_t **self_p);

size_t
    harness_crowd_size (harness_crowd_t *self);

//  Member index's nickname, from its welcome.
const char *
    harness_crowd_nick (harness_crowd_t *self, size_t index);

//  Queue line (CRLF added) for member index, which from now on waits for
//  a line equal to expect (NULL: for nothing). Sent by the next wait.
void
    harness_crowd_send (harness_crowd_t *self, size_t index, const char *line,
                        const char *expect);

//  Send what is queued and read every member until each waiting one got
//  its line, or the deadline. Returns how many waiting members got it.
size_t
    harness_crowd_wait (harness_crowd_t *self, int timeout_ms);

//  True if member index got the line it waited for.
bool
    harness_crowd_got (harness_crowd_t *self, size_t index);

#endif
