/* Blocking list commands with several hiredis clients against a live fake:
 * wake-up by a push, by LMOVE from another list, by MULTI/EXEC, chaining
 * through BLMOVE, first-blocked-first-served, timeouts on the real and on a
 * frozen clock, disconnect while blocked, CLIENT UNBLOCK, input pipelined
 * behind a blocking command, the blocked-clients API, and a server stopped
 * with clients still blocked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "fakeredis/blocking.h"
#include "fakeredis/fakeredis.h"
#include "fakeredis/harness.h"
#include "support/testutil.h"

static long long client_id(redisContext *c)
{
    return tu_cmd_int(c, "CLIENT ID");
}

/* The next reply is [key, value] (BLPOP/BRPOP). */
static void expect_pair(redisContext *c, const char *key, const char *val)
{
    redisReply *r = tu_next_reply(c);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 2);
    assert_string_equal(r->element[0]->str, key);
    assert_string_equal(r->element[1]->str, val);
    freeReplyObject(r);
}

static void expect_bulk(redisContext *c, const char *val)
{
    redisReply *r = tu_next_reply(c);
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    assert_string_equal(r->str, val);
    freeReplyObject(r);
}

static void test_wake_by_push(void **state)
{
    fr_server *srv = *state;
    redisContext *a = tu_connect(srv), *b = tu_connect(srv);
    tu_block(srv, a, 1, "BLPOP q 0");
    assert_false(tu_readable_within(a, 20));
    assert_int_equal(tu_cmd_int(b, "RPUSH q hello world"), 2);
    expect_pair(a, "q", "hello");
    assert_int_equal(fr_blocked_count(srv), 0);
    assert_int_equal(tu_cmd_int(b, "LLEN q"), 1);
    redisFree(a);
    redisFree(b);
}

static void test_first_blocked_first_served(void **state)
{
    fr_server *srv = *state;
    redisContext *c[3], *pusher = tu_connect(srv);
    for (int i = 0; i < 3; i++) {
        c[i] = tu_connect(srv);
        /* BRPOP for the middle one: the direction is the waiter's own */
        tu_block(srv, c[i], (size_t)i + 1, i == 1 ? "BRPOP k other 0" : "BLPOP other k 0");
    }
    /* one push of three elements serves all three, in the order they
     * blocked, each popping from its own end */
    assert_int_equal(tu_cmd_int(pusher, "RPUSH k a b c"), 3);
    expect_pair(c[0], "k", "a");
    expect_pair(c[1], "k", "c");
    expect_pair(c[2], "k", "b");
    assert_int_equal(tu_cmd_int(pusher, "EXISTS k"), 0);

    /* one element at a time: still in block order */
    for (int i = 0; i < 3; i++)
        tu_block(srv, c[i], (size_t)i + 1, "BLPOP k 0");
    for (int i = 0; i < 3; i++) {
        char v[8];
        snprintf(v, sizeof v, "v%d", i);
        freeReplyObject(tu_cmd(pusher, "LPUSH k %s", v));
        expect_pair(c[i], "k", v);
        /* the others are still waiting */
        assert_int_equal(fr_blocked_count(srv), 2 - i);
    }
    for (int i = 0; i < 3; i++)
        redisFree(c[i]);
    redisFree(pusher);
}

static void test_lmove_wakes(void **state)
{
    fr_server *srv = *state;
    redisContext *a = tu_connect(srv), *b = tu_connect(srv);
    assert_int_equal(tu_cmd_int(b, "RPUSH src x y"), 2);
    tu_block(srv, a, 1, "BLPOP dst 0");
    redisReply *r = tu_cmd(b, "LMOVE src dst LEFT RIGHT");
    assert_string_equal(r->str, "x");
    freeReplyObject(r);
    expect_pair(a, "dst", "x");
    assert_int_equal(tu_cmd_int(b, "EXISTS dst"), 0);
    assert_int_equal(tu_cmd_int(b, "LLEN src"), 1);
    /* RPOPLPUSH too */
    tu_block(srv, a, 1, "BRPOP dst 0");
    r = tu_cmd(b, "RPOPLPUSH src dst");
    assert_string_equal(r->str, "y");
    freeReplyObject(r);
    expect_pair(a, "dst", "y");
    redisFree(a);
    redisFree(b);
}

