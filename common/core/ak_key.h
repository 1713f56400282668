/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_key.h - the API key format: generate, parse, check offline (pure) */
#ifndef AK_KEY_H
#define AK_KEY_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A key is one copy-paste unit of URL- and shell-safe characters:
 *
 *     <prefix>_<id>_<secret><check>
 *
 *   prefix  1-10 of [a-z0-9], starting with a letter; names the deployment
 *           so secret scanners can find leaked keys (default "ak").
 *   id      16 base32 characters (80 random bits): the public key id, safe to
 *           log and show, indexed in LDAP as apiKeyId.
 *   secret  52 base32 characters (260 random bits).
 *   check   7 base32 characters: CRC-32 (IEEE) of everything before it, so a
 *           mistyped or truncated key is refused offline, before any LDAP
 *           traffic. It is not a security feature; the secret is.
 *
 * base32 is RFC 4648's alphabet in lower case (a-z, 2-7), so keys survive
 * URLs, shells, double-click selection and case-folding mail clients.
 */
#define AK_KEY_PREFIX_MAX 10
#define AK_KEY_ID_LEN 16
#define AK_KEY_SECRET_LEN 52
#define AK_KEY_CHECK_LEN 7
#define AK_KEY_MAX_LEN                                                         \
    (AK_KEY_PREFIX_MAX + 1 + AK_KEY_ID_LEN + 1 + AK_KEY_SECRET_LEN +           \
     AK_KEY_CHECK_LEN)
#define AK_KEY_DEFAULT_PREFIX "ak"

/* The public parts of a parsed key. The secret is never copied out. */
struct ak_key {
    char prefix[AK_KEY_PREFIX_MAX + 1];
    char id[AK_KEY_ID_LEN + 1];
};

/* True when prefix is 1-10 of [a-z0-9] and starts with a letter. */
bool ak_key_prefix_valid(const char *prefix);

/* True when s is exactly AK_KEY_ID_LEN base32 characters. */
bool ak_key_id_valid(const char *s, size_t len);

/*
 * Parse and check the key in s[0..len). Returns AK_OK and fills *out, or
 * AK_ERR_MALFORMED with *why (if why != NULL) set to a static phrase
 * saying what is wrong ("checksum mismatch", ...). The phrase never quotes
 * the input. Constant work per byte; no allocation.
 */
int ak_key_parse(const char *s, size_t len, struct ak_key *out,
                 const char **why);

/*
 * Generate a new key with libsodium's CSPRNG into buf (at least
 * AK_KEY_MAX_LEN + 1 bytes), NUL-terminated. The caller wipes buf with
 * sodium_memzero when done. Returns AK_OK, AK_ERR_INVALID (bad prefix or
 * buffer) or AK_ERR_CRYPTO.
 */
int ak_key_generate(const char *prefix, char *buf, size_t bufsize,
                    struct ak_key *out);

/* CRC-32 (IEEE 802.3, reflected 0xEDB88320), as zlib's crc32(). */
unsigned long ak_crc32(const void *data, size_t len);

#endif
