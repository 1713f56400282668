/* SPDX-License-Identifier: BSD-3-Clause */
/* apikey_proto.c - parse and build APIKEY, OAUTHBEARER, XOAUTH2 messages */
#include "apikey_proto.h"

#include <string.h>
#include <strings.h>

#include <sasl/sasl.h>
#include <sasl/saslplug.h>

#include "ak_status.h"
#include "ak_text.h"

#define KVSEP '\x01'

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
 * The saslname after "a=" up to the next ',' (*pos at its first byte), with
 * =2C and =3D decoded into c->authzid_buf. Leaves *pos at the ','.
 */
static int parse_gs2_authzid(const char *in, size_t len, size_t *pos,
                             struct apikey_creds *c, const char **why)
{
    size_t i = *pos, n = 0;

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
    *pos = i;
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
    size_t i = 0;

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
        if (parse_gs2_authzid(in, len, &i, c, why) != AK_OK)
            return AK_ERR_MALFORMED;
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

/* Append n bytes, refusing to pass the end. */
static bool put(struct apikey_wbuf *w, const void *s, size_t n)
{
    if (n == 0) /* s may be NULL then (an absent name) */
        return true;
    if (n > w->cap - w->pos)
        return false;
    memcpy(w->buf + w->pos, s, n);
    w->pos += n;
    return true;
}

static bool put_str(struct apikey_wbuf *w, const char *s)
{
    return put(w, s, strlen(s));
}

static bool put_sep(struct apikey_wbuf *w)
{
    static const char sep[1] = {KVSEP};
    return put(w, sep, 1);
}

/* saslname: ',' and '=' escaped as =2C and =3D (RFC 5801). */
static bool put_saslname(struct apikey_wbuf *w, const char *s, size_t n)
{
    bool ok = true;
    for (size_t i = 0; ok && i < n; i++) {
        if (s[i] == ',')
            ok = put_str(w, "=2C");
        else if (s[i] == '=')
            ok = put_str(w, "=3D");
        else
            ok = put(w, &s[i], 1);
    }
    return ok;
}

/* The bearer mechanisms' last kvpair and the final separator. */
static bool put_bearer_end(struct apikey_wbuf *w, const struct apikey_msg_in *m)
{
    return put_str(w, "auth=Bearer ") && put(w, m->key, m->key_len) &&
           put_sep(w) && put_sep(w);
}

static int build_apikey(const struct apikey_msg_in *m, struct apikey_wbuf *w)
{
    if (memchr(m->key, '\0', m->key_len) != NULL)
        return AK_ERR_INVALID;
    if (!put(w, m->authzid, m->authzid_len) || !put(w, "", 1) ||
        !put(w, m->authcid, m->authcid_len) || !put(w, "", 1) ||
        !put(w, m->key, m->key_len))
        return AK_ERR_INVALID;
    return AK_OK;
}

static int build_oauthbearer(const struct apikey_msg_in *m,
                             struct apikey_wbuf *w)
{
    bool ok;

