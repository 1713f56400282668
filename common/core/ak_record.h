/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_record.h - key records as stored in apiKeyRecord values (pure) */
#ifndef AK_RECORD_H
#define AK_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ak_hash.h"
#include "ak_key.h"

/*
 * One value of apiKeyRecord describes one key. Syntax (version 1), single
 * spaces between fields, fields after the version in any order, each at
 * most once, unknown fields refused:
 *
 *   v1 id=<keyid> hash=b2b256:<salt hex32>:<digest hex64>
 *      created=<YYYYMMDDHHMMSSZ> expires=<YYYYMMDDHHMMSSZ>|never
 *      [revoked=<time>] [label=<percent-encoded UTF-8>]
 *      [scope=<service>[,<service>...]] [notified=<days>[,<days>...]]
 *      [used=<time>]
 *
 * Required: id, hash, created, expires. See docs/key-records.md.
 */
#define AK_RECORD_MAX 1024
#define AK_LABEL_MAX 64
#define AK_SCOPE_MAX 16
#define AK_SERVICE_MAX 32
#define AK_NOTIFIED_MAX 8
#define AK_NOTICE_DAYS_MAX 3650

struct ak_record {
    char id[AK_KEY_ID_LEN + 1];
    uint8_t salt[AK_HASH_SALT_LEN];
    uint8_t digest[AK_HASH_DIGEST_LEN];
    time_t created;
    bool has_expires;
    time_t expires;
    bool is_revoked;
    time_t revoked;
    bool has_used;
    time_t used;
    char label[AK_LABEL_MAX + 1];
    unsigned n_scopes;
    char scopes[AK_SCOPE_MAX][AK_SERVICE_MAX + 1];
    unsigned n_notified;
    unsigned notified[AK_NOTIFIED_MAX];
    /* Not part of the record text: the end a rotation gave the key, from
     * apiKeyRevoked (ak_revocation_apply). is_revoked / revoked above are
     * also set from there. */
    bool has_end;
    time_t end;
};

/*
 * Parse one record value s[0..len) (not NUL-terminated). Returns AK_OK, or
 * AK_ERR_MALFORMED with *why naming the offending field ("bad expires").
 * *why never quotes record contents.
 */
int ak_record_parse(const char *s, size_t len, struct ak_record *out,
                    const char **why);

/*
 * The key id of a record value, without parsing the rest: true and id
 * filled when s starts with "v1 id=<16 base32>" followed by space or end.
 */
bool ak_record_peek_id(const char *s, size_t len, char id[AK_KEY_ID_LEN + 1]);

/*
 * Write r in canonical form into buf. AK_OK, AK_ERR_INVALID (a field out
 * of range) or AK_ERR_NOMEM (buf too small; AK_RECORD_MAX + 1 suffices).
 */
int ak_record_format(const struct ak_record *r, char *buf, size_t bufsize);

/* True when r has no scope or service is one of its scopes (ASCII
 * case-insensitive). A NULL or empty service matches only unscoped keys. */
bool ak_record_allows_service(const struct ak_record *r, const char *service);

/* True when s is a valid scope entry: 1-32 of [a-z0-9._-]. */
bool ak_service_name_valid(const char *s, size_t len);

/*
 * A label as records may hold it: at most 64 bytes of valid UTF-8 without
 * C0 controls or DEL. The parser and the writer apply this, and nothing
 * stricter, so a record written by hand keeps working whatever else its
 * label holds; whoever shows a label escapes it (ak_text_escape).
 */
bool ak_label_valid(const char *s, size_t len);

/*
 * A new label, as a person chooses it (apikey create, rotate): also no
 * code point that acts on a terminal or changes how text reads
 * (ak_text_shown_ok). True when s[0..len) may be a new label; otherwise
 * why says what and where (see ak_text_shown_ok).
 */
bool ak_label_check(const char *s, size_t len, char *why, size_t why_size);

#endif
