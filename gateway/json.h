/*  =========================================================================
    json.h - a tiny JSON writer: objects, arrays, strings, numbers

    The gateway writes JSON (the zchat.v1.json events, format_json.c) and
    never reads it, so it needs no JSON library: a json_t is one reusable,
    growable buffer that calls append to. Strings go through the same
    sanitiser as telnet output (text.h: control characters and invalid
    UTF-8 become U+FFFD) and are then escaped, so the output is always
    valid JSON in valid UTF-8, whatever bytes a field held. Commas are the
    writer's business: it remembers, per open container, whether a value
    came already. Nesting is at most JSON_DEPTH_MAX deep (an assertion).
    =========================================================================
*/
#ifndef JSON_H_INCLUDED
#define JSON_H_INCLUDED

#include "chat.h"

#define JSON_DEPTH_MAX      8

typedef struct _json_t json_t;

//  Create an empty writer. Never NULL (aborts on no memory).
json_t *
    json_new (void);

//  Destroy; NULL-safe, sets *self_p to NULL.
void
    json_destroy (json_t **self_p);

//  Empty the buffer (keeping its memory) to write a new document.
void
    json_reset (json_t *self);

//  What was written (NUL-terminated) and its size in bytes. Borrowed
//  until the next call.
const char *
    json_data (json_t *self);
size_t
    json_size (json_t *self);

//  Containers: { } and [ ], each a value of its own.
void
    json_object_start (json_t *self);
void
    json_object_end (json_t *self);
void
    json_array_start (json_t *self);
void
    json_array_end (json_t *self);

//  An object's member name; the next call writes its value. name is
//  written as it is (a name of ours: ASCII, nothing to escape).
void
    json_key (json_t *self, const char *name);

//  Values. A NULL text is written as "".
void
    json_string (json_t *self, const char *text);
void
    json_stringn (json_t *self, const char *text, size_t size);
void
    json_number (json_t *self, uint64_t number);
void
    json_bool (json_t *self, bool value);

//  Append raw bytes after the document (e.g. its CRLF line end).
void
    json_raw (json_t *self, const char *data, size_t size);

#endif
