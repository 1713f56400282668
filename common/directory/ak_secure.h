/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_secure.h - safe opening of config and secret files, secret memory */
#ifndef AK_SECURE_H
#define AK_SECURE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "ak_log.h"

enum ak_file_kind {
    AK_FILE_CONFIG, /* may be world-readable, never group/other-writable */
    AK_FILE_SECRET, /* additionally not readable by others */
};

/* The first rule of ak_file_read (its size apart) that a file breaks. */
enum ak_file_fault {
    AK_FILE_FINE,
    AK_FILE_NOT_REGULAR,
    AK_FILE_BAD_OWNER,   /* owned by neither root nor the reader */
    AK_FILE_WRITABLE,    /* writable by group or others */
    AK_FILE_OTHERS_READ, /* AK_FILE_SECRET: readable by others */
};

/*
 * The rules for a file of that kind read by the process uid reader, as a
 * pure function of its status: ak_file_read applies them to the process
 * itself, apikey check-config to the account each host runs as, so the
 * two can never disagree.
 */
enum ak_file_fault ak_file_rule(const struct stat *st, enum ak_file_kind kind,
                                uid_t reader);

/* What a file of that mode is, for messages: "a FIFO (named pipe)", "a
 * socket", "a character device", "a block device", "a directory", "a
 * symbolic link", "a regular file". */
const char *ak_file_type_str(mode_t mode);

/*
 * A file another library opens by its name (libldap's tls_cacert, tls_cert
 * and tls_key; want_dir: tls_cacertdir): refuse it, without opening it,
 * when it is anything but a regular file (want_dir: a directory), since a
 * FIFO would block that library for good and a device may act on being
 * opened. Followed through symbolic links, as the library does; a path
 * that does not exist is left to the library. AK_OK, or AK_ERR_CONFIG
 * logged at LOG_ERR naming what (the setting), the path and what it is.
 */
int ak_file_type_check(const char *what, const char *path, bool want_dir,
                       const struct ak_log *log);

/*
 * Read a whole file that steers authentication. The file must be a regular
 * file (anything else is refused before it is opened, so that a FIFO
 * cannot block and a device is never opened), not a symlink (O_NOFOLLOW),
 * owned by root or by the effective user,
 * not writable by group or others and, for AK_FILE_SECRET, not readable by
 * others; it must hold at most max bytes. Each refusal is logged at LOG_ERR
 * naming the path and the rule.
 *
 * On success returns AK_OK; *out owns a NUL-terminated copy of the contents
 * (*len bytes without the NUL), allocated with ak_secret_alloc for
 * AK_FILE_SECRET and malloc otherwise; free it with ak_file_free(). On
 * failure *out is untouched. A missing file returns AK_ERR_NOT_FOUND.
 */
int ak_file_read(const char *path, enum ak_file_kind kind, size_t max,
                 const struct ak_log *log, char **out, size_t *len);

/*
 * Memory for secrets (a bind password): a private anonymous mapping of its
 * own, the returned pointer page-aligned and the size rounded up to whole
 * pages, excluded from core dumps (MADV_DONTDUMP), locked against swapping
 * (MAP_LOCKED) and wiped when freed. Because no other data shares its pages,
 * freeing one secret never unlocks or re-exposes another. A child after
 * fork() still reads it (deliberately not MADV_WIPEONFORK: a forked host
 * process reconnects with the bind password) and it stays out of the
 * child's core dumps; the lock is not inherited (fork(2)).
 * Deliberately not sodium_malloc: its guard pages cost an mmap and several
 * mprotect calls per allocation and again per free, about 100 us per login
 * on a VM, paid by every sshd and su login; this is one mmap, one madvise
 * and one munmap, about 10 us per secret (3-4 us more than the old unaligned
 * calloc + mlock, which could do neither of the above). Locking failing
 * (RLIMIT_MEMLOCK) is not an error: the secret is still kept out of dumps
 * and wiped. NULL (errno set) on allocation failure.
 */
char *ak_secret_alloc(size_t size);
void ak_secret_free(char *p); /* wipes all of it; NULL is accepted */

/* Wipe and free what ak_file_read() returned. NULL is accepted. */
void ak_file_free(char *buf, size_t len, enum ak_file_kind kind);

#endif
