/*  =========================================================================
    test_address.c - HOST:PORT parsing and binding
    =========================================================================
*/
#include "chat.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "address.h"

static void
s_expect (const char *address, const char *host, int port)
{
    char parsed [ADDRESS_HOST_MAX];
    int parsed_port = -2;
    assert_int_equal (address_parse (address, parsed, &parsed_port), 0);
    assert_string_equal (parsed, host);
    assert_int_equal (parsed_port, port);
}

static void
s_refuse (const char *address)
{
    char parsed [ADDRESS_HOST_MAX];
    int port;
    assert_int_equal (address_parse (address, parsed, &port), -1);
}

static void
test_parse (void **state)
{
    (void) state;
    s_expect ("127.0.0.1:8080", "127.0.0.1", 8080);
    s_expect ("localhost:0", "localhost", 0);
    s_expect (":9100", "", 9100);
    s_expect ("*:9100", "", 9100);
    s_expect ("[::1]:6697", "::1", 6697);
    s_expect ("[::]:65535", "::", 65535);
    s_refuse ("127.0.0.1");
    s_refuse ("127.0.0.1:");
    s_refuse ("127.0.0.1:65536");
    s_refuse ("127.0.0.1:+80");
    s_refuse ("127.0.0.1: 80");
    s_refuse ("127.0.0.1:-0");
    s_refuse ("127.0.0.1:000080");
    s_refuse ("127.0.0.1:99999999999999999999");
    s_refuse ("[::1]6697");
    s_refuse ("[::1");
    s_refuse ("");
    char long_host [ADDRESS_HOST_MAX + 8];
    memset (long_host, 'a', sizeof (long_host));
    memcpy (long_host + ADDRESS_HOST_MAX, ":80", 4);
    s_refuse (long_host);
}

static void
test_listen (void **state)
{
    (void) state;
    int port = 0;
    int fd = address_listen ("127.0.0.1:0", 16, "test", &port);
    assert_true (fd >= 0);
    assert_true (port > 0);
    //  The same port again is busy
    int again;
    char *busy = zsys_sprintf ("127.0.0.1:%d", port);
    assert_int_equal (address_listen (busy, 16, "test", &again), -1);
    zstr_free (&busy);
    close (fd);
    assert_int_equal (address_listen ("nonsense", 16, "test", &again), -1);
    assert_int_equal (address_listen ("no.such.host.invalid:80", 16, "test", &again), -1);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_parse),
        cmocka_unit_test (test_listen),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
