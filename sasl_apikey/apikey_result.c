/* SPDX-License-Identifier: BSD-3-Clause */
/* apikey_result.c - verifier outcome and status to SASL code and log level */
#include "apikey_result.h"

#include <stddef.h>
#include <syslog.h>

#include <sasl/sasl.h>
#include <sasl/saslplug.h>

#define N_ROWS(a) (sizeof(a) / sizeof((a)[0]))

/* One row per class (ak_status.h); the reasons are in apikey_result.h. */
static const struct sasl_row {
    enum ak_class cls;
    int code;
} sasl_rows[] = {
    {AK_CLASS_UNKNOWN, SASL_FAIL},
    {AK_CLASS_OK, SASL_OK},
    {AK_CLASS_REFUSED, SASL_BADAUTH},
    {AK_CLASS_EXPIRED, SASL_BADAUTH},
    {AK_CLASS_NOT_A_KEY, SASL_BADAUTH},
    {AK_CLASS_UNAVAILABLE, SASL_UNAVAIL},
    /* a fault on this side, never SASL_CONFIGERR: Postfix answers that
     * with a permanent 535 and its errstring ("error when parsing
     * configuration file"); UNAVAIL is a temporary 454 */
    {AK_CLASS_LOCAL_CONFIG, SASL_UNAVAIL},
    {AK_CLASS_NOMEM, SASL_NOMEM},
    {AK_CLASS_INTERNAL, SASL_UNAVAIL},
    {AK_CLASS_BAD_INPUT, SASL_BADPROT}, /* the message's framing */
    {AK_CLASS_NOT_FOUND, SASL_UNAVAIL}, /* only apikey.conf: LOCAL_CONFIG */
    {AK_CLASS_CONFLICT, SASL_FAIL},
    {AK_CLASS_DENIED, SASL_FAIL},
    {AK_CLASS_INVALID, SASL_UNAVAIL},
};
_Static_assert(N_ROWS(sasl_rows) == AK_CLASS_LAST + 1, "one row a class");

int apikey_sasl_result(int status, enum ak_outcome outcome)
{
    enum ak_class cls =
        status != AK_OK ? ak_status_class(status) : ak_outcome_class(outcome);

    for (size_t i = 0; i < N_ROWS(sasl_rows); i++)
        if (sasl_rows[i].cls == cls)
            return sasl_rows[i].code;
    return SASL_FAIL; /* a class without a row fails closed */
}

int apikey_sasl_log_level(int prio)
{
    if (prio <= LOG_ERR)
        return SASL_LOG_ERR;
    switch (prio) {
    case LOG_WARNING:
        return SASL_LOG_WARN;
    case LOG_NOTICE:
        return SASL_LOG_FAIL;
    case LOG_INFO:
        return SASL_LOG_NOTE;
    default:
        return SASL_LOG_DEBUG;
    }
}

const char *apikey_sasl_code_name(int code)
{
    switch (code) {
    case SASL_OK:
        return "SASL_OK";
    case SASL_CONTINUE:
        return "SASL_CONTINUE";
    case SASL_FAIL:
        return "SASL_FAIL";
    case SASL_NOMEM:
        return "SASL_NOMEM";
    case SASL_BADPROT:
        return "SASL_BADPROT";
    case SASL_BADAUTH:
        return "SASL_BADAUTH";
    case SASL_NOAUTHZ:
        return "SASL_NOAUTHZ";
    case SASL_UNAVAIL:
        return "SASL_UNAVAIL";
    case SASL_CONFIGERR:
        return "SASL_CONFIGERR";
    case SASL_BADPARAM:
        return "SASL_BADPARAM";
    case SASL_NOUSER:
        return "SASL_NOUSER";
    case SASL_INTERACT:
        return "SASL_INTERACT";
    default:
        return "SASL error";
    }
}
