/* Servers on a shared loop thread (fr_loop, fr_options.loop): many at once,
 * each its own data, clients and blocked commands; API calls from the test
 * thread; stop (also in the middle of a busy script) closes the server's
 * port before it returns and leaves the others serving; the loop refuses
 * to be freed while a server is on it; fr_server_run_on_loop runs a
 * test's steps on the loop thread as one, with no client command between
 * them. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "fakeredis/events.h"
#include "fakeredis/fakeredis.h"
#include "fakeredis/journal.h"
#include "support/rawsock.h"
#include "support/testutil.h"

#define NSRV 12

static void test_many_servers_share_a_loop(void **state)
{
    fr_loop *loop = NULL;
    assert_int_equal(fr_loop_new(&loop), FR_OK);
    fr_server *srv[NSRV];
    redisContext *c[NSRV];
    for (int i = 0; i < NSRV; i++) {
        assert_int_equal(fr_server_start(&(fr_options){.loop = loop}, &srv[i]), FR_OK);
        assert_true(fr_server_port(srv[i]) > 0);
        assert_null(fr_server_base(srv[i])); /* the loop's base is not the test's */
        /* its "listening" entry is in the journal when the start returns,
         * though its events go live on the loop later */
        uint64_t mark = 0;
        assert_int_equal(fr_journal_mark(srv[i], &mark), FR_OK);
        assert_int_equal(mark, 1);
        c[i] = tu_connect(srv[i]);
        tu_cmd_ok(c[i], "SET who %d", i);
    }
    for (int i = 0; i < NSRV; i++) {
        char want[8];
        snprintf(want, sizeof want, "%d", i);
        tu_cmd_str(c[i], REDIS_REPLY_STRING, want, "GET who");
        assert_int_equal(tu_cmd_int(c[i], "DBSIZE"), 1);
        assert_int_equal(fr_server_client_count(srv[i]), 1);
        fr_reply *r = fr_execf(srv[i], "GET who");
        assert_non_null(r);
        assert_string_equal(r->str, want);
        fr_reply_free(r);
    }
    /* a blocked client on one server does not hold the others up */
    tu_block(srv[0], c[0], 1, "BLPOP q 0");
    tu_cmd_str(c[1], REDIS_REPLY_STATUS, "PONG", "PING");
    assert_int_equal(tu_cmd_int(c[2], "LPUSH q other"), 1); /* another server's q */
    redisContext *pusher = tu_connect(srv[0]);
    assert_int_equal(tu_cmd_int(pusher, "LPUSH q x"), 1);
    redisReply *r = tu_next_reply(c[0]);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_string_equal(r->element[1]->str, "x");
    freeReplyObject(r);
    redisFree(pusher);

    /* stopped in an odd order: each stop closes that server's port before it
     * returns, and the rest keep serving */
    assert_int_equal(fr_loop_free(loop), FR_ERR_STATE); /* servers left: nothing freed */
    for (int i = 0; i < NSRV; i += 2) {
        int port = fr_server_port(srv[i]);
        redisFree(c[i]);
        fr_server_stop(srv[i]);
        assert_int_equal(rs_connect(port), -1);
        assert_int_equal(errno, ECONNREFUSED);
    }
    for (int i = 1; i < NSRV; i += 2) {
        tu_cmd_str(c[i], REDIS_REPLY_STATUS, "PONG", "PING");
        redisFree(c[i]);
        fr_server_stop(srv[i]);
    }
    assert_int_equal(fr_loop_free(loop), FR_OK);
    assert_int_equal(fr_loop_free(NULL), FR_OK);
}

/* Stopping a server whose script spins ends the script, frees the server,
 * and leaves the loop and its other server working. */
static void test_stop_during_busy_script(void **state)
{
    fr_loop *loop = NULL;
    assert_int_equal(fr_loop_new(&loop), FR_OK);
    fr_server *busy, *other;
    assert_int_equal(fr_server_start(&(fr_options){.loop = loop}, &busy), FR_OK);
    assert_int_equal(fr_server_start(&(fr_options){.loop = loop}, &other), FR_OK);
    redisContext *a = tu_connect(busy), *o = tu_connect(other);
    tu_cmd_ok(a, "SET k v");
    int fd = rs_connect_srv(busy);
    rs_send(fd, "EVAL \"while true do end\" 0\r\n");
    /* the loop is held by the script: the other server answers only once
     * the stop ended it */
    assert_true(rs_quiet_for(fd, 50));
    fr_server_stop(busy);
    char buf[256];
    int eof = 0;
    rs_read_to_eof(fd, buf, sizeof buf, TU_WAIT_MS, &eof);
    assert_true(eof);
    close(fd);
    redisFree(a);
    tu_cmd_str(o, REDIS_REPLY_STATUS, "PONG", "PING");
    redisFree(o);
    fr_server_stop(other);
    assert_int_equal(fr_loop_free(loop), FR_OK);
}

/* What a loop does not take: an attached server (its loop is the caller's
 * base), a start that fails (the loop counts no server for it). */
