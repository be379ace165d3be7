/*  =========================================================================
    harness_client.c - TCP clients of a gateway

    A client keeps every byte it receives (raw) and every line (the log);
    expect functions consume lines from the log without losing the others,
    so a test can later assert that something was never received. Reads
    and writes never block past a deadline. See harness.h for the API.
    =========================================================================
*/
#ifndef _GNU_SOURCE
#   define _GNU_SOURCE
#endif

#include "harness_private.h"

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define HARNESS_READ_CHUNK      65536   //  bytes read from a socket at once
#define HARNESS_PEND_SHOW       20      //  pending lines shown when an expect fails
#define HARNESS_TELNET_IAC      0xFF
#define HARNESS_TELNET_WILL     0xFB
#define HARNESS_TELNET_DONT     0xFE
#define HARNESS_TELNET_CMD_SIZE 3       //  IAC, verb, option

typedef struct {
    char *text;                     //  line without its end
    bool consumed;                  //  taken by an expect
} s_line_t;

struct _harness_client_t {
    harness_t *harness;             //  owner
    int fd;                         //  -1 once closed
    char nick [HARNESS_NAME_MAX];   //  from the welcome line
    char *partial;                  //  bytes of the line being received
    size_t partial_size;
    size_t partial_cap;
    char *raw;                      //  every byte received
    size_t raw_size;
    size_t raw_cap;
    s_line_t *lines;                //  every line received
    size_t line_count;
    size_t line_cap;
    size_t first_pending;           //  no pending line before this index
    size_t bad_endings;             //  lines that did not end with CRLF
    bool eof;                       //  peer closed
    int error;                      //  errno of a failed read, or 0
    void *tls;                      //  its TLS connection (harness_tls.c), or NULL
    char tls_subject [HARNESS_PATH_MAX];    //  of the certificate it was shown
    char tls_serial [HARNESS_PATH_MAX];
    bool tls_notified;              //  its EOF came with a close_notify
};

harness_client_t *
harness_connect_port (harness_t *self, int port)
{
    assert_true (self->client_count < HARNESS_CLIENTS_MAX);
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true (fd >= 0);
    struct sockaddr_in address = { .sin_family = AF_INET };
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    address.sin_port = htons ((uint16_t) port);
    if (connect (fd, (struct sockaddr *) &address, sizeof address)) {
        fprintf (stderr, "harness: connect to port %d: %s\n", port, strerror (errno));
        close (fd);
        return NULL;
    }
    //  Each write leaves at once, so a test can split a sequence in two
    int enable = 1;
    setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &enable, sizeof enable);
    return harness_client_adopt (self, fd);
}

harness_client_t *
harness_client_adopt (harness_t *self, int fd)
{
    assert_true (self->client_count < HARNESS_CLIENTS_MAX);
    fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) | O_NONBLOCK);
    harness_client_t *client = calloc (1, sizeof (harness_client_t));
    assert_non_null (client);
    client->harness = self;
    client->fd = fd;
    self->clients [self->client_count++] = client;
    return client;
}

harness_client_t *
harness_connect (harness_t *self, harness_proc_t *gateway)
{
    assert_non_null (gateway);
    return harness_connect_port (self, harness_gateway_port (gateway));
}

harness_client_t *
harness_connect_tls (harness_t *self, harness_proc_t *gateway)
{
    assert_non_null (gateway);
    assert_true (harness_gateway_tls_port (gateway) > 0);
    harness_client_t *client = harness_connect_port (self, harness_gateway_tls_port (gateway));
    if (!client)
        return NULL;
    client->tls = harness_tls_open (self, client->fd);
    if (!client->tls)
        return NULL;
    harness_tls_describe (client->tls, client->tls_subject, client->tls_serial);
    return client;
}

const char *
harness_client_tls_subject (harness_client_t *client)
{
    return client->tls_subject;
}

