/*  =========================================================================
    http.h - one HTTP/1.1 request head, parsed as its bytes arrive

    The one HTTP parser of both tiers: whatever a process serves over
    HTTP (the browser page, the WebSocket upgrade, /metrics) reads the
    request through it. It never blocks and never trusts the peer:
    bytes are fed as they are read, in any pieces, and the parser keeps
    its place between calls (like nginx's request-line parser, the state
    lives in the object). The head is held in a buffer of at most
    limits.head_max bytes, allocated at the first byte and freed by
    http_request_reset, so a finished request costs nothing.

    What is accepted (RFC 9112, the parts a small server needs):
      request line   METHOD SP origin-form-target SP HTTP/1.0|HTTP/1.1
      header lines   token ":" OWS value OWS, value without control
                     characters other than HTAB
      line ends      CRLF, or a bare LF (RFC 9112 §2.2 allows it)
      the end        an empty line; bytes after it are not consumed
    Obsolete line folding, a missing colon, a space before the colon, a
    NUL anywhere, a target that is not a path, or too many or too long
    lines fail with a status for the reply (400, 414, 431, 505). A
    request body is the caller's to refuse (http_request_has_body).
    =========================================================================
*/
#ifndef HTTP_H_INCLUDED
#define HTTP_H_INCLUDED

#include "chat.h"

#define HTTP_HEAD_MAX           8192    //  bytes of request line + headers
#define HTTP_HEADERS_MAX        64      //  header lines
#define HTTP_TARGET_MAX         1024    //  bytes of the request target

//  Statuses the servers answer with (http_status_text names them).
#define HTTP_SWITCHING_PROTOCOLS    101
#define HTTP_OK                     200
#define HTTP_BAD_REQUEST            400
#define HTTP_FORBIDDEN              403
#define HTTP_NOT_FOUND              404
#define HTTP_METHOD_NOT_ALLOWED     405
#define HTTP_REQUEST_TIMEOUT        408
#define HTTP_CONTENT_TOO_LARGE      413
#define HTTP_UPGRADE_REQUIRED       426
#define HTTP_INTERNAL_ERROR         500

typedef enum {
    HTTP_MORE = 0,              //  every byte taken; the head is not complete
    HTTP_DONE,                  //  the head is complete (see consumed)
    HTTP_ERROR                  //  malformed or over a limit: reply with
                                //  http_request_status () and close
} http_result_t;

typedef struct {
    size_t head_max;            //  bytes of the whole head at most
    size_t headers_max;         //  header lines at most
    size_t target_max;          //  bytes of the request target at most
} http_limits_t;

typedef struct _http_request_t http_request_t;

//  The default limits above.
void
    http_limits_defaults (http_limits_t *limits);

//  Create a parser waiting for a request; limits are copied. Never NULL.
http_request_t *
    http_request_new (const http_limits_t *limits);

//  Destroy the parser; NULL-safe, sets *self_p NULL.
void
    http_request_destroy (http_request_t **self_p);

//  Forget the request (and free its buffer); ready for the next one.
void
    http_request_reset (http_request_t *self);

//  Feed size bytes just read. Returns HTTP_MORE (all taken), HTTP_DONE
//  (*consumed_p bytes of data ended the head; the rest belongs to
//  whatever comes after it, e.g. WebSocket frames) or HTTP_ERROR. After
//  DONE or ERROR, further feeds return the same result and take nothing
//  until http_request_reset.
http_result_t
    http_request_feed (http_request_t *self, const char *data, size_t size,
                       size_t *consumed_p);

//  The status to answer an error with (400, 414, 431, 505); 0 when
//  there is no error.
int
    http_request_status (http_request_t *self);

//  After HTTP_DONE: the method ("GET"), the path (the target up to '?'),
//  the query (after '?', "" if none) and the minor version (0 or 1).
//  Borrowed until reset.
const char *
    http_request_method (http_request_t *self);
const char *
    http_request_path (http_request_t *self);
const char *
    http_request_query (http_request_t *self);
int
    http_request_minor_version (http_request_t *self);

//  The value of the first header named name (case-insensitive), without
//  surrounding white space, or NULL. Borrowed until reset.
const char *
    http_request_header (http_request_t *self, const char *name);

//  Number of header lines, and the name and value of the one at index.
size_t
    http_request_header_count (http_request_t *self);
const char *
    http_request_header_name (http_request_t *self, size_t index);
const char *
    http_request_header_value (http_request_t *self, size_t index);

//  True if the request says a body follows (Content-Length other than 0,
//  or any Transfer-Encoding).
bool
    http_request_has_body (http_request_t *self);

//  True if the comma-separated header value holds token, compared
//  case-insensitively ("keep-alive, Upgrade" has "upgrade").
bool
    http_has_token (const char *value, const char *token);

//  The reason phrase of a status ("Not Found"); "Unknown" if unknown.
const char *
    http_status_text (int status);

//  A whole response with a body: status line, Content-Type (may be
//  NULL), Content-Length, Connection: close, extra header lines (may be
//  NULL; each ending in CRLF), an empty line, then size bytes of body.
//  Returns a new buffer for the caller to free, its size in *size_p.
char *
    http_response_new (int status, const char *content_type, const char *extra,
                       const void *body, size_t size, size_t *size_p);

#endif
