/*  =========================================================================
    loop.h - the gateway's event loop (epoll behind a small API)

    One thread, one loop. File descriptors (client sockets, the listener,
    the ZeroMQ sockets' ZMQ_FD) are registered with a handler; timers fire
    on a monotonic clock; "before sleep" hooks run once per pass, after all
    ready events were handled and before the loop waits again. That hook is
    where the gateway flushes client output in one write per client and
    re-checks ZeroMQ's edge-triggered ZMQ_EVENTS.

    The backend is loop_epoll.c; nothing else in the gateway includes
    <sys/epoll.h>, so another backend (io_uring, kqueue) is one file.
    =========================================================================
*/
#ifndef LOOP_H_INCLUDED
#define LOOP_H_INCLUDED

#include "chat.h"

typedef struct _loop_t loop_t;

//  Interest and readiness bits
#define LOOP_READABLE   1
#define LOOP_WRITABLE   2
#define LOOP_ERROR      4       //  hang-up or error (reported, never asked for)
#define LOOP_EDGE       8       //  edge-triggered registration (for ZMQ_FD)
#define LOOP_PEER_CLOSED 16     //  the peer shut down its side, even with input
                                //  unread (EPOLLRDHUP); asked for, level-triggered

//  Called when fd is ready; events has LOOP_READABLE/WRITABLE/ERROR bits.
typedef void (loop_io_fn) (loop_t *loop, int fd, int events, void *arg);
//  Called when a timer fires. Return 0 to keep a repeating timer, -1 to
//  cancel it.
typedef int (loop_timer_fn) (loop_t *loop, int timer_id, void *arg);
//  Called once per pass before the loop waits.
typedef void (loop_hook_fn) (loop_t *loop, void *arg);

//  Create a loop. Returns NULL if epoll cannot be created.
loop_t *
    loop_new (void);

//  Destroy a loop; does not close registered fds. NULL-safe.
void
    loop_destroy (loop_t **self_p);

//  Register fd with interest bits (LOOP_READABLE | LOOP_WRITABLE, optionally
//  LOOP_EDGE). Returns 0 or -1.
int
    loop_add (loop_t *self, int fd, int interest, loop_io_fn *handler, void *arg);

//  Change the interest bits of a registered fd; a no-op (no syscall) when
//  they are unchanged. Returns 0 or -1.
int
    loop_set_interest (loop_t *self, int fd, int interest);

//  Unregister fd (before closing it). Safe to call from inside a handler;
//  pending events for fd in this pass are then not delivered.
int
    loop_remove (loop_t *self, int fd);

//  Add a timer firing after delay_ms, then every delay_ms if repeat.
//  Returns a timer id > 0.
int
    loop_timer_add (loop_t *self, int64_t delay_ms, bool repeat,
                    loop_timer_fn *handler, void *arg);

//  Cancel a timer; unknown ids are ignored.
void
    loop_timer_cancel (loop_t *self, int timer_id);

//  Add a hook run once per pass before waiting (in registration order).
void
    loop_hook_add (loop_t *self, loop_hook_fn *hook, void *arg);

//  Add a hook that runs after every loop_hook_add hook of the pass (late
//  hooks in registration order). The client set flushes output and reaps
//  closed clients here, so whatever the other hooks write (e.g. ZeroMQ
//  traffic drained in a hook) still leaves in the same pass.
void
    loop_hook_add_late (loop_t *self, loop_hook_fn *hook, void *arg);

//  Remove a hook (early or late) added with this hook and arg; unknown
//  pairs are ignored. Safe inside a hook.
void
    loop_hook_remove (loop_t *self, loop_hook_fn *hook, void *arg);

//  Run until loop_stop or zsys_interrupted. Returns 0, or -1 on a fatal
//  epoll error.
int
    loop_run (loop_t *self);

//  Do not sleep before the next pass: work was queued after the hook that
//  handles it ran (e.g. a late hook wrote to a client already flushed).
void
    loop_again (loop_t *self);

//  Number of the current pass; it changes each time the loop wakes up.
uint64_t
    loop_pass (loop_t *self);

//  Make loop_run return after the current pass.
void
    loop_stop (loop_t *self);

//  Monotonic milliseconds, cached once per pass (cheap to call often).
int64_t
    loop_now (loop_t *self);

#endif
