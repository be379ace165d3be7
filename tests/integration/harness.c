/*  =========================================================================
    harness.c - start the real zchat binaries and drive them over TCP

    Processes are forked and exec'd with stdout and stderr redirected to
    files in the harness's scratch directory; waiting for a ready line is
    re-reading that file until the line shows up or the deadline passes.
    Clients keep every byte they receive (raw) and every line (the log);
    expect functions consume lines from the log without losing the others,
    so a test can later assert that something was never received.
    See harness.h for the API.
    =========================================================================
*/
#ifndef _GNU_SOURCE
#   define _GNU_SOURCE
#endif

#include "harness.h"

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HARNESS_ARGS_MAX        64      //  argv entries of one child
#define HARNESS_PROCS_MAX       256     //  processes one harness may start
#define HARNESS_CLIENTS_MAX     256     //  clients one harness may open
#define HARNESS_NAME_MAX        64      //  bytes of a process name / nick
#define HARNESS_PATH_MAX        512     //  bytes of a file path
#define HARNESS_POLL_MS         5       //  re-check period while waiting on a file
#define HARNESS_READ_CHUNK      65536   //  bytes read from a socket at once
#define HARNESS_PEND_SHOW       20      //  pending lines shown when an expect fails
#define HARNESS_TELNET_IAC      0xFF
#define HARNESS_TELNET_WILL     0xFB
#define HARNESS_TELNET_DONT     0xFE
#define HARNESS_TELNET_CMD_SIZE 3       //  IAC, verb, option

//  Lines in a sanitizer or czmq report that mean the process was not clean.
static const char *s_bad_markers [] = {
    "ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
    "WARNING: ThreadSanitizer", "dangling", NULL
};

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
    char id [HARNESS_NAME_MAX * 2]; //  gateway id
};

typedef struct {
    char *text;                     //  line without its end
    bool consumed;                  //  taken by an expect
} s_line_t;

struct _harness_client_t {
    harness_t *harness;             //  owner
    int fd;                         //  -1 once closed
    char nick [HARNESS_NAME_MAX];   //  from the welcome line
    char *partial;                  //  bytes of the line being received
    size_t partial_size;
    size_t partial_cap;
    char *raw;                      //  every byte received
    size_t raw_size;
    size_t raw_cap;
    s_line_t *lines;                //  every line received
    size_t line_count;
    size_t line_cap;
    size_t first_pending;           //  no pending line before this index
    size_t bad_endings;             //  lines that did not end with CRLF
    bool eof;                       //  peer closed
    int error;                      //  errno of a failed read, or 0
};

struct _harness_t {
    char dir [HARNESS_PATH_MAX];    //  scratch directory
    char bin_dir [HARNESS_PATH_MAX];    //  where the binaries are
    harness_proc_t *procs [HARNESS_PROCS_MAX];
    size_t proc_count;
    harness_client_t *clients [HARNESS_CLIENTS_MAX];
    size_t client_count;
    int sequence;                   //  names scratch files
};

//  Every process started and not yet reaped, for the exit handler.
static pid_t s_live [HARNESS_PROCS_MAX];

static void
s_kill_live (void)
{
    for (size_t index = 0; index < HARNESS_PROCS_MAX; index++)
        if (s_live [index] > 0) {
            kill (s_live [index], SIGKILL);
            waitpid (s_live [index], NULL, 0);
            s_live [index] = 0;
        }
}

static void
s_live_set (pid_t old_pid, pid_t new_pid)
{
    for (size_t index = 0; index < HARNESS_PROCS_MAX; index++)
        if (s_live [index] == old_pid) {
            s_live [index] = new_pid;
            return;
        }
}

//  snprintf that asserts the result fit (paths are built from short parts).
static void
s_format (char *buffer, size_t size, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));
static void
s_format (char *buffer, size_t size, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    int length = vsnprintf (buffer, size, format, args);
    va_end (args);
    assert_true (length >= 0 && (size_t) length < size);
}

int64_t
harness_now (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t) now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void
s_pause_ms (int milliseconds)
{
    struct timespec pause = { milliseconds / 1000, (milliseconds % 1000) * 1000000L };
    nanosleep (&pause, NULL);
}