static void test_blmove_chain(void **state)
{
    fr_server *srv = *state;
    redisContext *a = tu_connect(srv), *b = tu_connect(srv), *c = tu_connect(srv);
    tu_block(srv, a, 1, "BLMOVE one two RIGHT LEFT 0");
    tu_block(srv, b, 2, "BLPOP two 0");
    assert_int_equal(tu_cmd_int(c, "RPUSH one v"), 1);
    /* a moves v from one to two, which serves b in the same round */
    expect_bulk(a, "v");
    expect_pair(b, "two", "v");
    assert_int_equal(tu_cmd_int(c, "EXISTS one two"), 0);
    redisFree(a);
    redisFree(b);
    redisFree(c);
}

static void test_wake_after_exec(void **state)
{
    fr_server *srv = *state;
    redisContext *a = tu_connect(srv), *b = tu_connect(srv);
    tu_block(srv, a, 1, "BLPOP tx 0");
    freeReplyObject(tu_cmd(b, "MULTI"));
    freeReplyObject(tu_cmd(b, "RPUSH tx a b"));
    freeReplyObject(tu_cmd(b, "LPOP tx"));
    /* queued, not run: the waiter still waits */
    assert_false(tu_readable_within(a, 20));
    assert_int_equal(fr_blocked_count(srv), 1);
    redisReply *r = tu_cmd(b, "EXEC");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 2);
    freeReplyObject(r);
    /* served after EXEC with what the transaction left */
    expect_pair(a, "tx", "b");

    /* a blocking command inside MULTI does not block */
    freeReplyObject(tu_cmd(a, "MULTI"));
    freeReplyObject(tu_cmd(a, "BLPOP nothing 0"));
    r = tu_cmd(a, "EXEC");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->element[0]->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
    redisFree(a);
    redisFree(b);
}

static void test_timeout_real_clock(void **state)
{
    fr_server *srv = *state;
    redisContext *a = tu_connect(srv);
    long long t0 = tu_mono_ms();
    tu_cmd_nil(a, "BLPOP nothing 0.1");
    long long took = tu_mono_ms() - t0;
    assert_true(took >= 95);
    assert_true(took < 400);
    assert_int_equal(fr_blocked_count(srv), 0);
    /* BLMOVE and BLMPOP time out with the null array too */
    tu_cmd_nil(a, "BLMOVE nothing d LEFT LEFT 0.02");
    tu_cmd_nil(a, "BLMPOP 0.02 1 nothing LEFT");
    redisFree(a);
}

static void test_timeout_frozen_clock(void **state)
{
    fr_server *srv = *state;
    redisContext *a = tu_connect(srv), *b = tu_connect(srv);
    int64_t now = fr_clock_now_ms(srv);
    tu_block(srv, a, 1, "BLPOP k 0.05");
    fr_blocked_list *l = NULL;
    assert_int_equal(fr_blocked_list_get(srv, &l), FR_OK);
    assert_int_equal(l->n, 1);
    assert_int_equal(l->clients[0].since_ms, now);
    assert_int_equal(l->clients[0].deadline_ms, now + 50);
    fr_blocked_list_free(l);
    /* well past the timeout in real time: the frozen clock holds it */
    assert_false(tu_readable_within(a, 150));
    assert_int_equal(fr_blocked_count(srv), 1);
    assert_int_equal(fr_clock_advance(srv, 49), FR_OK);
    assert_false(tu_readable_within(a, 20));
    assert_int_equal(fr_clock_advance(srv, 1), FR_OK);
    tu_expect_nil(a);
    assert_int_equal(fr_blocked_count(srv), 0);

    /* several deadlines: an advance fires exactly the due ones */
    tu_block(srv, a, 1, "BLPOP k 1");
    tu_block(srv, b, 2, "BLPOP k 2");
    assert_int_equal(fr_clock_advance(srv, 1500), FR_OK);
    tu_expect_nil(a);
    assert_false(tu_readable_within(b, 20));
    assert_int_equal(fr_blocked_count(srv), 1);
    assert_int_equal(fr_clock_set(srv, fr_clock_now_ms(srv) + 600), FR_OK);
    tu_expect_nil(b);
    redisFree(a);
    redisFree(b);
}

