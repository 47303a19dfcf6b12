/* Replication groups over the wire: a master and two replicas in one
 * process (fr_group_start). The replicas load the master's data and apply
 * its writes (MULTI/EXEC, databases, TTLs, random and blocking commands as
 * their effect); a replica answers -READONLY; WAIT counts acknowledgements
 * and stops counting a paused replica; the lag is the test's; ROLE and INFO
 * agree; FAILOVER and REPLICAOF NO ONE switch roles. */
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

#include "fakeredis/fakeredis.h"
#include "fakeredis/inspect.h"
#include "fakeredis/replication.h"
#include "support/rawsock.h"
#include "support/testutil.h"

static const char readonly_err[] = "READONLY You can't write against a read only replica.";

static int setup(void **state)
{
    fr_group *g;
    fr_group_options o = {.replicas = 2};
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

static void send_now(redisContext *c)
{
    int done = 0;
    while (!done)
        assert_int_equal(redisBufferWrite(c, &done), REDIS_OK);
}

static redisContext *node(fr_group *g, int i)
{
    return tu_connect_port(fr_server_port(fr_group_server(g, i)));
}

static void test_replica_applies_writes(void **state)
{
    fr_group *g = *state;
    redisContext *m = node(g, 0), *r = node(g, 1);
    tu_cmd_ok(m, "SET s v");
    tu_cmd_ok(m, "SET t v PX 100000");
    assert_int_equal(tu_cmd_int(m, "RPUSH l a b c"), 3);
    tu_cmd_ok(m, "MULTI");
    tu_cmd_str(m, REDIS_REPLY_STATUS, "QUEUED", "INCR n");
    tu_cmd_str(m, REDIS_REPLY_STATUS, "QUEUED", "SELECT 3");
    tu_cmd_str(m, REDIS_REPLY_STATUS, "QUEUED", "HSET h f 1");
    freeReplyObject(tu_cmd(m, "EXEC"));
    tu_cmd_ok(m, "SELECT 0");
    assert_int_equal(tu_cmd_int(m, "SADD set a b c d e"), 5);
    freeReplyObject(tu_cmd(m, "SPOP set 2")); /* random: travels as its effect */
    assert_int_equal(fr_group_wait_synced(g, 2000), FR_OK);

    tu_cmd_str(r, REDIS_REPLY_STRING, "v", "GET s");
    long long ttl = tu_cmd_int(r, "PTTL t");
    assert_true(ttl > 90000 && ttl <= 100000);
    assert_int_equal(tu_cmd_int(r, "LLEN l"), 3);
    tu_cmd_str(r, REDIS_REPLY_STRING, "1", "GET n");
    tu_cmd_ok(r, "SELECT 3");
    tu_cmd_str(r, REDIS_REPLY_STRING, "1", "HGET h f");
    tu_cmd_ok(r, "SELECT 0");
    /* SORT is a write for Redis (STORE): a replica refuses it; SORT_RO reads */
    redisReply *a = tu_cmd(m, "SORT_RO set ALPHA"), *b = tu_cmd(r, "SORT_RO set ALPHA");
    assert_int_equal(a->elements, 3);
    assert_int_equal(b->elements, a->elements);
    for (size_t i = 0; i < a->elements; i++)
        assert_string_equal(a->element[i]->str, b->element[i]->str);
    freeReplyObject(a);
    freeReplyObject(b);

    /* a blocked pop served by a push: the replica ends with the same list */
    redisContext *w = node(g, 0);
    redisAppendCommand(w, "BLPOP q 0");
    send_now(w);
    assert_false(tu_readable_within(w, 20));
    assert_int_equal(tu_cmd_int(m, "RPUSH q x y"), 2);
    redisReply *p = tu_next_reply(w);
    assert_string_equal(p->element[1]->str, "x");
    freeReplyObject(p);
    tu_cmd_ok(m, "FLUSHDB");
    tu_cmd_ok(m, "SET after-flush 1");
    assert_int_equal(fr_group_wait_synced(g, 2000), FR_OK);
    assert_int_equal(tu_cmd_int(r, "DBSIZE"), 1);
    redisContext *r2 = node(g, 2);
    assert_int_equal(tu_cmd_int(r2, "EXISTS after-flush"), 1);
    redisFree(r2);
    redisFree(w);
    redisFree(m);
    redisFree(r);
}

static void test_snapshot_on_connect(void **state)
{
    fr_group *g = *state;
    redisContext *m = node(g, 0);
    tu_cmd_ok(m, "SET before 1");
    assert_int_equal(tu_cmd_int(m, "ZADD z 1 a 2 b"), 2);
    /* a fresh fake joins later: it gets the data set as it is */
    fr_server *late;
    assert_int_equal(fr_server_start(NULL, &late), FR_OK);
    redisContext *l = tu_connect(late);
    tu_cmd_ok(l, "SET stale 1");
    tu_cmd_ok(l, "REPLICAOF 127.0.0.1 %d", fr_server_port(fr_group_server(g, 0)));
    for (int i = 0; i < 2000 && fr_replication_replicas(fr_group_server(g, 0)) < 3; i++)
        tu_readable_within(l, 1);
    assert_int_equal(fr_group_wait_synced(g, 2000), FR_OK);
    for (int i = 0; i < 2000 && tu_cmd_int(l, "EXISTS stale"); i++)
        tu_readable_within(l, 1);
    assert_int_equal(tu_cmd_int(l, "EXISTS stale"), 0);
    tu_cmd_str(l, REDIS_REPLY_STRING, "1", "GET before");
    assert_int_equal(tu_cmd_int(l, "ZCARD z"), 2);
    redisFree(l);
    fr_server_stop(late);
    redisFree(m);
}

static void test_readonly_replica(void **state)
{
    fr_group *g = *state;
    redisContext *r = node(g, 1);
    tu_cmd_str(r, REDIS_REPLY_ERROR, readonly_err, "SET k v");
    tu_cmd_str(r, REDIS_REPLY_ERROR, readonly_err, "DEL k");
    tu_cmd_ok(r, "MULTI");
    tu_cmd_str(r, REDIS_REPLY_ERROR, readonly_err, "INCR k");
    tu_cmd_str(r, REDIS_REPLY_ERROR, "EXECABORT Transaction discarded because of previous errors.",
               "EXEC");
    /* the bytes on the wire */
    int fd = rs_connect_srv(fr_group_server(g, 2));
    rs_send(fd, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
    char buf[128] = {0};
    int eof = 0;
    const char want[] = "-READONLY You can't write against a read only replica.\r\n";
    rs_read_n(fd, buf, sizeof want - 1, 1000, &eof);
    assert_string_equal(buf, want);
    close(fd);
    /* replica-read-only no: local writes are allowed (and stay local) */
    tu_cmd_ok(r, "CONFIG SET replica-read-only no");
    tu_cmd_ok(r, "SET local 1");
    tu_cmd_ok(r, "CONFIG SET replica-read-only yes");
    redisContext *m = node(g, 0);
    assert_int_equal(tu_cmd_int(m, "EXISTS local"), 0);
    redisFree(m);
    redisFree(r);
}

static void test_wait_counts_acks(void **state)
{
    fr_group *g = *state;
    redisContext *m = node(g, 0);
    tu_cmd_ok(m, "SET a 1");
    assert_int_equal(tu_cmd_int(m, "WAIT 2 2000"), 2);
    assert_int_equal(fr_replica_pause(fr_group_server(g, 2)), FR_OK);
    tu_cmd_ok(m, "SET a 2");
    long long t0 = tu_mono_ms();
    assert_int_equal(tu_cmd_int(m, "WAIT 2 150"), 1);
    assert_true(tu_mono_ms() - t0 >= 140);
    assert_true(fr_replica_pending(fr_group_server(g, 2)) > 0);
    redisContext *r2 = node(g, 2);
    tu_cmd_str(r2, REDIS_REPLY_STRING, "1", "GET a"); /* paused: the old value */
    /* WAIT blocks until the paused replica resumes and acknowledges */
    redisAppendCommand(m, "WAIT 2 0");
    send_now(m);
    assert_false(tu_readable_within(m, 50));
    assert_int_equal(fr_replica_resume(fr_group_server(g, 2)), FR_OK);
    redisReply *w = tu_next_reply(m);
    assert_int_equal(w->integer, 2);
    freeReplyObject(w);
    tu_cmd_str(r2, REDIS_REPLY_STRING, "2", "GET a");
    /* WAIT on a replica is refused */
    redisReply *e = tu_cmd(r2, "WAIT 1 0");
    assert_int_equal(e->type, REDIS_REPLY_ERROR);
    assert_true(strncmp(e->str, "ERR WAIT cannot be used with replica instances.", 47) == 0);
    freeReplyObject(e);
    redisFree(r2);
    redisFree(m);
}

/* CLIENT UNBLOCK ends a WAIT as Redis does: TIMEOUT answers the count
 * acknowledged so far, ERROR answers -UNBLOCKED (both checked against
 * redis-server 7.0.15 by hand). */
static void test_wait_client_unblock(void **state)
{
    fr_group *g = *state;
    redisContext *m = node(g, 0), *other = node(g, 0);
    long long id = tu_cmd_int(m, "CLIENT ID");
    assert_int_equal(fr_replica_pause(fr_group_server(g, 2)), FR_OK);
    tu_cmd_ok(m, "SET a 3");
    redisAppendCommand(m, "WAIT 2 0");
    send_now(m);
    assert_false(tu_readable_within(m, 50));
    assert_int_equal(tu_cmd_int(other, "CLIENT UNBLOCK %lld", id), 1);
    redisReply *w = tu_next_reply(m);
    assert_int_equal(w->type, REDIS_REPLY_INTEGER);
    assert_int_equal(w->integer, 1); /* the replica that is not paused */
    freeReplyObject(w);
    redisAppendCommand(m, "WAIT 2 0");
    send_now(m);
    assert_false(tu_readable_within(m, 50));
    assert_int_equal(tu_cmd_int(other, "CLIENT UNBLOCK %lld ERROR", id), 1);
    w = tu_next_reply(m);
    assert_int_equal(w->type, REDIS_REPLY_ERROR);
    assert_string_equal(w->str, "UNBLOCKED client unblocked via CLIENT UNBLOCK");
    freeReplyObject(w);
    /* not blocked any more: nothing to unblock, and the client works */
    assert_int_equal(tu_cmd_int(other, "CLIENT UNBLOCK %lld", id), 0);
    tu_cmd_str(m, REDIS_REPLY_STATUS, "PONG", "PING");
    assert_int_equal(fr_replica_resume(fr_group_server(g, 2)), FR_OK);
    redisFree(other);
    redisFree(m);
}

static void test_lag(void **state)
{
    fr_group *g = *state;
    redisContext *m = node(g, 0), *r = node(g, 1);
    /* over the wire, as a test in another language would */
    tu_cmd_ok(r, "FAKE.REPLICATION LAG 200");
    long long t0 = tu_mono_ms();
    tu_cmd_ok(m, "SET lagged 1");
    assert_int_equal(tu_cmd_int(m, "WAIT 1 1000"), 1); /* the other replica */
    tu_cmd_nil(r, "GET lagged");
    assert_int_equal(tu_cmd_int(m, "WAIT 2 2000"), 2);
    assert_true(tu_mono_ms() - t0 >= 190);
    tu_cmd_str(r, REDIS_REPLY_STRING, "1", "GET lagged");
    tu_cmd_ok(r, "FAKE.REPLICATION LAG 0");
    redisFree(m);
    redisFree(r);
}

static void test_role_and_info(void **state)
{
    fr_group *g = *state;
    redisContext *m = node(g, 0), *r = node(g, 1);
    int mport = fr_server_port(fr_group_server(g, 0));
    redisReply *role = tu_cmd(m, "ROLE");
    assert_string_equal(role->element[0]->str, "master");
    assert_int_equal(role->element[2]->elements, 2);
    char p1[16];
    snprintf(p1, sizeof p1, "%d", fr_server_port(fr_group_server(g, 1)));
    redisReply *e0 = role->element[2]->element[0], *e1 = role->element[2]->element[1];
    assert_string_equal(e0->element[0]->str, "127.0.0.1");
    assert_true(!strcmp(e0->element[1]->str, p1) || !strcmp(e1->element[1]->str, p1));
    freeReplyObject(role);
    role = tu_cmd(r, "ROLE");
    assert_int_equal(role->elements, 5);
    assert_string_equal(role->element[0]->str, "slave");
    assert_int_equal(role->element[2]->integer, mport);
    assert_string_equal(role->element[3]->str, "connected");
    freeReplyObject(role);
    redisReply *info = tu_cmd(m, "INFO replication");
    assert_non_null(strstr(info->str, "role:master\r\nconnected_slaves:2\r\n"));
    assert_non_null(strstr(info->str, "slave1:ip=127.0.0.1,port="));
    freeReplyObject(info);
    info = tu_cmd(r, "INFO replication");
    char want[128];
    snprintf(want, sizeof want,
             "role:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:%d\r\n"
             "master_link_status:up\r\n",
             mport);
    assert_non_null(strstr(info->str, want));
    freeReplyObject(info);
    redisFree(m);
    redisFree(r);
}

/* A master with a password: a replica without masterauth never gets past
 * the handshake; with it (and masteruser for an ACL user), it syncs. INFO
 * shows the replica's replica-priority and repl-backlog-size as set. */
static void test_masterauth(void **state)
{
    (void)state;
    const char *pass[] = {"requirepass s3cret", NULL};
    fr_server *m, *r;
    assert_int_equal(fr_server_start(&(fr_options){.config = pass}, &m), FR_OK);
    assert_int_equal(fr_server_start(NULL, &r), FR_OK);
    redisContext *mc = tu_connect(m), *rc = tu_connect(r);
    tu_cmd_ok(mc, "AUTH s3cret");
    tu_cmd_ok(mc, "SET k v");
    tu_cmd_ok(mc, "ACL SETUSER repl on >r3pl +@all ~*");
    tu_cmd_ok(rc, "REPLICAOF 127.0.0.1 %d", fr_server_port(m));
    /* refused at AUTH... (-NOAUTH on PING, here): no link in 300 ms */
    for (int i = 0; i < 300; i++)
        tu_readable_within(rc, 1);
    assert_int_equal(fr_replication_replicas(m), 0);
    redisReply *info = tu_cmd(rc, "INFO replication");
    assert_non_null(strstr(info->str, "master_link_status:down"));
    freeReplyObject(info);
    /* the password (Redis retries the handshake each second) */
    tu_cmd_ok(rc, "CONFIG SET masterauth s3cret");
    for (int i = 0; i < 3000 && !tu_cmd_int(rc, "EXISTS k"); i++)
        tu_readable_within(rc, 1);
    tu_cmd_str(rc, REDIS_REPLY_STRING, "v", "GET k");
    assert_int_equal(fr_replication_replicas(m), 1);
    /* as an ACL user: masteruser */
    tu_cmd_ok(rc, "REPLICAOF NO ONE");
    tu_cmd_ok(rc, "CONFIG SET masteruser repl");
    tu_cmd_ok(rc, "CONFIG SET masterauth r3pl");
    tu_cmd_ok(mc, "SET k2 v2");
    tu_cmd_ok(rc, "REPLICAOF 127.0.0.1 %d", fr_server_port(m));
    for (int i = 0; i < 3000 && !tu_cmd_int(rc, "EXISTS k2"); i++)
        tu_readable_within(rc, 1);
    tu_cmd_str(rc, REDIS_REPLY_STRING, "v2", "GET k2");
    redisReply *who = tu_cmd(mc, "CLIENT LIST TYPE replica");
    assert_non_null(strstr(who->str, "user=repl"));
    freeReplyObject(who);
    tu_cmd_ok(rc, "CONFIG SET replica-priority 7");
    tu_cmd_ok(rc, "CONFIG SET repl-backlog-size 2mb");
    info = tu_cmd(rc, "INFO replication");
    assert_non_null(strstr(info->str, "slave_priority:7\r\n"));
    assert_non_null(strstr(info->str, "repl_backlog_size:2097152\r\n"));
    freeReplyObject(info);
    redisFree(mc);
    redisFree(rc);
    fr_server_stop(r);
    fr_server_stop(m);
}

/* A start's "replicaof HOST PORT" line: a replica from the start, which
 * CONFIG GET replicaof shows until REPLICAOF NO ONE; a bad port fails the
 * start. */
static void test_replicaof_line(void **state)
{
    (void)state;
    fr_server *m, *r;
    assert_int_equal(fr_server_start(NULL, &m), FR_OK);
    redisContext *mc = tu_connect(m);
    tu_cmd_ok(mc, "SET k v");
    char line[64];
    snprintf(line, sizeof line, "replicaof 127.0.0.1 %d", fr_server_port(m));
    const char *cfg[] = {line, NULL};
    assert_int_equal(fr_server_start(&(fr_options){.config = cfg}, &r), FR_OK);
    redisContext *rc = tu_connect(r);
    for (int i = 0; i < 3000 && !tu_cmd_int(rc, "EXISTS k"); i++)
        tu_readable_within(rc, 1);
    tu_cmd_str(rc, REDIS_REPLY_STRING, "v", "GET k");
    redisReply *g = tu_cmd(rc, "CONFIG GET replicaof");
    assert_string_equal(g->element[1]->str, line + strlen("replicaof "));
    freeReplyObject(g);
    tu_cmd_ok(rc, "REPLICAOF NO ONE");
    g = tu_cmd(rc, "CONFIG GET slaveof");
    assert_string_equal(g->element[1]->str, "");
    freeReplyObject(g);
    redisFree(rc);
    fr_server_stop(r);
    redisFree(mc);
    fr_server_stop(m);

    const char *bad[] = {"replicaof 127.0.0.1 nope", NULL};
    assert_int_equal(fr_server_start(&(fr_options){.config = bad}, &r), FR_ERR_PARSE);
}

/* min-replicas-to-write: a master refuses writes (and scripts' writes)
 * while too few replicas acknowledged within min-replicas-max-lag; a
 * replica that stops acknowledging (paused) counts no more once the lag
 * passes. INFO shows the good ones. */
static void test_min_replicas(void **state)
{
    fr_group *g = *state;
    redisContext *m = node(g, 0);
    tu_cmd_ok(m, "CONFIG SET min-replicas-to-write 3");
    tu_cmd_ok(m, "CONFIG SET min-replicas-max-lag 1");
    redisReply *r = tu_cmd(m, "SET k v");
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_string_equal(r->str, "NOREPLICAS Not enough good replicas to write.");
    freeReplyObject(r);
    r = tu_cmd(m, "EVAL %s 1 k", "return redis.call('set', KEYS[1], 'v')");
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_true(!strncmp(r->str, "NOREPLICAS Not enough good replicas to write.", 45));
    freeReplyObject(r);
    r = tu_cmd(m, "INFO replication");
    assert_non_null(strstr(r->str, "connected_slaves:2\r\nmin_slaves_good_slaves:2\r\n"));
    freeReplyObject(r);
    /* two replicas acknowledge: enough for 2 */
    tu_cmd_ok(m, "CONFIG SET min-replicas-to-write 2");
    tu_cmd_ok(m, "SET k v");
    /* one stops acknowledging: after the lag, one good replica is too few */
    assert_int_equal(fr_replica_pause(fr_group_server(g, 1)), FR_OK);
    int refused = 0;
    for (int i = 0; i < 4000 && !refused; i++) {
        r = tu_cmd(m, "SET k v");
        refused = r->type == REDIS_REPLY_ERROR && strstr(r->str, "NOREPLICAS");
        freeReplyObject(r);
        if (!refused)
            tu_readable_within(m, 1);
    }
    assert_true(refused);
    tu_cmd_str(m, REDIS_REPLY_STRING, "v", "GET k"); /* reads go on */
    assert_int_equal(fr_replica_resume(fr_group_server(g, 1)), FR_OK);
    tu_cmd_ok(m, "CONFIG SET min-replicas-to-write 0");
    tu_cmd_ok(m, "SET k v2");
    redisFree(m);
}

static void test_failover(void **state)
{
    fr_group *g = *state;
    fr_server *old = fr_group_server(g, 0), *target = fr_group_server(g, 1);
    redisContext *m = node(g, 0), *t = node(g, 1);
    tu_cmd_ok(m, "SET before 1");
    tu_cmd_ok(m, "FAILOVER TO 127.0.0.1 %d TIMEOUT 2000", fr_server_port(target));
    for (int i = 0; i < 2000 && fr_group_master(g) != target; i++)
        tu_readable_within(t, 1);
    assert_ptr_equal(fr_group_master(g), target);
    redisReply *role = tu_cmd(t, "ROLE");
    assert_string_equal(role->element[0]->str, "master");
    freeReplyObject(role);
    for (int i = 0; i < 2000; i++) {
        role = tu_cmd(m, "ROLE");
        int done = role->elements == 5 && !strcmp(role->element[3]->str, "connected");
        freeReplyObject(role);
        if (done)
            break;
        tu_readable_within(m, 1);
    }
    role = tu_cmd(m, "ROLE");
    assert_string_equal(role->element[0]->str, "slave");
    assert_int_equal(role->element[2]->integer, fr_server_port(target));
    freeReplyObject(role);
    redisReply *info = tu_cmd(m, "INFO replication");
    assert_non_null(strstr(info->str, "master_failover_state:no-failover"));
    freeReplyObject(info);
    tu_cmd_str(m, REDIS_REPLY_ERROR, readonly_err, "SET x 1");
    tu_cmd_str(t, REDIS_REPLY_STRING, "1", "GET before");
    tu_cmd_ok(t, "SET after 1");
    assert_int_equal(tu_cmd_int(t, "WAIT 1 2000"), 1);
    tu_cmd_str(m, REDIS_REPLY_STRING, "1", "GET after");
    /* the third server follows through the old master, chained */
    assert_int_equal(fr_group_wait_synced(g, 3000), FR_OK);
    redisContext *third = node(g, 2);
    tu_cmd_str(third, REDIS_REPLY_STRING, "1", "GET after");
    redisFree(third);
    (void)old;
    redisFree(m);
    redisFree(t);
}

static void test_replicaof_no_one(void **state)
{
    fr_group *g = *state;
    redisContext *m = node(g, 0), *r = node(g, 2);
    tu_cmd_ok(m, "SET k 1");
    assert_int_equal(tu_cmd_int(m, "WAIT 2 2000"), 2);
    tu_cmd_ok(r, "REPLICAOF NO ONE");
    redisReply *role = tu_cmd(r, "ROLE");
    assert_string_equal(role->element[0]->str, "master");
    freeReplyObject(role);
    tu_cmd_str(r, REDIS_REPLY_STRING, "1", "GET k");
    tu_cmd_ok(r, "SET mine 1");
    for (int i = 0; i < 2000 && fr_replication_replicas(fr_group_server(g, 0)) != 1; i++)
        tu_readable_within(m, 1);
    assert_int_equal(fr_replication_replicas(fr_group_server(g, 0)), 1);
    /* and back: the master's data replaces its own */
    tu_cmd_ok(r, "REPLICAOF 127.0.0.1 %d", fr_server_port(fr_group_server(g, 0)));
    tu_cmd_str(r, REDIS_REPLY_STATUS, "OK Already connected to specified master",
               "SLAVEOF 127.0.0.1 %d", fr_server_port(fr_group_server(g, 0)));
    assert_int_equal(fr_group_wait_synced(g, 3000), FR_OK);
    assert_int_equal(tu_cmd_int(r, "EXISTS mine"), 0);
    redisFree(m);
    redisFree(r);
}

static void test_start_errors(void **state)
{
    fr_group *g = (fr_group *)1;
    assert_int_equal(fr_group_start(NULL, NULL), FR_ERR_ARG);
    fr_group_options o = {.replicas = 17};
    assert_int_equal(fr_group_start(&o, &g), FR_ERR_ARG);
    assert_null(g);
    fr_options so = {.port = 6379};
    o = (fr_group_options){.replicas = 1, .server = &so};
    assert_int_equal(fr_group_start(&o, &g), FR_ERR_ARG);
    assert_int_equal(fr_replica_set_lag(NULL, 1), FR_ERR_ARG);
    (void)state;
}

/* A data server does not know SENTINEL, as in Redis. */
static void test_sentinel_unknown_on_data_server(void **state)
{
    fr_group *g = *state;
    redisContext *m = node(g, 0);
    tu_cmd_str(m, REDIS_REPLY_ERROR,
               "ERR unknown command 'SENTINEL', with args beginning with: 'masters' ",
               "SENTINEL masters");
    redisFree(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_replica_applies_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_on_connect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readonly_replica, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_counts_acks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_client_unblock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lag, setup, teardown),
        cmocka_unit_test_setup_teardown(test_role_and_info, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failover, setup, teardown),
        cmocka_unit_test(test_masterauth),
        cmocka_unit_test(test_replicaof_line),
        cmocka_unit_test_setup_teardown(test_min_replicas, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replicaof_no_one, setup, teardown),
        cmocka_unit_test(test_start_errors),
        cmocka_unit_test_setup_teardown(test_sentinel_unknown_on_data_server, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
