/* Waits over a topology: harness.h's wait (fr__harness_wait), woken by a
 * change on any node, with conditions that read the nodes the way a
 * client would (ROLE, CLUSTER SLOTS) or ask their journals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakeredis/harness.h"
#include "fakeredis/topology.h"
#include "harness_internal.h"
#include "topology_internal.h"

static int wait_topo(struct event_base *base, fr_topo *t, fr_wait_pred *pred, void *ctx,
                     const char *what, int timeout_ms)
{
    fr_server *nodes[FR_TOPO_MAX_NODES];
    int n = t ? fr__topo_nodes(t, nodes) : 0;
    if (n < 1)
        return FR_ERR_ARG;
    return fr__harness_wait(base, nodes, n, pred, ctx, what, timeout_ms);
}

/* ---- the client followed the master / the slot ------------------------------------- */

typedef struct follow_ctx {
    fr_topo *t;
    int slot; /* -1: the group's master */
    const fr_journal_query *q;
    const fr_topo_mark *since;
    int new_conn;
} follow_ctx;

/* Commands matching q on srv after since, only from clients that
 * connected after since when new_conn. */
static long long count_on(fr_server *srv, const fr_journal_query *q, uint64_t since, int new_conn)
{
    fr_journal_query nq = {0};
    if (q)
        nq = *q;
    nq.since = since;
    if (!new_conn)
        return fr_journal_count(srv, &nq);
    fr_journal_query all = {.since = since, .kinds = FR_JK(FR_J_CONNECT) | FR_JK(FR_J_COMMAND)};
    fr_journal *j = NULL;
    int rc = fr_journal_get(srv, &all, &j);
    if (rc != FR_OK)
        return rc;
    long long n = 0;
    for (size_t i = 0; i < j->n; i++) {
        const fr_journal_entry *e = &j->entries[i];
        if (e->kind != FR_J_COMMAND || fr_journal_match(e, &nq) != 1)
            continue;
        /* the journal is in order: its connect came before it, or never */
        for (size_t k = 0; k < i; k++)
            if (j->entries[k].kind == FR_J_CONNECT && j->entries[k].client_id == e->client_id) {
                n++;
                break;
            }
    }
    fr_journal_free(j);
    return n;
}

static int follow_pred(fr_server *first, void *arg, char *seen, size_t cap)
{
    (void)first;
    follow_ctx *x = arg;
    int at = x->slot < 0 ? fr_topo_master(x->t) : fr_topo_slot_owner(x->t, x->slot);
    fr_server *srv = fr_topo_node(x->t, at);
    long long have = 0;
    if (srv) {
        uint64_t since = x->since && at < x->since->n ? x->since->seq[at] : 0;
        have = count_on(srv, x->q, since, x->new_conn);
        if (have < 0 && have != FR_ERR_STOPPED)
            return (int)have;
        if (have > 0)
            return 1;
    }
    /* what came instead, and where */
    long long per[FR_TOPO_MAX_NODES];
    fr_topo_journal_count(x->t, x->q, x->since, per);
    size_t k = (size_t)snprintf(seen, cap, "%s is node %d; matching commands per node: [",
                                x->slot < 0 ? "the master" : "the owner", at);
    for (int i = 0; i < fr_topo_size(x->t) && k < cap; i++)
        k += (size_t)snprintf(seen + k, cap - k, "%s%lld", i ? ", " : "", per[i]);
    if (k < cap)
        k += (size_t)snprintf(seen + k, cap - k, "]\n");
    char *text = NULL;
    fr_journal_query any = {.kinds = FR_JK(FR_J_CONNECT) | FR_JK(FR_J_COMMAND)};
    if (k < cap && fr_topo_journal_format(x->t, &any, x->since, &text) == FR_OK)
        snprintf(seen + k, cap - k, "%s", text);
    free(text);
    return 0;
}

