#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# slapd-sasl.sh - SLAPD for slapd-harness.sh: slapd reading its SASL
# configuration from AK_SLAPD_SASL_CONF_PATH.
#
# Debian's slapd looks for slapd.conf only in /etc/ldap/sasl2 and
# /usr/lib/sasl2 (it sets SASL_CB_GETCONFPATH and so ignores SASL_CONF_PATH).
# To give the throwaway slapd its own file without touching the system's,
# slapd runs in a private mount namespace where AK_SLAPD_SASL_CONF_PATH is
# bind-mounted over /etc/ldap/sasl2; nothing outside that process sees it.
# exec all the way down, so the harness's pid is slapd's.
set -eu
: "${AK_SLAPD_SASL_CONF_PATH:?}"
# AK_SASL_PRELOAD: the sanitizer runtimes a -Db_sanitize plug-in needs, which
# an uninstrumented slapd must load first; leaks are slapd's to report, not
# ours, so leak detection is off in slapd. AK_SLAPD_PRELOAD: a test's own
# library for slapd (tests/lib/syslog_capture.c), after those runtimes.
# shellcheck disable=SC2016 # $0 and $@ expand in the inner shell
exec unshare --mount --propagation private /bin/sh -c \
    'mount --bind "$0" /etc/ldap/sasl2 &&
     if [ -n "${AK_SASL_PRELOAD:-}" ]; then
         export LD_PRELOAD="$AK_SASL_PRELOAD" ASAN_OPTIONS=detect_leaks=0
     fi
     if [ -n "${AK_SLAPD_PRELOAD:-}" ]; then
         export LD_PRELOAD="${LD_PRELOAD:+$LD_PRELOAD }$AK_SLAPD_PRELOAD"
     fi
     exec /usr/sbin/slapd "$@"' \
    "$AK_SLAPD_SASL_CONF_PATH" "$@"
