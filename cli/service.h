/* SPDX-License-Identifier: BSD-3-Clause */
/* service.h - what the apikey service subcommands share */
#ifndef AK_CLI_SERVICE_H
#define AK_CLI_SERVICE_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "ak_store_service.h"
#include "cli.h"

/* The subcommands (service_*.c); argv[0] is the subcommand's name. */
int svc_create(struct cli *cli, int argc, char **argv);
int svc_list(struct cli *cli, int argc, char **argv);
int svc_show(struct cli *cli, int argc, char **argv);
int svc_modify(struct cli *cli, int argc, char **argv);
int svc_disable(struct cli *cli, int argc, char **argv);
int svc_enable(struct cli *cli, int argc, char **argv);
int svc_delete(struct cli *cli, int argc, char **argv);

/* --- service.c --- */

struct svc_opts {
    /* each --owner USER[,USER...]: every one counts (an LDAP admin adds
     * values; none is dropped) */
    const char *owners[AK_SERVICE_OWNERS_MAX];
    unsigned n_owners;
    const char *description, *display, *mail;
    bool json, force;
};

/* Parse the options of a subcommand (allowed: the option letters it
 * takes). EXIT_OK, EXIT_USAGE, or -1 after --help. */
int svc_parse(int argc, char **argv, const char *usage, const char *allowed,
              struct svc_opts *o);

/* The service user name with its details, with clear messages. */
int svc_read(struct cli *cli, const char *name, struct ak_service *s);

/* cli_begin, then svc_read (show, delete). */
int svc_begin_read(struct cli *cli, const char *name, struct ak_conn **c,
                   struct ak_policy *pol, struct ak_service *s);

/* "disabled" (apiKeyDisabled, the admin's switch), "locked (<reason>)"
 * (any other lock of its owner state: ppolicy, shadowExpire, ...: its
 * keys are refused all the same) or "enabled" into buf. */
const char *svc_state(const struct ak_service *s, char *buf, size_t size);

/* The owners' names, comma-separated ("-": none). */
void svc_owners_text(const struct ak_service *s, char *buf, size_t size);

/* The JSON object of s; left open when more fields follow. */
void svc_json(FILE *f, const struct ak_service *s, const struct ak_policy *pol,
              time_t now, bool close);

/* Resolve the people of o's --owner options (each a comma-separated
 * list) into DNs (dns[i]: malloc'd, room for AK_SERVICE_OWNERS_MAX + 1),
 * with clear messages. */
int svc_resolve_owners(struct cli *cli, const struct svc_opts *o, char **dns,
                       unsigned *n);
void svc_free_dns(char **dns, unsigned n);

#endif
