/* The fr_cluster handle shared by cluster_api.c (start, stop, slot
 * migration) and cluster_topo.c (replicas, failover, killed and
 * unreachable nodes, new nodes, the hooks the nodes' CLUSTER FAILOVER and
 * REPLICATE use). Private to api/. */
#ifndef FR_CLUSTER_API_PRIVATE_H
#define FR_CLUSTER_API_PRIVATE_H

#include <pthread.h>

#include "cluster_engine.h"
#include "core.h"
#include "fakeredis/cluster.h"

#define FR_CLUSTER_JOBS 32

/* Work a node's CLUSTER FAILOVER or REPLICATE asked for, done off the
 * node's loop (it needs every node's loop). */
typedef struct fr_cluster_job {
    int kind; /* 0: failover of node a (mode b); 1: a replicates b;
               * 2: slot a is node b's; 3: replica a was reset;
               * 4: node a's node timeout passed */
    int a, b;
    int64_t due; /* fr__mono_ms before which it waits; 0: none */
    int tries;   /* base mode: 1 ms retries while the replica catches up */
} fr_cluster_job;

struct fr_cluster {
    /* topology changes, recursive: the test's calls and the worker's */
    pthread_mutex_t mu;
    int n, masters;
    fr_server *srv[FR_CLUSTER_MAX_NODES];
    char ids[FR_CLUSTER_MAX_NODES][41];
    int ports[FR_CLUSTER_MAX_NODES];
    int master[FR_CLUSTER_MAX_NODES];     /* -1: a master */
    uint64_t epoch[FR_CLUSTER_MAX_NODES]; /* config epochs */
    uint64_t current_epoch;
    int killed[FR_CLUSTER_MAX_NODES], cut[FR_CLUSTER_MAX_NODES];
    /* a down node the others agree is down (fail, not fail?) */
    int failed[FR_CLUSTER_MAX_NODES];
    int node_timeout_ms; /* 0: a node down is failed at once */
    /* a master failed over while down: whom it follows once back (-1) */
    int follow[FR_CLUSTER_MAX_NODES];
    int owner[FR_CLUSTER_SLOTS];
    int mig_from[FR_CLUSTER_SLOTS]; /* -1: not migrating */
    int mig_to[FR_CLUSTER_SLOTS];
    struct event_base *base;    /* NULL: threaded nodes */
    struct fr_cluster_bus *bus; /* PUBLISH reaches every node */
    fr_options so;              /* what fr_cluster_add_node starts with */
    uint64_t rng;

    /* the hooks' queue (its own lock: nodes' loops never take mu) */
    pthread_mutex_t qmu;
    pthread_cond_t qcv;
    fr_cluster_job q[FR_CLUSTER_JOBS];
    int qn, stopping, worker_on;
    pthread_t worker;
};

/* cluster_api.c */
/* Node i's view from scratch (its slots from cl->owner). */
int fr__cl_setup_node(fr_cluster *cl, int i);
/* A new random id for node i. */
void fr__cl_new_id(fr_cluster *cl, int i);

/* cluster_topo.c */
/* Give node i (or every node, i < 0) the cluster's view of the nodes:
 * roles, epochs, who fails; slots of remap_from go to remap_to. */
int fr__cl_push(fr_cluster *cl, int i, int remap_from, int remap_to);
/* The spec node i is given of node k (flags as i sees k). */
void fr__cl_spec(const fr_cluster *cl, int i, int k, fr_cluster_node_spec *out);
/* The control hooks the nodes of cl call (ctx: cl). */
void fr__cl_ctl(fr_cluster *cl, fr_cluster_ctl *out);
/* Stop the worker (fr_cluster_stop, before the nodes). */
void fr__cl_ctl_stop(fr_cluster *cl);
/* Down node i is failed (the others agree): fail, and its replica takes
 * over. */
int fr__cl_failed(fr_cluster *cl, int i);
/* Tell node i that slot is node's now. */
int fr__cl_assign(fr_cluster *cl, int i, int slot, int node);
/* Wait (threaded nodes) until every replica streams from its master. */
int fr__cl_wait_replicas(fr_cluster *cl, int timeout_ms);

#endif
