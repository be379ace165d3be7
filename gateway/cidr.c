/*  =========================================================================
    cidr.c - a list of address ranges (CIDR)

    Implements cidr.h with inet_pton and a byte-wise prefix compare.
    =========================================================================
*/
#include "cidr.h"
#include <arpa/inet.h>

#define CIDR_TEXT_MAX       64      //  one range as text
#define CIDR_V4_BITS        32
#define CIDR_V6_BITS        128
#define CIDR_V4_SIZE        4
#define CIDR_V6_SIZE        16
#define CIDR_BYTE_BITS      8
#define CIDR_BYTE_MASK      0xff
#define CIDR_DECIMAL        10
#define CIDR_MAPPED_PREFIX  12      //  ::ffff:0:0/96 carries an IPv4 address
static const uint8_t s_mapped [CIDR_MAPPED_PREFIX] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

//  Clear the bits past prefix.
static void
s_mask (uint8_t *bytes, size_t size, int prefix)
{
    for (size_t index = 0; index < size; index++) {
        int keep = prefix - (int) index * CIDR_BYTE_BITS;
        if (keep <= 0)
            bytes [index] = 0;
        else
        if (keep < CIDR_BYTE_BITS)
            bytes [index] &= (uint8_t) (CIDR_BYTE_MASK << (CIDR_BYTE_BITS - keep));
    }
}

static int
s_parse_range (cidr_range_t *range, const char *text, size_t size)
{
    char buffer [CIDR_TEXT_MAX];
    if (size == 0 || size >= sizeof (buffer))
        return -1;
    memcpy (buffer, text, size);
    buffer [size] = 0;
    char *slash = strchr (buffer, '/');
    if (slash)
        *slash = 0;
    memset (range, 0, sizeof (*range));
    int bits;
    if (inet_pton (AF_INET, buffer, range->bytes) == 1) {
        range->family = AF_INET;
        bits = CIDR_V4_BITS;
    }
    else
    if (inet_pton (AF_INET6, buffer, range->bytes) == 1) {
        range->family = AF_INET6;
        bits = CIDR_V6_BITS;
    }
    else
        return -1;
    range->prefix = bits;
    if (slash) {
        char *end;
        errno = 0;
        long prefix = strtol (slash + 1, &end, CIDR_DECIMAL);
        if (errno || end == slash + 1 || *end || prefix < 0 || prefix > bits)
            return -1;
        range->prefix = (int) prefix;
    }
    s_mask (range->bytes, bits / CIDR_BYTE_BITS, range->prefix);
    return 0;
}

int
cidr_parse (cidr_list_t *self, const char *text)
{
    assert (self);
    self->count = 0;
    if (!text)
        return 0;
    while (*text) {
        size_t size = strcspn (text, ",");
        if (self->count == CIDR_MAX
        ||  s_parse_range (&self->ranges [self->count], text, size))
            return -1;
        self->count++;
        text += size;
        if (*text == ',')
            text++;
    }
    return 0;
}

bool
cidr_match (const cidr_list_t *self, const struct sockaddr *address)
{
    assert (self);
    assert (address);
    uint8_t bytes [CIDR_V6_SIZE];
    int family = address->sa_family;
    if (family == AF_INET)
        memcpy (bytes, &((const struct sockaddr_in *) address)->sin_addr, CIDR_V4_SIZE);
    else
    if (family == AF_INET6) {
        const uint8_t *v6 = ((const struct sockaddr_in6 *) address)->sin6_addr.s6_addr;
        if (memcmp (v6, s_mapped, CIDR_MAPPED_PREFIX) == 0) {
            family = AF_INET;
            memcpy (bytes, v6 + CIDR_MAPPED_PREFIX, CIDR_V4_SIZE);
        }
        else
            memcpy (bytes, v6, CIDR_V6_SIZE);
    }
    else
        return false;
    for (size_t index = 0; index < self->count; index++) {
        const cidr_range_t *range = &self->ranges [index];
        if (range->family != family)
            continue;
        uint8_t masked [CIDR_V6_SIZE];
        size_t size = family == AF_INET? CIDR_V4_SIZE: CIDR_V6_SIZE;
        memcpy (masked, bytes, size);
        s_mask (masked, size, range->prefix);
        if (memcmp (masked, range->bytes, size) == 0)
            return true;
    }
    return false;
}
