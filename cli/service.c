/* SPDX-License-Identifier: BSD-3-Clause */
/* service.c - options, reading and printing shared by apikey service */
#include "service.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "ak_dn.h"
#include "ak_mail.h"
#include "ak_status.h"
#include "ak_text.h"

/* Check and keep the value of option c; EXIT_USAGE with a message when
 * it is not one the directory may store. */
static int svc_opt(int c, const char *arg, struct svc_opts *o)
{
    char why[96];

    switch (c) {
    case 'o':
        if (o->n_owners == AK_SERVICE_OWNERS_MAX) {
            cli_err("--owner: at most %d people", AK_SERVICE_OWNERS_MAX);
            return EXIT_USAGE;
        }
        o->owners[o->n_owners++] = arg;
        break;
    case 'd':
        if (!ak_text_shown_ok(arg, strlen(arg), AK_SERVICE_TEXT_MAX, why,
                              sizeof(why))) {
            cli_err("--description: %s", why);
            return EXIT_USAGE;
        }
        o->description = arg;
        break;
    case 'n':
        if (arg[0] == '\0') {
            cli_err("--display-name: give a name (it cannot be removed)");
            return EXIT_USAGE;
        }
        if (!ak_text_shown_ok(arg, strlen(arg), AK_SERVICE_DISPLAY_MAX, why,
                              sizeof(why))) {
            cli_err("--display-name: %s", why);
            return EXIT_USAGE;
        }
        o->display = arg;
        break;
    case 'm':
        if (arg[0] != '\0' && !ak_mail_ok(arg)) {
            cli_err("--mail '%s' is not a plain address (local@domain)", arg);
            return EXIT_USAGE;
        }
        o->mail = arg;
        break;
    case 'j':
        o->json = true;
        break;
    case 'f':
        o->force = true;
        break;
    }
    return EXIT_OK;
}

