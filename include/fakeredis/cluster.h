/*
 * fakeredis cluster: N masters covering the 16384 slots, each a full fake
 * on its own port, in one process (README.md, "Cluster").
 *
 * Every node answers as a node of Redis 7.0's cluster does: CLUSTER SLOTS,
 * SHARDS, NODES, MYID, INFO, KEYSLOT, COUNTKEYSINSLOT, GETKEYSINSLOT,
 * SETSLOT, ASKING, READONLY/READWRITE; a command whose keys live elsewhere
 * gets -MOVED slot host:port, keys of different slots -CROSSSLOT, a key of
 * a slot being migrated that is gone already -ASK slot host:port, and
 * SELECT of another database is refused. A slot moves live, from the test,
 * in three steps (MIGRATING/IMPORTING: ASK for keys already moved; keys
 * moved; the slot given to the target: MOVED), or over the wire with
 * CLUSTER SETSLOT as redis-cli --cluster reshard does.
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
} fr_cluster_options;

/** Start the nodes and give each the cluster's view. *out is freed by
 *  fr_cluster_stop(). FR_OK; FR_ERR_ARG (NULL out, bad count); any status
 *  of fr_server_start()/attach() (nothing is left running then). */
FR_API int fr_cluster_start(const fr_cluster_options *opts, fr_cluster **out);

/** Stop every node and free the cluster. NULL is a no-op. */
FR_API void fr_cluster_stop(fr_cluster *cl);

/** Nodes in the cluster. */
FR_API int fr_cluster_size(const fr_cluster *cl);

/** The i-th node (0-based), owned by the cluster; NULL out of range. */
FR_API fr_server *fr_cluster_node(const fr_cluster *cl, int i);

/** The slot of a key (CRC16/XMODEM of its hash tag or of the whole key,
 *  modulo 16384). Any thread. */
FR_API int fr_cluster_keyslot(const char *key, size_t len);

/** The index of the node serving slot (as the cluster last set it). */
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

/** The three steps at once. */
FR_API int fr_cluster_move_slot(fr_cluster *cl, int slot, int to);

#ifdef __cplusplus
}
#endif

#endif
