/* SPDX-License-Identifier: BSD-3-Clause */
/* test_judge.c - the whole decision as a table, without a directory: every
 * key state x policy x owner state x scope x check, and the identity and
 * record rules before them. Linked with the pure core only (no libldap). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ak_hash.h"
#include "ak_judge.h"
#include "ak_owner.h"
#include "ak_record.h"
#include "ak_revocation.h"
#include "ak_time.h"

#define DAY 86400
#define KID "abcdefghijklmnop"
#define SECRET "ak_abcdefghijklmnop_the-right-secret"

static time_t now;

/* ---- a holder built from C strings ------------------------------------ */

#define VALS_MAX 4
struct vals {
    struct ak_bytes b[VALS_MAX];
};

struct holder {
    struct ak_holder_view v;
    struct vals name, oc, records, revoked, locks[AK_OWNER_N_ATTRS];
    char record_text[3][AK_RECORD_MAX + 1];
    char revoked_text[AK_REVOCATION_MAX + 1];
};

static void set(struct ak_values *out, struct vals *store, unsigned n,
                const char *const *s)
{
    for (unsigned i = 0; i < n; i++) {
        store->b[i].p = s[i];
        store->b[i].n = strlen(s[i]);
    }
    out->v = store->b;
    out->n = n;
}

/* ---- the dimensions ---------------------------------------------------- */

/* A key's own state: when made, its expiry, revoked, a rotation's end. */
struct key_state {
    long created_days; /* relative to now */
    int expires;       /* 0 none, 1 in 5 days, -1 a day ago */
    bool revoked;
    int end; /* 0 none, 1 an hour ahead (grace), -1 an hour ago */
};

struct policy_case {
    const char *name;
    bool configured;
    struct ak_policy p;
};

static const struct policy_case policies[] = {
    {"no policy", false, {0}},
    {"empty policy", true, {0}},
    {"require expiry", true, {.require_expiry = true}},
    {"max 30 days", true, {.max_lifetime_days = 30}},
    {"require + max 30",
     true,
     {.require_expiry = true, .max_lifetime_days = 30}},
};

/* An owner state: one lock attribute with one value, and what it means. */
struct owner_case {
    const char *name;
    int attr;          /* enum ak_owner_attr, -1: none set */
    const char *value; /* NULL: a tagged subtype only */
    bool ad;           /* only read where the directory is AD */
    bool locks;
};

static char shadow_past[24], shadow_future[24], pwd_past[24], pwd_future[24];
static char ad_past[32], ad_future[32];

static const struct owner_case owners[] = {
    {"active", -1, "", false, false},
    {"pwdAccountLockedTime", AK_OWNER_PWD_LOCKED, "000001010000Z", false, true},
    {"pwdStartTime ahead", AK_OWNER_PWD_START, pwd_future, false, true},
    {"pwdStartTime past", AK_OWNER_PWD_START, pwd_past, false, false},
    {"pwdEndTime past", AK_OWNER_PWD_END, pwd_past, false, true},
    {"pwdEndTime ahead", AK_OWNER_PWD_END, pwd_future, false, false},
    {"shadowExpire past", AK_OWNER_SHADOW_EXPIRE, shadow_past, false, true},
    {"shadowExpire ahead", AK_OWNER_SHADOW_EXPIRE, shadow_future, false, false},
    {"shadowExpire never", AK_OWNER_SHADOW_EXPIRE, "-1", false, false},
    {"shadowExpire unreadable", AK_OWNER_SHADOW_EXPIRE, "soon", false, true},
    {"apiKeyDisabled TRUE", AK_OWNER_DISABLED, "TRUE", false, true},
    {"apiKeyDisabled FALSE", AK_OWNER_DISABLED, "FALSE", false, false},
    {"apiKeyDisabled other", AK_OWNER_DISABLED, "false", false, true},
    {"nsAccountLock true", AK_OWNER_NS_LOCK, "true", false, true},
    {"nsAccountLock false", AK_OWNER_NS_LOCK, "FALSE", false, false},
    {"userAccountControl disabled", AK_OWNER_AD_UAC, "514", false, true},
    {"userAccountControl normal", AK_OWNER_AD_UAC, "512", false, false},
    {"tagged pwdAccountLockedTime", AK_OWNER_PWD_LOCKED, NULL, false, true},
    {"tagged apiKeyDisabled", AK_OWNER_DISABLED, NULL, false, true},
    {"accountExpires past (AD)", AK_OWNER_AD_EXPIRES, ad_past, true, true},
    {"accountExpires ahead (AD)", AK_OWNER_AD_EXPIRES, ad_future, true, false},
    {"accountExpires never (AD)", AK_OWNER_AD_EXPIRES, "0", true, false},
    {"lockoutTime set (AD)", AK_OWNER_AD_LOCKOUT, "1", true, true},
    {"lockoutTime clear (AD)", AK_OWNER_AD_LOCKOUT, "0", true, false},
};

