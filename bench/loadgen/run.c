/*  =========================================================================
    run.c - the phases of one benchmark run

    Connection j of N goes to room j mod R as that room's member j div R,
    and connects to server (gateway) (member + room) mod G, so every room
    spans the gateways and even rooms of two load all of them. The run has four phases:
      join      connect (at --connect-rate), log in, join the room, wait
                for our own join notice
      barrier   the first two members of each room send probes until every
                member has received one: from then on the room is known to
                route, whatever the server's subscription delays
      measured  senders send marked messages (open loop: a fixed rate;
                closed loop: at most W messages not yet received by every
                member); server CPU is sampled at both ends
      drain     no more sending; wait for the stragglers
      account   with --account N: N more messages of the same shape, with
                the servers' system calls and context switches counted
                (not timed), drained; then count everything
    Everything runs on one thread over one epoll set (run_io.c); output is
    coalesced per connection and flushed once per loop pass. What the
    received lines mean is run_traffic.c.
    =========================================================================
*/
#include "run_private.h"
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/resource.h>

#define RUN_TICK_MS             1       //  longest epoll wait while working
#define RUN_PROBE_INTERVAL_NS   (500 * LOADGEN_NS_PER_MS)
#define RUN_FLIGHT_TIMEOUT_NS   (2 * LOADGEN_NS_PER_S)
#define RUN_PROGRESS_NS         LOADGEN_NS_PER_S
#define RUN_CATCHUP_MAX         4       //  overdue open-loop messages per sender per pass
#define RUN_NOFILE_SPARE        64      //  descriptors beyond one per connection
#define RUN_PROBERS             2       //  members per room that send probes
#define RUN_PERCENTILES         4
#define RUN_RANDOM_SEED         20240601u

static const double s_percentiles [RUN_PERCENTILES] = { 50.0, 90.0, 99.0, 99.9 };

uint64_t
loadgen_now (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (uint64_t) now.tv_sec * LOADGEN_NS_PER_S + (uint64_t) now.tv_nsec;
}

static void
s_progress (run_t *self, const char *phase)
{
    if (self->options->quiet)
        return;
    run_result_t *result = self->result;
    fprintf (stderr, "loadgen: %s %s connected=%" PRIu32 " joined=%" PRIu32
             " ready=%" PRIu32 " failed=%" PRIu32 " sent=%" PRIu64 " delivered=%" PRIu64 "\n",
             self->options->label, phase, result->connected, result->joined, result->ready,
             result->failed_connect + result->failed_login + result->failed_barrier
             + result->failed_later + result->timed_out,
             result->messages_sent, result->delivered);
}


