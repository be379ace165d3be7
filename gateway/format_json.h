/*  =========================================================================
    format_json.h - the JSON form of what a client sees (zchat.v1.json)

    The second renderer of format.h's events: one JSON object per event
    (several for a text of several lines), each ending in CRLF like a
    telnet line, so a transport sends either form a line at a time.
    docs/PROTOCOL.md section 3 documents every shape; tests check them.
    =========================================================================
*/
#ifndef FORMAT_JSON_H_INCLUDED
#define FORMAT_JSON_H_INCLUDED

#include "chat.h"
#include "format.h"
#include "json.h"

//  Replace json's content with the JSON form of event. text (size bytes,
//  CRLF-ended lines) is the same event's telnet form: a
//  FORMAT_EVENT_LINES event becomes one notice ("* ...") or error
//  ("! ...") object per line of it.
void
    format_json (json_t *json, const format_event_t *event, const char *text, size_t size);

#endif
