/*  =========================================================================
    http.c - one HTTP/1.1 request head, parsed as its bytes arrive

    Two steps. Feeding copies bytes into the head buffer and watches for
    the empty line that ends the head, one byte at a time, keeping its
    state (are we at the start of a line, did that line start with CR)
    in the object, so a head split anywhere across reads is found the
    same. Once the end is in, the head is parsed in place in one pass:
    each line end becomes a NUL, and the method, target, header names
    and values are pointers into the buffer. Nothing is allocated per
    header beyond one array sized from the line count.
    =========================================================================
*/
#include "http.h"

#define HTTP_VERSION_NAME       "HTTP/"
#define HTTP_VERSION_DIGITS     3       //  "1.1" after the name
#define HTTP_STATUS_BAD         400
#define HTTP_STATUS_URI_LONG    414
#define HTTP_STATUS_HEAD_LARGE  431
#define HTTP_STATUS_VERSION     505

typedef struct {
    const char *name;
    const char *value;
} http_header_t;

struct _http_request_t {
    http_limits_t limits;           //  caps (copied)
    char *head;                     //  the head so far, NULL until the first byte
    size_t size;                    //  bytes in head
    bool line_start;                //  the last byte kept ended a line
    bool line_cr;                   //  the current line is a lone CR so far
    bool line_seen;                 //  a whole line is in (not just the request line's start)
    http_result_t result;           //  MORE until the head is complete or refused
    int status;                     //  why it was refused
    const char *method;             //  after DONE: pointers into head
    const char *path;
    const char *query;
    int minor_version;
    http_header_t *headers;         //  header_count entries
    size_t header_count;
};

void
http_limits_defaults (http_limits_t *limits)
{
    assert (limits);
    limits->head_max = HTTP_HEAD_MAX;
    limits->headers_max = HTTP_HEADERS_MAX;
    limits->target_max = HTTP_TARGET_MAX;
}

http_request_t *
http_request_new (const http_limits_t *limits)
{
    assert (limits);
    http_request_t *self = (http_request_t *) zmalloc (sizeof (http_request_t));
    assert (self);
    self->limits = *limits;
    http_request_reset (self);
    return self;
}

void
http_request_destroy (http_request_t **self_p)
{
    assert (self_p);
    http_request_t *self = *self_p;
    if (!self)
        return;
    http_request_reset (self);
    free (self);
    *self_p = NULL;
}

void
http_request_reset (http_request_t *self)
{
    assert (self);
    free (self->head);
    free (self->headers);
    http_limits_t limits = self->limits;
    memset (self, 0, sizeof (*self));
    self->limits = limits;
    self->line_start = true;
    self->result = HTTP_MORE;
}

static http_result_t
s_fail (http_request_t *self, int status)
{
    self->status = status;
    self->result = HTTP_ERROR;
    return HTTP_ERROR;
}

//  RFC 9110 tchar: the characters of a method or a header name.
static bool
s_is_token_char (unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || (c && strchr ("!#$%&'*+-.^_`|~", c));
}

static bool
s_is_space (char c)
{
    return c == ' ' || c == '\t';
}

//  Cut line at its first LF (CR before it dropped); returns the next line.
static char *
s_cut_line (char *line)
{
    char *end = strchr (line, '\n');
    assert (end);                   //  every line of a complete head has one
    *end = 0;
    if (end > line && end [-1] == '\r')
        end [-1] = 0;
    return end + 1;
}

//  "HTTP/1.0" or "HTTP/1.1"; another well-formed version is 505.
static int
s_parse_version (http_request_t *self, const char *version)
{
    //  "HTTP/" DIGIT "." DIGIT
    size_t prefix = strlen (HTTP_VERSION_NAME);
    const char *major = version + prefix;
    bool well_formed = strlen (version) == prefix + HTTP_VERSION_DIGITS
        && strncmp (version, HTTP_VERSION_NAME, prefix) == 0
        && isdigit ((unsigned char) major [0]) && major [1] == '.'
        && isdigit ((unsigned char) major [2]);
    if (!well_formed)
        return HTTP_STATUS_BAD;
    if (major [0] != '1' || (major [2] != '0' && major [2] != '1'))
        return HTTP_STATUS_VERSION;
    self->minor_version = major [2] - '0';
    return 0;
}

