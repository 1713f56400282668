/* SPDX-License-Identifier: BSD-3-Clause */
/* test_secure.c - secret memory: own pages, out of core dumps, locked;
 * the rules for the files that steer authentication */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ak_path.h"
#include "ak_secure.h"
#include "ak_status.h"

/* What /proc/self/smaps says about the mapping holding addr. */
struct vma {
    uintptr_t start, end;
    bool anon;     /* no file and no [heap]/[stack] name */
    bool dontdump; /* VmFlags "dd" */
    bool locked;   /* VmFlags "lo" */
};

static bool has_flag(const char *flags, const char *f)
{
    const char *p = flags;
    size_t n = strlen(f);

    while ((p = strstr(p, f)) != NULL) {
        if ((p == flags || p[-1] == ' ') &&
            (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
            return true;
        p += n;
    }
    return false;
}

static bool find_vma(const void *addr, struct vma *v)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    char line[512];
    bool in = false, found = false;

    assert_non_null(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        unsigned long s, e;
        int name = 0;
        if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &s, &e, &name) == 2 &&
            name > 0) {
            if (in)
                break; /* past ours without a VmFlags line */
            in = (uintptr_t)addr >= s && (uintptr_t)addr < e;
            if (in) {
                v->start = s;
                v->end = e;
                v->anon = line[name] == '\n' || line[name] == '\0';
            }
            continue;
        }
        if (in && strncmp(line, "VmFlags:", 8) == 0) {
            v->dontdump = has_flag(line + 8, "dd");
            v->locked = has_flag(line + 8, "lo");
            found = true;
            break;
        }
    }
    fclose(f);
    return found;
}

/* Whether this process may lock a page at all (RLIMIT_MEMLOCK): where it
 * may not, ak_secret_alloc leaves secrets unlocked by design. */
static bool can_mlock(void)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    void *m = mmap(NULL, page, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    bool ok;

    assert_true(m != MAP_FAILED);
    ok = mlock(m, page) == 0;
    munmap(m, page);
    return ok;
}

static void check_secret(const char *p, size_t size, bool lock)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t whole = size == 0 ? page : (size + page - 1) / page * page;
    struct vma v = {0};

    assert_non_null(p);
    assert_int_equal((uintptr_t)p % page, 0);
    assert_true(find_vma(p, &v));
    /* every page of it in one anonymous mapping of its own, not the heap */
    assert_true(v.anon);
    assert_true(v.start <= (uintptr_t)p);
    assert_true(v.end >= (uintptr_t)p + whole);
    assert_true(v.dontdump);
    if (lock)
        assert_true(v.locked);
}

static void test_alloc(void **state)
{
    static const size_t sizes[] = {0, 1, 16, 1025, 4096, 4097, 3 * 4096 + 7};
    bool lock = can_mlock();

    (void)state;
    if (!lock)
        fprintf(stderr, "# mlock not permitted here; lock flags not checked\n");
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        size_t size = sizes[i];
        char *p = ak_secret_alloc(size);

        check_secret(p, size, lock);
        for (size_t j = 0; j < size; j++)
            assert_int_equal(p[j], 0);
        memset(p, 0xa5, size); /* all of it is writable */
        ak_secret_free(p);
    }
    ak_secret_free(NULL);
    assert_null(ak_secret_alloc(SIZE_MAX));
    assert_null(ak_secret_alloc(SIZE_MAX - 4096));
}

/* munlock works on whole pages: a secret sharing a page with another must
 * not be unlocked (or have its dump exclusion dropped) when that one goes. */
static void test_free_leaves_others(void **state)
{
    bool lock = can_mlock();
    char *a, *b, *c;

    (void)state;
    a = ak_secret_alloc(32);
    b = ak_secret_alloc(32);
    c = ak_secret_alloc(5000);
    strcpy(b, "bind password");
    ak_secret_free(a);
    check_secret(b, 32, lock);
    check_secret(c, 5000, lock);
    ak_secret_free(c);
    check_secret(b, 32, lock);
    assert_string_equal(b, "bind password");
    ak_secret_free(b);
}

/* Not MADV_WIPEONFORK: a child of the host (sshd's privilege separation,
 * a forking daemon) reconnects with the parent's bind password, so it must
 * still read it; the dump exclusion is inherited, the lock is not. */
static void test_fork(void **state)
{
    char *p = ak_secret_alloc(64);
    pid_t pid;
    int status;

    (void)state;
    strcpy(p, "bind password");
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct vma v = {0};
        int bad =
            strcmp(p, "bind password") != 0 || !find_vma(p, &v) || !v.dontdump;
        _exit(bad);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    ak_secret_free(p);
}

/* ak_file_read's secret buffers are secret memory too. */
static void test_file_read(void **state)
{
    char path[] = "/tmp/ak-secure-XXXXXX";
    int fd = mkstemp(path);
    char *buf = NULL;
    size_t len = 0;

    (void)state;
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "pw\n", 3), 3);
    close(fd);
    assert_int_equal(ak_file_read(path, AK_FILE_SECRET, 1024, NULL, &buf, &len),
                     AK_OK);
    unlink(path);
    assert_int_equal(len, 3);
    check_secret(buf, 1026, can_mlock());
    assert_memory_equal(buf, "pw\n", 4);
    ak_file_free(buf, len, AK_FILE_SECRET);
}

