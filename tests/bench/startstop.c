/*
 * startstop: how long one in-process fake takes from fr_server_start() to a
 * PING answered over a real hiredis connection and back through
 * fr_server_stop(), the cost a test suite pays per test. Prints the median,
 * p90 and max of ROUNDS rounds (default 1000) in microseconds.
 *
 * usage: startstop [ROUNDS]
 */
#ifndef _GNU_SOURCE /* the build defines it too */
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "fakeredis/fakeredis.h"

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* One round; its duration in ns, or -1 with a message on failure. */
static int64_t one_round(void)
{
    fr_server *srv = NULL;
    int64_t t0 = now_ns();
    int rc = fr_server_start(NULL, &srv);

    if (rc != FR_OK) {
        fprintf(stderr, "startstop: fr_server_start: %s\n", fr_strerror(rc));
        return -1;
    }
    redisContext *c = redisConnect("127.0.0.1", fr_server_port(srv));
    if (!c || c->err) {
        fprintf(stderr, "startstop: connect: %s\n", c ? c->errstr : "no memory");
        redisFree(c);
        fr_server_stop(srv);
        return -1;
    }
    redisReply *r = redisCommand(c, "PING");
    int ok = r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0;
    if (!ok)
        fprintf(stderr, "startstop: PING: %s\n", r ? "unexpected reply" : c->errstr);
    freeReplyObject(r);
    redisFree(c);
    fr_server_stop(srv);
    int64_t t1 = now_ns();
    return ok ? t1 - t0 : -1;
}

int main(int argc, char **argv)
{
    long rounds = argc > 1 ? strtol(argv[1], NULL, 10) : 1000;
    if (rounds <= 0) {
        fputs("usage: startstop [ROUNDS]\n", stderr);
        return 2;
    }
    int64_t *t = malloc(sizeof *t * (size_t)rounds);
    if (!t)
        return 1;
    for (long i = 0; i < rounds; i++) {
        if ((t[i] = one_round()) < 0) {
            free(t);
            return 1;
        }
    }
    qsort(t, (size_t)rounds, sizeof *t, cmp_i64);
    /* nearest-rank percentiles */
    long p50 = (rounds * 50 + 99) / 100 - 1, p90 = (rounds * 90 + 99) / 100 - 1;
    printf("start+connect+PING+stop, %ld rounds: median %.1f us, p90 %.1f us,"
           " max %.1f us\n",
           rounds, t[p50] / 1000.0, t[p90] / 1000.0, t[rounds - 1] / 1000.0);
    free(t);
    return 0;
}