struct scope_case {
    const char *scope; /* the key's scope, NULL: any service */
    const char *service;
    bool allowed;
};

static const struct scope_case scopes[] = {
    {NULL, "sshd", true},        {NULL, NULL, true},
    {"sshd", "sshd", true},      {"sshd", "SSHD", true},
    {"sshd", "smtp", false},     {"sshd", NULL, false},
    {"imap,smtp", "smtp", true},
};

enum check_case { RIGHT_SECRET, WRONG_SECRET, ACCOUNT_CHECK, N_CHECKS };

/* ---- building a row ---------------------------------------------------- */

static void make_record(const struct key_state *k, const char *scope, char *buf)
{
    struct ak_record r;

    memset(&r, 0, sizeof(r));
    memcpy(r.id, KID, sizeof(r.id));
    ak_hash_new_salt(r.salt);
    assert_int_equal(ak_hash_compute(r.digest, SECRET, strlen(SECRET), r.salt),
                     AK_OK);
    r.created = now + k->created_days * DAY;
    if (k->expires != 0) {
        r.has_expires = true;
        r.expires = k->expires > 0 ? now + 5 * DAY : now - DAY;
    }
    if (scope != NULL) {
        char tmp[64];
        char *save = NULL;
        snprintf(tmp, sizeof(tmp), "%s", scope);
        for (char *t = strtok_r(tmp, ",", &save); t != NULL;
             t = strtok_r(NULL, ",", &save))
            snprintf(r.scopes[r.n_scopes++], sizeof(r.scopes[0]), "%s", t);
    }
    snprintf(r.label, sizeof(r.label), "ci");
    assert_int_equal(ak_record_format(&r, buf, AK_RECORD_MAX + 1), AK_OK);
}

static void build(struct holder *h, const struct key_state *k,
                  const struct owner_case *o, const char *scope)
{
    static const char *const name[] = {"alice"};
    static const char *const oc[] = {"inetOrgPerson", "apiKeyHolder"};
    const char *rec[] = {h->record_text[0]};
    const char *rev[] = {h->revoked_text};

    memset(h, 0, sizeof(*h));
    h->v.dn = "uid=alice,ou=people,dc=example,dc=org";
    h->v.dn_len = strlen(h->v.dn);
    set(&h->v.name, &h->name, 1, name);
    set(&h->v.object_class, &h->oc, 2, oc);
    make_record(k, scope, h->record_text[0]);
    set(&h->v.records, &h->records, 1, rec);
    if (k->revoked || k->end != 0) {
        time_t at = k->revoked ? now - 60 : now + k->end * 3600;
        assert_int_equal(
            ak_revocation_format(KID, at,
                                 k->revoked ? AK_END_REVOKED : AK_END_ROTATED,
                                 h->revoked_text),
            AK_OK);
        set(&h->v.revoked, &h->revoked, 1, rev);
    }
    h->v.n_locks = o->ad ? AK_OWNER_N_ATTRS : AK_OWNER_N_COMMON;
    if (o->attr >= 0 && o->value != NULL) {
        const char *lv[] = {o->value};
        set(&h->v.locks[o->attr], &h->locks[o->attr], 1, lv);
    } else if (o->attr >= 0) {
        h->v.locks[o->attr].tagged = true;
    }
}

