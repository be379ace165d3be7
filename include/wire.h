/*  =========================================================================
    wire.h - frames between gateway and router

    The one contract between the tiers. Every message that crosses a
    ZeroMQ socket between a gateway and the router is a wire_msg_t, and
    only common/wire.c turns one into frames or back. docs/PROTOCOL.md
    describes the same frames for people.

    Three channels carry wire messages:
      ingress   gateway DEALER -> router ROUTER    (requests, "uplink")
      ingress   router ROUTER  -> gateway DEALER   (replies to one gateway)
      publish   router PUB     -> gateway SUB      (room traffic, control)

    Every message starts with a verb frame (a short ASCII string), then
    the fields named by that verb's picture, in picture order. Published
    messages have one extra frame before the verb: the topic. A topic is
    the room name followed by WIRE_TOPIC_END, a byte no room name may
    contain, so a SUB subscription to "rust" + END can never match
    "rustacean". Control traffic (heartbeats, drain) is published on
    WIRE_TOPIC_CONTROL, which is not a valid room name.

    Field encodings:
      numbers   8 bytes, unsigned, big-endian
      strings   raw bytes, no terminator; length checked per field
      entries   one number frame N, then N pairs of (string, number)
    =========================================================================
*/
#ifndef WIRE_H_INCLUDED
#define WIRE_H_INCLUDED

#include "chat.h"

#define WIRE_TOPIC_END          '\n'    //  never valid in a room name
#define WIRE_TOPIC_CONTROL      "$ctl"  //  '$' is never valid in a room name
#define WIRE_TOPIC_MAX          (CHAT_ROOM_MAX + 2)
#define WIRE_GATEWAY_MAX        64      //  bytes in a gateway id
#define WIRE_TEXT_MAX           (CHAT_LINE_MAX * 2)  //  bytes in a text field
#define WIRE_ENTRIES_MAX        1000000 //  entries in a list reply

