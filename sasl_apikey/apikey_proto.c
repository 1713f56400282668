/* SPDX-License-Identifier: BSD-3-Clause */
/* apikey_proto.c - parse and build APIKEY, OAUTHBEARER, XOAUTH2 messages */
#include "apikey_proto.h"

#include <string.h>
#include <strings.h>

#include "ak_status.h"
#include "ak_text.h"

#define KVSEP '\x01'

static const char *const mech_names[APIKEY_MECH_COUNT] = {
    [APIKEY_MECH_APIKEY] = "APIKEY",
    [APIKEY_MECH_OAUTHBEARER] = "OAUTHBEARER",
    [APIKEY_MECH_XOAUTH2] = "XOAUTH2",
};

const char *apikey_mech_name(enum apikey_mech m)
{
    return (unsigned)m < APIKEY_MECH_COUNT ? mech_names[m] : "?";
}

/* A name we pass on to canon_user, the verifier and log lines. */
static bool name_ok(const char *s, size_t len)
{
    return len <= APIKEY_NAME_MAX && ak_utf8_valid(s, len) &&
           !ak_has_ctl(s, len);
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* RFC 6750 b64token characters before the '=' padding. */
static bool is_b64token(char c)
{
    return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' ||
           c == '~' || c == '+' || c == '/';
}

/* RFC 7628 value = *(VCHAR / SP / HTAB / CR / LF) */
static bool is_kv_value(char c)
{
    return (c >= 0x21 && c <= 0x7e) || c == ' ' || c == '\t' || c == '\r' ||
           c == '\n';
}

/* True when s[0..len) is a b64token, or empty (judged later as "not a
 * key" by the verifier, like an empty APIKEY key). */
static bool token_ok(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && is_b64token(s[i]))
        i++;
    while (i < len && s[i] == '=')
        i++;
    return i == len;
}

/*
 * "Bearer" 1*SP b64token, the scheme matched case-insensitively as HTTP
 * does (RFC 7235). The token is what follows the spaces.
 */
static int parse_bearer(const char *v, size_t len, const char **tok,
                        size_t *toklen, const char **why)
{
    size_t i = 6;

    if (len < 7 || strncasecmp(v, "Bearer", 6) != 0 || v[6] != ' ') {
        *why = "auth is not \"Bearer <token>\"";
        return AK_ERR_MALFORMED;
    }
    while (i < len && v[i] == ' ')
        i++;
    if (!token_ok(v + i, len - i)) {
        *why = "bearer token outside the b64token alphabet";
        return AK_ERR_MALFORMED;
    }
    *tok = v + i;
    *toklen = len - i;
    return AK_OK;
}

static int parse_apikey(const char *in, size_t len, struct apikey_creds *c,
                        const char **why)
{
    const char *nul1, *nul2;

    nul1 = memchr(in, '\0', len);
    if (nul1 == NULL) {
        *why = "no NUL separator";
        return AK_ERR_MALFORMED;
    }
    nul2 = memchr(nul1 + 1, '\0', len - (size_t)(nul1 + 1 - in));
    if (nul2 == NULL) {
        *why = "only one NUL separator";
        return AK_ERR_MALFORMED;
    }
    c->authzid = in;
    c->authzid_len = (size_t)(nul1 - in);
    c->authcid = nul1 + 1;
    c->authcid_len = (size_t)(nul2 - c->authcid);
    c->key = nul2 + 1;
    c->key_len = len - (size_t)(c->key - in);
    /* BI-03: a NUL inside the key never truncates it into a valid one. */
    if (memchr(c->key, '\0', c->key_len) != NULL) {
        *why = "NUL inside the key";
        return AK_ERR_MALFORMED;
    }
    if (!name_ok(c->authzid, c->authzid_len)) {
        *why = "authzid is not a valid name";
        return AK_ERR_MALFORMED;
    }
    if (!name_ok(c->authcid, c->authcid_len)) {
        *why = "authcid is not a valid name";
        return AK_ERR_MALFORMED;
    }
    return AK_OK;
}

/*
 * RFC 5801 gs2-header as RFC 7628 uses it: gs2-cb-flag "," [ "a=" saslname
 * ] ",". Every byte is bounds-checked before it is read (the Cyrus #888
 * class: a header cut short after "n" or "a").
 */
static int parse_gs2(const char *in, size_t len, size_t *pos,
                     struct apikey_creds *c, const char **why)
{
    size_t i = 0, n = 0;

