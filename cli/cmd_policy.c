/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_policy.c - apikey policy: show and set the organisation's key policy */
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ak_dn.h"
#include "ak_manage.h"
#include "ak_schema.h"
#include "ak_status.h"
#include "ak_store.h"
#include "cli.h"
#include "when.h"

#define RECIPIENTS_MAX 16

static void policy_usage(FILE *f)
{
    fprintf(f,
            "Usage: apikey policy show [--json]\n"
            "       apikey policy set [--require-expiry yes|no]\n"
            "                         [--max-lifetime DAYS|none]\n"
            "                         [--notice-days DAYS[,DAYS...]|none]\n"
            "                         [--recipients ADDR[,ADDR...]|none]\n"
            "\n"
            "The organisation's key policy, on the entry named by policy_dn. "
            "It is\n"
            "enforced when keys are made and at every use: a key beyond the "
            "maximum\n"
            "lifetime (counted from its creation) or without expiry under\n"
            "require-expiry stops working at once. 'set' changes only what "
            "it is\n"
            "given (admins), and warns about keys the change stops.\n"
            "\n"
            "  --require-expiry yes|no   every key must have an expiry date\n"
            "  --max-lifetime DAYS|none  at most DAYS days from creation\n"
            "  --notice-days LIST|none   expiry notices so many days before\n"
            "  --recipients LIST|none    admins who get every expiry notice\n");
}

struct pol_view {
    struct ak_policy p;
    bool has_class;
    unsigned n_recips;
    char *recips[RECIPIENTS_MAX];
};

static void view_free(struct pol_view *v)
{
    for (unsigned i = 0; i < v->n_recips; i++)
        free(v->recips[i]);
    memset(v, 0, sizeof(*v));
}

static int read_view(struct cli *cli, struct pol_view *v)
{
    char *attrs[] = {
        AK_LDAP_STR("objectClass"),          AK_LDAP_STR(AK_AT_REQUIRE_EXPIRY),
        AK_LDAP_STR(AK_AT_MAX_LIFETIME),     AK_LDAP_STR(AK_AT_NOTICE_DAYS),
        AK_LDAP_STR(AK_AT_NOTICE_RECIPIENT), NULL};
    static const char *const names[] = {AK_AT_REQUIRE_EXPIRY,
                                        AK_AT_MAX_LIFETIME, AK_AT_NOTICE_DAYS};
    LDAPMessage *res = NULL, *e;
    struct ak_conn *c;
    struct berval **vals;
    LDAP *ld;
    int rc;

    memset(v, 0, sizeof(*v));
    if (cli->cfg->policy_dn == NULL) {
        cli_err("%s sets no policy_dn: there is no policy entry to use",
                cli->cfg->path);
        return EXIT_CONFIG;
    }
    rc = cli_conn(cli, &c);
    if (rc != EXIT_OK)
        return rc;
    ld = ak_conn_ld(c);
    rc = ak_conn_search(c, cli->cfg->policy_dn, LDAP_SCOPE_BASE,
                        "(objectClass=*)", attrs, 1, &cli->log, &res);
    if (rc != AK_OK)
        return cli_exit_for(rc);
    e = ldap_first_entry(ld, res);
    if (e == NULL) {
        cli_err("policy entry %s: not found or not readable",
                cli->cfg->policy_dn);
        ldap_msgfree(res);
        return EXIT_NOT_FOUND;
    }
    vals = ldap_get_values_len(ld, e, "objectClass");
    for (int i = 0; vals != NULL && vals[i] != NULL; i++)
        if (vals[i]->bv_len == strlen(AK_OC_POLICY) &&
            strncasecmp(vals[i]->bv_val, AK_OC_POLICY, vals[i]->bv_len) == 0)
            v->has_class = true;
    ldap_value_free_len(vals);
    for (size_t a = 0; a < 3 && rc == AK_OK; a++) {
        vals = ldap_get_values_len(ld, e, names[a]);
        for (int i = 0; vals != NULL && vals[i] != NULL && rc == AK_OK; i++) {
            const char *why = NULL;
            if (ak_policy_set(&v->p, names[a], vals[i]->bv_val, vals[i]->bv_len,
                              &why) != AK_OK) {
                cli_err("policy entry %s: bad value of %s: fix it (apikey "
                        "policy set)",
                        cli->cfg->policy_dn, names[a]);
                rc = AK_ERR_MALFORMED;
            }
        }
        ldap_value_free_len(vals);
    }
    vals = ldap_get_values_len(ld, e, AK_AT_NOTICE_RECIPIENT);
    for (int i = 0; vals != NULL && vals[i] != NULL; i++)
        if (v->n_recips < RECIPIENTS_MAX)
            v->recips[v->n_recips++] =
                strndup(vals[i]->bv_val, vals[i]->bv_len);
    ldap_value_free_len(vals);
    ldap_msgfree(res);
    if (rc != AK_OK)
        return EXIT_CONFIG;
    return EXIT_OK;
}