/* What the decision must be: the rules, in their order of precedence. */
static enum ak_outcome expected(const struct key_state *k,
                                const struct policy_case *p,
                                const struct owner_case *o,
                                const struct scope_case *s, enum check_case c)
{
    time_t created = now + k->created_days * DAY, eff = 0;
    bool has = false;

    if (c == WRONG_SECRET) /* the secret first: nothing else is told */
        return AK_VERIFY_WRONG_KEY;
    if (k->created_days > 0) /* beyond the clock skew: untrustworthy */
        return AK_VERIFY_UNKNOWN_KEY;
    if (k->revoked)
        return AK_VERIFY_REVOKED;
    if (k->expires != 0) {
        has = true;
        eff = k->expires > 0 ? now + 5 * DAY : now - DAY;
    }
    if (p->configured && p->p.max_lifetime_days > 0) {
        time_t cap = created + (time_t)p->p.max_lifetime_days * DAY;
        eff = has && eff < cap ? eff : cap;
        has = true;
    }
    if (k->end != 0) {
        time_t end = now + k->end * 3600;
        eff = has && eff < end ? eff : end;
        has = true;
    }
    if (!has && p->configured && p->p.require_expiry)
        return AK_VERIFY_EXPIRED;
    if (has && now >= eff)
        return AK_VERIFY_EXPIRED;
    if (o->locks)
        return AK_VERIFY_OWNER_LOCKED;
    if (!s->allowed)
        return AK_VERIFY_SCOPE_DENIED;
    return AK_VERIFY_OK;
}

static unsigned rows, failures;

static void row(const struct key_state *k, const struct policy_case *p,
                const struct owner_case *o, const struct scope_case *s,
                enum check_case c)
{
    struct holder h;
    struct ak_judgement j;
    struct ak_claim claim = {
        .check = c == ACCOUNT_CHECK ? AK_CHECK_ACCOUNT : AK_CHECK_SECRET,
        .key = c == WRONG_SECRET ? SECRET "x" : SECRET,
        .key_len = strlen(SECRET) + (c == WRONG_SECRET),
        .kid = KID,
        .user = "alice",
        .user_len = 5,
        .service = s->service,
    };
    enum ak_outcome want = expected(k, p, o, s, c), got;

    build(&h, k, o, s->scope);
    got = ak_judge(&h.v, p->configured ? &p->p : NULL, &claim, now, NULL, &j);
    rows++;
    if (got != want || j.hashed != (c != ACCOUNT_CHECK) ||
        (got != AK_VERIFY_OK && got != AK_VERIFY_REVOKED &&
         got != AK_VERIFY_WRONG_KEY && j.detail == NULL)) {
        if (failures++ < 20)
            print_error("key(created %+ld d, expires %d, revoked %d, end %d) "
                        "%s, owner %s, scope %s service %s, check %d: got "
                        "%s, want %s (hashed %d)\n",
                        k->created_days, k->expires, k->revoked, k->end,
                        p->name, o->name, s->scope ? s->scope : "-",
                        s->service ? s->service : "-", c, ak_outcome_str(got),
                        ak_outcome_str(want), j.hashed);
    }
}