/* Log lines of ak_file_read, for the test below. */
static char logged[512];
static void keep_line(void *ctx, int prio, const char *msg)
{
    (void)ctx;
    (void)prio;
    snprintf(logged, sizeof(logged), "%s", msg);
}

/* Anything but a regular file is refused without being opened: a FIFO
 * nobody writes to would block open() for good (issue 16: check-config
 * hung; PAM, SASL and the daemon share the code). alarm() turns a hang
 * into a failure. */
static void test_file_nonregular(void **state)
{
    char dir[] = "/tmp/ak-secure-XXXXXX", fifo[64], sub[64];
    const struct ak_log log = {.sink = keep_line};
    const struct {
        const char *path, *what;
    } t[] = {
        {fifo, "a FIFO (named pipe)"},
        {sub, "a directory"},
        {"/dev/null", "a character device"},
    };
    char *buf = NULL;
    size_t len = 0;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
    snprintf(sub, sizeof(sub), "%s/dir", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(mkdir(sub, 0700), 0);
    alarm(10);
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        char want[160];
        for (int k = 0; k < 2; k++) {
            logged[0] = '\0';
            assert_int_equal(ak_file_read(t[i].path,
                                          k ? AK_FILE_SECRET : AK_FILE_CONFIG,
                                          1024, &log, &buf, &len),
                             AK_ERR_CONFIG);
            snprintf(want, sizeof(want), "%s: is %s, not a regular file",
                     t[i].path, t[i].what);
            assert_string_equal(logged, want);
        }
    }
    alarm(0);
    assert_null(buf);
    unlink(fifo);
    rmdir(sub);
    rmdir(dir);
}

/* The file rules, as a table: the reader's uid, owner, type and mode. */
static void test_file_rule(void **state)
{
    static const struct {
        uid_t reader, owner;
        mode_t type, perm;
        enum ak_file_kind kind;
        enum ak_file_fault want;
    } t[] = {
        {0, 0, S_IFREG, 0644, AK_FILE_CONFIG, AK_FILE_FINE},
        {0, 0, S_IFREG, 0644, AK_FILE_SECRET, AK_FILE_OTHERS_READ},
        {0, 0, S_IFREG, 0640, AK_FILE_SECRET, AK_FILE_FINE},
        {0, 0, S_IFREG, 0664, AK_FILE_CONFIG, AK_FILE_WRITABLE},
        {0, 0, S_IFREG, 0646, AK_FILE_SECRET, AK_FILE_WRITABLE},
        {0, 0, S_IFDIR, 0755, AK_FILE_CONFIG, AK_FILE_NOT_REGULAR},
        {0, 0, S_IFLNK, 0777, AK_FILE_CONFIG, AK_FILE_NOT_REGULAR},
        {0, 1000, S_IFREG, 0600, AK_FILE_SECRET, AK_FILE_BAD_OWNER},
        {1000, 1000, S_IFREG, 0600, AK_FILE_SECRET, AK_FILE_FINE},
        {1000, 0, S_IFREG, 0640, AK_FILE_SECRET, AK_FILE_FINE},
        {1000, 1001, S_IFREG, 0600, AK_FILE_SECRET, AK_FILE_BAD_OWNER},
        {107, 107, S_IFREG, 0604, AK_FILE_SECRET, AK_FILE_OTHERS_READ},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        struct stat st = {.st_uid = t[i].owner,
                          .st_mode = t[i].type | t[i].perm};
        if (ak_file_rule(&st, t[i].kind, t[i].reader) != t[i].want)
            fail_msg("row %zu: got %d, want %d", i,
                     (int)ak_file_rule(&st, t[i].kind, t[i].reader),
                     (int)t[i].want);
    }
}

/* A file named on a command line: absolute as given, relative joined to
 * the working directory, nothing else rewritten. */
static void test_path_absolute(void **state)
{
    char *own = (char *)1, *cwd = getcwd(NULL, 0), want[4200];
    const char *out = "x";

    (void)state;
    assert_non_null(cwd);
    assert_int_equal(ak_path_absolute("/etc/apikey/a.conf", &own, &out), AK_OK);
    assert_null(own);
    assert_string_equal(out, "/etc/apikey/a.conf");
    assert_int_equal(ak_path_absolute("", &own, &out), AK_ERR_INVALID);
    assert_null(own);
    assert_null(out);
    assert_int_equal(ak_path_absolute(NULL, &own, &out), AK_ERR_INVALID);
    assert_int_equal(ak_path_absolute("../x/./a.conf", &own, &out), AK_OK);
    snprintf(want, sizeof(want), "%s/../x/./a.conf", cwd);
    assert_string_equal(out, want);
    assert_ptr_equal(out, own);
    free(own);
    assert_int_equal(chdir("/"), 0);
    assert_int_equal(ak_path_absolute("a.conf", &own, &out), AK_OK);
    assert_string_equal(out, "/a.conf");
    free(own);
    assert_int_equal(chdir(cwd), 0);
    free(cwd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alloc),
        cmocka_unit_test(test_free_leaves_others),
        cmocka_unit_test(test_fork),
        cmocka_unit_test(test_file_read),
        cmocka_unit_test(test_file_nonregular),
        cmocka_unit_test(test_file_rule),
        cmocka_unit_test(test_path_absolute),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
