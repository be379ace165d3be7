/*  =========================================================================
    json.c - a tiny JSON writer: objects, arrays, strings, numbers

    Escaping (RFC 8259 section 7): after sanitising, a string holds no
    control character but may hold '"' and '\\'; those are escaped, and
    any control character that still got here (none can: an assertion
    would be too strong for a writer others may reuse) as \u00XX. The
    sanitised text is valid UTF-8, which JSON takes as it is.
    =========================================================================
*/
#include "json.h"
#include "strbuf.h"
#include "text.h"

#define JSON_INITIAL_SIZE   1024
#define JSON_NUMBER_MAX     24          //  digits of a uint64_t, with room
#define JSON_ESCAPE_MAX     8           //  "\u001f" and its NUL
#define JSON_CONTROL_END    0x20        //  below this a byte must be escaped

struct _json_t {
    strbuf_t document;                  //  the document, NUL-terminated
    size_t depth;                       //  containers open
    bool has_value [JSON_DEPTH_MAX];    //  that container has a value already
    bool after_key;                     //  a key was written, its value is next
};

json_t *
json_new (void)
{
    json_t *self = (json_t *) zmalloc (sizeof (json_t));
    assert (self);
    strbuf_init (&self->document, JSON_INITIAL_SIZE);
    json_reset (self);
    return self;
}

void
json_destroy (json_t **self_p)
{
    assert (self_p);
    json_t *self = *self_p;
    if (!self)
        return;
    strbuf_fini (&self->document);
    free (self);
    *self_p = NULL;
}

void
json_reset (json_t *self)
{
    assert (self);
    strbuf_reset (&self->document);
    self->depth = 0;
    self->after_key = false;
}

const char *
json_data (json_t *self)
{
    assert (self);
    return self->document.data;
}

size_t
json_size (json_t *self)
{
    assert (self);
    return self->document.size;
}

void
json_raw (json_t *self, const char *data, size_t size)
{
    assert (self);
    strbuf_append (&self->document, data, size);
}

//  Before any value: the comma that separates it from the one before.
static void
s_value (json_t *self)
{
    if (self->after_key) {
        self->after_key = false;
        return;
    }
    if (self->depth > 0) {
        if (self->has_value [self->depth - 1])
            json_raw (self, ",", 1);
        self->has_value [self->depth - 1] = true;
    }
}

static void
s_open (json_t *self, const char *bracket)
{
    s_value (self);
    assert (self->depth < JSON_DEPTH_MAX);
    json_raw (self, bracket, 1);
    self->has_value [self->depth++] = false;
}

static void
s_close (json_t *self, const char *bracket)
{
    assert (self->depth > 0);
    assert (!self->after_key);
    self->depth--;
    json_raw (self, bracket, 1);
}

void
json_object_start (json_t *self)
{
    assert (self);
    s_open (self, "{");
}

void
json_object_end (json_t *self)
{
    assert (self);
    s_close (self, "}");
}

void
json_array_start (json_t *self)
{
    assert (self);
    s_open (self, "[");
}

void
json_array_end (json_t *self)
{
    assert (self);
    s_close (self, "]");
}

void
json_key (json_t *self, const char *name)
{
    assert (self);
    assert (name);
    assert (!self->after_key);
    s_value (self);
    json_raw (self, "\"", 1);
    json_raw (self, name, strlen (name));
    json_raw (self, "\":", 2);
    self->after_key = true;
}

//  text.h's sink: a sanitised piece, escaped.
static void
s_escape (void *arg, const char *piece, size_t size)
{
    json_t *self = (json_t *) arg;
    size_t start = 0;
    for (size_t index = 0; index < size; index++) {
        unsigned char byte = (unsigned char) piece [index];
        if (byte != '"' && byte != '\\' && byte >= JSON_CONTROL_END)
            continue;
        json_raw (self, piece + start, index - start);
        char escape [JSON_ESCAPE_MAX];
        int length = byte == '"' || byte == '\\'
                   ? snprintf (escape, sizeof (escape), "\\%c", byte)
                   : snprintf (escape, sizeof (escape), "\\u%04x", byte);
        json_raw (self, escape, (size_t) length);
        start = index + 1;
    }
    json_raw (self, piece + start, size - start);
}

void
json_stringn (json_t *self, const char *text, size_t size)
{
    assert (self);
    assert (text || size == 0);
    s_value (self);
    json_raw (self, "\"", 1);
    if (size)
        text_sanitize (text, size, s_escape, self);
    json_raw (self, "\"", 1);
}

void
json_string (json_t *self, const char *text)
{
    json_stringn (self, text, text? strlen (text): 0);
}

void
json_number (json_t *self, uint64_t number)
{
    assert (self);
    s_value (self);
    char digits [JSON_NUMBER_MAX];
    int size = snprintf (digits, sizeof (digits), "%" PRIu64, number);
    json_raw (self, digits, (size_t) size);
}

void
json_bool (json_t *self, bool value)
{
    assert (self);
    s_value (self);
    if (value)
        json_raw (self, "true", 4);
    else
        json_raw (self, "false", 5);
}