static int
s_setup (run_t *self)
{
    const run_options_t *options = self->options;
    self->servers = (struct sockaddr_in *) calloc (options->server_count, sizeof (struct sockaddr_in));
    for (size_t index = 0; index < options->server_count; index++) {
        char host [INET_ADDRSTRLEN + 1];
        const char *colon = strrchr (options->servers [index], ':');
        size_t host_size = colon? (size_t) (colon - options->servers [index]): 0;
        if (!colon || host_size == 0 || host_size >= sizeof (host)) {
            fprintf (stderr, "loadgen: bad server address '%s' (want HOST:PORT)\n",
                     options->servers [index]);
            return -1;
        }
        memcpy (host, options->servers [index], host_size);
        host [host_size] = 0;
        self->servers [index].sin_family = AF_INET;
        self->servers [index].sin_port = htons ((uint16_t) atoi (colon + 1));
        if (inet_pton (AF_INET, host, &self->servers [index].sin_addr) != 1) {
            fprintf (stderr, "loadgen: bad server address '%s'\n", options->servers [index]);
            return -1;
        }
    }
    //  One descriptor per connection: raise the soft limit (and the hard
    //  one when we may).
    struct rlimit limit;
    rlim_t wanted = (rlim_t) options->clients + RUN_NOFILE_SPARE;
    if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < wanted) {
        if (limit.rlim_max < wanted) {
            struct rlimit raised = { wanted, wanted };
            if (setrlimit (RLIMIT_NOFILE, &raised) == 0)
                limit = raised;
        }
        limit.rlim_cur = limit.rlim_max < wanted? limit.rlim_max: wanted;
        setrlimit (RLIMIT_NOFILE, &limit);
        if (limit.rlim_cur < wanted)
            fprintf (stderr, "loadgen: warning: fd limit %lu < %lu needed\n",
                     (unsigned long) limit.rlim_cur, (unsigned long) wanted);
    }
    self->epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
    if (self->epoll_fd < 0) {
        perror ("loadgen: epoll_create1");
        return -1;
    }
    self->conns = (conn_t *) calloc (options->clients, sizeof (conn_t));
    self->rooms = (room_t *) calloc (options->rooms, sizeof (room_t));
    self->dirty = (uint32_t *) calloc (options->clients, sizeof (uint32_t));
    self->senders = (uint32_t *) calloc (options->clients, sizeof (uint32_t));
    self->buffer = (char *) malloc (RUN_READ_CHUNK);
    self->text = (char *) malloc (options->size + MARKER_MAX);
    self->line = (char *) malloc (RUN_LINE_MAX);
    self->latency = histogram_new ();
    assert (self->conns && self->rooms && self->dirty && self->senders && self->buffer
            && self->text && self->line && self->latency);
    for (uint32_t index = 0; index < options->clients; index++) {
        conn_t *conn = &self->conns [index];
        conn->fd = -1;
        conn->index = index;
        conn->room = index % options->rooms;
        conn->member = index / options->rooms;
        //  Rotated by room so that rooms smaller than the gateway count
        //  still spread the load over every gateway
        conn->server = (conn->member + conn->room) % (uint32_t) options->server_count;
        conn->sender_slot = -1;
        self->rooms [conn->room].member_count++;
    }
    for (uint32_t room = 0; room < options->rooms; room++) {
        room_t *entry = &self->rooms [room];
        entry->sender_count = options->mode == RUN_IDLE? 0
                            : options->senders == 0 || options->senders > entry->member_count?
                              entry->member_count: options->senders;
    }
    self->seed = RUN_RANDOM_SEED;
    return 0;
}

static void
s_phase_join (run_t *self)
{
    const run_options_t *options = self->options;
    uint64_t start = loadgen_now ();
    uint64_t deadline = start + (uint64_t) (options->join_timeout * LOADGEN_NS_PER_S);
    uint64_t progress = start + RUN_PROGRESS_NS;
    self->now = start;
    while ((self->next_connect < options->clients || self->pending > 0)
       &&  self->now < deadline && !zsys_interrupted) {
        while (self->next_connect < options->clients) {
            if (options->connect_rate > 0) {
                uint64_t due = start + (uint64_t) ((double) self->next_connect
                                                   * LOADGEN_NS_PER_S / options->connect_rate);
                if (self->now < due)
                    break;
            }
            else
            if (self->pending >= options->max_pending)
                break;
            run_start_connect (self, &self->conns [self->next_connect++]);
        }
        run_pass (self, RUN_TICK_MS);
        if (self->now >= progress) {
            s_progress (self, "join");
            progress += RUN_PROGRESS_NS;
        }
    }
    uint32_t stuck [CONN_FAILED + 1] = { 0 };
    for (uint32_t index = 0; index < options->clients; index++)
        stuck [self->conns [index].state]++;
    if (stuck [CONN_IDLE] + stuck [CONN_CONNECTING] + stuck [CONN_LOGIN] + stuck [CONN_JOINING]) {
        char what [sizeof (self->result->first_error)];
        int size = snprintf (what, sizeof (what), "join timeout: %" PRIu32 " not started, %" PRIu32
                             " connecting, %" PRIu32 " logging in, %" PRIu32 " joining",
                             stuck [CONN_IDLE], stuck [CONN_CONNECTING], stuck [CONN_LOGIN],
                             stuck [CONN_JOINING]);
        run_note_error (self, what, (size_t) size);
    }
    for (uint32_t index = 0; index < options->clients; index++) {
        conn_t *conn = &self->conns [index];
        if (conn->state == CONN_IDLE || conn->state == CONN_CONNECTING
        ||  conn->state == CONN_LOGIN || conn->state == CONN_JOINING) {
            if (conn->state == CONN_IDLE)
                self->pending++;        //  run_fail counts it out again
            conn->state = CONN_LOGIN;
            run_fail (self, conn, &self->result->timed_out);
        }
    }
    self->result->join_s = (double) (loadgen_now () - start) / LOADGEN_NS_PER_S;
}

