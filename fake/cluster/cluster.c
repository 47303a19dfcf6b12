/* Cluster mode: the node's view, routing by key slot (MOVED, ASK,
 * CROSSSLOT, TRYAGAIN, CLUSTERDOWN), ASKING and READONLY, SETSLOT, and the
 * slot-counting subcommands. See cluster_engine.h. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cluster_private.h"

static const char err_disabled[] = "This instance has cluster support disabled";

int fr__cluster_enabled(const fr_server *srv)
{
    return srv->cluster != NULL;
}

void fr__cluster_recheck(struct fr_cluster_view *cl)
{
    cl->covered = 1;
    for (int s = 0; s < FR_CLUSTER_SLOTS && cl->covered; s++)
        if (cl->owner[s] < 0 || (cl->nodes[cl->owner[s]].flags & FR_CLUSTER_FAIL))
            cl->covered = 0;
}

int fr__cluster_ok(const fr_server *srv)
{
    return srv->cluster->covered || !srv->cfg.cluster_require_full_coverage;
}

uint64_t fr__cluster_node_epoch(const struct fr_cluster_view *cl, int i)
{
    int m = cl->nodes[i].master;
    return m >= 0 ? cl->nodes[m].epoch : cl->nodes[i].epoch;
}

int fr__cluster_find_or_err(fr_conn *c, const fr_arg *id)
{
    int n = fr__cluster_node_index(c->srv, id->p, id->len);
    if (n < 0)
        fr__add_errorf(c, "Unknown node %.*s", (int)id->len, id->p);
    return n;
}

int fr__cluster_node_index(const fr_server *srv, const char *id, size_t len)
{
    const struct fr_cluster_view *cl = srv->cluster;
    for (int i = 0; cl && i < cl->n; i++)
        if (len == 40 && !strncasecmp(cl->nodes[i].id, id, 40))
            return i;
    return -1;
}

/* ---- routing ------------------------------------------------------------- */

static struct fr_cluster_conn *conn_state(fr_conn *c)
{
    if (!c->cluster)
        c->cluster = fr__xcalloc(1, sizeof *c->cluster);
    return c->cluster;
}

static int key_exists(fr_server *srv, const fr_arg *k)
{
    fr_dict_entry *e = fr__dict_find(&fr__db(srv->ks, 0)->keys, k->p, k->len);
    return e && !fr__db_is_expired(srv->ks, 0, k->p, k->len);
}

/* What the keys of one command (or of EXEC's queue) say. */
typedef struct key_scan {
    int slot, keys, missing;
} key_scan;

/* Add one command's keys to ks: -1 when they span slots (-CROSSSLOT). */
static int scan_keys(fr_conn *c, const fr_cmd *cmd, int argc, const fr_arg *argv, key_scan *ks)
{
    struct fr_cluster_view *cl = c->srv->cluster;
    /* the keys as Redis finds them (key specs, numkeys, STREAMS...) */
    fr_keylist kl;
    fr__keys_init(&kl);
    fr__command_keys(c->srv->cmds, cmd, argc, argv, &kl);
    /* shard channels are not keys, yet routed as keys are (7.0) */
    int channels = fr__cluster_shard_channels(cmd, argc);
    int nkeys = channels >= 0 ? channels : kl.n;
    for (int j = 0; j < nkeys; j++) {
        const fr_arg *k = &argv[channels >= 0 ? 1 + j : kl.v[j].pos];
        int s = fr__keyslot(k->p, k->len);
        if (ks->slot >= 0 && s != ks->slot) {
            fr__keys_free(&kl);
            return -1;
        }
        ks->slot = s;
        ks->keys++;
        /* shard channels stay on the source until the slot has moved (7.0) */
        if ((cl->migrating[s] >= 0 || cl->importing[s] >= 0) && channels < 0 &&
            !key_exists(c->srv, k))
            ks->missing++;
    }
    fr__keys_free(&kl);
    return 0;
}

/* Refuse c's command; EXEC refused here discards its transaction and
 * says why plainly, not as -EXECABORT (Redis' processCommand). */
static void refuse(fr_conn *c, const fr_cmd *cmd, const char *msg)
{
    if (cmd->flags & FR_CMD_EXEC) {
        fr__multi_discard(c);
        fr__add_error(c, msg);
    } else {
        fr__reject(c, msg);
    }
}

