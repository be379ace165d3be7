/*  =========================================================================
    replay.c - one session's room history: the join replay and /history

    See replay.h for the protocol. The order argument: the router is one
    thread, so its JOINED with seq J cuts the room's stream in two. The
    replay holds lines below J (the store holds nothing else then) and
    arrives on ingress before its HISTORY_END; the member's live lines
    are J and up and arrive on the SUB from the JOINED on. Replay lines
    are written to the client as they come: nothing live has been written
    to it yet (it is held), so they go first; HISTORY_END then releases
    the held live lines behind them.
    =========================================================================
*/
#include "replay.h"

#define REPLAY_HOLD_INITIAL     1024    //  first allocation of the hold, bytes
#define REPLAY_TAG_JOIN         "join"  //  HISTORY_END of a join's replay
#define REPLAY_COUNT_DIGITS     9       //  digits a /history count may have
#define REPLAY_DECIMAL          10
#define REPLAY_USAGE            "/history [n|more]"

void
replay_init (replay_t *self, client_t *client, subs_member_t *member)
{
    assert (self);
    memset (self, 0, sizeof (*self));
    self->client = client;
    self->member = member;
}

void
replay_fini (replay_t *self)
{
    assert (self);
    self->member->hold = NULL;
    free (self->held);
    self->held = NULL;
    self->held_size = self->held_capacity = 0;
}

void
replay_begin (replay_t *self)
{
    assert (self);
    if (replay_waiting (self))
        return;             //  a LOGIN sent again: the first replay is still due
    self->member->hold = self;
    self->held_size = 0;
    self->skipping = false;
}

bool
replay_waiting (replay_t *self)
{
    assert (self);
    return self->member->hold == self;
}

//  Stop holding: write what is held to the client, in order; its input
//  may go on.
static void
s_release (replay_t *self)
{
    self->member->hold = NULL;
    if (self->held_size)
        client_write (self->client, self->held, self->held_size);
    free (self->held);
    self->held = NULL;
    self->held_size = self->held_capacity = 0;
    client_resume (self->client);
}

void
replay_cancel (replay_t *self, bool skip)
{
    assert (self);
    if (!replay_waiting (self))
        return;
    s_release (self);
    self->skipping = skip;
}

void
replay_give_up (replay_t *self)
{
    assert (self);
    if (!replay_waiting (self))
        return;
    static const char notice [] = "! history unavailable\r\n";
    client_write (self->client, notice, sizeof (notice) - 1);
    replay_cancel (self, true);
}

void
replay_hold (replay_t *self, const char *data, size_t size)
{
    assert (self);
    if (self->held_size + size > REPLAY_HOLD_MAX) {
        replay_give_up (self);
        client_write (self->client, data, size);
        return;
    }
    if (self->held_size + size > self->held_capacity) {
        size_t capacity = self->held_capacity? self->held_capacity: REPLAY_HOLD_INITIAL;
        while (capacity < self->held_size + size)
            capacity *= 2;
        char *grown = (char *) realloc (self->held, capacity);
        assert (grown);
        self->held = grown;
        self->held_capacity = capacity;
    }
    memcpy (self->held + self->held_size, data, size);
    self->held_size += size;
}

void
replay_on_reply (replay_t *self, format_t *format, const wire_msg_t *msg)
{
    assert (self);
    assert (msg);
    bool join = msg->text && streq (msg->text, REPLAY_TAG_JOIN);
    if (msg->id == WIRE_HISTORY_END) {
        uint64_t first = self->answer_first;
        self->answer_first = 0;
        if (join && self->skipping) {
            self->skipping = false;
            return;
        }
        self->more_before = first;
        if (msg->total > 0 || !join) {
            format_history_end (format, msg->room, msg->total, join);
            format_write (format, self->client);
        }
        if (join)
            s_release (self);
        return;
    }
    //  A line of the answer on its way (its END comes after it)
    if (self->skipping)
        return;
    if (self->answer_first == 0)
        self->answer_first = msg->seq;
    format_history (format, msg->room, (int64_t) msg->time, zclock_time (), msg->seq,
                    msg->id == WIRE_HISTORY_ACTION, msg->nick, msg->text);
    format_write (format, self->client);
}

bool
replay_is_join_end (const wire_msg_t *msg)
{
    assert (msg);
    return msg->id == WIRE_HISTORY_END && msg->text && streq (msg->text, REPLAY_TAG_JOIN);
}

//  The line count of "/history N": 1 .. REPLAY_COUNT_MAX, or 0 if the
//  word is not one (the router caps it at its --history-max).
static uint64_t
s_count (const char *word, size_t size)
{
    uint64_t count = 0;
    if (size == 0 || size > REPLAY_COUNT_DIGITS)
        return 0;
    for (size_t index = 0; index < size; index++) {
        if (!isdigit ((unsigned char) word [index]))
            return 0;
        count = count * REPLAY_DECIMAL + (uint64_t) (word [index] - '0');
    }
    return count;
}

wire_msg_t *
replay_request (replay_t *self, const command_t *command, format_t *format, const char *room)
{
    assert (self);
    assert (command);
    uint64_t before = 0, count = REPLAY_PAGE_LINES;
    const char *word = command->name;
    size_t size = command->name_size;
    if (size == strlen (REPLAY_MORE) && strncasecmp (word, REPLAY_MORE, size) == 0) {
        before = self->more_before;
        if (before == 0) {
            format_history_end (format, room, 0, false);
            return NULL;
        }
    }
    else
    if (size > 0) {
        count = s_count (word, size);
        if (count == 0) {
            format_usage (format, REPLAY_USAGE);
            return NULL;
        }
    }
    wire_msg_t *msg = wire_msg_new (WIRE_HISTORY);
    msg->client = self->member->id;
    msg->seq = before;
    msg->limit = count;
    return msg;
}
