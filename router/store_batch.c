/*  =========================================================================
    store_batch.c - a run of history writes, packed into one byte buffer

    Layout of one operation (numbers in native byte order, strings with
    their NUL so the reader can point at them in place):
      INSERT  op seq:8 time:8 client:8 kind:1 room nick gateway text
      DELETE  op seq:8 room
    =========================================================================
*/
#include "store_batch.h"

#define STORE_BATCH_BYTE        sizeof (uint8_t)        //  op, kind
#define STORE_BATCH_NUL         sizeof (char)           //  a string's terminator
#define STORE_BATCH_NUMBERS     (3 * sizeof (uint64_t)) //  seq, time, client
#define STORE_BATCH_MIN_GROWTH  4096    //  bytes: first allocation of a batch

size_t
store_batch_insert_size (const store_record_t *record)
{
    return STORE_BATCH_BYTE + STORE_BATCH_NUMBERS + STORE_BATCH_BYTE
         + strlen (record->room) + STORE_BATCH_NUL + strlen (record->nick) + STORE_BATCH_NUL
         + (record->gateway? strlen (record->gateway): 0) + STORE_BATCH_NUL
         + strlen (record->text) + STORE_BATCH_NUL;
}

size_t
store_batch_delete_size (const char *room)
{
    return STORE_BATCH_BYTE + sizeof (uint64_t) + strlen (room) + STORE_BATCH_NUL;
}

static void
s_reserve (store_batch_t *self, size_t more)
{
    if (self->size + more <= self->capacity)
        return;
    size_t capacity = self->capacity? self->capacity: STORE_BATCH_MIN_GROWTH;
    while (capacity < self->size + more)
        capacity *= 2;
    self->data = (char *) realloc (self->data, capacity);
    assert (self->data);
    self->capacity = capacity;
}

static void
s_put (store_batch_t *self, const void *bytes, size_t size)
{
    memcpy (self->data + self->size, bytes, size);
    self->size += size;
}

static void
s_put_string (store_batch_t *self, const char *string)
{
    s_put (self, string? string: "", (string? strlen (string): 0) + 1);
}

void
store_batch_insert (store_batch_t *self, const store_record_t *record)
{
    assert (self);
    assert (record);
    s_reserve (self, store_batch_insert_size (record));
    uint8_t op = STORE_BATCH_INSERT, kind = (uint8_t) record->kind;
    s_put (self, &op, STORE_BATCH_BYTE);
    s_put (self, &record->seq, sizeof (uint64_t));
    s_put (self, &record->time, sizeof (int64_t));
    s_put (self, &record->client, sizeof (uint64_t));
    s_put (self, &kind, STORE_BATCH_BYTE);
    s_put_string (self, record->room);
    s_put_string (self, record->nick);
    s_put_string (self, record->gateway);
    s_put_string (self, record->text);
    self->inserts++;
}

void
store_batch_delete (store_batch_t *self, const char *room, uint64_t seq)
{
    assert (self);
    assert (room);
    s_reserve (self, store_batch_delete_size (room));
    uint8_t op = STORE_BATCH_DELETE;
    s_put (self, &op, STORE_BATCH_BYTE);
    s_put (self, &seq, sizeof (uint64_t));
    s_put_string (self, room);
}

void
store_batch_append (store_batch_t *self, const void *data, size_t size)
{
    assert (self);
    if (size == 0)
        return;                     //  an empty batch (a sync with nothing new)
    s_reserve (self, size);
    s_put (self, data, size);
}

void
store_batch_clear (store_batch_t *self)
{
    assert (self);
    self->size = 0;
    self->inserts = 0;
}

void
store_batch_free (store_batch_t *self)
{
    assert (self);
    free (self->data);
    memset (self, 0, sizeof (*self));
}

//  Read a fixed-size field; -1 if the data ends first.
static int
s_get (const char *data, size_t size, size_t *offset, void *field, size_t field_size)
{
    if (size - *offset < field_size)
        return -1;
    memcpy (field, data + *offset, field_size);
    *offset += field_size;
    return 0;
}

//  Point at a NUL-terminated string; -1 if it is not terminated in time.
static int
s_get_string (const char *data, size_t size, size_t *offset, const char **string_p)
{
    const char *start = data + *offset;
    const char *end = (const char *) memchr (start, 0, size - *offset);
    if (!end)
        return -1;
    *string_p = start;
    *offset += (size_t) (end - start) + STORE_BATCH_NUL;
    return 0;
}

int
store_batch_next (const char *data, size_t size, size_t *offset, store_batch_item_t *item)
{
    assert (offset);
    assert (item);
    memset (item, 0, sizeof (*item));
    uint8_t op = 0, kind = 0;
    store_record_t *record = &item->record;
    if (*offset >= size || s_get (data, size, offset, &op, STORE_BATCH_BYTE) == -1
    ||  s_get (data, size, offset, &record->seq, sizeof (uint64_t)) == -1)
        return -1;
    item->op = (store_batch_op_t) op;
    if (op == STORE_BATCH_DELETE)
        return s_get_string (data, size, offset, &record->room);
    if (op != STORE_BATCH_INSERT
    ||  s_get (data, size, offset, &record->time, sizeof (int64_t)) == -1
    ||  s_get (data, size, offset, &record->client, sizeof (uint64_t)) == -1
    ||  s_get (data, size, offset, &kind, STORE_BATCH_BYTE) == -1
    ||  s_get_string (data, size, offset, &record->room) == -1
    ||  s_get_string (data, size, offset, &record->nick) == -1
    ||  s_get_string (data, size, offset, &record->gateway) == -1
    ||  s_get_string (data, size, offset, &record->text) == -1)
        return -1;
    record->kind = (store_kind_t) kind;
    return 0;
}