static void redirect(fr_conn *c, const fr_cmd *cmd, const char *kind, int slot,
                     const fr_cluster_node *n)
{
    fr_buf b = {0};
    fr__buf_printf(&b, "-%s %d %s:%d", kind, slot, n->ip, n->port);
    refuse(c, cmd, b.p);
    fr__buf_free(&b);
}

/* Where a command (EXEC: its whole queue) may run, as Redis'
 * getNodeByQuery decides: here, or why not (and where instead). */
typedef enum {
    LOC_HERE,
    LOC_CROSSSLOT,
    LOC_DOWN,
    LOC_DOWN_RO, /* down, and cluster-allow-reads-when-down: a write */
    LOC_UNSERVED,
    LOC_TRYAGAIN,
    LOC_ASK,
    LOC_MOVED
} loc_kind;
typedef struct loc {
    loc_kind kind;
    int slot; /* -1: no key */
    int node; /* ASK, MOVED: the node to ask */
} loc;

static loc locate(fr_conn *c, const fr_cmd *cmd, int argc, const fr_arg *argv, int asking)
{
    struct fr_cluster_view *cl = c->srv->cluster;
    key_scan ks = {-1, 0, 0};
    int bad = 0;
    if ((cmd->flags & FR_CMD_EXEC) && (c->flags & FR_CONN_MULTI)) {
        const fr_cmd *q;
        int qargc;
        const fr_arg *qargv;
        for (int i = 0; !bad && (q = fr__multi_queued(c, i, &qargc, &qargv)); i++)
            bad = scan_keys(c, q, qargc, qargv, &ks) < 0;
    } else {
        bad = scan_keys(c, cmd, argc, argv, &ks) < 0;
    }
    int slot = ks.slot, keys = ks.keys, missing = ks.missing;
    if (bad)
        return (loc){LOC_CROSSSLOT, -1, -1};
    if (slot < 0)
        return (loc){LOC_HERE, -1, -1};
    /* an unserved slot is told before a cluster that is down */
    int owner = cl->owner[slot];
    if (owner < 0)
        return (loc){LOC_UNSERVED, slot, -1};
    if (!fr__cluster_ok(c->srv)) {
        if (!c->srv->cfg.cluster_allow_reads_when_down)
            return (loc){LOC_DOWN, slot, -1};
        if (cmd->flags & FR_CMD_WRITE)
            return (loc){LOC_DOWN_RO, slot, -1};
    }
    if (owner == cl->me && cl->migrating[slot] >= 0 && missing)
        return missing < keys ? (loc){LOC_TRYAGAIN, slot, -1}
                              : (loc){LOC_ASK, slot, cl->migrating[slot]};
    if (cl->importing[slot] >= 0 && asking)
        return keys > 1 && missing ? (loc){LOC_TRYAGAIN, slot, -1} : (loc){LOC_HERE, slot, -1};
    /* a replica serves reads of its master's slots to READONLY clients */
    if (owner != cl->me && cl->nodes[cl->me].master == owner && c->cluster &&
        c->cluster->readonly && !(cmd->flags & FR_CMD_WRITE))
        return (loc){LOC_HERE, slot, -1};
    if (owner != cl->me)
        return (loc){LOC_MOVED, slot, owner};
    return (loc){LOC_HERE, slot, -1};
}

/* Admit c's command here, or answer the redirection or error: 1 when it
 * answered. */
static int route(fr_conn *c, const fr_cmd *cmd, int argc, const fr_arg *argv)
{
    struct fr_cluster_view *cl = c->srv->cluster;
    /* RESTORE-ASKING (MIGRATE in a cluster) is its own ASKING */
    int asking = (c->cluster && c->cluster->asking) ||
                 (cmd->name[0] == 'r' && !strcmp(cmd->name, "restore-asking"));
    if (c->cluster && !(cmd->name[0] == 'a' && !strcmp(cmd->name, "asking"))) {
        c->cluster->asking = 0;     /* ASKING counts for the next command only */
        c->cluster->asked = asking; /* and for the script that command runs */
    }
    static const char *const refusal[] = {
        [LOC_CROSSSLOT] = "-CROSSSLOT Keys in request don't hash to the same slot",
        [LOC_DOWN] = "-CLUSTERDOWN The cluster is down",
        [LOC_DOWN_RO] = "-CLUSTERDOWN The cluster is down and only accepts read commands",
        [LOC_UNSERVED] = "-CLUSTERDOWN Hash slot not served",
        [LOC_TRYAGAIN] = "-TRYAGAIN Multiple keys request during rehashing of slot",
    };
    loc l = locate(c, cmd, argc, argv, asking);
    if (l.kind == LOC_HERE)
        return 0;
    if (l.kind == LOC_ASK || l.kind == LOC_MOVED)
        redirect(c, cmd, l.kind == LOC_ASK ? "ASK" : "MOVED", l.slot, &cl->nodes[l.node]);
    else
        refuse(c, cmd, refusal[l.kind]);
    return 1;
}

