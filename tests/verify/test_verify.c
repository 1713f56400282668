/* SPDX-License-Identifier: BSD-3-Clause */
/* test_verify.c - ak_verify() against a real slapd: every outcome, hostile
 * input (BI-01/03/04/05/11/12/13/16), policy, owner state, S-05 timing */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "ak_hash.h"
#include "ak_record.h"
#include "ak_schema.h"
#include "ak_test.h"
#include "ak_time.h"

static LDAP *admin;
static struct akt_verifier V;
static char alice_key[AK_KEY_MAX_LEN + 1];
static char bob_key[AK_KEY_MAX_LEN + 1];
static const char *slog;

static int setup(void **state)
{
    (void)state;
    slog = akt_env("AK_TEST_LOG");
    admin = akt_admin();
    akt_add_key(admin, AKT_DN("alice"), NULL, alice_key);
    akt_add_key(admin, AKT_DN("bob"), NULL, bob_key);
    akt_verifier_open(&V, akt_env("AK_TEST_CONF"));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    akt_verifier_close(&V);
    ldap_unbind_ext_s(admin, NULL, NULL);
    return 0;
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
           (c >= 'A' && c <= 'F');
}

#define OUTCOME(user, key, svc) akt_verify(&V, user, key, svc, 0)

static void test_valid_key(void **state)
{
    struct ak_verify_result res;
    struct ak_key k;
    (void)state;
    ak_key_parse(alice_key, strlen(alice_key), &k, NULL);
    akt_log_reset();
    assert_int_equal(akt_verify_len(&V, "alice", 5, alice_key,
                                    strlen(alice_key), "sshd", 0, &res),
                     AK_VERIFY_OK);
    assert_string_equal(res.key_id, k.id);
    assert_string_equal(res.owner_dn, AKT_DN("alice"));
    assert_string_equal(res.owner_name, "alice");
    assert_false(res.service_user);
    assert_true(res.has_expiry);
    ak_verify_result_clear(&res);
    /* one INFO line naming the key id, never the key */
    assert_non_null(strstr(akt_logbuf, "accepted key"));
    assert_non_null(strstr(akt_logbuf, k.id));
    assert_null(strstr(akt_logbuf, alice_key + 20));
}

static void test_wrong_secret(void **state)
{
    char wrong[AK_KEY_MAX_LEN + 1];
    (void)state;
    strcpy(wrong, alice_key);
    akt_wrong_secret(wrong);
    assert_int_equal(OUTCOME("alice", wrong, "sshd"), AK_VERIFY_WRONG_KEY);
    assert_int_equal(OUTCOME(NULL, wrong, "sshd"), AK_VERIFY_WRONG_KEY);
}

static void test_other_users_key(void **state)
{
    (void)state;
    /* the right secret, presented for another user's name */
    assert_int_equal(OUTCOME("bob", alice_key, "sshd"), AK_VERIFY_UNKNOWN_KEY);
    assert_int_equal(OUTCOME("alice", bob_key, "sshd"), AK_VERIFY_UNKNOWN_KEY);
    assert_int_equal(OUTCOME("svc-backup", alice_key, "sshd"),
                     AK_VERIFY_UNKNOWN_KEY);
}

static void test_unknown_user(void **state)
{
    (void)state;
    akt_log_reset();
    assert_int_equal(OUTCOME("nosuchuser", alice_key, "sshd"),
                     AK_VERIFY_UNKNOWN_KEY);
    /* S-02: a name that matched nothing is not logged */
    assert_null(strstr(akt_logbuf, "nosuchuser"));
    assert_int_equal(OUTCOME("nokeys", alice_key, "sshd"),
                     AK_VERIFY_UNKNOWN_KEY);
}

/* The directory finds alice for (uid=ALICE), (uid= alice) and full-width
 * letters (caseIgnoreMatch); the name authenticates only as the entry
 * spells it, or but for ASCII case when the admin opted into that. */
