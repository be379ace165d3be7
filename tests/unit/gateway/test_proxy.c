/*  =========================================================================
    test_proxy.c - the PROXY protocol v2 header parser
    =========================================================================
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include "proxy.h"

#define TEST_SIGNATURE      "\r\n\r\n\0\r\nQUIT\n"
#define TEST_SIGNATURE_SIZE 12
#define TEST_PROXY          0x21        //  v2, PROXY
#define TEST_LOCAL          0x20        //  v2, LOCAL
#define TEST_TCP4           0x11
#define TEST_TCP6           0x21
#define TEST_TLV_SIZE       7           //  a TLV after the addresses, ignored
#define TEST_PORT           54321
#define TEST_BUFFER         128
#define TEST_BYTE_BITS      8
#define TEST_BYTE_MASK      0xff

//  A header: signature, command, family, then body of size bytes (plus
//  extra declared bytes of TLV). Returns its size.
static size_t
s_header (uint8_t *buffer, uint8_t command, uint8_t family, const uint8_t *body,
          size_t size, size_t extra)
{
    memcpy (buffer, TEST_SIGNATURE, TEST_SIGNATURE_SIZE);
    buffer [12] = command;
    buffer [13] = family;
    size_t length = size + extra;
    buffer [14] = (uint8_t) (length >> TEST_BYTE_BITS);
    buffer [15] = (uint8_t) (length & TEST_BYTE_MASK);
    if (size > 0)
        memcpy (buffer + PROXY_FIXED_SIZE, body, size);
    memset (buffer + PROXY_FIXED_SIZE + size, 'T', extra);
    return PROXY_FIXED_SIZE + length;
}

static size_t
s_tcp4 (uint8_t *buffer, const char *source, size_t extra)
{
    uint8_t body [12] = { 0 };
    assert_int_equal (inet_pton (AF_INET, source, body), 1);
    inet_pton (AF_INET, "10.0.0.1", body + 4);
    uint16_t port = htons (TEST_PORT);
    memcpy (body + 8, &port, 2);
    return s_header (buffer, TEST_PROXY, TEST_TCP4, body, sizeof body, extra);
}

static void
test_ipv4_any_chunking (void **state)
{
    (void) state;
    uint8_t header [TEST_BUFFER];
    size_t size = s_tcp4 (header, "192.0.2.33", TEST_TLV_SIZE);
    //  Whole, then one byte at a time: the same result
    for (size_t piece = size; piece >= 1; piece = piece == size? 1: 0) {
        proxy_t proxy;
        proxy_init (&proxy);
        size_t offset = 0;
        proxy_result_t result = PROXY_AGAIN;
        while (offset < size) {
            size_t wanted = proxy_wanted (&proxy);
            assert_true (wanted > 0);
            size_t take = MIN (MIN (piece, wanted), size - offset);
            size_t used;
            result = proxy_feed (&proxy, header + offset, take, &used);
            assert_int_equal (used, take);
            offset += take;
        }
        assert_int_equal (result, PROXY_DONE);
        assert_int_equal (proxy_wanted (&proxy), 0);
        const struct sockaddr_in *v4 = (const struct sockaddr_in *) proxy_address (&proxy);
        assert_int_equal (v4->sin_family, AF_INET);
        char text [INET_ADDRSTRLEN];
        inet_ntop (AF_INET, &v4->sin_addr, text, sizeof text);
        assert_string_equal (text, "192.0.2.33");
        assert_int_equal (ntohs (v4->sin_port), TEST_PORT);
    }
}

static void
test_never_over_reads (void **state)
{
    (void) state;
    uint8_t header [TEST_BUFFER];
    size_t size = s_tcp4 (header, "192.0.2.1", 0);
    memcpy (header + size, "hello\n", 6);
    proxy_t proxy;
    proxy_init (&proxy);
    size_t used;
    assert_int_equal (proxy_feed (&proxy, header, size + 6, &used), PROXY_DONE);
    assert_int_equal (used, size);         //  "hello\n" is the client's
}

static void
test_ipv6_and_local (void **state)
{
    (void) state;
    uint8_t body [36] = { 0 };
    inet_pton (AF_INET6, "2001:db8::7", body);
    uint8_t header [TEST_BUFFER];
    size_t size = s_header (header, TEST_PROXY, TEST_TCP6, body, sizeof body, 0);
    proxy_t proxy;
    proxy_init (&proxy);
    assert_int_equal (proxy_feed (&proxy, header, size, NULL), PROXY_DONE);
    assert_int_equal (proxy_address (&proxy)->sa_family, AF_INET6);
    //  LOCAL (the balancer's own check): done, no address
    size = s_header (header, TEST_LOCAL, 0, NULL, 0, 0);
    proxy_init (&proxy);
    assert_int_equal (proxy_feed (&proxy, header, size, NULL), PROXY_DONE);
    assert_int_equal (proxy_address (&proxy)->sa_family, AF_UNSPEC);
}

static void
test_refusals (void **state)
{
    (void) state;
    proxy_t proxy;
    //  A plain client: refused at its first byte
    proxy_init (&proxy);
    size_t used;
    assert_int_equal (proxy_feed (&proxy, (const uint8_t *) "/nick bob\r\n", 11, &used),
                      PROXY_ERROR);
    assert_int_equal (used, 0);
    assert_int_equal (proxy_wanted (&proxy), 0);
    //  PROXY v1 text
    proxy_init (&proxy);
    assert_int_equal (proxy_feed (&proxy, (const uint8_t *) "PROXY TCP4 1.2.3.4", 18, NULL),
                      PROXY_ERROR);
    uint8_t header [PROXY_HEADER_MAX + TEST_BUFFER];
    //  Wrong version, unknown command, too long, short address block
    size_t size = s_tcp4 (header, "192.0.2.1", 0);
    header [12] = 0x11;
    proxy_init (&proxy);
    assert_int_equal (proxy_feed (&proxy, header, size, NULL), PROXY_ERROR);
    header [12] = 0x2f;
    proxy_init (&proxy);
    assert_int_equal (proxy_feed (&proxy, header, size, NULL), PROXY_ERROR);
    size = s_header (header, TEST_PROXY, TEST_TCP4, NULL, 0, PROXY_BODY_MAX + 1);
    proxy_init (&proxy);
    assert_int_equal (proxy_feed (&proxy, header, size, NULL), PROXY_ERROR);
    assert_string_equal (proxy_error (&proxy), "too long");
    uint8_t short_body [4] = { 0 };
    size = s_header (header, TEST_PROXY, TEST_TCP4, short_body, sizeof short_body, 0);
    proxy_init (&proxy);
    assert_int_equal (proxy_feed (&proxy, header, size, NULL), PROXY_ERROR);
    //  Truncated: still waiting, for the caller's deadline to end
    size = s_tcp4 (header, "192.0.2.1", 0);
    proxy_init (&proxy);
    assert_int_equal (proxy_feed (&proxy, header, size - 1, NULL), PROXY_AGAIN);
    assert_int_equal (proxy_wanted (&proxy), 1);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_ipv4_any_chunking),
        cmocka_unit_test (test_never_over_reads),
        cmocka_unit_test (test_ipv6_and_local),
        cmocka_unit_test (test_refusals),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
