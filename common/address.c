/*  =========================================================================
    address.c - "HOST:PORT" for the listening sockets of both tiers

    The gateway's listener and health port and the metrics server all
    bind through address_listen, so they accept the same forms and fail
    with the same log lines.
    =========================================================================
*/
#include "address.h"
#include <netdb.h>

#define ADDRESS_PORT_DIGITS_MAX 5       //  "65535"
#define ADDRESS_ANY             "*"

//  The port: 1 .. 5 decimal digits, at most UINT16_MAX; -1 if not.
static int
s_parse_port (const char *text)
{
    size_t size = strlen (text);
    if (size == 0 || size > ADDRESS_PORT_DIGITS_MAX)
        return -1;
    int port = 0;
    for (const char *digit = text; *digit; digit++) {
        if (*digit < '0' || *digit > '9')
            return -1;
        port = port * 10 + (*digit - '0');
    }
    return port <= UINT16_MAX? port: -1;
}

int
address_parse (const char *address, char *host, int *port)
{
    assert (address);
    assert (host);
    assert (port);
    const char *host_start = address;
    const char *colon;
    if (*address == '[') {
        const char *close = strchr (address, ']');
        if (!close || close [1] != ':')
            return -1;
        host_start = address + 1;
        colon = close + 1;
    }
    else {
        colon = strrchr (address, ':');
        if (!colon)
            return -1;
    }
    size_t host_size = (size_t) ((*address == '['? colon - 1: colon) - host_start);
    if (host_size >= ADDRESS_HOST_MAX)
        return -1;
    memcpy (host, host_start, host_size);
    host [host_size] = 0;
    if (streq (host, ADDRESS_ANY))
        host [0] = 0;
    *port = s_parse_port (colon + 1);
    return *port == -1? -1: 0;
}

//  The port a bound socket got.
static int
s_bound_port (int fd)
{
    struct sockaddr_storage bound;
    socklen_t size = sizeof (bound);
    if (getsockname (fd, (struct sockaddr *) &bound, &size) == -1)
        return -1;
    if (bound.ss_family == AF_INET6)
        return ntohs (((struct sockaddr_in6 *) &bound)->sin6_port);
    return ntohs (((struct sockaddr_in *) &bound)->sin_port);
}

int
address_listen (const char *address, int backlog, const char *who, int *port_p)
{
    assert (address);
    assert (who);
    assert (port_p);
    char host [ADDRESS_HOST_MAX];
    int port;
    if (address_parse (address, host, &port) == -1) {
        zsys_error ("%s: bad address address=%s", who, address);
        return -1;
    }
    char service [ADDRESS_PORT_DIGITS_MAX + 1];
    snprintf (service, sizeof (service), "%d", port);
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC,
        .ai_socktype = SOCK_STREAM,
        .ai_flags = AI_PASSIVE | AI_NUMERICSERV
    };
    struct addrinfo *result;
    int rc = getaddrinfo (*host? host: NULL, service, &hints, &result);
    if (rc) {
        zsys_error ("%s: cannot resolve address=%s error=%s", who, address, gai_strerror (rc));
        return -1;
    }
    int fd = -1;
    int error = 0;
    for (struct addrinfo *info = result; info; info = info->ai_next) {
        fd = socket (info->ai_family, info->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                     info->ai_protocol);
        if (fd == -1) {
            error = errno;
            continue;
        }
        int on = 1;
        setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof (on));
        if (bind (fd, info->ai_addr, info->ai_addrlen) == 0 && listen (fd, backlog) == 0)
            break;
        error = errno;
        close (fd);
        fd = -1;
    }
    freeaddrinfo (result);
    if (fd == -1) {
        zsys_error ("%s: cannot bind address=%s error=%s", who, address, strerror (error));
        return -1;
    }
    *port_p = s_bound_port (fd);
    return fd;
}