harness_t *
harness_new (void)
{
    static bool exit_handler_set = false;
    if (!exit_handler_set) {
        atexit (s_kill_live);
        signal (SIGPIPE, SIG_IGN);
        exit_handler_set = true;
    }
    harness_t *self = calloc (1, sizeof (harness_t));
    assert_non_null (self);
    s_format (self->dir, sizeof self->dir, "/tmp/zchat-integ-XXXXXX");
    if (!mkdtemp (self->dir)) {
        free (self);
        return NULL;
    }
    const char *bin_dir = getenv ("ZCHAT_BIN_DIR");
    s_format (self->bin_dir, sizeof self->bin_dir, "%s",
              bin_dir && *bin_dir ? bin_dir : "bin");
    return self;
}

//  Read a whole file into a fresh NUL-terminated string ("" if missing).
static char *
s_slurp (const char *path)
{
    FILE *file = fopen (path, "rb");
    if (!file)
        return strdup ("");
    size_t cap = 4096, size = 0;
    char *text = malloc (cap);
    size_t got;
    while ((got = fread (text + size, 1, cap - size - 1, file)) > 0) {
        size += got;
        if (cap - size - 1 == 0) {
            cap *= 2;
            text = realloc (text, cap);
        }
    }
    text [size] = 0;
    fclose (file);
    return text;
}

void
harness_proc_dump (harness_proc_t *proc)
{
    char *log = s_slurp (proc->log_path);
    fprintf (stderr, "---- stderr of %s (pid %d, %s) ----\n%s---- end of %s ----\n",
             proc->name, (int) proc->pid, proc->log_path, log, proc->name);
    free (log);
}

//  Reap the process if it has exited (or wait for it when block).
static bool
s_reap (harness_proc_t *proc, bool block)
{
    if (proc->reaped)
        return true;
    int status;
    pid_t pid = waitpid (proc->pid, &status, block ? 0 : WNOHANG);
    if (pid == proc->pid) {
        proc->status = status;
        proc->reaped = true;
        s_live_set (proc->pid, 0);
        return true;
    }
    return false;
}

