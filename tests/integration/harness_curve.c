/*  =========================================================================
    harness_curve.c - CURVE key pairs and allow directories for a test

    Keys are made the way an operator makes them, with zchat-ctl keygen,
    in the harness directory; the allow directories are subdirectories
    there. A key is allowed by copying its public file in, refused by
    removing it. See harness.h for the API.
    =========================================================================
*/
#ifndef _GNU_SOURCE
#   define _GNU_SOURCE
#endif

#include "harness_private.h"

#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HARNESS_CURVE_ROUTER    "router"
#define HARNESS_CURVE_OPERATOR  "operator"

//  Fill flags with (flag, path) pairs; paths are formatted from the
//  harness directory and a file name.
static void
s_flags (harness_t *self, harness_flags_t *flags, const char **names, const char **files,
         size_t count)
{
    assert_true (count <= HARNESS_CURVE_FILES);
    size_t argc = 0;
    for (size_t index = 0; index < count; index++) {
        harness_format (flags->files [index], sizeof flags->files [index], "%s/%s",
                        self->dir, files [index]);
        flags->argv [argc++] = names [index];
        flags->argv [argc++] = flags->files [index];
    }
    flags->argv [argc] = NULL;
}

const char **
harness_join_flags (const char **into, const char **first, const char **second)
{
    size_t count = 0;
    const char **lists [] = { first, second };
    for (size_t list = 0; list < 2; list++)
        for (size_t index = 0; lists [list] && lists [list][index]; index++) {
            assert_true (count < HARNESS_FLAGS_MAX - 1);
            into [count++] = lists [list][index];
        }
    into [count] = NULL;
    return into;
}

void
harness_curve_client_flags (harness_t *self, const char *name, harness_flags_t *flags)
{
    char secret [HARNESS_NAME_MAX * 2];
    harness_format (secret, sizeof secret, "%s_secret", name);
    const char *names [] = { "--curve-secret", "--curve-server" };
    const char *files [] = { secret, HARNESS_CURVE_ROUTER };
    s_flags (self, flags, names, files, 2);
}

bool
harness_curve_allow (harness_t *self, const char *name, const char *directory, bool allowed)
{
    char source [HARNESS_PATH_MAX], target [HARNESS_PATH_MAX];
    harness_format (source, sizeof source, "%s/%s", self->dir, name);
    harness_format (target, sizeof target, "%s/%s/%s", self->dir, directory, name);
    if (!allowed)
        return unlink (target) == 0;
    char *text = harness_slurp (source);
    FILE *file = fopen (target, "w");
    bool written = file && *text && fputs (text, file) >= 0;
    if (file && fclose (file))
        written = false;
    free (text);
    if (!written)
        fprintf (stderr, "harness: cannot write %s: %s\n", target, strerror (errno));
    return written;
}

bool
harness_curve_router (harness_t *self, harness_flags_t *flags)
{
    const char *directories [] = { HARNESS_CURVE_GATEWAYS, HARNESS_CURVE_OPERATORS };
    for (size_t index = 0; index < 2; index++) {
        char path [HARNESS_PATH_MAX];
        harness_format (path, sizeof path, "%s/%s", self->dir, directories [index]);
        if (mkdir (path, 0700)) {
            fprintf (stderr, "harness: cannot make %s: %s\n", path, strerror (errno));
            return false;
        }
    }
    if (harness_keygen (self, HARNESS_CURVE_ROUTER)
    ||  harness_keygen (self, HARNESS_CURVE_OPERATOR)
    ||  !harness_curve_allow (self, HARNESS_CURVE_OPERATOR, HARNESS_CURVE_OPERATORS, true))
        return false;
    const char *names [] = { "--curve-secret", "--curve-allow", "--control-allow" };
    const char *files [] = {
        HARNESS_CURVE_ROUTER "_secret", HARNESS_CURVE_GATEWAYS, HARNESS_CURVE_OPERATORS
    };
    s_flags (self, flags, names, files, 3);
    harness_curve_client_flags (self, HARNESS_CURVE_OPERATOR, &self->operator_flags);
    harness_ctl_flags (self, self->operator_flags.argv);
    return true;
}

bool
harness_curve_gateway (harness_t *self, const char *name, bool allowed,
                       harness_flags_t *flags)
{
    if (harness_keygen (self, name))
        return false;
    if (allowed && !harness_curve_allow (self, name, HARNESS_CURVE_GATEWAYS, true))
        return false;
    harness_curve_client_flags (self, name, flags);
    return true;
}
