/*  =========================================================================
    fuzz_http_request.c - the HTTP request head parser, in any chunking

    Whatever a browser or a scraper sends reaches http_request_feed in the
    pieces the kernel hands over. The input's first two bytes seed where
    the rest is cut into reads; the same bytes are also fed whole to a
    second parser. The two must agree on the result, on the error status,
    on how many bytes ended the head, and on the method, path, query and
    every header - so "resumes across reads" is fuzzed, not assumed. A
    finished head also holds what the header promises: a path that starts
    with '/', at most the limits' headers, no control byte in a value.
    Small limits make the caps easy to reach.
    =========================================================================
*/
#include "fuzz.h"
#include "http.h"

#define FUZZ_HEAD_MAX       512
#define FUZZ_HEADERS_MAX    8
#define FUZZ_TARGET_MAX     64
#define FUZZ_CUT_MAX        37      //  longest read the chunked feed makes

//  Feed data in reads of pseudo-random sizes; returns the result and the
//  bytes the head took in *consumed_p.
static http_result_t
s_feed_chunked (http_request_t *request, const char *data, size_t size, unsigned seed,
                size_t *consumed_p)
{
    http_result_t result = HTTP_MORE;
    size_t offset = 0;
    *consumed_p = 0;
    while (offset < size && result == HTTP_MORE) {
        seed = seed * 1103515245 + 12345;
        size_t piece = 1 + (seed >> 16) % FUZZ_CUT_MAX;
        if (piece > size - offset)
            piece = size - offset;
        size_t consumed;
        result = http_request_feed (request, data + offset, piece, &consumed);
        FUZZ_CHECK (consumed <= piece);
        *consumed_p += consumed;
        offset += piece;
    }
    return result;
}

static void
s_check_same (http_request_t *first, http_request_t *second)
{
    FUZZ_CHECK (streq (http_request_method (first), http_request_method (second)));
    FUZZ_CHECK (streq (http_request_path (first), http_request_path (second)));
    FUZZ_CHECK (streq (http_request_query (first), http_request_query (second)));
    FUZZ_CHECK (http_request_minor_version (first) == http_request_minor_version (second));
    size_t count = http_request_header_count (first);
    FUZZ_CHECK (count == http_request_header_count (second));
    FUZZ_CHECK (count <= FUZZ_HEADERS_MAX);
    for (size_t index = 0; index < count; index++) {
        const char *value = http_request_header_value (first, index);
        FUZZ_CHECK (streq (http_request_header_name (first, index),
                           http_request_header_name (second, index)));
        FUZZ_CHECK (streq (value, http_request_header_value (second, index)));
        for (const char *c = value; *c; c++)
            FUZZ_CHECK ((unsigned char) *c >= ' ' || *c == '\t');
    }
    FUZZ_CHECK (http_request_path (first) [0] == '/');
    FUZZ_CHECK (strlen (http_request_path (first)) <= FUZZ_TARGET_MAX);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    fuzz_input_t input = { data, size };
    unsigned seed = (unsigned) fuzz_length (&input);
    const char *text = (const char *) input.data;
    http_limits_t limits = {
        .head_max = FUZZ_HEAD_MAX, .headers_max = FUZZ_HEADERS_MAX, .target_max = FUZZ_TARGET_MAX
    };
    http_request_t *whole = http_request_new (&limits);
    http_request_t *chunked = http_request_new (&limits);
    size_t whole_consumed, chunked_consumed;
    http_result_t result = http_request_feed (whole, text, input.size, &whole_consumed);
    FUZZ_CHECK (s_feed_chunked (chunked, text, input.size, seed, &chunked_consumed) == result);
    FUZZ_CHECK (http_request_status (whole) == http_request_status (chunked));
    if (result == HTTP_DONE) {
        FUZZ_CHECK (whole_consumed == chunked_consumed);
        FUZZ_CHECK (whole_consumed <= input.size);
        s_check_same (whole, chunked);
        (void) http_request_has_body (whole);
    }
    else
    if (result == HTTP_ERROR)
        FUZZ_CHECK (http_request_status (whole) >= 400);
    http_request_destroy (&whole);
    http_request_destroy (&chunked);
    return 0;
}