static void test_case_of_user(void **state)
{
    static const char *const others[] = {
        "ALICE", "Alice", "alice ", " alice", "\xef\xbd\x81lice" /* ａlice */,
    };
    struct akt_verifier w;
    struct ak_verify_result res;
    struct ak_verify_request req = {.user = "ALICE",
                                    .user_len = 5,
                                    .key = alice_key,
                                    .key_len = strlen(alice_key),
                                    .service = "sshd",
                                    .exact_name = true};
    (void)state;
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
        assert_int_equal(OUTCOME(others[i], alice_key, "sshd"),
                         AK_VERIFY_UNKNOWN_KEY);
    assert_int_equal(OUTCOME("alice", alice_key, "sshd"), AK_VERIFY_OK);

    akt_verifier_open(
        &w, akt_config("nocase.conf", NULL, "user_name_match ascii-case"));
    assert_int_equal(akt_verify_len(&w, "ALICE", 5, alice_key,
                                    strlen(alice_key), "sshd", 0, &res),
                     AK_VERIFY_OK);
    assert_string_equal(res.owner_name, "alice"); /* the entry's, always */
    ak_verify_result_clear(&res);
    assert_int_equal(akt_verify(&w, "alice ", alice_key, "sshd", 0),
                     AK_VERIFY_UNKNOWN_KEY);
    assert_int_equal(akt_verify(&w, "\xef\xbd\x81lice", alice_key, "sshd", 0),
                     AK_VERIFY_UNKNOWN_KEY);
    /* PAM asks for the exact name whatever the config says */
    assert_int_equal(ak_verify(w.dir, &req, 0, &akt_log, &res),
                     AK_VERIFY_UNKNOWN_KEY);
    ak_verify_result_clear(&res);
    akt_verifier_close(&w);
}

static void test_expired(void **state)
{
    char key[AK_KEY_MAX_LEN + 1], exp[AK_TIME_LEN + 1];
    struct akt_key_opts o = {.created = time(NULL) - 10 * 86400,
                             .expires = akt_time(exp, time(NULL) - 86400)};
    (void)state;
    akt_add_key(admin, AKT_DN("bob"), &o, key);
    assert_int_equal(OUTCOME("bob", key, "sshd"), AK_VERIFY_EXPIRED);
}

static void test_boundary(void **state)
{
    /* BI-16: the key is valid while now < expiry */
    char key[AK_KEY_MAX_LEN + 1], exp[AK_TIME_LEN + 1];
    const time_t t = time(NULL) + 7 * 86400; /* the expiry, a week ahead */
    struct akt_key_opts o = {.created = t - 9 * 86400,
                             .expires = akt_time(exp, t)};
    (void)state;
    akt_add_key(admin, AKT_DN("bob"), &o, key);
    assert_int_equal(akt_verify(&V, "bob", key, "sshd", t - 1), AK_VERIFY_OK);
    assert_int_equal(akt_verify(&V, "bob", key, "sshd", t), AK_VERIFY_EXPIRED);
    assert_int_equal(akt_verify(&V, "bob", key, "sshd", t + 1),
                     AK_VERIFY_EXPIRED);
}

static void test_policy(void **state)
{
    char never[AK_KEY_MAX_LEN + 1], old[AK_KEY_MAX_LEN + 1];
    struct akt_key_opts o_never = {.expires = "never"};
    struct akt_key_opts o_old = {.created = time(NULL) - 100 * 86400,
                                 .expires = "29990101000000Z"};
    (void)state;
    akt_add_key(admin, AKT_DN("bob"), &o_never, never);
    akt_add_key(admin, AKT_DN("bob"), &o_old, old);
    assert_int_equal(OUTCOME("bob", never, "sshd"), AK_VERIFY_OK);
    assert_int_equal(OUTCOME("bob", old, "sshd"), AK_VERIFY_OK);

    /* require expiry: a key without one is refused even though the record
     * was written by hand */
    akt_set(admin, AKT_POLICY, AK_AT_REQUIRE_EXPIRY, "TRUE");
    assert_int_equal(OUTCOME("bob", never, "sshd"), AK_VERIFY_EXPIRED);
    assert_int_equal(OUTCOME("bob", old, "sshd"), AK_VERIFY_OK);
    /* maximum lifetime counts from creation, whatever the record says */
    akt_set(admin, AKT_POLICY, AK_AT_MAX_LIFETIME, "90");
    assert_int_equal(OUTCOME("bob", old, "sshd"), AK_VERIFY_EXPIRED);
    assert_int_equal(OUTCOME("bob", never, "sshd"), AK_VERIFY_OK); /* cap */
    assert_int_equal(OUTCOME("bob", bob_key, "sshd"), AK_VERIFY_OK);
    /* a bad policy value fails closed */
    akt_set(admin, AKT_POLICY, AK_AT_MAX_LIFETIME, "-5");
    assert_int_equal(OUTCOME("bob", bob_key, "sshd"), AK_VERIFY_UNAVAILABLE);
    akt_set(admin, AKT_POLICY, AK_AT_MAX_LIFETIME, NULL);
    akt_set(admin, AKT_POLICY, AK_AT_REQUIRE_EXPIRY, NULL);
    assert_int_equal(OUTCOME("bob", never, "sshd"), AK_VERIFY_OK);
}

