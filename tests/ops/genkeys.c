/* SPDX-License-Identifier: BSD-3-Clause */
/* genkeys.c - print N fresh keys, one a line, made by the product's own
 * generator (ak_key_generate), for the secret-scanner test.
 *   genkeys N [PREFIX] */
#include <stdio.h>
#include <stdlib.h>

#include <sodium.h>

#include "ak_key.h"
#include "ak_status.h"

int main(int argc, char **argv)
{
    char buf[AK_KEY_MAX_LEN + 1];
    const char *prefix = argc > 2 ? argv[2] : AK_KEY_DEFAULT_PREFIX;
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 0;

    if (argc < 2 || argc > 3 || n <= 0) {
        fprintf(stderr, "usage: genkeys N [PREFIX]\n");
        return 2;
    }
    for (long i = 0; i < n; i++) {
        if (ak_key_generate(prefix, buf, sizeof(buf), NULL) != AK_OK) {
            fprintf(stderr, "genkeys: cannot make a key with prefix %s\n",
                    prefix);
            return 1;
        }
        puts(buf);
    }
    sodium_memzero(buf, sizeof(buf));
    return 0;
}
