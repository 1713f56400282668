/* SPDX-License-Identifier: BSD-3-Clause */
/* atomic.h - replace a file whole: readers see the old or the new one */
#ifndef EX_ATOMIC_H
#define EX_ATOMIC_H

#include <stddef.h>
#include <sys/types.h>

#include "ak_log.h"

/*
 * Write buf[0..len) to path through a temporary file beside it (named
 * after this process, so two daemons sharing a state directory never
 * write one temporary file), fsync, rename, fsync the directory. what
 * names the file in log lines ("state file"). AK_OK, AK_ERR_NOMEM or
 * AK_ERR_IO (logged; a half-written temporary file is removed).
 */
int ex_write_atomic(const char *path, const void *buf, size_t len, mode_t mode,
                    const char *what, const struct ak_log *log);

#endif
