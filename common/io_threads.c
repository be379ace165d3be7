/*  =========================================================================
    io_threads.c - how ZeroMQ's I/O threads are scheduled (io_threads.h)
    =========================================================================
*/
#include "chat.h"
#include "io_threads.h"
#include <sched.h>

//  The policy for a name, or -1 if unknown. libzmq's default (-1) keeps
//  the creating thread's policy, which is SCHED_OTHER here.
static int
s_policy (const char *policy)
{
    if (policy && streq (policy, "batch"))
        return SCHED_BATCH;
    if (policy && streq (policy, "normal"))
        return SCHED_OTHER;
    return -1;
}

int
io_threads_check (const char *policy)
{
    return s_policy (policy) == -1? -1: 0;
}

int
io_threads_apply (void *context, const char *policy)
{
    assert (context);
    int value = s_policy (policy);
    if (value == -1)
        return -1;
    return zmq_ctx_set (context, ZMQ_THREAD_SCHED_POLICY, value) == 0? 0: -1;
}
