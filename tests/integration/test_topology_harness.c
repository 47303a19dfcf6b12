/* The topology harness (fakeredis/topology.h) over the wire: a group and a
 * cluster per test and per cmocka group, the reset between tests (the
 * next test must find none of what the last one left), the waits (each
 * must time out while its condition does not hold, and return once it
 * does, not before), and journal queries across the nodes. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "fakeredis/cmocka.h"
#include "fakeredis/events.h"
#include "fakeredis/fault.h"
#include "fakeredis/inspect.h"
#include "fakeredis/topology.h"
#include "support/testutil.h"

static const fr_topo_config group2 = {.kind = FR_TOPO_GROUP};
static const fr_topo_config group_sentinel = {.kind = FR_TOPO_GROUP,
                                              .group = {.replicas = 2, .sentinel = 1}};
static const fr_topo_config cluster3 = {.kind = FR_TOPO_CLUSTER};

static redisContext *connect_named(fr_server *srv, const char *name)
{
    redisContext *c = tu_connect(srv);
    tu_cmd_ok(c, "CLIENT SETNAME %s", name);
    return c;
}

static void nap_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static char *value_of(fr_server *srv, const char *key)
{
    char *v = NULL;
    size_t n = 0;
    return fr_get(srv, key, &v, &n) == FR_OK ? v : NULL;
}

/* ---- a group per test ------------------------------------------------------ */

static void test_group_fixture_and_synced(void **state)
{
    fr_topo *t = *state;
    assert_non_null(t->group);
    assert_null(t->cluster);
    assert_int_equal(fr_topo_size(t), 3);
    assert_int_equal(fr_topo_master(t), 0);
    fr_server *m = fr_topo_node(t, 0), *r1 = fr_topo_node(t, 1);
    assert_int_equal(fr_topo_index(t, r1), 1);

    /* a paused replica: the wait must not return while it lags behind */
    assert_int_equal(fr_replica_pause(r1), FR_OK);
    redisContext *c = connect_named(m, "app");
    tu_cmd_ok(c, "SET k v1");
    int64_t t0 = tu_mono_ms();
    assert_int_equal(fr_topo_wait_synced(t, 150), FR_ERR_TIMEOUT);
    assert_true(tu_mono_ms() - t0 >= 150);
    assert_non_null(strstr(fr_wait_message(), "node 1"));
    assert_null(value_of(r1, "k"));

    assert_int_equal(fr_replica_resume(r1), FR_OK);
    fr_assert_wait(fr_topo_wait_synced(t, 2000));
    /* returned once it held: every replica has the write */
    for (int i = 1; i < 3; i++) {
        char *v = value_of(fr_topo_node(t, i), "k");
        assert_non_null(v);
        assert_string_equal(v, "v1");
        free(v);
    }
    redisFree(c);
}

/* The _on form runs the test's own base while it waits over the nodes. */
static int ticks;
static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    ticks++;
}

static void test_group_synced_on_base(void **state)
{
    fr_topo *t = *state;
    struct event_base *base = event_base_new();
    struct event *tick = event_new(base, -1, EV_PERSIST, on_tick, NULL);
    struct timeval ms5 = {0, 5000};
    event_add(tick, &ms5);
    fr_server *r2 = fr_topo_node(t, 2);
    assert_int_equal(fr_replica_pause(r2), FR_OK);
    redisContext *c = tu_connect(fr_topo_node(t, 0));
    tu_cmd_ok(c, "SET k v");
    ticks = 0;
    assert_int_equal(fr_topo_wait_synced_on(base, t, 100), FR_ERR_TIMEOUT);
    assert_true(ticks >= 5); /* the base ran meanwhile */
    assert_int_equal(fr_replica_resume(r2), FR_OK);
    fr_assert_wait(fr_topo_wait_synced_on(base, t, 2000));
    char *v = value_of(r2, "k");
    assert_non_null(v);
    free(v);
    event_free(tick);
    event_base_free(base);
    redisFree(c);
}

/* The client of a failover test: on its old master (now a replica) its
 * write gets -READONLY; it reconnects to the master it is told. */