//  Send probes in every room that still has members waiting for one.
static void
s_send_probes (run_t *self)
{
    const run_options_t *options = self->options;
    for (uint32_t room = 0; room < options->rooms; room++) {
        uint32_t waiting = 0, present = 0;
        conn_t *probers [RUN_PROBERS];
        for (uint32_t member = 0; member < self->rooms [room].member_count; member++) {
            conn_t *conn = &self->conns [room + member * options->rooms];
            if (conn->state != CONN_JOINED && conn->state != CONN_READY)
                continue;
            if (present < RUN_PROBERS)
                probers [present] = conn;
            present++;
            if (conn->state == CONN_JOINED)
                waiting++;
        }
        if (waiting == 0)
            continue;
        if (present == 1) {
            run_set_ready (self, probers [0]);
            continue;
        }
        for (uint32_t index = 0; index < RUN_PROBERS && index < present; index++) {
            marker_t marker = { .type = MARKER_PROBE, .room = room,
                                .sender = probers [index]->index, .sent_ns = self->now };
            run_send_marked (self, probers [index], &marker);
        }
    }
}

static void
s_phase_barrier (run_t *self)
{
    uint64_t start = loadgen_now ();
    uint64_t deadline = start + (uint64_t) (self->options->barrier_timeout * LOADGEN_NS_PER_S);
    uint64_t next_probe = start;
    self->now = start;
    while (self->waiting > 0 && self->now < deadline && !zsys_interrupted) {
        if (self->now >= next_probe) {
            s_send_probes (self);
            next_probe = self->now + RUN_PROBE_INTERVAL_NS;
            s_progress (self, "barrier");
        }
        run_pass (self, RUN_TICK_MS);
    }
    for (uint32_t index = 0; index < self->options->clients; index++)
        if (self->conns [index].state == CONN_JOINED)
            run_fail (self, &self->conns [index], &self->result->failed_barrier);
    self->result->barrier_s = (double) (loadgen_now () - start) / LOADGEN_NS_PER_S;
}

//  Give every ready member its tracks, every ready sender its window.
static void
s_prepare_senders (run_t *self)
{
    const run_options_t *options = self->options;
    for (uint32_t index = 0; index < options->clients; index++) {
        conn_t *conn = &self->conns [index];
        room_t *room = &self->rooms [conn->room];
        if (conn->state != CONN_READY || room->sender_count == 0)
            continue;
        conn->tracks = (track_t *) calloc (room->sender_count, sizeof (track_t));
        assert (conn->tracks);
        if (conn->member < room->sender_count) {
            conn->sender_slot = (int) conn->member;
            self->senders [self->sender_count++] = index;
            if (options->mode == RUN_CLOSED) {
                conn->flights = (flight_t *) calloc (options->window, sizeof (flight_t));
                assert (conn->flights);
            }
        }
    }
}

//  Whether one more message may go: the accounting phase stops at its count.
static bool
s_may_send (run_t *self)
{
    return !self->accounting || self->result->account_sent < self->options->account;
}

//  Open loop: each sender's first message at a random point of its first
//  interval from start, so the senders do not go in step.
static void
s_schedule_open (run_t *self, uint64_t start)
{
    uint64_t interval = (uint64_t) (LOADGEN_NS_PER_S / self->options->rate);
    for (size_t index = 0; index < self->sender_count; index++)
        self->conns [self->senders [index]].next_send_ns
            = start + (uint64_t) rand_r (&self->seed) % (interval? interval: 1);
}

