/*  =========================================================================
    ids.h - hash tables keyed by 64-bit numbers

    The router indexes sessions by number (a gateway's client id, a
    router-wide session id). czmq's zhashx is keyed by strings unless told
    otherwise; ids_hash_new returns one set up for uint64_t keys, so no
    lookup has to format a number into a string. Values that are session
    ids are stored in the value pointer itself (session ids are never 0).
    =========================================================================
*/
#ifndef IDS_H_INCLUDED
#define IDS_H_INCLUDED

#include "chat.h"

//  Store a non-zero id as a zhashx value, and get it back
#define IDS_VALUE(id)       ((void *) (uintptr_t) (id))
#define IDS_FROM_VALUE(ptr) ((uint64_t) (uintptr_t) (ptr))

_Static_assert (sizeof (void *) >= sizeof (uint64_t), "ids need 64-bit pointers");

//  Create a zhashx whose keys are const uint64_t * (copied on insert, so
//  callers may pass the address of a local). Values are not owned unless
//  the caller sets a destructor. Caller destroys it with zhashx_destroy.
zhashx_t *
    ids_hash_new (void);

#endif
