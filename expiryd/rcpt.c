/* SPDX-License-Identifier: BSD-3-Clause */
/* rcpt.c - who a notice goes to, one address a value: the mail and
 * notify_command's JSON take the same list */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ak_mail.h"
#include "ex_pass.h"

size_t ex_owner_rcpts(const char *to, char **buf, struct ak_msg_rcpt *out,
                      size_t max)
{
    char *save = NULL;
    size_t n = 0;

    *buf = to != NULL ? strdup(to) : NULL;
    for (char *a = *buf ? strtok_r(*buf, " ", &save) : NULL;
         a != NULL && n < max; a = strtok_r(NULL, " ", &save))
        out[n++] = (struct ak_msg_rcpt){.addr = a};
    return n;
}

size_t ex_admin_rcpts(const struct ex *e, struct ak_msg_rcpt *out, size_t max,
                      bool say)
{
    size_t n = 0;

    for (unsigned i = 0; i < e->pol.n_recipients && n < max; i++) {
        const char *a = e->pol.recipients[i];
        bool twice = false;

        for (size_t k = 0; k < n && !twice; k++)
            twice = strcasecmp(out[k].addr, a) == 0;
        /* The policy entry may be written by hand: one bad value must not
         * cost every admin the notices (the message would not be built). */
        if (!ak_mail_ok(a) || twice) {
            if (say)
                ak_log(&e->log, LOG_WARNING,
                       "policy %s: recipient %u %s; left out",
                       e->cfg->policy_dn, i + 1,
                       twice ? "is given twice" : "is not a mail address");
            continue;
        }
        out[n++] = (struct ak_msg_rcpt){.addr = a};
    }
    return n;
}
