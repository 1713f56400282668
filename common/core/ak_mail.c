/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_mail.c - plain mail addresses and lists of them */
#include "ak_mail.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ak_status.h"
#include "ak_view.h"

bool ak_mail_ok(const char *s)
{
    const char *at = strchr(s, '@');
    size_t n = strlen(s);

    if (n < 3 || n > AK_MAIL_MAX || at == NULL || at == s || at[1] == '\0' ||
        strchr(at + 1, '@') != NULL)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] <= ' ' || s[i] >= 0x7f || strchr("<>()[],;:\"\\", s[i]))
            return false;
    return true;
}

int ak_mail_list_parse(const char *s, struct ak_mail_list *out,
                       const char **bad)
{
    char *save = NULL;

    memset(out, 0, sizeof(*out));
    *bad = NULL;
    if (strlen(s) >= sizeof(out->buf))
        return AK_ERR_INVALID;
    snprintf(out->buf, sizeof(out->buf), "%s", s);
    for (char *t = strtok_r(out->buf, ",", &save); t != NULL;
         t = strtok_r(NULL, ",", &save)) {
        *bad = t;
        if (!ak_mail_ok(t) || out->n == AK_RECIPIENTS_MAX)
            return AK_ERR_INVALID;
        for (unsigned i = 0; i < out->n; i++)
            if (strcasecmp(out->v[i], t) == 0)
                return AK_ERR_CONFLICT;
        out->v[out->n++] = t;
    }
    *bad = NULL;
    return AK_OK;
}

const char *ak_mail_single(const struct ak_values *mail, char **out)
{
    *out = NULL;
    if (mail->tagged || mail->n > 1)
        return "several mail addresses";
    if (mail->n == 0)
        return "no mail address";
    if (memchr(mail->v[0].p, '\0', mail->v[0].n) != NULL)
        return "a mail address that is not valid";
    *out = strndup(mail->v[0].p, mail->v[0].n);
    if (*out != NULL && !ak_mail_ok(*out)) {
        free(*out);
        *out = NULL;
        return "a mail address that is not valid";
    }
    return NULL;
}
