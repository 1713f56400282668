/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_path.c - a file named on a command line, made absolute */
#include "ak_path.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ak_status.h"

int ak_path_absolute(const char *path, char **own, const char **out)
{
    char *cwd;
    int n;

    *own = NULL;
    *out = NULL;
    if (path == NULL || path[0] == '\0')
        return AK_ERR_INVALID;
    if (path[0] == '/') {
        *out = path;
        return AK_OK;
    }
    cwd = getcwd(NULL, 0);
    if (cwd == NULL)
        return errno == ENOMEM ? AK_ERR_NOMEM : AK_ERR_IO;
    n = asprintf(own, "%s%s%s", cwd, strcmp(cwd, "/") == 0 ? "" : "/", path);
    free(cwd);
    if (n < 0) {
        *own = NULL;
        return AK_ERR_NOMEM;
    }
    *out = *own;
    return AK_OK;
}
