/*
 * Test harness for topologies: cmocka fixtures for a replication group
 * (master + replicas, optional Sentinel) and for a cluster, waits across
 * their nodes, and journal queries over every node at once.
 *
 * Library: fakeredis::harness. As harness.h, nothing here needs cmocka:
 * the fixtures have cmocka's signature (int fn(void **state)).
 *
 *   static const fr_topo_config three = {.kind = FR_TOPO_CLUSTER};
 *   static void test_moved(void **state) {
 *       fr_topo *t = *state;                  // t->cluster, t->marks
 *       int slot = fr_cluster_keyslot("k", 1);
 *       fr_cluster_move_slot(t->cluster, slot, 2);
 *       ... the client writes k ...
 *       fr_journal_query q = {.command = "SET k *"};
 *       fr_assert_wait(fr_topo_wait_follow_slot(t, slot, &q, t->marks, 0, 1000));
 *   }
 *   FR_TOPO_TEST(test_moved, &three)           // a topology per test
 *
 * or one topology for a whole cmocka group, reset between tests:
 *
 *   FR_TOPO_GROUP_SETUP(cluster_setup, &three)   // a setup with a config
 *   ... FR_TOPO_GROUP_TEST(test_fn) entries ...
 *   cmocka_run_group_tests(tests, cluster_setup, fr_topo_group_teardown);
 *
 * The reset (fr_topo_reset) is cheap when the test left the shape alone:
 * on every node it closes the clients (not the replicas' links), clears
 * the fault rules, resumes processing and listening, sets the clock back,
 * deletes the ACL users, resumes paused replicas with no lag, flushes the
 * masters and waits until the replicas applied it, and clears the
 * journals; a group's Sentinel loses its clients, rules and journal too.
 * A group whose roles changed (a failover, REPLICAOF) gets its first
 * server back as the master of all the others (through fr_group_failover,
 * so the Sentinel reports the first server again); a
 * cluster whose slots were moved with fr_cluster_* gets them back, an open
 * migration ended first. What it cannot restore cheaply (a stopped node,
 * slots moved over the wire, a node added) makes it start the whole
 * topology again: the ports then change (read them from t again).
 *
 * Waits are those of harness.h (a timeout in ms, FR_OK, FR_ERR_TIMEOUT
 * with fr_wait_message() saying what was awaited and what every node
 * saw), woken by any node's change. Each has an _on form that runs the
 * test's own event_base while it waits.
 *
 * Threads: the test's thread (any thread, as the rest of the API; an
 * attached cluster's base thread for one built on a base).
 */
#ifndef FAKEREDIS_TOPOLOGY_H
#define FAKEREDIS_TOPOLOGY_H

#include <stddef.h>
#include <stdint.h>

#include "fakeredis/cluster.h"
#include "fakeredis/fakeredis.h"
#include "fakeredis/journal.h"
#include "fakeredis/replication.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Nodes a topology (and a mark) may have. */
#define FR_TOPO_MAX_NODES 128

/** What a topology fixture starts. */
typedef enum fr_topo_kind {
    FR_TOPO_GROUP = 0, /**< a replication group (fr_group_start) */
    FR_TOPO_CLUSTER    /**< a cluster (fr_cluster_start) */
} fr_topo_kind;

typedef struct fr_topo fr_topo;

/** A topology fixture's config; all-zero: a master with 2 replicas. The
 *  options' pointers (server options) must outlive the fixture. */
typedef struct fr_topo_config {
    fr_topo_kind kind;
    fr_group_options group;     /**< FR_TOPO_GROUP */
    fr_cluster_options cluster; /**< FR_TOPO_CLUSTER */
    void *user;                 /**< handed to the test as t->user */
    /** run after the topology started (and after each full restart);
     *  nonzero fails the setup */
    int (*setup)(fr_topo *t);
    /** run before it stops */
    void (*teardown)(fr_topo *t);
} fr_topo_config;

