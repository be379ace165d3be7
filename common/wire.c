/*  =========================================================================
    wire.c - encode and decode the frames between gateway and router

    The only file that turns a wire_msg_t into ZeroMQ frames and back.
    Each verb has a picture (a string of field letters, see wire.h); one
    loop encodes and one loop decodes any picture, so adding a verb is one
    line in s_verbs. Decoding never trusts the peer: every frame count,
    number size and string length is checked, and a bad message is
    rejected whole.
    =========================================================================
*/
#include "wire.h"

typedef struct {
    const char *name;       //  verb frame
    const char *picture;    //  field letters, in frame order
} wire_verb_t;

//  Indexed by wire_id_t; keep in the enum's order.
static const wire_verb_t s_verbs [WIRE_ID_COUNT] = {
    [WIRE_INVALID]      = { "INVALID", "" },
    [WIRE_HELLO]        = { "HELLO", "gx" },
    [WIRE_HEARTBEAT]    = { "HEARTBEAT", "" },
    [WIRE_LOGIN]        = { "LOGIN", "cnrx" },
    [WIRE_LOGOUT]       = { "LOGOUT", "cx" },
    [WIRE_JOIN]         = { "JOIN", "cr" },
    [WIRE_NICK]         = { "NICK", "cn" },
    [WIRE_SAY]          = { "SAY", "cx" },
    [WIRE_ACTION]       = { "ACTION", "cx" },
    [WIRE_PRIVMSG]      = { "PRIVMSG", "cnx" },
    [WIRE_ROOMS]        = { "ROOMS", "cmx" },
    [WIRE_WHO]          = { "WHO", "cm" },
    [WIRE_PROBE]        = { "PROBE", "rc" },
    [WIRE_HISTORY]      = { "HISTORY", "csm" },
    [WIRE_RECOVER]      = { "RECOVER", "rsm" },
    [WIRE_BYE]          = { "BYE", "" },
    [WIRE_DRAINED]      = { "DRAINED", "" },
    [WIRE_WELCOME]      = { "WELCOME", "e" },
    [WIRE_RESYNC]       = { "RESYNC", "e" },
    [WIRE_LOGGED_IN]    = { "LOGGED_IN", "cnr" },
    [WIRE_NICKED]       = { "NICKED", "cn" },
    [WIRE_ERROR]        = { "ERROR", "cx" },
    [WIRE_ROOM_LIST]    = { "ROOM_LIST", "ckxl" },
    [WIRE_WHO_LIST]     = { "WHO_LIST", "crkl" },
    [WIRE_PRIVATE]      = { "PRIVATE", "cnx" },
    [WIRE_PRIVATE_SENT] = { "PRIVATE_SENT", "cnx" },
    [WIRE_JOIN_REFUSED] = { "JOIN_REFUSED", "crx" },
    [WIRE_HELLO_REFUSED] = { "HELLO_REFUSED", "x" },
    [WIRE_HISTORY_LINE] = { "HISTORY_LINE", "crswnx" },
    [WIRE_HISTORY_ACTION] = { "HISTORY_ACTION", "crswnx" },
    [WIRE_HISTORY_END]  = { "HISTORY_END", "crskx" },
    [WIRE_CHAT]         = { "CHAT", "sgcnx" },
    [WIRE_EMOTE]        = { "EMOTE", "sgcnx" },
    [WIRE_JOINED]       = { "JOINED", "sgcnk" },
    [WIRE_LEFT]         = { "LEFT", "sgcnxk" },
    [WIRE_RENAMED]      = { "RENAMED", "sgcnt" },
    [WIRE_NOTICE]       = { "NOTICE", "sx" },
    [WIRE_PROBED]       = { "PROBED", "gc" },
    [WIRE_BEAT]         = { "BEAT", "e" },
    [WIRE_DRAIN]        = { "DRAIN", "e" },
};

#define WIRE_NUMBER_SIZE 8

