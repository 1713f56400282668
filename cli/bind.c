/* SPDX-License-Identifier: BSD-3-Clause */
/* bind.c - who the apikey command talks to the directory as */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sasl/sasl.h>
#include <sodium.h>

#include "ak_key.h"
#include "ak_manage.h"
#include "ak_secure.h"
#include "ak_status.h"
#include "ak_text.h"

#define PW_MAX 1024

/* Read a password from the terminal without echo. */
static int prompt_password(const char *who, char *buf, size_t size, size_t *len)
{
    struct termios old, quiet;
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
    char prompt[512];
    size_t n = 0;
    bool restore = false;

    if (fd < 0) {
        cli_err("no terminal to ask for the LDAP password of %s (%s); give "
                "-y FILE, or -Y EXTERNAL",
                who, strerror(errno));
        return EXIT_USAGE;
    }
    snprintf(prompt, sizeof(prompt), "LDAP password for %s: ", who);
    if (write(fd, prompt, strlen(prompt)) < 0) {
        close(fd);
        return EXIT_USAGE;
    }
    if (tcgetattr(fd, &old) == 0) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
        quiet.c_lflag |= ICANON;
        restore = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
    }
    for (;;) {
        char c;
        ssize_t r = read(fd, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0 || c == '\n')
            break;
        if (n + 1 < size)
            buf[n++] = c;
    }
    buf[n] = '\0';
    if (restore)
        tcsetattr(fd, TCSAFLUSH, &old);
    if (write(fd, "\n", 1) < 0) {
        /* the prompt's newline is cosmetic */
    }
    close(fd);
    *len = n;
    return EXIT_OK;
}

/* The password for who: from -y FILE or the terminal, into locked memory
 * (*pw, sodium_malloc; the caller frees it with sodium_free). */
static int get_password(struct cli *cli, const char *who, char **pw,
                        size_t *pw_len)
{
    int rc;

    *pw = sodium_malloc(PW_MAX);
    if (*pw == NULL)
        return EXIT_INTERNAL;
    if (cli->pw_file != NULL) {
        char *buf = NULL;
        size_t got = 0, len;
        rc = ak_file_read(cli->pw_file, AK_FILE_SECRET, PW_MAX - 1, &cli->log,
                          &buf, &got);
        if (rc != AK_OK) {
            sodium_free(*pw);
            *pw = NULL;
            return EXIT_CONFIG;
        }
        len = got;
        if (len > 0 && buf[len - 1] == '\n')
            len--;
        memcpy(*pw, buf, len);
        (*pw)[len] = '\0';
        *pw_len = len;
        ak_file_free(buf, got, AK_FILE_SECRET);
        rc = EXIT_OK;
    } else {
        rc = prompt_password(who, *pw, PW_MAX, pw_len);
    }
    if (rc == EXIT_OK && *pw_len == 0) {
        /* an empty simple-bind password is an anonymous bind (RFC 4513) */
        cli_err("empty password for %s refused", who);
        rc = EXIT_USAGE;
    }
    if (rc != EXIT_OK) {
        sodium_free(*pw);
        *pw = NULL;
    }
    return rc;
}

int cli_open(struct cli *cli)
{
    struct ak_bind bind = {0};
    char *pw = NULL;
    size_t pw_len = 0;
    int rc;

    rc = cli_load_config(cli);
    if (rc != EXIT_OK)
        return rc;
    if (cli->dir != NULL)
        return EXIT_OK;
    if (cli->bind_user != NULL ||
        (cli->mech != NULL && strcmp(cli->mech, "GSSAPI") == 0))
        return cli_open_self(cli);
    if (cli->bind_dn == NULL && cli->mech == NULL && !cli->pw_prompt &&
        cli->pw_file == NULL) {
        rc = ak_dir_open(&cli->dir, cli->cfg, &cli->log);
        return rc == AK_OK ? EXIT_OK : cli_exit_for(rc);
    }
    if (cli->mech != NULL) {
        bind.mech = cli->mech;
    } else {
        if (cli->bind_dn == NULL) {
            cli_err("-y and -W need -D BINDDN or -U USER here");
            return EXIT_USAGE;
        }
        rc = get_password(cli, cli->bind_dn, &pw, &pw_len);
        if (rc != EXIT_OK)
            return rc;
        bind.dn = cli->bind_dn;
        bind.pw = pw;
        bind.pw_len = pw_len;
    }
    rc = ak_dir_open_bind(&cli->dir, cli->cfg, &bind, &cli->log);
    if (pw != NULL)
        sodium_free(pw); /* wipes */
    return rc == AK_OK ? EXIT_OK : cli_exit_for(rc);
}

