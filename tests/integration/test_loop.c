/* Servers on a shared loop thread (fr_loop, fr_options.loop): many at once,
 * each its own data, clients and blocked commands; API calls from the test
 * thread; stop (also in the middle of a busy script) closes the server's
 * port before it returns and leaves the others serving; the loop refuses
 * to be freed while a server is on it. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_servers_share_a_loop),
        cmocka_unit_test(test_stop_during_busy_script),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
