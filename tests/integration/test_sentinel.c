/* The Sentinel over the wire, as a client that follows one sees it: a
 * master killed with fr_group_kill is +sdown, +odown, failed over with
 * Redis' events, and GET-MASTER-ADDR-BY-NAME names the promoted replica;
 * the old master, revived, is turned into a replica of the new one and
 * gets its writes; SENTINEL FAILOVER does the same on request (and
 * disconnects the old master's clients, as Redis); INFO, ROLE and the
 * SENTINEL subcommands answer in Redis' shapes; a Sentinel knows only a
 * Sentinel's commands. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "fakeredis/fakeredis.h"
#include "fakeredis/replication.h"
#include "fakeredis/sentinel.h"
#include "support/testutil.h"

/* The tests that kill the master shorten down-after to this; the others
 * keep the group's 1000 ms, so a loaded machine (sanitizers, parallel
 * builds) does not make the Sentinel see a slow master as a dead one. */
#define DOWN_AFTER 200

static void fast_detection(fr_group *g)
{
    assert_int_equal(
        fr_sentinel_set(fr_group_sentinel(g), "mymaster", "down-after-milliseconds", "200"), FR_OK);
}

static int setup(void **state)
{
    fr_group *g;
    fr_group_options o = {.replicas = 2, .sentinel = 1};
    if (fr_group_start(&o, &g) != FR_OK)
        return -1;
    *state = g;
    return 0;
}

static int teardown(void **state)
{
    fr_group_stop(*state);
    return 0;
}

static int port_of(fr_group *g, int i)
{
    return fr_server_port(fr_group_server(g, i));
}

static int addr_port(redisContext *s)
{
    redisReply *a = tu_cmd(s, "SENTINEL GET-MASTER-ADDR-BY-NAME mymaster");
    assert_int_equal(a->type, REDIS_REPLY_ARRAY);
    assert_int_equal(a->elements, 2);
    assert_string_equal(a->element[0]->str, "127.0.0.1");
    int port = atoi(a->element[1]->str);
    freeReplyObject(a);
    return port;
}

/* Read the Sentinel's events (PSUBSCRIBE *) until channel; its message is
 * copied to msg. Fails the test when it does not come within 50 events. */
static void expect_event(redisContext *sub, const char *channel, char *msg, size_t cap)
{
    for (int i = 0; i < 50; i++) {
        redisReply *ev = tu_next_reply(sub);
        assert_int_equal(ev->elements, 4);
        int hit = !strcmp(ev->element[2]->str, channel);
        if (hit && msg)
            snprintf(msg, cap, "%s", ev->element[3]->str);
        freeReplyObject(ev);
        if (hit)
            return;
    }
    fail_msg("no %s event", channel);
}

static redisContext *subscribe_all(fr_server *sen)
{
    redisContext *sub = tu_connect(sen);
    freeReplyObject(tu_cmd(sub, "PSUBSCRIBE *"));
    return sub;
}

/* ROLE on the server at port until it is a replica of master_port, with
 * its link up; bounded. */
static void wait_replica_of(int port, int master_port)
{
    long long deadline = tu_mono_ms() + 5000;
    for (;;) {
        redisContext *c = redisConnect("127.0.0.1", port);
        if (c && !c->err) {
            redisReply *r = redisCommand(c, "ROLE");
            int ok = r && r->type == REDIS_REPLY_ARRAY && r->elements == 5 &&
                     !strcmp(r->element[0]->str, "slave") &&
                     r->element[2]->integer == master_port &&
                     !strcmp(r->element[3]->str, "connected");
            freeReplyObject(r);
            redisFree(c);
            if (ok)
                return;
        } else if (c) {
            redisFree(c);
        }
        assert_true(tu_mono_ms() < deadline);
        struct timeval tv = {0, 5000};
        select(0, NULL, NULL, NULL, &tv);
    }
}

