/* SENTINEL on a fake in Sentinel mode (a replication group's Sentinel,
 * fr_group_options.sentinel): one watched master, its replicas, and
 * SENTINEL FAILOVER with the +switch-master event in Redis' format. The
 * Sentinel does not probe the servers itself: whoever built the group
 * tells it the roles (fr__sentinel_*), and its failover is the group's.
 * A data server answers SENTINEL as Redis does: unknown command (the
 * command is not visible there, FR_CMD_SENTINEL). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "commands_private.h"
#include "pubsub_engine.h"

struct fr_sentinel {
    char name[64];
    char ip[64];
    int port;
    int nreplicas;
    int replica_ports[16];
    char myid[41];
    int (*failover)(fr_server *srv, void *ctx);
    void *ctx;
    uint64_t epoch;
};

static void on_stop(fr_server *srv)
{
    free(srv->sentinel);
    srv->sentinel = NULL;
}

static const fr_stage_ops sentinel_stage = {.name = "sentinel", .order = 70, .stop = on_stop};

void fr__sentinel_setup(fr_server *srv, const char *name, const char *ip, int port,
                        int (*failover)(fr_server *srv, void *ctx), void *ctx)
{
    struct fr_sentinel *s = srv->sentinel;
    if (!s) {
        s = fr__xcalloc(1, sizeof *s);
        static const char hex[] = "0123456789abcdef";
        uint64_t rng = fr__rng_seed(s);
        for (int i = 0; i < 40; i++)
            s->myid[i] = hex[fr__rng_next(&rng) >> 60];
        srv->sentinel = s;
        fr__stage_register(srv, &sentinel_stage);
    }
    snprintf(s->name, sizeof s->name, "%s", name);
    snprintf(s->ip, sizeof s->ip, "%s", ip);
    s->port = port;
    s->failover = failover;
    s->ctx = ctx;
}

void fr__sentinel_set_replicas(fr_server *srv, int n, const int *ports)
{
    struct fr_sentinel *s = srv->sentinel;
    if (!s)
        return;
    s->nreplicas = n < 16 ? n : 16;
    memcpy(s->replica_ports, ports, (size_t)s->nreplicas * sizeof *ports);
}

void fr__sentinel_switch(fr_server *srv, const char *ip, int port)
{
    struct fr_sentinel *s = srv->sentinel;
    if (!s)
        return;
    char msg[256];
    /* Redis' +switch-master: <name> <old-ip> <old-port> <new-ip> <new-port> */
    snprintf(msg, sizeof msg, "%s %s %d %s %d", s->name, s->ip, s->port, ip, port);
    snprintf(s->ip, sizeof s->ip, "%s", ip);
    s->port = port;
    s->epoch++;
    fr__pubsub_publish(srv, FR_PS_CHANNEL, "+switch-master", 14, msg, strlen(msg));
    fr__flush_pending(srv); /* the subscribers hear it before the caller goes on */
}

/* Only a Sentinel runs SENTINEL: on a data server the command is not
 * visible (FR_CMD_SENTINEL), and the dispatcher refuses it as unknown. */
static struct fr_sentinel *sentinel_or_reply(fr_conn *c)
{
    return c->srv->sentinel;
}

static int name_is(const struct fr_sentinel *s, const fr_arg *a)
{
    return a->len == strlen(s->name) && !memcmp(a->p, s->name, a->len);
}

static struct fr_sentinel *master_or_reply(fr_conn *c)
{
    struct fr_sentinel *s = sentinel_or_reply(c);
    if (s && !name_is(s, &c->argv[2])) {
        fr__add_error(c, "No such master with that name");
        return NULL;
    }
    return s;
}

static void field(fr_conn *c, const char *k, const char *v)
{
    fr__add_bulk_cstr(c, k);
    fr__add_bulk_cstr(c, v);
}

static void field_ll(fr_conn *c, const char *k, long long v)
{
    fr__add_bulk_cstr(c, k);
    fr__add_bulk_ll(c, v);
}