    if (!token_ok(m->key, m->key_len))
        return AK_ERR_INVALID;
    ok = put_str(w, "n,");
    if (ok && m->authzid_len > 0)
        ok = put_str(w, "a=") && put_saslname(w, m->authzid, m->authzid_len);
    ok = ok && put_str(w, ",") && put_sep(w);
    if (ok && m->host != NULL && *m->host != '\0') {
        for (const char *h = m->host; *h != '\0'; h++)
            if (!is_kv_value(*h))
                return AK_ERR_INVALID;
        ok = put_str(w, "host=") && put_str(w, m->host) && put_sep(w);
    }
    ok = ok && put_bearer_end(w, m);
    return ok ? AK_OK : AK_ERR_INVALID;
}

static int build_xoauth2(const struct apikey_msg_in *m, struct apikey_wbuf *w)
{
    const char *user = m->authzid;
    size_t user_len = m->authzid_len;

    if (!token_ok(m->key, m->key_len))
        return AK_ERR_INVALID;
    if (user_len == 0) {
        user = m->authcid;
        user_len = m->authcid_len;
    }
    if (user_len == 0)
        return AK_ERR_INVALID;
    if (!put_str(w, "user=") || !put(w, user, user_len) || !put_sep(w) ||
        !put_bearer_end(w, m))
        return AK_ERR_INVALID;
    return AK_OK;
}

/* RFC 7628 section 3.2.2; no scope or openid-configuration to offer. */
static const char oauthbearer_error[] = "{\"status\":\"invalid_token\"}";
/* What Google sends; clients only check that a challenge came. */
static const char xoauth2_error[] =
    "{\"status\":\"401\",\"schemes\":\"bearer\"}";
/* RFC 7628 3.2.3: the client answers the error with a single %x01. */
static const char kvsep_reply[] = {KVSEP, '\0'};

/*
 * Security flags as for PLAIN: the key travels in the clear, so hosts
 * that demand SASL_SEC_NOPLAINTEXT (without TLS or another external
 * layer) do not offer these mechanisms; never anonymous. The client
 * speaks first, and may ask for another authorization identity.
 */
#define PLAIN_LIKE_FLAGS SASL_SEC_NOANONYMOUS
#define PLAIN_LIKE_FEATURES                                                    \
    (SASL_FEAT_WANT_CLIENT_FIRST | SASL_FEAT_ALLOWS_PROXY)

const struct apikey_mech_def apikey_mechs[APIKEY_MECH_COUNT] = {
    [APIKEY_MECH_APIKEY] =
        {
            .id = APIKEY_MECH_APIKEY,
            .name = "APIKEY",
            .security_flags = PLAIN_LIKE_FLAGS,
            .features = PLAIN_LIKE_FEATURES,
            .one_name = false,
            .parse = parse_apikey,
            .build = build_apikey,
            .error_challenge = NULL,
            .error_reply = "",
        },
    [APIKEY_MECH_OAUTHBEARER] =
        {
            .id = APIKEY_MECH_OAUTHBEARER,
            .name = "OAUTHBEARER",
            .security_flags = PLAIN_LIKE_FLAGS,
            .features = PLAIN_LIKE_FEATURES,
            .one_name = true,
            .parse = parse_oauthbearer,
            .build = build_oauthbearer,
            .error_challenge = oauthbearer_error,
            .error_challenge_len = sizeof(oauthbearer_error) - 1,
            .error_reply = kvsep_reply,
            .error_reply_len = 1,
        },
    [APIKEY_MECH_XOAUTH2] =
        {
            .id = APIKEY_MECH_XOAUTH2,
            .name = "XOAUTH2",
            .security_flags = PLAIN_LIKE_FLAGS,
            .features = PLAIN_LIKE_FEATURES,
            .one_name = true,
            .parse = parse_xoauth2,
            .build = build_xoauth2,
            .error_challenge = xoauth2_error,
            .error_challenge_len = sizeof(xoauth2_error) - 1,
            .error_reply = "",
        },
};

static const struct apikey_mech_def *mech_def(enum apikey_mech m)
{
    return (unsigned)m < APIKEY_MECH_COUNT ? &apikey_mechs[m] : NULL;
}

const char *apikey_mech_name(enum apikey_mech m)
{
    const struct apikey_mech_def *d = mech_def(m);
    return d ? d->name : "?";
}

int apikey_parse_client_first(enum apikey_mech m, const char *in, size_t len,
                              struct apikey_creds *c, const char **why)
{
    const struct apikey_mech_def *d = mech_def(m);
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
    if (d == NULL) {
        *why = "unknown mechanism";
        rc = AK_ERR_MALFORMED;
    } else {
        rc = d->parse(in, len, c, why);
    }
    if (rc != AK_OK) {
        c->authzid = c->authcid = c->key = NULL;
        c->authzid_len = c->authcid_len = c->key_len = 0;
    }
    return rc;
}

const char *apikey_error_challenge(enum apikey_mech m, size_t *len)
{
    const struct apikey_mech_def *d = mech_def(m);

    *len = d ? d->error_challenge_len : 0;
    return d ? d->error_challenge : NULL;
}

/*
 * The prescribed acknowledgement, or an empty message: msmtp answers
 * OAUTHBEARER's error that way, and it acknowledges the error just as
 * well. A mechanism without an error challenge has nothing to answer.
 */
bool apikey_error_reply_ok(enum apikey_mech m, const char *in, size_t len)
{
    const struct apikey_mech_def *d = mech_def(m);

    if (d == NULL || d->error_challenge == NULL)
        return false;
    return len == 0 || (len == d->error_reply_len && in != NULL &&
                        memcmp(in, d->error_reply, len) == 0);
}

const char *apikey_error_reply(enum apikey_mech m, size_t *len)
{
    const struct apikey_mech_def *d = mech_def(m);

    *len = d ? d->error_reply_len : 0;
    return d ? d->error_reply : "";
}

/* The checks every mechanism shares come first: a key, a buffer, names
 * that are valid names; then the mechanism frames the message. */
int apikey_build_client_first(enum apikey_mech m, const char *authzid,
                              size_t authzid_len, const char *authcid,
                              size_t authcid_len, const char *key,
                              size_t key_len, const char *host, char *buf,
                              size_t bufsize, size_t *outlen)
{
    const struct apikey_mech_def *d = mech_def(m);
    struct apikey_msg_in msg = {
        .authzid = authzid,
        .authzid_len = authzid != NULL ? authzid_len : 0,
        .authcid = authcid,
        .authcid_len = authcid != NULL ? authcid_len : 0,
        .key = key,
        .key_len = key_len,
        .host = host,
    };
    struct apikey_wbuf w = {
        .buf = buf,
        .cap = bufsize < APIKEY_MSG_MAX ? bufsize : APIKEY_MSG_MAX,
    };
    int rc;

    if (key == NULL || buf == NULL ||
        (msg.authzid_len > 0 && !name_ok(authzid, msg.authzid_len)) ||
        (msg.authcid_len > 0 && !name_ok(authcid, msg.authcid_len)))
        return AK_ERR_INVALID;
    if (d == NULL)
        return AK_ERR_INVALID;
    rc = d->build(&msg, &w);
    if (rc != AK_OK)
        return rc;
    *outlen = w.pos;
    return AK_OK;
}
