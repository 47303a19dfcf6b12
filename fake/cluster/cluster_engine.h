/* cluster/'s interface: a fake as one node of a Redis Cluster, as far as a
 * client can see.
 *
 * Each node keeps its own view of the cluster, as a Redis node does: the
 * nodes (id, address), which node serves each of the 16384 slots, and the
 * slots it is migrating or importing. There is no gossip: whoever builds
 * the cluster (fr_cluster_start, fakeredis-server --cluster N) gives every
 * node the same view, and a slot moves the way redis-cli --cluster reshard
 * moves it: CLUSTER SETSLOT IMPORTING on the target, MIGRATING on the
 * source, the keys moved, then SETSLOT NODE on every node.
 *
 * Commands with keys (found from the key specs: fr__command_keys) are routed as
 * Redis routes them, at Redis' place in the checks (the admit stage):
 * -CROSSSLOT, -MOVED slot host:port, -ASK slot host:port (a migrating
 * slot's missing key, until ASKING on the target), -TRYAGAIN, -CLUSTERDOWN.
 * SELECT of a database other than 0 is refused. Clients without a socket
 * (fr_exec, a replica's master stream) are never redirected.
 *
 * Loop thread only. */
#ifndef FR_CLUSTER_ENGINE_H
#define FR_CLUSTER_ENGINE_H

#include "core.h"
#include "data.h"

#define FR_CLUSTER_MAX_NODES 64

/* A node as the builder describes it to every node. */
enum { FR_CLUSTER_FAIL = 1, FR_CLUSTER_PFAIL = 2 };
typedef struct fr_cluster_node_spec {
    const char *ip;
    int port;
    const char *id; /* 40 hex characters */
    int master;     /* index of its master; -1: a master */
    int flags;      /* FR_CLUSTER_FAIL, FR_CLUSTER_PFAIL as this node sees it */
    uint64_t epoch; /* config epoch of a master */
} fr_cluster_node_spec;

/* The builder's hooks for subcommands that change other nodes (CLUSTER
 * FAILOVER and REPLICATE on a replica): called on the node's loop, after
 * it answered; they must not wait for other nodes (they defer the work).
 * mode: 0, 1 FORCE, 2 TAKEOVER. NULL hooks: the subcommand is refused. */
typedef struct fr_cluster_ctl {
    void (*failover)(void *ctx, int node, int mode);
    void (*replicate)(void *ctx, int node, int master);
    /* a client's SETSLOT slot NODE made node its owner: the others learn
     * it (Redis' gossip of the new owner's bumped epoch) */
    void (*slot_moved)(void *ctx, int slot, int node);
    /* CLUSTER RESET of a replica: it stops following, empty, a master */
    void (*reset)(void *ctx, int node);
    void *ctx;
} fr_cluster_ctl;

/* Turn cluster mode on with this view: nodes[0..n); me is our index;
 * owner[slot] a node index or -1 for an unassigned slot (16384 entries);
 * current_epoch as CLUSTER INFO shows it. Again replaces the view (slots
 * migrating or importing are kept). Returns 0, or -1 for a bad view. */
int fr__cluster_setup(fr_server *srv, int me, int n, const fr_cluster_node_spec *nodes,
                      const int *owner, uint64_t current_epoch, const fr_cluster_ctl *ctl);
/* A new node table (roles, flags, epochs, nodes added at the end) keeping
 * the slots, except that those of node remap_from go to remap_to (-1:
 * none), as a failover moves them. 0, or -1 for a bad table. */
int fr__cluster_set_nodes(fr_server *srv, int n, const fr_cluster_node_spec *nodes,
                          uint64_t current_epoch, int remap_from, int remap_to);
/* Slot now served by node (a replica learns it so: it refuses SETSLOT). */
void fr__cluster_assign_slot(fr_server *srv, int slot, int node);
/* The node serving slot in srv's view; -1: none or not a cluster node. */
int fr__cluster_slot_owner(const fr_server *srv, int slot);
int fr__cluster_enabled(const fr_server *srv);
/* 0 <= slot < 16384; -1 for none or an unknown id. */
int fr__cluster_node_index(const fr_server *srv, const char *id, size_t len);

