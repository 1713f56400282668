/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_key.c - libFuzzer target: the key parser never crashes, and what it
 * accepts has the documented shape */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ak_key.h"
#include "ak_status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ak_key k;
    const char *why = NULL;

    if (ak_key_parse((const char *)data, size, &k, &why) == AK_OK) {
        if (size > AK_KEY_MAX_LEN || !ak_key_prefix_valid(k.prefix) ||
            !ak_key_id_valid(k.id, strlen(k.id)) || why != NULL)
            abort();
    } else if (why == NULL) {
        abort(); /* every refusal says why */
    }
    return 0;
}
