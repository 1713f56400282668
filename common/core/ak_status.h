/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_status.h - the one error currency of common/, the verifier outcomes,
 * and the one classification every front end maps to its host's codes */
#ifndef AK_STATUS_H
#define AK_STATUS_H

/*
 * Return codes of every common/ function: AK_OK or a negative AK_ERR_*.
 * Front ends never map them one by one: ak_status_class() says what kind
 * of result each is, and each front end maps the class (below).
 * A new status goes last, moves AK_ERR_LAST and takes a row in
 * ak_status.c (the build checks the table's size against AK_ERR_LAST).
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
    AK_ERR_FULL = -11,     /* the entry holds as many values as the
                              directory allows (ak_bounds.h) */
    AK_ERR_TOO_BIG = -12,  /* an entry of the answer is larger than the
                              client accepts (AK_MAX_INCOMING, ak_sock.h) */
};
#define AK_ERR_LAST AK_ERR_TOO_BIG /* the most negative status */

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
/* The last outcome: a new one goes after it, moves this and takes a row in
 * ak_status.c (checked at build time, as for AK_ERR_LAST). */
#define AK_VERIFY_LAST AK_VERIFY_INTERNAL

/* Short, stable, log-friendly name ("ok", "wrong key", ...). Never NULL. */
const char *ak_outcome_str(enum ak_outcome outcome);

/*
 * What kind of result a status or an outcome is: the one classification
 * behind pam_apikey's, sasl_apikey's and apikey(1)'s codes. Each front end
 * maps a class to its host's code from one small table, so the same kind
 * of fault gets the same kind of answer everywhere (tests/unit/test_status.c
 * walks every status and outcome through all three).
 */
enum ak_class {
    /* First, so that anything without a row (an unknown value) is this,
     * and every front end fails it closed. */
    AK_CLASS_UNKNOWN = 0,
    AK_CLASS_OK,           /* success; for the verifier: the key is accepted */
    AK_CLASS_REFUSED,      /* the credential is refused: wrong, unknown,
                            * revoked, owner locked, outside its scope */
    AK_CLASS_EXPIRED,      /* refused because it expired (PAM's account phase
                            * tells this one apart) */
    AK_CLASS_NOT_A_KEY,    /* the token is not an API key at all */
    AK_CLASS_UNAVAILABLE,  /* directory unreachable, timed out or its answer
                            * unusable: try again later */
    AK_CLASS_LOCAL_CONFIG, /* this host's configuration (apikey.conf, the
                            * bind password file) missing, unreadable,
                            * invalid or unsafe: an admin must fix it */
    AK_CLASS_NOMEM,        /* out of memory */
    AK_CLASS_INTERNAL,     /* a local fault no setting explains (libsodium
                            * unusable, the verifier's own failure) */
    /* Results of management (apikey(1)). The authentication front ends
     * meet them only as noted. */
    AK_CLASS_BAD_INPUT, /* input not well formed: a command-line value; a
                         * SASL message's framing */
    AK_CLASS_NOT_FOUND, /* no such entry or key id; to the PAM module and
                         * the SASL plug-in only a file can be missing */
    AK_CLASS_CONFLICT,  /* changed concurrently or exists; nothing written */
    AK_CLASS_DENIED,    /* refused by policy or the directory's access
                         * control */
    AK_CLASS_INVALID,   /* a value the layer below cannot use: a field out
                         * of range, a schema violation */
};
#define AK_CLASS_LAST AK_CLASS_INVALID

/* The class of a status (AK_OK or AK_ERR_*); AK_CLASS_UNKNOWN for a value
 * that is neither. */
enum ak_class ak_status_class(int status);

/* The class of a verifier outcome; AK_CLASS_UNKNOWN for an unknown one. */
enum ak_class ak_outcome_class(enum ak_outcome outcome);

/* "ok", "refused", "local config", ... for tests and logs. Never NULL. */
const char *ak_class_str(enum ak_class cls);

#endif
