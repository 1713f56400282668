/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_status.c - names for status codes and verifier outcomes */
#include "ak_status.h"

const char *ak_strerror(int status)
{
    switch (status) {
    case AK_OK:
        return "success";
    case AK_ERR_NOMEM:
        return "out of memory";
    case AK_ERR_IO:
        return "input/output error";
    case AK_ERR_CONFIG:
        return "configuration error";
    case AK_ERR_BACKEND:
        return "directory unavailable";
    case AK_ERR_MALFORMED:
        return "malformed input";
    case AK_ERR_NOT_FOUND:
        return "not found";
    case AK_ERR_CONFLICT:
        return "concurrent modification";
    case AK_ERR_INVALID:
        return "invalid argument";
    case AK_ERR_DENIED:
        return "permission denied";
    case AK_ERR_CRYPTO:
        return "cryptography library unavailable";
    }
    return "unknown error";
}

const char *ak_outcome_str(enum ak_outcome outcome)
{
    switch (outcome) {
    case AK_VERIFY_OK:
        return "ok";
    case AK_VERIFY_MALFORMED:
        return "not an API key";
    case AK_VERIFY_WRONG_KEY:
        return "wrong key";
    case AK_VERIFY_UNKNOWN_KEY:
        return "unknown key";
    case AK_VERIFY_EXPIRED:
        return "expired";
    case AK_VERIFY_REVOKED:
        return "revoked";
    case AK_VERIFY_OWNER_LOCKED:
        return "owner locked or disabled";
    case AK_VERIFY_SCOPE_DENIED:
        return "not valid for this service";
    case AK_VERIFY_UNAVAILABLE:
        return "directory unavailable";
    case AK_VERIFY_INTERNAL:
        return "internal error";
    }
    return "unknown outcome";
}
