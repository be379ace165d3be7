/*  =========================================================================
    test_config.c - settings from flags, environment and defaults

    Each test builds a small option table like a tier's main does, sets or
    clears the environment, and parses a fixed argv. --help and errors
    print (to stdout and stderr), which is expected.
    =========================================================================
*/
#include "chat.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "config.h"

#define TEST_DEFAULT_PORT       5555
#define TEST_DEFAULT_TIMEOUT    300

typedef struct {
    const char *listen;
    int64_t timeout;
    bool verbose;
    config_option_t options [3];
} settings_t;

static void
s_settings (settings_t *self)
{
    self->listen = "127.0.0.1:8080";
    self->timeout = TEST_DEFAULT_TIMEOUT;
    self->verbose = false;
    config_option_t options [] = {
        { "listen", "ZCHAT_TEST_LISTEN", CONFIG_STRING, &self->listen, "HOST:PORT", "address" },
        { "idle-timeout", "ZCHAT_TEST_IDLE_TIMEOUT", CONFIG_INT, &self->timeout, "SECONDS", "seconds" },
        { "verbose", "ZCHAT_TEST_VERBOSE", CONFIG_FLAG, &self->verbose, NULL, "chatty" },
    };
    memcpy (self->options, options, sizeof (options));
}

static int
s_clear_env (void **state)
{
    (void) state;
    unsetenv ("ZCHAT_TEST_LISTEN");
    unsetenv ("ZCHAT_TEST_IDLE_TIMEOUT");
    unsetenv ("ZCHAT_TEST_VERBOSE");
    return 0;
}

#define S_PARSE(settings, positional, ...) \
    config_parse ((settings)->options, 3, \
                  (int) (sizeof ((char *[]) { "prog", __VA_ARGS__ }) / sizeof (char *)), \
                  (char *[]) { "prog", __VA_ARGS__ }, "Usage: prog", positional)

static void
test_defaults (void **state)
{
    (void) state;
    settings_t settings;
    s_settings (&settings);
    char *argv [] = { "prog", NULL };
    assert_int_equal (config_parse (settings.options, 3, 1, argv, "Usage: prog", NULL),
                      CONFIG_OK);
    assert_string_equal (settings.listen, "127.0.0.1:8080");
    assert_int_equal (settings.timeout, TEST_DEFAULT_TIMEOUT);
    assert_false (settings.verbose);
}

static void
test_flag_over_env_over_default (void **state)
{
    (void) state;
    settings_t settings;
    s_settings (&settings);
    setenv ("ZCHAT_TEST_LISTEN", "0.0.0.0:9000", 1);
    setenv ("ZCHAT_TEST_IDLE_TIMEOUT", "17", 1);
    setenv ("ZCHAT_TEST_VERBOSE", "yes", 1);
    assert_int_equal (S_PARSE (&settings, NULL, "--listen", "127.0.0.1:1"), CONFIG_OK);
    assert_string_equal (settings.listen, "127.0.0.1:1");         //  flag wins
    assert_int_equal (settings.timeout, 17);                       //  env over default
    assert_true (settings.verbose);

    s_settings (&settings);
    setenv ("ZCHAT_TEST_VERBOSE", "0", 1);
    assert_int_equal (S_PARSE (&settings, NULL, "--idle-timeout=5", "--verbose"), CONFIG_OK);
    assert_int_equal (settings.timeout, 5);
    assert_true (settings.verbose);
    assert_string_equal (settings.listen, "0.0.0.0:9000");
}

static void
test_equals_form_and_flags (void **state)
{
    (void) state;
    settings_t settings;
    s_settings (&settings);
    assert_int_equal (S_PARSE (&settings, NULL, "--listen=a=b", "--verbose=true",
                               "--idle-timeout", "0"), CONFIG_OK);
    assert_string_equal (settings.listen, "a=b");
    assert_true (settings.verbose);
    assert_int_equal (settings.timeout, 0);
    //  Later flags win; an empty flag value switches it off
    assert_int_equal (S_PARSE (&settings, NULL, "--verbose=", "--listen=", "--listen=x"),
                      CONFIG_OK);
    assert_false (settings.verbose);
    assert_string_equal (settings.listen, "x");
}

