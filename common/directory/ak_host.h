/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_host.h - the configuration of a long-running host, reloaded on edit */
#ifndef AK_HOST_H
#define AK_HOST_H

#include "ak_config.h"
#include "ak_ldap.h"
#include "ak_log.h"

/*
 * A long-running host (the SASL plug-in inside slapd or smtpd, a daemon, a
 * slapd module) loads apikey.conf once, shares it and its directory handle
 * (a pool of bound connections) between all its threads for months, and
 * picks up edits of the file without a restart. struct ak_host is one such
 * loaded configuration. Short-lived callers (the PAM module, the CLI) have
 * no use for it: they call ak_config_load() and ak_dir_open() themselves.
 *
 * There is one current handle per copy of common/ (each module links its
 * own, hidden): the first ak_host_acquire() loads it, later ones return
 * the same handle until
 *   - they name another path (compared as strings; NULL, the compiled-in
 *     default, differs from every string, AK_DEFAULT_CONF included), or
 *   - the file changed: device, inode, size, mtime or ctime differ from
 *     when it was read, or it disappeared (or appeared, where the default
 *     file was absent). The file is stat()ed at most once per
 *     AK_HOST_CHECK_SECS, so an edit is seen within about a second.
 * A (re)load that fails fails closed: the current handle is dropped (its
 * users keep it until they release it), the error is returned, and every
 * later ak_host_acquire() tries again until the file is fixed. The old
 * configuration is never served once the file is known to have changed.
 *
 * Logged through the caller's log: LOG_INFO "apikey_conf changed; loading
 * <path>" or "<path> changed; reloading it"; LOG_ERR "apikey_conf <path>:
 * not an absolute path" and whatever ak_config_load() and ak_dir_open()
 * report (naming the file and the problem).
 *
 * Thread safety: every function may be called from any thread at once
 * (one process-wide pthread mutex, held while a file is read and while a
 * freed handle's connections are unbound; no connection is made under it:
 * the pool connects on first use). Not
 * async-signal-safe. The pool is fork-safe (ak_ldap.h); the lock is not,
 * so fork() only while no other thread is inside an ak_host_* call.
 *
 * Lifetime: a handle from ak_host_acquire() stays valid, with its
 * configuration and pool unchanged, until the caller passes it to
 * ak_host_release(), however many reloads happen meanwhile. A replaced
 * handle is freed when its last user releases it.
 */
struct ak_host;

/* At most one stat() of the file per this many seconds (CLOCK_MONOTONIC). */
#define AK_HOST_CHECK_SECS 1

/*
 * The current handle for path (absolute; NULL: AK_DEFAULT_CONF), loaded or
 * reloaded as described above, with a reference for the caller. AK_OK and
 * *out, or the AK_ERR_* of the failed load (AK_ERR_CONFIG for a relative
 * path or a bad file, AK_ERR_NOMEM, or what ak_dir_open returns).
 */
int ak_host_acquire(const char *path, const struct ak_log *log,
                    struct ak_host **out);

/* The handle's configuration and directory handle: valid until release. */
const struct ak_config *ak_host_config(const struct ak_host *h);
struct ak_dir *ak_host_dir(const struct ak_host *h);

/* Drop the caller's reference (h may be NULL). */
void ak_host_release(struct ak_host *h);

/*
 * Drop the current handle, for module unload (sasl_server_done, a slapd
 * module's close): it is freed now unless someone still holds it. Later
 * calls find nothing to drop; a later ak_host_acquire() loads afresh.
 */
void ak_host_shutdown(void);

#endif
