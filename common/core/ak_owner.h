/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_owner.h - is a key's owner locked? Its account-state attributes (pure) */
#ifndef AK_OWNER_H
#define AK_OWNER_H

#include <stddef.h>
#include <time.h>

/*
 * Owner-state attributes the verifier reads from the key holder's entry.
 * The first AK_OWNER_N_COMMON are read from every directory; the Active
 * Directory ones after them only where user_attr says the directory is AD
 * (ak_owner_n_attrs): elsewhere an attribute of that name could mean
 * something else, and an unreadable value locks.
 */
enum ak_owner_attr {
    AK_OWNER_PWD_LOCKED,    /* pwdAccountLockedTime (ppolicy) */
    AK_OWNER_PWD_START,     /* pwdStartTime (ppolicy, OpenLDAP 2.5) */
    AK_OWNER_PWD_END,       /* pwdEndTime (ppolicy, OpenLDAP 2.5) */
    AK_OWNER_SHADOW_EXPIRE, /* shadowExpire (days since epoch; -1 = never) */
    AK_OWNER_DISABLED,      /* apiKeyDisabled (our schema) */
    AK_OWNER_NS_LOCK,       /* nsAccountLock (389-ds) */
    AK_OWNER_AD_UAC,        /* userAccountControl (AD, Samba), bit 0x2 */
    AK_OWNER_N_COMMON,
    AK_OWNER_AD_EXPIRES = AK_OWNER_N_COMMON, /* accountExpires (AD) */
    AK_OWNER_AD_LOCKOUT,                     /* lockoutTime (AD) */
    AK_OWNER_N_ATTRS
};

/* LDAP attribute name of each owner-state attribute. */
extern const char *const ak_owner_attr_names[AK_OWNER_N_ATTRS];

/* How many of ak_owner_attr_names apply for this user_attr: all of them
 * for sAMAccountName or userPrincipalName (AD), else AK_OWNER_N_COMMON. */
int ak_owner_n_attrs(const char *user_attr);

/*
 * NULL when this value leaves the owner active, otherwise a static reason
 * ("account locked (pwdAccountLockedTime)"). Unparsable values lock: fail
 * closed.
 */
const char *ak_owner_value_locks(enum ak_owner_attr which, const char *value,
                                 size_t len, time_t now);

/* The reason a tagged value (attr;option) of a lock attribute gives: it
 * is not the attribute, but only who may write the attribute can write
 * it, so it locks (fail closed). */
const char *ak_owner_tagged_locks(enum ak_owner_attr which);

/*
 * Why the owner is locked at now, or NULL when it is active: the first
 * lock among the n_locks attributes of v that apply. One rule for every
 * reader (verifier, apikey service show, the daemon).
 */
struct ak_holder_view;
const char *ak_owner_lock(const struct ak_holder_view *v, time_t now);

#endif
