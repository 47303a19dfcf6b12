/* One journal query over every node of a topology: each node is asked
 * with journal.h's own per-server query (its `since` taken from the
 * topology mark), the answers are added up or printed together. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakeredis/topology.h"
#include "topology_internal.h"

int fr_topo_mark_now(fr_topo *t, fr_topo_mark *m)
{
    if (!t || !m)
        return FR_ERR_ARG;
    memset(m, 0, sizeof *m);
    m->n = fr_topo_size(t);
    for (int i = 0; i < m->n; i++) {
        int rc = fr_journal_mark(fr_topo_node(t, i), &m->seq[i]);
        if (rc != FR_OK && rc != FR_ERR_STOPPED)
            return rc; /* a stopped node has nothing new to mark */
    }
    return FR_OK;
}

/* q for node i: since from the mark (a node added after it: 0, all). */
static fr_journal_query node_query(const fr_journal_query *q, const fr_topo_mark *since, int i)
{
    fr_journal_query nq = {0};
    if (q)
        nq = *q;
    nq.since = since && i < since->n ? since->seq[i] : 0;
    return nq;
}

long long fr_topo_journal_count(fr_topo *t, const fr_journal_query *q, const fr_topo_mark *since,
                                long long *per_node)
{
    if (!t)
        return FR_ERR_ARG;
    long long total = 0;
    for (int i = 0; i < fr_topo_size(t); i++) {
        fr_journal_query nq = node_query(q, since, i);
        long long c = fr_journal_count(fr_topo_node(t, i), &nq);
        if (c == FR_ERR_STOPPED)
            c = 0;
        if (c < 0)
            return c;
        if (per_node)
            per_node[i] = c;
        total += c;
    }
    return total;
}

int fr_topo_journal_which(fr_topo *t, const fr_journal_query *q, const fr_topo_mark *since,
                          int *node)
{
    if (!t || !node)
        return FR_ERR_ARG;
    *node = -1;
    for (int i = 0; i < fr_topo_size(t); i++) {
        fr_journal_query nq = node_query(q, since, i);
        nq.limit = 1;
        long long c = fr_journal_count(fr_topo_node(t, i), &nq);
        if (c < 0 && c != FR_ERR_STOPPED)
            return (int)c;
        if (c > 0) {
            *node = i;
            return FR_OK;
        }
    }
    return FR_OK;
}

static void append(char **buf, size_t *len, const char *s)
{
    size_t k = strlen(s);
    char *p = realloc(*buf, *len + k + 1);
    if (!p)
        abort(); /* as the library: out of memory aborts */
    memcpy(p + *len, s, k + 1);
    *buf = p;
    *len += k;
}

/* "master", "replica of 127.0.0.1:6380 (connected, offset 42)", "stopped" */
static void describe_node(fr_server *srv, char *out, size_t cap)
{
    fr__topo_role_info ri;
    int rc = fr__topo_role(srv, &ri);
    if (rc == FR_ERR_STOPPED)
        snprintf(out, cap, "stopped");
    else if (rc != FR_OK)
        snprintf(out, cap, "no ROLE");
    else if (ri.master)
        snprintf(out, cap, "master, offset %lld, %d replicas", ri.offset, ri.replicas);
    else
        snprintf(out, cap, "replica of 127.0.0.1:%d (%s, offset %lld)", ri.master_port, ri.link,
                 ri.offset);
}

int fr_topo_journal_format(fr_topo *t, const fr_journal_query *q, const fr_topo_mark *since,
                           char **text)
{
    if (!t || !text)
        return FR_ERR_ARG;
    char *buf = NULL;
    size_t len = 0;
    append(&buf, &len, "");
    for (int i = 0; i < fr_topo_size(t); i++) {
        fr_server *srv = fr_topo_node(t, i);
        char role[128], head[256];
        describe_node(srv, role, sizeof role);
        snprintf(head, sizeof head, "node %d (127.0.0.1:%d, %s):\n", i, fr_server_port(srv), role);
        append(&buf, &len, head);
        fr_journal_query nq = node_query(q, since, i);
        fr_journal *j = NULL;
        char *part = NULL;
        if (fr_journal_get(srv, &nq, &j) == FR_OK && fr_journal_format(j, &part) == FR_OK)
            append(&buf, &len, part);
        free(part);
        fr_journal_free(j);
    }
    *text = buf;
    return FR_OK;
}

int *fr__topo_slot_view(const fr_topo *t, fr_server *srv)
{
    if (fr_server_is_shut_down(srv))
        return NULL;
    fr_reply *r = fr_execf(srv, "CLUSTER SLOTS");
    if (!r || r->type != FR_REPLY_ARRAY) {
        fr_reply_free(r);
        return NULL;
    }
    int *view = malloc(FR_CLUSTER_SLOTS_N * sizeof *view);
    if (!view)
        abort();
    for (int s = 0; s < FR_CLUSTER_SLOTS_N; s++)
        view[s] = -1;
    for (size_t k = 0; k < r->elements; k++) {
        const fr_reply *e = r->element[k];
        if (e->type != FR_REPLY_ARRAY || e->elements < 3 || e->element[2]->type != FR_REPLY_ARRAY ||
            e->element[2]->elements < 2)
            continue;
        long long lo = e->element[0]->integer, hi = e->element[1]->integer;
        int port = (int)e->element[2]->element[1]->integer, who = -1;
        for (int i = 0; i < fr_topo_size(t) && who < 0; i++)
            if (fr_server_port(fr_topo_node(t, i)) == port)
                who = i;
        for (long long s = lo < 0 ? 0 : lo; s <= hi && s < FR_CLUSTER_SLOTS_N; s++)
            view[s] = who;
    }
    fr_reply_free(r);
    return view;
}
