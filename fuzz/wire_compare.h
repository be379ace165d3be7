/*  =========================================================================
    wire_compare.h - equality of two decoded wire messages, for fuzz targets

    Two messages are equal when every field a verb carries is equal;
    NULL and "" count as the same string, as they do on the wire.
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

#endif