static void test_killed_master_fails_over(void **state)
{
    fr_group *g = *state;
    fr_server *sen = fr_group_sentinel(g);
    fast_detection(g);
    redisContext *s = tu_connect(sen), *sub = subscribe_all(sen);
    int old = port_of(g, 0);
    assert_int_equal(addr_port(s), old);
    redisContext *m = tu_connect_port(old);
    tu_cmd_ok(m, "SET k before");
    assert_int_equal(tu_cmd_int(m, "WAIT 2 2000"), 2);

    assert_int_equal(fr_group_kill(g, 0), FR_OK);
    redisContext *refused = redisConnect("127.0.0.1", old);
    assert_true(refused->err != 0);
    redisFree(refused);
    char msg[256], want[256];
    expect_event(sub, "+sdown", msg, sizeof msg);
    snprintf(want, sizeof want, "master mymaster 127.0.0.1 %d", old);
    assert_string_equal(msg, want);
    expect_event(sub, "+odown", msg, sizeof msg);
    snprintf(want, sizeof want, "master mymaster 127.0.0.1 %d #quorum 1/1", old);
    assert_string_equal(msg, want);
    expect_event(sub, "+try-failover", NULL, 0);
    expect_event(sub, "+selected-slave", NULL, 0);
    expect_event(sub, "+promoted-slave", NULL, 0);
    expect_event(sub, "+failover-end", NULL, 0);
    expect_event(sub, "+switch-master", msg, sizeof msg);
    int now = addr_port(s);
    assert_int_not_equal(now, old);
    snprintf(want, sizeof want, "mymaster 127.0.0.1 %d 127.0.0.1 %d", old, now);
    assert_string_equal(msg, want);
    /* the dead old master is listed as a replica of the new one, down */
    expect_event(sub, "+sdown", msg, sizeof msg);
    snprintf(want, sizeof want, "slave 127.0.0.1:%d 127.0.0.1 %d @ mymaster 127.0.0.1 %d", old, old,
             now);
    assert_string_equal(msg, want);

    redisContext *nm = tu_connect_port(now);
    tu_cmd_str(nm, REDIS_REPLY_STRING, "before", "GET k");
    tu_cmd_ok(nm, "SET k after");

    /* it comes back with its data, as a master: the Sentinel converts it */
    assert_int_equal(fr_group_revive(g, 0), FR_OK);
    expect_event(sub, "+convert-to-slave", msg, sizeof msg);
    assert_string_equal(msg, want);
    wait_replica_of(old, now);
    assert_int_equal(fr_group_wait_synced(g, 3000), FR_OK);
    redisContext *om = tu_connect_port(old);
    tu_cmd_str(om, REDIS_REPLY_STRING, "after", "GET k");
    tu_cmd_str(om, REDIS_REPLY_ERROR, "READONLY You can't write against a read only replica.",
               "SET k x");
    redisReply *r = tu_cmd(s, "SENTINEL REPLICAS mymaster");
    assert_int_equal(r->elements, 2);
    freeReplyObject(r);
    redisFree(om);
    redisFree(nm);
    redisFree(m);
    redisFree(sub);
    redisFree(s);
}