/* The login name of the real uid (not $USER: that is the caller's to set). */
static int login_name(struct cli *cli)
{
    struct passwd pwd, *res = NULL;
    char buf[4096];

    if (getpwuid_r(getuid(), &pwd, buf, sizeof(buf), &res) != 0 ||
        res == NULL || strlen(pwd.pw_name) >= sizeof(cli->login))
        snprintf(cli->login, sizeof(cli->login), "uid %u", (unsigned)getuid());
    else
        snprintf(cli->login, sizeof(cli->login), "%s", pwd.pw_name);
    return res != NULL ? EXIT_OK : EXIT_NOT_FOUND;
}

/*
 * The DN of user name. Looked up with the config's service bind when this
 * process may read its password file (or it binds with EXTERNAL), else
 * anonymously. When the lookup finds nothing (the directory may hide users
 * from such a bind), the DN is built as <user_attr>=<name>,<user_base>,
 * escaped by libldap; a wrong guess just fails to bind.
 */
static int lookup_dn(struct cli *cli, const char *name, char **dn)
{
    const struct ak_config *cfg = cli->cfg;
    struct ak_dir *dir = NULL;
    struct ak_conn *c = NULL;
    struct ak_holder h = {0};
    struct ak_log quiet = cli->log;
    int rc;

    *dn = NULL;
    if (!ak_user_name_valid(name, strlen(name))) {
        cli_err("'%s' cannot be a user name", name);
        return EXIT_USAGE;
    }
    /* The lookup is a convenience: its failures are not the user's. */
    quiet.sink = cli->verbose > 0 ? cli->log.sink : NULL;
    if (cfg->sasl_mech != NULL ||
        (cfg->bind_dn != NULL && access(cfg->bind_pw_file, R_OK) == 0)) {
        rc = ak_dir_open(&dir, cfg, &quiet);
    } else {
        struct ak_bind anon = {0};
        rc = ak_dir_open_bind(&dir, cfg, &anon, &quiet);
    }
    if (rc == AK_OK)
        rc = ak_dir_acquire(dir, false, &quiet, &c);
    if (rc == AK_OK)
        rc = ak_store_find_user(c, cfg, name, &quiet, &h);
    ak_dir_release(dir, c);
    ak_dir_close(dir);
    if (rc == AK_ERR_CONFLICT) {
        cli_err("several entries answer to '%s'; give your DN with -D", name);
        return EXIT_CONFLICT;
    }
    if (rc == AK_OK) {
        *dn = h.dn;
        h.dn = NULL;
        ak_holder_free(&h);
        return EXIT_OK;
    }
    ak_holder_free(&h);
    rc = ak_manage_child_dn(cfg->user_attr, name, cfg->user_base, dn);
    return rc == AK_OK ? EXIT_OK : cli_exit_for(rc);
}

/* GSSAPI needs no answers from us: the Kerberos ticket is the credential. */
static int sasl_quiet(LDAP *ld, unsigned flags, void *defaults, void *in)
{
    sasl_interact_t *i = in;
    (void)ld;
    (void)flags;
    (void)defaults;
    for (; i->id != SASL_CB_LIST_END; i++) {
        i->result = i->defresult ? i->defresult : "";
        i->len = (unsigned)strlen(i->result);
    }
    return LDAP_SUCCESS;
}

