#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# gen-acl.py - the access rules of packaging/ldap/apikey-acl.ldif and
# apikey-acl.conf, the bounds of apikey-bounds.ldif and apikey-bounds.conf,
# the indexes of apikey-index.ldif and the overlay of apikey-unique.ldif,
# from one table; and apikey-setup.ldif.in, the template of `apikey
# setup-directory` (the same with placeholders for the site's names, plus
# the schema of apikey.ldif and the entries). Each shipped file keeps its
# own header comment (everything before the first rule or entry); what
# follows it is written here.
#
#   scripts/gen-acl.py           rewrite the files
#   scripts/gen-acl.py --check   exit 1 when a file is not what this makes
#   scripts/gen-acl.py --embed TEMPLATE OUT.h
#                                the template as a C string (the build)
#   scripts/gen-acl.py --embed-bounds OUT.h
#                                the bounds as a C table (the build)
#   scripts/gen-acl.py --bounds  the bounds and who may write each
#                                attribute, one line each (the tests):
#                                ATTR COUNT SIZE WRITER SUBTREE
import os
import re
import sys

# The names of one site: the shipped files use EXAMPLE; the template of
# `apikey setup-directory` (apikey-setup.ldif.in) uses PLACEHOLDER, which the
# command fills in from --suffix and its name options.
EXAMPLE = {
    'DATABASE': '{1}mdb',
    'SUFFIX': 'dc=example,dc=org',
    'PEOPLE': 'ou=people,dc=example,dc=org',
    'SERVICES': 'ou=services,dc=example,dc=org',
    'VERIFIER': 'cn=verifier,ou=system,dc=example,dc=org',
    'EXPIRYD': 'cn=expiryd,ou=system,dc=example,dc=org',
    'ADMINS': 'cn=apikey-admins,ou=groups,dc=example,dc=org',
    'POLICY': 'cn=apikey-policy,ou=policies,dc=example,dc=org',
}
PLACEHOLDER = {k: '@%s@' % k for k in EXAMPLE}
OURS = ['apiKeyRecord', 'apiKeyId', 'apiKeyRevoked', 'apiKeyExpires',
        'apiKeyLastUsed', 'apiKeyDisabled', 'apiKeyOwner',
        'apiKeyRequireExpiry', 'apiKeyMaxLifetime', 'apiKeyNoticeDays',
        'apiKeyNoticeRecipient', 'apiKeyNotice']
LOCKS = 'shadowExpire,pwdAccountLockedTime,pwdStartTime,pwdEndTime'
OWNER_ADD = '=rscda'
# The indexes apikey relies on (apikey-index.ldif says why).
INDEXES = ['apiKeyId eq', 'apiKeyExpires eq', 'apiKeyNotice eq,sub']
# The last rules are a sample for a directory without rules of its own.
SAMPLE_RULES = 2

# Bounds (RELIABILITY U-01, U-02): for every attribute someone other than
# the key admins may write under the rules below, the most values one entry
# may hold and the largest value in bytes. slapd enforces them itself with
# slapo-constraint (count, size: it ignores a schema's {N}), so a person
# with ldapmodify cannot grow her entry without limit: the cost of her
# writes (each new value is compared with every value present, under the
# database's write lock) and the size of her entry (every reader receives
# it whole) stay small. table() refuses a rule that lets a non-admin write
# an attribute named nowhere here, so one added later cannot slip through.
KEYS = 100  # key records per holder, live and ended (housekeeping prunes)
NOTICES = 4096  # notices per holder: keys x stages x classes, with room
BOUNDS = [
    # attribute, values per entry, bytes per value
    ('apiKeyRecord', KEYS, 1024),
    ('apiKeyId', KEYS, 16),
    ('apiKeyExpires', KEYS, 32),
    # ends: revocations stay after housekeeping removed their key (so its
    # record cannot be written again), rotations come and go
    ('apiKeyRevoked', 10 * KEYS, 64),
    ('apiKeyLastUsed', KEYS, 64),
    ('apiKeyNotice', NOTICES, 160),
    ('userPassword', 4, 512),
]
# Before OpenLDAP 2.7 slapo-constraint steps aside for any client that
# sends the relax control (ITS#9204): docs/key-records.md ("Bounds") says
# what that leaves open and why no plug-in closes it on Debian 12.


