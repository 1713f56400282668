/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_revocation.c - parse, write and apply apiKeyRevoked values */
#include "ak_revocation.h"

#include <stdio.h>
#include <string.h>

#include "ak_status.h"
#include "ak_time.h"

static const char *const reason_names[] = {
    [AK_END_REVOKED] = "revoked",
    [AK_END_ROTATED] = "rotated",
};

const char *ak_end_reason_name(enum ak_end_reason why)
{
    return reason_names[why == AK_END_ROTATED ? AK_END_ROTATED
                                              : AK_END_REVOKED];
}

int ak_revocation_format(const char *kid, time_t t, enum ak_end_reason why,
                         char buf[AK_REVOCATION_MAX + 1])
{
    char ts[AK_TIME_LEN + 1];

    if (kid == NULL || !ak_key_id_valid(kid, strlen(kid)) ||
        (why != AK_END_REVOKED && why != AK_END_ROTATED) ||
        ak_time_format(t, ts) != AK_OK)
        return AK_ERR_INVALID;
    snprintf(buf, AK_REVOCATION_MAX + 1, "%s %s %s", kid, ts,
             reason_names[why]);
    return AK_OK;
}

bool ak_revocation_names(const char *v, size_t len, const char *kid)
{
    return len >= AK_KEY_ID_LEN && memcmp(v, kid, AK_KEY_ID_LEN) == 0 &&
           (len == AK_KEY_ID_LEN || v[AK_KEY_ID_LEN] == ' ');
}

static void earliest(bool *has, time_t *at, time_t t)
{
    if (!*has || t < *at)
        *at = t;
    *has = true;
}

bool ak_revocation_apply(struct ak_record *r, const char *v, size_t len)
{
    const size_t t_off = AK_KEY_ID_LEN + 1, r_off = t_off + AK_TIME_LEN + 1;
    time_t t;

    if (!ak_revocation_names(v, len, r->id))
        return false;
    if (len > r_off && v[r_off - 1] == ' ' &&
        ak_time_parse(v + t_off, AK_TIME_LEN, true, &t) == AK_OK) {
        const char *why = v + r_off;
        size_t wl = len - r_off;
        if (wl == strlen(reason_names[AK_END_ROTATED]) &&
            memcmp(why, reason_names[AK_END_ROTATED], wl) == 0) {
            earliest(&r->has_end, &r->end, t);
            return true;
        }
        if (wl == strlen(reason_names[AK_END_REVOKED]) &&
            memcmp(why, reason_names[AK_END_REVOKED], wl) == 0) {
            earliest(&r->is_revoked, &r->revoked, t);
            return true;
        }
    }
    /* Names this key, says nothing we can read: it is revoked. */
    earliest(&r->is_revoked, &r->revoked, 0);
    return true;
}