static void test_policy_missing(void **state)
{
    struct akt_verifier w;
    (void)state;
    akt_verifier_open(&w, akt_config("nopolicy.conf", NULL,
                                     "policy_dn cn=gone,dc=example,dc=org"));
    akt_log_reset();
    assert_int_equal(akt_verify(&w, "alice", alice_key, "sshd", 0),
                     AK_VERIFY_UNAVAILABLE);
    assert_non_null(strstr(akt_logbuf, "not found or not readable"));
    akt_verifier_close(&w);
    /* outside the search base: read with a second, pipelined search */
    akt_verifier_open(
        &w, akt_config("outside.conf", NULL, "policy_dn cn=gone,o=elsewhere"));
    assert_int_equal(akt_verify(&w, "alice", alice_key, "sshd", 0),
                     AK_VERIFY_UNAVAILABLE);
    akt_verifier_close(&w);
}

static void test_revoked(void **state)
{
    char key[AK_KEY_MAX_LEN + 1];
    struct akt_key_opts o = {.revoked = true};
    (void)state;
    akt_add_key(admin, AKT_DN("bob"), &o, key);
    assert_int_equal(OUTCOME("bob", key, "sshd"), AK_VERIFY_REVOKED);
    /* a wrong secret for a revoked key says wrong key, not revoked */
    akt_wrong_secret(key);
    assert_int_equal(OUTCOME("bob", key, "sshd"), AK_VERIFY_WRONG_KEY);
}

static void test_owner_state(void **state)
{
    char key[AK_KEY_MAX_LEN + 1];
    (void)state;
    akt_add_key(admin, AKT_DN("carol"), NULL, key); /* ppolicy locked */
    assert_int_equal(OUTCOME("carol", key, "sshd"), AK_VERIFY_OWNER_LOCKED);
    akt_add_key(admin, AKT_DN("dave"), NULL, key); /* shadowExpire past */
    assert_int_equal(OUTCOME("dave", key, "sshd"), AK_VERIFY_OWNER_LOCKED);
    akt_add_key(admin, AKT_DN("erin"), NULL, key); /* apiKeyDisabled */
    assert_int_equal(OUTCOME("erin", key, "sshd"), AK_VERIFY_OWNER_LOCKED);
    /* the lock applies at once, to keys that worked a moment ago */
    assert_int_equal(OUTCOME("alice", alice_key, "sshd"), AK_VERIFY_OK);
    akt_set(admin, AKT_DN("alice"), "pwdAccountLockedTime", "000001010000Z");
    assert_int_equal(OUTCOME("alice", alice_key, "sshd"),
                     AK_VERIFY_OWNER_LOCKED);
    akt_set(admin, AKT_DN("alice"), "pwdAccountLockedTime", NULL);
    akt_set(admin, AKT_DN("alice"), "shadowExpire", "-1");
    assert_int_equal(OUTCOME("alice", alice_key, "sshd"), AK_VERIFY_OK);
    akt_set(admin, AKT_DN("alice"), "shadowExpire", NULL);
}

static void test_service_user(void **state)
{
    char key[AK_KEY_MAX_LEN + 1];
    struct ak_verify_result res;
    (void)state;
    akt_add_key(admin, AKT_SVC_DN("svc-backup"), NULL, key);
    assert_int_equal(OUTCOME("svc-backup", key, "smtp"), AK_VERIFY_OK);
    /* no user given: the key id finds its owner */
    assert_int_equal(
        akt_verify_len(&V, NULL, 0, key, strlen(key), "smtp", 0, &res),
        AK_VERIFY_OK);
    assert_string_equal(res.owner_name, "svc-backup");
    assert_string_equal(res.owner_dn, AKT_SVC_DN("svc-backup"));
    assert_true(res.service_user);
    ak_verify_result_clear(&res);
    akt_set(admin, AKT_SVC_DN("svc-backup"), AK_AT_DISABLED, "TRUE");
    assert_int_equal(OUTCOME("svc-backup", key, "smtp"),
                     AK_VERIFY_OWNER_LOCKED);
    akt_set(admin, AKT_SVC_DN("svc-backup"), AK_AT_DISABLED, NULL);
}

