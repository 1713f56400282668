/* SPDX-License-Identifier: BSD-3-Clause */
/* policy_set.c - apikey policy set: change the policy, say what it stops */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "ak_manage.h"
#include "ak_schema.h"
#include "ak_status.h"
#include "policy.h"
#include "when.h"

/* Keys valid under the old policy that the new one stops. */
struct impact {
    const struct cli *cli;
    const struct ak_policy *old_p, *new_p;
    time_t now;
    unsigned n;
    char ids[10][AK_KEY_ID_LEN + 1];
};

static int impact_entry(void *ctx, LDAP *ld, LDAPMessage *e)
{
    struct impact *im = ctx;
    struct ak_holder h;

    if (ak_holder_fill(ld, e, im->cli->cfg, time(NULL), &h) != AK_OK)
        return AK_ERR_NOMEM;
    for (unsigned i = 0; i < h.n_records; i++) {
        struct ak_record r;
        if (ak_holder_key(&h, i, &r, NULL) != AK_OK ||
            ak_policy_judge(im->old_p, &r, im->now, NULL, NULL) !=
                AK_KEY_VALID ||
            ak_policy_judge(im->new_p, &r, im->now, NULL, NULL) == AK_KEY_VALID)
            continue;
        if (im->n < 10)
            memcpy(im->ids[im->n], r.id, sizeof(im->ids[0]));
        im->n++;
    }
    ak_holder_free(&h);
    return AK_OK;
}

/* Tell the admin which keys stop working; silent when we may not look. */
static void warn_impact(struct cli *cli, const struct ak_policy *old_p,
                        const struct ak_policy *new_p)
{
    struct impact im = {
        .cli = cli, .old_p = old_p, .new_p = new_p, .now = time(NULL)};
    char *attrs[AK_HOLDER_N_ATTRS + 1];
    struct ak_log quiet = {0};
    struct ak_conn *c;

    ak_holder_attrs(cli->cfg, attrs);
    if (cli_conn(cli, &c) == EXIT_OK &&
        ak_manage_search(c, cli->cfg, cli->cfg->search_base, LDAP_SCOPE_SUBTREE,
                         "(&(objectClass=" AK_OC_HOLDER ")(" AK_AT_ID "=*))",
                         attrs, 0, impact_entry, &im, &quiet) == AK_OK &&
        im.n > 0) {
        char list[10 * (AK_KEY_ID_LEN + 1) + 8] = "";
        for (unsigned i = 0; i < im.n && i < 10; i++) {
            strcat(list, i ? "," : "");
            strcat(list, im.ids[i]);
        }
        cli_err("warning: %u key(s) stop working under the new policy: "
                "%s%s (see 'apikey list --all --expired')",
                im.n, list, im.n > 10 ? ",..." : "");
    }
}

/* "30,7,1" into distinct values, largest first. */
static int parse_days_list(const char *s, struct ak_policy *p)
{
    char buf[256];
    char *save = NULL;

    p->n_notice_days = 0;
    if (strlen(s) >= sizeof(buf))
        return EXIT_USAGE;
    snprintf(buf, sizeof(buf), "%s", s);
    for (char *t = strtok_r(buf, ",", &save); t != NULL;
         t = strtok_r(NULL, ",", &save)) {
        long d;
        unsigned k;
        if (when_parse_days(t, 1, AK_NOTICE_DAYS_MAX, &d) != AK_OK ||
            p->n_notice_days == AK_NOTIFIED_MAX)
            return EXIT_USAGE;
        for (k = 0; k < p->n_notice_days; k++)
            if (p->notice_days[k] == (unsigned)d)
                return EXIT_USAGE;
        /* keep sorted, largest first */
        for (k = p->n_notice_days; k > 0 && p->notice_days[k - 1] < d; k--)
            p->notice_days[k] = p->notice_days[k - 1];
        p->notice_days[k] = (unsigned)d;
        p->n_notice_days++;
    }
    return p->n_notice_days > 0 ? EXIT_OK : EXIT_USAGE;
}