static int wait_follow(struct event_base *base, fr_topo *t, int slot, const fr_journal_query *q,
                       const fr_topo_mark *since, int new_conn, int timeout_ms)
{
    if (!t || (slot < 0 ? !t->group : (!t->cluster || slot >= FR_CLUSTER_SLOTS_N)))
        return FR_ERR_ARG;
    follow_ctx x = {t, slot, q, since, new_conn};
    char what[512], where[64];
    if (slot < 0)
        snprintf(where, sizeof where, "the master");
    else
        snprintf(where, sizeof where, "the owner of slot %d", slot);
    snprintf(what, sizeof what, "a command matching '%s'%s%s%s on %s",
             q && q->command ? q->command : "*", q && q->client ? " from a client named " : "",
             q && q->client ? q->client : "", new_conn ? " on a new connection" : "", where);
    return wait_topo(base, t, follow_pred, &x, what, timeout_ms);
}

int fr_topo_wait_follow_master(fr_topo *t, const fr_journal_query *q, const fr_topo_mark *since,
                               int new_conn, int timeout_ms)
{
    return wait_follow(NULL, t, -1, q, since, new_conn, timeout_ms);
}

int fr_topo_wait_follow_master_on(struct event_base *base, fr_topo *t, const fr_journal_query *q,
                                  const fr_topo_mark *since, int new_conn, int timeout_ms)
{
    return base ? wait_follow(base, t, -1, q, since, new_conn, timeout_ms) : FR_ERR_ARG;
}

int fr_topo_wait_follow_slot(fr_topo *t, int slot, const fr_journal_query *q,
                             const fr_topo_mark *since, int new_conn, int timeout_ms)
{
    return slot < 0 ? FR_ERR_ARG : wait_follow(NULL, t, slot, q, since, new_conn, timeout_ms);
}

int fr_topo_wait_follow_slot_on(struct event_base *base, fr_topo *t, int slot,
                                const fr_journal_query *q, const fr_topo_mark *since, int new_conn,
                                int timeout_ms)
{
    return base && slot >= 0 ? wait_follow(base, t, slot, q, since, new_conn, timeout_ms)
                             : FR_ERR_ARG;
}

/* ---- replicas in sync ------------------------------------------------------------------ */

static int synced_pred(fr_server *first, void *arg, char *seen, size_t cap)
{
    (void)first;
    fr_topo *t = arg;
    int n = fr_topo_size(t), ok = 1;
    fr__topo_role_info ri[FR_TOPO_MAX_NODES];
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        fr_server *s = fr_topo_node(t, i);
        int rc = fr__topo_role(s, &ri[i]);
        if (rc != FR_OK)
            ri[i].master = -1; /* stopped: it replicates nothing */
    }
    for (int i = 0; i < n; i++) {
        if (ri[i].master != 0)
            continue;
        int m = -1;
        for (int j = 0; j < n && m < 0; j++)
            if (ri[j].master == 1 && fr_server_port(fr_topo_node(t, j)) == ri[i].master_port)
                m = j;
        long long pending = fr_replica_pending(fr_topo_node(t, i));
        int in_sync = m >= 0 && !strcmp(ri[i].link, "connected") && ri[i].offset >= ri[m].offset &&
                      pending == 0;
        if (!in_sync) {
            ok = 0;
            if (k < cap)
                k += (size_t)snprintf(seen + k, cap - k,
                                      "%snode %d: %s, offset %lld, %lld pending; its master "
                                      "(port %d) node %d at %lld",
                                      k ? "; " : "", i, ri[i].link, ri[i].offset, pending,
                                      ri[i].master_port, m, m >= 0 ? ri[m].offset : -1);
        }
    }
    return ok;
}

int fr_topo_wait_synced(fr_topo *t, int timeout_ms)
{
    return wait_topo(NULL, t, synced_pred, t, "every replica to apply its master's offset",
                     timeout_ms);
}

int fr_topo_wait_synced_on(struct event_base *base, fr_topo *t, int timeout_ms)
{
    return base ? wait_topo(base, t, synced_pred, t, "every replica to apply its master's offset",
                            timeout_ms)
                : FR_ERR_ARG;
}

