/*  =========================================================================
    harness_ctl.c - run zchat-ctl against a router and read its STATUS

    zchat-ctl is started like any other process (harness.c), waited for,
    and its captured stdout returned; STATUS bodies are "key=value" lines.
    See harness.h for the API.
    =========================================================================
*/
#ifndef _GNU_SOURCE
#   define _GNU_SOURCE
#endif

#include "harness_private.h"

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

char *
harness_ctl (harness_t *self, harness_proc_t *router, const char *verb, int *exit_code_p)
{
    const char *fixed [] = { "--control", router->control, verb, NULL };
    const char *argv [HARNESS_ARGS_MAX];
    harness_argv (argv, "zchat-ctl", fixed, NULL);
    harness_proc_t *proc = harness_spawn (self, "ctl", "zchat-ctl", argv);
    proc->expect_clean = false;
    int status = harness_proc_wait (proc, HARNESS_TIMEOUT_MS);
    int exit_code = status != -1 && WIFEXITED (status) ? WEXITSTATUS (status) : -1;
    if (exit_code_p)
        *exit_code_p = exit_code;
    char *output = NULL;
    if (exit_code != 0) {
        fprintf (stderr, "harness: zchat-ctl %s failed (%d)\n", verb, exit_code);
        harness_proc_dump (proc);
    }
    else
        output = harness_slurp (proc->out_path);
    harness_forget (self, proc);
    return output;
}

char *
harness_body_value (const char *body, const char *key)
{
    size_t key_size = strlen (key);
    const char *line = body;
    while (line && *line) {
        if (strncmp (line, key, key_size) == 0 && line [key_size] == '=') {
            const char *value = line + key_size + 1;
            return strndup (value, strcspn (value, "\r\n"));
        }
        line = strchr (line, '\n');
        if (line)
            line++;
    }
    return NULL;
}

long
harness_status_number (harness_t *self, harness_proc_t *router, const char *key)
{
    char *body = harness_ctl (self, router, "status", NULL);
    if (!body)
        return -1;
    char *value = harness_body_value (body, key);
    long number = value ? strtol (value, NULL, 10) : -1;
    free (value);
    free (body);
    return number;
}

bool
harness_wait_status (harness_t *self, harness_proc_t *router, const char *key,
                     long value, int timeout_ms)
{
    int64_t deadline = harness_now () + timeout_ms;
    long number = -1;
    while (harness_now () < deadline) {
        number = harness_status_number (self, router, key);
        if (number == value)
            return true;
        harness_pause_ms (HARNESS_POLL_MS * 4);
    }
    fprintf (stderr, "harness: status %s=%ld, wanted %ld\n", key, number, value);
    return false;
}