int svc_parse(int argc, char **argv, const char *usage, const char *allowed,
              struct svc_opts *o)
{
    static const struct option longopts[] = {
        {"owner", required_argument, NULL, 'o'},
        {"description", required_argument, NULL, 'd'},
        {"display-name", required_argument, NULL, 'n'},
        {"mail", required_argument, NULL, 'm'},
        {"json", no_argument, NULL, 'j'},
        {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    memset(o, 0, sizeof(*o));
    /* --owner adds people each time; the other values are single */
    while ((c = cli_getopt_lists(argc, argv, "h", longopts, "o")) != -1) {
        if (c == CLI_OPT_MISPLACED)
            return EXIT_USAGE;
        if (c == 'h') {
            printf("Usage: apikey service %s\n", usage);
            return -1;
        }
        if (c == '?' || strchr(allowed, c) == NULL) {
            if (c != '?')
                cli_err("service %s: option not accepted here", argv[0]);
            fprintf(stderr, "Usage: apikey service %s\n", usage);
            return EXIT_USAGE;
        }
        if (svc_opt(c, optarg, o) != EXIT_OK)
            return EXIT_USAGE;
    }
    /* one NAME; list takes none */
    if (optind + 1 != argc &&
        (strcmp(argv[0], "list") != 0 || optind != argc)) {
        fprintf(stderr, "Usage: apikey service %s\n", usage);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

int svc_read(struct cli *cli, const char *name, struct ak_service *s)
{
    struct ak_holder found;
    struct ak_conn *c;
    int rc;

    memset(s, 0, sizeof(*s));
    rc = cli_find_user(cli, name, &found);
    if (rc == EXIT_OK && !found.service_user) {
        cli_err("%s (%s) is not a service user", name, found.dn);
        rc = EXIT_NOT_FOUND;
    }
    if (rc == EXIT_OK)
        rc = cli_conn(cli, &c);
    if (rc == EXIT_OK) {
        rc = ak_service_read(c, cli->cfg, found.dn, &cli->log, s);
        if (rc == AK_ERR_NOT_FOUND)
            cli_err("%s is gone", found.dn);
        rc = rc == AK_OK ? EXIT_OK : cli_exit_for(rc);
    }
    ak_holder_free(&found);
    return rc;
}

int svc_begin_read(struct cli *cli, const char *name, struct ak_conn **c,
                   struct ak_policy *pol, struct ak_service *s)
{
    int rc = cli_begin(cli, c, pol);
    memset(s, 0, sizeof(*s));
    return rc == EXIT_OK ? svc_read(cli, name, s) : rc;
}

const char *svc_state(const struct ak_service *s, char *buf, size_t size)
{
    if (s->h.disabled)
        snprintf(buf, size, "disabled");
    else if (s->h.locked != NULL)
        snprintf(buf, size, "locked (%s)", s->h.locked);
    else
        snprintf(buf, size, "enabled");
    return buf;
}

void svc_owners_text(const struct ak_service *s, char *buf, size_t size)
{
    size_t o = 0;
    buf[0] = '\0';
    for (unsigned i = 0; i < s->h.n_owners && o < size; i++) {
        char name[128];
        o += (size_t)snprintf(buf + o, size - o, "%s%s", i ? "," : "",
                              cli_dn_name(name, sizeof(name), s->h.owners[i]));
    }
    if (o == 0)
        snprintf(buf, size, "-");
}

/* "null" or the string. */
static void json_str_or_null(FILE *f, const char *s)
{
    if (s != NULL)
        cli_json_str(f, s);
    else
        fputs("null", f);
}

void svc_json(FILE *f, const struct ak_service *s, const struct ak_policy *pol,
              time_t now, bool close)
{
    unsigned total, active;

    ak_service_keys(s, pol, now, &total, &active);
    fputs("{\"name\":", f);
    cli_json_str(f, s->h.name ? s->h.name : "");
    fputs(",\"dn\":", f);
    cli_json_str(f, s->h.dn);
    fputs(",\"display_name\":", f);
    cli_json_str(f, s->display ? s->display : "");
    fputs(",\"description\":", f);
    cli_json_str(f, s->description ? s->description : "");
    fputs(",\"mail\":", f);
    json_str_or_null(f, s->mail);
    fprintf(f,
            ",\"disabled\":%s,\"locked\":", s->h.disabled ? "true" : "false");
    json_str_or_null(f, s->h.locked);
    fputs(",\"owners\":[", f);
    for (unsigned i = 0; i < s->h.n_owners; i++) {
        if (i > 0)
            fputc(',', f);
        cli_json_str(f, s->h.owners[i]);
    }
    fprintf(f, "],\"keys\":%u,\"active_keys\":%u%s", total, active,
            close ? "}" : "");
}

/* Person p may be responsible: found, not a service user, not named
 * before. Its DN goes into dns[*n]. */
static int add_owner(struct cli *cli, const char *p, char **dns, unsigned *n)
{
    struct ak_holder h;
    int rc = cli_find_user(cli, p, &h);

    if (rc == EXIT_OK && h.service_user) {
        cli_err("--owner %s: a service user cannot be responsible; name "
                "people",
                p);
        rc = EXIT_USAGE;
    }
    for (unsigned i = 0; rc == EXIT_OK && i < *n; i++)
        if (ak_dn_equal(dns[i], h.dn)) {
            cli_err("--owner: %s given twice", p);
            rc = EXIT_USAGE;
        }
    if (rc == EXIT_OK) {
        dns[(*n)++] = h.dn;
        h.dn = NULL;
    }
    ak_holder_free(&h);
    return rc;
}

/* The people of one --owner LIST, after those of the ones before it. */
static int add_owners(struct cli *cli, const char *list, char **dns,
                      unsigned *n)
{
    char buf[4096];
    char *save = NULL;
    int rc = EXIT_OK;

    if (strlen(list) >= sizeof(buf)) {
        cli_err("--owner: %zu bytes, at most %zu", strlen(list),
                sizeof(buf) - 1);
        return EXIT_USAGE;
    }
    snprintf(buf, sizeof(buf), "%s", list);
    for (char *p = strtok_r(buf, ",", &save); p != NULL && rc == EXIT_OK;
         p = strtok_r(NULL, ",", &save)) {
        if (*n == AK_SERVICE_OWNERS_MAX) {
            cli_err("--owner: at most %d people", AK_SERVICE_OWNERS_MAX);
            return EXIT_USAGE;
        }
        rc = add_owner(cli, p, dns, n);
    }
    return rc;
}

int svc_resolve_owners(struct cli *cli, const struct svc_opts *o, char **dns,
                       unsigned *n)
{
    int rc = EXIT_OK;

    *n = 0;
    for (unsigned i = 0; i < o->n_owners && rc == EXIT_OK; i++)
        rc = add_owners(cli, o->owners[i], dns, n);
    if (rc == EXIT_OK && *n == 0) {
        cli_err("--owner: name at least one person responsible");
        rc = EXIT_USAGE;
    }
    return rc;
}

void svc_free_dns(char **dns, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        free(dns[i]);
}
