/*  =========================================================================
    proxy.c - the PROXY protocol v2 header a balancer puts before a client

    Implements proxy.h. The fixed part is checked byte by byte as it
    arrives (a plain client typing "hello" fails at its first byte, not
    after 16), then the length says how much more to take. Only the v2
    binary form is accepted: v1 text headers are refused like any other
    wrong signature.
    =========================================================================
*/
#include "proxy.h"

#define PROXY_SIGNATURE_SIZE    12
#define PROXY_VERSION_OFFSET    12      //  high nibble version, low command
#define PROXY_FAMILY_OFFSET     13      //  high nibble family, low protocol
#define PROXY_LENGTH_OFFSET     14      //  two bytes, network order
#define PROXY_VERSION_2         0x20
#define PROXY_VERSION_MASK      0xf0
#define PROXY_COMMAND_MASK      0x0f
#define PROXY_COMMAND_LOCAL     0x00
#define PROXY_COMMAND_PROXY     0x01
#define PROXY_TCP4              0x11    //  AF_INET, STREAM
#define PROXY_TCP6              0x21    //  AF_INET6, STREAM
#define PROXY_IPV4_SIZE         12      //  src, dst addresses and ports
#define PROXY_IPV6_SIZE         36
#define PROXY_V4_ADDRESS        4
#define PROXY_V6_ADDRESS        16
#define PROXY_BYTE_BITS         8

static const uint8_t s_signature [PROXY_SIGNATURE_SIZE] = {
    0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

void
proxy_init (proxy_t *self)
{
    assert (self);
    memset (self, 0, sizeof (*self));
    self->result = PROXY_AGAIN;
    self->address.ss_family = AF_UNSPEC;
}

size_t
proxy_wanted (const proxy_t *self)
{
    assert (self);
    if (self->result != PROXY_AGAIN)
        return 0;
    return (self->total? self->total: PROXY_FIXED_SIZE) - self->size;
}

static proxy_result_t
s_fail (proxy_t *self, const char *error)
{
    self->result = PROXY_ERROR;
    self->error = error;
    return PROXY_ERROR;
}

//  The fixed part is complete: check it and learn the total size.
static proxy_result_t
s_fixed (proxy_t *self)
{
    const uint8_t *header = self->header;
    if ((header [PROXY_VERSION_OFFSET] & PROXY_VERSION_MASK) != PROXY_VERSION_2)
        return s_fail (self, "version");
    uint8_t command = header [PROXY_VERSION_OFFSET] & PROXY_COMMAND_MASK;
    if (command != PROXY_COMMAND_LOCAL && command != PROXY_COMMAND_PROXY)
        return s_fail (self, "command");
    size_t length = ((size_t) header [PROXY_LENGTH_OFFSET] << PROXY_BYTE_BITS)
                  | header [PROXY_LENGTH_OFFSET + 1];
    if (length > PROXY_BODY_MAX)
        return s_fail (self, "too long");
    uint8_t family = header [PROXY_FAMILY_OFFSET];
    if (command == PROXY_COMMAND_PROXY
    &&  ((family == PROXY_TCP4 && length < PROXY_IPV4_SIZE)
    ||   (family == PROXY_TCP6 && length < PROXY_IPV6_SIZE)))
        return s_fail (self, "short address block");
    self->total = PROXY_FIXED_SIZE + length;
    return PROXY_AGAIN;
}

//  The whole header is in: take the source address.
static proxy_result_t
s_body (proxy_t *self)
{
    const uint8_t *header = self->header;
    const uint8_t *body = header + PROXY_FIXED_SIZE;
    self->result = PROXY_DONE;
    if ((header [PROXY_VERSION_OFFSET] & PROXY_COMMAND_MASK) == PROXY_COMMAND_LOCAL)
        return PROXY_DONE;
    uint8_t family = header [PROXY_FAMILY_OFFSET];
    if (family == PROXY_TCP4) {
        struct sockaddr_in *v4 = (struct sockaddr_in *) &self->address;
        v4->sin_family = AF_INET;
        memcpy (&v4->sin_addr, body, PROXY_V4_ADDRESS);
        memcpy (&v4->sin_port, body + 2 * PROXY_V4_ADDRESS, sizeof (v4->sin_port));
    }
    else
    if (family == PROXY_TCP6) {
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *) &self->address;
        v6->sin6_family = AF_INET6;
        memcpy (&v6->sin6_addr, body, PROXY_V6_ADDRESS);
        memcpy (&v6->sin6_port, body + 2 * PROXY_V6_ADDRESS, sizeof (v6->sin6_port));
    }
    //  Other families (UNSPEC, UDP, unix): no address we can use
    return PROXY_DONE;
}

proxy_result_t
proxy_feed (proxy_t *self, const uint8_t *data, size_t size, size_t *used_p)
{
    assert (self);
    size_t used = 0;
    while (self->result == PROXY_AGAIN && used < size) {
        size_t take = MIN (proxy_wanted (self), size - used);
        //  The signature byte by byte: a plain client fails at once
        for (size_t index = 0; index < take; index++) {
            size_t offset = self->size + index;
            if (offset < PROXY_SIGNATURE_SIZE && data [used + index] != s_signature [offset]) {
                if (used_p)
                    *used_p = used + index;
                return s_fail (self, "no PROXY v2 signature");
            }
        }
        memcpy (self->header + self->size, data + used, take);
        self->size += take;
        used += take;
        if (self->total == 0 && self->size == PROXY_FIXED_SIZE)
            s_fixed (self);
        if (self->total && self->size == self->total)
            s_body (self);
    }
    if (used_p)
        *used_p = used;
    return self->result;
}

const struct sockaddr *
proxy_address (const proxy_t *self)
{
    assert (self);
    return (const struct sockaddr *) &self->address;
}

const char *
proxy_error (const proxy_t *self)
{
    assert (self);
    return self->error? self->error: "";
}
