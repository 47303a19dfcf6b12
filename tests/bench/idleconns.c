/*
 * idleconns: what an idle client connection costs a server in resident
 * memory. For each server given, reads its VmRSS, opens N connections
 * (default 10,000) 100 at a time, each sending one PING and reading the
 * PONG (so the server has set the client up completely), reads VmRSS
 * again, waits W ms (default 3,000: Redis frees an idle client's query
 * buffer after 2 s), reads it a third time, and closes them all with a
 * reset (no TIME_WAIT left to exhaust the ephemeral ports of the next
 * run). Prints bytes per connection after the PINGs and after the wait,
 * and the cost ratio redis/fake (> 1: the fake holds less).
 *
 * The servers must run on this machine (VmRSS comes from /proc/PID) and
 * allow N clients (maxclients) and N descriptors; this program raises its
 * own descriptor limit up to the hard limit and says so when that is not
 * enough.
 *
 * usage: idleconns [-n N] [-w WAIT_MS] NAME:PORT:PID...
 *   e.g. idleconns redis:6379:1234 fake:6380:1240
 */
#ifndef _GNU_SOURCE /* the build defines it too */
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"

#define BATCH 100
#define MAXS 4

static const char PING[] = "*1\r\n$4\r\nPING\r\n";
static const char PONG[] = "+PONG\r\n";

/* Read exactly the PONG from fd. */
static int read_pong(int fd)
{
    char buf[sizeof PONG];
    size_t got = 0;
    while (got < sizeof PONG - 1) {
        ssize_t r = recv(fd, buf + got, sizeof PONG - 1 - got, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            fprintf(stderr, "idleconns: no PONG: %s\n", r == 0 ? "closed" : strerror(errno));
            return -1;
        }
        got += (size_t)r;
    }
    if (memcmp(buf, PONG, sizeof PONG - 1) != 0) {
        fprintf(stderr, "idleconns: unexpected reply %.*s\n", (int)got, buf);
        return -1;
    }
    return 0;
}

struct server {
    char name[32];
    int port, pid;
    long rss[3]; /* kB: before, after the PINGs, after the wait */
};

/* Open n connections to s, measure, close them; 0 or -1. */
static int measure(struct server *s, int n, int wait_ms)
{
    int *fds = malloc((size_t)n * sizeof *fds);
    if (!fds)
        return -1;
    int opened = 0, rc = 0;
    s->rss[0] = bu_rss_kb(s->pid);
    while (opened < n && rc == 0) {
        int batch = n - opened < BATCH ? n - opened : BATCH, i;
        for (i = 0; i < batch; i++) {
            /* a 10 s receive timeout: a server that stops answering ends
             * the run instead of hanging it */
            fds[opened + i] = bu_connect(s->port, 10);
            if (fds[opened + i] < 0 || bu_write_all(fds[opened + i], PING, sizeof PING - 1) < 0) {
                if (fds[opened + i] >= 0)
                    bu_close_reset(fds[opened + i]);
                rc = -1;
                break;
            }
        }
        for (int j = 0; j < i; j++)
            if (rc == 0 && read_pong(fds[opened + j]) < 0)
                rc = -1;
        opened += i;
    }
    if (rc == 0) {
        s->rss[1] = bu_rss_kb(s->pid);
        nanosleep(&(struct timespec){wait_ms / 1000, (long)(wait_ms % 1000) * 1000000}, NULL);
        s->rss[2] = bu_rss_kb(s->pid);
    } else {
        fprintf(stderr, "idleconns: %s: failed after %d connections\n", s->name, opened);
    }
    for (int i = 0; i < opened; i++)
        bu_close_reset(fds[i]);
    free(fds);
    return rc;
}

int main(int argc, char **argv)
{
    bu_prog = "idleconns";
    int n = 10000, wait_ms = 3000, opt;
    while ((opt = getopt(argc, argv, "n:w:")) != -1) {
        if (opt == 'n')
            n = atoi(optarg);
        else if (opt == 'w')
            wait_ms = atoi(optarg);
        else
            goto usage;
    }
    int ns = argc - optind;
    if (n < 1 || wait_ms < 0 || ns < 1 || ns > MAXS)
        goto usage;
    struct server sv[MAXS];
    for (int i = 0; i < ns; i++) {
        memset(&sv[i], 0, sizeof sv[i]);
        if (sscanf(argv[optind + i], "%31[^:]:%d:%d", sv[i].name, &sv[i].port, &sv[i].pid) != 3)
            goto usage;
        if (bu_rss_kb(sv[i].pid) < 0) {
            fprintf(stderr, "idleconns: no /proc/%d/status\n", sv[i].pid);
            return 1;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rlim_t need = (rlim_t)n + 64;
    if (rl.rlim_cur < need) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ? need : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
        if (rl.rlim_cur < need) {
            printf("idle connections: skipped, %d connections need %lu descriptors and the"
                   " hard limit is %lu\n",
                   n, (unsigned long)need, (unsigned long)rl.rlim_max);
            return 0;
        }
    }
    for (int i = 0; i < ns; i++)
        if (measure(&sv[i], n, wait_ms) < 0)
            return 1;
    printf("idle connections: %d, each after one PING; RSS growth in bytes per connection,"
           " right after the PINGs and after %d ms idle\n",
           n, wait_ms);
    printf("%-8s %12s %14s %14s\n", "server", "RSS before", "B/conn, PING", "B/conn, idle");
    double per[MAXS][2];
    for (int i = 0; i < ns; i++) {
        for (int k = 0; k < 2; k++)
            per[i][k] = (double)(sv[i].rss[k + 1] - sv[i].rss[0]) * 1024.0 / n;
        printf("%-8s %9ld kB %14.0f %14.0f\n", sv[i].name, sv[i].rss[0], per[i][0], per[i][1]);
    }
    if (ns == 2 && per[1][0] > 0 && per[1][1] > 0)
        printf("cost ratio %s/%s (> 1: %s holds less): %.2f after the PINGs, %.2f idle\n",
               sv[0].name, sv[1].name, sv[1].name, per[0][0] / per[1][0], per[0][1] / per[1][1]);
    return 0;
usage:
    fprintf(stderr, "usage: idleconns [-n N] [-w WAIT_MS] NAME:PORT:PID...\n");
    return 2;
}
