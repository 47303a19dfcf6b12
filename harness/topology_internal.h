/* What the topology harness' files share (topology.c, topology_wait.c,
 * topology_journal.c). */
#ifndef FR_TOPOLOGY_INTERNAL_H
#define FR_TOPOLOGY_INTERNAL_H

#include "fakeredis/topology.h"

#define FR_CLUSTER_SLOTS_N 16384

/* A node's ROLE, as a client reads it. */
typedef struct fr__topo_role_info {
    int master;       /* 1: a master; 0: a replica */
    long long offset; /* master: its offset; replica: what it applied (-1: no link) */
    int replicas;     /* master: replicas ROLE lists */
    int master_port;  /* replica: its master's port */
    char link[16];    /* replica: "connected", "connect", "sync"... */
} fr__topo_role_info;

/* ROLE of srv into *ri. FR_OK, FR_ERR_STOPPED, FR_ERR_REPLY. */
int fr__topo_role(fr_server *srv, fr__topo_role_info *ri);

/* The nodes into out[FR_TOPO_MAX_NODES]; returns how many. */
int fr__topo_nodes(const fr_topo *t, fr_server **out);

/* What srv says about every slot (CLUSTER SLOTS): the index of the node
 * serving it, -1 for none. malloc'd (FR_CLUSTER_SLOTS_N ints); NULL when
 * srv does not answer. */
int *fr__topo_slot_view(const fr_topo *t, fr_server *srv);

#endif
