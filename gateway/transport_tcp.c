/*  =========================================================================
    transport_tcp.c - plain TCP under a client: the socket's bytes as they are

    One read(2) or send(2) per call; shutdown is the FIN. Telnet clients
    connect here, so telnet commands are filtered and options offered.
    =========================================================================
*/
#include "transport.h"

static ssize_t
s_read (void *state, int fd, void *buffer, size_t size)
{
    (void) state;
    ssize_t rc;
    do
        rc = read (fd, buffer, size);
    while (rc == -1 && errno == EINTR);
    return rc;
}

static ssize_t
s_write (void *state, int fd, const void *data, size_t size)
{
    (void) state;
    ssize_t rc;
    do
        rc = send (fd, data, size, MSG_NOSIGNAL);
    while (rc == -1 && errno == EINTR);
    return rc;
}

static int
s_shutdown (void *state, int fd, int reason)
{
    (void) state;
    (void) reason;
    return shutdown (fd, SHUT_WR);
}

const transport_ops_t transport_tcp = {
    .name = "tcp",
    .flags = TRANSPORT_TELNET | TRANSPORT_OFFER,
    .read = s_read,
    .write = s_write,
    .shutdown = s_shutdown,
};
