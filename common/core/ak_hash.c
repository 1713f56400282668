/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_hash.c - BLAKE2b key digests and constant-time verification */
#include "ak_hash.h"

#include <sodium.h>

#include "ak_status.h"

/* Domain separation: a digest made for apikey is useless anywhere else. */
static const unsigned char personal[crypto_generichash_blake2b_PERSONALBYTES] =
    "apikey-v1";

int ak_crypto_init(void)
{
    /* libsodium makes concurrent and repeated calls safe; 1 = already. */
    return sodium_init() < 0 ? AK_ERR_CRYPTO : AK_OK;
}

void ak_hash_new_salt(uint8_t salt[AK_HASH_SALT_LEN])
{
    randombytes_buf(salt, AK_HASH_SALT_LEN);
}

int ak_hash_compute(uint8_t digest[AK_HASH_DIGEST_LEN], const char *key,
                    size_t keylen, const uint8_t salt[AK_HASH_SALT_LEN])
{
    _Static_assert(AK_HASH_SALT_LEN == crypto_generichash_blake2b_SALTBYTES,
                   "salt size");
    if (ak_crypto_init() != AK_OK)
        return AK_ERR_CRYPTO;
    if (crypto_generichash_blake2b_salt_personal(
            digest, AK_HASH_DIGEST_LEN, (const unsigned char *)key, keylen,
            NULL, 0, salt, personal) != 0)
        return AK_ERR_CRYPTO;
    return AK_OK;
}

bool ak_hash_verify(const uint8_t expected[AK_HASH_DIGEST_LEN], const char *key,
                    size_t keylen, const uint8_t salt[AK_HASH_SALT_LEN])
{
    uint8_t got[AK_HASH_DIGEST_LEN];
    bool ok;

    if (ak_hash_compute(got, key, keylen, salt) != AK_OK)
        return false;
    ok = sodium_memcmp(got, expected, AK_HASH_DIGEST_LEN) == 0;
    sodium_memzero(got, sizeof(got));
    return ok;
}