//  METHOD SP target SP HTTP/1.x; writes NULs into line.
static int
s_parse_request_line (http_request_t *self, char *line)
{
    char *space = line;
    while (s_is_token_char ((unsigned char) *space))
        space++;
    if (space == line || *space != ' ')
        return HTTP_STATUS_BAD;
    *space = 0;
    self->method = line;
    char *target = space + 1;
    char *second = strchr (target, ' ');
    if (!second)
        return HTTP_STATUS_BAD;
    *second = 0;
    int status = s_parse_version (self, second + 1);
    if (status)
        return status;
    if (strlen (target) > self->limits.target_max)
        return HTTP_STATUS_URI_LONG;
    if (*target != '/')
        return HTTP_STATUS_BAD;             //  origin-form only
    for (const char *c = target; *c; c++)
        if ((unsigned char) *c <= ' ' || (unsigned char) *c >= 0x7F)
            return HTTP_STATUS_BAD;
    char *question = strchr (target, '?');
    self->query = "";
    if (question) {
        *question = 0;
        self->query = question + 1;
    }
    self->path = target;
    return 0;
}

//  name ":" OWS value OWS; writes NULs into line.
static int
s_parse_header (http_header_t *header, char *line)
{
    if (s_is_space (*line))
        return HTTP_STATUS_BAD;             //  obsolete line folding
    char *colon = line;
    while (s_is_token_char ((unsigned char) *colon))
        colon++;
    if (colon == line || *colon != ':')
        return HTTP_STATUS_BAD;             //  no name, or a space before the colon
    *colon = 0;
    char *value = colon + 1;
    while (s_is_space (*value))
        value++;
    char *end = value + strlen (value);
    while (end > value && s_is_space (end [-1]))
        *--end = 0;
    for (const char *c = value; *c; c++)
        if (((unsigned char) *c < ' ' && *c != '\t') || *c == 0x7F)
            return HTTP_STATUS_BAD;
    header->name = line;
    header->value = value;
    return 0;
}

//  The whole head is in: parse it in place.
static http_result_t
s_parse_head (http_request_t *self)
{
    self->head [self->size] = 0;
    size_t lines = 0;
    for (size_t index = 0; index < self->size; index++)
        lines += self->head [index] == '\n';
    //  lines counts the request line and the empty line too
    if (lines - 2 > self->limits.headers_max)
        return s_fail (self, HTTP_STATUS_HEAD_LARGE);
    self->headers = (http_header_t *) zmalloc ((lines - 1) * sizeof (http_header_t));
    assert (self->headers);

    char *line = self->head;
    char *next = s_cut_line (line);
    int status = s_parse_request_line (self, line);
    //  Every line after the request line is a header, up to the empty one
    for (line = next; status == 0; line = next) {
        next = s_cut_line (line);
        if (*line == 0)
            break;
        status = s_parse_header (&self->headers [self->header_count], line);
        if (status == 0)
            self->header_count++;
    }
    if (status)
        return s_fail (self, status);
    self->result = HTTP_DONE;
    return HTTP_DONE;
}

//  Take one byte; true when it ended the head.
static bool
s_take (http_request_t *self, char byte)
{
    self->head [self->size++] = byte;
    if (byte == '\n') {
        bool empty = self->line_start || self->line_cr;
        self->line_start = true;
        self->line_cr = false;
        self->line_seen = true;
        return empty;
    }
    self->line_cr = self->line_start && byte == '\r';
    self->line_start = false;
    return false;
}