static void test_disconnect_while_blocked(void **state)
{
    fr_server *srv = *state;
    redisContext *a = tu_connect(srv), *b = tu_connect(srv);
    tu_block(srv, a, 1, "BLPOP gone 0");
    redisFree(a);
    assert_int_equal(fr_wait_until(tu_none_blocked, srv, TU_WAIT_MS), FR_OK);
    /* the element is not lost to a dead client */
    assert_int_equal(tu_cmd_int(b, "RPUSH gone x"), 1);
    assert_int_equal(tu_cmd_int(b, "LLEN gone"), 1);
    redisReply *r = tu_cmd(b, "INFO clients");
    assert_non_null(strstr(r->str, "blocked_clients:0\r\n"));
    freeReplyObject(r);
    redisFree(b);
}

static void test_client_unblock(void **state)
{
    fr_server *srv = *state;
    redisContext *a = tu_connect(srv), *b = tu_connect(srv);
    long long id = client_id(a);
    tu_block(srv, a, 1, "BLPOP k 0");
    redisReply *r = tu_cmd(b, "INFO clients");
    assert_non_null(strstr(r->str, "blocked_clients:1\r\n"));
    freeReplyObject(r);
    assert_int_equal(tu_cmd_int(b, "CLIENT UNBLOCK %lld", id), 1);
    tu_expect_nil(a);
    assert_int_equal(tu_cmd_int(b, "CLIENT UNBLOCK %lld", id), 0);

    tu_block(srv, a, 1, "BLMOVE k d LEFT RIGHT 0");
    assert_int_equal(tu_cmd_int(b, "CLIENT UNBLOCK %lld ERROR", id), 1);
    r = tu_next_reply(a);
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_string_equal(r->str, "UNBLOCKED client unblocked via CLIENT UNBLOCK");
    freeReplyObject(r);
    /* the connection goes on normally */
    r = tu_cmd(a, "PING");
    assert_string_equal(r->str, "PONG");
    freeReplyObject(r);
    redisFree(a);
    redisFree(b);
}

static void test_pipeline_behind_block(void **state)
{
    fr_server *srv = *state;
    redisContext *a = tu_connect(srv), *b = tu_connect(srv);
    /* three commands in one write: the two after BLPOP wait for it */
    assert_int_equal(redisAppendCommand(a, "BLPOP p 0"), REDIS_OK);
    assert_int_equal(redisAppendCommand(a, "RPUSH p mine"), REDIS_OK);
    assert_int_equal(redisAppendCommand(a, "LRANGE p 0 -1"), REDIS_OK);
    int done = 0;
    while (!done)
        assert_int_equal(redisBufferWrite(a, &done), REDIS_OK);
    assert_int_equal(fr_blocked_wait(srv, 1, TU_WAIT_MS), FR_OK);
    assert_int_equal(tu_cmd_int(b, "LLEN p"), 0);
    assert_int_equal(tu_cmd_int(b, "RPUSH p theirs"), 1);
    expect_pair(a, "p", "theirs");
    redisReply *r = tu_next_reply(a);
    assert_int_equal(r->integer, 1);
    freeReplyObject(r);
    r = tu_next_reply(a);
    assert_int_equal(r->elements, 1);
    assert_string_equal(r->element[0]->str, "mine");
    freeReplyObject(r);
    redisFree(a);
    redisFree(b);
}

