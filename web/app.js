/*  app.js - the zchat page: one WebSocket to the gateway, JSON events in,
    typed lines out (docs/PROTOCOL.md, section 3, "zchat.v1.json").

    Everything shown comes from the server or the user, so it is only ever
    put into the page as text (textContent, never innerHTML): a nickname
    or a line holding <script> is shown, not run.

    The page reconnects by itself with backoff. After a reconnect it asks
    for its nickname and room back, and the join's replay (history events)
    shows what was said meanwhile; lines it has already shown are skipped
    by room + seq, and lines it showed without a seq (live lines, your
    own) by room + nick + text, so nothing shows twice.
*/
"use strict";

(function () {
    const WS_SUBPROTOCOL = "zchat.v1.json";
    const WS_PATH = "/ws";
    const RECONNECT_MIN_MS = 500;       //  first retry; doubles each time
    const RECONNECT_MAX_MS = 15000;
    const RECONNECT_DRAIN_SPREAD_MS = 1000; //  after a drain: within this, at random
    const ROOMS_REFRESH_MS = 30000;     //  member counts of the switcher
    const NICK_RETRY_MS = 2000;         //  the old session may hold the nick a while
    const NICK_RETRIES = 5;
    const NICK_WAIT_MS = 3000;          //  restoring: the /join waits this long for the /nick
    const RESTORE_TIMEOUT_MS = 15000;
    const LOG_MAX_LINES = 2000;
    const UNSEQUENCED_MAX = 500;        //  per room, for the dedupe by text
    const INPUT_HISTORY_MAX = 100;
    const DEFAULT_ROOM = "general";

    const element = (id) => document.getElementById(id);
    const ui = {
        roomName: element("room-name"),
        status: element("status"),
        log: element("log"),
        sayForm: element("say-form"),
        sayInput: element("say-input"),
        nickForm: element("nick-form"),
        nickInput: element("nick-input"),
        rooms: element("rooms"),
        roomsRefresh: element("rooms-refresh"),
        joinForm: element("join-form"),
        joinInput: element("join-input"),
        members: element("members"),
        membersCount: element("members-count"),
        membersRefresh: element("members-refresh"),
    };

    const state = {
        socket: null,
        connected: false,       //  welcome seen on this socket
        everConnected: false,
        quit: false,            //  the user typed /quit: stay away
        attempts: 0,
        reconnectTimer: null,
        reconnectAt: 0,
        countdownTimer: null,
        roomsTimer: null,
        nick: null,
        room: null,
        wantedNick: null,       //  the nickname the user chose, to restore
        wantedRoom: null,       //  the room the user was in, to restore
        restoring: false,       //  reconnected, not back in wantedRoom yet
        restoreTimer: null,
        nickRetries: 0,
        restoreJoinTimer: null, //  restoring: the /join waits for the /nick
        requestedNick: null,    //  the last /nick sent, until answered
        requestedRoom: null,    //  the last /join sent
        away: false,            //  since a disconnect, until the replay is in
        awayShown: 0,
        replayPending: true,    //  a join's replay may come: dedupe history
        earlyJoins: [],         //  join events before the welcome
        showRooms: false,       //  the user typed /rooms: print the answer
        showMembers: false,     //  the user typed /who
        rooms: [],              //  [{name, members}] from the last /rooms
        members: [],
        membersTotal: 0,
        seen: new Map(),        //  room -> Set of seqs shown
        unsequenced: new Map(), //  room -> [{nick, action, text}] shown without a seq
        inputHistory: [],
        inputHistoryAt: 0,
    };

    // --- the log ------------------------------------------------------------

    function s_two (number) {
        return String(number).padStart(2, "0");
    }

    //  "14:02" today, "2026-11-30 23:59" another day (local time)
    function s_format_time (millis) {
        const date = new Date(millis);
        const now = new Date();
        const clock = s_two(date.getHours()) + ":" + s_two(date.getMinutes());
        if (date.toDateString() === now.toDateString())
            return clock;
        return date.getFullYear() + "-" + s_two(date.getMonth() + 1) + "-"
            + s_two(date.getDate()) + " " + clock;
    }

    function s_span (className, text) {
        const span = document.createElement("span");
        span.className = className;
        span.textContent = text;
        return span;
    }

    function s_near_bottom () {
        const log = ui.log;
        return log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    }

    //  One line of the log: kind is its CSS class (chat, action, notice,
    //  error, ...); parts are appended as text spans, in order.
    function s_add_line (kind, parts, millis) {
        const stick = s_near_bottom();
        const item = document.createElement("li");
        item.className = "line " + kind;
        const when = millis === undefined ? Date.now() : millis;
        const time = s_span("time", s_format_time(when));
        time.title = new Date(when).toISOString();
        item.appendChild(time);
        for (const [className, text] of parts)
            item.appendChild(s_span(className, text));
        ui.log.appendChild(item);
        while (ui.log.childElementCount > LOG_MAX_LINES)
            ui.log.firstElementChild.remove();
        if (stick)
            ui.log.scrollTop = ui.log.scrollHeight;
        return item;
    }

    function s_notice (text, kind) {
        s_add_line(kind || "notice", [["text", text]]);
    }

    function s_error (text) {
        s_add_line("error", [["text", text]]);
    }

    //  A chat or /me line, live, replayed or your own
    function s_add_said (kind, room, nick, text, action, millis) {
        const classes = kind + (action ? " action" : " chat")
            + (nick === state.nick ? " self" : "");
        if (action)
            return s_add_line(classes, [["star", "* "], ["nick", nick], ["text", " " + text]],
                              millis);
        return s_add_line(classes, [["nick", nick], ["sep", ": "], ["text", text]], millis);
    }

    // --- dedupe: room + seq, or room + nick + text without a seq ---------------

    function s_seen (room) {
        if (!state.seen.has(room))
            state.seen.set(room, new Set());
        return state.seen.get(room);
    }

    function s_unsequenced (room) {
        if (!state.unsequenced.has(room))
            state.unsequenced.set(room, []);
        return state.unsequenced.get(room);
    }

    //  Remember a line shown; false if it was shown already.
    function s_remember (room, seq, nick, text, action) {
        if (typeof seq === "number") {
            const seen = s_seen(room);
            if (seen.has(seq))
                return false;
            seen.add(seq);
            return true;
        }
        const list = s_unsequenced(room);
        list.push({ nick: nick, text: text, action: !!action });
        if (list.length > UNSEQUENCED_MAX)
            list.shift();
        return true;
    }

    //  A replayed line: shown before (by seq, or as an unsequenced line
    //  with the same nick and text, which it then stands for)?
    function s_replay_is_new (event) {
        const seen = s_seen(event.room);
        if (seen.has(event.seq))
            return false;
        seen.add(event.seq);
        const list = s_unsequenced(event.room);
        const index = list.findIndex((line) =>
            line.nick === event.nick && line.text === event.text
            && line.action === !!event.action);
        if (index >= 0) {
            list.splice(index, 1);
            return false;
        }
        return true;
    }

    // --- status, room, members, rooms ----------------------------------------

    function s_set_status (text, kind) {
        ui.status.textContent = text;
        ui.status.className = "status " + (kind || "");
    }

    function s_show_connected () {
        s_set_status("connected as " + state.nick, "ok");
    }

    function s_set_room (room) {
        state.room = room;
        ui.roomName.textContent = "#" + room;
        document.title = "#" + room + " - zchat";
        s_render_rooms();
    }

    function s_set_nick (nick) {
        state.nick = nick;
        if (document.activeElement !== ui.nickInput)
            ui.nickInput.value = nick;
        s_show_connected();
    }

    function s_render_members () {
        ui.members.replaceChildren();
        for (const nick of state.members) {
            const item = document.createElement("li");
            item.textContent = nick;
            if (nick === state.nick)
                item.className = "self";
            ui.members.appendChild(item);
        }
        const more = state.membersTotal - state.members.length;
        if (more > 0) {
            const item = document.createElement("li");
            item.className = "more";
            item.textContent = "… and " + more + " more";
            ui.members.appendChild(item);
        }
        ui.membersCount.textContent = "(" + state.membersTotal + ")";
    }

    function s_sort_members () {
        state.members.sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
    }

    function s_member_add (nick) {
        if (!state.members.includes(nick)) {
            state.members.push(nick);
            state.membersTotal++;
            s_sort_members();
        }
        s_render_members();
    }

    function s_member_remove (nick) {
        const index = state.members.indexOf(nick);
        if (index >= 0) {
            state.members.splice(index, 1);
            state.membersTotal--;
        }
        s_render_members();
    }

    function s_render_rooms () {
        ui.rooms.replaceChildren();
        const rooms = state.rooms.slice();
        if (state.room && !rooms.some((room) => room.name === state.room))
            rooms.unshift({ name: state.room, members: state.membersTotal || 1 });
        for (const room of rooms) {
            const item = document.createElement("li");
            const button = document.createElement("button");
            button.type = "button";
            button.className = "room";
            button.dataset.room = room.name;
            button.appendChild(s_span("room-label", "#" + room.name));
            button.appendChild(s_span("count", String(room.members)));
            button.title = room.members + (room.members === 1 ? " member" : " members");
            if (room.name === state.room) {
                button.setAttribute("aria-current", "true");
                button.className += " current";
            }
            button.addEventListener("click", () => {
                s_join(room.name);
                ui.sayInput.focus();
            });
            item.appendChild(button);
            ui.rooms.appendChild(item);
        }
    }

    // --- sending --------------------------------------------------------------

    function s_send (line) {
        if (!state.socket || state.socket.readyState !== WebSocket.OPEN)
            return false;
        state.socket.send(line);
        return true;
    }

    function s_join (room) {
        room = room.replace(/^#/, "").toLowerCase();
        if (room !== state.room)
            s_request_join(room);
    }

    function s_request_join (room) {
        if (s_send("/join " + room)) {
            state.replayPending = true;
            state.requestedRoom = room.replace(/^#/, "").toLowerCase();
        }
    }

    function s_request_nick (nick) {
        if (s_send("/nick " + nick))
            state.requestedNick = nick;
    }

    function s_request_rooms () {
        s_send("/rooms");
    }

    function s_request_members () {
        s_send("/who");
    }

    //  What the user typed, as telnet would take it; the page only notes
    //  what it must know (its own lines are not echoed by the server).
    function s_say (line) {
        if (!state.connected) {
            s_error("not connected: your line was not sent (it is still in the box)");
            return false;
        }
        if (!s_send(line))
            return false;
        const trimmed = line.trim();
        if (trimmed === "")
            return true;
        if (!line.startsWith("/") || line.startsWith("//")) {
            const text = line.startsWith("//") ? line.slice(1) : line;
            s_remember(state.room, undefined, state.nick, text, false);
            s_add_said("live", state.room, state.nick, text, false);
            return true;
        }
        const space = trimmed.indexOf(" ");
        const verb = (space < 0 ? trimmed : trimmed.slice(0, space)).toLowerCase();
        const rest = space < 0 ? "" : trimmed.slice(space + 1).trim();
        if (verb === "/me" && rest !== "") {
            const text = line.replace(/^\s*\/me\s+/i, "");
            s_remember(state.room, undefined, state.nick, text, true);
            s_add_said("live", state.room, state.nick, text, true);
            return true;
        }
        s_add_line("echo", [["text", trimmed]]);
        if (verb === "/join") {
            state.replayPending = true;
            state.requestedRoom = rest.replace(/^#/, "").toLowerCase();
        } else if (verb === "/nick") {
            state.requestedNick = rest;
        } else if (verb === "/rooms") {
            state.showRooms = true;
        } else if (verb === "/who") {
            state.showMembers = true;
        } else if (verb === "/quit") {
            state.quit = true;
        }
        return true;
    }

    // --- events ----------------------------------------------------------------

    function s_on_welcome (event) {
        state.connected = true;
        state.attempts = 0;
        s_set_nick(event.nick);
        s_set_room(event.room);
        if (state.earlyJoins.some((join) => join.nick === event.nick && join.room === event.room))
            state.replayPending = false;
        state.earlyJoins = [];
        if (state.everConnected) {
            s_notice("reconnected as " + event.nick, "status-line");
            s_restore();
        } else {
            s_notice("connected as " + event.nick + " in #" + event.room, "status-line");
            state.wantedRoom = event.room;
        }
        state.everConnected = true;
        s_request_rooms();
        s_request_members();
        clearInterval(state.roomsTimer);
        state.roomsTimer = setInterval(s_request_rooms, ROOMS_REFRESH_MS);
    }

    //  After a reconnect: the nickname first, so the room sees us join
    //  under it, then the room, whose replay shows what was missed. The
    //  /join waits for the rename (or its refusal): the rename is
    //  announced in the room we are in, and we would not be there any
    //  more to see it.
    function s_restore () {
        state.nickRetries = 0;
        if (state.wantedNick && state.wantedNick !== state.nick) {
            s_request_nick(state.wantedNick);
            state.restoreJoinTimer = setTimeout(s_restore_join, NICK_WAIT_MS);
        } else {
            s_restore_join();
        }
    }

    function s_restore_join () {
        clearTimeout(state.restoreJoinTimer);
        state.restoreJoinTimer = null;
        if (state.connected && state.wantedRoom && state.wantedRoom !== state.room) {
            s_restore_start();
            state.replayPending = true;
            s_request_join(state.wantedRoom);
        } else {
            s_restore_done();
        }
    }

    function s_restore_join_pending () {
        return state.restoreJoinTimer !== null;
    }

    function s_restore_start () {
        state.restoring = true;
        clearTimeout(state.restoreTimer);
        state.restoreTimer = setTimeout(s_restore_done, RESTORE_TIMEOUT_MS);
    }

    function s_restore_done () {
        state.restoring = false;
        clearTimeout(state.restoreTimer);
    }

    //  While restoring, the lines of the room we only pass through (the
    //  one a new connection lands in) are not worth showing.
    function s_passing_through (room) {
        return state.restoring && room !== state.wantedRoom;
    }

    function s_on_said (event, action) {
        if (s_passing_through(event.room))
            return;
        if (!s_remember(event.room, event.seq, event.nick, event.text, action))
            return;
        s_add_said("live", event.room, event.nick, event.text, action, event.time);
    }

    function s_on_history (event) {
        if (s_passing_through(event.room))
            return;
        if (state.replayPending) {
            if (!s_replay_is_new(event))
                return;
            if (state.away && state.awayShown === 0)
                s_notice("while you were away in #" + event.room + ":", "divider");
            if (state.away)
                state.awayShown++;
        }
        const item = s_add_said("history", event.room, event.nick, event.text,
                                event.action, event.time);
        if (state.away)
            item.classList.add("missed-while-away");
    }

    //  A join's replay is over (its end line, or our own join line when
    //  the room had no history): back from away, if we were.
    function s_replay_done (room) {
        state.replayPending = false;
        if (!state.away)
            return;
        if (state.awayShown === 0)
            s_notice("nothing was said in #" + room + " while you were away", "status-line");
        state.away = false;
    }

    function s_on_history_end (event) {
        if (s_passing_through(event.room))
            return;
        if (event.join) {
            s_replay_done(event.room);
            return;
        }
        if (event.count === 0)
            s_notice("no older history in #" + event.room);
        else
            s_notice("end of history page (/history more for older lines)");
    }

    function s_on_join (event) {
        if (state.nick === null) {
            state.earlyJoins.push(event);
            if (!s_passing_through(event.room))
                s_notice(event.nick + " joined #" + event.room, "presence");
            return;
        }
        //  Our rename's announcement can go to the room we just left
        //  (a /nick right before a /join): our join under the name we
        //  asked for, into the room we asked for, tells it too.
        if (event.nick !== state.nick && state.requestedNick !== null
            && event.nick.toLowerCase() === state.requestedNick.toLowerCase()
            && event.room === state.requestedRoom) {
            state.requestedNick = null;
            state.wantedNick = event.nick;
            s_set_nick(event.nick);
        }
        if (event.nick === state.nick) {
            if (s_passing_through(event.room)) {
                s_set_room(event.room);
                return;
            }
            s_replay_done(event.room);
            if (state.restoring && event.room === state.wantedRoom)
                s_restore_done();
            s_set_room(event.room);
            state.wantedRoom = event.room;
            state.members = [event.nick];
            state.membersTotal = 1;
            s_render_members();
            s_request_members();
            s_request_rooms();
        } else if (event.room === state.room) {
            s_member_add(event.nick);
        }
        if (!s_passing_through(event.room))
            s_notice(event.nick + " joined #" + event.room, "presence");
    }

    function s_on_leave (event) {
        if (event.room === state.room && event.nick !== state.nick)
            s_member_remove(event.nick);
        if (s_passing_through(event.room) || (state.restoring && event.nick === state.nick))
            return;
        const reason = event.reason ? " (" + event.reason + ")" : "";
        s_notice(event.nick + " left #" + event.room + reason, "presence");
    }

    function s_on_rename (event) {
        const mine = event.nick === state.nick;
        const index = state.members.indexOf(event.nick);
        if (index >= 0) {
            state.members[index] = event.to;
            s_sort_members();
        }
        if (mine) {
            s_set_nick(event.to);
            state.wantedNick = event.to;
            state.requestedNick = null;
            if (s_restore_join_pending())
                s_restore_join();
        }
        s_render_members();
        if (!(mine && state.restoring))
            s_notice(event.nick + " is now known as " + event.to, "presence");
    }

    function s_on_private (event) {
        if (event.direction === "out")
            s_add_line("private out", [["tag", "[pm to "], ["nick", event.nick], ["tag", "] "],
                                       ["text", event.text]]);
        else
            s_add_line("private in", [["tag", "[pm from "], ["nick", event.nick], ["tag", "] "],
                                      ["text", event.text]]);
    }

    function s_on_rooms (event) {
        const rooms = Array.isArray(event.rooms) ? event.rooms : [];
        const typed = state.showRooms || event.filter;
        if (!event.filter) {
            state.rooms = rooms;
            s_render_rooms();
        }
        if (!typed)
            return;
        state.showRooms = false;
        const title = event.filter
            ? "rooms matching \"" + event.filter + "\" (" + event.total + "):"
            : "rooms (" + event.total + "):";
        if (rooms.length === 0 && event.filter) {
            s_notice("no rooms matching \"" + event.filter + "\"");
            return;
        }
        s_notice(title, "list");
        for (const room of rooms)
            s_notice("  #" + room.name + "  " + room.members
                     + (room.members === 1 ? " member" : " members"), "list");
        if (event.total > rooms.length)
            s_notice("... and " + (event.total - rooms.length) + " more rooms", "list");
    }

    function s_on_members (event) {
        const members = Array.isArray(event.members) ? event.members : [];
        if (event.room === state.room) {
            state.members = members.slice();
            state.membersTotal = typeof event.total === "number" ? event.total : members.length;
            s_render_members();
            s_render_rooms();
        }
        if (!state.showMembers)
            return;
        state.showMembers = false;
        const more = event.total > members.length
            ? ", ... and " + (event.total - members.length) + " more" : "";
        s_notice("#" + event.room + " (" + event.total + "): " + members.join(", ") + more, "list");
    }

    function s_on_error (event) {
        const text = String(event.text || "");
        //  The old session can hold our nickname for a while after a
        //  gateway restart: ask again a few times.
        if (state.wantedNick && state.nick !== state.wantedNick
            && text.startsWith("nickname taken: " + state.wantedNick)
            && state.nickRetries < NICK_RETRIES) {
            state.nickRetries++;
            if (s_restore_join_pending())
                s_restore_join();       //  the room first, the name later
            setTimeout(() => {
                if (state.connected && state.nick !== state.wantedNick)
                    s_request_nick(state.wantedNick);
            }, NICK_RETRY_MS);
            return;
        }
        if (/^(nickname taken|invalid nickname)/.test(text)) {
            state.requestedNick = null;
            if (s_restore_join_pending())
                s_restore_join();
        }
        if (state.restoring && text.startsWith("join to #"))
            s_restore_done();
        s_error(text);
    }

    const s_handlers = {
        welcome: s_on_welcome,
        nick: (event) => {
            s_set_nick(event.nick);
            s_notice("your nickname is now " + event.nick);
        },
        chat: (event) => s_on_said(event, false),
        action: (event) => s_on_said(event, true),
        join: s_on_join,
        leave: s_on_leave,
        rename: s_on_rename,
        private: s_on_private,
        rooms: s_on_rooms,
        members: s_on_members,
        history: s_on_history,
        history_end: s_on_history_end,
        missed: (event) => s_add_line("warning missed", [["text",
            "missed " + event.count + " messages in #" + event.room
            + " (the server could not keep up)"]]),
        lagged: (event) => s_add_line("warning lagged", [["text",
            event.text || "lagged: " + event.skipped + " messages skipped"]]),
        notice: (event) => s_notice(String(event.text || "")),
        error: s_on_error,
    };

    function s_on_message (message) {
        let event;
        try {
            event = JSON.parse(message.data);
        } catch (error) {
            return;     //  not ours to show: the server sends JSON only
        }
        if (!event || typeof event !== "object")
            return;
        const handler = Object.prototype.hasOwnProperty.call(s_handlers, event.type)
            ? s_handlers[event.type] : null;
        if (handler)
            handler(event);
        else if (typeof event.text === "string")
            s_notice(event.text);       //  a type newer than this page
    }

    // --- connection -------------------------------------------------------------

    function s_ws_url () {
        const scheme = location.protocol === "https:" ? "wss:" : "ws:";
        return scheme + "//" + location.host + WS_PATH;
    }

    function s_connect () {
        clearTimeout(state.reconnectTimer);
        clearInterval(state.countdownTimer);
        state.reconnectTimer = null;
        s_set_status(state.everConnected ? "reconnecting…" : "connecting…", "busy");
        let socket;
        try {
            socket = new WebSocket(s_ws_url(), WS_SUBPROTOCOL);
        } catch (error) {
            s_schedule_reconnect(false);
            return;
        }
        state.socket = socket;
        state.connected = false;
        state.nick = null;
        state.replayPending = true;
        state.earlyJoins = [];
        //  A new connection lands in #general: going back elsewhere, what
        //  comes for #general meanwhile is only passing through
        if (state.everConnected && state.wantedRoom && state.wantedRoom !== DEFAULT_ROOM)
            s_restore_start();
        socket.addEventListener("message", (message) => {
            if (state.socket === socket)
                s_on_message(message);
        });
        socket.addEventListener("close", (close) => {
            if (state.socket === socket)
                s_on_close(close);
        });
    }

    function s_on_close (close) {
        const wasConnected = state.connected;
        state.socket = null;
        state.connected = false;
        clearInterval(state.roomsTimer);
        clearTimeout(state.restoreJoinTimer);
        state.restoreJoinTimer = null;
        s_restore_done();
        if (state.quit) {
            s_set_status("disconnected (you typed /quit); reload the page to come back", "down");
            s_notice("disconnected", "status-line");
            return;
        }
        if (wasConnected) {
            state.away = true;
            state.awayShown = 0;
            const why = close.code === 1001 ? "the server is going away" : "connection lost";
            s_notice("disconnected (" + why + "); reconnecting…", "status-line");
        }
        //  a drain (1001) sends us elsewhere (the balancer) right away
        s_schedule_reconnect(close.code === 1001 && state.attempts === 0);
    }

    function s_schedule_reconnect (soon) {
        const base = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * Math.pow(2, state.attempts));
        //  jitter: the pages of a drained or restarted gateway do not all
        //  come back in the same instant
        const delay = soon ? Math.round(Math.random() * RECONNECT_DRAIN_SPREAD_MS)
                           : Math.round(base / 2 + Math.random() * base / 2);
        state.attempts++;
        state.reconnectAt = Date.now() + delay;
        state.reconnectTimer = setTimeout(s_connect, delay);
        s_countdown();
        clearInterval(state.countdownTimer);
        state.countdownTimer = setInterval(s_countdown, 1000);
    }

    function s_countdown () {
        const seconds = Math.max(0, Math.ceil((state.reconnectAt - Date.now()) / 1000));
        s_set_status("disconnected; reconnecting in " + seconds + " s (Enter in the box: now)",
                     "down");
    }

    // --- the user's controls ------------------------------------------------------

    ui.sayForm.addEventListener("submit", (submit) => {
        submit.preventDefault();
        const line = ui.sayInput.value;
        if (!state.socket && state.reconnectTimer !== null) {
            s_connect();        //  Enter while waiting: try now
            return;
        }
        if (!s_say(line))
            return;
        if (line.trim() !== "") {
            state.inputHistory.push(line);
            if (state.inputHistory.length > INPUT_HISTORY_MAX)
                state.inputHistory.shift();
        }
        state.inputHistoryAt = state.inputHistory.length;
        ui.sayInput.value = "";
    });

    //  Up and Down recall what was typed; Alt+Up and Alt+Down switch rooms.
    ui.sayInput.addEventListener("keydown", (key) => {
        if (key.altKey && (key.key === "ArrowUp" || key.key === "ArrowDown")) {
            key.preventDefault();
            const names = Array.from(ui.rooms.querySelectorAll("button.room"),
                                     (button) => button.dataset.room);
            const at = names.indexOf(state.room);
            const step = key.key === "ArrowUp" ? -1 : 1;
            const next = names[(at + step + names.length) % names.length];
            if (next)
                s_join(next);
            return;
        }
        if (key.key === "ArrowUp" && state.inputHistoryAt > 0) {
            key.preventDefault();
            state.inputHistoryAt--;
            ui.sayInput.value = state.inputHistory[state.inputHistoryAt];
        } else if (key.key === "ArrowDown" && state.inputHistoryAt < state.inputHistory.length) {
            key.preventDefault();
            state.inputHistoryAt++;
            ui.sayInput.value = state.inputHistory[state.inputHistoryAt] || "";
        } else if (key.key === "Escape") {
            ui.sayInput.value = "";
        }
    });

    ui.nickForm.addEventListener("submit", (submit) => {
        submit.preventDefault();
        const nick = ui.nickInput.value.trim();
        if (nick !== "" && nick !== state.nick)
            s_say("/nick " + nick);
        ui.sayInput.focus();
    });
    ui.nickInput.addEventListener("blur", () => {
        if (state.nick)
            ui.nickInput.value = state.nick;
    });

    ui.joinForm.addEventListener("submit", (submit) => {
        submit.preventDefault();
        const room = ui.joinInput.value.trim();
        if (room !== "")
            s_say("/join " + room);
        ui.joinInput.value = "";
        ui.sayInput.focus();
    });

    ui.roomsRefresh.addEventListener("click", s_request_rooms);
    ui.membersRefresh.addEventListener("click", s_request_members);

    s_connect();
}());