/* Bind a new connection with our own credentials. */
static int do_bind(struct cli *cli, struct ak_conn *c)
{
    LDAP *ld = ak_conn_ld(c);
    const char *who = cli->gssapi ? "GSSAPI" : cli->bind_as;
    char *diag = NULL;
    int rc;

    if (cli->gssapi) {
        rc = ldap_sasl_interactive_bind_s(ld, NULL, "GSSAPI", NULL, NULL,
                                          LDAP_SASL_QUIET, sasl_quiet, NULL);
    } else {
        struct berval cred = {.bv_len = cli->pw_len, .bv_val = cli->pw};
        rc = ldap_sasl_bind_s(ld, cli->bind_as, LDAP_SASL_SIMPLE, &cred, NULL,
                              NULL, NULL);
    }
    if (rc == LDAP_SUCCESS)
        return EXIT_OK;
    ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
    if (rc == LDAP_INVALID_CREDENTIALS)
        cli_err("cannot bind as %s: wrong password, no such entry, or the "
                "account is locked",
                who);
    else if (cli->gssapi &&
             (rc == LDAP_AUTH_UNKNOWN || rc == LDAP_LOCAL_ERROR ||
              rc == LDAP_NOT_SUPPORTED))
        cli_err("cannot bind with GSSAPI: %s%s%s (needs the Cyrus SASL "
                "GSSAPI plugin, e.g. libsasl2-modules-gssapi-mit, and a "
                "Kerberos ticket: kinit)",
                ldap_err2string(rc), diag && *diag ? "; " : "",
                diag && *diag ? diag : "");
    else
        cli_err("cannot bind as %s: %s%s%s", who, ldap_err2string(rc),
                diag && *diag ? "; " : "", diag && *diag ? diag : "");
    ldap_memfree(diag);
    switch (rc) {
    case LDAP_SERVER_DOWN:
    case LDAP_CONNECT_ERROR:
    case LDAP_TIMEOUT:
    case LDAP_BUSY:
    case LDAP_UNAVAILABLE:
        return EXIT_UNAVAILABLE;
    case LDAP_NO_MEMORY:
        return EXIT_INTERNAL;
    default:
        return EXIT_DENIED;
    }
}

int cli_conn(struct cli *cli, struct ak_conn **out)
{
    struct ak_conn *c = NULL;
    int rc;

    *out = NULL;
    if (cli->dir == NULL)
        return EXIT_INTERNAL;
    /* Given back and taken again: the pooled connection (with its bind)
     * comes back with a fresh deadline. */
    if (cli->conn != NULL)
        ak_dir_release(cli->dir, cli->conn);
    cli->conn = NULL;
    rc = ak_dir_acquire(cli->dir, false, &cli->log, &c);
    if (rc != AK_OK)
        return cli_exit_for(rc);
    if (!ak_conn_reused(c) && (cli->bind_as != NULL || cli->gssapi)) {
        rc = do_bind(cli, c);
        if (rc != EXIT_OK) {
            /* Never leave an unbound connection in the pool. */
            ak_dir_release(cli->dir, c);
            ak_dir_close(cli->dir);
            cli->dir = NULL;
            return rc;
        }
    }
    cli->conn = c;
    *out = c;
    return EXIT_OK;
}

