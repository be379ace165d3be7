/*  =========================================================================
    ids.c - hash tables keyed by 64-bit numbers

    See ids.h. The hash is a 64-bit mix (splitmix64's finaliser), so
    sequential client ids spread evenly over zhashx's buckets.
    =========================================================================
*/
#include "ids.h"

//  splitmix64's finaliser: two multiplies and three xor-shifts
#define IDS_MIX_SHIFT_1     30
#define IDS_MIX_SHIFT_2     27
#define IDS_MIX_SHIFT_3     31
#define IDS_MIX_FACTOR_1    0xbf58476d1ce4e5b9ULL
#define IDS_MIX_FACTOR_2    0x94d049bb133111ebULL

static size_t
s_hash (const void *key)
{
    uint64_t value = *(const uint64_t *) key;
    value ^= value >> IDS_MIX_SHIFT_1;
    value *= IDS_MIX_FACTOR_1;
    value ^= value >> IDS_MIX_SHIFT_2;
    value *= IDS_MIX_FACTOR_2;
    value ^= value >> IDS_MIX_SHIFT_3;
    return (size_t) value;
}

static int
s_compare (const void *item1, const void *item2)
{
    uint64_t value1 = *(const uint64_t *) item1;
    uint64_t value2 = *(const uint64_t *) item2;
    return value1 < value2? -1: value1 > value2? 1: 0;
}

static void *
s_duplicate (const void *key)
{
    uint64_t *copy = (uint64_t *) malloc (sizeof (uint64_t));
    assert (copy);
    *copy = *(const uint64_t *) key;
    return copy;
}

static void
s_destroy (void **key_p)
{
    free (*key_p);
    *key_p = NULL;
}

zhashx_t *
ids_hash_new (void)
{
    zhashx_t *hash = zhashx_new ();
    assert (hash);
    zhashx_set_key_hasher (hash, s_hash);
    zhashx_set_key_comparator (hash, s_compare);
    zhashx_set_key_duplicator (hash, s_duplicate);
    zhashx_set_key_destructor (hash, s_destroy);
    return hash;
}
