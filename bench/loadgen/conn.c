/*  =========================================================================
    conn.c - one client connection of the load generator

    Output is appended to a per-connection buffer and written once per
    event-loop pass (run_io.c keeps the list of connections with pending
    output), the same coalescing the servers under test are expected to
    do, so the load generator's own system-call cost stays low. Input is
    read into a shared buffer by run_io.c; only a partial line is kept here.
    =========================================================================
*/
#include "loadgen.h"

#define CONN_OUTPUT_MIN         512     //  first allocation of the output buffer

int
conn_queue (conn_t *self, const char *data, size_t size)
{
    assert (self);
    if (self->output_used + size > self->output_size) {
        size_t wanted = self->output_size? self->output_size: CONN_OUTPUT_MIN;
        while (wanted < self->output_used + size)
            wanted *= 2;
        if (wanted > CONN_OUTPUT_MAX)
            return -1;
        char *output = (char *) realloc (self->output, wanted);
        if (!output)
            return -1;
        self->output = output;
        self->output_size = wanted;
    }
    memcpy (self->output + self->output_used, data, size);
    self->output_used += size;
    return 0;
}

int
conn_flush (conn_t *self)
{
    assert (self);
    size_t written = 0;
    while (written < self->output_used) {
        ssize_t rc = conn_send (self, self->output + written, self->output_used - written);
        if (rc > 0)
            written += (size_t) rc;
        else
        if (rc < 0 && errno == EINTR)
            continue;
        else
        if (rc < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        else
            return -1;
    }
    if (written > 0) {
        memmove (self->output, self->output + written, self->output_used - written);
        self->output_used -= written;
    }
    return self->output_used? 1: 0;
}

void
conn_close (conn_t *self)
{
    assert (self);
    if (self->tls)
        conn_tls_close (self);
    if (self->fd >= 0)
        close (self->fd);
    self->fd = -1;
    free (self->input);
    self->input = NULL;
    self->input_used = 0;
    free (self->output);
    self->output = NULL;
    self->output_used = 0;
    self->output_size = 0;
}
