/*  =========================================================================
    loop_epoll.c - the gateway's event loop on Linux epoll

    Implements loop.h. File descriptors sit in an array indexed by fd (it
    grows as fds grow; no hash), each slot holding the handler, its argument,
    the current interest and a generation number. The generation travels in
    the epoll event data, so an event for an fd that a handler removed (and
    perhaps a new connection re-used) in the same pass is recognised as
    stale and dropped. Timers live in a binary min-heap keyed by monotonic
    milliseconds; hooks run once per pass, the "late" ones after the others.

    One pass: run hooks, wait for events (up to the next timer), refresh the
    cached clock, dispatch events, fire due timers. loop_stop ends the loop
    after the pass in progress, once its hooks have run.
    =========================================================================
*/
#include "loop.h"
#include <sys/epoll.h>

#define LOOP_EVENTS_MAX     1024    //  events taken from epoll per pass
#define LOOP_SLOTS_INITIAL  1024    //  first size of the fd table
#define LOOP_TIMERS_INITIAL 16      //  first size of the timer heap
#define LOOP_HOOKS_INITIAL  8       //  first size of each hook list
#define LOOP_FD_SHIFT       32      //  generation sits above the fd in u64

typedef struct {
    loop_io_fn *handler;        //  NULL when the fd is not registered
    void *arg;                  //  handler's argument
    int interest;               //  LOOP_READABLE | LOOP_WRITABLE | LOOP_EDGE
    uint32_t generation;        //  bumped on every loop_add
} s_slot_t;

typedef struct {
    int64_t when;               //  monotonic ms when it fires next
    int64_t interval;           //  ms between firings (repeating timers)
    int id;                     //  > 0, unique per loop
    bool repeat;                //  fire again after interval
    loop_timer_fn *handler;     //  called when due
    void *arg;                  //  handler's argument
} s_timer_t;

typedef struct {
    loop_hook_fn *hook;         //  called once per pass
    void *arg;                  //  hook's argument
} s_hook_t;

typedef struct {
    s_hook_t *items;            //  hooks in registration order
    size_t size;                //  hooks in use
    size_t capacity;            //  hooks allocated
    bool dirty;                 //  some entries were removed
} s_hooks_t;

struct _loop_t {
    int epoll_fd;               //  the epoll instance
    s_slot_t *slots;            //  fd -> registration
    size_t slot_count;          //  entries in slots
    struct epoll_event *events; //  LOOP_EVENTS_MAX results of one wait
    s_timer_t *timers;          //  min-heap on when
    size_t timer_count;         //  timers in the heap
    size_t timer_capacity;      //  heap allocation
    int next_timer_id;          //  last id handed out
    int firing_id;              //  timer whose handler runs now, or 0
    bool firing_cancelled;      //  that timer was cancelled by its handler
    s_hooks_t hooks;            //  run first each pass
    s_hooks_t late_hooks;       //  run after hooks
    bool running_hooks;         //  inside s_hooks_run
    int64_t now;                //  cached monotonic ms
    uint64_t pass;              //  wake-ups so far
    bool again;                 //  skip the next wait
    bool stopped;               //  loop_stop was called
};

static int64_t
s_clock_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

loop_t *
loop_new (void)
{
    loop_t *self = (loop_t *) zmalloc (sizeof (loop_t));
    if (!self)
        return NULL;
    self->epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
    self->events = (struct epoll_event *) calloc (LOOP_EVENTS_MAX, sizeof (struct epoll_event));
    if (self->epoll_fd == -1 || !self->events) {
        zsys_error ("loop: epoll_create failed error=%s", strerror (errno));
        loop_destroy (&self);
        return NULL;
    }
    self->now = s_clock_ms ();
    return self;
}

void
loop_destroy (loop_t **self_p)
{
    assert (self_p);
    loop_t *self = *self_p;
    if (!self)
        return;
    if (self->epoll_fd != -1)
        close (self->epoll_fd);
    free (self->slots);
    free (self->events);
    free (self->timers);
    free (self->hooks.items);
    free (self->late_hooks.items);
    free (self);
    *self_p = NULL;
}