static void test_refused(void **state)
{
    fr_loop *loop = NULL;
    assert_int_equal(fr_loop_new(&loop), FR_OK);
    struct event_base *base = event_base_new();
    fr_server *srv = NULL;
    assert_int_equal(fr_server_attach(base, &(fr_options){.loop = loop}, &srv), FR_ERR_ARG);
    assert_null(srv);
    char err[128] = "";
    const char *bad[] = {"no-such-parameter 1", NULL};
    assert_int_equal(
        fr_server_start(
            &(fr_options){.loop = loop, .config = bad, .errbuf = err, .errbuf_len = sizeof err},
            &srv),
        FR_ERR_PARSE);
    assert_null(srv);
    assert_non_null(strstr(err, "no-such-parameter"));
    assert_int_equal(fr_loop_free(loop), FR_OK);
    event_base_free(base);
}

/* What a function run on the loop saw. */
typedef struct on_loop {
    fr_server *other; /* a second server to call, or NULL */
    int fd;           /* a client of the server, raw */
    pthread_t ran_on;
    int runs;
    char got[32], other_got[32];
} on_loop;

static void reply_str(fr_reply *r, char *out, size_t cap)
{
    snprintf(out, cap, "%s", r && r->str ? r->str : "(none)");
    fr_reply_free(r);
}

/* SET k 0, then 100 INCRs from a client while it still runs, then GET k:
 * if the loop ran client commands between the calls, GET would not say 0. */
static void set_incr_get(fr_server *srv, void *arg)
{
    on_loop *o = arg;
    o->ran_on = pthread_self();
    o->runs++;
    fr_reply_free(fr_execf(srv, "SET k 0"));
    for (int i = 0; i < 100; i++)
        rs_send(o->fd, "INCR k\r\n");
    usleep(20 * 1000); /* time the loop would have used to run them */
    reply_str(fr_execf(srv, "GET k"), o->got, sizeof o->got);
    if (o->other)
        reply_str(fr_execf(o->other, "GET who"), o->other_got, sizeof o->other_got);
}

/* After set_incr_get: the client's 100 INCRs ran once it returned (for
 * an attached server, once its base runs: here). */
static void expect_incrs(int fd, struct event_base *base)
{
    char buf[600];
    size_t want = 9 * 4 + 90 * 5 + 6, got = 0; /* ":1\r\n" ... ":100\r\n" */
    for (int i = 0; i < 5000 && got < want; i++) {
        if (base)
            event_base_loop(base, EVLOOP_NONBLOCK);
        if (rs_wait_readable(fd, base ? 1 : TU_WAIT_MS)) {
            ssize_t n = recv(fd, buf + got, want - got, 0);
            assert_true(n > 0);
            got += (size_t)n;
        }
    }
    assert_int_equal(got, want);
    assert_memory_equal(buf + want - 6, ":100\r\n", 6);
}

static void test_run_on_loop(void **state)
{
    /* a threaded server: its own thread, no command between the calls */
    fr_server *srv = tu_start();
    on_loop o = {.fd = rs_connect_srv(srv)};
    assert_int_equal(fr_server_run_on_loop(srv, set_incr_get, &o), FR_OK);
    assert_int_equal(o.runs, 1);
    assert_false(pthread_equal(o.ran_on, pthread_self()));
    assert_string_equal(o.got, "0");
    expect_incrs(o.fd, NULL);
    close(o.fd);

    /* refused: no function, no server; a shut-down server runs nothing */
    assert_int_equal(fr_server_run_on_loop(srv, NULL, NULL), FR_ERR_ARG);
    assert_int_equal(fr_server_run_on_loop(NULL, set_incr_get, &o), FR_ERR_ARG);
    redisContext *c = tu_connect(srv);
    redisReply *r = redisCommand(c, "SHUTDOWN NOSAVE");
    freeReplyObject(r);
    redisFree(c);
    assert_true(fr_server_is_shut_down(srv));
    assert_int_equal(fr_server_run_on_loop(srv, set_incr_get, &o), FR_ERR_STOPPED);
    assert_int_equal(o.runs, 1);
    fr_server_stop(srv);

    /* on a shared loop: a call on the loop's other server runs there too */
    fr_loop *loop = NULL;
    assert_int_equal(fr_loop_new(&loop), FR_OK);
    fr_server *a, *b;
    assert_int_equal(fr_server_start(&(fr_options){.loop = loop}, &a), FR_OK);
    assert_int_equal(fr_server_start(&(fr_options){.loop = loop}, &b), FR_OK);
    fr_reply_free(fr_execf(b, "SET who b"));
    o = (on_loop){.other = b, .fd = rs_connect_srv(a)};
    assert_int_equal(fr_server_run_on_loop(a, set_incr_get, &o), FR_OK);
    assert_false(pthread_equal(o.ran_on, pthread_self()));
    assert_string_equal(o.got, "0");
    assert_string_equal(o.other_got, "b");
    expect_incrs(o.fd, NULL);
    close(o.fd);
    fr_server_stop(a);
    fr_server_stop(b);
    assert_int_equal(fr_loop_free(loop), FR_OK);

    /* attached: on the caller's thread, at once; the INCRs wait for the
     * base to run */
    struct event_base *base = event_base_new();
    assert_int_equal(fr_server_attach(base, NULL, &srv), FR_OK);
    o = (on_loop){.fd = rs_connect_srv(srv)}; /* the kernel completes it */
    assert_int_equal(fr_server_run_on_loop(srv, set_incr_get, &o), FR_OK);
    assert_true(pthread_equal(o.ran_on, pthread_self()));
    assert_string_equal(o.got, "0");
    expect_incrs(o.fd, base);
    close(o.fd);
    fr_server_stop(srv);
    event_base_free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_servers_share_a_loop),
        cmocka_unit_test(test_stop_during_busy_script),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_run_on_loop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
