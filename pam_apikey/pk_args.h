/* SPDX-License-Identifier: BSD-3-Clause */
/* pk_args.h - pam_apikey module arguments */
#ifndef PK_ARGS_H
#define PK_ARGS_H

#include <stdbool.h>

#include "ak_log.h"

#define PK_DEFAULT_PROMPT "API key: "
#define PK_DEFAULT_WARN_DAYS 7
#define PK_WARN_DAYS_MAX 3650
#define PK_PROMPT_MAX 256

/*
 * The arguments of one pam_apikey line. Strings point into argv, which
 * libpam keeps for the life of the handle.
 */
struct pk_args {
    const char *config;   /* config=/abs/path; NULL: the compiled-in default */
    const char *prompt;   /* prompt=...; default PK_DEFAULT_PROMPT */
    bool debug;           /* debug */
    bool use_first_pass;  /* only the token of an earlier module */
    bool try_first_pass;  /* that token if there is one, else prompt */
    bool ignore_non_keys; /* PAM_IGNORE for a token that is not a key */
    unsigned warn_days;   /* warn_days=N, 0..3650; 0: never warn */
};

/*
 * Parse argv into *a (defaults first; a later argument overrides an
 * earlier one). An unknown argument is logged at LOG_ERR and ignored, as
 * Linux-PAM modules do. A known argument with a bad value (a relative
 * config path, warn_days out of range, an empty or control-character
 * prompt) is logged at LOG_ERR and makes the result AK_ERR_CONFIG: the
 * caller fails with PAM_SERVICE_ERR rather than guess. AK_OK otherwise.
 * The config path is never taken from the environment.
 */
int pk_args_parse(struct pk_args *a, int argc, const char **argv,
                  const struct ak_log *log);

#endif
