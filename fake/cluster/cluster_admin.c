/* The CLUSTER subcommands that read or change the cluster's shape:
 * REPLICAS/SLAVES, LINKS, COUNT-FAILURE-REPORTS, MEET, FORGET, REPLICATE,
 * SAVECONFIG, ADDSLOTS[RANGE], DELSLOTS[RANGE], FLUSHSLOTS,
 * SET-CONFIG-EPOCH, BUMPEPOCH, RESET and FAILOVER, with Redis 7.0's checks
 * and words. There is no gossip: slot changes stay in this node's view, as
 * they do on a Redis node until its epoch wins; FAILOVER and REPLICATE ask
 * the cluster's builder (fr_cluster_ctl) to do what the nodes would agree
 * on. See cluster_engine.h. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_private.h"

static void unknown_subcommand(fr_conn *c)
{
    fr__add_errorf(c,
                   "unknown subcommand or wrong number of arguments for '%.*s'. Try CLUSTER "
                   "HELP.",
                   (int)c->argv[1].len, c->argv[1].p);
}

void fr__cluster_cmd_replicas(fr_conn *c)
{
    const struct fr_cluster_view *cl = c->srv->cluster;
    int m = fr__cluster_find_or_err(c, &c->argv[2]);
    if (m < 0)
        return;
    if (cl->nodes[m].master >= 0) {
        fr__add_error(c, "The specified node is not a master");
        return;
    }
    int n = 0;
    for (int i = 0; i < cl->n; i++)
        n += cl->nodes[i].master == m;
    fr__add_array(c, n);
    for (int i = 0; i < cl->n; i++) {
        if (cl->nodes[i].master != m)
            continue;
        fr_buf b = {0};
        fr__cluster_node_line(cl, i, &b);
        fr__add_bulk(c, b.p, b.len - 1); /* without the newline */
        fr__buf_free(&b);
    }
}

static void add_link(fr_conn *c, const char *dir, const fr_cluster_node *n, int64_t since)
{
    fr__add_map(c, 6);
    fr__add_bulk_cstr(c, "direction");
    fr__add_bulk_cstr(c, dir);
    fr__add_bulk_cstr(c, "node");
    fr__add_bulk(c, n->id, 40);
    fr__add_bulk_cstr(c, "create-time");
    fr__add_ll(c, since);
    fr__add_bulk_cstr(c, "events");
    fr__add_bulk_cstr(c, "r");
    fr__add_bulk_cstr(c, "send-buffer-allocated");
    fr__add_ll(c, 0);
    fr__add_bulk_cstr(c, "send-buffer-used");
    fr__add_ll(c, 0);
}

void fr__cluster_cmd_links(fr_conn *c)
{
    const struct fr_cluster_view *cl = c->srv->cluster;
    int n = 0;
    for (int i = 0; i < cl->n; i++)
        n += i != cl->me && !cl->nodes[i].flags;
    /* a link each way with every peer we reach (none with a failing one) */
    fr__add_array(c, 2 * n);
    for (int i = 0; i < cl->n; i++) {
        if (i == cl->me || cl->nodes[i].flags)
            continue;
        add_link(c, "to", &cl->nodes[i], cl->created_ms);
        add_link(c, "from", &cl->nodes[i], cl->created_ms);
    }
}

void fr__cluster_cmd_failure_reports(fr_conn *c)
{
    const struct fr_cluster_view *cl = c->srv->cluster;
    int n = fr__cluster_find_or_err(c, &c->argv[2]);
    if (n < 0)
        return;
    /* a failing node: every other reachable master reported it */
    int reports = 0;
    for (int i = 0; cl->nodes[n].flags && i < cl->n; i++)
        reports += i != n && i != cl->me && cl->nodes[i].master < 0 && !cl->nodes[i].flags;
    fr__add_ll(c, reports);
}

void fr__cluster_cmd_meet(fr_conn *c)
{
    if (c->argc > 5) {
        unknown_subcommand(c);
        return;
    }
    long long port, bus;
    const fr_arg *ip = &c->argv[2], *p = &c->argv[3];
    if (!fr__str2ll(p->p, p->len, &port)) {
        fr__add_errorf(c, "Invalid TCP base port specified: %.*s", (int)p->len, p->p);
        return;
    }
    if (c->argc == 5 && !fr__str2ll(c->argv[4].p, c->argv[4].len, &bus)) {
        fr__add_errorf(c, "Invalid TCP bus port specified: %.*s", (int)c->argv[4].len,
                       c->argv[4].p);
        return;
    }
    char host[64], addr[16];
    size_t n = ip->len < sizeof host - 1 ? ip->len : sizeof host - 1;
    memcpy(host, ip->p, n);
    host[n] = '\0';
    if (port <= 0 || port > 65535 ||
        (inet_pton(AF_INET, host, addr) != 1 && inet_pton(AF_INET6, host, addr) != 1)) {
        fr__add_errorf(c, "Invalid node address specified: %.*s:%.*s", (int)ip->len, ip->p,
                       (int)p->len, p->p);
        return;
    }
    fr__add_ok(c); /* the handshake with an unknown node never completes */
}

