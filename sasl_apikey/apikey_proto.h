/* SPDX-License-Identifier: BSD-3-Clause */
/* apikey_proto.h - wire formats of APIKEY, OAUTHBEARER and XOAUTH2 (pure) */
#ifndef APIKEY_PROTO_H
#define APIKEY_PROTO_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Everything here is a constant table or a pure function over
 * caller-provided buffers: no libsasl2 context (only its flag values), no
 * LDAP, no allocation. The server and client mechanisms, the unit tests
 * and the fuzz target all use the same code.
 */

enum apikey_mech {
    APIKEY_MECH_APIKEY,      /* authzid NUL authcid NUL key */
    APIKEY_MECH_OAUTHBEARER, /* RFC 7628 */
    APIKEY_MECH_XOAUTH2,     /* Google's pre-RFC bearer format */
    APIKEY_MECH_COUNT,
};

/* "APIKEY", "OAUTHBEARER", "XOAUTH2". */
const char *apikey_mech_name(enum apikey_mech m);

/*
 * Largest client message we parse. A key is under 100 bytes and names are
 * at most APIKEY_NAME_MAX; 4 KiB leaves room for OAUTHBEARER's host/port
 * and extension pairs while keeping hostile input cheap to refuse.
 */
#define APIKEY_MSG_MAX 4096

/* Longest authcid / authzid we accept (bytes). Room for slapd's
 * "dn:<DN>" authzids; user names themselves are capped lower by the
 * verifier (AK_USER_MAX). */
#define APIKEY_NAME_MAX 1024

/*
 * The credentials carried by one client-first message. Pointers refer
 * into the parsed input, except authzid of OAUTHBEARER, which is decoded
 * (=2C, =3D) into authzid_buf. Lengths of 0 mean "not given".
 */
struct apikey_creds {
    const char *authzid; /* requested authorization identity */
    size_t authzid_len;
    const char *authcid; /* APIKEY only: who claims the key */
    size_t authcid_len;
    const char *key; /* the API key / bearer token; never logged */
    size_t key_len;
    char authzid_buf[APIKEY_NAME_MAX];
};

/* The fields of a client-first message, as the builders get them. */
struct apikey_msg_in {
    const char *authzid;
    size_t authzid_len;
    const char *authcid;
    size_t authcid_len;
    const char *key;
    size_t key_len;
    const char *host; /* OAUTHBEARER only; NULL or "" when not given */
};

/* An output buffer the builders append to, never past cap. */
struct apikey_wbuf {
    char *buf;
    size_t cap;
    size_t pos;
};

/*
 * One row per mechanism: everything that tells one apart from another.
 * The server and client plug tables (apikey_server.c, apikey_client.c)
 * and the functions below are derived from it, so adding a mechanism is
 * one enum value, one row and its parse and build functions.
 */
struct apikey_mech_def {
    enum apikey_mech id;     /* its own index in apikey_mechs */
    const char *name;        /* the SASL mechanism name */
    unsigned security_flags; /* SASL_SEC_* */
    unsigned features;       /* SASL_FEAT_* */
    /* The message carries one name (the authzid, or else the
     * authentication name) rather than both; the client picks it. */
    bool one_name;
    /* The grammar after the checks every mechanism shares (see
     * apikey_parse_client_first); fills *c or sets *why. */
    int (*parse)(const char *in, size_t len, struct apikey_creds *c,
                 const char **why);
    /* Frame the message (names already checked); AK_OK or
     * AK_ERR_INVALID. */
    int (*build)(const struct apikey_msg_in *m, struct apikey_wbuf *w);
    /* What the server sends after refusing a token (NULL: the exchange
     * fails at once, and the client is done after its first message) and
     * the client's prescribed acknowledgement. */
    const char *error_challenge;
    size_t error_challenge_len;
    const char *error_reply;
    size_t error_reply_len;
};

/* Indexed by enum apikey_mech. */
extern const struct apikey_mech_def apikey_mechs[APIKEY_MECH_COUNT];

/*
 * Parse the client's first message of mechanism m. Returns AK_OK and fills
 * *c, or AK_ERR_MALFORMED with *why (a static phrase that never quotes the
 * input) for anything outside the grammar: missing or extra NULs (an
 * embedded NUL never truncates a field), bad UTF-8 or control characters
 * in a name, a bad GS2 header, channel binding, bad or duplicated
 * kvpairs, a missing or non-Bearer "auth", a message over APIKEY_MSG_MAX.
 *
 * An empty key is not a framing error: it parses, and the verifier then
 * refuses it as "not a key" without any LDAP traffic (BI-04).
 */
int apikey_parse_client_first(enum apikey_mech m, const char *in, size_t len,
                              struct apikey_creds *c, const char **why);

/*
 * The challenge a server sends after refusing a token: RFC 7628's
 * {"status":"invalid_token"} for OAUTHBEARER, Google's JSON for XOAUTH2,
 * NULL for APIKEY (which fails at once).
 */
const char *apikey_error_challenge(enum apikey_mech m, size_t *len);

/*
 * True when in[0..len) acknowledges that challenge: for OAUTHBEARER the
 * prescribed single %x01 or an empty message (what msmtp sends), for
 * XOAUTH2 an empty message. The exchange fails either way; this only
 * tells SASL_BADAUTH (acknowledged) from SASL_BADPROT (anything else).
 */
bool apikey_error_reply_ok(enum apikey_mech m, const char *in, size_t len);

/*
 * The client's answer to the error challenge (see above): *len bytes.
 */
const char *apikey_error_reply(enum apikey_mech m, size_t *len);

/*
 * Build the client-first message of mechanism m into buf (bufsize bytes)
 * and set *outlen. authzid/authcid may be NULL or empty (not given); host
 * (OAUTHBEARER only) may be NULL. XOAUTH2 needs a user name: authzid, or
 * else authcid. Returns AK_OK, or AK_ERR_INVALID when an input cannot be
 * framed (NUL in a name or key, a key outside the bearer-token alphabet,
 * invalid UTF-8 in an OAUTHBEARER authzid, no XOAUTH2 user) or the result
 * would exceed bufsize or APIKEY_MSG_MAX.
 */
int apikey_build_client_first(enum apikey_mech m, const char *authzid,
                              size_t authzid_len, const char *authcid,
                              size_t authcid_len, const char *key,
                              size_t key_len, const char *host, char *buf,
                              size_t bufsize, size_t *outlen);

#endif
