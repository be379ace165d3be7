/*  =========================================================================
    syscount.c - exact system call counts of the server processes

    One counting perf event per thread (perf_event_open on the
    raw_syscalls:sys_enter tracepoint, the counter `perf stat -e
    raw_syscalls:sys_enter` reads): the kernel adds one per system call
    entry, and nothing stops the thread, so a server batches as it does
    untraced. strace -c stops every thread at every call, which slows the
    servers enough to change how much they batch per wake-up. The
    tracepoint's id comes from tracefs; threads that start after
    syscount_new are not counted (the servers start theirs at startup).
    =========================================================================
*/
#include "loadgen.h"
#include <dirent.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>

#define SYSCOUNT_PATH_MAX       128
#define SYSCOUNT_THREADS_MAX    1024    //  threads of all pids together
#define SYSCOUNT_ID_MAX         32      //  bytes of the tracepoint id file

//  Where tracefs may be mounted, newest first
static const char *s_id_paths [] = {
    "/sys/kernel/tracing/events/raw_syscalls/sys_enter/id",
    "/sys/kernel/debug/tracing/events/raw_syscalls/sys_enter/id",
};

struct _syscount_t {
    size_t count;                       //  pids
    size_t threads;                     //  counters open
    int fd [SYSCOUNT_THREADS_MAX];      //  one counter per thread
    size_t owner [SYSCOUNT_THREADS_MAX];    //  index of its pid
};

static int
s_tracepoint_id (uint64_t *id)
{
    for (size_t index = 0; index < sizeof (s_id_paths) / sizeof (s_id_paths [0]); index++) {
        FILE *file = fopen (s_id_paths [index], "r");
        if (!file)
            continue;
        char text [SYSCOUNT_ID_MAX];
        char *got = fgets (text, sizeof (text), file);
        fclose (file);
        if (got) {
            *id = strtoull (text, NULL, 10);
            return 0;
        }
    }
    return -1;
}

static int
s_open_counter (uint64_t id, pid_t tid)
{
    struct perf_event_attr attr;
    memset (&attr, 0, sizeof (attr));
    attr.type = PERF_TYPE_TRACEPOINT;
    attr.size = sizeof (attr);
    attr.config = id;
    return (int) syscall (SYS_perf_event_open, &attr, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

syscount_t *
syscount_new (const pid_t *pids, size_t count, char *why, size_t why_size)
{
    assert (pids || count == 0);
    assert (why && why_size > 0);
    why [0] = 0;
    uint64_t id = 0;
    if (s_tracepoint_id (&id)) {
        snprintf (why, why_size, "no raw_syscalls:sys_enter tracepoint (is tracefs mounted?)");
        return NULL;
    }
    syscount_t *self = (syscount_t *) calloc (1, sizeof (syscount_t));
    assert (self);
    self->count = count;
    for (size_t index = 0; index < count; index++) {
        char path [SYSCOUNT_PATH_MAX];
        snprintf (path, sizeof (path), "/proc/%d/task", (int) pids [index]);
        DIR *tasks = opendir (path);
        if (!tasks) {
            snprintf (why, why_size, "cannot list %s", path);
            syscount_destroy (&self);
            return NULL;
        }
        struct dirent *entry;
        while ((entry = readdir (tasks))) {
            if (entry->d_name [0] == '.')
                continue;
            if (self->threads == SYSCOUNT_THREADS_MAX) {
                snprintf (why, why_size, "more than %d threads", SYSCOUNT_THREADS_MAX);
                break;
            }
            int fd = s_open_counter (id, (pid_t) atoi (entry->d_name));
            if (fd < 0) {
                if (errno == ESRCH)
                    continue;   //  the thread has just exited
                snprintf (why, why_size, "perf_event_open: %s", strerror (errno));
                break;
            }
            self->fd [self->threads] = fd;
            self->owner [self->threads] = index;
            self->threads++;
        }
        closedir (tasks);
        if (why [0]) {
            syscount_destroy (&self);
            return NULL;
        }
    }
    return self;
}

void
syscount_destroy (syscount_t **self_p)
{
    assert (self_p);
    syscount_t *self = *self_p;
    if (!self)
        return;
    for (size_t index = 0; index < self->threads; index++)
        close (self->fd [index]);
    free (self);
    *self_p = NULL;
}

uint64_t
syscount_read (syscount_t *self, uint64_t *calls)
{
    assert (self);
    assert (calls || self->count == 0);
    for (size_t index = 0; index < self->count; index++)
        calls [index] = 0;
    uint64_t total = 0;
    for (size_t index = 0; index < self->threads; index++) {
        uint64_t value = 0;
        //  A thread that has exited keeps its count readable
        if (read (self->fd [index], &value, sizeof (value)) != (ssize_t) sizeof (value))
            continue;
        calls [self->owner [index]] += value;
        total += value;
    }
    return total;
}

size_t
syscount_threads (syscount_t *self)
{
    assert (self);
    return self->threads;
}
