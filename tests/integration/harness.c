/*  =========================================================================
    harness.c - the harness and the processes it starts

    Processes are forked and exec'd with stdout and stderr redirected to
    files in the harness's scratch directory; waiting for a ready line is
    re-reading that file until the line shows up or the deadline passes.
    Stopping is SIGTERM, then SIGKILL past the deadline; the exit status
    and the captured stderr decide whether a process ended cleanly.
    zchat-ctl runs are in harness_ctl.c, TCP clients in harness_client.c.
    See harness.h for the API.
    =========================================================================
*/
#ifndef _GNU_SOURCE
#   define _GNU_SOURCE
#endif

#include "harness_private.h"

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <limits.h>
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

//  Lines in a sanitizer or czmq report that mean the process was not clean.
static const char *s_bad_markers [] = {
    "ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
    "WARNING: ThreadSanitizer", "dangling", NULL
};

extern char **environ;

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

void
harness_format (char *buffer, size_t size, const char *format, ...)
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

void
harness_pause_ms (int milliseconds)
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
    harness_format (self->dir, sizeof self->dir, "/tmp/zchat-integ-XXXXXX");
    if (!mkdtemp (self->dir)) {
        free (self);
        return NULL;
    }
    const char *bin_dir = getenv ("ZCHAT_BIN_DIR");
    harness_format (self->bin_dir, sizeof self->bin_dir, "%s",
              bin_dir && *bin_dir ? bin_dir : "bin");
    return self;
}

char *
harness_slurp (const char *path)
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
    char *log = harness_slurp (proc->log_path);
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

void
harness_child_env (harness_t *self, const char *name, const char *value)
{
    char *entry = NULL;
    int size = asprintf (&entry, "%s=%s", name, value);
    assert_true (size > 0);
    size_t name_size = strlen (name) + 1;
    for (size_t index = 0; index < self->env_count; index++)
        if (strncmp (self->env [index], entry, name_size) == 0) {
            free (self->env [index]);
            self->env [index] = entry;
            return;
        }
    assert_true (self->env_count < HARNESS_ENV_MAX);
    self->env [self->env_count++] = entry;
}

//  Our environment with the harness's variables set over it: a fresh
//  array (of borrowed strings) to free.
static char **
s_child_environ (harness_t *self)
{
    size_t count = 0;
    while (environ [count])
        count++;
    char **envp = calloc (count + self->env_count + 1, sizeof (char *));
    assert_non_null (envp);
    size_t size = 0;
    for (size_t index = 0; index < count; index++) {
        bool replaced = false;
        for (size_t set = 0; set < self->env_count && !replaced; set++) {
            size_t name_size = strcspn (self->env [set], "=") + 1;
            replaced = strncmp (environ [index], self->env [set], name_size) == 0;
        }
        if (!replaced)
            envp [size++] = environ [index];
    }
    for (size_t set = 0; set < self->env_count; set++)
        envp [size++] = self->env [set];
    envp [size] = NULL;
    return envp;
}

