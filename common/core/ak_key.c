/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_key.c - generate and parse API keys */
#include "ak_key.h"

#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "ak_hash.h"
#include "ak_status.h"

static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";

static int b32_value(unsigned char c)
{
    if (c >= 'a' && c <= 'z')
        return c - 'a';
    if (c >= '2' && c <= '7')
        return c - '2' + 26;
    return -1;
}

static bool all_b32(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (b32_value((unsigned char)s[i]) < 0)
            return false;
    return true;
}

unsigned long ak_crc32(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint32_t crc = 0xffffffffu;

    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    return (unsigned long)(crc ^ 0xffffffffu);
}

static void encode_check(uint32_t crc, char out[AK_KEY_CHECK_LEN])
{
    for (int i = 0; i < AK_KEY_CHECK_LEN; i++)
        out[i] = b32[(crc >> (5 * (AK_KEY_CHECK_LEN - 1 - i))) & 31u];
}

bool ak_key_prefix_valid(const char *prefix)
{
    size_t n;

    if (prefix == NULL)
        return false;
    n = strlen(prefix);
    if (n < 1 || n > AK_KEY_PREFIX_MAX)
        return false;
    if (prefix[0] < 'a' || prefix[0] > 'z')
        return false;
    for (size_t i = 1; i < n; i++) {
        char c = prefix[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            return false;
    }
    return true;
}

bool ak_key_id_valid(const char *s, size_t len)
{
    return s != NULL && len == AK_KEY_ID_LEN && all_b32(s, len);
}

int ak_key_parse(const char *s, size_t len, struct ak_key *out,
                 const char **why)
{
    const char *dummy;
    size_t plen, body;
    uint64_t check = 0;

    if (why == NULL)
        why = &dummy;
    if (s == NULL || len == 0) {
        *why = "empty";
        return AK_ERR_MALFORMED;
    }
    if (len > AK_KEY_MAX_LEN) {
        *why = "too long";
        return AK_ERR_MALFORMED;
    }
    for (plen = 0; plen < len && s[plen] != '_'; plen++) {
        char c = s[plen];
        bool ok = (c >= 'a' && c <= 'z') || (plen > 0 && c >= '0' && c <= '9');
        if (!ok || plen >= AK_KEY_PREFIX_MAX) {
            *why = "bad prefix";
            return AK_ERR_MALFORMED;
        }
    }
    if (plen == 0 || plen == len) {
        *why = "bad prefix";
        return AK_ERR_MALFORMED;
    }
    if (len !=
        plen + 1 + AK_KEY_ID_LEN + 1 + AK_KEY_SECRET_LEN + AK_KEY_CHECK_LEN) {
        *why = "wrong length";
        return AK_ERR_MALFORMED;
    }
    if (!all_b32(s + plen + 1, AK_KEY_ID_LEN) ||
        s[plen + 1 + AK_KEY_ID_LEN] != '_' ||
        !all_b32(s + plen + 2 + AK_KEY_ID_LEN,
                 AK_KEY_SECRET_LEN + AK_KEY_CHECK_LEN)) {
        *why = "bad character";
        return AK_ERR_MALFORMED;
    }
    body = len - AK_KEY_CHECK_LEN;
    for (size_t i = body; i < len; i++)
        check = (check << 5) | (uint64_t)b32_value((unsigned char)s[i]);
    if (check != (uint64_t)ak_crc32(s, body)) {
        *why = "checksum mismatch";
        return AK_ERR_MALFORMED;
    }
    if (out != NULL) {
        memcpy(out->prefix, s, plen);
        out->prefix[plen] = '\0';
        memcpy(out->id, s + plen + 1, AK_KEY_ID_LEN);
        out->id[AK_KEY_ID_LEN] = '\0';
    }
    *why = NULL;
    return AK_OK;
}

int ak_key_generate(const char *prefix, char *buf, size_t bufsize,
                    struct ak_key *out)
{
    unsigned char rnd[AK_KEY_ID_LEN + AK_KEY_SECRET_LEN];
    size_t plen, o;

    if (!ak_key_prefix_valid(prefix) || buf == NULL ||
        bufsize < AK_KEY_MAX_LEN + 1)
        return AK_ERR_INVALID;
    if (ak_crypto_init() != AK_OK)
        return AK_ERR_CRYPTO;
    plen = strlen(prefix);
    randombytes_buf(rnd, sizeof(rnd));
    memcpy(buf, prefix, plen);
    o = plen;
    buf[o++] = '_';
    /* 256 is a multiple of 32, so masking keeps every character uniform. */
    for (size_t i = 0; i < AK_KEY_ID_LEN; i++)
        buf[o++] = b32[rnd[i] & 31u];
    buf[o++] = '_';
    for (size_t i = 0; i < AK_KEY_SECRET_LEN; i++)
        buf[o++] = b32[rnd[AK_KEY_ID_LEN + i] & 31u];
    encode_check((uint32_t)ak_crc32(buf, o), buf + o);
    o += AK_KEY_CHECK_LEN;
    buf[o] = '\0';
    sodium_memzero(rnd, sizeof(rnd));
    if (out != NULL) {
        memcpy(out->prefix, prefix, plen + 1);
        memcpy(out->id, buf + plen + 1, AK_KEY_ID_LEN);
        out->id[AK_KEY_ID_LEN] = '\0';
    }
    return AK_OK;
}
