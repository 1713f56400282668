/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_message.c - expiry notices as mail messages and as JSON */
#include "ak_message.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "ak_key.h"
#include "ak_mail.h"
#include "ak_status.h"
#include "ak_text.h"

/* How much of a value from the directory a notice shows. */
#define LABEL_SHOW 64
#define NAME_SHOW 128
#define PROBLEM_SHOW 200
#define NOTE_SHOW 600
#define PLACE_SHOW 120
/* RFC 5322: a line is at most 998 bytes; we break body lines before. */
#define BODY_LINE_MAX 990

static const char default_owner[] =
    "Hello {recipient},\n"
    "\n"
    "this is an automatic notice: {count} API key(s) that you own or are\n"
    "responsible for will expire soon or have expired. A program that\n"
    "still uses an expired key can no longer log in with it.\n"
    "\n"
    "To replace a key, run the command shown for it. It prints a new key\n"
    "with the same label and scope; the old key keeps working for a grace\n"
    "period (see apikey(1)) so you can switch your programs over.\n"
    "\n"
    "{keys}"
    "\n"
    "This notice was sent for {organisation} by apikey-expiryd. You get\n"
    "one notice per threshold; no reply is needed.\n";

static const char default_admin[] =
    "Hello {recipient},\n"
    "\n"
    "this is an automatic notice for the API key administrators of\n"
    "{organisation}: {count} API key(s) will expire soon or have expired.\n"
    "Their owners are told separately, except where a problem is shown:\n"
    "then this notice is the only one, and the problem needs an admin.\n"
    "\n"
    "{keys}"
    "\n"
    "Sent by apikey-expiryd.\n";

/* ---- a growing buffer ------------------------------------------------ */

struct sb {
    char *p;
    size_t len, cap;
    bool oom;
};

static void sb_add(struct sb *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1) {
            if (cap > SIZE_MAX / 2) {
                b->oom = true;
                return;
            }
            cap *= 2;
        }
        char *q = realloc(b->p, cap);
        if (q == NULL) {
            b->oom = true;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_str(struct sb *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void sb_fmt(struct sb *b,
                                                         const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        b->oom = true; /* only short, fixed formats come here */
        return;
    }
    sb_add(b, tmp, (size_t)n);
}

static void sb_free(struct sb *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

static void set_err(char *err, size_t errsize, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errsize, const char *fmt, ...)
{
    va_list ap;
    if (err == NULL || errsize == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errsize, fmt, ap);
    va_end(ap);
}

/* ---- cleaning text from the directory -------------------------------- */

/* One UTF-8 sequence at s[0..n): its length, or 0 when not well-formed. */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
    return ak_utf8_next((const char *)s, n, cp);
}

/* Code points a notice never shows as they are: those that act on a
 * terminal or change how a line reads (ak_text.h has the list, which the
 * CLI's output and the checks of new labels share). */
static bool cp_hidden(uint32_t c)
{
    return ak_cp_kind(c) != AK_CP_PLAIN;
}

/*
 * Append s cleaned: invalid UTF-8 -> U+FFFD, hidden code points -> '?',
 * at most max bytes of it (cut at a character, then "...").
 */
static void sb_clean(struct sb *b, const char *s, size_t max)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t n = strlen((const char *)p), used = 0;

    for (size_t i = 0; i < n;) {
        uint32_t c = 0;
        size_t len = utf8_seq(p + i, n - i, &c);
        const char *rep = NULL;
        size_t rlen;

        if (len == 0) {
            rep = "\xef\xbf\xbd";
            len = 1;
        } else if (cp_hidden(c)) {
            rep = "?";
        }
        rlen = rep ? strlen(rep) : len;
        if (used + rlen > max) {
            sb_str(b, "...");
            return;
        }
        if (rep)
            sb_add(b, rep, rlen);
        else
            sb_add(b, (const char *)p + i, len);
        used += rlen;
        i += len;
    }
}

/* ---- header values --------------------------------------------------- */

/* Header lines are folded before this column (RFC 5322 asks for 78). */
#define FOLD_AT 76

