/*
 * topostart: what a topology costs a test, started and stopped:
 * fr_group_start() of a master and 2 replicas (three threaded fakes, two
 * replication links with their handshake and snapshot) until every
 * replica streams; the same with a Sentinel; fr_cluster_start() of 3
 * masters (their slot views set); and of 3 masters + 3 replicas (until
 * every replica streams). Prints the median, p90 and max of ROUNDS rounds
 * (default 50) in microseconds, beside one plain fr_server_start/stop.
 *
 * usage: topostart [ROUNDS]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "fakeredis/cluster.h"
#include "fakeredis/fakeredis.h"
#include "fakeredis/replication.h"

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void report(const char *what, int64_t *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, cmp);
    printf("%-31s median %7.0f us  p90 %7.0f us  max %7.0f us  (%d rounds)\n", what,
           (double)t[n / 2] / 1e3, (double)t[n * 9 / 10] / 1e3, (double)t[n - 1] / 1e3, n);
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 50;
    if (rounds < 1)
        rounds = 1;
    int64_t *single = calloc((size_t)rounds, sizeof *single);
    int64_t *group = calloc((size_t)rounds, sizeof *group);
    int64_t *cluster = calloc((size_t)rounds, sizeof *cluster);
    int64_t *sentinel = calloc((size_t)rounds, sizeof *sentinel);
    int64_t *replicated = calloc((size_t)rounds, sizeof *replicated);
    if (!single || !group || !cluster || !sentinel || !replicated)
        return 1;
    for (int i = 0; i < rounds; i++) {
        int64_t t0 = now_ns();
        fr_server *s;
        if (fr_server_start(NULL, &s) != FR_OK)
            return 1;
        fr_server_stop(s);
        single[i] = now_ns() - t0;
        t0 = now_ns();
        fr_group *g;
        fr_group_options o = {.replicas = 2};
        int st = fr_group_start(&o, &g);
        if (st != FR_OK) {
            fprintf(stderr, "topostart: %s\n", fr_strerror(st));
            return 1;
        }
        fr_group_stop(g);
        group[i] = now_ns() - t0;
        t0 = now_ns();
        o.sentinel = 1;
        if ((st = fr_group_start(&o, &g)) != FR_OK) {
            fprintf(stderr, "topostart: sentinel: %s\n", fr_strerror(st));
            return 1;
        }
        fr_group_stop(g);
        sentinel[i] = now_ns() - t0;
        t0 = now_ns();
        fr_cluster *cl;
        if (fr_cluster_start(NULL, &cl) != FR_OK)
            return 1;
        fr_cluster_stop(cl);
        cluster[i] = now_ns() - t0;
        t0 = now_ns();
        fr_cluster_options co = {.replicas = 1};
        if ((st = fr_cluster_start(&co, &cl)) != FR_OK) {
            fprintf(stderr, "topostart: %s\n", fr_strerror(st));
            return 1;
        }
        fr_cluster_stop(cl);
        replicated[i] = now_ns() - t0;
    }
    report("one fake, start+stop", single, rounds);
    report("master + 2 replicas", group, rounds);
    report("master + 2 replicas + sentinel", sentinel, rounds);
    report("cluster of 3 masters", cluster, rounds);
    report("cluster 3 masters + 3 replicas", replicated, rounds);
    free(replicated);
    free(single);
    free(group);
    free(cluster);
    free(sentinel);
    return 0;
}