void fr__cluster_cmd_forget(fr_conn *c)
{
    const struct fr_cluster_view *cl = c->srv->cluster;
    int n = fr__cluster_find_or_err(c, &c->argv[2]);
    if (n < 0)
        return;
    if (n == cl->me)
        fr__add_error(c, "I tried hard but I can't forget myself...");
    else if (cl->nodes[cl->me].master == n)
        fr__add_error(c, "Can't forget my master!");
    else
        fr__add_ok(c); /* the builder's view comes back: nothing is forgotten */
}

static int has_slots_or_keys(fr_conn *c)
{
    const struct fr_cluster_view *cl = c->srv->cluster;
    for (int s = 0; s < FR_CLUSTER_SLOTS; s++)
        if (cl->owner[s] == cl->me)
            return 1;
    return fr__db_size(c->srv->ks, 0) != 0;
}

void fr__cluster_cmd_replicate(fr_conn *c)
{
    struct fr_cluster_view *cl = c->srv->cluster;
    int n = fr__cluster_find_or_err(c, &c->argv[2]);
    if (n < 0)
        return;
    if (n == cl->me)
        fr__add_error(c, "Can't replicate myself");
    else if (cl->nodes[n].master >= 0)
        fr__add_error(c, "I can only replicate a master, not a replica.");
    else if (cl->nodes[cl->me].master < 0 && has_slots_or_keys(c))
        fr__add_error(c, "To set a master the node must be empty and without assigned slots.");
    else if (!cl->ctl.replicate)
        fr__add_error(c, "CLUSTER REPLICATE needs a cluster built by fr_cluster_start");
    else {
        fr__add_ok(c);
        if (cl->nodes[cl->me].master != n)
            cl->ctl.replicate(cl->ctl.ctx, cl->me, n);
    }
}

void fr__cluster_cmd_saveconfig(fr_conn *c)
{
    fr__add_ok(c); /* the view lives in memory only */
}

static int get_slot(fr_conn *c, const fr_arg *a)
{
    long long s;
    if (!fr__str2ll(a->p, a->len, &s) || s < 0 || s >= FR_CLUSTER_SLOTS) {
        fr__add_error(c, "Invalid or out of range slot");
        return -1;
    }
    return (int)s;
}

/* ADDSLOTS, DELSLOTS (range 0) and their RANGE forms: every argument is
 * checked before any slot changes, as Redis does. */
void fr__cluster_cmd_addslots(fr_conn *c, int add, int range)
{
    struct fr_cluster_view *cl = c->srv->cluster;
    if (range && c->argc % 2 == 1) {
        fr__add_errorf(c, "wrong number of arguments for 'cluster|%s' command",
                       add ? "addslotsrange" : "delslotsrange");
        return;
    }
    int step = range ? 2 : 1;
    for (int j = 2; j < c->argc; j += step) {
        int a = get_slot(c, &c->argv[j]), b = a;
        if (a < 0 || (range && (b = get_slot(c, &c->argv[j + 1])) < 0))
            return;
        if (a > b) {
            fr__add_errorf(c, "start slot number %d is greater than end slot number %d", a, b);
            return;
        }
    }
    unsigned char *seen = fr__xcalloc(1, FR_CLUSTER_SLOTS);
    for (int j = 2; j < c->argc; j += step) {
        int a = get_slot(c, &c->argv[j]), b = range ? get_slot(c, &c->argv[j + 1]) : a;
        for (int s = a; s <= b; s++) {
            const char *why = add && cl->owner[s] >= 0   ? "is already busy"
                              : !add && cl->owner[s] < 0 ? "is already unassigned"
                              : seen[s]++                ? "specified multiple times"
                                                         : NULL;
            if (why) {
                fr__add_errorf(c, "Slot %d %s", s, why);
                free(seen);
                return;
            }
        }
    }
    for (int s = 0; s < FR_CLUSTER_SLOTS; s++) {
        if (!seen[s])
            continue;
        int was_mine = cl->owner[s] == cl->me;
        cl->owner[s] = (int16_t)(add ? cl->me : -1);
        cl->importing[s] = cl->migrating[s] = -1;
        if (was_mine && !add)
            fr__cluster_slot_lost(c->srv, s);
    }
    free(seen);
    fr__cluster_recheck(cl);
    fr__add_ok(c);
}

