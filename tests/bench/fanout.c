/*
 * fanout: pub/sub throughput of a redis-server and a fake, in the same run.
 *
 *  1. fan-out: S subscribers (default 100) on one channel, one publisher
 *     pipelining N small PUBLISHes (default 20,000, 16-byte payloads, at
 *     most W in flight); the figure is messages delivered per second (N*S
 *     over the time until every subscriber has every message).
 *  2. patterns: one subscriber with 1 pattern, then with 10,000 patterns
 *     (one of them matching); the publisher's PUBLISH rate, as microseconds
 *     per PUBLISH: how the cost grows with the number of patterns.
 *
 * Each figure is the median of R rounds (default 3); the servers take
 * turns going first. Both sides are driven by the same single-threaded
 * poll() loop over raw sockets, so the client costs the same for both.
 *
 * usage: fanout [-r REDIS_PORT] [-f FAKE_PORT] [-s SUBS] [-n MSGS] [-R ROUNDS] [-S MASK]
 *   without -f an in-process fake (fr_server_start) is used;
 *   without -r only the fake is measured;
 *   -S: scenarios to run, 1 fan-out, 2 one pattern, 4 10k patterns (default 7).
 * Start redis-server afresh for each run: see the note in main().
 */
#ifndef _GNU_SOURCE /* the build defines it too */
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fakeredis/fakeredis.h"

#define PAYLOAD "0123456789abcdef"
#define CHANNEL "bench"
#define WINDOW 64

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "fanout: %s: %s\n", what, strerror(errno));
    exit(1);
}

static int connect_port(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die("socket");
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
        die("connect");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            die("send");
        p += w;
        n -= (size_t)w;
    }
}

