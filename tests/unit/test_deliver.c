/* SPDX-License-Identifier: BSD-3-Clause */
/* test_deliver.c - ex_deliver against real mailer programs */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ak_status.h"
#include "deliver.h"

static char dir[PATH_MAX];     /* the test's temporary directory */
static char self[PATH_MAX];    /* this program, as a mailer */
static char capture[PATH_MAX]; /* tests/expiryd/capture-mailer.sh */

static const char message[] = "From: n@example.org\n"
                              "To: a@example.org\n"
                              "Subject: test\n"
                              "\n"
                              "body line\n";

/* ---- helpers --------------------------------------------------------- */

static const char *path(const char *name)
{
    static char buf[PATH_MAX + 64];
    snprintf(buf, sizeof(buf), "%s/%s", dir, name);
    return buf;
}

/* A mailer script in the test directory; returns the command. */
static const char *script(const char *name, const char *body)
{
    static char cmd[PATH_MAX + 128];
    const char *p = path(name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\n%s\n", body);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(p, 0755), 0);
    snprintf(cmd, sizeof(cmd), "%s -t -oi", p);
    return cmd;
}

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    assert_non_null(d);
    while (readdir(d) != NULL)
        n++;
    closedir(d);
    return n;
}

/* After every delivery: no child left (no zombie), SIGPIPE neither
 * pending nor blocked, no descriptor more than before. */
static void check_clean(int fds_before)
{
    sigset_t set;
    errno = 0;
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
    assert_int_equal(sigpending(&set), 0);
    assert_int_equal(sigismember(&set, SIGPIPE), 0);
    assert_int_equal(sigprocmask(SIG_BLOCK, NULL, &set), 0);
    assert_int_equal(sigismember(&set, SIGPIPE), 0);
    assert_int_equal(count_fds(), fds_before);
}

static int run(const char *cmd, const char *in, size_t len, unsigned timeout,
               struct ex_delivery *d)
{
    int before = count_fds();
    int rc = ex_deliver(cmd, in, len, timeout, d);
    check_clean(before);
    return rc;
}