static size_t sb_col(const struct sb *b)
{
    size_t i = b->len;
    while (i > 0 && b->p[i - 1] != '\n')
        i--;
    return b->len - i;
}

/* Append " tok", or fold first ("\n tok") when the line would get too
 * long. tok holds no white space, no CR or LF. */
static void sb_token(struct sb *b, const char *tok, size_t n)
{
    if (n > 0 && sb_col(b) + 1 + n > FOLD_AT && sb_col(b) > 1)
        sb_add(b, "\n", 1);
    sb_add(b, " ", 1);
    sb_add(b, tok, n);
}

static bool plain_words(const char *s)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == ' '))
            return false;
    return true;
}

/* Printable ASCII words, folded at their spaces. */
static void sb_words(struct sb *b, const char *s)
{
    for (;;) {
        const char *sp = strchr(s, ' ');
        size_t n = sp ? (size_t)(sp - s) : strlen(s);
        sb_token(b, s, n);
        if (sp == NULL)
            return;
        s = sp + 1;
    }
}

/*
 * s (clean UTF-8) as RFC 2047 B encoded words, each holding whole
 * characters: 39 bytes make 52 base64 characters, a word of 64, which
 * fits a continuation line.
 */
static void sb_encoded_words(struct sb *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), i = 0;

    while (i < n) {
        size_t take = 0;
        char b64[sodium_base64_ENCODED_LEN(39, sodium_base64_VARIANT_ORIGINAL)];
        char word[sizeof(b64) + 12];

        while (i + take < n) {
            uint32_t c;
            size_t len = utf8_seq(p + i + take, n - i - take, &c);
            if (len == 0)
                len = 1; /* cannot happen for clean text; stay safe */
            if (take + len > 39)
                break;
            take += len;
        }
        sodium_bin2base64(b64, sizeof(b64), p + i, take,
                          sodium_base64_VARIANT_ORIGINAL);
        snprintf(word, sizeof(word), "=?UTF-8?B?%s?=", b64);
        sb_token(b, word, strlen(word));
        i += take;
    }
}

/*
 * A header value from text (clean UTF-8): plain words when it is printable
 * ASCII that cannot be read as an encoded word (and, for a phrase, holds
 * only letters, digits and spaces), else encoded words.
 */
static void sb_header_text(struct sb *b, const char *s, bool phrase)
{
    bool ascii = strstr(s, "=?") == NULL && s[0] != '\0' && s[0] != ' ' &&
                 s[strlen(s) - 1] != ' ' && strstr(s, "  ") == NULL;
    for (const char *q = s; *q && ascii; q++)
        ascii = *q >= 0x20 && *q < 0x7f;
    if (ascii && (!phrase || plain_words(s)))
        sb_words(b, s);
    else
        sb_encoded_words(b, s);
}

/* ---- times ----------------------------------------------------------- */

static bool utc(time_t t, struct tm *tm)
{
    return gmtime_r(&t, tm) != NULL && tm->tm_year + 1900 >= 1970 &&
           tm->tm_year + 1900 <= 9999;
}

long long ak_msg_days_left(time_t expires, time_t now)
{
    long long d = (long long)expires - (long long)now;
    if (d > 0)
        return (d + 86399) / 86400;
    return -((-d) / 86400);
}

static void sb_days(struct sb *b, time_t expires, time_t now)
{
    long long d = ak_msg_days_left(expires, now);
    if (expires > now)
        sb_fmt(b, "expires in %lld day%s", d, d == 1 ? "" : "s");
    else if (d == 0)
        sb_str(b, "expired less than a day ago");
    else
        sb_fmt(b, "expired %lld day%s ago", -d, d == -1 ? "" : "s");
}

