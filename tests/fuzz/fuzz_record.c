/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_record.c - libFuzzer target: the record parser never crashes, and a
 * record it accepts formats back to a record that parses identically */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ak_record.h"
#include "ak_status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ak_record r, r2;
    char out[AK_RECORD_MAX + 1];
    char id[AK_KEY_ID_LEN + 1];

    (void)ak_record_peek_id((const char *)data, size, id);
    if (ak_record_parse((const char *)data, size, &r, NULL) != AK_OK)
        return 0;
    if (ak_record_format(&r, out, sizeof(out)) != AK_OK)
        abort();
    if (ak_record_parse(out, strlen(out), &r2, NULL) != AK_OK)
        abort();
    if (memcmp(&r, &r2, sizeof(r)) != 0)
        abort();
    return 0;
}