static void test_scope(void **state)
{
    char key[AK_KEY_MAX_LEN + 1];
    struct akt_key_opts o = {.scope = "sshd,smtp"};
    (void)state;
    akt_add_key(admin, AKT_DN("bob"), &o, key);
    assert_int_equal(OUTCOME("bob", key, "sshd"), AK_VERIFY_OK);
    assert_int_equal(OUTCOME("bob", key, "smtp"), AK_VERIFY_OK);
    assert_int_equal(OUTCOME("bob", key, "imap"), AK_VERIFY_SCOPE_DENIED);
    assert_int_equal(OUTCOME("bob", key, NULL), AK_VERIFY_SCOPE_DENIED);
}

static void test_outside_bases(void **state)
{
    char key[AK_KEY_MAX_LEN + 1];
    (void)state;
    akt_add_key(admin, "uid=mallory,ou=elsewhere,dc=example,dc=org", NULL, key);
    assert_int_equal(OUTCOME("mallory", key, "sshd"), AK_VERIFY_UNKNOWN_KEY);
    assert_int_equal(OUTCOME(NULL, key, "sshd"), AK_VERIFY_UNKNOWN_KEY);
}

/* BI-01: the filter slapd received has every metacharacter escaped, and no
 * entry but an exact match is ever used. */
static void test_injection(void **state)
{
    static const char *const names[] = {
        "*",
        "a*",
        ")(uid=*",
        "*)(uid=*",
        "admin)(|(uid=*",
        "x)(|(uid=*))",
        "\\",
        "(",
        ")",
        "\\2a",
        "alice*",
        "*)(objectClass=*",
        "abc@def.ghi)(uid=alice)(abc=xyz",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        long off = akt_slapd_log_size(slog);
        char *text, *f;
        assert_int_equal(OUTCOME(names[i], alice_key, "sshd"),
                         AK_VERIFY_UNKNOWN_KEY);
        usleep(50000);
        text = akt_slapd_log_since(slog, off);
        f = strstr(text, "(uid=");
        assert_non_null(f);
        /* the value inside (uid=...) holds no raw metacharacter, and the
         * filter's structure after it is ours */
        {
            const char *v = f + 5;
            const char *end = strchr(v, ')');
            assert_non_null(end);
            if (strncmp(end, ")(|(", 4) != 0)
                fail_msg("filter structure changed for '%s': %.120s", names[i],
                         f);
            for (const char *p = v; p < end; p++)
                if (*p == '*' || *p == '(' ||
                    (*p == '\\' && !(is_hex(p[1]) && is_hex(p[2]))))
                    fail_msg("unescaped metacharacter for '%s': %.80s",
                             names[i], v);
        }
        free(text);
    }
    /* BI-03: NUL inside the user name (length-delimited, as SASL gives) */
    {
        struct ak_verify_result res;
        long off = akt_slapd_log_size(slog);
        assert_int_equal(akt_verify_len(&V, "alice\0bob", 9, alice_key,
                                        strlen(alice_key), "sshd", 0, &res),
                         AK_VERIFY_UNKNOWN_KEY);
        ak_verify_result_clear(&res);
        assert_int_equal(akt_slapd_log_count(slog, off, "SRCH base"), 0);
    }
}

/* BI-04 / BI-05: nothing that is not a key reaches the directory */
static void test_no_traffic_for_non_keys(void **state)
{
    static char big[1 << 20];
    char k[AK_KEY_MAX_LEN + 2];
    long off;
    size_t n = strlen(alice_key);
    (void)state;
    off = akt_slapd_log_size(slog);
    assert_int_equal(OUTCOME("alice", NULL, "sshd"), AK_VERIFY_MALFORMED);
    assert_int_equal(OUTCOME("alice", "", "sshd"), AK_VERIFY_MALFORMED);
    assert_int_equal(OUTCOME("alice", "x", "sshd"), AK_VERIFY_MALFORMED);
    assert_int_equal(OUTCOME("alice", "alice-password", "sshd"),
                     AK_VERIFY_MALFORMED);
    memset(big, 'a', sizeof(big));
    assert_int_equal(akt_verify_len(&V, "alice", 5, big, 8192, "sshd", 0,
                                    &(struct ak_verify_result){0}),
                     AK_VERIFY_MALFORMED);
    assert_int_equal(akt_verify_len(&V, "alice", 5, big, sizeof(big), "sshd", 0,
                                    &(struct ak_verify_result){0}),
                     AK_VERIFY_MALFORMED);
    /* max-1, max+1 around the real length; and a key with a NUL inside */
    assert_int_equal(akt_verify_len(&V, "alice", 5, alice_key, n - 1, "sshd", 0,
                                    &(struct ak_verify_result){0}),
                     AK_VERIFY_MALFORMED);
    memcpy(k, alice_key, n);
    k[n] = 'a';
    assert_int_equal(akt_verify_len(&V, "alice", 5, k, n + 1, "sshd", 0,
                                    &(struct ak_verify_result){0}),
                     AK_VERIFY_MALFORMED);
    k[n] = '\0';
    assert_int_equal(akt_verify_len(&V, "alice", 5, k, n + 1, "sshd", 0,
                                    &(struct ak_verify_result){0}),
                     AK_VERIFY_MALFORMED);
    /* user names of 4096 and 65536 bytes never make it to a filter */
    memset(big, 'u', 65536);
    assert_int_equal(akt_verify_len(&V, big, 4096, alice_key, n, "sshd", 0,
                                    &(struct ak_verify_result){0}),
                     AK_VERIFY_UNKNOWN_KEY);
    assert_int_equal(akt_verify_len(&V, big, 65536, alice_key, n, "sshd", 0,
                                    &(struct ak_verify_result){0}),
                     AK_VERIFY_UNKNOWN_KEY);
    assert_int_equal(akt_slapd_log_count(slog, off, " SRCH "), 0);
    assert_int_equal(akt_slapd_log_count(slog, off, " BIND "), 0);
    assert_int_equal(akt_slapd_log_count(slog, off, " ACCEPT "), 0);
    /* 256 bytes is a legal name: one search, no match */
    assert_int_equal(akt_verify_len(&V, big, 256, alice_key, n, "sshd", 0,
                                    &(struct ak_verify_result){0}),
                     AK_VERIFY_UNKNOWN_KEY);
}