/* RFC 5322 date-time in UTC, without the locale. */
static void sb_rfc5322_date(struct sb *b, const struct tm *tm)
{
    static const char wd[7][4] = {"Sun", "Mon", "Tue", "Wed",
                                  "Thu", "Fri", "Sat"};
    static const char mo[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    sb_fmt(b, "%s, %02d %s %04d %02d:%02d:%02d +0000", wd[tm->tm_wday % 7],
           tm->tm_mday, mo[tm->tm_mon % 12], tm->tm_year + 1900, tm->tm_hour,
           tm->tm_min, tm->tm_sec);
}

/* ---- checks of the input --------------------------------------------- */

static int check_key(const struct ak_msg_key *k, size_t i, char *err,
                     size_t errsize)
{
    struct tm tm;
    if (k->key_id == NULL || !ak_key_id_valid(k->key_id, strlen(k->key_id))) {
        set_err(err, errsize, "key %zu: not a key id", i + 1);
        return AK_ERR_INVALID;
    }
    if (!utc(k->expires, &tm)) {
        set_err(err, errsize, "key %s: expiry out of range", k->key_id);
        return AK_ERR_INVALID;
    }
    return AK_OK;
}

static int check_rcpts(const struct ak_msg_rcpt *to, size_t n, char *err,
                       size_t errsize)
{
    if (n == 0 || n > AK_MSG_RCPT_MAX || to == NULL) {
        set_err(err, errsize, "%zu recipients (1 to %d)", n, AK_MSG_RCPT_MAX);
        return AK_ERR_INVALID;
    }
    for (size_t i = 0; i < n; i++)
        if (to[i].addr == NULL || !ak_mail_ok(to[i].addr)) {
            /* the value itself may be anything: not quoted */
            set_err(err, errsize, "recipient %zu is not a mail address", i + 1);
            return AK_ERR_INVALID;
        }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (strcasecmp(to[i].addr, to[j].addr) == 0) {
                set_err(err, errsize, "recipient %zu is given twice", i + 1);
                return AK_ERR_INVALID;
            }
    return AK_OK;
}

/* ---- the body -------------------------------------------------------- */

static void sb_key_block(struct sb *b, const struct ak_msg_key *k,
                         enum ak_msg_class cls, time_t now)
{
    struct tm tm;

    sb_str(b, "  ");
    sb_str(b, k->key_id);
    if (k->label != NULL && k->label[0] != '\0') {
        sb_str(b, "  \"");
        sb_clean(b, k->label, LABEL_SHOW);
        sb_str(b, "\"");
    }
    sb_str(b,
           k->service ? "\n    owner:    service user " : "\n    owner:    ");
    sb_clean(b, k->owner, NAME_SHOW);
    if (k->owner_display != NULL && k->owner_display[0] != '\0') {
        sb_str(b, " (");
        sb_clean(b, k->owner_display, NAME_SHOW);
        sb_str(b, ")");
    }
    (void)utc(k->expires, &tm); /* checked by check_key */
    sb_fmt(b, "\n    expires:  %04d-%02d-%02d %02d:%02d:%02d UTC, ",
           tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
           tm.tm_sec);
    sb_days(b, k->expires, now);
    if (cls == AK_MSG_ADMIN && k->problem != NULL && k->problem[0] != '\0') {
        sb_str(b, "\n    problem:  ");
        sb_clean(b, k->problem, PROBLEM_SHOW);
    }
    sb_str(b, "\n    replace:  apikey rotate ");
    sb_str(b, k->key_id);
    sb_str(b, "\n");
}

/* The admins' lines about what is not listed key by key. */
static void sb_notes(struct sb *b, const struct ak_msg_in *in)
{
    for (size_t i = 0; in->cls == AK_MSG_ADMIN && i < in->n_notes; i++) {
        sb_str(b, in->n_keys > 0 || i > 0 ? "\n  " : "  ");
        sb_clean(b, in->notes[i], NOTE_SHOW);
        sb_str(b, "\n");
    }
}

static void sb_recipient(struct sb *b, const struct ak_msg_in *in)
{
    struct sb t = {0};

    if (in->recipient != NULL) {
        sb_clean(b, in->recipient, PLACE_SHOW);
        return;
    }
    for (size_t i = 0; i < in->n_to; i++) {
        const char *name = in->to[i].name;
        if (i > 0)
            sb_str(&t, ", ");
        sb_str(&t, name != NULL && name[0] != '\0' ? name : in->to[i].addr);
    }
    if (t.oom)
        b->oom = true;
    else
        sb_clean(b, t.p, PLACE_SHOW);
    sb_free(&t);
}

static const char *const places[] = {"recipient", "count", "keys",
                                     "organisation"};

/*
 * One pass over a template: checks it, and with b != NULL expands it.
 * AK_OK or AK_ERR_INVALID (err says where).
 */
static int template_pass(const char *t, size_t len, struct sb *b,
                         const struct ak_msg_in *in, char *err, size_t errsize)
{
    size_t line = 1, col = 0;
    bool keys = false;

    if (len > AK_MSG_TEMPLATE_MAX) {
        set_err(err, errsize, "template longer than %d bytes",
                AK_MSG_TEMPLATE_MAX);
        return AK_ERR_INVALID;
    }
    for (size_t i = 0; i < len;) {
        const unsigned char c = (unsigned char)t[i];
        uint32_t cp = 0;
        size_t n;

        if (c == '\r' && i + 1 < len && t[i + 1] == '\n') {
            i++;
            continue;
        }
        if (c == '\n') {
            if (b)
                sb_add(b, "\n", 1);
            line++, col = 0, i++;
            continue;
        }
        if (c == '{' && i + 1 < len && t[i + 1] == '{') {
            if (b)
                sb_add(b, "{", 1);
            i += 2, col += 2;
            continue;
        }
        if (c == '}') {
            if (i + 1 < len && t[i + 1] == '}') {
                if (b)
                    sb_add(b, "}", 1);
                i += 2, col += 2;
                continue;
            }
            set_err(err, errsize,
                    "template line %zu: '}' without '{' (write }} "
                    "for a brace)",
                    line);
            return AK_ERR_INVALID;
        }
        if (c == '{') {
            const char *end = memchr(t + i, '}', len - i);
            size_t nlen = end ? (size_t)(end - (t + i)) - 1 : 0;
            size_t k;

            for (k = 0; end != NULL && k < sizeof(places) / sizeof(places[0]);
                 k++)
                if (strlen(places[k]) == nlen &&
                    memcmp(places[k], t + i + 1, nlen) == 0)
                    break;
            if (end == NULL || k == sizeof(places) / sizeof(places[0])) {
                set_err(err, errsize,
                        "template line %zu: unknown placeholder (known: "
                        "{recipient} {count} {keys} {organisation}; write "
                        "{{ for a brace)",
                        line);
                return AK_ERR_INVALID;
            }
            if (b != NULL) {
                switch (k) {
                case 0:
                    sb_recipient(b, in);
                    break;
                case 1:
                    sb_fmt(b, "%zu", in->n_keys + in->n_more);
                    break;
                case 2:
                    if (b->len > 0 && b->p[b->len - 1] != '\n')
                        sb_str(b, "\n");
                    for (size_t j = 0; j < in->n_keys; j++) {
                        if (j > 0)
                            sb_str(b, "\n");
                        sb_key_block(b, &in->keys[j], in->cls, in->now);
                    }
                    sb_notes(b, in);
                    break;
                default:
                    if (in->organisation != NULL && in->organisation[0] != '\0')
                        sb_clean(b, in->organisation, PLACE_SHOW);
                    else
                        sb_str(b, "your organisation");
                    break;
                }
            }
            keys = keys || k == 2;
            col += nlen + 2;
            i += nlen + 2;
            if (col > AK_MSG_LINE_MAX)
                goto long_line;
            continue;
        }
        n = utf8_seq((const unsigned char *)t + i, len - i, &cp);
        if (n == 0 || (cp_hidden(cp) && cp != '\t')) {
            set_err(err, errsize, "template line %zu: %s", line,
                    n == 0 ? "not UTF-8" : "a control character");
            return AK_ERR_INVALID;
        }
        if (b)
            sb_add(b, t + i, n);
        i += n, col += n;
        if (col > AK_MSG_LINE_MAX)
            goto long_line;
    }
    if (!keys) {
        set_err(err, errsize, "template has no {keys}");
        return AK_ERR_INVALID;
    }
    return AK_OK;
long_line:
    set_err(err, errsize, "template line %zu longer than %d bytes", line,
            AK_MSG_LINE_MAX);
    return AK_ERR_INVALID;
}

int ak_msg_template_check(const char *tmpl, size_t len, char *err,
                          size_t errsize)
{
    if (tmpl == NULL) {
        set_err(err, errsize, "no template");
        return AK_ERR_INVALID;
    }
    return template_pass(tmpl, len, NULL, NULL, err, errsize);
}

/* Append body to b: LF line ends, ending in one, no line over the limit
 * (a longer one is broken at a character). */
static void sb_body(struct sb *b, const char *body, size_t len)
{
    size_t col = 0;

    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = body[i] == '\n' ? 1
                                   : utf8_seq((const unsigned char *)body + i,
                                              len - i, &cp);
        if (n == 0)
            n = 1; /* never: the body is built clean */
        if (body[i] == '\n') {
            col = 0;
        } else if (col + n > BODY_LINE_MAX) {
            sb_add(b, "\n", 1);
            col = 0;
        }
        sb_add(b, body + i, n);
        if (body[i] != '\n')
            col += n;
        i += n;
    }
    if (len == 0 || body[len - 1] != '\n')
        sb_add(b, "\n", 1);
}

