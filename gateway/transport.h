/*  =========================================================================
    transport.h - the byte stream under a client: plain TCP, TLS, WebSocket

    client.c reads a client's input and writes its output through one
    transport_ops_t, so the session logic never knows how a client is
    connected. A transport turns the socket's bytes into the client's
    input stream (telnet lines, CRLF or LF ended) and the client's output
    stream (whole CRLF-ended lines) into the socket's bytes: TLS records,
    WebSocket frames, or the same bytes (transport_tcp). Each call is
    non-blocking and returns at once; a transport that needs the socket
    to become readable or writable to go on says so through interest and
    events below, and the client's epoll registration follows.

    Transports stack: the WebSocket one does its socket I/O through a
    lower transport (plain or TLS), so wss is WebSocket over TLS.

    Handshakes (TLS, the HTTP upgrade) happen before a socket becomes a
    client, in the listener's stage (listener.h); a client gets a
    transport that is ready to carry data.

    Errors follow read(2) and send(2): -1 with errno EAGAIN when nothing
    can be done now, another errno when the connection is broken.
    =========================================================================
*/
#ifndef TRANSPORT_H_INCLUDED
#define TRANSPORT_H_INCLUDED

#include "chat.h"

//  Properties of a transport (transport_ops_t.flags).
#define TRANSPORT_TELNET    1   //  the input may carry telnet commands (filtered)
#define TRANSPORT_OFFER     2   //  the client may be offered telnet options
#define TRANSPORT_JSON      4   //  the client reads JSON events (format.h), not lines

typedef struct {
    //  Short lowercase name for logs and metric labels ("tcp", "tls", "ws").
    const char *name;
    unsigned flags;

    //  Up to size bytes of the client's input into buffer: > 0 bytes,
    //  0 at the peer's orderly close, or -1 (errno).
    ssize_t (*read) (void *state, int fd, void *buffer, size_t size);

    //  Take up to size bytes of output (data holds whole lines, or the
    //  rest of one the last call took in part): returns how many were
    //  taken (> 0), or -1 (errno). Fewer than size means the socket is
    //  full: call again with the rest when it is writable. A transport
    //  may take bytes it could not send yet (unsent says how many).
    ssize_t (*write) (void *state, int fd, const void *data, size_t size);

    //  Bytes taken by write but not yet handed to the kernel; they are
    //  pushed by write (state, fd, NULL, 0). NULL: always 0.
    size_t (*unsent) (void *state);

    //  All output is sent: close the write side cleanly (TLS close_notify,
    //  WebSocket close frame with a code for reason, then FIN). Returns 0
    //  when done, or -1 (errno EAGAIN: call again when writable).
    //  reason is a client_close_reason_t.
    int (*shutdown) (void *state, int fd, int reason);

    //  Input the transport already holds, readable without the socket
    //  becoming readable (OpenSSL's SSL_pending, a decoded frame): while
    //  it is not 0 and the client reads, read is called again. NULL: 0.
    size_t (*pending) (void *state);

    //  The epoll interest (LOOP_* bits) to ask for when the client wants
    //  interest: e.g. TLS whose read waits for the socket to be writable.
    //  NULL: the same.
    int (*interest) (void *state, int interest);

    //  The loop's events on the socket as the client should see them:
    //  writable is "readable" to a TLS read that waited for it. NULL: the same.
    int (*events) (void *state, int events);

    //  Free the state (the client closes the socket itself). NULL: nothing.
    void (*destroy) (void *state);
} transport_ops_t;

//  Plain TCP: the socket's bytes as they are; state is NULL.
extern const transport_ops_t transport_tcp;

#endif
