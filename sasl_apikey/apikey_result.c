/* SPDX-License-Identifier: BSD-3-Clause */
/* apikey_result.c - verifier outcome and status to SASL code and log level */
#include "apikey_result.h"

#include <syslog.h>

#include <sasl/sasl.h>
#include <sasl/saslplug.h>

int apikey_sasl_result(int status, enum ak_outcome outcome)
{
    switch (status) {
    case AK_OK:
        break;
    case AK_ERR_MALFORMED:
        return SASL_BADPROT;
    case AK_ERR_NOMEM:
        return SASL_NOMEM;
    case AK_ERR_CONFIG:
    case AK_ERR_NOT_FOUND:
    case AK_ERR_IO:
    case AK_ERR_INVALID:
    case AK_ERR_BACKEND:
    case AK_ERR_CRYPTO:
        /* A fault on this side, never SASL_CONFIGERR: Postfix answers
         * that with a permanent 535 and its errstring ("error when
         * parsing configuration file"); UNAVAIL is a temporary 454. */
        return SASL_UNAVAIL;
    default:
        return SASL_FAIL;
    }
    switch (outcome) {
    case AK_VERIFY_OK:
        return SASL_OK;
    case AK_VERIFY_MALFORMED:
    case AK_VERIFY_WRONG_KEY:
    case AK_VERIFY_UNKNOWN_KEY:
    case AK_VERIFY_EXPIRED:
    case AK_VERIFY_REVOKED:
    case AK_VERIFY_OWNER_LOCKED:
    case AK_VERIFY_SCOPE_DENIED:
        return SASL_BADAUTH;
    case AK_VERIFY_UNAVAILABLE:
    case AK_VERIFY_INTERNAL:
        return SASL_UNAVAIL;
    }
    return SASL_FAIL; /* fail closed on a value the enum does not know */
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
