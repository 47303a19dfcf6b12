/* Streams against a live fake with several hiredis clients: blocking
 * XREAD/XREADGROUP woken by XADD from another client, from MULTI/EXEC and
 * from the C API, in blocking order; timeouts on the real and on a frozen
 * clock; CLIENT UNBLOCK and the blocked-clients API; a disconnect while
 * blocked; a blocked XREADGROUP told that its group or key is gone; the
 * exact bytes a blocked RESP3 reader gets; idle times on the frozen clock;
 * DUMP/RESTORE and COPY round trips; the stream inspection API and
 * fr_dump. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "fakeredis/blocking.h"
#include "fakeredis/fakeredis.h"
#include "fakeredis/harness.h"
#include "fakeredis/inspect.h"
#include "support/rawsock.h"
#include "support/testutil.h"

/* The next reply is XREAD's (RESP2): one stream, key, with these IDs. */
static void expect_read(redisContext *c, const char *key, int n, ...)
{
    redisReply *r = tu_next_reply(c);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 1);
    redisReply *s = r->element[0];
    assert_int_equal(s->elements, 2);
    assert_string_equal(s->element[0]->str, key);
    assert_int_equal(s->element[1]->elements, n);
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        assert_string_equal(s->element[1]->element[i]->element[0]->str, va_arg(ap, const char *));
    va_end(ap);
    freeReplyObject(r);
}

static void expect_error(redisContext *c, const char *text)
{
    redisReply *r = tu_next_reply(c);
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_string_equal(r->str, text);
    freeReplyObject(r);
}

static long long client_id(redisContext *c)
{
    return tu_cmd_int(c, "CLIENT ID");
}

static void test_wake_in_blocking_order(void **state)
{
    fr_server *srv = *state;
    redisContext *a = tu_connect(srv), *b = tu_connect(srv), *c = tu_connect(srv),
                 *p = tu_connect(srv);
    tu_cmd_ok(p, "XGROUP CREATE s g $ MKSTREAM");
    tu_block(srv, a, 1, "XREAD BLOCK 0 STREAMS s $");
    tu_block(srv, b, 2, "XREADGROUP GROUP g c1 BLOCK 0 STREAMS s >");
    tu_block(srv, c, 3, "XREADGROUP GROUP g c2 BLOCK 0 COUNT 10 STREAMS s >");
    assert_false(tu_readable_within(a, 20));
    /* one entry: the plain reader and the first group reader get it, the
     * second group reader has nothing new and keeps waiting */
    tu_cmd_str(p, REDIS_REPLY_STRING, "1-1", "XADD s 1-1 f v");
    expect_read(a, "s", 1, "1-1");
    expect_read(b, "s", 1, "1-1");
    assert_false(tu_readable_within(c, 20));
    assert_int_equal(fr_blocked_count(srv), 1);
    tu_cmd_str(p, REDIS_REPLY_STRING, "2-1", "XADD s 2-1 f v");
    expect_read(c, "s", 1, "2-1");
    assert_int_equal(fr_blocked_count(srv), 0);
    /* each delivered entry is pending for its own consumer */
    fr_stream_pending_list *pl = NULL;
    assert_int_equal(fr_stream_pending(srv, "s", "g", NULL, &pl), FR_OK);
    assert_int_equal(pl->n, 2);
    assert_string_equal(pl->entries[0].consumer, "c1");
    assert_string_equal(pl->entries[1].consumer, "c2");
    fr_stream_pending_free(pl);
    redisFree(a);
    redisFree(b);
    redisFree(c);
    redisFree(p);
}

static void test_wake_after_exec(void **state)
{
    fr_server *srv = *state;
    redisContext *a = tu_connect(srv), *p = tu_connect(srv);
    tu_block(srv, a, 1, "XREAD BLOCK 0 STREAMS m $");
    tu_cmd_ok(p, "MULTI");
    tu_cmd_str(p, REDIS_REPLY_STATUS, "QUEUED", "XADD m 1-1 f v");
    tu_cmd_str(p, REDIS_REPLY_STATUS, "QUEUED", "XADD m 2-1 f v");
    /* nothing before EXEC */
    assert_false(tu_readable_within(a, 30));
    redisReply *r = tu_cmd(p, "EXEC");
    assert_int_equal(r->elements, 2);
    freeReplyObject(r);
    /* served once EXEC is over: both entries in one reply */
    expect_read(a, "m", 2, "1-1", "2-1");
    /* a blocking read inside MULTI answers at once */
    tu_cmd_ok(p, "MULTI");
    tu_cmd_str(p, REDIS_REPLY_STATUS, "QUEUED", "XREAD BLOCK 0 STREAMS m $");
    r = tu_cmd(p, "EXEC");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->element[0]->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
    redisFree(a);
    redisFree(p);
}

