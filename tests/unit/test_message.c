/* SPDX-License-Identifier: BSD-3-Clause */
/* test_message.c - expiry notices: parse what ak_msg_build wrote */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include "ak_mail.h"
#include "ak_message.h"
#include "ak_status.h"
#include "ak_text.h"

#define ID1 "3f2kq7m4xw5yzb2c"
#define ID2 "abcdefghijklmnop"

/* The hostile values every test uses somewhere. */
static const char *const evil[] = {
    "x\r\nBcc: evil@example.org",
    "x\nBcc: evil@example.org",
    "x\rBcc: evil@example.org",
    "J\xc3\xbcrgen M\xc3\xbcller \xe2\x98\x83", /* Jürgen Müller ☃ */
    "\xff\xfe broken \xc3 utf8 \xed\xa0\x80",   /* not UTF-8 */
    "evil\xe2\x80\xae"
    "gnp.exe",                                  /* RLO */
    "=?UTF-8?B?QmNjOiBldmlsQGV4YW1wbGUub3Jn?=", /* looks encoded */
    "a\tb\x7f"
    "c\xc2\x85"
    "d", /* TAB, DEL, NEL */
    "Bcc: evil@example.org",
};
#define N_EVIL (sizeof(evil) / sizeof(evil[0]))

static time_t now;

/* ---- a small parser of the message ----------------------------------- */

struct hdr {
    char name[64];
    char *value; /* unfolded */
};

struct parsed {
    struct hdr h[32];
    size_t n;
    const char *body;
};

static void parse(const char *msg, size_t len, struct parsed *p)
{
    const char *end = strstr(msg, "\n\n");
    const char *s = msg;

    memset(p, 0, sizeof(*p));
    assert_int_equal(strlen(msg), len);  /* no NUL inside */
    assert_null(memchr(msg, '\r', len)); /* LF only, no raw CR */
    assert_non_null(end);
    p->body = end + 2;
    while (s < end + 1) {
        const char *nl = strchr(s, '\n');
        const char *colon;
        size_t vlen;

        assert_non_null(nl);
        /* a header line starts with a name, never with white space (that
         * would be a continuation, which we have folded already) */
        assert_false(*s == ' ' || *s == '\t');
        colon = memchr(s, ':', (size_t)(nl - s));
        assert_non_null(colon);
        assert_true(p->n < 32);
        assert_true((size_t)(colon - s) < sizeof(p->h[0].name));
        memcpy(p->h[p->n].name, s, (size_t)(colon - s));
        for (const char *q = s; q < colon; q++)
            assert_true(*q > ' ' && *q < 0x7f);
        vlen = (size_t)(nl - colon - 1);
        p->h[p->n].value = strndup(colon + 1, vlen);
        s = nl + 1;
        while (s < end + 1 && (*s == ' ' || *s == '\t')) { /* unfold */
            nl = strchr(s, '\n');
            size_t old = strlen(p->h[p->n].value);
            p->h[p->n].value =
                realloc(p->h[p->n].value, old + (size_t)(nl - s) + 1);
            memcpy(p->h[p->n].value + old, s, (size_t)(nl - s));
            p->h[p->n].value[old + (size_t)(nl - s)] = '\0';
            s = nl + 1;
        }
        /* header lines: printable ASCII only (8bit is for the body) */
        for (const char *q = p->h[p->n].value; *q; q++)
            assert_true(*q >= ' ' && *q < 0x7f);
        p->n++;
    }
}

static void parsed_free(struct parsed *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->h[i].value);
}

static const char *hdr(const struct parsed *p, const char *name)
{
    const char *v = NULL;
    size_t count = 0;
    for (size_t i = 0; i < p->n; i++)
        if (strcasecmp(p->h[i].name, name) == 0) {
            v = p->h[i].value;
            count++;
        }
    assert_int_equal(count, 1);
    return v != NULL ? v : "";
}

static const char *const want_headers[] = {
    "From",           "To",
    "Subject",        "Date",
    "Message-ID",     "MIME-Version",
    "Content-Type",   "Content-Transfer-Encoding",
    "Auto-Submitted", "X-Apikey-Notice",
};
#define N_WANT (sizeof(want_headers) / sizeof(want_headers[0]))

