/* The cluster state shared by cluster.c (the view, routing), cluster_reply.c
 * (CLUSTER's replies) and cluster_admin.c (the subcommands that change the
 * view). Private to cluster/. */
#ifndef FR_CLUSTER_PRIVATE_H
#define FR_CLUSTER_PRIVATE_H

#include "cluster_engine.h"

typedef struct fr_cluster_node {
    char id[41];
    char ip[46];
    int port;
    int master;      /* index of its master; -1: a master */
    int flags;       /* FR_CLUSTER_FAIL, FR_CLUSTER_PFAIL */
    uint64_t epoch;  /* config epoch (a replica shows its master's) */
    int64_t fail_ms; /* real ms it was seen failing (0: never) */
} fr_cluster_node;

struct fr_cluster_view {
    int me, n;
    fr_cluster_node nodes[FR_CLUSTER_MAX_NODES];
    int16_t owner[FR_CLUSTER_SLOTS];     /* node index, -1: unassigned */
    int16_t migrating[FR_CLUSTER_SLOTS]; /* to node index, -1: none */
    int16_t importing[FR_CLUSTER_SLOTS]; /* from node index, -1: none */
    uint64_t epoch;                      /* current epoch */
    int covered;                /* every slot served by a node not failing: fr__cluster_recheck */
    int detached;               /* CLUSTER RESET: the builder's views no longer apply */
    int64_t created_ms;         /* real ms the view was made (CLUSTER LINKS) */
    fr_cluster_ctl ctl;         /* the builder's hooks (cluster_engine.h) */
    struct fr_cluster_bus *bus; /* the other nodes (cluster_pubsub.c) */
    void (*slot_lost)(fr_server *, int); /* a slot this node served moved away */
};

struct fr_cluster_conn {
    int asking;   /* the next command may use an importing slot */
    int asked;    /* the command running now came with ASKING */
    int readonly; /* READONLY: a replica serves reads of its master's slots */
};

/* 1 when every slot is served by a node not failing (cluster_state:ok). */
int fr__cluster_ok(const fr_server *srv);
/* Recompute cl->ok after the view changed: every slot served by a node
 * not seen failing (cluster-require-full-coverage yes). */
void fr__cluster_recheck(struct fr_cluster_view *cl);
/* The config epoch a node shows (a replica: its master's). */
uint64_t fr__cluster_node_epoch(const struct fr_cluster_view *cl, int i);
/* Node index of id, answering "Unknown node <id>" when there is none. */
int fr__cluster_find_or_err(fr_conn *c, const fr_arg *id);
/* Keys in slot (count only) in db 0. */
long long fr__cluster_count_keys(fr_server *srv, int slot);
/* One CLUSTER NODES line of node i into b. */
void fr__cluster_node_line(const struct fr_cluster_view *cl, int i, fr_buf *b);

#endif
