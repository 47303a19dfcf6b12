/* The cluster state shared by cluster.c (the view, routing) and
 * cluster_reply.c (CLUSTER's replies). Private to cluster/. */
#ifndef FR_CLUSTER_PRIVATE_H
#define FR_CLUSTER_PRIVATE_H

#include "cluster_engine.h"

typedef struct fr_cluster_node {
    char id[41];
    char ip[46];
    int port;
} fr_cluster_node;

struct fr_cluster_view {
    int me, n;
    fr_cluster_node nodes[FR_CLUSTER_MAX_NODES];
    int16_t owner[FR_CLUSTER_SLOTS];     /* node index, -1: unassigned */
    int16_t migrating[FR_CLUSTER_SLOTS]; /* to node index, -1: none */
    int16_t importing[FR_CLUSTER_SLOTS]; /* from node index, -1: none */
    uint64_t epoch;
    struct fr_cluster_bus *bus;         /* the other nodes (cluster_pubsub.c) */
    void (*slot_lost)(fr_server *, int); /* a slot this node served moved away */
};

struct fr_cluster_conn {
    int asking;   /* the next command may use an importing slot */
    int readonly; /* READONLY (reads on a replica: no replicas yet) */
};

/* 1 when every slot has a node (cluster_state:ok). */
int fr__cluster_ok(const struct fr_cluster_view *cl);

#endif