/* Exactly the expected headers, one each: nothing injected (no Bcc). */
static void check_headers(const struct parsed *p)
{
    assert_int_equal(p->n, N_WANT);
    for (size_t i = 0; i < N_WANT; i++)
        (void)hdr(p, want_headers[i]);
    for (size_t i = 0; i < p->n; i++)
        assert_int_not_equal(strncasecmp(p->h[i].name, "bcc", 3), 0);
    assert_string_equal(hdr(p, "MIME-Version"), " 1.0");
    assert_string_equal(hdr(p, "Content-Type"), " text/plain; charset=UTF-8");
    assert_string_equal(hdr(p, "Content-Transfer-Encoding"), " 8bit");
    assert_string_equal(hdr(p, "Auto-Submitted"), " auto-generated");
}

/*
 * Decode the RFC 2047 words of a header value (our B words only) into
 * out; what is not an encoded word is copied. The decoded text must be
 * UTF-8 without control characters: no line break can come back.
 */
static void decode_2047(const char *v, char *out, size_t size)
{
    size_t o = 0;
    while (*v) {
        if (strncmp(v, "=?UTF-8?B?", 10) == 0) {
            const char *e = strstr(v + 10, "?=");
            size_t bin = 0;
            assert_non_null(e);
            assert_true(e - v + 2 <= 75); /* RFC 2047 word length */
            assert_int_equal(
                sodium_base642bin((unsigned char *)out + o, size - o - 1,
                                  v + 10, (size_t)(e - v - 10), NULL, &bin,
                                  NULL, sodium_base64_VARIANT_ORIGINAL),
                0);
            o += bin;
            v = e + 2;
            while (*v == ' ' && strncmp(v + 1, "=?", 2) == 0)
                v++; /* white space between words is not text */
        } else {
            assert_true(o + 1 < size);
            out[o++] = *v++;
        }
    }
    out[o] = '\0';
    assert_true(ak_utf8_valid(out, o));
    assert_false(ak_has_ctl(out, o));
}

