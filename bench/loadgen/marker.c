/*  =========================================================================
    marker.c - the stamp a load generator message carries

    Every message the load generator sends contains one marker: room,
    sender, sequence and send time. Receivers look for it anywhere in a
    line, so the same code reads zchat's "[r3] guest-1: ..." and IRC's
    ":u1!~u1@host PRIVMSG #r3 :...". Only letters, digits and dots are
    used, which every chat server relays unchanged.
    =========================================================================
*/
#include "loadgen.h"

#define MARKER_PREFIX_SIZE      (sizeof (MARKER_PREFIX) - 1)
#define MARKER_FIELDS           4       //  room, sender, seq, sent_ns
#define MARKER_DIGITS_MAX       20      //  digits of a uint64_t

int
marker_format (char *buffer, size_t size, const marker_t *marker)
{
    assert (buffer);
    assert (marker);
    int length = snprintf (buffer, size, "%s%c%" PRIu32 ".%" PRIu32 ".%" PRIu64
                           ".%" PRIu64 ".", MARKER_PREFIX, marker->type, marker->room,
                           marker->sender, marker->seq, marker->sent_ns);
    if (length < 0 || (size_t) length >= size)
        return -1;
    return length;
}

//  Parse MARKER_FIELDS decimal numbers each ending in '.', from text
//  (end is one past the last byte). Returns 0 with values set, or -1.
static int
s_parse_fields (const char *text, const char *end, uint64_t *values)
{
    for (int field = 0; field < MARKER_FIELDS; field++) {
        uint64_t value = 0;
        int digits = 0;
        while (text < end && *text >= '0' && *text <= '9') {
            if (++digits > MARKER_DIGITS_MAX)
                return -1;
            value = value * 10 + (uint64_t) (*text - '0');
            text++;
        }
        if (digits == 0 || text >= end || *text != '.')
            return -1;
        text++;
        values [field] = value;
    }
    return 0;
}

int
marker_find (const char *line, size_t length, marker_t *marker)
{
    assert (line);
    assert (marker);
    const char *cursor = line;
    const char *end = line + length;
    while (cursor < end) {
        const char *found = (const char *) memmem (cursor, (size_t) (end - cursor),
                                                   MARKER_PREFIX, MARKER_PREFIX_SIZE);
        if (!found)
            return -1;
        const char *type = found + MARKER_PREFIX_SIZE;
        uint64_t values [MARKER_FIELDS];
        if (type < end
        && (*type == MARKER_MESSAGE || *type == MARKER_PROBE)
        &&  s_parse_fields (type + 1, end, values) == 0
        &&  values [0] <= UINT32_MAX && values [1] <= UINT32_MAX) {
            marker->type = *type;
            marker->room = (uint32_t) values [0];
            marker->sender = (uint32_t) values [1];
            marker->seq = values [2];
            marker->sent_ns = values [3];
            return 0;
        }
        cursor = found + 1;
    }
    return -1;
}
