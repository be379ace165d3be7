/*  =========================================================================
    test_ws_handshake.c - which upgrade requests are accepted, and the answer key
    =========================================================================
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "ws_handshake.h"

#define KEY     "dGhlIHNhbXBsZSBub25jZQ=="      //  RFC 6455 section 1.3's sample
#define ACCEPT  "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

//  Check the request head text against origins; returns the status.
static int
s_check_over (const char *head, const char *origins, bool secure, ws_handshake_t *result)
{
    http_limits_t limits;
    http_limits_defaults (&limits);
    http_request_t *request = http_request_new (&limits);
    size_t consumed;
    assert_int_equal (http_request_feed (request, head, strlen (head), &consumed), HTTP_DONE);
    int status = ws_handshake_check (request, origins, secure, result);
    http_request_destroy (&request);
    return status;
}

static int
s_check (const char *head, const char *origins, ws_handshake_t *result)
{
    return s_check_over (head, origins, false, result);
}

#define GOOD_HEAD(extra) \
    "GET /ws HTTP/1.1\r\nHost: chat.example:8081\r\nUpgrade: WebSocket\r\n" \
    "Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: " KEY "\r\n" \
    "Sec-WebSocket-Version: 13\r\n" extra "\r\n"

static void
test_accept_value (void **state)
{
    (void) state;
    char accept [WS_ACCEPT_SIZE + 1];
    ws_handshake_accept (KEY, accept);
    assert_string_equal (accept, ACCEPT);
}

static void
test_good (void **state)
{
    (void) state;
    ws_handshake_t result;
    assert_int_equal (s_check (GOOD_HEAD (""), "", &result), HTTP_SWITCHING_PROTOCOLS);
    assert_string_equal (result.accept, ACCEPT);
    assert_false (result.json);
    //  The subprotocol, in a list, in either of two headers
    assert_int_equal (s_check (GOOD_HEAD ("Sec-WebSocket-Protocol: chat, zchat.v1.json\r\n"), "",
                               &result), HTTP_SWITCHING_PROTOCOLS);
    assert_true (result.json);
    assert_int_equal (s_check (GOOD_HEAD ("Sec-WebSocket-Protocol: chat\r\n"
                                          "Sec-WebSocket-Protocol: zchat.v1.json\r\n"), "",
                               &result), HTTP_SWITCHING_PROTOCOLS);
    assert_true (result.json);
    assert_int_equal (s_check (GOOD_HEAD ("Sec-WebSocket-Protocol: zchat.v1.jsonx\r\n"), "",
                               &result), HTTP_SWITCHING_PROTOCOLS);
    assert_false (result.json);
}

static void
test_refused (void **state)
{
    (void) state;
    ws_handshake_t result;
    assert_int_equal (s_check ("GET /ws HTTP/1.1\r\nHost: x\r\n\r\n", "", &result),
                      HTTP_UPGRADE_REQUIRED);
    assert_int_equal (s_check ("GET /ws HTTP/1.0\r\nUpgrade: websocket\r\nConnection: upgrade\r\n"
                               "Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n",
                               "", &result), HTTP_BAD_REQUEST);
    assert_int_equal (s_check ("GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n"
                               "Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n",
                               "", &result), HTTP_BAD_REQUEST);
    assert_int_equal (s_check ("GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: upgrade\r\n"
                               "Sec-WebSocket-Version: 13\r\n\r\n", "", &result), HTTP_BAD_REQUEST);
    assert_string_equal (result.reason, "key");
    const char *bad_keys [] = { "c2hvcnQ=", KEY "A", "dGhlIHNhbXBsZSBub25jZQ=A",
                                "dGhlIHNhbXBsZSBub25jZ*==", "" };
    for (size_t index = 0; index < sizeof bad_keys / sizeof bad_keys [0]; index++) {
        char head [512];
        snprintf (head, sizeof head, "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n"
                  "Connection: upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
                  bad_keys [index]);
        assert_int_equal (s_check (head, "", &result), HTTP_BAD_REQUEST);
    }
    assert_int_equal (s_check ("GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: upgrade\r\n"
                               "Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 8\r\n\r\n",
                               "", &result), HTTP_UPGRADE_REQUIRED);
    assert_string_equal (result.reason, "version");
}

static void
test_origins (void **state)
{
    (void) state;
    ws_handshake_t result;
    //  Default: the page's own origin only
    assert_int_equal (s_check (GOOD_HEAD ("Origin: http://chat.example:8081\r\n"), "", &result),
                      HTTP_SWITCHING_PROTOCOLS);
    assert_int_equal (s_check (GOOD_HEAD ("Origin: HTTP://Chat.Example:8081\r\n"), "", &result),
                      HTTP_SWITCHING_PROTOCOLS);
    assert_int_equal (s_check (GOOD_HEAD ("Origin: http://chat.example:9999\r\n"), "", &result),
                      HTTP_FORBIDDEN);
    assert_string_equal (result.reason, "origin");
    assert_int_equal (s_check (GOOD_HEAD ("Origin: null\r\n"), "", &result), HTTP_FORBIDDEN);
    //  Over TLS the page's own origin is https://
    assert_int_equal (s_check_over (GOOD_HEAD ("Origin: https://chat.example:8081\r\n"), "", true,
                                    &result), HTTP_SWITCHING_PROTOCOLS);
    assert_int_equal (s_check_over (GOOD_HEAD ("Origin: http://chat.example:8081\r\n"), "", true,
                                    &result), HTTP_FORBIDDEN);
    assert_int_equal (s_check (GOOD_HEAD ("Origin: https://chat.example:8081\r\n"), "", &result),
                      HTTP_FORBIDDEN);
    //  A list, and *
    const char *list = "https://a.example, http://chat.example:8081 ,https://b.example";
    assert_int_equal (s_check (GOOD_HEAD ("Origin: https://b.example\r\n"), list, &result),
                      HTTP_SWITCHING_PROTOCOLS);
    assert_int_equal (s_check (GOOD_HEAD ("Origin: https://c.example\r\n"), list, &result),
                      HTTP_FORBIDDEN);
    assert_int_equal (s_check (GOOD_HEAD ("Origin: https://c.example\r\n"), "*", &result),
                      HTTP_SWITCHING_PROTOCOLS);
    assert_true (ws_handshake_origin_listed (list, "http://chat.example:8081"));
    assert_false (ws_handshake_origin_listed (list, "https://a.exampl"));
    assert_false (ws_handshake_origin_listed ("", "https://a.example"));
    assert_false (ws_handshake_origin_listed (NULL, "https://a.example"));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_accept_value),
        cmocka_unit_test (test_good),
        cmocka_unit_test (test_refused),
        cmocka_unit_test (test_origins),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