int cli_open_self(struct cli *cli)
{
    struct ak_conn *c = NULL;
    struct ak_bind anon = {0};
    char *raw = NULL;
    int rc;

    rc = cli_load_config(cli);
    if (rc != EXIT_OK)
        return rc;
    if (cli->dir != NULL)
        return EXIT_OK;
    if (cli->mech != NULL && strcmp(cli->mech, "EXTERNAL") == 0) {
        struct ak_bind ext = {.mech = "EXTERNAL"};
        rc = ak_dir_open_bind(&cli->dir, cli->cfg, &ext, &cli->log);
    } else if (cli->mech != NULL) {
        cli->gssapi = true;
        rc = ak_dir_open_bind(&cli->dir, cli->cfg, &anon, &cli->log);
    } else {
        const char *dn = cli->bind_dn;
        char *found = NULL;
        if (dn == NULL) {
            if (cli->bind_user == NULL && login_name(cli) != EXIT_OK) {
                cli_err("cannot tell who you are (%s); use -D, -U or -Y",
                        cli->login);
                return EXIT_USAGE;
            }
            rc = lookup_dn(cli, cli->bind_user ? cli->bind_user : cli->login,
                           &found);
            if (rc != EXIT_OK)
                return rc;
            dn = found;
        }
        cli->bind_as = strdup(dn);
        free(found);
        if (cli->bind_as == NULL)
            return EXIT_INTERNAL;
        rc = get_password(cli, cli->bind_as, &cli->pw, &cli->pw_len);
        if (rc != EXIT_OK)
            return rc;
        rc = ak_dir_open_bind(&cli->dir, cli->cfg, &anon, &cli->log);
    }
    if (rc != AK_OK)
        return cli_exit_for(rc);
    rc = cli_conn(cli, &c);
    if (rc != EXIT_OK)
        return rc;
    rc = ak_manage_whoami(c, &cli->log, &cli->actor, &raw);
    if (rc == AK_ERR_NOT_FOUND) {
        /* an identity without a DN ("u:..."): keep it for the audit line */
        cli->actor = raw;
        raw = NULL;
        rc = cli->actor != NULL ? AK_OK : AK_ERR_NOMEM;
    } else if (rc != AK_OK && cli->bind_as != NULL) {
        /* a server without Who am I?: our simple bind says who we are */
        cli->actor = strdup(cli->bind_as);
        rc = cli->actor != NULL ? AK_OK : AK_ERR_NOMEM;
    }
    free(raw);
    if (rc != AK_OK)
        return cli_exit_for(rc);
    if (cli->login[0] == '\0')
        login_name(cli);
    ak_debug(&cli->log, "bound as '%s'", cli->actor);
    /* Back to the pool, bound: the next cli_conn() or ak_verify() gets it. */
    ak_dir_release(cli->dir, cli->conn);
    cli->conn = NULL;
    return EXIT_OK;
}

int cli_me(struct cli *cli, struct ak_holder *h)
{
    struct ak_conn *c;
    int rc;

    memset(h, 0, sizeof(*h));
    if (cli->actor == NULL || cli->actor[0] == '\0') {
        cli_err("bound anonymously: your own keys need your own identity "
                "(-U, -D or -Y)");
        return EXIT_DENIED;
    }
    rc = cli_conn(cli, &c);
    if (rc != EXIT_OK)
        return rc;
    rc = ak_store_read_holder(c, cli->cfg, cli->actor, &cli->log, h);
    if (rc == AK_ERR_NOT_FOUND) {
        cli_err("you are bound as '%s', which is no user or service user "
                "under %s or %s; name the user (apikey COMMAND USER), or "
                "map this identity to your entry (olcAuthzRegexp)",
                cli->actor, cli->cfg->user_base, cli->cfg->service_base);
        return EXIT_NOT_FOUND;
    }
    return rc == AK_OK ? EXIT_OK : cli_exit_for(rc);
}

int cli_find_user(struct cli *cli, const char *name, struct ak_holder *h)
{
    struct ak_conn *c;
    int rc;

    memset(h, 0, sizeof(*h));
    if (!ak_user_name_valid(name, strlen(name))) {
        cli_err("'%s' cannot be a user name", name);
        return EXIT_USAGE;
    }
    rc = cli_conn(cli, &c);
    if (rc != EXIT_OK)
        return rc;
    rc = ak_store_find_user(c, cli->cfg, name, &cli->log, h);
    if (rc == AK_ERR_NOT_FOUND) {
        cli_err("no user or service user '%s' under %s or %s", name,
                cli->cfg->user_base, cli->cfg->service_base);
        return EXIT_NOT_FOUND;
    }
    if (rc == AK_ERR_CONFLICT) {
        cli_err("several entries answer to '%s'; refusing to guess", name);
        return EXIT_CONFLICT;
    }
    return rc == AK_OK ? EXIT_OK : cli_exit_for(rc);
}

