/* Shard pub/sub in cluster mode and the bus between the nodes of one
 * cluster. See cluster_engine.h.
 *
 * The bus is shared by nodes that may each run on their own thread: its
 * mutex guards the list of nodes only. A node leaves it in its stop hook,
 * before its job queue is torn down, so a message posted under the mutex
 * always finds a live queue (and one the loop never reached is dropped
 * with the queue). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_private.h"

struct fr_cluster_bus {
    pthread_mutex_t mu;
    int refs, n;
    fr_server *nodes[FR_CLUSTER_MAX_NODES];
};

struct fr_cluster_bus *fr__cluster_bus_new(void)
{
    struct fr_cluster_bus *bus = fr__xcalloc(1, sizeof *bus);
    pthread_mutex_init(&bus->mu, NULL);
    bus->refs = 1;
    return bus;
}

void fr__cluster_bus_release(struct fr_cluster_bus *bus)
{
    if (!bus)
        return;
    pthread_mutex_lock(&bus->mu);
    int last = --bus->refs == 0;
    pthread_mutex_unlock(&bus->mu);
    if (last) {
        pthread_mutex_destroy(&bus->mu);
        free(bus);
    }
}

void fr__cluster_bus_join(fr_server *srv, struct fr_cluster_bus *bus)
{
    struct fr_cluster_view *cl = srv->cluster;
    if (!cl || cl->bus || !bus)
        return;
    pthread_mutex_lock(&bus->mu);
    if (bus->n < FR_CLUSTER_MAX_NODES) {
        bus->nodes[bus->n++] = srv;
        bus->refs++;
        cl->bus = bus;
    }
    pthread_mutex_unlock(&bus->mu);
}

void fr__cluster_bus_leave(fr_server *srv)
{
    struct fr_cluster_view *cl = srv->cluster;
    struct fr_cluster_bus *bus = cl ? cl->bus : NULL;
    if (!bus)
        return;
    pthread_mutex_lock(&bus->mu);
    for (int i = 0; i < bus->n; i++)
        if (bus->nodes[i] == srv) {
            bus->nodes[i] = bus->nodes[--bus->n];
            break;
        }
    pthread_mutex_unlock(&bus->mu);
    cl->bus = NULL;
    fr__cluster_bus_release(bus);
}

typedef struct bus_msg {
    void (*fn)(fr_server *, const char *, size_t);
    size_t len;
    char data[];
} bus_msg;

static void bus_deliver(fr_server *srv, void *arg)
{
    bus_msg *m = arg;
    m->fn(srv, m->data, m->len);
    free(m);
}

void fr__cluster_broadcast(fr_server *srv, void (*fn)(fr_server *, const char *, size_t),
                           const char *data, size_t len)
{
    struct fr_cluster_bus *bus = srv->cluster ? srv->cluster->bus : NULL;
    if (!bus)
        return;
    pthread_mutex_lock(&bus->mu);
    for (int i = 0; i < bus->n; i++) {
        if (bus->nodes[i] == srv)
            continue;
        bus_msg *m = fr__xmalloc(sizeof *m + len);
        m->fn = fn;
        m->len = len;
        memcpy(m->data, data, len);
        fr__post_on_loop(bus->nodes[i], bus_deliver, free, m);
    }
    pthread_mutex_unlock(&bus->mu);
}

int fr__cluster_shard_channels(const fr_cmd *cmd, int argc)
{
    const char *n = cmd->name;
    if (n[0] != 's')
        return -1;
    if (!strcmp(n, "spublish"))
        return 1;
    return !strcmp(n, "ssubscribe") || !strcmp(n, "sunsubscribe") ? argc - 1 : -1;
}

void fr__cluster_on_slot_lost(fr_server *srv, void (*fn)(fr_server *, int))
{
    if (srv->cluster)
        srv->cluster->slot_lost = fn;
}

void fr__cluster_slot_lost(fr_server *srv, int slot)
{
    if (srv->cluster && srv->cluster->slot_lost)
        srv->cluster->slot_lost(srv, slot);
}
