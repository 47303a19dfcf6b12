/*
 * fakeredis cluster: N masters covering the 16384 slots, each a full fake
 * on its own port, optionally with replicas, in one process (README.md,
 * "Cluster").
 *
 * Every node answers as a node of Redis 7.0's cluster does: CLUSTER SLOTS,
 * SHARDS, NODES, MYID, INFO, KEYSLOT, COUNTKEYSINSLOT, GETKEYSINSLOT,
 * SETSLOT, ASKING, READONLY/READWRITE; a command whose keys live elsewhere
 * gets -MOVED slot host:port, keys of different slots -CROSSSLOT, a key of
 * a slot being migrated that is gone already -ASK slot host:port, and
 * SELECT of another database is refused. Replicas follow their master over
 * the replication link; they answer reads of its slots to READONLY clients
 * and -MOVED otherwise. A slot moves live, from the test,
 * in three steps (MIGRATING/IMPORTING: ASK for keys already moved; keys
 * moved; the slot given to the target: MOVED), or over the wire with
 * CLUSTER SETSLOT as redis-cli --cluster reshard does.
 *
 * The shape changes from the test: a failover (also a replica's CLUSTER
 * FAILOVER), a node killed (connects refused), revived, cut off from the
 * others (it still accepts connections), added. There is no gossip:
 * every node's view changes at once, after the node timeout the test
 * chooses (fr_cluster_options.node_timeout_ms, 0 by default). Node indexes are stable:
 * 0..masters-1 are the masters as started, then the replicas (replica k
 * follows master k % masters), then added nodes; roles change with
 * failovers (fr_cluster_master_of).
 *
 * Threads: with opts->base NULL the nodes are threaded servers and every
 * function may be called from any thread; with a base they are attached
 * to it and functions must be called from the base's thread. Errors:
 * FR_OK or a negative fr_status (fakeredis.h).
 */
#ifndef FAKEREDIS_CLUSTER_H
#define FAKEREDIS_CLUSTER_H

#include <stddef.h>

#include "fakeredis/fakeredis.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An opaque cluster: its nodes and the slots they serve. */
typedef struct fr_cluster fr_cluster;

/** Options of a cluster; all-zero means defaults. */
typedef struct fr_cluster_options {
    /** masters (0: 3; at most 64); the slots are split in equal ranges as
     *  redis-cli --cluster create splits them */
    int masters;
    /** options every node starts with (NULL: defaults); port 0 gives each
     *  node an ephemeral port, port P gives P, P+1, ... */
    const fr_options *server;
    /** NULL: threaded nodes; else attached to this event_base */
    struct event_base *base;
    /** replicas of each master (0: none; at most 16, and at most 64 nodes
     *  in all). With threaded nodes fr_cluster_start returns once every
     *  replica streams from its master; attached ones link up once the
     *  base runs. */
    int replicas;
    /** cluster-node-timeout in ms: a node killed or cut off is seen
     *  `fail?` that long, still serving its slots in the others' views,
     *  then `fail`, and its replica takes over. 0: at once. */
    int node_timeout_ms;
} fr_cluster_options;

/** Start the nodes and give each the cluster's view. *out is freed by
 *  fr_cluster_stop(). FR_OK; FR_ERR_ARG (NULL out, bad count);
 *  FR_ERR_TIMEOUT (replicas not linked in 5 s); any status of
 *  fr_server_start()/attach() (nothing is left running then). The
 *  options' pointers (opts->server's strings) must stay valid while
 *  fr_cluster_add_node() may be called. */
FR_API int fr_cluster_start(const fr_cluster_options *opts, fr_cluster **out);

/** Stop every node and free the cluster. NULL is a no-op. Not from a
 *  node's loop (nor, with attached nodes, while the base dispatches a
 *  CLUSTER FAILOVER still waiting). */
FR_API void fr_cluster_stop(fr_cluster *cl);

/** Nodes in the cluster. */
FR_API int fr_cluster_size(const fr_cluster *cl);

/** The i-th node (0-based), owned by the cluster; NULL out of range. */
FR_API fr_server *fr_cluster_node(const fr_cluster *cl, int i);

