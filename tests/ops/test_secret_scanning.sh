#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# test_secret_scanning.sh - the shipped secret-scanner rules against real
# keys: the regex is read from packaging/secret-scanning/gitleaks.toml and
# from github-custom-pattern.md (format + before/after), 1,000 keys come
# from the product's generator (genkeys: ak_key_generate), and every rule
# must match every key, exactly (the secret group is the whole key), and
# none of a list of near misses.
#   test_secret_scanning.sh GENKEYS SECRET_SCANNING_DIR
set -uo pipefail
genkeys=${1:?usage: $0 GENKEYS DIR} dir=${2:?usage: $0 GENKEYS DIR}
command -v python3 >/dev/null || { echo "python3 missing: skipped" >&2; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/akscan.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$genkeys" 1000 >"$work/keys" || { echo "FAIL: genkeys" >&2; exit 1; }
"$genkeys" 20 acme >"$work/acme" || { echo "FAIL: genkeys acme" >&2; exit 1; }
[ "$(wc -l <"$work/keys")" = 1000 ] || { echo "FAIL: not 1000 keys" >&2; exit 1; }

python3 - "$dir/gitleaks.toml" "$dir/github-custom-pattern.md" \
    "$work/keys" "$work/acme" <<'PY'
import re, sys, random, hashlib
toml_path, md_path, keys_path, acme_path = sys.argv[1:5]

# --- the regexes, from the shipped files ------------------------------------
toml = open(toml_path).read()
try:
    import tomllib
    rule = tomllib.loads(toml)["rules"][0]
    gl_regex, group = rule["regex"], rule.get("secretGroup", 0)
    keywords = rule["keywords"]
except ImportError:  # python < 3.11: the one regex line
    gl_regex = re.search(r"^regex = '''(.*)'''$", toml, re.M).group(1)
    group = int(re.search(r"^secretGroup = (\d+)$", toml, re.M).group(1))
    keywords = re.findall(r'"([^"]+)"', re.search(r"^keywords = (.*)$", toml, re.M).group(1))

md = open(md_path).read()
def field(name):
    m = re.search(r"^\| " + re.escape(name) + r"[^|]*\| `(.*)` \|$", md, re.M)
    if not m:
        sys.exit("FAIL: no '%s' row in %s" % (name, md_path))
    return m.group(1).replace("\\|", "|")
fmt, before, after = field("Secret format"), field("Before secret"), field("After secret")
# GitHub applies (before)(format)(after); \A and \z are what Python spells \A, \Z
gh_regex = "(?:%s)(%s)(?:%s)" % (before, fmt, after.replace("\\z", "\\Z"))

rules = {"gitleaks": (re.compile(gl_regex), group), "github": (re.compile(gh_regex), 1)}
fail = 0
def bad(msg):
    global fail
    fail += 1
    if fail <= 20:
        print("FAIL: " + msg)

def found(rx, g, text):
    return [m.group(g) for m in rx.finditer(text)]

# --- every generated key, alone and in context -------------------------------
keys = open(keys_path).read().split()
assert len(keys) == 1000 and len(set(keys)) == 1000
contexts = ["%s", "API_KEY=%s\n", "export APIKEY='%s'", '{"key": "%s"}',
            "Authorization: Bearer %s\r\n", "https://h/x?key=%s&y=1", "%s."]
for name, (rx, g) in rules.items():
    for i, k in enumerate(keys):
        for c in (contexts if i < 50 else contexts[:1]):
            got = found(rx, g, c % k)
            if got != [k]:
                bad("%s: %r in %r gave %r" % (name, k, c, got))
    if not any(kw.lower() in keys[0].lower() for kw in keywords) and name == "gitleaks":
        bad("gitleaks: no keyword occurs in a key: %r" % keywords)
    print("ok: %s matches all %d generated keys" % (name, len(keys)))

# --- near misses: none may match ----------------------------------------------
rnd = random.Random(1)
k = keys[0]
pre, kid, rest = k.split("_")
digest = hashlib.blake2b(k.encode(), digest_size=32).hexdigest()
near = {
    "other prefix (ax)": "ax_%s_%s" % (kid, rest),
    "capital prefix": "AK_%s_%s" % (kid, rest),
    "prefix glued to a word": "xak_%s_%s" % (kid, rest),
    "prefix after an underscore": "my_ak_%s_%s" % (kid, rest),
    "one char short": k[:-1],
    "one char long": k + "a",
    "id one short": "ak_%s_%s" % (kid[:-1], rest + "a"),
    "id one long": "ak_%s_%s" % (kid + "a", rest[:-1]),
    "secret+check one short": "ak_%s_%s" % (kid, rest[:-1]),
    "secret+check one long": "ak_%s_%s" % (kid, rest + "b"),
    "digit 0 (not base32)": k[:-3] + "0" + k[-2:],
    "digit 1 in id": "ak_1%s_%s" % (kid[1:], rest),
    "digit 8": k[:-1] + "8",
    "upper case body": "ak_%s_%s" % (kid.upper(), rest.upper()),
    "no second underscore": "ak_%s%s" % (kid, rest),
    "dash for underscore": "ak-%s-%s" % (kid, rest),
    "key id alone": kid,
    "prefix and key id": "ak_%s" % kid,
    "prefix and key id, underscore": "ak_%s_" % kid,
    "record hash (b2b256)": "v1 id=%s hash=b2b256:%s:%s" % (kid, digest[:32], digest),
    "digest hex": digest,
    "base32 run without prefix": "_%s_%s" % (kid, rest),
    "acme key (site prefix)": open(acme_path).read().split()[0],
}
for name, (rx, g) in rules.items():
    for what, s in near.items():
        got = found(rx, g, s)
        if got:
            bad("%s matched a near miss (%s): %r" % (name, what, s))
    print("ok: %s matches none of %d near misses" % (name, len(near)))
# a site prefix: the documented edit of the rule finds those keys
acme = open(acme_path).read().split()
rx = re.compile(gl_regex.replace("(ak_", "(acme_"))
if [found(rx, group, a) for a in acme] != [[a] for a in acme]:
    bad("gitleaks with prefix acme does not match acme keys")
else:
    print("ok: the rule with its prefix replaced matches %d acme keys" % len(acme))
sys.exit(1 if fail else 0)
PY
