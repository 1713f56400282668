/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_lastuse.c - record a key's last use at most once per interval */
#include "ak_lastuse.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ak_schema.h"
#include "ak_status.h"

int ak_lastuse_format(const char *kid, time_t t, char buf[AK_LASTUSE_LEN + 1])
{
    char ts[AK_TIME_LEN + 1];

    if (!ak_key_id_valid(kid, strlen(kid)) || ak_time_format(t, ts) != AK_OK)
        return AK_ERR_INVALID;
    snprintf(buf, AK_LASTUSE_LEN + 1, "%s %s", kid, ts);
    return AK_OK;
}

bool ak_lastuse_parse(const char *s, size_t len, char kid[AK_KEY_ID_LEN + 1],
                      time_t *t)
{
    if (len != AK_LASTUSE_LEN || s[AK_KEY_ID_LEN] != ' ' ||
        !ak_key_id_valid(s, AK_KEY_ID_LEN) ||
        ak_time_parse(s + AK_KEY_ID_LEN + 1, AK_TIME_LEN, true, t) != AK_OK)
        return false;
    memcpy(kid, s, AK_KEY_ID_LEN);
    kid[AK_KEY_ID_LEN] = '\0';
    return true;
}

bool ak_lastuse_latest(char *const *vals, unsigned n, const char *kid,
                       time_t *t)
{
    bool found = false;

    for (unsigned i = 0; i < n; i++) {
        char id[AK_KEY_ID_LEN + 1];
        time_t v;
        if (ak_lastuse_parse(vals[i], strlen(vals[i]), id, &v) &&
            strcmp(id, kid) == 0 && (!found || v > *t)) {
            *t = v;
            found = true;
        }
    }
    return found;
}

bool ak_lastuse_due(bool known, time_t last, time_t now,
                    unsigned interval_minutes)
{
    time_t iv = (time_t)interval_minutes * 60;

    if (!known)
        return true;
    if (last > now)
        return last - now > iv;
    return now - last >= iv;
}

/* Failures of this best-effort write are no errors of the login: the sink
 * sees them at LOG_INFO at most. */
static void quiet_sink(void *ctx, int prio, const char *msg)
{
    const struct ak_log *log = ctx;
    if (log->sink != NULL)
        log->sink(log->ctx, prio < LOG_INFO ? LOG_INFO : prio, msg);
}

/* At most this many old values of one key are deleted in one modify; more
 * means something else writes the attribute, and we leave it alone. */
#define LASTUSE_OLD_MAX 8

void ak_lastuse_note(struct ak_conn *c, const char *dn,
                     const struct berval *vals, const char *kid, time_t now,
                     unsigned interval_minutes, const struct ak_log *log)
{
    struct ak_log quiet = {.sink = quiet_sink,
                           .ctx = (void *)(uintptr_t)log,
                           .debug = log != NULL && log->debug};
    struct berval *old[LASTUSE_OLD_MAX + 1];
    char value[AK_LASTUSE_LEN + 1];
    char *new_vals[] = {value, NULL};
    LDAPMod del = {LDAP_MOD_DELETE | LDAP_MOD_BVALUES,
                   AK_LDAP_STR(AK_AT_LAST_USED),
                   {NULL}};
    LDAPMod add = {LDAP_MOD_ADD, AK_LDAP_STR(AK_AT_LAST_USED), {new_vals}};
    LDAPMod *mods[3];
    unsigned n_old = 0, m = 0;
    time_t latest = 0;
    bool known = false;
    int rc;

    if (log == NULL)
        quiet.sink = NULL;
    for (unsigned i = 0; vals != NULL && vals[i].bv_val != NULL; i++) {
        char id[AK_KEY_ID_LEN + 1];
        time_t t;
        if (!ak_lastuse_parse(vals[i].bv_val, vals[i].bv_len, id, &t) ||
            strcmp(id, kid) != 0)
            continue;
        if (n_old == LASTUSE_OLD_MAX) {
            ak_log(&quiet, LOG_INFO,
                   "key %s: too many apiKeyLastUsed values; not recorded", kid);
            return;
        }
        /* The value exactly as the server returned it (length-delimited:
         * a BerVarray value need not be NUL-terminated). */
        old[n_old++] = (struct berval *)(uintptr_t)&vals[i];
        if (!known || t > latest)
            latest = t;
        known = true;
    }
    old[n_old] = NULL;
    del.mod_bvalues = old;
    if (!ak_lastuse_due(known, latest, now, interval_minutes)) {
        ak_debug(log, "key %s: last use recorded less than %u min ago", kid,
                 interval_minutes);
        return;
    }
    if (ak_lastuse_format(kid, now, value) != AK_OK)
        return;
    if (n_old > 0)
        mods[m++] = &del;
    mods[m++] = &add;
    mods[m] = NULL;
    rc = ak_conn_modify(c, dn, mods, &quiet);
    if (rc == AK_OK)
        ak_debug(log, "key %s: last use recorded", kid);
    else
        ak_log(&quiet, LOG_INFO, "key %s: last use not recorded: %s", kid,
               ak_strerror(rc));
}
