/* Clusters (fakeredis/cluster.h): N fakes with one view of the slots, and
 * live slot migration driven from the test. Every change is made the way
 * an operator makes it on a real cluster (CLUSTER SETSLOT on the nodes
 * concerned, keys moved by DUMP/RESTORE/DEL), through fr_exec: in-process
 * commands are never redirected. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_api_private.h"

typedef struct setup_job {
    fr_cluster *cl;
    int me, rc;
} setup_job;

static void setup_on_loop(fr_server *srv, void *arg)
{
    setup_job *j = arg;
    fr_cluster_node_spec nodes[FR_CLUSTER_MAX_NODES];
    for (int k = 0; k < j->cl->n; k++)
        fr__cl_spec(j->cl, j->me, k, &nodes[k]);
    fr_cluster_ctl ctl;
    fr__cl_ctl(j->cl, &ctl);
    j->rc =
        fr__cluster_setup(srv, j->me, j->cl->n, nodes, j->cl->owner, j->cl->current_epoch, &ctl);
    if (j->rc == 0)
        fr__cluster_bus_join(srv, j->cl->bus); /* PUBLISH reaches every node */
}

/* Node i's view from scratch (its slots from the cluster's record). */
int fr__cl_setup_node(fr_cluster *cl, int i)
{
    setup_job j = {cl, i, 0};
    int st = fr__run_on_loop(cl->srv[i], setup_on_loop, &j);
    return st != FR_OK ? st : j.rc < 0 ? FR_ERR_ARG : FR_OK;
}

/* A random node id: 40 lower-case hex characters. */
void fr__cl_new_id(fr_cluster *cl, int i)
{
    static const char hex[] = "0123456789abcdef";
    for (int k = 0; k < 40; k++)
        cl->ids[i][k] = hex[fr__rng_next(&cl->rng) >> 60];
    cl->ids[i][40] = '\0';
}

int fr_cluster_keyslot(const char *key, size_t len)
{
    return key ? fr__keyslot(key, len) : 0;
}

int fr_cluster_size(const fr_cluster *cl)
{
    return cl ? cl->n : 0;
}

fr_server *fr_cluster_node(const fr_cluster *cl, int i)
{
    return cl && i >= 0 && i < cl->n ? cl->srv[i] : NULL;
}

int fr_cluster_slot_owner(const fr_cluster *cl, int slot)
{
    if (!cl || slot < 0 || slot >= FR_CLUSTER_SLOTS)
        return FR_ERR_ARG;
    fr_cluster *w = (fr_cluster *)cl; /* the worker may be changing it */
    pthread_mutex_lock(&w->mu);
    int owner = cl->owner[slot];
    pthread_mutex_unlock(&w->mu);
    return owner;
}

void fr_cluster_stop(fr_cluster *cl)
{
    if (!cl)
        return;
    fr__cl_ctl_stop(cl);
    /* replicas first: their masters then have no link to tear down */
    for (int pass = 0; pass < 2; pass++)
        for (int i = cl->n - 1; i >= 0; i--)
            if ((cl->master[i] >= 0) == (pass == 0))
                fr_server_stop(cl->srv[i]);
    fr__cluster_bus_release(cl->bus);
    pthread_mutex_destroy(&cl->mu);
    pthread_mutex_destroy(&cl->qmu);
    pthread_cond_destroy(&cl->qcv);
    free(cl);
}

