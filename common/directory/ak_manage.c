/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_manage.c - whoami, add, delete and paged search for the tools */
#include "ak_manage.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ak_status.h"

/* A failed operation: c marked as the code says (ak_conn_check: a
 * connection libldap failed on is never used again) and the failure
 * logged with the server's diagnostic text. An answer over the receive
 * cap names no entry here (the caller knows what it read: ak_scan finds
 * the entry); it is logged only for debugging. */
static int failed(struct ak_conn *c, int code, int err_no, const char *what,
                  const char *dn, const struct ak_log *log)
{
    int rc = ak_conn_check(c, code, err_no);
    char *diag = NULL;

    if (rc == AK_ERR_TOO_BIG) {
        ak_debug(log, "%s %s: %s", what, dn ? dn : "", ak_strerror(rc));
        return rc;
    }
    ldap_get_option(ak_conn_ld(c), LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
    ak_log(log, LOG_ERR, "%s %s: %s%s%s", what, dn ? dn : "",
           ldap_err2string(code), diag && *diag ? "; " : "",
           diag && *diag ? diag : "");
    ldap_memfree(diag);
    return rc == AK_OK ? AK_ERR_BACKEND : rc;
}

int ak_manage_whoami(struct ak_conn *c, const struct ak_log *log, char **dn,
                     char **raw)
{
    struct berval *id = NULL;
    int rc;

    *dn = NULL;
    if (raw != NULL)
        *raw = NULL;
    rc = ldap_whoami_s(ak_conn_ld(c), &id, NULL, NULL);
    if (rc != LDAP_SUCCESS)
        return failed(c, rc, errno, "Who am I?", NULL, log);
    if (id == NULL || id->bv_len == 0) {
        *dn = strdup("");
    } else if (id->bv_len > 3 && memcmp(id->bv_val, "dn:", 3) == 0) {
        *dn = strndup(id->bv_val + 3, id->bv_len - 3);
    } else {
        if (raw != NULL)
            *raw = strndup(id->bv_val, id->bv_len);
        ber_bvfree(id);
        return AK_ERR_NOT_FOUND;
    }
    ber_bvfree(id);
    return *dn != NULL ? AK_OK : AK_ERR_NOMEM;
}

int ak_manage_add(struct ak_conn *c, const char *dn, LDAPMod **attrs,
                  const struct ak_log *log)
{
    int rc = ldap_add_ext_s(ak_conn_ld(c), dn, attrs, NULL, NULL);
    return rc == LDAP_SUCCESS ? AK_OK : failed(c, rc, errno, "add", dn, log);
}

int ak_manage_delete(struct ak_conn *c, const char *dn,
                     const struct ak_log *log)
{
    int rc = ldap_delete_ext_s(ak_conn_ld(c), dn, NULL, NULL);
    return rc == LDAP_SUCCESS ? AK_OK : failed(c, rc, errno, "delete", dn, log);
}

/*
 * The entries of one page to fn as they arrive, so that reading them
 * overlaps the server's sending the rest of the page (waiting for the whole
 * page first left one side idle while the other worked). *res gets the
 * page's result. The page gets at most *tv in all, as ldap_search_ext_s
 * would wait for it. When fn fails (*rc), the wait runs out or the
 * connection fails, the search is abandoned, *res stays NULL and the
 * libldap code of the failure is returned, *err_no the errno right after
 * it (ERANGE: an entry over the receive cap).
 */
static int page_entries(LDAP *ld, int msgid, const struct timeval *tv,
                        ak_manage_entry_fn fn, void *ctx, int *rc,
                        LDAPMessage **res, int *err_no)
{
    struct timespec end, now;

    *res = NULL;
    clock_gettime(CLOCK_MONOTONIC, &end);
    end.tv_sec += tv->tv_sec;
    for (;;) {
        LDAPMessage *m = NULL;
        struct timeval left = {0, 0};
        long long us;
        int type, err;

        clock_gettime(CLOCK_MONOTONIC, &now);
        us = (long long)(end.tv_sec - now.tv_sec) * 1000000 +
             (end.tv_nsec - now.tv_nsec) / 1000;
        if (us > 0) {
            left.tv_sec = (time_t)(us / 1000000);
            left.tv_usec = (suseconds_t)(us % 1000000);
        }
        type = ldap_result(ld, msgid, LDAP_MSG_ONE, &left, &m);
        *err_no = errno;
        if (type == LDAP_RES_SEARCH_RESULT) {
            *res = m;
            return LDAP_SUCCESS;
        }
        if (type == LDAP_RES_SEARCH_ENTRY)
            *rc = fn(ctx, ld, m);
        ldap_msgfree(m); /* an entry, or a reference (not followed) */
        if (type > 0 && *rc == AK_OK)
            continue;
        if (type < 0) { /* the connection failed: nothing to abandon on */
            if (ldap_get_option(ld, LDAP_OPT_RESULT_CODE, &err) !=
                    LDAP_OPT_SUCCESS ||
                err == LDAP_SUCCESS)
                err = LDAP_OTHER;
            return err;
        }
        ldap_abandon_ext(ld, msgid, NULL, NULL);
        return LDAP_TIMEOUT; /* or fn's own error, in *rc */
    }
}

int ak_manage_search(struct ak_conn *c, const struct ak_config *cfg,
                     const char *base, int scope, const char *filter,
                     char **attrs, unsigned page_size, ak_manage_entry_fn fn,
                     void *ctx, const struct ak_log *log)
{
    LDAP *ld = ak_conn_ld(c);
    struct berval cookie = {0, NULL};
    struct timeval tv = {.tv_sec = (time_t)cfg->timeout};
    int rc = AK_OK;

    if (page_size == 0)
        page_size = 500;
    do {
        LDAPControl *page = NULL, *sctrl[2] = {NULL, NULL};
        LDAPControl **rctrls = NULL, *resp;
        LDAPMessage *res = NULL;
        char *diag = NULL;
        int err = LDAP_OTHER, lrc, msgid = -1, err_no = 0;

        lrc = ldap_create_page_control(ld, (ber_int_t)page_size, &cookie, 0,
                                       &page);
        if (lrc != LDAP_SUCCESS) {
            rc = AK_ERR_NOMEM;
            break;
        }
        sctrl[0] = page;
        lrc = ldap_search_ext(ld, base, scope, filter, attrs, 0, sctrl, NULL,
                              &tv, 0, &msgid);
        err_no = errno;
        ldap_control_free(page);
        if (lrc == LDAP_SUCCESS)
            lrc = page_entries(ld, msgid, &tv, fn, ctx, &rc, &res, &err_no);
        if (res == NULL) {
            if (rc == AK_OK) /* else fn's own error stops the search */
                rc = failed(c, lrc, err_no, "search", base, log);
            break;
        }
        lrc = ldap_parse_result(ld, res, &err, NULL, &diag, NULL, &rctrls, 1);
        if (lrc != LDAP_SUCCESS)
            err = lrc;
        if (err != LDAP_SUCCESS) {
            (void)ak_conn_check(c, err, 0); /* busy, going away, undecodable */
            ak_log(log, LOG_ERR, "search %s: %s%s%s%s", base,
                   ldap_err2string(err), diag && *diag ? "; " : "",
                   diag && *diag ? diag : "",
                   err == LDAP_SIZELIMIT_EXCEEDED ||
                           err == LDAP_ADMINLIMIT_EXCEEDED
                       ? " (the bound identity needs a higher size limit: "
                         "olcLimits)"
                       : "");
            rc = ak_ldap_status(err);
        }
        ldap_memfree(diag);
        ber_memfree(cookie.bv_val);
        cookie.bv_val = NULL;
        cookie.bv_len = 0;
        resp = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, rctrls, NULL);
        if (rc == AK_OK && resp != NULL) {
            ber_int_t estimate = 0;
            if (ldap_parse_pageresponse_control(ld, resp, &estimate, &cookie) !=
                LDAP_SUCCESS)
                rc = AK_ERR_BACKEND;
        }
        ldap_controls_free(rctrls);
    } while (rc == AK_OK && cookie.bv_val != NULL && cookie.bv_len > 0);
    ber_memfree(cookie.bv_val);
    return rc;
}

int ak_manage_child_dn(const char *attr, const char *value, const char *parent,
                       char **out)
{
    LDAPAVA ava;
    LDAPAVA *rdn[2] = {&ava, NULL};
    char *s = NULL;
    int n;

    *out = NULL;
    if (value == NULL || value[0] == '\0')
        return AK_ERR_INVALID;
    memset(&ava, 0, sizeof(ava));
    ava.la_attr.bv_val = (char *)(uintptr_t)attr;
    ava.la_attr.bv_len = strlen(attr);
    ava.la_value.bv_val = (char *)(uintptr_t)value;
    ava.la_value.bv_len = strlen(value);
    ava.la_flags = LDAP_AVA_STRING;
    if (ldap_rdn2str(rdn, &s, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS ||
        s == NULL)
        return AK_ERR_NOMEM;
    n = asprintf(out, "%s,%s", s, parent);
    ldap_memfree(s);
    if (n < 0) {
        *out = NULL;
        return AK_ERR_NOMEM;
    }
    return AK_OK;
}
