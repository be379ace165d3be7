/*  =========================================================================
    main.c - zchat-gateway: parse settings, run the gateway, clean up

    Signals: SIGINT, SIGTERM and SIGHUP (reload the TLS certificate) are
    blocked here, before ZeroMQ starts its
    threads, so that every thread inherits the mask and the gateway reads
    them from a signalfd in its loop (czmq's own handler is switched off).
    Its shutdown sequence then runs inside the loop like any other event.
    =========================================================================
*/
#include "chat.h"
#include "settings.h"
#include <signal.h>

#define MAIN_EXIT_CONFIG        2

int
main (int argc, char **argv)
{
    gateway_config_t config;
    config_result_t result = settings_parse (&config, argc, argv);
    if (result == CONFIG_HELP)
        return 0;
    if (result == CONFIG_FAILED)
        return MAIN_EXIT_CONFIG;

    //  Before any ZeroMQ thread exists: see the header comment
    zsys_handler_set (NULL);
    sigset_t signals;
    sigemptyset (&signals);
    sigaddset (&signals, SIGINT);
    sigaddset (&signals, SIGTERM);
    sigaddset (&signals, SIGHUP);
    sigprocmask (SIG_BLOCK, &signals, NULL);
    signal (SIGPIPE, SIG_IGN);

    zsys_set_logstream (stderr);
    zsys_set_logident ("zchat-gateway");
    zsys_init ();

    gateway_t *gateway = gateway_new (&config);
    if (!gateway)
        return 1;
    int rc = gateway_run (gateway);
    gateway_destroy (&gateway);
    zsys_shutdown ();
    return rc == 0? 0: 1;
}
