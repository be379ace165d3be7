/*  =========================================================================
    ws_handshake.c - is this HTTP request a WebSocket upgrade we accept?

    Order of the checks: the request must be an upgrade at all (426 for a
    plain GET of /ws, as RFC 6455 section 4.2.2 suggests), then well
    formed (400), then speak version 13 (426 with the version we speak),
    and last come from an allowed page (403): a refused Origin is the one
    refusal worth counting on its own, an attack rather than a bug.
    =========================================================================
*/
#include "ws_handshake.h"
#include <openssl/sha.h>
#include <openssl/evp.h>

#define WS_GUID             "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_HTTP_SCHEME      "http://"
#define WS_HTTPS_SCHEME     "https://"
#define WS_ORIGIN_MAX       512             //  "http://" + a Host we compare with
#define WS_BASE64_CHARS     "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
#define WS_KEY_PADDING      "=="            //  16 bytes end in two pad characters

static int
s_refuse (ws_handshake_t *result, int status, const char *reason)
{
    result->status = status;
    result->reason = reason;
    return status;
}

//  True if some header named name holds token in its list.
static bool
s_header_has (http_request_t *request, const char *name, const char *token)
{
    size_t count = http_request_header_count (request);
    for (size_t index = 0; index < count; index++)
        if (strcasecmp (http_request_header_name (request, index), name) == 0
        &&  http_has_token (http_request_header_value (request, index), token))
            return true;
    return false;
}

//  16 bytes in base64: 22 characters of the alphabet, then "==".
static bool
s_key_valid (const char *key)
{
    size_t data = WS_KEY_SIZE - strlen (WS_KEY_PADDING);
    if (!key || strlen (key) != WS_KEY_SIZE || !streq (key + data, WS_KEY_PADDING))
        return false;
    for (size_t index = 0; index < data; index++)
        if (!key [index] || !strchr (WS_BASE64_CHARS, key [index]))
            return false;
    return true;
}

bool
ws_handshake_origin_listed (const char *list, const char *origin)
{
    assert (origin);
    size_t size = strlen (origin);
    while (list && *list) {
        while (*list == ',' || *list == ' ')
            list++;
        const char *end = list;
        while (*end && *end != ',')
            end++;
        const char *last = end;
        while (last > list && last [-1] == ' ')
            last--;
        if ((size_t) (last - list) == size && strncasecmp (list, origin, size) == 0)
            return true;
        list = end;
    }
    return false;
}

static bool
s_origin_allowed (http_request_t *request, const char *origins, bool secure)
{
    const char *origin = http_request_header (request, "Origin");
    if (!origin)
        return true;                    //  not a browser
    if (origins && streq (origins, WS_ORIGIN_ANY))
        return true;
    if (origins && *origins)
        return ws_handshake_origin_listed (origins, origin);
    //  The page's own origin: the scheme we serve and the Host it asked
    const char *host = http_request_header (request, "Host");
    if (!host || !*host)
        return false;
    char own [WS_ORIGIN_MAX];
    int size = snprintf (own, sizeof (own), "%s%s", secure? WS_HTTPS_SCHEME: WS_HTTP_SCHEME, host);
    return size > 0 && (size_t) size < sizeof (own) && strcasecmp (own, origin) == 0;
}

void
ws_handshake_accept (const char *key, char *accept)
{
    assert (key);
    assert (accept);
    char input [WS_KEY_SIZE + sizeof (WS_GUID)];
    int size = snprintf (input, sizeof (input), "%.*s%s", WS_KEY_SIZE, key, WS_GUID);
    unsigned char digest [SHA_DIGEST_LENGTH];
    SHA1 ((const unsigned char *) input, (size_t) size, digest);
    EVP_EncodeBlock ((unsigned char *) accept, digest, SHA_DIGEST_LENGTH);
    accept [WS_ACCEPT_SIZE] = 0;
}

int
ws_handshake_check (http_request_t *request, const char *origins, bool secure,
                    ws_handshake_t *result)
{
    assert (request);
    assert (result);
    memset (result, 0, sizeof (*result));
    if (!s_header_has (request, "Upgrade", "websocket"))
        return s_refuse (result, HTTP_UPGRADE_REQUIRED, "not-upgrade");
    if (http_request_minor_version (request) < 1
    ||  !s_header_has (request, "Connection", "upgrade"))
        return s_refuse (result, HTTP_BAD_REQUEST, "bad-upgrade");
    const char *version = http_request_header (request, "Sec-WebSocket-Version");
    if (!version || !streq (version, WS_VERSION))
        return s_refuse (result, HTTP_UPGRADE_REQUIRED, "version");
    const char *key = http_request_header (request, "Sec-WebSocket-Key");
    if (!s_key_valid (key))
        return s_refuse (result, HTTP_BAD_REQUEST, "key");
    if (!s_origin_allowed (request, origins, secure))
        return s_refuse (result, HTTP_FORBIDDEN, "origin");
    result->json = s_header_has (request, "Sec-WebSocket-Protocol", WS_PROTOCOL_JSON);
    ws_handshake_accept (key, result->accept);
    result->status = HTTP_SWITCHING_PROTOCOLS;
    result->reason = "upgrade";
    return HTTP_SWITCHING_PROTOCOLS;
}
