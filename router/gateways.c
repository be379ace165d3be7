/*  =========================================================================
    gateways.c - registry of live gateways, by gateway id and by route

    A zhashx keyed by gateway id that owns its gateways, and one keyed by
    route (the routing id of each gateway's connection) that borrows
    them. There are few gateways (one per machine or container), so walks
    copy into a list.
    =========================================================================
*/
#include "gateways.h"

struct _gateways_t {
    zhashx_t *gateways;     //  gateway id -> gateway_t (owned)
    zhashx_t *routes;       //  route -> gateway_t (borrowed)
};

static void
s_gateway_destroy (void **item_p)
{
    gateway_destroy ((gateway_t **) item_p);
}

gateways_t *
gateways_new (void)
{
    gateways_t *self = (gateways_t *) zmalloc (sizeof (gateways_t));
    assert (self);
    self->gateways = zhashx_new ();
    assert (self->gateways);
    zhashx_set_destructor (self->gateways, s_gateway_destroy);
    self->routes = zhashx_new ();
    assert (self->routes);
    return self;
}

void
gateways_destroy (gateways_t **self_p)
{
    assert (self_p);
    gateways_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->routes);
    zhashx_destroy (&self->gateways);
    free (self);
    *self_p = NULL;
}

gateway_t *
gateways_add (gateways_t *self, const char *id, const char *route, const char *name,
              int64_t now)
{
    assert (self);
    assert (id);
    assert (route);
    if (zhashx_lookup (self->gateways, id) || zhashx_lookup (self->routes, route))
        return NULL;
    gateway_t *gateway = gateway_new (id, route, name, now);
    zhashx_insert (self->gateways, id, gateway);
    zhashx_insert (self->routes, route, gateway);
    return gateway;
}

gateway_t *
gateways_lookup (gateways_t *self, const char *id)
{
    assert (self);
    assert (id);
    return (gateway_t *) zhashx_lookup (self->gateways, id);
}

gateway_t *
gateways_by_route (gateways_t *self, const char *route)
{
    assert (self);
    assert (route);
    return (gateway_t *) zhashx_lookup (self->routes, route);
}

int
gateways_remove (gateways_t *self, const char *id)
{
    assert (self);
    assert (id);
    gateway_t *gateway = (gateway_t *) zhashx_lookup (self->gateways, id);
    if (!gateway)
        return -1;
    zhashx_delete (self->routes, gateway_route (gateway));
    zhashx_delete (self->gateways, id);
    return 0;
}

size_t
gateways_size (gateways_t *self)
{
    assert (self);
    return zhashx_size (self->gateways);
}

static int
s_compare_gateways (const void *item1, const void *item2)
{
    return strcmp (gateway_id ((gateway_t *) item1), gateway_id ((gateway_t *) item2));
}

zlistx_t *
gateways_sorted (gateways_t *self)
{
    assert (self);
    zlistx_t *list = zlistx_new ();
    assert (list);
    zlistx_set_comparator (list, s_compare_gateways);
    for (gateway_t *gateway = (gateway_t *) zhashx_first (self->gateways); gateway;
         gateway = (gateway_t *) zhashx_next (self->gateways))
        zlistx_add_end (list, gateway);
    zlistx_sort (list);
    return list;
}