def table(n):
    """The access rules and limits, with the names of n."""
    A = 'group.exact="%s"' % n['ADMINS']
    V = 'dn.exact="%s"' % n['VERIFIER']
    D = 'dn.exact="%s"' % n['EXPIRYD']  # apikey-expiryd
    P = 'dn.subtree="%s"' % n['PEOPLE']
    S = 'dn.subtree="%s"' % n['SERVICES']
    POL = 'dn.base="%s"' % n['POLICY']
    OWNERS = 'set="this/apiKeyOwner & user"'  # a service user's people
    rules = [
        ('attrs=userPassword', ['self =xw', 'anonymous =x', '* none']),
        ('attrs=' + ','.join(a + ';lang-' for a in OURS),
         [A + ' write', '* none']),
        # The expiry daemon's housekeeping of keys (key_cleanup_days) may
        # delete, never add, the records, ids, expiry values and last uses
        # of keys that ended long ago, and the ends their rotations gave
        # them; never a revocation, so that a revoked key's record cannot
        # be written again and work.
        ('attrs=apiKeyRecord,apiKeyId,apiKeyExpires,apiKeyLastUsed',
         [D + ' =rscdz', '* break']),
        ('attrs=apiKeyRevoked val.regex="^[a-z2-7]{16} [0-9]{14}Z rotated$"',
         [D + ' =rscdz', '* break']),
        (P + ' attrs=apiKeyRecord,apiKeyId,apiKeyRevoked',
         [A + ' write', 'self ' + OWNER_ADD, V + ' read', D + ' read',
          '* none']),
        (P + ' attrs=apiKeyExpires',
         [A + ' write', 'self ' + OWNER_ADD, D + ' read', '* none']),
        (S + ' attrs=apiKeyRecord,apiKeyId,apiKeyRevoked',
         [A + ' write', V + ' read', D + ' read', '* none']),
        (S + ' attrs=apiKeyExpires', [A + ' write', D + ' read', '* none']),
        (P + ' attrs=apiKeyLastUsed',
         [V + ' write', A + ' write', 'self read', '* none']),
        (S + ' attrs=apiKeyLastUsed', [V + ' write', A + ' write', '* none']),
        (P + ' attrs=apiKeyNotice',
         [A + ' write', D + ' write', 'self read', '* none']),
        (S + ' attrs=apiKeyNotice', [A + ' write', D + ' write', '* none']),
        (P + ' attrs=apiKeyDisabled',
         [A + ' write', V + ' read', 'self read', '* none']),
        (P + ' attrs=objectClass val=apiKeyHolder',
         [A + ' write', 'self write', '* break']),
        # objectClass and contextCSN: syncprov reads the base with the
        # consumer's identity (the daemon's refreshAndPersist).
        # anonymous =x: the base of the SASL mapping search below.
        ('dn.base="%s" attrs=entry,objectClass,contextCSN' % n['SUFFIX'],
         [V + ' read', D + ' read', 'anonymous =x', '* break']),
        # "anonymous =x" on entry, objectClass and uid (and on the suffix
        # entry, the search's base, above): slapd maps a SASL name
        # (uid=<user>,cn=apikey,cn=auth) to the holder's entry with
        # olcAuthzRegexp's internal search, made before the bind is done
        # and subject to these rules. =x is auth without disclose ("auth"
        # includes it): the mapping finds the entry, while an anonymous
        # compare or search gets noSuchObject, without a matchedDN, for a
        # name that exists as for one that does not.
        (P + ' attrs=entry,objectClass,uid,' + LOCKS,
         [V + ' read', 'anonymous =x', '* break']),
        # A service user is seen by the admins, the verifier, the daemon
        # and its responsible people (apiKeyOwner), by nobody else: other
        # people cannot tell whether a name is a service user. People may
        # search below the branch (search, no disclose, on its entry: a
        # search needs it on its base) and find the ones they answer for.
        ('dn.base="%s" attrs=entry' % n['SERVICES'],
         [A + ' write', V + ' read', D + ' read', 'users =s', '* none']),
        (S + ' attrs=entry,objectClass,uid,apiKeyDisabled,' + LOCKS,
         [A + ' write', V + ' read', D + ' read', OWNERS + ' read',
          'anonymous =x', '* none']),
        (S, [A + ' write', V + ' none', D + ' read', OWNERS + ' read',
             '* none']),
        (POL + ' attrs=entry,objectClass,apiKeyRequireExpiry,'
         'apiKeyMaxLifetime,apiKeyNoticeDays',
         [A + ' write', V + ' read', 'users read', '* none']),
        (POL, [A + ' write', D + ' read', '* none']),
        (P + ' attrs=entry,objectClass,uid,mail,entryUUID,entryCSN',
         [D + ' read', '* break']),
        ('*', [V + ' none', D + ' none', '* break']),
        # The sample: each person reads her own entry, the admins read
        # every entry; people may search from the suffix (a search needs
        # search on its base, and apikey finds a person's entry from
        # there) but read nothing of anyone else, so no person learns
        # whether another exists.
        ('dn.base="%s"' % n['SUFFIX'], [A + ' read', 'users =s', '* none']),
        ('*', ['self read', A + ' read', '* none']),
    ]
    limits = [
        ('group/groupOfNames/member="%s"' % n['ADMINS'],
         'size=unlimited time=unlimited'),
        # apikey-expiryd reads every key holder (paged searches, syncrepl
        # refresh): a partial answer would hide keys from the notices.
        ('dn.exact="%s"' % n['EXPIRYD'], 'size=unlimited time=unlimited'),
    ]
    return rules, limits