static void test_manual_failover(void **state)
{
    fr_group *g = *state;
    fr_server *sen = fr_group_sentinel(g);
    redisContext *s = tu_connect(sen), *sub = subscribe_all(sen);
    int old = port_of(g, 0);
    redisContext *m = tu_connect_port(old);
    tu_cmd_ok(m, "SET k before");
    assert_int_equal(tu_cmd_int(m, "WAIT 2 2000"), 2);
    /* the second request finds the first one running */
    redisAppendCommand(s, "SENTINEL FAILOVER mymaster");
    redisAppendCommand(s, "SENTINEL FAILOVER mymaster");
    for (int done = 0; !done;)
        assert_int_equal(redisBufferWrite(s, &done), REDIS_OK);
    redisReply *r = tu_next_reply(s);
    assert_int_equal(r->type, REDIS_REPLY_STATUS);
    assert_string_equal(r->str, "OK");
    freeReplyObject(r);
    r = tu_next_reply(s);
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_string_equal(r->str, "INPROG Failover already in progress");
    freeReplyObject(r);
    char msg[256], want[256];
    expect_event(sub, "+new-epoch", msg, sizeof msg);
    assert_string_equal(msg, "1");
    expect_event(sub, "+failover-state-reconf-slaves", NULL, 0);
    expect_event(sub, "+slave-reconf-done", NULL, 0);
    expect_event(sub, "+switch-master", msg, sizeof msg);
    int now = addr_port(s);
    snprintf(want, sizeof want, "mymaster 127.0.0.1 %d 127.0.0.1 %d", old, now);
    assert_string_equal(msg, want);
    /* the old master still runs: the Sentinel makes it a replica and, as
     * Redis, drops its normal clients so they look again */
    expect_event(sub, "+convert-to-slave", NULL, 0);
    wait_replica_of(old, now);
    assert_int_equal(redisGetReply(m, (void **)&r), REDIS_ERR);
    redisContext *nm = tu_connect_port(now);
    tu_cmd_str(nm, REDIS_REPLY_STRING, "before", "GET k");
    r = tu_cmd(s, "SENTINEL MASTER mymaster");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    int epoch = -1;
    for (size_t i = 0; i + 1 < r->elements; i += 2)
        if (!strcmp(r->element[i]->str, "config-epoch"))
            epoch = atoi(r->element[i + 1]->str);
    assert_int_equal(epoch, 1);
    freeReplyObject(r);
    redisFree(nm);
    redisFree(m);
    redisFree(sub);
    redisFree(s);
}

/* The C API's failover waits for the switch. */
static void test_group_failover_api(void **state)
{
    fr_group *g = *state;
    fr_server *sen = fr_group_sentinel(g);
    int old = fr_sentinel_master_port(sen, "mymaster");
    assert_int_equal(old, port_of(g, 0));
    assert_int_equal(fr_group_failover(g), FR_OK);
    int now = fr_sentinel_master_port(sen, "mymaster");
    assert_int_not_equal(now, old);
    assert_int_equal(fr_server_port(fr_group_master(g)), now);
    assert_int_equal(fr_sentinel_master_port(sen, "nope"), FR_ERR_STATE);
    assert_int_equal(fr_sentinel_set(sen, "mymaster", "quorum", "2"), FR_OK);
    assert_int_equal(fr_sentinel_set(sen, "mymaster", "quorum", "0"), FR_ERR_REPLY);
    assert_int_equal(fr_sentinel_set(sen, "nope", "quorum", "1"), FR_ERR_REPLY);
    assert_int_equal(fr_sentinel_set(NULL, "mymaster", "quorum", "1"), FR_ERR_ARG);
}

/* With a quorum the lone Sentinel cannot reach, a dead master is only
 * +sdown: no failover. */
static void test_quorum_not_reached(void **state)
{
    fr_group *g = *state;
    fr_server *sen = fr_group_sentinel(g);
    fast_detection(g);
    assert_int_equal(fr_sentinel_set(sen, "mymaster", "quorum", "2"), FR_OK);
    redisContext *s = tu_connect(sen), *sub = subscribe_all(sen);
    int old = port_of(g, 0);
    assert_int_equal(fr_group_kill(g, 0), FR_OK);
    expect_event(sub, "+sdown", NULL, 0);
    redisReply *r = tu_cmd(s, "INFO sentinel");
    assert_non_null(strstr(r->str, ",status=sdown,"));
    freeReplyObject(r);
    assert_false(tu_readable_within(sub, DOWN_AFTER * 2));
    assert_int_equal(addr_port(s), old);
    tu_cmd_str(s, REDIS_REPLY_ERROR,
               "NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the "
               "specified quorum for this master. Not enough available Sentinels to reach the "
               "majority and authorize a failover",
               "SENTINEL CKQUORUM mymaster");
    assert_int_equal(fr_group_revive(g, 0), FR_OK);
    expect_event(sub, "-sdown", NULL, 0);
    redisFree(sub);
    redisFree(s);
}

