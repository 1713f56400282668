/* SPDX-License-Identifier: BSD-3-Clause */
/* fdlist.c - R-02 helper: print every descriptor >= 3 this process
 * inherited, one "fd target" per line */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int self;

    if (d == NULL)
        return 2;
    self = dirfd(d);
    while ((e = readdir(d)) != NULL) {
        char path[PATH_MAX], target[PATH_MAX];
        int fd = atoi(e->d_name);
        ssize_t n;
        if (e->d_name[0] == '.' || fd < 3 || fd == self)
            continue;
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        n = readlink(path, target, sizeof(target) - 1);
        target[n > 0 ? n : 0] = '\0';
        printf("%d %s\n", fd, target);
    }
    closedir(d);
    return 0;
}