/* BI-11: only the full key matches */
static void test_full_length_compare(void **state)
{
    char k[AK_KEY_MAX_LEN + 2];
    size_t n = strlen(alice_key);
    (void)state;
    memcpy(k, alice_key, n - 1);
    k[n - 1] = '\0';
    assert_int_not_equal(OUTCOME("alice", k, "sshd"), AK_VERIFY_OK);
    memcpy(k, alice_key, n);
    k[n] = 'a';
    k[n + 1] = '\0';
    assert_int_not_equal(OUTCOME("alice", k, "sshd"), AK_VERIFY_OK);
    assert_int_not_equal(OUTCOME("alice", "ak_", "sshd"), AK_VERIFY_OK);
    memcpy(k, alice_key, 20);
    k[20] = '\0';
    assert_int_not_equal(OUTCOME("alice", k, "sshd"), AK_VERIFY_OK);
    /* S-09: the stored verifier itself, and its digest, are not keys */
    {
        struct akt_key_opts o = {0};
        char key[AK_KEY_MAX_LEN + 1];
        const char *rec, *h;
        char digest[65];
        akt_add_key(admin, AKT_DN("bob"), &o, key);
        rec = akt_last_record();
        assert_int_equal(OUTCOME("bob", rec, "sshd"), AK_VERIFY_MALFORMED);
        h = strstr(rec, "hash=") + 5 + 7 + 32 + 1;
        memcpy(digest, h, 64);
        digest[64] = '\0';
        assert_int_equal(OUTCOME("bob", digest, "sshd"), AK_VERIFY_MALFORMED);
        assert_int_equal(OUTCOME("bob", key, "sshd"), AK_VERIFY_OK);
    }
}

