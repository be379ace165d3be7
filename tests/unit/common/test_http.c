/*  =========================================================================
    test_http.c - the HTTP request head parser

    Every request is fed whole and byte by byte, and must parse the same
    both ways: the parser keeps its place between reads.
    =========================================================================
*/
#include "chat.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "http.h"

#define TEST_UPGRADE \
    "GET /ws?room=rust HTTP/1.1\r\n" \
    "Host: localhost:8081\r\n" \
    "Upgrade: websocket\r\n" \
    "Connection: keep-alive, Upgrade\r\n" \
    "Sec-WebSocket-Key:   dGhlIHNhbXBsZSBub25jZQ==  \r\n" \
    "Sec-WebSocket-Version: 13\r\n" \
    "\r\n"

static http_request_t *
s_parser (void)
{
    http_limits_t limits;
    http_limits_defaults (&limits);
    return http_request_new (&limits);
}

//  Feed text whole, then byte by byte into a second parser; both must
//  give the same result and take the same bytes. Returns the whole-feed
//  parser (the caller destroys it).
static http_request_t *
s_feed_both (const char *text, http_result_t expected, size_t expected_consumed)
{
    size_t size = strlen (text);
    http_request_t *whole = s_parser ();
    size_t consumed = 0;
    assert_int_equal (http_request_feed (whole, text, size, &consumed), expected);
    if (expected == HTTP_DONE)
        assert_int_equal (consumed, expected_consumed);

    http_request_t *bytes = s_parser ();
    http_result_t result = HTTP_MORE;
    size_t taken = 0;
    for (size_t index = 0; index < size && result == HTTP_MORE; index++) {
        result = http_request_feed (bytes, text + index, 1, &consumed);
        taken += consumed;
    }
    assert_int_equal (result, expected);
    assert_int_equal (http_request_status (bytes), http_request_status (whole));
    if (expected == HTTP_DONE) {
        assert_int_equal (taken, expected_consumed);
        assert_string_equal (http_request_path (bytes), http_request_path (whole));
        assert_int_equal (http_request_header_count (bytes), http_request_header_count (whole));
    }
    http_request_destroy (&bytes);
    return whole;
}

static void
test_upgrade_request (void **state)
{
    (void) state;
    http_request_t *request = s_feed_both (TEST_UPGRADE "\x81\x85" "frame", HTTP_DONE,
                                           strlen (TEST_UPGRADE));
    assert_string_equal (http_request_method (request), "GET");
    assert_string_equal (http_request_path (request), "/ws");
    assert_string_equal (http_request_query (request), "room=rust");
    assert_int_equal (http_request_minor_version (request), 1);
    assert_int_equal (http_request_header_count (request), 5);
    assert_string_equal (http_request_header (request, "upgrade"), "websocket");
    assert_string_equal (http_request_header (request, "SEC-WEBSOCKET-KEY"),
                         "dGhlIHNhbXBsZSBub25jZQ==");
    assert_true (http_has_token (http_request_header (request, "Connection"), "upgrade"));
    assert_false (http_has_token (http_request_header (request, "Connection"), "close"));
    assert_null (http_request_header (request, "Origin"));
    assert_false (http_request_has_body (request));
    assert_string_equal (http_request_header_name (request, 0), "Host");
    assert_string_equal (http_request_header_value (request, 0), "localhost:8081");
    //  Once done, more bytes are not taken
    size_t consumed = 99;
    assert_int_equal (http_request_feed (request, "x", 1, &consumed), HTTP_DONE);
    assert_int_equal (consumed, 0);
    //  Reset: ready for another request
    http_request_reset (request);
    assert_int_equal (http_request_feed (request, "GET / HTTP/1.0\n\n", 16, &consumed), HTTP_DONE);
    assert_int_equal (http_request_minor_version (request), 0);
    assert_string_equal (http_request_query (request), "");
    http_request_destroy (&request);
    http_request_destroy (&request);
}

static void
test_line_ends (void **state)
{
    (void) state;
    //  Bare LF, and empty lines before the request line
    http_request_t *request = s_feed_both ("\r\n\nGET /metrics HTTP/1.1\nHost: x\n\n", HTTP_DONE, 34);
    assert_string_equal (http_request_path (request), "/metrics");
    assert_string_equal (http_request_header (request, "host"), "x");
    http_request_destroy (&request);
    //  Not complete yet
    request = s_feed_both ("GET / HTTP/1.1\r\nHost: x\r\n", HTTP_MORE, 0);
    http_request_destroy (&request);
    request = s_feed_both ("GET / HTTP/1.1\r\nHost: x\r\n\r", HTTP_MORE, 0);
    http_request_destroy (&request);
}

static void
s_expect_error (const char *text, int status)
{
    http_request_t *request = s_feed_both (text, HTTP_ERROR, 0);
    assert_int_equal (http_request_status (request), status);
    http_request_destroy (&request);
}

