/*  =========================================================================
    fuzz_json.c - the JSON writer behind the zchat.v1.json events

    Every string a WebSocket page is sent (nicknames, rooms, chat text)
    goes through json.c, so its promise is what keeps a hostile nickname
    from breaking a page: whatever bytes a field holds, the output is one
    valid JSON document in valid UTF-8. The target writes fields cut from
    the input into an object of strings, a number, a bool and an array,
    then checks the output with a strict validator of its own (RFC 8259:
    no raw control characters, only the defined escapes, balanced
    containers, nothing after the document), and that each string decodes
    back to exactly what the sanitiser made of its field.
    =========================================================================
*/
#include "fuzz.h"
#include "json.h"
#include "text.h"

#define FUZZ_JSON_FIELDS    4       //  strings per document
#define FUZZ_JSON_FIELD_MAX 512     //  bytes per field

typedef struct {
    const char *at;             //  next byte to check
    const char *end;            //  one past the document
    char decoded [FUZZ_JSON_FIELD_MAX * 4 + 16];    //  the last string, unescaped
    size_t decoded_size;
} validator_t;

static int
s_hex (char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

//  A string token: its UTF-8 checked, escapes decoded into decoded.
static bool
s_string (validator_t *self)
{
    if (self->at >= self->end || *self->at != '"')
        return false;
    self->at++;
    self->decoded_size = 0;
    while (self->at < self->end && *self->at != '"') {
        unsigned char c = (unsigned char) *self->at;
        FUZZ_CHECK (c >= 0x20);             //  no raw control character
        FUZZ_CHECK (self->decoded_size + 4 < sizeof (self->decoded));
        if (c == '\\') {
            FUZZ_CHECK (self->at + 1 < self->end);
            char escape = self->at [1];
            const char *simple = strchr ("\"\\/bfnrt", escape);
            if (escape && simple) {
                static const char values [] = "\"\\/\b\f\n\r\t";
                self->decoded [self->decoded_size++] = values [simple - "\"\\/bfnrt"];
                self->at += 2;
                continue;
            }
            FUZZ_CHECK (escape == 'u' && self->at + 6 <= self->end);
            int code = 0;
            for (int index = 2; index < 6; index++) {
                int digit = s_hex (self->at [index]);
                FUZZ_CHECK (digit >= 0);
                code = code * 16 + digit;
            }
            //  The writer escapes only what must be: control characters
            FUZZ_CHECK (code < 0x20);
            self->decoded [self->decoded_size++] = (char) code;
            self->at += 6;
            continue;
        }
        size_t length;
        text_char_t character = text_char ((const uint8_t *) self->at,
                                           (size_t) (self->end - self->at), &length);
        FUZZ_CHECK (character == TEXT_CHAR_PRINTABLE);
        memcpy (self->decoded + self->decoded_size, self->at, length);
        self->decoded_size += length;
        self->at += length;
    }
    FUZZ_CHECK (self->at < self->end);
    self->at++;
    return true;
}

static bool s_value (validator_t *self, int depth);

static bool
s_literal (validator_t *self, const char *word)
{
    size_t size = strlen (word);
    if ((size_t) (self->end - self->at) < size || memcmp (self->at, word, size))
        return false;
    self->at += size;
    return true;
}

static bool
s_number (validator_t *self)
{
    const char *start = self->at;
    while (self->at < self->end && *self->at >= '0' && *self->at <= '9')
        self->at++;
    //  No leading zero unless the number is 0
    return self->at > start && (*start != '0' || self->at - start == 1);
}

//  An object or array: members or elements, comma-separated.
static bool
s_container (validator_t *self, int depth, char close, bool members)
{
    self->at++;
    if (self->at < self->end && *self->at == close) {
        self->at++;
        return true;
    }
    while (true) {
        if (members && !(s_string (self) && self->at < self->end && *self->at++ == ':'))
            return false;
        if (!s_value (self, depth + 1))
            return false;
        if (self->at >= self->end)
            return false;
        char next = *self->at++;
        if (next == close)
            return true;
        if (next != ',')
            return false;
    }
}

static bool
s_value (validator_t *self, int depth)
{
    FUZZ_CHECK (depth <= JSON_DEPTH_MAX);
    if (self->at >= self->end)
        return false;
    switch (*self->at) {
        case '{': return s_container (self, depth, '}', true);
        case '[': return s_container (self, depth, ']', false);
        case '"': return s_string (self);
        case 't': return s_literal (self, "true");
        case 'f': return s_literal (self, "false");
        default:  return s_number (self);
    }
}

typedef struct {
    char data [FUZZ_JSON_FIELD_MAX * 4 + 16];
    size_t size;
} sanitized_t;

static void
s_collect (void *arg, const char *piece, size_t size)
{
    sanitized_t *self = (sanitized_t *) arg;
    FUZZ_CHECK (self->size + size <= sizeof (self->data));
    memcpy (self->data + self->size, piece, size);
    self->size += size;
}

//  The document holds field's string: find it after key and compare.
static void
s_check_field (const char *document, size_t size, const char *key,
               const uint8_t *field, size_t field_size)
{
    char pattern [16];
    snprintf (pattern, sizeof (pattern), "\"%s\":", key);
    //  A match after a backslash is an escaped quote inside a string
    const char *found = strstr (document, pattern);
    while (found && found > document && found [-1] == '\\')
        found = strstr (found + 1, pattern);
    FUZZ_CHECK (found);
    validator_t validator = { found + strlen (pattern), document + size, "", 0 };
    FUZZ_CHECK (s_string (&validator));
    sanitized_t expected = { "", 0 };
    text_sanitize ((const char *) field, field_size, s_collect, &expected);
    FUZZ_CHECK (validator.decoded_size == expected.size);
    FUZZ_CHECK (memcmp (validator.decoded, expected.data, expected.size) == 0);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    fuzz_input_t input = { data, size };
    const uint8_t *fields [FUZZ_JSON_FIELDS];
    size_t sizes [FUZZ_JSON_FIELDS];
    for (int index = 0; index < FUZZ_JSON_FIELDS; index++)
        fields [index] = fuzz_slice (&input, fuzz_length (&input) % FUZZ_JSON_FIELD_MAX,
                                     &sizes [index]);
    uint64_t number = 0;
    for (int index = 0; index < 8; index++)
        number = number << 8 | fuzz_byte (&input);

    json_t *json = json_new ();
    json_object_start (json);
    json_key (json, "a");
    json_stringn (json, (const char *) fields [0], sizes [0]);
    json_key (json, "n");
    json_number (json, number);
    json_key (json, "list");
    json_array_start (json);
    json_stringn (json, (const char *) fields [1], sizes [1]);
    json_bool (json, number & 1);
    json_object_start (json);
    json_key (json, "b");
    json_stringn (json, (const char *) fields [2], sizes [2]);
    json_object_end (json);
    json_array_end (json);
    json_key (json, "c");
    json_stringn (json, (const char *) fields [3], sizes [3]);
    json_object_end (json);

    const char *document = json_data (json);
    size_t document_size = json_size (json);
    FUZZ_CHECK (strlen (document) == document_size);
    validator_t validator = { document, document + document_size, "", 0 };
    FUZZ_CHECK (s_value (&validator, 0));
    FUZZ_CHECK (validator.at == validator.end);
    //  Each string says exactly what the sanitiser made of its field
    s_check_field (document, document_size, "a", fields [0], sizes [0]);
    s_check_field (document, document_size, "b", fields [2], sizes [2]);
    s_check_field (document, document_size, "c", fields [3], sizes [3]);
    json_destroy (&json);
    return 0;
}
