/* SPDX-License-Identifier: BSD-3-Clause */
/* pam_testpw.c - test-only stand-in for pam_unix: checks PAM_AUTHTOK
 * against password=, with pam_unix's try_first_pass / use_first_pass, so
 * the tests can stack pam_apikey in front of a password module */
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#define EXPORT __attribute__((visibility("default")))

EXPORT int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc,
                               const char **argv);
EXPORT int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc,
                          const char **argv);

EXPORT int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc,
                               const char **argv)
{
    const char *want = NULL;
    const void *tok = NULL;
    char *resp = NULL;
    int try_first = 0, use_first = 0, rc;

    (void)flags;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "password=", 9) == 0)
            want = argv[i] + 9;
        else if (strcmp(argv[i], "try_first_pass") == 0)
            try_first = 1;
        else if (strcmp(argv[i], "use_first_pass") == 0)
            use_first = 1;
    }
    if (want == NULL)
        return PAM_SERVICE_ERR;
    if (try_first || use_first) {
        pam_get_item(pamh, PAM_AUTHTOK, &tok);
        if (tok == NULL && use_first)
            return PAM_AUTHTOK_RECOVERY_ERR;
    }
    if (tok == NULL) {
        rc = pam_prompt(pamh, PAM_PROMPT_ECHO_OFF, &resp, "Password: ");
        if (rc != PAM_SUCCESS || resp == NULL)
            return PAM_CONV_ERR;
        rc = pam_set_item(pamh, PAM_AUTHTOK, resp);
        memset(resp, 0, strlen(resp));
        pam_get_item(pamh, PAM_AUTHTOK, &tok);
        free(resp);
        if (rc != PAM_SUCCESS || tok == NULL)
            return PAM_SYSTEM_ERR;
    }
    pam_syslog(pamh, LOG_INFO, "pam_testpw checked a password");
    return strcmp(tok, want) == 0 ? PAM_SUCCESS : PAM_AUTH_ERR;
}

EXPORT int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc,
                          const char **argv)
{
    (void)pamh;
    (void)flags;
    (void)argc;
    (void)argv;
    return PAM_SUCCESS;
}
