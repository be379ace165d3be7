/*  =========================================================================
    58_tls_scan.c - an independent scanner finds nothing weak on the TLS port

    sslscan (Debian's) scans a gateway's TLS port: the test fails if
    SSLv2, SSLv3, TLS 1.0 or 1.1 is enabled, if an accepted cipher is not
    an AEAD one of at least 128 bits (no RC4, 3DES, CBC, NULL, export or
    anonymous suites), if compression or insecure renegotiation shows,
    or heartbleed. Debian's OpenSSL is built without zlib, so the scanner
    cannot offer compression: `openssl s_client -tls1_2` reports what the
    server chose instead. And an old-protocol client (TLS 1.1, security
    level 0) is refused and counted as reason="version". The scan is kept
    in the build directory (tls-sslscan.txt).
    =========================================================================
*/
#define _GNU_SOURCE
#include "harness.h"
#include <cmocka.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCAN_COMMAND_MAX    1024
#define SCAN_OUTPUT_MAX     (256 * 1024)
#define SCAN_REPORT         "tls-sslscan.txt"
#define SCAN_POLL_MS        100

//  Run command through the shell; its stdout (and stderr) to free.
static char *
s_output (const char *command)
{
    FILE *pipe = popen (command, "r");
    assert_non_null (pipe);
    char *text = calloc (1, SCAN_OUTPUT_MAX);
    assert_non_null (text);
    size_t size = fread (text, 1, SCAN_OUTPUT_MAX - 1, pipe);
    text [size] = 0;
    pclose (pipe);
    return text;
}

//  True if an "Accepted"/"Preferred" cipher line of sslscan is strong:
//  at least 128 bits, AEAD (GCM or ChaCha20-Poly1305).
static bool
s_cipher_strong (const char *line)
{
    char verdict [32], version [32], unit [32], name [128];
    int bits = 0;
    if (sscanf (line, "%31s %31s %d %31s %127s", verdict, version, &bits, unit, name) != 5)
        return false;
    bool aead = strstr (name, "GCM") || strstr (name, "CHACHA20");
    bool weak = strstr (name, "RC4") || strstr (name, "DES") || strstr (name, "NULL")
             || strstr (name, "EXP") || strstr (name, "MD5") || strstr (name, "anon")
             || strstr (name, "ADH") || strstr (name, "AECDH") || strstr (name, "CBC");
    if (bits < 128 || !aead || weak)
        fprintf (stderr, "scan: weak cipher: %s\n", line);
    return bits >= 128 && aead && !weak;
}

//  openssl s_client with flags against port prints every wanted text.
static void
s_client_says (int port, const char *flags, const char **wanted)
{
    char command [SCAN_COMMAND_MAX];
    snprintf (command, sizeof command, "openssl s_client %s -connect 127.0.0.1:%d "
              "</dev/null 2>&1", flags, port);
    char *output = s_output (command);
    for (size_t index = 0; wanted [index]; index++) {
        if (!strstr (output, wanted [index]))
            fprintf (stderr, "scan: '%s' did not say '%s':\n%s\n", command, wanted [index],
                     output);
        assert_non_null (strstr (output, wanted [index]));
    }
    free (output);
}

static void
test_scan (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *router;
    const char *more [] = { "--metrics-listen", "127.0.0.1:0", NULL };
    harness_proc_t *gateway = harness_tls_system (harness, &router, more);
    int port = harness_gateway_tls_port (gateway);

    char command [SCAN_COMMAND_MAX];
    snprintf (command, sizeof command, "sslscan --no-colour 127.0.0.1:%d 2>&1", port);
    char *scan = s_output (command);
    const char *build = getenv ("ZCHAT_BUILD_DIR");
    char path [SCAN_COMMAND_MAX];
    snprintf (path, sizeof path, "%s/" SCAN_REPORT, build? build: ".");
    FILE *file = fopen (path, "w");
    if (file) {
        fputs (scan, file);
        fclose (file);
    }
    if (!strstr (scan, "TLSv1.3   enabled"))
        fprintf (stderr, "%s\n", scan);
    assert_non_null (strstr (scan, "Supported Server Cipher(s)"));
    assert_non_null (strstr (scan, "SSLv2     disabled"));
    assert_non_null (strstr (scan, "SSLv3     disabled"));
    assert_non_null (strstr (scan, "TLSv1.0   disabled"));
    assert_non_null (strstr (scan, "TLSv1.1   disabled"));
    assert_non_null (strstr (scan, "TLSv1.2   enabled"));
    assert_non_null (strstr (scan, "TLSv1.3   enabled"));
    assert_null (strstr (scan, "Insecure session renegotiation"));
    assert_null (strstr (scan, "Compression enabled"));
    int ciphers = 0;
    for (char *line = strtok (scan, "\n"); line; line = strtok (NULL, "\n")) {
        if (strncmp (line, "Accepted", 8) == 0 || strncmp (line, "Preferred", 9) == 0) {
            assert_true (s_cipher_strong (line));
            ciphers++;
        }
        if (strstr (line, "heartbleed") && strstr (line, "vulnerable"))
            assert_non_null (strstr (line, "not vulnerable"));
    }
    assert_true (ciphers > 0);
    free (scan);

    //  What the scanner cannot offer: compression (the server chose none)
    const char *tls12 [] = { "Compression: NONE", "Secure Renegotiation IS supported", NULL };
    s_client_says (port, "-tls1_2", tls12);
    //  An old-protocol client is refused and counted
    const char *tls11 [] = { "alert protocol version", "Cipher is (NONE)", NULL };
    s_client_says (port, "-tls1_1 -cipher 'DEFAULT@SECLEVEL=0'", tls11);
    int64_t deadline = harness_now () + HARNESS_TIMEOUT_MS;
    int64_t refused = 0;
    while (harness_now () < deadline
       &&  (refused = harness_scrape_metric (gateway, "zchat_gateway_tls_handshake_failures_total"
                                             "{reason=\"version\"}")) < 1)
        poll (NULL, 0, SCAN_POLL_MS);
    assert_true (refused >= 1);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_scan, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