static void test_kill_revive_errors(void **state)
{
    fr_group *g = *state;
    assert_int_equal(fr_group_kill(g, 9), FR_ERR_ARG);
    assert_int_equal(fr_group_kill(NULL, 0), FR_ERR_ARG);
    assert_int_equal(fr_group_revive(g, 1), FR_ERR_STATE);
    assert_int_equal(fr_group_kill(g, 1), FR_OK);
    assert_int_equal(fr_group_is_killed(g, 1), 1);
    assert_int_equal(fr_group_kill(g, 1), FR_ERR_STATE);
    redisContext *c = redisConnect("127.0.0.1", port_of(g, 1));
    assert_true(c->err != 0);
    redisFree(c);
    assert_int_equal(fr_group_revive(g, 1), FR_OK);
    assert_int_equal(fr_group_is_killed(g, 1), 0);
    c = tu_connect_port(port_of(g, 1));
    tu_cmd_str(c, REDIS_REPLY_STATUS, "PONG", "PING");
    redisFree(c);
}

static void test_info_role_and_commands(void **state)
{
    fr_group *g = *state;
    redisContext *s = tu_connect(fr_group_sentinel(g));
    char want[256];
    redisReply *r = tu_cmd(s, "INFO");
    assert_non_null(strstr(r->str, "redis_mode:sentinel\r\n"));
    assert_non_null(strstr(r->str, "# Sentinel\r\nsentinel_masters:1\r\nsentinel_tilt:0\r\n"));
    snprintf(want, sizeof want,
             "master0:name=mymaster,status=ok,address=127.0.0.1:%d,slaves=2,sentinels=1\r\n",
             port_of(g, 0));
    assert_non_null(strstr(r->str, want));
    assert_null(strstr(r->str, "# Keyspace"));
    assert_null(strstr(r->str, "# Replication"));
    freeReplyObject(r);
    r = tu_cmd(s, "ROLE");
    assert_int_equal(r->elements, 2);
    assert_string_equal(r->element[0]->str, "sentinel");
    assert_string_equal(r->element[1]->element[0]->str, "mymaster");
    freeReplyObject(r);
    tu_cmd_str(s, REDIS_REPLY_ERROR,
               "ERR unknown command 'set', with args beginning with: 'a' 'b' ", "set a b");
    tu_cmd_str(s, REDIS_REPLY_ERROR, "ERR unknown subcommand 'foo'. Try SENTINEL HELP.",
               "SENTINEL foo");
    tu_cmd_str(s, REDIS_REPLY_ERROR, "ERR wrong number of arguments for 'sentinel|masters' command",
               "SENTINEL masters x");
    tu_cmd_str(s, REDIS_REPLY_ERROR, "ERR No such master with that name", "SENTINEL MASTER x");
    tu_cmd_nil(s, "SENTINEL GET-MASTER-ADDR-BY-NAME x");
    r = tu_cmd(s, "COMMAND INFO get ping");
    assert_int_equal(r->elements, 2);
    assert_int_equal(r->element[0]->type, REDIS_REPLY_NIL);
    assert_int_equal(r->element[1]->type, REDIS_REPLY_ARRAY);
    freeReplyObject(r);

    tu_cmd_ok(s, "SENTINEL SET mymaster down-after-milliseconds 5000 parallel-syncs 2");
    tu_cmd_str(s, REDIS_REPLY_ERROR,
               "ERR Invalid argument 'abc' for SENTINEL SET 'down-after-milliseconds'",
               "SENTINEL SET mymaster down-after-milliseconds abc");
    tu_cmd_str(s, REDIS_REPLY_ERROR,
               "ERR Unknown option or number of arguments for SENTINEL SET 'foo'",
               "SENTINEL SET mymaster foo 1");
    r = tu_cmd(s, "SENTINEL MASTER mymaster");
    int seen = 0;
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        if (!strcmp(r->element[i]->str, "down-after-milliseconds"))
            seen += !strcmp(r->element[i + 1]->str, "5000");
        if (!strcmp(r->element[i]->str, "parallel-syncs"))
            seen += !strcmp(r->element[i + 1]->str, "2");
        if (!strcmp(r->element[i]->str, "flags"))
            seen += !strcmp(r->element[i + 1]->str, "master");
    }
    assert_int_equal(seen, 3);
    freeReplyObject(r);

    r = tu_cmd(s, "SENTINEL CONFIG GET *");
    assert_int_equal(r->elements, 12);
    assert_string_equal(r->element[0]->str, "resolve-hostnames");
    freeReplyObject(r);
    tu_cmd_ok(s, "SENTINEL CONFIG SET announce-port 7777");
    r = tu_cmd(s, "SENTINEL CONFIG GET announce-port");
    assert_int_equal(r->elements, 2);
    assert_string_equal(r->element[1]->str, "7777");
    freeReplyObject(r);
    tu_cmd_str(s, REDIS_REPLY_ERROR, "ERR Invalid argument 'foo' to SENTINEL CONFIG SET",
               "SENTINEL CONFIG SET foo bar");

    snprintf(want, sizeof want, "SENTINEL IS-MASTER-DOWN-BY-ADDR 127.0.0.1 %d 0 *", port_of(g, 0));
    r = tu_cmd(s, want);
    assert_int_equal(r->elements, 3);
    assert_int_equal(r->element[0]->integer, 0);
    assert_string_equal(r->element[1]->str, "*");
    freeReplyObject(r);

    tu_cmd_ok(s, "SENTINEL MONITOR other 127.0.0.1 1 1");
    tu_cmd_str(s, REDIS_REPLY_ERROR, "ERR Duplicate master name.",
               "SENTINEL MONITOR other 127.0.0.1 1 1");
    r = tu_cmd(s, "SENTINEL MASTERS");
    assert_int_equal(r->elements, 2);
    freeReplyObject(r);
    tu_cmd_ok(s, "SENTINEL REMOVE other");
    tu_cmd_str(s, REDIS_REPLY_ERROR, "ERR No such master with that name", "SENTINEL REMOVE other");

    r = tu_cmd(s, "SENTINEL INFO-CACHE mymaster");
    assert_int_equal(r->elements, 1);
    assert_string_equal(r->element[0]->element[0]->str, "mymaster");
    assert_int_equal(r->element[0]->element[1]->elements, 3);
    freeReplyObject(r);
    r = tu_cmd(s, "SENTINEL PENDING-SCRIPTS");
    assert_int_equal(r->elements, 0);
    freeReplyObject(r);
    tu_cmd_ok(s, "SENTINEL SIMULATE-FAILURE crash-after-election");
    tu_cmd_str(s, REDIS_REPLY_ERROR, "ERR Unknown failure simulation specified",
               "SENTINEL SIMULATE-FAILURE foo");
    r = tu_cmd(s, "SENTINEL HELP");
    assert_string_equal(r->element[0]->str,
                        "SENTINEL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    freeReplyObject(r);
    assert_int_equal(tu_cmd_int(s, "SENTINEL RESET *"), 1);
    assert_int_equal(tu_cmd_int(s, "SENTINEL RESET nothing"), 0);
    redisFree(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_killed_master_fails_over, setup, teardown),
        cmocka_unit_test_setup_teardown(test_manual_failover, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_failover_api, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quorum_not_reached, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kill_revive_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_info_role_and_commands, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