/* ---- the message ----------------------------------------------------- */

static void sb_subject(struct sb *b, const struct ak_msg_in *in)
{
    struct sb s = {0};

    if (in->n_keys == 0) {
        sb_str(&s, "API key holders that need an admin");
    } else if (in->n_keys == 1 && in->n_more == 0) {
        const struct ak_msg_key *k = &in->keys[0];
        sb_str(&s, "API key ");
        sb_days(&s, k->expires, in->now);
        sb_str(&s, ": ");
        sb_str(&s, k->key_id);
        if (k->label != NULL && k->label[0] != '\0') {
            sb_str(&s, " (");
            sb_clean(&s, k->label, LABEL_SHOW);
            sb_str(&s, ")");
        }
    } else {
        size_t expired = 0;
        for (size_t i = 0; i < in->n_keys; i++)
            expired += in->keys[i].expires <= in->now;
        sb_fmt(&s, "%zu API keys %s", in->n_keys + in->n_more,
               expired == 0            ? "expire soon"
               : expired == in->n_keys ? "have expired"
                                       : "expire soon or have expired");
    }
    if (s.oom)
        b->oom = true;
    else
        sb_header_text(b, s.p, false);
    sb_free(&s);
}

static void sb_to(struct sb *b, const struct ak_msg_in *in)
{
    for (size_t i = 0; i < in->n_to; i++) {
        const char *name = in->to[i].name;
        const char *addr = in->to[i].addr;

        if (i > 0)
            sb_add(b, ",", 1);
        if (name != NULL && name[0] != '\0') {
            struct sb c = {0}, a = {0};
            sb_clean(&c, name, NAME_SHOW);
            if (c.oom)
                b->oom = true;
            else
                sb_header_text(b, c.p, true);
            sb_free(&c);
            sb_str(&a, "<");
            sb_str(&a, addr);
            sb_str(&a, ">");
            if (a.oom)
                b->oom = true;
            else
                sb_token(b, a.p, a.len);
            sb_free(&a);
        } else {
            sb_token(b, addr, strlen(addr));
        }
    }
}