//  Send whatever is due: open loop by the clock, closed loop by the window.
static void
s_send_due (run_t *self)
{
    const run_options_t *options = self->options;
    self->now = loadgen_now ();
    for (size_t index = 0; index < self->sender_count; index++) {
        conn_t *conn = &self->conns [self->senders [index]];
        if (conn->state != CONN_READY)
            continue;
        if (options->mode == RUN_OPEN) {
            uint64_t interval = (uint64_t) (LOADGEN_NS_PER_S / options->rate);
            for (int burst = 0; burst < RUN_CATCHUP_MAX && conn->next_send_ns <= self->now
                             && s_may_send (self); burst++) {
                run_send_message (self, conn);
                conn->next_send_ns += interval;
            }
            if (conn->next_send_ns + interval * RUN_CATCHUP_MAX < self->now)
                conn->next_send_ns = self->now;     //  fell behind: do not burst later
        }
        else {
            uint32_t window = options->window;
            if (conn->acked < conn->sent) {
                flight_t *oldest = &conn->flights [(conn->acked + 1) % window];
                if (self->now - oldest->sent_ns > RUN_FLIGHT_TIMEOUT_NS) {
                    oldest->remaining = 0;
                    self->result->flight_timeouts++;
                    run_advance (conn, window);
                }
            }
            while (conn->sent - conn->acked < window && conn->fd >= 0 && s_may_send (self))
                run_send_message (self, conn);
        }
    }
}

static void
s_phase_measure (run_t *self)
{
    const run_options_t *options = self->options;
    run_result_t *result = self->result;
    s_prepare_senders (self);
    struct rusage usage_start, usage_end;
    getrusage (RUSAGE_SELF, &usage_start);
    procstat_sample (options->pids, options->pid_count, &result->cpu_start);
    uint64_t start = loadgen_now ();
    self->window_end = start + (uint64_t) (options->duration * LOADGEN_NS_PER_S);
    if (options->mode == RUN_OPEN)
        s_schedule_open (self, start);
    uint64_t progress = start + RUN_PROGRESS_NS;
    self->now = start;
    while (self->now < self->window_end && !zsys_interrupted) {
        if (options->mode != RUN_IDLE)
            s_send_due (self);
        run_pass (self, RUN_TICK_MS);
        if (self->now >= progress) {
            s_progress (self, "measure");
            progress += RUN_PROGRESS_NS;
        }
    }
    procstat_sample (options->pids, options->pid_count, &result->cpu_end);
    getrusage (RUSAGE_SELF, &usage_end);
    result->measured_s = (double) (loadgen_now () - start) / LOADGEN_NS_PER_S;
    double user = (double) (usage_end.ru_utime.tv_sec - usage_start.ru_utime.tv_sec)
                + (double) (usage_end.ru_utime.tv_usec - usage_start.ru_utime.tv_usec) / 1e6;
    double system = (double) (usage_end.ru_stime.tv_sec - usage_start.ru_stime.tv_sec)
                  + (double) (usage_end.ru_stime.tv_usec - usage_start.ru_stime.tv_usec) / 1e6;
    result->loadgen_cpu_s = user + system;
}

//  Deliveries still owed by live receivers, from what was sent.
static uint64_t
s_expected_live (run_t *self)
{
    uint64_t expected = 0;
    for (size_t index = 0; index < self->sender_count; index++) {
        conn_t *sender = &self->conns [self->senders [index]];
        uint32_t ready = self->rooms [sender->room].ready;
        uint32_t receivers = sender->state == CONN_READY? ready - 1: ready;
        expected += sender->sent * receivers;
    }
    return expected;
}

static void
s_phase_drain (run_t *self)
{
    uint64_t deadline = loadgen_now () + (uint64_t) (self->options->drain * LOADGEN_NS_PER_S);
    self->now = loadgen_now ();
    while (self->result->delivered < s_expected_live (self) && self->now < deadline
       &&  !zsys_interrupted)
        run_pass (self, RUN_TICK_MS);
}

