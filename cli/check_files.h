/* SPDX-License-Identifier: BSD-3-Clause */
/* check_files.h - check-config: can each host read apikey's files? */
#ifndef AK_CHECK_FILES_H
#define AK_CHECK_FILES_H

#include <stdbool.h>

#include "ak_config.h"

/* The hosts of --host, as bits. */
enum {
    HOST_SSHD = 1 << 0,
    HOST_SU = 1 << 1,
    HOST_SASLAUTHD = 1 << 2,
    HOST_POSTFIX = 1 << 3,
    HOST_OPENLDAP = 1 << 4,
    HOST_CYRUS = 1 << 5,
    HOST_EXPIRYD = 1 << 6,
    HOST_ALL = (1 << 7) - 1,
};

/* Parse a --host value (comma-separated names or "all") into *mask (or'ed
 * in). False, with a message on stderr, on an unknown name. */
bool check_hosts_parse(const char *arg, unsigned *mask);

/*
 * Check the files of cfg (the config file itself, bind_pw_file, the TLS CA
 * file or directory, the client certificate and key) as each host of mask
 * would read them: with the uid and groups of the account the host runs
 * as (root; postfix; openldap or ldap; cyrus; apikey-expiryd, which reads
 * notice_bind_pw_file instead when it is set), by the rules the PAM module
 * and the SASL plugin apply (ak_file_read: owner root or that uid, not
 * writable by group or others, a secret not readable by others) and the
 * permissions of every directory on the way. mask 0: as this process.
 * Prints one "ok ..." or "problem: ..." line per host (per file for a
 * problem), "note: ..." for a host whose account does not exist here.
 * Returns true when nothing is wrong.
 */
bool check_files(const struct ak_config *cfg, unsigned mask);

#endif
