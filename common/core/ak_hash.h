/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_hash.h - key digests with libsodium (pure) */
#ifndef AK_HASH_H
#define AK_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A key is stored only as BLAKE2b-256(salt, personal="apikey-v1", key):
 * the whole key string (prefix, id, secret, check) is hashed with a random
 * 128-bit per-key salt.
 *
 * Why a fast hash and not crypto_pwhash: a key holds 260 random bits, so an
 * attacker holding the digest cannot guess it at any hash speed, and the
 * salt defeats precomputation and multi-target attacks. A memory-hard hash
 * protects low-entropy passwords; here it would only make every login slow
 * and hand attackers a CPU/RAM amplifier against sshd and mail servers.
 */
#define AK_HASH_SALT_LEN 16
#define AK_HASH_DIGEST_LEN 32
#define AK_HASH_ALG "b2b256"

/* sodium_init() once per process, thread-safe. AK_OK or AK_ERR_CRYPTO. */
int ak_crypto_init(void);

/* Fill salt with CSPRNG bytes. Call ak_crypto_init() first. */
void ak_hash_new_salt(uint8_t salt[AK_HASH_SALT_LEN]);

/* digest = BLAKE2b-256 of key[0..keylen) under salt. AK_OK or AK_ERR_*. */
int ak_hash_compute(uint8_t digest[AK_HASH_DIGEST_LEN], const char *key,
                    size_t keylen, const uint8_t salt[AK_HASH_SALT_LEN]);

/*
 * Recompute and compare with sodium_memcmp (constant time). Work does not
 * depend on where the inputs differ. True only on a full match.
 */
bool ak_hash_verify(const uint8_t expected[AK_HASH_DIGEST_LEN], const char *key,
                    size_t keylen, const uint8_t salt[AK_HASH_SALT_LEN]);

#endif
