/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_record.c - strict parser and canonical writer of key records */
#include "ak_record.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ak_status.h"
#include "ak_text.h"
#include "ak_time.h"

#define FAIL(msg)                                                              \
    do {                                                                       \
        *why = (msg);                                                          \
        return AK_ERR_MALFORMED;                                               \
    } while (0)

static const char hexdig[] = "0123456789abcdef";

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static int hexval_any(char c)
{
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return hexval(c);
}

/* Lower-case hex only: one canonical spelling per digest. */
static bool unhex(const char *s, size_t len, uint8_t *out, size_t outlen)
{
    if (len != outlen * 2)
        return false;
    for (size_t i = 0; i < outlen; i++) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

static bool is_svc_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

bool ak_service_name_valid(const char *s, size_t len)
{
    if (s == NULL || len == 0 || len > AK_SERVICE_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_svc_char(s[i]))
            return false;
    return true;
}

bool ak_label_valid(const char *s, size_t len)
{
    return s != NULL && len <= AK_LABEL_MAX && ak_utf8_valid(s, len) &&
           !ak_has_ctl(s, len);
}

bool ak_label_check(const char *s, size_t len, char *why, size_t why_size)
{
    return ak_text_shown_ok(s, len, AK_LABEL_MAX, why, why_size);
}

static bool is_unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
           c == '~';
}

static bool parse_label(const char *s, size_t len, char *out)
{
    size_t o = 0;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (o >= AK_LABEL_MAX)
            return false;
        if (c == '%') {
            int hi, lo;
            if (len - i < 3)
                return false;
            hi = hexval_any(s[i + 1]);
            lo = hexval_any(s[i + 2]);
            if (hi < 0 || lo < 0)
                return false;
            out[o++] = (char)(hi << 4 | lo);
            i += 2;
        } else if (is_unreserved(c)) {
            out[o++] = (char)c;
        } else {
            return false;
        }
    }
    out[o] = '\0';
    return ak_label_valid(out, o);
}

static bool parse_time_field(const char *v, size_t vl, time_t *t)
{
    return ak_time_parse(v, vl, true, t) == AK_OK;
}

static bool parse_scope(const char *v, size_t vl, struct ak_record *r)
{
    size_t start = 0;

    r->n_scopes = 0;
    for (size_t i = 0; i <= vl; i++) {
        if (i < vl && v[i] != ',')
            continue;
        if (r->n_scopes >= AK_SCOPE_MAX ||
            !ak_service_name_valid(v + start, i - start))
            return false;
        for (unsigned k = 0; k < r->n_scopes; k++)
            if (strlen(r->scopes[k]) == i - start &&
                memcmp(r->scopes[k], v + start, i - start) == 0)
                return false; /* duplicate */
        memcpy(r->scopes[r->n_scopes], v + start, i - start);
        r->scopes[r->n_scopes][i - start] = '\0';
        r->n_scopes++;
        start = i + 1;
    }
    return r->n_scopes > 0;
}

static bool parse_notified(const char *v, size_t vl, struct ak_record *r)
{
    size_t i = 0;

    r->n_notified = 0;
    while (i < vl) {
        unsigned d = 0;
        size_t digits = 0;
        while (i < vl && v[i] >= '0' && v[i] <= '9') {
            d = d * 10 + (unsigned)(v[i] - '0');
            if (++digits > 4)
                return false;
            i++;
        }
        if (digits == 0 || d > AK_NOTICE_DAYS_MAX ||
            r->n_notified >= AK_NOTIFIED_MAX)
            return false;
        if (digits > 1 && v[i - digits] == '0')
            return false; /* no leading zeros: one spelling per value */
        for (unsigned k = 0; k < r->n_notified; k++)
            if (r->notified[k] == d)
                return false;
        r->notified[r->n_notified++] = d;
        if (i < vl) {
            if (v[i] != ',' || i + 1 == vl)
                return false;
            i++;
        }
    }
    return r->n_notified > 0;
}

bool ak_record_peek_id(const char *s, size_t len, char id[AK_KEY_ID_LEN + 1])
{
    static const char head[] = "v1 id=";
    size_t hl = sizeof(head) - 1;

    if (s == NULL || len < hl + AK_KEY_ID_LEN || memcmp(s, head, hl) != 0)
        return false;
    if (!ak_key_id_valid(s + hl, AK_KEY_ID_LEN))
        return false;
    if (len > hl + AK_KEY_ID_LEN && s[hl + AK_KEY_ID_LEN] != ' ')
        return false;
    memcpy(id, s + hl, AK_KEY_ID_LEN);
    id[AK_KEY_ID_LEN] = '\0';
    return true;
}

