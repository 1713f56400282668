/* SPDX-License-Identifier: BSD-3-Clause */
/* test_pam_stack.c - F-13: pam_apikey under every control flag, alone and
 * stacked with pam_permit / pam_deny, for every kind of result; the
 * overall pam_authenticate answer must match stack-truth.txt. The control
 * "profile" is the whole common-auth + common-account that Debian's
 * pam-auth-update writes from packaging/pam-configs/apikey
 * (profile-stack.sh runs it in a throwaway root), with pam_unix played by
 * pam_testpw. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ak_test.h"
#include "ak_test_pam.h"

static const struct {
    const char *name, *line;
} controls[] = {
    {"required", "required"},
    {"requisite", "requisite"},
    {"sufficient", "sufficient"},
    {"done-die", "[success=done default=die]"},
    /* the line docs/pam.md recommends in front of a password module */
    {"recommended", "[success=done ignore=ignore default=die]"},
    /* the stack pam-auth-update writes from the profile (not one line) */
    {"profile", NULL},
};
#define PROFILE_CTL 5

static const struct {
    const char *name, *tail;
} stacks[] = {
    {"alone", ""},
    {"then-permit", "auth required pam_permit.so\n"},
    {"then-deny", "auth required pam_deny.so\n"},
};

/* Which config a result needs: the harness's, a dead port, a bad file. */
enum conf { C_GOOD, C_DOWN, C_BAD };
static const char *const conf_names[] = {"good", "down", "bad"};

static const struct {
    const char *name;
    enum conf conf;
} outcomes[] = {
    {"good-key", C_GOOD},  {"bad-key", C_GOOD},   {"unknown-user", C_GOOD},
    {"ldap-down", C_DOWN}, {"bad-config", C_BAD}, {"password", C_GOOD},
};

#define N_CTL (sizeof(controls) / sizeof(controls[0]))
#define N_STK (sizeof(stacks) / sizeof(stacks[0]))
#define N_OUT (sizeof(outcomes) / sizeof(outcomes[0]))

static char key[AK_KEY_MAX_LEN + 1], wrong[AK_KEY_MAX_LEN + 1];

/* Where profile-stack.sh leaves common-auth and common-account (in the
 * with-slapd work dir); missing when pam-auth-update is not available. */
#define PROFILE_DIR "profile"
static bool have_profile(void)
{
    return access(PROFILE_DIR "/common-auth", R_OK) == 0 &&
           access(PROFILE_DIR "/common-account", R_OK) == 0;
}

static int setup(void **state)
{
    LDAP *admin = akt_admin();
    (void)state;
    akt_add_key(admin, AKT_DN("alice"), NULL, key);
    strcpy(wrong, key);
    akt_wrong_secret(wrong);
    ldap_unbind_ext_s(admin, NULL, NULL);
    return 0;
}

static int run(size_t c, size_t s, size_t o)
{
    char service[128];
    const char *user = o == 2 ? "nosuchuser" : "alice";
    const char *tok = o == 1 ? wrong : o == 5 ? "alice-password" : key;
    snprintf(service, sizeof(service), "f13-%s-%s-%s", controls[c].name,
             stacks[s].name, conf_names[outcomes[o].conf]);
    return aktp_auth1(service, user, tok);
}

static bool find(const char *name, const char *const *list, size_t stride,
                 size_t n, size_t *out)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(*(const char *const *)((const char *)list + i * stride),
                   name) == 0) {
            *out = i;
            return true;
        }
    return false;
}

static void test_truth_table(void **state)
{
    FILE *f = fopen(AKTP_TRUTH_TABLE, "r");
    bool seen[N_CTL][N_STK][N_OUT] = {{{false}}};
    char line[256];
    unsigned rows = 0, bad = 0, lineno = 0;
    (void)state;

    assert_non_null(f);
    while (fgets(line, sizeof(line), f)) {
        char ctl[64], stk[64], out[64], want[64];
        size_t c = 0, s = 0, o = 0;
        int code = -1, got;
        lineno++;
        if (line[0] == '#' || line[strspn(line, " \t")] == '\n')
            continue;
        if (sscanf(line, "%63s %63s %63s %63s", ctl, stk, out, want) != 4)
            fail_msg("stack-truth.txt:%u: bad line", lineno);
        if (!find(ctl, &controls[0].name, sizeof(controls[0]), N_CTL, &c) ||
            !find(stk, &stacks[0].name, sizeof(stacks[0]), N_STK, &s) ||
            !find(out, &outcomes[0].name, sizeof(outcomes[0]), N_OUT, &o) ||
            (code = aktp_code_from_name(want)) < 0)
            fail_msg("stack-truth.txt:%u: unknown name", lineno);
        if (seen[c][s][o])
            fail_msg("stack-truth.txt:%u: duplicate row", lineno);
        seen[c][s][o] = true;
        if (c == PROFILE_CTL && !have_profile())
            continue; /* said once in main() */
        got = run(c, s, o);
        rows++;
        if (got != code) {
            bad++;
            print_error("stack-truth.txt:%u: %s %s %s: got %s, want %s\n",
                        lineno, ctl, stk, out, aktp_code_name(got), want);
        }
        /* The invariants no table may break: a bad key, an unknown user,
         * a dead directory or a broken config never log anybody in unless
         * a module after us (pam_permit) grants it on its own. */
        if (got == PAM_SUCCESS && o != 0 && o != 5 && s != 1 &&
            strcmp(ctl, "sufficient") != 0)
            fail_msg("%s %s %s succeeded", ctl, stk, out);
    }
    fclose(f);
    /* every combination is in the table */
    for (size_t c = 0; c < N_CTL; c++)
        for (size_t s = 0; s < N_STK; s++)
            for (size_t o = 0; o < N_OUT; o++)
                if (!seen[c][s][o])
                    fail_msg("stack-truth.txt lacks %s %s %s", controls[c].name,
                             stacks[s].name, outcomes[o].name);
    assert_int_equal(rows,
                     (have_profile() ? N_CTL : N_CTL - 1) * N_STK * N_OUT);
    assert_int_equal(bad, 0);
}

