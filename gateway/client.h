/*  =========================================================================
    client.h - one client connection: bytes in, lines out, bounded output

    A client_t owns one accepted socket: the telnet filter, the line
    assembler, the bounded output queue, the idle and stuck clocks and the
    close state. It knows nothing of nicknames, rooms or ZeroMQ: it hands
    complete, validated lines to its owner through client_events_t and
    takes output bytes from it. Its bytes go through a transport
    (transport.h: plain TCP, TLS, then WebSocket framing), so the session
    logic cannot tell how a client is connected.

    Input rules (docs/PROTOCOL.md): LF or CRLF ends a line; telnet IAC
    sequences are removed and refused; TAB becomes a space; lines over the
    maximum, with control characters, or not valid UTF-8 are answered with
    a "! ..." error line by this module and never reach the owner.

    Output: client_write appends whole lines. Writes are coalesced: the
    client is put on the pending list and flushed by client_flush_pending
    once per loop pass, one write() per client; EPOLLOUT is asked for only
    when the kernel buffer is full. Past the output cap, whole lines are
    skipped and counted; when the queue has drained the client gets one
    "! lagged: N messages skipped". A client stuck full for the stuck
    timeout, or idle (no complete line, an empty one counts) for the idle
    timeout, is closed; the idle one is warned first, saying how to stay.

    Flood control: each complete line costs a token of the client's
    bucket (flood.h). When it is empty the line is kept and the socket is
    no longer read until a token is there (a one-shot timer): the sender
    is slowed by TCP, nothing it sent is lost, its lines keep their order,
    and it is told once per episode ("! slow down: ..."). While paused,
    a throttled client's socket is read only while nothing is held.

    Held input: while the owner has paused a client (a request of its is
    in flight), its socket is still read, into a queue bounded by
    hold_max bytes; past that, whole lines are dropped (the client is told
    once per spell). So its EOF is seen at once, and each complete line
    is shown to on_held_line as it arrives (/quit acts at once). When the
    peer closes its side, the client stays open while the owner finishes
    (its held input, then on_eof says when nothing is in flight), for at
    most the linger time, and then closes: a /who sent just before the
    FIN gets its answer, and a client that queued a flood of commands
    and left does not linger past that bound.

    Lifetimes: clients are never freed inside a callback. client_close
    marks the client closing; it flushes what it can, shuts down the write
    side (FIN), and the client is freed at the end of the loop pass by
    client_reap, after on_closed has been called exactly once.
    =========================================================================
*/
#ifndef CLIENT_H_INCLUDED
#define CLIENT_H_INCLUDED

#include "chat.h"
#include "loop.h"
#include "flood.h"
#include "transport.h"

typedef struct _client_t client_t;
typedef struct _client_set_t client_set_t;

//  Why a client is closing; client_close_reason_text () names it.
typedef enum {
    CLIENT_CLOSE_QUIT,          //  /quit
    CLIENT_CLOSE_EOF,           //  peer closed its side
    CLIENT_CLOSE_ERROR,         //  read/write error (reset, ...)
    CLIENT_CLOSE_IDLE,          //  no line within the idle timeout
    CLIENT_CLOSE_STUCK,         //  output full past the stuck timeout
    CLIENT_CLOSE_DRAIN,         //  server draining (router shutdown)
    CLIENT_CLOSE_SHUTDOWN,      //  this gateway is shutting down alone
    CLIENT_CLOSE_REFUSED,       //  over the connection limit
    CLIENT_CLOSE_TIMEOUT        //  its login was never answered
} client_close_reason_t;

