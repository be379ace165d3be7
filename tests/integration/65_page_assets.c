/*  =========================================================================
    65_page_assets.c - a real gateway serves web/ as it is in the tree

    With --http-listen, GET of "/" and of every embedded asset answers
    200 with the asset's Content-Type, the strict Content-Security-Policy
    and nosniff, and a body that is the asset byte for byte. The test
    links the same generated table (test_web_assets holds that table to
    the files of web/). Everything index.html refers to is served, and
    index.html has no inline script or style (the policy would block
    them: default-src 'self'). Any other path is 404.
    =========================================================================
*/
#include "harness.h"
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "web_assets.h"

#define PAGE_HEADER_MAX     4096
#define PAGE_PATH_MAX       512
#define PAGE_REFS_MAX       16
#define PAGE_HEAD_END       "\r\n\r\n"

typedef struct {
    int status;
    char *head;                 //  status line and headers, terminated
    const char *body;           //  inside head's allocation
    size_t body_size;
} page_answer_t;

static void
s_answer_free (page_answer_t *answer)
{
    free (answer->head);
    answer->head = NULL;
}

//  One GET on a fresh connection (the gateway closes after each answer).
static page_answer_t
s_get (int port, const char *path)
{
    char request [PAGE_PATH_MAX + 64];
    snprintf (request, sizeof request,
              "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n", path, port);
    size_t size;
    char *data = harness_http_exchange (port, request, &size);
    assert_non_null (data);
    page_answer_t answer = { .head = data };
    char *end = strstr (data, PAGE_HEAD_END);
    assert_non_null (end);
    *end = 0;
    answer.body = end + strlen (PAGE_HEAD_END);
    answer.body_size = size - (size_t) (answer.body - data);
    assert_int_equal (sscanf (data, "HTTP/1.1 %d", &answer.status), 1);
    return answer;
}

//  The value of a header (case-insensitive name), or NULL; in a static
//  buffer.
static const char *
s_header (const page_answer_t *answer, const char *name)
{
    static char value [PAGE_HEADER_MAX];
    const char *line = strstr (answer->head, "\r\n");
    size_t name_size = strlen (name);
    while (line) {
        line += 2;
        if (strncasecmp (line, name, name_size) == 0 && line [name_size] == ':') {
            const char *start = line + name_size + 1;
            while (*start == ' ')
                start++;
            const char *stop = strstr (start, "\r\n");
            size_t size = stop ? (size_t) (stop - start) : strlen (start);
            assert_true (size < sizeof value);
            memcpy (value, start, size);
            value [size] = 0;
            return value;
        }
        line = strstr (line, "\r\n");
    }
    return NULL;
}

//  index.html as embedded, NUL-terminated (caller frees)
static char *
s_index_page (void)
{
    const web_asset_t *asset = web_asset_find ("/index.html");
    assert_non_null (asset);
    char *page = malloc (asset->size + 1);
    assert_non_null (page);
    memcpy (page, asset->data, asset->size);
    page [asset->size] = 0;
    return page;
}

//  GET path and check it is the asset, as served.
static void
s_check_asset (int port, const char *path, const web_asset_t *asset)
{
    page_answer_t answer = s_get (port, path);
    if (answer.status != 200)
        fail_msg ("GET %s: %s", path, answer.head);
    const char *type = s_header (&answer, "Content-Type");
    assert_non_null (type);
    assert_string_equal (type, asset->content_type);
    const char *policy = s_header (&answer, "Content-Security-Policy");
    assert_non_null (policy);
    assert_non_null (strstr (policy, "default-src 'self'"));
    const char *nosniff = s_header (&answer, "X-Content-Type-Options");
    assert_non_null (nosniff);
    assert_string_equal (nosniff, "nosniff");
    assert_non_null (s_header (&answer, "Cache-Control"));
    assert_int_equal (answer.body_size, asset->size);
    assert_memory_equal (answer.body, asset->data, asset->size);
    s_answer_free (&answer);
}

static int
s_start (harness_t *harness)
{
    int port = harness_fixed_port ();
    char listen [HARNESS_ENDPOINT_MAX];
    snprintf (listen, sizeof listen, "127.0.0.1:%d", port);
    const char *extra [] = { "--http-listen", listen, NULL };
    harness_proc_t *gateway;
    assert_non_null (harness_start_system (harness, NULL, &gateway, 1, extra));
    return port;
}

static void
test_every_asset_served (void **state)
{
    int port = s_start (*state);
    s_check_asset (port, "/", web_asset_find ("/index.html"));
    assert_true (web_asset_table_size >= 3);    //  index.html, style.css, app.js
    for (size_t index = 0; index < web_asset_table_size; index++)
        s_check_asset (port, web_asset_table [index].path, &web_asset_table [index]);
}

//  Every src= and href= of index.html that names a path on this server
//  is served (a rename in web/ that index.html missed fails here).
static void
test_page_references_served (void **state)
{
    int port = s_start (*state);
    char *page = s_index_page ();
    size_t refs = 0;
    for (const char *at = page; (at = strpbrk (at, "sh")); at++) {
        const char *value = NULL;
        if (strncmp (at, "src=\"", 5) == 0)
            value = at + 5;
        else if (strncmp (at, "href=\"", 6) == 0)
            value = at + 6;
        if (!value || *value != '/')
            continue;               //  data: and the like are not fetched here
        const char *stop = strchr (value, '"');
        assert_non_null (stop);
        char path [PAGE_PATH_MAX];
        assert_true ((size_t) (stop - value) < sizeof path);
        memcpy (path, value, (size_t) (stop - value));
        path [stop - value] = 0;
        page_answer_t answer = s_get (port, path);
        if (answer.status != 200)
            fail_msg ("index.html refers to %s: %d", path, answer.status);
        s_answer_free (&answer);
        refs++;
    }
    assert_true (refs >= 2);        //  the stylesheet and the script
    free (page);
}

//  default-src 'self' blocks inline scripts, inline styles and event
//  handler attributes: the page must have none, or it would not work.
static void
test_no_inline_code (void **state)
{
    (void) state;
    char *page = s_index_page ();
    for (const char *at = page; (at = strstr (at, "<script")); at++) {
        const char *close = strchr (at, '>');
        assert_non_null (close);
        const char *src = strstr (at, " src=");
        assert_true (src && src < close);
        assert_memory_equal (close + 1, "</script>", strlen ("</script>"));
    }
    assert_null (strstr (page, "<style"));
    assert_null (strstr (page, " style="));
    assert_null (strstr (page, " onclick="));
    assert_null (strstr (page, " onload="));
    assert_null (strstr (page, "javascript:"));
    free (page);
}

static void
test_other_paths_not_found (void **state)
{
    int port = s_start (*state);
    static const char *paths [] = {
        "/nothing.js", "/../Makefile", "/index.html/", "/INDEX.HTML", "/web/app.js", NULL
    };
    for (size_t index = 0; paths [index]; index++) {
        page_answer_t answer = s_get (port, paths [index]);
        if (answer.status != 404)
            fail_msg ("GET %s: %s", paths [index], answer.head);
        s_answer_free (&answer);
    }
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_every_asset_served, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_page_references_served, harness_setup,
                                         harness_teardown),
        cmocka_unit_test (test_no_inline_code),
        cmocka_unit_test_setup_teardown (test_other_paths_not_found, harness_setup,
                                         harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