static bool is_none(const char *s)
{
    return strcmp(s, "none") == 0 || strcmp(s, "0") == 0;
}

/* The options as given (NULL: not given). */
struct set_args {
    const char *req, *max, *days, *rec;
};

/* The command line. EXIT_OK, EXIT_USAGE, or -1 after --help. */
static int set_args(int argc, char **argv, struct set_args *a)
{
    static const struct option longopts[] = {
        {"require-expiry", required_argument, NULL, 'r'},
        {"max-lifetime", required_argument, NULL, 'm'},
        {"notice-days", required_argument, NULL, 'n'},
        {"recipients", required_argument, NULL, 'R'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    memset(a, 0, sizeof(*a));
    while ((c = cli_getopt(argc, argv, "h", longopts)) != -1) {
        if (c == 'r')
            a->req = optarg;
        else if (c == 'm')
            a->max = optarg;
        else if (c == 'n')
            a->days = optarg;
        else if (c == 'R')
            a->rec = optarg;
        else if (c == 'h')
            return -1;
        else if (c == CLI_OPT_MISPLACED)
            return CLI_OPT_MISPLACED; /* explained: no usage text */
        else
            return EXIT_USAGE;
    }
    if (optind != argc || (!a->req && !a->max && !a->days && !a->rec)) {
        if (optind == argc)
            cli_err("policy set: nothing to change");
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

static int value_require(const char *v, struct ak_policy_change *ch)
{
    ch->what |= AK_POLICY_SET_REQUIRE_EXPIRY;
    if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0)
        ch->p.require_expiry = true;
    else if (strcmp(v, "no") != 0 && strcmp(v, "false") != 0) {
        cli_err("--require-expiry '%s': give yes or no", v);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

static int value_max(const char *v, struct ak_policy_change *ch)
{
    long d;

    ch->what |= AK_POLICY_SET_MAX_LIFETIME;
    if (is_none(v))
        return EXIT_OK;
    if (when_parse_days(v, 1, AK_MAX_LIFETIME_DAYS, &d) != AK_OK) {
        cli_err("--max-lifetime '%s': give a number of days from 1 to %d, "
                "or none",
                v, AK_MAX_LIFETIME_DAYS);
        return EXIT_USAGE;
    }
    ch->p.max_lifetime_days = (unsigned)d;
    return EXIT_OK;
}

static int value_days(const char *v, struct ak_policy_change *ch)
{
    ch->what |= AK_POLICY_SET_NOTICE_DAYS;
    if (is_none(v) || parse_days_list(v, &ch->p) == EXIT_OK)
        return EXIT_OK;
    cli_err("--notice-days '%s': give up to %d distinct day counts "
            "from 1 to %d, comma-separated, or none",
            v, AK_NOTIFIED_MAX, AK_NOTICE_DAYS_MAX);
    return EXIT_USAGE;
}

static int value_recipients(const char *v, struct ak_mail_list *rec,
                            struct ak_policy_change *ch)
{
    const char *bad = NULL;
    int rc;

    ch->what |= AK_POLICY_SET_RECIPIENTS;
    ch->recipients = rec;
    memset(rec, 0, sizeof(*rec));
    if (strcmp(v, "none") == 0)
        return EXIT_OK;
    rc = ak_mail_list_parse(v, rec, &bad);
    if (rc == AK_ERR_INVALID && bad == NULL)
        cli_err("--recipients: list too long");
    else if (rc == AK_ERR_INVALID)
        cli_err("--recipients: '%s' is not a plain mail address (or "
                "more than %d)",
                bad, AK_RECIPIENTS_MAX);
    else if (rc == AK_ERR_CONFLICT)
        cli_err("--recipients: %s given twice", bad);
    return rc == AK_OK ? EXIT_OK : EXIT_USAGE;
}

/* Check every value before touching the directory. */
static int set_values(const struct set_args *a, struct ak_mail_list *rec,
                      struct ak_policy_change *ch)
{
    int rc = EXIT_OK;

    memset(ch, 0, sizeof(*ch));
    if (a->req != NULL)
        rc = value_require(a->req, ch);
    if (rc == EXIT_OK && a->max != NULL)
        rc = value_max(a->max, ch);
    if (rc == EXIT_OK && a->days != NULL)
        rc = value_days(a->days, ch);
    if (rc == EXIT_OK && a->rec != NULL)
        rc = value_recipients(a->rec, rec, ch);
    return rc;
}

/* What changed, for the audit line: "require_expiry=yes max_lifetime=60
 * notice_days recipients". */
static void describe(const struct ak_policy_change *ch, char *buf, size_t size)
{
    size_t n;

    buf[0] = '\0';
    if (ch->what & AK_POLICY_SET_REQUIRE_EXPIRY)
        snprintf(buf, size, "require_expiry=%s ",
                 ch->p.require_expiry ? "yes" : "no");
    n = strlen(buf);
    if (ch->what & AK_POLICY_SET_MAX_LIFETIME && ch->p.max_lifetime_days > 0)
        snprintf(buf + n, size - n, "max_lifetime=%u ",
                 ch->p.max_lifetime_days);
    else if (ch->what & AK_POLICY_SET_MAX_LIFETIME)
        snprintf(buf + n, size - n, "max_lifetime=none ");
    n = strlen(buf);
    snprintf(buf + n, size - n, "%s%s",
             ch->what & AK_POLICY_SET_NOTICE_DAYS ? "notice_days " : "",
             ch->what & AK_POLICY_SET_RECIPIENTS ? "recipients " : "");
    n = strlen(buf);
    if (n > 0)
        buf[n - 1] = '\0';
}

/* Write the change (the entry as read says whether its class is there). */
static int apply(struct cli *cli, const struct ak_policy_entry *old,
                 struct ak_policy_change *ch)
{
    char changes[256];
    struct ak_conn *conn;
    int rc = cli_conn(cli, &conn);

    ch->add_class = !old->has_class;
    if (rc == EXIT_OK) {
        rc = ak_store_change_policy(conn, cli->cfg, ch, &cli->log);
        if (rc != AK_OK)
            rc = cli_change_failed(cli, rc, "change the policy",
                                   cli->cfg->policy_dn);
    }
    describe(ch, changes, sizeof(changes));
    cli_audit(cli, "policy-set", rc, NULL, cli->cfg->policy_dn,
              "changes=\"%s\"", changes);
    return rc;
}

int policy_set(struct cli *cli, int argc, char **argv)
{
    struct set_args a;
    struct ak_policy_change ch;
    struct ak_mail_list rec;
    struct ak_policy_entry v = {0}, now = {0};
    int rc = set_args(argc, argv, &a);

    if (rc == CLI_OPT_MISPLACED)
        return EXIT_USAGE;
    if (rc != EXIT_OK) {
        policy_usage(rc < 0 ? stdout : stderr);
        return rc < 0 ? EXIT_OK : rc;
    }
    rc = set_values(&a, &rec, &ch);
    if (rc != EXIT_OK)
        return rc;
    rc = cli_open_self(cli);
    if (rc != EXIT_OK)
        return rc;
    rc = policy_read(cli, &v);
    /* a bad stored value is what set is there to repair */
    if (rc == EXIT_CONFIG && cli->cfg->policy_dn != NULL)
        rc = EXIT_OK;
    if (rc == EXIT_OK)
        rc = apply(cli, &v, &ch);
    /* the policy as it is now, and the keys it stops */
    if (rc == EXIT_OK && policy_read(cli, &now) == EXIT_OK) {
        policy_print(cli, &now, cli->json);
        warn_impact(cli, &v.p, &now.p);
    }
    ak_policy_entry_free(&v);
    ak_policy_entry_free(&now);
    return rc;
}
