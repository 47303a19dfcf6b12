/* CLUSTER INFO, MYID, SLOTS, SHARDS and NODES: the node's view in Redis
 * 7.0's formats. See cluster_engine.h. */
#include <string.h>

#include "cluster_private.h"

/* Calls fn for each run of slots [start, end] that one node serves. */
static void each_range(const struct fr_cluster_view *cl, int node,
                       void (*fn)(void *ctx, int start, int end, int node), void *ctx)
{
    int s = 0;
    while (s < FR_CLUSTER_SLOTS) {
        int o = cl->owner[s], e = s;
        while (e + 1 < FR_CLUSTER_SLOTS && cl->owner[e + 1] == o)
            e++;
        if (o >= 0 && (node < 0 || o == node))
            fn(ctx, s, e, o);
        s = e + 1;
    }
}

static void count_cb(void *ctx, int start, int end, int node)
{
    (*(int *)ctx)++;
}

static int count_ranges(const struct fr_cluster_view *cl, int node)
{
    int n = 0;
    each_range(cl, node, count_cb, &n);
    return n;
}

static void add_node_entry(fr_conn *c, const fr_cluster_node *n)
{
    fr__add_array(c, 4);
    fr__add_bulk_cstr(c, n->ip);
    fr__add_ll(c, n->port);
    fr__add_bulk(c, n->id, 40);
    fr__add_map(c, 0); /* no hostname to announce */
}

/* A replica CLUSTER SLOTS and SHARDS list: of master m, not failing. */
static int listed_replica(const struct fr_cluster_view *cl, int i, int m)
{
    return cl->nodes[i].master == m && !(cl->nodes[i].flags & FR_CLUSTER_FAIL);
}

static void slots_cb(void *ctx, int start, int end, int node)
{
    fr_conn *c = ctx;
    const struct fr_cluster_view *cl = c->srv->cluster;
    int replicas = 0;
    for (int i = 0; i < cl->n; i++)
        replicas += listed_replica(cl, i, node);
    fr__add_array(c, 3 + replicas);
    fr__add_ll(c, start);
    fr__add_ll(c, end);
    add_node_entry(c, &cl->nodes[node]);
    for (int i = 0; i < cl->n; i++)
        if (listed_replica(cl, i, node))
            add_node_entry(c, &cl->nodes[i]);
}

void fr__cluster_cmd_slots(fr_conn *c)
{
    fr__add_array(c, count_ranges(c->srv->cluster, -1));
    each_range(c->srv->cluster, -1, slots_cb, c);
}

static void shard_slots_cb(void *ctx, int start, int end, int node)
{
    fr_conn *c = ctx;
    fr__add_ll(c, start);
    fr__add_ll(c, end);
}

static void add_shard_node(fr_conn *c, int i)
{
    const fr_cluster_node *n = &c->srv->cluster->nodes[i];
    fr__add_map(c, 7);
    fr__add_bulk_cstr(c, "id");
    fr__add_bulk(c, n->id, 40);
    fr__add_bulk_cstr(c, "port");
    fr__add_ll(c, n->port);
    fr__add_bulk_cstr(c, "ip");
    fr__add_bulk_cstr(c, n->ip);
    fr__add_bulk_cstr(c, "endpoint");
    fr__add_bulk_cstr(c, n->ip);
    fr__add_bulk_cstr(c, "role");
    fr__add_bulk_cstr(c, n->master >= 0 ? "replica" : "master");
    fr__add_bulk_cstr(c, "replication-offset");
    fr__add_ll(c, 0);
    fr__add_bulk_cstr(c, "health");
    fr__add_bulk_cstr(c, n->flags & FR_CLUSTER_FAIL ? "fail" : "online");
}

void fr__cluster_cmd_shards(fr_conn *c)
{
    const struct fr_cluster_view *cl = c->srv->cluster;
    /* a shard per master, also one without slots (new, or failed over) */
    int shards = 0;
    for (int i = 0; i < cl->n; i++)
        shards += cl->nodes[i].master < 0;
    fr__add_array(c, shards);
    for (int i = 0; i < cl->n; i++) {
        if (cl->nodes[i].master >= 0)
            continue;
        int ranges = count_ranges(cl, i);
        fr__add_map(c, 2);
        fr__add_bulk_cstr(c, "slots");
        fr__add_array(c, 2 * ranges);
        each_range(cl, i, shard_slots_cb, c);
        fr__add_bulk_cstr(c, "nodes");
        int members = 1;
        for (int j = 0; j < cl->n; j++)
            members += cl->nodes[j].master == i;
        fr__add_array(c, members);
        add_shard_node(c, i);
        for (int j = 0; j < cl->n; j++)
            if (cl->nodes[j].master == i)
                add_shard_node(c, j);
    }
}

