/* SPDX-License-Identifier: BSD-3-Clause */
/* bench_pam.c - pam_apikey authentications per second and p50/p99, beside
 * a baseline on the same slapd: a bare libldap connect + service bind +
 * the verifier's search + unbind, the work a fresh PAM process cannot
 * avoid. Run by bench/pam/run.sh (harness slapd, pam_wrapper, a key). */
#include <ldap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <security/pam_appl.h>

static const char *key;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int conv(int n, const struct pam_message **msg,
                struct pam_response **resp, void *data)
{
    struct pam_response *r = calloc((size_t)n, sizeof(*r));
    (void)data;
    if (r == NULL)
        return PAM_BUF_ERR;
    for (int i = 0; i < n; i++)
        if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF)
            r[i].resp = strdup(key);
    *resp = r;
    return PAM_SUCCESS;
}

/* One fresh-process login's worth of PAM: start, authenticate, end. */
static int pam_once(const char *service, double *auth_only)
{
    struct pam_conv c = {conv, NULL};
    pam_handle_t *ph;
    double t0;
    int rc = pam_start(service, "alice", &c, &ph);
    if (rc != PAM_SUCCESS)
        return rc;
    t0 = now();
    rc = pam_authenticate(ph, 0);
    *auth_only = now() - t0;
    pam_end(ph, rc);
    return rc;
}

struct base {
    const char *uri, *dn, *filter;
    struct berval pw;
};

/* The baseline: what the verifier must do on a new connection. */
static int ldap_once(const struct base *b)
{
/* libldap takes char **; the names are literals */
#define S(x) ((char *)(uintptr_t)(x))
    static char *attrs[] = {S("uid"),
                            S("objectClass"),
                            S("apiKeyId"),
                            S("apiKeyRecord"),
                            S("pwdAccountLockedTime"),
                            S("shadowExpire"),
                            S("apiKeyDisabled"),
                            S("nsAccountLock"),
                            S("userAccountControl"),
                            S("apiKeyRequireExpiry"),
                            S("apiKeyMaxLifetime"),
                            S("apiKeyNoticeDays"),
                            NULL};
    struct timeval tv = {2, 0};
    LDAP *ld = NULL;
    LDAPMessage *res = NULL;
    struct berval pw = b->pw;
    int v3 = LDAP_VERSION3, rc;

    rc = ldap_initialize(&ld, b->uri);
    if (rc != LDAP_SUCCESS)
        return rc;
    ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
    ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
    ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
    rc = ldap_sasl_bind_s(ld, b->dn, LDAP_SASL_SIMPLE, &pw, NULL, NULL, NULL);
    if (rc == LDAP_SUCCESS)
        rc = ldap_search_ext_s(ld, "dc=example,dc=org", LDAP_SCOPE_SUBTREE,
                               b->filter, attrs, 0, NULL, NULL, &tv, 16, &res);
    if (rc == LDAP_SUCCESS && ldap_count_entries(ld, res) != 2)
        rc = LDAP_NO_SUCH_OBJECT;
    ldap_msgfree(res);
    ldap_unbind_ext_s(ld, NULL, NULL);
    return rc;
}

struct stats {
    double p50, p99, mean;
};

static struct stats summarize(double *v, size_t n)
{
    struct stats s = {0, 0, 0};
    qsort(v, n, sizeof(*v), cmp);
    for (size_t i = 0; i < n; i++)
        s.mean += v[i];
    s.mean /= (double)n;
    s.p50 = v[n / 2];
    s.p99 = v[(n * 99) / 100];
    return s;
}

static long file_size(const char *path)
{
    FILE *f = fopen(path, "r");
    long n;
    if (f == NULL)
        return -1;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fclose(f);
    return n;
}