/* The To value: every element one valid address (after a display name). */
static size_t check_to(const char *v, const char *const *want, size_t nwant)
{
    char *copy = strdup(v), *save = NULL;
    size_t n = 0;

    for (char *t = strtok_r(copy, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        char *lt = strchr(t, '<'), *addr;
        while (*t == ' ')
            t++;
        if (lt) {
            char *gt = strchr(lt, '>');
            assert_non_null(gt);
            assert_int_equal(gt[1], '\0');
            *gt = '\0';
            addr = lt + 1;
        } else {
            addr = t;
        }
        assert_true(ak_mail_ok(addr));
        assert_true(n < nwant);
        assert_string_equal(addr, want[n]);
        n++;
    }
    free(copy);
    assert_int_equal(n, nwant);
    return n;
}

static void check_body(const char *body)
{
    size_t len = strlen(body);
    const char *line = body;

    assert_true(ak_utf8_valid(body, len));
    for (size_t i = 0; i < len; i++)
        assert_true(body[i] == '\n' || body[i] == '\t' ||
                    (unsigned char)body[i] >= 0x20);
    assert_int_equal(body[len - 1], '\n');
    for (const char *nl; (nl = strchr(line, '\n')) != NULL; line = nl + 1)
        assert_true(nl - line <= 998);
    /* no hidden code point survives: NEL, RLO */
    assert_null(strstr(body, "\xc2\x85"));
    assert_null(strstr(body, "\xe2\x80\xae"));
}

/* ---- a tiny JSON validator ------------------------------------------- */

static const char *js_value(const char *s);

static const char *js_ws(const char *s)
{
    while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
        s++;
    return s;
}

static const char *js_string(const char *s)
{
    if (*s++ != '"')
        return NULL;
    while (*s != '"') {
        if ((unsigned char)*s < 0x20)
            return NULL;
        if (*s == '\\') {
            s++;
            if (*s == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (!strchr("0123456789abcdefABCDEF", s[i]) || !s[i])
                        return NULL;
                s += 4;
            } else if (!*s || !strchr("\"\\/bfnrt", *s)) {
                return NULL;
            }
        }
        s++;
    }
    return s + 1;
}

static const char *js_value(const char *s)
{
    s = js_ws(s);
    if (*s == '"')
        return js_string(s);
    if (*s == '{' || *s == '[') {
        char close = *s == '{' ? '}' : ']';
        bool obj = *s == '{';
        s = js_ws(s + 1);
        if (*s == close)
            return s + 1;
        for (;;) {
            if (obj) {
                if ((s = js_string(js_ws(s))) == NULL)
                    return NULL;
                s = js_ws(s);
                if (*s++ != ':')
                    return NULL;
            }
            if ((s = js_value(s)) == NULL)
                return NULL;
            s = js_ws(s);
            if (*s == close)
                return s + 1;
            if (*s++ != ',')
                return NULL;
        }
    }
    if (strncmp(s, "true", 4) == 0 || strncmp(s, "null", 4) == 0)
        return s + 4;
    if (strncmp(s, "false", 5) == 0)
        return s + 5;
    if (*s == '-' || (*s >= '0' && *s <= '9')) {
        char *e;
        (void)strtod(s, &e);
        return e;
    }
    return NULL;
}

static void check_json(const char *j, size_t len)
{
    const char *e;
    assert_int_equal(strlen(j), len);
    assert_true(ak_utf8_valid(j, len));
    e = js_value(j);
    assert_non_null(e);
    assert_string_equal(js_ws(e), "");
    assert_int_equal(j[len - 1], '\n');
}

/* ---- the tests ------------------------------------------------------- */

static struct ak_msg_key key(const char *id, time_t expires, unsigned stage)
{
    struct ak_msg_key k = {
        .key_id = id,
        .label = "deploy bot",
        .owner = "alice",
        .owner_display = "Alice Example",
        .expires = expires,
        .stage = stage,
    };
    return k;
}

static void build_ok(const struct ak_msg_in *in, struct parsed *p, char **msg)
{
    size_t len = 0;
    char err[256];
    int rc = ak_msg_build(in, msg, &len, err, sizeof(err));
    if (rc != AK_OK)
        fail_msg("ak_msg_build: %s", err);
    parse(*msg, len, p);
    check_headers(p);
    check_body(p->body);
}

static void test_owner_one_key(void **state)
{
    (void)state;
    time_t exp = now + 7 * 86400 - 3600; /* a late run: still "7 days" */
    struct ak_msg_key k = key(ID1, exp, 7);
    struct ak_msg_rcpt to[] = {{"alice@example.org", "Alice Example"}};
    struct ak_msg_in in = {.cls = AK_MSG_OWNER,
                           .to = to,
                           .n_to = 1,
                           .from = "apikey@notice.example.org",
                           .keys = &k,
                           .n_keys = 1,
                           .now = now};
    const char *const want_to[] = {"alice@example.org"};
    struct parsed p;
    char *msg = NULL, date[64], want[128], subj[256];
    struct tm tm;

    build_ok(&in, &p, &msg);
    assert_string_equal(hdr(&p, "From"), " apikey@notice.example.org");
    assert_string_equal(hdr(&p, "To"), " Alice Example <alice@example.org>");
    check_to(hdr(&p, "To") + 1, want_to, 1);
    decode_2047(hdr(&p, "Subject"), subj, sizeof(subj));
    assert_string_equal(subj,
                        " API key expires in 7 days: " ID1 " (deploy bot)");
    assert_string_equal(hdr(&p, "X-Apikey-Notice"), " owner");
    /* Date: now, in UTC, RFC 5322 */
    gmtime_r(&now, &tm);
    strftime(date, sizeof(date), " %d %b %Y %H:%M:%S +0000", &tm);
    assert_non_null(strstr(hdr(&p, "Date"), date));
    /* Message-ID at the From domain */
    assert_int_equal(hdr(&p, "Message-ID")[1], '<');
    assert_non_null(strstr(hdr(&p, "Message-ID"), "@notice.example.org>"));
    /* the key line */
    assert_non_null(strstr(p.body, "apikey rotate " ID1 "\n"));
    assert_non_null(strstr(p.body, "Hello Alice Example,"));
    gmtime_r(&exp, &tm);
    strftime(want, sizeof(want), "%Y-%m-%d %H:%M:%S UTC, expires in 7 days",
             &tm);
    assert_non_null(strstr(p.body, want));
    assert_non_null(strstr(p.body, "alice (Alice Example)"));
    assert_non_null(strstr(p.body, "for your organisation"));
    parsed_free(&p);
    free(msg);
}

static void test_days_left(void **state)
{
    (void)state;
    assert_int_equal(ak_msg_days_left(now + 3 * 86400, now), 3);
    assert_int_equal(ak_msg_days_left(now + 3 * 86400 - 1, now), 3);
    assert_int_equal(ak_msg_days_left(now + 1, now), 1);
    assert_int_equal(ak_msg_days_left(now, now), 0);
    assert_int_equal(ak_msg_days_left(now - 86399, now), 0);
    assert_int_equal(ak_msg_days_left(now - 2 * 86400, now), -2);
}

/* Every hostile value in every place a directory value can go. */
static void test_hostile_values(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_EVIL; i++)
        for (int cls = 0; cls < 2; cls++) {
            struct ak_msg_key k[2] = {key(ID1, now + 3 * 86400, 7),
                                      key(ID2, now - 2 * 86400, 0)};
            struct ak_msg_rcpt to[] = {{"bob@example.org", evil[i]},
                                       {"carol@example.org", NULL}};
            struct ak_msg_in in = {.cls = cls ? AK_MSG_ADMIN : AK_MSG_OWNER,
                                   .to = to,
                                   .n_to = 2,
                                   .from = "notices@example.org",
                                   .organisation = evil[i],
                                   .keys = k,
                                   .n_keys = 1 + (i % 2),
                                   .now = now};
            const char *const want_to[] = {"bob@example.org",
                                           "carol@example.org"};
            struct parsed p;
            char *msg = NULL, dec[1024];

            for (int j = 0; j < 2; j++) {
                k[j].label = evil[i];
                k[j].owner = evil[(i + 1) % N_EVIL];
                k[j].owner_display = evil[i];
                k[j].problem = evil[i];
                k[j].service = j == 1;
            }
            build_ok(&in, &p, &msg);
            check_to(hdr(&p, "To") + 1, want_to, 2);
            decode_2047(hdr(&p, "To"), dec, sizeof(dec));
            decode_2047(hdr(&p, "Subject"), dec, sizeof(dec));
            /* no raw "Bcc:" starts any line of the header */
            for (const char *l = msg; l < p.body; l = strchr(l, '\n') + 1)
                assert_int_not_equal(strncasecmp(l, "bcc:", 4), 0);
            assert_non_null(strstr(p.body, "apikey rotate " ID1 "\n"));
            if (in.n_keys == 2) {
                assert_non_null(strstr(p.body, "apikey rotate " ID2 "\n"));
                assert_non_null(strstr(p.body, "expired 2 days ago"));
                assert_non_null(strstr(dec, "2 API keys"));
            }
            if (cls)
                assert_non_null(strstr(p.body, "problem:"));
            else
                assert_null(strstr(p.body, "problem:"));
            parsed_free(&p);
            free(msg);
        }
}

