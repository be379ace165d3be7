/*  =========================================================================
    admission.h - who may connect: per-address caps on the client port

    Two limits per client address, both 0 = off: connections open at once
    (--max-per-ip) and new connections per window (--connect-rate-per-ip
    N/SECONDS, a token bucket of N refilled over SECONDS). IPv6 addresses
    are grouped by their /64 (one host usually owns one), IPv4-mapped
    IPv6 counts as IPv4. Addresses in the exempt list (--admission-exempt,
    loopback by default, as Ergo does) are never limited.

    A refusal is logged at most once per address every 10 s, with how
    many were refused since the last log line, never once per connection. Memory:
    one entry per address with an open connection, or one that connected
    within the last window (swept once per window).
    =========================================================================
*/
#ifndef ADMISSION_H_INCLUDED
#define ADMISSION_H_INCLUDED

#include "chat.h"
#include "cidr.h"

typedef struct _admission_t admission_t;
typedef struct _admission_entry_t admission_entry_t;

typedef struct {
    uint32_t max_per_address;       //  open connections; 0 = no cap
    uint32_t connect_count;         //  new connections per window; 0 = no cap
    int64_t connect_window_ms;      //  that window
    const cidr_list_t *exempt;      //  never limited (may be NULL); copied
} admission_limits_t;

typedef enum {
    ADMISSION_OK,
    ADMISSION_TOO_MANY,             //  over max_per_address
    ADMISSION_TOO_FAST              //  over the connect rate
} admission_result_t;

//  Parse "N/SECONDS" into the rate fields; "0" turns the rate off.
//  Returns 0 or -1.
int
    admission_parse_rate (admission_limits_t *limits, const char *text);

//  NULL on no memory.
admission_t *
    admission_new (const admission_limits_t *limits);
void
    admission_destroy (admission_t **self_p);

//  True when any limit is on.
bool
    admission_enabled (admission_t *self);

//  A new connection from address at now (loop ms). On ADMISSION_OK,
//  *entry_p is what admission_leave takes when it closes (NULL for an
//  exempt or unlimited address).
admission_result_t
    admission_enter (admission_t *self, const struct sockaddr *address, int64_t now,
                     admission_entry_t **entry_p);

//  A connection admitted with entry has closed. NULL-safe.
void
    admission_leave (admission_t *self, admission_entry_t *entry);

//  Refusals so far (all addresses).
uint64_t
    admission_refused (admission_t *self);

//  Addresses tracked now (for tests).
size_t
    admission_size (admission_t *self);

#endif
