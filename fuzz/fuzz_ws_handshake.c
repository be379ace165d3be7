/*  =========================================================================
    fuzz_ws_handshake.c - the WebSocket upgrade checks on any request head

    Whatever head the HTTP parser completes goes to ws_handshake_check
    with each kind of --ws-origin (the default, *, a list taken from the
    input). The answer must be one of the statuses docs/PROTOCOL.md
    lists; a 101 must name a key that is 16 bytes of base64 and carry
    the accept value computed again from it; a refusal must say why.
    =========================================================================
*/
#include "fuzz.h"
#include "http.h"
#include "ws_handshake.h"

#define FUZZ_ORIGINS_MAX    64

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    fuzz_input_t input = { data, size };
    //  The origin list first (NUL-free, bounded), the head after it
    size_t taken;
    const uint8_t *list = fuzz_slice (&input, fuzz_byte (&input) % FUZZ_ORIGINS_MAX, &taken);
    char origins [FUZZ_ORIGINS_MAX + 1];
    size_t length = 0;
    for (size_t index = 0; index < taken; index++)
        if (list [index])
            origins [length++] = (char) list [index];
    origins [length] = 0;

    http_limits_t limits;
    http_limits_defaults (&limits);
    http_request_t *request = http_request_new (&limits);
    size_t consumed;
    if (http_request_feed (request, (const char *) input.data, input.size, &consumed) == HTTP_DONE) {
        const char *choices [] = { "", WS_ORIGIN_ANY, origins };
        for (size_t index = 0; index < sizeof choices / sizeof choices [0]; index++) {
            ws_handshake_t result;
            int status = ws_handshake_check (request, choices [index], index == 1, &result);
            FUZZ_CHECK (status == result.status && result.reason);
            FUZZ_CHECK (status == HTTP_SWITCHING_PROTOCOLS || status == HTTP_BAD_REQUEST
                     || status == HTTP_FORBIDDEN || status == HTTP_UPGRADE_REQUIRED);
            if (status == HTTP_SWITCHING_PROTOCOLS) {
                const char *key = http_request_header (request, "Sec-WebSocket-Key");
                FUZZ_CHECK (key && strlen (key) == WS_KEY_SIZE);
                char accept [WS_ACCEPT_SIZE + 1];
                ws_handshake_accept (key, accept);
                FUZZ_CHECK (streq (accept, result.accept));
                FUZZ_CHECK (strlen (result.accept) == WS_ACCEPT_SIZE);
            }
            if (status == HTTP_FORBIDDEN)
                FUZZ_CHECK (!streq (choices [index], WS_ORIGIN_ANY)
                         && http_request_header (request, "Origin"));
        }
        (void) ws_handshake_origin_listed (origins, http_request_path (request));
    }
    http_request_destroy (&request);
    return 0;
}