static char *slurp(const char *p, size_t *len)
{
    FILE *f = fopen(p, "r");
    char *b;
    long n;
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* A large message: more than any pipe buffer. */
static char *big_message(size_t *len)
{
    size_t n = 4 * 1024 * 1024;
    char *b = malloc(n);
    assert_non_null(b);
    for (size_t i = 0; i < n; i++)
        b[i] = (i % 64 == 63) ? '\n' : (char)('a' + i % 26);
    *len = n;
    return b;
}

/* ---- the tests ------------------------------------------------------- */

static void test_capture_mailer(void **state)
{
    (void)state;
    struct ex_delivery d;
    char cmd[PATH_MAX + 16], *got;
    size_t len = 0, blen;
    char *big = big_message(&blen);

    assert_int_equal(mkdir(path("mail"), 0700), 0);
    assert_int_equal(setenv("AK_MAILDIR", path("mail"), 1), 0);
    snprintf(cmd, sizeof(cmd), "%s -t -oi", capture);

    assert_int_equal(run(cmd, message, strlen(message), 10, &d), AK_OK);
    assert_int_equal(d.result, EX_DELIVER_SENT);
    assert_string_equal(d.reason, "sent");
    assert_int_equal(d.input_written, strlen(message));
    assert_int_equal(WEXITSTATUS(d.wait_status), 0);
    got = slurp(path("mail/1.eml"), &len);
    assert_non_null(got);
    assert_int_equal(len, strlen(message));
    assert_memory_equal(got, message, len);
    free(got);

    /* a large one, whole */
    assert_int_equal(run(cmd, big, blen, 20, &d), AK_OK);
    assert_int_equal(d.result, EX_DELIVER_SENT);
    got = slurp(path("mail/2.eml"), &len);
    assert_non_null(got);
    assert_int_equal(len, blen);
    assert_memory_equal(got, big, blen);
    free(got);

    /* its exit status from the control file: 75, then 1 */
    FILE *f = fopen(path("mail/exit"), "w");
    fputs("75\n", f);
    fclose(f);
    assert_int_equal(run(cmd, message, strlen(message), 10, &d), AK_OK);
    assert_int_equal(d.result, EX_DELIVER_TEMPORARY);
    assert_string_equal(d.reason, "exit-75");
    assert_int_equal(access(path("mail/1.rej"), F_OK), 0);
    assert_int_not_equal(access(path("mail/3.eml"), F_OK), 0);
    assert_int_equal(setenv("AK_MAILER_EXIT", "0", 1), 0);
    f = fopen(path("mail/exit"), "w");
    fputs("1\n", f);
    fclose(f);
    assert_int_equal(run(cmd, message, strlen(message), 10, &d), AK_OK);
    assert_int_equal(d.result, EX_DELIVER_PERMANENT);
    assert_string_equal(d.reason, "exit-1");
    unlink(path("mail/exit"));
    unsetenv("AK_MAILER_EXIT");
    got = slurp(path("mail/attempts"), &len);
    assert_non_null(got);
    assert_string_equal(got, "0 1\n0 2\n75 1\n1 2\n");
    free(got);

    /* its hang switch: the timeout */
    f = fopen(path("mail/hang"), "w");
    fclose(f);
    assert_int_equal(run(cmd, message, strlen(message), 1, &d), AK_OK);
    assert_int_equal(d.result, EX_DELIVER_TEMPORARY);
    assert_string_equal(d.reason, "timeout");
    unlink(path("mail/hang"));
    free(big);
}

static void test_exit_codes(void **state)
{
    (void)state;
    static const struct {
        const char *name, *body;
        enum ex_delivery_result result;
        const char *reason;
    } t[] = {
        {"t75", "cat >/dev/null; exit 75", EX_DELIVER_TEMPORARY, "exit-75"},
        {"t1", "cat >/dev/null; exit 1", EX_DELIVER_PERMANENT, "exit-1"},
        {"t78", "cat >/dev/null; exit 78", EX_DELIVER_PERMANENT, "exit-78"},
        {"t0", "cat >/dev/null; exit 0", EX_DELIVER_SENT, "sent"},
        /* killed by a signal: temporary */
        {"tsig", "kill -9 $$", EX_DELIVER_TEMPORARY, "signal-9"},
    };
    struct ex_delivery d;

    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        assert_int_equal(
            run(script(t[i].name, t[i].body), message, strlen(message), 10, &d),
            AK_OK);
        assert_int_equal(d.result, t[i].result);
        assert_string_equal(d.reason, t[i].reason);
        assert_string_equal(ex_delivery_result_str(d.result),
                            t[i].result == EX_DELIVER_SENT ? "sent"
                            : t[i].result == EX_DELIVER_TEMPORARY
                                ? "temporary"
                                : "permanent");
    }

    /* an empty input is closed at once */
    assert_int_equal(run(script("tempty", "test -z \"$(cat)\""), "", 0, 10, &d),
                     AK_OK);
    assert_int_equal(d.result, EX_DELIVER_SENT);
}

static void test_timeout(void **state)
{
    (void)state;
    struct ex_delivery d;
    char pid_s[32] = "";
    size_t len;
    char *p;

    /* a shell waiting on a child: the whole group goes */
    assert_int_equal(
        run(script("hang", "sleep 1000 & echo $! >\"$(dirname $0)/hang.pid\"; "
                           "wait"),
            message, strlen(message), 1, &d),
        AK_OK);
    assert_int_equal(d.result, EX_DELIVER_TEMPORARY);
    assert_string_equal(d.reason, "timeout");
    assert_in_range(d.elapsed_ms, 1000, 3000);
    p = slurp(path("hang.pid"), &len);
    assert_non_null(p);
    snprintf(pid_s, sizeof(pid_s), "%d", atoi(p));
    free(p);
    /* the grandchild was killed too (gone, or a zombie of init) */
    for (int i = 0; i < 100; i++) {
        char stat[64], buf[256] = "";
        FILE *f;
        snprintf(stat, sizeof(stat), "/proc/%s/stat", pid_s);
        f = fopen(stat, "r");
        if (f == NULL)
            break;
        (void)!fgets(buf, sizeof(buf), f);
        fclose(f);
        if (strstr(buf, ") Z ") != NULL)
            break;
        assert_true(i < 99);
        usleep(20000);
    }

    /* one that ignores SIGTERM: SIGKILL after 2 s */
    assert_int_equal(run(script("stubborn", "trap '' TERM; while :; do "
                                            "sleep 1; done"),
                         message, strlen(message), 1, &d),
                     AK_OK);
    assert_int_equal(d.result, EX_DELIVER_TEMPORARY);
    assert_string_equal(d.reason, "timeout");
    assert_true(WIFSIGNALED(d.wait_status));
    assert_int_equal(WTERMSIG(d.wait_status), SIGKILL);
    assert_in_range(d.elapsed_ms, 2900, 4500);
}