static void
test_bad_values (void **state)
{
    (void) state;
    settings_t settings;
    s_settings (&settings);
    assert_int_equal (S_PARSE (&settings, NULL, "--idle-timeout", "abc"), CONFIG_FAILED);
    assert_int_equal (S_PARSE (&settings, NULL, "--idle-timeout=12x"), CONFIG_FAILED);
    assert_int_equal (S_PARSE (&settings, NULL, "--idle-timeout=-1"), CONFIG_FAILED);
    assert_int_equal (S_PARSE (&settings, NULL, "--idle-timeout="), CONFIG_FAILED);
    assert_int_equal (S_PARSE (&settings, NULL, "--idle-timeout=99999999999999999999"),
                      CONFIG_FAILED);
    //  Past INT_MAX: would not fit the int a socket option or listen () takes
    assert_int_equal (S_PARSE (&settings, NULL, "--idle-timeout=2147483648"), CONFIG_FAILED);
    assert_int_equal (S_PARSE (&settings, NULL, "--verbose=maybe"), CONFIG_FAILED);
    assert_int_equal (settings.timeout, TEST_DEFAULT_TIMEOUT);
    assert_int_equal (S_PARSE (&settings, NULL, "--idle-timeout=2147483647"), CONFIG_OK);
    assert_int_equal (settings.timeout, INT_MAX);
    //  Missing value at the end
    assert_int_equal (S_PARSE (&settings, NULL, "--listen"), CONFIG_FAILED);
    //  Bad environment fails too
    setenv ("ZCHAT_TEST_IDLE_TIMEOUT", "soon", 1);
    assert_int_equal (S_PARSE (&settings, NULL, "--verbose"), CONFIG_FAILED);
}

static void
test_unknown_and_positional (void **state)
{
    (void) state;
    settings_t settings;
    s_settings (&settings);
    assert_int_equal (S_PARSE (&settings, NULL, "--nope"), CONFIG_FAILED);
    assert_int_equal (S_PARSE (&settings, NULL, "--listen-x=1"), CONFIG_FAILED);
    assert_int_equal (S_PARSE (&settings, NULL, "--liste=1"), CONFIG_FAILED);
    //  Positional words: an error without a list, collected with one
    assert_int_equal (S_PARSE (&settings, NULL, "status"), CONFIG_FAILED);
    zlist_t *positional = zlist_new ();
    assert_int_equal (S_PARSE (&settings, positional, "status", "--verbose", "-", "more"),
                      CONFIG_OK);
    assert_int_equal (zlist_size (positional), 3);
    assert_string_equal ((char *) zlist_first (positional), "status");
    assert_string_equal ((char *) zlist_next (positional), "-");
    assert_string_equal ((char *) zlist_next (positional), "more");
    assert_true (settings.verbose);
    zlist_destroy (&positional);
}

static void
test_help (void **state)
{
    (void) state;
    settings_t settings;
    s_settings (&settings);
    //  --help wins anywhere, even after an error
    assert_int_equal (S_PARSE (&settings, NULL, "--help"), CONFIG_HELP);
    assert_int_equal (S_PARSE (&settings, NULL, "--nope", "-h"), CONFIG_HELP);
}

//  Run a parse with stdout sent to a file; returns what it printed (free it).
static char *
s_parse_output (settings_t *settings, char *word)
{
    char path [] = "/tmp/zchat-test-config-XXXXXX";
    int fd = mkstemp (path);
    assert_true (fd >= 0);
    fflush (stdout);
    int saved = dup (STDOUT_FILENO);
    dup2 (fd, STDOUT_FILENO);
    assert_int_equal (S_PARSE (settings, NULL, word), CONFIG_HELP);
    fflush (stdout);
    dup2 (saved, STDOUT_FILENO);
    close (saved);
    close (fd);
    char *text = zsys_sprintf ("%s", "");
    FILE *file = fopen (path, "r");
    assert_non_null (file);
    char line [256];
    while (fgets (line, sizeof (line), file)) {
        char *longer = zsys_sprintf ("%s%s", text, line);
        zstr_free (&text);
        text = longer;
    }
    fclose (file);
    unlink (path);
    return text;
}

static void
test_help_names_what_each_flag_takes (void **state)
{
    (void) state;
    settings_t settings;
    s_settings (&settings);
    char *help = s_parse_output (&settings, "--help");
    assert_non_null (strstr (help, "--listen HOST:PORT\n"));
    assert_non_null (strstr (help, "--idle-timeout SECONDS\n"));
    assert_non_null (strstr (help, "--verbose\n"));
    assert_non_null (strstr (help, "--version\n"));
    assert_null (strstr (help, "VALUE"));
    zstr_free (&help);
}

static void
test_version (void **state)
{
    (void) state;
    settings_t settings;
    s_settings (&settings);
    char *version = s_parse_output (&settings, "--version");
    assert_non_null (strstr (version, "prog " CHAT_VERSION " (czmq "));
    zstr_free (&version);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup (test_defaults, s_clear_env),
        cmocka_unit_test_setup (test_flag_over_env_over_default, s_clear_env),
        cmocka_unit_test_setup (test_equals_form_and_flags, s_clear_env),
        cmocka_unit_test_setup (test_bad_values, s_clear_env),
        cmocka_unit_test_setup (test_unknown_and_positional, s_clear_env),
        cmocka_unit_test_setup (test_help, s_clear_env),
        cmocka_unit_test_setup (test_help_names_what_each_flag_takes, s_clear_env),
        cmocka_unit_test_setup (test_version, s_clear_env),
    };
    int rc = cmocka_run_group_tests (tests, NULL, NULL);
    s_clear_env (NULL);
    return rc;
}