    if (len == 0) {
        *why = "empty message";
        return AK_ERR_MALFORMED;
    }
    if (in[0] == 'p') {
        *why = "client requires channel binding, which is not offered";
        return AK_ERR_MALFORMED;
    }
    if (in[0] != 'n' && in[0] != 'y') {
        *why = "bad GS2 channel-binding flag";
        return AK_ERR_MALFORMED;
    }
    i = 1;
    if (i >= len || in[i] != ',') {
        *why = "truncated GS2 header";
        return AK_ERR_MALFORMED;
    }
    i++;
    if (i < len && in[i] == 'a') {
        if (i + 1 >= len || in[i + 1] != '=') {
            *why = "bad GS2 authzid";
            return AK_ERR_MALFORMED;
        }
        i += 2;
        while (i < len && in[i] != ',') {
            char ch = in[i];
            if (ch == '=') {
                if (i + 2 >= len) {
                    *why = "truncated escape in GS2 authzid";
                    return AK_ERR_MALFORMED;
                }
                if (in[i + 1] == '2' && in[i + 2] == 'C')
                    ch = ',';
                else if (in[i + 1] == '3' && in[i + 2] == 'D')
                    ch = '=';
                else {
                    *why = "bad escape in GS2 authzid";
                    return AK_ERR_MALFORMED;
                }
                i += 2;
            }
            if (n >= sizeof(c->authzid_buf)) {
                *why = "GS2 authzid too long";
                return AK_ERR_MALFORMED;
            }
            c->authzid_buf[n++] = ch;
            i++;
        }
        if (n == 0) {
            *why = "empty GS2 authzid";
            return AK_ERR_MALFORMED;
        }
        if (!name_ok(c->authzid_buf, n)) {
            *why = "GS2 authzid is not a valid name";
            return AK_ERR_MALFORMED;
        }
        c->authzid = c->authzid_buf;
        c->authzid_len = n;
    }
    if (i >= len || in[i] != ',') {
        *why = "truncated GS2 header";
        return AK_ERR_MALFORMED;
    }
    *pos = i + 1;
    return AK_OK;
}

/* One kvpair starting at in[*pos]: key "=" value %x01. utf8 admits
 * bytes >= 0x80 in the value (XOAUTH2's user name); the caller then checks
 * the value as UTF-8. */
static int next_kvpair(const char *in, size_t len, size_t *pos, bool utf8,
                       const char **key, size_t *klen, const char **val,
                       size_t *vlen, const char **why)
{
    size_t i = *pos, k0 = *pos, v0;

    while (i < len && is_alpha(in[i]))
        i++;
    if (i == k0) {
        *why = "kvpair with an empty or non-alphabetic key";
        return AK_ERR_MALFORMED;
    }
    if (i >= len || in[i] != '=') {
        *why = "kvpair without '='";
        return AK_ERR_MALFORMED;
    }
    v0 = ++i;
    while (i < len && in[i] != KVSEP) {
        if (!is_kv_value(in[i]) && !(utf8 && (unsigned char)in[i] >= 0x80)) {
            *why = "bad character in a kvpair value";
            return AK_ERR_MALFORMED;
        }
        i++;
    }
    if (i >= len) {
        *why = "unterminated kvpair";
        return AK_ERR_MALFORMED;
    }
    *key = in + k0;
    *klen = v0 - 1 - k0;
    *val = in + v0;
    *vlen = i - v0;
    *pos = i + 1;
    return AK_OK;
}

static bool key_is(const char *k, size_t klen, const char *want)
{
    return klen == strlen(want) && memcmp(k, want, klen) == 0;
}

static int parse_oauthbearer(const char *in, size_t len, struct apikey_creds *c,
                             const char **why)
{
    size_t pos = 0;
    bool have_auth = false, have_host = false, have_port = false;

    if (parse_gs2(in, len, &pos, c, why) != AK_OK)
        return AK_ERR_MALFORMED;
    if (pos >= len || in[pos] != KVSEP) {
        *why = "no separator after the GS2 header";
        return AK_ERR_MALFORMED;
    }
    pos++;
    for (;;) {
        const char *k, *v;
        size_t kl, vl;

        if (pos >= len) {
            *why = "no final separator";
            return AK_ERR_MALFORMED;
        }
        if (in[pos] == KVSEP) {
            pos++;
            break;
        }
        if (next_kvpair(in, len, &pos, false, &k, &kl, &v, &vl, why) != AK_OK)
            return AK_ERR_MALFORMED;
        if (key_is(k, kl, "auth")) {
            if (have_auth) {
                *why = "auth given twice";
                return AK_ERR_MALFORMED;
            }
            have_auth = true;
            if (parse_bearer(v, vl, &c->key, &c->key_len, why) != AK_OK)
                return AK_ERR_MALFORMED;
        } else if (key_is(k, kl, "host")) {
            if (have_host) {
                *why = "host given twice";
                return AK_ERR_MALFORMED;
            }
            have_host = true;
        } else if (key_is(k, kl, "port")) {
            bool digits = vl > 0 && vl <= 5;
            for (size_t j = 0; digits && j < vl; j++)
                digits = is_digit(v[j]);
            if (have_port || !digits) {
                *why = have_port ? "port given twice" : "port is not a number";
                return AK_ERR_MALFORMED;
            }
            have_port = true;
        }
        /* RFC 7628 lets extensions add keys; unknown ones are ignored. */
    }
    if (pos != len) {
        *why = "data after the final separator";
        return AK_ERR_MALFORMED;
    }
    if (!have_auth) {
        *why = "no auth kvpair";
        return AK_ERR_MALFORMED;
    }
    return AK_OK;
}

