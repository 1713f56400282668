# SPDX-License-Identifier: BSD-3-Clause
# pam-env.sh - sourced by the shell tests: a private PAM service dir from
# the configured templates and the environment that runs a real PAM
# application under pam_wrapper.
#   pam_env_setup TEMPLATES WRAPPER MODULE SERVICE...
# sets PAM_RUN (an `env ...` prefix) and writes ./pam.d/SERVICE for each.
pam_env_setup() {
    templates=$1 wrapper=$2 module=$3
    shift 3
    mkdir -p pam.d
    for s in "$@"; do
        sed "s|%CONF%|$AK_TEST_CONF|g; s|%WORK%|$PWD|g" \
            "$templates/$s.in" >"pam.d/$s"
    done
    printf 'auth required pam_deny.so\naccount required pam_deny.so\n' \
        >pam.d/other
    # keep what is preloaded already (libfaketime under --setup future);
    # PAM_EXTRA_PRELOAD (a shell variable, not exported): more libraries
    # for the PAM host only, after the ASan runtime
    preload=$wrapper${PAM_EXTRA_PRELOAD:+:$PAM_EXTRA_PRELOAD}${LD_PRELOAD:+:$LD_PRELOAD}
    deepbind=
    # A module built with ASan needs the ASan runtime first in the host.
    asan=$(ldd "$module" | awk '/libasan/ { print $3 }')
    if [ -n "$asan" ]; then
        preload=$asan:$preload
        deepbind=PAM_WRAPPER_DISABLE_DEEPBIND=1
        export ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0
    fi
    PAM_RUN="env LD_PRELOAD=$preload PAM_WRAPPER=1 \
PAM_WRAPPER_SERVICE_DIR=$PWD/pam.d PAM_WRAPPER_DEBUGLEVEL=2 $deepbind"
}

# A key for USER made with the apikey CLI as the directory admin.
new_key() {
    cli=$1
    shift
    printf '%s' "$AK_TEST_ROOTPW" >rootpw
    chmod 600 rootpw
    "$cli" -c "$AK_TEST_CONF" -D "$AK_TEST_ROOTDN" -y "$PWD/rootpw" \
        create "$@" 2>>cli.log
}