def writers(n):
    """(attribute, who, subtree) for every grant that lets someone other
    than the admins add values; who is self, verifier or expiryd, subtree
    people, services or any. Exits when one has no bound in BOUNDS."""
    who_name = {'self': 'self', 'dn.exact="%s"' % n['VERIFIER']: 'verifier',
                'dn.exact="%s"' % n['EXPIRYD']: 'expiryd'}
    admins = 'group.exact="%s"' % n['ADMINS']
    bounded = {a for a, _, _ in BOUNDS}
    out = []
    for i, (what, bys) in enumerate(table(n)[0]):
        m = re.search(r'(?:^| )attrs=(\S+)', what)
        subtree = ('people' if n['PEOPLE'] in what else
                   'services' if n['SERVICES'] in what else 'any')
        for b in bys:
            who, level = b.rsplit(' ', 1)
            grows = level in ('write', 'manage') or (
                level.startswith('=') and any(c in level[1:] for c in 'awm'))
            if not grows or who == admins:
                continue
            if ' val=' in what:
                continue  # one given value (objectClass: apiKeyHolder)
            if m is None or who not in who_name:
                sys.exit('gen-acl.py: rule {%d} lets %s write whole entries '
                         'or an unknown identity write: not bounded' % (i, who))
            for a in m.group(1).split(','):
                if a not in bounded:
                    sys.exit('gen-acl.py: rule {%d} lets %s add values of %s, '
                             'which has no bound in BOUNDS' % (i, who, a))
                out.append((a, who_name[who], subtree))
    return out


def bounds_lines():
    """Each bound as slapo-constraint says it (attribute count|size N)."""
    out = []
    for a, count, size in BOUNDS:
        out += ['%s count %d' % (a, count), '%s size %d' % (a, size)]
    return out


def bounds_ldif(n, module_if=''):
    """slapo-constraint with BOUNDS; module_if prefixes the module change."""
    module = ['dn: cn=module{0},cn=config', 'changetype: modify',
              'add: olcModuleLoad', 'olcModuleLoad: constraint']
    return [module_if + m for m in module] + [
        '', 'dn: olcOverlay=constraint,olcDatabase=%s,cn=config'
        % n['DATABASE'], 'changetype: add', 'objectClass: olcOverlayConfig',
        'objectClass: olcConstraintConfig', 'olcOverlay: constraint'] + [
        'olcConstraintAttribute: ' + b for b in bounds_lines()]


def bounds_conf():
    """The same for slapd.conf's database section."""
    return '\n'.join(['overlay constraint'] + [
        'constraint_attribute ' + b for b in bounds_lines()]) + '\n'


def embed_bounds(dst):
    """BOUNDS as a C table (meson runs this at build): common/core's
    ak_bounds.c serves it to the CLI, check-config and the daemon."""
    out = ['/* generated from scripts/gen-acl.py (BOUNDS) by gen-acl.py '
           '--embed-bounds */',
           '#define AK_BOUNDS_KEYS %du' % KEYS,
           'static const struct ak_bound ak_bounds_table[] = {']
    for a, count, size in BOUNDS:
        out.append('    {"%s", %du, %du},' % (a, count, size))
    out.append('};')
    with open(dst, 'w') as f:
        f.write('\n'.join(out) + '\n')


def ldif(n):
    rules, limits = table(n)
    out = []
    for i, (what, bys) in enumerate(rules):
        out.append('olcAccess: {%d}to %s' % (i, what))
        for b in bys:
            out.append('  by ' + b)
    out += ['-', 'add: olcLimits']
    for who, what in limits:
        out += ['olcLimits: ' + who, '  ' + what]
    return out


def conf(n):
    rules, limits = table(n)
    out = []
    for what, bys in rules:
        out.append('access to ' + what)
        for b in bys:
            out.append('    by ' + b)
        out.append('')
    out.pop()
    for who, what in limits:
        out.append('limits %s %s' % (who, what))
    return '\n'.join(out) + '\n'


