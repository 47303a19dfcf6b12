/* Raw-socket helpers for the integration tests: connect, write, and read
 * with a deadline (never a bare sleep). Header-only, so each test program
 * stays one file; every function is static inline to stay warning-free
 * where a program uses only some of them. */
#ifndef FR_TESTS_RAWSOCK_H
#define FR_TESTS_RAWSOCK_H

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

static inline int64_t rs_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A blocking TCP connection to 127.0.0.1:port with TCP_NODELAY (so each
 * write leaves as its own segment), or -1. */
static inline int rs_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static inline int rs_connect_unix(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Write everything; 0 on success, -1 on error. */
static inline int rs_write(int fd, const void *p, size_t n)
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

static inline int rs_write_str(int fd, const char *s)
{
    return rs_write(fd, s, strlen(s));
}

/* Wait up to ms for fd to be readable. 1: readable (data or EOF), 0: not. */
static inline int rs_wait_readable(int fd, int ms)
{
    struct pollfd p = {fd, POLLIN, 0};
    int r;
    do {
        r = poll(&p, 1, ms);
    } while (r < 0 && errno == EINTR);
    return r > 0;
}

/* Read until n bytes arrived, EOF, or the deadline. Returns the count read;
 * *eof (may be NULL) is set when the peer closed (FIN or RST). */
static inline size_t rs_read_n(int fd, char *buf, size_t n, int timeout_ms, int *eof)
{
    int64_t deadline = rs_now_ms() + timeout_ms;
    size_t got = 0;
    if (eof)
        *eof = 0;
    while (got < n) {
        int64_t left = deadline - rs_now_ms();
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

/* Read until the peer closes or the deadline passes; returns the count
 * read (at most cap) and sets *eof. */
static inline size_t rs_read_to_eof(int fd, char *buf, size_t cap, int timeout_ms, int *eof)
{
    int64_t deadline = rs_now_ms() + timeout_ms;
    size_t got = 0;
    char sink[4096];
    *eof = 0;
    for (;;) {
        int64_t left = deadline - rs_now_ms();
        if (left <= 0 || !rs_wait_readable(fd, (int)left))
            return got;
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

/* 1 if nothing (no byte, no EOF) arrives within ms. A negative check can
 * only be bounded by time; keep ms small. */
static inline int rs_quiet_for(int fd, int ms)
{
    return !rs_wait_readable(fd, ms);
}

/* Send a request and read exactly strlen(want) bytes; 1 if they match. */
static inline int rs_roundtrip(int fd, const char *req, const char *want)
{
    char buf[4096];
    size_t n = strlen(want);
    if (n > sizeof buf || rs_write_str(fd, req) < 0)
        return 0;
    size_t got = rs_read_n(fd, buf, n, 5000, NULL);
    return got == n && memcmp(buf, want, n) == 0;
}

#endif
