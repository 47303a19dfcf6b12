/*
 * startstop: how long one in-process fake takes from its creation to a PING
 * answered over a real hiredis connection and back through fr_server_stop(),
 * the cost a test suite pays per test, in the two in-process modes:
 *
 *   threaded  fr_server_start() (its own thread and loop), a blocking
 *             hiredis connection, PING, disconnect, fr_server_stop();
 *   attached  fr_server_attach() on the caller's event_base (created once,
 *             as a test program would), an async hiredis connection on the
 *             same base, PING, disconnect, fr_server_stop(); no thread.
 *
 * The modes alternate round by round (and which goes first), so that the
 * machine's load falls on both alike. Prints the median, p90 and max of
 * ROUNDS rounds (default 1000) per mode, in microseconds.
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

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "benchutil.h"
#include "fakeredis/fakeredis.h"

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* One threaded round; its duration in ns, or -1 with a message. */
static int64_t threaded_round(void)
{
    fr_server *srv = NULL;
    int64_t t0 = bu_now_ns();
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
    int64_t t1 = bu_now_ns();
    return ok ? t1 - t0 : -1;
}

/* The state of one attached round, shared with the callbacks. */
struct attached {
    int ok;        /* PONG came back */
    int closed;    /* hiredis is done with the connection (freed) */
    int timed_out; /* the guard timer fired first */
};

/* A timer armed for each attached round: EVLOOP_ONCE blocks until
 * something happens, and a server that never answers must not hang the
 * benchmark. */
static struct event *guard;

static void on_guard(evutil_socket_t fd, short what, void *priv)
{
    ((struct attached *)priv)->timed_out = 1;
}

static void on_pong(redisAsyncContext *ac, void *reply, void *priv)
{
    struct attached *a = priv;
    redisReply *r = reply;
    a->ok = r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0;
    redisAsyncDisconnect(ac);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    if (status != REDIS_OK) {
        fprintf(stderr, "startstop: async connect: %s\n", ac->errstr);
        ((struct attached *)ac->data)->closed = 1;
    }
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    ((struct attached *)ac->data)->closed = 1;
}

/* One attached round on base; its duration in ns, or -1 with a message. */
static int64_t attached_round(struct event_base *base)
{
    fr_server *srv = NULL;
    struct attached a = {0};
    int64_t t0 = bu_now_ns();
    int rc = fr_server_attach(base, &(fr_options){.port = 0}, &srv);

    if (rc != FR_OK) {
        fprintf(stderr, "startstop: fr_server_attach: %s\n", fr_strerror(rc));
        return -1;
    }
    redisAsyncContext *ac = redisAsyncConnect("127.0.0.1", fr_server_port(srv));
    if (!ac || ac->err) {
        fprintf(stderr, "startstop: async connect: %s\n", ac ? ac->errstr : "no memory");
        if (ac)
            redisAsyncFree(ac);
        fr_server_stop(srv);
        return -1;
    }
    ac->data = &a;
    redisLibeventAttach(ac, base);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    redisAsyncCommand(ac, on_pong, &a, "PING");
    /* Both ends run in this loop, as in a test that attaches its fake. */
    event_assign(guard, base, -1, 0, on_guard, &a);
    evtimer_add(guard, &(struct timeval){.tv_sec = 5});
    while (!a.closed && !a.timed_out)
        event_base_loop(base, EVLOOP_ONCE);
    evtimer_del(guard);
    if (!a.closed) {
        fprintf(stderr, "startstop: attached: no PONG within 5 s\n");
        redisAsyncFree(ac);
    } else if (!a.ok) {
        fprintf(stderr, "startstop: attached: PING got no PONG\n");
    }
    fr_server_stop(srv);
    int64_t t1 = bu_now_ns();
    return a.closed && a.ok ? t1 - t0 : -1;
}

static void report(const char *mode, int64_t *t, long rounds)
{
    qsort(t, (size_t)rounds, sizeof *t, cmp_i64);
    /* nearest-rank percentiles */
    long p50 = (rounds * 50 + 99) / 100 - 1, p90 = (rounds * 90 + 99) / 100 - 1;
    printf("%-10s %10.1f %10.1f %10.1f\n", mode, t[p50] / 1000.0, t[p90] / 1000.0,
           t[rounds - 1] / 1000.0);
}

int main(int argc, char **argv)
{
    long rounds = argc > 1 ? strtol(argv[1], NULL, 10) : 1000;
    if (rounds <= 0) {
        fputs("usage: startstop [ROUNDS]\n", stderr);
        return 2;
    }
    int64_t *th = malloc(sizeof *th * (size_t)rounds);
    int64_t *at = malloc(sizeof *at * (size_t)rounds);
    struct event_base *base = event_base_new();
    guard = malloc(event_get_struct_event_size());
    if (!th || !at || !base || !guard)
        return 1;
    int status = 0;
    for (long i = 0; i < rounds && !status; i++) {
        for (int k = 0; k < 2 && !status; k++) {
            if ((k == 0) == (i % 2 == 0))
                status = (th[i] = threaded_round()) < 0;
            else
                status = (at[i] = attached_round(base)) < 0;
        }
    }
    if (!status) {
        printf("in-process start+connect+PING+stop, %ld rounds per mode (alternating)\n", rounds);
        printf("%-10s %10s %10s %10s\n", "mode", "median us", "p90 us", "max us");
        report("threaded", th, rounds);
        report("attached", at, rounds);
    }
    event_base_free(base);
    free(guard);
    free(th);
    free(at);
    return status;
}
