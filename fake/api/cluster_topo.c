/* A cluster's shape changing (fakeredis/cluster.h): replicas following
 * their masters, failover (from the test or a replica's CLUSTER FAILOVER),
 * killed, revived and unreachable nodes, nodes added. The cluster keeps
 * the record (roles, epochs, who is down) and gives every node its view
 * of it, as the nodes of a Redis cluster would agree by gossip; there is
 * no node timeout: the others see a node fail at once. Data moves over the
 * real replication links (REPLICAOF run in process: refused on the wire in
 * cluster mode, as Redis). */
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster_api_private.h"
#include "commands.h"
#include "fakeredis/events.h"
#include "repl_engine.h"

static void nap_1ms(void)
{
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
}

static int down(const fr_cluster *cl, int i)
{
    return cl->killed[i] || cl->cut[i];
}

void fr__cl_spec(const fr_cluster *cl, int i, int k, fr_cluster_node_spec *out)
{
    out->ip = "127.0.0.1";
    out->port = cl->ports[k];
    out->id = cl->ids[k];
    out->master = cl->master[k];
    out->epoch = cl->epoch[k];
    /* a node never sees itself fail; a cut node sees every other fail;
     * fail? until the node timeout passed */
    int gone = down(cl, k) ? k : cl->cut[i] ? i : -1;
    out->flags = i == k || gone < 0 ? 0 : cl->failed[gone] ? FR_CLUSTER_FAIL : FR_CLUSTER_PFAIL;
}

typedef struct push_job {
    const fr_cluster *cl;
    int me, from, to, rc;
} push_job;

static void push_on_loop(fr_server *srv, void *arg)
{
    push_job *j = arg;
    fr_cluster_node_spec nodes[FR_CLUSTER_MAX_NODES];
    for (int k = 0; k < j->cl->n; k++)
        fr__cl_spec(j->cl, j->me, k, &nodes[k]);
    j->rc = fr__cluster_set_nodes(srv, j->cl->n, nodes, j->cl->current_epoch, j->from, j->to);
}

int fr__cl_push(fr_cluster *cl, int i, int remap_from, int remap_to)
{
    int st = FR_OK;
    for (int k = i < 0 ? 0 : i; k < (i < 0 ? cl->n : i + 1) && st == FR_OK; k++) {
        push_job j = {cl, k, remap_from, remap_to, 0};
        st = fr__run_on_loop(cl->srv[k], push_on_loop, &j);
        if (st == FR_OK && j.rc < 0)
            st = FR_ERR_ARG;
    }
    return st;
}

typedef struct assign_job {
    int slot, node;
} assign_job;

static void assign_on_loop(fr_server *srv, void *arg)
{
    assign_job *j = arg;
    fr__cluster_assign_slot(srv, j->slot, j->node);
}

int fr__cl_assign(fr_cluster *cl, int i, int slot, int node)
{
    assign_job j = {slot, node};
    return fr__run_on_loop(cl->srv[i], assign_on_loop, &j);
}

typedef struct owner_job {
    int slot, owner;
} owner_job;

static void owner_on_loop(fr_server *srv, void *arg)
{
    owner_job *j = arg;
    j->owner = fr__cluster_slot_owner(srv, j->slot);
}

/* The owner of slot in node k's view. */
static int owner_on(fr_cluster *cl, int k, int slot)
{
    owner_job j = {slot, -1};
    fr__run_on_loop(cl->srv[k], owner_on_loop, &j);
    return j.owner;
}

/* ---- replication state, probed on the nodes' loops ----------------------- */

typedef struct probe {
    int link_up, replicas;
    long long offset, pending;
} probe;

static void probe_on_loop(fr_server *srv, void *arg)
{
    probe *p = arg;
    p->link_up = fr__repl_link_up(srv);
    p->replicas = fr__repl_connected_replicas(srv);
    p->offset = fr__repl_offset(srv);
    p->pending = fr__repl_pending(srv);
}

