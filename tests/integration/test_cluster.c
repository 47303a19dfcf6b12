/* A 3-master cluster in one process (fr_cluster_start), over the wire: the
 * slot split of redis-cli --cluster create, CLUSTER SLOTS/NODES/INFO/
 * KEYSLOT/COUNTKEYSINSLOT/GETKEYSINSLOT, the exact -MOVED, -ASK,
 * -CROSSSLOT and -TRYAGAIN texts on a raw socket, SELECT refused, a live
 * slot migration (ASK during, ASKING on the target, MOVED after), SETSLOT
 * over the wire, and redis-cli -c following a slot that moved (MOVED) and
 * one that is migrating (ASK). */
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

#include "fakeredis/cluster.h"
#include "fakeredis/fakeredis.h"
#include "support/rawsock.h"
#include "support/clusterutil.h"
#include "support/testutil.h"

/* Send one command on a raw socket; the reply must be exactly want. */
static void raw_expect(int port, const char *cmd, const char *want)
{
    int fd = rs_must_connect(port);
    rs_send(fd, cmd);
    rs_expect(fd, want);
    close(fd);
}

static void test_slots_and_keyslot(void **state)
{
    fr_cluster *cl = *state;
    assert_int_equal(fr_cluster_size(cl), 3);
    assert_int_equal(fr_cluster_keyslot("123456789", 9), 12739); /* crc16 0x31C3 */
    assert_int_equal(fr_cluster_keyslot("{user1000}.following", 20),
                     fr_cluster_keyslot("user1000", 8));
    assert_int_equal(fr_cluster_keyslot("foo{}{bar}", 10), fr_cluster_keyslot("foo{}{bar}", 10));
    assert_int_equal(fr_cluster_slot_owner(cl, 5460), 0);
    assert_int_equal(fr_cluster_slot_owner(cl, 5461), 1);
    assert_int_equal(fr_cluster_slot_owner(cl, 10923), 2);
    redisContext *c = tu_connect_port(tu_cluster_port(cl, 1));
    assert_int_equal(tu_cmd_int(c, "CLUSTER KEYSLOT foo{bar}"), 5061);
    redisReply *r = tu_cmd(c, "CLUSTER SLOTS");
    assert_int_equal(r->elements, 3);
    assert_int_equal(r->element[1]->element[0]->integer, 5461);
    assert_int_equal(r->element[1]->element[1]->integer, 10922);
    assert_string_equal(r->element[1]->element[2]->element[0]->str, "127.0.0.1");
    assert_int_equal(r->element[1]->element[2]->element[1]->integer, tu_cluster_port(cl, 1));
    freeReplyObject(r);
    r = tu_cmd(c, "CLUSTER NODES");
    assert_non_null(strstr(r->str, "myself,master - 0 0 2 connected 5461-10922\n"));
    freeReplyObject(r);
    r = tu_cmd(c, "CLUSTER INFO");
    assert_non_null(strstr(r->str, "cluster_state:ok\r\ncluster_slots_assigned:16384\r\n"));
    assert_non_null(strstr(r->str, "cluster_known_nodes:3\r\ncluster_size:3\r\n"));
    freeReplyObject(r);
    r = tu_cmd(c, "CLUSTER MYID");
    assert_int_equal(r->len, 40);
    freeReplyObject(r);
    redisFree(c);
}

