/*  =========================================================================
    history.c - the router's history answers: replay on join, HISTORY pages

    The store (store.h) holds each room's chat and /me lines under the
    seq they were published with. This file reads it for one session and
    sends the lines to its gateway on ingress, oldest first, as
    HISTORY_LINE / HISTORY_ACTION, then one HISTORY_END.

    The replay after a JOIN or LOGIN is what makes a join gap-free: the
    router is one thread, so when it publishes the JOINED with seq J the
    store holds exactly the room's lines below J and nothing above it.
    The replay is the newest of those; the gateway holds the member's live
    lines (J and up) until HISTORY_END "join" names J, then delivers
    replay, then the held lines: no line missing, none twice.
    =========================================================================
*/
#include "router_internal.h"

#define ROUTER_HISTORY_JOIN     "join"  //  HISTORY_END after a join's replay
#define ROUTER_HISTORY_PAGE     "page"  //  HISTORY_END after a HISTORY answer
#define ROUTER_HISTORY_RECOVER  "recover"   //  HISTORY_END after a RECOVER answer
#define ROUTER_RECOVER_LINES    1000    //  lines per RECOVER answer (well below the
                                        //  uplink HWM: the gateway asks again)

//  One answer being sent: where to, and what went.
typedef struct {
    router_t *router;
    const char *route;              //  the gateway's connection
    uint64_t client;                //  the session, on that gateway
    size_t sent;                    //  lines sent
    uint64_t first_seq;             //  oldest seq sent (0: none)
    uint64_t last_seq;              //  newest seq sent (0: none)
    bool failed;                    //  a send failed (peer full or gone): stop
} router_history_t;

//  Store visitor: send one record as a history line. The message lives
//  on the stack and borrows the store's strings (valid for this call).
static int
s_send_record (const store_record_t *record, void *arg)
{
    router_history_t *answer = (router_history_t *) arg;
    wire_msg_t line = {
        .id = record->kind == STORE_ACTION? WIRE_HISTORY_ACTION: WIRE_HISTORY_LINE,
        .client = answer->client,
        .room = (char *) record->room,
        .seq = record->seq,
        .time = record->time > 0? (uint64_t) record->time: 0,
        .nick = (char *) record->nick,
        .text = (char *) record->text
    };
    if (wire_msg_write (&line, zsock_resolve (answer->router->ingress), answer->route,
                        ZMQ_DONTWAIT) == -1) {
        answer->failed = true;
        return -1;
    }
    if (answer->sent++ == 0)
        answer->first_seq = record->seq;
    answer->last_seq = record->seq;
    return 0;
}

//  Send the newest count lines of room below before to session (gateway,
//  client), then HISTORY_END: tag x, k = lines sent, s = cut for a join
//  (the JOINED's seq) or the oldest seq sent for a page.
static void
s_send_history (router_t *self, gateway_t *gateway, uint64_t client, const char *room,
                uint64_t before, size_t count, bool join)
{
    router_history_t answer = {
        .router = self,
        .route = gateway_route (gateway),
        .client = client
    };
    if (count > 0)
        store_last (self->store, room, before, count, s_send_record, &answer);
    wire_msg_t end = {
        .id = WIRE_HISTORY_END,
        .client = client,
        .room = (char *) room,
        .seq = join? before: answer.first_seq,
        .total = answer.sent,
        .text = join? ROUTER_HISTORY_JOIN: ROUTER_HISTORY_PAGE
    };
    //  A peer at its HWM loses the answer; its gateway gives up waiting
    //  for it by itself (docs/PROTOCOL.md)
    if (wire_msg_write (&end, zsock_resolve (self->ingress), answer.route, ZMQ_DONTWAIT) == -1
    ||  answer.failed) {
        if (self->config.verbose)
            zsys_debug ("router: history dropped room=%s client=%" PRIu64 " error=%s",
                        room, client, zmq_strerror (errno));
    }
}

void
router_send_replay (router_t *self, gateway_t *gateway, uint64_t client, const char *room,
                    uint64_t joined_seq)
{
    assert (self);
    s_send_history (self, gateway, client, room, joined_seq, (size_t) self->config.replay,
                    true);
}

void
router_send_page (router_t *self, gateway_t *gateway, uint64_t client, const char *room,
                  uint64_t before, uint64_t count)
{
    assert (self);
    uint64_t most = (uint64_t) self->config.history_max;
    if (count == 0 || count > most)
        count = most;
    s_send_history (self, gateway, client, room, before, (size_t) count, false);
}

void
router_send_range (router_t *self, gateway_t *gateway, const char *room, uint64_t from,
                   uint64_t count)
{
    assert (self);
    if (from == 0)
        from = 1;
    if (count == 0)
        count = 1;
    uint64_t to = from + count - 1 < from? UINT64_MAX: from + count - 1;
    router_history_t answer = {
        .router = self,
        .route = gateway_route (gateway),
        .client = 0
    };
    store_range (self->store, room, from, to, ROUTER_RECOVER_LINES, s_send_record, &answer);
    wire_msg_t end = {
        .id = WIRE_HISTORY_END,
        .room = (char *) room,
        .seq = answer.last_seq,
        .total = answer.sent,
        .text = ROUTER_HISTORY_RECOVER
    };
    if (wire_msg_write (&end, zsock_resolve (self->ingress), answer.route, ZMQ_DONTWAIT) == -1
    &&  self->config.verbose)
        zsys_debug ("router: recovery answer dropped room=%s error=%s", room,
                    zmq_strerror (errno));
}
