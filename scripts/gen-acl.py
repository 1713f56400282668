#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# gen-acl.py - the access rules of packaging/ldap/apikey-acl.ldif and
# apikey-acl.conf, from one table. Each file keeps its own header comment
# (everything before the first rule); what follows it is written here.
#
#   scripts/gen-acl.py           rewrite both files
#   scripts/gen-acl.py --check   exit 1 when a file is not what this makes
import os
import sys

A = 'group.exact="cn=apikey-admins,ou=groups,dc=example,dc=org"'
V = 'dn.exact="cn=verifier,ou=system,dc=example,dc=org"'
D = 'dn.exact="cn=expiryd,ou=system,dc=example,dc=org"'  # apikey-expiryd
P = 'dn.subtree="ou=people,dc=example,dc=org"'
S = 'dn.subtree="ou=services,dc=example,dc=org"'
POL = 'dn.base="cn=apikey-policy,ou=policies,dc=example,dc=org"'
OURS = ['apiKeyRecord', 'apiKeyId', 'apiKeyRevoked', 'apiKeyExpires',
        'apiKeyLastUsed', 'apiKeyDisabled', 'apiKeyOwner',
        'apiKeyRequireExpiry', 'apiKeyMaxLifetime', 'apiKeyNoticeDays',
        'apiKeyNoticeRecipient', 'apiKeyNotice']
LOCKS = 'shadowExpire,pwdAccountLockedTime,pwdStartTime,pwdEndTime'
OWNER_ADD = '=rscda'
rules = [
    ('attrs=userPassword', ['self =xw', 'anonymous auth', '* none']),
    ('attrs=' + ','.join(a + ';lang-' for a in OURS), [A + ' write', '* none']),
    (P + ' attrs=apiKeyRecord,apiKeyId,apiKeyRevoked',
     [A + ' write', 'self ' + OWNER_ADD, V + ' read', D + ' read', '* none']),
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
    ('dn.base="dc=example,dc=org" attrs=entry,objectClass,contextCSN',
     [V + ' read', D + ' read', '* break']),
    (P + ' attrs=entry,objectClass,uid,' + LOCKS, [V + ' read', '* break']),
    (S + ' attrs=entry,objectClass,uid,apiKeyDisabled,' + LOCKS,
     [A + ' write', V + ' read', 'users read', '* none']),
    (S, [A + ' write', V + ' none', D + ' read', 'users read', '* none']),
    (POL + ' attrs=entry,objectClass,apiKeyRequireExpiry,apiKeyMaxLifetime,'
     'apiKeyNoticeDays', [A + ' write', V + ' read', 'users read', '* none']),
    (POL, [A + ' write', D + ' read', '* none']),
    (P + ' attrs=entry,objectClass,uid,mail,entryUUID',
     [D + ' read', '* break']),
    ('*', [V + ' none', D + ' none', '* break']),
    ('*', ['self read', 'users read', '* none']),
]
limits = [
    ('group/groupOfNames/member="cn=apikey-admins,ou=groups,dc=example,dc=org"',
     'size=unlimited time=unlimited'),
    # apikey-expiryd reads every key holder (paged searches, syncrepl
    # refresh): a partial answer would hide keys from the notices.
    ('dn.exact="cn=expiryd,ou=system,dc=example,dc=org"',
     'size=unlimited time=unlimited'),
]


def ldif():
    out = []
    for i, (what, bys) in enumerate(rules):
        out.append('olcAccess: {%d}to %s' % (i, what))
        for b in bys:
            out.append('  by ' + b)
    out += ['-', 'add: olcLimits']
    for who, what in limits:
        out += ['olcLimits: ' + who, '  ' + what]
    return '\n'.join(out) + '\n'


def conf():
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


def regenerate(path, first, body, check):
    with open(path) as f:
        text = f.read()
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


def main():
    check = sys.argv[1:] == ['--check']
    if sys.argv[1:] and not check:
        sys.exit('usage: gen-acl.py [--check]')
    d = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..',
                     'packaging', 'ldap')
    ok = regenerate(os.path.join(d, 'apikey-acl.ldif'), 'olcAccess: {0}',
                    ldif(), check)
    ok = regenerate(os.path.join(d, 'apikey-acl.conf'), 'access to ',
                    conf(), check) and ok
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