def index_ldif(n):
    out = ['dn: olcDatabase=%s,cn=config' % n['DATABASE'],
           'changetype: modify', 'add: olcDbIndex']
    return out + ['olcDbIndex: ' + i for i in INDEXES]


def unique_ldif(n, module_if='', lead=''):
    """slapo-unique on apiKeyId; module_if prefixes the module change."""
    module = ['dn: cn=module{0},cn=config', 'changetype: modify',
              'add: olcModuleLoad', 'olcModuleLoad: unique']
    return [module_if + m for m in module] + [
        '', 'dn: olcOverlay=unique,olcDatabase=%s,cn=config' % n['DATABASE'],
        'changetype: add', 'objectClass: olcOverlayConfig',
        'objectClass: olcUniqueConfig', 'olcOverlay: unique',
        'olcUniqueURI: ldap:///%s?apiKeyId?sub' % n['SUFFIX_URL']]


def schema_lines(d):
    """apikey.ldif (schema2ldif.sh's output) as an add, without comments."""
    with open(os.path.join(d, 'apikey.ldif')) as f:
        lines = [ln.rstrip('\n') for ln in f if not ln.startswith('#')]
    return lines[:1] + ['changetype: add'] + [ln for ln in lines[1:] if ln]


SETUP_HEADER = """\
# The LDIF of `apikey setup-directory --print` (see apikey(1)): this
# template with the site's names filled in. Generated by scripts/gen-acl.py
# from the table of apikey-acl.ldif, the indexes of apikey-index.ldif, the
# overlay of apikey-unique.ldif and the schema of apikey.ldif; do not edit.
#
# Placeholders: @NAME@ is a name (a DN, or SUFFIX_URL: the suffix for an
# LDAP URL; *_CN: the value of the entry's cn); a line starting @?FLAG@ is
# printed only when FLAG is on (CATCHALL: the sample last rules;
# MODULE_UNIQUE, MODULE_PPOLICY, MODULE_CONSTRAINT: load that module);
# @PART name@ starts a part; @CONTAINERS@ and @ADMIN_MEMBERS@ become
# entries and lines the command makes.
"""

CONFIG_INTRO = """\
# Part "config": cn=config changes. As root on the LDAP server:
#   ldapmodify -Y EXTERNAL -H ldapi:/// -f FILE
# ldapmodify stops at the first failed change: one that says "Type or value
# exists" (20) or "Already exists" (68) is already there; remove it from the
# file (or give the matching --skip-module) and run it again.
# Needs the core, cosine and nis schemas (shadowExpire); the ppolicy module
# defines pwdAccountLockedTime, pwdStartTime and pwdEndTime, which the
# verifier's rules read.
"""

ENTRIES_INTRO = """\
# Part "entries": the entries apikey needs, as the database's root DN:
#   ldapmodify -x -H ldapi:/// -D ROOTDN -W -f FILE
# The parents of these entries and @SUFFIX@ must exist. The two service
# accounts get no usable password ({CRYPT}* matches none): give each one
# its own, kept in the file apikey.conf names (bind_pw_file,
# notice_bind_pw_file; no newline: ldappasswd -T keeps it), for example
#   (umask 077; openssl rand -base64 32 | tr -d '\\n' >/etc/apikey/verifier.pw)
#   ldappasswd -x -H ldapi:/// -D ROOTDN -W -T /etc/apikey/verifier.pw \\
#       @VERIFIER@
# and the same for @EXPIRYD@ (expiryd.pw). Then
# set the owner and mode of each file for the services that read it: see
# `apikey check-config --host`.
"""