/* The caller killed while the mailer runs (a daemon's kill -9 between
 * handing the message over and reading the exit status): the mailer dies
 * with it, so it never accepts a message whose outcome nobody records. */
static void test_dies_with_caller(void **state)
{
    (void)state;
    const char *cmd = script("slow", "cat >/dev/null; sleep 1; "
                                     "touch \"$(dirname $0)/accepted\"");
    struct ex_delivery d;
    struct stat st;
    int status;
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        (void)ex_deliver(cmd, message, strlen(message), 30, &d);
        _exit(0);
    }
    usleep(300 * 1000); /* the mailer has read its input and waits */
    assert_int_equal(kill(pid, SIGKILL), 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    usleep(1500 * 1000); /* past the mailer's "accept" */
    assert_int_equal(stat(path("accepted"), &st), -1);

    /* the same mailer, its caller alive: it accepts */
    assert_int_equal(run(cmd, message, strlen(message), 30, &d), AK_OK);
    assert_int_equal(d.result, EX_DELIVER_SENT);
    assert_int_equal(stat(path("accepted"), &st), 0);
}

static void test_unread_input(void **state)
{
    (void)state;
    struct ex_delivery d;
    size_t blen;
    char *big = big_message(&blen);

    /* exits 0 without reading: it did not get the message */
    assert_int_equal(run(script("noread", "exit 0"), big, blen, 10, &d), AK_OK);
    assert_int_equal(d.result, EX_DELIVER_PERMANENT);
    assert_string_equal(d.reason, "input-unread");
    assert_true(d.input_written < blen);
    assert_true(d.elapsed_ms < 3000);

    /* closes its input, then says 75 */
    assert_int_equal(run(script("noread75", "exec 0<&-; sleep 0.2; exit 75"),
                         big, blen, 10, &d),
                     AK_OK);
    assert_int_equal(d.result, EX_DELIVER_TEMPORARY);
    assert_string_equal(d.reason, "exit-75");

    /* never reads, never ends: the timeout, not a hang */
    assert_int_equal(
        run(script("noreadhang", "exec sleep 1000"), big, blen, 1, &d), AK_OK);
    assert_int_equal(d.result, EX_DELIVER_TEMPORARY);
    assert_string_equal(d.reason, "timeout");
    assert_in_range(d.elapsed_ms, 1000, 3000);
    free(big);
}

static void test_bad_commands(void **state)
{
    (void)state;
    struct ex_delivery d;
    char err[256], longcmd[EX_COMMAND_MAX + 10];

    assert_int_equal(
        run("/nonexistent/sendmail -t -oi", message, strlen(message), 10, &d),
        AK_OK);
    assert_int_equal(d.result, EX_DELIVER_PERMANENT);
    assert_string_equal(d.reason, "not-found");

    (void)script("noexec", "exit 0");
    assert_int_equal(chmod(path("noexec"), 0644), 0);
    assert_int_equal(run(path("noexec"), message, 1, 10, &d), AK_OK);
    assert_int_equal(d.result, EX_DELIVER_PERMANENT);
    assert_string_equal(d.reason, "not-executable");

    assert_int_equal(run("sendmail -t", message, 1, 10, &d), AK_ERR_CONFIG);
    assert_int_equal(d.result, EX_DELIVER_PERMANENT);
    assert_string_equal(d.reason, "bad-command");
    assert_int_equal(run("   ", message, 1, 10, &d), AK_ERR_CONFIG);
    assert_int_equal(run("/bin/true\n-x", message, 1, 10, &d), AK_ERR_CONFIG);
    assert_int_equal(run("/bin/true", message, 1, 0, &d), AK_ERR_INVALID);

    assert_true(
        ex_deliver_command_ok("/usr/sbin/sendmail -t -oi", err, sizeof(err)));
    assert_true(
        ex_deliver_command_ok("  /usr/sbin/sendmail   -t ", err, sizeof(err)));
    assert_false(ex_deliver_command_ok("sendmail -t", err, sizeof(err)));
    assert_non_null(strstr(err, "absolute path"));
    assert_false(ex_deliver_command_ok("", err, sizeof(err)));
    assert_string_equal(err, "the command is empty");
    assert_false(ex_deliver_command_ok(NULL, err, sizeof(err)));
    memset(longcmd, 'a', sizeof(longcmd) - 1);
    longcmd[0] = '/';
    longcmd[sizeof(longcmd) - 1] = '\0';
    assert_false(ex_deliver_command_ok(longcmd, err, sizeof(err)));
    char many[512] = "/bin/true";
    for (int i = 0; i < EX_ARGS_MAX; i++)
        strcat(many, " x");
    assert_false(ex_deliver_command_ok(many, err, sizeof(err)));
    assert_string_equal(err, "the command has too many words");
}