//  Fork and exec program (a name in the binary directory) with argv.
static harness_proc_t *
s_spawn (harness_t *self, const char *name, const char *program, const char **argv)
{
    assert_true (self->proc_count < HARNESS_PROCS_MAX);
    harness_proc_t *proc = calloc (1, sizeof (harness_proc_t));
    assert_non_null (proc);
    proc->harness = self;
    proc->expect_clean = true;
    s_format (proc->name, sizeof proc->name, "%s", name);
    self->sequence++;
    s_format (proc->log_path, sizeof proc->log_path, "%s/%02d-%s.err",
              self->dir, self->sequence, name);
    s_format (proc->out_path, sizeof proc->out_path, "%s/%02d-%s.out",
              self->dir, self->sequence, name);
    char path [HARNESS_PATH_MAX];
    s_format (path, sizeof path, "%s/%s", self->bin_dir, program);

    int log_fd = open (proc->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int out_fd = open (proc->out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int null_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
    assert_true (log_fd >= 0 && out_fd >= 0 && null_fd >= 0);
    pid_t parent = getpid ();
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        prctl (PR_SET_PDEATHSIG, SIGKILL);
        if (getppid () != parent)
            _exit (127);
        dup2 (null_fd, STDIN_FILENO);
        dup2 (out_fd, STDOUT_FILENO);
        dup2 (log_fd, STDERR_FILENO);
        signal (SIGPIPE, SIG_DFL);
        execv (path, (char **) argv);
        fprintf (stderr, "harness: cannot exec %s: %s\n", path, strerror (errno));
        _exit (127);
    }
    close (log_fd);
    close (out_fd);
    close (null_fd);
    proc->pid = pid;
    s_live_set (0, pid);
    self->procs [self->proc_count++] = proc;
    return proc;
}

bool
harness_proc_wait_log (harness_proc_t *proc, const char *text, int timeout_ms)
{
    int64_t deadline = harness_now () + timeout_ms;
    while (true) {
        char *log = s_slurp (proc->log_path);
        bool found = strstr (log, text) != NULL;
        free (log);
        if (found)
            return true;
        if (harness_now () >= deadline)
            return false;
        if (s_reap (proc, false)) {
            //  It exited: one last look, it may have written on its way out
            log = s_slurp (proc->log_path);
            found = strstr (log, text) != NULL;
            free (log);
            return found;
        }
        s_pause_ms (HARNESS_POLL_MS);
    }
}

int
harness_proc_log_count (harness_proc_t *proc, const char *text)
{
    char *log = s_slurp (proc->log_path);
    int count = 0;
    for (const char *at = strstr (log, text); at; at = strstr (at + 1, text))
        count++;
    free (log);
    return count;
}

//  Copy the value after "key=" in text (up to a space or line end).
static bool
s_field (const char *text, const char *key, char *value, size_t size)
{
    char pattern [HARNESS_NAME_MAX];
    s_format (pattern, sizeof pattern, " %s=", key);
    const char *at = strstr (text, pattern);
    if (!at)
        return false;
    at += strlen (pattern);
    size_t length = strcspn (at, " \r\n");
    if (length >= size)
        return false;
    memcpy (value, at, length);
    value [length] = 0;
    return true;
}

//  Build argv: program, the fixed words, then extra (NULL-terminated).
static void
s_argv (const char **argv, const char *program, const char **fixed, const char **extra)
{
    size_t count = 0;
    argv [count++] = program;
    for (size_t index = 0; fixed && fixed [index]; index++)
        argv [count++] = fixed [index];
    for (size_t index = 0; extra && extra [index]; index++) {
        assert_true (count < HARNESS_ARGS_MAX - 1);
        argv [count++] = extra [index];
    }
    argv [count] = NULL;
}

//  Wait for a ready line; parse it into the process. On failure print
//  the process's stderr and return false.
static bool
s_wait_ready (harness_proc_t *proc, const char *marker)
{
    if (!harness_proc_wait_log (proc, marker, HARNESS_TIMEOUT_MS)) {
        fprintf (stderr, "harness: %s never logged '%s'\n", proc->name, marker);
        harness_proc_dump (proc);
        return false;
    }
    return true;
}

harness_proc_t *
harness_router_start_at (harness_t *self, const char *ingress, const char *publish,
                         const char *control, const char **extra)
{
    const char *fixed [] = {
        "--ingress", ingress, "--publish", publish, "--control", control, NULL
    };
    const char *argv [HARNESS_ARGS_MAX];
    s_argv (argv, "zchat-router", fixed, extra);
    harness_proc_t *proc = s_spawn (self, "router", "zchat-router", argv);
    if (!s_wait_ready (proc, "router: ready "))
        return NULL;
    char *log = s_slurp (proc->log_path);
    const char *line = strstr (log, "router: ready ");
    bool parsed = s_field (line, "ingress", proc->ingress, sizeof proc->ingress)
               && s_field (line, "publish", proc->publish, sizeof proc->publish)
               && s_field (line, "control", proc->control, sizeof proc->control);
    free (log);
    if (!parsed) {
        fprintf (stderr, "harness: cannot parse the router's ready line\n");
        harness_proc_dump (proc);
        return NULL;
    }
    return proc;
}

harness_proc_t *
harness_router_start (harness_t *self, const char **extra)
{
    return harness_router_start_at (self, "tcp://127.0.0.1:*", "tcp://127.0.0.1:*",
                                    "tcp://127.0.0.1:*", extra);
}

harness_proc_t *
harness_gateway_start (harness_t *self, harness_proc_t *router, const char *name,
                       const char **extra)
{
    assert_non_null (router);
    const char *fixed [] = {
        "--listen", "127.0.0.1:0", "--ingress", router->ingress,
        "--publish", router->publish, "--name", name, NULL
    };
    const char *argv [HARNESS_ARGS_MAX];
    s_argv (argv, "zchat-gateway", fixed, extra);
    harness_proc_t *proc = s_spawn (self, name, "zchat-gateway", argv);
    if (!s_wait_ready (proc, "gateway: listening "))
        return NULL;
    char *log = s_slurp (proc->log_path);
    const char *line = strstr (log, "gateway: listening ");
    char port [HARNESS_NAME_MAX];
    bool parsed = s_field (line, "port", port, sizeof port)
               && s_field (line, "id", proc->id, sizeof proc->id);
    free (log);
    proc->port = parsed ? atoi (port) : 0;
    if (proc->port <= 0) {
        fprintf (stderr, "harness: cannot parse the gateway's listening line\n");
        harness_proc_dump (proc);
        return NULL;
    }
    return proc;
}

harness_proc_t *
harness_start_system (harness_t *self, const char **router_extra,
                      harness_proc_t **gateways, size_t count,
                      const char **gateway_extra)
{
    harness_proc_t *router = harness_router_start (self, router_extra);
    if (!router)
        return NULL;
    for (size_t index = 0; index < count; index++) {
        char name [HARNESS_NAME_MAX];
        s_format (name, sizeof name, "gw%zu", index + 1);
        gateways [index] = harness_gateway_start (self, router, name, gateway_extra);
        if (!gateways [index])
            return NULL;
    }
    return router;
}

const char *
harness_router_ingress (harness_proc_t *proc)
{
    return proc->ingress;
}

const char *
harness_router_publish (harness_proc_t *proc)
{
    return proc->publish;
}

const char *
harness_router_control (harness_proc_t *proc)
{
    return proc->control;
}

int
harness_gateway_port (harness_proc_t *proc)
{
    return proc->port;
}

const char *
harness_gateway_id (harness_proc_t *proc)
{
    return proc->id;
}

pid_t
harness_proc_pid (harness_proc_t *proc)
{
    return proc->reaped ? 0 : proc->pid;
}

void
harness_proc_signal (harness_proc_t *proc, int signal_number)
{
    if (!proc->reaped)
        kill (proc->pid, signal_number);
}

int
harness_proc_wait (harness_proc_t *proc, int timeout_ms)
{
    int64_t deadline = harness_now () + timeout_ms;
    while (!s_reap (proc, false)) {
        if (harness_now () >= deadline) {
            fprintf (stderr, "harness: %s (pid %d) did not exit within %d ms, killing it\n",
                     proc->name, (int) proc->pid, timeout_ms);
            kill (proc->pid, SIGKILL);
            s_reap (proc, true);
            proc->status = -1;
            return -1;
        }
        s_pause_ms (HARNESS_POLL_MS);
    }
    return proc->status;
}

void
harness_proc_kill (harness_proc_t *proc)
{
    proc->expect_clean = false;
    if (!proc->reaped) {
        kill (proc->pid, SIGKILL);
        s_reap (proc, true);
    }
}

//  True if the process's stderr holds a sanitizer report or czmq warning.
static const char *
s_bad_marker (harness_proc_t *proc)
{
    char *log = s_slurp (proc->log_path);
    const char *found = NULL;
    for (size_t index = 0; s_bad_markers [index] && !found; index++)
        if (strstr (log, s_bad_markers [index]))
            found = s_bad_markers [index];
    free (log);
    return found;
}

bool
harness_proc_clean (harness_proc_t *proc)
{
    const char *marker = s_bad_marker (proc);
    if (!proc->reaped)
        fprintf (stderr, "harness: %s is still running\n", proc->name);
    else
    if (proc->status == -1)
        fprintf (stderr, "harness: %s had to be killed\n", proc->name);
    else
    if (WIFSIGNALED (proc->status))
        fprintf (stderr, "harness: %s died of signal %d\n", proc->name,
                 WTERMSIG (proc->status));
    else
    if (WEXITSTATUS (proc->status) != 0)
        fprintf (stderr, "harness: %s exited with %d\n", proc->name,
                 WEXITSTATUS (proc->status));
    else
    if (marker)
        fprintf (stderr, "harness: %s logged '%s'\n", proc->name, marker);
    else
        return true;
    harness_proc_dump (proc);
    return false;
}

bool
harness_proc_sanitized (harness_proc_t *proc)
{
    char path [HARNESS_PATH_MAX];
    s_format (path, sizeof path, "/proc/%d/maps", (int) proc->pid);
    char *maps = s_slurp (path);
    bool sanitized = strstr (maps, "libasan") || strstr (maps, "libtsan")
                  || strstr (maps, "libubsan");
    free (maps);
    return sanitized;
}

long
harness_proc_rss_kb (harness_proc_t *proc)
{
    char path [HARNESS_PATH_MAX];
    s_format (path, sizeof path, "/proc/%d/status", (int) proc->pid);
    char *status = s_slurp (path);
    const char *at = strstr (status, "VmRSS:");
    long rss = at ? strtol (at + strlen ("VmRSS:"), NULL, 10) : -1;
    free (status);
    return rss;
}

int
harness_free_port (void)
{
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true (fd >= 0);
    struct sockaddr_in address = { .sin_family = AF_INET };
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    assert_int_equal (bind (fd, (struct sockaddr *) &address, sizeof address), 0);
    socklen_t size = sizeof address;
    assert_int_equal (getsockname (fd, (struct sockaddr *) &address, &size), 0);
    close (fd);
    return ntohs (address.sin_port);
}

char *
harness_ctl (harness_t *self, harness_proc_t *router, const char *verb, int *exit_code_p)
{
    const char *fixed [] = { "--control", router->control, verb, NULL };
    const char *argv [HARNESS_ARGS_MAX];
    s_argv (argv, "zchat-ctl", fixed, NULL);
    harness_proc_t *proc = s_spawn (self, "ctl", "zchat-ctl", argv);
    proc->expect_clean = false;
    int status = harness_proc_wait (proc, HARNESS_TIMEOUT_MS);
    int exit_code = status != -1 && WIFEXITED (status) ? WEXITSTATUS (status) : -1;
    if (exit_code_p)
        *exit_code_p = exit_code;
    if (exit_code != 0) {
        fprintf (stderr, "harness: zchat-ctl %s failed (%d)\n", verb, exit_code);
        harness_proc_dump (proc);
        return NULL;
    }
    return s_slurp (proc->out_path);
}

char *
harness_body_value (const char *body, const char *key)
{
    size_t key_size = strlen (key);
    const char *line = body;
    while (line && *line) {
        if (strncmp (line, key, key_size) == 0 && line [key_size] == '=') {
            const char *value = line + key_size + 1;
            return strndup (value, strcspn (value, "\r\n"));
        }
        line = strchr (line, '\n');
        if (line)
            line++;
    }
    return NULL;
}

long
harness_status_number (harness_t *self, harness_proc_t *router, const char *key)
{
    char *body = harness_ctl (self, router, "status", NULL);
    if (!body)
        return -1;
    char *value = harness_body_value (body, key);
    long number = value ? strtol (value, NULL, 10) : -1;
    free (value);
    free (body);
    return number;
}

bool
harness_wait_status (harness_t *self, harness_proc_t *router, const char *key,
                     long value, int timeout_ms)
{
    int64_t deadline = harness_now () + timeout_ms;
    long number = -1;
    while (harness_now () < deadline) {
        number = harness_status_number (self, router, key);
        if (number == value)
            return true;
        s_pause_ms (HARNESS_POLL_MS * 4);
    }
    fprintf (stderr, "harness: status %s=%ld, wanted %ld\n", key, number, value);
    return false;
}

//  --- clients ------------------------------------------------------------

harness_client_t *
harness_connect (harness_t *self, harness_proc_t *gateway)
{
    assert_non_null (gateway);
    assert_true (self->client_count < HARNESS_CLIENTS_MAX);
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true (fd >= 0);
    struct sockaddr_in address = { .sin_family = AF_INET };
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    address.sin_port = htons ((uint16_t) gateway->port);
    if (connect (fd, (struct sockaddr *) &address, sizeof address)) {
        fprintf (stderr, "harness: connect to port %d: %s\n", gateway->port,
                 strerror (errno));
        close (fd);
        return NULL;
    }
    fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) | O_NONBLOCK);
    //  Each write leaves at once, so a test can split a sequence in two
    int enable = 1;
    setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &enable, sizeof enable);
    harness_client_t *client = calloc (1, sizeof (harness_client_t));
    assert_non_null (client);
    client->harness = self;
    client->fd = fd;
    self->clients [self->client_count++] = client;
    return client;
}

