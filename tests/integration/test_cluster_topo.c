/* A cluster's shape, over the wire: replicas in CLUSTER NODES/SLOTS/
 * SHARDS/REPLICAS/INFO and ROLE, READONLY reads on a replica (-MOVED
 * without), failover from the test and by CLUSTER FAILOVER on a replica
 * (slots, roles and epochs move; no acknowledged write lost), a killed
 * master failed over and revived as a replica, a master without replica
 * killed (-CLUSTERDOWN), a node cut off, a node added and given a slot,
 * CLUSTER REPLICATE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "fakeredis/cluster.h"
#include "fakeredis/fakeredis.h"
#include "support/rawsock.h"
#include "support/clusterutil.h"
#include "support/testutil.h"

/* 3 masters (0, 1, 2) and a replica each (3 of 0, 4 of 1, 5 of 2). */
static int setup_replicas(void **state)
{
    fr_cluster *cl;
    fr_cluster_options o = {.replicas = 1};
    if (fr_cluster_start(&o, &cl) != FR_OK)
        return -1;
    *state = cl;
    return 0;
}

/* The same with a node timeout of 300 ms. */
static int setup_timeout(void **state)
{
    fr_cluster *cl;
    fr_cluster_options o = {.replicas = 1, .node_timeout_ms = 300};
    if (fr_cluster_start(&o, &cl) != FR_OK)
        return -1;
    *state = cl;
    return 0;
}

static char *myid(fr_cluster *cl, int i, char out[41])
{
    redisContext *c = tu_connect_port(tu_cluster_port(cl, i));
    redisReply *r = tu_cmd(c, "CLUSTER MYID");
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    snprintf(out, 41, "%s", r->str);
    freeReplyObject(r);
    redisFree(c);
    return out;
}

static void nap_1ms(void)
{
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
}

/* Poll (at most 5 s) until cmd's reply on c contains want. */
static void wait_reply_has(redisContext *c, const char *want, const char *cmd)
{
    for (int i = 0; i < 5000; i++) {
        redisReply *r = tu_cmd(c, cmd);
        int found = r->str && strstr(r->str, want);
        if (!found && r->type == REDIS_REPLY_ARRAY && r->elements && r->element[0]->str)
            found = strstr(r->element[0]->str, want) != NULL;
        freeReplyObject(r);
        if (found)
            return;
        nap_1ms();
    }
    fail_msg("'%s' never answered with %s", cmd, want);
}

static void expect_moved(redisContext *c, int slot, int port, const char *fmt, const char *key)
{
    char want[64];
    snprintf(want, sizeof want, "MOVED %d 127.0.0.1:%d", slot, port);
    tu_cmd_str(c, REDIS_REPLY_ERROR, want, fmt, key);
}

