/*  =========================================================================
    harness_private.h - what the harness's own files share, not for tests

    The harness is three files: harness.c (the harness itself and the
    processes it starts: spawn, ready lines, stop, exit status, logs),
    harness_ctl.c (zchat-ctl runs and STATUS) and harness_client.c (TCP
    clients: send, expect lines, EOF/reset). Tests include harness.h only.
    =========================================================================
*/
#ifndef HARNESS_PRIVATE_H_INCLUDED
#define HARNESS_PRIVATE_H_INCLUDED

#include "harness.h"

#define HARNESS_ARGS_MAX        64      //  argv entries of one child
#define HARNESS_PROCS_MAX       256     //  processes one harness may start
#define HARNESS_CLIENTS_MAX     256     //  clients one harness may open
#define HARNESS_ENV_MAX         16      //  variables a harness sets for children
#define HARNESS_NAME_MAX        64      //  bytes of a process name / nick
#define HARNESS_PATH_MAX        512     //  bytes of a file path
#define HARNESS_POLL_MS         5       //  re-check period while waiting on a file
#define HARNESS_BIND_ATTEMPTS   5       //  router starts on fixed ports before giving up
#define HARNESS_BIND_RETRY_MS   200     //  between two of them
#define HARNESS_PORT_MIN        10000   //  fixed ports are drawn from here...
#define HARNESS_PORT_MAX        65000   //  ...to here, outside the ephemeral range
#define HARNESS_PORT_ATTEMPTS   1000    //  draws before falling back to any free port
#define HARNESS_EPHEMERAL_LOW   32768   //  Linux's default ip_local_port_range
#define HARNESS_EPHEMERAL_HIGH  60999

struct _harness_proc_t {
    harness_t *harness;             //  owner
    char name [HARNESS_NAME_MAX];   //  "router", "gw1", "ctl"
    pid_t pid;                      //  0 once reaped
    int status;                     //  wait status once reaped
    bool reaped;                    //  status is valid
    bool expect_clean;              //  must exit 0 at the end
    char log_path [HARNESS_PATH_MAX];   //  captured stderr
    char out_path [HARNESS_PATH_MAX];   //  captured stdout
    char ingress [HARNESS_ENDPOINT_MAX];    //  router endpoints
    char publish [HARNESS_ENDPOINT_MAX];
    char control [HARNESS_ENDPOINT_MAX];
    int port;                       //  gateway TCP port
    int tls_port;                   //  gateway TLS port, 0 if none
    char id [HARNESS_NAME_MAX * 2]; //  gateway id
};

struct _harness_t {
    char dir [HARNESS_PATH_MAX];    //  scratch directory
    char bin_dir [HARNESS_PATH_MAX];    //  where the binaries are
    harness_proc_t *procs [HARNESS_PROCS_MAX];
    size_t proc_count;
    harness_client_t *clients [HARNESS_CLIENTS_MAX];
    size_t client_count;
    int sequence;                   //  names scratch files
    char *env [HARNESS_ENV_MAX];    //  "NAME=value" for children started next
    size_t env_count;
    const char **ctl_flags;         //  passed to every zchat-ctl run (borrowed), or NULL
    const char *child_cwd;          //  working directory of the next child, or NULL
    harness_flags_t operator_flags; //  zchat-ctl's keys once CURVE is set up
};

//  snprintf that asserts the result fit (paths are built from short parts).
void
    harness_format (char *buffer, size_t size, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

//  Read a whole file into a fresh NUL-terminated string ("" if missing).
char *
    harness_slurp (const char *path);

//  Sleep for milliseconds (between two looks at a condition).
void
    harness_pause_ms (int milliseconds);

//  Build argv: program, the fixed words, then extra (NULL-terminated).
void
    harness_argv (const char **argv, const char *program, const char **fixed,
                  const char **extra);

//  Fork and exec program (a name in the binary directory) with argv.
harness_proc_t *
    harness_spawn (harness_t *self, const char *name, const char *program,
                   const char **argv);

//  Drop a finished process (reaped, e.g. a zchat-ctl run) from the
//  harness, with its captured output: a long STATUS poll must not run
//  out of process slots.
void
    harness_forget (harness_t *self, harness_proc_t *proc);

//  --- harness_tls.c: what harness_client.c needs of a TLS connection ---------

//  TLS over the connected socket fd (the harness's CA verifies the
//  gateway, harness_tls_ca): handshake within the default deadline.
//  Returns the connection (an SSL *), or NULL (printed why).
void *
    harness_tls_open (harness_t *self, int fd);

//  read (2) and send (2) over it: > 0 bytes, 0 at its EOF (read; notified
//  set when a close_notify came first), -1
//  with errno EAGAIN when it must wait, another errno when broken.
ssize_t
    harness_tls_read (void *tls, void *buffer, size_t size, bool *notified);
ssize_t
    harness_tls_write (void *tls, const void *data, size_t size);

//  The gateway certificate's subject and hex serial, into buffers of
//  HARNESS_PATH_MAX bytes.
void
    harness_tls_describe (void *tls, char *subject, char *serial);

//  Free it; clean: send close_notify first (the socket stays open).
void
    harness_tls_close (void *tls, bool clean);

//  Close a client and free it and everything it received.
void
    harness_client_destroy (harness_client_t **client_p);

#endif