static void test_wake_from_c_api(void **state)
{
    fr_server *srv = *state;
    redisContext *a = tu_connect(srv);
    tu_block(srv, a, 1, "XREAD BLOCK 0 COUNT 1 STREAMS api 0");
    fr_reply *r = fr_execf(srv, "XADD api 7-7 from %s", "c");
    assert_non_null(r);
    assert_string_equal(r->str, "7-7");
    fr_reply_free(r);
    expect_read(a, "api", 1, "7-7");
    /* fr_exec's client never blocks: it answers the null at once */
    r = fr_execf(srv, "XREAD BLOCK 0 STREAMS api $");
    assert_non_null(r);
    assert_int_equal(r->type, FR_REPLY_NIL);
    fr_reply_free(r);
    assert_int_equal(fr_blocked_count(srv), 0);
    redisFree(a);
}

static void test_timeout_real_clock(void **state)
{
    fr_server *srv = *state;
    redisContext *a = tu_connect(srv);
    long long t0 = tu_mono_ms();
    tu_cmd_nil(a, "XREAD BLOCK 30 STREAMS nothing $");
    assert_true(tu_mono_ms() - t0 >= 25);
    tu_cmd_ok(a, "XGROUP CREATE s g $ MKSTREAM");
    tu_cmd_nil(a, "XREADGROUP GROUP g c BLOCK 20 STREAMS s >");
    assert_int_equal(fr_blocked_count(srv), 0);
    redisFree(a);
}

static void test_timeout_frozen_clock(void **state)
{
    fr_server *srv = *state;
    redisContext *a = tu_connect(srv), *b = tu_connect(srv), *p = tu_connect(srv);
    int64_t now = fr_clock_now_ms(srv);
    tu_block(srv, a, 1, "XREAD BLOCK 50 STREAMS k $");
    fr_blocked_list *l = NULL;
    assert_int_equal(fr_blocked_list_get(srv, &l), FR_OK);
    assert_int_equal(l->n, 1);
    assert_string_equal(l->clients[0].command, "xread");
    assert_string_equal(l->clients[0].keys[0], "k");
    assert_int_equal(l->clients[0].since_ms, now);
    assert_int_equal(l->clients[0].deadline_ms, now + 50); /* milliseconds */
    fr_blocked_list_free(l);
    /* past the timeout in real time: the frozen clock holds it */
    assert_false(tu_readable_within(a, 150));
    assert_int_equal(fr_clock_advance(srv, 49), FR_OK);
    assert_false(tu_readable_within(a, 20));
    assert_int_equal(fr_clock_advance(srv, 1), FR_OK);
    tu_expect_nil(a);

    /* two deadlines: an advance fires exactly the due one */
    tu_cmd_ok(p, "XGROUP CREATE q g $ MKSTREAM");
    tu_block(srv, a, 1, "XREADGROUP GROUP g c BLOCK 1000 STREAMS q >");
    tu_block(srv, b, 2, "XREAD BLOCK 2000 STREAMS q $");
    assert_int_equal(fr_clock_advance(srv, 1500), FR_OK);
    tu_expect_nil(a);
    assert_false(tu_readable_within(b, 20));
    tu_cmd_str(p, REDIS_REPLY_STRING, "1-1", "XADD q 1-1 f v");
    expect_read(b, "q", 1, "1-1");
    redisFree(a);
    redisFree(b);
    redisFree(p);
}

