/* SPDX-License-Identifier: BSD-3-Clause */
/* deliver.c - run the mailer with a message on its stdin, bounded in time */
#include "deliver.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ak_status.h"
#include "testhook.h"

#define KILL_GRACE_MS 2000
#define WRITE_CHUNK 65536
#define TIMEOUT_MAX 86400

const char *ex_delivery_result_str(enum ex_delivery_result r)
{
    switch (r) {
    case EX_DELIVER_SENT:
        return "sent";
    case EX_DELIVER_TEMPORARY:
        return "temporary";
    case EX_DELIVER_PERMANENT:
        return "permanent";
    }
    return "?";
}

static void set_err(char *err, size_t errsize, const char *msg)
{
    if (err != NULL && errsize > 0)
        snprintf(err, errsize, "%s", msg);
}

/* Split command into argv (pointers into buf). true or false + err. */
static bool split(const char *command, char buf[EX_COMMAND_MAX + 1],
                  char *argv[EX_ARGS_MAX + 1], char *err, size_t errsize)
{
    size_t n = 0;
    char *save = NULL;

    if (command == NULL || strlen(command) > EX_COMMAND_MAX) {
        set_err(err, errsize,
                command ? "the command is too long" : "no command");
        return false;
    }
    for (const char *p = command; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            set_err(err, errsize, "the command holds a control character");
            return false;
        }
    snprintf(buf, EX_COMMAND_MAX + 1, "%s", command);
    for (char *t = strtok_r(buf, " ", &save); t != NULL;
         t = strtok_r(NULL, " ", &save)) {
        if (n == EX_ARGS_MAX) {
            set_err(err, errsize, "the command has too many words");
            return false;
        }
        argv[n++] = t;
    }
    argv[n] = NULL;
    if (n == 0) {
        set_err(err, errsize, "the command is empty");
        return false;
    }
    if (argv[0][0] != '/') {
        set_err(err, errsize,
                "the command must start with an absolute path (no PATH "
                "lookup, no shell)");
        return false;
    }
    return true;
}

bool ex_deliver_command_ok(const char *command, char *err, size_t errsize)
{
    char buf[EX_COMMAND_MAX + 1];
    char *argv[EX_ARGS_MAX + 1];
    return split(command, buf, argv, err, errsize);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void reason(struct ex_delivery *out, enum ex_delivery_result r,
                   const char *word, int num)
{
    out->result = r;
    if (num >= 0)
        snprintf(out->reason, sizeof(out->reason), "%s-%d", word, num);
    else
        snprintf(out->reason, sizeof(out->reason), "%s", word);
}

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

/* A pipe whose both ends are O_CLOEXEC and above 2, so that dup2 onto
 * 0..2 in the child always makes a new descriptor without the flag. */
static int pipe_hi(int p[2])
{
    if (pipe2(p, O_CLOEXEC) != 0)
        return -1;
    for (int i = 0; i < 2; i++)
        if (p[i] < 3) {
            int d = fcntl(p[i], F_DUPFD_CLOEXEC, 3);
            if (d < 0) {
                close(p[0]);
                close(p[1]);
                return -1;
            }
            close(p[i]);
            p[i] = d;
        }
    return 0;
}

static int nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* In the child, between fork and exec: async-signal-safe calls only. */
__attribute__((noreturn)) static void child(char *const argv[], pid_t parent,
                                            int in_r, int out_w, int err_w)
{
    struct sigaction dfl;
    sigset_t none;
    int e = 0;

    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; s++)
        (void)sigaction(s, &dfl, NULL); /* fails for KILL, STOP: fine */
    sigemptyset(&none);
    /* If we die before reading its exit status, the command dies too: a
     * mailer still busy then never accepts a message we cannot record as
     * sent (the next daemon sends it after the lease). getppid() closes the
     * race with a parent that died before the prctl. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
        e = errno;
    else if (getppid() != parent)
        e = ESRCH;
    if (e == 0 && (setpgid(0, 0) != 0 || dup2(in_r, 0) < 0 ||
                   dup2(out_w, 1) < 0 || dup2(out_w, 2) < 0))
        e = errno;
    /* Every descriptor but 0-2 and the exec-error pipe (O_CLOEXEC: closed
     * by a successful exec) goes. */
    if (e == 0 && ((err_w > 3 && close_range(3, (unsigned)err_w - 1, 0) != 0) ||
                   close_range((unsigned)err_w + 1, ~0U, 0) != 0)) {
        for (int fd = 3; fd < 65536; fd++)
            if (fd != err_w)
                (void)close(fd);
    }
    if (e == 0) {
        sigprocmask(SIG_SETMASK, &none, NULL);
        execv(argv[0], argv);
        e = errno;
    }
    (void)!write(err_w, &e, sizeof(e));
    _exit(127);
}