harness_proc_t *
harness_spawn (harness_t *self, const char *name, const char *program, const char **argv)
{
    assert_true (self->proc_count < HARNESS_PROCS_MAX);
    harness_proc_t *proc = calloc (1, sizeof (harness_proc_t));
    assert_non_null (proc);
    proc->harness = self;
    proc->expect_clean = true;
    harness_format (proc->name, sizeof proc->name, "%s", name);
    self->sequence++;
    harness_format (proc->log_path, sizeof proc->log_path, "%s/%02d-%s.err",
              self->dir, self->sequence, name);
    harness_format (proc->out_path, sizeof proc->out_path, "%s/%02d-%s.out",
              self->dir, self->sequence, name);
    char path [HARNESS_PATH_MAX];
    harness_format (path, sizeof path, "%s/%s", self->bin_dir, program);
    //  A child that changes directory needs the program's absolute path
    char absolute [PATH_MAX];
    if (self->child_cwd && realpath (path, absolute))
        harness_format (path, sizeof path, "%s", absolute);

    int log_fd = open (proc->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int out_fd = open (proc->out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int null_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
    assert_true (log_fd >= 0 && out_fd >= 0 && null_fd >= 0);
    char **envp = s_child_environ (self);
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
        if (self->child_cwd && chdir (self->child_cwd))
            _exit (127);
        execve (path, (char **) argv, envp);
        fprintf (stderr, "harness: cannot exec %s: %s\n", path, strerror (errno));
        _exit (127);
    }
    free (envp);
    close (log_fd);
    close (out_fd);
    close (null_fd);
    proc->pid = pid;
    s_live_set (0, pid);
    self->procs [self->proc_count++] = proc;
    return proc;
}

void
harness_forget (harness_t *self, harness_proc_t *proc)
{
    assert_true (proc->reaped);
    for (size_t index = 0; index < self->proc_count; index++)
        if (self->procs [index] == proc) {
            memmove (&self->procs [index], &self->procs [index + 1],
                     (self->proc_count - index - 1) * sizeof (harness_proc_t *));
            self->proc_count--;
            unlink (proc->log_path);
            unlink (proc->out_path);
            free (proc);
            return;
        }
}

bool
harness_proc_wait_log (harness_proc_t *proc, const char *text, int timeout_ms)
{
    int64_t deadline = harness_now () + timeout_ms;
    while (true) {
        char *log = harness_slurp (proc->log_path);
        bool found = strstr (log, text) != NULL;
        free (log);
        if (found)
            return true;
        if (harness_now () >= deadline)
            return false;
        if (s_reap (proc, false)) {
            //  It exited: one last look, it may have written on its way out
            log = harness_slurp (proc->log_path);
            found = strstr (log, text) != NULL;
            free (log);
            return found;
        }
        harness_pause_ms (HARNESS_POLL_MS);
    }
}

int
harness_proc_log_count (harness_proc_t *proc, const char *text)
{
    char *log = harness_slurp (proc->log_path);
    int count = 0;
    for (const char *at = strstr (log, text); at; at = strstr (at + 1, text))
        count++;
    free (log);
    return count;
}

bool
harness_proc_wait_log_count (harness_proc_t *proc, const char *text, int count,
                             int timeout_ms)
{
    int64_t deadline = harness_now () + timeout_ms;
    while (harness_proc_log_count (proc, text) < count) {
        if (harness_now () >= deadline)
            return false;
        harness_pause_ms (HARNESS_POLL_MS);
    }
    return true;
}

//  Copy the value after "key=" in text (up to a space or line end).
static bool
s_field (const char *text, const char *key, char *value, size_t size)
{
    char pattern [HARNESS_NAME_MAX];
    harness_format (pattern, sizeof pattern, " %s=", key);
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

void
harness_argv (const char **argv, const char *program, const char **fixed, const char **extra)
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

const char *
harness_dir (harness_t *self)
{
    return self->dir;
}

//  One attempt of harness_router_start_at; *bind_failed_p tells why not.
static harness_proc_t *
s_router_start_once (harness_t *self, const char *ingress, const char *publish,
                     const char *control, const char **extra, bool *bind_failed_p)
{
    const char *fixed [] = {
        "--ingress", ingress, "--publish", publish, "--control", control, NULL
    };
    const char *argv [HARNESS_ARGS_MAX];
    harness_argv (argv, "zchat-router", fixed, extra);
    harness_proc_t *proc = harness_spawn (self, "router", "zchat-router", argv);
    *bind_failed_p = false;
    if (!harness_proc_wait_log (proc, "router: ready ", HARNESS_TIMEOUT_MS)) {
        harness_proc_wait (proc, HARNESS_TIMEOUT_MS);
        *bind_failed_p = harness_proc_log_count (proc, "router: bind failed") > 0;
        if (*bind_failed_p) {
            proc->expect_clean = false;     //  it exited 1, as it should
            return NULL;
        }
        fprintf (stderr, "harness: router never logged 'router: ready '\n");
        harness_proc_dump (proc);
        return NULL;
    }
    char *log = harness_slurp (proc->log_path);
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

//  A router restarted on fixed ports may find one taken for a moment
//  (another test's connection, a port still being released): try again
//  a few times before giving up.
harness_proc_t *
harness_router_start_at (harness_t *self, const char *ingress, const char *publish,
                         const char *control, const char **extra)
{
    for (int attempt = 0; attempt < HARNESS_BIND_ATTEMPTS; attempt++) {
        bool bind_failed = false;
        harness_proc_t *proc = s_router_start_once (self, ingress, publish, control,
                                                    extra, &bind_failed);
        if (proc || !bind_failed)
            return proc;
        fprintf (stderr, "harness: router could not bind (attempt %d), retrying\n",
                 attempt + 1);
        harness_pause_ms (HARNESS_BIND_RETRY_MS);
    }
    fprintf (stderr, "harness: router could not bind its fixed ports\n");
    return NULL;
}

int
harness_router_refused (harness_t *self, const char **extra, char **log_p)
{
    const char *fixed [] = {
        "--ingress", "tcp://127.0.0.1:*", "--publish", "tcp://127.0.0.1:*",
        "--control", "tcp://127.0.0.1:*", NULL
    };
    const char *argv [HARNESS_ARGS_MAX];
    harness_argv (argv, "zchat-router", fixed, extra);
    harness_proc_t *proc = harness_spawn (self, "router", "zchat-router", argv);
    proc->expect_clean = false;
    int status = harness_proc_wait (proc, HARNESS_TIMEOUT_MS);
    if (log_p)
        *log_p = harness_slurp (proc->log_path);
    return status != -1 && WIFEXITED (status)? WEXITSTATUS (status): -1;
}

int
harness_gateway_refused (harness_t *self, harness_proc_t *router, const char **extra,
                         char **log_p)
{
    assert_non_null (router);
    const char *fixed [] = {
        "--listen", "127.0.0.1:0", "--ingress", router->ingress,
        "--publish", router->publish, "--name", "refused", NULL
    };
    const char *argv [HARNESS_ARGS_MAX];
    harness_argv (argv, "zchat-gateway", fixed, extra);
    harness_proc_t *proc = harness_spawn (self, "refused", "zchat-gateway", argv);
    proc->expect_clean = false;
    int status = harness_proc_wait (proc, HARNESS_TIMEOUT_MS);
    if (log_p)
        *log_p = harness_slurp (proc->log_path);
    return status != -1 && WIFEXITED (status)? WEXITSTATUS (status): -1;
}

int
harness_run (harness_t *self, const char *program, const char **args, char **log_p)
{
    const char *argv [HARNESS_ARGS_MAX];
    harness_argv (argv, program, args, NULL);
    harness_proc_t *proc = harness_spawn (self, program, program, argv);
    proc->expect_clean = false;
    int status = harness_proc_wait (proc, HARNESS_TIMEOUT_MS);
    if (log_p)
        *log_p = harness_slurp (proc->log_path);
    harness_forget (self, proc);
    return status != -1 && WIFEXITED (status)? WEXITSTATUS (status): -1;
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
    return harness_gateway_start_at (self, router->ingress, router->publish, name, extra);
}

harness_proc_t *
harness_gateway_start_at (harness_t *self, const char *ingress, const char *publish,
                          const char *name, const char **extra)
{
    const char *fixed [] = {
        "--listen", "127.0.0.1:0", "--ingress", ingress,
        "--publish", publish, "--name", name, NULL
    };
    const char *argv [HARNESS_ARGS_MAX];
    harness_argv (argv, "zchat-gateway", fixed, extra);
    harness_proc_t *proc = harness_spawn (self, name, "zchat-gateway", argv);
    if (!s_wait_ready (proc, "gateway: listening "))
        return NULL;
    char *log = harness_slurp (proc->log_path);
    const char *line = strstr (log, "gateway: listening ");
    char port [HARNESS_NAME_MAX];
    bool parsed = s_field (line, "port", port, sizeof port)
               && s_field (line, "id", proc->id, sizeof proc->id);
    proc->port = parsed ? atoi (port) : 0;
    char tls_port [HARNESS_NAME_MAX];
    proc->tls_port = s_field (line, "tls", tls_port, sizeof tls_port) ? atoi (tls_port) : 0;
    free (log);
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
        harness_format (name, sizeof name, "gw%zu", index + 1);
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

int
harness_gateway_tls_port (harness_proc_t *proc)
{
    return proc->tls_port;
}

const char *
harness_gateway_id (harness_proc_t *proc)
{
    return proc->id;
}

int
harness_gateway_port_named (harness_proc_t *proc, const char *name)
{
    char *log = harness_slurp (proc->log_path);
    const char *line = strstr (log, "gateway: listening ");
    char port [HARNESS_NAME_MAX] = "";
    bool parsed = line && s_field (line, name, port, sizeof port);
    free (log);
    return parsed ? atoi (port) : 0;
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
        harness_pause_ms (HARNESS_POLL_MS);
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
    char *log = harness_slurp (proc->log_path);
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
    harness_format (path, sizeof path, "/proc/%d/maps", (int) proc->pid);
    char *maps = harness_slurp (path);
    bool sanitized = strstr (maps, "libasan") || strstr (maps, "libtsan")
                  || strstr (maps, "libubsan");
    free (maps);
    return sanitized;
}

long
harness_proc_rss_kb (harness_proc_t *proc)
{
    char path [HARNESS_PATH_MAX];
    harness_format (path, sizeof path, "/proc/%d/status", (int) proc->pid);
    char *status = harness_slurp (path);
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

//  True if port can be bound on 127.0.0.1 now.
static bool
s_port_bindable (int port)
{
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true (fd >= 0);
    int on = 1;
    setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    struct sockaddr_in address = { .sin_family = AF_INET };
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    address.sin_port = htons ((uint16_t) port);
    bool bindable = bind (fd, (struct sockaddr *) &address, sizeof address) == 0;
    close (fd);
    return bindable;
}

//  A port that is free now and outside the kernel's ephemeral range, so
//  that no outgoing connection (ours, a ZeroMQ reconnect, another test's)
//  is handed it between now and a router's restart on it.
int
harness_fixed_port (void)
{
    int low = HARNESS_EPHEMERAL_LOW, high = HARNESS_EPHEMERAL_HIGH;
    char *range = harness_slurp ("/proc/sys/net/ipv4/ip_local_port_range");
    if (sscanf (range, "%d %d", &low, &high) != 2) {
        low = HARNESS_EPHEMERAL_LOW;
        high = HARNESS_EPHEMERAL_HIGH;
    }
    free (range);
    static unsigned int seed = 0;
    if (!seed)
        seed = (unsigned int) (getpid () ^ harness_now ());
    for (int attempt = 0; attempt < HARNESS_PORT_ATTEMPTS; attempt++) {
        int port = HARNESS_PORT_MIN + rand_r (&seed) % (HARNESS_PORT_MAX - HARNESS_PORT_MIN);
        if (port >= low && port <= high)
            continue;
        if (s_port_bindable (port))
            return port;
    }
    return harness_free_port ();    //  everything outside is taken: better than nothing
}

void
harness_free_endpoints (harness_endpoints_t *endpoints)
{
    assert_non_null (endpoints);
    int ports [3];
    for (int index = 0; index < 3; index++) {
        bool unique;
        do {
            ports [index] = harness_fixed_port ();
            unique = true;
            for (int other = 0; other < index; other++)
                unique = unique && ports [other] != ports [index];
        } while (!unique);
    }
    snprintf (endpoints->ingress, sizeof endpoints->ingress, "tcp://127.0.0.1:%d", ports [0]);
    snprintf (endpoints->publish, sizeof endpoints->publish, "tcp://127.0.0.1:%d", ports [1]);
    snprintf (endpoints->control, sizeof endpoints->control, "tcp://127.0.0.1:%d", ports [2]);
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
        if (harness_bad_endings (client) > 0) {
            fprintf (stderr, "harness: client %s got %zu line(s) not ending in CRLF\n",
                     harness_client_nick (client), harness_bad_endings (client));
            rc = -1;
        }
        harness_client_destroy (&self->clients [index]);
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
    for (size_t index = 0; index < self->env_count; index++)
        free (self->env [index]);
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
