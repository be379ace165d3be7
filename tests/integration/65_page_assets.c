/*  =========================================================================
    65_page_assets.c - a real gateway serves web/ as it is in the tree

    With --http-listen, GET of "/" and of every file of web/ answers 200
    with the Content-Type of its extension, the strict Content-Security-
    Policy and nosniff, and a body that is the file byte for byte (so the
    binary holds the page it was built from). Everything index.html
    refers to is served, and index.html has no inline script or style
    (the policy would block them: default-src 'self'). A path that is
    not a file of web/ is 404.
    =========================================================================
*/
#include "harness.h"
#include <cmocka.h>
#include <dirent.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define PAGE_READ_SIZE      65536
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
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    assert_true (fd >= 0);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    assert_int_equal (connect (fd, (struct sockaddr *) &address, sizeof address), 0);
    char request [PAGE_PATH_MAX + 64];
    int length = snprintf (request, sizeof request,
                           "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n", path, port);
    assert_int_equal (send (fd, request, (size_t) length, MSG_NOSIGNAL), length);
    size_t size = 0, cap = PAGE_READ_SIZE;
    char *data = malloc (cap + 1);
    assert_non_null (data);
    int64_t deadline = harness_now () + HARNESS_TIMEOUT_MS;
    while (harness_now () < deadline) {
        struct pollfd wait = { .fd = fd, .events = POLLIN };
        if (poll (&wait, 1, (int) (deadline - harness_now ())) <= 0)
            break;
        if (size == cap) {
            cap *= 2;
            data = realloc (data, cap + 1);
            assert_non_null (data);
        }
        ssize_t got = recv (fd, data + size, cap - size, 0);
        if (got <= 0)
            break;
        size += (size_t) got;
    }
    close (fd);
    data [size] = 0;
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
    static char value [PAGE_READ_SIZE];
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

static char *
s_read_file (const char *name, size_t *size_p)
{
    char path [PAGE_PATH_MAX];
    snprintf (path, sizeof path, "%s/%s", WEB_SOURCE_DIR, name);
    FILE *file = fopen (path, "rb");
    assert_non_null (file);
    assert_int_equal (fseek (file, 0, SEEK_END), 0);
    long size = ftell (file);
    assert_true (size >= 0);
    rewind (file);
    char *data = malloc ((size_t) size + 1);
    assert_non_null (data);
    assert_int_equal (fread (data, 1, (size_t) size, file), (size_t) size);
    data [size] = 0;
    fclose (file);
    *size_p = (size_t) size;
    return data;
}

static const char *
s_type_of (const char *name)
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

//  GET path and check it is the file name of web/, as served.
static void
s_check_asset (int port, const char *path, const char *name)
{
    page_answer_t answer = s_get (port, path);
    if (answer.status != 200)
        fail_msg ("GET %s: %s", path, answer.head);
    const char *type = s_header (&answer, "Content-Type");
    assert_non_null (type);
    assert_string_equal (type, s_type_of (name));
    const char *policy = s_header (&answer, "Content-Security-Policy");
    assert_non_null (policy);
    assert_non_null (strstr (policy, "default-src 'self'"));
    const char *nosniff = s_header (&answer, "X-Content-Type-Options");
    assert_non_null (nosniff);
    assert_string_equal (nosniff, "nosniff");
    assert_non_null (s_header (&answer, "Cache-Control"));
    size_t size;
    char *file = s_read_file (name, &size);
    assert_int_equal (answer.body_size, size);
    assert_memory_equal (answer.body, file, size);
    free (file);
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
test_every_file_served (void **state)
{
    int port = s_start (*state);
    s_check_asset (port, "/", "index.html");
    DIR *dir = opendir (WEB_SOURCE_DIR);
    assert_non_null (dir);
    size_t files = 0;
    struct dirent *entry;
    while ((entry = readdir (dir))) {
        if (entry->d_name [0] == '.')
            continue;
        char path [PAGE_PATH_MAX];
        snprintf (path, sizeof path, "/%s", entry->d_name);
        s_check_asset (port, path, entry->d_name);
        files++;
    }
    closedir (dir);
    assert_true (files >= 3);       //  index.html, style.css, app.js
}

//  Every src= and href= of index.html that names a path on this server
//  is served (a rename in web/ that index.html missed fails here).
static void
test_page_references_served (void **state)
{
    int port = s_start (*state);
    size_t size;
    char *page = s_read_file ("index.html", &size);
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
    size_t size;
    char *page = s_read_file ("index.html", &size);
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
        cmocka_unit_test_setup_teardown (test_every_file_served, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_page_references_served, harness_setup,
                                         harness_teardown),
        cmocka_unit_test (test_no_inline_code),
        cmocka_unit_test_setup_teardown (test_other_paths_not_found, harness_setup,
                                         harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
