#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# test_manpage.sh - apikey.conf(5) and the key table in common/directory/ak_config.c
# say the same: every key of the table has an entry in the man page's
# OPTIONS, with "Default: <the table's default>" and, for an integer,
# "(<min>-<max>)"; the man page names no key the table lacks, and gives no
# literal default the table does not have. Then, so that this test is
# known to be able to fail, three broken copies of the page (an option
# left out, a wrong default, an option the table lacks) must each fail.
# Usage: test_manpage.sh /path/to/conf_table /path/to/apikey.conf.5.scd
set -eu
TABLE_EXE=${1:?path to conf_table}
PAGE=${2:?path to apikey.conf.5.scd}

work=$(mktemp -d "${TMPDIR:-/tmp}/akman.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
"$TABLE_EXE" >"$work/table"
[ -s "$work/table" ] || { echo "conf_table printed nothing" >&2; exit 1; }

# check TABLE PAGE: exit 0 when they agree, else 1 with one line a problem.
check() {
    awk -F '\t' '
    function fail(msg) { print "apikey.conf(5): " msg > "/dev/stderr"; bad = 1 }
    # the table: name, default, range ("-" for none)
    NR == FNR { def[$1] = $2; range[$1] = $3; order[++n] = $1; next }
    /^# / { in_opts = ($0 == "# OPTIONS"); cur = ""; next }
    !in_opts { next }
    # an entry header: "*name* ARGS" or "*a* ARGS, *b* ARGS"
    /^\*/ {
        cur = ""
        np = split($0, piece, ", ")
        for (i = 1; i <= np; i++) {
            if (!match(piece[i], /^\*[a-z_]+\*/))
                continue
            name = substr(piece[i], 2, RLENGTH - 2)
            if (name in body)
                fail("option " name " has two entries")
            body[name] = ""
            cur = cur " " name
        }
        next
    }
    /^\t/ && cur != "" {
        line = substr($0, 2)
        nc = split(cur, names, " ")
        for (i = 1; i <= nc; i++)
            body[names[i]] = body[names[i]] " " line
        next
    }
    # does text have "Default: v" or "Default: *v*", v ending a word?
    function says_default(text, v,    forms, f, k, after) {
        forms[1] = "Default: *" v "*"; forms[2] = "Default: " v
        for (f = 1; f <= 2; f++) {
            k = index(text, forms[f])
            if (k == 0)
                continue
            after = substr(text, k + length(forms[f]), 1)
            if (f == 1 || after !~ /[A-Za-z0-9_-]/)
                return 1
        }
        return 0
    }
    # A key without a table default may still say "Default: *other_key*"
    # (derived) or "Default: the ..." (prose), never a literal value.
    function literal_default(text,    k, rest, w) {
        k = index(text, "Default: ")
        if (k == 0)
            return 0
        rest = substr(text, k + 9)
        if (match(rest, /^\*[a-z_]+\*/)) {
            w = substr(rest, 2, RLENGTH - 2)
            return !(w in def)
        }
        return rest !~ /^[a-z]/
    }
    END {
        for (i = 1; i <= n; i++) {
            k = order[i]
            if (!(k in body)) {
                fail("no entry for " k)
                continue
            }
            if (def[k] != "-" && !says_default(body[k], def[k]))
                fail(k ": does not say \"Default: " def[k] "\"")
            if (def[k] == "-" && literal_default(body[k]))
                fail(k ": gives a default, the key table none")
            if (range[k] != "-" && index(body[k], "(" range[k] ")") == 0)
                fail(k ": does not give the range (" range[k] ")")
        }
        for (k in body)
            if (!(k in def))
                fail("names " k ", which the key table lacks")
        if (n == 0)
            fail("empty key table")
        exit bad
    }' "$1" "$2"
}

check "$work/table" "$PAGE"
echo "ok: $(wc -l <"$work/table") keys of apikey.conf agree with $PAGE"

# The check must be able to fail: break the page three ways.
broken() {
    if check "$work/table" "$work/page" 2>"$work/err"; then
        echo "not ok: a page with $1 passed the check" >&2
        exit 1
    fi
    echo "ok: a page with $1 fails ($(head -1 "$work/err"))"
}
sed '/^\*last_use_interval\*/,/^$/d' "$PAGE" >"$work/page"
broken "last_use_interval left out"
sed 's/Default: \*demand\*/Default: *try*/' "$PAGE" >"$work/page"
broken "a wrong tls_reqcert default"
awk '/^# EXAMPLE/ { print "*frobnicate* _N_"; print "\tNot a key."; print "" }
    { print }' "$PAGE" >"$work/page"
broken "an option the table lacks"