static void test_redirections_on_the_wire(void **state)
{
    fr_cluster *cl = *state;
    int p0 = tu_cluster_port(cl, 0);
    char want[96];
    /* foo is in slot 12182, on node 2 */
    snprintf(want, sizeof want, "-MOVED 12182 127.0.0.1:%d\r\n", tu_cluster_port(cl, 2));
    raw_expect(p0, "*2\r\n$3\r\nGET\r\n$3\r\nfoo\r\n", want);
    raw_expect(p0, "*5\r\n$4\r\nMSET\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n",
               "-CROSSSLOT Keys in request don't hash to the same slot\r\n");
    /* keys found by the key specs: numkeys, STREAMS */
    raw_expect(p0, "*5\r\n$11\r\nZUNIONSTORE\r\n$1\r\nd\r\n$1\r\n2\r\n$1\r\na\r\n$1\r\nb\r\n",
               "-CROSSSLOT Keys in request don't hash to the same slot\r\n");
    raw_expect(p0, "*4\r\n$5\r\nXREAD\r\n$7\r\nSTREAMS\r\n$3\r\nfoo\r\n$1\r\n0\r\n", want);
    raw_expect(p0, "*2\r\n$6\r\nSELECT\r\n$1\r\n1\r\n",
               "-ERR SELECT is not allowed in cluster mode\r\n");
    raw_expect(p0, "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n", "+OK\r\n");
    /* keys with one hash tag go together, where the tag lives */
    redisContext *c = tu_connect_port(tu_cluster_port(cl, 2));
    tu_cmd_ok(c, "MSET {foo}a 1 {foo}b 2");
    assert_int_equal(tu_cmd_int(c, "CLUSTER COUNTKEYSINSLOT 12182"), 2);
    redisReply *r = tu_cmd(c, "CLUSTER GETKEYSINSLOT 12182 1");
    assert_int_equal(r->elements, 1);
    freeReplyObject(r);
    /* commands without keys are served anywhere */
    tu_cmd_str(c, REDIS_REPLY_STATUS, "PONG", "PING");
    redisFree(c);
}

static void test_live_migration(void **state)
{
    fr_cluster *cl = *state;
    int slot = fr_cluster_keyslot("foo", 3); /* 12182, node 2 */
    redisContext *src = tu_connect_port(tu_cluster_port(cl, 2)),
                 *dst = tu_connect_port(tu_cluster_port(cl, 0));
    tu_cmd_ok(src, "SET {foo}1 one");
    tu_cmd_ok(src, "SET {foo}2 two");
    assert_int_equal(fr_cluster_migrate_begin(cl, slot, 0), FR_OK);
    assert_int_equal(fr_cluster_migrate_begin(cl, slot, 0), FR_ERR_STATE);
    assert_int_equal(fr_cluster_migrate_keys(cl, slot, 1), 1);
    /* one key moved, one not: the source serves the one it has, ASKs for the
     * other, and TRYAGAIN for both at once */
    int in_src = tu_cmd_int(src, "EXISTS {foo}1");
    const char *gone = in_src ? "{foo}2" : "{foo}1";
    const char *here = in_src ? "{foo}1" : "{foo}2";
    redisReply *r = tu_cmd(src, "GET %s", here);
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    freeReplyObject(r);
    char want[96];
    snprintf(want, sizeof want, "ASK %d 127.0.0.1:%d", slot, tu_cluster_port(cl, 0));
    tu_cmd_str(src, REDIS_REPLY_ERROR, want, "GET %s", gone);
    tu_cmd_str(src, REDIS_REPLY_ERROR, "TRYAGAIN Multiple keys request during rehashing of slot",
               "MGET {foo}1 {foo}2");
    /* the target answers MOVED unless ASKING came first, for one command */
    snprintf(want, sizeof want, "MOVED %d 127.0.0.1:%d", slot, tu_cluster_port(cl, 2));
    tu_cmd_str(dst, REDIS_REPLY_ERROR, want, "GET %s", gone);
    tu_cmd_ok(dst, "ASKING");
    r = tu_cmd(dst, "GET %s", gone);
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    freeReplyObject(r);
    tu_cmd_str(dst, REDIS_REPLY_ERROR, want, "GET %s", gone);
    r = tu_cmd(dst, "CLUSTER NODES");
    snprintf(want, sizeof want, "[%d-<-", slot);
    assert_non_null(strstr(r->str, want));
    freeReplyObject(r);
    /* done: every node now sends the slot to node 0 */
    assert_int_equal(fr_cluster_migrate_end(cl, slot), FR_OK);
    assert_int_equal(fr_cluster_slot_owner(cl, slot), 0);
    snprintf(want, sizeof want, "MOVED %d 127.0.0.1:%d", slot, tu_cluster_port(cl, 0));
    tu_cmd_str(src, REDIS_REPLY_ERROR, want, "GET {foo}1");
    redisContext *third = tu_connect_port(tu_cluster_port(cl, 1));
    tu_cmd_str(third, REDIS_REPLY_ERROR, want, "GET {foo}1");
    redisFree(third);
    tu_cmd_str(dst, REDIS_REPLY_STRING, "one", "GET {foo}1");
    tu_cmd_str(dst, REDIS_REPLY_STRING, "two", "GET {foo}2");
    assert_int_equal(tu_cmd_int(src, "CLUSTER COUNTKEYSINSLOT %d", slot), 0);
    redisFree(src);
    redisFree(dst);
}