/** The slot of a key (CRC16/XMODEM of its hash tag or of the whole key,
 *  modulo 16384). Any thread. */
FR_API int fr_cluster_keyslot(const char *key, size_t len);

/** The index of the node serving slot (as the cluster last set it: slot
 *  moves over the wire are not seen). */
FR_API int fr_cluster_slot_owner(const fr_cluster *cl, int slot);

/** Step 1 of a live migration of slot to node `to`: the target IMPORTING,
 *  the owner MIGRATING (keys it no longer has answer -ASK). FR_ERR_ARG
 *  for a bad slot or node, or when `to` owns it; FR_ERR_STATE when the
 *  slot is migrating already. */
FR_API int fr_cluster_migrate_begin(fr_cluster *cl, int slot, int to);

/** Step 2: move up to max keys (0: all) of the migrating slot from its
 *  owner to the target (DUMP, RESTORE with the TTL, DEL). Returns the
 *  number moved (>= 0) or FR_ERR_STATE when no migration is open. */
FR_API int fr_cluster_migrate_keys(fr_cluster *cl, int slot, int max);

/** Step 3: the target owns the slot on every node (-MOVED from now on);
 *  keys still on the old owner are moved first. FR_OK, FR_ERR_STATE. */
FR_API int fr_cluster_migrate_end(fr_cluster *cl, int slot);

/** The three steps at once. `to` must be a master (FR_ERR_ARG). */
FR_API int fr_cluster_move_slot(fr_cluster *cl, int slot, int to);

/** Fail master over to its first live replica, as CLUSTER FAILOVER on it
 *  does: the replica catches up first (at most 5 s; not with attached
 *  nodes), is promoted with a new config epoch and serves the slots; the
 *  old master and its other replicas follow it. FR_OK; FR_ERR_ARG (bad
 *  index); FR_ERR_STATE (not a master, or no live replica). */
FR_API int fr_cluster_failover(fr_cluster *cl, int master);

/** Kill node i: its port refuses connects, its clients are closed, its
 *  replication links cut; every other node sees it `fail` (CLUSTER NODES,
 *  INFO) at once, or `fail?` until node_timeout_ms passed (the rest of
 *  this happens then, on a thread of the cluster's or the base's loop). A master with a live
 * replica is failed over to it (no catching up: writes not yet replicated are lost, as in Redis);
 * one without leaves its slots uncovered: the others answer -CLUSTERDOWN The cluster is down. The
 * node keeps its data. FR_OK; FR_ERR_ARG; FR_ERR_STATE (already killed). */
FR_API int fr_cluster_kill_node(fr_cluster *cl, int i);

/** Revive a killed node on its port: the others see it again; a node
 *  that is a replica now (also a master failed over while down) follows
 *  its master and resyncs. FR_OK; FR_ERR_ARG; FR_ERR_STATE (not killed);
 *  FR_ERR_SOCKET (the port could not be bound again). */
FR_API int fr_cluster_revive_node(fr_cluster *cl, int i);

/** Cut node i off from the others (reachable 0) or heal it (1): it still
 *  accepts clients, but the others see it `fail` (and fail it over as a
 *  killed one) and it sees all of them fail (its CLUSTER INFO says
 *  cluster_state:fail, its keys -CLUSTERDOWN). FR_OK; FR_ERR_ARG;
 *  FR_ERR_STATE (already so). */
FR_API int fr_cluster_set_reachable(fr_cluster *cl, int i, int reachable);

/** 0 when node i is up, 1 killed, 2 cut off; FR_ERR_ARG. */
FR_API int fr_cluster_node_down(const fr_cluster *cl, int i);

/** The index of node i's master, -1 when i is a master; FR_ERR_ARG. */
FR_API int fr_cluster_master_of(const fr_cluster *cl, int i);

/** Start an empty master without slots (the cluster's server options,
 *  ephemeral port or the next after the others) known to every node;
 *  fr_cluster_move_slot() can give it slots. *index (may be NULL) gets
 *  its index. FR_OK; FR_ERR_ARG (64 nodes already); any status of
 *  fr_server_start()/attach(). */
FR_API int fr_cluster_add_node(fr_cluster *cl, int *index);

#ifdef __cplusplus
}
#endif

#endif