static void test_replicas_in_the_views(void **state)
{
    fr_cluster *cl = *state;
    char id0[41], id3[41], line[256];
    assert_int_equal(fr_cluster_size(cl), 6);
    assert_int_equal(fr_cluster_master_of(cl, 3), 0);
    assert_int_equal(fr_cluster_master_of(cl, 5), 2);
    myid(cl, 0, id0);
    myid(cl, 3, id3);
    redisContext *r = tu_connect_port(tu_cluster_port(cl, 3));
    redisReply *x = tu_cmd(r, "CLUSTER NODES");
    snprintf(line, sizeof line, "%s 127.0.0.1:%d@%d myself,slave %s 0 0 1 connected\n", id3,
             tu_cluster_port(cl, 3), tu_cluster_port(cl, 3) + 10000, id0);
    assert_non_null(strstr(x->str, line));
    snprintf(line, sizeof line, "%s 127.0.0.1:%d@%d master - 0 ", id0, tu_cluster_port(cl, 0),
             tu_cluster_port(cl, 0) + 10000);
    assert_non_null(strstr(x->str, line));
    assert_non_null(strstr(x->str, " 1 connected 0-5460\n"));
    freeReplyObject(x);
    x = tu_cmd(r, "CLUSTER INFO");
    assert_non_null(strstr(x->str, "cluster_known_nodes:6\r\ncluster_size:3\r\n"
                                   "cluster_current_epoch:6\r\ncluster_my_epoch:1\r\n"));
    freeReplyObject(x);
    /* each range: start, end, master, then its replica */
    x = tu_cmd(r, "CLUSTER SLOTS");
    assert_int_equal(x->elements, 3);
    assert_int_equal(x->element[0]->elements, 4);
    assert_int_equal(x->element[0]->element[3]->element[1]->integer, tu_cluster_port(cl, 3));
    assert_string_equal(x->element[0]->element[3]->element[2]->str, id3);
    freeReplyObject(x);
    x = tu_cmd(r, "CLUSTER REPLICAS %s", id0);
    assert_int_equal(x->type, REDIS_REPLY_ARRAY);
    assert_int_equal(x->elements, 1);
    assert_int_equal(strncmp(x->element[0]->str, id3, 40), 0);
    assert_null(strchr(x->element[0]->str, '\n'));
    freeReplyObject(x);
    tu_cmd_str(r, REDIS_REPLY_ERROR, "ERR The specified node is not a master", "CLUSTER SLAVES %s",
               id3);
    x = tu_cmd(r, "ROLE");
    assert_string_equal(x->element[0]->str, "slave");
    assert_int_equal(x->element[2]->integer, tu_cluster_port(cl, 0));
    freeReplyObject(x);
    tu_cmd_str(r, REDIS_REPLY_ERROR, "ERR REPLICAOF not allowed in cluster mode.",
               "REPLICAOF 127.0.0.1 %d", tu_cluster_port(cl, 1));
    tu_cmd_str(r, REDIS_REPLY_ERROR, "ERR Please use SETSLOT only with masters.",
               "CLUSTER SETSLOT 1 STABLE");
    redisFree(r);
}

static void test_readonly_reads(void **state)
{
    fr_cluster *cl = *state;
    int slot = fr_cluster_keyslot("b", 1); /* 3300: master 0, replica 3 */
    redisContext *m = tu_connect_port(tu_cluster_port(cl, 0));
    redisContext *r = tu_connect_port(tu_cluster_port(cl, 3));
    tu_cmd_ok(m, "SET b 1");
    expect_moved(r, slot, tu_cluster_port(cl, 0), "GET %s", "b");
    tu_cmd_ok(r, "READONLY");
    wait_reply_has(r, "1", "GET b");
    tu_cmd_int(r, "EXISTS b");
    expect_moved(r, slot, tu_cluster_port(cl, 0), "SET %s 2", "b");
    /* a slot of another master: MOVED there even after READONLY */
    expect_moved(r, fr_cluster_keyslot("a", 1), tu_cluster_port(cl, 2), "GET %s", "a");
    tu_cmd_ok(r, "READWRITE");
    expect_moved(r, slot, tu_cluster_port(cl, 0), "GET %s", "b");
    redisFree(m);
    redisFree(r);
}

/* 100 keys in master 0's slot 3300 ({b}), acknowledged by it. */
static void write_keys(fr_cluster *cl, int node)
{
    redisContext *m = tu_connect_port(tu_cluster_port(cl, node));
    for (int i = 0; i < 100; i++)
        tu_cmd_ok(m, "SET {b}k%d %d", i, i);
    redisFree(m);
}

static void check_keys(fr_cluster *cl, int node)
{
    redisContext *c = tu_connect_port(tu_cluster_port(cl, node));
    for (int i = 0; i < 100; i++) {
        char want[8];
        snprintf(want, sizeof want, "%d", i);
        tu_cmd_str(c, REDIS_REPLY_STRING, want, "GET {b}k%d", i);
    }
    redisFree(c);
}