/* Keep the first EX_OUTPUT_MAX bytes of what the command writes, clean. */
static void keep_output(struct ex_delivery *out, size_t *kept, const char *b,
                        size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)b[i];
        if (*kept == EX_OUTPUT_MAX) {
            out->output_truncated = true;
            return;
        }
        if (c == '\n' || c == '\r' || c == '\t')
            c = ' ';
        else if (c < 0x20 || c >= 0x7f)
            c = '?';
        out->output[(*kept)++] = (char)c;
        out->output[*kept] = '\0';
    }
}

/* Read what is there on fd; false at end of file (or an error). */
static bool drain(int fd, struct ex_delivery *out, size_t *kept)
{
    char buf[4096];
    for (int i = 0; i < 64; i++) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n > 0) {
            keep_output(out, kept, buf, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }
    return true;
}

/* waitpid without EINTR; 1 reaped, 0 still running, -1 error. */
static int reap(pid_t pid, int *status, bool block)
{
    for (;;) {
        pid_t r = waitpid(pid, status, block ? 0 : WNOHANG);
        if (r == pid)
            return 1;
        if (r == 0)
            return 0;
        if (errno != EINTR)
            return -1;
    }
}

/* The timeout: the whole process group gets SIGTERM, after 2 s SIGKILL. */
static int stop(pid_t pid, int *status)
{
    int64_t until = mono_ms() + KILL_GRACE_MS;
    int r;

    kill(-pid, SIGTERM);
    kill(pid, SIGTERM); /* in case it left our group */
    while ((r = reap(pid, status, false)) == 0 && mono_ms() < until)
        (void)poll(NULL, 0, 10);
    if (r != 0)
        return r;
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    return reap(pid, status, true);
}