static void test_client_unblock(void **state)
{
    fr_server *srv = *state;
    redisContext *a = tu_connect(srv), *b = tu_connect(srv);
    long long id = client_id(a);
    tu_block(srv, a, 1, "XREAD BLOCK 0 STREAMS u $");
    assert_int_equal(tu_cmd_int(b, "CLIENT UNBLOCK %lld", id), 1);
    tu_expect_nil(a);
    tu_cmd_ok(b, "XGROUP CREATE u g $ MKSTREAM");
    tu_block(srv, a, 1, "XREADGROUP GROUP g c BLOCK 0 STREAMS u >");
    assert_int_equal(tu_cmd_int(b, "CLIENT UNBLOCK %lld ERROR", id), 1);
    expect_error(a, "UNBLOCKED client unblocked via CLIENT UNBLOCK");
    /* the connection goes on; the consumer was never created */
    tu_cmd_str(a, REDIS_REPLY_STATUS, "PONG", "PING");
    redisReply *r = tu_cmd(b, "XINFO CONSUMERS u g");
    assert_int_equal(r->elements, 0);
    freeReplyObject(r);
    redisFree(a);
    redisFree(b);
}

static void test_disconnect_while_blocked(void **state)
{
    fr_server *srv = *state;
    redisContext *a = tu_connect(srv), *p = tu_connect(srv);
    tu_cmd_ok(p, "XGROUP CREATE d g $ MKSTREAM");
    tu_block(srv, a, 1, "XREADGROUP GROUP g gone BLOCK 0 STREAMS d >");
    redisFree(a);
    assert_int_equal(fr_wait_until(tu_none_blocked, srv, TU_WAIT_MS), FR_OK);
    /* nothing is delivered to a client that is gone */
    tu_cmd_str(p, REDIS_REPLY_STRING, "1-1", "XADD d 1-1 f v");
    fr_stream_group_list *g = NULL;
    assert_int_equal(fr_stream_groups(srv, "d", &g), FR_OK);
    assert_int_equal(g->n, 1);
    assert_int_equal(g->groups[0].pending, 0);
    assert_int_equal(g->groups[0].consumers, 0);
    assert_string_equal(g->groups[0].last_delivered_id, "0-0");
    fr_stream_groups_free(g);
    redisFree(p);
}

static void test_group_or_key_gone(void **state)
{
    fr_server *srv = *state;
    redisContext *a = tu_connect(srv), *p = tu_connect(srv);
    tu_cmd_ok(p, "XGROUP CREATE x g $ MKSTREAM");
    tu_block(srv, a, 1, "XREADGROUP GROUP g c BLOCK 0 STREAMS x >");
    assert_int_equal(tu_cmd_int(p, "XGROUP DESTROY x g"), 1);
    expect_error(a, "NOGROUP the consumer group this client was blocked on no longer exists");
    tu_cmd_ok(p, "XGROUP CREATE x g $");
    tu_block(srv, a, 1, "XREADGROUP GROUP g c BLOCK 0 STREAMS x >");
    assert_int_equal(tu_cmd_int(p, "UNLINK x"), 1);
    expect_error(a, "UNBLOCKED the stream key no longer exists");
    /* expiry on the frozen clock's advance */
    tu_cmd_ok(p, "XGROUP CREATE x g $ MKSTREAM");
    assert_int_equal(tu_cmd_int(p, "PEXPIRE x 100"), 1);
    tu_block(srv, a, 1, "XREADGROUP GROUP g c BLOCK 0 STREAMS x >");
    assert_int_equal(fr_clock_advance(srv, 100), FR_OK);
    expect_error(a, "UNBLOCKED the stream key no longer exists");
    /* a plain reader keeps waiting through a deletion */
    tu_block(srv, a, 1, "XREAD BLOCK 0 STREAMS x 5-0");
    tu_cmd_str(p, REDIS_REPLY_STRING, "1-1", "XADD x 1-1 f v");
    assert_int_equal(tu_cmd_int(p, "DEL x"), 1);
    assert_false(tu_readable_within(a, 20));
    tu_cmd_str(p, REDIS_REPLY_STRING, "6-1", "XADD x 6-1 f v");
    expect_read(a, "x", 1, "6-1");
    redisFree(a);
    redisFree(p);
}