static void test_failover_from_the_test(void **state)
{
    fr_cluster *cl = *state;
    char id3[41], want[128];
    myid(cl, 3, id3);
    write_keys(cl, 0);
    assert_int_equal(fr_cluster_failover(cl, 0), FR_OK);
    assert_int_equal(fr_cluster_master_of(cl, 3), -1);
    assert_int_equal(fr_cluster_master_of(cl, 0), 3);
    assert_int_equal(fr_cluster_slot_owner(cl, 3300), 3);
    assert_int_equal(fr_cluster_failover(cl, 0), FR_ERR_STATE); /* a replica now */
    check_keys(cl, 3);
    redisContext *old = tu_connect_port(tu_cluster_port(cl, 0));
    expect_moved(old, 3300, tu_cluster_port(cl, 3), "GET %s", "b");
    wait_reply_has(old, "slave", "ROLE");
    redisContext *other = tu_connect_port(tu_cluster_port(cl, 1));
    redisReply *x = tu_cmd(other, "CLUSTER NODES");
    snprintf(want, sizeof want, " 7 connected 0-5460\n");
    assert_non_null(strstr(x->str, want));
    snprintf(want, sizeof want, "slave %s 0 ", id3);
    assert_non_null(strstr(x->str, want));
    freeReplyObject(x);
    x = tu_cmd(other, "CLUSTER INFO");
    assert_non_null(strstr(x->str, "cluster_current_epoch:7\r\n"));
    freeReplyObject(x);
    /* writes go on on the new master and reach the old one */
    redisContext *nm = tu_connect_port(tu_cluster_port(cl, 3));
    tu_cmd_ok(nm, "SET b after");
    tu_cmd_ok(old, "READONLY");
    wait_reply_has(old, "after", "GET b");
    redisFree(nm);
    redisFree(other);
    redisFree(old);
}

static void test_cluster_failover_on_the_wire(void **state)
{
    fr_cluster *cl = *state;
    redisContext *m = tu_connect_port(tu_cluster_port(cl, 1));
    redisContext *r = tu_connect_port(tu_cluster_port(cl, 4));
    tu_cmd_str(m, REDIS_REPLY_ERROR, "ERR You should send CLUSTER FAILOVER to a replica",
               "CLUSTER FAILOVER");
    tu_cmd_str(r, REDIS_REPLY_ERROR, "ERR syntax error", "CLUSTER FAILOVER SOON");
    tu_cmd_ok(m, "SET c before"); /* slot 7365: master 1 */
    tu_cmd_ok(r, "CLUSTER FAILOVER");
    wait_reply_has(r, "myself,master", "CLUSTER NODES");
    assert_int_equal(fr_cluster_master_of(cl, 1), 4);
    wait_reply_has(m, "slave", "ROLE");
    redisReply *x = tu_cmd(r, "CLUSTER INFO");
    assert_non_null(strstr(x->str, "cluster_current_epoch:7\r\ncluster_my_epoch:7\r\n"));
    freeReplyObject(x);
    tu_cmd_str(r, REDIS_REPLY_STRING, "before", "GET c");
    expect_moved(m, 7365, tu_cluster_port(cl, 4), "GET %s", "c");
    /* TAKEOVER back: no waiting for anything */
    tu_cmd_ok(m, "CLUSTER FAILOVER TAKEOVER");
    wait_reply_has(m, "myself,master", "CLUSTER NODES");
    redisFree(m);
    redisFree(r);
}

