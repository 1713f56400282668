/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_sasl_server.c - libFuzzer target over the server side of APIKEY,
 * OAUTHBEARER and XOAUTH2 without LDAP: every input is parsed as each
 * mechanism's first message and judged as each one's answer to the error
 * challenge (BI-07). Built with -Dfuzz=true under clang it is a libFuzzer
 * binary; otherwise tests/fuzz/replay.c runs it over tests/sasl/corpus. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ak_status.h"
#include "apikey_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            abort();                                                           \
    } while (0)

static bool inside(const char *p, size_t n, const char *base, size_t len)
{
    return n == 0 || (p >= base && p + n <= base + len);
}

static bool b64token(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n &&
           (strchr("-._~+/", s[i]) != NULL || (s[i] >= 'a' && s[i] <= 'z') ||
            (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')) &&
           s[i] != '\0')
        i++;
    while (i < n && s[i] == '=')
        i++;
    return i == n;
}

static bool same(const char *a, size_t an, const char *b, size_t bn)
{
    return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

static void one(enum apikey_mech m, const char *in, size_t len)
{
    static char rebuilt[APIKEY_MSG_MAX];
    struct apikey_creds c, again;
    const char *why = NULL;
    size_t n = 0;

    if (apikey_parse_client_first(m, in, len, &c, &why) != AK_OK) {
        /* every refusal says why and leaves nothing behind */
        CHECK(why != NULL && c.key == NULL && c.key_len == 0);
        return;
    }
    CHECK(why == NULL && len <= APIKEY_MSG_MAX);
    /* fields point into the input (a= is decoded into the struct) */
    CHECK(inside(c.key, c.key_len, in, len));
    CHECK(inside(c.authcid, c.authcid_len, in, len));
    CHECK(
        inside(c.authzid, c.authzid_len, in, len) ||
        inside(c.authzid, c.authzid_len, c.authzid_buf, sizeof(c.authzid_buf)));
    CHECK(c.authzid_len <= APIKEY_NAME_MAX && c.authcid_len <= APIKEY_NAME_MAX);
    CHECK(c.authzid_len == 0 || memchr(c.authzid, '\0', c.authzid_len) == NULL);
    CHECK(c.authcid_len == 0 || memchr(c.authcid, '\0', c.authcid_len) == NULL);
    /* BI-03: no NUL ever survives inside a key */
    CHECK(c.key_len == 0 || memchr(c.key, '\0', c.key_len) == NULL);
    if (m != APIKEY_MECH_APIKEY)
        CHECK(b64token(c.key, c.key_len) && c.authcid_len == 0);
    if (m == APIKEY_MECH_XOAUTH2)
        CHECK(c.authzid_len > 0);

    /* What the client would build from these fields parses back to them
     * (escapes may push a rebuilt message over the limit: then skip). */
    if (apikey_build_client_first(m, c.authzid, c.authzid_len, c.authcid,
                                  c.authcid_len, c.key, c.key_len, NULL,
                                  rebuilt, sizeof(rebuilt), &n) != AK_OK)
        return;
    CHECK(apikey_parse_client_first(m, rebuilt, n, &again, NULL) == AK_OK);
    CHECK(same(c.key, c.key_len, again.key, again.key_len));
    CHECK(same(c.authcid, c.authcid_len, again.authcid, again.authcid_len));
    CHECK(same(c.authzid, c.authzid_len, again.authzid, again.authzid_len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size copy, so a read one past the end is caught by ASan */
    char *in = malloc(size ? size : 1);
    if (in == NULL)
        return 0;
    if (size > 0)
        memcpy(in, data, size);
    for (int m = 0; m < APIKEY_MECH_COUNT; m++) {
        one((enum apikey_mech)m, in, size);
        /* the second step: only an acknowledgement is accepted (for
         * OAUTHBEARER the RFC's %x01 or msmtp's empty answer) */
        if (apikey_error_reply_ok((enum apikey_mech)m, in, size))
            CHECK((m == APIKEY_MECH_OAUTHBEARER &&
                   (size == 0 || (size == 1 && in[0] == '\x01'))) ||
                  (m == APIKEY_MECH_XOAUTH2 && size == 0));
    }
    free(in);
    return 0;
}