/* A command of a script c runs: only on this node's keys (with c's ASKING
 * and READONLY), in one slot, and, unless the script may cross slots, in
 * the slot of its other keys. Redis words every redirection alike. */
static int on_script_route(fr_conn *c, const fr_cmd *cmd, int argc, const fr_arg *argv,
                           fr_script_keys *sk)
{
    if (c->flags & FR_CONN_PSEUDO)
        return 0; /* fr_exec and a master's stream obey, as on_admit says */
    loc l = locate(c, cmd, argc, argv, c->cluster && c->cluster->asked);
    if (l.kind == LOC_DOWN)
        return FR_DENIED_CLUSTER_DOWN;
    if (l.kind == LOC_DOWN_RO)
        return FR_DENIED_CLUSTER_DOWN_RO;
    if (l.kind != LOC_HERE)
        return FR_DENIED_NOT_LOCAL;
    if (l.slot >= 0 && !sk->cross_slot_ok) {
        if (sk->slot >= 0 && sk->slot != l.slot)
            return FR_DENIED_CROSS_SLOT;
        sk->slot = l.slot;
    }
    return 0;
}

static int on_admit(fr_conn *c, const fr_cmd *cmd, int argc, const fr_arg *argv)
{
    if (c->flags & FR_CONN_PSEUDO)
        return 0; /* fr_exec and a replica's master stream obey */
    if (cmd->name[0] == 's' && !strcmp(cmd->name, "select") && argc == 2) {
        long long db;
        if (fr__str2ll(argv[1].p, argv[1].len, &db) && db != 0) {
            fr__reject(c, "SELECT is not allowed in cluster mode");
            return 1;
        }
    }
    if (route(c, cmd, argc, argv))
        return 1;
    /* after the routing, as in Redis, where the handlers refuse them */
    if ((cmd->name[0] == 'm' && !strcmp(cmd->name, "move")) ||
        (cmd->name[0] == 's' && !strcmp(cmd->name, "swapdb"))) {
        fr_buf b = {0};
        fr__buf_printf(&b, "%s is not allowed in cluster mode",
                       cmd->name[0] == 'm' ? "MOVE" : "SWAPDB");
        fr__reject(c, b.p);
        fr__buf_free(&b);
        return 1;
    }
    return 0;
}

static void on_close(fr_conn *c)
{
    free(c->cluster);
    c->cluster = NULL;
}

static void on_stop(fr_server *srv)
{
    fr__cluster_bus_leave(srv);
    free(srv->cluster);
    srv->cluster = NULL;
}

static const fr_stage_ops cluster_stage = {
    .name = "cluster",
    .order = 55,
    .admit = on_admit,
    .script_route = on_script_route,
    .close = on_close,
    .stop = on_stop,
};

static int check_nodes(int n, const fr_cluster_node_spec *nodes)
{
    if (n < 1 || n > FR_CLUSTER_MAX_NODES)
        return -1;
    for (int i = 0; i < n; i++)
        if (!nodes[i].id || strlen(nodes[i].id) != 40 || !nodes[i].ip ||
            strlen(nodes[i].ip) >= sizeof((fr_cluster_node *)0)->ip || nodes[i].master >= n)
            return -1;
    return 0;
}

static void copy_nodes(struct fr_cluster_view *cl, int n, const fr_cluster_node_spec *nodes)
{
    int64_t now = fr__real_ms();
    for (int i = 0; i < n; i++) {
        fr_cluster_node *d = &cl->nodes[i];
        int was_failing = i < cl->n && d->flags;
        memcpy(d->id, nodes[i].id, 41);
        strcpy(d->ip, nodes[i].ip);
        d->port = nodes[i].port;
        d->master = nodes[i].master;
        d->flags = nodes[i].flags;
        d->epoch = nodes[i].epoch;
        if (d->flags && !was_failing)
            d->fail_ms = now;
    }
    cl->n = n;
}

