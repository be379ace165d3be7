/*  =========================================================================
    run_private.h - what run.c, run_io.c and run_traffic.c share, and
    nobody else

    One benchmark run is split three ways: run.c drives the phases (join,
    barrier, measured window, drain, accounting), run_io.c owns the
    connections and the epoll loop, run_traffic.c interprets the lines
    clients receive and builds the marked lines they send. All three work
    on one run_t; the functions below cross between them. The public API
    (run_execute) is in loadgen.h.
    =========================================================================
*/
#ifndef RUN_PRIVATE_H_INCLUDED
#define RUN_PRIVATE_H_INCLUDED

#include "loadgen.h"
#include <netinet/in.h>

#define RUN_READ_CHUNK          (256 * 1024)    //  shared read buffer
#define RUN_LINE_MAX            (CHAT_LINE_MAX + MARKER_MAX)

typedef struct {
    uint32_t member_count;  //  members: connections room + m * rooms
    uint32_t sender_count;  //  members 0 .. sender_count - 1 send
    uint32_t ready;         //  members past the barrier and still there
} room_t;

typedef struct {
    const run_options_t *options;
    run_result_t *result;
    int epoll_fd;
    conn_t *conns;
    room_t *rooms;
    struct sockaddr_in *servers;
    uint32_t *dirty;        //  connections with output to write this pass
    size_t dirty_count;
    uint32_t *senders;      //  connections that send in the measured phase
    size_t sender_count;
    char *buffer;           //  shared read buffer
    char *text;             //  message text: marker + padding
    char *line;             //  one outgoing line
    histogram_t *latency;
    uint64_t now;           //  loadgen_now (), refreshed per read and per pass
    uint64_t window_end;    //  end of the measured window (0 before it)
    bool accounting;        //  in the accounting phase: sends count there
    uint64_t account_start_ns;  //  its start (0 before it)
    uint32_t next_connect;  //  next connection to open
    uint32_t pending;       //  connections between connect and joined
    uint32_t waiting;       //  connections joined but not yet probed
    unsigned int seed;      //  rand_r state for open-loop phases
} run_t;

//  --- run_io.c ---------------------------------------------------------------
//  Keep the first refusal or error seen (line, length bytes) for the report.
void
    run_note_error (run_t *self, const char *line, size_t length);
//  Give up on a connection: close it and count why. counter is the
//  result field to bump.
void
    run_fail (run_t *self, conn_t *conn, uint32_t *counter);
//  Counter for a connection that fails in its current state.
uint32_t *
    run_counter_for (run_t *self, conn_t *conn);
//  Queue bytes for the connection; written at the next flush of the pass.
void
    run_queue (run_t *self, conn_t *conn, const char *data, size_t size);
//  Open the connection (non-blocking); it completes in the loop.
void
    run_start_connect (run_t *self, conn_t *conn);
//  One loop pass: flush, wait up to timeout_ms, handle events, flush.
void
    run_pass (run_t *self, int timeout_ms);

//  --- run_traffic.c ----------------------------------------------------------
//  The connection has received a probe of its room: it is past the barrier.
void
    run_set_ready (run_t *self, conn_t *conn);
//  Closed loop: move the sender's window past every settled message.
void
    run_advance (conn_t *sender, uint32_t window);
//  One complete line from the server (line end removed).
void
    run_on_line (run_t *self, conn_t *conn, const char *line, size_t length);
//  Queue one line carrying text made of the marker and padding.
void
    run_send_marked (run_t *self, conn_t *conn, const marker_t *marker);
//  Queue the sender's next measured message (and open its window slot).
void
    run_send_message (run_t *self, conn_t *conn);

#endif