static void test_blocked_list_api(void **state)
{
    fr_server *srv = *state;
    redisContext *a = tu_connect(srv), *b = tu_connect(srv);
    freeReplyObject(tu_cmd(a, "CLIENT SETNAME waiter"));
    freeReplyObject(tu_cmd(a, "SELECT 3"));
    long long ida = client_id(a), idb = client_id(b);
    int64_t before = fr_clock_now_ms(srv);
    tu_block(srv, a, 1, "BLPOP k1 k2 k1 0");
    tu_block(srv, b, 2, "BLMPOP 5 1 z LEFT");
    fr_blocked_list *l = NULL;
    assert_int_equal(fr_blocked_list_get(srv, &l), FR_OK);
    assert_int_equal(l->n, 2);
    const fr_blocked_client *x = &l->clients[0], *y = &l->clients[1];
    assert_int_equal(x->client_id, ida);
    assert_string_equal(x->name, "waiter");
    assert_string_equal(x->command, "blpop");
    assert_int_equal(x->db, 3);
    assert_int_equal(x->nkeys, 2); /* k1 counted once */
    assert_string_equal(x->keys[0], "k1");
    assert_string_equal(x->keys[1], "k2");
    assert_int_equal(x->key_lens[1], 2);
    assert_true(x->since_ms >= before);
    assert_int_equal(x->deadline_ms, 0);
    assert_int_equal(y->client_id, idb);
    assert_string_equal(y->name, "");
    assert_string_equal(y->command, "blmpop");
    assert_int_equal(y->db, 0);
    assert_int_equal(y->nkeys, 1);
    /* the timeout counts from when the command was read (as Redis), which
     * may be a millisecond before the client was put to wait */
    assert_true(y->deadline_ms >= before + 5000);
    assert_true(y->deadline_ms <= y->since_ms + 5000);
    fr_blocked_list_free(l);

    /* fr_exec's pseudo client never blocks */
    fr_reply *r = fr_execf(srv, "BLPOP k1 0");
    assert_non_null(r);
    assert_int_equal(r->type, FR_REPLY_NIL);
    fr_reply_free(r);

    redisContext *c = tu_connect(srv);
    assert_int_equal(tu_cmd_int(c, "CLIENT UNBLOCK %lld", ida), 1);
    tu_expect_nil(a);
    assert_int_equal(tu_cmd_int(c, "CLIENT UNBLOCK %lld", idb), 1);
    tu_expect_nil(b);
    redisFree(c);
    assert_int_equal(fr_blocked_count(srv), 0);
    assert_int_equal(fr_blocked_wait(srv, 1, 10), FR_ERR_TIMEOUT);
    redisFree(a);
    redisFree(b);
}

/* Stopping the server with clients still blocked (one with a timeout
 * armed) frees everything: valgrind/ASan runs of this test prove it. */
static void test_stop_while_blocked(void **state)
{
    fr_server *srv = *state;
    redisContext *a = tu_connect(srv), *b = tu_connect(srv);
    tu_block(srv, a, 1, "BLPOP k 0");
    tu_block(srv, b, 2, "BRPOPLPUSH k d 30");
    fr_server_stop(srv);
    *state = NULL;
    /* both see the connection close, no reply */
    void *r = NULL;
    assert_int_equal(redisGetReply(a, &r), REDIS_ERR);
    assert_int_equal(redisGetReply(b, &r), REDIS_ERR);
    redisFree(a);
    redisFree(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_wake_by_push, fr_fixture_setup, fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_first_blocked_first_served, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_lmove_wakes, fr_fixture_setup, fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_blmove_chain, fr_fixture_setup, fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_wake_after_exec, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_timeout_real_clock, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_timeout_frozen_clock, fr_fixture_setup_frozen,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_disconnect_while_blocked, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_client_unblock, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_pipeline_behind_block, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_blocked_list_api, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_stop_while_blocked, fr_fixture_setup,
                                        fr_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
