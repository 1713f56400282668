/* SPDX-License-Identifier: BSD-3-Clause */
/* pk_args.c - parse the arguments of a pam_apikey line */
#include "pk_args.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "ak_status.h"
#include "ak_text.h"

/* "name=" prefix match; returns the value or NULL. */
static const char *value_of(const char *arg, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(arg, name, n) == 0 && arg[n] == '=')
        return arg + n + 1;
    return NULL;
}

static bool parse_days(const char *s, unsigned *out)
{
    char *end = NULL;
    unsigned long v;

    /* strtoul accepts a sign and leading space; a day count has neither. */
    if (*s < '0' || *s > '9')
        return false;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v > PK_WARN_DAYS_MAX)
        return false;
    *out = (unsigned)v;
    return true;
}

int pk_args_parse(struct pk_args *a, int argc, const char **argv,
                  const struct ak_log *log)
{
    int rc = AK_OK;
    const char *v;

    memset(a, 0, sizeof(*a));
    a->prompt = PK_DEFAULT_PROMPT;
    a->warn_days = PK_DEFAULT_WARN_DAYS;

    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (arg == NULL)
            continue;
        if (strcmp(arg, "debug") == 0) {
            a->debug = true;
        } else if (strcmp(arg, "use_first_pass") == 0) {
            a->use_first_pass = true;
        } else if (strcmp(arg, "try_first_pass") == 0) {
            a->try_first_pass = true;
        } else if (strcmp(arg, "ignore_non_keys") == 0) {
            a->ignore_non_keys = true;
        } else if ((v = value_of(arg, "config")) != NULL) {
            /* Relative paths would depend on the host's working directory. */
            if (v[0] != '/' || strlen(v) >= PATH_MAX ||
                ak_has_ctl(v, strlen(v))) {
                ak_log(log, LOG_ERR,
                       "config= needs an absolute path; refusing to run");
                rc = AK_ERR_CONFIG;
            } else {
                a->config = v;
            }
        } else if ((v = value_of(arg, "warn_days")) != NULL) {
            if (!parse_days(v, &a->warn_days)) {
                ak_log(log, LOG_ERR,
                       "warn_days= needs a whole number of days from 0 to "
                       "%d; refusing to run",
                       PK_WARN_DAYS_MAX);
                rc = AK_ERR_CONFIG;
            }
        } else if ((v = value_of(arg, "prompt")) != NULL) {
            size_t n = strlen(v);
            if (n == 0 || n > PK_PROMPT_MAX || ak_has_ctl(v, n) ||
                !ak_utf8_valid(v, n)) {
                ak_log(log, LOG_ERR,
                       "prompt= needs 1-%d bytes of text without control "
                       "characters; refusing to run",
                       PK_PROMPT_MAX);
                rc = AK_ERR_CONFIG;
            } else {
                a->prompt = v;
            }
        } else {
            char q[128];
            ak_log(log, LOG_ERR, "unknown option %s ignored",
                   ak_log_quote(q, sizeof(q), arg, (unsigned)strlen(arg)));
        }
    }
    /* pam_unix: use_first_pass is the stricter of the two and wins. */
    if (a->use_first_pass)
        a->try_first_pass = false;
    return rc;
}
