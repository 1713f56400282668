/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_notice.c - libFuzzer target: an apiKeyNotice value never crashes
 * the parser or the planner; a value that parses formats back to the same
 * bytes (so the exact delete of it hits); and a value that names a notice,
 * readable or not, is never claimed over (garbage never makes mail) */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ak_notice.h"
#include "ak_status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *v = (const char *)data;
    char back[AK_NOTICE_MAX + 1];
    struct ak_notice n;
    struct ak_record key;
    struct ak_policy p;
    struct ak_bytes b = {v, size};
    struct ak_values vs = {&b, 1, false};
    struct ak_notice_plan plan;
    const char *why = NULL;
    time_t now = 1800000000;

    if (ak_notice_parse(v, size, &n, &why) == AK_OK) {
        if (ak_notice_format(&n, back) != AK_OK || strlen(back) != size ||
            memcmp(back, v, size) != 0)
            abort(); /* not canonical: an exact delete would miss it */
        if (ak_notice_match(v, size, &n.id, NULL, NULL) != AK_NOTICE_THIS)
            abort();
        now = n.at; /* near the value's own times */
    } else if (why == NULL) {
        abort(); /* a refusal says why */
    }

    /* The key the value is about (when it names one), due in every stage
     * at some point of the fuzzed clock. */
    memset(&key, 0, sizeof(key));
    memset(&p, 0, sizeof(p));
    if (size >= AK_KEY_ID_LEN && ak_key_id_valid(v, AK_KEY_ID_LEN))
        memcpy(key.id, v, AK_KEY_ID_LEN);
    else
        memcpy(key.id, "abcdefghijklmnop", AK_KEY_ID_LEN);
    key.created = 1000000000;
    key.has_expires = true;
    key.expires = now + (time_t)(size % 40) * 86400 - 3600;
    p.n_notice_days = 3;
    p.notice_days[0] = 30;
    p.notice_days[1] = 7;
    p.notice_days[2] = (unsigned)(size % 5);
    for (int c = AK_NOTICE_OWNER; c <= AK_NOTICE_ADMIN; c++) {
        struct ak_notice_opts o = {.lease = (unsigned)size, .expired_days = 30};
        ak_notice_plan(&key, &p, (enum ak_notice_class)c, &vs, now, &o, &plan);
        if (plan.has_wake && plan.wake <= now)
            abort();
        if (plan.action == AK_NOTICE_CLAIM) {
            struct ak_notice_id ids[AK_NOTICE_STAGES_MAX + 1];
            unsigned k = 0;
            ids[k++] = plan.id;
            for (unsigned i = 0; i < plan.n_skip; i++) {
                ids[k] = plan.id;
                ids[k++].stage = plan.skip[i];
            }
            for (unsigned i = 0; i < k; i++)
                if (ak_notice_match(v, size, &ids[i], NULL, NULL) !=
                    AK_NOTICE_OTHER)
                    abort(); /* claimed over a value that takes it */
        }
        if ((plan.action == AK_NOTICE_TAKE_OVER ||
             plan.action == AK_NOTICE_GIVE_UP) &&
            (ak_notice_format(&plan.old, back) != AK_OK ||
             strlen(back) != size || memcmp(back, v, size) != 0))
            abort(); /* the value to replace is not the one found */
    }

    /* Housekeeping: on an entry without the key, a value goes only when
     * it reads (and then the delete names exactly it); with the key alive,
     * never. */
    {
        struct ak_notice_opts o = {.expired_days = 30, .cleanup_days = 60};
        struct ak_holder_view hv;
        struct ak_notice_sweep_out sw;
        char rec[AK_RECORD_MAX + 1];
        struct ak_bytes rb;

        memset(&hv, 0, sizeof(hv));
        ak_notice_sweep(&hv, NULL, &p, v, size, now, &o, &sw);
        if ((sw.verdict == AK_SWEEP_GARBAGE) !=
            (ak_notice_parse(v, size, NULL, NULL) != AK_OK))
            abort();
        if (sw.verdict != AK_SWEEP_GARBAGE &&
            (ak_notice_format(&sw.n, back) != AK_OK || strlen(back) != size ||
             memcmp(back, v, size) != 0))
            abort(); /* the exact delete would miss the value */
        memset(key.salt, 1, sizeof(key.salt));
        key.has_expires = false; /* never expires: alive */
        if (ak_record_format(&key, rec, sizeof(rec)) == AK_OK) {
            rb = (struct ak_bytes){rec, strlen(rec)};
            hv.records = (struct ak_values){&rb, 1, false};
            p.max_lifetime_days = 0;
            ak_notice_sweep(&hv, NULL, &p, v, size, now, &o, &sw);
            if (sw.verdict == AK_SWEEP_GONE || sw.verdict == AK_SWEEP_ENDED)
                abort(); /* a live key's value removed */
        }
    }
    return 0;
}
