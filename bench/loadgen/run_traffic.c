/*  =========================================================================
    run_traffic.c - what the load generator's clients say and hear

    A received line is a marker (a barrier probe or a measured message,
    accounted per receiver and sender: delivered, duplicated, late,
    misrouted, latency, closed-loop window) or a protocol line of the
    dialect (welcome -> send the join, own join notice, PING, error).
    Outgoing marked lines are built here too. Bytes move in run_io.c.
    =========================================================================
*/
#include "run_private.h"

void
run_set_ready (run_t *self, conn_t *conn)
{
    if (conn->state != CONN_JOINED)
        return;
    conn->state = CONN_READY;
    conn->was_ready = true;
    self->waiting--;
    self->rooms [conn->room].ready++;
    self->result->ready++;
}

//  Closed loop: move the window past every settled message.
void
run_advance (conn_t *sender, uint32_t window)
{
    while (sender->acked < sender->sent
       &&  sender->flights [(sender->acked + 1) % window].remaining == 0)
        sender->acked++;
}

static void
s_on_message (run_t *self, conn_t *conn, conn_t *sender, const marker_t *marker)
{
    run_result_t *result = self->result;
    if (!conn->tracks || sender->sender_slot < 0 || marker->seq > sender->sent) {
        result->misrouted++;
        return;
    }
    track_result_t outcome = track_record (&conn->tracks [sender->sender_slot], marker->seq);
    if (outcome == TRACK_INVALID) {
        result->misrouted++;
        return;
    }
    if (outcome == TRACK_DUPLICATE) {
        result->duplicated++;
        return;
    }
    if (outcome == TRACK_LATE)
        result->out_of_order++;
    result->delivered++;
    //  The accounting phase's messages are counted, not timed: its
    //  counters are not free for the servers
    if (self->account_start_ns && marker->sent_ns >= self->account_start_ns)
        result->account_deliveries++;
    else
        histogram_record (self->latency,
                          self->now > marker->sent_ns? self->now - marker->sent_ns: 0);
    if (self->now <= self->window_end)
        result->window_deliveries++;
    if (sender->flights) {
        uint32_t window = self->options->window;
        flight_t *flight = &sender->flights [marker->seq % window];
        if (flight->seq == marker->seq && flight->remaining > 0
        &&  --flight->remaining == 0)
            run_advance (sender, window);
    }
}

static void
s_on_marker (run_t *self, conn_t *conn, const marker_t *marker)
{
    const run_options_t *options = self->options;
    if (marker->room >= options->rooms || marker->sender >= options->clients) {
        self->result->misrouted++;
        return;
    }
    conn_t *sender = &self->conns [marker->sender];
    if (marker->room != conn->room || sender->room != marker->room || sender == conn) {
        self->result->misrouted++;
        return;
    }
    if (marker->type == MARKER_PROBE)
        run_set_ready (self, conn);
    else
        s_on_message (self, conn, sender, marker);
}

//  One complete line from the server (line end removed).
void
run_on_line (run_t *self, conn_t *conn, const char *line, size_t length)
{
    marker_t marker;
    if ((conn->state == CONN_JOINED || conn->state == CONN_READY)
    &&  marker_find (line, length, &marker) == 0) {
        s_on_marker (self, conn, &marker);
        return;
    }
    char reply [RUN_LINE_MAX];
    dialect_line_t kind = dialect_classify (self->options->dialect, line, length, conn->nick,
                                            conn->room, reply, sizeof (reply));
    if (kind == DIALECT_LINE_PING)
        run_queue (self, conn, reply, strlen (reply));
    else
    if (kind == DIALECT_LINE_WELCOME && conn->state == CONN_LOGIN) {
        int size = dialect_join (self->options->dialect, conn->room, reply, sizeof (reply));
        assert (size > 0);
        conn->state = CONN_JOINING;
        run_queue (self, conn, reply, (size_t) size);
    }
    else
    if (kind == DIALECT_LINE_JOINED && conn->state == CONN_JOINING) {
        conn->state = CONN_JOINED;
        self->pending--;
        self->waiting++;
        self->result->joined++;
    }
    else
    if (kind == DIALECT_LINE_ERROR) {
        run_note_error (self, line, length);
        if (conn->state == CONN_LOGIN || conn->state == CONN_JOINING)
            run_fail (self, conn, &self->result->failed_login);
        else
            self->result->server_warnings++;
    }
}

//  Queue one line carrying text made of the marker and padding.
void
run_send_marked (run_t *self, conn_t *conn, const marker_t *marker)
{
    int length = marker_format (self->text, MARKER_MAX, marker);
    assert (length > 0);
    size_t text_size = self->options->size > (uint32_t) length? self->options->size: (size_t) length;
    memset (self->text + length, 'x', text_size - (size_t) length);
    int size = dialect_say (self->options->dialect, conn->room, self->text, text_size,
                            self->line, RUN_LINE_MAX);
    assert (size > 0);
    run_queue (self, conn, self->line, (size_t) size);
}

void
run_send_message (run_t *self, conn_t *conn)
{
    marker_t marker = { .type = MARKER_MESSAGE, .room = conn->room, .sender = conn->index,
                        .seq = ++conn->sent, .sent_ns = self->now };
    if (self->accounting)
        self->result->account_sent++;
    else
        self->result->messages_sent++;
    if (conn->flights) {
        uint32_t window = self->options->window;
        flight_t *flight = &conn->flights [marker.seq % window];
        flight->seq = marker.seq;
        flight->sent_ns = self->now;
        flight->remaining = self->rooms [conn->room].ready - 1;
        if (flight->remaining == 0)
            run_advance (conn, window);
    }
    run_send_marked (self, conn, &marker);
}
