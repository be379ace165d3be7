/*  =========================================================================
    config.h - settings from command-line flags and environment variables

    Each tier describes its settings as a table of config_option_t. Every
    setting has a flag (--idle-timeout 300 or --idle-timeout=300) and an
    environment variable (ZCHAT_IDLE_TIMEOUT=300); a flag wins over the
    environment, which wins over the default. --help prints the table.
    =========================================================================
*/
#ifndef CONFIG_H_INCLUDED
#define CONFIG_H_INCLUDED

#include "chat.h"

typedef enum {
    CONFIG_STRING,          //  value is a const char ** (points into argv/env/default)
    CONFIG_INT,             //  value is an int64_t *, must parse whole, 0 .. INT_MAX
    CONFIG_FLAG             //  value is a bool *; the flag takes no argument
} config_type_t;

typedef struct {
    const char *flag;       //  "idle-timeout", used as --idle-timeout
    const char *env;        //  "ZCHAT_IDLE_TIMEOUT"
    config_type_t type;
    void *value;            //  where to store it; holds the default on entry
    const char *arg;        //  what the value is, for --help: "SECONDS", "HOST:PORT"
                            //  (NULL for a CONFIG_FLAG)
    const char *help;       //  one line for --help
} config_option_t;

typedef enum {
    CONFIG_OK = 0,
    CONFIG_HELP,            //  --help or --version was printed; exit 0
    CONFIG_FAILED           //  an error was printed; exit 2
} config_result_t;

//  Parse environment, then argv, into the table (count entries). Words
//  that are not flags are collected into positional (may be NULL if the
//  program takes none; then they are an error). usage is the first line
//  of --help. --version prints the program name (from argv [0]) and
//  CHAT_VERSION. Errors go to stderr.
config_result_t
    config_parse (config_option_t *options, size_t count, int argc, char **argv,
                  const char *usage, zlist_t *positional);

#endif