static void test_bad_input(void **state)
{
    (void)state;
    struct ak_msg_key k = key(ID1, now + 86400, 1);
    struct ak_msg_rcpt good[] = {{"a@example.org", NULL}};
    struct ak_msg_rcpt bad[] = {
        {"a@example.org\r\nBcc: evil@example.org", NULL}};
    struct ak_msg_rcpt twice[] = {{"a@example.org", NULL},
                                  {"A@example.org", NULL}};
    struct ak_msg_in in = {.cls = AK_MSG_OWNER,
                           .to = good,
                           .n_to = 1,
                           .from = "n@example.org",
                           .keys = &k,
                           .n_keys = 1,
                           .now = now};
    static char dummy[] = "x";
    char *msg = dummy, err[256];
    size_t len = 1;

    in.to = bad;
    assert_int_equal(ak_msg_build(&in, &msg, &len, err, sizeof(err)),
                     AK_ERR_INVALID);
    assert_null(msg);
    assert_string_equal(err, "recipient 1 is not a mail address");
    in.to = twice;
    in.n_to = 2;
    assert_int_equal(ak_msg_build(&in, &msg, &len, err, sizeof(err)),
                     AK_ERR_INVALID);
    in.to = good;
    in.n_to = 0;
    assert_int_equal(ak_msg_build(&in, &msg, &len, err, sizeof(err)),
                     AK_ERR_INVALID);
    in.n_to = 1;
    in.from = "n@example.org\nBcc: e@example.org";
    assert_int_equal(ak_msg_build(&in, &msg, &len, err, sizeof(err)),
                     AK_ERR_INVALID);
    in.from = "n@example.org";
    k.key_id = "3f2kq7m4xw5yzb2c\nBcc: e@example.org";
    assert_int_equal(ak_msg_build(&in, &msg, &len, err, sizeof(err)),
                     AK_ERR_INVALID);
    k.key_id = ID1;
    in.n_keys = 0;
    assert_int_equal(ak_msg_build(&in, &msg, &len, err, sizeof(err)),
                     AK_ERR_INVALID);
    in.n_keys = 1;
    in.cls = (enum ak_msg_class)7;
    assert_int_equal(ak_msg_build(&in, &msg, &len, err, sizeof(err)),
                     AK_ERR_INVALID);
    in.cls = AK_MSG_OWNER;
    assert_int_equal(ak_msg_build(&in, &msg, &len, err, sizeof(err)), AK_OK);
    free(msg);
    assert_int_equal(ak_msg_json(AK_MSG_OWNER, &k, bad, 1, now, &msg, &len, err,
                                 sizeof(err)),
                     AK_ERR_INVALID);
    assert_null(msg);
}

