/* MIGRATE over the wire: between two fakes (TTL kept, COPY, REPLACE,
 * KEYS, the target's errors as Redis words them, AUTH, a refused
 * connection), from a fake to a real redis-server and back, and between
 * the nodes of a cluster during a slot migration (RESTORE-ASKING on the
 * importing node). The client waits for the target's answer while the
 * server goes on serving others. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "fakeredis/cluster.h"
#include "fakeredis/fakeredis.h"
#include "fakeredis/fault.h"
#include "support/child.h"
#include "support/testutil.h"

typedef struct pair {
    fr_server *src, *dst;
    redisContext *s, *d;
} pair;

static int setup(void **state)
{
    static pair p;
    p.src = tu_start();
    p.dst = tu_start();
    p.s = tu_connect(p.src);
    p.d = tu_connect(p.dst);
    *state = &p;
    return 0;
}

static int teardown(void **state)
{
    pair *p = *state;
    redisFree(p->s);
    redisFree(p->d);
    fr_server_stop(p->src);
    fr_server_stop(p->dst);
    return tu_children_teardown(state);
}

static void expect_error(redisContext *c, const char *want, const char *fmt, int port)
{
    redisReply *r = redisCommand(c, fmt, port);
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_string_equal(r->str, want);
    freeReplyObject(r);
}

static void test_between_two_fakes(void **state)
{
    pair *p = *state;
    int port = fr_server_port(p->dst);
    tu_cmd_ok(p->s, "SET k v PX 60000");
    tu_cmd_str(p->s, REDIS_REPLY_STATUS, "OK", "MIGRATE 127.0.0.1 %d k 0 1000", port);
    assert_int_equal(tu_cmd_int(p->s, "EXISTS k"), 0);
    tu_cmd_str(p->d, REDIS_REPLY_STRING, "v", "GET k");
    long long ttl = tu_cmd_int(p->d, "PTTL k");
    assert_true(ttl > 50000 && ttl <= 60000);
    /* the key is there now: BUSYKEY, and the source keeps its copy */
    tu_cmd_ok(p->s, "SET k v2");
    expect_error(p->s,
                 "ERR Target instance replied with error: BUSYKEY Target key name already exists.",
                 "MIGRATE 127.0.0.1 %d k 0 1000", port);
    tu_cmd_str(p->s, REDIS_REPLY_STRING, "v2", "GET k");
    tu_cmd_str(p->s, REDIS_REPLY_STATUS, "OK", "MIGRATE 127.0.0.1 %d k 0 1000 COPY REPLACE", port);
    tu_cmd_str(p->s, REDIS_REPLY_STRING, "v2", "GET k");
    tu_cmd_str(p->d, REDIS_REPLY_STRING, "v2", "GET k");
    /* several keys, one missing, into database 3 */
    tu_cmd_ok(p->s, "MSET a 1 b 2");
    tu_cmd_str(p->s, REDIS_REPLY_STATUS, "OK", "MIGRATE 127.0.0.1 %d %s 3 1000 KEYS a nokey b",
               port, "");
    assert_int_equal(tu_cmd_int(p->s, "EXISTS a b"), 0);
    tu_cmd_ok(p->d, "SELECT 3");
    tu_cmd_str(p->d, REDIS_REPLY_STRING, "2", "GET b");
    tu_cmd_ok(p->d, "SELECT 0");
    tu_cmd_str(p->s, REDIS_REPLY_STATUS, "NOKEY", "MIGRATE 127.0.0.1 %d nokey 0 1000", port);
    expect_error(p->s, "ERR Target instance replied with error: ERR DB index is out of range",
                 "MIGRATE 127.0.0.1 %d k 99 1000", port);
    /* inside EXEC the exchange runs in place (the target has its own thread) */
    tu_cmd_ok(p->s, "SET m 1");
    tu_cmd_ok(p->s, "MULTI");
    redisReply *q = tu_cmd(p->s, "MIGRATE 127.0.0.1 %d m 0 1000", port);
    freeReplyObject(q);
    redisReply *r = tu_cmd(p->s, "EXEC");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_string_equal(r->element[0]->str, "OK");
    freeReplyObject(r);
    tu_cmd_str(p->d, REDIS_REPLY_STRING, "1", "GET m");
    tu_cmd_ok(p->s, "FLUSHALL");
    tu_cmd_ok(p->d, "FLUSHALL");
}

static void test_auth_and_errors(void **state)
{
    pair *p = *state;
    fr_options o = {.requirepass = "secret"};
    fr_server *locked;
    assert_int_equal(fr_server_start(&o, &locked), FR_OK);
    int port = fr_server_port(locked);
    tu_cmd_ok(p->s, "SET k v");
    expect_error(p->s, "ERR Target instance replied with error: NOAUTH Authentication required.",
                 "MIGRATE 127.0.0.1 %d k 0 1000", port);
    expect_error(p->s,
                 "ERR Target instance replied with error: WRONGPASS invalid username-password "
                 "pair or user is disabled.",
                 "MIGRATE 127.0.0.1 %d k 0 1000 AUTH nope", port);
    tu_cmd_str(p->s, REDIS_REPLY_STATUS, "OK", "MIGRATE 127.0.0.1 %d k 0 1000 AUTH2 default secret",
               port);
    fr_server_stop(locked);
    /* nobody listens there any more */
    tu_cmd_ok(p->s, "SET k v");
    expect_error(p->s, "IOERR error or timeout writing to target instance",
                 "MIGRATE 127.0.0.1 %d k 0 1000", port);
    tu_cmd_str(p->s, REDIS_REPLY_STRING, "v", "GET k");
    tu_cmd_ok(p->s, "FLUSHALL");
}

