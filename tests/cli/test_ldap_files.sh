#!/bin/bash
# test_ldap_files.sh - the LDAP files we ship agree with each other (and
# with scripts/gen-acl.py, which makes the rules, indexes and template):
# apikey.ldif is what schema2ldif.sh makes of apikey.schema; apikey-acl.conf
# holds the rules of apikey-acl.ldif, in the same order; apikey-bounds.conf
# the bounds of apikey-bounds.ldif; and slaptest accepts the slapd.conf form
# with our schema (when slaptest is there).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ldap=$(cd "$here/../../packaging/ldap" && pwd)
. "$here/lib.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/akfiles.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

if python3 "$here/../../scripts/gen-acl.py" --check 2>"$tmp/gen.err"; then
    ok "the ACL files, indexes, overlay and setup template are gen-acl.py's"
else
    bad "stale generated files (run scripts/gen-acl.py)"; sed 's/^/#   /' "$tmp/gen.err"
fi
sh "$ldap/schema2ldif.sh" "$ldap/apikey.schema" >"$tmp/apikey.ldif"
if cmp -s "$tmp/apikey.ldif" "$ldap/apikey.ldif"; then
    ok "apikey.ldif is current (schema2ldif.sh apikey.schema)"
else
    bad "apikey.ldif is stale: run packaging/ldap/schema2ldif.sh apikey.schema >apikey.ldif"
    diff "$tmp/apikey.ldif" "$ldap/apikey.ldif" | sed 's/^/#   /'
fi
grep -q "NAME 'apiKeyLastUsed'" "$ldap/apikey.ldif" && ok "apiKeyLastUsed in the schema" || bad "apiKeyLastUsed missing"

# One rule per line, "{n}" and folding removed, blanks squeezed.
ldif_rules() {
    grep -v '^#' "$1" | awk '
        /^ / { cur = cur substr($0, 2); next }
        { if (cur != "") print cur; cur = $0 }
        END { if (cur != "") print cur }' |
        sed -n 's/^olcAccess: {[0-9]*}/access /p; s/^olcLimits: /limits /p' |
        tr -s ' \t' ' '
}
conf_rules() {
    grep -v '^#' "$1" | awk '
        /^[ \t]/ { cur = cur " " $0; next }
        /^$/ { next }
        { if (cur != "") print cur; cur = $0 }
        END { if (cur != "") print cur }' | tr -s ' \t' ' '
}
ldif_rules "$ldap/apikey-acl.ldif" >"$tmp/a"
conf_rules "$ldap/apikey-acl.conf" >"$tmp/b"
[ "$(wc -l <"$tmp/a")" -ge 10 ] && ok "apikey-acl.ldif has its rules" || bad "no rules read from apikey-acl.ldif"
if cmp -s "$tmp/a" "$tmp/b"; then ok "apikey-acl.conf and apikey-acl.ldif hold the same rules"; else
    bad "apikey-acl.conf differs from apikey-acl.ldif"; diff "$tmp/a" "$tmp/b" | sed 's/^/#   /'; fi

# The same bounds in both forms: the values of olcConstraintAttribute and
# of constraint_attribute.
grep '^olcConstraintAttribute: ' "$ldap/apikey-bounds.ldif" | sed 's/^[^ ]* //' >"$tmp/bl"
grep '^constraint_attribute ' "$ldap/apikey-bounds.conf" | sed 's/^[^ ]* //' >"$tmp/bc"
[ -s "$tmp/bl" ] && cmp -s "$tmp/bl" "$tmp/bc" && ok "apikey-bounds.conf and apikey-bounds.ldif hold the same bounds" ||
    { bad "the bounds differ"; diff "$tmp/bl" "$tmp/bc" | sed 's/^/#   /'; }

slaptest=${SLAPTEST:-/usr/sbin/slaptest}
schema_dir=${AK_SCHEMA_DIR:-/etc/ldap/schema}
if [ -x "$slaptest" ] && [ -f "$schema_dir/core.schema" ]; then
    mkdir -p "$tmp/db"
    {
        for s in core cosine inetorgperson nis; do echo "include $schema_dir/$s.schema"; done
        echo "include $ldap/apikey.schema"
        echo "modulepath /usr/lib/ldap"
        echo "moduleload back_mdb"
        echo "moduleload ppolicy" # pwdAccountLockedTime
        echo "moduleload constraint"
        echo "database mdb"
        echo "suffix dc=example,dc=org"
        echo "directory $tmp/db"
        cat "$ldap/apikey-acl.conf"
        cat "$ldap/apikey-bounds.conf"
    } >"$tmp/slapd.conf"
    if "$slaptest" -u -f "$tmp/slapd.conf" >"$tmp/slaptest.out" 2>&1; then
        ok "slaptest accepts apikey.schema, apikey-acl.conf and apikey-bounds.conf"
    else
        bad "slaptest refuses the slapd.conf form"; sed 's/^/#   /' "$tmp/slaptest.out"
    fi
else
    echo "# slaptest not found: slapd.conf form not checked"
fi
done_tests
