/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_path.h - a file named on a command line, made absolute */
#ifndef AK_PATH_H
#define AK_PATH_H

/*
 * Files are opened by absolute path only (ak_secure.c; the PAM module and
 * the SASL plug-in keep refusing relative paths), but a command line
 * names them from where it is typed: apikey -c / -y, apikey check-config
 * -c and apikey-expiryd -c all take them through this one rule.
 *
 * path as given when it starts with '/' (*own NULL), else joined to the
 * working directory ("a.conf" -> "<cwd>/a.conf"; nothing else is
 * rewritten: no "..", no symbolic link resolved, so what is opened is
 * what was typed), the result in *own (malloc'd; the caller frees it).
 * On AK_OK *out points at the absolute path. AK_ERR_INVALID: path is
 * empty; AK_ERR_IO: the working directory cannot be told (errno set);
 * AK_ERR_NOMEM. On failure *own and *out are NULL.
 */
int ak_path_absolute(const char *path, char **own, const char **out);

#endif