wire_msg_t *
wire_msg_new (wire_id_t id)
{
    assert (id > WIRE_INVALID && id < WIRE_ID_COUNT);
    wire_msg_t *self = (wire_msg_t *) zmalloc (sizeof (wire_msg_t));
    assert (self);
    self->id = id;
    return self;
}

void
wire_msg_destroy (wire_msg_t **self_p)
{
    assert (self_p);
    wire_msg_t *self = *self_p;
    if (!self)
        return;
    zstr_free (&self->gateway);
    zstr_free (&self->room);
    zstr_free (&self->nick);
    zstr_free (&self->target);
    zstr_free (&self->text);
    for (size_t index = 0; index < self->entry_count; index++)
        zstr_free (&self->entries [index].name);
    free (self->entries);
    free (self);
    *self_p = NULL;
}

//  Replace an owned string with a copy of bytes (NULL means empty).
static void
s_set_string (char **field_p, const char *value, size_t size)
{
    zstr_free (field_p);
    char *copy = (char *) malloc (size + 1);
    assert (copy);
    if (size)
        memcpy (copy, value, size);
    copy [size] = 0;
    *field_p = copy;
}

void
wire_msg_set_gateway (wire_msg_t *self, const char *gateway)
{
    assert (self);
    s_set_string (&self->gateway, gateway, gateway? strlen (gateway): 0);
}

void
wire_msg_set_room (wire_msg_t *self, const char *room)
{
    assert (self);
    s_set_string (&self->room, room, room? strlen (room): 0);
}

void
wire_msg_set_nick (wire_msg_t *self, const char *nick)
{
    assert (self);
    s_set_string (&self->nick, nick, nick? strlen (nick): 0);
}

void
wire_msg_set_target (wire_msg_t *self, const char *target)
{
    assert (self);
    s_set_string (&self->target, target, target? strlen (target): 0);
}

void
wire_msg_set_text (wire_msg_t *self, const char *text)
{
    assert (self);
    s_set_string (&self->text, text, text? strlen (text): 0);
}

void
wire_msg_set_textn (wire_msg_t *self, const char *text, size_t size)
{
    assert (self);
    s_set_string (&self->text, text, size);
}

void
wire_msg_add_entry (wire_msg_t *self, const char *name, uint64_t count)
{
    assert (self);
    assert (name);
    wire_entry_t *entries = (wire_entry_t *) realloc (self->entries,
        (self->entry_count + 1) * sizeof (wire_entry_t));
    assert (entries);
    self->entries = entries;
    self->entries [self->entry_count].name = strdup (name);
    assert (self->entries [self->entry_count].name);
    self->entries [self->entry_count].count = count;
    self->entry_count++;
}

const char *
wire_id_name (wire_id_t id)
{
    if (id <= WIRE_INVALID || id >= WIRE_ID_COUNT)
        return s_verbs [WIRE_INVALID].name;
    return s_verbs [id].name;
}

const char *
wire_id_picture (wire_id_t id)
{
    return id > WIRE_INVALID && id < WIRE_ID_COUNT? s_verbs [id].picture: "";
}

bool
wire_id_is_published (wire_id_t id)
{
    return id >= WIRE_CHAT && id <= WIRE_DRAIN;
}

size_t
wire_topic (const char *room, char *buffer)
{
    assert (room);
    assert (buffer);
    size_t size = strlen (room);
    assert (size <= WIRE_TOPIC_MAX - 1);
    memcpy (buffer, room, size);
    buffer [size++] = WIRE_TOPIC_END;
    buffer [size] = 0;
    return size;
}

//  ---------------------------------------------------------------------
//  Encoding

static void
s_add_number (zmsg_t *msg, uint64_t value)
{
    byte buffer [WIRE_NUMBER_SIZE];
    for (int index = WIRE_NUMBER_SIZE - 1; index >= 0; index--) {
        buffer [index] = (byte) (value & 0xFF);
        value >>= 8;
    }
    zmsg_addmem (msg, buffer, WIRE_NUMBER_SIZE);
}

