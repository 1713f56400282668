/* SPDX-License-Identifier: BSD-3-Clause */
/* apikey_result.h - the one mapping from verifier results to SASL codes */
#ifndef APIKEY_RESULT_H
#define APIKEY_RESULT_H

#include "ak_status.h"

/*
 * The SASL code for one exchange. status is AK_OK when the verifier ran
 * (then outcome decides), or the AK_ERR_* that stopped the plugin before
 * it could (configuration, memory, framing). Either is classified
 * (ak_status.h) and the class decides:
 *
 *   OK                                             SASL_OK
 *   NOT_A_KEY, REFUSED, EXPIRED (MALFORMED,
 *   WRONG_KEY, UNKNOWN_KEY, EXPIRED, REVOKED,
 *   OWNER_LOCKED, SCOPE_DENIED)                    SASL_BADAUTH
 *   BAD_INPUT (AK_ERR_MALFORMED: message framing)  SASL_BADPROT
 *   UNAVAILABLE (UNAVAILABLE, AK_ERR_BACKEND),
 *   LOCAL_CONFIG (AK_ERR_CONFIG, AK_ERR_IO:
 *   apikey.conf or the bind password file),
 *   NOT_FOUND (apikey.conf missing), INVALID,
 *   INTERNAL (INTERNAL, AK_ERR_CRYPTO)             SASL_UNAVAIL
 *   NOMEM                                          SASL_NOMEM
 *   CONFLICT, DENIED, UNKNOWN (anything else)      SASL_FAIL
 *
 * Every refusal of a credential is SASL_BADAUTH on purpose: expired,
 * revoked, locked or out-of-scope keys are not told apart from wrong ones
 * (no oracle for whoever holds an old or stolen key). The log line says
 * which it was.
 *
 * A fault on the server's side (its files, its memory, its directory) is
 * temporary to the client and tells it nothing: SASL_UNAVAIL, which
 * Postfix answers with 454 4.7.0, Exim defers and slapd returns as
 * unavailable (52). Never SASL_CONFIGERR: Postfix turns that into a
 * permanent 535 and sends its errstring, "error when parsing
 * configuration file", to the client. SASL_NOMEM stays: hosts treat it
 * as temporary too (Postfix 454, Exim defer) and it is what libsasl2
 * itself answers when memory runs out. The log line names the file and
 * what is wrong with it.
 */
int apikey_sasl_result(int status, enum ak_outcome outcome);

/* SASL_LOG_* level for a syslog priority of common/'s log lines:
 * ERR and worse -> ERR, WARNING -> WARN, NOTICE (refusals) -> FAIL,
 * INFO (acceptances) -> NOTE, DEBUG -> DEBUG. */
int apikey_sasl_log_level(int prio);

/* "SASL_OK", "SASL_BADAUTH", ... for log lines (the plug-in does not
 * call into libsasl2 itself). Never NULL. */
const char *apikey_sasl_code_name(int code);

#endif
