/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_sock.h - per-connection socket hardening: no SIGPIPE, bounded reads */
#ifndef AK_SOCK_H
#define AK_SOCK_H

#include <stdbool.h>

#include <ldap.h>

/*
 * A hostile or broken server announcing a 4 GiB message must not cost
 * gigabytes or seconds: liblber refuses larger answers. One search entry
 * is one message, so an entry larger than this cannot be read at all: the
 * connection is lost (liblber cannot skip a message; errno ERANGE) and
 * callers see AK_ERR_TOO_BIG (ak_ldap.h), the entry's fault, not the
 * server's; its text (ak_status.c) names this size.
 */
#define AK_MAX_INCOMING (16 * 1024 * 1024)

/*
 * Harden a connected handle: FD_CLOEXEC on its socket, a bound on how much
 * one answer may make libldap allocate, and liblber's provider layer (the
 * one that calls write(2)) replaced by one that sends with MSG_NOSIGNAL, so
 * a server that hung up can never raise SIGPIPE in the host process: no
 * signal mask or disposition is touched, and a pooled connection costs no
 * extra system call. Returns true when the provider was replaced; false
 * leaves the handle as libldap made it (callers then guard SIGPIPE).
 */
bool ak_sock_harden(LDAP *ld);

#endif