//  What the owner (the gateway's session layer) hears from clients.
typedef struct {
    //  A complete, validated line (UTF-8, no control characters, no line
    //  end; not NUL-terminated). Return 0 when consumed, or CLIENT_AGAIN
    //  when the owner cannot take it now (uplink full): the client keeps
    //  the line, stops reading its socket, and offers the same line again
    //  after client_resume.
    int (*on_line) (void *owner, client_t *client, const char *line, size_t size);
    //  The client is closing, for the given reason; called exactly once,
    //  before the client is freed. The owner drops every reference to it.
    //  Timing: never from inside client_close () itself, but from the reap
    //  hook at the end of the loop pass in which the client started closing
    //  (so an owner calling client_close from on_line is not re-entered).
    //  Between client_close and on_closed, client_write returns -1. Output
    //  written before client_close (e.g. "* Bye!") is still flushed after.
    //  client_set_destroy calls it for clients not yet told.
    void (*on_closed) (void *owner, client_t *client, client_close_reason_t reason);
    //  A new connection was accepted (optional, may be NULL): called from
    //  client_set_accept once the client is set up, before any on_line.
    //  The owner may write to it, set owner data, pause or close it.
    void (*on_opened) (void *owner, client_t *client);
    //  A complete line (not yet checked, no line end) arrived while the
    //  client's input is held (paused, or a line refused with
    //  CLIENT_AGAIN) (optional): return true if the owner acted on it
    //  at once (e.g. /quit, which closes the client), false to leave it
    //  queued, in order, for on_line after client_resume.
    bool (*on_held_line) (void *owner, client_t *client, const char *line, size_t size);
    //  The peer has closed its side and every line it sent has been
    //  offered (optional): return true to close now, false while the
    //  owner still waits for something (it calls client_check_eof when
    //  that is over). NULL closes at once.
    bool (*on_eof) (void *owner, client_t *client);
} client_events_t;

#define CLIENT_AGAIN 1

//  Limits, all settings (flags) of the gateway.
typedef struct {
    size_t max_line;            //  bytes per line (--max-line)
    size_t outbuf_max;          //  bytes queued per client, ours plus the kernel's
                                //  send queue (--outbuf-max)
    int64_t idle_timeout_ms;    //  0 = never (--idle-timeout)
    int64_t idle_warning_ms;    //  warn this long before the idle close, at most
                                //  half the idle timeout; 0 = no warning
    int64_t stuck_timeout_ms;   //  0 = never (--stuck-timeout)
    int64_t linger_ms;          //  after FIN, wait this long for the peer's EOF; after the
                                //  peer's FIN, wait this long for the owner to finish
    bool verbose;               //  per-client traces (debug): opened, closed
    bool telnet_offer;          //  ask for telnet BINARY at connect (not --no-telnet-offer)
    int sndbuf;                 //  SO_SNDBUF of each client socket, 0 = the
                                //  kernel's default (--sndbuf)
    size_t hold_max;            //  bytes of input queued while paused (--hold-max);
                                //  0 = a paused client is not read at all
    bool log_addresses;         //  the connect and close log lines name the
                                //  peer's address (--log-addresses)
    flood_limits_t flood;       //  lines per second and burst per client
                                //  (--rate-lines, --rate-burst); rate 0 = off
} client_limits_t;

//  The set of all clients of one gateway: owns them, the pending-write
//  list, the idle list (ordered by last activity), and the timers.
client_set_t *
    client_set_new (loop_t *loop, const client_limits_t *limits,
                    const client_events_t *events, void *owner);

//  Close every client at once (no flush) and free the set; on_closed is
//  called for clients not yet told. NULL-safe.
void
    client_set_destroy (client_set_t **self_p);

//  Take ownership of an accepted, non-blocking socket. Returns the new
//  client or NULL (fd closed) on failure.
client_t *
    client_set_accept (client_set_t *self, int fd);

//  The per-address caps the listener applies (admission.h), borrowed; it
//  must outlive the set. A client accepted with client_set_accept_admitted
//  gives its entry back when its socket closes.
typedef struct _admission_t admission_t;
typedef struct _admission_entry_t admission_entry_t;
void
    client_set_set_admission (client_set_t *self, admission_t *admission);
admission_t *
    client_set_admission (client_set_t *self);

//  client_set_accept for a socket admitted with entry (may be NULL): on
//  failure the entry is given back too. peer (may be NULL: the socket's
//  own) is the address the connect and close log lines name, e.g. the
//  one a PROXY header carried.
client_t *
    client_set_accept_admitted (client_set_t *self, int fd, admission_entry_t *entry,
                                const struct sockaddr *peer);

