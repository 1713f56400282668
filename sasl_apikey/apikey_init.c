/* SPDX-License-Identifier: BSD-3-Clause */
/* apikey_init.c - the plug-in entry points libsasl2 looks up with dlsym */
#include "apikey_plugin.h"

int sasl_server_plug_init(const sasl_utils_t *utils, int maxversion,
                          int *out_version, sasl_server_plug_t **pluglist,
                          int *plugcount)
{
    if (maxversion < SASL_SERVER_PLUG_VERSION) {
        utils->seterror(utils->conn, 0, "APIKEY: libsasl2 is too old");
        return SASL_BADVERS;
    }
    *out_version = SASL_SERVER_PLUG_VERSION;
    *pluglist = apikey_server_plugins();
    *plugcount = APIKEY_MECH_COUNT;
    return SASL_OK;
}

int sasl_client_plug_init(const sasl_utils_t *utils, int maxversion,
                          int *out_version, sasl_client_plug_t **pluglist,
                          int *plugcount)
{
    if (maxversion < SASL_CLIENT_PLUG_VERSION) {
        utils->seterror(utils->conn, 0, "APIKEY: libsasl2 is too old");
        return SASL_BADVERS;
    }
    *out_version = SASL_CLIENT_PLUG_VERSION;
    *pluglist = apikey_client_plugins();
    *plugcount = APIKEY_MECH_COUNT;
    return SASL_OK;
}