static void test_kill_master_with_replica(void **state)
{
    fr_cluster *cl = *state;
    char id0[41], id3[41], want[160];
    myid(cl, 0, id0);
    myid(cl, 3, id3);
    write_keys(cl, 0);
    assert_int_equal(fr_cluster_failover(cl, 1), FR_OK); /* caught up first */
    /* wait for replica 3 to have the keys: a kill loses what is not */
    redisContext *r = tu_connect_port(tu_cluster_port(cl, 3));
    tu_cmd_ok(r, "READONLY");
    wait_reply_has(r, "99", "GET {b}k99");
    redisFree(r);
    assert_int_equal(fr_cluster_kill_node(cl, 0), FR_OK);
    assert_int_equal(fr_cluster_kill_node(cl, 0), FR_ERR_STATE);
    assert_int_equal(fr_cluster_node_down(cl, 0), 1);
    assert_true(rs_connect(tu_cluster_port(cl, 0)) < 0);
    /* the others: node 0 a failing master without slots, 3 serves them */
    redisContext *c = tu_connect_port(tu_cluster_port(cl, 2));
    redisReply *x = tu_cmd(c, "CLUSTER NODES");
    snprintf(want, sizeof want, "%s 127.0.0.1:%d@%d master,fail - ", id0, tu_cluster_port(cl, 0),
             tu_cluster_port(cl, 0) + 10000);
    assert_non_null(strstr(x->str, want));
    assert_non_null(strstr(x->str, " 1 disconnected\n"));
    snprintf(want, sizeof want, "%s 127.0.0.1:%d@%d master - 0 ", id3, tu_cluster_port(cl, 3),
             tu_cluster_port(cl, 3) + 10000);
    assert_non_null(strstr(x->str, want));
    freeReplyObject(x);
    x = tu_cmd(c, "CLUSTER INFO");
    assert_non_null(strstr(x->str, "cluster_state:ok\r\n"));
    freeReplyObject(x);
    /* a shard per master: the failed one too, without slots, "fail" */
    x = tu_cmd(c, "CLUSTER SHARDS");
    assert_int_equal(x->elements, 4);
    assert_int_equal(x->element[0]->element[1]->elements, 0);
    assert_string_equal(x->element[0]->element[3]->element[0]->element[13]->str, "fail");
    freeReplyObject(x);
    /* the masters that see it fail: 1 and 3 (2 asks) */
    assert_int_equal(tu_cmd_int(c, "CLUSTER COUNT-FAILURE-REPORTS %s", id0), 2);
    expect_moved(c, 3300, tu_cluster_port(cl, 3), "GET %s", "b");
    check_keys(cl, 3);
    /* back: a replica of the node that took over, with its data */
    assert_int_equal(fr_cluster_revive_node(cl, 0), FR_OK);
    assert_int_equal(fr_cluster_master_of(cl, 0), 3);
    redisContext *back = tu_connect_port(tu_cluster_port(cl, 0));
    wait_reply_has(back, "slave", "ROLE");
    snprintf(want, sizeof want, "myself,slave %s", id3);
    wait_reply_has(back, want, "CLUSTER NODES");
    snprintf(want, sizeof want, "slave %s 0 ", id3);
    wait_reply_has(c, want, "CLUSTER NODES");
    tu_cmd_ok(back, "READONLY");
    wait_reply_has(back, "42", "GET {b}k42");
    redisFree(back);
    redisFree(c);
}

/* With a node timeout: fail? while the others still send clients to the
 * dead master (connects refused), then fail and its replica takes over. */
static void test_node_timeout(void **state)
{
    fr_cluster *cl = *state;
    char id0[41], want[128];
    myid(cl, 0, id0);
    assert_int_equal(fr_cluster_kill_node(cl, 0), FR_OK);
    redisContext *c = tu_connect_port(tu_cluster_port(cl, 1));
    redisReply *x = tu_cmd(c, "CLUSTER NODES");
    snprintf(want, sizeof want, "%s 127.0.0.1:%d@%d master,fail? - ", id0, tu_cluster_port(cl, 0),
             tu_cluster_port(cl, 0) + 10000);
    assert_non_null(strstr(x->str, want));
    freeReplyObject(x);
    x = tu_cmd(c, "CLUSTER INFO");
    assert_non_null(strstr(x->str, "cluster_state:ok\r\ncluster_slots_assigned:16384\r\n"
                                   "cluster_slots_ok:10923\r\ncluster_slots_pfail:5461\r\n"));
    freeReplyObject(x);
    expect_moved(c, 3300, tu_cluster_port(cl, 0), "GET %s", "b");
    assert_true(rs_connect(tu_cluster_port(cl, 0)) < 0);
    snprintf(want, sizeof want, "%s 127.0.0.1:%d@%d master,fail - ", id0, tu_cluster_port(cl, 0),
             tu_cluster_port(cl, 0) + 10000);
    wait_reply_has(c, want, "CLUSTER NODES");
    expect_moved(c, 3300, tu_cluster_port(cl, 3), "GET %s", "b");
    assert_int_equal(fr_cluster_master_of(cl, 3), -1);
    redisFree(c);
}

