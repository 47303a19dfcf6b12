/* Replication groups (fakeredis/replication.h): a master and replicas as
 * threaded fakes joined by REPLICAOF, and the test's control over a
 * replica's lag. Waits poll the servers' state through the marshal every
 * millisecond: a group's servers run on threads of their own. */
#include <stdlib.h>
#include <time.h>

#include "commands.h"
#include "commands_private.h"
#include "core.h"
#include "fakeredis/events.h"
#include "fakeredis/replication.h"
#include "fakeredis/sentinel.h"
#include "repl_engine.h"
#include "sentinel_engine.h"

#define MAX_REPLICAS 16

struct fr_group {
    int n;
    fr_server *srv[1 + MAX_REPLICAS];
    fr_server *sentinel;                    /* NULL: none */
    unsigned char killed[1 + MAX_REPLICAS]; /* fr_group_kill, until fr_group_revive */
};

typedef struct probe {
    int is_replica, link_up, replicas;
    long long offset, pending;
    int lag;
    int op; /* 0: read; 1: set lag; 2: pause; 3: resume */
} probe;

static void on_loop(fr_server *srv, void *arg)
{
    probe *p = arg;
    if (p->op == 1)
        fr__repl_set_lag(srv, fr__repl_hooks(), p->lag);
    else if (p->op == 2 || p->op == 3)
        fr__repl_set_paused(srv, fr__repl_hooks(), p->op == 2);
    p->is_replica = fr__repl_is_replica(srv);
    p->link_up = fr__repl_link_up(srv);
    p->replicas = fr__repl_connected_replicas(srv);
    p->offset = fr__repl_offset(srv);
    p->pending = fr__repl_pending(srv);
}

static int look(fr_server *srv, probe *p)
{
    if (!srv)
        return FR_ERR_ARG;
    return fr__run_on_loop(srv, on_loop, p);
}

static void nap_1ms(void)
{
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
}

int fr_group_size(const fr_group *g)
{
    return g ? g->n : 0;
}

fr_server *fr_group_server(const fr_group *g, int i)
{
    return g && i >= 0 && i < g->n ? g->srv[i] : NULL;
}

fr_server *fr_group_master(const fr_group *g)
{
    fr_server *best = NULL;
    int most = -1;
    for (int i = 0; g && i < g->n; i++) {
        probe p = {0};
        if (!g->killed[i] && look(g->srv[i], &p) == FR_OK && !p.is_replica && p.replicas > most) {
            best = g->srv[i];
            most = p.replicas;
        }
    }
    return best;
}

int fr_group_wait_synced(fr_group *g, int timeout_ms)
{
    if (!g || timeout_ms < 0)
        return FR_ERR_ARG;
    int64_t deadline = fr__mono_ms() + timeout_ms;
    for (;;) {
        fr_server *m = fr_group_master(g);
        probe mp = {0};
        int synced = m && look(m, &mp) == FR_OK;
        for (int i = 0; synced && i < g->n; i++) {
            probe p = {0};
            if (g->srv[i] == m || g->killed[i] || look(g->srv[i], &p) != FR_OK)
                continue;
            if (p.is_replica && (!p.link_up || p.offset < mp.offset || p.pending > 0))
                synced = 0;
        }
        if (synced && mp.replicas >= 0)
            return FR_OK;
        if (fr__mono_ms() >= deadline)
            return FR_ERR_TIMEOUT;
        nap_1ms();
    }
}

fr_server *fr_group_sentinel(const fr_group *g)
{
    return g ? g->sentinel : NULL;
}

/* Promote the first replica in sync, re-point the others (no Sentinel). */
static int do_failover(fr_group *g)
{
    fr_server *old = fr_group_master(g), *target = NULL;
    for (int i = 0; i < g->n && !target; i++) {
        probe p = {0};
        if (g->srv[i] != old && !g->killed[i] && look(g->srv[i], &p) == FR_OK && p.is_replica &&
            p.link_up)
            target = g->srv[i];
    }
    if (!target)
        return FR_ERR_STATE;
    fr_reply_free(fr_execf(target, "REPLICAOF NO ONE"));
    int tport = fr_server_port(target);
    for (int i = 0; i < g->n; i++)
        if (g->srv[i] != target && !g->killed[i])
            fr_reply_free(fr_execf(g->srv[i], "REPLICAOF 127.0.0.1 %d", tport));
    return FR_OK;
}

typedef struct sentinel_job {
    fr_group *g;
    const fr_group_options *opts;
    int rc;
    uint64_t epoch;
    int state;
    int port; /* the replica to promote */
} sentinel_job;

static void failover_on_loop(fr_server *sentinel, void *arg)
{
    sentinel_job *j = arg;
    fr_sen_master *m = fr__sentinel_find(sentinel->sentinel, "mymaster", 8);
    j->rc = !m ? FR_ERR_STATE : fr__sentinel_failover_to(m, j->port) == 0 ? FR_OK : FR_ERR_STATE;
}

