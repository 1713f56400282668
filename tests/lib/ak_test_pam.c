/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_test_pam.c - helpers for PAM tests under pam_wrapper */
#include "ak_test_pam.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef AKTP_PAM_WRAPPER
#error "AKTP_PAM_WRAPPER (path of libpam_wrapper.so) must be defined"
#endif

#if defined(__SANITIZE_ADDRESS__)
#define AKTP_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AKTP_ASAN 1
#endif
#endif
#ifndef AKTP_ASAN
#define AKTP_ASAN 0
#endif

bool aktp_asan(void)
{
    return AKTP_ASAN;
}

/* AK_TEST_WRAPPER: `meson test --setup valgrind` sets it to a valgrind
 * command line; with-slapd.sh runs the first process under it. */
static bool wrapped(void)
{
    const char *w = getenv("AK_TEST_WRAPPER");
    return w != NULL && *w != '\0';
}

bool aktp_slow(void)
{
    return AKTP_ASAN || wrapped() || getenv("AKTP_VALGRIND") != NULL;
}

static void die(const char *what)
{
    fprintf(stderr, "ak_test_pam: %s: %s\n", what, strerror(errno));
    exit(99); /* meson: hard error, not a test failure */
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "r");
    char *buf = NULL;
    size_t n = 0, cap = 0;

    if (f == NULL)
        die(path);
    for (;;) {
        if (cap - n < 4096) {
            cap = cap * 2 + 4096;
            buf = realloc(buf, cap + 1);
            if (buf == NULL)
                die("realloc");
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
    }
    fclose(f);
    buf[n] = '\0';
    if (len != NULL)
        *len = n;
    return buf;
}

void aktp_write_service(const char *name, const char *text)
{
    char path[PATH_MAX];
    FILE *f;

    if (mkdir("pam.d", 0755) != 0 && errno != EEXIST)
        die("mkdir pam.d");
    snprintf(path, sizeof(path), "pam.d/%s", name);
    f = fopen(path, "w");
    if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
        die(path);
}

/* Copy one template, replacing %NAME% placeholders. A template that needs
 * a value this test did not give is left out (a test that uses it anyway
 * gets the `other` service, which denies). */
