/* SPDX-License-Identifier: BSD-3-Clause */
/* test_config.c - apikey.conf: defaults, every key, every refusal (BI-14,
 * S-06) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ak_config.h"
#include "ak_ldap.h"
#include "ak_secure.h"
#include "ak_status.h"

static char logbuf[16384];

static void sink(void *ctx, int prio, const char *msg)
{
    (void)ctx;
    (void)prio;
    strncat(logbuf, msg, sizeof(logbuf) - strlen(logbuf) - 2);
    strcat(logbuf, "\n");
}

static const struct ak_log test_log = {.sink = sink};

#define MIN "uri ldap://127.0.0.1\nuser_base ou=people,dc=example,dc=org\n"

static int parse(const char *text, struct ak_config **cfg)
{
    logbuf[0] = '\0';
    return ak_config_parse(cfg, text, strlen(text), "test.conf", &test_log);
}

static void test_defaults(void **state)
{
    struct ak_config *c = NULL;
    (void)state;
    assert_int_equal(parse(MIN, &c), AK_OK);
    assert_int_equal(c->n_uri, 1);
    assert_string_equal(c->uri[0], "ldap://127.0.0.1");
    assert_string_equal(c->service_base, "ou=people,dc=example,dc=org");
    assert_string_equal(c->search_base, "ou=people,dc=example,dc=org");
    assert_string_equal(c->user_filter, "(objectClass=posixAccount)");
    assert_string_equal(c->service_filter, "(objectClass=apiKeyServiceUser)");
    assert_string_equal(c->user_attr, "uid");
    assert_string_equal(c->key_prefix, "ak");
    assert_int_equal(c->tls_reqcert, AK_TLS_DEMAND); /* TLS verified */
    assert_false(c->start_tls);
    assert_int_equal(c->network_timeout, 5);
    assert_int_equal(c->timeout, 8);
    assert_int_equal(c->pool_size, 8);
    assert_null(c->bind_dn);
    assert_null(c->policy_dn);
    assert_false(c->debug);
    assert_false(c->user_name_ascii_case);
    assert_false(c->track_last_use);
    assert_int_equal(c->last_use_interval, 15);
    ak_config_free(c);
}

static void test_every_key(void **state)
{
    /* flip every default (pam-u2f's cfg test) */
    static const char text[] =
        "# comment\n"
        "\n"
        "   # indented comment\n"
        "uri ldap://a.example:389 ldaps://b.example\n"
        "uri ldapi:///\n"
        "user_base ou=people,dc=example,dc=org\n"
        "service_base ou=robots,dc=example,dc=org\n"
        "user_filter (&(objectClass=inetOrgPerson)(!(employeeType=ex)))\n"
        "service_filter (objectClass=account)\n"
        "user_attr sAMAccountName\n"
        "bind_dn cn=verifier,dc=example,dc=org\n"
        "bind_pw_file /etc/apikey/bindpw\n"
        "tls_cacert /etc/ssl/ca.pem\n"
        "tls_cacertdir /etc/ssl/certs\n"
        "tls_cert /etc/apikey/client.pem\n"
        "tls_key /etc/apikey/client.key\n"
        "tls_reqcert hard\n"
        "start_tls yes\n"
        "network_timeout 3\n"
        "timeout 4\n"
        "pool_size 2\n"
        "key_prefix acme\n"
        "policy_dn cn=policy,dc=example,dc=org\n"
        "debug\n"
        "\t\n";
    struct ak_config *c = NULL;
    (void)state;
    assert_int_equal(parse(text, &c), AK_OK);
    assert_int_equal(c->n_uri, 3);
    assert_string_equal(c->uri[1], "ldaps://b.example");
    assert_string_equal(c->uri[2], "ldapi:///");
    assert_string_equal(c->search_base, "dc=example,dc=org");
    assert_string_equal(c->user_attr, "sAMAccountName");
    assert_string_equal(c->bind_pw_file, "/etc/apikey/bindpw");
    assert_int_equal(c->tls_reqcert, AK_TLS_HARD);
    assert_true(c->start_tls);
    assert_int_equal(c->network_timeout, 3);
    assert_int_equal(c->timeout, 4);
    assert_int_equal(c->pool_size, 2);
    assert_string_equal(c->key_prefix, "acme");
    assert_true(c->debug);
    ak_config_free(c);
}