static void test_kill_master_alone(void **state)
{
    fr_cluster *cl = *state;
    redisContext *c = tu_connect_port(tu_cluster_port(cl, 0));
    tu_cmd_ok(c, "SET b 1");
    assert_int_equal(fr_cluster_kill_node(cl, 1), FR_OK);
    tu_cmd_str(c, REDIS_REPLY_ERROR, "CLUSTERDOWN The cluster is down", "GET b");
    redisReply *x = tu_cmd(c, "CLUSTER INFO");
    assert_non_null(strstr(x->str, "cluster_state:fail\r\ncluster_slots_assigned:16384\r\n"
                                   "cluster_slots_ok:10922\r\ncluster_slots_pfail:0\r\n"
                                   "cluster_slots_fail:5462\r\n"));
    freeReplyObject(x);
    x = tu_cmd(c, "CLUSTER SHARDS");
    assert_int_equal(x->elements, 3);
    freeReplyObject(x);
    tu_cmd_str(c, REDIS_REPLY_STRING, "PONG", "ECHO PONG"); /* keyless commands run */
    assert_int_equal(fr_cluster_revive_node(cl, 1), FR_OK);
    tu_cmd_str(c, REDIS_REPLY_STRING, "1", "GET b");
    assert_int_equal(fr_cluster_revive_node(cl, 1), FR_ERR_STATE);
    redisFree(c);
}

static void test_node_cut_off(void **state)
{
    fr_cluster *cl = *state;
    char id2[41], want[128];
    myid(cl, 2, id2);
    assert_int_equal(fr_cluster_set_reachable(cl, 2, 0), FR_OK);
    assert_int_equal(fr_cluster_node_down(cl, 2), 2);
    /* it still answers clients, but sees a cluster down around it */
    redisContext *cut = tu_connect_port(tu_cluster_port(cl, 2));
    tu_cmd_str(cut, REDIS_REPLY_ERROR, "CLUSTERDOWN The cluster is down", "GET a");
    redisReply *x = tu_cmd(cut, "CLUSTER LINKS");
    assert_int_equal(x->elements, 0);
    freeReplyObject(x);
    redisContext *c = tu_connect_port(tu_cluster_port(cl, 0));
    x = tu_cmd(c, "CLUSTER NODES");
    snprintf(want, sizeof want, "%s 127.0.0.1:%d@%d master,fail - ", id2, tu_cluster_port(cl, 2),
             tu_cluster_port(cl, 2) + 10000);
    assert_non_null(strstr(x->str, want));
    freeReplyObject(x);
    x = tu_cmd(c, "CLUSTER LINKS");
    assert_int_equal(x->elements, 2); /* to and from node 1 */
    freeReplyObject(x);
    assert_int_equal(fr_cluster_set_reachable(cl, 2, 1), FR_OK);
    tu_cmd_nil(cut, "GET a");
    tu_cmd_nil(c, "GET b");
    redisFree(cut);
    redisFree(c);
}

static void test_add_node_and_replicate(void **state)
{
    fr_cluster *cl = *state;
    int i = -1, j = -1;
    char id0[41], want[128];
    myid(cl, 0, id0);
    redisContext *c = tu_connect_port(tu_cluster_port(cl, 0));
    tu_cmd_ok(c, "SET b moved");
    assert_int_equal(fr_cluster_add_node(cl, &i), FR_OK);
    assert_int_equal(i, 3);
    redisContext *n = tu_connect_port(tu_cluster_port(cl, 3));
    redisReply *x = tu_cmd(n, "CLUSTER INFO");
    assert_non_null(strstr(x->str, "cluster_state:ok\r\n"));
    assert_non_null(strstr(x->str, "cluster_known_nodes:4\r\ncluster_size:3\r\n"
                                   "cluster_current_epoch:4\r\ncluster_my_epoch:0\r\n"));
    freeReplyObject(x);
    expect_moved(n, 3300, tu_cluster_port(cl, 0), "GET %s", "b");
    assert_int_equal(fr_cluster_move_slot(cl, 3300, 3), FR_OK);
    tu_cmd_str(n, REDIS_REPLY_STRING, "moved", "GET b");
    expect_moved(c, 3300, tu_cluster_port(cl, 3), "GET %s", "b");
    /* a fifth node, empty, made a replica of node 0 over the wire */
    assert_int_equal(fr_cluster_add_node(cl, &j), FR_OK);
    redisContext *r = tu_connect_port(tu_cluster_port(cl, j));
    tu_cmd_str(r, REDIS_REPLY_ERROR, "ERR Can't replicate myself", "CLUSTER REPLICATE %s",
               myid(cl, j, want));
    tu_cmd_ok(r, "CLUSTER REPLICATE %s", id0);
    snprintf(want, sizeof want, "myself,slave %s", id0);
    wait_reply_has(r, want, "CLUSTER NODES");
    wait_reply_has(r, "slave", "ROLE");
    assert_int_equal(fr_cluster_master_of(cl, j), 0);
    tu_cmd_str(c, REDIS_REPLY_ERROR,
               "ERR To set a master the node must be empty and without assigned slots.",
               "CLUSTER REPLICATE %s", myid(cl, 1, want));
    redisFree(r);
    redisFree(n);
    redisFree(c);
}