static void
s_add_string (zmsg_t *msg, const char *value)
{
    zmsg_addmem (msg, value? value: "", value? strlen (value): 0);
}

zmsg_t *
wire_msg_encode (wire_msg_t *self)
{
    assert (self);
    assert (self->id > WIRE_INVALID && self->id < WIRE_ID_COUNT);
    zmsg_t *msg = zmsg_new ();
    if (wire_id_is_published (self->id)) {
        char topic [WIRE_TOPIC_MAX + 1];
        bool control = self->id == WIRE_BEAT || self->id == WIRE_DRAIN;
        size_t size = wire_topic (control? WIRE_TOPIC_CONTROL: self->room, topic);
        zmsg_addmem (msg, topic, size);
    }
    zmsg_addstr (msg, s_verbs [self->id].name);
    for (const char *field = s_verbs [self->id].picture; *field; field++) {
        switch (*field) {
            case 'g': s_add_string (msg, self->gateway); break;
            case 'c': s_add_number (msg, self->client); break;
            case 's': s_add_number (msg, self->seq); break;
            case 'e': s_add_number (msg, self->epoch); break;
            case 'm': s_add_number (msg, self->limit); break;
            case 'k': s_add_number (msg, self->total); break;
            case 'w': s_add_number (msg, self->time); break;
            case 'r': s_add_string (msg, self->room); break;
            case 'n': s_add_string (msg, self->nick); break;
            case 't': s_add_string (msg, self->target); break;
            case 'x': s_add_string (msg, self->text); break;
            case 'l':
                s_add_number (msg, self->entry_count);
                for (size_t index = 0; index < self->entry_count; index++) {
                    s_add_string (msg, self->entries [index].name);
                    s_add_number (msg, self->entries [index].count);
                }
                break;
            default:
                assert (false);
        }
    }
    return msg;
}

//  Sending without a zmsg: each field goes to zmq_send straight from the
//  wire_msg_t. A frame is held back until the next one is known, so the
//  last one is sent without ZMQ_SNDMORE however many entries a list has.
//  ZeroMQ queues a multipart message atomically, so EAGAIN (or
//  EHOSTUNREACH) can only come on the first frame; after a failure
//  nothing more is sent.
typedef struct {
    void *handle;                   //  libzmq socket
    int flags;                      //  caller's flags (ZMQ_DONTWAIT)
    const void *data;               //  frame held back, if pending
    size_t size;
    bool pending;                   //  a frame is held back
    byte number [WIRE_NUMBER_SIZE]; //  bytes of a held-back number
    bool failed;                    //  a send failed; errno tells why
} wire_writer_t;

//  Send the held-back frame, with ZMQ_SNDMORE if more follow.
static void
s_write_flush (wire_writer_t *writer, bool more)
{
    if (writer->pending && !writer->failed
    &&  zmq_send (writer->handle, writer->data, writer->size,
                  writer->flags | (more? ZMQ_SNDMORE: 0)) == -1)
        writer->failed = true;
    writer->pending = false;
}

static void
s_write_bytes (wire_writer_t *writer, const void *data, size_t size)
{
    s_write_flush (writer, true);
    writer->data = data;
    writer->size = size;
    writer->pending = true;
}

static void
s_write_string (wire_writer_t *writer, const char *value)
{
    s_write_bytes (writer, value? value: "", value? strlen (value): 0);
}

static void
s_write_number (wire_writer_t *writer, uint64_t value)
{
    s_write_flush (writer, true);   //  before the buffer is reused
    for (int index = WIRE_NUMBER_SIZE - 1; index >= 0; index--) {
        writer->number [index] = (byte) (value & 0xFF);
        value >>= 8;
    }
    s_write_bytes (writer, writer->number, WIRE_NUMBER_SIZE);
}

