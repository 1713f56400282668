/* SPDX-License-Identifier: BSD-3-Clause */
/* test_pam_stack.c - F-13: pam_apikey under every control flag, alone and
 * stacked with pam_permit / pam_deny, for every kind of result; the
 * overall pam_authenticate answer must match stack-truth.txt */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
    {"recommended",
     "[success=done authinfo_unavail=ignore ignore=ignore default=die]"},
};

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
    assert_int_equal(rows, N_CTL * N_STK * N_OUT);
    assert_int_equal(bad, 0);
}

/* AKTP_PRINT_TRUTH=1: print the observed table instead (to review). */
static void print_table(void **state)
{
    (void)state;
    for (size_t c = 0; c < N_CTL; c++)
        for (size_t s = 0; s < N_STK; s++)
            for (size_t o = 0; o < N_OUT; o++)
                printf("%-12s %-12s %-13s %s\n", controls[c].name,
                       stacks[s].name, outcomes[o].name,
                       aktp_code_name(run(c, s, o)));
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
                char name[128], text[2048];
                snprintf(name, sizeof(name), "f13-%s-%s-%s", controls[c].name,
                         stacks[s].name, conf_names[k]);
                snprintf(text, sizeof(text),
                         "auth %s %s config=%s ignore_non_keys\n%s",
                         controls[c].line, AKTP_MODULE, confs[k],
                         stacks[s].tail);
                aktp_write_service(name, text);
            }
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_truth_table),
    };
    const struct CMUnitTest print[] = {
        cmocka_unit_test(print_table),
    };
    const struct aktp_subst subst[] = {{"CONF", akt_env("AK_TEST_CONF")},
                                       {NULL, NULL}};

    (void)argc;
    if (getenv("PAM_WRAPPER") == NULL)
        write_services();
    aktp_init(argv, AKTP_SERVICES, subst);
    /* pam_wrapper's per-call debug lines would drown the table */
    if (getenv("AKTP_PRINT_TRUTH") != NULL)
        return cmocka_run_group_tests(print, setup, NULL);
    return cmocka_run_group_tests(tests, setup, NULL);
}