static void each_key(void (*fn)(const struct key_state *))
{
    static const long created[] = {-10, -40, 1};
    static const int expires[] = {0, 1, -1};
    static const int ends[] = {0, 1, -1};

    for (unsigned a = 0; a < 3; a++)
        for (unsigned b = 0; b < 3; b++)
            for (int r = 0; r < 2; r++)
                for (unsigned e = 0; e < 3; e++) {
                    struct key_state k = {created[a], expires[b], r != 0,
                                          ends[e]};
                    fn(&k);
                }
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* key state x policy x owner state x check (a service in scope) */
static void by_owner(const struct key_state *k)
{
    for (unsigned p = 0; p < N(policies); p++)
        for (unsigned o = 0; o < N(owners); o++)
            for (int c = 0; c < N_CHECKS; c++)
                row(k, &policies[p], &owners[o], &scopes[0], c);
}

/* key state x policy x scope x check (an active owner) */
static void by_scope(const struct key_state *k)
{
    for (unsigned p = 0; p < N(policies); p++)
        for (unsigned s = 0; s < N(scopes); s++)
            for (int c = 0; c < N_CHECKS; c++)
                row(k, &policies[p], &owners[0], &scopes[s], c);
}

static void test_table(void **state)
{
    (void)state;
    rows = failures = 0;
    each_key(by_owner);
    each_key(by_scope);
    print_message("%u rows, %u wrong\n", rows, failures);
    assert_true(rows > 10000);
    assert_int_equal(failures, 0);
}

/* ---- identity and records: refused before the secret counts ----------- */

struct ident_case {
    const char *what;
    unsigned n_names;
    const char *names[2];
    const char *user; /* NULL: none given */
    bool ascii_case;
    unsigned n_records; /* copies of the record; 9: one unparsable */
    bool tagged_records;
    enum ak_outcome want;
};

static const struct ident_case idents[] = {
    {"exact name", 1, {"alice"}, "alice", false, 1, false, AK_VERIFY_OK},
    {"no name given", 1, {"alice"}, NULL, false, 1, false, AK_VERIFY_OK},
    {"case differs",
     1,
     {"alice"},
     "Alice",
     false,
     1,
     false,
     AK_VERIFY_UNKNOWN_KEY},
    {"case differs, ascii-case",
     1,
     {"alice"},
     "ALICE",
     true,
     1,
     false,
     AK_VERIFY_OK},
    {"trailing space",
     1,
     {"alice"},
     "alice ",
     true,
     1,
     false,
     AK_VERIFY_UNKNOWN_KEY},
    {"fullwidth",
     1,
     {"alice"},
     "\xef\xbd\x81lice",
     true,
     1,
     false,
     AK_VERIFY_UNKNOWN_KEY},
    {"two names",
     2,
     {"alice", "alice2"},
     "alice",
     false,
     1,
     false,
     AK_VERIFY_UNKNOWN_KEY},
    {"no name", 0, {NULL}, NULL, false, 1, false, AK_VERIFY_UNKNOWN_KEY},
    {"invalid name",
     1,
     {"al\nice"},
     NULL,
     false,
     1,
     false,
     AK_VERIFY_UNKNOWN_KEY},
    {"no record",
     1,
     {"alice"},
     "alice",
     false,
     0,
     false,
     AK_VERIFY_UNKNOWN_KEY},
    {"two records",
     1,
     {"alice"},
     "alice",
     false,
     2,
     false,
     AK_VERIFY_UNKNOWN_KEY},
    {"unparsable record",
     1,
     {"alice"},
     "alice",
     false,
     9,
     false,
     AK_VERIFY_UNKNOWN_KEY},
    {"record only tagged",
     1,
     {"alice"},
     "alice",
     false,
     0,
     true,
     AK_VERIFY_UNKNOWN_KEY},
};

static void test_identity(void **state)
{
    static const struct key_state ok = {-10, 1, false, 0};
    (void)state;
    for (unsigned i = 0; i < N(idents); i++) {
        const struct ident_case *t = &idents[i];
        struct holder h;
        struct ak_judgement j;
        const char *recs[2];
        struct ak_claim claim = {
            .check = AK_CHECK_SECRET,
            .key = SECRET,
            .key_len = strlen(SECRET),
            .kid = KID,
            .user = t->user,
            .user_len = t->user ? strlen(t->user) : 0,
            .name_ascii_case = t->ascii_case,
            .service = "sshd",
        };

        build(&h, &ok, &owners[0], NULL);
        set(&h.v.name, &h.name, t->n_names, t->names);
        memcpy(h.record_text[1], h.record_text[0], sizeof(h.record_text[0]));
        if (t->n_records == 9) /* the id is right, the rest is not */
            snprintf(h.record_text[2], sizeof(h.record_text[2]),
                     "v1 id=" KID " alg=none");
        recs[0] = h.record_text[t->n_records == 9 ? 2 : 0];
        recs[1] = h.record_text[1];
        set(&h.v.records, &h.records, t->n_records == 9 ? 1 : t->n_records,
            recs);
        h.v.records.tagged = t->tagged_records;
        assert_int_equal(ak_judge(&h.v, NULL, &claim, now, NULL, &j), t->want);
        /* every refusal costs one hash, like a success */
        assert_true(j.hashed);
        if (t->want == AK_VERIFY_OK)
            assert_int_equal(j.owner_name.n, 5);
        else
            assert_non_null(j.detail);
    }
}

/* No holder at all: refused, and still one hash. */
static void test_no_holder(void **state)
{
    struct ak_judgement j;
    struct ak_claim claim = {
        .check = AK_CHECK_SECRET,
        .key = SECRET,
        .key_len = strlen(SECRET),
        .kid = KID,
    };
    (void)state;
    assert_int_equal(ak_judge(NULL, NULL, &claim, now, NULL, &j),
                     AK_VERIFY_UNKNOWN_KEY);
    assert_true(j.hashed);
    claim.check = AK_CHECK_ACCOUNT;
    assert_int_equal(ak_judge(NULL, NULL, &claim, now, NULL, &j),
                     AK_VERIFY_UNKNOWN_KEY);
    assert_false(j.hashed);
}

/* The service-user flag and the expiry the judgement reports. */
static void test_reports(void **state)
{
    static const struct key_state k = {-10, 1, false, 0};
    static const char *const svc_oc[] = {"apiKeyServiceUser"};
    struct holder h;
    struct ak_judgement j;
    struct ak_policy p = {.max_lifetime_days = 12};
    struct ak_claim claim = {
        .check = AK_CHECK_SECRET,
        .key = SECRET,
        .key_len = strlen(SECRET),
        .kid = KID,
    };
    (void)state;
    build(&h, &k, &owners[0], NULL);
    set(&h.v.object_class, &h.oc, 1, svc_oc);
    assert_int_equal(ak_judge(&h.v, &p, &claim, now, NULL, &j), AK_VERIFY_OK);
    assert_true(j.service_user);
    assert_true(j.has_expiry);
    /* created 10 days ago, capped at 12: two days left, not five */
    assert_int_equal(j.expires, now - 10 * DAY + 12 * DAY);
}

static int setup(void **state)
{
    time_t t;
    (void)state;
    assert_int_equal(ak_crypto_init(), AK_OK);
    now = time(NULL);
    snprintf(shadow_past, sizeof(shadow_past), "%lld",
             (long long)(now / DAY) - 1);
    snprintf(shadow_future, sizeof(shadow_future), "%lld",
             (long long)(now / DAY) + 30);
    t = now - DAY;
    assert_int_equal(ak_time_format(t, pwd_past), AK_OK);
    t = now + DAY;
    assert_int_equal(ak_time_format(t, pwd_future), AK_OK);
    /* AD: 100 ns intervals since 1601 */
    snprintf(ad_past, sizeof(ad_past), "%lld",
             ((long long)now - DAY + 11644473600LL) * 10000000LL);
    snprintf(ad_future, sizeof(ad_future), "%lld",
             ((long long)now + DAY + 11644473600LL) * 10000000LL);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_identity),
        cmocka_unit_test(test_no_holder),
        cmocka_unit_test(test_reports),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