static void test_group_follow_master(void **state)
{
    fr_topo *t = *state;
    fr_server *old = fr_topo_node(t, 0);
    redisContext *app = connect_named(old, "app");
    /* a connection to the future master, opened before the mark */
    redisContext *early = connect_named(fr_topo_node(t, 1), "app");
    fr_topo_mark mark;
    assert_int_equal(fr_topo_mark_now(t, &mark), FR_OK);

    assert_int_equal(fr_group_failover(t->group), FR_OK);
    int now = fr_topo_master(t);
    assert_true(now == 1 || now == 2);
    fr_journal_query q = {.command = "SET k *", .client = "app"};
    /* the client has not followed yet: no early return */
    redisReply *r = tu_cmd(app, "SET k stale");
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    freeReplyObject(r);
    assert_int_equal(fr_topo_wait_follow_master(t, &q, &mark, 0, 100), FR_ERR_TIMEOUT);
    assert_non_null(strstr(fr_wait_message(), "the master is node"));
    /* an old connection to the new master is not a client that followed */
    if (now == 1) {
        tu_cmd_ok(early, "SET k early");
        assert_int_equal(fr_topo_wait_follow_master(t, &q, &mark, 1, 100), FR_ERR_TIMEOUT);
        assert_int_equal(fr_topo_wait_follow_master(t, &q, &mark, 0, 100), FR_OK);
    }
    redisFree(app);
    app = connect_named(fr_topo_node(t, now), "app");
    tu_cmd_ok(app, "SET k followed");
    fr_assert_wait(fr_topo_wait_follow_master(t, &q, &mark, 1, 1000));

    /* which node saw what */
    int which = -2;
    fr_journal_query stale = {.command = "SET k stale"};
    assert_int_equal(fr_topo_journal_which(t, &stale, &mark, &which), FR_OK);
    assert_int_equal(which, 0);
    fr_journal_query none = {.command = "SET nothing *"};
    assert_int_equal(fr_topo_journal_which(t, &none, &mark, &which), FR_OK);
    assert_int_equal(which, -1);
    long long per[FR_TOPO_MAX_NODES];
    fr_journal_query sets = {.command = "SET k *"};
    long long total = fr_topo_journal_count(t, &sets, &mark, per);
    assert_int_equal(total, now == 1 ? 3 : 2);
    assert_int_equal(per[0], 1);
    assert_int_equal(per[now], now == 1 ? 2 : 1);
    char *text = NULL;
    assert_int_equal(fr_topo_journal_format(t, &sets, &mark, &text), FR_OK);
    assert_non_null(strstr(text, "node 0 (127.0.0.1:"));
    assert_non_null(strstr(text, "SET \"k\" \"followed\""));
    free(text);
    redisFree(app);
    redisFree(early);
}

/* ---- one group for a cmocka group: the reset ----------------------------------- */

/* clients the dirty test leaves open: the reset must close them */
static redisContext *left_open, *sentinel_sub;

static void test_group_dirty(void **state)
{
    fr_topo *t = *state;
    fr_server *m = fr_topo_node(t, 0);
    left_open = connect_named(fr_topo_node(t, 1), "left");
    fr_server *sen = fr_group_sentinel(t->group);
    if (sen) {
        sentinel_sub = tu_connect(sen);
        redisReply *r = tu_cmd(sentinel_sub, "SUBSCRIBE +switch-master");
        freeReplyObject(r);
    }
    redisContext *c = connect_named(m, "app");
    tu_cmd_ok(c, "SET left behind");
    fr_assert_wait(fr_topo_wait_synced(t, 2000));
    assert_int_equal(fr_group_failover(t->group), FR_OK);
    assert_int_not_equal(fr_topo_master(t), 0);
    fr_server *nm = fr_topo_node(t, fr_topo_master(t));
    assert_int_equal(fr_fault_add_text(nm, "cmd=GET action=error err=loading", NULL), FR_OK);
    assert_int_equal(fr_replica_pause(m), FR_OK); /* the old master follows now */
    assert_int_equal(fr_replica_set_lag(fr_topo_node(t, fr_topo_master(t) == 1 ? 2 : 1), 500),
                     FR_OK);
    redisFree(c);
}