static void test_templates(void **state)
{
    (void)state;
    static const struct {
        const char *t;
        size_t len; /* 0: strlen */
        const char *err;
    } bad[] = {
        {"Hi {name}\n{keys}\n", 0, "template line 1: unknown placeholder"},
        {"Hi\n{keys\n", 0, "template line 2: unknown placeholder"},
        {"Hi }\n{keys}\n", 0, "template line 1: '}' without '{'"},
        {"Hi {recipient}\n", 0, "template has no {keys}"},
        {"Hi\n\n{ keys}\n", 0, "template line 3: unknown placeholder"},
        {"{keys}\x01\n", 0, "template line 1: a control character"},
        {"{keys}\n\xff\n", 0, "template line 2: not UTF-8"},
        {"{keys}\nab\0c\n", 11, "template line 2: a control character"},
        {"{keys}\r\r\n", 0, "template line 1: a control character"},
    };
    char err[256];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t len = bad[i].len ? bad[i].len : strlen(bad[i].t);
        assert_int_equal(ak_msg_template_check(bad[i].t, len, err, sizeof(err)),
                         AK_ERR_INVALID);
        if (strncmp(err, bad[i].err, strlen(bad[i].err)) != 0)
            fail_msg("template %zu: \"%s\"", i, err);
    }
    char *longline = malloc(AK_MSG_LINE_MAX + 20);
    memset(longline, 'a', AK_MSG_LINE_MAX + 1);
    strcpy(longline + AK_MSG_LINE_MAX + 1, "\n{keys}");
    assert_int_equal(
        ak_msg_template_check(longline, strlen(longline), err, sizeof(err)),
        AK_ERR_INVALID);
    assert_string_equal(err, "template line 1 longer than 900 bytes");
    free(longline);

    /* a good one, CRLF line ends and braces, expanded */
    const char *t = "To {recipient} at {organisation}:\r\n"
                    "{{count}} = {count}\r\n\t{keys}-- end\r\n";
    struct ak_msg_key k[2] = {key(ID1, now + 86400, 1),
                              key(ID2, now + 3600, 1)};
    struct ak_msg_rcpt to[] = {{"ops@example.org", NULL}};
    struct ak_msg_in in = {.cls = AK_MSG_ADMIN,
                           .to = to,
                           .n_to = 1,
                           .from = "n@example.org",
                           .organisation = "Example",
                           .recipient = "the admins",
                           .keys = k,
                           .n_keys = 2,
                           .now = now,
                           .tmpl = t,
                           .tmpl_len = strlen(t)};
    struct parsed p;
    char *msg = NULL, subj[128];

    assert_int_equal(ak_msg_template_check(t, strlen(t), err, sizeof(err)),
                     AK_OK);
    build_ok(&in, &p, &msg);
    assert_non_null(strstr(p.body, "To the admins at Example:\n{count} = 2\n"));
    assert_non_null(strstr(p.body, "\t\n  " ID1));
    assert_non_null(strstr(p.body, "expires in 1 day\n"));
    assert_non_null(strstr(p.body, "-- end\n"));
    decode_2047(hdr(&p, "Subject"), subj, sizeof(subj));
    assert_string_equal(subj, " 2 API keys expire soon");
    assert_string_equal(hdr(&p, "X-Apikey-Notice"), " admin");
    parsed_free(&p);
    free(msg);

    /* a bad template given to the builder: an error, no message */
    in.tmpl = "{keys} {bcc}";
    in.tmpl_len = strlen(in.tmpl);
    size_t len = 0;
    assert_int_equal(ak_msg_build(&in, &msg, &len, err, sizeof(err)),
                     AK_ERR_INVALID);
    assert_null(msg);
    assert_non_null(strstr(err, "unknown placeholder"));
}