int fr_cluster_start(const fr_cluster_options *opts, fr_cluster **out)
{
    if (!out)
        return FR_ERR_ARG;
    *out = NULL;
    int m = opts && opts->masters ? opts->masters : 3;
    int r = opts ? opts->replicas : 0;
    if (m < 1 || r < 0 || r > 16 || m * (1 + r) > FR_CLUSTER_MAX_NODES)
        return FR_ERR_ARG;
    int n = m * (1 + r);
    fr_options so = {0};
    if (opts && opts->server)
        so = *opts->server;
    int base_port = so.port;
    fr_cluster *cl = fr__xcalloc(1, sizeof *cl);
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&cl->mu, &attr);
    pthread_mutexattr_destroy(&attr);
    pthread_mutex_init(&cl->qmu, NULL);
    pthread_cond_init(&cl->qcv, NULL);
    cl->bus = fr__cluster_bus_new();
    cl->base = opts ? opts->base : NULL;
    cl->masters = m;
    cl->node_timeout_ms = opts && opts->node_timeout_ms > 0 ? opts->node_timeout_ms : 0;
    cl->so = so;
    cl->rng = fr__rng_seed(cl);
    int st = FR_OK;
    for (int i = 0; i < n && st == FR_OK; i++) {
        so.port = base_port ? base_port + i : 0;
        st = cl->base ? fr_server_attach(cl->base, &so, &cl->srv[i])
                      : fr_server_start(&so, &cl->srv[i]);
        if (st != FR_OK)
            break;
        cl->n++;
        cl->ports[i] = fr_server_port(cl->srv[i]);
        fr__cl_new_id(cl, i);
        /* masters first; replica k of the masters follows master k % m,
         * so each master gets r replicas; epochs as redis-cli --cluster
         * create leaves them: masters 1..m, the current epoch the nodes */
        cl->master[i] = i < m ? -1 : (i - m) % m;
        cl->follow[i] = -1;
        cl->epoch[i] = i < m ? (uint64_t)i + 1 : 0;
    }
    cl->current_epoch = (uint64_t)n;
    /* redis-cli --cluster create's split: 16384/m slots a master, the
     * boundaries rounded (0-5460, 5461-10922, 10923-16383 for 3) */
    double per = (double)FR_CLUSTER_SLOTS / m, cursor = 0;
    for (int i = 0, first = 0; i < m; i++, cursor += per) {
        int last = (int)(cursor + per - 1 + 0.5);
        if (last > FR_CLUSTER_SLOTS - 1 || i == m - 1)
            last = FR_CLUSTER_SLOTS - 1;
        if (last < first)
            last = first;
        for (int s = first; s <= last; s++)
            cl->owner[s] = i;
        first = last + 1;
    }
    for (int s = 0; s < FR_CLUSTER_SLOTS; s++)
        cl->mig_from[s] = cl->mig_to[s] = -1;
    for (int i = 0; i < cl->n && st == FR_OK; i++)
        st = fr__cl_setup_node(cl, i);
    for (int i = m; i < cl->n && st == FR_OK; i++) {
        fr_reply *rp = fr_execf(cl->srv[i], "REPLICAOF 127.0.0.1 %d", cl->ports[cl->master[i]]);
        st = !rp ? FR_ERR_STOPPED : rp->type == FR_REPLY_ERROR ? FR_ERR_REPLY : FR_OK;
        fr_reply_free(rp);
    }
    /* attached nodes link up once their loop runs: no waiting here */
    if (st == FR_OK && r && !cl->base)
        st = fr__cl_wait_replicas(cl, 5000);
    if (st != FR_OK) {
        fr_cluster_stop(cl);
        return st;
    }
    *out = cl;
    return FR_OK;
}

/* Run a command on node i that must answer +OK. */
static int exec_ok(fr_cluster *cl, int i, const char *fmt, int slot, const char *id)
{
    fr_reply *r = fr_execf(cl->srv[i], fmt, slot, id);
    int st = !r ? FR_ERR_STOPPED : r->type == FR_REPLY_ERROR ? FR_ERR_REPLY : FR_OK;
    fr_reply_free(r);
    return st;
}

static int migrate_begin(fr_cluster *cl, int slot, int to)
{
    if (!cl || slot < 0 || slot >= FR_CLUSTER_SLOTS || to < 0 || to >= cl->n ||
        cl->owner[slot] == to || cl->master[to] >= 0)
        return FR_ERR_ARG;
    if (cl->mig_from[slot] >= 0)
        return FR_ERR_STATE;
    int from = cl->owner[slot];
    /* importing first, as redis-cli does: no window where the source sends
     * -ASK to a target that would answer -MOVED */
    int st = exec_ok(cl, to, "CLUSTER SETSLOT %d IMPORTING %s", slot, cl->ids[from]);
    if (st == FR_OK)
        st = exec_ok(cl, from, "CLUSTER SETSLOT %d MIGRATING %s", slot, cl->ids[to]);
    if (st == FR_OK) {
        cl->mig_from[slot] = from;
        cl->mig_to[slot] = to;
    }
    return st;
}