def setup_template(d):
    n = dict(PLACEHOLDER, SUFFIX_URL='@SUFFIX_URL@')
    out = [SETUP_HEADER.rstrip('\n'), '@PART config@',
           CONFIG_INTRO.rstrip('\n')]
    out += schema_lines(d) + ['']
    out += ['@?MODULE_PPOLICY@' + m for m in [
        'dn: cn=module{0},cn=config', 'changetype: modify',
        'add: olcModuleLoad', 'olcModuleLoad: ppolicy', '']]
    acl = ldif(n)
    rules = len(table(n)[0])
    sample = '{%d}' % (rules - SAMPLE_RULES)
    at = next(i for i, ln in enumerate(acl)
              if ln.startswith('olcAccess: ' + sample))
    end = acl.index('-')
    acl = acl[:at] + ['@?CATCHALL@' + ln for ln in acl[at:end]] + acl[end:]
    out += index_ldif(n) + ['-', 'add: olcAccess'] + acl + ['']
    out += unique_ldif(n, '@?MODULE_UNIQUE@') + ['']
    out += bounds_ldif(n, '@?MODULE_CONSTRAINT@') + ['']
    out += ['@PART entries@', ENTRIES_INTRO.rstrip('\n'), '@CONTAINERS@']
    for who, cn, what in [
            ('VERIFIER', 'VERIFIER_CN',
             'the verifier (PAM module, SASL plugin): bind_dn of apikey.conf'),
            ('EXPIRYD', 'EXPIRYD_CN',
             'the expiry daemon (apikey-expiryd): notice_bind_dn of '
             'apikey.conf')]:
        out += ['dn: @%s@' % who, 'changetype: add',
                'objectClass: organizationalRole',
                'objectClass: simpleSecurityObject', 'cn: @%s@' % cn,
                'description: ' + what, 'userPassword: {CRYPT}*', '']
    out += ['dn: @ADMINS@', 'changetype: add', 'objectClass: groupOfNames',
            'cn: @ADMINS_CN@',
            'description: may manage every API key, the service users and '
            'the key policy', '@ADMIN_MEMBERS@', '',
            'dn: @POLICY@', 'changetype: add',
            'objectClass: organizationalRole', 'objectClass: apiKeyPolicy',
            'cn: @POLICY_CN@',
            'description: the API key policy (apikey policy set)']
    return '\n'.join(out) + '\n'


def regenerate(path, first, body, check):
    """Replace path's text from the line starting first; keep its head.
    first=None: the whole file is body."""
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        if first is not None:
            raise
        text = ''
    at = 0
    if first is not None:
        at = text.find(first)
        if at < 0:
            sys.exit('%s: no line starting %r' % (path, first))
    new = text[:at] + body
    if new == text:
        return True
    if check:
        print('%s is stale: run scripts/gen-acl.py' % path, file=sys.stderr)
        return False
    with open(path, 'w') as f:
        f.write(new)
    return True


def embed(src, dst):
    """The template as a C string constant (meson runs this at build)."""
    with open(src) as f:
        text = f.read()
    out = ['/* generated from %s by gen-acl.py --embed */'
           % os.path.basename(src),
           'static const char ak_setup_template[] =']
    for ln in text.splitlines(True):
        esc = ln.replace('\\', '\\\\').replace('"', '\\"')
        esc = esc.replace('\n', '\\n').replace('?', '\\?')
        out.append('    "%s"' % esc)
    out[-1] += ';'
    with open(dst, 'w') as f:
        f.write('\n'.join(out) + '\n')


def main():
    args = sys.argv[1:]
    if len(args) == 3 and args[0] == '--embed':
        embed(args[1], args[2])
        return
    if len(args) == 2 and args[0] == '--embed-bounds':
        embed_bounds(args[1])
        return
    if args == ['--bounds']:
        size = {a: (c, z) for a, c, z in BOUNDS}
        for a, who, subtree in writers(EXAMPLE):
            print(a, size[a][0], size[a][1], who, subtree)
        return
    check = args == ['--check']
    if args and not check:
        sys.exit('usage: gen-acl.py [--check|--bounds] | --embed TEMPLATE '
                 'OUT.h | --embed-bounds OUT.h')
    writers(EXAMPLE)  # every grant bounded, or no file is written
    d = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..',
                     'packaging', 'ldap')
    ex = dict(EXAMPLE, SUFFIX_URL=EXAMPLE['SUFFIX'])
    ok = regenerate(os.path.join(d, 'apikey-acl.ldif'), 'olcAccess: {0}',
                    '\n'.join(ldif(ex)) + '\n', check)
    ok = regenerate(os.path.join(d, 'apikey-acl.conf'), 'access to ',
                    conf(ex), check) and ok
    ok = regenerate(os.path.join(d, 'apikey-index.ldif'), 'dn: ',
                    '\n'.join(index_ldif(ex)) + '\n', check) and ok
    ok = regenerate(os.path.join(d, 'apikey-unique.ldif'), 'dn: ',
                    '\n'.join(unique_ldif(ex)) + '\n', check) and ok
    ok = regenerate(os.path.join(d, 'apikey-bounds.ldif'), 'dn: ',
                    '\n'.join(bounds_ldif(ex)) + '\n', check) and ok
    ok = regenerate(os.path.join(d, 'apikey-bounds.conf'), 'overlay ',
                    bounds_conf(), check) and ok
    ok = regenerate(os.path.join(d, 'apikey-setup.ldif.in'), None,
                    setup_template(d), check) and ok
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