enum field {
    F_ID = 1 << 0,
    F_HASH = 1 << 1,
    F_CREATED = 1 << 2,
    F_EXPIRES = 1 << 3,
    F_REVOKED = 1 << 4,
    F_LABEL = 1 << 5,
    F_SCOPE = 1 << 6,
    F_NOTIFIED = 1 << 7,
    F_USED = 1 << 8,
};

static const struct {
    const char *name;
    enum field bit;
} fields[] = {
    {"id", F_ID},           {"hash", F_HASH},         {"created", F_CREATED},
    {"expires", F_EXPIRES}, {"revoked", F_REVOKED},   {"label", F_LABEL},
    {"scope", F_SCOPE},     {"notified", F_NOTIFIED}, {"used", F_USED},
};

static int parse_field(enum field f, const char *v, size_t vl,
                       struct ak_record *r, const char **why)
{
    static const char alg[] = AK_HASH_ALG ":";
    size_t al = sizeof(alg) - 1;

    switch (f) {
    case F_ID:
        if (!ak_key_id_valid(v, vl))
            FAIL("bad id");
        memcpy(r->id, v, AK_KEY_ID_LEN);
        r->id[AK_KEY_ID_LEN] = '\0';
        break;
    case F_HASH:
        if (vl < al || memcmp(v, alg, al) != 0)
            FAIL("unknown hash algorithm");
        v += al;
        vl -= al;
        if (vl != 2 * AK_HASH_SALT_LEN + 1 + 2 * AK_HASH_DIGEST_LEN ||
            v[2 * AK_HASH_SALT_LEN] != ':' ||
            !unhex(v, 2 * AK_HASH_SALT_LEN, r->salt, AK_HASH_SALT_LEN) ||
            !unhex(v + 2 * AK_HASH_SALT_LEN + 1, 2 * AK_HASH_DIGEST_LEN,
                   r->digest, AK_HASH_DIGEST_LEN))
            FAIL("bad hash");
        break;
    case F_CREATED:
        if (!parse_time_field(v, vl, &r->created))
            FAIL("bad created");
        break;
    case F_EXPIRES:
        if (vl == 5 && memcmp(v, "never", 5) == 0) {
            r->has_expires = false;
        } else {
            if (!parse_time_field(v, vl, &r->expires))
                FAIL("bad expires");
            r->has_expires = true;
        }
        break;
    case F_REVOKED:
        if (!parse_time_field(v, vl, &r->revoked))
            FAIL("bad revoked");
        r->is_revoked = true;
        break;
    case F_LABEL:
        if (!parse_label(v, vl, r->label))
            FAIL("bad label");
        break;
    case F_SCOPE:
        if (!parse_scope(v, vl, r))
            FAIL("bad scope");
        break;
    case F_NOTIFIED:
        if (!parse_notified(v, vl, r))
            FAIL("bad notified");
        break;
    case F_USED:
        if (!parse_time_field(v, vl, &r->used))
            FAIL("bad used");
        r->has_used = true;
        break;
    }
    return AK_OK;
}

int ak_record_parse(const char *s, size_t len, struct ak_record *out,
                    const char **why)
{
    const char *dummy;
    unsigned seen = 0;
    size_t i;

    if (why == NULL)
        why = &dummy;
    memset(out, 0, sizeof(*out));
    if (s == NULL || len == 0)
        FAIL("empty record");
    if (len > AK_RECORD_MAX)
        FAIL("record too long");
    if (len < 3 || memcmp(s, "v1 ", 3) != 0)
        FAIL("unknown record version");
    if (s[len - 1] == ' ')
        FAIL("trailing space");
    i = 3;
    while (i < len) {
        size_t start = i, eq = 0, vl;
        enum field f = 0;

        while (i < len && s[i] != ' ') {
            if (s[i] == '=' && eq == 0)
                eq = i;
            i++;
        }
        if (i == start)
            FAIL("empty field");
        if (i < len && i + 1 == len)
            FAIL("trailing space");
        if (eq == 0)
            FAIL("field without value");
        for (size_t k = 0; k < sizeof(fields) / sizeof(fields[0]); k++)
            if (strlen(fields[k].name) == eq - start &&
                memcmp(fields[k].name, s + start, eq - start) == 0)
                f = fields[k].bit;
        if (f == 0)
            FAIL("unknown field");
        if (seen & f)
            FAIL("duplicate field");
        seen |= f;
        vl = i - eq - 1;
        if (vl == 0)
            FAIL("empty value");
        if (parse_field(f, s + eq + 1, vl, out, why) != AK_OK)
            return AK_ERR_MALFORMED;
        if (i < len)
            i++;
    }
    if ((seen & F_ID) == 0)
        FAIL("missing id");
    if ((seen & F_HASH) == 0)
        FAIL("missing hash");
    if ((seen & F_CREATED) == 0)
        FAIL("missing created");
    if ((seen & F_EXPIRES) == 0)
        FAIL("missing expires");
    *why = NULL;
    return AK_OK;
}