void fr__cluster_cmd_myid(fr_conn *c)
{
    const struct fr_cluster_view *cl = c->srv->cluster;
    fr__add_bulk(c, cl->nodes[cl->me].id, 40);
}

void fr__cluster_cmd_info(fr_conn *c)
{
    const struct fr_cluster_view *cl = c->srv->cluster;
    int assigned = 0, pfail = 0, fail = 0, size = 0;
    for (int s = 0; s < FR_CLUSTER_SLOTS; s++) {
        int o = cl->owner[s];
        assigned += o >= 0;
        fail += o >= 0 && (cl->nodes[o].flags & FR_CLUSTER_FAIL);
        pfail += o >= 0 && (cl->nodes[o].flags & FR_CLUSTER_PFAIL);
    }
    for (int i = 0; i < cl->n; i++)
        size += cl->nodes[i].master < 0 && count_ranges(cl, i) > 0;
    fr_buf b = {0};
    fr__buf_printf(&b,
                   "cluster_state:%s\r\ncluster_slots_assigned:%d\r\ncluster_slots_ok:%d\r\n"
                   "cluster_slots_pfail:%d\r\ncluster_slots_fail:%d\r\ncluster_known_nodes:%d\r\n"
                   "cluster_size:%d\r\ncluster_current_epoch:%llu\r\ncluster_my_epoch:%llu\r\n"
                   "cluster_stats_messages_sent:0\r\ncluster_stats_messages_received:0\r\n"
                   "total_cluster_links_buffer_limit_exceeded:0\r\n",
                   fr__cluster_ok(c->srv) ? "ok" : "fail", assigned, assigned - pfail - fail, pfail,
                   fail, cl->n, size, (unsigned long long)cl->epoch,
                   (unsigned long long)fr__cluster_node_epoch(cl, cl->me));
    fr__add_verbatim(c, b.p, b.len, "txt");
    fr__buf_free(&b);
}

static void nodes_range_cb(void *ctx, int start, int end, int node)
{
    fr_buf *b = ctx;
    if (start == end)
        fr__buf_printf(b, " %d", start);
    else
        fr__buf_printf(b, " %d-%d", start, end);
}

void fr__cluster_node_line(const struct fr_cluster_view *cl, int i, fr_buf *b)
{
    const fr_cluster_node *n = &cl->nodes[i];
    int me = i == cl->me, failing = n->flags != 0;
    int64_t now = fr__real_ms();
    /* a failing node: our ping unanswered since it failed */
    fr__buf_printf(
        b, "%s %s:%d@%d %s%s%s %s %lld %lld %llu %s", n->id, n->ip, n->port, n->port + 10000,
        me ? "myself," : "", n->master >= 0 ? "slave" : "master",
        n->flags & FR_CLUSTER_FAIL    ? ",fail"
        : n->flags & FR_CLUSTER_PFAIL ? ",fail?"
                                      : "",
        n->master >= 0 ? cl->nodes[n->master].id : "-", failing ? (long long)n->fail_ms : 0LL,
        me ? 0LL : (long long)(failing ? n->fail_ms : now),
        (unsigned long long)fr__cluster_node_epoch(cl, i), failing ? "disconnected" : "connected");
    each_range(cl, i, nodes_range_cb, b);
    for (int s = 0; me && s < FR_CLUSTER_SLOTS; s++) {
        if (cl->migrating[s] >= 0)
            fr__buf_printf(b, " [%d->-%s]", s, cl->nodes[cl->migrating[s]].id);
        if (cl->importing[s] >= 0)
            fr__buf_printf(b, " [%d-<-%s]", s, cl->nodes[cl->importing[s]].id);
    }
    fr__buf_putc(b, '\n');
}

void fr__cluster_cmd_nodes(fr_conn *c)
{
    const struct fr_cluster_view *cl = c->srv->cluster;
    fr_buf b = {0};
    for (int i = 0; i < cl->n; i++)
        fr__cluster_node_line(cl, i, &b);
    fr__add_verbatim(c, b.p, b.len, "txt");
    fr__buf_free(&b);
}
