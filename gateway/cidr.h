/*  =========================================================================
    cidr.h - a list of address ranges (CIDR): "127.0.0.0/8,::1/128"

    Parsed once from a setting, matched against each accepted peer
    (--admission-exempt; --trusted-proxy later). IPv4 peers seen as
    IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) match IPv4 ranges.
    =========================================================================
*/
#ifndef CIDR_H_INCLUDED
#define CIDR_H_INCLUDED

#include "chat.h"
#include <netinet/in.h>

#define CIDR_MAX            64      //  ranges in one list

typedef struct {
    int family;                     //  AF_INET or AF_INET6
    uint8_t bytes [16];             //  the network, host bits cleared
    int prefix;                     //  bits that must match
} cidr_range_t;

typedef struct {
    cidr_range_t ranges [CIDR_MAX];
    size_t count;
} cidr_list_t;

//  Parse "RANGE,RANGE,..." (a RANGE is ADDRESS or ADDRESS/BITS; an empty
//  text is an empty list). Returns 0, or -1 on a bad range or too many.
int
    cidr_parse (cidr_list_t *self, const char *text);

//  True if address (AF_INET or AF_INET6) lies in one of the ranges.
bool
    cidr_match (const cidr_list_t *self, const struct sockaddr *address);

#endif
