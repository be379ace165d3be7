/*  =========================================================================
    zap.c - the router's ZAP handler: which CURVE keys may talk to it

    An actor in the mould of czmq's zauth (a REP socket bound to libzmq's
    ZAP endpoint, answering RFC 27 requests), with what zauth lacks: a
    policy per ZAP domain (zauth has one certificate store for every
    socket, so a gateway key would open the control socket too) and a
    refusal log that a retrying peer cannot flood (zauth logs each verdict
    in verbose mode only, and then every retry). The keys themselves live
    in two czmq zcertstores, which re-read their directory on a lookup
    when it changed.
    =========================================================================
*/
#include "zap.h"
#include "curve.h"
#include <stdatomic.h>
#include <sys/stat.h>

#define ZAP_ENDPOINT        "inproc://zeromq.zap.01"    //  fixed by RFC 27
#define ZAP_VERSION         "1.0"
#define ZAP_REQUEST_FRAMES  6       //  version .. mechanism, before credentials
#define ZAP_KEY_BYTES       32      //  a CURVE credential
#define ZAP_LOGGED_MAX      1024    //  peers remembered as already logged
#define ZAP_STATUS_OK       "200"
#define ZAP_STATUS_DENIED   "400"
#define ZAP_STATUS_ERROR    "500"

//  What the router's thread and the handler's thread share
typedef struct {
    const char *directories [ZAP_DOMAIN_COUNT]; //  allow dirs (owned by zap_t)
    atomic_uint_fast64_t refused [ZAP_DOMAIN_COUNT];
    bool failed;                //  the handler could not bind (set before it signals)
} zap_shared_t;

struct _zap_t {
    zactor_t *actor;                //  the handler
    zap_shared_t shared;
    char *directories [ZAP_DOMAIN_COUNT];
};

//  The handler's own state, on its thread
typedef struct {
    zap_shared_t *shared;
    zsock_t *handler;               //  REP on ZAP_ENDPOINT
    zcertstore_t *stores [ZAP_DOMAIN_COUNT];
    zhashx_t *logged;               //  "domain address key" already logged (set)
} zap_handler_t;

static const char *s_domain_names [ZAP_DOMAIN_COUNT] = {
    [ZAP_GATEWAY] = ZAP_DOMAIN_GATEWAY,
    [ZAP_CONTROL] = ZAP_DOMAIN_CONTROL,
};

//  The domain named by a request's frame, or ZAP_DOMAIN_COUNT.
static zap_domain_t
s_domain (const char *name)
{
    for (int index = 0; index < ZAP_DOMAIN_COUNT; index++)
        if (streq (name, s_domain_names [index]))
            return (zap_domain_t) index;
    return ZAP_DOMAIN_COUNT;
}

//  Log a refusal unless this peer's was logged already. The set is
//  bounded: when full it starts again (a peer may then be logged twice).
static void
s_log_refusal (zap_handler_t *self, const char *domain, const char *address,
               const char *mechanism, const char *key)
{
    char *peer = zsys_sprintf ("%s %s %s %s", domain, address, mechanism, key);
    assert (peer);
    if (!zhashx_lookup (self->logged, peer)) {
        if (zhashx_size (self->logged) >= ZAP_LOGGED_MAX) {
            zsys_warning ("zap: %d refused peers logged, forgetting them", ZAP_LOGGED_MAX);
            zhashx_purge (self->logged);
        }
        zhashx_insert (self->logged, peer, "");
        zsys_warning ("zap: refused domain=%s address=%s mechanism=%s key=%s",
                      domain, address, mechanism, key);
    }
    zstr_free (&peer);
}

//  Answer one ZAP request. Only CURVE with a listed key passes in our
//  domains; NULL passes elsewhere (sockets without a domain, as libzmq
//  and zauth treat them), anything else is refused.
static void
s_handle_request (zap_handler_t *self)
{
    zmsg_t *request = zmsg_recv (self->handler);
    if (!request)
        return;
    char *fields [ZAP_REQUEST_FRAMES] = { NULL };
    for (int index = 0; index < ZAP_REQUEST_FRAMES; index++)
        fields [index] = zmsg_popstr (request);
    const char *version = fields [0], *sequence = fields [1], *domain = fields [2];
    const char *address = fields [3], *mechanism = fields [5];
    bool allowed = false;
    const char *status = ZAP_STATUS_DENIED;
    char key [CURVE_KEY_TEXT + 1] = "-";
    if (mechanism && version && streq (version, ZAP_VERSION)) {
        zap_domain_t which = domain? s_domain (domain): ZAP_DOMAIN_COUNT;
        if (streq (mechanism, "CURVE")) {
            zframe_t *credential = zmsg_pop (request);
            if (credential && zframe_size (credential) == ZAP_KEY_BYTES) {
                zmq_z85_encode (key, zframe_data (credential), ZAP_KEY_BYTES);
                allowed = which != ZAP_DOMAIN_COUNT
                       && zcertstore_lookup (self->stores [which], key) != NULL;
            }
            zframe_destroy (&credential);
        }
        else
            allowed = streq (mechanism, "NULL") && which == ZAP_DOMAIN_COUNT;
        if (!allowed) {
            if (which != ZAP_DOMAIN_COUNT)
                atomic_fetch_add (&self->shared->refused [which], 1);
            s_log_refusal (self, domain? domain: "-", address? address: "-", mechanism, key);
        }
        status = allowed? ZAP_STATUS_OK: ZAP_STATUS_DENIED;
    }
    else {
        zsys_error ("zap: malformed request refused");
        status = ZAP_STATUS_ERROR;
    }
    //  Always answer: a REP socket takes no request before its reply. The
    //  user id is the client key (zframe_meta "User-Id" on the router)
    zmsg_t *reply = zmsg_new ();
    assert (reply);
    zmsg_addstr (reply, ZAP_VERSION);
    zmsg_addstr (reply, sequence? sequence: "");
    zmsg_addstr (reply, status);
    zmsg_addstr (reply, allowed? "OK": "No access");
    zmsg_addstr (reply, allowed && streq (mechanism, "CURVE")? key: "");
    zmsg_addmem (reply, "", 0);
    zmsg_send (&reply, self->handler);
    zmsg_destroy (&reply);
    for (int index = 0; index < ZAP_REQUEST_FRAMES; index++)
        zstr_free (&fields [index]);
    zmsg_destroy (&request);
}

