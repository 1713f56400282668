/* SPDX-License-Identifier: BSD-3-Clause */
/* ex.h - apikey-expiryd: what one run of the daemon holds */
#ifndef EX_H
#define EX_H

#include <signal.h>
#include <stdbool.h>
#include <time.h>

#include "ak_config.h"
#include "ak_ldap.h"
#include "ak_log.h"
#include "ak_store_policy.h"
#include "aside.h"
#include "mine.h"
#include "written.h"

/* Exit statuses, as apikey(1)'s where they mean the same. */
enum {
    EX_EXIT_OK = 0,
    EX_EXIT_INCOMPLETE = 1, /* --once: not every due notice went out */
    EX_EXIT_USAGE = 2,
    EX_EXIT_CONFIG = 3,
    EX_EXIT_UNAVAILABLE = 4,
    EX_EXIT_INTERNAL = 10,
};

struct ex_stats {
    unsigned holders, keys;
    unsigned claimed, lost; /* claims made / taken by another daemon */
    unsigned sent, deferred, failed, skipped;
    unsigned maybe_twice; /* sent, but the claim had been taken over */
    unsigned postponed;   /* due, not claimed: notice_rate's bound */
    unsigned left;        /* claimed, not sent: the lease would run out */
    unsigned pruned;      /* ended keys housekeeping removed */
};

struct ex {
    const char *conf_path; /* absolute (conf_own when made so) */
    char *conf_own;
    struct ak_config *cfg;
    struct ak_log log;
    struct ak_dir *rd; /* reads: the config's URIs, failover */
    struct ak_dir *wr; /* claims: notice_write_uri (or the first uri) */
    struct ak_dir *ps; /* the syncrepl session's own connection (the
                          config's URIs): it never takes one of rd's */
    bool once, dry_run, verbose;
    char host[65];
    struct ak_policy_entry pol;
    bool have_policy;      /* pol was read once: nothing is planned before */
    struct ex_stats st;    /* this pass (or full refresh) */
    struct ex_stats total; /* the passes before it, since started */
    time_t started;
    const char *mode; /* "scan" (NULL too) or "syncrepl", for --status */
    unsigned seen_holders, seen_keys; /* by the last complete pass */
    char status[4096];                /* the status file as last written */
    time_t next_due;  /* earliest moment a tracked notice falls due, 0 none */
    time_t last_pass; /* when the last complete pass ended */
    bool pass_complete;
    bool cleaned; /* housekeeping ran (cleaned_at: CLOCK_MONOTONIC) */
    time_t cleaned_at;
    char *tmpl[2]; /* notice_template_dir's owner.txt and admin.txt, by
                      enum ak_msg_class; NULL: the built-in text */
    size_t tmpl_len[2];
    struct ex_mine mine;       /* the notice values we wrote lately */
    struct ex_written written; /* our last write to each entry */
    struct ex_aside aside;     /* holder entries it cannot read (this run) */
    /* notice_rate: the next slot of the mailer, of notify_command */
    struct timespec rate_next, notify_next;
};

/* Set by the signal handlers; the loop looks at them between steps. */
extern volatile sig_atomic_t ex_stop, ex_reload;

/* Open the directory pools for e->cfg (the daemon's own bind). */
int ex_open(struct ex *e);
void ex_close(struct ex *e);

/* One complete pass over every key holder: due notices are claimed,
 * delivered and recorded. AK_OK only when the scan was complete. */
int ex_pass(struct ex *e);

/* Read the policy (its stages and admin recipients) into e->pol, as a pass
 * does first; on failure e->pol is left as it was. */
int ex_read_policy(struct ex *e);

/* Driven by syncrepl until a signal; EX_SYNC_UNSUPPORTED (sync.h) when
 * the server has no syncprov for the holders (then scan instead). */
int ex_run_sync(struct ex *e);

/* Read (again) and free the notice templates of the configuration. */
void ex_templates_load(struct ex *e);
void ex_templates_free(struct ex *e);

/* Warn once per configuration when claims could reach two providers. */
void ex_check_providers(struct ex *e);

/* A pass (or a full syncrepl refresh) begins: the counts of the last one
 * join e->total and e->st starts from zero. */
void ex_stats_begin(struct ex *e);
/* It saw every holder: e->last_pass and what it saw, for --status. */
void ex_pass_seen(struct ex *e);

/* Write the status file (after a pass, a refresh, a delivery in syncrepl
 * mode) and print it (--status). */
void ex_status_write(struct ex *e);
int ex_status_print(const struct ak_config *cfg);

#endif