static int move_key(fr_server *from, fr_server *to, const char *k, size_t n)
{
    fr_reply *d = fr_execf(from, "DUMP %b", k, n);
    fr_reply *t = fr_execf(from, "PTTL %b", k, n);
    int st = FR_OK;
    if (d && t && d->type == FR_REPLY_STRING && t->type == FR_REPLY_INTEGER) {
        char ttl[24];
        snprintf(ttl, sizeof ttl, "%lld", t->integer > 0 ? t->integer : 0);
        fr_reply *r = fr_execf(to, "RESTORE %b %s %b REPLACE", k, n, ttl, d->str, d->len);
        st = !r ? FR_ERR_STOPPED : r->type == FR_REPLY_ERROR ? FR_ERR_REPLY : FR_OK;
        fr_reply_free(r);
        if (st == FR_OK)
            fr_reply_free(fr_execf(from, "DEL %b", k, n));
    }
    fr_reply_free(d);
    fr_reply_free(t);
    return st;
}

static int migrate_keys(fr_cluster *cl, int slot, int max)
{
    if (!cl || slot < 0 || slot >= FR_CLUSTER_SLOTS || max < 0)
        return FR_ERR_ARG;
    int from = cl->mig_from[slot], to = cl->mig_to[slot];
    if (from < 0)
        return FR_ERR_STATE;
    fr_reply *keys =
        fr_execf(cl->srv[from], "CLUSTER GETKEYSINSLOT %d %d", slot, max ? max : 1 << 30);
    if (!keys)
        return FR_ERR_STOPPED;
    int moved = 0, st = FR_OK;
    for (size_t i = 0; keys->type == FR_REPLY_ARRAY && i < keys->elements && st == FR_OK; i++) {
        st = move_key(cl->srv[from], cl->srv[to], keys->element[i]->str, keys->element[i]->len);
        moved += st == FR_OK;
    }
    fr_reply_free(keys);
    return st == FR_OK ? moved : st;
}

static int migrate_end(fr_cluster *cl, int slot)
{
    if (!cl || slot < 0 || slot >= FR_CLUSTER_SLOTS)
        return FR_ERR_ARG;
    int to = cl->mig_to[slot];
    if (to < 0)
        return FR_ERR_STATE;
    int st = migrate_keys(cl, slot, 0);
    if (st < 0)
        return st;
    /* the target first, then the source, then the rest (redis-cli's order) */
    int from = cl->mig_from[slot];
    st = exec_ok(cl, to, "CLUSTER SETSLOT %d NODE %s", slot, cl->ids[to]);
    if (st == FR_OK)
        st = exec_ok(cl, from, "CLUSTER SETSLOT %d NODE %s", slot, cl->ids[to]);
    for (int i = 0; i < cl->n && st == FR_OK; i++) {
        if (i == to || i == from)
            continue;
        if (cl->master[i] < 0) {
            st = exec_ok(cl, i, "CLUSTER SETSLOT %d NODE %s", slot, cl->ids[to]);
        } else {
            st = fr__cl_assign(cl, i, slot, to); /* replicas refuse SETSLOT */
        }
    }
    if (st == FR_OK) {
        cl->owner[slot] = to;
        cl->mig_from[slot] = cl->mig_to[slot] = -1;
    }
    return st;
}

static int move_slot(fr_cluster *cl, int slot, int to)
{
    int st = migrate_begin(cl, slot, to);
    return st == FR_OK ? migrate_end(cl, slot) : st;
}

/* The public steps: one topology change at a time (the worker's too). */
#define LOCKED(call)                                                                               \
    do {                                                                                           \
        if (!cl)                                                                                   \
            return FR_ERR_ARG;                                                                     \
        pthread_mutex_lock(&cl->mu);                                                               \
        int st_ = call;                                                                            \
        pthread_mutex_unlock(&cl->mu);                                                             \
        return st_;                                                                                \
    } while (0)

int fr_cluster_migrate_begin(fr_cluster *cl, int slot, int to)
{
    LOCKED(migrate_begin(cl, slot, to));
}

int fr_cluster_migrate_keys(fr_cluster *cl, int slot, int max)
{
    LOCKED(migrate_keys(cl, slot, max));
}

int fr_cluster_migrate_end(fr_cluster *cl, int slot)
{
    LOCKED(migrate_end(cl, slot));
}

int fr_cluster_move_slot(fr_cluster *cl, int slot, int to)
{
    LOCKED(move_slot(cl, slot, to));
}