/*
 * The profile's stack, login by login: the result, the account phase, the
 * one prompt, and whether the token reached the password module
 * (pam_testpw logs "pam_testpw checked a password"). A key pam_apikey
 * refused must never be tried as a password.
 */
static void test_profile_flow(void **state)
{
    static const struct {
        const char *what, *user;
        int tok; /* 0 key, 1 wrong key, 2 password, 3 wrong password */
        enum conf conf;
        int rc, acct; /* acct: -1 when authentication failed */
        bool reaches_password_module;
    } cases[] = {
        {"good key", "alice", 0, C_GOOD, PAM_SUCCESS, PAM_SUCCESS, false},
        {"wrong key", "alice", 1, C_GOOD, PAM_AUTH_ERR, -1, false},
        {"key, unknown user", "nosuchuser", 0, C_GOOD, PAM_AUTH_ERR, -1, false},
        {"key, bad apikey.conf", "alice", 0, C_BAD, PAM_SERVICE_ERR, -1, false},
        {"key, directory down", "alice", 0, C_DOWN, PAM_AUTHINFO_UNAVAIL, -1,
         false},
        {"password", "alice", 2, C_GOOD, PAM_SUCCESS, PAM_SUCCESS, true},
        {"wrong password", "alice", 3, C_GOOD, PAM_AUTH_ERR, -1, true},
        {"password, bad apikey.conf", "alice", 2, C_BAD, PAM_SUCCESS,
         PAM_SUCCESS, true},
        {"password, directory down", "alice", 2, C_DOWN, PAM_SUCCESS,
         PAM_SUCCESS, true},
    };
    (void)state;

    if (!have_profile())
        skip();
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *toks[] = {key, wrong, "alice-password", "not-the-password"};
        struct aktp_conv conv = {.answers = {toks[cases[i].tok]}};
        char service[128], *log;
        int rc, acct = -1;
        bool reached;

        snprintf(service, sizeof(service), "f13-profile-alone-%s",
                 conf_names[cases[i].conf]);
        aktp_capture_begin();
        rc = aktp_login(service, cases[i].user, &conv, 0, &acct);
        log = aktp_capture_end();
        reached = strstr(log, "pam_testpw checked a password") != NULL;
        free(log);
        if (rc != cases[i].rc || acct != cases[i].acct ||
            reached != cases[i].reaches_password_module ||
            conv.n_prompts != 1 ||
            strcmp(conv.prompts[0], "Password or API key: ") != 0)
            fail_msg(
                "profile, %s: auth %s (want %s), account %s (want %s), "
                "%s the password module (want %s), %u prompt(s), "
                "first \"%s\"",
                cases[i].what, aktp_code_name(rc), aktp_code_name(cases[i].rc),
                acct < 0 ? "not run" : aktp_code_name(acct),
                cases[i].acct < 0 ? "not run" : aktp_code_name(cases[i].acct),
                reached ? "reached" : "did not reach",
                cases[i].reaches_password_module ? "reached" : "not reached",
                conv.n_prompts, conv.n_prompts ? conv.prompts[0] : "");
    }
}

/* AKTP_PRINT_TRUTH=1: print the observed table instead (to review). */
static void print_table(void **state)
{
    (void)state;
    for (size_t c = 0; c < N_CTL; c++)
        for (size_t s = 0; s < N_STK; s++)
            for (size_t o = 0; o < N_OUT; o++)
                if (c != PROFILE_CTL || have_profile())
                    printf("%-12s %-12s %-13s %s\n", controls[c].name,
                           stacks[s].name, outcomes[o].name,
                           aktp_code_name(run(c, s, o)));
}

/*
 * Append the module lines of a file pam-auth-update wrote to *out, with
 * pam_apikey.so given the test's config and pam_unix.so played by
 * pam_testpw (auth: the password "alice-password") or pam_permit
 * (account: alice is no local user here). Any other module fails the test:
 * the stack under test is exactly the one pam-auth-update wrote.
 */
