/* Topology fixtures (fakeredis/topology.h): a replication group or a
 * cluster per test or per cmocka group, and the reset that gives the next
 * test the shape the first one got, cheaply when it can. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakeredis/harness.h"
#include "fakeredis/inspect.h"
#include "fakeredis/topology.h"
#include "harness_internal.h"
#include "topology_internal.h"

#define RESET_WAIT_MS 5000

typedef struct topo_impl {
    fr_topo pub;
    fr_topo_config cfg; /* the copy pub.cfg points to */
    int nodes;          /* as started: a test that adds one forces a restart */
    int *owner;         /* cluster: each slot's node as started */
    int set_up;         /* cfg.setup ran and succeeded: teardown is due */
} topo_impl;

static topo_impl *impl(fr_topo *t)
{
    return (topo_impl *)t; /* pub is the first member */
}

/* ---- nodes ------------------------------------------------------------------ */

int fr_topo_size(const fr_topo *t)
{
    if (!t)
        return 0;
    int n = t->group ? fr_group_size(t->group) : fr_cluster_size(t->cluster);
    return n > FR_TOPO_MAX_NODES ? FR_TOPO_MAX_NODES : n;
}

fr_server *fr_topo_node(const fr_topo *t, int i)
{
    if (!t || i < 0 || i >= fr_topo_size(t))
        return NULL;
    return t->group ? fr_group_server(t->group, i) : fr_cluster_node(t->cluster, i);
}

int fr_topo_index(const fr_topo *t, const fr_server *srv)
{
    for (int i = 0; srv && i < fr_topo_size(t); i++)
        if (fr_topo_node(t, i) == srv)
            return i;
    return -1;
}

int fr_topo_master(const fr_topo *t)
{
    return t && t->group ? fr_topo_index(t, fr_group_master(t->group)) : -1;
}

int fr_topo_slot_owner(const fr_topo *t, int slot)
{
    if (!t || !t->cluster)
        return -1;
    int i = fr_cluster_slot_owner(t->cluster, slot);
    return i >= 0 ? i : -1;
}

int fr__topo_nodes(const fr_topo *t, fr_server **out)
{
    int n = fr_topo_size(t);
    for (int i = 0; i < n; i++)
        out[i] = fr_topo_node(t, i);
    return n;
}

/* ---- ROLE, read the way a client reads it ----------------------------------------- */

int fr__topo_role(fr_server *srv, fr__topo_role_info *ri)
{
    memset(ri, 0, sizeof *ri);
    ri->offset = -1;
    if (!srv || fr_server_is_shut_down(srv))
        return FR_ERR_STOPPED;
    fr_reply *r = fr_execf(srv, "ROLE");
    if (!r)
        return FR_ERR_STOPPED;
    int st = FR_ERR_REPLY;
    if (r->type == FR_REPLY_ARRAY && r->elements >= 3 && r->element[0]->type == FR_REPLY_STRING) {
        const char *role = r->element[0]->str;
        if (!strcmp(role, "master") && r->element[1]->type == FR_REPLY_INTEGER) {
            ri->master = 1;
            ri->offset = r->element[1]->integer;
            ri->replicas = r->element[2]->type == FR_REPLY_ARRAY ? (int)r->element[2]->elements : 0;
            st = FR_OK;
        } else if (!strcmp(role, "slave") && r->elements >= 5) {
            ri->master_port = (int)r->element[2]->integer;
            snprintf(ri->link, sizeof ri->link, "%s",
                     r->element[3]->type == FR_REPLY_STRING ? r->element[3]->str : "?");
            ri->offset = r->element[4]->integer;
            st = FR_OK;
        }
    }
    fr_reply_free(r);
    return st;
}

/* ---- start, stop ------------------------------------------------------------------- */

static int start_nodes(topo_impl *ti)
{
    fr_topo *t = &ti->pub;
    int rc;
    if (ti->cfg.kind == FR_TOPO_CLUSTER) {
        rc = fr_cluster_start(&ti->cfg.cluster, &t->cluster);
        if (rc != FR_OK) {
            fr__harness_set_message("topology: the cluster did not start: %s", fr_strerror(rc));
            return rc;
        }
        if (!ti->owner)
            ti->owner = malloc(FR_CLUSTER_SLOTS_N * sizeof *ti->owner);
        if (!ti->owner)
            abort(); /* as the library: out of memory aborts */
        for (int s = 0; s < FR_CLUSTER_SLOTS_N; s++)
            ti->owner[s] = fr_cluster_slot_owner(t->cluster, s);
    } else {
        rc = fr_group_start(&ti->cfg.group, &t->group);
        if (rc != FR_OK) {
            fr__harness_set_message("topology: the group did not start: %s", fr_strerror(rc));
            return rc;
        }
    }
    ti->nodes = fr_topo_size(t);
    if (ti->cfg.setup && ti->cfg.setup(t) != 0) {
        fr__harness_set_message("topology: the config's setup failed");
        return FR_ERR_STATE;
    }
    ti->set_up = 1;
    return fr_topo_mark_now(t, t->marks);
}

