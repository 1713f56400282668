/* SPDX-License-Identifier: BSD-3-Clause */
/* freecheck.c - S-03 probe, preloaded: every block handed back through
 * free() or moved by realloc() is searched for any 8-byte window of the
 * armed secrets, so a copy of a key that was freed without being wiped is
 * counted. Not for sanitizer builds (ASan owns the allocator there). */
#include <malloc.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* glibc's own entry points: no dlsym (which may allocate) needed. */
extern void __libc_free(void *p);
extern void *__libc_realloc(void *p, size_t n);

#define WIN 8
#define MAX_PAT 4096

static char pats[MAX_PAT][WIN];
static size_t n_pats;
static volatile bool armed;
static unsigned long hits, checked;

/* Exported for the test (found with dlsym(RTLD_DEFAULT, ...)). */
void aktp_freecheck_arm(const char *secret, size_t len);
void aktp_freecheck_disarm(void);
unsigned long aktp_freecheck_hits(void);
unsigned long aktp_freecheck_checked(void);
void free(void *p);
void *realloc(void *p, size_t n);

void aktp_freecheck_arm(const char *secret, size_t len)
{
    for (size_t i = 0; i + WIN <= len && n_pats < MAX_PAT; i++)
        memcpy(pats[n_pats++], secret + i, WIN);
    armed = true;
}

void aktp_freecheck_disarm(void)
{
    armed = false;
    n_pats = 0;
}

unsigned long aktp_freecheck_hits(void)
{
    return hits;
}

unsigned long aktp_freecheck_checked(void)
{
    return checked;
}

static bool holds_secret(const void *p, size_t n)
{
    checked++;
    for (size_t k = 0; k < n_pats; k++)
        if (memmem(p, n, pats[k], WIN) != NULL)
            return true;
    return false;
}

static void report(const void *p, size_t n, const char *how)
{
    char line[160];
    int len = snprintf(line, sizeof(line),
                       "freecheck: %s a %zu-byte block at %p holding key "
                       "bytes\n",
                       how, n, p);
    hits++;
    /* stdio may allocate; write(2) via fputs on stderr is unbuffered. */
    if (len > 0)
        fputs(line, stderr);
}

void free(void *p)
{
    if (p != NULL && armed) {
        size_t n = malloc_usable_size(p);
        if (holds_secret(p, n))
            report(p, n, "freed");
    }
    __libc_free(p);
}

void *realloc(void *p, size_t n)
{
    bool had = false;
    size_t old = 0;
    void *q;

    if (p != NULL && armed) {
        old = malloc_usable_size(p);
        had = holds_secret(p, old);
    }
    q = __libc_realloc(p, n);
    /* A moved block leaves its old copy behind, unwiped. */
    if (had && q != NULL && q != p)
        report(p, old, "realloc moved");
    return q;
}
