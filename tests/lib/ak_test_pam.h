/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_test_pam.h - helpers for PAM tests under pam_wrapper: private service
 * dir, re-exec with the preload, a counting conversation, log capture */
#ifndef AK_TEST_PAM_H
#define AK_TEST_PAM_H

#include <stdbool.h>
#include <stddef.h>

#include <security/pam_appl.h>

/* One "%NAME%" -> value replacement applied to service templates. */
struct aktp_subst {
    const char *name; /* without the percent signs */
    const char *value;
};

/*
 * Make this process a pam_wrapper process with a private service dir.
 *
 * First call (PAM_WRAPPER unset): copy every file of templates_dir into
 * ./pam.d (the current directory is with-slapd.sh's work dir), replacing
 * each %NAME% of subst (NULL-terminated list) and %WORK% (the current
 * directory), add an `other` service that denies, then re-execute the
 * program with LD_PRELOAD=libpam_wrapper (after the sanitizer runtime when
 * the program runs under ASan), PAM_WRAPPER=1, PAM_WRAPPER_SERVICE_DIR,
 * PAM_WRAPPER_DEBUGLEVEL=2 (pam_syslog lines go to stderr, see
 * aktp_capture_begin) and, under sanitizers or valgrind,
 * PAM_WRAPPER_DISABLE_DEEPBIND=1. With AK_TEST_WRAPPER set (meson test
 * --setup valgrind) the re-exec runs under that wrapper. pam_wrapper
 * copies the service dir when it initialises, so every service must exist
 * before the re-exec.
 *
 * In the re-executed process it returns at once. Exits 77 (skip) when
 * pam_wrapper is missing.
 */
void aktp_init(char **argv, const char *templates_dir,
               const struct aktp_subst *subst);

/* Write one more service file into ./pam.d (before aktp_init re-execs). */
void aktp_write_service(const char *name, const char *text);

/* True in a build with AddressSanitizer. */
bool aktp_asan(void);

/* True under ASan or valgrind (AK_TEST_WRAPPER, AKTP_VALGRIND): timing
 * bounds are not meaningful and allocator probes cannot run. */
bool aktp_slow(void);

/* A conversation that answers echo-off prompts from a list and records
 * everything it was asked or told. */
#define AKTP_MAX_MSGS 16
struct aktp_conv {
    const char *answers[AKTP_MAX_MSGS]; /* echo-off/on answers, in order */
    unsigned n_prompts;                 /* prompts seen (echo on + off) */
    char prompts[AKTP_MAX_MSGS][128];
    unsigned n_info; /* PAM_TEXT_INFO messages seen */
    char info[AKTP_MAX_MSGS][512];
    unsigned n_error; /* PAM_ERROR_MSG messages seen */
    char error[AKTP_MAX_MSGS][512];
    /* Called for every PAM_TEXT_INFO message (may be NULL). */
    void (*on_info)(struct aktp_conv *c, const char *msg);
};

int aktp_conv_fn(int n, const struct pam_message **msg,
                 struct pam_response **resp, void *data);

/* Reset the counters and recorded messages (answers and on_info stay). */
void aktp_conv_reset(struct aktp_conv *c);

/*
 * pam_start(service, user) with c, pam_authenticate(auth_flags), then,
 * when acct_rc is not NULL and authentication succeeded, pam_acct_mgmt(0)
 * into *acct_rc; pam_end. Returns the pam_authenticate result (or the
 * pam_start error, which fails the test).
 */
int aktp_login(const char *service, const char *user, struct aktp_conv *c,
               int auth_flags, int *acct_rc);

/* Same with a single answer: the convenient case. */
int aktp_auth1(const char *service, const char *user, const char *answer);

/*
 * Capture what the process writes to stderr (pam_wrapper prints each
 * pam_syslog line there as "... SYSLOG(<prio>): <message>") until
 * aktp_capture_end(), which restores stderr, echoes the text to it (so
 * meson's log keeps it) and returns it (malloc, NUL-terminated).
 */
void aktp_capture_begin(void);
char *aktp_capture_end(void);

/* Open file descriptors of this process (entries of /proc/self/fd). */
int aktp_fd_count(void);

/* Name for a PAM return code ("PAM_AUTH_ERR"); parse it back (-1 when
 * unknown). */
const char *aktp_code_name(int code);
int aktp_code_from_name(const char *name);

/* Median of n doubles (sorts v). */
double aktp_median(double *v, size_t n);

#endif
