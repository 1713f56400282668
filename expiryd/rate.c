/* SPDX-License-Identifier: BSD-3-Clause */
/* rate.c - notice_rate: at most that many runs a second of each program
 * the daemon starts (the mailer, notify_command) */
#include <time.h>

#include "ex.h"
#include "ex_pass.h"

void ex_throttle(const struct ex *e, struct timespec *next)
{
    long long step =
        e->cfg->notice_rate ? 1000000000LL / e->cfg->notice_rate : 0;
    struct timespec now;
    long long wait;

    if (step == 0)
        return;
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        wait = (long long)(next->tv_sec - now.tv_sec) * 1000000000LL +
               (next->tv_nsec - now.tv_nsec);
        if (wait <= 0 || ex_stop)
            break;
        if (wait > 100000000LL)
            wait = 100000000LL;
        nanosleep(&(struct timespec){0, (long)wait}, NULL);
    }
    if (wait < 0 || ex_stop)
        *next = now; /* no slot is saved up while idle */
    next->tv_sec += (time_t)(step / 1000000000LL);
    next->tv_nsec += (long)(step % 1000000000LL);
    if (next->tv_nsec >= 1000000000L) {
        next->tv_sec++;
        next->tv_nsec -= 1000000000L;
    }
}
