/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_schema.h - names from packaging/ldap/apikey.schema, in one place */
#ifndef AK_SCHEMA_H
#define AK_SCHEMA_H

#define AK_OC_HOLDER "apiKeyHolder"
#define AK_OC_SERVICE_USER "apiKeyServiceUser"
#define AK_OC_POLICY "apiKeyPolicy"

#define AK_AT_RECORD "apiKeyRecord"
#define AK_AT_ID "apiKeyId"
#define AK_AT_EXPIRES "apiKeyExpires"
#define AK_AT_DISABLED "apiKeyDisabled"
#define AK_AT_OWNER "apiKeyOwner"
#define AK_AT_LAST_USED "apiKeyLastUsed"
#define AK_AT_REVOKED "apiKeyRevoked"
#define AK_AT_NOTICE "apiKeyNotice"

#define AK_AT_REQUIRE_EXPIRY "apiKeyRequireExpiry"
#define AK_AT_MAX_LIFETIME "apiKeyMaxLifetime"
#define AK_AT_NOTICE_DAYS "apiKeyNoticeDays"
#define AK_AT_NOTICE_RECIPIENT "apiKeyNoticeRecipient"

/*
 * Upper bound on entries one verification may receive: the key holder plus
 * apiKeyPolicy entries under the search base. More means the directory is
 * not laid out as documented, and the search fails closed.
 */
#define AK_VERIFY_SIZELIMIT 16

#endif
