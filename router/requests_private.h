/*  =========================================================================
    requests_private.h - what the router's request files share

    The gateway requests are answered in three files: requests.c (the
    dispatch, and the requests that change a session), requests_gateway.c
    (a gateway's own: HELLO, PROBE, BYE, DRAINED, and RESYNC to a route
    that has not said HELLO) and requests_query.c (the ones that only
    read: ROOMS, WHO, HISTORY, RECOVER). They share the replies and
    checks below; nothing else includes this header.
    =========================================================================
*/
#ifndef REQUESTS_PRIVATE_H_INCLUDED
#define REQUESTS_PRIVATE_H_INCLUDED

#include "router_internal.h"

//  requests.c: send a reply to one connection, by route (takes the
//  message). Never blocks: a full or vanished peer loses the reply.
void
    router_reply_route (router_t *self, const char *route, wire_msg_t **reply_p);

//  requests.c: send a reply to a registered gateway (takes the message).
void
    router_reply (router_t *self, gateway_t *gateway, wire_msg_t **reply_p);

//  requests.c: answer a failed request: JOIN_REFUSED for a JOIN, ERROR
//  for every other verb, with a text formatted like printf.
void __attribute__ ((format (printf, 4, 5)))
    router_reply_error (router_t *self, gateway_t *gateway, const wire_msg_t *request,
                        const char *format, ...);

//  requests.c: forget a session everywhere; announce LEFT unless reason
//  is NULL.
void
    router_session_drop (router_t *self, session_t *session, const char *reason);

//  requests.c: check a room name from the wire into canonical form (room:
//  CHAT_ROOM_MAX + 1 bytes); on failure answer ERROR and return -1.
int
    router_check_room (router_t *self, gateway_t *gateway, const wire_msg_t *request,
                       const char *name, char *room);

//  requests.c: the session of a request, or NULL after answering ERROR.
session_t *
    router_require_session (router_t *self, gateway_t *gateway, const wire_msg_t *request);

//  requests_gateway.c: HELLO from route: register the gateway and answer
//  WELCOME, or refuse it.
void
    router_handle_hello (router_t *self, const char *route, wire_msg_t *msg);

//  requests_gateway.c: answer a request from an unregistered route with
//  RESYNC (at most once a second per route).
void
    router_send_resync (router_t *self, const char *route);

//  requests_gateway.c: PROBE: publish PROBED, so the gateway sees its
//  subscription to the room is live.
void
    router_handle_probe (router_t *self, gateway_t *gateway, wire_msg_t *msg);

//  requests_gateway.c: BYE: the gateway is shutting down.
void
    router_handle_bye (router_t *self, gateway_t *gateway);

//  requests_gateway.c: DRAINED: the gateway closed its clients and exits.
void
    router_handle_drained (router_t *self, gateway_t *gateway);

//  requests_query.c: ROOMS: the biggest rooms matching the filter.
void
    router_handle_rooms (router_t *self, gateway_t *gateway, wire_msg_t *msg);

//  requests_query.c: WHO: the members of the session's room.
void
    router_handle_who (router_t *self, gateway_t *gateway, wire_msg_t *msg);

//  requests_query.c: HISTORY: a page of the session's room's history.
void
    router_handle_history (router_t *self, gateway_t *gateway, wire_msg_t *msg);

//  requests_query.c: RECOVER: the lines of a room the gateway missed.
void
    router_handle_recover (router_t *self, gateway_t *gateway, wire_msg_t *msg);

#endif