int
wire_msg_write (const wire_msg_t *self, void *sock, const char *routing_id, int flags)
{
    assert (self);
    assert (self->id > WIRE_INVALID && self->id < WIRE_ID_COUNT);
    assert (sock);
    wire_writer_t writer = { .handle = zsock_resolve (sock), .flags = flags };
    if (routing_id)
        s_write_string (&writer, routing_id);
    char topic [WIRE_TOPIC_MAX + 1];
    if (wire_id_is_published (self->id)) {
        bool control = self->id == WIRE_BEAT || self->id == WIRE_DRAIN;
        size_t size = wire_topic (control? WIRE_TOPIC_CONTROL: self->room, topic);
        s_write_bytes (&writer, topic, size);
    }
    s_write_string (&writer, s_verbs [self->id].name);
    for (const char *field = s_verbs [self->id].picture; *field; field++) {
        switch (*field) {
            case 'g': s_write_string (&writer, self->gateway); break;
            case 'c': s_write_number (&writer, self->client); break;
            case 's': s_write_number (&writer, self->seq); break;
            case 'e': s_write_number (&writer, self->epoch); break;
            case 'm': s_write_number (&writer, self->limit); break;
            case 'k': s_write_number (&writer, self->total); break;
            case 'w': s_write_number (&writer, self->time); break;
            case 'r': s_write_string (&writer, self->room); break;
            case 'n': s_write_string (&writer, self->nick); break;
            case 't': s_write_string (&writer, self->target); break;
            case 'x': s_write_string (&writer, self->text); break;
            case 'l':
                s_write_number (&writer, self->entry_count);
                for (size_t index = 0; index < self->entry_count; index++) {
                    s_write_string (&writer, self->entries [index].name);
                    s_write_number (&writer, self->entries [index].count);
                }
                break;
            default:
                assert (false);
        }
    }
    s_write_flush (&writer, false);
    return writer.failed? -1: 0;
}

int
wire_msg_send (wire_msg_t **self_p, void *sock, int flags)
{
    return wire_msg_send_to (self_p, sock, NULL, flags);
}

int
wire_msg_send_to (wire_msg_t **self_p, void *sock, const char *routing_id, int flags)
{
    assert (self_p);
    assert (*self_p);
    int rc = wire_msg_write (*self_p, sock, routing_id, flags);
    int saved = errno;
    wire_msg_destroy (self_p);
    errno = saved;
    return rc;
}

//  ---------------------------------------------------------------------
//  Decoding

//  Frames come either from a zmsg (wire_msg_decode) or straight from a
//  socket, one zmq_msg_t at a time (wire_msg_read), so no frame is
//  copied into a zframe first. The reader hands out one frame at a time;
//  a socket's next frame is received only when the previous one has been
//  used, so one zmq_msg_t on the stack is enough.
typedef struct {
    zmsg_t *msg;            //  decoding a zmsg: its frames, else NULL
    zframe_t *frame;        //  zmsg: the current frame
    void *handle;           //  reading a socket: libzmq socket handle
    zmq_msg_t part;         //  socket: the current frame
    bool have;              //  there is a current frame
    bool used;              //  the current frame was handed out
    bool failed;            //  the message is malformed
} wire_reader_t;

//  Make the next unread frame current; false at the end of the message.
static bool
s_fetch (wire_reader_t *reader)
{
    if (!reader->used || !reader->have)
        return reader->have;
    reader->used = false;
    if (reader->msg) {
        reader->frame = zmsg_next (reader->msg);
        reader->have = reader->frame != NULL;
    }
    else
        reader->have = zmq_msg_more (&reader->part)
                    && zmq_msg_recv (&reader->part, reader->handle, 0) != -1;
    return reader->have;
}

static const byte *
s_frame_data (wire_reader_t *reader)
{
    return reader->msg? zframe_data (reader->frame)
                      : (const byte *) zmq_msg_data (&reader->part);
}

static size_t
s_frame_size (wire_reader_t *reader)
{
    return reader->msg? zframe_size (reader->frame): zmq_msg_size (&reader->part);
}

