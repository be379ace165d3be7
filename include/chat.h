/*  =========================================================================
    chat.h - zchat project header

    Included first by every source file of both tiers. Pulls in czmq,
    checks its version, and defines the project's limits and defaults.
    Every limit here is only a default: each one is also a setting
    (command-line flag and environment variable, see common/config.c).
    =========================================================================
*/
#ifndef CHAT_H_INCLUDED
#define CHAT_H_INCLUDED

#ifndef _GNU_SOURCE
#   define _GNU_SOURCE
#endif

#include <czmq.h>

#if CZMQ_VERSION < 40200
#   error "zchat needs czmq 4.2 or later"
#endif

#define CHAT_VERSION            "0.1.0"

//  Names: see common/names.c for the character rules
#define CHAT_NICK_MAX           32      //  bytes in a nickname
#define CHAT_ROOM_MAX           32      //  bytes in a room name
#define CHAT_DEFAULT_ROOM       "general"

//  Client lines
#define CHAT_LINE_MAX           2048    //  bytes of one client line, without CR/LF

//  Default endpoints (loopback; containers bind tcp://*:PORT)
#define CHAT_DEFAULT_INGRESS    "tcp://127.0.0.1:5555"
#define CHAT_DEFAULT_PUBLISH    "tcp://127.0.0.1:5556"
#define CHAT_DEFAULT_CONTROL    "tcp://127.0.0.1:5557"
#define CHAT_DEFAULT_LISTEN     "127.0.0.1:8080"

//  Liveness between the tiers (milliseconds unless named _S)
#define CHAT_HEARTBEAT_MS       1000    //  both tiers send one at least this often
#define CHAT_GATEWAY_TIMEOUT_S  3       //  router drops a silent gateway after this
#define CHAT_ROUTER_TIMEOUT_S   3       //  gateway declares the router lost after this
#define CHAT_DRAIN_TIMEOUT_S    10      //  router waits this long for gateways to drain

//  Client limits (gateway)
#define CHAT_IDLE_TIMEOUT_S     300     //  no complete line for this long: disconnect
#define CHAT_OUTBUF_MAX         (256 * 1024)  //  bytes queued for one client
#define CHAT_STUCK_TIMEOUT_S    30      //  output full this long: disconnect
#define CHAT_MAX_CLIENTS        100000  //  connections per gateway

//  ZeroMQ high-water marks (messages)
#define CHAT_PUB_HWM            100000
#define CHAT_SUB_HWM            100000
#define CHAT_UPLINK_HWM         10000

//  Router state limits
#define CHAT_MAX_ROOMS          100000
#define CHAT_MAX_SESSIONS       1000000

//  Room history (router; the store's own settings are in router/store.h)
#define CHAT_REPLAY_LINES       20      //  lines replayed on every join (0 = off)
#define CHAT_HISTORY_MAX        200     //  most lines one /history answer carries

#endif