int
harness_client_fd (harness_client_t *client)
{
    return client->fd;
}

const char *
harness_client_nick (harness_client_t *client)
{
    return client->nick;
}

static void
s_grow (char **buffer, size_t *cap, size_t needed)
{
    if (needed <= *cap)
        return;
    size_t new_cap = *cap ? *cap : 4096;
    while (new_cap < needed)
        new_cap *= 2;
    *buffer = realloc (*buffer, new_cap);
    assert_non_null (*buffer);
    *cap = new_cap;
}

//  A complete line (partial buffer up to its LF): drop telnet commands
//  (the gateway's WONT/DONT answers arrive between lines), the CRLF, and
//  log it.
static void
s_add_line (harness_client_t *client)
{
    char *text = malloc (client->partial_size + 1);
    assert_non_null (text);
    size_t size = 0;
    for (size_t index = 0; index < client->partial_size; index++) {
        unsigned char byte = (unsigned char) client->partial [index];
        if (byte == HARNESS_TELNET_IAC && index + 2 < client->partial_size
        &&  (unsigned char) client->partial [index + 1] >= HARNESS_TELNET_WILL
        &&  (unsigned char) client->partial [index + 1] <= HARNESS_TELNET_DONT) {
            index += HARNESS_TELNET_CMD_SIZE - 1;
            continue;
        }
        text [size++] = (char) byte;
    }
    //  size counts the LF
    size--;
    if (size > 0 && text [size - 1] == '\r')
        size--;
    else
        client->bad_endings++;
    text [size] = 0;
    if (client->line_count == client->line_cap) {
        client->line_cap = client->line_cap ? client->line_cap * 2 : 64;
        client->lines = realloc (client->lines, client->line_cap * sizeof (s_line_t));
        assert_non_null (client->lines);
    }
    client->lines [client->line_count++] = (s_line_t) { text, false };
    client->partial_size = 0;
}