http_result_t
http_request_feed (http_request_t *self, const char *data, size_t size, size_t *consumed_p)
{
    assert (self);
    assert (data || size == 0);
    assert (consumed_p);
    *consumed_p = 0;
    if (self->result != HTTP_MORE)
        return self->result;
    if (!self->head && size > 0) {
        self->head = (char *) malloc (self->limits.head_max + 1);
        assert (self->head);
    }
    for (size_t index = 0; index < size; index++) {
        char byte = data [index];
        //  Empty lines before the request line are ignored (RFC 9112 §2.2)
        if (self->size == 0 && (byte == '\r' || byte == '\n')) {
            *consumed_p = index + 1;
            continue;
        }
        if (byte == 0)
            return s_fail (self, HTTP_STATUS_BAD);
        if (self->size == self->limits.head_max)
            return s_fail (self, self->line_seen? HTTP_STATUS_HEAD_LARGE: HTTP_STATUS_URI_LONG);
        if (s_take (self, byte)) {
            *consumed_p = index + 1;
            return s_parse_head (self);
        }
    }
    *consumed_p = size;
    return HTTP_MORE;
}

int
http_request_status (http_request_t *self)
{
    assert (self);
    return self->status;
}

const char *
http_request_method (http_request_t *self)
{
    assert (self);
    return self->method;
}

const char *
http_request_path (http_request_t *self)
{
    assert (self);
    return self->path;
}

const char *
http_request_query (http_request_t *self)
{
    assert (self);
    return self->query;
}

int
http_request_minor_version (http_request_t *self)
{
    assert (self);
    return self->minor_version;
}

const char *
http_request_header (http_request_t *self, const char *name)
{
    assert (self);
    assert (name);
    for (size_t index = 0; index < self->header_count; index++)
        if (strcasecmp (self->headers [index].name, name) == 0)
            return self->headers [index].value;
    return NULL;
}

size_t
http_request_header_count (http_request_t *self)
{
    assert (self);
    return self->header_count;
}

const char *
http_request_header_name (http_request_t *self, size_t index)
{
    assert (self);
    assert (index < self->header_count);
    return self->headers [index].name;
}

const char *
http_request_header_value (http_request_t *self, size_t index)
{
    assert (self);
    assert (index < self->header_count);
    return self->headers [index].value;
}

bool
http_request_has_body (http_request_t *self)
{
    assert (self);
    for (size_t index = 0; index < self->header_count; index++) {
        const http_header_t *header = &self->headers [index];
        if (strcasecmp (header->name, "Transfer-Encoding") == 0
        ||  (strcasecmp (header->name, "Content-Length") == 0 && !streq (header->value, "0")))
            return true;
    }
    return false;
}

bool
http_has_token (const char *value, const char *token)
{
    assert (token);
    size_t size = strlen (token);
    while (value && *value) {
        while (*value == ',' || s_is_space (*value))
            value++;
        const char *end = value;
        while (*end && *end != ',')
            end++;
        const char *last = end;
        while (last > value && s_is_space (last [-1]))
            last--;
        if ((size_t) (last - value) == size && strncasecmp (value, token, size) == 0)
            return true;
        value = end;
    }
    return false;
}

const char *
http_status_text (int status)
{
    switch (status) {
        case 101: return "Switching Protocols";
        case 200: return "OK";
        case 400: return "Bad Request";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 408: return "Request Timeout";
        case 413: return "Content Too Large";
        case 414: return "URI Too Long";
        case 426: return "Upgrade Required";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 503: return "Service Unavailable";
        case 505: return "HTTP Version Not Supported";
        default:  return "Unknown";
    }
}

char *
http_response_new (int status, const char *content_type, const char *extra,
                   const void *body, size_t size, size_t *size_p)
{
    assert (body || size == 0);
    assert (size_p);
    char *head = zsys_sprintf ("HTTP/1.1 %d %s\r\n%s%s%sContent-Length: %zu\r\n"
                               "Connection: close\r\n%s\r\n",
                               status, http_status_text (status),
                               content_type? "Content-Type: ": "",
                               content_type? content_type: "", content_type? "\r\n": "",
                               size, extra? extra: "");
    assert (head);
    size_t head_size = strlen (head);
    char *response = (char *) malloc (head_size + size);
    assert (response);
    memcpy (response, head, head_size);
    if (size)
        memcpy (response + head_size, body, size);
    zstr_free (&head);
    *size_p = head_size + size;
    return response;
}
