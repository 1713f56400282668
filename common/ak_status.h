/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_status.h - the one error currency of common/ and the verifier outcomes */
#ifndef AK_STATUS_H
#define AK_STATUS_H

/*
 * Return codes of every common/ function: AK_OK or a negative AK_ERR_*.
 * Front-ends map them to PAM / SASL codes in exactly one place each.
 */
enum ak_status {
    AK_OK = 0,
    AK_ERR_NOMEM = -1,     /* allocation failed */
    AK_ERR_IO = -2,        /* local file or system call failed */
    AK_ERR_CONFIG = -3,    /* configuration is invalid or unsafe */
    AK_ERR_BACKEND = -4,   /* directory unreachable, timed out or refused */
    AK_ERR_MALFORMED = -5, /* input is not well formed (key, record, ...) */
    AK_ERR_NOT_FOUND = -6, /* no such entry / key id */
    AK_ERR_CONFLICT = -7,  /* concurrent change; nothing was written */
    AK_ERR_INVALID = -8,   /* caller passed an invalid argument */
    AK_ERR_DENIED = -9,    /* refused by policy or directory access control */
    AK_ERR_CRYPTO = -10,   /* libsodium could not be initialised */
};

/* Never returns NULL. */
const char *ak_strerror(int status);

/*
 * What ak_verify() concluded about one presented key. The precise outcome is
 * for logs and for PAM account management; clients see one uniform failure.
 */
enum ak_outcome {
    AK_VERIFY_OK = 0,
    AK_VERIFY_MALFORMED,    /* not an API key at all (no LDAP traffic) */
    AK_VERIFY_WRONG_KEY,    /* key id found, secret does not match */
    AK_VERIFY_UNKNOWN_KEY,  /* no such key id for this user (or no user) */
    AK_VERIFY_EXPIRED,      /* past its effective expiry */
    AK_VERIFY_REVOKED,      /* revoked by its owner or an admin */
    AK_VERIFY_OWNER_LOCKED, /* owner entry locked, disabled or expired */
    AK_VERIFY_SCOPE_DENIED, /* key not valid for this service */
    AK_VERIFY_UNAVAILABLE,  /* directory unreachable or answer unusable */
    AK_VERIFY_INTERNAL,     /* local failure: memory, config, crypto */
};

/* Short, stable, log-friendly name ("ok", "wrong key", ...). Never NULL. */
const char *ak_outcome_str(enum ak_outcome outcome);

#endif
