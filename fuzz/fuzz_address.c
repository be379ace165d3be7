/*  =========================================================================
    fuzz_address.c - the HOST:PORT parser of every listening socket

    --listen, --health-listen and --metrics-listen values come from an
    operator's flags or environment. The target checks that the parser
    is total and keeps its promises: an accepted address gives a host
    that fits its buffer, holds no NUL and came from the input, and a
    port of 0 .. 65535 written back to the input's own digits.
    =========================================================================
*/
#include "fuzz.h"
#include "address.h"

#define FUZZ_ADDRESS_MAX    1024    //  bytes of one address

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size > FUZZ_ADDRESS_MAX)
        return 0;
    char *address = strndup ((const char *) data, size);
    assert (address);
    char host [ADDRESS_HOST_MAX];
    int port = -1;
    if (address_parse (address, host, &port) == 0) {
        FUZZ_CHECK (port >= 0 && port <= UINT16_MAX);
        FUZZ_CHECK (strlen (host) < ADDRESS_HOST_MAX);
        FUZZ_CHECK (*host == 0 || strstr (address, host));
        //  The port is the input's last digits, as written (no sign, no space)
        const char *colon = strrchr (address, ':');
        FUZZ_CHECK (colon);
        FUZZ_CHECK (atoi (colon + 1) == port);
        FUZZ_CHECK (strspn (colon + 1, "0123456789") == strlen (colon + 1));
    }
    free (address);
    return 0;
}