static probe look(fr_cluster *cl, int i)
{
    probe p = {0};
    fr__run_on_loop(cl->srv[i], probe_on_loop, &p);
    return p;
}

/* Replica r applied all its master streamed. */
static int caught_up(fr_cluster *cl, int r)
{
    int m = cl->master[r];
    if (m < 0 || down(cl, m))
        return 1;
    probe pr = look(cl, r), pm = look(cl, m);
    return pr.link_up && pr.offset >= pm.offset && pr.pending <= 0;
}

int fr__cl_wait_replicas(fr_cluster *cl, int timeout_ms)
{
    int64_t deadline = fr__mono_ms() + timeout_ms;
    for (int i = 0; i < cl->n; i++) {
        while (cl->master[i] >= 0 && !down(cl, i) && !down(cl, cl->master[i]) &&
               !look(cl, i).link_up) {
            if (fr__mono_ms() >= deadline)
                return FR_ERR_TIMEOUT;
            nap_1ms();
        }
    }
    return FR_OK;
}

static void replicaof(fr_cluster *cl, int i, int m)
{
    if (m < 0)
        fr_reply_free(fr_execf(cl->srv[i], "REPLICAOF NO ONE"));
    else
        fr_reply_free(fr_execf(cl->srv[i], "REPLICAOF 127.0.0.1 %d", cl->ports[m]));
}

/* ---- failover ------------------------------------------------------------ */

/* Promote replica r over its master m: r serves m's slots with a new
 * config epoch, m and m's other replicas follow r (those reachable). */
static int promote(fr_cluster *cl, int r)
{
    int m = cl->master[r];
    if (m < 0 || down(cl, r))
        return FR_ERR_STATE;
    replicaof(cl, r, -1);
    cl->master[r] = -1;
    cl->epoch[r] = ++cl->current_epoch;
    for (int k = 0; k < cl->n; k++)
        if (k != r && cl->master[k] == m)
            cl->master[k] = r;
    /* the others see a master that is down as a failing master without
     * slots until it is back and they tell it to follow r */
    if (down(cl, m))
        cl->follow[m] = r;
    else
        cl->master[m] = r;
    for (int s = 0; s < FR_CLUSTER_SLOTS; s++)
        if (cl->owner[s] == m) {
            cl->owner[s] = r;
            cl->mig_from[s] = cl->mig_to[s] = -1;
        }
    int st = fr__cl_push(cl, -1, m, r);
    for (int k = 0; k < cl->n; k++)
        if (cl->master[k] == r && !down(cl, k))
            replicaof(cl, k, r);
    return st;
}

/* A live replica of master m, -1 when none. */
static int live_replica(const fr_cluster *cl, int m)
{
    for (int k = 0; k < cl->n; k++)
        if (cl->master[k] == m && !down(cl, k))
            return k;
    return -1;
}

int fr_cluster_failover(fr_cluster *cl, int master)
{
    if (!cl || master < 0 || master >= cl->n)
        return FR_ERR_ARG;
    pthread_mutex_lock(&cl->mu);
    int r = cl->master[master] < 0 ? live_replica(cl, master) : -1;
    int st = r < 0 ? FR_ERR_STATE : FR_OK;
    /* a manual failover waits for the replica to catch up (no write lost) */
    int64_t deadline = fr__mono_ms() + 5000;
    while (st == FR_OK && !cl->base && !caught_up(cl, r) && fr__mono_ms() < deadline)
        nap_1ms();
    if (st == FR_OK)
        st = promote(cl, r);
    pthread_mutex_unlock(&cl->mu);
    return st;
}

/* ---- killed, revived, unreachable nodes ---------------------------------- */

/* Node i went down (killed or cut off): the others see it fail, and a
 * master with a live replica is replaced by it. */
static void enqueue(fr_cluster *cl, int kind, int a, int b, int delay_ms);