static void stop_nodes(topo_impl *ti)
{
    fr_topo *t = &ti->pub;
    if (ti->set_up && ti->cfg.teardown)
        ti->cfg.teardown(t);
    ti->set_up = 0;
    fr_group_stop(t->group);
    fr_cluster_stop(t->cluster);
    t->group = NULL;
    t->cluster = NULL;
}

int fr_topo_open(const fr_topo_config *cfg, fr_topo **out)
{
    if (!out)
        return FR_ERR_ARG;
    *out = NULL;
    topo_impl *ti = calloc(1, sizeof *ti);
    if (!ti)
        abort();
    if (cfg)
        ti->cfg = *cfg;
    if (ti->cfg.kind != FR_TOPO_GROUP && ti->cfg.kind != FR_TOPO_CLUSTER) {
        free(ti);
        return FR_ERR_ARG;
    }
    ti->pub.cfg = &ti->cfg;
    ti->pub.user = ti->cfg.user;
    int rc = start_nodes(ti);
    if (rc != FR_OK) {
        fr_topo_close(&ti->pub);
        return rc;
    }
    *out = &ti->pub;
    return FR_OK;
}

void fr_topo_close(fr_topo *t)
{
    if (!t)
        return;
    stop_nodes(impl(t));
    free(impl(t)->owner);
    free(t);
}

/* ---- the reset ------------------------------------------------------------------------ */

/* The group's first server is the master of all the others, and the
 * Sentinel (if any) says so. */
static int group_shape_ok(fr_topo *t)
{
    int n = fr_topo_size(t);
    fr_server *m = fr_topo_node(t, 0);
    fr__topo_role_info ri;
    if (fr__topo_role(m, &ri) != FR_OK || !ri.master || fr_replication_replicas(m) != n - 1)
        return 0;
    for (int i = 1; i < n; i++)
        if (fr__topo_role(fr_topo_node(t, i), &ri) != FR_OK || ri.master ||
            ri.master_port != fr_server_port(m) || strcmp(ri.link, "connected") != 0)
            return 0;
    fr_server *sen = fr_group_sentinel(t->group);
    if (!sen)
        return 1;
    fr_reply *r = fr_execf(sen, "SENTINEL GET-MASTER-ADDR-BY-NAME mymaster");
    int ok = r && r->type == FR_REPLY_ARRAY && r->elements == 2 &&
             r->element[1]->type == FR_REPLY_STRING &&
             atoi(r->element[1]->str) == fr_server_port(m);
    fr_reply_free(r);
    return ok;
}

static int master_linked(fr_server *srv, void *ctx, char *seen, size_t cap)
{
    int want = *(int *)ctx, have = fr_replication_replicas(srv);
    if (have < 0)
        return have;
    snprintf(seen, cap, "%d replicas", have);
    return have == want;
}

/* Make the first server the master again: a failover (it tells the
 * Sentinel) when a replica was promoted, then REPLICAOF where a server
 * follows another. */
static int group_restore(fr_topo *t)
{
    int n = fr_topo_size(t);
    fr_server *m = fr_topo_node(t, 0);
    fr__topo_role_info ri;
    if (fr__topo_role(m, &ri) == FR_OK && !ri.master) {
        if (fr_topo_wait_synced(t, RESET_WAIT_MS) == FR_OK)
            fr_group_failover(t->group);
        if (fr__topo_role(m, &ri) == FR_OK && !ri.master)
            fr_reply_free(fr_execf(m, "REPLICAOF NO ONE"));
    }
    for (int i = 1; i < n; i++) {
        fr_server *s = fr_topo_node(t, i);
        if (fr__topo_role(s, &ri) != FR_OK || ri.master || ri.master_port != fr_server_port(m))
            fr_reply_free(fr_execf(s, "REPLICAOF 127.0.0.1 %d", fr_server_port(m)));
    }
    int want = n - 1;
    int rc = fr_wait_for(m, master_linked, &want, "the replicas to link", RESET_WAIT_MS);
    if (rc == FR_OK)
        rc = fr_topo_wait_synced(t, RESET_WAIT_MS);
    return rc == FR_OK && group_shape_ok(t) ? FR_OK : FR_ERR_STATE;
}

/* Slots the test moved with fr_cluster_*: an open migration is ended,
 * then the slot goes back to its first owner (the keys are flushed
 * already, so nothing moves but the slot). */
static int cluster_restore(topo_impl *ti)
{
    fr_cluster *cl = ti->pub.cluster;
    for (int s = 0; s < FR_CLUSTER_SLOTS_N; s++) {
        int rc = fr_cluster_migrate_end(cl, s); /* FR_ERR_STATE: none open */
        if (rc != FR_OK && rc != FR_ERR_STATE)
            return rc;
        if (fr_cluster_slot_owner(cl, s) != ti->owner[s] &&
            (rc = fr_cluster_move_slot(cl, s, ti->owner[s])) != FR_OK)
            return rc;
    }
    return FR_OK;
}

/* Every node's own view (CLUSTER SLOTS) is the first split: a slot moved
 * over the wire would not be. */
