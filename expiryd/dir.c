/* SPDX-License-Identifier: BSD-3-Clause */
/* dir.c - the daemon's two directory pools: reads with failover, and
 * claims on one writable server */
#include <string.h>

#include "ak_secure.h"
#include "ak_status.h"
#include "ex.h"

/*
 * Reads go to any of the config's URIs. Claims go to one server only
 * (notice_write_uri, else the first uri): the add-with-assertion that
 * claims a notice is decided by the server that applies it, so every
 * daemon must send its claims to the same provider; two providers of a
 * multi-provider pair could each accept one claim before replicating.
 */
int ex_open(struct ex *e)
{
    const struct ak_config *cfg = e->cfg;
    const char *dn = cfg->notice_bind_dn ? cfg->notice_bind_dn : cfg->bind_dn;
    const char *pwf =
        cfg->notice_bind_dn ? cfg->notice_bind_pw_file : cfg->bind_pw_file;
    struct ak_bind b = {.dn = dn, .mech = dn ? NULL : cfg->sasl_mech};
    char *pw = NULL;
    size_t pw_len = 0;
    int rc = AK_OK;

    if (dn != NULL) {
        if (pwf == NULL) {
            ak_log(&e->log, LOG_ERR, "%s: %s needs its password file",
                   cfg->path,
                   cfg->notice_bind_dn ? "notice_bind_dn" : "bind_dn");
            return AK_ERR_CONFIG;
        }
        rc = ak_bindpw_read(pwf, &e->log, &pw, &pw_len);
        if (rc != AK_OK)
            return rc;
        b.pw = pw;
        b.pw_len = pw_len;
    }
    rc = ak_dir_open_bind(&e->rd, cfg, &b, &e->log);
    if (rc == AK_OK)
        rc = ak_dir_open_bind(&e->ps, cfg, &b, &e->log);
    if (rc == AK_OK) {
        b.uri = cfg->notice_write_uri ? cfg->notice_write_uri : cfg->uri[0];
        rc = ak_dir_open_bind(&e->wr, cfg, &b, &e->log);
    }
    ak_file_free(pw, pw_len, AK_FILE_SECRET);
    return rc;
}

void ex_close(struct ex *e)
{
    ak_dir_close(e->wr);
    ak_dir_close(e->ps);
    ak_dir_close(e->rd);
    e->wr = e->ps = e->rd = NULL;
}
