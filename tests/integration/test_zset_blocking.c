/* BZPOPMIN, BZPOPMAX and BZMPOP with several hiredis clients against a live
 * fake: wake-up by ZADD (min and max ends, first-blocked-first-served),
 * by a STORE command, after EXEC (and not by a transaction that leaves the
 * key empty), a key of another type that does not serve, timeouts on the
 * real and on a frozen clock, disconnect while blocked, CLIENT UNBLOCK,
 * and what the blocked-clients API reports. */
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

static void test_wake_by_zadd_in_order(void **state)
{
    fr_server *srv = *state;
    redisContext *a = tu_connect(srv), *b = tu_connect(srv), *c = tu_connect(srv),
                 *p = tu_connect(srv);
    tu_block(srv, a, 1, "BZPOPMIN z 0");
    tu_block(srv, b, 2, "BZPOPMAX z 0");
    tu_block(srv, c, 3, "BZPOPMIN other z 0");
    assert_false(tu_readable_within(a, 20));
    /* one ZADD, three waiters: served first-blocked-first-served, each from
     * its own end, after the ZADD has replied */
    assert_int_equal(tu_cmd_int(p, "ZADD z 1 a 2 b 3 c 0.5 d"), 4);
    tu_expect_pop(a, "z", "d", "0.5");
    tu_expect_pop(b, "z", "c", "3");
    tu_expect_pop(c, "z", "a", "1");
    assert_int_equal(tu_cmd_int(p, "ZCARD z"), 1);
    assert_int_equal(fr_blocked_count(srv), 0);
    redisFree(a);
    redisFree(b);
    redisFree(c);
    redisFree(p);
}

static void test_bzmpop_by_store(void **state)
{
    fr_server *srv = *state;
    redisContext *a = tu_connect(srv), *p = tu_connect(srv);
    tu_block(srv, a, 1, "BZMPOP 0 2 none dst MAX COUNT 2");
    assert_int_equal(tu_cmd_int(p, "ZADD src 1 x 2 y 3 w"), 3);
    assert_false(tu_readable_within(a, 20));
    /* a STORE that creates the key wakes the waiter */
    assert_int_equal(tu_cmd_int(p, "ZUNIONSTORE dst 1 src"), 3);
    redisReply *r = tu_next_reply(a);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 2);
    assert_string_equal(r->element[0]->str, "dst");
    redisReply *pairs = r->element[1];
    assert_int_equal(pairs->elements, 2);
    assert_string_equal(pairs->element[0]->element[0]->str, "w");
    assert_string_equal(pairs->element[0]->element[1]->str, "3");
    assert_string_equal(pairs->element[1]->element[0]->str, "y");
    freeReplyObject(r);
    assert_int_equal(tu_cmd_int(p, "ZCARD dst"), 1);
    /* ZRANGESTORE too */
    tu_block(srv, a, 1, "BZPOPMIN dst2 0");
    assert_int_equal(tu_cmd_int(p, "ZRANGESTORE dst2 src 0 0"), 1);
    tu_expect_pop(a, "dst2", "x", "1");
    redisFree(a);
    redisFree(p);
}

static void test_wake_after_exec(void **state)
{
    fr_server *srv = *state;
    redisContext *a = tu_connect(srv), *p = tu_connect(srv);
    tu_block(srv, a, 1, "BZPOPMIN t 0");
    redisReply *r = tu_cmd(p, "MULTI");
    freeReplyObject(r);
    r = tu_cmd(p, "ZADD t 1 a");
    freeReplyObject(r);
    r = tu_cmd(p, "ZREM t a");
    freeReplyObject(r);
    r = tu_cmd(p, "EXEC");
    freeReplyObject(r);
    /* the key was empty again when EXEC ended: nothing to serve */
    assert_false(tu_readable_within(a, 30));
    assert_int_equal(fr_blocked_count(srv), 1);
    r = tu_cmd(p, "MULTI");
    freeReplyObject(r);
    r = tu_cmd(p, "ZADD t 7 b");
    freeReplyObject(r);
    assert_false(tu_readable_within(a, 30));
    r = tu_cmd(p, "EXEC");
    freeReplyObject(r);
    tu_expect_pop(a, "t", "b", "7");
    /* inside MULTI the blocking pops answer at once */
    r = tu_cmd(p, "MULTI");
    freeReplyObject(r);
    r = tu_cmd(p, "BZPOPMIN nothing 0");
    freeReplyObject(r);
    r = tu_cmd(p, "EXEC");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 1);
    assert_int_equal(r->element[0]->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
    redisFree(a);
    redisFree(p);
}