static void test_group_clean(void **state)
{
    fr_topo *t = *state;
    assert_int_equal(t->restarts, 0); /* cheap: no restart */
    assert_int_equal(fr_topo_master(t), 0);
    fr_server *m = fr_topo_node(t, 0);
    fr_server *sen = fr_group_sentinel(t->group);
    if (sen) {
        redisContext *s = tu_connect(sen);
        redisReply *r = tu_cmd(s, "SENTINEL GET-MASTER-ADDR-BY-NAME mymaster");
        assert_int_equal(r->type, REDIS_REPLY_ARRAY);
        assert_int_equal(atoi(r->element[1]->str), fr_server_port(m));
        freeReplyObject(r);
        redisFree(s);
    }
    /* the server closed the client left open */
    assert_non_null(left_open);
    redisReply *gone = redisCommand(left_open, "PING");
    assert_null(gone);
    redisFree(left_open);
    left_open = NULL;
    if (sentinel_sub) {
        fr_assert_wait(fr_wait_clients(sen, 0, 1000)); /* the subscriber too */
        /* the dirty test's +switch-master, then the end */
        redisReply *r = NULL;
        int got = 0;
        while (got < 5 && redisGetReply(sentinel_sub, (void **)&r) == REDIS_OK) {
            freeReplyObject(r);
            got++;
        }
        assert_int_equal(got, 1);
        assert_int_equal(sentinel_sub->err, REDIS_ERR_EOF);
        redisFree(sentinel_sub);
        sentinel_sub = NULL;
    }
    fr_journal_query old_sets = {.command = "SET left *"};
    assert_int_equal(fr_topo_journal_count(t, &old_sets, NULL, NULL), 0);
    for (int i = 0; i < fr_topo_size(t); i++) {
        fr_server *s = fr_topo_node(t, i);
        assert_int_equal(fr_dbsize(s), 0);
        fr_reply *list = fr_execf(s, "CLIENT LIST");
        assert_null(strstr(list->str, "name=left"));
        assert_null(strstr(list->str, "name=app"));
        fr_reply_free(list);
        redisContext *c = tu_connect(s);
        tu_cmd_nil(c, "GET left"); /* no error rule */
        redisFree(c);
    }
    /* replicas apply at once again: no pause, no lag */
    redisContext *c = tu_connect(m);
    tu_cmd_ok(c, "SET fresh 1");
    fr_assert_wait(fr_topo_wait_synced(t, 300));
    for (int i = 1; i < 3; i++) {
        char *v = value_of(fr_topo_node(t, i), "fresh");
        assert_non_null(v);
        free(v);
    }
    redisFree(c);
}

/* A stopped node cannot come back in place: the reset starts again. */
static void test_group_broken(void **state)
{
    fr_topo *t = *state;
    fr_reply_free(fr_execf(fr_topo_node(t, 2), "SHUTDOWN NOSAVE"));
    assert_true(fr_server_is_shut_down(fr_topo_node(t, 2)));
}

static void test_group_restarted(void **state)
{
    fr_topo *t = *state;
    assert_int_equal(t->restarts, 1);
    assert_int_equal(fr_topo_size(t), 3);
    assert_false(fr_server_is_shut_down(fr_topo_node(t, 2)));
    assert_int_equal(fr_topo_master(t), 0);
    fr_assert_wait(fr_topo_wait_synced(t, 1000));
}

FR_TOPO_GROUP_SETUP(sentinel_setup, &group_sentinel)

/* ---- a cluster ---------------------------------------------------------------------- */

typedef struct setslot_job {
    fr_topo *t;
    int slot, to, delay_ms;
} setslot_job;

static char *node_id(fr_server *srv)
{
    fr_reply *r = fr_execf(srv, "CLUSTER MYID");
    assert_non_null(r);
    char *id = strdup(r->str);
    fr_reply_free(r);
    return id;
}

/* What redis-cli --cluster reshard does last: every node hears the new
 * owner, one at a time, over the wire. */
static void *setslot_later(void *arg)
{
    setslot_job *j = arg;
    nap_ms(j->delay_ms);
    char *id = node_id(fr_topo_node(j->t, j->to));
    for (int i = 0; i < fr_topo_size(j->t); i++) {
        redisContext *c = tu_connect_port(fr_server_port(fr_topo_node(j->t, i)));
        redisReply *r = redisCommand(c, "CLUSTER SETSLOT %d NODE %s", j->slot, id);
        freeReplyObject(r);
        redisFree(c);
    }
    free(id);
    return NULL;
}

static void test_cluster_slot_wait(void **state)
{
    fr_topo *t = *state;
    assert_non_null(t->cluster);
    assert_int_equal(fr_topo_size(t), 3);
    int slot = fr_cluster_keyslot("k", 1), from = fr_topo_slot_owner(t, slot);
    int to = (from + 1) % 3;
    assert_int_equal(fr_topo_wait_slot_owner(t, slot, to, 100), FR_ERR_TIMEOUT);
    assert_non_null(strstr(fr_wait_message(), "says node"));
    setslot_job j = {t, slot, to, 100};
    pthread_t th;
    int64_t t0 = tu_mono_ms();
    pthread_create(&th, NULL, setslot_later, &j);
    fr_assert_wait(fr_topo_wait_slot_owner(t, slot, to, 3000));
    assert_true(tu_mono_ms() - t0 >= 100);
    pthread_join(th, NULL);
    /* returned when every node agreed */
    for (int i = 0; i < 3; i++) {
        redisContext *c = tu_connect(fr_topo_node(t, i));
        redisReply *r = tu_cmd(c, "GET k");
        if (i == to) {
            assert_int_equal(r->type, REDIS_REPLY_NIL);
        } else {
            assert_int_equal(r->type, REDIS_REPLY_ERROR);
            char want[64];
            snprintf(want, sizeof want, "MOVED %d 127.0.0.1:%d", slot,
                     fr_server_port(fr_topo_node(t, to)));
            assert_string_equal(r->str, want);
        }
        freeReplyObject(r);
        redisFree(c);
    }
}