/* The CLUSTER subcommands, ASKING, READONLY, READWRITE: each answers c
 * (and the "cluster support disabled" error on a standalone fake). */
void fr__cluster_cmd_info(fr_conn *c);
void fr__cluster_cmd_myid(fr_conn *c);
void fr__cluster_cmd_slots(fr_conn *c);
void fr__cluster_cmd_shards(fr_conn *c);
void fr__cluster_cmd_nodes(fr_conn *c);
void fr__cluster_cmd_keyslot(fr_conn *c);
void fr__cluster_cmd_countkeysinslot(fr_conn *c);
void fr__cluster_cmd_getkeysinslot(fr_conn *c);
void fr__cluster_cmd_setslot(fr_conn *c);
void fr__cluster_cmd_asking(fr_conn *c);
void fr__cluster_cmd_readonly(fr_conn *c, int on);
/* cluster_admin.c: REPLICAS/SLAVES, LINKS, COUNT-FAILURE-REPORTS, MEET,
 * FORGET, REPLICATE, SAVECONFIG, (ADD|DEL)SLOTS[RANGE], FLUSHSLOTS,
 * SET-CONFIG-EPOCH, BUMPEPOCH, RESET, FAILOVER. */
void fr__cluster_cmd_replicas(fr_conn *c);
void fr__cluster_cmd_links(fr_conn *c);
void fr__cluster_cmd_failure_reports(fr_conn *c);
void fr__cluster_cmd_meet(fr_conn *c);
void fr__cluster_cmd_forget(fr_conn *c);
void fr__cluster_cmd_replicate(fr_conn *c);
void fr__cluster_cmd_saveconfig(fr_conn *c);
void fr__cluster_cmd_addslots(fr_conn *c, int add, int range);
void fr__cluster_cmd_flushslots(fr_conn *c);
void fr__cluster_cmd_set_config_epoch(fr_conn *c);
void fr__cluster_cmd_bumpepoch(fr_conn *c);
void fr__cluster_cmd_reset(fr_conn *c);
void fr__cluster_cmd_failover(fr_conn *c);
/* A standalone fake's answer to every CLUSTER subcommand; 1 if it gave it. */
int fr__cluster_refuse_disabled(fr_conn *c);

/* ---- shard pub/sub and the bus (cluster_pubsub.c) ---------------------
 * The bus links the nodes of one cluster, as Redis' cluster bus does, for
 * what a node tells the others: a PUBLISH. Nodes may run on different
 * threads: a message is posted to each other node's loop. */
struct fr_cluster_bus;
/* A bus with one reference, the caller's (any thread). */
struct fr_cluster_bus *fr__cluster_bus_new(void);
/* Drop a reference; the last one frees the bus (any thread). */
void fr__cluster_bus_release(struct fr_cluster_bus *bus);
/* srv (in cluster mode, on its loop) joins the bus; it leaves when it stops. */
void fr__cluster_bus_join(fr_server *srv, struct fr_cluster_bus *bus);
void fr__cluster_bus_leave(fr_server *srv);
/* Run fn(peer, data, len) on every other node of srv's bus, on the peer's
 * loop (later, when that is another thread); data is copied. */
void fr__cluster_broadcast(fr_server *srv, void (*fn)(fr_server *, const char *, size_t),
                           const char *data, size_t len);
/* SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH are routed by their channels (argv
 * 1..n), never sent to ASK: n, or -1 for any other command. */
int fr__cluster_shard_channels(const fr_cmd *cmd, int argc);
/* fn(srv, slot) runs when a slot this node served is given to another
 * node (SETSLOT NODE): shard channels of that slot end there. */
void fr__cluster_on_slot_lost(fr_server *srv, void (*fn)(fr_server *, int));
void fr__cluster_slot_lost(fr_server *srv, int slot);

#endif
