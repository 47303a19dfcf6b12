/* benchutil: see benchutil.h. */
#ifndef _GNU_SOURCE /* the build defines it too */
#define _GNU_SOURCE
#endif
#include "benchutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

const char *bu_prog = "bench";

int64_t bu_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int bu_connect(int port, int timeout_s)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fprintf(stderr, "%s: socket: %s\n", bu_prog, strerror(errno));
        return -1;
    }
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        fprintf(stderr, "%s: connect to 127.0.0.1:%d: %s\n", bu_prog, port, strerror(errno));
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (timeout_s > 0) {
        struct timeval tv = {.tv_sec = timeout_s};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    return fd;
}

int bu_write_all(int fd, const void *p, size_t n)
{
    const char *s = p;
    while (n > 0) {
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            fprintf(stderr, "%s: send: %s\n", bu_prog, strerror(errno));
            return -1;
        }
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

void bu_close_reset(int fd)
{
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
}

long bu_rss_kb(int pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bu_median(double *v, int n)
{
    if (n <= 0)
        return 0;
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void bu_buf_reserve(bu_buf *b, size_t more)
{
    if (b->len + more <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        fprintf(stderr, "%s: out of memory\n", bu_prog);
        exit(1);
    }
    b->p = p;
    b->cap = cap;
}

void bu_buf_free(bu_buf *b)
{
    free(b->p);
    *b = (bu_buf){0};
}

static void put(bu_buf *b, const char *s, size_t n)
{
    bu_buf_reserve(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void put_arg(bu_buf *b, const char *s, size_t n)
{
    char hdr[32];
    int h = snprintf(hdr, sizeof hdr, "$%zu\r\n", n);
    put(b, hdr, (size_t)h);
    put(b, s, n);
    put(b, "\r\n", 2);
}

void bu_cmdv(bu_buf *b, int argc, const char *const *argv)
{
    char hdr[32];
    int h = snprintf(hdr, sizeof hdr, "*%d\r\n", argc);
    put(b, hdr, (size_t)h);
    for (int i = 0; i < argc; i++)
        put_arg(b, argv[i], strlen(argv[i]));
}

void bu_cmdf(bu_buf *b, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof line) {
        fprintf(stderr, "%s: command too long: %s\n", bu_prog, fmt);
        exit(1);
    }
    int argc = 1;
    for (int i = 0; i < n; i++)
        argc += line[i] == ' ';
    char hdr[32];
    int h = snprintf(hdr, sizeof hdr, "*%d\r\n", argc);
    put(b, hdr, (size_t)h);
    const char *s = line;
    for (;;) {
        const char *sp = strchr(s, ' ');
        size_t len = sp ? (size_t)(sp - s) : strlen(s);
        put_arg(b, s, len);
        if (!sp)
            break;
        s = sp + 1;
    }
}

int bu_conn_open(bu_conn *c, int port, int timeout_s)
{
    *c = (bu_conn){.fd = bu_connect(port, timeout_s)};
    if (c->fd < 0)
        return -1;
    c->cap = 1 << 16;
    c->buf = malloc(c->cap);
    if (!c->buf) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    return 0;
}

void bu_conn_close(bu_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    free(c->buf);
    *c = (bu_conn){.fd = -1};
}

/* Read more bytes into the buffer, making room first. */
static int fill(bu_conn *c)
{
    if (c->start == c->end)
        c->start = c->end = 0;
    if (c->end == c->cap) {
        if (c->start > 0) {
            memmove(c->buf, c->buf + c->start, c->end - c->start);
            c->end -= c->start;
            c->start = 0;
        } else {
            char *p = realloc(c->buf, c->cap * 2);
            if (!p) {
                fprintf(stderr, "%s: out of memory\n", bu_prog);
                return -1;
            }
            c->buf = p;
            c->cap *= 2;
        }
    }
    for (;;) {
        ssize_t r = recv(c->fd, c->buf + c->end, c->cap - c->end, 0);
        if (r > 0) {
            c->end += (size_t)r;
            return 0;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0)
            fprintf(stderr, "%s: the server closed the connection\n", bu_prog);
        else if (errno == EAGAIN || errno == EWOULDBLOCK)
            fprintf(stderr, "%s: no reply within the timeout\n", bu_prog);
        else
            fprintf(stderr, "%s: recv: %s\n", bu_prog, strerror(errno));
        return -1;
    }
}

/* The next CRLF-ended line: *line points into the buffer (valid until the
 * next read), *len excludes the CRLF. */
static int read_line(bu_conn *c, const char **line, size_t *len)
{
    size_t from = c->start;
    for (;;) {
        char *nl = memchr(c->buf + from, '\n', c->end - from);
        if (nl && nl > c->buf + c->start && nl[-1] == '\r') {
            *line = c->buf + c->start;
            *len = (size_t)(nl - 1 - (c->buf + c->start));
            c->start = (size_t)(nl + 1 - c->buf);
            return 0;
        }
        /* fill() may move the bytes: search again from the same offset */
        size_t seen = c->end - c->start;
        if (fill(c) < 0)
            return -1;
        from = c->start + (seen > 0 ? seen - 1 : 0);
    }
}

static int skip_bytes(bu_conn *c, size_t n)
{
    while (n > 0) {
        if (c->start == c->end && fill(c) < 0)
            return -1;
        size_t take = c->end - c->start < n ? c->end - c->start : n;
        c->start += take;
        n -= take;
    }
    return 0;
}

int bu_read_reply(bu_conn *c, bu_reply *out)
{
    bu_reply dummy;
    if (!out)
        out = &dummy;
    memset(out, 0, sizeof *out);
    /* Nested aggregates need no stack: all that matters is how many
     * elements remain to be read, whatever their depth. */
    long long todo = 1;
    int first = 1, failed = 0;
    while (todo > 0) {
        const char *line;
        size_t len;
        if (read_line(c, &line, &len) < 0)
            return -2;
        todo--;
        long long n = len > 1 ? strtoll(line + 1, NULL, 10) : 0;
        switch (line[0]) {
        case '*': /* array, RESP3 set and push */
        case '~':
        case '>':
            if (first)
                out->elements = n;
            if (n > 0)
                todo += n;
            break;
        case '%': /* map: keys and values */
            if (n > 0)
                todo += 2 * n;
            break;
        case '|': /* attribute: its pairs, then the reply it decorates */
            if (n > 0)
                todo += 2 * n;
            todo++;
            break;
        case '$': /* bulk, verbatim string, blob error */
        case '=':
        case '!':
            if (n < 0)
                break;
            out->bulks++;
            if (line[0] == '!')
                failed = 1;
            if (!out->has_bulk && (size_t)n < sizeof out->first_bulk) {
                while (c->end - c->start < (size_t)n + 2)
                    if (fill(c) < 0)
                        return -2;
                memcpy(out->first_bulk, c->buf + c->start, (size_t)n);
                out->first_bulk[n] = 0;
                out->has_bulk = 1;
            }
            if (line[0] == '!') {
                size_t have = c->end - c->start;
                have = have < (size_t)n ? have : (size_t)n;
                fprintf(stderr, "%s: error reply: %.*s\n", bu_prog, (int)(have < 200 ? have : 200),
                        c->buf + c->start);
            }
            if (skip_bytes(c, (size_t)n + 2) < 0)
                return -2;
            break;
        case ':':
            if (first)
                out->integer = n;
            break;
        case '-':
            fprintf(stderr, "%s: error reply: %.*s\n", bu_prog, (int)(len < 200 ? len : 200), line);
            failed = 1;
            break;
        default: /* status, null, double, boolean, big number: one line */
            break;
        }
        first = 0;
    }
    return failed ? -1 : 0;
}

int bu_read_replies(bu_conn *c, long n)
{
    int rc = 0;
    for (long i = 0; i < n; i++) {
        int r = bu_read_reply(c, NULL);
        if (r == -2)
            return -1; /* the stream is lost: nothing more to read */
        if (r < 0)
            rc = -1;
    }
    return rc;
}

int bu_roundtrip(bu_conn *c, bu_buf *b, long n)
{
    int rc = bu_write_all(c->fd, b->p, b->len);
    b->len = 0;
    if (rc < 0)
        return -1;
    return bu_read_replies(c, n);
}
