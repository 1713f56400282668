/* SPDX-License-Identifier: BSD-3-Clause */
/* exitcode.c - the apikey command's exit code for a status or an outcome,
 * from its class (ak_status.h): one table */
#include "cli.h"

#include <stddef.h>

#include "ak_status.h"

#define N_ROWS(a) (sizeof(a) / sizeof((a)[0]))

/* One row per class; apikey(1), EXIT STATUS, says what each code means. */
static const struct exit_row {
    enum ak_class cls;
    int code;
} exit_rows[] = {
    {AK_CLASS_UNKNOWN, EXIT_INTERNAL},
    {AK_CLASS_OK, EXIT_OK},
    {AK_CLASS_REFUSED, EXIT_REFUSED},
    {AK_CLASS_EXPIRED, EXIT_REFUSED},
    {AK_CLASS_NOT_A_KEY, EXIT_REFUSED},
    {AK_CLASS_UNAVAILABLE, EXIT_UNAVAILABLE},
    {AK_CLASS_LOCAL_CONFIG, EXIT_CONFIG},
    {AK_CLASS_NOMEM, EXIT_INTERNAL},
    {AK_CLASS_INTERNAL, EXIT_INTERNAL},
    {AK_CLASS_BAD_INPUT, EXIT_USAGE},
    {AK_CLASS_NOT_FOUND, EXIT_NOT_FOUND},
    {AK_CLASS_CONFLICT, EXIT_CONFLICT},
    {AK_CLASS_DENIED, EXIT_DENIED},
    /* the directory would not take the value (a schema violation): as a
     * refusal of the change */
    {AK_CLASS_INVALID, EXIT_DENIED},
};
_Static_assert(N_ROWS(exit_rows) == AK_CLASS_LAST + 1, "one row a class");

static int exit_for_class(enum ak_class cls)
{
    for (size_t i = 0; i < N_ROWS(exit_rows); i++)
        if (exit_rows[i].cls == cls)
            return exit_rows[i].code;
    return EXIT_INTERNAL; /* a class without a row fails closed */
}

int cli_exit_for(int status)
{
    return exit_for_class(ak_status_class(status));
}

int cli_exit_for_outcome(enum ak_outcome outcome)
{
    return exit_for_class(ak_outcome_class(outcome));
}
