/*  =========================================================================
    control.c - the router's control socket (zchat-ctl talks to it)

    The control protocol is not a wire_msg_t (it is meant to be driven by
    hand, from zchat-ctl or any DEALER), so its two reply frames are built
    here. Peers have ZeroMQ-generated binary routing ids, kept as a frame.
    =========================================================================
*/
#include "control.h"
#include "curve.h"
#include "wire.h"
#include "zap.h"

#define CONTROL_LINGER_MS       100     //  let the last reply out at exit
#define CONTROL_VERB_MAX        32      //  longest verb worth reading

struct _control_t {
    zsock_t *sock;          //  ROUTER, bound
    char *endpoint;         //  resolved bound endpoint
    zframe_t *peer;         //  routing id of the last request
};

control_t *
control_new (const char *endpoint, zcert_t *cert)
{
    assert (endpoint);
    control_t *self = (control_t *) zmalloc (sizeof (control_t));
    assert (self);
    self->sock = zsock_new (ZMQ_ROUTER);
    assert (self->sock);
    //  Operators only: the ZAP handler checks this domain's keys against
    //  --control-allow, not against the gateways' directory
    if (cert)
        curve_apply_server (self->sock, cert, ZAP_DOMAIN_CONTROL);
    zsock_set_linger (self->sock, CONTROL_LINGER_MS);
    zsock_set_router_mandatory (self->sock, 1);
    zsock_set_rcvtimeo (self->sock, 0);     //  control_recv never waits
    if (zsock_bind (self->sock, "%s", endpoint) == -1) {
        zsys_error ("control: bind failed endpoint=%s error=%s", endpoint, zmq_strerror (errno));
        control_destroy (&self);
        return NULL;
    }
    self->endpoint = zsock_last_endpoint (self->sock);
    assert (self->endpoint);
    return self;
}

void
control_destroy (control_t **self_p)
{
    assert (self_p);
    control_t *self = *self_p;
    if (!self)
        return;
    zframe_destroy (&self->peer);
    zstr_free (&self->endpoint);
    zsock_destroy (&self->sock);
    free (self);
    *self_p = NULL;
}

zsock_t *
control_sock (control_t *self)
{
    assert (self);
    return self->sock;
}

const char *
control_endpoint (control_t *self)
{
    assert (self);
    return self->endpoint;
}

control_request_t
control_recv (control_t *self)
{
    assert (self);
    zmsg_t *msg = zmsg_recv (self->sock);
    if (!msg)
        return errno == EAGAIN? CONTROL_AGAIN: CONTROL_NONE;
    zframe_destroy (&self->peer);
    self->peer = zmsg_pop (msg);
    zframe_t *verb = zmsg_pop (msg);
    control_request_t request = CONTROL_UNKNOWN;
    if (!self->peer || !verb)
        request = CONTROL_NONE;
    else
    if (zframe_streq (verb, WIRE_CTL_STATUS))
        request = CONTROL_STATUS;
    else
    if (zframe_streq (verb, WIRE_CTL_SHUTDOWN))
        request = CONTROL_SHUTDOWN;
    if (request == CONTROL_UNKNOWN) {
        char text [CONTROL_VERB_MAX + 1];
        size_t size = zframe_size (verb) < CONTROL_VERB_MAX? zframe_size (verb): CONTROL_VERB_MAX;
        //  Whatever bytes came, the log line stays one printable line
        for (size_t index = 0; index < size; index++) {
            char c = (char) zframe_data (verb) [index];
            text [index] = isprint ((unsigned char) c)? c: '?';
        }
        text [size] = 0;
        zsys_info ("control: unknown request verb=%s", text);
    }
    zframe_destroy (&verb);
    zmsg_destroy (&msg);
    return request;
}

void
control_reply (control_t *self, bool ok, const char *body)
{
    assert (self);
    if (!self->peer)
        return;
    zmsg_t *msg = zmsg_new ();
    zmsg_append (msg, &self->peer);
    zmsg_addstr (msg, ok? WIRE_CTL_OK: WIRE_CTL_ERROR);
    zmsg_addstr (msg, body? body: "");
    zsock_set_sndtimeo (self->sock, 0);
    if (zmsg_send (&msg, self->sock) == -1) {
        zsys_debug ("control: reply dropped error=%s", zmq_strerror (errno));
        zmsg_destroy (&msg);
    }
}
