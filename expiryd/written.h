/* SPDX-License-Identifier: BSD-3-Clause */
/* written.h - what the daemon remembers of each entry it wrote to: its
 * last write (a copy of the entry without it is older than that write),
 * a batch the directory refused, and entries set aside that the admins
 * were told of */
#ifndef EX_WRITTEN_H
#define EX_WRITTEN_H

#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "ak_view.h"

/*
 * In syncrepl mode each of the daemon's own writes comes back as a change
 * of the entry, and a change queued while the daemon was busy carries the
 * entry as it was before the daemon's later writes. Planned again, such a
 * copy claims what the daemon claimed already: issue 16 counted 5,994
 * "Assertion Failed" claims of one daemon after one holder's flood, and
 * another user's notice waited 6 min 53 s behind them. So a copy that
 * lacks the first value the daemon's last write to that entry added is
 * older than that write and is not planned: the copy that write sent back
 * comes after it. A value someone else removed meanwhile (an admin, a
 * daemon that took over a deferred notice) could keep a newer copy from
 * being planned: the memory of a write lasts notice_lease at most.
 *
 * Slots are found by a keyed hash of the DN (SipHash, a key of this
 * process) and a DN that lands on a taken slot replaces it: forgetting an
 * entry only costs a claim the directory refuses as before (mine.h tells
 * it from another daemon's).
 */
#define EX_WRITTEN_SLOTS 4096

struct ex_written {
    unsigned char key[crypto_shorthash_KEYBYTES];
    bool keyed;
    struct {
        uint64_t dn, value; /* hashes; dn 0: free */
        time_t until;       /* the value counts until then */
        bool refused;       /* the last batch was refused, not by us */
        bool told;          /* set aside, and the admins told */
        bool relax;         /* over a bound: written with the relax control */
    } s[EX_WRITTEN_SLOTS];
};

/* Our write to dn added value v (the first of them) at now; it counts
 * until now + ttl. */
void ex_written_note(struct ex_written *w, const char *dn, const char *v,
                     time_t now, unsigned ttl);

/* True when notices, dn's apiKeyNotice values in a copy read now, lack
 * the value of our last write there (*until: when that stops counting).
 * A copy that holds it ends the memory: later copies are newer. */
bool ex_written_stale(struct ex_written *w, const char *dn,
                      const struct ak_values *notices, time_t now,
                      time_t *until);

/* Note whether dn's last batch was refused (not by us); returns whether
 * the one before was too. */
bool ex_written_refused(struct ex_written *w, const char *dn, bool refused);

/* Whether dn is written with the relax control (over one of the
 * directory's bounds); relax >= 0 sets it first. */
bool ex_written_relax(struct ex_written *w, const char *dn, int relax);

/* True the first time it is asked for dn: the admins are to be told that
 * it is set aside (then it is noted as told). */
bool ex_written_tell(struct ex_written *w, const char *dn);

#endif
