/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_message.h - expiry notices as mail messages and as JSON (pure) */
#ifndef AK_MESSAGE_H
#define AK_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/*
 * Everything in here is text the expiry daemon got from the directory
 * (names, labels, addresses) put into a message a mailer will act on. The
 * rules, checked by tests/unit/test_message.c:
 * - an address (From, To) passes ak_mail_ok() or the message is not built:
 *   it can add no header and no recipient;
 * - a name or label in a header is cleaned (below) and then sent as RFC 2047
 *   encoded words unless it is plain ASCII words, so no byte of it can end
 *   the header line;
 * - a name or label in the body is cleaned: bytes that are not UTF-8 become
 *   U+FFFD, code points that act on a terminal or change how a line
 *   reads (ak_cp_kind: C0, DEL, C1, bidirectional controls, separators,
 *   invisible format controls) become '?';
 * - there is no field for a key or its digest: they cannot appear.
 * Output is LF-terminated (what sendmail -t reads), 8bit UTF-8.
 */

enum ak_msg_class {
    AK_MSG_OWNER, /* the key's owner, or a service user's responsible people */
    AK_MSG_ADMIN, /* the policy's admin recipients */
};

/* "owner" or "admin"; "?" for another value. */
const char *ak_msg_class_str(enum ak_msg_class cls);

/* One recipient: addr must pass ak_mail_ok(); name (cn/displayName, any
 * bytes, may be NULL) is shown beside it. */
struct ak_msg_rcpt {
    const char *addr;
    const char *name;
};

/* One due notice of one key. */
struct ak_msg_key {
    const char *key_id;        /* AK_KEY_ID_LEN base32 (ak_key_id_valid) */
    const char *label;         /* NULL or empty: none; any bytes */
    const char *owner;         /* the owner's user name; any bytes */
    const char *owner_display; /* cn/displayName; NULL: none; any bytes */
    bool service;              /* the owner is a service user */
    time_t expires;            /* the effective expiry (UTC) */
    unsigned stage;            /* days before expiry; 0 = has expired */
    const char *problem;       /* admin message only, e.g. "owner has no
                                * valid mail"; NULL: none */
};

/* Templates are at most this long; a line at most AK_MSG_LINE_MAX bytes. */
#define AK_MSG_TEMPLATE_MAX 65536
#define AK_MSG_LINE_MAX 900
/* Recipients of one message, keys of one message. */
#define AK_MSG_RCPT_MAX 256
#define AK_MSG_KEYS_MAX 100000
/* Notes of one admin message (ak_msg_in). */
#define AK_MSG_NOTES_MAX 100000

struct ak_msg_in {
    enum ak_msg_class cls;
    const struct ak_msg_rcpt *to; /* 1..AK_MSG_RCPT_MAX, distinct */
    size_t n_to;
    const char *from;              /* config notice_from; passes ak_mail_ok() */
    const char *organisation;      /* NULL: none ({organisation} is then
                                    * "your organisation") */
    const char *recipient;         /* {recipient}; NULL: the names (or addresses
                                    * when unnamed) of the To list */
    const struct ak_msg_key *keys; /* 1..AK_MSG_KEYS_MAX (0 with notes) */
    size_t n_keys;
    /* Admin class: lines after the keys about what is not listed key by
     * key (an owner's keys beyond what one message lists, an entry the
     * daemon set aside), any bytes, cleaned as a name is; with notes, a
     * message may list no key. n_more: the keys those lines stand for,
     * counted in {count} and the subject. */
    const char *const *notes;
    size_t n_notes;
    size_t n_more;
    time_t now;
    const char *tmpl; /* NULL: the built-in template of cls */
    size_t tmpl_len;
};

/*
 * Check a template: at most AK_MSG_TEMPLATE_MAX bytes of UTF-8 text
 * (LF or CRLF line ends; no other control character but TAB, no NUL),
 * lines of at most AK_MSG_LINE_MAX bytes, placeholders {recipient},
 * {count}, {keys} and {organisation} only, "{{" and "}}" for literal
 * braces, and {keys} at least once (a notice that lists no key is no
 * notice). AK_OK, or AK_ERR_INVALID with a sentence naming the line and
 * what is wrong in err (err may be NULL). For the daemon's (re)load, so a
 * bad template is refused before any message is due.
 */
int ak_msg_template_check(const char *tmpl, size_t len, char *err,
                          size_t errsize);

/*
 * Build the complete message (headers From, To, Subject, Date, Message-ID,
 * MIME-Version, Content-Type, Content-Transfer-Encoding, Auto-Submitted,
 * and X-Apikey-Notice: owner or admin, one each, folded before column 78;
 * a blank line; the body from the template, no line over 990 bytes). The
 * Message-ID, at the From address's domain, is a hash of the class, the
 * recipients and each key's (id, expiry, stage): the same notices sent
 * again carry the same Message-ID, so mail stores can drop the repeat; the
 * Date is in->now (UTC). On AK_OK *out is a NUL-terminated buffer of
 * *outlen bytes that the caller frees with free(). On failure *out is
 * NULL and err (may be NULL) says why: AK_ERR_INVALID (an address that is
 * not one, a bad key id, no recipient, no key, a bad template),
 * AK_ERR_NOMEM, AK_ERR_CRYPTO.
 */
int ak_msg_build(const struct ak_msg_in *in, char **out, size_t *outlen,
                 char *err, size_t errsize);

/*
 * One notice as one JSON object (and a newline) for notify_command:
 * {"class","stage","key_id","label" (null when none),"owner","service",
 * "expires" (RFC 3339 UTC),"days_left","problem" (null when none),
 * "recipients" (array of addresses, one value each)}. The recipients are
 * those of ak_msg_build, except that n_to may be 0 when key->problem
 * says why nobody is addressed. Strings are cleaned as for the body
 * and escaped, so the output is valid JSON in valid UTF-8. days_left: whole
 * days left rounded up while the key is valid (>= 1), then 0 on the day
 * it expired and -N N days after. Same returns as ak_msg_build().
 */
int ak_msg_json(enum ak_msg_class cls, const struct ak_msg_key *key,
                const struct ak_msg_rcpt *to, size_t n_to, time_t now,
                char **out, size_t *outlen, char *err, size_t errsize);

/* The days_left of a key expiring at expires, seen at now (as above). */
long long ak_msg_days_left(time_t expires, time_t now);

#endif