/** Journal marks of every node, indexed as fr_topo_node(): what came
 *  after them is new. */
typedef struct fr_topo_mark {
    int n;
    uint64_t seq[FR_TOPO_MAX_NODES];
} fr_topo_mark;

/** A running topology fixture: what a test reads from *state. */
struct fr_topo {
    fr_group *group;           /**< FR_TOPO_GROUP, else NULL */
    fr_cluster *cluster;       /**< FR_TOPO_CLUSTER, else NULL */
    void *user;                /**< fr_topo_config.user; the test may set it */
    const fr_topo_config *cfg; /**< what it was started with (a copy) */
    fr_topo_mark marks[1];     /**< every node's mark when the test started
                                    (an array so `t->marks` is a pointer) */
    int restarts;              /**< full restarts fr_topo_reset needed */
};

/** Start the topology cfg says (NULL: a master and 2 replicas) and run
 *  cfg->setup. *out is freed by fr_topo_close(). FR_OK or a negative
 *  fr_status (fr_wait_message() says why). */
FR_API int fr_topo_open(const fr_topo_config *cfg, fr_topo **out);
/** Run cfg->teardown, stop every node, free t. NULL is a no-op. */
FR_API void fr_topo_close(fr_topo *t);
/** Make the topology as new for the next test (see the top of this
 *  file). FR_OK, or a negative fr_status when even a full restart failed
 *  (t is then unusable: close it). */
FR_API int fr_topo_reset(fr_topo *t);

/** cmocka setup: *state comes in as the fr_topo_config (may be NULL) and
 *  leaves as the fr_topo. 0, or -1 with the reason on stderr. */
FR_API int fr_topo_start(void **state);
/** cmocka teardown for fr_topo_start(). Returns 0. */
FR_API int fr_topo_stop(void **state);
/** One CMUnitTest with its own topology: FR_TOPO_TEST(test_fn, &config). */
#define FR_TOPO_TEST(f, cfg)                                                                       \
    {                                                                                              \
#f, f, fr_topo_start, fr_topo_stop, (void *)(uintptr_t)(const void *)(cfg)                 \
    }

/** cmocka group setup/teardown: one topology for the whole group. *state
 *  comes in as the config (cmocka passes NULL: a master and 2 replicas;
 *  FR_TOPO_GROUP_SETUP names a setup with a config of its own). */
FR_API int fr_topo_group_setup(void **state);
#define FR_TOPO_GROUP_SETUP(name, cfg)                                                             \
    static int name(void **state)                                                                  \
    {                                                                                              \
        *state = (void *)(uintptr_t)(const void *)(cfg);                                           \
        return fr_topo_group_setup(state);                                                         \
    }
FR_API int fr_topo_group_teardown(void **state);
/** Per-test setup for such a group: fr_topo_reset(). */
FR_API int fr_topo_group_test_setup(void **state);
#define FR_TOPO_GROUP_TEST(f)                                                                      \
    {                                                                                              \
#f, f, fr_topo_group_test_setup, NULL, NULL                                                \
    }

/* ---- nodes ---------------------------------------------------------------- */

/** Nodes: a group's servers as started (0: the first master; the Sentinel
 *  is not one) or a cluster's nodes. */
FR_API int fr_topo_size(const fr_topo *t);
/** The i-th node, owned by the topology; NULL out of range. */
FR_API fr_server *fr_topo_node(const fr_topo *t, int i);
/** The index of srv among the nodes, or -1. */
FR_API int fr_topo_index(const fr_topo *t, const fr_server *srv);
/** The index of the node that is a master now (fr_group_master) for a
 *  group, of the owner of slot for a cluster; -1 when there is none. */
FR_API int fr_topo_master(const fr_topo *t);
FR_API int fr_topo_slot_owner(const fr_topo *t, int slot);

/* ---- the journal over every node ------------------------------------------ */

