#!/bin/sh
# schema2ldif.sh - turn apikey.schema into its cn=config LDIF form.
# Usage: schema2ldif.sh apikey.schema > apikey.ldif
# tests/ldap/schema-ldif-current.sh checks the shipped apikey.ldif is current.
set -eu
src=${1:?usage: schema2ldif.sh FILE.schema}
cat <<'HDR'
# apikey.ldif - the apikey schema in cn=config form. Generated from
# apikey.schema by schema2ldif.sh; do not edit by hand.
# SPDX-License-Identifier: BSD-3-Clause
#
# Load: ldapadd -Y EXTERNAL -H ldapi:/// -f apikey.ldif
# Requires the core and cosine schemas.
dn: cn=apikey,cn=schema,cn=config
objectClass: olcSchemaConfig
cn: apikey
HDR
awk '
  /^[ \t]*#/ || /^[ \t]*$/ { next }
  /^(attributetype|objectclass)[ \t]/ {
      if (def != "") print_def()
      kind = ($1 == "attributetype") ? "olcAttributeTypes" : "olcObjectClasses"
      sub(/^(attributetype|objectclass)[ \t]+/, "")
      def = $0
      next
  }
  { sub(/^[ \t]+/, ""); def = def " " $0 }
  function print_def(   line) {
      gsub(/[ \t]+/, " ", def)
      print kind ": " def
      def = ""
  }
  END { if (def != "") print_def() }
' "$src"
