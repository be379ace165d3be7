/*  =========================================================================
    test_admission.c - per-address caps, address ranges
    =========================================================================
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include "admission.h"

#define TEST_START_MS       1000000
#define TEST_CAP            3
#define TEST_RATE           4       //  per window
#define TEST_WINDOW_MS      60000
#define TEST_QUARTER_MS     15000   //  one connection's worth of the window
#define TEST_MANY           1000

static struct sockaddr_storage
s_address (const char *text)
{
    struct sockaddr_storage address;
    memset (&address, 0, sizeof (address));
    struct sockaddr_in *v4 = (struct sockaddr_in *) &address;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *) &address;
    if (inet_pton (AF_INET, text, &v4->sin_addr) == 1)
        v4->sin_family = AF_INET;
    else {
        assert_int_equal (inet_pton (AF_INET6, text, &v6->sin6_addr), 1);
        v6->sin6_family = AF_INET6;
    }
    return address;
}

static admission_result_t
s_enter (admission_t *admission, const char *text, int64_t now, admission_entry_t **entry_p)
{
    struct sockaddr_storage address = s_address (text);
    return admission_enter (admission, (struct sockaddr *) &address, now, entry_p);
}

static void
test_cidr (void **state)
{
    (void) state;
    cidr_list_t list;
    assert_int_equal (cidr_parse (&list, "127.0.0.0/8,::1/128,10.1.2.3,2001:db8::/32"), 0);
    assert_int_equal (list.count, 4);
    struct sockaddr_storage address = s_address ("127.9.9.9");
    assert_true (cidr_match (&list, (struct sockaddr *) &address));
    address = s_address ("::ffff:127.0.0.1");       //  mapped IPv4
    assert_true (cidr_match (&list, (struct sockaddr *) &address));
    address = s_address ("10.1.2.3");
    assert_true (cidr_match (&list, (struct sockaddr *) &address));
    address = s_address ("10.1.2.4");
    assert_false (cidr_match (&list, (struct sockaddr *) &address));
    address = s_address ("2001:db8:ffff::1");
    assert_true (cidr_match (&list, (struct sockaddr *) &address));
    address = s_address ("2001:db9::1");
    assert_false (cidr_match (&list, (struct sockaddr *) &address));
    address = s_address ("::2");
    assert_false (cidr_match (&list, (struct sockaddr *) &address));
    //  An empty list matches nothing; bad ranges are refused
    assert_int_equal (cidr_parse (&list, ""), 0);
    assert_int_equal (list.count, 0);
    assert_false (cidr_match (&list, (struct sockaddr *) &address));
    assert_int_equal (cidr_parse (&list, "10.0.0.0/33"), -1);
    assert_int_equal (cidr_parse (&list, "10.0.0.0/"), -1);
    assert_int_equal (cidr_parse (&list, "example.com"), -1);
    assert_int_equal (cidr_parse (&list, "10.0.0.0/8,,"), -1);
    assert_int_equal (cidr_parse (&list, "::/129"), -1);
}

static void
test_rate_parse (void **state)
{
    (void) state;
    admission_limits_t limits = { 0 };
    assert_int_equal (admission_parse_rate (&limits, "4/60"), 0);
    assert_int_equal (limits.connect_count, 4);
    assert_int_equal (limits.connect_window_ms, TEST_WINDOW_MS);
    assert_int_equal (admission_parse_rate (&limits, "0"), 0);
    assert_int_equal (limits.connect_count, 0);
    assert_int_equal (admission_parse_rate (&limits, "4"), -1);
    assert_int_equal (admission_parse_rate (&limits, "4/0"), -1);
    assert_int_equal (admission_parse_rate (&limits, "x/60"), -1);
    assert_int_equal (admission_parse_rate (&limits, "4/60s"), -1);
}

static void
test_cap_per_address (void **state)
{
    (void) state;
    admission_limits_t limits = { .max_per_address = TEST_CAP };
    admission_t *admission = admission_new (&limits);
    assert_non_null (admission);
    assert_true (admission_enabled (admission));
    admission_entry_t *entries [TEST_CAP], *entry;
    for (int index = 0; index < TEST_CAP; index++) {
        assert_int_equal (s_enter (admission, "192.0.2.1", TEST_START_MS, &entries [index]),
                          ADMISSION_OK);
        assert_non_null (entries [index]);
    }
    assert_int_equal (s_enter (admission, "192.0.2.1", TEST_START_MS, &entry), ADMISSION_TOO_MANY);
    assert_null (entry);
    //  Another address is not affected; IPv4-mapped IPv6 is the same address
    assert_int_equal (s_enter (admission, "192.0.2.2", TEST_START_MS, &entry), ADMISSION_OK);
    admission_leave (admission, entry);
    assert_int_equal (s_enter (admission, "::ffff:192.0.2.1", TEST_START_MS, &entry),
                      ADMISSION_TOO_MANY);
    //  One leaves: one more may come
    admission_leave (admission, entries [0]);
    assert_int_equal (s_enter (admission, "192.0.2.1", TEST_START_MS, &entries [0]), ADMISSION_OK);
    assert_int_equal (admission_refused (admission), 2);
    for (int index = 0; index < TEST_CAP; index++)
        admission_leave (admission, entries [index]);
    //  Nothing open and no rate: nothing kept
    assert_int_equal (admission_size (admission), 0);
    admission_destroy (&admission);
    assert_null (admission);
}

static void
test_ipv6_grouped_by_64 (void **state)
{
    (void) state;
    admission_limits_t limits = { .max_per_address = 1 };
    admission_t *admission = admission_new (&limits);
    admission_entry_t *first, *entry;
    assert_int_equal (s_enter (admission, "2001:db8:1:2::1", TEST_START_MS, &first), ADMISSION_OK);
    //  Same /64, another host part: the same address for the cap
    assert_int_equal (s_enter (admission, "2001:db8:1:2:ffff::9", TEST_START_MS, &entry),
                      ADMISSION_TOO_MANY);
    //  Another /64 is someone else
    assert_int_equal (s_enter (admission, "2001:db8:1:3::1", TEST_START_MS, &entry), ADMISSION_OK);
    admission_leave (admission, entry);
    admission_leave (admission, first);
    admission_destroy (&admission);
}

static void
test_connect_rate (void **state)
{
    (void) state;
    admission_limits_t limits = { 0 };
    assert_int_equal (admission_parse_rate (&limits, "4/60"), 0);
    admission_t *admission = admission_new (&limits);
    admission_entry_t *entry;
    int64_t now = TEST_START_MS;
    for (int index = 0; index < TEST_RATE; index++) {
        assert_int_equal (s_enter (admission, "198.51.100.7", now, &entry), ADMISSION_OK);
        admission_leave (admission, entry);     //  closing does not give the token back
    }
    assert_int_equal (s_enter (admission, "198.51.100.7", now, &entry), ADMISSION_TOO_FAST);
    assert_int_equal (s_enter (admission, "198.51.100.8", now, &entry), ADMISSION_OK);
    admission_leave (admission, entry);
    //  A quarter of the window later: exactly one more
    now += TEST_QUARTER_MS;
    assert_int_equal (s_enter (admission, "198.51.100.7", now, &entry), ADMISSION_OK);
    admission_leave (admission, entry);
    assert_int_equal (s_enter (admission, "198.51.100.7", now, &entry), ADMISSION_TOO_FAST);
    //  After a whole window of quiet, entries are swept
    now += 2 * TEST_WINDOW_MS;
    assert_int_equal (s_enter (admission, "203.0.113.1", now, &entry), ADMISSION_OK);
    admission_leave (admission, entry);
    assert_int_equal (admission_size (admission), 1);
    admission_destroy (&admission);
}

static void
test_exempt_and_off (void **state)
{
    (void) state;
    cidr_list_t exempt;
    assert_int_equal (cidr_parse (&exempt, "127.0.0.0/8,::1/128"), 0);
    admission_limits_t limits = { .max_per_address = 1, .exempt = &exempt };
    admission_t *admission = admission_new (&limits);
    admission_entry_t *entry;
    for (int index = 0; index < TEST_MANY; index++) {
        assert_int_equal (s_enter (admission, "127.0.0.1", TEST_START_MS, &entry), ADMISSION_OK);
        assert_null (entry);
        assert_int_equal (s_enter (admission, "::1", TEST_START_MS, &entry), ADMISSION_OK);
    }
    assert_int_equal (admission_size (admission), 0);
    admission_destroy (&admission);
    admission_limits_t off = { 0 };
    admission = admission_new (&off);
    assert_false (admission_enabled (admission));
    for (int index = 0; index < TEST_MANY; index++)
        assert_int_equal (s_enter (admission, "192.0.2.1", TEST_START_MS, &entry), ADMISSION_OK);
    admission_destroy (&admission);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_cidr),
        cmocka_unit_test (test_rate_parse),
        cmocka_unit_test (test_cap_per_address),
        cmocka_unit_test (test_ipv6_grouped_by_64),
        cmocka_unit_test (test_connect_rate),
        cmocka_unit_test (test_exempt_and_off),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