/*
 * The Message-ID names the notices, not the moment: a hash of the class,
 * the recipients and each key's (id, expiry, stage). A message sent again
 * (a daemon died after the mailer accepted it and before it was recorded,
 * the one duplicate window) carries the same Message-ID, which mail
 * stores and filters commonly drop as a repeat.
 */
static void message_id(const struct ak_msg_in *in, unsigned char out[16])
{
    crypto_generichash_state st;
    char buf[64];

    crypto_generichash_init(&st, NULL, 0, 16);
    crypto_generichash_update(&st, (const unsigned char *)"apikey-notice-v1",
                              16);
    snprintf(buf, sizeof(buf), "|%d|", (int)in->cls);
    crypto_generichash_update(&st, (const unsigned char *)buf, strlen(buf));
    for (size_t i = 0; i < in->n_to; i++)
        crypto_generichash_update(&st, (const unsigned char *)in->to[i].addr,
                                  strlen(in->to[i].addr) + 1);
    for (size_t i = 0; i < in->n_keys; i++) {
        snprintf(buf, sizeof(buf), "|%s %" PRId64 " %u", in->keys[i].key_id,
                 (int64_t)in->keys[i].expires, in->keys[i].stage);
        crypto_generichash_update(&st, (const unsigned char *)buf, strlen(buf));
    }
    for (size_t i = 0; i < in->n_notes; i++)
        crypto_generichash_update(&st, (const unsigned char *)in->notes[i],
                                  strlen(in->notes[i]) + 1);
    crypto_generichash_final(&st, out, 16);
}

