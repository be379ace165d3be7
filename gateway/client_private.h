/*  =========================================================================
    client_private.h - what client.c and client_set.c share, and nobody else

    client.c is one connection (input, output, closing); client_set.c is
    the set that owns them all (the idle, closing, pending-write, held and
    reap lists, the ticks and the end-of-pass hook). Both see the two
    structs; the functions below cross between them. The public API is
    client.h.
    =========================================================================
*/
#ifndef CLIENT_PRIVATE_H_INCLUDED
#define CLIENT_PRIVATE_H_INCLUDED

#include "client.h"
#include "telnet.h"
#include "linebuf.h"
#include "outbuf.h"
#include "slab.h"
#include "admission.h"
#include "transport.h"

#define CLIENT_READ_SIZE        (16 * 1024) //  shared scratch buffer for reads
#define CLIENT_NOTICE_MAX       128         //  longest notice we format
#define CLIENT_TRANSPORTS_MAX   6           //  transports counted apart (tcp, tls, ws, ws json)

//  A peer's address, IPv4 or IPv6, as accept sees it (family AF_UNSPEC
//  when unknown or not logged).
typedef union {
    struct sockaddr any;
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
} client_address_t;

struct _client_t {
    client_set_t *set;          //  the set that owns this client
    void *owner_data;           //  the owner's session, or NULL
    uint64_t id;                //  unique within the process
    int fd;                     //  the socket, -1 once closed
    const transport_ops_t *transport;   //  how its bytes are carried (transport.h)
    void *transport_state;      //  the transport's, or NULL
    telnet_t telnet;            //  telnet filter state
    uint8_t reason;             //  client_close_reason_t, once closing
    bool closing : 1;           //  client_close was called
    bool notified : 1;          //  on_closed was called
    bool paused : 1;            //  the owner paused input
    bool parsing : 1;           //  inside linebuf (no re-entry)
    bool peer_eof : 1;          //  read returned 0
    bool fin_sent : 1;          //  shutdown (SHUT_WR) done
    bool want_write : 1;        //  waiting for the loop's writability
    bool in_pending : 1;        //  on the pending-write list
    bool in_reap : 1;           //  on the reap list
    bool in_held : 1;           //  on the held list
    bool read_ready : 1;        //  its transport holds input: read at the end of the pass
    bool out_dead : 1;          //  the peer cannot receive: output dropped
    bool unwatched : 1;         //  out of the loop: hung up while not reading
    bool in_stuck : 1;          //  on the stuck list
    bool ending : 1;            //  peer closed: on the ending list until the owner is done
    bool dropping : 1;          //  input past hold_max is being dropped (told once)
    bool skip_line : 1;         //  drop input up to the next LF (its line was dropped)
    uint32_t held_scanned;      //  bytes of held input already shown to on_held_line
    bool warned : 1;            //  told it will be closed idle: on the warned list
    int flood_timer;            //  throttled: the timer that brings a token, or 0
    flood_t flood;              //  its token bucket over lines
    admission_entry_t *admission;   //  its address's count (admission.h), or NULL
    linebuf_t input;            //  partial or held input
    outbuf_t output;            //  output queue
    uint32_t shared_offset;     //  queued shared lines in the set's pass buffer,
    uint32_t shared_size;       //  only while output is empty (size 0: none)
    uint64_t skipped;           //  lines skipped since the last lag notice
    size_t kernel_queued;       //  the kernel's send queue at the last short send
    int64_t last_active;        //  ms of the last complete line (or accept)
    int64_t stuck_since;        //  ms of the first skip while full, or 0
    int64_t deadline;           //  closing or ending: ms when we stop waiting
    uint64_t bytes_in;          //  bytes read from the socket
    uint64_t bytes_out;         //  bytes sent to it
    client_address_t peer;      //  for the connect and close log lines
    client_t *prev;             //  idle or warned list (open), ending or closing list
    client_t *next;             //  idle or warned list (open), ending or closing list
    client_t *pending_next;     //  pending-write list
    client_t *reap_next;        //  reap list
    client_t *held_next;        //  held list
    client_t *stuck_prev;       //  stuck list (oldest stuck_since first)
    client_t *stuck_next;       //  stuck list
};

typedef struct {
    client_t *head;             //  first client
    client_t *tail;             //  last client
} client_list_t;