//  Hand out the next frame (data valid until the next call); false, and
//  the message marked failed, if there is none.
static bool
s_next_frame (wire_reader_t *reader)
{
    if (!s_fetch (reader)) {
        reader->failed = true;
        return false;
    }
    reader->used = true;
    return true;
}

//  Receive whatever is left of a socket's message, so a rejected one
//  goes whole.
static void
s_drain (wire_reader_t *reader)
{
    while (reader->have && zmq_msg_more (&reader->part)
       &&  zmq_msg_recv (&reader->part, reader->handle, 0) != -1)
        ;
    reader->have = false;
}

static uint64_t
s_read_number (wire_reader_t *reader)
{
    if (!s_next_frame (reader) || s_frame_size (reader) != WIRE_NUMBER_SIZE) {
        reader->failed = true;
        return 0;
    }
    const byte *data = s_frame_data (reader);
    uint64_t value = 0;
    for (int index = 0; index < WIRE_NUMBER_SIZE; index++)
        value = (value << 8) | data [index];
    return value;
}

//  Read a string frame of at most max bytes; it may not contain NUL.
static char *
s_read_string (wire_reader_t *reader, size_t max)
{
    if (!s_next_frame (reader))
        return NULL;
    size_t size = s_frame_size (reader);
    const byte *data = s_frame_data (reader);
    if (size > max || memchr (data, 0, size)) {
        reader->failed = true;
        return NULL;
    }
    char *value = NULL;
    s_set_string (&value, (const char *) data, size);
    return value;
}

//  Entries arrive one pair at a time; a count larger than the pairs
//  that follow fails at the first missing frame.
static void
s_read_entries (wire_reader_t *reader, wire_msg_t *self)
{
    uint64_t count = s_read_number (reader);
    if (reader->failed || count > WIRE_ENTRIES_MAX) {
        reader->failed = true;
        return;
    }
    for (uint64_t index = 0; index < count && !reader->failed; index++) {
        char *name = s_read_string (reader, WIRE_TEXT_MAX);
        uint64_t number = s_read_number (reader);
        if (!reader->failed)
            wire_msg_add_entry (self, name, number);
        zstr_free (&name);
    }
}

//  Match the next frame against the verb table; WIRE_INVALID if unknown.
static wire_id_t
s_read_verb (wire_reader_t *reader)
{
    if (!s_next_frame (reader))
        return WIRE_INVALID;
    size_t size = s_frame_size (reader);
    const byte *data = s_frame_data (reader);
    for (int id = WIRE_INVALID + 1; id < WIRE_ID_COUNT; id++) {
        const char *name = s_verbs [id].name;
        if (strlen (name) == size && memcmp (name, data, size) == 0)
            return (wire_id_t) id;
    }
    return WIRE_INVALID;
}

//  Split a topic frame into its room; NULL unless it ends in WIRE_TOPIC_END.
static char *
s_read_topic (wire_reader_t *reader)
{
    if (!s_next_frame (reader))
        return NULL;
    size_t size = s_frame_size (reader);
    const char *data = (const char *) s_frame_data (reader);
    if (size < 2 || size > CHAT_ROOM_MAX + 1 || data [size - 1] != WIRE_TOPIC_END
    ||  memchr (data, 0, size)) {
        reader->failed = true;
        return NULL;
    }
    char *room = NULL;
    s_set_string (&room, data, size - 1);
    return room;
}

static void
s_read_field (wire_reader_t *reader, wire_msg_t *self, char field)
{
    switch (field) {
        case 'g': self->gateway = s_read_string (reader, WIRE_GATEWAY_MAX); break;
        case 'c': self->client = s_read_number (reader); break;
        case 's': self->seq = s_read_number (reader); break;
        case 'e': self->epoch = s_read_number (reader); break;
        case 'm': self->limit = s_read_number (reader); break;
        case 'k': self->total = s_read_number (reader); break;
        case 'w': self->time = s_read_number (reader); break;
        case 'r':
            zstr_free (&self->room);
            self->room = s_read_string (reader, CHAT_ROOM_MAX);
            break;
        case 'n': self->nick = s_read_string (reader, CHAT_NICK_MAX); break;
        case 't': self->target = s_read_string (reader, CHAT_NICK_MAX); break;
        case 'x': self->text = s_read_string (reader, WIRE_TEXT_MAX); break;
        case 'l': s_read_entries (reader, self); break;
        default:  assert (false);
    }
}

