/* SPDX-License-Identifier: BSD-3-Clause */
/* apikey_plugin.h - what apikey_init.c needs from the server and client */
#ifndef APIKEY_PLUGIN_H
#define APIKEY_PLUGIN_H

#include <stdint.h>

#include <sasl/sasl.h>
#include <sasl/saslplug.h>

#include "apikey_proto.h"

/* The plug tables, one entry per row of apikey_mechs, in that order; each
 * entry's glob_context is its row. Built on the first call, then the same
 * arrays (libsasl2 keeps pointers into them). */
sasl_server_plug_t *apikey_server_plugins(void);
sasl_client_plug_t *apikey_client_plugins(void);

/* glob_context -> the mechanism's row (the plug tables store it so). */
static inline const struct apikey_mech_def *apikey_glob_mech(void *glob)
{
    return glob;
}

/* The only two exported symbols (sasl_apikey.map). */
#define APIKEY_EXPORT __attribute__((visibility("default")))
APIKEY_EXPORT sasl_server_plug_init_t sasl_server_plug_init;
APIKEY_EXPORT sasl_client_plug_init_t sasl_client_plug_init;

/* A row as glob_context: libsasl2 takes void *, and never writes
 * through it. */
#define APIKEY_GLOB(def) ((void *)(uintptr_t)(def))

/* The fields of a plug-table entry that come from the mechanism's row,
 * the same for the server and the client tables. */
#define APIKEY_PLUG_FROM_ROW(d)                                                \
    .mech_name = (d)->name, .max_ssf = 0,                                      \
    .security_flags = (d)->security_flags, .features = (d)->features,          \
    .glob_context = APIKEY_GLOB(d)

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

#endif