//  The accounting phase: up to --account more messages of the same shape
//  (for at most --duration), drained, with the servers' system calls
//  (syscount.c) and context switches (procstat.c) counted around it.
static void
s_phase_account (run_t *self)
{
    const run_options_t *options = self->options;
    run_result_t *result = self->result;
    if (options->account == 0 || options->mode == RUN_IDLE || self->sender_count == 0)
        return;
    uint64_t before [PROCSTAT_MAX] = { 0 }, after [PROCSTAT_MAX] = { 0 };
    syscount_t *counter = syscount_new (options->pids, options->pid_count,
                                        result->account_note, sizeof (result->account_note));
    if (counter)
        syscount_read (counter, before);
    procstat_sample (options->pids, options->pid_count, &result->account_start);
    uint64_t start = loadgen_now ();
    self->accounting = true;
    self->account_start_ns = start;
    if (options->mode == RUN_OPEN)
        s_schedule_open (self, start);
    uint64_t deadline = start + (uint64_t) (options->duration * LOADGEN_NS_PER_S);
    self->now = start;
    while (result->account_sent < options->account && self->now < deadline
       &&  !zsys_interrupted) {
        s_send_due (self);
        run_pass (self, RUN_TICK_MS);
    }
    s_phase_drain (self);
    procstat_sample (options->pids, options->pid_count, &result->account_end);
    if (counter) {
        syscount_read (counter, after);
        for (size_t index = 0; index < options->pid_count; index++) {
            result->account_syscalls [index] = after [index] - before [index];
            result->account_syscalls_total += result->account_syscalls [index];
        }
        result->account_threads = syscount_threads (counter);
        result->syscalls_counted = true;
        syscount_destroy (&counter);
        size_t threads = 0;
        for (size_t index = 0; index < result->account_end.count; index++)
            threads += result->account_end.threads [index];
        if (threads != result->account_threads)
            snprintf (result->account_note, sizeof (result->account_note),
                      "%zu threads at the end, %zu counted", threads, result->account_threads);
    }
    self->accounting = false;
    result->account_s = (double) (loadgen_now () - start) / LOADGEN_NS_PER_S;
}

//  Exact accounting from the tracks: every ready receiver should have
//  every message of every other sender of its room.
static void
s_account (run_t *self)
{
    const run_options_t *options = self->options;
    run_result_t *result = self->result;
    for (uint32_t index = 0; index < options->clients; index++) {
        conn_t *conn = &self->conns [index];
        if (!conn->tracks)
            continue;
        room_t *room = &self->rooms [conn->room];
        for (uint32_t slot = 0; slot < room->sender_count; slot++) {
            conn_t *sender = &self->conns [conn->room + slot * options->rooms];
            if (sender == conn)
                continue;
            result->expected += sender->sent;
            result->lost += sender->sent - conn->tracks [slot].unique;
        }
    }
    for (int index = 0; index < RUN_PERCENTILES; index++)
        result->latency_ns [index] = histogram_percentile (self->latency, s_percentiles [index]);
    result->latency_ns [RUN_PERCENTILES] = histogram_max (self->latency);
    result->latency_ns [RUN_PERCENTILES + 1] = histogram_mean (self->latency);
}

static void
s_teardown (run_t *self)
{
    if (self->conns) {
        for (uint32_t index = 0; index < self->options->clients; index++) {
            conn_t *conn = &self->conns [index];
            conn_close (conn);
            if (conn->tracks) {
                for (uint32_t slot = 0; slot < self->rooms [conn->room].sender_count; slot++)
                    track_reset (&conn->tracks [slot]);
                free (conn->tracks);
            }
            free (conn->flights);
        }
    }
    if (self->epoll_fd >= 0)
        close (self->epoll_fd);
    histogram_destroy (&self->latency);
    free (self->conns);
    free (self->rooms);
    free (self->servers);
    free (self->dirty);
    free (self->senders);
    free (self->buffer);
    free (self->text);
    free (self->line);
}

int
run_execute (const run_options_t *options, run_result_t *result)
{
    assert (options);
    assert (result);
    memset (result, 0, sizeof (*result));
    run_t self = { .options = options, .result = result, .epoll_fd = -1 };
    if (s_setup (&self)) {
        s_teardown (&self);
        return -1;
    }
    procstat_sample (options->pids, options->pid_count, &result->baseline);
    s_phase_join (&self);
    s_progress (&self, "joined");
    s_phase_barrier (&self);
    s_progress (&self, "barrier done");
    s_phase_measure (&self);
    s_phase_drain (&self);
    s_progress (&self, "drained");
    s_phase_account (&self);
    s_progress (&self, "accounted");
    s_account (&self);
    s_teardown (&self);
    return 0;
}