//  Message ids. The comment gives the picture: the fields, in order.
//  g=gateway c=client s=seq e=epoch r=room n=nick t=target x=text l=entries
//  m=limit (entries wanted at most, 0 = all) k=total (entries before the limit)
//  w=when (a history line's time: UTC, ms since 1970)
typedef enum {
    WIRE_INVALID = 0,
    //  Gateway -> router (ingress)
    WIRE_HELLO,         //  g x     register gateway id, x = display name; the id
                        //          is bound to the connection (routing id) it came on
    WIRE_HEARTBEAT,     //          gateway is alive
    WIRE_LOGIN,         //  c n r x new session; n may be "" (router picks a guest
                        //          nick); x = "" or "resync" (re-registration after
                        //          a router restart: no announcement)
    WIRE_LOGOUT,        //  c x     session ended, x = reason ("quit", "idle", ...)
    WIRE_JOIN,          //  c r     move session to room r
    WIRE_NICK,          //  c n     change nickname to n
    WIRE_SAY,           //  c x     chat line to the session's room
    WIRE_ACTION,        //  c x     /me line to the session's room
    WIRE_PRIVMSG,       //  c n x   private line to nickname n
    WIRE_ROOMS,         //  c m x   ask for the room list: the m biggest rooms whose
                        //          name contains x ("" = every room)
    WIRE_WHO,           //  c m     ask for the members of the session's room (the
                        //          first m by name)
    WIRE_PROBE,         //  r c     publish a PROBE on room r, c = token
    WIRE_HISTORY,       //  c s m   the m newest history lines of the session's room
                        //          with seq < s (s = 0: the newest); answered by
                        //          HISTORY_LINE/HISTORY_ACTION lines, then HISTORY_END
    WIRE_RECOVER,       //  r s m   the history lines of room r with seq s .. s+m-1
                        //          (a range this gateway missed), the oldest 1000;
                        //          answered with c = 0, then HISTORY_END "recover"
    WIRE_BYE,           //          gateway leaves: forget all its sessions now
    WIRE_DRAINED,       //          gateway finished draining, about to exit
    //  Router -> one gateway (ingress replies)
    WIRE_WELCOME,       //  e       HELLO accepted; e = router epoch
    WIRE_RESYNC,        //  e       router does not know you: HELLO + LOGIN all again
    WIRE_LOGGED_IN,     //  c n r   LOGIN accepted with nickname n, in room r
    WIRE_NICKED,        //  c n     session's nickname is now n
    WIRE_ERROR,         //  c x     request of session c failed, x = reason for people
    WIRE_ROOM_LIST,     //  c k x l entries: (room, member count), biggest first, of
                        //          the k rooms that matched filter x
    WIRE_WHO_LIST,      //  c r k l entries: (nickname, 0), by name, of the k members
                        //          of room r
    WIRE_PRIVATE,       //  c n x   deliver to session c a private line from n
    WIRE_PRIVATE_SENT,  //  c n x   private line to n was delivered
    WIRE_JOIN_REFUSED,  //  c r x   JOIN of session c to room r failed, x = reason
                        //          for people (ERROR answers every other request)
    WIRE_HELLO_REFUSED, //  x       HELLO refused: its id is registered by another
                        //          connection; x = reason. Register under a fresh id
    WIRE_HISTORY_LINE,  //  c r s w n x   one history chat line of room r for session
                        //          c: seq s, said at w by n (oldest first)
    WIRE_HISTORY_ACTION, // c r s w n x   the same, for a /me line
    WIRE_HISTORY_END,   //  c r s k x     end of k history lines for session c;
                        //          x = "join": the replay after a JOIN or LOGIN,
                        //          s = that JOINED's seq (live traffic starts
                        //          there); x = "page": a HISTORY answer, s = the
                        //          oldest seq sent (page back from it; 0 if none);
                        //          x = "recover" (c = 0): a RECOVER answer, s = the
                        //          last seq sent (0: none; ask again after it)
    //  Router -> every gateway (publish, room topic)
    WIRE_CHAT,          //  s g c n x   chat line by n (session g/c)
    WIRE_EMOTE,         //  s g c n x   /me line by n
    WIRE_JOINED,        //  s g c n k   n entered the room, which has k members now
    WIRE_LEFT,          //  s g c n x k n left the room, x = reason; k members
                        //              with n (gateways keep big rooms quiet)
    WIRE_RENAMED,       //  s g c n t   n is now known as t
    WIRE_NOTICE,        //  s x         server notice to the room
    WIRE_PROBED,        //  g c         answer to PROBE: subscription is live
    //  Router -> every gateway (publish, control topic)
    WIRE_BEAT,          //  e       router is alive, e = epoch
    WIRE_DRAIN,         //  e       router is shutting down: drain and exit
    WIRE_ID_COUNT
} wire_id_t;

//  One (name, number) pair of a list reply
typedef struct {
    char *name;
    uint64_t count;
} wire_entry_t;

//  A decoded message. Fields a verb does not use are 0 / NULL.
//  All strings are owned by the message and NUL-terminated.
typedef struct {
    wire_id_t id;
    char *gateway;          //  gateway id (g)
    uint64_t client;        //  gateway-local client id (c)
    uint64_t seq;           //  per-room sequence number, owned by the router (s)
    uint64_t epoch;         //  router start id; changes on restart (e)
    uint64_t limit;         //  list request: entries wanted at most, 0 = all (m)
    uint64_t total;         //  list reply: entries there were before the limit (k)
    uint64_t time;          //  history line: when it was said, UTC ms (w)
    char *room;             //  room name (r), or the topic's room when published
    char *nick;             //  nickname (n)
    char *target;           //  second nickname (t)
    char *text;             //  free text (x)
    wire_entry_t *entries;  //  list (l)
    size_t entry_count;
} wire_msg_t;

//  Create an empty message with the given id. Strings are set with the
//  setters below, which copy.
wire_msg_t *
    wire_msg_new (wire_id_t id);

//  Destroy a message and everything it owns; NULL-safe, sets *self_p NULL.
void
    wire_msg_destroy (wire_msg_t **self_p);

//  Setters copy the string (NULL means "").
void
    wire_msg_set_gateway (wire_msg_t *self, const char *gateway);
void
    wire_msg_set_room (wire_msg_t *self, const char *room);
void
    wire_msg_set_nick (wire_msg_t *self, const char *nick);
void
    wire_msg_set_target (wire_msg_t *self, const char *target);