/* The subcommands' answers and errors, in the words a Redis 7.0.15 node
 * of a 3+3 cluster made by redis-cli --cluster create uses. */
static void test_admin_subcommands(void **state)
{
    fr_cluster *cl = *state;
    char id0[41], id3[41];
    myid(cl, 0, id0);
    myid(cl, 3, id3);
    redisContext *c = tu_connect_port(tu_cluster_port(cl, 0));
    redisContext *r = tu_connect_port(tu_cluster_port(cl, 3));
    tu_cmd_ok(c, "SET b 1");
    const int E = REDIS_REPLY_ERROR;
    tu_cmd_str(c, E, "ERR Unknown node abc", "CLUSTER REPLICAS abc");
    tu_cmd_str(c, E, "ERR Unknown node abc", "CLUSTER COUNT-FAILURE-REPORTS abc");
    assert_int_equal(tu_cmd_int(c, "CLUSTER COUNT-FAILURE-REPORTS %s", id3), 0);
    tu_cmd_str(c, E, "ERR Invalid TCP base port specified: abc", "CLUSTER MEET 127.0.0.1 abc");
    tu_cmd_str(c, E, "ERR Invalid TCP bus port specified: x", "CLUSTER MEET 127.0.0.1 5 x");
    tu_cmd_str(c, E, "ERR Invalid node address specified: 1.2.3.x:5", "CLUSTER MEET 1.2.3.x 5");
    tu_cmd_str(c, E, "ERR Invalid node address specified: 127.0.0.1:70000",
               "CLUSTER MEET 127.0.0.1 70000");
    tu_cmd_ok(c, "CLUSTER MEET 127.0.0.1 1");
    tu_cmd_str(c, E, "ERR I tried hard but I can't forget myself...", "CLUSTER FORGET %s", id0);
    tu_cmd_str(c, E, "ERR Unknown node abc", "CLUSTER FORGET abc");
    tu_cmd_str(r, E, "ERR Can't forget my master!", "CLUSTER FORGET %s", id0);
    tu_cmd_str(c, E, "ERR I can only replicate a master, not a replica.", "CLUSTER REPLICATE %s",
               id3);
    tu_cmd_ok(c, "CLUSTER SAVECONFIG");
    tu_cmd_str(c, E, "ERR Slot 1 is already busy", "CLUSTER ADDSLOTS 1");
    tu_cmd_str(c, E, "ERR Invalid or out of range slot", "CLUSTER ADDSLOTS 100000");
    tu_cmd_str(c, E, "ERR Invalid or out of range slot", "CLUSTER DELSLOTS abc");
    tu_cmd_str(c, E, "ERR start slot number 2 is greater than end slot number 1",
               "CLUSTER ADDSLOTSRANGE 2 1");
    tu_cmd_str(c, E, "ERR wrong number of arguments for 'cluster|addslotsrange' command",
               "CLUSTER ADDSLOTSRANGE 1 2 3");
    tu_cmd_str(c, E, "ERR DB must be empty to perform CLUSTER FLUSHSLOTS.", "CLUSTER FLUSHSLOTS");
    tu_cmd_str(c, E,
               "ERR The user can assign a config epoch only when the node does not know any "
               "other node.",
               "CLUSTER SET-CONFIG-EPOCH 5");
    tu_cmd_str(c, E, "ERR value is not an integer or out of range", "CLUSTER SET-CONFIG-EPOCH x");
    tu_cmd_str(c, E, "ERR Invalid config epoch specified: -1", "CLUSTER SET-CONFIG-EPOCH -1");
    tu_cmd_str(c, REDIS_REPLY_STATUS, "BUMPED 7", "CLUSTER BUMPEPOCH");
    tu_cmd_str(c, REDIS_REPLY_STATUS, "STILL 7", "CLUSTER BUMPEPOCH");
    tu_cmd_str(c, E, "ERR CLUSTER RESET can't be called with master nodes containing keys",
               "CLUSTER RESET");
    tu_cmd_str(c, E, "ERR syntax error", "CLUSTER RESET foo");
    tu_cmd_str(r, E,
               "ERR unknown subcommand or wrong number of arguments for 'failover'. Try "
               "CLUSTER HELP.",
               "CLUSTER failover TAKEOVER x");
    tu_cmd_str(c, E, "ERR wrong number of arguments for 'cluster|links' command",
               "CLUSTER LINKS x");
    tu_cmd_str(c, E,
               "ERR FAILOVER not allowed in cluster mode. Use CLUSTER FAILOVER command "
               "instead.",
               "FAILOVER");
    /* a slot dropped from this node's view: uncovered here, busy no more */
    tu_cmd_ok(c, "CLUSTER DELSLOTS 16383");
    tu_cmd_str(c, E, "ERR Slot 16383 is already unassigned", "CLUSTER DELSLOTSRANGE 16000 16383");
    tu_cmd_str(c, E, "CLUSTERDOWN The cluster is down", "GET b");
    tu_cmd_str(c, E, "ERR Slot 16383 specified multiple times", "CLUSTER ADDSLOTS 16383 16383");
    tu_cmd_ok(c, "CLUSTER ADDSLOTSRANGE 16383 16383");
    tu_cmd_str(c, REDIS_REPLY_STRING, "1", "GET b");
    /* a replica reset: alone, an empty master; the others see a master */
    tu_cmd_ok(r, "CLUSTER RESET");
    wait_reply_has(r, "master", "ROLE");
    /* the cluster's worker turns the replica into a master, then empties
     * it, after the +OK (Redis does both inside the command): wait for the
     * second step too (bounded), then it must be empty */
    for (int i = 0; i < 2000 && tu_cmd_int(r, "DBSIZE") != 0; i++)
        tu_readable_within(r, 1);
    assert_int_equal(tu_cmd_int(r, "DBSIZE"), 0);
    redisReply *x = tu_cmd(r, "CLUSTER NODES");
    assert_int_equal(strchr(x->str, '\n') - x->str + 1, (long)strlen(x->str)); /* one line */
    assert_non_null(strstr(x->str, " myself,master - 0 0 "));
    freeReplyObject(x);
    x = tu_cmd(r, "CLUSTER INFO");
    assert_non_null(strstr(x->str, "cluster_state:fail\r\ncluster_slots_assigned:0\r\n"));
    freeReplyObject(x);
    char want[128];
    snprintf(want, sizeof want, "%s 127.0.0.1:%d@%d master - 0 ", id3, tu_cluster_port(cl, 3),
             tu_cluster_port(cl, 3) + 10000);
    wait_reply_has(c, want, "CLUSTER NODES");
    redisFree(r);
    redisFree(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_replicas_in_the_views, setup_replicas,
                                        tu_cluster_teardown),
        cmocka_unit_test_setup_teardown(test_readonly_reads, setup_replicas, tu_cluster_teardown),
        cmocka_unit_test_setup_teardown(test_failover_from_the_test, setup_replicas,
                                        tu_cluster_teardown),
        cmocka_unit_test_setup_teardown(test_cluster_failover_on_the_wire, setup_replicas,
                                        tu_cluster_teardown),
        cmocka_unit_test_setup_teardown(test_kill_master_with_replica, setup_replicas,
                                        tu_cluster_teardown),
        cmocka_unit_test_setup_teardown(test_node_timeout, setup_timeout, tu_cluster_teardown),
        cmocka_unit_test_setup_teardown(test_kill_master_alone, tu_cluster_setup,
                                        tu_cluster_teardown),
        cmocka_unit_test_setup_teardown(test_node_cut_off, tu_cluster_setup, tu_cluster_teardown),
        cmocka_unit_test_setup_teardown(test_add_node_and_replicate, tu_cluster_setup,
                                        tu_cluster_teardown),
        cmocka_unit_test_setup_teardown(test_admin_subcommands, setup_replicas,
                                        tu_cluster_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