const char *
harness_client_tls_serial (harness_client_t *client)
{
    return client->tls_serial;
}

bool
harness_client_tls_notified (harness_client_t *client)
{
    return client->tls_notified;
}

int
harness_client_fd (harness_client_t *client)
{
    return client->fd;
}

const char *
harness_client_nick (harness_client_t *client)
{
    return client->nick;
}

static void
s_grow (char **buffer, size_t *cap, size_t needed)
{
    if (needed <= *cap)
        return;
    size_t new_cap = *cap ? *cap : 4096;
    while (new_cap < needed)
        new_cap *= 2;
    *buffer = realloc (*buffer, new_cap);
    assert_non_null (*buffer);
    *cap = new_cap;
}

//  A complete line (partial buffer up to its LF): drop telnet commands
//  (the gateway's WONT/DONT answers arrive between lines), the CRLF, and
//  log it.
static void
s_add_line (harness_client_t *client)
{
    char *text = malloc (client->partial_size + 1);
    assert_non_null (text);
    size_t size = 0;
    for (size_t index = 0; index < client->partial_size; index++) {
        unsigned char byte = (unsigned char) client->partial [index];
        if (byte == HARNESS_TELNET_IAC && index + 2 < client->partial_size
        &&  (unsigned char) client->partial [index + 1] >= HARNESS_TELNET_WILL
        &&  (unsigned char) client->partial [index + 1] <= HARNESS_TELNET_DONT) {
            index += HARNESS_TELNET_CMD_SIZE - 1;
            continue;
        }
        text [size++] = (char) byte;
    }
    //  size counts the LF
    size--;
    if (size > 0 && text [size - 1] == '\r')
        size--;
    else
        client->bad_endings++;
    text [size] = 0;
    if (client->line_count == client->line_cap) {
        client->line_cap = client->line_cap ? client->line_cap * 2 : 64;
        client->lines = realloc (client->lines, client->line_cap * sizeof (s_line_t));
        assert_non_null (client->lines);
    }
    client->lines [client->line_count++] = (s_line_t) { text, false };
    client->partial_size = 0;
}

static void
s_take_bytes (harness_client_t *client, const char *data, size_t size)
{
    s_grow (&client->raw, &client->raw_cap, client->raw_size + size);
    memcpy (client->raw + client->raw_size, data, size);
    client->raw_size += size;
    while (size > 0) {
        const char *end = memchr (data, '\n', size);
        size_t take = end ? (size_t) (end - data) + 1 : size;
        s_grow (&client->partial, &client->partial_cap, client->partial_size + take);
        memcpy (client->partial + client->partial_size, data, take);
        client->partial_size += take;
        if (end)
            s_add_line (client);
        data += take;
        size -= take;
    }
}

ssize_t
harness_read_some (harness_client_t *client, int timeout_ms)
{
    if (client->fd < 0 || client->eof || client->error)
        return -1;
    struct pollfd item = { client->fd, POLLIN, 0 };
    int ready = poll (&item, 1, timeout_ms < 0 ? 0 : timeout_ms);
    if (ready <= 0)
        return 0;
    char buffer [HARNESS_READ_CHUNK];
    ssize_t total = 0;
    while (true) {
        ssize_t got = client->tls
                    ? harness_tls_read (client->tls, buffer, sizeof buffer, &client->tls_notified)
                    : read (client->fd, buffer, sizeof buffer);
        if (got > 0) {
            s_take_bytes (client, buffer, (size_t) got);
            total += got;
            continue;
        }
        if (got == 0)
            client->eof = true;
        else
        if (errno != EAGAIN && errno != EINTR)
            client->error = errno;
        break;
    }
    if (total == 0 && (client->eof || client->error))
        return -1;
    return total;
}

static int
s_remaining (int64_t deadline)
{
    int64_t left = deadline - harness_now ();
    return left > 0 ? (int) left : 0;
}

