/*  =========================================================================
    fuzz_proxy.c - the PROXY protocol v2 header parser, in any chunking

    Whatever a balancer, or a client pretending to be one, sends reaches
    proxy_feed in the pieces the kernel hands over, each at most what
    proxy_wanted asked for (as the gateway reads). The input's first two
    bytes seed where the rest is cut; the same bytes are also fed whole.
    Both must agree on the result, the bytes taken and the address; the
    parser never takes more than the header, never more than
    PROXY_HEADER_MAX, and a done header has a family it can name.
    =========================================================================
*/
#include "fuzz.h"
#include "proxy.h"

#define FUZZ_CUT_MAX        23      //  longest read the chunked feed makes
#define FUZZ_LCG_MULTIPLY   1103515245u
#define FUZZ_LCG_ADD        12345u
#define FUZZ_LCG_SHIFT      16

static proxy_result_t
s_feed_chunked (proxy_t *proxy, const uint8_t *data, size_t size, unsigned seed,
                size_t *used_p)
{
    size_t offset = 0;
    proxy_result_t result = PROXY_AGAIN;
    while (offset < size && result == PROXY_AGAIN) {
        seed = seed * FUZZ_LCG_MULTIPLY + FUZZ_LCG_ADD;
        size_t piece = 1 + (seed >> FUZZ_LCG_SHIFT) % FUZZ_CUT_MAX;
        size_t wanted = proxy_wanted (proxy);
        FUZZ_CHECK (wanted > 0 && wanted <= PROXY_HEADER_MAX);
        piece = MIN (MIN (piece, wanted), size - offset);
        size_t used;
        result = proxy_feed (proxy, data + offset, piece, &used);
        FUZZ_CHECK (used <= piece);
        offset += used;
        if (used < piece)
            break;
    }
    *used_p = offset;
    return result;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    fuzz_input_t input = { data, size };
    unsigned seed = (unsigned) fuzz_length (&input);
    proxy_t whole, chunked;
    proxy_init (&whole);
    proxy_init (&chunked);
    size_t whole_used, chunked_used;
    proxy_result_t result = proxy_feed (&whole, input.data, input.size, &whole_used);
    FUZZ_CHECK (s_feed_chunked (&chunked, input.data, input.size, seed, &chunked_used) == result);
    FUZZ_CHECK (whole_used <= input.size && whole_used <= PROXY_HEADER_MAX);
    FUZZ_CHECK (proxy_wanted (&whole) == proxy_wanted (&chunked));
    if (result == PROXY_AGAIN)
        FUZZ_CHECK (whole_used == input.size && proxy_wanted (&whole) > 0);
    if (result == PROXY_DONE) {
        FUZZ_CHECK (whole_used == chunked_used);
        FUZZ_CHECK (whole_used >= PROXY_FIXED_SIZE);
        int family = proxy_address (&whole)->sa_family;
        FUZZ_CHECK (family == AF_INET || family == AF_INET6 || family == AF_UNSPEC);
        FUZZ_CHECK (family == proxy_address (&chunked)->sa_family);
        FUZZ_CHECK (memcmp (proxy_address (&whole), proxy_address (&chunked),
                            sizeof (struct sockaddr_storage)) == 0);
    }
    if (result == PROXY_ERROR)
        FUZZ_CHECK (*proxy_error (&whole) && proxy_wanted (&whole) == 0);
    return 0;
}