static void bad(const char *text, const char *msg_part)
{
    struct ak_config *c = NULL;
    int rc = parse(text, &c);
    assert_int_not_equal(rc, AK_OK);
    assert_null(c);
    if (strstr(logbuf, msg_part) == NULL)
        fail_msg("expected '%s' in log, got: %s", msg_part, logbuf);
}

static void test_refusals(void **state)
{
    static char longline[70000];
    (void)state;
    bad(MIN "frobnicate yes\n", "test.conf:3: unknown option 'frobnicate'");
    bad(MIN "user_base ou=x,dc=y\n", "test.conf:3: user_base given twice "
                                     "(first on line 2)");
    bad(MIN "debug\ndebug\n", "debug given twice");
    bad("user_base ou=people,dc=example,dc=org\n", "no uri given");
    bad("uri ldap://x\n", "no user_base given");
    bad(MIN "uri http://x\n", "test.conf:3: uri 'http://x' is not an LDAP URI");
    bad(MIN "uri ldap://x/dc=example?uid\n", "give only scheme, host");
    bad(MIN "uri\n", "uri needs a value");
    bad(MIN "uri ldap://1 ldap://2 ldap://3 ldap://4 ldap://5 ldap://6 "
            "ldap://7 ldap://8 ldap://9\n",
        "more than 8 URIs");
    bad(MIN "tls_cacert ca.pem\n", "must be an absolute path");
    bad(MIN "bind_pw_file ../pw\n", "must be an absolute path");
    bad(MIN "tls_reqcert sometimes\n", "tls_reqcert 'sometimes'");
    bad(MIN "timeout 0\n", "from 1 to 300");
    bad(MIN "timeout 301\n", "from 1 to 300");
    bad(MIN "timeout -1\n", "from 1 to 300");
    bad(MIN "timeout 5s\n", "from 1 to 300");
    bad(MIN "network_timeout 99999999999999999999\n", "from 1 to 300");
    bad(MIN "start_tls maybe\n", "must be yes or no");
    bad(MIN "user_filter objectClass=x\n", "parenthesised LDAP filter");
    bad(MIN "user_filter (a=b)(c=d)\n", "parenthesised LDAP filter");
    bad(MIN "user_filter (a=b))\n", "parenthesised LDAP filter");
    bad(MIN "user_attr uid;x\n", "not an attribute name");
    bad(MIN "policy_dn not a dn\n", "not a valid DN");
    bad(MIN "key_prefix AK\n", "key_prefix 'AK'");
    bad(MIN "key_prefix abcdefghijk\n", "key_prefix");
    bad(MIN "sasl_mech GSSAPI\n", "only EXTERNAL");
    bad(MIN "bind_dn cn=x,dc=y\n", "bind_dn needs bind_pw_file");
    bad(MIN "bind_pw_file /x\n", "bind_pw_file needs bind_dn");
    bad(MIN "bind_dn cn=x,dc=y\nbind_pw_file /x\nsasl_mech EXTERNAL\n",
        "either bind_dn or sasl_mech");
    bad(MIN "tls_cert /c\n", "tls_cert and tls_key go together");
    bad(MIN "service_base ou=x,o=other\n", "share no suffix");
    bad(MIN "debug \xff\n", "test.conf:3: not valid UTF-8");
    bad(MIN "debug \xc0\xaf\n", "not valid UTF-8");
    bad(MIN "debug\r\x01\n", "control character");
    /* a 64 KiB line */
    memset(longline, 'a', sizeof(longline) - 1);
    memcpy(longline, "debug ", 6);
    {
        struct ak_config *c = NULL;
        logbuf[0] = '\0';
        assert_int_not_equal(
            ak_config_parse(&c, longline, 5000, "test.conf", &test_log), AK_OK);
        assert_non_null(strstr(logbuf, "test.conf:1: line longer than"));
        logbuf[0] = '\0';
        assert_int_not_equal(
            ak_config_parse(&c, longline, 65537, "test.conf", &test_log),
            AK_OK);
        assert_non_null(strstr(logbuf, "larger than"));
    }
    /* NUL byte inside a line */
    {
        static const char withnul[] = MIN "debug\0yes\n";
        struct ak_config *c = NULL;
        logbuf[0] = '\0';
        assert_int_not_equal(ak_config_parse(&c, withnul, sizeof(withnul) - 1,
                                             "test.conf", &test_log),
                             AK_OK);
        assert_non_null(strstr(logbuf, "test.conf:3: NUL byte"));
    }
}

