/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_status.c - names and classes of status codes and verifier outcomes:
 * one row each */
#include "ak_status.h"

#include <stddef.h>

#define N_ROWS(a) (sizeof(a) / sizeof((a)[0]))

struct row {
    const char *name; /* NULL: no row (a value the enum does not have) */
    enum ak_class cls;
};

/*
 * Indexed by -status. Where a status lands, and why:
 *  - IO and CONFIG are both LOCAL_CONFIG: AK_ERR_IO comes only from reading
 *    apikey.conf or a secret file (ak_file_read), so an unopenable or
 *    unreadable file is the same fault as an unsafe or invalid one, and an
 *    admin fixes it the same way. Unsafe ownership or mode is AK_ERR_CONFIG
 *    (ak_secure.c), not AK_ERR_DENIED, which is the directory's or the
 *    policy's refusal.
 *  - NOT_FOUND stays apart: apikey(1) tells "no such key" from a broken
 *    configuration. The PAM module and the SASL plug-in, which meet it only
 *    for a missing apikey.conf, answer it as they answer LOCAL_CONFIG.
 *  - BACKEND is UNAVAILABLE, like the verifier's own outcome of that name.
 *  - CRYPTO is INTERNAL: no setting makes libsodium work again.
 *  - FULL is DENIED: the directory's bound refuses the change, as its
 *    access control would; the caller says which bound and what to do.
 *  - TOO_BIG is UNAVAILABLE: the entry cannot be read by this client, as
 *    if the directory did not answer; but the fault is the entry's (its
 *    holder's, or an admin's), never the server's, and the text says so.
 */
static const struct row status_rows[] = {
    [-AK_OK] = {"success", AK_CLASS_OK},
    [-AK_ERR_NOMEM] = {"out of memory", AK_CLASS_NOMEM},
    [-AK_ERR_IO] = {"input/output error", AK_CLASS_LOCAL_CONFIG},
    [-AK_ERR_CONFIG] = {"configuration error", AK_CLASS_LOCAL_CONFIG},
    [-AK_ERR_BACKEND] = {"directory unavailable", AK_CLASS_UNAVAILABLE},
    [-AK_ERR_MALFORMED] = {"malformed input", AK_CLASS_BAD_INPUT},
    [-AK_ERR_NOT_FOUND] = {"not found", AK_CLASS_NOT_FOUND},
    [-AK_ERR_CONFLICT] = {"concurrent modification", AK_CLASS_CONFLICT},
    [-AK_ERR_INVALID] = {"invalid argument", AK_CLASS_INVALID},
    [-AK_ERR_DENIED] = {"permission denied", AK_CLASS_DENIED},
    [-AK_ERR_CRYPTO] = {"cryptography library unavailable", AK_CLASS_INTERNAL},
    [-AK_ERR_FULL] = {"the entry is full", AK_CLASS_DENIED},
    [-AK_ERR_TOO_BIG] = {"entry larger than the 16 MiB the client accepts",
                         AK_CLASS_UNAVAILABLE},
};
_Static_assert(N_ROWS(status_rows) == 1 - AK_ERR_LAST,
               "one row per status, AK_OK to AK_ERR_LAST");

/* Indexed by outcome. Expired is a class of its own only because PAM's
 * account phase answers it apart; to a client it is a refusal like any. */
static const struct row outcome_rows[] = {
    [AK_VERIFY_OK] = {"ok", AK_CLASS_OK},
    [AK_VERIFY_MALFORMED] = {"not an API key", AK_CLASS_NOT_A_KEY},
    [AK_VERIFY_WRONG_KEY] = {"wrong key", AK_CLASS_REFUSED},
    [AK_VERIFY_UNKNOWN_KEY] = {"unknown key", AK_CLASS_REFUSED},
    [AK_VERIFY_EXPIRED] = {"expired", AK_CLASS_EXPIRED},
    [AK_VERIFY_REVOKED] = {"revoked", AK_CLASS_REFUSED},
    [AK_VERIFY_OWNER_LOCKED] = {"owner locked or disabled", AK_CLASS_REFUSED},
    [AK_VERIFY_SCOPE_DENIED] = {"not valid for this service", AK_CLASS_REFUSED},
    [AK_VERIFY_UNAVAILABLE] = {"directory unavailable", AK_CLASS_UNAVAILABLE},
    [AK_VERIFY_INTERNAL] = {"internal error", AK_CLASS_INTERNAL},
};
_Static_assert(N_ROWS(outcome_rows) == AK_VERIFY_LAST + 1,
               "one row per outcome, AK_VERIFY_OK to AK_VERIFY_LAST");

static const char *const class_names[] = {
    [AK_CLASS_UNKNOWN] = "unknown",
    [AK_CLASS_OK] = "ok",
    [AK_CLASS_REFUSED] = "refused",
    [AK_CLASS_EXPIRED] = "expired",
    [AK_CLASS_NOT_A_KEY] = "not a key",
    [AK_CLASS_UNAVAILABLE] = "unavailable",
    [AK_CLASS_LOCAL_CONFIG] = "local configuration",
    [AK_CLASS_NOMEM] = "out of memory",
    [AK_CLASS_INTERNAL] = "internal",
    [AK_CLASS_BAD_INPUT] = "bad input",
    [AK_CLASS_NOT_FOUND] = "not found",
    [AK_CLASS_CONFLICT] = "conflict",
    [AK_CLASS_DENIED] = "denied",
    [AK_CLASS_INVALID] = "invalid",
};
_Static_assert(N_ROWS(class_names) == AK_CLASS_LAST + 1, "one name a class");

static const struct row *status_row(int status)
{
    if (status > 0 || status < AK_ERR_LAST || status_rows[-status].name == NULL)
        return NULL;
    return &status_rows[-status];
}

static const struct row *outcome_row(enum ak_outcome outcome)
{
    /* compared as unsigned: a negative value is out of range too */
    if ((unsigned)outcome >= N_ROWS(outcome_rows) ||
        outcome_rows[outcome].name == NULL)
        return NULL;
    return &outcome_rows[outcome];
}

const char *ak_strerror(int status)
{
    const struct row *r = status_row(status);
    return r != NULL ? r->name : "unknown error";
}

const char *ak_outcome_str(enum ak_outcome outcome)
{
    const struct row *r = outcome_row(outcome);
    return r != NULL ? r->name : "unknown outcome";
}

enum ak_class ak_status_class(int status)
{
    const struct row *r = status_row(status);
    return r != NULL ? r->cls : AK_CLASS_UNKNOWN;
}

enum ak_class ak_outcome_class(enum ak_outcome outcome)
{
    const struct row *r = outcome_row(outcome);
    return r != NULL ? r->cls : AK_CLASS_UNKNOWN;
}

const char *ak_class_str(enum ak_class cls)
{
    if ((unsigned)cls >= N_ROWS(class_names) || class_names[cls] == NULL)
        return "unknown";
    return class_names[cls];
}