static void
test_malformed (void **state)
{
    (void) state;
    s_expect_error ("GET\r\n\r\n", 400);
    s_expect_error (" GET / HTTP/1.1\r\n\r\n", 400);
    s_expect_error ("GET  / HTTP/1.1\r\n\r\n", 400);
    s_expect_error ("GET / HTTP/1.1 \r\n\r\n", 400);
    s_expect_error ("GET http://example.com/ HTTP/1.1\r\n\r\n", 400);
    s_expect_error ("GET * HTTP/1.1\r\n\r\n", 400);
    s_expect_error ("GET /\x01 HTTP/1.1\r\n\r\n", 400);
    s_expect_error ("GET / HTTP/2.0\r\n\r\n", 505);
    s_expect_error ("GET / HTTP/1.2\r\n\r\n", 505);
    s_expect_error ("GET / HTTP/1.1\rX\r\n\r\n", 400);
    s_expect_error ("GET / HTTX/1.1\r\n\r\n", 400);
    s_expect_error ("GET / HTTP/1.1\r\nHost x\r\n\r\n", 400);
    s_expect_error ("GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400);
    s_expect_error ("GET / HTTP/1.1\r\n: x\r\n\r\n", 400);
    s_expect_error ("GET / HTTP/1.1\r\nHost: x\r\n  folded\r\n\r\n", 400);
    s_expect_error ("GET / HTTP/1.1\r\nHost: a\x1b[2Jb\r\n\r\n", 400);
    s_expect_error ("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400);
    //  A NUL fails at once, before the head is complete
    http_request_t *request = s_parser ();
    size_t consumed;
    assert_int_equal (http_request_feed (request, "GET /\0 HTTP/1.1", 15, &consumed), HTTP_ERROR);
    assert_int_equal (http_request_status (request), 400);
    http_request_destroy (&request);
}

static void
test_limits (void **state)
{
    (void) state;
    http_limits_t limits = { .head_max = 64, .headers_max = 2, .target_max = 8 };
    http_request_t *request = http_request_new (&limits);
    size_t consumed;
    //  A request line that never ends within head_max: URI too long
    char line [80];
    memset (line, 'a', sizeof (line));
    memcpy (line, "GET /", 5);
    assert_int_equal (http_request_feed (request, line, sizeof (line), &consumed), HTTP_ERROR);
    assert_int_equal (http_request_status (request), 414);
    http_request_reset (request);
    //  Headers past head_max: 431
    const char *big = "GET / HTTP/1.1\r\nA: 0123456789012345678901234567890123456789\r\nB: 1\r\n\r\n";
    assert_int_equal (http_request_feed (request, big, strlen (big), &consumed), HTTP_ERROR);
    assert_int_equal (http_request_status (request), 431);
    http_request_reset (request);
    //  Exactly head_max bytes is fine
    char exact [65];
    const char *start = "GET / HTTP/1.1\r\nA: ";
    memset (exact, 'x', 64);
    memcpy (exact, start, strlen (start));
    memcpy (exact + 60, "\r\n\r\n", 4);
    assert_int_equal (http_request_feed (request, exact, 64, &consumed), HTTP_DONE);
    assert_int_equal (consumed, 64);
    http_request_reset (request);
    //  Too many headers
    const char *many = "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
    assert_int_equal (http_request_feed (request, many, strlen (many), &consumed), HTTP_ERROR);
    assert_int_equal (http_request_status (request), 431);
    http_request_reset (request);
    //  Target at the cap, and one over
    const char *at_cap = "GET /2345678 HTTP/1.1\r\n\r\n";
    assert_int_equal (http_request_feed (request, at_cap, strlen (at_cap), &consumed), HTTP_DONE);
    http_request_reset (request);
    const char *over = "GET /23456789 HTTP/1.1\r\n\r\n";
    assert_int_equal (http_request_feed (request, over, strlen (over), &consumed), HTTP_ERROR);
    assert_int_equal (http_request_status (request), 414);
    http_request_destroy (&request);
}

static void
test_body_and_tokens (void **state)
{
    (void) state;
    http_request_t *request = s_feed_both ("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n",
                                           HTTP_DONE, 38);
    assert_true (http_request_has_body (request));
    http_request_destroy (&request);
    request = s_feed_both ("GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", HTTP_DONE, 37);
    assert_false (http_request_has_body (request));
    http_request_destroy (&request);
    request = s_feed_both ("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", HTTP_DONE, 46);
    assert_true (http_request_has_body (request));
    http_request_destroy (&request);
    assert_true (http_has_token ("Upgrade", "upgrade"));
    assert_true (http_has_token (" a ,  b ,c", "b"));
    assert_false (http_has_token ("upgrades", "upgrade"));
    assert_false (http_has_token ("", "upgrade"));
    assert_false (http_has_token (NULL, "upgrade"));
}

static void
test_response (void **state)
{
    (void) state;
    size_t size;
    char *response = http_response_new (404, "text/plain", "Cache-Control: no-store\r\n",
                                        "nope\n", 5, &size);
    const char *expected = "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n"
                           "Content-Length: 5\r\nConnection: close\r\n"
                           "Cache-Control: no-store\r\n\r\nnope\n";
    assert_int_equal (size, strlen (expected));
    assert_memory_equal (response, expected, size);
    free (response);
    response = http_response_new (204, NULL, NULL, NULL, 0, &size);
    assert_true (strstr (response, "Content-Length: 0\r\n") != NULL);
    free (response);
    assert_string_equal (http_status_text (431), "Request Header Fields Too Large");
    assert_string_equal (http_status_text (299), "Unknown");
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_upgrade_request),
        cmocka_unit_test (test_line_ends),
        cmocka_unit_test (test_malformed),
        cmocka_unit_test (test_limits),
        cmocka_unit_test (test_body_and_tokens),
        cmocka_unit_test (test_response),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
