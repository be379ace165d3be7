/*  =========================================================================
    config.c - settings from command-line flags and environment variables

    One small table-driven parser for both tiers and zchat-ctl, so every
    setting behaves the same: flag over environment over default, and
    --help lists flag, variable and default for each.
    =========================================================================
*/
#include "config.h"

#define CONFIG_INT_MAX          INT_MAX //  so any number fits an int, and seconds * 1000 an int64
#define CONFIG_ARG_DEFAULT      "VALUE" //  placeholder of an option that names none

//  Store text into an option; 0 on success, -1 if it does not parse.
static int
s_store (config_option_t *option, const char *text)
{
    if (option->type == CONFIG_STRING) {
        *(const char **) option->value = text;
        return 0;
    }
    if (option->type == CONFIG_FLAG) {
        if (streq (text, "1") || streq (text, "true") || streq (text, "yes"))
            *(bool *) option->value = true;
        else
        if (streq (text, "0") || streq (text, "false") || streq (text, "no") || *text == 0)
            *(bool *) option->value = false;
        else
            return -1;
        return 0;
    }
    char *end = NULL;
    errno = 0;
    long long number = strtoll (text, &end, 10);
    if (errno || end == text || *end || number < 0 || number > CONFIG_INT_MAX)
        return -1;
    *(int64_t *) option->value = (int64_t) number;
    return 0;
}

static void
s_print_default (const config_option_t *option)
{
    if (option->type == CONFIG_STRING) {
        const char *value = *(const char **) option->value;
        fprintf (stdout, "%s", value? value: "");
    }
    else
    if (option->type == CONFIG_FLAG)
        fprintf (stdout, "%s", *(bool *) option->value? "on": "off");
    else
        fprintf (stdout, "%lld", (long long) *(int64_t *) option->value);
}

static void
s_print_help (const config_option_t *options, size_t count, const char *usage)
{
    fprintf (stdout, "%s\n\nOptions (flag, environment variable, default):\n", usage);
    for (size_t index = 0; index < count; index++) {
        const config_option_t *option = &options [index];
        const char *arg = option->arg? option->arg: CONFIG_ARG_DEFAULT;
        fprintf (stdout, "  --%s%s%s\n      %s (env %s, default ",
                 option->flag, option->type == CONFIG_FLAG? "": " ",
                 option->type == CONFIG_FLAG? "": arg, option->help, option->env);
        s_print_default (option);
        fprintf (stdout, ")\n");
    }
    fprintf (stdout, "  --help\n      print this help and exit\n"
                     "  --version\n      print the version and exit\n");
}

//  "zchat-router 0.1.0 (czmq 4.2.1, libzmq 4.3.4)": the program's own
//  name, so one function serves all three.
static void
s_print_version (const char *argv0)
{
    const char *slash = strrchr (argv0, '/');
    int major, minor, patch;
    zmq_version (&major, &minor, &patch);
    fprintf (stdout, "%s %s (czmq %d.%d.%d, libzmq %d.%d.%d)\n", slash? slash + 1: argv0,
             CHAT_VERSION, CZMQ_VERSION_MAJOR, CZMQ_VERSION_MINOR, CZMQ_VERSION_PATCH,
             major, minor, patch);
}

static config_option_t *
s_find (config_option_t *options, size_t count, const char *flag, size_t size)
{
    for (size_t index = 0; index < count; index++)
        if (strlen (options [index].flag) == size
        &&  memcmp (options [index].flag, flag, size) == 0)
            return &options [index];
    return NULL;
}

static config_result_t
s_parse_environment (config_option_t *options, size_t count)
{
    for (size_t index = 0; index < count; index++) {
        const char *text = getenv (options [index].env);
        if (text && s_store (&options [index], text) == -1) {
            fprintf (stderr, "error: bad value for %s: '%s'\n", options [index].env, text);
            return CONFIG_FAILED;
        }
    }
    return CONFIG_OK;
}

//  Parse one "--flag[=value]" at argv [*index_p], consuming its value.
static config_result_t
s_parse_flag (config_option_t *options, size_t count, int argc, char **argv, int *index_p)
{
    const char *word = argv [*index_p] + 2;
    const char *equals = strchr (word, '=');
    size_t size = equals? (size_t) (equals - word): strlen (word);
    config_option_t *option = s_find (options, count, word, size);
    if (!option) {
        fprintf (stderr, "error: unknown option --%.*s (try --help)\n", (int) size, word);
        return CONFIG_FAILED;
    }
    const char *text = equals? equals + 1: NULL;
    if (!text && option->type == CONFIG_FLAG)
        text = "1";
    if (!text) {
        if (*index_p + 1 >= argc) {
            fprintf (stderr, "error: --%s needs a value\n", option->flag);
            return CONFIG_FAILED;
        }
        text = argv [++*index_p];
    }
    if (s_store (option, text) == -1) {
        fprintf (stderr, "error: bad value for --%s: '%s'\n", option->flag, text);
        return CONFIG_FAILED;
    }
    return CONFIG_OK;
}

config_result_t
config_parse (config_option_t *options, size_t count, int argc, char **argv,
              const char *usage, zlist_t *positional)
{
    assert (options);
    assert (usage);
    for (int index = 1; index < argc; index++)
        if (streq (argv [index], "--help") || streq (argv [index], "-h")) {
            s_print_help (options, count, usage);
            return CONFIG_HELP;
        }
        else
        if (streq (argv [index], "--version")) {
            s_print_version (argv [0]);
            return CONFIG_HELP;
        }
    if (s_parse_environment (options, count) != CONFIG_OK)
        return CONFIG_FAILED;

    for (int index = 1; index < argc; index++) {
        const char *word = argv [index];
        if (strncmp (word, "--", 2) == 0 && word [2]) {
            if (s_parse_flag (options, count, argc, argv, &index) != CONFIG_OK)
                return CONFIG_FAILED;
        }
        else
        if (positional)
            zlist_append (positional, (void *) word);
        else {
            fprintf (stderr, "error: unexpected argument '%s' (try --help)\n", word);
            return CONFIG_FAILED;
        }
    }
    return CONFIG_OK;
}