static int went_down(fr_cluster *cl, int i)
{
    if (cl->node_timeout_ms) { /* fail? now, fail and the failover later */
        cl->failed[i] = 0;
        enqueue(cl, 4, i, 0, cl->node_timeout_ms);
        return fr__cl_push(cl, -1, -1, -1);
    }
    return fr__cl_failed(cl, i);
}

int fr__cl_failed(fr_cluster *cl, int i)
{
    cl->failed[i] = 1;
    /* the replica's promotion tells the others both: no window where they
     * see the master fail and its slots uncovered */
    int r = cl->master[i] < 0 ? live_replica(cl, i) : -1;
    return r >= 0 ? promote(cl, r) : fr__cl_push(cl, -1, -1, -1);
}

int fr_cluster_kill_node(fr_cluster *cl, int i)
{
    if (!cl || i < 0 || i >= cl->n)
        return FR_ERR_ARG;
    pthread_mutex_lock(&cl->mu);
    int st = cl->killed[i] ? FR_ERR_STATE : FR_OK;
    if (st == FR_OK) {
        cl->killed[i] = 1;
        st = fr_server_set_listening(cl->srv[i], 0);
        if (st == FR_OK)
            st = fr_server_kill_clients(cl->srv[i], NULL, NULL);
        if (cl->master[i] >= 0)
            replicaof(cl, i, -1); /* its link to its master dies with it */
        if (st == FR_OK)
            st = went_down(cl, i);
    }
    pthread_mutex_unlock(&cl->mu);
    return st;
}

/* Node i is reachable again: the others see it, and it follows its master
 * when it was (or has been made) a replica. */
static int came_back(fr_cluster *cl, int i)
{
    cl->failed[i] = 0;
    if (cl->follow[i] >= 0) {
        int r = cl->follow[i];
        while (cl->master[r] >= 0) /* failed over again since */
            r = cl->master[r];
        cl->master[i] = r;
        cl->follow[i] = -1;
    }
    int st = fr__cl_push(cl, -1, -1, -1);
    if (st == FR_OK && cl->master[i] >= 0)
        replicaof(cl, i, cl->master[i]);
    return st;
}

int fr_cluster_revive_node(fr_cluster *cl, int i)
{
    if (!cl || i < 0 || i >= cl->n)
        return FR_ERR_ARG;
    pthread_mutex_lock(&cl->mu);
    int st = !cl->killed[i] ? FR_ERR_STATE : FR_OK;
    if (st == FR_OK) {
        st = fr_server_set_listening(cl->srv[i], 1);
        if (st == FR_OK) {
            cl->killed[i] = 0;
            st = came_back(cl, i);
        }
    }
    pthread_mutex_unlock(&cl->mu);
    return st;
}

int fr_cluster_set_reachable(fr_cluster *cl, int i, int reachable)
{
    if (!cl || i < 0 || i >= cl->n)
        return FR_ERR_ARG;
    pthread_mutex_lock(&cl->mu);
    int st = cl->cut[i] == !reachable ? FR_ERR_STATE : FR_OK;
    if (st == FR_OK) {
        cl->cut[i] = !reachable;
        if (!reachable && cl->master[i] >= 0)
            replicaof(cl, i, -1); /* the partition cuts its replication link */
        st = reachable ? came_back(cl, i) : went_down(cl, i);
    }
    pthread_mutex_unlock(&cl->mu);
    return st;
}

/* The record is read under the lock: the worker may be changing it. */
int fr_cluster_node_down(const fr_cluster *cl, int i)
{
    if (!cl)
        return FR_ERR_ARG;
    fr_cluster *w = (fr_cluster *)cl;
    pthread_mutex_lock(&w->mu);
    int r = i < 0 || i >= cl->n ? FR_ERR_ARG : cl->killed[i] ? 1 : cl->cut[i] ? 2 : 0;
    pthread_mutex_unlock(&w->mu);
    return r;
}

