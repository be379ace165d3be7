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
#include <limits.h>
#include <sys/wait.h>

//  Run zchat-ctl with argv words after the program name; wait for it.
//  Returns the finished process (the caller forgets it).
static harness_proc_t *
s_ctl_run (harness_t *self, const char **fixed, const char **extra, int *exit_code_p)
{
    const char *argv [HARNESS_ARGS_MAX];
    harness_argv (argv, "zchat-ctl", fixed, extra);
    harness_proc_t *proc = harness_spawn (self, "ctl", "zchat-ctl", argv);
    proc->expect_clean = false;
    int status = harness_proc_wait (proc, HARNESS_TIMEOUT_MS * 2);
    int exit_code = status != -1 && WIFEXITED (status) ? WEXITSTATUS (status) : -1;
    if (exit_code_p)
        *exit_code_p = exit_code;
    return proc;
}

char *
harness_ctl_with (harness_t *self, harness_proc_t *router, const char **flags,
                  const char *verb, int *exit_code_p, char **log_p)
{
    const char *fixed [HARNESS_ARGS_MAX];
    size_t count = 0;
    fixed [count++] = "--control";
    fixed [count++] = router->control;
    for (size_t index = 0; flags && flags [index]; index++) {
        assert_true (count < HARNESS_ARGS_MAX - 2);
        fixed [count++] = flags [index];
    }
    fixed [count++] = verb;
    fixed [count] = NULL;
    int exit_code;
    harness_proc_t *proc = s_ctl_run (self, fixed, NULL, &exit_code);
    if (exit_code_p)
        *exit_code_p = exit_code;
    if (log_p)
        *log_p = harness_slurp (proc->log_path);
    char *output = exit_code == 0 ? harness_slurp (proc->out_path) : NULL;
    harness_forget (self, proc);
    return output;
}

void
harness_ctl_flags (harness_t *self, const char **flags)
{
    self->ctl_flags = flags;
}

char *
harness_ctl (harness_t *self, harness_proc_t *router, const char *verb, int *exit_code_p)
{
    char *log = NULL;
    int exit_code;
    char *output = harness_ctl_with (self, router, self->ctl_flags, verb, &exit_code, &log);
    if (exit_code_p)
        *exit_code_p = exit_code;
    if (exit_code != 0)
        fprintf (stderr, "harness: zchat-ctl %s failed (%d)\n%s", verb, exit_code, log);
    free (log);
    return output;
}

int
harness_keygen (harness_t *self, const char *name)
{
    const char *fixed [] = { "keygen", name, NULL };
    self->child_cwd = self->dir;
    int exit_code;
    harness_proc_t *proc = s_ctl_run (self, fixed, NULL, &exit_code);
    self->child_cwd = NULL;
    if (exit_code != 0) {
        fprintf (stderr, "harness: zchat-ctl keygen %s failed (%d)\n", name, exit_code);
        harness_proc_dump (proc);
    }
    harness_forget (self, proc);
    return exit_code;
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