static void test_setslot_over_the_wire(void **state)
{
    fr_cluster *cl = *state;
    redisContext *c = tu_connect_port(tu_cluster_port(cl, 0));
    tu_cmd_str(c, REDIS_REPLY_ERROR, "ERR Invalid or out of range slot",
               "CLUSTER SETSLOT 16384 STABLE");
    tu_cmd_str(c, REDIS_REPLY_ERROR,
               "ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP",
               "CLUSTER SETSLOT 1 FOO");
    tu_cmd_str(c, REDIS_REPLY_ERROR, "ERR I'm already the owner of hash slot 1",
               "CLUSTER SETSLOT 1 IMPORTING abc");
    tu_cmd_str(c, REDIS_REPLY_ERROR, "ERR I don't know about node abc",
               "CLUSTER SETSLOT 1 MIGRATING abc");
    tu_cmd_str(c, REDIS_REPLY_ERROR, "ERR Unknown node abc", "CLUSTER SETSLOT 1 NODE abc");
    /* give slot 1 to nobody's view but ours: node 0 then redirects it */
    redisContext *n2 = tu_connect_port(tu_cluster_port(cl, 2));
    redisReply *id = tu_cmd(n2, "CLUSTER MYID");
    tu_cmd_ok(c, "CLUSTER SETSLOT 1 NODE %s", id->str);
    char want[64];
    snprintf(want, sizeof want, "MOVED 1 127.0.0.1:%d", tu_cluster_port(cl, 2));
    /* a key of slot 1 */
    tu_cmd_str(c, REDIS_REPLY_ERROR, want, "GET %s", "Qi");
    freeReplyObject(id);
    redisFree(n2);
    redisFree(c);
}

static void test_redis_cli_follows(void **state)
{
    fr_cluster *cl = *state;
    if (system("redis-cli --version >/dev/null 2>&1") != 0)
        skip();
    char cmd[256], out[128] = "";
    snprintf(cmd, sizeof cmd, "redis-cli -c -p %d SET foo bar >/dev/null 2>&1",
             tu_cluster_port(cl, 0));
    assert_int_equal(system(cmd) == -1, 0);
    int slot = fr_cluster_keyslot("foo", 3);
    assert_int_equal(fr_cluster_move_slot(cl, slot, 1), FR_OK);
    /* asked on the old owner, redis-cli follows MOVED to the new one */
    snprintf(cmd, sizeof cmd, "redis-cli -c -p %d GET foo 2>&1", tu_cluster_port(cl, 2));
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(out, sizeof out, p));
    pclose(p);
    assert_string_equal(out, "bar\n");
    redisContext *c = tu_connect_port(tu_cluster_port(cl, 1));
    tu_cmd_str(c, REDIS_REPLY_STRING, "bar", "GET foo");
    /* during a live migration back to node 0, with foo already moved: the
     * owner answers -ASK and redis-cli follows it (ASKING on the target) */
    assert_int_equal(fr_cluster_migrate_begin(cl, slot, 0), FR_OK);
    assert_int_equal(fr_cluster_migrate_keys(cl, slot, 10), 1);
    char ask[64];
    snprintf(ask, sizeof ask, "ASK %d 127.0.0.1:%d", slot, tu_cluster_port(cl, 0));
    tu_cmd_str(c, REDIS_REPLY_ERROR, ask, "GET foo");
    snprintf(cmd, sizeof cmd, "redis-cli -c -p %d GET foo 2>&1", tu_cluster_port(cl, 1));
    p = popen(cmd, "r");
    assert_non_null(p);
    out[0] = 0;
    assert_non_null(fgets(out, sizeof out, p));
    pclose(p);
    assert_string_equal(out, "bar\n");
    fr_reply *asking = fr_execf(fr_cluster_node(cl, 0), "INFO commandstats");
    assert_non_null(strstr(asking->str, "cmdstat_asking:calls=1,"));
    fr_reply_free(asking);
    assert_int_equal(fr_cluster_migrate_end(cl, slot), FR_OK);
    redisFree(c);
}