/* The bytes a blocked RESP3 reader gets: a one-pair map. */
static void test_resp3_bytes(void **state)
{
    fr_server *srv = *state;
    int fd = rs_connect_srv(srv);
    /* HELLO 3's map, then PING's +PONG: read up to the PONG */
    rs_send(fd, "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n*1\r\n$4\r\nPING\r\n");
    char buf[1024];
    size_t got = 0;
    while (got < sizeof buf && (got < 7 || memcmp(buf + got - 7, "+PONG\r\n", 7)))
        assert_int_equal(rs_read_n(fd, buf + got++, 1, RS_WAIT_MS, NULL), 1);
    assert_int_equal(buf[0], '%');
    rs_send(
        fd,
        "*6\r\n$5\r\nXREAD\r\n$5\r\nBLOCK\r\n$1\r\n0\r\n$7\r\nSTREAMS\r\n$1\r\nr\r\n$1\r\n$\r\n");
    assert_int_equal(fr_blocked_wait(srv, 1, TU_WAIT_MS), FR_OK);
    fr_reply *r = fr_execf(srv, "XADD r 1-1 f v");
    fr_reply_free(r);
    rs_expect(fd, "%1\r\n$1\r\nr\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n");
    /* and the timeout is RESP3's null */
    rs_send(
        fd,
        "*6\r\n$5\r\nXREAD\r\n$5\r\nBLOCK\r\n$2\r\n10\r\n$7\r\nSTREAMS\r\n$1\r\nr\r\n$1\r\n$\r\n");
    rs_expect(fd, "_\r\n");
    close(fd);
}

static void test_idle_on_frozen_clock(void **state)
{
    fr_server *srv = *state;
    redisContext *a = tu_connect(srv);
    tu_cmd_str(a, REDIS_REPLY_STRING, "1-1", "XADD j 1-1 n 1");
    tu_cmd_str(a, REDIS_REPLY_STRING, "2-1", "XADD j 2-1 n 2");
    tu_cmd_ok(a, "XGROUP CREATE j g 0");
    freeReplyObject(tu_cmd(a, "XREADGROUP GROUP g w1 STREAMS j >"));
    assert_int_equal(fr_clock_advance(srv, 1500), FR_OK);
    fr_stream_pending_list *pl = NULL;
    assert_int_equal(fr_stream_pending(srv, "j", "g", "w1", &pl), FR_OK);
    assert_int_equal(pl->n, 2);
    assert_int_equal(pl->entries[0].idle_ms, 1500);
    assert_int_equal(pl->entries[0].deliveries, 1);
    fr_stream_pending_free(pl);
    /* idle for 1500 ms: XAUTOCLAIM with min-idle 1000 takes both */
    redisReply *r = tu_cmd(a, "XAUTOCLAIM j g w2 1000 0 JUSTID");
    assert_string_equal(r->element[0]->str, "0-0");
    assert_int_equal(r->element[1]->elements, 2);
    freeReplyObject(r);
    r = tu_cmd(a, "XAUTOCLAIM j g w3 1000 0 JUSTID");
    assert_int_equal(r->element[1]->elements, 0); /* just claimed: idle 0 */
    freeReplyObject(r);
    assert_int_equal(fr_clock_advance(srv, 250), FR_OK);
    fr_stream_consumer_list *cl = NULL;
    assert_int_equal(fr_stream_consumers(srv, "j", "g", &cl), FR_OK);
    assert_int_equal(cl->n, 3);
    assert_string_equal(cl->consumers[1].name, "w2");
    assert_int_equal(cl->consumers[1].pending, 2);
    assert_int_equal(cl->consumers[1].idle_ms, 250);
    assert_int_equal(cl->consumers[0].idle_ms, 1750);
    fr_stream_consumers_free(cl);
    redisFree(a);
}

/* DUMP/RESTORE and COPY keep entries, deletions, node layout, groups,
 * PELs, consumers and the counters. */
