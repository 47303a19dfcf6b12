/* A client that never reads must not stall the others.
 *
 * The network fuzzer of issue 17 saw 9 s PING stalls behind one connection
 * that pipelined large replies and never read them (a 600 MB output
 * backlog). Here one raw socket floods LRANGE of a big list (or a similar
 * flood), never reading, while a second client PINGs in a loop; the worst
 * PING round trip must stay small. Each test is bounded by a deadline. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fakeredis/fakeredis.h"
#include "fakeredis/harness.h"
#include "support/rawsock.h"
#include "support/testutil.h"

/* How long each flood lasts. */
#define FLOOD_MS 2000
/* The worst PING round trip allowed while another client floods. The loop
 * gives a connection a turn of 5 ms of commands or 1 MB of output (it was
 * seconds before that); the rest is room for two busy cores, and for a
 * sanitizer build, in which one command (a GET of 1 MB) takes longer. */
#if defined(__SANITIZE_THREAD__)
#define MAX_STALL_MS 1000
#elif defined(__SANITIZE_ADDRESS__)
#define MAX_STALL_MS 500
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MAX_STALL_MS 1000
#elif __has_feature(address_sanitizer)
#define MAX_STALL_MS 500
#endif
#endif
#ifndef MAX_STALL_MS
#define MAX_STALL_MS 250
#endif

static int setup(void **state)
{
    fr_server *srv = NULL;
    if (fr_server_start(NULL, &srv) != FR_OK)
        return -1;
    *state = srv;
    return 0;
}

static int teardown(void **state)
{
    fr_server_stop(*state);
    return 0;
}

/* A list of n elements of 16 bytes: LRANGE 0 -1 answers about 23 n bytes. */
static void fill_list(fr_server *srv, const char *key, int n)
{
    redisContext *c = tu_connect(srv);
    const int batch = 1000;
    const char **argv = calloc((size_t)batch + 2, sizeof *argv);
    assert_non_null(argv);
    argv[0] = "RPUSH";
    argv[1] = key;
    for (int i = 2; i < batch + 2; i++)
        argv[i] = "0123456789abcdef";
    for (int done = 0; done < n; done += batch) {
        int k = n - done < batch ? n - done : batch;
        freeReplyObject(redisCommandArgv(c, k + 2, argv, NULL));
    }
    free(argv);
    assert_int_equal(tu_cmd_int(c, "LLEN %s", key), n);
    redisFree(c);
}

/* One PING round trip on fd, in ms; fails the test past 10 s. */
static long long ping_ms(int fd)
{
    long long t0 = tu_mono_ms();
    rs_send(fd, "PING\r\n");
    char buf[8];
    int eof = 0;
    size_t n = rs_read_n(fd, buf, 7, 10000, &eof);
    if (n != 7 || memcmp(buf, "+PONG\r\n", 7) != 0)
        fail_msg("PING: %zu bytes, eof %d, after %lld ms", n, eof, tu_mono_ms() - t0);
    return tu_mono_ms() - t0;
}

/* Write nreq copies of req on a socket that never reads (as fast as the
 * socket takes them) while another connection PINGs for FLOOD_MS, then
 * close the flooder (its backlog is freed) and PING a while more; returns
 * the worst PING round trip. */
