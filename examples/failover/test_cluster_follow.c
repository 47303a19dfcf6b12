/* The cluster client (cluster_follow.h) through a live slot migration in
 * a 3-master fake cluster: writes while the slot's keys move (-ASK), a
 * multi-key read while they are split (-TRYAGAIN), writes after the slot
 * changed hands (-MOVED), twice. No write may be lost, and the nodes'
 * journals must show the client took each path on the wire: ASKING sent
 * to the target only, each -ASK/-MOVED/-TRYAGAIN the nodes answered
 * followed, the map loaded again after each -MOVED. */
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

#include "cluster_follow.h"
#include "fakeredis/cmocka.h"
#include "fakeredis/inspect.h"
#include "fakeredis/topology.h"

#define NKEYS 100
#define ROUNDS 10

static const fr_topo_config three = {.kind = FR_TOPO_CLUSTER};

static void key_name(char *buf, size_t cap, int i)
{
    snprintf(buf, cap, "{user}:%d", i);
}

static void set_ok(cf_client *c, const char *key, const char *value)
{
    redisReply *r = cf_command(c, key, "SET %s %s", key, value);
    assert_non_null(r);
    if (r->type != REDIS_REPLY_STATUS)
        fail_msg("SET %s: %s", key, r->type == REDIS_REPLY_ERROR ? r->str : "not +OK");
    freeReplyObject(r);
}

/* Error replies (their first word) the nodes sent after mark, per node. */
static long long errors_seen(fr_topo *t, const fr_topo_mark *mark, const char *word, long long *per)
{
    long long total = 0;
    size_t wl = strlen(word);
    for (int i = 0; i < fr_topo_size(t); i++) {
        fr_journal_query q = {.since = mark->seq[i]};
        fr_journal *j = NULL;
        assert_int_equal(fr_journal_get(fr_topo_node(t, i), &q, &j), FR_OK);
        per[i] = 0;
        for (size_t k = 0; k < j->n; k++)
            if (j->entries[k].error && !strncmp(j->entries[k].error, word, wl) &&
                j->entries[k].error[wl] == ' ')
                per[i]++;
        total += per[i];
        fr_journal_free(j);
    }
    return total;
}

typedef struct end_job {
    fr_cluster *cl;
    int slot, rc;
} end_job;

/* The operator finishes the migration while the client waits out its
 * -TRYAGAIN. */
static void *end_later(void *arg)
{
    end_job *j = arg;
    struct timespec ts = {0, 30 * 1000000};
    nanosleep(&ts, NULL);
    j->rc = fr_cluster_migrate_end(j->cl, j->slot);
    return NULL;
}

static void check_values(fr_topo *t, int owner, const char *prefix, int n)
{
    char key[32], want[32];
    for (int i = 0; i < n; i++) {
        key_name(key, sizeof key, i);
        snprintf(want, sizeof want, "%s-%d", prefix, i);
        char *v = NULL;
        size_t len = 0;
        if (fr_get(fr_topo_node(t, owner), key, &v, &len) != FR_OK)
            fail_msg("%s lost: not on node %d", key, owner);
        assert_string_equal(v, want);
        free(v);
    }
}