int fr__cluster_setup(fr_server *srv, int me, int n, const fr_cluster_node_spec *nodes,
                      const int *owner, uint64_t current_epoch, const fr_cluster_ctl *ctl)
{
    if (check_nodes(n, nodes) < 0 || me < 0 || me >= n)
        return -1;
    struct fr_cluster_view *cl = srv->cluster;
    if (!cl) {
        cl = fr__xcalloc(1, sizeof *cl);
        memset(cl->migrating, 0xff, sizeof cl->migrating);
        memset(cl->importing, 0xff, sizeof cl->importing);
        cl->created_ms = fr__real_ms();
        srv->cluster = cl;
        fr__stage_register(srv, &cluster_stage);
    }
    cl->me = me;
    copy_nodes(cl, n, nodes);
    for (int s = 0; s < FR_CLUSTER_SLOTS; s++)
        cl->owner[s] = (int16_t)(owner[s] >= 0 && owner[s] < n ? owner[s] : -1);
    cl->epoch = current_epoch;
    if (ctl)
        cl->ctl = *ctl;
    fr__cluster_recheck(cl);
    return 0;
}

int fr__cluster_set_nodes(fr_server *srv, int n, const fr_cluster_node_spec *nodes,
                          uint64_t current_epoch, int remap_from, int remap_to)
{
    struct fr_cluster_view *cl = srv->cluster;
    if (!cl || check_nodes(n, nodes) < 0 || remap_from >= n || remap_to >= n)
        return -1;
    if (cl->detached || n < cl->n)
        return 0; /* CLUSTER RESET: this node left the cluster */
    copy_nodes(cl, n, nodes);
    if (remap_from >= 0 && remap_to >= 0)
        for (int s = 0; s < FR_CLUSTER_SLOTS; s++)
            if (cl->owner[s] == remap_from) {
                cl->owner[s] = (int16_t)remap_to;
                cl->migrating[s] = cl->importing[s] = -1;
                if (remap_from == cl->me) /* failed over: its shard channels end */
                    fr__cluster_slot_lost(srv, s);
            }
    if (current_epoch > cl->epoch)
        cl->epoch = current_epoch;
    fr__cluster_recheck(cl);
    return 0;
}

void fr__cluster_assign_slot(fr_server *srv, int slot, int node)
{
    struct fr_cluster_view *cl = srv->cluster;
    if (!cl || cl->detached || slot < 0 || slot >= FR_CLUSTER_SLOTS || node >= cl->n)
        return;
    int was_mine = cl->owner[slot] == cl->me && node != cl->me;
    cl->owner[slot] = (int16_t)node;
    cl->migrating[slot] = cl->importing[slot] = -1;
    fr__cluster_recheck(cl);
    if (was_mine)
        fr__cluster_slot_lost(srv, slot);
}

int fr__cluster_slot_owner(const fr_server *srv, int slot)
{
    const struct fr_cluster_view *cl = srv->cluster;
    return cl && slot >= 0 && slot < FR_CLUSTER_SLOTS ? cl->owner[slot] : -1;
}

/* ---- commands ------------------------------------------------------------ */

int fr__cluster_refuse_disabled(fr_conn *c)
{
    if (c->srv->cluster)
        return 0;
    fr__add_error(c, err_disabled);
    return 1;
}

void fr__cluster_cmd_asking(fr_conn *c)
{
    conn_state(c)->asking = 1;
    fr__add_ok(c);
}

void fr__cluster_cmd_readonly(fr_conn *c, int on)
{
    conn_state(c)->readonly = on;
    fr__add_ok(c);
}

void fr__cluster_cmd_keyslot(fr_conn *c)
{
    fr__add_ll(c, fr__keyslot(c->argv[2].p, c->argv[2].len));
}

typedef struct slot_keys {
    int slot;
    long long count, max;
    fr_conn *c; /* NULL: count only */
} slot_keys;

static void count_keys(fr_server *srv, slot_keys *sk)
{
    fr_dict_iter it;
    fr__dict_iter_start(&it, &fr__db(srv->ks, 0)->keys);
    fr_dict_entry *e;
    while ((e = fr__dict_iter_next(&it)) && (!sk->c || sk->count < sk->max)) {
        if (fr__keyslot(e->key, e->klen) != sk->slot ||
            fr__db_is_expired(srv->ks, 0, e->key, e->klen))
            continue;
        sk->count++;
        if (sk->c)
            fr__add_bulk(sk->c, e->key, e->klen);
    }
    fr__dict_iter_end(&it);
}

