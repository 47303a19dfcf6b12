/*
 * xgroup: consumer-group throughput, redis-server against the fake. A
 * stream of N entries (IDs 1-1 ... N-1, one field of 16 bytes) is read by
 * one consumer of a group, 10 entries per XREADGROUP, each batch
 * acknowledged with one XACK of its 10 IDs, P batches in flight (the
 * reads on one connection are served in order, so batch k holds entries
 * 10k+1 .. 10k+10 and the client knows the IDs to acknowledge without
 * reading them). Prints entries read and acknowledged per second for each
 * server, and the ratio fake/redis (> 1: the fake is faster); with rounds,
 * medians, the ratio being the median of the per-round ratios. The stream
 * is loaded before the clock starts and checked after: nothing may be
 * left pending.
 *
 * usage: xgroup -r REDIS_PORT -f FAKE_PORT [-R ROUNDS] [-n ENTRIES] [-P DEPTH]
 */
#ifndef _GNU_SOURCE /* the build defines it too */
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benchutil.h"

#define KEY "fr:bench:xgroup"
#define BATCH 10
#define MAXR 50
#define TIMEOUT_S 60

static int load(bu_conn *c, long n)
{
    bu_buf b = {0};
    bu_cmdf(&b, "DEL %s", KEY);
    if (bu_roundtrip(c, &b, 1) < 0)
        return -1;
    for (long i = 1; i <= n;) {
        long k = 0;
        for (; k < 1000 && i <= n; k++, i++)
            bu_cmdf(&b, "XADD %s %ld-1 payload %016ld", KEY, i, i);
        if (bu_roundtrip(c, &b, k) < 0)
            return -1;
    }
    bu_cmdf(&b, "XGROUP CREATE %s g 0", KEY);
    int rc = bu_roundtrip(c, &b, 1);
    bu_buf_free(&b);
    return rc;
}

/* Read and acknowledge every entry; entries per second, or -1. */
static double consume(bu_conn *c, long n, int depth)
{
    long batches = (n + BATCH - 1) / BATCH, sent = 0, done = 0;
    bu_buf b = {0};
    int64_t t0 = bu_now_ns();
    while (done < batches) {
        while (sent < batches && sent - done < depth) {
            bu_cmdf(&b, "XREADGROUP GROUP g c COUNT %d STREAMS %s >", BATCH, KEY);
            char ack[64 * BATCH + 64];
            int len = snprintf(ack, sizeof ack, "XACK %s g", KEY);
            for (long i = sent * BATCH + 1; i <= (sent + 1) * BATCH && i <= n; i++)
                len += snprintf(ack + len, sizeof ack - (size_t)len, " %ld-1", i);
            bu_cmdf(&b, "%s", ack);
            sent++;
        }
        if (bu_write_all(c->fd, b.p, b.len) < 0)
            return -1;
        b.len = 0;
        /* one batch's two replies, then top up the pipeline again */
        if (bu_read_replies(c, 2) < 0)
            return -1;
        done++;
    }
    double s = (double)(bu_now_ns() - t0) / 1e9;
    bu_buf_free(&b);
    /* nothing may be left pending */
    bu_cmdf(&b, "XPENDING %s g - + 1", KEY);
    if (bu_write_all(c->fd, b.p, b.len) < 0)
        return -1;
    bu_reply r;
    if (bu_read_reply(c, &r) < 0)
        return -1;
    bu_buf_free(&b);
    if (r.elements != 0) {
        fprintf(stderr, "%s: entries left pending\n", bu_prog);
        return -1;
    }
    return (double)n / s;
}

static double run_one(int port, long n, int depth)
{
    bu_conn c;
    if (bu_conn_open(&c, port, TIMEOUT_S) < 0)
        return -1;
    double rate = load(&c, n) < 0 ? -1 : consume(&c, n, depth);
    bu_buf b = {0};
    bu_cmdf(&b, "DEL %s", KEY);
    bu_roundtrip(&c, &b, 1);
    bu_buf_free(&b);
    bu_conn_close(&c);
    return rate;
}

int main(int argc, char **argv)
{
    bu_prog = "xgroup";
    int rport = 0, fport = 0, rounds = 3, depth = 16, opt;
    long n = 100000;
    while ((opt = getopt(argc, argv, "r:f:R:n:P:")) != -1) {
        switch (opt) {
        case 'r':
            rport = atoi(optarg);
            break;
        case 'f':
            fport = atoi(optarg);
            break;
        case 'R':
            rounds = atoi(optarg);
            break;
        case 'n':
            n = atol(optarg);
            break;
        case 'P':
            depth = atoi(optarg);
            break;
        default:
            fprintf(stderr, "usage: xgroup -r REDIS_PORT -f FAKE_PORT [-R ROUNDS] [-n ENTRIES] "
                            "[-P DEPTH]\n");
            return 2;
        }
    }
    if (rport <= 0 || fport <= 0 || rounds < 1 || rounds > MAXR || n < 1 || depth < 1) {
        fprintf(stderr, "xgroup: -r and -f are needed; 1 <= -R <= %d, -n and -P >= 1\n", MAXR);
        return 2;
    }
    double rv[MAXR], fv[MAXR], ratio[MAXR];
    for (int i = 0; i < rounds; i++) {
        /* alternate who goes first */
        int first = i % 2 ? fport : rport, second = i % 2 ? rport : fport;
        double a = run_one(first, n, depth), b = run_one(second, n, depth);
        if (a < 0 || b < 0)
            return 1;
        rv[i] = i % 2 ? b : a;
        fv[i] = i % 2 ? a : b;
        ratio[i] = fv[i] / rv[i];
    }
    printf("%-32s %12.0f %12.0f %10.2f\n", "XREADGROUP+XACK entries/s", bu_median(rv, rounds),
           bu_median(fv, rounds), bu_median(ratio, rounds));
    return 0;
}
