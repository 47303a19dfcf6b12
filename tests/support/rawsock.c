/* See rawsock.h. */
#include "support/rawsock.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "support/testutil.h"

/* connect() fd to sa, or close it and return -1 with connect's errno (the
 * fault tests tell a refusal from other failures). */
static int connect_or_close(int fd, const struct sockaddr *sa, socklen_t len)
{
    if (connect(fd, sa, len) == 0)
        return fd;
    int e = errno;
    close(fd);
    errno = e;
    return -1;
}

int rs_connect_rcvbuf(int port, int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (rcvbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect_or_close(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
        return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

int rs_connect(int port)
{
    return rs_connect_rcvbuf(port, 0);
}

int rs_must_connect(int port)
{
    int fd = rs_connect(port);
    if (fd < 0)
        fail_msg("connect to port %d: %s", port, strerror(errno));
    return fd;
}

int rs_connect_srv(const fr_server *srv)
{
    return rs_must_connect(fr_server_port(srv));
}

int rs_connect_unix(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    return connect_or_close(fd, (struct sockaddr *)&sa, sizeof sa);
}

int rs_write(int fd, const void *p, size_t n)
{
    const char *s = p;
    while (n > 0) {
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

int rs_write_str(int fd, const char *s)
{
    return rs_write(fd, s, strlen(s));
}

void rs_send(int fd, const char *s)
{
    if (rs_write_str(fd, s) < 0)
        fail_msg("send '%s': %s", s, strerror(errno));
}

int rs_wait_readable(int fd, int ms)
{
    struct pollfd p = {fd, POLLIN, 0};
    int r;
    do {
        r = poll(&p, 1, ms);
    } while (r < 0 && errno == EINTR);
    return r > 0;
}

size_t rs_read_n(int fd, char *buf, size_t n, int timeout_ms, int *eof)
{
    long long deadline = tu_mono_ms() + timeout_ms;
    size_t got = 0;
    if (eof)
        *eof = 0;
    while (got < n) {
        long long left = deadline - tu_mono_ms();
        if (left <= 0 || !rs_wait_readable(fd, (int)left))
            break;
        ssize_t r = recv(fd, buf + got, n - got, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (eof)
                *eof = 1;
            break;
        }
        got += (size_t)r;
    }
    return got;
}

size_t rs_read_to_eof(int fd, char *buf, size_t cap, int timeout_ms, int *eof)
{
    long long deadline = tu_mono_ms() + timeout_ms;
    size_t got = 0;
    char sink[4096];
    *eof = 0;
    for (;;) {
        long long left = deadline - tu_mono_ms();
        if (left <= 0 || !rs_wait_readable(fd, (int)left))
            return got < cap ? got : cap;
        char *dst = got < cap ? buf + got : sink;
        size_t room = got < cap ? cap - got : sizeof sink;
        ssize_t r = recv(fd, dst, room, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            *eof = 1;
            return got < cap ? got : cap;
        }
        got += (size_t)r;
    }
}

int rs_quiet_for(int fd, int ms)
{
    return !rs_wait_readable(fd, ms);
}

int rs_roundtrip(int fd, const char *req, const char *want)
{
    char buf[4096];
    size_t n = strlen(want);
    if (n > sizeof buf || rs_write_str(fd, req) < 0)
        return 0;
    size_t got = rs_read_n(fd, buf, n, RS_WAIT_MS, NULL);
    return got == n && memcmp(buf, want, n) == 0;
}

void rs_expect(int fd, const char *want)
{
    char buf[8192];
    size_t n = strlen(want);
    assert_true(n <= sizeof buf);
    size_t got = rs_read_n(fd, buf, n, RS_WAIT_MS, NULL);
    if (got != n || memcmp(buf, want, n) != 0)
        fail_msg("expected '%s', got %zu bytes '%.*s'", want, got, (int)got, buf);
}
