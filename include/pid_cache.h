/*  =========================================================================
    pid_cache.h - getpid () without a system call

    libzmq checks getpid () against the pid it started with (to catch a
    context used across fork) on every mailbox signal and wait: about a
    third of zchat's system calls per message, since glibc no longer
    caches the pid. common/pid_cache.c defines getpid () in the executable,
    which the dynamic linker binds libzmq's calls to, and answers from a
    cache that pthread_atfork refreshes in a forked child.
    =========================================================================
*/
#ifndef PID_CACHE_H_INCLUDED
#define PID_CACHE_H_INCLUDED

//  Fill the cache and register the fork handler. Call from main () before
//  any thread starts (ZeroMQ's I/O threads come with the first socket).
//  Until then getpid () asks the kernel.
void
    pid_cache_start (void);

#endif
