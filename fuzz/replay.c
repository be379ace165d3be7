/*  =========================================================================
    replay.c - run kept fuzz inputs through a target, in the normal tests

    Linked with one fuzz target instead of libFuzzer: every file named on
    the command line, or found in a directory named there, is one input
    and one test. A target that aborts fails the run (the harness sees a
    non-zero exit and no summary). The summary is cmocka's, so
    scripts/run-tests.sh counts the inputs beside the unit tests.
    =========================================================================
*/
#include "fuzz.h"
#include <dirent.h>
#include <sys/stat.h>

#define REPLAY_INPUT_MAX    (1024 * 1024)   //  bytes; kept inputs are small

static size_t s_replayed;

static void
s_replay_file (const char *path)
{
    FILE *file = fopen (path, "rb");
    if (!file) {
        fprintf (stderr, "replay: cannot open %s: %s\n", path, strerror (errno));
        exit (1);
    }
    uint8_t *data = (uint8_t *) malloc (REPLAY_INPUT_MAX);
    assert (data);
    size_t size = fread (data, 1, REPLAY_INPUT_MAX, file);
    fclose (file);
    LLVMFuzzerTestOneInput (data, size);
    free (data);
    s_replayed++;
}

//  A file is one input; a directory's files are inputs (not recursive).
static void
s_replay_path (const char *path)
{
    struct stat status;
    if (stat (path, &status) == -1)
        return;             //  a target with no regressions yet has no folder
    if (!S_ISDIR (status.st_mode)) {
        s_replay_file (path);
        return;
    }
    DIR *directory = opendir (path);
    assert (directory);
    struct dirent *entry;
    while ((entry = readdir (directory)))
        if (entry->d_name [0] != '.') {
            char *child = zsys_sprintf ("%s/%s", path, entry->d_name);
            s_replay_path (child);
            zstr_free (&child);
        }
    closedir (directory);
}

int
main (int argc, char **argv)
{
    zsys_init ();
    for (int index = 1; index < argc; index++)
        s_replay_path (argv [index]);
    if (s_replayed == 0) {
        fprintf (stderr, "replay: %s found no input\n", argv [0]);
        return 1;
    }
    printf ("[==========] %zu test(s) run.\n[  PASSED  ] %zu test(s).\n", s_replayed, s_replayed);
    zsys_shutdown ();
    return 0;
}