/* Long names and many recipients: still lines under the limits. */
static void test_long_values(void **state)
{
    (void)state;
    char big[4096];
    struct ak_msg_rcpt to[40];
    char addrs[40][32];
    const char *want[40];
    struct ak_msg_key k = key(ID1, now - 10, 0);
    struct parsed p;
    char *msg = NULL, subj[512];

    for (size_t i = 0; i < sizeof(big) - 3; i += 3)
        memcpy(big + i, "\xe2\x98\x83", 3); /* ☃ */
    big[sizeof(big) - 1] = '\0';
    big[sizeof(big) - 2] = 'x';
    big[sizeof(big) - 3] = 'y';
    big[sizeof(big) - 4] = 'z';
    for (size_t i = 0; i < 40; i++) {
        snprintf(addrs[i], sizeof(addrs[i]), "user%zu@example.org", i);
        to[i].addr = want[i] = addrs[i];
        to[i].name = i % 2 ? big : "Plain Name";
    }
    k.label = big;
    k.owner = big;
    k.owner_display = big;
    struct ak_msg_in in = {.cls = AK_MSG_OWNER,
                           .to = to,
                           .n_to = 40,
                           .from = "n@example.org",
                           .organisation = big,
                           .keys = &k,
                           .n_keys = 1,
                           .now = now};
    build_ok(&in, &p, &msg);
    check_to(hdr(&p, "To") + 1, want, 40);
    decode_2047(hdr(&p, "Subject"), subj, sizeof(subj));
    assert_non_null(strstr(subj, "API key expired less than a day ago: " ID1));
    for (const char *l = msg, *nl; (nl = strchr(l, '\n')) != NULL; l = nl + 1)
        assert_true(nl - l <= (l < p.body ? 78 : 998));
    parsed_free(&p);
    free(msg);
}

/* The Message-ID names the notices: the same ones (a resend, later) give
 * the same ID, other ones another. */
static void test_message_id_per_notice(void **state)
{
    (void)state;
    struct ak_msg_key k = key(ID1, now + 86400, 1);
    struct ak_msg_rcpt to[] = {{"a@example.org", NULL}};
    struct ak_msg_in in = {.cls = AK_MSG_OWNER,
                           .to = to,
                           .n_to = 1,
                           .from = "n@example.org",
                           .keys = &k,
                           .n_keys = 1,
                           .now = now};
    struct parsed p1, p2;
    char *m1 = NULL, *m2 = NULL;

    build_ok(&in, &p1, &m1);
    in.now = now + 3600; /* sent again an hour later */
    build_ok(&in, &p2, &m2);
    assert_string_equal(hdr(&p1, "Message-ID"), hdr(&p2, "Message-ID"));
    parsed_free(&p2);
    free(m2);
    k.stage = 7; /* another notice of the same key */
    build_ok(&in, &p2, &m2);
    assert_string_not_equal(hdr(&p1, "Message-ID"), hdr(&p2, "Message-ID"));
    parsed_free(&p1);
    parsed_free(&p2);
    free(m1);
    free(m2);
}

