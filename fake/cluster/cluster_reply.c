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

static void slots_cb(void *ctx, int start, int end, int node)
{
    fr_conn *c = ctx;
    fr__add_array(c, 3);
    fr__add_ll(c, start);
    fr__add_ll(c, end);
    add_node_entry(c, &c->srv->cluster->nodes[node]);
}

void fr__cluster_cmd_slots(fr_conn *c)
{
    if (fr__cluster_refuse_disabled(c))
        return;
    fr__add_array(c, count_ranges(c->srv->cluster, -1));
    each_range(c->srv->cluster, -1, slots_cb, c);
}

static void shard_slots_cb(void *ctx, int start, int end, int node)
{
    fr_conn *c = ctx;
    fr__add_ll(c, start);
    fr__add_ll(c, end);
}

void fr__cluster_cmd_shards(fr_conn *c)
{
    if (fr__cluster_refuse_disabled(c))
        return;
    const struct fr_cluster_view *cl = c->srv->cluster;
    int shards = 0;
    for (int i = 0; i < cl->n; i++)
        shards += count_ranges(cl, i) > 0;
    fr__add_array(c, shards);
    for (int i = 0; i < cl->n; i++) {
        int ranges = count_ranges(cl, i);
        if (!ranges)
            continue;
        const fr_cluster_node *n = &cl->nodes[i];
        fr__add_map(c, 2);
        fr__add_bulk_cstr(c, "slots");
        fr__add_array(c, 2 * ranges);
        each_range(cl, i, shard_slots_cb, c);
        fr__add_bulk_cstr(c, "nodes");
        fr__add_array(c, 1);
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
        fr__add_bulk_cstr(c, "master");
        fr__add_bulk_cstr(c, "replication-offset");
        fr__add_ll(c, 0);
        fr__add_bulk_cstr(c, "health");
        fr__add_bulk_cstr(c, "online");
    }
}

void fr__cluster_cmd_myid(fr_conn *c)
{
    if (fr__cluster_refuse_disabled(c))
        return;
    const struct fr_cluster_view *cl = c->srv->cluster;
    fr__add_bulk(c, cl->nodes[cl->me].id, 40);
}

void fr__cluster_cmd_info(fr_conn *c)
{
    if (fr__cluster_refuse_disabled(c))
        return;
    const struct fr_cluster_view *cl = c->srv->cluster;
    int assigned = 0, size = 0;
    for (int s = 0; s < FR_CLUSTER_SLOTS; s++)
        assigned += cl->owner[s] >= 0;
    for (int i = 0; i < cl->n; i++)
        size += count_ranges(cl, i) > 0;
    fr_buf b = {0};
    fr__buf_printf(&b,
                   "cluster_state:%s\r\ncluster_slots_assigned:%d\r\ncluster_slots_ok:%d\r\n"
                   "cluster_slots_pfail:0\r\ncluster_slots_fail:0\r\ncluster_known_nodes:%d\r\n"
                   "cluster_size:%d\r\ncluster_current_epoch:%llu\r\ncluster_my_epoch:%d\r\n"
                   "cluster_stats_messages_sent:0\r\ncluster_stats_messages_received:0\r\n"
                   "total_cluster_links_buffer_limit_exceeded:0\r\n",
                   fr__cluster_ok(cl) ? "ok" : "fail", assigned, assigned, cl->n, size,
                   (unsigned long long)cl->epoch, cl->me + 1);
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

void fr__cluster_cmd_nodes(fr_conn *c)
{
    if (fr__cluster_refuse_disabled(c))
        return;
    const struct fr_cluster_view *cl = c->srv->cluster;
    int64_t now = fr__real_ms();
    fr_buf b = {0};
    for (int i = 0; i < cl->n; i++) {
        const fr_cluster_node *n = &cl->nodes[i];
        int me = i == cl->me;
        fr__buf_printf(&b, "%s %s:%d@%d %s - 0 %lld %d connected", n->id, n->ip, n->port,
                       n->port + 10000, me ? "myself,master" : "master", me ? 0LL : (long long)now,
                       i + 1);
        each_range(cl, i, nodes_range_cb, &b);
        for (int s = 0; me && s < FR_CLUSTER_SLOTS; s++) {
            if (cl->migrating[s] >= 0)
                fr__buf_printf(&b, " [%d->-%s]", s, cl->nodes[cl->migrating[s]].id);
            if (cl->importing[s] >= 0)
                fr__buf_printf(&b, " [%d-<-%s]", s, cl->nodes[cl->importing[s]].id);
        }
        fr__buf_putc(&b, '\n');
    }
    fr__add_verbatim(c, b.p, b.len, "txt");
    fr__buf_free(&b);
}