static uint32_t
s_epoll_bits (int interest)
{
    uint32_t bits = 0;
    if (interest & LOOP_READABLE)
        bits |= EPOLLIN;
    if (interest & LOOP_WRITABLE)
        bits |= EPOLLOUT;
    if (interest & LOOP_EDGE)
        bits |= EPOLLET;
    if (interest & LOOP_PEER_CLOSED)
        bits |= EPOLLRDHUP;
    return bits;
}

//  Make room in the fd table for fd; returns 0 or -1.
static int
s_slots_reserve (loop_t *self, int fd)
{
    if ((size_t) fd < self->slot_count)
        return 0;
    size_t count = self->slot_count? self->slot_count: LOOP_SLOTS_INITIAL;
    while (count <= (size_t) fd)
        count *= 2;
    s_slot_t *slots = (s_slot_t *) realloc (self->slots, count * sizeof (s_slot_t));
    if (!slots)
        return -1;
    memset (slots + self->slot_count, 0, (count - self->slot_count) * sizeof (s_slot_t));
    self->slots = slots;
    self->slot_count = count;
    return 0;
}

int
loop_add (loop_t *self, int fd, int interest, loop_io_fn *handler, void *arg)
{
    assert (self);
    assert (handler);
    if (fd < 0 || s_slots_reserve (self, fd))
        return -1;
    s_slot_t *slot = &self->slots [fd];
    if (slot->handler)
        return -1;              //  already registered
    uint32_t generation = slot->generation + 1;
    struct epoll_event event = {
        .events = s_epoll_bits (interest),
        .data.u64 = ((uint64_t) generation << LOOP_FD_SHIFT) | (uint32_t) fd
    };
    if (epoll_ctl (self->epoll_fd, EPOLL_CTL_ADD, fd, &event)) {
        zsys_warning ("loop: epoll add failed fd=%d error=%s", fd, strerror (errno));
        return -1;
    }
    slot->handler = handler;
    slot->arg = arg;
    slot->interest = interest;
    slot->generation = generation;
    return 0;
}

int
loop_set_interest (loop_t *self, int fd, int interest)
{
    assert (self);
    if (fd < 0 || (size_t) fd >= self->slot_count || !self->slots [fd].handler)
        return -1;
    s_slot_t *slot = &self->slots [fd];
    if (slot->interest == interest)
        return 0;
    struct epoll_event event = {
        .events = s_epoll_bits (interest),
        .data.u64 = ((uint64_t) slot->generation << LOOP_FD_SHIFT) | (uint32_t) fd
    };
    if (epoll_ctl (self->epoll_fd, EPOLL_CTL_MOD, fd, &event)) {
        zsys_warning ("loop: epoll mod failed fd=%d error=%s", fd, strerror (errno));
        return -1;
    }
    slot->interest = interest;
    return 0;
}

int
loop_remove (loop_t *self, int fd)
{
    assert (self);
    if (fd < 0 || (size_t) fd >= self->slot_count || !self->slots [fd].handler)
        return -1;
    s_slot_t *slot = &self->slots [fd];
    //  Clearing the handler is what stops this pass's remaining events;
    //  the generation (kept) rejects them even if fd is re-added.
    slot->handler = NULL;
    slot->arg = NULL;
    slot->interest = 0;
    struct epoll_event event = { 0 };
    if (epoll_ctl (self->epoll_fd, EPOLL_CTL_DEL, fd, &event) && errno != EBADF)
        return -1;
    return 0;
}

//  --- timers: a binary min-heap on when -----------------------------------

static void
s_timer_swap (loop_t *self, size_t a, size_t b)
{
    s_timer_t temp = self->timers [a];
    self->timers [a] = self->timers [b];
    self->timers [b] = temp;
}

static void
s_heap_up (loop_t *self, size_t index)
{
    while (index > 0) {
        size_t parent = (index - 1) / 2;
        if (self->timers [parent].when <= self->timers [index].when)
            break;
        s_timer_swap (self, parent, index);
        index = parent;
    }
}

