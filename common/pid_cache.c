/*  =========================================================================
    pid_cache.c - getpid () from a cache (see pid_cache.h)

    The cache is written before any thread exists (pid_cache_start) and in
    a forked child, which has one thread: readers need no lock. A process
    made without fork () (clone, vfork) would see its parent's pid here;
    zchat makes none.
    =========================================================================
*/
#include "chat.h"
#include "pid_cache.h"
#include <sys/syscall.h>

static pid_t s_pid;             //  0 until pid_cache_start

static pid_t
s_kernel_pid (void)
{
    return (pid_t) syscall (SYS_getpid);
}

static void
s_refresh (void)
{
    s_pid = s_kernel_pid ();
}

void
pid_cache_start (void)
{
    if (s_pid)
        return;
    s_refresh ();
    pthread_atfork (NULL, NULL, s_refresh);
}

pid_t
getpid (void)
{
    return s_pid? s_pid: s_kernel_pid ();
}