/** Every node's mark now. FR_OK or a negative fr_status. */
FR_API int fr_topo_mark_now(fr_topo *t, fr_topo_mark *m);

/** Entries matching q (NULL: every command) on every node after since
 *  (NULL: all; q->since is ignored, since says it per node). per_node, if
 *  not NULL, gets each node's count (fr_topo_size() of them; a stopped
 *  node counts 0). Returns the total (>= 0) or a negative fr_status
 *  (FR_ERR_PARSE for a bad pattern). */
FR_API long long fr_topo_journal_count(fr_topo *t, const fr_journal_query *q,
                                       const fr_topo_mark *since, long long *per_node);

/** *node = the lowest index of a node with an entry matching q after
 *  since, or -1 when no node has one (e.g. which node got "SET k *").
 *  FR_OK or a negative fr_status. */
FR_API int fr_topo_journal_which(fr_topo *t, const fr_journal_query *q, const fr_topo_mark *since,
                                 int *node);

/** Every node's entries matching q after since, as fr_journal_format()
 *  text under a "node i (127.0.0.1:port, role):" line each, for failure
 *  messages. *text is malloc'd (the caller frees it). FR_OK or a
 *  negative fr_status. */
FR_API int fr_topo_journal_format(fr_topo *t, const fr_journal_query *q, const fr_topo_mark *since,
                                  char **text);

/* ---- waits ---------------------------------------------------------------- */

/**
 * Until the client followed the master: a command matching q (its
 * command, client name or id; q->since is ignored) ran after since on the
 * node that is the group's master when it is checked. With new_conn set,
 * only on a connection opened after since (a client that reconnected,
 * not one that had a link already).
 */
FR_API int fr_topo_wait_follow_master(fr_topo *t, const fr_journal_query *q,
                                      const fr_topo_mark *since, int new_conn, int timeout_ms);
FR_API int fr_topo_wait_follow_master_on(struct event_base *base, fr_topo *t,
                                         const fr_journal_query *q, const fr_topo_mark *since,
                                         int new_conn, int timeout_ms);
/** The same on the node owning slot (as fr_cluster_slot_owner says when
 *  it is checked): the client followed a slot that moved. */
FR_API int fr_topo_wait_follow_slot(fr_topo *t, int slot, const fr_journal_query *q,
                                    const fr_topo_mark *since, int new_conn, int timeout_ms);
FR_API int fr_topo_wait_follow_slot_on(struct event_base *base, fr_topo *t, int slot,
                                       const fr_journal_query *q, const fr_topo_mark *since,
                                       int new_conn, int timeout_ms);

/** Until every node that replicates from a master is connected to it and
 *  has applied all it streamed (ROLE's offsets, nothing pending). */
FR_API int fr_topo_wait_synced(fr_topo *t, int timeout_ms);
FR_API int fr_topo_wait_synced_on(struct event_base *base, fr_topo *t, int timeout_ms);

/** Until every running node of a cluster says (CLUSTER SLOTS) that node
 *  `node` serves slot: also when it was moved over the wire (CLUSTER
 *  SETSLOT, redis-cli --cluster reshard). FR_ERR_ARG for a group. */
FR_API int fr_topo_wait_slot_owner(fr_topo *t, int slot, int node, int timeout_ms);
FR_API int fr_topo_wait_slot_owner_on(struct event_base *base, fr_topo *t, int slot, int node,
                                      int timeout_ms);

/** Until at least n entries matching q arrived after since, over all the
 *  nodes together. */
FR_API int fr_topo_wait_journal(fr_topo *t, const fr_journal_query *q, const fr_topo_mark *since,
                                long long n, int timeout_ms);
FR_API int fr_topo_wait_journal_on(struct event_base *base, fr_topo *t, const fr_journal_query *q,
                                   const fr_topo_mark *since, long long n, int timeout_ms);

#ifdef __cplusplus
}
#endif

#endif /* FAKEREDIS_TOPOLOGY_H */