/* Appends to buf at *o; false when it would not fit (with the NUL). */
static bool put(char *buf, size_t size, size_t *o, const char *s, size_t n)
{
    if (*o + n + 1 > size)
        return false;
    memcpy(buf + *o, s, n);
    *o += n;
    buf[*o] = '\0';
    return true;
}

static bool put_str(char *buf, size_t size, size_t *o, const char *s)
{
    return put(buf, size, o, s, strlen(s));
}

static bool put_time(char *buf, size_t size, size_t *o, const char *name,
                     time_t t)
{
    char ts[AK_TIME_LEN + 1];
    return ak_time_format(t, ts) == AK_OK && put_str(buf, size, o, " ") &&
           put_str(buf, size, o, name) && put_str(buf, size, o, "=") &&
           put_str(buf, size, o, ts);
}

static bool put_hex(char *buf, size_t size, size_t *o, const uint8_t *p,
                    size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char h[2] = {hexdig[p[i] >> 4], hexdig[p[i] & 15]};
        if (!put(buf, size, o, h, 2))
            return false;
    }
    return true;
}

int ak_record_format(const struct ak_record *r, char *buf, size_t bufsize)
{
    size_t o = 0;
    bool ok;

    if (buf == NULL || bufsize == 0)
        return AK_ERR_NOMEM;
    buf[0] = '\0';
    if (!ak_key_id_valid(r->id, strlen(r->id)) ||
        !ak_label_valid(r->label, strlen(r->label)) ||
        r->n_scopes > AK_SCOPE_MAX || r->n_notified > AK_NOTIFIED_MAX)
        return AK_ERR_INVALID;
    ok = put_str(buf, bufsize, &o, "v1 id=") &&
         put_str(buf, bufsize, &o, r->id) &&
         put_str(buf, bufsize, &o, " hash=" AK_HASH_ALG ":") &&
         put_hex(buf, bufsize, &o, r->salt, AK_HASH_SALT_LEN) &&
         put_str(buf, bufsize, &o, ":") &&
         put_hex(buf, bufsize, &o, r->digest, AK_HASH_DIGEST_LEN) &&
         put_time(buf, bufsize, &o, "created", r->created);
    if (ok && r->has_expires)
        ok = put_time(buf, bufsize, &o, "expires", r->expires);
    else if (ok)
        ok = put_str(buf, bufsize, &o, " expires=never");
    if (ok && r->is_revoked)
        ok = put_time(buf, bufsize, &o, "revoked", r->revoked);
    if (ok && r->label[0] != '\0') {
        ok = put_str(buf, bufsize, &o, " label=");
        for (const char *p = r->label; ok && *p; p++) {
            unsigned char c = (unsigned char)*p;
            if (is_unreserved(c)) {
                ok = put(buf, bufsize, &o, p, 1);
            } else {
                char e[3] = {'%', "0123456789ABCDEF"[c >> 4],
                             "0123456789ABCDEF"[c & 15]};
                ok = put(buf, bufsize, &o, e, 3);
            }
        }
    }
    for (unsigned k = 0; ok && k < r->n_scopes; k++) {
        if (!ak_service_name_valid(r->scopes[k], strlen(r->scopes[k])))
            return AK_ERR_INVALID;
        ok = put_str(buf, bufsize, &o, k == 0 ? " scope=" : ",") &&
             put_str(buf, bufsize, &o, r->scopes[k]);
    }
    for (unsigned k = 0; ok && k < r->n_notified; k++) {
        char d[16];
        if (r->notified[k] > AK_NOTICE_DAYS_MAX)
            return AK_ERR_INVALID;
        snprintf(d, sizeof(d), "%s%u", k == 0 ? " notified=" : ",",
                 r->notified[k]);
        ok = put_str(buf, bufsize, &o, d);
    }
    if (ok && r->has_used)
        ok = put_time(buf, bufsize, &o, "used", r->used);
    if (!ok || o > AK_RECORD_MAX) {
        buf[0] = '\0';
        return ok ? AK_ERR_INVALID : AK_ERR_NOMEM;
    }
    return AK_OK;
}

bool ak_record_allows_service(const struct ak_record *r, const char *service)
{
    if (r->n_scopes == 0)
        return true;
    if (service == NULL || service[0] == '\0')
        return false;
    for (unsigned k = 0; k < r->n_scopes; k++)
        if (strcasecmp(r->scopes[k], service) == 0)
            return true;
    return false;
}