int ak_msg_build(const struct ak_msg_in *in, char **out, size_t *outlen,
                 char *err, size_t errsize)
{
    struct sb m = {0}, body = {0};
    unsigned char rnd[16];
    char hex[sizeof(rnd) * 2 + 1];
    struct tm tm;
    const char *tmpl;
    size_t tlen;
    int rc;

    *out = NULL;
    *outlen = 0;
    set_err(err, errsize, "ok");
    if (in->cls != AK_MSG_OWNER && in->cls != AK_MSG_ADMIN) {
        set_err(err, errsize, "unknown recipient class");
        return AK_ERR_INVALID;
    }
    if (in->from == NULL || !ak_mail_ok(in->from)) {
        set_err(err, errsize,
                "the From address (notice_from) is not a "
                "mail address");
        return AK_ERR_INVALID;
    }
    if ((rc = check_rcpts(in->to, in->n_to, err, errsize)) != AK_OK)
        return rc;
    if (in->n_notes > AK_MSG_NOTES_MAX ||
        (in->n_notes > 0 && (in->cls != AK_MSG_ADMIN || in->notes == NULL))) {
        set_err(err, errsize, "%zu notes (0 to %d, admin messages only)",
                in->n_notes, AK_MSG_NOTES_MAX);
        return AK_ERR_INVALID;
    }
    for (size_t i = 0; i < in->n_notes; i++)
        if (in->notes[i] == NULL) {
            set_err(err, errsize, "note %zu is missing", i);
            return AK_ERR_INVALID;
        }
    if ((in->n_keys == 0 && in->n_notes == 0) || in->n_keys > AK_MSG_KEYS_MAX ||
        (in->n_keys > 0 && in->keys == NULL)) {
        set_err(err, errsize, "%zu keys (1 to %d)", in->n_keys,
                AK_MSG_KEYS_MAX);
        return AK_ERR_INVALID;
    }
    for (size_t i = 0; i < in->n_keys; i++)
        if ((rc = check_key(&in->keys[i], i, err, errsize)) != AK_OK)
            return rc;
    if (!utc(in->now, &tm)) {
        set_err(err, errsize, "the time is out of range");
        return AK_ERR_INVALID;
    }
    if (sodium_init() < 0) {
        set_err(err, errsize, "libsodium cannot be initialised");
        return AK_ERR_CRYPTO;
    }

    tmpl = in->tmpl;
    tlen = in->tmpl_len;
    if (tmpl == NULL) {
        tmpl = in->cls == AK_MSG_OWNER ? default_owner : default_admin;
        tlen = strlen(tmpl);
    }
    if ((rc = template_pass(tmpl, tlen, &body, in, err, errsize)) != AK_OK)
        goto out;

    message_id(in, rnd);
    sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));

    sb_str(&m, "From: ");
    sb_str(&m, in->from);
    sb_str(&m, "\nTo:");
    sb_to(&m, in);
    sb_str(&m, "\nSubject:");
    sb_subject(&m, in);
    sb_str(&m, "\nDate: ");
    sb_rfc5322_date(&m, &tm);
    sb_fmt(&m, "\nMessage-ID: <%s@", hex);
    sb_str(&m, strchr(in->from, '@') + 1);
    sb_str(&m, ">\nMIME-Version: 1.0\n"
               "Content-Type: text/plain; charset=UTF-8\n"
               "Content-Transfer-Encoding: 8bit\n"
               "Auto-Submitted: auto-generated\n");
    sb_fmt(&m, "X-Apikey-Notice: %s\n\n", ak_msg_class_str(in->cls));
    if (!body.oom)
        sb_body(&m, body.p, body.len);
    if (m.oom || body.oom) {
        set_err(err, errsize, "out of memory");
        rc = AK_ERR_NOMEM;
        goto out;
    }
    *out = m.p;
    *outlen = m.len;
    m.p = NULL;
    rc = AK_OK;
