/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_mail.h - which mail addresses the tools store and write to (pure) */
#ifndef AK_MAIL_H
#define AK_MAIL_H

#include <stdbool.h>

/* Admins who get every expiry notice (apiKeyNoticeRecipient values). */
#define AK_RECIPIENTS_MAX 16
#define AK_MAIL_MAX 254

/*
 * A plain mail address: local@domain, 3 to AK_MAIL_MAX bytes of printable
 * ASCII with one '@' and none of <>()[],;:"\ or a space, so it can add no
 * header and no second recipient to a notice. The rule for every address
 * the tools store (a policy's recipients, a service user's mail) and for
 * the owners' mail the expiry daemon writes to.
 */
bool ak_mail_ok(const char *s);

/*
 * A comma-separated list of distinct addresses (the policy's recipients),
 * split into out->v (pointers into out->buf, NULL-terminated). An empty
 * list gives none. AK_OK; AK_ERR_INVALID with *bad the value that is not
 * an address or one more than AK_RECIPIENTS_MAX (*bad NULL: the list is
 * longer than the buffer); AK_ERR_CONFLICT with *bad the address given
 * twice (ASCII case aside).
 */
struct ak_mail_list {
    char buf[AK_RECIPIENTS_MAX * (AK_MAIL_MAX + 2)];
    unsigned n;
    const char *v[AK_RECIPIENTS_MAX + 1];
};

int ak_mail_list_parse(const char *s, struct ak_mail_list *out,
                       const char **bad);

/*
 * An entry's address to write to: its single mail value, when that is one
 * plain address (ak_mail_ok; no NUL inside, no subtype with options).
 * NULL on success, with *out a malloc'd copy (NULL only when out of
 * memory); otherwise a static reason ("no mail address", "several mail
 * addresses", "a mail address that is not valid") and *out NULL.
 */
struct ak_values;
const char *ak_mail_single(const struct ak_values *mail, char **out);

#endif