static void test_dump_restore_copy(void **state)
{
    fr_server *srv = *state;
    redisContext *a = tu_connect(srv);
    tu_cmd_ok(a, "CONFIG SET stream-node-max-entries 2");
    for (int i = 1; i <= 7; i++)
        freeReplyObject(tu_cmd(a, "XADD o %d-1 f %d", i, i));
    assert_int_equal(tu_cmd_int(a, "XDEL o 2-1 5-1"), 2);
    tu_cmd_ok(a, "XGROUP CREATE o g 0");
    freeReplyObject(tu_cmd(a, "XREADGROUP GROUP g alice COUNT 2 STREAMS o >"));
    freeReplyObject(tu_cmd(a, "XREADGROUP GROUP g bob COUNT 1 STREAMS o >"));
    tu_cmd_ok(a, "XGROUP CREATE o empty $");
    assert_int_equal(tu_cmd_int(a, "XGROUP CREATECONSUMER o g carol"), 1);
    redisReply *dump = tu_cmd(a, "DUMP o");
    assert_int_equal(dump->type, REDIS_REPLY_STRING);
    redisReply *r = tu_cmd(a, "RESTORE o2 0 %b", dump->str, dump->len);
    assert_string_equal(r->str, "OK");
    freeReplyObject(r);
    assert_int_equal(tu_cmd_int(a, "COPY o o3"), 1);
    redisReply *want = tu_cmd(a, "XINFO STREAM o FULL");
    for (int k = 2; k <= 3; k++) {
        redisReply *got = tu_cmd(a, "XINFO STREAM o%d FULL", k);
        /* the frozen clock makes even the times equal */
        assert_int_equal(got->elements, want->elements);
        for (size_t i = 0; i < want->elements; i++) {
            redisReply *w = want->element[i], *g = got->element[i];
            assert_int_equal(g->type, w->type);
            if (w->type == REDIS_REPLY_INTEGER)
                assert_int_equal(g->integer, w->integer);
            else if (w->type == REDIS_REPLY_STRING)
                assert_string_equal(g->str, w->str);
            else
                assert_int_equal(g->elements, w->elements);
        }
        freeReplyObject(got);
    }
    freeReplyObject(want);
    /* the copies are independent */
    assert_int_equal(tu_cmd_int(a, "XACK o2 g 1-1"), 1);
    assert_int_equal(tu_cmd_int(a, "XACK o3 g 1-1"), 1);
    assert_int_equal(tu_cmd_int(a, "XACK o g 1-1"), 1);
    /* a payload cut short or changed is refused */
    r = tu_cmd(a, "RESTORE o4 0 %b", dump->str, dump->len - 3);
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    freeReplyObject(r);
    freeReplyObject(dump);
    tu_cmd_ok(a, "CONFIG SET stream-node-max-entries 100");
    redisFree(a);
}

