/*  =========================================================================
    requests_gateway.c - a gateway's own requests: HELLO, PROBE, BYE, DRAINED

    A gateway is its connection, not its name: the HELLO binds the id to
    the routing id it came from (the route), every later request is
    looked up by route, and every reply goes to the route. Gateway ids
    are public (they are in every room event); routes are never shown. A
    HELLO claiming an id that another route holds (or held until it was
    dropped as lost) is refused with HELLO_REFUSED and logged once per
    route, so a peer that knows a gateway's id cannot speak or listen for
    its users. A route that has not said HELLO is answered RESYNC, so it
    says it.
    =========================================================================
*/
#include "requests_private.h"
#include "names.h"

#define ROUTER_RESYNC_MS        1000    //  at most one RESYNC per unknown gateway per this
#define ROUTER_UNKNOWN_MAX      10000   //  unknown gateways remembered for that limit
#define ROUTER_REFUSED_MAX      10000   //  refused routes remembered (log each once)

#define ROUTER_REASON_BYE       "gateway shut down"
#define ROUTER_REASON_RESTART   "gateway restarted"
#define ROUTER_REFUSED_IN_USE   "gateway id in use"

//  True if text is printable ASCII (space to '~'), the empty string included.
static bool
s_printable (const char *text)
{
    for (const char *byte = text; *byte; byte++)
        if (*byte < ' ' || *byte > '~')
            return false;
    return true;
}

//  Refuse a HELLO from route claiming id, which another route holds:
//  HELLO_REFUSED every time (it costs the peer as much as us), a log line
//  only the first time for this route, so a peer retrying in a loop
//  cannot flood the log. The route itself is never logged.
static void
s_refuse_hello (router_t *self, const char *route, const char *id)
{
    ROUTER_COUNT (self, ROUTER_METRIC_REFUSED_HELLO);
    if (!zhashx_lookup (self->refused, route)) {
        if (zhashx_size (self->refused) >= ROUTER_REFUSED_MAX)
            zhashx_purge (self->refused);
        zhashx_insert (self->refused, route, (void *) 1);
        zsys_warning ("router: hello refused id=%s reason=id-in-use"
                      " (another connection holds this gateway id)", id);
    }
    wire_msg_t *reply = wire_msg_new (WIRE_HELLO_REFUSED);
    wire_msg_set_text (reply, ROUTER_REFUSED_IN_USE);
    router_reply_route (self, route, &reply);
}

void
router_handle_hello (router_t *self, const char *route, wire_msg_t *msg)
{
    //  The id and name end up in logs and in STATUS lines: printable
    //  ASCII only, so a gateway cannot forge lines there. The refusal
    //  log names neither.
    if (!s_printable (msg->gateway) || !s_printable (msg->text)) {
        zsys_warning ("router: hello refused reason=unprintable-id-or-name");
        ROUTER_COUNT (self, ROUTER_METRIC_REFUSED_HELLO);
        return;
    }
    if (!*msg->gateway) {
        zsys_warning ("router: hello refused reason=empty-id");
        ROUTER_COUNT (self, ROUTER_METRIC_REFUSED_HELLO);
        return;
    }
    //  An id belongs to the connection that registered it, and one that
    //  was dropped as lost stays reserved for its connection: a gateway
    //  that stalled past the timeout comes back on the same route.
    gateway_t *claimed = gateways_lookup (self->gateways, msg->gateway);
    gateway_t *current = gateways_by_route (self->gateways, route);
    const char *lost_route = (const char *) zhashx_lookup (self->lost, msg->gateway);
    if ((claimed && claimed != current) || (lost_route && !streq (lost_route, route))) {
        s_refuse_hello (self, route, msg->gateway);
        return;
    }
    //  This connection says HELLO again (same id, or a fresh one): its
    //  old registration and sessions go
    if (current)
        router_gateway_drop (self, current, "restarted", ROUTER_REASON_RESTART);
    gateway_t *gateway = gateways_add (self->gateways, msg->gateway, route, msg->text,
                                       self->now);
    assert (gateway);
    gateway_set_rejoined (gateway, lost_route != NULL);
    zhashx_delete (self->lost, msg->gateway);
    zhashx_delete (self->unknown, route);
    zsys_info ("router: gateway registered id=%s name=%s", msg->gateway, msg->text);

    wire_msg_t *reply = wire_msg_new (WIRE_WELCOME);
    reply->epoch = self->epoch;
    router_reply (self, gateway, &reply);
}

//  Answer an unregistered connection with RESYNC, at most once per
//  ROUTER_RESYNC_MS each, so a stream of its requests costs little.
void
router_send_resync (router_t *self, const char *route)
{
    //  The value is the time of the last RESYNC, stored in the pointer
    int64_t last = (int64_t) (intptr_t) zhashx_lookup (self->unknown, route);
    if (last && self->now - last < ROUTER_RESYNC_MS)
        return;
    if (zhashx_size (self->unknown) >= ROUTER_UNKNOWN_MAX)
        zhashx_purge (self->unknown);
    zhashx_update (self->unknown, route, (void *) (intptr_t) (self->now? self->now: 1));
    if (self->config.verbose)
        zsys_debug ("router: resync sent");
    ROUTER_COUNT (self, ROUTER_METRIC_RESYNCS);
    wire_msg_t *reply = wire_msg_new (WIRE_RESYNC);
    reply->epoch = self->epoch;
    router_reply_route (self, route, &reply);
}

void
router_handle_probe (router_t *self, gateway_t *gateway, wire_msg_t *msg)
{
    char name [CHAT_ROOM_MAX + 1];
    if (names_canonical_room (msg->room, name) != NAMES_OK) {
        if (self->config.verbose)
            zsys_debug ("router: probe refused gateway=%s", gateway_id (gateway));
        return;
    }
    wire_msg_t *probed = wire_msg_new (WIRE_PROBED);
    wire_msg_set_room (probed, name);
    wire_msg_set_gateway (probed, gateway_id (gateway));
    probed->client = msg->client;
    router_publish (self, &probed);
}

void
router_handle_bye (router_t *self, gateway_t *gateway)
{
    router_gateway_drop (self, gateway, "left", ROUTER_REASON_BYE);
}

//  DRAINED: the gateway has closed its clients and is exiting. During
//  a drain its sessions go silently (everyone is leaving anyway).
void
router_handle_drained (router_t *self, gateway_t *gateway)
{
    router_gateway_drop (self, gateway, "drained", self->draining? NULL: ROUTER_REASON_BYE);
}

//  Forget a gateway and all its sessions (liveness.c drops the lost).
void
router_gateway_drop (router_t *self, gateway_t *gateway, const char *event, const char *reason)
{
    size_t count = 0;
    session_t **sessions = sessions_of_gateway (self->sessions, gateway_id (gateway), &count);
    for (size_t index = 0; index < count; index++)
        router_session_drop (self, sessions [index], reason);
    free (sessions);
    zsys_info ("router: gateway %s id=%s sessions=%zu", event, gateway_id (gateway), count);
    ROUTER_COUNT (self, router_metrics_drop (event));
    gateways_remove (self->gateways, gateway_id (gateway));
}