static void test_reqcert_never_warns(void **state)
{
    struct ak_config *c = NULL;
    (void)state;
    assert_int_equal(parse(MIN "tls_reqcert never\n", &c), AK_OK);
    assert_non_null(strstr(logbuf, "not enforced"));
    ak_config_free(c);
}

static void test_crlf_and_tabs(void **state)
{
    struct ak_config *c = NULL;
    (void)state;
    assert_int_equal(parse("uri\tldap://x\r\nuser_base  dc=x \r\n", &c), AK_OK);
    assert_string_equal(c->uri[0], "ldap://x");
    assert_string_equal(c->user_base, "dc=x");
    ak_config_free(c);
}

/* --- files (S-06) ----------------------------------------------------- */

static char dir[64];

static int setup_dir(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/akcfg.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
    char cmd[128];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *write_file(const char *name, const char *text, mode_t mode)
{
    static char path[128];
    FILE *f;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    unlink(path);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
    return path;
}

static void test_file_rules(void **state)
{
    struct ak_config *c = NULL;
    char link[160], *buf = NULL;
    const char *p;
    size_t len;
    (void)state;

    p = write_file("good.conf", MIN, 0644);
    logbuf[0] = '\0';
    assert_int_equal(ak_config_load(&c, p, &test_log), AK_OK);
    assert_string_equal(c->path, p);
    ak_config_free(c);
    c = NULL;

    p = write_file("gw.conf", MIN, 0664);
    logbuf[0] = '\0';
    assert_int_equal(ak_config_load(&c, p, &test_log), AK_ERR_CONFIG);
    assert_non_null(strstr(logbuf, "writable by group or others"));

    p = write_file("ow.conf", MIN, 0646);
    assert_int_equal(ak_config_load(&c, p, &test_log), AK_ERR_CONFIG);

    snprintf(link, sizeof(link), "%s/link.conf", dir);
    p = write_file("target.conf", MIN, 0644);
    assert_int_equal(symlink(p, link), 0);
    logbuf[0] = '\0';
    assert_int_equal(ak_config_load(&c, link, &test_log), AK_ERR_CONFIG);
    assert_non_null(strstr(logbuf, "symbolic link"));

    logbuf[0] = '\0';
    snprintf(link, sizeof(link), "%s/missing.conf", dir);
    assert_int_equal(ak_config_load(&c, link, &test_log), AK_ERR_NOT_FOUND);
    assert_non_null(strstr(logbuf, "no such file"));

    assert_int_equal(ak_config_load(&c, "relative.conf", &test_log),
                     AK_ERR_CONFIG);
    assert_int_equal(ak_config_load(&c, dir, &test_log), AK_ERR_CONFIG);

    /* secrets: not readable by others */
    p = write_file("pw", "secret\n", 0644);
    logbuf[0] = '\0';
    assert_int_equal(
        ak_file_read(p, AK_FILE_SECRET, 1024, &test_log, &buf, &len),
        AK_ERR_CONFIG);
    assert_non_null(strstr(logbuf, "readable by others"));
    p = write_file("pw", "secret\n", 0640);
    assert_int_equal(
        ak_file_read(p, AK_FILE_SECRET, 1024, &test_log, &buf, &len), AK_OK);
    assert_int_equal(len, 7);
    ak_file_free(buf, len, AK_FILE_SECRET);
    /* size cap */
    assert_int_equal(ak_file_read(p, AK_FILE_SECRET, 3, &test_log, &buf, &len),
                     AK_ERR_CONFIG);

    /* owned by someone else (only root can arrange that) */
    if (geteuid() == 0) {
        p = write_file("other.conf", MIN, 0644);
        assert_int_equal(chown(p, 65534, 65534), 0);
        logbuf[0] = '\0';
        assert_int_equal(ak_config_load(&c, p, &test_log), AK_ERR_CONFIG);
        assert_non_null(strstr(logbuf, "owned by uid 65534"));
    }
}

static void test_bindpw_rules(void **state)
{
    struct ak_config *c = NULL;
    struct ak_dir *d = NULL;
    char text[512];
    const char *pw;
    (void)state;

    pw = write_file("empty.pw", "\n", 0600);
    snprintf(text, sizeof(text),
             MIN "bind_dn cn=v,dc=example,dc=org\nbind_pw_file %s\n", pw);
    assert_int_equal(parse(text, &c), AK_OK);
    logbuf[0] = '\0';
    /* an empty password would be an unauthenticated bind: refused */
    assert_int_equal(ak_dir_open(&d, c, &test_log), AK_ERR_CONFIG);
    assert_non_null(strstr(logbuf, "empty password"));
    ak_config_free(c);

    pw = write_file("open.pw", "hunter2\n", 0604);
    snprintf(text, sizeof(text),
             MIN "bind_dn cn=v,dc=example,dc=org\nbind_pw_file %s\n", pw);
    assert_int_equal(parse(text, &c), AK_OK);
    logbuf[0] = '\0';
    assert_int_equal(ak_dir_open(&d, c, &test_log), AK_ERR_CONFIG);
    assert_null(strstr(logbuf, "hunter2"));
    ak_config_free(c);
}

static void dump_line(void *ctx, const char *line)
{
    strcat((char *)ctx, line);
    strcat((char *)ctx, "\n");
}

static void test_dump(void **state)
{
    static char out[8192];
    struct ak_config *c = NULL;
    (void)state;
    assert_int_equal(parse(MIN "bind_dn cn=v,dc=example,dc=org\n"
                               "bind_pw_file /etc/apikey/bindpw\n",
                           &c),
                     AK_OK);
    out[0] = '\0';
    ak_config_dump(c, dump_line, out);
    assert_non_null(strstr(out, "uri ldap://127.0.0.1\n"));
    assert_non_null(strstr(out, "bind_pw_file /etc/apikey/bindpw\n"));
    assert_non_null(strstr(out, "tls_reqcert demand\n"));
    assert_non_null(strstr(out, "# policy_dn (unset)\n"));
    /* the dump parses back to the same settings */
    {
        struct ak_config *c2 = NULL;
        char *copy = strdup(out);
        assert_int_equal(parse(copy, &c2), AK_OK);
        assert_int_equal(c2->timeout, c->timeout);
        assert_string_equal(c2->bind_dn, c->bind_dn);
        ak_config_free(c2);
        free(copy);
    }
    ak_config_free(c);
}

/* The table apikey.conf(5) is checked against (ak_config_describe) is
 * the one the parser applies: each default it names is what a minimal
 * file dumps, and each key it names is one the dump knows. */
static void test_describe_is_applied(void **state)
{
    static char dump[8192], table[4096];
    struct ak_config *c = NULL;
    char *save = NULL;
    unsigned rows = 0;
    (void)state;
    assert_int_equal(parse(MIN, &c), AK_OK);
    dump[0] = table[0] = '\0';
    ak_config_dump(c, dump_line, dump);
    ak_config_describe(dump_line, table);
    for (char *row = strtok_r(table, "\n", &save); row != NULL;
         row = strtok_r(NULL, "\n", &save), rows++) {
        char name[64], def[128], range[32], want[200];
        assert_int_equal(
            sscanf(row, "%63[^\t]\t%127[^\t]\t%31s", name, def, range), 3);
        if (strcmp(def, "-") == 0)
            snprintf(want, sizeof(want), "%s ", name); /* set or unset */
        else
            snprintf(want, sizeof(want), "\n%s %s\n", name, def);
        if (strstr(dump, want) == NULL)
            fail_msg("table row '%s' but the dump has no '%s'", row, want);
    }
    assert_true(rows >= 20);
    ak_config_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_every_key),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_reqcert_never_warns),
        cmocka_unit_test(test_crlf_and_tabs),
        cmocka_unit_test_setup_teardown(test_file_rules, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_bindpw_rules, setup_dir,
                                        teardown_dir),
        cmocka_unit_test(test_dump),
        cmocka_unit_test(test_describe_is_applied),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
