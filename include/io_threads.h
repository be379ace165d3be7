/*  =========================================================================
    io_threads.h - how ZeroMQ's I/O threads are scheduled (both tiers)

    Each tier's loop thread hands every message to its ZeroMQ I/O thread
    and back through an eventfd. With the default policy a woken I/O
    thread preempts the thread that woke it, or the one it lands next to,
    so a loop pass that publishes to two gateways or sends a request wakes
    it once per send and is itself switched out mid-pass. SCHED_BATCH
    (the default here, "batch") keeps the wake-up but not the preemption:
    the I/O thread runs on a free CPU at once, or after the current thread
    blocks, and then finds the pass's work together. "normal" leaves the
    kernel's default (SCHED_OTHER). docs/BENCHMARKS.md has the counts.
    =========================================================================
*/
#ifndef IO_THREADS_H_INCLUDED
#define IO_THREADS_H_INCLUDED

#define IO_THREADS_POLICY_DEFAULT   "batch"
#define IO_THREADS_POLICY_NAMES     "batch|normal"
#define IO_THREADS_POLICY_HELP      "scheduling of ZeroMQ's I/O thread: batch (no wake-up " \
                                    "preemption: fewer switches per message) or normal"

//  0 if policy names a known policy (IO_THREADS_POLICY_NAMES), else -1.
int
    io_threads_check (const char *policy);

//  Set the policy of the I/O threads of ZeroMQ context (zsys_init's);
//  only before its first socket, which starts them. 0, or -1 if the
//  name is unknown or ZeroMQ refuses it.
int
    io_threads_apply (void *context, const char *policy);

#endif
