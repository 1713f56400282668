/* SPDX-License-Identifier: BSD-3-Clause */
/* cli.h - shared state and helpers of the apikey command */
#ifndef AK_CLI_H
#define AK_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "ak_config.h"
#include "ak_policy.h"
#include "ak_record.h"
#include "ak_ldap.h"
#include "ak_log.h"
#include "ak_status.h"
#include "ak_store.h"
#include "ak_store_policy.h"

/* Exit codes, documented in apikey(1). */
enum cli_exit {
    EXIT_OK = 0,
    EXIT_REFUSED = 1,     /* verify: the key was refused */
    EXIT_USAGE = 2,       /* bad command line */
    EXIT_CONFIG = 3,      /* configuration unreadable or invalid */
    EXIT_UNAVAILABLE = 4, /* directory unreachable */
    EXIT_NOT_FOUND = 5,   /* no such user, service user or key id */
    EXIT_DENIED = 6,      /* refused by policy or access rights */
    EXIT_CONFLICT = 7,    /* changed concurrently or exists; nothing written */
    EXIT_NOT_SHOWN = 8,   /* a new key could not be shown (see apikey(1)) */
    EXIT_INCOMPLETE = 9,  /* a listing left out entries it could not read
                             (named on stderr); every other is listed */
    EXIT_INTERNAL = 10,   /* out of memory, crypto, ... */
};

/* Which identity a command binds with when none is named. */
enum cli_who {
    CLI_AS_SERVICE, /* verify, check-config: the config's service bind */
    CLI_AS_SELF,    /* management: the person running apikey */
};

struct cli {
    const char *config_path; /* -c, absolute (config_own when resolved) */
    const char *uri;         /* -H: replaces the config's URIs */
    const char *bind_dn;     /* -D */
    const char *bind_user;   /* -U */
    const char *pw_file;     /* -y, absolute (pw_file_own when resolved) */
    bool pw_prompt;          /* -W */
    const char *mech;        /* -Y EXTERNAL | GSSAPI */
    bool json;               /* --json before the command */
    int verbose;
    bool stdout_closed; /* fd 1 was closed at start (now /dev/null) */
    char *config_own;   /* -c made absolute, NULL when given so */
    char *pw_file_own;  /* -y made absolute, NULL when given so */
    struct ak_config *cfg;
    struct ak_log log;
    struct ak_dir *dir;
    struct ak_conn *conn; /* the connection in use, see cli_conn() */

    /* Management identity (cli_open_self). */
    char *bind_as; /* DN of our own simple bind, NULL otherwise */
    char *pw;      /* its password (sodium_malloc), kept for reconnects */
    size_t pw_len;
    bool gssapi;
    char *actor;    /* Who am I? DN; "" when anonymous */
    char login[64]; /* login name of the real uid, for the audit trail */
};

/* A command: argv[0] is the command name. Returns an enum cli_exit. */
typedef int (*cli_cmd_fn)(struct cli *cli, int argc, char **argv);

int cmd_create(struct cli *cli, int argc, char **argv);
int cmd_list(struct cli *cli, int argc, char **argv);
int cmd_revoke(struct cli *cli, int argc, char **argv);
int cmd_rotate(struct cli *cli, int argc, char **argv);
int cmd_service(struct cli *cli, int argc, char **argv);
int cmd_policy(struct cli *cli, int argc, char **argv);
int cmd_verify(struct cli *cli, int argc, char **argv);
int cmd_check_config(struct cli *cli, int argc, char **argv);
int cmd_setup_directory(struct cli *cli, int argc, char **argv);

/* --- exitcode.c (pure: tests/unit links it) --- */

/* The exit code of an ak status (AK_OK or AK_ERR_*), by its class. */
int cli_exit_for(int status);

/* The exit code of verify's outcome, by its class (EXIT_REFUSED for every
 * refusal). */
int cli_exit_for_outcome(enum ak_outcome outcome);

/* --- main.c --- */

/* A FILE argument of opt (-c, -y) made absolute (ak_path_absolute) into
 * *out, *own keeping what was allocated (freed first; cli_close frees the
 * last). EXIT_OK, or the exit status to end with (a message printed). */
int cli_file_arg(const char *opt, const char *arg, char **own,
                 const char **out);

/* --- session.c: one run's config and messages --- */

/* Load the config (once). Returns EXIT_OK or EXIT_CONFIG. */
int cli_load_config(struct cli *cli);

/* Print "apikey: <msg>" on stderr. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Sleep APIKEY_TEST_DELAY_MS milliseconds, if set: lets the tests make two
 * commands read before either writes (C-04). */
void cli_test_delay(void);

/* Fail early when a command would print a new key to a closed stdout. */
int cli_need_stdout(const struct cli *cli);

/* The command being run (for cli_getopt's messages). */
void cli_set_command(const char *name);

/* The options that go before the command, as getopt spells them: main.c
 * parses them (with -h), cli_getopt explains them after a command. */
#define CLI_GLOBAL_SHORTOPTS "c:H:D:U:y:WY:vV"

/* What cli_getopt returns for an option that goes before the command, or
 * is given twice: explained already, the command ends without usage. */
#define CLI_OPT_MISPLACED 0x100

struct option;
/*
 * getopt_long for a command's options, with apikey's own messages. An
 * option that belongs before the command (-c -H -D -U -y -W -Y -v -V,
 * --config, --verbose, --version) is not an unknown one: it is explained
 * ("option -D goes before the command: apikey -D cn=x create ...") and
 * CLI_OPT_MISPLACED is returned, after which the command ends with
 * EXIT_USAGE without its usage text. So is an option given twice (see
 * cli_getopt_lists). Other errors return '?' after a one-line message.
 */