/* "user=" name %x01 "auth=Bearer " token %x01 %x01, in that order. */
static int parse_xoauth2(const char *in, size_t len, struct apikey_creds *c,
                         const char **why)
{
    size_t pos = 0;
    const char *k, *v;
    size_t kl, vl;

    if (next_kvpair(in, len, &pos, true, &k, &kl, &v, &vl, why) != AK_OK)
        return AK_ERR_MALFORMED;
    if (!key_is(k, kl, "user")) {
        *why = "first kvpair is not user";
        return AK_ERR_MALFORMED;
    }
    if (vl == 0 || !name_ok(v, vl)) {
        *why = "user is not a valid name";
        return AK_ERR_MALFORMED;
    }
    c->authzid = v;
    c->authzid_len = vl;
    if (next_kvpair(in, len, &pos, false, &k, &kl, &v, &vl, why) != AK_OK)
        return AK_ERR_MALFORMED;
    if (!key_is(k, kl, "auth")) {
        *why = "second kvpair is not auth";
        return AK_ERR_MALFORMED;
    }
    if (parse_bearer(v, vl, &c->key, &c->key_len, why) != AK_OK)
        return AK_ERR_MALFORMED;
    if (pos >= len || in[pos] != KVSEP) {
        *why = "no final separator";
        return AK_ERR_MALFORMED;
    }
    if (pos + 1 != len) {
        *why = "data after the final separator";
        return AK_ERR_MALFORMED;
    }
    return AK_OK;
}

int apikey_parse_client_first(enum apikey_mech m, const char *in, size_t len,
                              struct apikey_creds *c, const char **why)
{
    const char *dummy;
    int rc;

    if (why == NULL)
        why = &dummy;
    *why = NULL;
    c->authzid = c->authcid = c->key = NULL;
    c->authzid_len = c->authcid_len = c->key_len = 0;
    if (in == NULL || len == 0) {
        *why = "empty message";
        return AK_ERR_MALFORMED;
    }
    if (len > APIKEY_MSG_MAX) {
        *why = "message too long";
        return AK_ERR_MALFORMED;
    }
    switch (m) {
    case APIKEY_MECH_APIKEY:
        rc = parse_apikey(in, len, c, why);
        break;
    case APIKEY_MECH_OAUTHBEARER:
        rc = parse_oauthbearer(in, len, c, why);
        break;
    case APIKEY_MECH_XOAUTH2:
        rc = parse_xoauth2(in, len, c, why);
        break;
    default:
        *why = "unknown mechanism";
        rc = AK_ERR_MALFORMED;
        break;
    }
    if (rc != AK_OK) {
        c->authzid = c->authcid = c->key = NULL;
        c->authzid_len = c->authcid_len = c->key_len = 0;
    }
    return rc;
}

/* RFC 7628 section 3.2.2; no scope or openid-configuration to offer. */
static const char oauthbearer_error[] = "{\"status\":\"invalid_token\"}";
/* What Google sends; clients only check that a challenge came. */
static const char xoauth2_error[] =
    "{\"status\":\"401\",\"schemes\":\"bearer\"}";

const char *apikey_error_challenge(enum apikey_mech m, size_t *len)
{
    switch (m) {
    case APIKEY_MECH_OAUTHBEARER:
        *len = sizeof(oauthbearer_error) - 1;
        return oauthbearer_error;
    case APIKEY_MECH_XOAUTH2:
        *len = sizeof(xoauth2_error) - 1;
        return xoauth2_error;
    default:
        *len = 0;
        return NULL;
    }
}

bool apikey_error_reply_ok(enum apikey_mech m, const char *in, size_t len)
{
    switch (m) {
    case APIKEY_MECH_OAUTHBEARER:
        /* RFC 7628 3.2.3: a single %x01. msmtp sends an empty response
         * instead; it acknowledges the error just as well. */
        return len == 0 || (len == 1 && in != NULL && in[0] == KVSEP);
    case APIKEY_MECH_XOAUTH2:
        return len == 0;
    default:
        return false;
    }
}