/* ---- slot ownership ------------------------------------------------------------------------ */

typedef struct slot_ctx {
    fr_topo *t;
    int slot, node;
} slot_ctx;

static int slot_pred(fr_server *first, void *arg, char *seen, size_t cap)
{
    (void)first;
    slot_ctx *x = arg;
    int ok = 1;
    size_t k = 0;
    for (int i = 0; i < fr_topo_size(x->t); i++) {
        fr_server *s = fr_topo_node(x->t, i);
        if (fr_server_is_shut_down(s))
            continue;
        int *view = fr__topo_slot_view(x->t, s);
        int says = view ? view[x->slot] : -2;
        free(view);
        if (says != x->node)
            ok = 0;
        if (k < cap)
            k += (size_t)snprintf(seen + k, cap - k, "%snode %d says node %d", i ? ", " : "", i,
                                  says);
    }
    return ok;
}

static int wait_slot(struct event_base *base, fr_topo *t, int slot, int node, int timeout_ms)
{
    if (!t || !t->cluster || slot < 0 || slot >= FR_CLUSTER_SLOTS_N || node < 0 ||
        node >= fr_topo_size(t))
        return FR_ERR_ARG;
    slot_ctx x = {t, slot, node};
    char what[128];
    snprintf(what, sizeof what, "every node to say node %d serves slot %d", node, slot);
    return wait_topo(base, t, slot_pred, &x, what, timeout_ms);
}

int fr_topo_wait_slot_owner(fr_topo *t, int slot, int node, int timeout_ms)
{
    return wait_slot(NULL, t, slot, node, timeout_ms);
}

int fr_topo_wait_slot_owner_on(struct event_base *base, fr_topo *t, int slot, int node,
                               int timeout_ms)
{
    return base ? wait_slot(base, t, slot, node, timeout_ms) : FR_ERR_ARG;
}

/* ---- the journal over all nodes ----------------------------------------------------------------
 */

typedef struct tj_ctx {
    fr_topo *t;
    const fr_journal_query *q;
    const fr_topo_mark *since;
    long long n;
} tj_ctx;

static int tj_pred(fr_server *first, void *arg, char *seen, size_t cap)
{
    (void)first;
    tj_ctx *x = arg;
    long long per[FR_TOPO_MAX_NODES];
    long long have = fr_topo_journal_count(x->t, x->q, x->since, per);
    if (have < 0)
        return (int)have;
    if (have >= x->n)
        return 1;
    size_t k = (size_t)snprintf(seen, cap, "%lld: per node [", have);
    for (int i = 0; i < fr_topo_size(x->t) && k < cap; i++)
        k += (size_t)snprintf(seen + k, cap - k, "%s%lld", i ? ", " : "", per[i]);
    if (k < cap)
        snprintf(seen + k, cap - k, "]");
    return 0;
}

static int wait_tj(struct event_base *base, fr_topo *t, const fr_journal_query *q,
                   const fr_topo_mark *since, long long n, int timeout_ms)
{
    tj_ctx x = {t, q, since, n};
    char what[512];
    snprintf(what, sizeof what, "%lld entr%s matching '%s' over all nodes", n, n == 1 ? "y" : "ies",
             q && q->command ? q->command : "*");
    return wait_topo(base, t, tj_pred, &x, what, timeout_ms);
}

int fr_topo_wait_journal(fr_topo *t, const fr_journal_query *q, const fr_topo_mark *since,
                         long long n, int timeout_ms)
{
    return wait_tj(NULL, t, q, since, n, timeout_ms);
}

int fr_topo_wait_journal_on(struct event_base *base, fr_topo *t, const fr_journal_query *q,
                            const fr_topo_mark *since, long long n, int timeout_ms)
{
    return base ? wait_tj(base, t, q, since, n, timeout_ms) : FR_ERR_ARG;
}