static void append_profile(char *out, size_t cap, const char *file,
                           const char *conf)
{
    char path[256], line[1024];
    FILE *f;

    snprintf(path, sizeof(path), PROFILE_DIR "/%s", file);
    f = fopen(path, "r");
    if (f == NULL)
        fail_msg("%s: cannot open", path);
    while (fgets(line, sizeof(line), f)) {
        char *p = line + strspn(line, " \t"), *mod, *rest, buf[2048];
        size_t used = strlen(out);
        if (*p == '#' || *p == '\n' || *p == '\0')
            continue;
        if ((mod = strstr(p, "pam_apikey.so")) != NULL) {
            rest = mod + strlen("pam_apikey.so");
            snprintf(buf, sizeof(buf), "%.*s%s config=%s%s", (int)(mod - p), p,
                     AKTP_MODULE, conf, rest);
        } else if ((mod = strstr(p, "pam_unix.so")) != NULL) {
            rest = mod + strlen("pam_unix.so");
            if (strncmp(p, "auth", 4) == 0)
                snprintf(buf, sizeof(buf), "%.*s%s password=alice-password%s",
                         (int)(mod - p), p, AKTP_TESTPW, rest);
            else
                snprintf(buf, sizeof(buf), "%.*spam_permit.so\n",
                         (int)(mod - p), p);
        } else if (strstr(p, "pam_deny.so") != NULL ||
                   strstr(p, "pam_permit.so") != NULL) {
            snprintf(buf, sizeof(buf), "%s", p);
        } else {
            fail_msg("%s: a module the test does not know: %s", path, p);
        }
        if (used + strlen(buf) + 1 > cap)
            fail_msg("%s: too long", path);
        memcpy(out + used, buf, strlen(buf) + 1);
    }
    fclose(f);
}

/* Write every f13-<control>-<stack>-<conf> service (before the re-exec). */
static void write_services(void)
{
    char uri[64], confs[3][512];
    snprintf(uri, sizeof(uri), "ldap://127.0.0.1:%d", akt_closed_port());
    snprintf(confs[C_GOOD], sizeof(confs[0]), "%s", akt_env("AK_TEST_CONF"));
    snprintf(confs[C_DOWN], sizeof(confs[0]), "%s",
             akt_config("down.conf", uri, NULL));
    snprintf(confs[C_BAD], sizeof(confs[0]), "%s",
             akt_config("bad.conf", NULL, "no_such_setting 1"));
    for (size_t c = 0; c < N_CTL; c++)
        for (size_t s = 0; s < N_STK; s++)
            for (int k = C_GOOD; k <= C_BAD; k++) {
                char name[128], text[8192];
                snprintf(name, sizeof(name), "f13-%s-%s-%s", controls[c].name,
                         stacks[s].name, conf_names[k]);
                if (c == PROFILE_CTL) {
                    if (!have_profile())
                        continue;
                    text[0] = '\0';
                    append_profile(text, sizeof(text), "common-auth", confs[k]);
                    append_profile(text, sizeof(text), "common-account",
                                   confs[k]);
                    if (strlen(text) + strlen(stacks[s].tail) + 1 >
                        sizeof(text))
                        fail_msg("%s: too long", name);
                    strcat(text, stacks[s].tail);
                } else {
                    snprintf(text, sizeof(text),
                             "auth %s %s config=%s ignore_non_keys\n%s",
                             controls[c].line, AKTP_MODULE, confs[k],
                             stacks[s].tail);
                }
                aktp_write_service(name, text);
            }
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_truth_table),
        cmocka_unit_test(test_profile_flow),
    };
    const struct CMUnitTest print[] = {
        cmocka_unit_test(print_table),
    };
    const struct aktp_subst subst[] = {{"CONF", akt_env("AK_TEST_CONF")},
                                       {NULL, NULL}};

    (void)argc;
    if (getenv("PAM_WRAPPER") == NULL) {
        /* The stack pam-auth-update writes from the profile, into
         * ./profile (exit 77: no pam-auth-update here, rows skipped). */
        int st =
            system("'" AKTP_PROFILE_STACK "' '" AKTP_PROFILE "' " PROFILE_DIR);
        if (st == -1 || !WIFEXITED(st) ||
            (WEXITSTATUS(st) != 0 && WEXITSTATUS(st) != 77)) {
            fprintf(stderr, "profile-stack.sh failed\n");
            return 1;
        }
        write_services();
    }
    aktp_init(argv, AKTP_SERVICES, subst);
    if (!have_profile())
        printf("# skip: rows \"profile\" (pam-auth-update is not "
               "available)\n");
    /* pam_wrapper's per-call debug lines would drown the table */
    if (getenv("AKTP_PRINT_TRUTH") != NULL)
        return cmocka_run_group_tests(print, setup, NULL);
    return cmocka_run_group_tests(tests, setup, NULL);
}
