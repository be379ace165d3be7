/*  =========================================================================
    harness_standin.h - a stand-in router for tests that need one misbehaving

    Binds a ROUTER and a PUB on a router's endpoints (the real one must be
    gone), publishes BEAT with a given epoch every beat interval, and hands
    each ingress message, with the routing id it came from, to the test,
    until the test says it has seen enough or the deadline passes. It
    answers nothing: what a test needs from a router that beats but never
    welcomes, or that swallows a HELLO and dies.
    =========================================================================
*/
#ifndef HARNESS_STANDIN_H_INCLUDED
#define HARNESS_STANDIN_H_INCLUDED

#include "harness.h"
#include "wire.h"

//  One ingress message (borrowed) from route; return true to stop.
typedef bool (harness_standin_fn) (void *arg, const char *route, const wire_msg_t *msg);

//  Run the stand-in on ingress and publish for at most timeout_ms,
//  beating epoch every beat_ms. Returns true when on_message stopped it,
//  false at the deadline. The sockets are gone when it returns.
bool
    harness_standin (const char *ingress, const char *publish, uint64_t epoch, int beat_ms,
                     int timeout_ms, harness_standin_fn *on_message, void *arg);

#endif