void
    wire_msg_set_text (wire_msg_t *self, const char *text);
//  Set text from bytes that need not be NUL-terminated.
void
    wire_msg_set_textn (wire_msg_t *self, const char *text, size_t size);
//  Append a (name, count) entry; copies name.
void
    wire_msg_add_entry (wire_msg_t *self, const char *name, uint64_t count);

//  Encode into a new zmsg. Published ids (CHAT .. DRAIN) get the topic
//  frame first: the room's, or the control topic. Caller owns the result.
zmsg_t *
    wire_msg_encode (wire_msg_t *self);

//  Decode a zmsg (takes ownership, *msg_p becomes NULL). Returns a new
//  message, or NULL if the frames are malformed: unknown verb, wrong frame
//  count, wrong number size, over-long string, bad topic. Never asserts on
//  input.
wire_msg_t *
    wire_msg_decode (zmsg_t **msg_p);

//  Encode and send; destroys *self_p whatever happens. Returns 0, or -1
//  with errno (EAGAIN when flags has ZMQ_DONTWAIT and the socket is at HWM;
//  then nothing was sent).
int
    wire_msg_send (wire_msg_t **self_p, void *sock, int flags);

//  Same, on a ROUTER socket: routing_id (the peer's route) goes first.
int
    wire_msg_send_to (wire_msg_t **self_p, void *sock, const char *routing_id,
                      int flags);

//  Receive one message and decode it. Returns NULL on interrupt or on a
//  malformed message (which is consumed and logged at debug level).
wire_msg_t *
    wire_msg_recv (void *sock);

//  Same, on a ROUTER socket: the first frame is the sender's routing id,
//  returned in *routing_id_p for the caller to free (NULL when the message
//  was malformed).
wire_msg_t *
    wire_msg_recv_from (void *sock, char **routing_id_p);

//  Encode and send without a zmsg and without taking the message: each
//  field goes to zmq_send straight from self, which stays the caller's
//  (it may live on the stack with borrowed strings; NULL strings go out
//  empty). routing_id, if not NULL, goes first (ROUTER sockets). Returns
//  0, or -1 with errno (EAGAIN under ZMQ_DONTWAIT at the HWM,
//  EHOSTUNREACH from a mandatory ROUTER: then nothing was sent).
int
    wire_msg_write (const wire_msg_t *self, void *sock, const char *routing_id,
                    int flags);

//  Receive and decode one message without a zmsg: each frame is parsed
//  into the message as it arrives. flags is 0 or ZMQ_DONTWAIT. On a
//  ROUTER socket pass routing_id (WIRE_GATEWAY_MAX + 1 bytes) to get the
//  sender's routing id as a string; NULL on other sockets. Returns a new
//  message, or NULL with errno: EAGAIN (nothing to read under
//  ZMQ_DONTWAIT), EPROTO (a malformed message, or a routing id longer
//  than WIRE_GATEWAY_MAX or holding a NUL: consumed whole, every frame),
//  or libzmq's own (EINTR, ETERM).
wire_msg_t *
    wire_msg_read (void *sock, char *routing_id, int flags);

//  Verb name of an id, e.g. "SAY"; "INVALID" for out-of-range ids.
const char *
    wire_id_name (wire_id_t id);

//  The fields of an id's messages, in frame order, as picture letters
//  (the comments on wire_id_t); "" for out-of-range ids.
const char *
    wire_id_picture (wire_id_t id);

//  True if messages of this id are published (have a topic frame).
bool
    wire_id_is_published (wire_id_t id);

//  Write the SUB topic for a room into buffer (at least WIRE_TOPIC_MAX + 1
//  bytes): room + WIRE_TOPIC_END. Returns its length (no NUL counted).
//  Subscribe with exactly these bytes.
size_t
    wire_topic (const char *room, char *buffer);

//  Control socket (zchat-ctl <-> router ROUTER). A request is one frame,
//  the verb. A reply is two frames: "OK" or "ERROR", then a text body of
//  "key=value" lines.
#define WIRE_CTL_STATUS     "STATUS"
#define WIRE_CTL_SHUTDOWN   "SHUTDOWN"
#define WIRE_CTL_OK         "OK"
#define WIRE_CTL_ERROR      "ERROR"

#endif