bool cli_kid_ok(const char *kid)
{
    if (ak_key_id_valid(kid, strlen(kid)))
        return true;
    cli_err("'%s' is not a key id (16 characters of a-z 2-7)", kid);
    return false;
}

int cli_find_key(struct cli *cli, const char *kid, struct ak_holder *h,
                 struct ak_record *rec)
{
    const char *why = NULL;
    struct ak_conn *c;
    int rc, i;

    memset(h, 0, sizeof(*h));
    if (!cli_kid_ok(kid))
        return EXIT_USAGE;
    rc = cli_conn(cli, &c);
    if (rc != EXIT_OK)
        return rc;
    rc = ak_store_find_key(c, cli->cfg, kid, &cli->log, h);
    if (rc == AK_ERR_NOT_FOUND) {
        cli_err("no key with id %s (or none that you may see)", kid);
        return EXIT_NOT_FOUND;
    }
    if (rc == AK_ERR_CONFLICT) {
        cli_err("key id %s is held by several entries; fix the directory by "
                "hand",
                kid);
        return EXIT_CONFLICT;
    }
    if (rc != AK_OK)
        return cli_exit_for(rc);
    i = ak_holder_record_index(h, kid);
    if (i < 0 || ak_holder_key(h, (unsigned)i, rec, &why) != AK_OK) {
        cli_err("%s: key %s: no single well-formed record; fix the entry by "
                "hand",
                h->dn, kid);
        return EXIT_CONFLICT;
    }
    return EXIT_OK;
}

int cli_reread(struct cli *cli, const char *dn, struct ak_holder *h)
{
    struct ak_conn *c;
    int rc;

    memset(h, 0, sizeof(*h));
    rc = cli_conn(cli, &c);
    if (rc != EXIT_OK)
        return rc;
    rc = ak_store_read_holder(c, cli->cfg, dn, &cli->log, h);
    return rc == AK_OK ? EXIT_OK : cli_exit_for(rc);
}

int cli_change_failed(struct cli *cli, int status, const char *what,
                      const char *dn)
{
    switch (status) {
    case AK_ERR_DENIED:
        cli_err("the directory refused to %s on %s: %s may not do this", what,
                dn, cli->actor && cli->actor[0] ? cli->actor : "this identity");
        return EXIT_DENIED;
    case AK_ERR_CONFLICT:
        cli_err("%s changed while we tried to %s; nothing was written, try "
                "again",
                dn, what);
        return EXIT_CONFLICT;
    case AK_ERR_INVALID:
        cli_err("the directory refused to %s on %s as invalid (schema, a "
                "uniqueness constraint or a bound on the values of an entry: "
                "the server's words are above)",
                what, dn);
        return EXIT_DENIED;
    case AK_ERR_NOT_FOUND:
        cli_err("%s is gone; cannot %s", dn, what);
        return EXIT_NOT_FOUND;
    case AK_ERR_FULL:
        /* The store's line above names the attribute and the bound. */
        cli_err("cannot %s on %s: the entry holds as many keys as the "
                "directory allows. Revoke the keys you no longer use "
                "('apikey list', 'apikey revoke KEYID'): apikey-expiryd's "
                "housekeeping removes the records of keys that ended "
                "(key_cleanup_days); or ask a key admin",
                what, dn);
        return EXIT_DENIED;
    default:
        cli_err("could not %s on %s: %s", what, dn, ak_strerror(status));
        return cli_exit_for(status);
    }
}

int cli_read_policy(struct cli *cli, struct ak_conn *c, struct ak_policy *pol)
{
    int rc = ak_store_read_policy(c, cli->cfg, &cli->log, pol);
    if (rc == AK_OK)
        return EXIT_OK;
    return rc == AK_ERR_MALFORMED ? EXIT_CONFIG : cli_exit_for(rc);
}

int cli_begin(struct cli *cli, struct ak_conn **c, struct ak_policy *pol)
{
    int rc = cli_open_self(cli);

    if (rc == EXIT_OK)
        rc = cli_conn(cli, c);
    if (rc == EXIT_OK)
        rc = cli_read_policy(cli, *c, pol);
    return rc;
}