static void test_cluster_follow_slot(void **state)
{
    fr_topo *t = *state;
    int slot = fr_cluster_keyslot("k", 1), from = fr_topo_slot_owner(t, slot);
    int to = (from + 1) % 3;
    redisContext *c = connect_named(fr_topo_node(t, from), "app");
    fr_topo_mark mark;
    assert_int_equal(fr_topo_mark_now(t, &mark), FR_OK);
    assert_int_equal(fr_cluster_move_slot(t->cluster, slot, to), FR_OK);
    fr_journal_query q = {.command = "SET k *", .client = "app"};
    redisReply *r = tu_cmd(c, "SET k 1");
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    freeReplyObject(r);
    assert_int_equal(fr_topo_wait_follow_slot(t, slot, &q, &mark, 1, 100), FR_ERR_TIMEOUT);
    redisFree(c);
    c = connect_named(fr_topo_node(t, to), "app");
    tu_cmd_ok(c, "SET k 1");
    fr_assert_wait(fr_topo_wait_follow_slot(t, slot, &q, &mark, 1, 1000));
    redisFree(c);
}

static void test_cluster_dirty(void **state)
{
    fr_topo *t = *state;
    int slot = fr_cluster_keyslot("k", 1), from = fr_topo_slot_owner(t, slot);
    int other = fr_cluster_keyslot("other", 5);
    assert_int_equal(fr_cluster_move_slot(t->cluster, slot, (from + 1) % 3), FR_OK);
    int ofrom = fr_topo_slot_owner(t, other);
    assert_int_equal(fr_cluster_migrate_begin(t->cluster, other, (ofrom + 2) % 3), FR_OK);
    redisContext *c = tu_connect(fr_topo_node(t, (from + 1) % 3));
    tu_cmd_ok(c, "SET k 1");
    redisFree(c);
    assert_int_equal(fr_fault_add_text(fr_topo_node(t, 0), "cmd=PING action=close", NULL), FR_OK);
}

static void test_cluster_clean(void **state)
{
    fr_topo *t = *state;
    assert_int_equal(t->restarts, 0);
    int slot = fr_cluster_keyslot("k", 1), other = fr_cluster_keyslot("other", 5);
    /* the first split of 3 masters */
    assert_int_equal(fr_topo_slot_owner(t, 0), 0);
    assert_int_equal(fr_topo_slot_owner(t, 5461), 1);
    assert_int_equal(fr_topo_slot_owner(t, 16383), 2);
    int owner = slot <= 5460 ? 0 : slot <= 10922 ? 1 : 2;
    assert_int_equal(fr_topo_slot_owner(t, slot), owner);
    fr_assert_wait(fr_topo_wait_slot_owner(t, slot, owner, 100));
    /* the migration is closed: another can begin */
    int oowner = fr_topo_slot_owner(t, other);
    assert_int_equal(fr_cluster_migrate_begin(t->cluster, other, (oowner + 1) % 3), FR_OK);
    assert_int_equal(fr_cluster_migrate_end(t->cluster, other), FR_OK);
    assert_int_equal(fr_cluster_move_slot(t->cluster, other, oowner), FR_OK);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(fr_dbsize(fr_topo_node(t, i)), 0);
        redisContext *c = tu_connect(fr_topo_node(t, i));
        redisReply *r = tu_cmd(c, "PING");
        assert_int_equal(r->type, REDIS_REPLY_STATUS);
        freeReplyObject(r);
        redisFree(c);
    }
}

/* Moved over the wire: the cluster learns it (a client's SETSLOT NODE
 * reaches the cluster's record a moment later, as by gossip), so the
 * reset moves it back, or, when it looks before the record has it, finds
 * the views off and starts again: either way the slot is back. */