static void test_live_migration(void **state)
{
    fr_topo *t = *state;
    fr_cluster *cl = t->cluster;
    int slot = cf_keyslot("{user}:0", 8);
    assert_int_equal(slot, fr_cluster_keyslot("{user}:0", 8));
    int from = fr_topo_slot_owner(t, slot), to = (from + 1) % 3, other = (from + 2) % 3;
    char err[128] = "", key[32], val[32];
    cf_client *c = cf_open("127.0.0.1", fr_server_port(fr_topo_node(t, other)), err, sizeof err);
    assert_non_null(c);
    for (int i = 0; i < NKEYS; i++) {
        key_name(key, sizeof key, i);
        snprintf(val, sizeof val, "v0-%d", i);
        set_ok(c, key, val);
    }
    assert_int_equal(cf_get_stats(c)->moved + cf_get_stats(c)->ask, 0); /* the map was right */
    fr_topo_mark mark;
    assert_int_equal(fr_topo_mark_now(t, &mark), FR_OK);
    cf_stats before = *cf_get_stats(c);

    /* during: the keys move 10 at a time, the client writes all of them
     * (and new ones) after each step */
    assert_int_equal(fr_cluster_migrate_begin(cl, slot, to), FR_OK);
    for (int round = 0; round < ROUNDS / 2; round++) {
        assert_int_equal(fr_cluster_migrate_keys(cl, slot, NKEYS / ROUNDS), NKEYS / ROUNDS);
        for (int i = 0; i < NKEYS; i++) {
            key_name(key, sizeof key, i);
            snprintf(val, sizeof val, "v1-%d", i);
            set_ok(c, key, val);
        }
    }
    assert_true(cf_get_stats(c)->ask > 0);
    assert_int_equal(cf_get_stats(c)->moved, 0);

    /* split: one key on each side; the read waits until the end */
    char moved_key[32] = "", kept_key[32] = "";
    for (int i = 0; i < NKEYS && (!moved_key[0] || !kept_key[0]); i++) {
        key_name(key, sizeof key, i);
        int here = fr_exists(fr_topo_node(t, from), key) == 1;
        strcpy(here ? kept_key : moved_key, key);
    }
    assert_true(moved_key[0] && kept_key[0]);
    end_job job = {cl, slot, -100};
    pthread_t th;
    pthread_create(&th, NULL, end_later, &job);
    redisReply *r = cf_command(c, moved_key, "MGET %s %s", moved_key, kept_key);
    pthread_join(th, NULL);
    assert_int_equal(job.rc, FR_OK);
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 2);
    assert_int_equal(strncmp(r->element[0]->str, "v1-", 3), 0);
    assert_int_equal(strncmp(r->element[1]->str, "v1-", 3), 0);
    freeReplyObject(r);
    /* the retry found the keys all moved (-ASK) or the slot gone (-MOVED) */
    assert_true(cf_get_stats(c)->tryagain > 0);
    assert_int_equal(fr_topo_slot_owner(t, slot), to);

    /* after: MOVED once, then straight to the new owner */
    for (int i = 0; i < NKEYS; i++) {
        key_name(key, sizeof key, i);
        snprintf(val, sizeof val, "v2-%d", i);
        set_ok(c, key, val);
    }
    assert_true(cf_get_stats(c)->moved >= 1);
    check_values(t, to, "v2", NKEYS);
    /* and back in one step */
    long long moved_before = cf_get_stats(c)->moved;
    assert_int_equal(fr_cluster_move_slot(cl, slot, from), FR_OK);
    for (int i = 0; i < NKEYS; i++) {
        key_name(key, sizeof key, i);
        snprintf(val, sizeof val, "v3-%d", i);
        set_ok(c, key, val);
    }
    assert_int_equal(cf_get_stats(c)->moved, moved_before + 1);
    check_values(t, from, "v3", NKEYS);
    for (int i = 0; i < 3; i++) {
        fr_reply *n = fr_execf(fr_topo_node(t, i), "CLUSTER COUNTKEYSINSLOT %d", slot);
        assert_int_equal(n->integer, i == from ? NKEYS : 0);
        fr_reply_free(n);
    }

    /* on the wire: what the nodes answered, and what the client did */
    const cf_stats *s = cf_get_stats(c);
    long long per[FR_TOPO_MAX_NODES];
    fr_journal_query asking = {.command = "ASKING"};
    assert_int_equal(fr_topo_journal_count(t, &asking, &mark, per), s->ask - before.ask);
    assert_int_equal(per[to], s->ask - before.ask); /* to the target only */
    assert_int_equal(errors_seen(t, &mark, "ASK", per), s->ask - before.ask);
    assert_int_equal(per[from], s->ask - before.ask); /* from the source only */
    assert_int_equal(errors_seen(t, &mark, "MOVED", per), s->moved - before.moved);
    assert_int_equal(errors_seen(t, &mark, "TRYAGAIN", per), s->tryagain - before.tryagain);
    fr_journal_query slots = {.command = "CLUSTER SLOTS"};
    assert_int_equal(fr_topo_journal_count(t, &slots, &mark, NULL),
                     s->refreshes - before.refreshes);
    assert_true(s->refreshes - before.refreshes >= 2);
    /* the client's writes reach the slot's owner now */
    fr_journal_query q = {.command = "SET {user}:*"};
    fr_assert_wait(fr_topo_wait_follow_slot(t, slot, &q, &mark, 0, 1000));
    cf_close(c);
}

/* A seed that is gone: the client cannot start. A slot moved while the
 * client was idle: one -MOVED, and the write lands on the new owner. */
static void test_bad_seed_and_moved(void **state)
{
    fr_topo *t = *state;
    char err[128] = "";
    assert_null(cf_open("127.0.0.1", 1, err, sizeof err));
    assert_non_null(strstr(err, "no slot map"));
    cf_client *c = cf_open("127.0.0.1", fr_server_port(fr_topo_node(t, 0)), err, sizeof err);
    assert_non_null(c);
    int slot = cf_keyslot("k", 1), owner = fr_topo_slot_owner(t, slot);
    assert_int_equal(fr_cluster_move_slot(t->cluster, slot, (owner + 1) % 3), FR_OK);
    set_ok(c, "k", "1");
    assert_int_equal(cf_get_stats(c)->moved, 1);
    char *v = NULL;
    size_t n = 0;
    assert_int_equal(fr_get(fr_topo_node(t, (owner + 1) % 3), "k", &v, &n), FR_OK);
    free(v);
    cf_close(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        FR_TOPO_TEST(test_live_migration, &three),
        FR_TOPO_TEST(test_bad_seed_and_moved, &three),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