long long fr__cluster_count_keys(fr_server *srv, int slot)
{
    slot_keys sk = {slot, 0, 0, NULL};
    count_keys(srv, &sk);
    return sk.count;
}

void fr__cluster_cmd_countkeysinslot(fr_conn *c)
{
    long long slot;
    if (!fr__arg_ll(c, &c->argv[2], &slot))
        return;
    if (slot < 0 || slot >= FR_CLUSTER_SLOTS) {
        fr__add_error(c, "Invalid slot");
        return;
    }
    slot_keys sk = {(int)slot, 0, 0, NULL};
    count_keys(c->srv, &sk);
    fr__add_ll(c, sk.count);
}

void fr__cluster_cmd_getkeysinslot(fr_conn *c)
{
    long long slot, max;
    if (!fr__arg_ll(c, &c->argv[2], &slot) || !fr__arg_ll(c, &c->argv[3], &max))
        return;
    if (slot < 0 || slot >= FR_CLUSTER_SLOTS || max < 0) {
        fr__add_error(c, "Invalid slot or number of keys");
        return;
    }
    size_t h = fr__add_deferred(c);
    slot_keys sk = {(int)slot, 0, max, c};
    count_keys(c->srv, &sk);
    fr__set_deferred(c, h, '*', sk.count);
}

void fr__cluster_cmd_setslot(fr_conn *c)
{
    struct fr_cluster_view *cl = c->srv->cluster;
    if (cl->nodes[cl->me].master >= 0) {
        fr__add_error(c, "Please use SETSLOT only with masters.");
        return;
    }
    long long slot;
    if (!fr__str2ll(c->argv[2].p, c->argv[2].len, &slot) || slot < 0 || slot >= FR_CLUSTER_SLOTS) {
        fr__add_error(c, "Invalid or out of range slot");
        return;
    }
    const fr_arg *act = &c->argv[3];
    int stable = fr__arg_is(act, "stable");
    if (!(stable && c->argc == 4) &&
        !(c->argc == 5 && (fr__arg_is(act, "migrating") || fr__arg_is(act, "importing") ||
                           fr__arg_is(act, "node")))) {
        fr__add_error(c, "Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP");
        return;
    }
    if (stable) {
        cl->migrating[slot] = cl->importing[slot] = -1;
        fr__add_ok(c);
        return;
    }
    const fr_arg *id = &c->argv[4];
    int n = fr__cluster_node_index(c->srv, id->p, id->len);
    if (fr__arg_is(act, "migrating")) {
        if (cl->owner[slot] != cl->me) {
            fr__add_errorf(c, "I'm not the owner of hash slot %lld", slot);
        } else if (n < 0) {
            fr__add_errorf(c, "I don't know about node %.*s", (int)id->len, id->p);
        } else {
            cl->migrating[slot] = (int16_t)n;
            fr__add_ok(c);
        }
    } else if (fr__arg_is(act, "importing")) {
        if (cl->owner[slot] == cl->me) {
            fr__add_errorf(c, "I'm already the owner of hash slot %lld", slot);
        } else if (n < 0) {
            fr__add_errorf(c, "I don't know about node %.*s", (int)id->len, id->p);
        } else {
            cl->importing[slot] = (int16_t)n;
            fr__add_ok(c);
        }
    } else if (n < 0) {
        fr__add_errorf(c, "Unknown node %.*s", (int)id->len, id->p);
    } else {
        slot_keys sk = {(int)slot, 0, 0, NULL};
        if (cl->owner[slot] == cl->me && n != cl->me)
            count_keys(c->srv, &sk);
        if (sk.count) {
            fr__add_errorf(c,
                           "Can't assign hashslot %lld to a different node while I still hold "
                           "keys for this hash slot.",
                           slot);
            return;
        }
        int was_mine = cl->owner[slot] == cl->me;
        cl->owner[slot] = (int16_t)n;
        fr__cluster_recheck(cl);
        if (was_mine)
            fr__cluster_slot_lost(c->srv, (int)slot);
        if (n != cl->me)
            cl->migrating[slot] = -1;
        if (n == cl->me && cl->importing[slot] >= 0) {
            cl->importing[slot] = -1;
            cl->epoch++;
        }
        fr__add_ok(c);
        if (!(c->flags & FR_CONN_PSEUDO) && cl->ctl.slot_moved)
            cl->ctl.slot_moved(cl->ctl.ctx, (int)slot, n);
    }
}