static void add_master(fr_conn *c, const struct fr_sentinel *s)
{
    fr__add_map(c, 20);
    field(c, "name", s->name);
    field(c, "ip", s->ip);
    field_ll(c, "port", s->port);
    field(c, "runid", "");
    field(c, "flags", "master");
    field_ll(c, "link-pending-commands", 0);
    field_ll(c, "link-refcount", 1);
    field_ll(c, "last-ping-sent", 0);
    field_ll(c, "last-ok-ping-reply", 0);
    field_ll(c, "last-ping-reply", 0);
    field_ll(c, "down-after-milliseconds", 30000);
    field_ll(c, "info-refresh", 0);
    field(c, "role-reported", "master");
    field_ll(c, "role-reported-time", 0);
    field_ll(c, "config-epoch", (long long)s->epoch);
    field_ll(c, "num-slaves", s->nreplicas);
    field_ll(c, "num-other-sentinels", 0);
    field_ll(c, "quorum", 1);
    field_ll(c, "failover-timeout", 180000);
    field_ll(c, "parallel-syncs", 1);
}

static void sentinel_addr(fr_conn *c)
{
    struct fr_sentinel *s = sentinel_or_reply(c);
    if (!s)
        return;
    if (!name_is(s, &c->argv[2])) {
        fr__add_null_array(c);
        return;
    }
    fr__add_array(c, 2);
    fr__add_bulk_cstr(c, s->ip);
    fr__add_bulk_ll(c, s->port);
}

static void sentinel_masters(fr_conn *c)
{
    struct fr_sentinel *s = sentinel_or_reply(c);
    if (!s)
        return;
    fr__add_array(c, 1);
    add_master(c, s);
}

static void sentinel_master(fr_conn *c)
{
    struct fr_sentinel *s = master_or_reply(c);
    if (s)
        add_master(c, s);
}

static void sentinel_replicas(fr_conn *c)
{
    struct fr_sentinel *s = master_or_reply(c);
    if (!s)
        return;
    fr__add_array(c, s->nreplicas);
    for (int i = 0; i < s->nreplicas; i++) {
        char name[96];
        snprintf(name, sizeof name, "127.0.0.1:%d", s->replica_ports[i]);
        fr__add_map(c, 9);
        field(c, "name", name);
        field(c, "ip", "127.0.0.1");
        field_ll(c, "port", s->replica_ports[i]);
        field(c, "runid", "");
        field(c, "flags", "slave");
        field(c, "master-link-status", "ok");
        field(c, "master-host", s->ip);
        field_ll(c, "master-port", s->port);
        field_ll(c, "slave-priority", 100);
    }
}

static void sentinel_sentinels(fr_conn *c)
{
    if (master_or_reply(c))
        fr__add_array(c, 0); /* the only Sentinel */
}

static void sentinel_myid(fr_conn *c)
{
    struct fr_sentinel *s = sentinel_or_reply(c);
    if (s)
        fr__add_bulk(c, s->myid, 40);
}

static void sentinel_ckquorum(fr_conn *c)
{
    if (master_or_reply(c))
        fr__add_status(c, "OK 1 usable Sentinels. Quorum and failover authorization can be "
                          "reached");
}

static void sentinel_failover(fr_conn *c)
{
    struct fr_sentinel *s = master_or_reply(c);
    if (!s)
        return;
    if (!s->failover || !s->nreplicas || s->failover(c->srv, s->ctx) < 0) {
        fr__add_error(c, "-NOGOODSLAVE No suitable replica to promote");
        return;
    }
    fr__add_ok(c);
}

typedef struct sentinel_sub {
    const char *name;
    int arity;
    void (*fn)(fr_conn *c);
} sentinel_sub;

static const sentinel_sub subs[] = {
    {"get-master-addr-by-name", 3, sentinel_addr},
    {"masters", 2, sentinel_masters},
    {"master", 3, sentinel_master},
    {"replicas", 3, sentinel_replicas},
    {"slaves", 3, sentinel_replicas},
    {"sentinels", 3, sentinel_sentinels},
    {"myid", 2, sentinel_myid},
    {"ckquorum", 3, sentinel_ckquorum},
    {"failover", 3, sentinel_failover},
};

void fr__cmd_sentinel(fr_conn *c)
{
    if (!sentinel_or_reply(c))
        return;
    if (c->argc < 2) {
        fr__add_error(c, "wrong number of arguments for 'sentinel' command");
        return;
    }
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        if (!fr__arg_is(&c->argv[1], subs[i].name))
            continue;
        if (c->argc != subs[i].arity) {
            fr__add_errorf(c, "wrong number of arguments for 'sentinel|%s' command", subs[i].name);
            return;
        }
        subs[i].fn(c);
        return;
    }
    fr__add_errorf(c, "Unknown sentinel subcommand '%.*s'", (int)c->argv[1].len, c->argv[1].p);
}