//  client_set_accept_admitted for a socket carried by transport (its
//  state, owned from now on, freed with the client or on failure): TLS,
//  WebSocket (transport.h). Plain TCP is &transport_tcp with NULL state.
client_t *
    client_set_accept_transport (client_set_t *self, int fd, admission_entry_t *entry,
                                 const struct sockaddr *peer,
                                 const transport_ops_t *transport, void *transport_state);

//  The transport's name of a client ("tcp", "tls", "ws").
const char *
    client_transport_name (client_t *self);

//  The transport's flags (transport.h): TRANSPORT_JSON tells the output
//  form the client reads.
unsigned
    client_transport_flags (client_t *self);

//  The transport has output of its own to send (a WebSocket pong or
//  ping): flush the client in this pass even if nothing was written.
void
    client_wake_output (client_t *self);

//  Number of open (not yet reaped) clients, including closing ones that
//  still flush or linger for the peer's EOF.
size_t
    client_set_size (client_set_t *self);

//  Number of those carried by transport (&transport_tcp, ...): the
//  connected gauge by transport.
size_t
    client_set_transport_size (client_set_t *self, const transport_ops_t *transport);

//  Close every client with reason (e.g. drain): each gets its queued
//  output, then FIN. Use client_set_size () == 0 to know when all are gone.
void
    client_set_close_all (client_set_t *self, client_close_reason_t reason);

//  Offer held lines again to every client that got CLIENT_AGAIN (the
//  uplink has room again). Stops early if on_line says CLIENT_AGAIN again.
void
    client_set_resume (client_set_t *self);

//  Gateway-unique id of this client (never reused while the process runs).
uint64_t
    client_id (client_t *self);

//  Owner's per-client pointer (the session); NULL until set.
void *
    client_owner_data (client_t *self);
void
    client_set_owner_data (client_t *self, void *data);

//  Queue a whole line of output (the caller includes the CRLF). Returns 0,
//  or -1 if it was skipped because the output cap is reached (counted for
//  the lag notice) or the client is closing.
int
    client_write (client_t *self, const char *data, size_t size);

//  A line many clients get in this pass (a room's traffic): copied once
//  into the set's pass buffer, where it stays until the end-of-pass flush.
typedef struct {
    uint32_t offset;            //  in the pass buffer
    uint32_t size;              //  bytes, CRLF included
} client_shared_t;

//  Copy a whole line into the set's pass buffer for client_write_shared.
//  Returns 0, or -1 on no memory (the caller falls back to client_write).
int
    client_set_share (client_set_t *self, const char *data, size_t size,
                      client_shared_t *shared);

//  client_write of a shared line without copying it: while the client's
//  queue is empty, it only records where the line is (consecutive shared
//  lines make one range), and the flush sends straight from the pass
//  buffer; only what the kernel does not take is copied into the queue.
//  So a busy room costs one copy per line, not one per member. Returns
//  as client_write.
int
    client_write_shared (client_t *self, const client_shared_t *shared);

//  Start closing: no more input; queued output is flushed, then FIN.
//  Idempotent. on_closed is called with the first reason given.
void
    client_close (client_t *self, client_close_reason_t reason);

//  True once client_close was called (or the peer went away).
bool
    client_is_closing (client_t *self);

//  The owner may have finished what kept a client whose peer closed its
//  side open: ask on_eof again (when every line was offered), and close
//  it if it says so. A no-op for any other client.
void
    client_check_eof (client_t *self);

//  Stop / start reading this client's socket (the owner's backpressure,
//  e.g. while its login is in flight).
void
    client_pause (client_t *self);
void
    client_resume (client_t *self);

//  Lines skipped for this client since its last lag notice.
uint64_t
    client_skipped (client_t *self);

//  Lowercase name of a close reason, for people and for the router
//  ("quit", "disconnected", "idle", ...).
const char *
    client_close_reason_text (client_close_reason_t reason);

//  The same reason as one word for the log's reason= ("quit", "eof",
//  "error", "idle", ...).
const char *
    client_close_reason_key (client_close_reason_t reason);

#endif