struct _client_set_t {
    loop_t *loop;               //  our event loop
    client_limits_t limits;     //  copy of the limits
    client_events_t events;     //  copy of the owner's callbacks
    void *owner;                //  the owner, for callbacks
    char *scratch;              //  CLIENT_READ_SIZE bytes for reads
    size_t size;                //  clients not yet freed
    uint64_t next_id;           //  last id handed out
    client_list_t idle;              //  open clients, least recently active first
    client_list_t warned;            //  open clients warned of the idle close, same order
    client_list_t closing;           //  closing clients with an open fd
    client_list_t ending;            //  open clients whose peer closed, oldest first
    client_list_t pending;           //  clients with output to flush (pending_next)
    client_list_t held;              //  clients holding a refused line (held_next)
    client_list_t stuck;             //  open clients with stuck_since set, oldest first
    client_t *reap;             //  clients to notify or free (reap_next)
    size_t held_dead;           //  dead clients only the held list still links
    int tick_timer;             //  idle and linger checks
    uint64_t flushed_pass;      //  loop pass whose flush has run (+1: none)
    outbuf_pool_t *outbufs;     //  memory of the output queues
    char *shared;               //  the pass buffer: lines shared this pass
    uint32_t shared_used;       //  bytes in it
    uint32_t shared_capacity;   //  bytes allocated
    uint32_t shared_peak;       //  most used in a pass since the last keep check
    slab_t *slab;               //  memory of the clients themselves
    int keep_timer;             //  gives back queues that stayed empty
    admission_t *admission;     //  per-address caps (borrowed), or NULL
    struct {
        const transport_ops_t *transport;   //  a transport in use, or NULL
        size_t size;                //  its clients not yet freed
    } transports [CLIENT_TRANSPORTS_MAX];
};

//  --- client_set.c: the lists a client moves between ------------------------

//  Append client to / remove it from a doubly linked list (prev/next).
void
    client_list_append (client_list_t *list, client_t *client);
void
    client_list_remove (client_list_t *list, client_t *client);

//  A complete line: the client is active, move it to the idle list's tail.
void
    client_set_touch (client_t *client);

//  Take an open client off the idle or warned list (it starts closing).
void
    client_set_unlink_open (client_t *client);

//  Put client on the pending-write list (flushed at the end of the pass),
//  the reap list (owner told, dead client freed) or the held list (offered
//  its held line again by client_set_resume). Each is idempotent.
void
    client_set_pending_add (client_t *client);
void
    client_set_reap_add (client_t *client);
void
    client_set_held_add (client_t *client);

//  A full queue refused a line (stuck_since set): the tick closes client
//  once it stays so for the stuck timeout. Removed when the queue drains
//  or the client closes. Both idempotent.
void
    client_set_stuck_add (client_t *client);
void
    client_set_stuck_remove (client_t *client);

//  --- client_input.c: one connection's input ----------------------------------

//  True when the socket is to be read now (see client_input.c).
bool
    client_can_read (client_t *self);

//  Ask the loop for what the client waits for now: readability (unless
//  its input is held or throttled: then only the peer's FIN), writability
//  when the kernel was full. Brings an unwatched socket back.
void
    client_update_interest (client_t *self);

//  --- client.c: one connection's output and closing ----------------------------

//  The peer cannot receive any more: drop our output, keep its input.
void
    client_peer_gone (client_t *self);

//  The peer closed its side: onto the ending list (or closed at once).
void
    client_peer_closed (client_t *self);

//  The loop's handler for a client's socket (arg is the client).
void
    client_on_io (loop_t *loop, int fd, int events, void *arg);

//  Send what is queued; when drained, tell of skipped lines, or send FIN
//  when closing.
void
    client_flush (client_t *self);

//  Close the socket now (reading away unread input first), free the
//  output queue, and put the client on the reap list.
void
    client_finish (client_t *self);

//  Queue a notice that must not be lost (lag, idle): over the cap too.
void
    client_notice (client_t *self, const char *text, size_t size);

//  Offer the held line (and what follows it) to the owner again.
void
    client_resume_input (client_t *self);

//  Drop the output queue and its memory.
void
    client_output_free (client_t *self);

//  Copy the client's shared lines into its own queue: the pass buffer is
//  about to be reused.
void
    client_unshare (client_t *self);

//  Read input its transport already holds (transport.h pending), as if
//  the socket were readable; called at the end of the pass.
void
    client_read_pending (client_t *self);

//  Start the telnet filter of a new client and, if the limits say so,
//  queue the BINARY offer (telnet.h says why) before any other output.
void
    client_telnet_start (client_t *self);

//  Log "client: connected id=N addr=HOST:PORT" (info; addr only with
//  log_addresses, which also makes it read the peer's address).
void
    client_log_connected (client_t *self);

#endif
