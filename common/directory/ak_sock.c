/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_sock.c - a liblber provider layer that never raises SIGPIPE */
#include "ak_sock.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * Sockbuf_IO is liblber's public extension point (lber.h). This provider
 * behaves like ber_sockbuf_io_tcp / ber_sockbuf_io_fd (it is the bottom
 * layer: StartTLS and ldaps put the TLS layer above it), except that it
 * writes with send(MSG_NOSIGNAL).
 */
static ber_socket_t fd_of(Sockbuf_IO_Desc *sbiod)
{
    ber_socket_t fd = -1;
    ber_sockbuf_ctrl(sbiod->sbiod_sb, LBER_SB_OPT_GET_FD, &fd);
    return fd;
}

static int nosig_setup(Sockbuf_IO_Desc *sbiod, void *arg)
{
    sbiod->sbiod_pvt = arg;
    return 0;
}

static int nosig_remove(Sockbuf_IO_Desc *sbiod)
{
    (void)sbiod;
    return 0;
}

static int nosig_ctrl(Sockbuf_IO_Desc *sbiod, int opt, void *arg)
{
    /* the end of the chain answers no option, as liblber's providers */
    (void)sbiod;
    (void)opt;
    (void)arg;
    return 0;
}

static ber_slen_t nosig_read(Sockbuf_IO_Desc *sbiod, void *buf, ber_len_t len)
{
    return read(fd_of(sbiod), buf, len);
}

static ber_slen_t nosig_write(Sockbuf_IO_Desc *sbiod, void *buf, ber_len_t len)
{
    ber_socket_t fd = fd_of(sbiod);
    ber_slen_t n = send(fd, buf, len, MSG_NOSIGNAL);

    /* not a socket (a child's /dev/null stand-in after fork): plain write */
    if (n < 0 && errno == ENOTSOCK)
        n = write(fd, buf, len);
    return n;
}

static int nosig_close(Sockbuf_IO_Desc *sbiod)
{
    ber_socket_t fd = fd_of(sbiod);
    if (fd != -1)
        close(fd);
    return 0;
}

static Sockbuf_IO nosig_io = {
    .sbi_setup = nosig_setup,
    .sbi_remove = nosig_remove,
    .sbi_ctrl = nosig_ctrl,
    .sbi_read = nosig_read,
    .sbi_write = nosig_write,
    .sbi_close = nosig_close,
};

bool ak_sock_harden(LDAP *ld)
{
    ber_len_t max = AK_MAX_INCOMING;
    Sockbuf_IO *old = NULL;
    Sockbuf *sb = NULL;
    ber_socket_t fd = -1;

    if (ldap_get_option(ld, LDAP_OPT_SOCKBUF, &sb) != LDAP_OPT_SUCCESS ||
        sb == NULL)
        return false;
    ber_sockbuf_ctrl(sb, LBER_SB_OPT_SET_MAX_INCOMING, &max);
    if (ber_sockbuf_ctrl(sb, LBER_SB_OPT_GET_FD, &fd) > 0 && fd >= 0) {
        int fl = fcntl(fd, F_GETFD);
        if (fl >= 0 && !(fl & FD_CLOEXEC)) /* libldap 2.5 sets it itself */
            fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
    }
    if (ber_sockbuf_ctrl(sb, LBER_SB_OPT_HAS_IO, &ber_sockbuf_io_tcp) > 0)
        old = &ber_sockbuf_io_tcp;
    else if (ber_sockbuf_ctrl(sb, LBER_SB_OPT_HAS_IO, &ber_sockbuf_io_fd) > 0)
        old = &ber_sockbuf_io_fd; /* ldapi:// */
    else
        return false;
    if (ber_sockbuf_remove_io(sb, old, LBER_SBIOD_LEVEL_PROVIDER) != 0)
        return false;
    if (ber_sockbuf_add_io(sb, &nosig_io, LBER_SBIOD_LEVEL_PROVIDER, NULL) !=
        0) {
        ber_sockbuf_add_io(sb, old, LBER_SBIOD_LEVEL_PROVIDER, NULL);
        return false;
    }
    /*
     * liblber reads each message's header and body separately: a search
     * answer of three messages costs six read(2) calls. Its read-ahead
     * layer fetches what is there in one read and tells libldap (through
     * LBER_SB_OPT_DATA_READY) that buffered messages need no poll. It sits
     * below any TLS layer, which StartTLS or ldaps add at a higher level.
     */
    ber_sockbuf_add_io(sb, &ber_sockbuf_io_readahead,
                       LBER_SBIOD_LEVEL_PROVIDER + 1, NULL);
    return true;
}
