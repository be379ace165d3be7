/*  =========================================================================
    fuzz.h - what every fuzz target shares

    Each fuzz/fuzz_<name>.c defines LLVMFuzzerTestOneInput and is built
    twice: with clang's libFuzzer (`make fuzz`, which searches for new
    inputs) and with replay.c's main (`make test`, which runs every input
    kept under fuzz/corpus/<name>/ and fuzz/regressions/<name>/ through
    the same function, so a crash once found stays fixed). A target
    checks properties with FUZZ_CHECK, which aborts under both builds;
    assert () would vanish under -DNDEBUG.

    fuzz_input_t hands a target its bytes as a stream of fields, the way
    libFuzzer's FuzzedDataProvider does: numbers and slices come off the
    front, and an exhausted input yields zeros and empty slices rather
    than failing, so every input is some test.
    =========================================================================
*/
#ifndef FUZZ_H_INCLUDED
#define FUZZ_H_INCLUDED

#include "chat.h"

#define FUZZ_CHECK(condition) \
    do { if (!(condition)) { \
        fprintf (stderr, "fuzz: check failed: %s (%s:%d)\n", #condition, __FILE__, __LINE__); \
        abort (); \
    } } while (0)

typedef struct {
    const uint8_t *data;    //  bytes not yet taken
    size_t size;            //  how many
} fuzz_input_t;

//  One byte, or 0 when the input is used up.
static inline uint8_t
fuzz_byte (fuzz_input_t *self)
{
    if (self->size == 0)
        return 0;
    self->size--;
    return *self->data++;
}

//  A 16-bit length (big-endian), or 0 when the input is used up.
static inline size_t
fuzz_length (fuzz_input_t *self)
{
    size_t high = fuzz_byte (self);
    return (high << 8) | fuzz_byte (self);
}

//  Up to size bytes off the front; *taken_p says how many there were.
static inline const uint8_t *
fuzz_slice (fuzz_input_t *self, size_t size, size_t *taken_p)
{
    if (size > self->size)
        size = self->size;
    const uint8_t *slice = self->data;
    self->data += size;
    self->size -= size;
    *taken_p = size;
    return slice;
}

//  libFuzzer's entry point, defined by each target.
int
    LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#endif
