/* SPDX-License-Identifier: BSD-3-Clause */
/* apikey_plugin.h - what apikey_init.c needs from the server and client */
#ifndef APIKEY_PLUGIN_H
#define APIKEY_PLUGIN_H

#include <sasl/sasl.h>
#include <sasl/saslplug.h>

#include "apikey_proto.h"

/* One entry per enum apikey_mech, in that order. */
extern sasl_server_plug_t apikey_server_plugins[APIKEY_MECH_COUNT];
extern sasl_client_plug_t apikey_client_plugins[APIKEY_MECH_COUNT];

/* The only two exported symbols (sasl_apikey.map). */
#define APIKEY_EXPORT __attribute__((visibility("default")))
APIKEY_EXPORT sasl_server_plug_init_t sasl_server_plug_init;
APIKEY_EXPORT sasl_client_plug_init_t sasl_client_plug_init;

/*
 * Security flags as for PLAIN: the key travels in the clear, so hosts
 * that demand SASL_SEC_NOPLAINTEXT (without TLS or another external
 * layer) do not offer these mechanisms; never anonymous.
 */
#define APIKEY_SEC_FLAGS SASL_SEC_NOANONYMOUS

/* A finished exchange of either side: no security layer, nothing left. */
static inline void apikey_out_done(sasl_out_params_t *op)
{
    op->doneflag = 1;
    op->mech_ssf = 0;
    op->maxoutbuf = 0;
    op->encode_context = NULL;
    op->encode = NULL;
    op->decode_context = NULL;
    op->decode = NULL;
    op->param_version = 0;
}
#define APIKEY_FEATURES (SASL_FEAT_WANT_CLIENT_FIRST | SASL_FEAT_ALLOWS_PROXY)

#endif