/* Scripts run only on the node's own keys, in one slot; a cluster that is
 * down refuses them (and, with cluster-allow-reads-when-down, only their
 * writes). "b" (3300) and "bar" (5061) are node 0's, "foo" (12182) node 2's. */
static void test_scripts_and_down_cluster(void **state)
{
    fr_cluster *cl = *state;
    redisContext *c = tu_connect_port(tu_cluster_port(cl, 0));
    tu_cmd_err_starts(c, "ERR Script attempted to access a non local key in a cluster node",
                      "EVAL %s 0", "return redis.call('get', 'foo')");
    tu_cmd_err_starts(c, "ERR Script attempted to access a non local key in a cluster node",
                      "EVAL %s 0", "return redis.pcall('mget', 'b', 'bar')");
    /* an old-style script may cross slots of this node; one with a shebang not */
    tu_cmd_nil(c, "EVAL %s 1 b", "redis.call('get', 'b') return redis.call('get', 'bar')");
    tu_cmd_err_starts(c, "ERR Script attempted to access keys that do not hash to the same slot",
                      "EVAL %s 1 b", "#!lua\nreturn redis.call('get', 'bar')");
    tu_cmd_nil(c, "EVAL %s 1 b",
               "#!lua flags=allow-cross-slot-keys\nreturn redis.call('get', 'bar')");
    tu_cmd_str(c, REDIS_REPLY_ERROR, "ERR Can not run script on cluster, 'no-cluster' flag is set.",
               "EVAL %s 0", "#!lua flags=no-cluster\nreturn 1");
    /* node 2 has no replica: killed, its slots are lost and the cluster is down */
    assert_int_equal(fr_cluster_kill_node(cl, 2), FR_OK);
    tu_cmd_str(c, REDIS_REPLY_ERROR, "CLUSTERDOWN The cluster is down", "GET b");
    tu_cmd_err_starts(c, "ERR Script attempted to execute a command while the cluster is down",
                      "EVAL %s 0", "return redis.call('get', 'b')");
    tu_cmd_ok(c, "CONFIG SET cluster-allow-reads-when-down yes");
    tu_cmd_nil(c, "GET b");
    tu_cmd_str(c, REDIS_REPLY_ERROR,
               "CLUSTERDOWN The cluster is down and only accepts read commands", "SET b 1");
    tu_cmd_err_starts(
        c,
        "ERR Script attempted to execute a write command while the cluster is down and "
        "readonly",
        "EVAL %s 0", "return redis.call('set', 'b', '1')");
    tu_cmd_ok(c, "CONFIG SET cluster-allow-reads-when-down no");
    tu_cmd_ok(c, "CONFIG SET cluster-require-full-coverage no");
    tu_cmd_nil(c, "GET b");
    redisFree(c);
}

static void test_standalone_refuses(void **state)
{
    (void)state;
    fr_server *srv = tu_start();
    redisContext *c = tu_connect(srv);
    tu_cmd_str(c, REDIS_REPLY_ERROR, "ERR This instance has cluster support disabled",
               "CLUSTER SLOTS");
    tu_cmd_str(c, REDIS_REPLY_ERROR, "ERR This instance has cluster support disabled", "ASKING");
    tu_cmd_ok(c, "SELECT 1");
    tu_cmd_ok(c, "MSET a 1 b 2");
    redisFree(c);
    fr_server_stop(srv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_slots_and_keyslot, tu_cluster_setup,
                                        tu_cluster_teardown),
        cmocka_unit_test_setup_teardown(test_redirections_on_the_wire, tu_cluster_setup,
                                        tu_cluster_teardown),
        cmocka_unit_test_setup_teardown(test_live_migration, tu_cluster_setup, tu_cluster_teardown),
        cmocka_unit_test_setup_teardown(test_setslot_over_the_wire, tu_cluster_setup,
                                        tu_cluster_teardown),
        cmocka_unit_test_setup_teardown(test_redis_cli_follows, tu_cluster_setup,
                                        tu_cluster_teardown),
        cmocka_unit_test_setup_teardown(test_scripts_and_down_cluster, tu_cluster_setup,
                                        tu_cluster_teardown),
        cmocka_unit_test(test_standalone_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