//  Show what is pending, after an expect failed.
static void
s_show_pending (harness_client_t *client, const char *wanted)
{
    fprintf (stderr, "harness: client %s did not get '%s'%s; pending lines:\n",
             client->nick [0] ? client->nick : "(no nick)", wanted,
             client->eof ? " (connection closed)" : client->error ? " (read error)" : "");
    size_t shown = 0;
    for (size_t index = client->first_pending; index < client->line_count; index++)
        if (!client->lines [index].consumed && shown++ < HARNESS_PEND_SHOW)
            fprintf (stderr, "    '%s'\n", client->lines [index].text);
}

//  Find and consume the first pending line that matches, reading until
//  the deadline. exact: whole line; else substring; NULL: any line.
static const char *
s_expect (harness_client_t *client, const char *wanted, bool exact, int timeout_ms)
{
    int64_t deadline = harness_now () + timeout_ms;
    size_t scanned = client->first_pending;
    while (true) {
        for (size_t index = scanned; index < client->line_count; index++) {
            s_line_t *line = &client->lines [index];
            if (line->consumed)
                continue;
            if (!wanted
            ||  (exact ? strcmp (line->text, wanted) == 0 : strstr (line->text, wanted) != NULL)) {
                line->consumed = true;
                while (client->first_pending < client->line_count
                    && client->lines [client->first_pending].consumed)
                    client->first_pending++;
                return line->text;
            }
        }
        scanned = client->line_count;
        int left = s_remaining (deadline);
        if (left == 0 || harness_read_some (client, left) < 0) {
            s_show_pending (client, wanted ? wanted : "(any line)");
            return NULL;
        }
    }
}

const char *
harness_expect (harness_client_t *client, const char *line, int timeout_ms)
{
    return s_expect (client, line, true, timeout_ms);
}

const char *
harness_expect_sub (harness_client_t *client, const char *text, int timeout_ms)
{
    return s_expect (client, text, false, timeout_ms);
}

const char *
harness_next_line (harness_client_t *client, int timeout_ms)
{
    return s_expect (client, NULL, false, timeout_ms);
}

bool
harness_expect_block (harness_client_t *client, const char **lines, size_t count,
                      int timeout_ms)
{
    int64_t deadline = harness_now () + timeout_ms;
    const char *first = s_expect (client, lines [0], true, timeout_ms);
    if (!first)
        return false;
    size_t start = 0;
    while (client->lines [start].text != first)
        start++;
    for (size_t offset = 1; offset < count; offset++) {
        while (start + offset >= client->line_count)
            if (s_remaining (deadline) == 0
            ||  harness_read_some (client, s_remaining (deadline)) < 0) {
                fprintf (stderr, "harness: no line after '%s' (wanted '%s')\n",
                         client->lines [start + offset - 1].text, lines [offset]);
                return false;
            }
        s_line_t *line = &client->lines [start + offset];
        if (line->consumed || strcmp (line->text, lines [offset]) != 0) {
            fprintf (stderr, "harness: after '%s' came '%s', wanted '%s'\n",
                     client->lines [start + offset - 1].text, line->text, lines [offset]);
            return false;
        }
        line->consumed = true;
    }
    while (client->first_pending < client->line_count
        && client->lines [client->first_pending].consumed)
        client->first_pending++;
    return true;
}

void
harness_clear (harness_client_t *client)
{
    harness_read_some (client, 0);
    for (size_t index = client->first_pending; index < client->line_count; index++)
        client->lines [index].consumed = true;
    client->first_pending = client->line_count;
}

int
harness_received_count (harness_client_t *client, const char *text)
{
    harness_read_some (client, 0);
    int count = 0;
    for (size_t index = 0; index < client->line_count; index++)
        if (strstr (client->lines [index].text, text))
            count++;
    return count;
}

int
harness_received_prefix (harness_client_t *client, const char *prefix)
{
    harness_read_some (client, 0);
    int count = 0;
    for (size_t index = 0; index < client->line_count; index++)
        if (strncmp (client->lines [index].text, prefix, strlen (prefix)) == 0)
            count++;
    return count;
}