/* BI-12: malformed stored data fails closed per key; other keys work */
static void test_malformed_records(void **state)
{
    static const char *const tails[] = {
        " created=20061127000000Z expires=never",              /* no hash */
        " hash=b2b256: created=20061127000000Z expires=never", /* empty */
        " hash=$argon2id$v=19$m=65536,t=2 created=20061127000000Z "
        "expires=never",                                      /* truncated */
        " hash=md5:00 created=20061127000000Z expires=never", /* unknown */
        " hash=b2b256:000102030405060708090a0b0c0d0e0f:"
        "00 created=20061127000000Z expires=never", /* short */
        " hash=b2b256:000102030405060708090a0b0c0d0e0f:"
        "8209ae87f14d09c68d63b0a7b1f9ddc89215e8b29df33cb94abd433ffe24d50b"
        " created=20061127000000Z expires=9999",
        " hash=b2b256:000102030405060708090a0b0c0d0e0f:"
        "8209ae87f14d09c68d63b0a7b1f9ddc89215e8b29df33cb94abd433ffe24d50b"
        " created=20061127000000Z expires=19650101000000Z",
        " hash=b2b256:000102030405060708090a0b0c0d0e0f:"
        "8209ae87f14d09c68d63b0a7b1f9ddc89215e8b29df33cb94abd433ffe24d50b"
        " created=20061127000000Z expires=20101127000000+0200",
        " hash=b2b256:000102030405060708090a0b0c0d0e0f:"
        "8209ae87f14d09c68d63b0a7b1f9ddc89215e8b29df33cb94abd433ffe24d50b"
        " created=20061127000000Z expires=20101127000000.5Z",
    };
    char good[AK_KEY_MAX_LEN + 1];
    (void)state;
    akt_clear_keys(admin, AKT_DN("bob"));
    akt_add_key(admin, AKT_DN("bob"), NULL, good);
    for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
        char key[AK_KEY_MAX_LEN + 1], rec[1200];
        struct ak_key k;
        const char *rv[] = {rec, NULL}, *iv[] = {NULL, NULL};
        assert_int_equal(ak_key_generate("ak", key, sizeof(key), &k), AK_OK);
        snprintf(rec, sizeof(rec), "v1 id=%s%s", k.id, tails[i]);
        iv[0] = k.id;
        assert_int_equal(
            akt_modify(admin, AKT_DN("bob"), LDAP_MOD_ADD, AK_AT_RECORD, rv),
            LDAP_SUCCESS);
        assert_int_equal(
            akt_modify(admin, AKT_DN("bob"), LDAP_MOD_ADD, AK_AT_ID, iv),
            LDAP_SUCCESS);
        akt_log_reset();
        assert_int_equal(OUTCOME("bob", key, "sshd"), AK_VERIFY_UNKNOWN_KEY);
        /* the log names the entry and the key id */
        assert_non_null(strstr(akt_logbuf, AKT_DN("bob")));
        assert_non_null(strstr(akt_logbuf, k.id));
        assert_non_null(strstr(akt_logbuf, "record skipped"));
        assert_int_equal(OUTCOME("bob", good, "sshd"), AK_VERIFY_OK);
    }
    /* apiKeyId without any record; two records for one id; 1 MiB value */
    {
        char key[AK_KEY_MAX_LEN + 1], r2[AK_RECORD_MAX + 40];
        struct ak_key k;
        const char *iv[] = {NULL, NULL}, *rv[] = {r2, NULL};
        static char huge[1 << 20];
        const char *hv[] = {huge, NULL};

        ak_key_generate("ak", key, sizeof(key), &k);
        iv[0] = k.id;
        akt_modify(admin, AKT_DN("bob"), LDAP_MOD_ADD, AK_AT_ID, iv);
        assert_int_equal(OUTCOME("bob", key, "sshd"), AK_VERIFY_UNKNOWN_KEY);

        akt_add_key(admin, AKT_DN("bob"), NULL, key);
        snprintf(r2, sizeof(r2), "%s label=copy", akt_last_record());
        akt_modify(admin, AKT_DN("bob"), LDAP_MOD_ADD, AK_AT_RECORD, rv);
        assert_int_equal(OUTCOME("bob", key, "sshd"), AK_VERIFY_UNKNOWN_KEY);

        memset(huge, 'a', sizeof(huge) - 1);
        memcpy(huge, "v1 id=", 6);
        memcpy(huge + 6, k.id, 16);
        assert_int_equal(akt_modify_relaxed(admin, AKT_DN("bob"), LDAP_MOD_ADD,
                                            AK_AT_RECORD, hv),
                         LDAP_SUCCESS);
        assert_int_equal(OUTCOME("bob", key, "sshd"), AK_VERIFY_UNKNOWN_KEY);
        assert_int_equal(OUTCOME("bob", good, "sshd"), AK_VERIFY_OK);
    }
    akt_clear_keys(admin, AKT_DN("bob"));
    akt_add_key(admin, AKT_DN("bob"), NULL, bob_key);
}

/* BI-13: one key id on two entries fails closed, never "take the first" */
static void test_two_holders(void **state)
{
    char key[AK_KEY_MAX_LEN + 1];
    struct ak_key k;
    const char *rv[2] = {NULL, NULL}, *iv[2] = {NULL, NULL};
    (void)state;
    akt_add_key(admin, AKT_DN("alice"), NULL, key);
    ak_key_parse(key, strlen(key), &k, NULL);
    assert_int_equal(OUTCOME(NULL, key, "sshd"), AK_VERIFY_OK);
    rv[0] = akt_last_record();
    iv[0] = k.id;
    akt_modify(admin, AKT_SVC_DN("svc-backup"), LDAP_MOD_ADD, AK_AT_RECORD, rv);
    akt_modify(admin, AKT_SVC_DN("svc-backup"), LDAP_MOD_ADD, AK_AT_ID, iv);
    akt_log_reset();
    assert_int_equal(OUTCOME(NULL, key, "sshd"), AK_VERIFY_UNAVAILABLE);
    assert_non_null(strstr(akt_logbuf, "more than one entry"));
    /* with a user name only one entry matches, and that one is used */
    assert_int_equal(OUTCOME("alice", key, "sshd"), AK_VERIFY_OK);
    assert_int_equal(OUTCOME("svc-backup", key, "sshd"), AK_VERIFY_OK);
    akt_modify(admin, AKT_SVC_DN("svc-backup"), LDAP_MOD_DELETE, AK_AT_ID, iv);
}

