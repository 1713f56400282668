/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_config.c - libFuzzer target: the config parser never crashes or
 * leaks, and what it accepts is complete */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ak_config.h"
#include "ak_status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ak_config *cfg = NULL;
    struct ak_log quiet = {0};

    if (ak_config_parse(&cfg, (const char *)data, size, "fuzz.conf", &quiet) ==
        AK_OK) {
        if (cfg->n_uri == 0 || cfg->user_base == NULL ||
            cfg->search_base == NULL || cfg->tls_reqcert > AK_TLS_HARD)
            abort();
        ak_config_free(cfg);
    } else if (cfg != NULL) {
        abort();
    }
    return 0;
}