static long long flood_and_ping(fr_server *srv, const char *req, size_t nreq)
{
    int flood = rs_connect_rcvbuf(fr_server_port(srv), 4096);
    assert_true(flood >= 0);
    int fl = fcntl(flood, F_GETFL);
    assert_int_equal(fcntl(flood, F_SETFL, fl | O_NONBLOCK), 0);
    int pinger = rs_connect_srv(srv);
    ping_ms(pinger);

    size_t rl = strlen(req), total = nreq * rl, sent = 0;
    char *all = malloc(total);
    assert_non_null(all);
    for (size_t i = 0; i < nreq; i++)
        memcpy(all + i * rl, req, rl);

    long long worst = 0, sum = 0, pings = 0;
    long long end = tu_mono_ms() + FLOOD_MS;
    int closed = 0;
    while (!closed || tu_mono_ms() < end) {
        if (!closed && tu_mono_ms() >= end - FLOOD_MS / 4) {
            close(flood); /* the last quarter: the server frees the backlog */
            closed = 1;
        }
        while (!closed && sent < total) {
            ssize_t w = write(flood, all + sent, total - sent);
            if (w <= 0) {
                assert_true(w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
                break;
            }
            sent += (size_t)w;
        }
        long long ms = ping_ms(pinger);
        if (ms > worst)
            worst = ms;
        sum += ms;
        pings++;
    }
    print_message("%zu x '%.*s': %zu bytes sent, %lld pings, worst %lld ms, mean %.2f ms\n", nreq,
                  (int)(rl - 2), req, sent, pings, worst,
                  pings ? (double)sum / (double)pings : 0.0);
    free(all);
    close(pinger);
    assert_int_equal(fr_wait_clients(srv, 0, 10000), FR_OK);
    return worst;
}

/* LRANGE of a 10,000-element list (about 220 KB a reply), pipelined 400
 * times (88 MB of replies) by a client that never reads. */
static void test_lrange_flood(void **state)
{
    fr_server *srv = *state;
    fill_list(srv, "big", 10000);
    long long worst = flood_and_ping(srv, "LRANGE big 0 -1\r\n", 400);
    assert_true(worst < MAX_STALL_MS);
}

/* GET of a 1 MB value, 100 times: one command, one big reply. */
static void test_big_value_flood(void **state)
{
    fr_server *srv = *state;
    redisContext *c = tu_connect(srv);
    tu_cmd_ok(c, "DEBUG POPULATE 1 v 1048576");
    redisFree(c);
    long long worst = flood_and_ping(srv, "GET v:0\r\n", 100);
    assert_true(worst < MAX_STALL_MS);
}

/* Many small replies (2,000 INCRs per 16 KB read): a budget on output
 * bytes alone would not bound them; they must not stall either. */
static void test_small_reply_flood(void **state)
{
    fr_server *srv = *state;
    long long worst = flood_and_ping(srv, "INCR n\r\n", 2000000);
    assert_true(worst < MAX_STALL_MS);
}

/* The largest obl= of CLIENT LIST (the biggest output backlog). */
static long long max_obl(redisContext *c)
{
    redisReply *r = tu_cmd(c, "CLIENT LIST");
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    long long best = 0;
    for (const char *p = r->str; (p = strstr(p, " obl=")); p++) {
        long long v = atoll(p + 5);
        if (v > best)
            best = v;
    }
    freeReplyObject(r);
    return best;
}

typedef struct drain {
    int fd;
    size_t want, got; /* got: written by the drain thread, atomically */
} drain;

static void *drain_main(void *arg)
{
    drain *d = arg;
    static char buf[1 << 20];
    long long end = tu_mono_ms() + 20000;
    size_t got = 0;
    while (got < d->want && tu_mono_ms() < end) {
        ssize_t n = read(d->fd, buf, sizeof buf);
        if (n <= 0)
            break;
        got += (size_t)n;
        __atomic_store_n(&d->got, got, __ATOMIC_RELAXED);
    }
    return NULL;
}

/* A backlog of 100 MB, then its client reads it all as fast as it can:
 * writing it must not stall the others either. */
static void test_backlog_drain(void **state)
{
    fr_server *srv = *state;
    redisContext *c = tu_connect(srv);
    tu_cmd_ok(c, "DEBUG POPULATE 1 v 1048576");
    int flood = rs_connect_srv(srv);
    const int n = 100;
    for (int i = 0; i < n; i++)
        rs_send(flood, "GET v:0\r\n");
    /* wait until the replies are made (the kernel's buffers take a few MB) */
    long long end = tu_mono_ms() + 10000;
    while (max_obl(c) < (n - 16) * 1048576LL && tu_mono_ms() < end)
        ;
    assert_true(max_obl(c) >= (n - 16) * 1048576LL);
    redisFree(c);

    int pinger = rs_connect_srv(srv);
    drain d = {flood, (size_t)n * (1048576 + 12), 0};
    pthread_t th;
    long long t0 = tu_mono_ms(), worst = 0, pings = 0;
    assert_int_equal(pthread_create(&th, NULL, drain_main, &d), 0);
    while (__atomic_load_n(&d.got, __ATOMIC_RELAXED) < d.want && tu_mono_ms() < t0 + 20000) {
        long long ms = ping_ms(pinger);
        if (ms > worst)
            worst = ms;
        pings++;
    }
    pthread_join(th, NULL);
    print_message("drained %zu bytes in %lld ms: %lld pings, worst %lld ms\n", d.got,
                  tu_mono_ms() - t0, pings, worst);
    assert_int_equal(d.got, d.want);
    close(flood);
    close(pinger);
    assert_true(worst < MAX_STALL_MS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lrange_flood, setup, teardown),
        cmocka_unit_test_setup_teardown(test_big_value_flood, setup, teardown),
        cmocka_unit_test_setup_teardown(test_small_reply_flood, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backlog_drain, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