static void
s_heap_down (loop_t *self, size_t index)
{
    while (true) {
        size_t left = 2 * index + 1;
        size_t right = left + 1;
        size_t smallest = index;
        if (left < self->timer_count
        &&  self->timers [left].when < self->timers [smallest].when)
            smallest = left;
        if (right < self->timer_count
        &&  self->timers [right].when < self->timers [smallest].when)
            smallest = right;
        if (smallest == index)
            break;
        s_timer_swap (self, smallest, index);
        index = smallest;
    }
}

static int
s_heap_push (loop_t *self, const s_timer_t *timer)
{
    if (self->timer_count == self->timer_capacity) {
        size_t capacity = self->timer_capacity? self->timer_capacity * 2: LOOP_TIMERS_INITIAL;
        s_timer_t *timers = (s_timer_t *) realloc (self->timers, capacity * sizeof (s_timer_t));
        if (!timers)
            return -1;
        self->timers = timers;
        self->timer_capacity = capacity;
    }
    self->timers [self->timer_count] = *timer;
    s_heap_up (self, self->timer_count++);
    return 0;
}

static void
s_heap_remove (loop_t *self, size_t index)
{
    assert (index < self->timer_count);
    self->timer_count--;
    if (index == self->timer_count)
        return;
    self->timers [index] = self->timers [self->timer_count];
    s_heap_down (self, index);
    s_heap_up (self, index);
}

int
loop_timer_add (loop_t *self, int64_t delay_ms, bool repeat,
                loop_timer_fn *handler, void *arg)
{
    assert (self);
    assert (handler);
    if (delay_ms < 0)
        delay_ms = 0;
    if (++self->next_timer_id <= 0)
        self->next_timer_id = 1;
    //  A repeating timer of 0 ms would fire forever within one pass
    s_timer_t timer = {
        .when = s_clock_ms () + delay_ms,
        .interval = repeat && delay_ms < 1? 1: delay_ms,
        .id = self->next_timer_id,
        .repeat = repeat,
        .handler = handler,
        .arg = arg
    };
    if (s_heap_push (self, &timer))
        return -1;
    return timer.id;
}

void
loop_timer_cancel (loop_t *self, int timer_id)
{
    assert (self);
    if (timer_id <= 0)
        return;
    if (timer_id == self->firing_id) {
        self->firing_cancelled = true;
        return;
    }
    for (size_t index = 0; index < self->timer_count; index++)
        if (self->timers [index].id == timer_id) {
            s_heap_remove (self, index);
            return;
        }
}

//  Fire every timer due at the cached time. A timer is out of the heap
//  while its handler runs, so the handler may add or cancel timers freely.
static void
s_timers_fire (loop_t *self)
{
    int64_t now = self->now;
    while (self->timer_count && self->timers [0].when <= now) {
        s_timer_t timer = self->timers [0];
        s_heap_remove (self, 0);
        self->firing_id = timer.id;
        self->firing_cancelled = false;
        int rc = timer.handler (self, timer.id, timer.arg);
        self->firing_id = 0;
        if (timer.repeat && rc == 0 && !self->firing_cancelled) {
            //  Keep the rhythm, but never schedule into the past
            timer.when += timer.interval;
            if (timer.when <= now)
                timer.when = now + timer.interval;
            if (s_heap_push (self, &timer))
                zsys_error ("loop: cannot re-arm timer id=%d", timer.id);
        }
    }
}

//  --- hooks ----------------------------------------------------------------

static void
s_hooks_compact (s_hooks_t *hooks)
{
    if (!hooks->dirty)
        return;
    size_t kept = 0;
    for (size_t index = 0; index < hooks->size; index++)
        if (hooks->items [index].hook)
            hooks->items [kept++] = hooks->items [index];
    hooks->size = kept;
    hooks->dirty = false;
}

static void
s_hooks_add (s_hooks_t *hooks, loop_hook_fn *hook, void *arg)
{
    if (hooks->size == hooks->capacity) {
        size_t capacity = hooks->capacity? hooks->capacity * 2: LOOP_HOOKS_INITIAL;
        s_hook_t *items = (s_hook_t *) realloc (hooks->items, capacity * sizeof (s_hook_t));
        assert (items);
        hooks->items = items;
        hooks->capacity = capacity;
    }
    hooks->items [hooks->size++] = (s_hook_t) { hook, arg };
}