int ex_deliver(const char *command, const char *input, size_t len,
               unsigned timeout_s, struct ex_delivery *out)
{
    char buf[EX_COMMAND_MAX + 1];
    char *argv[EX_ARGS_MAX + 1];
    int in[2] = {-1, -1}, outp[2] = {-1, -1}, errp[2] = {-1, -1};
    sigset_t sigpipe, old, pending;
    bool pipe_was_pending, masked = false, timed_out = false;
    int64_t start = mono_ms(), deadline;
    size_t kept = 0;
    int status = -1, e = 0, rc, r = 0;
    ssize_t n;
    pid_t pid, parent;

    memset(out, 0, sizeof(*out));
    out->wait_status = -1;
    if (!split(command, buf, argv, NULL, 0)) {
        reason(out, EX_DELIVER_PERMANENT, "bad-command", -1);
        return AK_ERR_CONFIG;
    }
    if (timeout_s == 0 || timeout_s > TIMEOUT_MAX) {
        reason(out, EX_DELIVER_PERMANENT, "bad-command", -1);
        return AK_ERR_INVALID;
    }
    deadline = start + (int64_t)timeout_s * 1000;
    if (pipe_hi(in) != 0 || pipe_hi(outp) != 0 || pipe_hi(errp) != 0) {
        reason(out, EX_DELIVER_TEMPORARY, "pipe-failed", -1);
        rc = AK_ERR_IO;
        goto out;
    }
    parent = getpid();
    pid = fork();
    if (pid < 0) {
        reason(out, EX_DELIVER_TEMPORARY, "fork-failed", -1);
        rc = AK_ERR_IO;
        goto out;
    }
    if (pid == 0)
        child(argv, parent, in[0], outp[1], errp[1]);
    (void)setpgid(pid, pid); /* as the child does: no race with kill */
    close_fd(&in[0]);
    close_fd(&outp[1]);
    close_fd(&errp[1]);

    /* The exec-error pipe: end of file = the exec worked. */
    do
        n = read(errp[0], &e, sizeof(e));
    while (n < 0 && errno == EINTR);
    close_fd(&errp[0]);
    if (n == (ssize_t)sizeof(e)) {
        (void)reap(pid, &status, true);
        out->wait_status = status;
        if (e == ENOENT || e == ENOTDIR)
            reason(out, EX_DELIVER_PERMANENT, "not-found", -1);
        else if (e == EACCES || e == EPERM || e == ENOEXEC || e == EISDIR ||
                 e == ELOOP || e == ENAMETOOLONG)
            reason(out, EX_DELIVER_PERMANENT, "not-executable", -1);
        else
            reason(out, EX_DELIVER_TEMPORARY, "exec-failed", -1);
        rc = AK_OK;
        goto out;
    }

    (void)nonblock(in[1]);
    (void)nonblock(outp[0]);
    sigemptyset(&sigpipe);
    sigaddset(&sigpipe, SIGPIPE);
    sigpending(&pending);
    pipe_was_pending = sigismember(&pending, SIGPIPE) == 1;
    masked = pthread_sigmask(SIG_BLOCK, &sigpipe, &old) == 0;
    if (len == 0)
        close_fd(&in[1]);

    for (;;) {
        struct pollfd pf[2];
        nfds_t np = 0;
        int64_t now, wait_ms;

        if ((r = reap(pid, &status, false)) != 0)
            break;
        now = mono_ms();
        if (now >= deadline) {
            timed_out = true;
            r = stop(pid, &status);
            break;
        }
        /* The child's end of the output pipe closes when it exits: then
         * poll wakes at once. Without it, look again soon. */
        wait_ms = outp[0] >= 0 ? 200 : 5;
        if (deadline - now < wait_ms)
            wait_ms = deadline - now;
        if (in[1] >= 0)
            pf[np++] = (struct pollfd){.fd = in[1], .events = POLLOUT};
        if (outp[0] >= 0)
            pf[np++] = (struct pollfd){.fd = outp[0], .events = POLLIN};
        if (poll(pf, np, (int)wait_ms) < 0 && errno != EINTR)
            (void)poll(NULL, 0, 5);
        for (nfds_t i = 0; i < np; i++) {
            if (pf[i].fd == in[1] && pf[i].revents != 0) {
                size_t chunk = len - out->input_written;
                if (chunk > WRITE_CHUNK)
                    chunk = WRITE_CHUNK;
                n = write(in[1], input + out->input_written, chunk);
                if (n > 0)
                    out->input_written += (size_t)n;
                else if (n < 0 && errno != EAGAIN && errno != EINTR)
                    close_fd(&in[1]); /* EPIPE: it stopped reading */
                if (out->input_written == len) {
                    close_fd(&in[1]); /* end of file for the command */
                    EX_CRASH_POINT("handed");
                }
            } else if (pf[i].fd == outp[0] && pf[i].revents != 0) {
                if (!drain(outp[0], out, &kept))
                    close_fd(&outp[0]);
            }
        }
    }
    if (outp[0] >= 0)
        (void)drain(outp[0], out, &kept); /* what it wrote before exit */
    if (masked) {
        if (!pipe_was_pending) {
            const struct timespec zero = {0, 0};
            while (sigtimedwait(&sigpipe, NULL, &zero) == SIGPIPE)
                ;
        }
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }

    if (r < 0) {
        /* ECHILD: reaped elsewhere (SIGCHLD ignored?). It may have sent. */
        reason(out, EX_DELIVER_TEMPORARY, "wait-failed", -1);
        rc = AK_ERR_IO;
        goto out;
    }
    out->wait_status = status;
    rc = AK_OK;
    if (timed_out)
        reason(out, EX_DELIVER_TEMPORARY, "timeout", -1);
    else if (WIFSIGNALED(status))
        reason(out, EX_DELIVER_TEMPORARY, "signal", WTERMSIG(status));
    else if (!WIFEXITED(status))
        reason(out, EX_DELIVER_TEMPORARY, "wait-failed", -1);
    else if (WEXITSTATUS(status) == 75) /* EX_TEMPFAIL */
        reason(out, EX_DELIVER_TEMPORARY, "exit", 75);
    else if (WEXITSTATUS(status) != 0)
        reason(out, EX_DELIVER_PERMANENT, "exit", WEXITSTATUS(status));
    else if (out->input_written < len)
        reason(out, EX_DELIVER_PERMANENT, "input-unread", -1);
    else
        reason(out, EX_DELIVER_SENT, "sent", -1);
out:
    close_fd(&in[0]);
    close_fd(&in[1]);
    close_fd(&outp[0]);
    close_fd(&outp[1]);
    close_fd(&errp[0]);
    close_fd(&errp[1]);
    out->elapsed_ms = (unsigned)(mono_ms() - start);
    return rc;
}