/* BI-13: a referral in the tree is not chased (nothing connects to the host
 * it names); too many answers fail closed */
static void test_referrals_and_sizelimit(void **state)
{
    static const char *const ref_oc[] = {"referral", "extensibleObject", NULL};
    static const char *const pol_oc[] = {"organizationalRole", "apiKeyPolicy",
                                         NULL};
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t l = sizeof(a);
    char dn[128], ref[128];
    int lfd;
    (void)state;
    lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(lfd, 8), 0);
    getsockname(lfd, (struct sockaddr *)&a, &l);
    snprintf(ref, sizeof(ref), "ldap://127.0.0.1:%d/ou=moved,dc=evil",
             ntohs(a.sin_port));
    akt_add_entry(admin, "ou=moved,ou=people,dc=example,dc=org", ref_oc, "ref",
                  ref);
    assert_int_equal(OUTCOME("alice", alice_key, "sshd"), AK_VERIFY_OK);
    assert_int_equal(OUTCOME(NULL, alice_key, "sshd"), AK_VERIFY_OK);
    assert_int_equal(OUTCOME("nosuchuser", alice_key, "sshd"),
                     AK_VERIFY_UNKNOWN_KEY);
    /* nobody came knocking at the referred host */
    assert_int_equal(accept(lfd, NULL, NULL), -1);
    close(lfd);
    akt_delete_entry(admin, "ou=moved,ou=people,dc=example,dc=org");

    for (int i = 0; i < AK_VERIFY_SIZELIMIT; i++) {
        snprintf(dn, sizeof(dn), "cn=p%d,ou=policies,dc=example,dc=org", i);
        akt_add_entry(admin, dn, pol_oc, "cn", dn + 3);
    }
    akt_log_reset();
    assert_int_equal(OUTCOME("alice", alice_key, "sshd"),
                     AK_VERIFY_UNAVAILABLE);
    assert_non_null(strstr(akt_logbuf, "Size limit exceeded"));
    for (int i = 0; i < AK_VERIFY_SIZELIMIT; i++) {
        snprintf(dn, sizeof(dn), "cn=p%d,ou=policies,dc=example,dc=org", i);
        akt_delete_entry(admin, dn);
    }
    assert_int_equal(OUTCOME("alice", alice_key, "sshd"), AK_VERIFY_OK);
}

/* one search per verification on a kept connection, one bind */
static void test_bounded_work(void **state)
{
    struct akt_verifier w;
    long off;
    (void)state;
    akt_verifier_open(&w, akt_env("AK_TEST_CONF"));
    off = akt_slapd_log_size(slog);
    for (int i = 0; i < 5; i++)
        assert_int_equal(akt_verify(&w, "alice", alice_key, "sshd", 0),
                         AK_VERIFY_OK);
    assert_int_equal(akt_slapd_log_count(slog, off, " SRCH base="), 5);
    assert_int_equal(akt_slapd_log_count(slog, off, "RESULT tag=97"), 1);
    assert_int_equal(akt_slapd_log_count(slog, off, " ACCEPT "), 1);
    akt_verifier_close(&w);
}

/* S-05: an unknown user costs what a wrong key costs */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median_ms(const char *user, const char *key, int n)
{
    double *t = calloc((size_t)n, sizeof(double)), m;
    for (int i = 0; i < n; i++) {
        double t0 = akt_now();
        enum ak_outcome o = akt_verify(&V, user, key, "sshd", 0);
        t[i] = (akt_now() - t0) * 1000.0;
        assert_true(o == AK_VERIFY_WRONG_KEY || o == AK_VERIFY_UNKNOWN_KEY);
    }
    qsort(t, (size_t)n, sizeof(double), cmp_double);
    m = t[n / 2];
    free(t);
    return m;
}