static void test_cluster_wire_move(void **state)
{
    fr_topo *t = *state;
    int slot = fr_cluster_keyslot("k", 1), from = fr_topo_slot_owner(t, slot);
    setslot_job j = {t, slot, (from + 1) % 3, 0};
    setslot_later(&j);
    fr_assert_wait(fr_topo_wait_slot_owner(t, slot, (from + 1) % 3, 1000));
}

static void test_cluster_after_wire_move(void **state)
{
    fr_topo *t = *state;
    assert_true(t->restarts <= 1);
    int slot = fr_cluster_keyslot("k", 1);
    int owner = slot <= 5460 ? 0 : slot <= 10922 ? 1 : 2;
    fr_assert_wait(fr_topo_wait_slot_owner(t, slot, owner, 100));
}

FR_TOPO_GROUP_SETUP(cluster_setup, &cluster3)

/* ---- the journal over all nodes, waited for ------------------------------------------ */

static void test_wait_journal_all_nodes(void **state)
{
    fr_topo *t = *state;
    fr_journal_query q = {.command = "PING"};
    assert_int_equal(fr_topo_wait_journal(t, &q, t->marks, 2, 100), FR_ERR_TIMEOUT);
    redisContext *a = tu_connect(fr_topo_node(t, 0)), *b = tu_connect(fr_topo_node(t, 2));
    redisReply *r = tu_cmd(a, "PING");
    freeReplyObject(r);
    assert_int_equal(fr_topo_wait_journal(t, &q, t->marks, 2, 100), FR_ERR_TIMEOUT);
    r = tu_cmd(b, "PING");
    freeReplyObject(r);
    fr_assert_wait(fr_topo_wait_journal(t, &q, t->marks, 2, 1000));
    long long per[FR_TOPO_MAX_NODES];
    assert_int_equal(fr_topo_journal_count(t, &q, t->marks, per), 2);
    assert_int_equal(per[0], 1);
    assert_int_equal(per[1], 0);
    assert_int_equal(per[2], 1);
    redisFree(a);
    redisFree(b);
}

static void test_bad_arguments(void **state)
{
    fr_topo *t = *state;
    assert_int_equal(fr_topo_wait_slot_owner(t, 1, 0, 10), FR_ERR_ARG); /* a group */
    assert_int_equal(fr_topo_wait_follow_slot(t, 1, NULL, NULL, 0, 10), FR_ERR_ARG);
    assert_int_equal(fr_topo_wait_synced(NULL, 10), FR_ERR_ARG);
    assert_null(fr_topo_node(t, 3));
    assert_int_equal(fr_topo_index(t, NULL), -1);
    fr_topo_config bad = {.kind = (fr_topo_kind)7};
    fr_topo *x = NULL;
    assert_int_equal(fr_topo_open(&bad, &x), FR_ERR_ARG);
    assert_null(x);
}

int main(void)
{
    const struct CMUnitTest per_test[] = {
        FR_TOPO_TEST(test_group_fixture_and_synced, &group2),
        FR_TOPO_TEST(test_group_synced_on_base, &group2),
        FR_TOPO_TEST(test_group_follow_master, &group2),
        FR_TOPO_TEST(test_cluster_slot_wait, &cluster3),
        FR_TOPO_TEST(test_cluster_follow_slot, &cluster3),
        FR_TOPO_TEST(test_wait_journal_all_nodes, &cluster3),
        FR_TOPO_TEST(test_bad_arguments, NULL),
    };
    const struct CMUnitTest group_reset[] = {
        FR_TOPO_GROUP_TEST(test_group_dirty),  FR_TOPO_GROUP_TEST(test_group_clean),
        FR_TOPO_GROUP_TEST(test_group_dirty),  FR_TOPO_GROUP_TEST(test_group_clean),
        FR_TOPO_GROUP_TEST(test_group_broken), FR_TOPO_GROUP_TEST(test_group_restarted),
    };
    const struct CMUnitTest cluster_reset[] = {
        FR_TOPO_GROUP_TEST(test_cluster_dirty),
        FR_TOPO_GROUP_TEST(test_cluster_clean),
        FR_TOPO_GROUP_TEST(test_cluster_wire_move),
        FR_TOPO_GROUP_TEST(test_cluster_after_wire_move),
    };
    int failed = cmocka_run_group_tests_name("per test", per_test, NULL, NULL);
    failed += cmocka_run_group_tests_name("group reset", group_reset, sentinel_setup,
                                          fr_topo_group_teardown);
    failed += cmocka_run_group_tests_name("cluster reset", cluster_reset, cluster_setup,
                                          fr_topo_group_teardown);
    return failed;
}