/* The client waits for the target; the server goes on serving others. */
static void test_client_waits_server_serves(void **state)
{
    pair *p = *state;
    int port = fr_server_port(p->dst);
    tu_cmd_ok(p->s, "SET k v");
    /* the target answers RESTORE 300 ms late */
    uint64_t id;
    assert_int_equal(fr_fault_add_text(p->dst, "cmd=RESTORE action=delay ms=300", &id), FR_OK);
    assert_int_equal(redisAppendCommand(p->s, "MIGRATE 127.0.0.1 %d k 0 2000", port), REDIS_OK);
    int done = 0;
    while (!done)
        assert_int_equal(redisBufferWrite(p->s, &done), REDIS_OK);
    redisContext *other = tu_connect(p->src);
    tu_cmd_str(other, REDIS_REPLY_STATUS, "PONG", "PING");
    tu_cmd_str(other, REDIS_REPLY_STRING, "v", "GET k"); /* not gone yet */
    redisReply *r = NULL;
    assert_int_equal(redisGetReply(p->s, (void **)&r), REDIS_OK);
    assert_string_equal(r->str, "OK");
    freeReplyObject(r);
    tu_cmd_nil(other, "GET k");
    /* a target that stays silent past the timeout */
    tu_cmd_ok(p->s, "SET k v");
    expect_error(p->s, "IOERR error or timeout reading to target instance",
                 "MIGRATE 127.0.0.1 %d k 0 100", port);
    tu_cmd_str(p->s, REDIS_REPLY_STRING, "v", "GET k");
    assert_int_equal(fr_fault_clear(p->dst, id), FR_OK);
    redisFree(other);
    tu_cmd_ok(p->s, "FLUSHALL");
    tu_cmd_ok(p->d, "FLUSHALL");
}

static void test_with_a_real_redis(void **state)
{
    pair *p = *state;
    int rport;
    if (tu_redis_start(&rport) < 0)
        skip();
    redisContext *r = tu_connect_port(rport);
    tu_cmd_ok(p->s, "SET k hello PX 60000");
    tu_cmd_str(p->s, REDIS_REPLY_STATUS, "OK", "MIGRATE 127.0.0.1 %d k 0 1000", rport);
    tu_cmd_str(r, REDIS_REPLY_STRING, "hello", "GET k");
    assert_true(tu_cmd_int(r, "PTTL k") > 50000);
    /* and back: the real server's payload restores in the fake */
    tu_cmd_str(r, REDIS_REPLY_STATUS, "OK", "MIGRATE 127.0.0.1 %d k 0 1000",
               fr_server_port(p->src));
    tu_cmd_str(p->s, REDIS_REPLY_STRING, "hello", "GET k");
    assert_int_equal(tu_cmd_int(r, "EXISTS k"), 0);
    redisFree(r);
    tu_cmd_ok(p->s, "FLUSHALL");
}

static void test_between_cluster_nodes(void **state)
{
    (void)state;
    fr_cluster *cl;
    assert_int_equal(fr_cluster_start(NULL, &cl), FR_OK);
    int slot = fr_cluster_keyslot("foo", 3); /* node 2's */
    redisContext *src = tu_connect_port(fr_server_port(fr_cluster_node(cl, 2)));
    redisContext *dst = tu_connect_port(fr_server_port(fr_cluster_node(cl, 0)));
    tu_cmd_ok(src, "SET foo bar");
    assert_int_equal(fr_cluster_migrate_begin(cl, slot, 0), FR_OK);
    /* the importing node takes it: MIGRATE sends RESTORE-ASKING */
    tu_cmd_str(src, REDIS_REPLY_STATUS, "OK", "MIGRATE 127.0.0.1 %d foo 0 1000",
               fr_server_port(fr_cluster_node(cl, 0)));
    redisReply *r = tu_cmd(src, "GET foo");
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_true(!strncmp(r->str, "ASK ", 4));
    freeReplyObject(r);
    tu_cmd_ok(dst, "ASKING");
    tu_cmd_str(dst, REDIS_REPLY_STRING, "bar", "GET foo");
    /* a plain RESTORE without ASKING is sent back to the owner */
    r = tu_cmd(dst, "RESTORE {foo}2 0 x");
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_true(!strncmp(r->str, "MOVED ", 6));
    freeReplyObject(r);
    redisFree(src);
    redisFree(dst);
    assert_int_equal(fr_cluster_migrate_end(cl, slot), FR_OK);
    fr_cluster_stop(cl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_between_two_fakes),          cmocka_unit_test(test_auth_and_errors),
        cmocka_unit_test(test_client_waits_server_serves), cmocka_unit_test(test_with_a_real_redis),
        cmocka_unit_test(test_between_cluster_nodes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
