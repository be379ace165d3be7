/*  =========================================================================
    liveness.c - the router's timers: BEAT, gateway timeouts, the drain

    router_run calls router_run_timers once per loop pass, with self->now
    fresh from zclock_mono; nothing here waits. The router publishes BEAT
    every --heartbeat-interval, drops a gateway silent for longer than
    --gateway-timeout, and during a drain repeats DRAIN until every
    gateway has said DRAINED or --drain-timeout has passed.
    =========================================================================
*/
#include "router_internal.h"

#define ROUTER_MS_PER_S         1000

#define ROUTER_TEXT_SHUTDOWN    "Server shutting down..."
#define ROUTER_REASON_LOST      "connection lost"
#define ROUTER_LOST_MAX         1024    //  lost gateway ids remembered

//  Settings are any int64 >= 0 (common/config.c): a huge one means
//  "never", so these saturate instead of overflowing into "at once".
static int64_t
s_seconds_to_ms (int64_t seconds)
{
    return seconds > INT64_MAX / ROUTER_MS_PER_S? INT64_MAX: seconds * ROUTER_MS_PER_S;
}

//  The time ms after now (now >= 0, ms >= 0), at most INT64_MAX.
static int64_t
s_after (int64_t now, int64_t ms)
{
    return ms > INT64_MAX - now? INT64_MAX: now + ms;
}

//  Publish BEAT or DRAIN on the control topic, carrying this run's epoch.
static void
s_publish_control (router_t *self, wire_id_t id)
{
    wire_msg_t *msg = wire_msg_new (id);
    msg->epoch = self->epoch;
    router_publish (self, &msg);
}

//  Refuse new lines from now on (requests.c checks self->draining), tell
//  every room, then tell every gateway to drain.
void
router_start_drain (router_t *self, const char *reason)
{
    if (self->draining)
        return;
    self->draining = true;
    self->drain_deadline = s_after (self->now, s_seconds_to_ms (self->config.drain_timeout_s));
    zsys_info ("router: drain started reason=%s gateways=%zu sessions=%zu rooms=%zu",
               reason, gateways_size (self->gateways), sessions_size (self->sessions),
               rooms_size (self->rooms));
    for (room_t *room = rooms_first (self->rooms); room; room = rooms_next (self->rooms)) {
        wire_msg_t *notice = wire_msg_new (WIRE_NOTICE);
        wire_msg_set_room (notice, room_name (room));
        notice->seq = room_next_seq (room);
        wire_msg_set_text (notice, ROUTER_TEXT_SHUTDOWN);
        router_publish (self, &notice);
    }
    //  DRAIN goes out after every room's traffic on the same PUB socket,
    //  so each gateway receives it after everything it subscribed to.
    s_publish_control (self, WIRE_DRAIN);
}

//  Drop every gateway silent for longer than --gateway-timeout.
static void
s_check_gateways (router_t *self)
{
    int64_t timeout_ms = s_seconds_to_ms (self->config.gateway_timeout_s);
    zlistx_t *gateways = gateways_sorted (self->gateways);
    for (gateway_t *gateway = (gateway_t *) zlistx_first (gateways); gateway;
         gateway = (gateway_t *) zlistx_next (gateways))
        if (self->now - gateway_last_seen (gateway) > timeout_ms) {
            //  Remember it: if it comes back (a partition, a stall), its
            //  re-registered users must be announced again; meanwhile its
            //  id stays reserved for its connection (requests.c)
            if (zhashx_size (self->lost) >= ROUTER_LOST_MAX)
                zhashx_purge (self->lost);
            zhashx_update (self->lost, gateway_id (gateway), (void *) gateway_route (gateway));
            router_gateway_drop (self, gateway, "lost", ROUTER_REASON_LOST);
        }
    zlistx_destroy (&gateways);
}

int64_t
router_run_timers (router_t *self)
{
    if (self->now >= self->next_beat) {
        s_publish_control (self, WIRE_BEAT);
        //  Repeat DRAIN while draining: a PUB drops messages at its HWM,
        //  and a gateway that missed the first one would never leave.
        if (self->draining)
            s_publish_control (self, WIRE_DRAIN);
        self->next_beat = s_after (self->now, self->config.heartbeat_ms);
    }
    if (self->now >= self->next_check) {
        s_check_gateways (self);
        self->next_check = self->now + ROUTER_CHECK_MS;
    }
    int64_t next = self->next_beat < self->next_check? self->next_beat: self->next_check;
    if (self->draining) {
        if (gateways_size (self->gateways) == 0) {
            zsys_info ("router: drain finished gateways=0");
            self->finished = true;
        }
        else
        if (self->now >= self->drain_deadline) {
            zsys_info ("router: drain timed out gateways=%zu", gateways_size (self->gateways));
            self->finished = true;
        }
        if (self->drain_deadline < next)
            next = self->drain_deadline;
    }
    return next > self->now? next - self->now: 0;
}