static void test_json(void **state)
{
    (void)state;
    /* the validator itself refuses what is not JSON */
    static const char *const not_json[] = {
        "{\"a\":}", "{\"a\" 1}", "[1,]",      "{\"a\":\"x\ny\"}",
        "\"\\q\"",  "{\"a\":1",  "\"\\u12\"",
    };
    for (size_t i = 0; i < sizeof(not_json) / sizeof(not_json[0]); i++) {
        const char *e = js_value(not_json[i]);
        assert_true(e == NULL || *js_ws(e) != '\0');
    }
    assert_non_null(js_value("{\"a\":[1,-2.5e3,true,null,\"\\u00e9\"]}"));
    for (size_t i = 0; i < N_EVIL; i++) {
        struct ak_msg_key k = key(ID1, now + 3 * 86400, 7);
        struct ak_msg_rcpt to[] = {{"a@example.org", evil[i]},
                                   {"b@example.org", NULL}};
        char *j = NULL, err[128], want[64];
        size_t len = 0;
        struct tm tm;
        time_t exp = k.expires;

        k.label = evil[i];
        k.owner = evil[i];
        k.problem = i % 2 ? evil[i] : NULL;
        k.service = i % 2;
        assert_int_equal(ak_msg_json(i % 2 ? AK_MSG_ADMIN : AK_MSG_OWNER, &k,
                                     to, 2, now, &j, &len, err, sizeof(err)),
                         AK_OK);
        check_json(j, len);
        assert_non_null(strstr(j, "\"key_id\":\"" ID1 "\""));
        assert_non_null(strstr(j, "\"stage\":7,"));
        assert_non_null(strstr(j, "\"days_left\":3,"));
        assert_non_null(
            strstr(j, "\"recipients\":[\"a@example.org\",\"b@example.org\"]"));
        gmtime_r(&exp, &tm);
        strftime(want, sizeof(want), "\"expires\":\"%Y-%m-%dT%H:%M:%SZ\"", &tm);
        assert_non_null(strstr(j, want));
        assert_non_null(
            strstr(j, i % 2 ? "\"class\":\"admin\"" : "\"class\":\"owner\""));
        free(j);
    }
    struct ak_msg_key k = key(ID2, now - 5 * 86400, 0);
    struct ak_msg_rcpt to[] = {{"a@example.org", NULL}};
    char *j = NULL, err[128];
    size_t len = 0;
    k.label = NULL;
    assert_int_equal(
        ak_msg_json(AK_MSG_OWNER, &k, to, 1, now, &j, &len, err, sizeof(err)),
        AK_OK);
    check_json(j, len);
    assert_non_null(strstr(j, "\"label\":null,"));
    assert_non_null(strstr(j, "\"days_left\":-5,"));
    assert_non_null(strstr(j, "\"problem\":null,"));
    free(j);
    /* nobody to address: only with the reason why */
    assert_int_equal(
        ak_msg_json(AK_MSG_OWNER, &k, to, 0, now, &j, &len, err, sizeof(err)),
        AK_ERR_INVALID);
    assert_null(j);
    k.problem = "";
    assert_int_equal(
        ak_msg_json(AK_MSG_OWNER, &k, NULL, 0, now, &j, &len, err, sizeof(err)),
        AK_ERR_INVALID);
    k.problem = "no mail address";
    assert_int_equal(
        ak_msg_json(AK_MSG_OWNER, &k, NULL, 0, now, &j, &len, err, sizeof(err)),
        AK_OK);
    check_json(j, len);
    assert_non_null(strstr(j, "\"problem\":\"no mail address\","));
    assert_non_null(strstr(j, "\"recipients\":[]}"));
    free(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_owner_one_key),
        cmocka_unit_test(test_days_left),
        cmocka_unit_test(test_hostile_values),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_templates),
        cmocka_unit_test(test_long_values),
        cmocka_unit_test(test_message_id_per_notice),
        cmocka_unit_test(test_json),
    };
    now = time(NULL);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