static void
s_take_bytes (harness_client_t *client, const char *data, size_t size)
{
    s_grow (&client->raw, &client->raw_cap, client->raw_size + size);
    memcpy (client->raw + client->raw_size, data, size);
    client->raw_size += size;
    while (size > 0) {
        const char *end = memchr (data, '\n', size);
        size_t take = end ? (size_t) (end - data) + 1 : size;
        s_grow (&client->partial, &client->partial_cap, client->partial_size + take);
        memcpy (client->partial + client->partial_size, data, take);
        client->partial_size += take;
        if (end)
            s_add_line (client);
        data += take;
        size -= take;
    }
}

ssize_t
harness_read_some (harness_client_t *client, int timeout_ms)
{
    if (client->fd < 0 || client->eof || client->error)
        return -1;
    struct pollfd item = { client->fd, POLLIN, 0 };
    int ready = poll (&item, 1, timeout_ms < 0 ? 0 : timeout_ms);
    if (ready <= 0)
        return 0;
    char buffer [HARNESS_READ_CHUNK];
    ssize_t total = 0;
    while (true) {
        ssize_t got = read (client->fd, buffer, sizeof buffer);
        if (got > 0) {
            s_take_bytes (client, buffer, (size_t) got);
            total += got;
            continue;
        }
        if (got == 0)
            client->eof = true;
        else
        if (errno != EAGAIN && errno != EINTR)
            client->error = errno;
        break;
    }
    if (total == 0 && (client->eof || client->error))
        return -1;
    return total;
}

