/*  =========================================================================
    fuzz_config.c - flag and environment parsing, with the gateway's table

    Settings come from a command line and an environment that an operator
    (or an orchestrator's template) writes, so a bad one must give an
    error, never a crash or a silently odd value. The input is a list of
    NUL-separated words: words of the form ZCHAT_NAME=value go into the
    environment, the rest make argv. It runs through the gateway's real
    option table (settings_parse), and checks that whatever is accepted
    holds the limits the table promises: numbers are non-negative, and
    the values settings_parse rejects (a zero heartbeat, line cap or
    output cap) never come back as CONFIG_OK.
    =========================================================================
*/
#include "fuzz.h"
#include "config.h"
#include "settings.h"
#include "wire.h"

#define FUZZ_WORDS_MAX      32      //  argv words per input
#define FUZZ_ENV_PREFIX     "ZCHAT_"

static char *s_words [FUZZ_WORDS_MAX + 2];  //  argv [0], the words, NULL
static char *s_names [FUZZ_WORDS_MAX];      //  variables set for this input

//  Split the input at NUL bytes into words (copies; caller frees them).
static size_t
s_split (const uint8_t *data, size_t size, char **words)
{
    size_t count = 0;
    size_t start = 0;
    for (size_t index = 0; index <= size && count < FUZZ_WORDS_MAX; index++)
        if (index == size || data [index] == 0) {
            words [count] = strndup ((const char *) data + start, index - start);
            assert (words [count]);
            count++;
            start = index + 1;
        }
    return count;
}

//  Move ZCHAT_NAME=value words into the environment; returns argv's size.
static int
s_take_environment (char **words, size_t count, size_t *names_p)
{
    int argc = 1;                   //  argv [0] is the program
    s_words [0] = (char *) "zchat-gateway";
    for (size_t index = 0; index < count; index++) {
        char *equals = strchr (words [index], '=');
        if (strncmp (words [index], FUZZ_ENV_PREFIX, strlen (FUZZ_ENV_PREFIX)) == 0 && equals) {
            *equals = 0;
            setenv (words [index], equals + 1, 1);
            s_names [(*names_p)++] = words [index];
        }
        else
            s_words [argc++] = words [index];
    }
    s_words [argc] = NULL;
    return argc;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *words [FUZZ_WORDS_MAX];
    size_t count = s_split (data, size, words);
    size_t names = 0;
    int argc = s_take_environment (words, count, &names);

    //  --help and the errors print; keep them out of the fuzzer's output
    fflush (stdout);
    int saved_out = dup (STDOUT_FILENO);
    int saved_err = dup (STDERR_FILENO);
    int null = open ("/dev/null", O_WRONLY);
    dup2 (null, STDOUT_FILENO);
    dup2 (null, STDERR_FILENO);
    gateway_config_t config;
    config_result_t result = settings_parse (&config, argc, s_words);
    fflush (stdout);
    dup2 (saved_out, STDOUT_FILENO);
    dup2 (saved_err, STDERR_FILENO);
    close (saved_out);
    close (saved_err);
    close (null);

    if (result == CONFIG_OK) {
        FUZZ_CHECK (config.idle_timeout_s >= 0 && config.max_clients >= 0);
        FUZZ_CHECK (config.heartbeat_interval_ms > 0);
        FUZZ_CHECK (config.max_line > 0 && config.max_line <= WIRE_TEXT_MAX);
        FUZZ_CHECK (config.outbuf_max > 0);
        //  Every number fits the int that ZeroMQ and listen () take, and a
        //  timeout in ms its int64
        int64_t numbers [] = { config.idle_timeout_s, config.max_clients, config.outbuf_max,
            config.stuck_timeout_s, config.sub_hwm, config.uplink_hwm, config.queue_max,
            config.router_timeout_s, config.heartbeat_interval_ms, config.backlog,
            config.drain_linger_ms };
        for (size_t index = 0; index < sizeof (numbers) / sizeof (numbers [0]); index++)
            FUZZ_CHECK (numbers [index] >= 0 && numbers [index] <= INT_MAX);
        FUZZ_CHECK (config.listen && config.ingress && config.publish && config.name);
    }
    for (size_t index = 0; index < names; index++)
        unsetenv (s_names [index]);
    for (size_t index = 0; index < count; index++)
        free (words [index]);
    return 0;
}
