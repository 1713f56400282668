/* SPDX-License-Identifier: BSD-3-Clause */
/* conf_table.c - print apikey.conf's key table (name, default, range), for
 * test_manpage.sh to hold apikey.conf(5) to it */
#include <stdio.h>

#include "ak_config.h"

static void print_line(void *ctx, const char *line)
{
    (void)ctx;
    puts(line);
}

int main(void)
{
    ak_config_describe(print_line, NULL);
    return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}