int fr_cluster_master_of(const fr_cluster *cl, int i)
{
    if (!cl)
        return FR_ERR_ARG;
    fr_cluster *w = (fr_cluster *)cl;
    pthread_mutex_lock(&w->mu);
    int r = i < 0 || i >= cl->n ? FR_ERR_ARG : cl->master[i];
    pthread_mutex_unlock(&w->mu);
    return r;
}

/* ---- a new node ---------------------------------------------------------- */

typedef struct owners_job {
    int *owner;
} owners_job;

static void owners_on_loop(fr_server *srv, void *arg)
{
    owners_job *j = arg;
    for (int s = 0; s < FR_CLUSTER_SLOTS; s++)
        j->owner[s] = fr__cluster_slot_owner(srv, s);
}

int fr_cluster_add_node(fr_cluster *cl, int *index)
{
    if (!cl)
        return FR_ERR_ARG;
    pthread_mutex_lock(&cl->mu);
    int i = cl->n, st = i < FR_CLUSTER_MAX_NODES ? FR_OK : FR_ERR_ARG;
    fr_options so = cl->so;
    so.port = so.port ? so.port + i : 0;
    if (st == FR_OK)
        st = cl->base ? fr_server_attach(cl->base, &so, &cl->srv[i])
                      : fr_server_start(&so, &cl->srv[i]);
    if (st == FR_OK) {
        /* slots as a live master sees them (SETSLOT over the wire too) */
        for (int k = 0; k < cl->n; k++)
            if (cl->master[k] < 0 && !down(cl, k)) {
                owners_job j = {cl->owner};
                fr__run_on_loop(cl->srv[k], owners_on_loop, &j);
                break;
            }
        cl->n++;
        cl->ports[i] = fr_server_port(cl->srv[i]);
        fr__cl_new_id(cl, i);
        cl->master[i] = -1;
        cl->follow[i] = -1;
        cl->epoch[i] = 0;
        cl->current_epoch++;
        st = fr__cl_setup_node(cl, i);
        if (st == FR_OK)
            st = fr__cl_push(cl, -1, -1, -1);
    }
    if (st == FR_OK && index)
        *index = i;
    pthread_mutex_unlock(&cl->mu);
    return st;
}

/* ---- the control hooks: CLUSTER FAILOVER, REPLICATE, SETSLOT from a node */

/* Run job; 1 when it must be tried again later (the replica catching up). */
static int run_job(fr_cluster *cl, fr_cluster_job *j)
{
    pthread_mutex_lock(&cl->mu);
    int again = 0;
    if (j->kind == 0 && cl->master[j->a] >= 0) {
        if (j->b == 0 && !caught_up(cl, j->a) && j->tries++ < 5000)
            again = 1;
        else
            promote(cl, j->a);
    } else if (j->kind == 2 && cl->master[j->b] < 0) {
        cl->owner[j->a] = j->b;
        cl->mig_from[j->a] = cl->mig_to[j->a] = -1;
        for (int k = 0; k < cl->n; k++)
            if (owner_on(cl, k, j->a) != j->b)
                fr__cl_assign(cl, k, j->a, j->b);
    } else if (j->kind == 4 && down(cl, j->a) && !cl->failed[j->a]) {
        fr__cl_failed(cl, j->a);
    } else if (j->kind == 3 && cl->master[j->a] >= 0) {
        cl->master[j->a] = cl->follow[j->a] = -1;
        replicaof(cl, j->a, -1);
        fr_reply_free(fr_execf(cl->srv[j->a], "FLUSHALL"));
        fr__cl_push(cl, -1, -1, -1); /* the others: a master without slots */
    } else if (j->kind == 1 && cl->master[j->b] < 0 && cl->master[j->a] != j->b) {
        cl->master[j->a] = j->b;
        cl->epoch[j->a] = 0;
        if (fr__cl_push(cl, -1, -1, -1) == FR_OK)
            replicaof(cl, j->a, j->b);
    }
    pthread_mutex_unlock(&cl->mu);
    return again;
}