static void test_other_type_does_not_serve(void **state)
{
    fr_server *srv = *state;
    redisContext *a = tu_connect(srv), *p = tu_connect(srv);
    tu_block(srv, a, 1, "BZPOPMIN k 0");
    /* a list on the key: the zset waiter stays blocked */
    assert_int_equal(tu_cmd_int(p, "RPUSH k v"), 1);
    assert_false(tu_readable_within(a, 30));
    assert_int_equal(fr_blocked_count(srv), 1);
    assert_int_equal(tu_cmd_int(p, "DEL k"), 1);
    assert_int_equal(tu_cmd_int(p, "ZADD k 1 m"), 1);
    tu_expect_pop(a, "k", "m", "1");
    redisFree(a);
    redisFree(p);
}

static void test_timeout_real_clock(void **state)
{
    fr_server *srv = *state;
    redisContext *a = tu_connect(srv);
    long long t0 = tu_mono_ms();
    tu_cmd_nil(a, "BZPOPMIN nothing 0.1");
    long long took = tu_mono_ms() - t0;
    assert_true(took >= 95);
    assert_true(took < 1000);
    tu_cmd_nil(a, "BZMPOP 0.02 1 nothing MIN");
    assert_int_equal(fr_blocked_count(srv), 0);
    redisFree(a);
}

static void test_timeout_frozen_clock(void **state)
{
    fr_server *srv = *state;
    redisContext *a = tu_connect(srv), *b = tu_connect(srv);
    int64_t now = fr_clock_now_ms(srv);
    tu_block(srv, a, 1, "BZPOPMAX k 0.25");
    tu_block(srv, b, 2, "BZMPOP 1 1 k MIN");
    fr_blocked_list *l = NULL;
    assert_int_equal(fr_blocked_list_get(srv, &l), FR_OK);
    assert_int_equal(l->n, 2);
    assert_string_equal(l->clients[0].command, "bzpopmax");
    assert_int_equal(l->clients[0].nkeys, 1);
    assert_string_equal(l->clients[0].keys[0], "k");
    assert_int_equal(l->clients[0].deadline_ms, now + 250);
    assert_string_equal(l->clients[1].command, "bzmpop");
    assert_int_equal(l->clients[1].deadline_ms, now + 1000);
    fr_blocked_list_free(l);
    /* past the timeout in real time: the frozen clock holds both */
    assert_false(tu_readable_within(a, 300));
    assert_int_equal(fr_clock_advance(srv, 249), FR_OK);
    assert_false(tu_readable_within(a, 20));
    assert_int_equal(fr_clock_advance(srv, 1), FR_OK);
    tu_expect_nil(a);
    assert_false(tu_readable_within(b, 20));
    assert_int_equal(fr_clock_advance(srv, 750), FR_OK);
    tu_expect_nil(b);
    assert_int_equal(fr_blocked_count(srv), 0);
    redisFree(a);
    redisFree(b);
}

static void test_disconnect_and_unblock(void **state)
{
    fr_server *srv = *state;
    redisContext *a = tu_connect(srv), *b = tu_connect(srv), *p = tu_connect(srv);
    tu_block(srv, a, 1, "BZPOPMIN gone 0");
    redisFree(a);
    assert_int_equal(fr_wait_until(tu_none_blocked, srv, TU_WAIT_MS), FR_OK);
    /* the member is not lost to a dead client */
    assert_int_equal(tu_cmd_int(p, "ZADD gone 1 m"), 1);
    assert_int_equal(tu_cmd_int(p, "ZCARD gone"), 1);
    /* CLIENT UNBLOCK: the timeout answer, or the error */
    long long id = tu_cmd_int(b, "CLIENT ID");
    tu_block(srv, b, 1, "BZPOPMIN empty 0");
    assert_int_equal(tu_cmd_int(p, "CLIENT UNBLOCK %lld", id), 1);
    tu_expect_nil(b);
    tu_block(srv, b, 1, "BZMPOP 0 1 empty MAX");
    assert_int_equal(tu_cmd_int(p, "CLIENT UNBLOCK %lld ERROR", id), 1);
    redisReply *r = tu_next_reply(b);
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_non_null(strstr(r->str, "UNBLOCKED"));
    freeReplyObject(r);
    redisFree(b);
    redisFree(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_wake_by_zadd_in_order, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_bzmpop_by_store, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_wake_after_exec, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_other_type_does_not_serve, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_timeout_real_clock, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_timeout_frozen_clock, fr_fixture_setup_frozen,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_disconnect_and_unblock, fr_fixture_setup,
                                        fr_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
