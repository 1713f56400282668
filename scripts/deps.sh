#!/bin/bash
# deps.sh - install the Debian 12 packages apikey needs to build, test and
# run its demo. Idempotent; as root it uses apt-get, otherwise it only says
# what is missing. Never configures or starts the system's slapd.
set -euo pipefail

PACKAGES=(
    gcc pkg-config meson ninja-build git ca-certificates
    libldap-dev libsodium-dev libpam0g-dev libsasl2-dev
    libcmocka-dev libpam-wrapper libpamtest0-dev pamtester
    sasl2-bin libsasl2-modules slapd ldap-utils openssl
    valgrind clang libclang-rt-14-dev scdoc jq clang-format
    debhelper dpkg-dev lintian faketime fail2ban rpm
)

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
        missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "deps.sh: missing Debian packages (run as root to install): ${missing[*]}" >&2
    exit 1
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# The tests run their own slapd; the packaged one must stay unconfigured
# (and so not started) if this is its first installation.
if ! dpkg-query -W -f='${Status}' slapd 2>/dev/null | grep -q "ok installed"; then
    echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
fi
# fail2ban is here for fail2ban-regex (tests/ops): its service, with
# Debian's default sshd jail, must not start banning on this machine.
# policy-rc.d keeps the postinst from starting any service; a fail2ban
# installed now is then disabled.
new_f2b=0
case " ${missing[*]} " in *" fail2ban "*) new_f2b=1 ;; esac
own_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    own_policy=1
fi
trap '[ $own_policy = 0 ] || rm -f /usr/sbin/policy-rc.d' EXIT
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
if [ $new_f2b = 1 ] && command -v systemctl >/dev/null; then
    systemctl disable --now fail2ban >/dev/null 2>&1 || true
fi