static void
s_actor (zsock_t *pipe, void *args)
{
    zap_handler_t self = { .shared = (zap_shared_t *) args };
    for (int index = 0; index < ZAP_DOMAIN_COUNT; index++) {
        self.stores [index] = zcertstore_new (self.shared->directories [index]);
        assert (self.stores [index]);
    }
    self.logged = zhashx_new ();
    assert (self.logged);
    self.handler = zsock_new (ZMQ_REP);
    assert (self.handler);
    int rc = zsock_bind (self.handler, ZAP_ENDPOINT);
    if (rc)
        zsys_error ("zap: cannot bind endpoint=%s (another handler?)", ZAP_ENDPOINT);
    //  zactor_new returns on this signal, so the flag is read after it
    self.shared->failed = rc != 0;
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, self.handler, NULL);
    assert (poller);
    while (rc == 0) {
        zsock_t *which = (zsock_t *) zpoller_wait (poller, -1);
        if (which == self.handler)
            s_handle_request (&self);
        else
        if (which == pipe) {
            char *command = zstr_recv (pipe);
            bool term = !command || streq (command, "$TERM");
            zstr_free (&command);
            if (term)
                break;
        }
        else
        if (zpoller_terminated (poller))
            break;
    }
    zpoller_destroy (&poller);
    zsock_destroy (&self.handler);
    zhashx_destroy (&self.logged);
    for (int index = 0; index < ZAP_DOMAIN_COUNT; index++)
        zcertstore_destroy (&self.stores [index]);
    //  A handler that failed to start still has to hear $TERM
    while (rc) {
        char *command = zstr_recv (pipe);
        bool term = !command || streq (command, "$TERM");
        zstr_free (&command);
        if (term)
            break;
    }
}

//  True if path is a readable directory (logged when not).
static bool
s_directory_ok (const char *flag, const char *path)
{
    struct stat status;
    if (stat (path, &status) == 0 && S_ISDIR (status.st_mode) && access (path, R_OK | X_OK) == 0)
        return true;
    zsys_error ("zap: %s is not a readable directory path=%s", flag, path);
    return false;
}

zap_t *
zap_new (const char *gateway_dir, const char *operator_dir)
{
    assert (gateway_dir);
    assert (operator_dir);
    if (!s_directory_ok ("--curve-allow", gateway_dir)
    ||  !s_directory_ok ("--control-allow", operator_dir))
        return NULL;
    zap_t *self = (zap_t *) zmalloc (sizeof (zap_t));
    assert (self);
    self->directories [ZAP_GATEWAY] = strdup (gateway_dir);
    self->directories [ZAP_CONTROL] = strdup (operator_dir);
    for (int index = 0; index < ZAP_DOMAIN_COUNT; index++) {
        assert (self->directories [index]);
        self->shared.directories [index] = self->directories [index];
        atomic_init (&self->shared.refused [index], 0);
    }
    //  Returns once the handler is bound, its lists loaded
    self->actor = zactor_new (s_actor, &self->shared);
    assert (self->actor);
    if (self->shared.failed) {
        zap_destroy (&self);
        return NULL;
    }
    zsys_info ("zap: ready gateways=%s operators=%s", gateway_dir, operator_dir);
    return self;
}

void
zap_destroy (zap_t **self_p)
{
    assert (self_p);
    zap_t *self = *self_p;
    if (!self)
        return;
    zactor_destroy (&self->actor);
    for (int index = 0; index < ZAP_DOMAIN_COUNT; index++)
        free (self->directories [index]);
    free (self);
    *self_p = NULL;
}

uint64_t
zap_refused (zap_t *self, zap_domain_t domain)
{
    assert (self);
    assert (domain < ZAP_DOMAIN_COUNT);
    return atomic_load (&self->shared.refused [domain]);
}
