/*  =========================================================================
    harness_standin.c - a stand-in router for tests that need one misbehaving

    See harness_standin.h.
    =========================================================================
*/
#include "harness_standin.h"
#include <cmocka.h>

#define STANDIN_BIND_ATTEMPTS   25      //  a killed router's ports may take a moment
#define STANDIN_BIND_RETRY_MS   200     //  to be free again, as harness_router_start_at knows

static zsock_t *
s_bind (int type, const char *endpoint)
{
    zsock_t *sock = zsock_new (type);
    assert_non_null (sock);
    zsock_set_linger (sock, 0);
    int attempt = 0;
    while (zsock_bind (sock, "%s", endpoint) == -1 && ++attempt < STANDIN_BIND_ATTEMPTS)
        zclock_sleep (STANDIN_BIND_RETRY_MS);
    assert_true (attempt < STANDIN_BIND_ATTEMPTS);
    return sock;
}

bool
harness_standin (const char *ingress, const char *publish, uint64_t epoch, int beat_ms,
                 int timeout_ms, harness_standin_fn *on_message, void *arg)
{
    zsock_t *router = s_bind (ZMQ_ROUTER, ingress);
    zsock_t *pub = s_bind (ZMQ_PUB, publish);
    bool stopped = false;
    int64_t deadline = harness_now () + timeout_ms;
    while (!stopped && harness_now () < deadline) {
        wire_msg_t *beat = wire_msg_new (WIRE_BEAT);
        beat->epoch = epoch;
        assert_int_equal (wire_msg_write (beat, zsock_resolve (pub), NULL, 0), 0);
        wire_msg_destroy (&beat);
        zmq_pollitem_t item = { zsock_resolve (router), 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, beat_ms) <= 0)
            continue;
        char route [WIRE_GATEWAY_MAX + 1];
        wire_msg_t *msg;
        while (!stopped
           &&  (msg = wire_msg_read (zsock_resolve (router), route, ZMQ_DONTWAIT))) {
            stopped = on_message (arg, route, msg);
            wire_msg_destroy (&msg);
        }
    }
    zsock_destroy (&router);
    zsock_destroy (&pub);
    return stopped;
}