static void test_inspection_api(void **state)
{
    fr_server *srv = *state;
    fr_stream_entries *e = NULL;
    assert_int_equal(fr_stream_range(srv, "none", NULL, NULL, 0, &e), FR_ERR_NOKEY);
    assert_null(e);
    fr_reply_free(fr_execf(srv, "XADD s 1-1 name %b n 1", "a\0b", (size_t)3));
    fr_reply_free(fr_execf(srv, "XADD s 2-1 name b"));
    fr_reply_free(fr_execf(srv, "XADD s 3-1 name c"));
    assert_int_equal(fr_stream_range(srv, "s", NULL, NULL, 0, &e), FR_OK);
    assert_int_equal(e->n, 3);
    assert_string_equal(e->entries[0].id, "1-1");
    assert_int_equal(e->entries[0].nfields, 2);
    assert_string_equal(e->entries[0].fields[0], "name");
    assert_int_equal(e->entries[0].value_lens[0], 3);
    assert_memory_equal(e->entries[0].values[0], "a\0b", 3);
    assert_string_equal(e->entries[0].values[1], "1");
    fr_stream_entries_free(e);
    assert_int_equal(fr_stream_range(srv, "s", "(1-1", "+", 1, &e), FR_OK);
    assert_int_equal(e->n, 1);
    assert_string_equal(e->entries[0].id, "2-1");
    fr_stream_entries_free(e);
    fr_reply_free(fr_execf(srv, "XADD empty 1-1 f v"));
    fr_reply_free(fr_execf(srv, "XDEL empty 1-1"));
    assert_int_equal(fr_stream_range(srv, "empty", NULL, NULL, 0, &e), FR_OK);
    assert_int_equal(e->n, 0);
    fr_stream_entries_free(e);
    assert_int_equal(fr_stream_range(srv, "s", "bad", NULL, 0, &e), FR_ERR_REPLY);
    assert_string_equal(fr_server_errstr(srv),
                        "ERR Invalid stream ID specified as stream command argument");

    fr_stream_group_list *g = NULL;
    assert_int_equal(fr_stream_groups(srv, "none", &g), FR_ERR_NOKEY);
    assert_int_equal(fr_stream_groups(srv, "s", &g), FR_OK);
    assert_int_equal(g->n, 0);
    fr_stream_groups_free(g);
    fr_reply_free(fr_execf(srv, "XGROUP CREATE s g 0"));
    fr_reply_free(fr_execf(srv, "XGROUP CREATE s a $"));
    fr_reply_free(fr_execf(srv, "XREADGROUP GROUP g w COUNT 2 STREAMS s >"));
    assert_int_equal(fr_stream_groups(srv, "s", &g), FR_OK);
    assert_int_equal(g->n, 2);
    assert_string_equal(g->groups[0].name, "a");
    assert_int_equal(g->groups[0].entries_read, -1);
    assert_int_equal(g->groups[0].lag, 0);
    assert_string_equal(g->groups[1].name, "g");
    assert_int_equal(g->groups[1].pending, 2);
    assert_int_equal(g->groups[1].consumers, 1);
    assert_int_equal(g->groups[1].entries_read, 2);
    assert_int_equal(g->groups[1].lag, 1);
    assert_string_equal(g->groups[1].last_delivered_id, "2-1");
    fr_stream_groups_free(g);

    fr_stream_pending_list *p = NULL;
    assert_int_equal(fr_stream_pending(srv, "s", "nogroup", NULL, &p), FR_ERR_REPLY);
    assert_null(p);
    assert_int_equal(fr_stream_pending(srv, "s", "g", NULL, &p), FR_OK);
    assert_int_equal(p->n, 2);
    assert_string_equal(p->entries[1].id, "2-1");
    assert_string_equal(p->entries[1].consumer, "w");
    fr_stream_pending_free(p);
    assert_int_equal(fr_stream_pending(srv, "s", "g", "other", &p), FR_OK);
    assert_int_equal(p->n, 0);
    fr_stream_pending_free(p);

    fr_stream_consumer_list *c = NULL;
    assert_int_equal(fr_stream_consumers(srv, "s", "nogroup", &c), FR_ERR_REPLY);
    assert_int_equal(fr_stream_consumers(srv, "none", "g", &c), FR_ERR_NOKEY);
    assert_int_equal(fr_stream_consumers(srv, "s", "g", &c), FR_OK);
    assert_int_equal(c->n, 1);
    assert_string_equal(c->consumers[0].name, "w");
    assert_int_equal(c->consumers[0].pending, 2);
    fr_stream_consumers_free(c);

    fr_reply_free(fr_execf(srv, "SET str x"));
    assert_int_equal(fr_stream_range(srv, "str", NULL, NULL, 0, &e), FR_ERR_REPLY);
    assert_int_equal(fr_stream_groups(srv, "str", &g), FR_ERR_REPLY);
    assert_int_equal(fr_stream_range(NULL, "s", NULL, NULL, 0, &e), FR_ERR_ARG);
    fr_stream_entries_free(NULL);
    fr_stream_groups_free(NULL);
    fr_stream_pending_free(NULL);
    fr_stream_consumers_free(NULL);

    /* fr_dump shows the stream's entries */
    char *text = NULL;
    assert_int_equal(fr_dump(srv, 0, &text), FR_OK);
    assert_non_null(strstr(text, "\"s\" stream [[\"1-1\", [\"name\", \"a\\x00b\", \"n\", \"1\"]]"));
    free(text);
    const char *type = NULL;
    assert_int_equal(fr_type(srv, "s", &type), FR_OK);
    assert_string_equal(type, "stream");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_wake_in_blocking_order, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_wake_after_exec, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_wake_from_c_api, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_timeout_real_clock, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_timeout_frozen_clock, fr_fixture_setup_frozen,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_client_unblock, fr_fixture_setup, fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_disconnect_while_blocked, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_group_or_key_gone, fr_fixture_setup_frozen,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_resp3_bytes, fr_fixture_setup, fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_idle_on_frozen_clock, fr_fixture_setup_frozen,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_dump_restore_copy, fr_fixture_setup_frozen,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_inspection_api, fr_fixture_setup, fr_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