static void show_view(const struct cli *cli, const struct pol_view *v,
                      bool json)
{
    if (json) {
        printf("{\"dn\":");
        cli_json_str(stdout, cli->cfg->policy_dn);
        printf(",\"require_expiry\":%s",
               v->p.require_expiry ? "true" : "false");
        if (v->p.max_lifetime_days > 0)
            printf(",\"max_lifetime_days\":%u", v->p.max_lifetime_days);
        else
            printf(",\"max_lifetime_days\":null");
        printf(",\"notice_days\":[");
        for (unsigned i = 0; i < v->p.n_notice_days; i++)
            printf("%s%u", i ? "," : "", v->p.notice_days[i]);
        printf("],\"recipients\":[");
        for (unsigned i = 0; i < v->n_recips; i++) {
            if (i > 0)
                putchar(',');
            cli_json_str(stdout, v->recips[i]);
        }
        printf("]}\n");
        return;
    }
    printf("policy:            %s\n", cli->cfg->policy_dn);
    printf("require expiry:    %s\n", v->p.require_expiry ? "yes" : "no");
    if (v->p.max_lifetime_days > 0)
        printf("maximum lifetime:  %u days\n", v->p.max_lifetime_days);
    else
        printf("maximum lifetime:  none\n");
    printf("notice days:       ");
    for (unsigned i = 0; i < v->p.n_notice_days; i++)
        printf("%s%u", i ? ", " : "", v->p.notice_days[i]);
    printf("%s\n", v->p.n_notice_days ? "" : "none");
    printf("admin recipients:  ");
    for (unsigned i = 0; i < v->n_recips; i++)
        printf("%s%s", i ? ", " : "", v->recips[i]);
    printf("%s\n", v->n_recips ? "" : "none");
}

static int policy_show(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct pol_view v;
    bool json = cli->json;
    int c, rc;

    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == 'j') {
            json = true;
        } else if (c == 'h') {
            policy_usage(stdout);
            return EXIT_OK;
        } else {
            policy_usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind != argc) {
        policy_usage(stderr);
        return EXIT_USAGE;
    }
    rc = cli_open_self(cli);
    if (rc != EXIT_OK)
        return rc;
    rc = read_view(cli, &v);
    if (rc == EXIT_OK)
        show_view(cli, &v, json);
    view_free(&v);
    return rc;
}

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

