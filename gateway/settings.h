/*  =========================================================================
    settings.h - the gateway's settings: defaults, flags, checks

    One table holds every gateway setting (flag, ZCHAT_* variable,
    placeholder, help); see common/config.c for how it is parsed.
    =========================================================================
*/
#ifndef SETTINGS_H_INCLUDED
#define SETTINGS_H_INCLUDED

#include "gateway.h"
#include "config.h"

//  Fill config with the defaults, then the environment, then argv, and
//  check the result. CONFIG_HELP: --help or --version was printed (exit
//  0); CONFIG_FAILED: an error was printed (exit 2). Strings in config
//  point into argv, the environment or static storage.
config_result_t
    settings_parse (gateway_config_t *config, int argc, char **argv);

#endif