static int
s_remaining (int64_t deadline)
{
    int64_t left = deadline - harness_now ();
    return left > 0 ? (int) left : 0;
}

//  Show what is pending, after an expect failed.
static void
s_show_pending (harness_client_t *client, const char *wanted)
{
    fprintf (stderr, "harness: client %s did not get '%s'%s; pending lines:\n",
             client->nick [0] ? client->nick : "(no nick)", wanted,
             client->eof ? " (connection closed)" : client->error ? " (read error)" : "");
    size_t shown = 0;
    for (size_t index = client->first_pending; index < client->line_count; index++)
        if (!client->lines [index].consumed && shown++ < HARNESS_PEND_SHOW)
            fprintf (stderr, "    '%s'\n", client->lines [index].text);
}

//  Find and consume the first pending line that matches, reading until
//  the deadline. exact: whole line; else substring; NULL: any line.
static const char *
s_expect (harness_client_t *client, const char *wanted, bool exact, int timeout_ms)
{
    int64_t deadline = harness_now () + timeout_ms;
    size_t scanned = client->first_pending;
    while (true) {
        for (size_t index = scanned; index < client->line_count; index++) {
            s_line_t *line = &client->lines [index];
            if (line->consumed)
                continue;
            if (!wanted
            ||  (exact ? strcmp (line->text, wanted) == 0 : strstr (line->text, wanted) != NULL)) {
                line->consumed = true;
                while (client->first_pending < client->line_count
                    && client->lines [client->first_pending].consumed)
                    client->first_pending++;
                return line->text;
            }
        }
        scanned = client->line_count;
        int left = s_remaining (deadline);
        if (left == 0 || harness_read_some (client, left) < 0) {
            s_show_pending (client, wanted ? wanted : "(any line)");
            return NULL;
        }
    }
}

const char *
harness_expect (harness_client_t *client, const char *line, int timeout_ms)
{
    return s_expect (client, line, true, timeout_ms);
}

const char *
harness_expect_sub (harness_client_t *client, const char *text, int timeout_ms)
{
    return s_expect (client, text, false, timeout_ms);
}

const char *
harness_next_line (harness_client_t *client, int timeout_ms)
{
    return s_expect (client, NULL, false, timeout_ms);
}

void
harness_clear (harness_client_t *client)
{
    harness_read_some (client, 0);
    for (size_t index = client->first_pending; index < client->line_count; index++)
        client->lines [index].consumed = true;
    client->first_pending = client->line_count;
}

int
harness_received_count (harness_client_t *client, const char *text)
{
    harness_read_some (client, 0);
    int count = 0;
    for (size_t index = 0; index < client->line_count; index++)
        if (strstr (client->lines [index].text, text))
            count++;
    return count;
}

int
harness_received_prefix (harness_client_t *client, const char *prefix)
{
    harness_read_some (client, 0);
    int count = 0;
    for (size_t index = 0; index < client->line_count; index++)
        if (strncmp (client->lines [index].text, prefix, strlen (prefix)) == 0)
            count++;
    return count;
}