void fr__cluster_cmd_flushslots(fr_conn *c)
{
    struct fr_cluster_view *cl = c->srv->cluster;
    if (fr__db_size(c->srv->ks, 0) != 0) {
        fr__add_error(c, "DB must be empty to perform CLUSTER FLUSHSLOTS.");
        return;
    }
    for (int s = 0; s < FR_CLUSTER_SLOTS; s++)
        if (cl->owner[s] == cl->me) {
            cl->owner[s] = -1;
            fr__cluster_slot_lost(c->srv, s);
        }
    fr__cluster_recheck(cl);
    fr__add_ok(c);
}

void fr__cluster_cmd_set_config_epoch(fr_conn *c)
{
    struct fr_cluster_view *cl = c->srv->cluster;
    long long e;
    if (!fr__arg_ll(c, &c->argv[2], &e))
        return;
    if (e < 0)
        fr__add_errorf(c, "Invalid config epoch specified: %lld", e);
    else if (cl->n > 1)
        fr__add_error(c, "The user can assign a config epoch only when the node does not know "
                         "any other node.");
    else if (cl->nodes[cl->me].epoch != 0)
        fr__add_error(c, "Node config epoch is already non-zero");
    else {
        cl->nodes[cl->me].epoch = (uint64_t)e;
        if (cl->epoch < (uint64_t)e)
            cl->epoch = (uint64_t)e;
        fr__add_ok(c);
    }
}

void fr__cluster_cmd_bumpepoch(fr_conn *c)
{
    struct fr_cluster_view *cl = c->srv->cluster;
    uint64_t max = cl->epoch;
    for (int i = 0; i < cl->n; i++)
        if (cl->nodes[i].epoch > max)
            max = cl->nodes[i].epoch;
    fr_cluster_node *me = &cl->nodes[cl->me];
    int bumped = me->epoch == 0 || me->epoch != max;
    if (bumped)
        me->epoch = ++cl->epoch;
    fr_buf b = {0};
    fr__buf_printf(&b, "%s %llu", bumped ? "BUMPED" : "STILL", (unsigned long long)me->epoch);
    fr__add_status(c, b.p);
    fr__buf_free(&b);
}

void fr__cluster_cmd_reset(fr_conn *c)
{
    struct fr_cluster_view *cl = c->srv->cluster;
    if (c->argc > 3) {
        unknown_subcommand(c);
        return;
    }
    int hard = c->argc == 3 && fr__arg_is(&c->argv[2], "hard");
    if (c->argc == 3 && !hard && !fr__arg_is(&c->argv[2], "soft")) {
        fr__add_error(c, fr__err_syntax);
        return;
    }
    if (cl->nodes[cl->me].master < 0 && fr__db_size(c->srv->ks, 0) != 0) {
        fr__add_error(c, "CLUSTER RESET can't be called with master nodes containing keys");
        return;
    }
    /* the node forgets the others and its slots: alone, a master the
     * builder no longer updates; a replica stops following and empties */
    if (cl->nodes[cl->me].master >= 0 && cl->ctl.reset)
        cl->ctl.reset(cl->ctl.ctx, cl->me);
    cl->nodes[0] = cl->nodes[cl->me];
    cl->nodes[0].master = -1;
    cl->nodes[0].flags = 0;
    if (hard)
        cl->nodes[0].epoch = cl->epoch = 0;
    cl->me = 0;
    cl->n = 1;
    cl->detached = 1;
    memset(cl->owner, 0xff, sizeof cl->owner);
    memset(cl->migrating, 0xff, sizeof cl->migrating);
    memset(cl->importing, 0xff, sizeof cl->importing);
    fr__cluster_recheck(cl);
    fr__add_ok(c);
}

void fr__cluster_cmd_failover(fr_conn *c)
{
    struct fr_cluster_view *cl = c->srv->cluster;
    if (c->argc > 3) {
        unknown_subcommand(c);
        return;
    }
    int mode = 0;
    if (c->argc == 3) {
        if (fr__arg_is(&c->argv[2], "force"))
            mode = 1;
        else if (fr__arg_is(&c->argv[2], "takeover"))
            mode = 2;
        else {
            fr__add_error(c, fr__err_syntax);
            return;
        }
    }
    int m = cl->nodes[cl->me].master;
    if (m < 0)
        fr__add_error(c, "You should send CLUSTER FAILOVER to a replica");
    else if (mode == 0 && cl->nodes[m].flags)
        fr__add_error(c, "Master is down or failed, please use CLUSTER FAILOVER FORCE");
    else if (!cl->ctl.failover)
        fr__add_error(c, "CLUSTER FAILOVER needs a cluster built by fr_cluster_start");
    else {
        fr__add_ok(c);
        cl->ctl.failover(cl->ctl.ctx, cl->me, mode);
    }
}
