/*  =========================================================================
    wire_compare.h - what the wire fuzz targets share

    Equality of two decoded wire messages (every field a verb carries;
    NULL and "" count as the same string, as they do on the wire), and
    the inproc PAIR both targets send frames through.
    =========================================================================
*/
#ifndef WIRE_COMPARE_H_INCLUDED
#define WIRE_COMPARE_H_INCLUDED

#include "wire.h"

static inline bool
wire_compare_strings (const char *first, const char *second)
{
    return streq (first? first: "", second? second: "");
}

static inline bool
wire_compare (const wire_msg_t *first, const wire_msg_t *second)
{
    if (first->id != second->id || first->client != second->client
    ||  first->seq != second->seq || first->epoch != second->epoch
    ||  first->limit != second->limit || first->total != second->total
    ||  first->time != second->time
    ||  first->entry_count != second->entry_count)
        return false;
    if (!wire_compare_strings (first->gateway, second->gateway)
    ||  !wire_compare_strings (first->room, second->room)
    ||  !wire_compare_strings (first->nick, second->nick)
    ||  !wire_compare_strings (first->target, second->target)
    ||  !wire_compare_strings (first->text, second->text))
        return false;
    for (size_t index = 0; index < first->entry_count; index++)
        if (first->entries [index].count != second->entries [index].count
        ||  !wire_compare_strings (first->entries [index].name, second->entries [index].name))
            return false;
    return true;
}

//  The pair of a target, made at its first input and kept for the
//  process: the socket decoder reads what the writer sends.
typedef struct {
    zsock_t *reader;
    zsock_t *writer;
} wire_pair_t;

static inline void
wire_pair_setup (wire_pair_t *self, const char *endpoint)
{
    if (self->reader)
        return;
    zsys_set_logstream (NULL);
    self->reader = zsock_new (ZMQ_PAIR);
    self->writer = zsock_new (ZMQ_PAIR);
    assert (self->reader && self->writer);
    int rc = zsock_bind (self->reader, "%s", endpoint);
    assert (rc == 0);
    rc = zsock_connect (self->writer, "%s", endpoint);
    assert (rc == 0);
}

#endif