//  Decode the frames the reader has left; NULL if they are malformed.
//  Leaves unread frames unread (the caller drains a socket).
static wire_msg_t *
s_decode (wire_reader_t *reader)
{
    //  A published message starts with a topic; a verb never ends in
    //  WIRE_TOPIC_END, so the first frame tells which kind this is.
    char *topic_room = NULL;
    if (s_fetch (reader) && s_frame_size (reader) > 0
    &&  s_frame_data (reader) [s_frame_size (reader) - 1] == WIRE_TOPIC_END)
        topic_room = s_read_topic (reader);

    wire_id_t id = s_read_verb (reader);
    bool published = id != WIRE_INVALID && wire_id_is_published (id);
    bool control = id == WIRE_BEAT || id == WIRE_DRAIN;
    if (id == WIRE_INVALID || reader->failed || published != (topic_room != NULL)
    ||  (topic_room && control != streq (topic_room, WIRE_TOPIC_CONTROL))) {
        zstr_free (&topic_room);
        return NULL;
    }
    wire_msg_t *self = wire_msg_new (id);
    self->room = topic_room;
    for (const char *field = s_verbs [id].picture; *field && !reader->failed; field++)
        s_read_field (reader, self, *field);

    if (reader->failed || s_fetch (reader))     //  short, bad, or trailing frames
        wire_msg_destroy (&self);
    return self;
}

wire_msg_t *
wire_msg_decode (zmsg_t **msg_p)
{
    assert (msg_p);
    zmsg_t *msg = *msg_p;
    *msg_p = NULL;
    if (!msg)
        return NULL;
    wire_reader_t reader = { .msg = msg, .frame = zmsg_first (msg) };
    reader.have = reader.frame != NULL;
    wire_msg_t *self = s_decode (&reader);
    zmsg_destroy (&msg);
    return self;
}

wire_msg_t *
wire_msg_read (void *sock, char *routing_id, int flags)
{
    assert (sock);
    wire_reader_t reader = { .handle = zsock_resolve (sock) };
    zmq_msg_init (&reader.part);
    if (zmq_msg_recv (&reader.part, reader.handle, flags) == -1) {
        int saved = errno;
        zmq_msg_close (&reader.part);
        errno = saved;
        return NULL;
    }
    reader.have = true;
    if (routing_id) {
        s_next_frame (&reader);
        size_t size = s_frame_size (&reader);
        const byte *data = s_frame_data (&reader);
        if (size > WIRE_GATEWAY_MAX || memchr (data, 0, size))
            reader.failed = true;
        else {
            memcpy (routing_id, data, size);
            routing_id [size] = 0;
        }
    }
    wire_msg_t *self = reader.failed? NULL: s_decode (&reader);
    s_drain (&reader);
    zmq_msg_close (&reader.part);
    if (!self)
        errno = EPROTO;
    return self;
}

wire_msg_t *
wire_msg_recv (void *sock)
{
    return wire_msg_recv_from (sock, NULL);
}

wire_msg_t *
wire_msg_recv_from (void *sock, char **routing_id_p)
{
    char routing_id [WIRE_GATEWAY_MAX + 1];
    wire_msg_t *self = wire_msg_read (sock, routing_id_p? routing_id: NULL, 0);
    if (routing_id_p)
        *routing_id_p = NULL;
    if (!self) {
        if (errno == EPROTO)
            zsys_debug ("wire: dropped malformed message");
        return NULL;
    }
    if (routing_id_p) {
        *routing_id_p = strdup (routing_id);
        assert (*routing_id_p);
    }
    return self;
}