static void *worker_main(void *arg)
{
    fr_cluster *cl = arg;
    pthread_mutex_lock(&cl->qmu);
    for (;;) {
        while (!cl->qn && !cl->stopping)
            pthread_cond_wait(&cl->qcv, &cl->qmu);
        if (cl->stopping)
            break;
        fr_cluster_job j = cl->q[0];
        memmove(cl->q, cl->q + 1, (size_t)--cl->qn * sizeof *cl->q);
        while (j.due && fr__mono_ms() < j.due && !cl->stopping) {
            pthread_mutex_unlock(&cl->qmu);
            nap_1ms();
            pthread_mutex_lock(&cl->qmu);
        }
        if (cl->stopping)
            break;
        pthread_mutex_unlock(&cl->qmu);
        int again = run_job(cl, &j);
        pthread_mutex_lock(&cl->qmu);
        while (again && !cl->stopping) {
            pthread_mutex_unlock(&cl->qmu);
            nap_1ms();
            again = run_job(cl, &j);
            pthread_mutex_lock(&cl->qmu);
        }
    }
    pthread_mutex_unlock(&cl->qmu);
    return NULL;
}

typedef struct base_job {
    fr_cluster *cl;
    fr_cluster_job j;
} base_job;

static void base_job_cb(evutil_socket_t fd, short what, void *arg)
{
    base_job *b = arg;
    (void)fd;
    (void)what;
    struct timeval ms = {0, 1000};
    if (run_job(b->cl, &b->j) &&
        event_base_once(b->cl->base, -1, EV_TIMEOUT, base_job_cb, b, &ms) == 0)
        return;
    free(b);
}

/* Called on a node's loop: never waits for another node. */
static void enqueue(fr_cluster *cl, int kind, int a, int b, int delay_ms)
{
    fr_cluster_job j = {
        .kind = kind, .a = a, .b = b, .due = delay_ms ? fr__mono_ms() + delay_ms : 0};
    if (cl->base) { /* every node is on this loop: run once it is free */
        base_job *bj = fr__xcalloc(1, sizeof *bj);
        bj->cl = cl;
        bj->j = j;
        struct timeval tv = {delay_ms / 1000, (delay_ms % 1000) * 1000};
        if (event_base_once(cl->base, -1, EV_TIMEOUT, base_job_cb, bj, &tv) != 0)
            free(bj);
        return;
    }
    pthread_mutex_lock(&cl->qmu);
    if (!cl->worker_on && !cl->stopping && pthread_create(&cl->worker, NULL, worker_main, cl) == 0)
        cl->worker_on = 1;
    if (cl->qn < FR_CLUSTER_JOBS)
        cl->q[cl->qn++] = j;
    pthread_cond_signal(&cl->qcv);
    pthread_mutex_unlock(&cl->qmu);
}

static void ctl_failover(void *ctx, int node, int mode)
{
    enqueue(ctx, 0, node, mode, 0);
}

static void ctl_replicate(void *ctx, int node, int master)
{
    enqueue(ctx, 1, node, master, 0);
}

static void ctl_slot_moved(void *ctx, int slot, int node)
{
    enqueue(ctx, 2, slot, node, 0);
}

static void ctl_reset(void *ctx, int node)
{
    enqueue(ctx, 3, node, 0, 0);
}

void fr__cl_ctl(fr_cluster *cl, fr_cluster_ctl *out)
{
    out->failover = ctl_failover;
    out->replicate = ctl_replicate;
    out->slot_moved = ctl_slot_moved;
    out->reset = ctl_reset;
    out->ctx = cl;
}

void fr__cl_ctl_stop(fr_cluster *cl)
{
    pthread_mutex_lock(&cl->qmu);
    cl->stopping = 1;
    pthread_cond_signal(&cl->qcv);
    int on = cl->worker_on;
    pthread_mutex_unlock(&cl->qmu);
    if (on)
        pthread_join(cl->worker, NULL);
}
