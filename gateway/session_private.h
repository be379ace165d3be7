/*  =========================================================================
    session_private.h - a session's state, shared by the session's own files

    session_t is one object spread over two files: session.c (the state
    machine: login, join, resync, replies, deadlines) and session_line.c
    (what a client line asks for). Nothing outside them includes this.
    =========================================================================
*/
#ifndef SESSION_PRIVATE_H_INCLUDED
#define SESSION_PRIVATE_H_INCLUDED

#include "session.h"
#include "replay.h"
#include "command.h"
#include "names.h"

struct _session_t {
    session_ctx_t *ctx;                 //  shared services (not owned)
    client_t *client;                   //  our connection (not owned)
    session_state_t state;
    char nick [CHAT_NICK_MAX + 1];      //  current nickname, "" until logged in
    subs_room_t *room;                  //  current room (ref held)
    subs_room_t *joining;               //  room of a /join in flight (ref held), or NULL
    bool join_sent;                     //  JOIN went up for joining
    bool resyncing;                     //  resyncing: input held until LOGGED_IN
    bool resync_wait;                   //  resync LOGIN held until our room is live
    bool refused;                       //  the router refused our LOGIN: no LOGOUT
    void *login_ticket;                 //  our LOGIN while it waits in the relay's queue
    bool returning;                     //  a JOIN back to our room is in flight
    bool wait_listed;                   //  on the context's waiting list
    uint32_t owed;                      //  replies owed: WHO, ROOMS, PRIVMSG, NICK
    int64_t wait_deadline;              //  when the request in flight is given up
    session_t *wait_prev;               //  the context's waiting list
    session_t *wait_next;
    subs_member_t member;               //  our place in a room's member array;
                                        //  its id is the client id, our key on the wire
    replay_t replay;                    //  the join replay and /history (replay.h)
};

//  A request is in flight: login, /join, resync or a join's replay
//  (input is held).
bool
    session_busy (session_t *self);

//  After any change of state: a session that became busy goes on the
//  waiting list (its deadline starts now), one that is no longer busy
//  leaves it; a settled session whose peer has closed may now end.
void
    session_update (session_t *self);

//  Send the JOIN of the /join in flight (its room is live).
void
    session_send_join (session_t *self);

#endif
