/*  =========================================================================
    test_web_assets.c - the embedded page is web/, byte for byte

    Every file of web/ (WEB_SOURCE_DIR, set by the Makefile) must be found
    at "/" + its name with the Content-Type its extension calls for and
    exactly the file's bytes; "/" is index.html; anything else is absent.
    =========================================================================
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "web_assets.h"

#define TEST_PATH_MAX 512

//  The whole of a file, malloc'd; *size_p its length.
static unsigned char *
s_read_file (const char *path, size_t *size_p)
{
    FILE *file = fopen (path, "rb");
    assert_non_null (file);
    assert_int_equal (fseek (file, 0, SEEK_END), 0);
    long size = ftell (file);
    assert_true (size >= 0);
    rewind (file);
    unsigned char *data = malloc ((size_t) size + 1);
    assert_non_null (data);
    assert_int_equal (fread (data, 1, (size_t) size, file), (size_t) size);
    fclose (file);
    *size_p = (size_t) size;
    return data;
}

static const char *
s_expected_type (const char *name)
{
    const char *dot = strrchr (name, '.');
    assert_non_null (dot);
    if (strcmp (dot, ".html") == 0)
        return "text/html; charset=utf-8";
    if (strcmp (dot, ".css") == 0)
        return "text/css; charset=utf-8";
    if (strcmp (dot, ".js") == 0)
        return "text/javascript; charset=utf-8";
    fail_msg ("no expected type for %s", name);
    return NULL;
}

static void
test_every_file_embedded (void **state)
{
    (void) state;
    DIR *dir = opendir (WEB_SOURCE_DIR);
    assert_non_null (dir);
    size_t files = 0;
    struct dirent *entry;
    while ((entry = readdir (dir))) {
        if (entry->d_name [0] == '.')
            continue;
        char path [TEST_PATH_MAX];
        snprintf (path, sizeof (path), "%s/%s", WEB_SOURCE_DIR, entry->d_name);
        char url [TEST_PATH_MAX];
        snprintf (url, sizeof (url), "/%s", entry->d_name);
        const web_asset_t *asset = web_asset_find (url);
        assert_non_null (asset);
        assert_string_equal (asset->path, url);
        assert_string_equal (asset->content_type, s_expected_type (entry->d_name));
        size_t size;
        unsigned char *data = s_read_file (path, &size);
        assert_int_equal (asset->size, size);
        assert_memory_equal (asset->data, data, size);
        free (data);
        files++;
    }
    closedir (dir);
    assert_int_equal (files, web_asset_table_size);
}

static void
test_the_page_files (void **state)
{
    (void) state;
    //  The page needs these three; a rename must update index.html too
    assert_non_null (web_asset_find ("/index.html"));
    assert_non_null (web_asset_find ("/style.css"));
    assert_non_null (web_asset_find ("/app.js"));
    assert_ptr_equal (web_asset_find ("/"), web_asset_find ("/index.html"));
}

static void
test_other_paths_absent (void **state)
{
    (void) state;
    assert_null (web_asset_find (NULL));
    assert_null (web_asset_find (""));
    assert_null (web_asset_find ("index.html"));
    assert_null (web_asset_find ("//index.html"));
    assert_null (web_asset_find ("/../Makefile"));
    assert_null (web_asset_find ("/index.html?x=1"));
    assert_null (web_asset_find ("/INDEX.HTML"));
    assert_null (web_asset_find ("/ws"));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_every_file_embedded),
        cmocka_unit_test (test_the_page_files),
        cmocka_unit_test (test_other_paths_absent),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
