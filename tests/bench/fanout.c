/*
 * fanout: pub/sub throughput of a redis-server and a fake, in the same run.
 *
 *  (a) many publishers: B subscribers (default 10) on one channel, then
 *      redis-benchmark with C connections (default 50) and no pipelining
 *      sending N PUBLISHes (default 50,000); the figure is messages
 *      delivered per second, N*B over the time from the first message a
 *      subscriber reads to the last (so redis-benchmark's own start is not
 *      counted).
 *  (b) fan-out: S subscribers (default 100) on one channel, one publisher
 *      pipelining M small PUBLISHes (default 20,000, at most 64 in flight);
 *      messages delivered per second (M*S over the time until every
 *      subscriber has every message).
 *  (c) patterns: one subscriber with 1 pattern, then with P patterns
 *      (default 10,000; one of them matching); microseconds per PUBLISH
 *      seen by a pipelining publisher: how the cost grows with the number
 *      of patterns.
 *
 * Payloads are 16 bytes. Each figure is the median of R rounds (default
 * 3); the servers take turns going first, and the ratio printed is the
 * median of the per-round ratios, oriented so that > 1 means the fake is
 * better. The subscribers are plain sockets counting bytes (every frame's
 * size is known in advance), all driven by one poll() loop: the client
 * costs the same for both servers.
 *
 * usage: fanout [-r REDIS_PORT] [-f FAKE_PORT] [-R ROUNDS] [-S MASK]
 *               [-c PUBLISHERS] [-b SUBS_A] [-N MSGS_A]
 *               [-s SUBS_B] [-n MSGS_B] [-P PATTERNS] [-x REDIS_BENCHMARK]
 *   without -f an in-process fake (fr_server_start) is used;
 *   without -r only the fake is measured;
 *   -S: shapes to run, 1 (a), 2 (b), 4 (c) with one pattern, 8 (c) with
 *       P patterns (default 15);
 *   -x: the redis-benchmark program (a), default from PATH.
 * Start redis-server afresh for each run: see the note in main().
 */
#ifndef _GNU_SOURCE /* the build defines it too */
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "benchutil.h"
#include "fakeredis/fakeredis.h"

#define PAYLOAD "0123456789abcdef"
#define CHANNEL "bench"
#define WINDOW 64
/* No byte for this long means a message was lost: give up. */
#define STALL_MS 20000

extern char **environ;

/* redis-benchmark while it runs, so that giving up does not leave it. */
static pid_t child = -1;

static void die(const char *what)
{
    fprintf(stderr, "fanout: %s%s%s\n", what, errno ? ": " : "", errno ? strerror(errno) : "");
    if (child > 0) {
        kill(child, SIGTERM);
        waitpid(child, NULL, 0);
    }
    exit(1);
}

static int connect_port(int port)
{
    int fd = bu_connect(port, 0);
    if (fd < 0)
        exit(1);
    return fd;
}

static void write_all(int fd, const char *p, size_t n)
{
    if (bu_write_all(fd, p, n) < 0)
        die("write");
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

/* nsubs connections SUBSCRIBEd to CHANNEL, confirmations read. */
static int *subscribe_all(int port, int nsubs)
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
    return subs;
}

static void close_all(int *fds, int n)
{
    for (int i = 0; i < n; i++)
        close(fds[i]);
    free(fds);
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
    int64_t t0 = bu_now_ns();
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
        if (poll(pf, (nfds_t)nsubs + 1, STALL_MS) <= 0)
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
    int64_t dt = bu_now_ns() - t0;
    free(got);
    free(pf);
    return dt;
}