static int count_since(const char *path, long off, const char *needle)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    int n = 0;
    if (f == NULL)
        return -1;
    fseek(f, off, SEEK_SET);
    while (fgets(line, sizeof(line), f))
        if (strstr(line, needle) != NULL)
            n++;
    fclose(f);
    return n;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static int run(const char *label, const char *service, const struct base *b,
               int n, const char *slog)
{
    double *tb = calloc((size_t)n, sizeof(double));
    double *tp = calloc((size_t)n, sizeof(double));
    double *ta = calloc((size_t)n, sizeof(double));
    double *tm = calloc((size_t)n, sizeof(double));
    double *tn = calloc((size_t)n, sizeof(double));
    double *tf = calloc((size_t)n, sizeof(double));
    double tot_b = 0, tot_p = 0, t0;
    struct stats sb, sp, sa, sm, sn, sf;
    const int ops_n = 200;
    long off;
    int rc;

    if (!tb || !tp || !ta || !tm || !tn || !tf)
        return 1;
    for (int i = 0; i < 50; i++) { /* warm up both paths */
        double dummy;
        if ((rc = ldap_once(b)) != LDAP_SUCCESS) {
            fprintf(stderr, "%s baseline: %s\n", label, ldap_err2string(rc));
            return 1;
        }
        if ((rc = pam_once(service, &dummy)) != PAM_SUCCESS) {
            fprintf(stderr, "%s pam: %s\n", label, pam_strerror(NULL, rc));
            return 1;
        }
    }
    /* Interleaved, so drift and neighbours' load hit both sides alike. */
    for (int i = 0; i < n; i++) {
        t0 = now();
        if (ldap_once(b) != LDAP_SUCCESS)
            return 1;
        tb[i] = now() - t0;
        tot_b += tb[i];
        t0 = now();
        if (pam_once(service, &ta[i]) != PAM_SUCCESS)
            return 1;
        tp[i] = now() - t0;
        tot_p += tp[i];
        t0 = now();
        if (pam_once("bench-permit", &tm[i]) != PAM_SUCCESS)
            return 1;
        tm[i] = now() - t0;
        /* what pam_apikey adds to a login: the transaction minus libpam's
         * own cost, measured back to back */
        tn[i] = tp[i] - tm[i];
        /* the floor of a login in a fresh process (CONTEXT.md): libpam's
         * own transaction (pam_permit) plus the bare LDAP exchange */
        tf[i] = tm[i] + tb[i];
    }
    sb = summarize(tb, (size_t)n);
    sp = summarize(tp, (size_t)n);
    sa = summarize(ta, (size_t)n);
    sm = summarize(tm, (size_t)n);
    sn = summarize(tn, (size_t)n);
    sf = summarize(tf, (size_t)n);
    printf("\n== %s (%d each, interleaved) ==\n", label, n);
    printf("%-44s %9s %9s %9s %9s\n", "", "auth/s", "p50 ms", "p99 ms",
           "mean ms");
    printf("%-44s %9.0f %9.3f %9.3f %9.3f\n",
           "baseline: connect+bind+search+unbind", n / tot_b, sb.p50 * 1e3,
           sb.p99 * 1e3, sb.mean * 1e3);
    printf("%-44s %9.0f %9.3f %9.3f %9.3f\n",
           "pam_apikey: pam_start+authenticate+pam_end", n / tot_p,
           sp.p50 * 1e3, sp.p99 * 1e3, sp.mean * 1e3);
    printf("%-44s %9s %9.3f %9.3f %9.3f\n", "  of which pam_authenticate", "",
           sa.p50 * 1e3, sa.p99 * 1e3, sa.mean * 1e3);
    printf("%-44s %9s %9.3f %9.3f %9.3f\n",
           "  for scale: pam_permit transaction", "", sm.p50 * 1e3,
           sm.p99 * 1e3, sm.mean * 1e3);
    printf("%-44s %9s %9.3f %9.3f %9.3f\n",
           "  pam_apikey net of libpam (minus pam_permit)", "", sn.p50 * 1e3,
           sn.p99 * 1e3, sn.mean * 1e3);
    printf("%-44s %9s %9.3f %9.3f %9.3f\n",
           "floor: pam_permit transaction + baseline", "", sf.p50 * 1e3,
           sf.p99 * 1e3, sf.mean * 1e3);
    printf("whole transaction to the floor (p50): %.2fx  [target <= 1.15x]\n",
           sp.p50 / sf.p50);
    printf("ratio to baseline (p50): whole transaction %.2fx, "
           "pam_authenticate %.2fx, net of libpam %.2fx\n",
           sp.p50 / sb.p50, sa.p50 / sb.p50, sn.p50 / sb.p50);

    /* LDAP operations per authentication, from slapd's stats log. */
    if (slog != NULL) {
        double dummy;
        sleep_ms(200);
        off = file_size(slog);
        for (int i = 0; i < ops_n; i++)
            if (pam_once(service, &dummy) != PAM_SUCCESS)
                return 1;
        sleep_ms(300); /* slapd writes the stats line after answering */
        printf("LDAP operations per authentication (slapd stats, %d "
               "logins): connections %.2f, binds %.2f, searches %.2f, "
               "unbinds %.2f\n",
               ops_n, count_since(slog, off, " ACCEPT from") / (double)ops_n,
               count_since(slog, off, "mech=SIMPLE") / (double)ops_n,
               count_since(slog, off, " SRCH base=") / (double)ops_n,
               count_since(slog, off, " UNBIND") / (double)ops_n);
    }
    free(tb);
    free(tp);
    free(ta);
    free(tm);
    free(tn);
    free(tf);
    return 0;
}

int main(int argc, char **argv)
{
    const char *uri = getenv("AK_TEST_URI"), *ldapi = getenv("AK_TEST_LDAPI");
    const char *slog = getenv("AK_TEST_LOG"), *kid = getenv("BENCH_KEY_ID");
    char filter[512], pwbuf[256];
    struct base b = {.dn = "cn=verifier,ou=system,dc=example,dc=org"};
    int n = argc > 1 ? atoi(argv[1]) : 2000;
    FILE *f;
    size_t len;

    key = getenv("BENCH_KEY");
    if (!uri || !ldapi || !key || !kid || !getenv("AK_TEST_DIR") || n < 10) {
        fprintf(stderr, "run through bench/pam/run.sh\n");
        return 2;
    }
    snprintf(pwbuf, sizeof(pwbuf), "%s/verifier.pw", getenv("AK_TEST_DIR"));
    f = fopen(pwbuf, "r");
    if (f == NULL || fgets(pwbuf, sizeof(pwbuf), f) == NULL)
        return 2;
    fclose(f);
    len = strcspn(pwbuf, "\r\n");
    pwbuf[len] = '\0';
    b.pw.bv_val = pwbuf;
    b.pw.bv_len = len;
    /* the verifier's own filter: same server work on both sides */
    snprintf(filter, sizeof(filter),
             "(|(&(objectClass=apiKeyHolder)(apiKeyId=%s)"
             "(|(&(objectClass=posixAccount)(uid=alice))"
             "(&(objectClass=apiKeyServiceUser)(uid=alice))))"
             "(objectClass=apiKeyPolicy))",
             kid);
    b.filter = filter;

    b.uri = uri;
    if (run("ldap:// (TCP, 127.0.0.1)", "bench-ldap", &b, n, slog) != 0)
        return 1;
    b.uri = ldapi;
    if (run("ldapi:// (Unix socket)", "bench-ldapi", &b, n, slog) != 0)
        return 1;
    return 0;
}