static void test_no_enumeration_by_timing(void **state)
{
    char wrong[AK_KEY_MAX_LEN + 1];
    double a, b, c;
    (void)state;
    if (akt_under_valgrind())
        skip(); /* timing of instrumented code says nothing */
    strcpy(wrong, alice_key);
    akt_wrong_secret(wrong);
    a = median_ms("alice", wrong, 300);      /* wrong key */
    b = median_ms("nosuchuser", wrong, 300); /* unknown user */
    c = median_ms("nokeys", wrong, 300);     /* user without keys */
    printf("# median ms: wrong key %.3f, unknown user %.3f, no keys %.3f\n", a,
           b, c);
    /* RELIABILITY.md S-05: difference under 2 ms */
    assert_true(b - a < 2.0 && a - b < 2.0);
    assert_true(c - a < 2.0 && a - c < 2.0);
}

static void test_transports(void **state)
{
    struct akt_verifier w;
    char extra[512];
    (void)state;
    /* ldapi:// with the service bind, and with SASL EXTERNAL */
    akt_verifier_open(&w,
                      akt_config("ldapi.conf", akt_env("AK_TEST_LDAPI"), NULL));
    assert_int_equal(akt_verify(&w, "alice", alice_key, "sshd", 0),
                     AK_VERIFY_OK);
    akt_verifier_close(&w);
    akt_verifier_open(&w, akt_config("external.conf", akt_env("AK_TEST_LDAPI"),
                                     "sasl_mech EXTERNAL"));
    akt_log_reset();
    if (akt_verify(&w, "alice", alice_key, "sshd", 0) != AK_VERIFY_OK)
        fail_msg("EXTERNAL over ldapi:\n%s", akt_logbuf);
    akt_verifier_close(&w);
    /* StartTLS verified against the test CA */
    snprintf(extra, sizeof(extra), "start_tls yes\ntls_cacert %s",
             akt_env("AK_TEST_CA"));
    akt_verifier_open(&w, akt_config("tls.conf", NULL, extra));
    assert_int_equal(akt_verify(&w, "alice", alice_key, "sshd", 0),
                     AK_VERIFY_OK);
    akt_verifier_close(&w);
    /* F-07/F-08: a CA that did not sign the server: fail closed, no bind
     * in clear text afterwards */
    snprintf(extra, sizeof(extra), "start_tls yes\ntls_cacert %s",
             akt_env("AK_TEST_OTHER_CA"));
    akt_verifier_open(&w, akt_config("badca.conf", NULL, extra));
    {
        long off = akt_slapd_log_size(slog);
        akt_log_reset();
        assert_int_equal(akt_verify(&w, "alice", alice_key, "sshd", 0),
                         AK_VERIFY_UNAVAILABLE);
        if (akt_slapd_log_count(slog, off, " BIND ") != 0)
            fail_msg("bind after failed StartTLS:\n%s",
                     akt_slapd_log_since(slog, off));
    }
    akt_verifier_close(&w);
    /* the host name must match the certificate too (CN/SAN 127.0.0.1) */
    snprintf(extra, sizeof(extra), "start_tls yes\ntls_cacert %s",
             akt_env("AK_TEST_CA"));
    {
        char uri[128];
        snprintf(uri, sizeof(uri), "ldap://127.0.0.2:%s",
                 akt_env("AK_TEST_PORT"));
        akt_verifier_open(&w, akt_config("badname.conf", uri, extra));
        assert_int_equal(akt_verify(&w, "alice", alice_key, "sshd", 0),
                         AK_VERIFY_UNAVAILABLE);
        akt_verifier_close(&w);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_key),
        cmocka_unit_test(test_wrong_secret),
        cmocka_unit_test(test_other_users_key),
        cmocka_unit_test(test_unknown_user),
        cmocka_unit_test(test_case_of_user),
        cmocka_unit_test(test_expired),
        cmocka_unit_test(test_boundary),
        cmocka_unit_test(test_policy),
        cmocka_unit_test(test_policy_missing),
        cmocka_unit_test(test_revoked),
        cmocka_unit_test(test_owner_state),
        cmocka_unit_test(test_service_user),
        cmocka_unit_test(test_scope),
        cmocka_unit_test(test_outside_bases),
        cmocka_unit_test(test_injection),
        cmocka_unit_test(test_no_traffic_for_non_keys),
        cmocka_unit_test(test_full_length_compare),
        cmocka_unit_test(test_malformed_records),
        cmocka_unit_test(test_two_holders),
        cmocka_unit_test(test_referrals_and_sizelimit),
        cmocka_unit_test(test_bounded_work),
        cmocka_unit_test(test_no_enumeration_by_timing),
        cmocka_unit_test(test_transports),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