/* (a): messages delivered per second with redis-benchmark publishing. */
static double publishers_round(int port, const char *rb, int nclients, int nsubs, long n)
{
    int *subs = subscribe_all(port, nsubs);
    char sport[16], sclients[16], sn[24];
    snprintf(sport, sizeof sport, "%d", port);
    snprintf(sclients, sizeof sclients, "%d", nclients);
    snprintf(sn, sizeof sn, "%ld", n);
    char *argv[] = {(char *)rb, "-h", "127.0.0.1", "-p", sport,     "-c",    sclients, "-n",
                    sn,         "-P", "1",         "-q", "PUBLISH", CHANNEL, PAYLOAD,  NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    int rc = posix_spawnp(&child, rb, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        errno = rc;
        die(rb);
    }
    size_t want = (size_t)n * message_len();
    size_t *got = calloc((size_t)nsubs, sizeof *got);
    struct pollfd *pf = calloc((size_t)nsubs, sizeof *pf);
    if (!got || !pf)
        die("calloc");
    char buf[1 << 16];
    int done_subs = 0;
    int64_t first = 0;
    while (done_subs < nsubs) {
        for (int i = 0; i < nsubs; i++)
            pf[i] = (struct pollfd){got[i] < want ? subs[i] : -1, POLLIN, 0};
        if (poll(pf, (nfds_t)nsubs, STALL_MS) <= 0)
            die("poll (stalled: is redis-benchmark running?)");
        for (int i = 0; i < nsubs; i++) {
            if (!pf[i].revents)
                continue;
            ssize_t r = recv(subs[i], buf, sizeof buf, 0);
            if (r <= 0)
                die("recv (subscriber)");
            if (!first)
                first = bu_now_ns();
            got[i] += (size_t)r;
            if (got[i] >= want)
                done_subs++;
        }
    }
    int64_t dt = bu_now_ns() - first;
    int st;
    if (waitpid(child, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        child = -1;
        errno = 0;
        die("redis-benchmark failed");
    }
    child = -1;
    free(got);
    free(pf);
    close_all(subs, nsubs);
    return (double)n * nsubs / ((double)dt / 1e9);
}

/* (b): messages delivered per second, one pipelining publisher. */
static double fanout_round(int port, int nsubs, long n)
{
    int *subs = subscribe_all(port, nsubs);
    int pub = connect_port(port);
    int64_t dt = drive(pub, subs, nsubs, n, (size_t)n * message_len());
    close(pub);
    close_all(subs, nsubs);
    return (double)n * nsubs / ((double)dt / 1e9);
}

/* (c): microseconds per PUBLISH with npat patterns on one subscriber,
 * exactly one of which ("ben*") matches. */
static double patterns_round(int port, int npat, long n)
{
    int sub = connect_port(port);
    char *cmd = malloc((size_t)1000 * 40 + 64);
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

enum { MAXR = 50, NSHAPES = 4 };

int main(int argc, char **argv)
{
    bu_prog = "fanout";
    int redis_port = 0, fake_port = 0, rounds = 3, mask = 15;
    int pubs_a = 50, subs_a = 10, subs_b = 100, npat = 10000;
    long n_a = 50000, n_b = 20000;
    const char *rb = "redis-benchmark";
    int opt;
    while ((opt = getopt(argc, argv, "r:f:R:S:c:b:N:s:n:P:x:")) != -1) {
        switch (opt) {
        case 'r':
            redis_port = atoi(optarg);
            break;
        case 'f':
            fake_port = atoi(optarg);
            break;
        case 'R':
            rounds = atoi(optarg);
            break;
        case 'S':
            mask = atoi(optarg);
            break;
        case 'c':
            pubs_a = atoi(optarg);
            break;
        case 'b':
            subs_a = atoi(optarg);
            break;
        case 'N':
            n_a = atol(optarg);
            break;
        case 's':
            subs_b = atoi(optarg);
            break;
        case 'n':
            n_b = atol(optarg);
            break;
        case 'P':
            npat = atoi(optarg);
            break;
        case 'x':
            rb = optarg;
            break;
        default:
            fprintf(stderr, "usage: fanout [-r REDIS_PORT] [-f FAKE_PORT] [-R ROUNDS] [-S MASK]\n"
                            "              [-c PUBLISHERS] [-b SUBS_A] [-N MSGS_A]\n"
                            "              [-s SUBS_B] [-n MSGS_B] [-P PATTERNS]"
                            " [-x REDIS_BENCHMARK]\n");
            return 2;
        }
    }
    if (rounds < 1 || rounds > MAXR || subs_a < 1 || subs_b < 1 || pubs_a < 1 || n_a < 1 ||
        n_b < 1 || npat < 1) {
        fprintf(stderr, "fanout: bad arguments\n");
        return 2;
    }
    /* SIGPIPE would end the program silently if a server closes on us */
    signal(SIGPIPE, SIG_IGN);
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
    /* v[shape][server][round] */
    static double v[NSHAPES][2][MAXR];
    /* P patterns make a PUBLISH hundreds of times dearer: fewer */
    long npat_msgs = n_b / 20 > 0 ? n_b / 20 : 1;
    /* Shape by shape, not round by round: Redis 7.0 keeps the pattern
     * table at its largest size once 10,000 patterns came and went, and
     * walks its empty buckets on every later PUBLISH (about 18 us each),
     * which would taint every measurement after the first 10k one. */
    for (int sc = 0; sc < NSHAPES; sc++) {
        if (!(mask & (1 << sc)))
            continue;
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < 2; k++) {
                int s = (r % 2) ? 1 - k : k; /* alternate who goes first */
                if (!ports[s])
                    continue;
                if (sc == 0)
                    v[sc][s][r] = publishers_round(ports[s], rb, pubs_a, subs_a, n_a);
                else if (sc == 1)
                    v[sc][s][r] = fanout_round(ports[s], subs_b, n_b);
                else if (sc == 2)
                    v[sc][s][r] = patterns_round(ports[s], 1, n_b);
                else
                    v[sc][s][r] = patterns_round(ports[s], npat, npat_msgs);
            }
        }
        fprintf(stderr, "fanout: shape %d/%d done\n", sc + 1, NSHAPES);
    }
    char label[NSHAPES][96];
    snprintf(label[0], sizeof label[0], "(a) %d publishers -P 1, %d subscribers: msg/s", pubs_a,
             subs_a);
    snprintf(label[1], sizeof label[1], "(b) 1 publisher -P %d, %d subscribers: msg/s", WINDOW,
             subs_b);
    snprintf(label[2], sizeof label[2], "(c) PUBLISH us, 1 pattern");
    snprintf(label[3], sizeof label[3], "(c) PUBLISH us, %d patterns", npat);
    printf("pub/sub, %zu-byte messages, median of %d rounds; ratio: median of per-round ratios,"
           " > 1: the fake is better (fake/redis for msg/s, redis/fake for us)\n",
           strlen(PAYLOAD), rounds);
    printf("%-48s %12s %12s %8s\n", "shape", "redis", "fake", "ratio");
    double med[NSHAPES][2] = {{0}};
    for (int sc = 0; sc < NSHAPES; sc++) {
        if (!(mask & (1 << sc)))
            continue;
        double ratio[MAXR], copy[MAXR];
        int cost = sc >= 2;
        for (int r = 0; r < rounds; r++) {
            double f = v[sc][1][r], rd = v[sc][0][r];
            ratio[r] = cost ? (f > 0 ? rd / f : 0) : (rd > 0 ? f / rd : 0);
        }
        for (int s = 0; s < 2; s++) {
            memcpy(copy, v[sc][s], sizeof copy);
            med[sc][s] = bu_median(copy, rounds);
        }
        int prec = cost ? 2 : 0;
        printf("%-48s", label[sc]);
        for (int s = 0; s < 2; s++) {
            if (ports[s])
                printf(" %12.*f", prec, med[sc][s]);
            else
                printf(" %12s", "-");
        }
        if (ports[0])
            printf(" %8.2f\n", bu_median(ratio, rounds));
        else
            printf(" %8s\n", "-");
    }
    if ((mask & 12) == 12) {
        printf("PUBLISH cost, %d patterns / 1 pattern:", npat);
        const char *sep = " ";
        for (int s = 0; s < 2; s++) {
            if (ports[s] && med[2][s] > 0) {
                printf("%s%s %.1fx", sep, s ? "fake" : "redis", med[3][s] / med[2][s]);
                sep = ", ";
            }
        }
        printf("\n");
    }
    fr_server_stop(srv);
    return 0;
}
