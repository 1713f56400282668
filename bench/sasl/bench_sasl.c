/* SPDX-License-Identifier: BSD-3-Clause */
/* bench_sasl.c - SASL exchanges per second through our plug-in in one
 * long-running process, beside a bare libldap search on persistent
 * connections against the same slapd, at 1 and 2 threads */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <ldap.h>
#include <sasl/sasl.h>

#include "ak_config.h"
#include "ak_key.h"
#include "ak_ldap.h"
#include "ak_test_sasl.h"
#include "ak_verify.h"
#include "apikey_proto.h"

/*
 * What is compared, per round and thread count:
 *
 *   bare  one search per operation on a connection the thread keeps open,
 *         bound as the verifier's service account, with the verifier's
 *         filter, attributes, base and size limit (the directory work one
 *         key check needs).
 *   verify  ak_verify() called directly on a pooled directory handle of
 *         the same config: what the verifier in common/ costs without
 *         SASL around it.
 *   sasl  what a host such as slapd or smtpd does per login: a new
 *         sasl_conn_t, sasl_server_start with the client's APIKEY (or
 *         OAUTHBEARER) message, the result, sasl_dispose. The plug-in
 *         keeps its pooled connections across exchanges.
 *
 * Each round runs bare, verify and sasl back to back; the medians over
 * rounds are reported, and the medians of the per-round ratios ("paired"),
 * which cancel most of the drift of a shared, noisy machine. sasl/bare is
 * the target (>= 0.9); sasl/verify is what the plug-in and libsasl2 add.
 */

#define MAX_THREADS 2

static const char *mech = "APIKEY";
static char msg[APIKEY_MSG_MAX];
static size_t msg_len;
static char filter[1024];
static char base[512];
static char *attrs[32]; /* the verifier's attribute list, from slapd's log */

static struct ak_dir *vdir; /* the verify mode's own handle */
static const char *bench_key;

enum mode { M_BARE, M_VERIFY, M_SASL, M_COUNT };
static const char *const mode_names[M_COUNT] = {"bare", "verify", "sasl"};

static atomic_bool stop;
static atomic_int failures;

struct worker {
    pthread_t t;
    enum mode mode;
    LDAP *ld; /* bare: the thread's persistent connection */
    unsigned long ops;
};

static const char *env(const char *name)
{
    const char *v = getenv(name);
    if (v == NULL || *v == '\0') {
        fprintf(stderr, "bench: %s unset: run bench/sasl/run.sh\n", name);
        exit(2);
    }
    return v;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static LDAP *verifier_conn(void)
{
    char path[512];
    char pw[256] = "";
    struct berval cred;
    LDAP *ld = NULL;
    int v3 = LDAP_VERSION3;
    FILE *f;

    snprintf(path, sizeof(path), "%s/verifier.pw", env("AK_TEST_DIR"));
    f = fopen(path, "r");
    if (f == NULL || fgets(pw, sizeof(pw), f) == NULL) {
        fprintf(stderr, "bench: cannot read %s\n", path);
        exit(1);
    }
    fclose(f);
    pw[strcspn(pw, "\r\n")] = '\0';
    if (ldap_initialize(&ld, env("AK_TEST_URI")) != LDAP_SUCCESS)
        exit(1);
    ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
    ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
    cred.bv_val = pw;
    cred.bv_len = strlen(pw);
    if (ldap_sasl_bind_s(ld, "cn=verifier,ou=system,dc=example,dc=org",
                         LDAP_SASL_SIMPLE, &cred, NULL, NULL,
                         NULL) != LDAP_SUCCESS) {
        fprintf(stderr, "bench: verifier bind failed\n");
        exit(1);
    }
    return ld;
}

static void bare_op(struct worker *w)
{
    LDAPMessage *res = NULL;
    struct timeval tv = {5, 0};
    int rc = ldap_search_ext_s(w->ld, base, LDAP_SCOPE_SUBTREE, filter, attrs,
                               0, NULL, NULL, &tv, 16, &res);
    /* the holder entry and the policy entry, as the verifier receives */
    if (rc != LDAP_SUCCESS || ldap_count_entries(w->ld, res) != 2)
        atomic_fetch_add(&failures, 1);
    ldap_msgfree(res);
}

static void verify_op(void)
{
    struct ak_verify_request rq = {.user = "alice",
                                   .user_len = 5,
                                   .key = bench_key,
                                   .key_len = strlen(bench_key),
                                   .service = "ldap"};
    struct ak_verify_result res;
    if (ak_verify(vdir, &rq, 0, NULL, &res) != AK_VERIFY_OK)
        atomic_fetch_add(&failures, 1);
    ak_verify_result_clear(&res);
}

static void sasl_op(void)
{
    sasl_conn_t *s = NULL;
    const char *out = NULL;
    unsigned outlen = 0;
    int rc;

    if (sasl_server_new("ldap", "localhost", NULL, NULL, NULL, NULL, 0, &s) !=
        SASL_OK) {
        atomic_fetch_add(&failures, 1);
        return;
    }
    rc = sasl_server_start(s, mech, msg, (unsigned)msg_len, &out, &outlen);
    if (rc != SASL_OK)
        atomic_fetch_add(&failures, 1);
    sasl_dispose(&s);
}

static void *work(void *arg)
{
    struct worker *w = arg;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        if (w->mode == M_SASL)
            sasl_op();
        else if (w->mode == M_VERIFY)
            verify_op();
        else
            bare_op(w);
        w->ops++;
    }
    return NULL;
}