int cli_getopt(int argc, char **argv, const char *shortopts,
               const struct option *longopts);

/*
 * cli_getopt for a command some of whose options add to a list each time
 * they are given (lists: their values, e.g. "os" for --owner, --scope).
 * Every other option that takes a value is refused when given twice, in
 * cli_getopt too: "--label given twice: it takes one value", and
 * CLI_OPT_MISPLACED is returned (keeping either value would drop the
 * other silently).
 */
int cli_getopt_lists(int argc, char **argv, const char *shortopts,
                     const struct option *longopts, const char *lists);

/*
 * The record behind that rule, for a parser of its own (main.c's options
 * before the command): true when option c, which took a value (li: its
 * index in longopts, or -1 when given in its short form), may be taken;
 * false after the message when it was taken before from this argv and is
 * not in lists. The record starts again with another argv, or optind 0.
 */
bool cli_opt_once(char **argv, int c, const struct option *longopts, int li,
                  const char *lists);

/* --- output.c: how values are printed --- */

/*
 * Text from the directory (names, DNs, labels, descriptions) as a terminal
 * may show it: ak_text_escape, so that a value written by hand with a C1
 * control or a bidi override reaches the screen as \u009b, not as an
 * action. The string lives until 8 more calls (one printf may take
 * several). cli_show_cut: at most max bytes (0: all), cut at a whole
 * character or escape, for a table's column. NULL gives "".
 */
const char *cli_show(const char *s);
const char *cli_show_cut(const char *s, size_t max);

/* Write s to f escaped as cli_show does (any length). */
void cli_put(FILE *f, const char *s);

/* Write s as a JSON string literal (with quotes) to f: terminal-active
 * code points escaped (\u009b), bytes that are not UTF-8 as \ufffd. */
void cli_json_str(FILE *f, const char *s);

/* "2027-01-31 12:00 UTC" for tables; "-" when !has. */
const char *cli_date(char *buf, size_t size, bool has, time_t t);

/* ISO 8601 "2027-01-31T12:00:00Z" for JSON. */
const char *cli_iso(char *buf, size_t size, time_t t);

/* Print "null" or the ISO time as a JSON string. */
void cli_json_time(FILE *f, bool has, time_t t);

/* The first RDN value of dn ("alice" of uid=alice,ou=...) into buf. */
const char *cli_dn_name(char *buf, size_t size, const char *dn);

/* --- scan.c --- */

/*
 * Every entry under base matching filter, read with attrs, to fn(ctx,...)
 * (ak_manage_search's callback), on cli's connection (cli_conn). An entry
 * that cannot be read (larger than the client accepts) does not stop the
 * listing (ak_scan.h): it is named on stderr ("DN: missing: why"; missing
 * NULL: silently) and every other still goes to fn. EXIT_OK;
 * EXIT_INCOMPLETE when an entry was left out; else the exit status of the
 * failure.
 */
int cli_scan(struct cli *cli, const char *base, const char *filter,
             char **attrs, unsigned page_size,
             int (*fn)(void *ctx, LDAP *ld, LDAPMessage *m), void *ctx,
             const char *missing);

/* --- bind.c --- */

/* Open the directory for verify / check-config: -D/-y/-W/-Y as given,
 * else the config's service bind. */
int cli_open(struct cli *cli);

/*
 * Open the directory as the person running apikey: -D DN, -U NAME (the DN
 * looked up), -Y EXTERNAL or -Y GSSAPI; without any of them, the login
 * name of the real uid as with -U. Then ask Who am I? and keep the answer
 * in cli->actor.
 */
int cli_open_self(struct cli *cli);

/*
 * The connection for the next directory operation, with a fresh deadline
 * (each operation gets the config's full timeout). Re-binds a new
 * connection with our own credentials when the pooled one was lost.
 */
int cli_conn(struct cli *cli, struct ak_conn **out);

/* Our own entry (cli->actor) as a key holder, with clear messages. */
int cli_me(struct cli *cli, struct ak_holder *h);

/* A user or service user by name, with clear messages. */
int cli_find_user(struct cli *cli, const char *name, struct ak_holder *h);

/* The policy entry, as an exit code (a malformed policy is EXIT_CONFIG). */
int cli_read_policy(struct cli *cli, struct ak_conn *c, struct ak_policy *pol);

/* What most commands do first: bind as ourselves, take the connection and
 * read the policy. */
int cli_begin(struct cli *cli, struct ak_conn **c, struct ak_policy *pol);

/* True when kid is a key id; otherwise says so on stderr. */
bool cli_kid_ok(const char *kid);

/* A key by id: the entry holding it and the key as the verifier judges it
 * (its record with what apiKeyRevoked says folded in: ak_holder_key), with
 * clear messages. EXIT_CONFLICT when the entry holds no single well-formed
 * record for it. */
int cli_find_key(struct cli *cli, const char *kid, struct ak_holder *h,
                 struct ak_record *rec);

/* Re-read a holder by DN (after a change), with clear messages. */
int cli_reread(struct cli *cli, const char *dn, struct ak_holder *h);

/* Explain a failed change of dn and map it to an exit code. */
int cli_change_failed(struct cli *cli, int status, const char *what,
                      const char *dn);

/* --- audit.c --- */

/*
 * One audit line per change (or refused change): syslog, facility
 * LOG_AUTHPRIV, ident "apikey"; with APIKEY_AUDIT_FILE set, also appended
 * to that file (tests read it). Carries the action, the result, the key id,
 * the target DN, the actor (bound DN) and the login name; never a key.
 * fmt adds free-form details (may be NULL).
 */
void cli_audit(const struct cli *cli, const char *action, int exit_code,
               const char *kid, const char *target, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

#endif