int
harness_pending_count (harness_client_t *client, const char *text)
{
    harness_read_some (client, 0);
    int count = 0;
    for (size_t index = client->first_pending; index < client->line_count; index++)
        if (!client->lines [index].consumed && strstr (client->lines [index].text, text))
            count++;
    return count;
}

int
harness_received_exact (harness_client_t *client, const char *line)
{
    harness_read_some (client, 0);
    int count = 0;
    for (size_t index = 0; index < client->line_count; index++)
        if (strcmp (client->lines [index].text, line) == 0)
            count++;
    return count;
}

const char *
harness_line_at (harness_client_t *client, size_t index)
{
    return index < client->line_count ? client->lines [index].text : NULL;
}

long
harness_line_index (harness_client_t *client, const char *line)
{
    harness_read_some (client, 0);
    for (size_t index = 0; index < client->line_count; index++)
        if (strcmp (client->lines [index].text, line) == 0)
            return (long) index;
    return -1;
}

size_t
harness_line_count (harness_client_t *client)
{
    return client->line_count;
}

size_t
harness_bad_endings (harness_client_t *client)
{
    return client->bad_endings;
}

bool
harness_expect_bytes (harness_client_t *client, const void *bytes, size_t size,
                      int timeout_ms)
{
    int64_t deadline = harness_now () + timeout_ms;
    while (true) {
        if (client->raw_size >= size
        &&  memmem (client->raw, client->raw_size, bytes, size))
            return true;
        int left = s_remaining (deadline);
        if (left == 0 || harness_read_some (client, left) < 0)
            return false;
    }
}

const char *
harness_client_raw (harness_client_t *client, size_t *size_p)
{
    *size_p = client->raw_size;
    return client->raw;
}

harness_end_t
harness_read_to_end (harness_client_t *client, int timeout_ms)
{
    int64_t deadline = harness_now () + timeout_ms;
    while (!client->eof && !client->error) {
        int left = s_remaining (deadline);
        if (left == 0)
            return HARNESS_OPEN;
        harness_read_some (client, left);
    }
    //  Close our side too, as telnet does: a server lingering for our
    //  EOF after its FIN need not wait
    harness_client_close (client);
    return client->eof ? HARNESS_EOF : HARNESS_RESET;
}

ssize_t
harness_write_some (harness_client_t *client, const void *data, size_t size)
{
    ssize_t sent = client->tls
                 ? harness_tls_write (client->tls, data, size)
                 : send (client->fd, data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent < 0)
        return errno == EAGAIN || errno == EINTR ? 0 : -1;
    return sent;
}

int
harness_send_raw (harness_client_t *client, const void *data, size_t size)
{
    int64_t deadline = harness_now () + HARNESS_TIMEOUT_MS;
    const char *bytes = data;
    while (size > 0) {
        ssize_t sent = harness_write_some (client, bytes, size);
        if (sent < 0)
            return -1;
        bytes += sent;
        size -= (size_t) sent;
        if (size > 0) {
            int left = s_remaining (deadline);
            if (left == 0)
                return -1;
            struct pollfd item = { client->fd, POLLOUT, 0 };
            poll (&item, 1, left);
        }
    }
    return 0;
}

int
harness_send (harness_client_t *client, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *line = NULL;
    int size = vasprintf (&line, format, args);
    va_end (args);
    if (size < 0)
        return -1;
    int rc = harness_send_raw (client, line, (size_t) size);
    if (rc == 0)
        rc = harness_send_raw (client, "\r\n", 2);
    free (line);
    return rc;
}