static int cluster_views_ok(topo_impl *ti)
{
    fr_topo *t = &ti->pub;
    for (int i = 0; i < fr_topo_size(t); i++) {
        int *view = fr__topo_slot_view(t, fr_topo_node(t, i));
        int same = view && !memcmp(view, ti->owner, FR_CLUSTER_SLOTS_N * sizeof *view);
        free(view);
        if (!same)
            return 0;
    }
    return 1;
}

/* Every node's ROLE into ri; the number of replicas, or a negative
 * fr_status. */
static int read_roles(fr_topo *t, fr__topo_role_info *ri)
{
    int replicas = 0;
    for (int i = 0; i < fr_topo_size(t); i++) {
        int rc = fr__topo_role(fr_topo_node(t, i), &ri[i]);
        if (rc != FR_OK)
            return rc;
        replicas += !ri[i].master;
    }
    return replicas;
}

static int reset_cheap(topo_impl *ti)
{
    fr_topo *t = &ti->pub;
    int n = fr_topo_size(t);
    if (n != ti->nodes)
        return FR_ERR_STATE;
    const fr_options *so = t->group ? ti->cfg.group.server : ti->cfg.cluster.server;
    int frozen = so && so->frozen_clock;
    fr__topo_role_info ri[FR_TOPO_MAX_NODES];
    int replicas = read_roles(t, ri);
    if (replicas < 0)
        return replicas; /* a stopped node */
    for (int i = 0; i < n; i++)
        if (!ri[i].master) {
            fr_replica_resume(fr_topo_node(t, i));
            fr_replica_set_lag(fr_topo_node(t, i), 0);
        }
    /* a link still in its handshake is not known as a replica's yet:
     * closing it would cost the replica a 1 s retry (median 2 ms, p90
     * 1.07 s for a reset right after a failover, without this wait) */
    if (replicas)
        fr_topo_wait_synced(t, RESET_WAIT_MS);
    for (int i = 0; i < n; i++) {
        int rc = fr__harness_reset_server(fr_topo_node(t, i), replicas > 0, 0, frozen);
        if (rc != FR_OK)
            return rc;
    }
    /* the Sentinel's clients too (a subscriber to +switch-master...) */
    fr_server *sen = t->group ? fr_group_sentinel(t->group) : NULL;
    if (sen) {
        int rc = fr__harness_reset_server(sen, 0, 0, frozen);
        if (rc != FR_OK)
            return rc;
        fr_journal_clear(sen);
    }
    if (t->group && !group_shape_ok(t) &&
        (group_restore(t) != FR_OK || (replicas = read_roles(t, ri)) < 0))
        return FR_ERR_STATE;
    /* masters first: a replica gets the FLUSHALL through its stream, and
     * answers -READONLY itself unless the test made it writable */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < n; i++) {
            int rc;
            if (ri[i].master == !pass && (rc = fr_flushall(fr_topo_node(t, i))) != FR_OK &&
                !(pass && rc == FR_ERR_REPLY))
                return rc;
        }
    if (t->cluster && (cluster_restore(ti) != FR_OK || !cluster_views_ok(ti)))
        return FR_ERR_STATE;
    int rc = replicas ? fr_topo_wait_synced(t, RESET_WAIT_MS) : FR_OK;
    if (rc != FR_OK)
        return rc;
    for (int i = 0; i < n; i++)
        fr_journal_clear(fr_topo_node(t, i)); /* FR_ERR_STATE without a journal: fine */
    return fr_topo_mark_now(t, t->marks);
}

int fr_topo_reset(fr_topo *t)
{
    if (!t || (!t->group && !t->cluster))
        return FR_ERR_ARG;
    topo_impl *ti = impl(t);
    if (reset_cheap(ti) == FR_OK)
        return FR_OK;
    /* what the test changed cannot be undone in place: start again */
    stop_nodes(ti);
    t->restarts++;
    return start_nodes(ti);
}

/* ---- cmocka-shaped ------------------------------------------------------------------------ */

int fr_topo_start(void **state)
{
    const fr_topo_config *cfg = state ? *state : NULL;
    fr_topo *t = NULL;
    if (fr_topo_open(cfg, &t) != FR_OK) {
        fprintf(stderr, "fr_topo_start: %s\n", fr_wait_message());
        return -1;
    }
    *state = t;
    return 0;
}

int fr_topo_stop(void **state)
{
    if (state) {
        fr_topo_close(*state);
        *state = NULL;
    }
    return 0;
}

int fr_topo_group_setup(void **state)
{
    return fr_topo_start(state);
}

int fr_topo_group_teardown(void **state)
{
    return fr_topo_stop(state);
}

int fr_topo_group_test_setup(void **state)
{
    fr_topo *t = state ? *state : NULL;
    if (!t) {
        fprintf(stderr, "fr_topo_group_test_setup: no topology (use fr_topo_group_setup as the "
                        "group's setup)\n");
        return -1;
    }
    int rc = fr_topo_reset(t);
    if (rc != FR_OK) {
        fprintf(stderr, "fr_topo_group_test_setup: reset failed: %s %s\n", fr_strerror(rc),
                fr_wait_message());
        return -1;
    }
    return 0;
}