static void ready_to_promote_on_loop(fr_server *sentinel, void *arg)
{
    sentinel_job *j = arg;
    fr_sen_master *m = fr__sentinel_find(sentinel->sentinel, "mymaster", 8);
    j->state = m && fr__sentinel_replica_ready(m, j->port);
}

static void epoch_on_loop(fr_server *sentinel, void *arg)
{
    sentinel_job *j = arg;
    fr_sen_master *m = fr__sentinel_find(sentinel->sentinel, "mymaster", 8);
    j->epoch = m ? m->config_epoch : 0;
    j->state = m ? m->fo_state : FR_SEN_FO_NONE;
}

int fr_group_failover(fr_group *g)
{
    if (!g)
        return FR_ERR_ARG;
    if (!g->sentinel)
        return do_failover(g);
    sentinel_job j = {g, NULL, FR_OK, 0, 0, 0};
    fr_server *old = fr_group_master(g);
    /* the first replica in sync, as without a Sentinel (tests rely on the
     * order); SENTINEL FAILOVER on the wire makes Redis' choice */
    for (int i = 0; i < g->n && !j.port; i++) {
        probe p = {0};
        if (g->srv[i] != old && !g->killed[i] && look(g->srv[i], &p) == FR_OK && p.is_replica &&
            p.link_up)
            j.port = fr_server_port(g->srv[i]);
    }
    /* the Sentinel must see the replica as one (a server that was master a
     * moment ago, say, until its next INFO), or it picks another */
    int st = FR_OK;
    for (int64_t until = fr__mono_ms() + 2000; j.port && st == FR_OK;) {
        st = fr__run_on_loop(g->sentinel, ready_to_promote_on_loop, &j);
        if (st != FR_OK || j.state || fr__mono_ms() >= until)
            break;
        nap_1ms();
    }
    if (st == FR_OK)
        st = fr__run_on_loop(g->sentinel, epoch_on_loop, &j);
    uint64_t before = j.epoch;
    if (st == FR_OK)
        st = fr__run_on_loop(g->sentinel, failover_on_loop, &j);
    if (st != FR_OK || j.rc != FR_OK)
        return st != FR_OK ? st : j.rc;
    /* Redis' failover-timeout bounds each step; 10 s is plenty on loopback */
    int64_t deadline = fr__mono_ms() + 10000;
    while ((st = fr__run_on_loop(g->sentinel, epoch_on_loop, &j)) == FR_OK) {
        if (j.state == FR_SEN_FO_NONE)
            break;
        if (fr__mono_ms() >= deadline)
            return FR_ERR_TIMEOUT;
        nap_1ms();
    }
    if (st != FR_OK || j.epoch <= before)
        return st != FR_OK ? st : FR_ERR_STATE;
    /* and until a running old master follows (+convert-to-slave): before
     * that it still takes writes the new master never sees */
    for (int i = 0; old && i < g->n; i++) {
        if (g->srv[i] != old || g->killed[i])
            continue;
        probe p = {0};
        while ((st = look(old, &p)) == FR_OK && !(p.is_replica && p.link_up)) {
            if (fr__mono_ms() >= deadline)
                return FR_ERR_TIMEOUT;
            nap_1ms();
        }
    }
    return st;
}

static void ready_on_loop(fr_server *sentinel, void *arg)
{
    sentinel_job *j = arg;
    fr_sen_master *m = fr__sentinel_find(sentinel->sentinel, "mymaster", 8);
    int ready = m && m->inst.infos > 0 && m->nreplicas == j->g->n - 1;
    for (int k = 0; ready && k < m->nreplicas; k++)
        ready = m->replicas[k]->infos > 0;
    j->state = ready;
}

/* Until the Sentinel has had INFO from every server: before that it would
 * find no replica it can promote, as a real one just started. */
static int wait_sentinel_ready(fr_group *g, int64_t deadline)
{
    sentinel_job j = {g, NULL, FR_OK, 0, 0, 0};
    int st;
    while ((st = fr__run_on_loop(g->sentinel, ready_on_loop, &j)) == FR_OK && !j.state) {
        if (fr__mono_ms() >= deadline)
            return FR_ERR_TIMEOUT;
        nap_1ms();
    }
    return st;
}

static void sentinel_setup_on_loop(fr_server *sentinel, void *arg)
{
    sentinel_job *j = arg;
    fr_group *g = j->g;
    int quorum = j->opts->sentinel_quorum > 0 ? j->opts->sentinel_quorum : 1;
    if (fr__sentinel_start(sentinel, "mymaster", "127.0.0.1", fr_server_port(g->srv[0]), quorum) <
        0) {
        j->rc = FR_ERR_STATE;
        return;
    }
    fr_sen_master *m = fr__sentinel_find(sentinel->sentinel, "mymaster", 8);
    m->down_after = j->opts->sentinel_down_after_ms > 0 ? j->opts->sentinel_down_after_ms : 1000;
    /* the first tick, due at once, times the probes from it */
    /* what the Sentinel would learn from the master's INFO: known at once */
    for (int i = 1; i < g->n; i++)
        fr__sentinel_add_replica(m, "127.0.0.1", fr_server_port(g->srv[i]));
}

