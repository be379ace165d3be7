/*  =========================================================================
    harness_crowd.c - thousands of clients at once, for the tests at scale

    A crowd is an array of plain non-blocking sockets driven by one epoll
    set: no per-line history (a crowd of 5000 would keep millions of
    lines), only each member's partial line, its queued output and the one
    line it waits for. A member waits for an exact line; the crowd's wait
    reads every socket until each waiting member has seen its line, or
    the deadline. Logging a crowd in goes in batches, and each member
    then moves to a room of its own, so #general never holds more than a
    batch (everyone in one room makes every join a line to everyone).
    See harness.h for the API.
    =========================================================================
*/
#ifndef _GNU_SOURCE
#   define _GNU_SOURCE
#endif

#include "harness_private.h"

#include <cmocka.h>
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define CROWD_LINE_MAX      512     //  bytes of a line we look at (longer: cut)
#define CROWD_OUT_MAX       256     //  bytes queued for one member
#define CROWD_BATCH         250     //  members logged in at once
#define CROWD_EVENTS        256     //  epoll events per wait
#define CROWD_WAIT_SLICE_MS 100     //  longest single epoll wait
#define CROWD_WELCOME       "* Welcome to zchat, "
#define CROWD_TELNET_IAC    0xFF
#define CROWD_TELNET_COMMAND 3      //  IAC, verb, option
#define CROWD_FD_SPARE      256     //  descriptors beyond the crowd (files, pipes)

typedef struct {
    int fd;                         //  -1 once closed
    char nick [HARNESS_NAME_MAX];   //  from the welcome
    char line [CROWD_LINE_MAX];     //  the partial line being received
    size_t line_size;
    char out [CROWD_OUT_MAX];       //  queued output
    size_t out_size;
    char expect [CROWD_LINE_MAX];   //  the line it waits for, "" when none
    bool got;                       //  expect was seen
    bool welcome;                   //  waiting for the welcome (nick unknown)
} crowd_member_t;

struct _harness_crowd_t {
    harness_t *harness;
    int epoll_fd;
    crowd_member_t *members;
    size_t count;
};

long
harness_raise_fd_limit (size_t needed)
{
    struct rlimit limit;
    assert_int_equal (getrlimit (RLIMIT_NOFILE, &limit), 0);
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        assert_int_equal (setrlimit (RLIMIT_NOFILE, &limit), 0);
    }
    if (limit.rlim_cur < needed) {
        fprintf (stderr, "harness: need %zu file descriptors, the hard limit is %ld\n",
                 needed, (long) limit.rlim_cur);
        fail ();
    }
    return (long) limit.rlim_cur;
}

//  A member's whole line arrived: the welcome gives its nick; the line
//  it waits for marks it done.
static void
s_on_line (crowd_member_t *member)
{
    member->line [member->line_size] = 0;
    //  The first line follows the gateway's telnet offer (IAC verb option
    //  triples); skip them as a client would
    const char *line = member->line;
    const char *end = member->line + member->line_size;
    while (end - line >= CROWD_TELNET_COMMAND && (uint8_t) line [0] == CROWD_TELNET_IAC)
        line += CROWD_TELNET_COMMAND;       //  the option byte may be 0 (BINARY)
    if (member->welcome && strncmp (line, CROWD_WELCOME, strlen (CROWD_WELCOME)) == 0) {
        const char *nick = line + strlen (CROWD_WELCOME);
        size_t length = strcspn (nick, "!");
        if (length < sizeof member->nick) {
            memcpy (member->nick, nick, length);
            member->nick [length] = 0;
            member->welcome = false;
            member->got = true;
        }
    }
    else
    if (*member->expect && strcmp (line, member->expect) == 0)
        member->got = true;
}

static void
s_read (crowd_member_t *member)
{
    char buffer [HARNESS_PATH_MAX * 8];
    while (member->fd != -1) {
        ssize_t size = read (member->fd, buffer, sizeof buffer);
        if (size <= 0) {
            if (size == -1 && (errno == EAGAIN || errno == EINTR))
                return;
            close (member->fd);         //  closed by the server
            member->fd = -1;
            return;
        }
        for (ssize_t index = 0; index < size; index++) {
            char byte = buffer [index];
            if (byte == '\n') {
                if (member->line_size > 0 && member->line [member->line_size - 1] == '\r')
                    member->line_size--;
                s_on_line (member);
                member->line_size = 0;
            }
            else
            if (member->line_size < CROWD_LINE_MAX - 1)
                member->line [member->line_size++] = byte;
        }
    }
}

static void
s_flush (crowd_member_t *member)
{
    while (member->fd != -1 && member->out_size > 0) {
        ssize_t sent = send (member->fd, member->out, member->out_size, MSG_NOSIGNAL);
        if (sent <= 0)
            return;     //  full (or gone): the next wait tries again
        memmove (member->out, member->out + sent, member->out_size - sent);
        member->out_size -= sent;
    }
}

//  Members in [first, last) that are waiting and have not got their line.
static size_t
s_missing (harness_crowd_t *self, size_t first, size_t last)
{
    size_t missing = 0;
    for (size_t index = first; index < last; index++) {
        crowd_member_t *member = &self->members [index];
        if ((member->welcome || *member->expect) && !member->got)
            missing++;
    }
    return missing;
}