out:
    sb_free(&m);
    sb_free(&body);
    return rc;
}

const char *ak_msg_class_str(enum ak_msg_class cls)
{
    switch (cls) {
    case AK_MSG_OWNER:
        return "owner";
    case AK_MSG_ADMIN:
        return "admin";
    }
    return "?";
}

/* ---- JSON ------------------------------------------------------------ */

/* A JSON string of s cleaned as for the body (so: valid UTF-8, no
 * control characters), with " and \ escaped. */
static void sb_json_str(struct sb *b, const char *s, size_t max)
{
    struct sb c = {0};

    sb_clean(&c, s, max);
    sb_add(b, "\"", 1);
    for (size_t i = 0; i < c.len; i++) {
        if (c.p[i] == '"' || c.p[i] == '\\')
            sb_add(b, "\\", 1);
        sb_add(b, c.p + i, 1);
    }
    sb_add(b, "\"", 1);
    if (c.oom)
        b->oom = true;
    sb_free(&c);
}

int ak_msg_json(enum ak_msg_class cls, const struct ak_msg_key *key,
                const struct ak_msg_rcpt *to, size_t n_to, time_t now,
                char **out, size_t *outlen, char *err, size_t errsize)
{
    struct sb j = {0};
    struct tm tm;
    int rc;

    *out = NULL;
    *outlen = 0;
    if (cls != AK_MSG_OWNER && cls != AK_MSG_ADMIN) {
        set_err(err, errsize, "unknown recipient class");
        return AK_ERR_INVALID;
    }
    /* nobody to address only with the reason why (an owner without
     * mail): a chat or ticket system still hears of the notice */
    if ((n_to > 0 || key->problem == NULL || key->problem[0] == '\0') &&
        (rc = check_rcpts(to, n_to, err, errsize)) != AK_OK)
        return rc;
    if ((rc = check_key(key, 0, err, errsize)) != AK_OK)
        return rc;
    (void)utc(key->expires, &tm);

    sb_fmt(&j, "{\"class\":\"%s\",\"stage\":%u,\"key_id\":\"%s\",",
           ak_msg_class_str(cls), key->stage, key->key_id);
    sb_str(&j, "\"label\":");
    if (key->label != NULL && key->label[0] != '\0')
        sb_json_str(&j, key->label, LABEL_SHOW);
    else
        sb_str(&j, "null");
    sb_str(&j, ",\"owner\":");
    sb_json_str(&j, key->owner, NAME_SHOW);
    sb_fmt(&j,
           ",\"service\":%s,\"expires\":\"%04d-%02d-%02dT%02d:%02d:%02dZ\","
           "\"days_left\":%lld,\"problem\":",
           key->service ? "true" : "false", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
           ak_msg_days_left(key->expires, now));
    if (key->problem != NULL && key->problem[0] != '\0')
        sb_json_str(&j, key->problem, PROBLEM_SHOW);
    else
        sb_str(&j, "null");
    sb_str(&j, ",\"recipients\":[");
    for (size_t i = 0; i < n_to; i++) {
        if (i > 0)
            sb_str(&j, ",");
        sb_json_str(&j, to[i].addr, AK_MAIL_MAX); /* ak_mail_ok: plain */
    }
    sb_str(&j, "]}\n");
    if (j.oom) {
        sb_free(&j);
        set_err(err, errsize, "out of memory");
        return AK_ERR_NOMEM;
    }
    *out = j.p;
    *outlen = j.len;
    return AK_OK;
}