harness_client_t *
harness_welcome (harness_client_t *client)
{
    if (!client)
        return NULL;
    const char *welcome = harness_expect_sub (client, "* Welcome to zchat, ",
                                              HARNESS_TIMEOUT_MS);
    if (!welcome)
        return NULL;
    const char *nick = welcome + strlen ("* Welcome to zchat, ");
    size_t length = strcspn (nick, "!");
    if (length == 0 || length >= sizeof client->nick)
        return NULL;
    memcpy (client->nick, nick, length);
    client->nick [length] = 0;
    char line [HARNESS_PATH_MAX];
    harness_format (line, sizeof line, "* Welcome to zchat, %s! You are in #general.",
              client->nick);
    if (strcmp (welcome, line) != 0) {
        fprintf (stderr, "harness: bad welcome line '%s'\n", welcome);
        return NULL;
    }
    if (!harness_expect (client, "* Commands: /join <room>, /nick <name>, /rooms, "
                         "/who, /msg <nick> <text>, /me <action>, /help, /quit",
                         HARNESS_TIMEOUT_MS))
        return NULL;
    harness_format (line, sizeof line, "* %s joined #general", client->nick);
    if (!harness_expect (client, line, HARNESS_TIMEOUT_MS))
        return NULL;
    return client;
}

harness_client_t *
harness_login (harness_t *self, harness_proc_t *gateway)
{
    return harness_welcome (harness_connect (self, gateway));
}

harness_client_t *
harness_login_tls (harness_t *self, harness_proc_t *gateway)
{
    return harness_welcome (harness_connect_tls (self, gateway));
}

bool
harness_set_nick (harness_client_t *client, const char *nick)
{
    char line [HARNESS_PATH_MAX];
    harness_format (line, sizeof line, "* %s is now known as %s", client->nick, nick);
    if (harness_send (client, "/nick %s", nick)
    ||  !harness_expect (client, line, HARNESS_TIMEOUT_MS))
        return false;
    harness_format (client->nick, sizeof client->nick, "%s", nick);
    return true;
}

bool
harness_join (harness_client_t *client, const char *room)
{
    char line [HARNESS_PATH_MAX];
    harness_format (line, sizeof line, "* %s joined #%s", client->nick, room);
    return harness_send (client, "/join %s", room) == 0
        && harness_expect (client, line, HARNESS_TIMEOUT_MS) != NULL;
}

void
harness_client_reset (harness_client_t *client)
{
    if (client->fd < 0)
        return;
    if (client->tls)
        harness_tls_close (client->tls, false);
    client->tls = NULL;
    struct linger linger = { 1, 0 };
    setsockopt (client->fd, SOL_SOCKET, SO_LINGER, &linger, sizeof linger);
    close (client->fd);
    client->fd = -1;
}

void
harness_client_close (harness_client_t *client)
{
    if (client->fd < 0)
        return;
    if (client->tls)
        harness_tls_close (client->tls, !client->eof && !client->error);
    client->tls = NULL;
    close (client->fd);
    client->fd = -1;
}

bool
harness_marker (harness_client_t *sender, const char *room,
                harness_client_t **receivers, size_t count)
{
    static int marker_sequence = 0;
    char marker [HARNESS_NAME_MAX];
    harness_format (marker, sizeof marker, "marker-%d-%lld", ++marker_sequence,
              (long long) harness_now ());
    if (harness_send (sender, "%s", marker))
        return false;
    char line [HARNESS_PATH_MAX];
    harness_format (line, sizeof line, "[%s] %s: %s", room, sender->nick, marker);
    for (size_t index = 0; index < count; index++)
        if (!harness_expect (receivers [index], line, HARNESS_TIMEOUT_MS))
            return false;
    return true;
}

void
harness_client_destroy (harness_client_t **client_p)
{
    harness_client_t *client = *client_p;
    if (!client)
        return;
    harness_client_close (client);
    for (size_t index = 0; index < client->line_count; index++)
        free (client->lines [index].text);
    free (client->lines);
    free (client->partial);
    free (client->raw);
    free (client);
    *client_p = NULL;
}