//  Read and write until members [first, last) all got their line, or the
//  deadline. Returns how many did.
static size_t
s_wait_range (harness_crowd_t *self, size_t first, size_t last, int timeout_ms)
{
    int64_t deadline = harness_now () + timeout_ms;
    for (size_t index = first; index < last; index++)
        s_flush (&self->members [index]);
    size_t waiting = 0;
    for (size_t index = first; index < last; index++) {
        crowd_member_t *member = &self->members [index];
        waiting += member->welcome || *member->expect;
    }
    while (s_missing (self, first, last) > 0 && harness_now () < deadline) {
        struct epoll_event events [CROWD_EVENTS];
        int64_t left = deadline - harness_now ();
        int ready = epoll_wait (self->epoll_fd, events, CROWD_EVENTS,
                                (int) (left < CROWD_WAIT_SLICE_MS? left: CROWD_WAIT_SLICE_MS));
        for (int event = 0; event < ready; event++) {
            crowd_member_t *member = &self->members [events [event].data.u64];
            s_read (member);
            s_flush (member);
        }
    }
    return waiting - s_missing (self, first, last);
}

//  Open a non-blocking connection for member index.
static void
s_connect (harness_crowd_t *self, size_t index, int port)
{
    crowd_member_t *member = &self->members [index];
    member->fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    assert_true (member->fd >= 0);
    struct sockaddr_in address = { .sin_family = AF_INET };
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    address.sin_port = htons ((uint16_t) port);
    int rc = connect (member->fd, (struct sockaddr *) &address, sizeof address);
    assert_true (rc == 0 || errno == EINPROGRESS);
    struct epoll_event event = { .events = EPOLLIN, .data.u64 = index };
    assert_int_equal (epoll_ctl (self->epoll_fd, EPOLL_CTL_ADD, member->fd, &event), 0);
    member->welcome = true;
    member->got = false;
}

harness_crowd_t *
harness_crowd_new (harness_t *harness, harness_proc_t *gateway, size_t count,
                   const char *room_prefix, int timeout_ms)
{
    harness_raise_fd_limit (count + CROWD_FD_SPARE);
    harness_crowd_t *self = calloc (1, sizeof (harness_crowd_t));
    assert_non_null (self);
    self->harness = harness;
    self->count = count;
    self->members = calloc (count, sizeof (crowd_member_t));
    assert_non_null (self->members);
    self->epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
    assert_true (self->epoll_fd >= 0);
    for (size_t index = 0; index < count; index++)
        self->members [index].fd = -1;
    int64_t deadline = harness_now () + timeout_ms;
    for (size_t first = 0; first < count; first += CROWD_BATCH) {
        size_t last = first + CROWD_BATCH < count? first + CROWD_BATCH: count;
        for (size_t index = first; index < last; index++)
            s_connect (self, index, harness_gateway_port (gateway));
        int left = (int) (deadline - harness_now ());
        if (s_wait_range (self, first, last, left > 0? left: 0) != last - first) {
            fprintf (stderr, "harness: crowd: %zu of members %zu..%zu got no welcome\n",
                     s_missing (self, first, last), first, last);
            harness_crowd_destroy (&self);
            return NULL;
        }
        for (size_t index = first; index < last; index++) {
            char line [CROWD_LINE_MAX], expect [CROWD_LINE_MAX];
            harness_format (line, sizeof line, "/join %s%zu", room_prefix, index);
            harness_format (expect, sizeof expect, "* %s joined #%s%zu",
                            self->members [index].nick, room_prefix, index);
            harness_crowd_send (self, index, line, expect);
        }
        left = (int) (deadline - harness_now ());
        if (s_wait_range (self, first, last, left > 0? left: 0) != last - first) {
            fprintf (stderr, "harness: crowd: %zu of members %zu..%zu never joined their room\n",
                     s_missing (self, first, last), first, last);
            harness_crowd_destroy (&self);
            return NULL;
        }
    }
    return self;
}

void
harness_crowd_destroy (harness_crowd_t **self_p)
{
    harness_crowd_t *self = *self_p;
    if (!self)
        return;
    for (size_t index = 0; index < self->count; index++)
        if (self->members [index].fd != -1)
            close (self->members [index].fd);
    close (self->epoll_fd);
    free (self->members);
    free (self);
    *self_p = NULL;
}

size_t
harness_crowd_size (harness_crowd_t *self)
{
    return self->count;
}

const char *
harness_crowd_nick (harness_crowd_t *self, size_t index)
{
    assert_true (index < self->count);
    return self->members [index].nick;
}

void
harness_crowd_send (harness_crowd_t *self, size_t index, const char *line, const char *expect)
{
    assert_true (index < self->count);
    crowd_member_t *member = &self->members [index];
    size_t size = strlen (line);
    assert_true (member->out_size + size + 2 <= CROWD_OUT_MAX);
    memcpy (member->out + member->out_size, line, size);
    memcpy (member->out + member->out_size + size, "\r\n", 2);
    member->out_size += size + 2;
    harness_format (member->expect, sizeof member->expect, "%s", expect? expect: "");
    member->got = false;
}

size_t
harness_crowd_wait (harness_crowd_t *self, int timeout_ms)
{
    return s_wait_range (self, 0, self->count, timeout_ms);
}

bool
harness_crowd_got (harness_crowd_t *self, size_t index)
{
    assert_true (index < self->count);
    return self->members [index].got;
}
