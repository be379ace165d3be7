/*  =========================================================================
    io_threads.h - how ZeroMQ's I/O threads are scheduled (both tiers)

    Each tier's loop thread hands every message to its ZeroMQ I/O thread
    and back through an eventfd. Under SCHED_OTHER ("normal", the default)
    a woken I/O thread may preempt the thread running where it lands,
    often the loop thread in mid-pass. SCHED_BATCH ("batch") keeps the
    wake-up but not the preemption: the I/O thread runs at once on a free
    CPU, else when the running thread blocks or its slice ends, and then
    finds more work together: about a quarter fewer system calls, 40 %
    fewer context switches and a fifth less CPU per message at low rates,
    but on a busy machine two to four times the latency (it waits behind
    whatever runs). docs/BENCHMARKS.md ("Levers tried") has the figures.
    =========================================================================
*/
#ifndef IO_THREADS_H_INCLUDED
#define IO_THREADS_H_INCLUDED

#define IO_THREADS_POLICY_DEFAULT   "normal"
#define IO_THREADS_POLICY_NAMES     "normal|batch"
#define IO_THREADS_POLICY_HELP      "scheduling of ZeroMQ's I/O thread: normal (SCHED_OTHER) " \
                                    "or batch (SCHED_BATCH: less CPU per message, more latency " \
                                    "on a busy machine)"

//  0 if policy names a known policy (IO_THREADS_POLICY_NAMES), else -1.
int
    io_threads_check (const char *policy);

//  Set the policy of the I/O threads of ZeroMQ context (zsys_init's);
//  only before its first socket, which starts them. 0, or -1 if the
//  name is unknown or ZeroMQ refuses it.
int
    io_threads_apply (void *context, const char *policy);

#endif