int
harness_pending_count (harness_client_t *client, const char *text)
{
    harness_read_some (client, 0);
    int count = 0;
    for (size_t index = client->first_pending; index < client->line_count; index++)
        if (!client->lines [index].consumed && strstr (client->lines [index].text, text))
            count++;
    return count;
}

int
harness_received_exact (harness_client_t *client, const char *line)
{
    harness_read_some (client, 0);
    int count = 0;
    for (size_t index = 0; index < client->line_count; index++)
        if (strcmp (client->lines [index].text, line) == 0)
            count++;
    return count;
}

const char *
harness_line_at (harness_client_t *client, size_t index)
{
    return index < client->line_count ? client->lines [index].text : NULL;
}

long
harness_line_index (harness_client_t *client, const char *line)
{
    harness_read_some (client, 0);
    for (size_t index = 0; index < client->line_count; index++)
        if (strcmp (client->lines [index].text, line) == 0)
            return (long) index;
    return -1;
}

size_t
harness_line_count (harness_client_t *client)
{
    return client->line_count;
}

size_t
harness_bad_endings (harness_client_t *client)
{
    return client->bad_endings;
}

bool
harness_expect_bytes (harness_client_t *client, const void *bytes, size_t size,
                      int timeout_ms)
{
    int64_t deadline = harness_now () + timeout_ms;
    while (true) {
        if (client->raw_size >= size
        &&  memmem (client->raw, client->raw_size, bytes, size))
            return true;
        int left = s_remaining (deadline);
        if (left == 0 || harness_read_some (client, left) < 0)
            return false;
    }
}

harness_end_t
harness_read_to_end (harness_client_t *client, int timeout_ms)
{
    int64_t deadline = harness_now () + timeout_ms;
    while (!client->eof && !client->error) {
        int left = s_remaining (deadline);
        if (left == 0)
            return HARNESS_OPEN;
        harness_read_some (client, left);
    }
    //  Close our side too, as telnet does: a server lingering for our
    //  EOF after its FIN need not wait
    harness_client_close (client);
    return client->eof ? HARNESS_EOF : HARNESS_RESET;
}

ssize_t
harness_write_some (harness_client_t *client, const void *data, size_t size)
{
    ssize_t sent = send (client->fd, data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent < 0)
        return errno == EAGAIN || errno == EINTR ? 0 : -1;
    return sent;
}

int
harness_send_raw (harness_client_t *client, const void *data, size_t size)
{
    int64_t deadline = harness_now () + HARNESS_TIMEOUT_MS;
    const char *bytes = data;
    while (size > 0) {
        ssize_t sent = harness_write_some (client, bytes, size);
        if (sent < 0)
            return -1;
        bytes += sent;
        size -= (size_t) sent;
        if (size > 0) {
            int left = s_remaining (deadline);
            if (left == 0)
                return -1;
            struct pollfd item = { client->fd, POLLOUT, 0 };
            poll (&item, 1, left);
        }
    }
    return 0;
}

int
harness_send (harness_client_t *client, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *line = NULL;
    int size = vasprintf (&line, format, args);
    va_end (args);
    if (size < 0)
        return -1;
    int rc = harness_send_raw (client, line, (size_t) size);
    if (rc == 0)
        rc = harness_send_raw (client, "\r\n", 2);
    free (line);
    return rc;
}

harness_client_t *
harness_login (harness_t *self, harness_proc_t *gateway)
{
    harness_client_t *client = harness_connect (self, gateway);
    if (!client)
        return NULL;
    const char *welcome = harness_expect_sub (client, "* Welcome to zchat, ",
                                              HARNESS_TIMEOUT_MS);
    if (!welcome)
        return NULL;
    const char *nick = welcome + strlen ("* Welcome to zchat, ");
    size_t length = strcspn (nick, "!");
    if (length == 0 || length >= sizeof client->nick)
        return NULL;
    memcpy (client->nick, nick, length);
    client->nick [length] = 0;
    char line [HARNESS_PATH_MAX];
    s_format (line, sizeof line, "* Welcome to zchat, %s! You are in #general.",
              client->nick);
    if (strcmp (welcome, line) != 0) {
        fprintf (stderr, "harness: bad welcome line '%s'\n", welcome);
        return NULL;
    }
    if (!harness_expect (client, "* Commands: /join <room>, /nick <name>, /rooms, "
                         "/who, /msg <nick> <text>, /me <action>, /help, /quit",
                         HARNESS_TIMEOUT_MS))
        return NULL;
    s_format (line, sizeof line, "* %s joined #general", client->nick);
    if (!harness_expect (client, line, HARNESS_TIMEOUT_MS))
        return NULL;
    return client;
}