static void instantiate(const char *src, const char *name,
                        const struct aktp_subst *subst, const char *work)
{
    char *in = slurp(src, NULL);
    size_t cap = strlen(in) + 1, o = 0;
    char *out = malloc(cap);

    if (out == NULL)
        die("malloc");
    for (const char *p = in; *p != '\0';) {
        const char *end = *p == '%' ? strchr(p + 1, '%') : NULL;
        const char *val = NULL;
        size_t n = end ? (size_t)(end - p - 1) : 0, vl;

        if (end == NULL || n == 0 ||
            strspn(p + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") != n) {
            if (o + 2 > cap && (out = realloc(out, cap *= 2)) == NULL)
                die("realloc");
            out[o++] = *p++;
            continue;
        }
        if (n == 4 && strncmp(p + 1, "WORK", 4) == 0)
            val = work;
        for (const struct aktp_subst *s = subst; s != NULL && s->name; s++)
            if (strlen(s->name) == n && strncmp(p + 1, s->name, n) == 0)
                val = s->value;
        if (val == NULL)
            goto out; /* not for this test */
        vl = strlen(val);
        while (o + vl + 1 > cap)
            if ((out = realloc(out, cap *= 2)) == NULL)
                die("realloc");
        memcpy(out + o, val, vl);
        o += vl;
        p += n + 2;
    }
    out[o] = '\0';
    aktp_write_service(name, out);
out:
    free(in);
    free(out);
}

/* Path of the ASan runtime mapped into this process. */
static const char *asan_runtime(void)
{
    static char path[PATH_MAX];
    char line[PATH_MAX + 256];
    FILE *f = fopen("/proc/self/maps", "r");

    if (f == NULL)
        return NULL;
    path[0] = '\0';
    while (fgets(line, sizeof(line), f)) {
        char *p = strchr(line, '/');
        if (p != NULL && strstr(p, "/libasan.so") != NULL) {
            p[strcspn(p, "\n")] = '\0';
            snprintf(path, sizeof(path), "%s", p);
            break;
        }
    }
    fclose(f);
    return path[0] ? path : NULL;
}

void aktp_init(char **argv, const char *templates_dir,
               const struct aktp_subst *subst)
{
    const char *on = getenv("PAM_WRAPPER");
    char work[PATH_MAX], svc[PATH_MAX + 16], exe[PATH_MAX];
    char preload[3 * PATH_MAX];
    const char *old = getenv("LD_PRELOAD");
    DIR *d;
    struct dirent *e;
    ssize_t n;

    if (on != NULL && strcmp(on, "1") == 0)
        return;
    if (access(AKTP_PAM_WRAPPER, R_OK) != 0) {
        fprintf(stderr, "pam_wrapper (%s) missing: skipped\n",
                AKTP_PAM_WRAPPER);
        exit(77);
    }
    if (getcwd(work, sizeof(work)) == NULL)
        die("getcwd");
    d = opendir(templates_dir);
    if (d == NULL)
        die(templates_dir);
    while ((e = readdir(d)) != NULL) {
        char src[PATH_MAX], name[256];
        size_t l = strlen(e->d_name);
        if (e->d_name[0] == '.' || l < 4 ||
            strcmp(e->d_name + l - 3, ".in") != 0)
            continue;
        snprintf(src, sizeof(src), "%s/%s", templates_dir, e->d_name);
        snprintf(name, sizeof(name), "%s", e->d_name);
        name[l - 3] = '\0';
        instantiate(src, name, subst, work);
    }
    closedir(d);
    aktp_write_service("other", "auth required pam_deny.so\n"
                                "account required pam_deny.so\n"
                                "password required pam_deny.so\n"
                                "session required pam_deny.so\n");

    /* The sanitizer runtime must come first in the initial library list. */
    {
        const char *asan = AKTP_ASAN ? asan_runtime() : NULL;
        snprintf(preload, sizeof(preload), "%s%s%s%s%s", asan ? asan : "",
                 asan ? ":" : "", AKTP_PAM_WRAPPER, old && *old ? ":" : "",
                 old && *old ? old : "");
    }
    snprintf(svc, sizeof(svc), "%s/pam.d", work);
    if (setenv("LD_PRELOAD", preload, 1) != 0 ||
        setenv("PAM_WRAPPER", "1", 1) != 0 ||
        setenv("PAM_WRAPPER_SERVICE_DIR", svc, 1) != 0 ||
        setenv("PAM_WRAPPER_DEBUGLEVEL", "2", 0) != 0)
        die("setenv");
    /* RTLD_DEEPBIND does not mix with sanitizer or valgrind interposition
     * (pam_wrapper(1)). */
    if (aktp_slow())
        setenv("PAM_WRAPPER_DISABLE_DEEPBIND", "1", 1);
    if (AKTP_ASAN)
        setenv("ASAN_OPTIONS", "detect_leaks=1:verify_asan_link_order=0", 0);
    n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        die("readlink /proc/self/exe");
    exe[n] = '\0';
    if (wrapped()) {
        /* valgrind does not follow the exec by itself (no
         * --trace-children): run the wrapper again, on the real test. */
        char *words = strdup(getenv("AK_TEST_WRAPPER")), *save = NULL;
        char *wargv[64];
        int k = 0, a = 1;
        if (words == NULL)
            die("strdup");
        for (char *w = strtok_r(words, " ", &save); w != NULL && k < 48;
             w = strtok_r(NULL, " ", &save))
            wargv[k++] = w;
#ifdef AKTP_VALGRIND_SUPP
        /* pam_wrapper's own leaks in forked children (test tool only) */
        if (strstr(wargv[0], "valgrind") != NULL)
            wargv[k++] =
                (char *)(uintptr_t)("--suppressions=" AKTP_VALGRIND_SUPP);
#endif
        wargv[k++] = exe;
        while (argv[a] != NULL && k < 63)
            wargv[k++] = argv[a++];
        wargv[k] = NULL;
        execvp(wargv[0], wargv);
        die("execvp wrapper");
    }
    execv(exe, argv);
    die("execv");
}

int aktp_conv_fn(int n, const struct pam_message **msg,
                 struct pam_response **resp, void *data)
{
    struct aktp_conv *c = data;
    struct pam_response *r;

    if (n <= 0 || n > PAM_MAX_NUM_MSG)
        return PAM_CONV_ERR;
    r = calloc((size_t)n, sizeof(*r));
    if (r == NULL)
        return PAM_BUF_ERR;
    for (int i = 0; i < n; i++) {
        const char *m = msg[i]->msg ? msg[i]->msg : "";
        switch (msg[i]->msg_style) {
        case PAM_PROMPT_ECHO_OFF:
        case PAM_PROMPT_ECHO_ON: {
            unsigned k = c->n_prompts++;
            const char *a = k < AKTP_MAX_MSGS ? c->answers[k] : NULL;
            if (k < AKTP_MAX_MSGS)
                snprintf(c->prompts[k], sizeof(c->prompts[k]), "%s", m);
            if (a != NULL) {
                r[i].resp = strdup(a);
                if (r[i].resp == NULL) {
                    for (int j = 0; j < i; j++)
                        free(r[j].resp);
                    free(r);
                    return PAM_BUF_ERR;
                }
            }
            break;
        }
        case PAM_TEXT_INFO:
            if (c->n_info < AKTP_MAX_MSGS)
                snprintf(c->info[c->n_info], sizeof(c->info[0]), "%s", m);
            c->n_info++;
            if (c->on_info != NULL)
                c->on_info(c, m);
            break;
        case PAM_ERROR_MSG:
            if (c->n_error < AKTP_MAX_MSGS)
                snprintf(c->error[c->n_error], sizeof(c->error[0]), "%s", m);
            c->n_error++;
            break;
        default:
            break;
        }
    }
    *resp = r;
    return PAM_SUCCESS;
}

void aktp_conv_reset(struct aktp_conv *c)
{
    c->n_prompts = 0;
    c->n_info = 0;
    c->n_error = 0;
    memset(c->prompts, 0, sizeof(c->prompts));
    memset(c->info, 0, sizeof(c->info));
    memset(c->error, 0, sizeof(c->error));
}

int aktp_login(const char *service, const char *user, struct aktp_conv *c,
               int auth_flags, int *acct_rc)
{
    struct pam_conv conv = {aktp_conv_fn, c};
    pam_handle_t *ph = NULL;
    int rc;

    rc = pam_start(service, user, &conv, &ph);
    if (rc != PAM_SUCCESS)
        fail_msg("pam_start(%s): %d", service, rc);
    rc = pam_authenticate(ph, auth_flags);
    if (acct_rc != NULL)
        *acct_rc = rc == PAM_SUCCESS ? pam_acct_mgmt(ph, 0) : -1;
    pam_end(ph, rc);
    return rc;
}

int aktp_auth1(const char *service, const char *user, const char *answer)
{
    struct aktp_conv c = {.answers = {answer}};
    return aktp_login(service, user, &c, 0, NULL);
}

static int cap_saved = -1;
static FILE *cap_file;

void aktp_capture_begin(void)
{
    fflush(stderr);
    cap_file = tmpfile();
    if (cap_file == NULL)
        die("tmpfile");
    cap_saved = dup(2);
    if (cap_saved < 0 || dup2(fileno(cap_file), 2) < 0)
        die("dup2");
}

char *aktp_capture_end(void)
{
    long len;
    char *text;

    fflush(stderr);
    if (dup2(cap_saved, 2) < 0)
        die("dup2");
    close(cap_saved);
    cap_saved = -1;
    fflush(cap_file);
    len = ftell(cap_file);
    text = calloc(1, (size_t)(len > 0 ? len : 0) + 1);
    if (text == NULL)
        die("calloc");
    rewind(cap_file);
    if (len > 0 && fread(text, 1, (size_t)len, cap_file) != (size_t)len)
        die("fread");
    fclose(cap_file);
    cap_file = NULL;
    fputs(text, stderr);
    return text;
}

int aktp_fd_count(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;

    if (d == NULL)
        die("/proc/self/fd");
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the directory stream itself */
}

static const struct {
    int code;
    const char *name;
} codes[] = {
#define C(x)                                                                   \
    {                                                                          \
        x, #x                                                                  \
    }
    C(PAM_SUCCESS),
    C(PAM_OPEN_ERR),
    C(PAM_SYMBOL_ERR),
    C(PAM_SERVICE_ERR),
    C(PAM_SYSTEM_ERR),
    C(PAM_BUF_ERR),
    C(PAM_PERM_DENIED),
    C(PAM_AUTH_ERR),
    C(PAM_CRED_INSUFFICIENT),
    C(PAM_AUTHINFO_UNAVAIL),
    C(PAM_USER_UNKNOWN),
    C(PAM_MAXTRIES),
    C(PAM_NEW_AUTHTOK_REQD),
    C(PAM_ACCT_EXPIRED),
    C(PAM_SESSION_ERR),
    C(PAM_CRED_UNAVAIL),
    C(PAM_CRED_EXPIRED),
    C(PAM_CRED_ERR),
    C(PAM_NO_MODULE_DATA),
    C(PAM_CONV_ERR),
    C(PAM_AUTHTOK_ERR),
    C(PAM_AUTHTOK_RECOVERY_ERR),
    C(PAM_AUTHTOK_LOCK_BUSY),
    C(PAM_AUTHTOK_DISABLE_AGING),
    C(PAM_TRY_AGAIN),
    C(PAM_IGNORE),
    C(PAM_ABORT),
    C(PAM_AUTHTOK_EXPIRED),
    C(PAM_MODULE_UNKNOWN),
    C(PAM_BAD_ITEM),
    C(PAM_CONV_AGAIN),
    C(PAM_INCOMPLETE),
#undef C
};

const char *aktp_code_name(int code)
{
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (codes[i].code == code)
            return codes[i].name;
    return "PAM_?";
}

int aktp_code_from_name(const char *name)
{
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (strcmp(codes[i].name, name) == 0)
            return codes[i].code;
    return -1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double aktp_median(double *v, size_t n)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