void
loop_hook_add (loop_t *self, loop_hook_fn *hook, void *arg)
{
    assert (self);
    assert (hook);
    s_hooks_add (&self->hooks, hook, arg);
}

void
loop_hook_add_late (loop_t *self, loop_hook_fn *hook, void *arg)
{
    assert (self);
    assert (hook);
    s_hooks_add (&self->late_hooks, hook, arg);
}

//  Removal only clears the entry (a hook may remove one while the list
//  runs); cleared entries are compacted after the run.
static void
s_hooks_remove (s_hooks_t *hooks, loop_hook_fn *hook, void *arg)
{
    for (size_t index = 0; index < hooks->size; index++)
        if (hooks->items [index].hook == hook && hooks->items [index].arg == arg) {
            hooks->items [index].hook = NULL;
            hooks->dirty = true;
            return;
        }
}

void
loop_hook_remove (loop_t *self, loop_hook_fn *hook, void *arg)
{
    assert (self);
    s_hooks_remove (&self->hooks, hook, arg);
    s_hooks_remove (&self->late_hooks, hook, arg);
    if (!self->running_hooks) {
        s_hooks_compact (&self->hooks);
        s_hooks_compact (&self->late_hooks);
    }
}

static void
s_hooks_run (loop_t *self, s_hooks_t *hooks)
{
    //  Index loop: a hook may add hooks
    self->running_hooks = true;
    for (size_t index = 0; index < hooks->size; index++)
        if (hooks->items [index].hook)
            hooks->items [index].hook (self, hooks->items [index].arg);
    self->running_hooks = false;
    s_hooks_compact (&self->hooks);
    s_hooks_compact (&self->late_hooks);
}

//  --- the pass -------------------------------------------------------------

static int
s_wait_timeout (loop_t *self)
{
    if (self->stopped || zsys_interrupted || self->again)
        return 0;
    if (self->timer_count == 0)
        return -1;
    int64_t delay = self->timers [0].when - s_clock_ms ();
    if (delay <= 0)
        return 0;
    if (delay > INT_MAX)
        return INT_MAX;
    return (int) delay;
}

static void
s_dispatch (loop_t *self, struct epoll_event *event)
{
    int fd = (int) (uint32_t) event->data.u64;
    uint32_t generation = (uint32_t) (event->data.u64 >> LOOP_FD_SHIFT);
    if ((size_t) fd >= self->slot_count)
        return;
    s_slot_t *slot = &self->slots [fd];
    if (!slot->handler || slot->generation != generation)
        return;                 //  removed (or replaced) earlier in this pass
    int events = 0;
    if (event->events & EPOLLIN)
        events |= LOOP_READABLE;
    if (event->events & EPOLLOUT)
        events |= LOOP_WRITABLE;
    if (event->events & (EPOLLERR | EPOLLHUP))
        events |= LOOP_ERROR;
    if (event->events & EPOLLRDHUP)
        events |= LOOP_PEER_CLOSED;
    slot->handler (self, fd, events, slot->arg);
}

int
loop_run (loop_t *self)
{
    assert (self);
    self->stopped = false;
    while (true) {
        //  Hooks run once more after a stop, so the last pass's output
        //  still leaves
        self->again = false;
        s_hooks_run (self, &self->hooks);
        s_hooks_run (self, &self->late_hooks);
        if (self->stopped || zsys_interrupted)
            break;
        int count = epoll_wait (self->epoll_fd, self->events, LOOP_EVENTS_MAX,
                                s_wait_timeout (self));
        self->now = s_clock_ms ();
        self->pass++;
        if (count == -1) {
            if (errno == EINTR)
                continue;
            zsys_error ("loop: epoll_wait failed error=%s", strerror (errno));
            return -1;
        }
        for (int index = 0; index < count; index++)
            s_dispatch (self, &self->events [index]);
        s_timers_fire (self);
    }
    return 0;
}

void
loop_again (loop_t *self)
{
    assert (self);
    self->again = true;
}

uint64_t
loop_pass (loop_t *self)
{
    assert (self);
    return self->pass;
}

void
loop_stop (loop_t *self)
{
    assert (self);
    self->stopped = true;
}

int64_t
loop_now (loop_t *self)
{
    assert (self);
    return self->now;
}