bool
harness_set_nick (harness_client_t *client, const char *nick)
{
    char line [HARNESS_PATH_MAX];
    s_format (line, sizeof line, "* %s is now known as %s", client->nick, nick);
    if (harness_send (client, "/nick %s", nick)
    ||  !harness_expect (client, line, HARNESS_TIMEOUT_MS))
        return false;
    s_format (client->nick, sizeof client->nick, "%s", nick);
    return true;
}

bool
harness_join (harness_client_t *client, const char *room)
{
    char line [HARNESS_PATH_MAX];
    s_format (line, sizeof line, "* %s joined #%s", client->nick, room);
    return harness_send (client, "/join %s", room) == 0
        && harness_expect (client, line, HARNESS_TIMEOUT_MS) != NULL;
}

void
harness_client_reset (harness_client_t *client)
{
    if (client->fd < 0)
        return;
    struct linger linger = { 1, 0 };
    setsockopt (client->fd, SOL_SOCKET, SO_LINGER, &linger, sizeof linger);
    close (client->fd);
    client->fd = -1;
}

void
harness_client_close (harness_client_t *client)
{
    if (client->fd < 0)
        return;
    close (client->fd);
    client->fd = -1;
}

bool
harness_marker (harness_client_t *sender, const char *room,
                harness_client_t **receivers, size_t count)
{
    static int marker_sequence = 0;
    char marker [HARNESS_NAME_MAX];
    s_format (marker, sizeof marker, "marker-%d-%lld", ++marker_sequence,
              (long long) harness_now ());
    if (harness_send (sender, "%s", marker))
        return false;
    char line [HARNESS_PATH_MAX];
    s_format (line, sizeof line, "[%s] %s: %s", room, sender->nick, marker);
    for (size_t index = 0; index < count; index++)
        if (!harness_expect (receivers [index], line, HARNESS_TIMEOUT_MS))
            return false;
    return true;
}

static void
s_client_destroy (harness_client_t **client_p)
{
    harness_client_t *client = *client_p;
    if (!client)
        return;
    harness_client_close (client);
    for (size_t index = 0; index < client->line_count; index++)
        free (client->lines [index].text);
    free (client->lines);
    free (client->partial);
    free (client->raw);
    free (client);
    *client_p = NULL;
}

//  --- teardown -------------------------------------------------------------

int
harness_destroy (harness_t **self_p)
{
    harness_t *self = *self_p;
    if (!self)
        return 0;
    int rc = 0;
    //  Every line a server sends ends with CRLF (docs/PROTOCOL.md)
    for (size_t index = 0; index < self->client_count; index++) {
        harness_client_t *client = self->clients [index];
        if (client->bad_endings > 0) {
            fprintf (stderr, "harness: client %s got %zu line(s) not ending in CRLF\n",
                     client->nick, client->bad_endings);
            rc = -1;
        }
        s_client_destroy (&self->clients [index]);
    }
    //  Stop in reverse order: gateways before the router they talk to
    for (size_t index = self->proc_count; index-- > 0;) {
        harness_proc_t *proc = self->procs [index];
        if (!proc->reaped) {
            kill (proc->pid, SIGTERM);
            harness_proc_wait (proc, HARNESS_STOP_MS);
        }
    }
    for (size_t index = 0; index < self->proc_count; index++) {
        harness_proc_t *proc = self->procs [index];
        const char *marker = s_bad_marker (proc);
        if (proc->expect_clean) {
            if (!harness_proc_clean (proc))
                rc = -1;
        }
        else
        if (marker) {
            fprintf (stderr, "harness: %s logged '%s'\n", proc->name, marker);
            harness_proc_dump (proc);
            rc = -1;
        }
    }
    //  ZCHAT_INTEG_KEEP=1 keeps every process's output for a post-mortem
    bool keep = rc != 0 || getenv ("ZCHAT_INTEG_KEEP") != NULL;
    for (size_t index = 0; index < self->proc_count; index++) {
        if (!keep) {
            unlink (self->procs [index]->log_path);
            unlink (self->procs [index]->out_path);
        }
        free (self->procs [index]);
    }
    if (!keep)
        rmdir (self->dir);
    else
        fprintf (stderr, "harness: output kept in %s\n", self->dir);
    free (self);
    *self_p = NULL;
    return rc;
}

int
harness_setup (void **state)
{
    *state = harness_new ();
    return *state ? 0 : -1;
}

int
harness_teardown (void **state)
{
    harness_t *self = *state;
    return harness_destroy (&self);
}