/* Blocking read of exactly n bytes (discarded). */
static void read_exact(int fd, size_t n)
{
    char buf[65536];
    while (n > 0) {
        ssize_t r = recv(fd, buf, n < sizeof buf ? n : sizeof buf, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            die("recv (setup)");
        n -= (size_t)r;
    }
}

static size_t bulk_len(size_t n)
{
    char tmp[32];
    return (size_t)snprintf(tmp, sizeof tmp, "$%zu\r\n", n) + n + 2;
}

static size_t int_len(long long v)
{
    char tmp[32];
    return (size_t)snprintf(tmp, sizeof tmp, ":%lld\r\n", v);
}

/* The bytes one message frame takes on a subscriber's socket (RESP2). */
static size_t message_len(void)
{
    return 4 + bulk_len(7) + bulk_len(strlen(CHANNEL)) + bulk_len(strlen(PAYLOAD));
}

static size_t pmessage_len(const char *pat)
{
    return 4 + bulk_len(8) + bulk_len(strlen(pat)) + bulk_len(strlen(CHANNEL)) +
           bulk_len(strlen(PAYLOAD));
}

/* Pipeline n PUBLISH commands from pub (at most WINDOW unanswered) while
 * draining the subscribers until each got want bytes. Returns ns taken. */
static int64_t drive(int pub, int *subs, int nsubs, long n, size_t want)
{
    char cmd[128];
    int clen = snprintf(cmd, sizeof cmd, "*3\r\n$7\r\nPUBLISH\r\n$%zu\r\n%s\r\n$%zu\r\n%s\r\n",
                        strlen(CHANNEL), CHANNEL, strlen(PAYLOAD), PAYLOAD);
    size_t *got = calloc((size_t)nsubs, sizeof *got);
    struct pollfd *pf = calloc((size_t)nsubs + 1, sizeof *pf);
    if (!got || !pf)
        die("calloc");
    long sent = 0, answered = 0;
    int done_subs = 0;
    char buf[1 << 16];
    int64_t t0 = now_ns();
    while (answered < n || done_subs < nsubs) {
        /* keep the window full: a batch of writes in one send */
        if (sent < n && sent - answered < WINDOW) {
            char batch[WINDOW * 128];
            size_t bl = 0;
            while (sent < n && sent - answered < WINDOW) {
                memcpy(batch + bl, cmd, (size_t)clen);
                bl += (size_t)clen;
                sent++;
            }
            write_all(pub, batch, bl);
        }
        pf[0] = (struct pollfd){pub, POLLIN, 0};
        for (int i = 0; i < nsubs; i++)
            pf[i + 1] = (struct pollfd){got[i] < want ? subs[i] : -1, POLLIN, 0};
        if (poll(pf, (nfds_t)nsubs + 1, 10000) <= 0)
            die("poll (stalled)");
        if (pf[0].revents) {
            ssize_t r = recv(pub, buf, sizeof buf, 0);
            if (r <= 0)
                die("recv (publisher)");
            for (ssize_t i = 0; i < r; i++)
                answered += buf[i] == '\n';
        }
        for (int i = 0; i < nsubs; i++) {
            if (!pf[i + 1].revents)
                continue;
            ssize_t r = recv(subs[i], buf, sizeof buf, 0);
            if (r <= 0)
                die("recv (subscriber)");
            got[i] += (size_t)r;
            if (got[i] >= want)
                done_subs++;
        }
    }
    int64_t dt = now_ns() - t0;
    free(got);
    free(pf);
    return dt;
}

/* Scenario 1: messages delivered per second. */
static double fanout_round(int port, int nsubs, long n)
{
    int *subs = malloc((size_t)nsubs * sizeof *subs);
    if (!subs)
        die("malloc");
    char conf[128];
    size_t clen =
        (size_t)snprintf(conf, sizeof conf, "*3\r\n$9\r\nsubscribe\r\n$%zu\r\n%s\r\n:1\r\n",
                         strlen(CHANNEL), CHANNEL);
    for (int i = 0; i < nsubs; i++) {
        subs[i] = connect_port(port);
        write_all(subs[i], "SUBSCRIBE " CHANNEL "\r\n", strlen("SUBSCRIBE " CHANNEL "\r\n"));
    }
    for (int i = 0; i < nsubs; i++)
        read_exact(subs[i], clen);
    int pub = connect_port(port);
    int64_t dt = drive(pub, subs, nsubs, n, (size_t)n * message_len());
    for (int i = 0; i < nsubs; i++)
        close(subs[i]);
    close(pub);
    free(subs);
    return (double)n * nsubs / ((double)dt / 1e9);
}

/* Scenario 2: microseconds per PUBLISH with npat patterns on one
 * subscriber, exactly one of which ("ben*") matches. */
static double patterns_round(int port, int npat, long n)
{
    int sub = connect_port(port);
    char *cmd = malloc((size_t)npat * 40 + 64);
    if (!cmd)
        die("malloc");
    size_t want = 0;
    int sent = 0;
    while (sent < npat) {
        int batch = npat - sent < 1000 ? npat - sent : 1000;
        size_t l = (size_t)sprintf(cmd, "*%d\r\n$10\r\nPSUBSCRIBE\r\n", batch + 1);
        for (int i = 0; i < batch; i++, sent++) {
            char pat[32];
            if (sent == 0)
                snprintf(pat, sizeof pat, "ben*");
            else
                snprintf(pat, sizeof pat, "other:%d:*", sent);
            l += (size_t)sprintf(cmd + l, "$%zu\r\n%s\r\n", strlen(pat), pat);
            want += 4 + bulk_len(10) + bulk_len(strlen(pat)) + int_len(sent + 1);
        }
        write_all(sub, cmd, l);
    }
    read_exact(sub, want);
    free(cmd);
    int pub = connect_port(port);
    int64_t dt = drive(pub, &sub, 1, n, (size_t)n * pmessage_len("ben*"));
    close(pub);
    close(sub);
    return (double)dt / 1e3 / (double)n;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

enum { MAXR = 15 };

int main(int argc, char **argv)
{
    int redis_port = 0, fake_port = 0, nsubs = 100, rounds = 3, mask = 7;
    long n = 20000;
    int opt;
    while ((opt = getopt(argc, argv, "r:f:s:n:R:S:")) != -1) {
        switch (opt) {
        case 'r':
            redis_port = atoi(optarg);
            break;
        case 'f':
            fake_port = atoi(optarg);
            break;
        case 's':
            nsubs = atoi(optarg);
            break;
        case 'n':
            n = atol(optarg);
            break;
        case 'R':
            rounds = atoi(optarg);
            break;
        case 'S':
            mask = atoi(optarg);
            break;
        default:
            fprintf(stderr, "usage: fanout [-r REDIS_PORT] [-f FAKE_PORT] [-s SUBS] [-n MSGS] "
                            "[-R ROUNDS] [-S MASK]\n");
            return 2;
        }
    }
    if (rounds < 1 || rounds > MAXR || nsubs < 1 || n < 1) {
        fprintf(stderr, "fanout: bad arguments\n");
        return 2;
    }
    fr_server *srv = NULL;
    if (!fake_port) {
        int rc = fr_server_start(NULL, &srv);
        if (rc != FR_OK) {
            fprintf(stderr, "fanout: fr_server_start: %s\n", fr_strerror(rc));
            return 1;
        }
        fake_port = fr_server_port(srv);
    }
    int ports[2] = {redis_port, fake_port};
    const char *names[2] = {"redis", "fake"};
    double fan[2][MAXR] = {{0}}, pat1[2][MAXR] = {{0}}, pat10k[2][MAXR] = {{0}};
    /* 10,000 patterns make a PUBLISH hundreds of times dearer: fewer */
    long npat_msgs = n / 20 > 0 ? n / 20 : 1;
    /* Scenario by scenario, not round by round: Redis 7.0 keeps the
     * pattern table at its largest size once 10,000 patterns came and went,
     * and walks its empty buckets on every later PUBLISH (about 18 us
     * each), which would taint every measurement after the first 10k one. */
    for (int sc = 0; sc < 3; sc++) {
        if (!(mask & (1 << sc)))
            continue;
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < 2; k++) {
                int s = (r % 2) ? 1 - k : k; /* alternate who goes first */
                if (!ports[s])
                    continue;
                if (sc == 0)
                    fan[s][r] = fanout_round(ports[s], nsubs, n);
                else if (sc == 1)
                    pat1[s][r] = patterns_round(ports[s], 1, n);
                else
                    pat10k[s][r] = patterns_round(ports[s], 10000, npat_msgs);
            }
        }
        fprintf(stderr, "fanout: scenario %d/3 done\n", sc + 1);
    }
    printf("pub/sub fan-out: 1 publisher, %d subscribers, %ld messages of %zu bytes, "
           "median of %d rounds\n",
           nsubs, n, strlen(PAYLOAD), rounds);
    double m[2][3] = {{0}};
    for (int s = 0; s < 2; s++) {
        if (!ports[s])
            continue;
        m[s][0] = median(fan[s], rounds);
        m[s][1] = median(pat1[s], rounds);
        m[s][2] = median(pat10k[s], rounds);
    }
    printf("%-8s %16s %18s %20s %10s\n", "server", "delivered msg/s", "PUBLISH us, 1 pat",
           "PUBLISH us, 10k pat", "10k/1");
    for (int s = 0; s < 2; s++)
        if (ports[s])
            printf("%-8s %16.0f %18.2f %20.2f %10.1f\n", names[s], m[s][0], m[s][1], m[s][2],
                   m[s][2] / m[s][1]);
    if (ports[0]) {
        /* On a busy machine the ratio of two back-to-back runs is steadier
         * than the ratio of the medians: show both. */
        double ratio[MAXR];
        for (int r = 0; r < rounds; r++)
            ratio[r] = fan[0][r] > 0 ? fan[1][r] / fan[0][r] : 0;
        printf("fake/redis delivered msg/s: %.2f (median of per-round ratios %.2f); "
               "PUBLISH cost with 10k patterns, fake/redis: %.2f\n",
               m[1][0] / m[0][0], median(ratio, rounds), m[1][2] / m[0][2]);
    }
    fr_server_stop(srv);
    return 0;
}