/*
 * The bare search repeats exactly what the verifier sent: the last search
 * for an apiKeyId in slapd's stats log gives its base, filter and
 * attribute list (so the baseline follows the verifier as it changes).
 */
static void learn_search(const char *log_path)
{
    FILE *f = fopen(log_path, "r");
    char line[4096], conn_op[64] = "";
    bool found = false;

    if (f == NULL) {
        fprintf(stderr, "bench: cannot read %s\n", log_path);
        exit(1);
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        char *srch = strstr(line, " SRCH base=\"");
        char *co = strstr(line, "conn=");
        if (srch != NULL && co != NULL && strstr(line, "apiKeyId=") != NULL) {
            char *b = srch + strlen(" SRCH base=\"");
            char *be = strchr(b, '"');
            char *fl = strstr(line, "filter=\"");
            char *fe = fl ? strrchr(fl + 8, '"') : NULL;
            if (be == NULL || fe == NULL)
                continue;
            snprintf(base, sizeof(base), "%.*s", (int)(be - b), b);
            snprintf(filter, sizeof(filter), "%.*s", (int)(fe - fl - 8),
                     fl + 8);
            snprintf(conn_op, sizeof(conn_op), "%.*s ", (int)(srch - co), co);
            found = true;
        } else if (found && conn_op[0] != '\0' && co != NULL &&
                   strncmp(co, conn_op, strlen(conn_op)) == 0 &&
                   strstr(line, " SRCH attr=") != NULL) {
            char *a = strstr(line, " SRCH attr=") + strlen(" SRCH attr=");
            char *save = NULL;
            int n = 0;
            for (int i = 0; attrs[i] != NULL; i++)
                free(attrs[i]);
            for (char *t = strtok_r(a, " \n", &save); t != NULL && n < 31;
                 t = strtok_r(NULL, " \n", &save))
                attrs[n++] = strdup(t);
            attrs[n] = NULL;
            conn_op[0] = '\0';
        }
    }
    fclose(f);
    if (!found || attrs[0] == NULL) {
        fprintf(stderr, "bench: no verifier search in %s\n", log_path);
        exit(1);
    }
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* Operations per second in mode m with n threads for secs seconds;
 * *cpu_us gets this process's CPU time per operation (microseconds). */
static double measure(enum mode m, int n, double secs, LDAP **conns,
                      double *cpu_us)
{
    double c0 = cpu_seconds();
    struct worker w[MAX_THREADS];
    unsigned long total = 0;
    double t0, t1;

    memset(w, 0, sizeof(w));
    atomic_store(&stop, false);
    t0 = now();
    for (int i = 0; i < n; i++) {
        w[i].mode = m;
        w[i].ld = conns[i];
        pthread_create(&w[i].t, NULL, work, &w[i]);
    }
    while (now() - t0 < secs) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    atomic_store(&stop, true);
    for (int i = 0; i < n; i++) {
        pthread_join(w[i].t, NULL);
        total += w[i].ops;
    }
    t1 = now();
    if (cpu_us != NULL)
        *cpu_us = total ? (cpu_seconds() - c0) * 1e6 / (double)total : 0;
    return (double)total / (t1 - t0);
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    const char *only = NULL;
    int rounds = 15;
    double secs = 0.5;
    struct ak_config *cfg = NULL;
    struct ak_key k;
    LDAP *conns[MAX_THREADS];

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            secs = atof(argv[++i]);
        else if (strcmp(argv[i], "--mech") == 0 && i + 1 < argc)
            mech = argv[++i];
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
            only = argv[++i]; /* one mode, for profiling */
        else {
            fprintf(stderr,
                    "usage: %s [--rounds N] [--seconds S] "
                    "[--mech APIKEY|OAUTHBEARER|XOAUTH2] "
                    "[--only bare|verify|sasl]\n",
                    argv[0]);
            return 2;
        }
    }
    if (rounds < 1 || rounds > 100 || secs <= 0)
        return 2;

    /* libsasl2 first (our plug-in dir), then libldap (see the tests). */
    akts_init(env("AK_SASL_PLUGIN_DIR"));
    akts_set_conf(env("AK_TEST_CONF"));
    akts_log_discard(true);

    bench_key = env("BENCH_KEY"); /* alice's, made with the apikey CLI */
    if (ak_key_parse(bench_key, strlen(bench_key), &k, NULL) != 0) {
        fprintf(stderr, "bench: BENCH_KEY is not a key\n");
        return 2;
    }
    for (int m = 0; m < APIKEY_MECH_COUNT; m++)
        if (strcmp(mech, apikey_mech_name((enum apikey_mech)m)) == 0 &&
            apikey_build_client_first((enum apikey_mech)m, NULL, 0, "alice", 5,
                                      bench_key, strlen(bench_key), NULL, msg,
                                      sizeof(msg), &msg_len) != 0)
            return 1;
    if (msg_len == 0) {
        fprintf(stderr, "bench: unknown mechanism %s\n", mech);
        return 2;
    }
    if (ak_config_load(&cfg, env("AK_TEST_CONF"), NULL) != 0 ||
        ak_dir_open(&vdir, cfg, NULL) != 0) {
        fprintf(stderr, "bench: cannot load %s\n", env("AK_TEST_CONF"));
        return 1;
    }
    for (int i = 0; i < MAX_THREADS; i++)
        conns[i] = verifier_conn();

    /* warm up: the plug-in loads its config and fills its pool; then the
     * bare search copies the verifier's from slapd's log */
    measure(M_SASL, MAX_THREADS, 0.3, conns, NULL);
    measure(M_VERIFY, MAX_THREADS, 0.3, conns, NULL);
    usleep(100000);
    learn_search(env("AK_TEST_LOG"));
    measure(M_BARE, MAX_THREADS, 0.3, conns, NULL);

    printf("SASL %s exchange (server side, in process) vs bare libldap "
           "search on a kept connection\n",
           mech);
    printf("bare: base=\"%s\" filter=\"%s\"\n", base, filter);
    printf("%d rounds of %.1f s per mode; medians (ops/s; client CPU "
           "us/op)\n\n",
           rounds, secs);
    printf("threads     bare/s  verify/s    sasl/s  sasl/bare  paired  "
           "sasl/verify paired   cpu: bare verify sasl\n");
    for (int n = 1; n <= MAX_THREADS; n++) {
        double rate[M_COUNT][100], cpu[M_COUNT][100], vs_bare[100],
            vs_verify[100], med[M_COUNT], mcpu[M_COUNT];
        for (int r = 0; r < rounds; r++) {
            for (int m = 0; m < M_COUNT; m++) {
                rate[m][r] = cpu[m][r] = 0;
                if (only == NULL || strcmp(only, mode_names[m]) == 0)
                    rate[m][r] =
                        measure((enum mode)m, n, secs, conns, &cpu[m][r]);
            }
            /* paired: slices measured back to back, so that load from
             * other processes mostly cancels out */
            vs_bare[r] =
                rate[M_BARE][r] > 0 ? rate[M_SASL][r] / rate[M_BARE][r] : 0;
            vs_verify[r] =
                rate[M_VERIFY][r] > 0 ? rate[M_SASL][r] / rate[M_VERIFY][r] : 0;
        }
        for (int m = 0; m < M_COUNT; m++) {
            med[m] = median(rate[m], rounds);
            mcpu[m] = median(cpu[m], rounds);
        }
        printf("%7d   %8.0f  %8.0f  %8.0f   %6.2fx  %5.2fx   %6.2fx "
               "%5.2fx   %9.0f %6.0f %4.0f\n",
               n, med[M_BARE], med[M_VERIFY], med[M_SASL],
               med[M_BARE] > 0 ? med[M_SASL] / med[M_BARE] : 0,
               median(vs_bare, rounds),
               med[M_VERIFY] > 0 ? med[M_SASL] / med[M_VERIFY] : 0,
               median(vs_verify, rounds), mcpu[M_BARE], mcpu[M_VERIFY],
               mcpu[M_SASL]);
        fflush(stdout);
    }
    if (atomic_load(&failures) > 0) {
        fprintf(stderr, "bench: %d operations failed\n",
                atomic_load(&failures));
        return 1;
    }
    for (int i = 0; i < MAX_THREADS; i++)
        ldap_unbind_ext_s(conns[i], NULL, NULL);
    for (int i = 0; attrs[i] != NULL; i++)
        free(attrs[i]);
    ak_dir_close(vdir);
    ak_config_free(cfg);
    akts_done();
    return 0;
}