int fr_group_kill(fr_group *g, int i)
{
    if (!g || i < 0 || i >= g->n)
        return FR_ERR_ARG;
    if (g->killed[i])
        return FR_ERR_STATE;
    /* a crashed process: the port refuses connects, every peer sees a reset */
    int st = fr_server_set_listening(g->srv[i], 0);
    fr_kill_filter f = {.reset = 1};
    if (st == FR_OK)
        st = fr_server_kill_clients(g->srv[i], &f, NULL);
    if (st == FR_OK)
        g->killed[i] = 1;
    return st;
}

int fr_group_revive(fr_group *g, int i)
{
    if (!g || i < 0 || i >= g->n)
        return FR_ERR_ARG;
    if (!g->killed[i])
        return FR_ERR_STATE;
    int st = fr_server_set_listening(g->srv[i], 1);
    if (st == FR_OK)
        g->killed[i] = 0;
    return st;
}

int fr_group_is_killed(const fr_group *g, int i)
{
    return g && i >= 0 && i < g->n && g->killed[i];
}

void fr_group_stop(fr_group *g)
{
    if (!g)
        return;
    fr_server_stop(g->sentinel); /* first: it would see the others go down */
    /* replicas first: the master then has no link to tear down mid-stream */
    for (int i = g->n - 1; i >= 0; i--)
        fr_server_stop(g->srv[i]);
    free(g);
}

int fr_group_start(const fr_group_options *opts, fr_group **out)
{
    if (!out)
        return FR_ERR_ARG;
    *out = NULL;
    int n = opts && opts->replicas ? opts->replicas : 2;
    fr_options so = {0};
    if (opts && opts->server)
        so = *opts->server;
    if (n < 0 || n > MAX_REPLICAS || so.port != 0)
        return FR_ERR_ARG;
    so.errbuf = NULL;
    so.errbuf_len = 0;
    fr_group *g = fr__xcalloc(1, sizeof *g);
    int st = FR_OK;
    for (int i = 0; i <= n && st == FR_OK; i++) {
        st = fr_server_start(&so, &g->srv[i]);
        if (st == FR_OK)
            g->n++;
    }
    for (int i = 1; i < g->n && st == FR_OK; i++) {
        fr_reply *r = fr_execf(g->srv[i], "REPLICAOF 127.0.0.1 %d", fr_server_port(g->srv[0]));
        if (!r || r->type == FR_REPLY_ERROR)
            st = r ? FR_ERR_REPLY : FR_ERR_STOPPED;
        fr_reply_free(r);
    }
    if (st == FR_OK && opts && opts->sentinel) {
        st = fr_server_start(&so, &g->sentinel);
        sentinel_job j = {g, opts, FR_OK, 0, 0, 0};
        if (st == FR_OK)
            st = fr__run_on_loop(g->sentinel, sentinel_setup_on_loop, &j);
        if (st == FR_OK)
            st = j.rc;
    }
    if (st == FR_OK) {
        int timeout = opts && opts->timeout_ms > 0 ? opts->timeout_ms : 5000;
        int64_t deadline = fr__mono_ms() + timeout;
        probe p = {0};
        while ((st = look(g->srv[0], &p)) == FR_OK && p.replicas < n) {
            if (fr__mono_ms() >= deadline) {
                st = FR_ERR_TIMEOUT;
                break;
            }
            nap_1ms();
        }
        if (st == FR_OK)
            st = fr_group_wait_synced(g, timeout);
        if (st == FR_OK && g->sentinel)
            st = wait_sentinel_ready(g, deadline);
    }
    if (st != FR_OK) {
        fr_group_stop(g);
        return st;
    }
    *out = g;
    return FR_OK;
}

int fr_replica_set_lag(fr_server *srv, int ms)
{
    if (!srv || ms < 0)
        return FR_ERR_ARG;
    probe p = {.op = 1, .lag = ms};
    return look(srv, &p);
}

int fr_replica_pause(fr_server *srv)
{
    probe p = {.op = 2};
    return look(srv, &p);
}

int fr_replica_resume(fr_server *srv)
{
    probe p = {.op = 3};
    return look(srv, &p);
}

long long fr_replica_pending(fr_server *srv)
{
    probe p = {0};
    int st = look(srv, &p);
    return st == FR_OK ? p.pending : st;
}

int fr_replication_replicas(fr_server *srv)
{
    probe p = {0};
    int st = look(srv, &p);
    return st == FR_OK ? p.replicas : st;
}