static void test_output_and_fds(void **state)
{
    (void)state;
    struct ex_delivery d;
    char cmd[PATH_MAX + 32];
    /* a descriptor without O_CLOEXEC: the child must not get it */
    int leak = (script("marker", ""), open(path("marker"), O_RDONLY));

    assert_true(leak > 2);
    assert_int_equal(run(script("talk", "cat >/dev/null; "
                                        "printf 'to out\\n'; "
                                        "printf 'bad\\001byte\\t\\n' >&2; "
                                        "exit 1"),
                         message, strlen(message), 10, &d),
                     AK_OK);
    assert_int_equal(d.result, EX_DELIVER_PERMANENT);
    assert_string_equal(d.output, "to out bad?byte  ");
    assert_false(d.output_truncated);

    assert_int_equal(run(script("chatty", "cat >/dev/null; i=0; "
                                          "while [ $i -lt 200 ]; do "
                                          "echo 0123456789; i=$((i+1)); "
                                          "done; exit 0"),
                         message, strlen(message), 10, &d),
                     AK_OK);
    assert_int_equal(d.result, EX_DELIVER_SENT);
    assert_int_equal(strlen(d.output), EX_OUTPUT_MAX);
    assert_true(d.output_truncated);

    /* this program as the mailer: it lists the descriptors it got */
    snprintf(cmd, sizeof(cmd), "%s --list-fds", self);
    assert_int_equal(run(cmd, message, strlen(message), 10, &d), AK_OK);
    assert_string_equal(d.reason, "sent");
    assert_int_equal(strncmp(d.output, "fds: 0 1 2", 10), 0);
    assert_true(d.output[10] == '\0' || d.output[10] == ' ');
    assert_null(strstr(d.output, "marker"));
    assert_null(strstr(d.output, "pipe:"));
    assert_null(strstr(d.output, "socket:"));
    close(leak);
}

/*
 * The child side of test_output_and_fds: "fds: 0 1 2" and then, for any
 * other descriptor, "n=target". A preloaded library (faketime in the
 * "future" setup) may open its own; a pipe, a socket or the test's marker
 * file there came from the parent.
 */
static int list_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int fds[64], n = 0;
    char buf[4096];

    if (d == NULL)
        return 2;
    while ((e = readdir(d)) != NULL && n < 64)
        if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d))
            fds[n++] = atoi(e->d_name);
    closedir(d);
    while (read(0, buf, sizeof(buf)) > 0)
        ;
    for (int i = 0; i < n; i++) /* sorted for the comparison */
        for (int j = i + 1; j < n; j++)
            if (fds[j] < fds[i]) {
                int t = fds[i];
                fds[i] = fds[j];
                fds[j] = t;
            }
    printf("fds:");
    for (int i = 0; i < n; i++) {
        char link[64], target[PATH_MAX] = "";
        ssize_t len;
        snprintf(link, sizeof(link), "/proc/self/fd/%d", fds[i]);
        len = readlink(link, target, sizeof(target) - 1);
        if (fds[i] > 2 && len > 0)
            printf(" %d=%.*s", fds[i], (int)len, target);
        else
            printf(" %d", fds[i]);
    }
    return 0;
}

static int cleanup(void **state)
{
    (void)state;
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capture_mailer),
        cmocka_unit_test(test_exit_codes),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_unread_input),
        cmocka_unit_test(test_dies_with_caller),
        cmocka_unit_test(test_bad_commands),
        cmocka_unit_test(test_output_and_fds),
    };
    const char *tmp = getenv("TMPDIR");

    if (argc == 2 && strcmp(argv[1], "--list-fds") == 0)
        return list_fds();
    if (argc != 2 || realpath(argv[1], capture) == NULL ||
        realpath("/proc/self/exe", self) == NULL) {
        fprintf(stderr, "usage: test_deliver /path/to/capture-mailer.sh\n");
        return 2;
    }
    snprintf(dir, sizeof(dir), "%s/test_deliver.XXXXXX", tmp ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    return cmocka_run_group_tests(tests, NULL, cleanup);
}