static int policy_set(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"require-expiry", required_argument, NULL, 'r'},
        {"max-lifetime", required_argument, NULL, 'm'},
        {"notice-days", required_argument, NULL, 'n'},
        {"recipients", required_argument, NULL, 'R'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *o_req = NULL, *o_max = NULL, *o_days = NULL, *o_rec = NULL;
    struct pol_view v = {0};
    struct ak_policy np = {0};
    char req_val[8], max_val[16], days_val[AK_NOTIFIED_MAX][8];
    char *req_vals[] = {req_val, NULL}, *max_vals[] = {max_val, NULL};
    char *days_vals[AK_NOTIFIED_MAX + 1] = {0};
    char *rec_vals[RECIPIENTS_MAX + 1] = {0};
    char rec_buf[RECIPIENTS_MAX * 256 + 1], changes[256] = "";
    char *oc_vals[] = {AK_LDAP_STR(AK_OC_POLICY), NULL};
    LDAPMod m_oc = {LDAP_MOD_ADD, AK_LDAP_STR("objectClass"), {oc_vals}};
    LDAPMod m_req = {
        LDAP_MOD_REPLACE, AK_LDAP_STR(AK_AT_REQUIRE_EXPIRY), {req_vals}};
    LDAPMod m_max = {
        LDAP_MOD_REPLACE, AK_LDAP_STR(AK_AT_MAX_LIFETIME), {max_vals}};
    LDAPMod m_days = {
        LDAP_MOD_REPLACE, AK_LDAP_STR(AK_AT_NOTICE_DAYS), {days_vals}};
    LDAPMod m_rec = {
        LDAP_MOD_REPLACE, AK_LDAP_STR(AK_AT_NOTICE_RECIPIENT), {rec_vals}};
    LDAPMod *mods[6];
    struct ak_conn *conn;
    size_t n = 0;
    int c, rc;

    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
            o_req = optarg;
            break;
        case 'm':
            o_max = optarg;
            break;
        case 'n':
            o_days = optarg;
            break;
        case 'R':
            o_rec = optarg;
            break;
        case 'h':
            policy_usage(stdout);
            return EXIT_OK;
        default:
            policy_usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind != argc || (!o_req && !o_max && !o_days && !o_rec)) {
        if (optind == argc)
            cli_err("policy set: nothing to change");
        policy_usage(stderr);
        return EXIT_USAGE;
    }
    /* Check every value before touching the directory. */
    if (o_req != NULL) {
        if (strcmp(o_req, "yes") == 0 || strcmp(o_req, "true") == 0)
            np.require_expiry = true;
        else if (strcmp(o_req, "no") != 0 && strcmp(o_req, "false") != 0) {
            cli_err("--require-expiry '%s': give yes or no", o_req);
            return EXIT_USAGE;
        }
        snprintf(req_val, sizeof(req_val), "%s",
                 np.require_expiry ? "TRUE" : "FALSE");
    }
    if (o_max != NULL && !is_none(o_max)) {
        long d;
        if (when_parse_days(o_max, 1, AK_MAX_LIFETIME_DAYS, &d) != AK_OK) {
            cli_err("--max-lifetime '%s': give a number of days from 1 to %d, "
                    "or none",
                    o_max, AK_MAX_LIFETIME_DAYS);
            return EXIT_USAGE;
        }
        np.max_lifetime_days = (unsigned)d;
        snprintf(max_val, sizeof(max_val), "%ld", d);
    }
    if (o_days != NULL && !is_none(o_days)) {
        if (parse_days_list(o_days, &np) != EXIT_OK) {
            cli_err("--notice-days '%s': give up to %d distinct day counts "
                    "from 1 to %d, comma-separated, or none",
                    o_days, AK_NOTIFIED_MAX, AK_NOTICE_DAYS_MAX);
            return EXIT_USAGE;
        }
        for (unsigned i = 0; i < np.n_notice_days; i++) {
            snprintf(days_val[i], sizeof(days_val[i]), "%u", np.notice_days[i]);
            days_vals[i] = days_val[i];
        }
    }
    if (o_rec != NULL && strcmp(o_rec, "none") != 0) {
        char *save = NULL;
        unsigned k = 0;
        if (strlen(o_rec) >= sizeof(rec_buf)) {
            cli_err("--recipients: list too long");
            return EXIT_USAGE;
        }
        snprintf(rec_buf, sizeof(rec_buf), "%s", o_rec);
        for (char *t = strtok_r(rec_buf, ",", &save); t != NULL;
             t = strtok_r(NULL, ",", &save)) {
            if (!cli_mail_ok(t) || k == RECIPIENTS_MAX) {
                cli_err("--recipients: '%s' is not a plain mail address (or "
                        "more than %d)",
                        t, RECIPIENTS_MAX);
                return EXIT_USAGE;
            }
            for (unsigned i = 0; i < k; i++)
                if (strcasecmp(rec_vals[i], t) == 0) {
                    cli_err("--recipients: %s given twice", t);
                    return EXIT_USAGE;
                }
            rec_vals[k++] = t;
        }
    }
    rc = cli_open_self(cli);
    if (rc != EXIT_OK)
        return rc;
    if (cli->cfg->policy_dn == NULL)
        return read_view(cli, &v); /* says why */
    rc = read_view(cli, &v);
    if (rc != EXIT_OK && rc != EXIT_CONFIG)
        goto out;
    rc = EXIT_OK; /* a bad stored value is what set is there to repair */
    if (!v.has_class)
        mods[n++] = &m_oc;
    if (o_req != NULL) {
        mods[n++] = &m_req;
        strcat(changes, np.require_expiry ? "require_expiry=yes "
                                          : "require_expiry=no ");
    }
    if (o_max != NULL) {
        if (is_none(o_max))
            m_max.mod_values = NULL; /* replace with nothing: remove */
        mods[n++] = &m_max;
        snprintf(changes + strlen(changes), sizeof(changes) - strlen(changes),
                 "max_lifetime=%s ", is_none(o_max) ? "none" : max_val);
    }
    if (o_days != NULL) {
        if (is_none(o_days))
            m_days.mod_values = NULL;
        mods[n++] = &m_days;
        strcat(changes, "notice_days ");
    }
    if (o_rec != NULL) {
        if (strcmp(o_rec, "none") == 0)
            m_rec.mod_values = NULL;
        mods[n++] = &m_rec;
        strcat(changes, "recipients ");
    }
    mods[n] = NULL;
    if (changes[0] != '\0')
        changes[strlen(changes) - 1] = '\0';
    rc = cli_conn(cli, &conn);
    if (rc == EXIT_OK) {
        rc = ak_conn_modify(conn, cli->cfg->policy_dn, mods, &cli->log);
        if (rc != AK_OK)
            rc = cli_change_failed(cli, rc, "change the policy",
                                   cli->cfg->policy_dn);
    }
    cli_audit(cli, "policy-set", rc, NULL, cli->cfg->policy_dn,
              "changes=\"%s\"", changes);
    if (rc != EXIT_OK)
        goto out;
    {
        struct ak_policy old_p = v.p;
        view_free(&v);
        if (read_view(cli, &v) == EXIT_OK) {
            show_view(cli, &v, cli->json);
            warn_impact(cli, &old_p, &v.p);
        }
    }
out:
    view_free(&v);
    return rc;
}

int cmd_policy(struct cli *cli, int argc, char **argv)
{
    if (argc < 2) {
        policy_usage(stderr);
        return EXIT_USAGE;
    }
    optind = 0; /* glibc: restart option parsing for the subcommand */
    if (strcmp(argv[1], "show") == 0)
        return policy_show(cli, argc - 1, argv + 1);
    if (strcmp(argv[1], "set") == 0)
        return policy_set(cli, argc - 1, argv + 1);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        policy_usage(stdout);
        return EXIT_OK;
    }
    cli_err("unknown policy command '%s'; see 'apikey policy --help'", argv[1]);
    return EXIT_USAGE;
}