const char *apikey_error_reply(enum apikey_mech m, size_t *len)
{
    static const char kvsep[] = {KVSEP, '\0'};
    *len = m == APIKEY_MECH_OAUTHBEARER ? 1 : 0;
    return kvsep;
}

/* Append n bytes at *pos, refusing to pass the end. */
static bool put(char *buf, size_t cap, size_t *pos, const void *s, size_t n)
{
    if (n == 0) /* s may be NULL then (an absent name) */
        return true;
    if (n > cap - *pos)
        return false;
    memcpy(buf + *pos, s, n);
    *pos += n;
    return true;
}

static bool put_str(char *buf, size_t cap, size_t *pos, const char *s)
{
    return put(buf, cap, pos, s, strlen(s));
}

/* saslname: ',' and '=' escaped as =2C and =3D (RFC 5801). */
static bool put_saslname(char *buf, size_t cap, size_t *pos, const char *s,
                         size_t n)
{
    bool ok = true;
    for (size_t i = 0; ok && i < n; i++) {
        if (s[i] == ',')
            ok = put_str(buf, cap, pos, "=2C");
        else if (s[i] == '=')
            ok = put_str(buf, cap, pos, "=3D");
        else
            ok = put(buf, cap, pos, &s[i], 1);
    }
    return ok;
}

int apikey_build_client_first(enum apikey_mech m, const char *authzid,
                              size_t authzid_len, const char *authcid,
                              size_t authcid_len, const char *key,
                              size_t key_len, const char *host, char *buf,
                              size_t bufsize, size_t *outlen)
{
    static const char sep[1] = {KVSEP};
    size_t cap = bufsize < APIKEY_MSG_MAX ? bufsize : APIKEY_MSG_MAX;
    size_t pos = 0;
    bool ok = true;

    if (authzid == NULL)
        authzid_len = 0;
    if (authcid == NULL)
        authcid_len = 0;
    if (key == NULL || buf == NULL ||
        (authzid_len > 0 && !name_ok(authzid, authzid_len)) ||
        (authcid_len > 0 && !name_ok(authcid, authcid_len)))
        return AK_ERR_INVALID;

    switch (m) {
    case APIKEY_MECH_APIKEY:
        if (memchr(key, '\0', key_len) != NULL)
            return AK_ERR_INVALID;
        ok = put(buf, cap, &pos, authzid, authzid_len) &&
             put(buf, cap, &pos, "", 1) &&
             put(buf, cap, &pos, authcid, authcid_len) &&
             put(buf, cap, &pos, "", 1) && put(buf, cap, &pos, key, key_len);
        break;
    case APIKEY_MECH_OAUTHBEARER:
        if (!token_ok(key, key_len))
            return AK_ERR_INVALID;
        ok = put_str(buf, cap, &pos, "n,");
        if (ok && authzid_len > 0)
            ok = put_str(buf, cap, &pos, "a=") &&
                 put_saslname(buf, cap, &pos, authzid, authzid_len);
        ok = ok && put_str(buf, cap, &pos, ",") && put(buf, cap, &pos, sep, 1);
        if (ok && host != NULL && *host != '\0') {
            for (const char *h = host; *h != '\0'; h++)
                if (!is_kv_value(*h))
                    return AK_ERR_INVALID;
            ok = put_str(buf, cap, &pos, "host=") &&
                 put_str(buf, cap, &pos, host) && put(buf, cap, &pos, sep, 1);
        }
        ok = ok && put_str(buf, cap, &pos, "auth=Bearer ") &&
             put(buf, cap, &pos, key, key_len) && put(buf, cap, &pos, sep, 1) &&
             put(buf, cap, &pos, sep, 1);
        break;
    case APIKEY_MECH_XOAUTH2:
        if (!token_ok(key, key_len))
            return AK_ERR_INVALID;
        if (authzid_len == 0) {
            authzid = authcid;
            authzid_len = authcid_len;
        }
        if (authzid_len == 0)
            return AK_ERR_INVALID;
        ok = put_str(buf, cap, &pos, "user=") &&
             put(buf, cap, &pos, authzid, authzid_len) &&
             put(buf, cap, &pos, sep, 1) &&
             put_str(buf, cap, &pos, "auth=Bearer ") &&
             put(buf, cap, &pos, key, key_len) && put(buf, cap, &pos, sep, 1) &&
             put(buf, cap, &pos, sep, 1);
        break;
    default:
        return AK_ERR_INVALID;
    }
    if (!ok)
        return AK_ERR_INVALID;
    *outlen = pos;
    return AK_OK;
}
