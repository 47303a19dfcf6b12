/* SENTINEL on a fake in Sentinel mode: argument checks and replies in
 * Redis 7.0's shapes; the state and the probing live in sentinel/. A data
 * server answers SENTINEL as Redis does: unknown command (the command is
 * not visible there, FR_CMD_SENTINEL), and a Sentinel answers only the
 * commands a real redis-sentinel has (fr__sentinel_cmd_filter). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands.h"
#include "commands_private.h"
#include "pubsub_engine.h"
#include "sentinel_engine.h"

static void publish(fr_server *srv, const char *channel, const char *msg)
{
    fr__pubsub_publish(srv, FR_PS_CHANNEL, channel, strlen(channel), msg, strlen(msg));
    fr__flush_pending(srv); /* subscribers hear it before anything goes on */
}

static const fr_sentinel_hooks hooks = {.publish = publish};

/* The commands of redis-sentinel 7.0 (COMMAND COUNT 15), and the fake's
 * control commands. */
static int cmd_filter(const fr_cmd *cmd)
{
    static const char *const allowed[] = {"command", "ping",      "unsubscribe",  "psubscribe",
                                          "acl",     "subscribe", "hello",        "auth",
                                          "role",    "sentinel",  "punsubscribe", "info",
                                          "client",  "shutdown",  "publish"};
    if (cmd->flags & FR_CMD_CONTROL)
        return 1;
    const char *name = cmd->parent ? cmd->parent : cmd->name;
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
        if (!strcmp(name, allowed[i]))
            return 1;
    return 0;
}

int fr__sentinel_start(fr_server *srv, const char *name, const char *ip, int port, int quorum)
{
    fr__sentinel_state(srv, &hooks);
    srv->cmd_filter = cmd_filter;
    return fr__sentinel_monitor(srv, &hooks, name, ip, port, quorum);
}

void fr__sentinel_role(fr_conn *c)
{
    const struct fr_sentinel *s = c->srv->sentinel;
    fr__add_array(c, 2);
    fr__add_bulk_cstr(c, "sentinel");
    fr__add_array(c, s->nmasters);
    for (int k = 0; k < s->nmasters; k++)
        fr__add_bulk_cstr(c, s->masters[k]->inst.name);
}

static fr_sen_master *master_or_reply(fr_conn *c, const fr_arg *name)
{
    fr_sen_master *m = fr__sentinel_find(c->srv->sentinel, name->p, name->len);
    if (!m)
        fr__add_error(c, "No such master with that name");
    return m;
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

static long long since(int64_t now, int64_t t)
{
    return t ? (long long)(now - t) : 0;
}

/* The fields SENTINEL MASTER and REPLICAS share, in Redis' order. */
static int add_common(fr_conn *c, const fr_sen_inst *i, int64_t now)
{
    char flags[128];
    fr__sentinel_flags(i, flags, sizeof flags);
    field(c, "name", i->name);
    field(c, "ip", i->ip);
    field_ll(c, "port", i->port);
    field(c, "runid", i->runid);
    field(c, "flags", flags);
    field_ll(c, "link-pending-commands", i->npending);
    field_ll(c, "link-refcount", 1);
    field_ll(c, "last-ping-sent", since(now, i->ping_sent));
    field_ll(c, "last-ok-ping-reply", since(now, i->last_ok_ping));
    field_ll(c, "last-ping-reply", since(now, i->last_ping_reply));
    int n = 10;
    if (i->sdown) {
        field_ll(c, "s-down-time", since(now, i->sdown_at));
        n++;
    }
    if (i->is_master && i->m->odown) {
        field_ll(c, "o-down-time", since(now, i->m->odown_at));
        n++;
    }
    field_ll(c, "down-after-milliseconds", i->m->down_after);
    field_ll(c, "info-refresh", since(now, i->info_at));
    field(c, "role-reported", i->role == FR_SEN_ROLE_SLAVE ? "slave" : "master");
    field_ll(c, "role-reported-time", since(now, i->role_at ? i->role_at : i->created));
    return n + 4;
}

static void add_master(fr_conn *c, const fr_sen_master *m)
{
    int64_t now = fr__mono_ms();
    size_t h = fr__add_deferred(c);
    int n = add_common(c, &m->inst, now);
    field_ll(c, "config-epoch", (long long)m->config_epoch);
    field_ll(c, "num-slaves", m->nreplicas);
    field_ll(c, "num-other-sentinels", 0);
    field_ll(c, "quorum", m->quorum);
    field_ll(c, "failover-timeout", m->failover_timeout);
    field_ll(c, "parallel-syncs", m->parallel_syncs);
    fr__set_deferred(c, h, '%', n + 6);
}

static void add_replica(fr_conn *c, const fr_sen_inst *r)
{
    int64_t now = fr__mono_ms();
    size_t h = fr__add_deferred(c);
    int n = add_common(c, r, now);
    field_ll(c, "master-link-down-time", r->master_link_up ? 0 : r->master_link_down_s * 1000);
    field(c, "master-link-status", r->master_link_up ? "ok" : "err");
    field(c, "master-host", r->master_host[0] ? r->master_host : "?");
    field_ll(c, "master-port", r->master_port);
    field_ll(c, "slave-priority", r->priority);
    field_ll(c, "slave-repl-offset", r->offset);
    field_ll(c, "replica-announced", 1);
    fr__set_deferred(c, h, '%', n + 7);
}

static void s_addr(fr_conn *c)
{
    fr_sen_master *m = fr__sentinel_find(c->srv->sentinel, c->argv[2].p, c->argv[2].len);
    if (!m) {
        fr__add_null_array(c);
        return;
    }
    /* during a failover, Redis already names the promoted replica */
    const fr_sen_inst *i =
        m->promoted && m->fo_state == FR_SEN_FO_RECONF_SLAVES ? m->promoted : &m->inst;
    fr__add_array(c, 2);
    fr__add_bulk_cstr(c, i->ip);
    fr__add_bulk_ll(c, i->port);
}

static void s_masters(fr_conn *c)
{
    const struct fr_sentinel *s = c->srv->sentinel;
    fr__add_array(c, s->nmasters);
    for (int k = 0; k < s->nmasters; k++)
        add_master(c, s->masters[k]);
}

static void s_master(fr_conn *c)
{
    fr_sen_master *m = master_or_reply(c, &c->argv[2]);
    if (m)
        add_master(c, m);
}

static void s_replicas(fr_conn *c)
{
    fr_sen_master *m = master_or_reply(c, &c->argv[2]);
    if (!m)
        return;
    fr__add_array(c, m->nreplicas);
    for (int k = 0; k < m->nreplicas; k++)
        add_replica(c, m->replicas[k]);
}

static void s_sentinels(fr_conn *c)
{
    if (master_or_reply(c, &c->argv[2]))
        fr__add_array(c, 0); /* the only Sentinel */
}

static void s_myid(fr_conn *c)
{
    fr__add_bulk(c, c->srv->sentinel->myid, 40);
}

static void s_ckquorum(fr_conn *c)
{
    fr_sen_master *m = master_or_reply(c, &c->argv[2]);
    if (!m)
        return;
    if (m->quorum > 1)
        fr__add_errorf(c, "-NOQUORUM 1 usable Sentinels. Not enough available Sentinels to "
                          "reach the specified quorum for this master. Not enough available "
                          "Sentinels to reach the majority and authorize a failover");
    else
        fr__add_status(c, "OK 1 usable Sentinels. Quorum and failover authorization can be "
                          "reached");
}

static void s_failover(fr_conn *c)
{
    fr_sen_master *m = master_or_reply(c, &c->argv[2]);
    if (!m)
        return;
    int rc = fr__sentinel_failover(m);
    if (rc == -1)
        fr__add_error(c, "-INPROG Failover already in progress");
    else if (rc == -2)
        fr__add_error(c, "-NOGOODSLAVE No suitable replica to promote");
    else
        fr__add_ok(c);
}

static void s_reset(fr_conn *c)
{
    fr__add_ll(c, fr__sentinel_reset(c->srv->sentinel, c->argv[2].p, c->argv[2].len));
}

static void s_ok(fr_conn *c)
{
    fr__add_ok(c);
}

static void s_pending(fr_conn *c)
{
    fr__add_array(c, 0); /* no scripts run */
}

static void s_is_down(fr_conn *c)
{
    long long port, epoch;
    if (!fr__arg_ll(c, &c->argv[3], &port) || !fr__arg_ll(c, &c->argv[4], &epoch))
        return;
    char ip[64];
    snprintf(ip, sizeof ip, "%.*s", (int)c->argv[2].len, c->argv[2].p);
    fr_sen_master *m = fr__sentinel_find_addr(c->srv->sentinel, ip, (int)port);
    const fr_arg *runid = &c->argv[5];
    int star = runid->len == 1 && runid->p[0] == '*';
    if (m && m->inst.sdown && !star && (uint64_t)epoch > m->leader_epoch) {
        /* another Sentinel asks for our vote: the first to ask in an epoch wins it */
        snprintf(m->leader, sizeof m->leader, "%.*s", (int)runid->len, runid->p);
        m->leader_epoch = (uint64_t)epoch;
        if ((uint64_t)epoch > c->srv->sentinel->current_epoch)
            c->srv->sentinel->current_epoch = (uint64_t)epoch;
    }
    fr__add_array(c, 3);
    fr__add_ll(c, m && m->inst.sdown);
    fr__add_bulk_cstr(c, m && !star && m->leader[0] ? m->leader : "*");
    fr__add_ll(c, m && !star ? (long long)m->leader_epoch : 0);
}

static void s_monitor(fr_conn *c)
{
    long long port, quorum;
    if (!fr__arg_ll(c, &c->argv[5], &quorum))
        return;
    if (quorum <= 0) {
        fr__add_error(c, "Quorum must be 1 or greater.");
        return;
    }
    char tmp[32], *end;
    snprintf(tmp, sizeof tmp, "%.*s", (int)(c->argv[4].len < 31 ? c->argv[4].len : 31),
             c->argv[4].p);
    port = strtoll(tmp, &end, 10);
    if (!c->argv[4].len || *end) {
        fr__add_error(c, "Invalid port");
        return;
    }
    if (port < 0 || port > 65535) {
        fr__add_error(c, "Invalid port number.");
        return;
    }
    char name[96], ip[64];
    snprintf(name, sizeof name, "%.*s", (int)c->argv[2].len, c->argv[2].p);
    snprintf(ip, sizeof ip, "%.*s", (int)c->argv[3].len, c->argv[3].p);
    int rc = fr__sentinel_monitor(c->srv, &hooks, name, ip, (int)port, (int)quorum);
    if (rc == -1)
        fr__add_error(c, "Duplicate master name.");
    else if (rc < 0)
        fr__add_error(c, "Too many masters.");
    else
        fr__add_ok(c);
}

static void s_remove(fr_conn *c)
{
    fr_sen_master *m = master_or_reply(c, &c->argv[2]);
    if (m) {
        fr__sentinel_remove(m);
        fr__add_ok(c);
    }
}

static int set_number(fr_conn *c, const fr_arg *opt, const fr_arg *val, long long lo,
                      long long *out)
{
    char *end;
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%.*s", (int)(val->len < 31 ? val->len : 31), val->p);
    long long v = strtoll(tmp, &end, 10);
    if (!val->len || *end || v < lo) {
        fr__add_errorf(c, "Invalid argument '%.*s' for SENTINEL SET '%.*s'", (int)val->len, val->p,
                       (int)opt->len, opt->p);
        return 0;
    }
    *out = v;
    return 1;
}

/* SENTINEL SET name option value [option value ...]: each pair is checked
 * and applied in turn, as Redis does (a bad pair leaves the earlier ones). */
static void s_set(fr_conn *c)
{
    fr_sen_master *m = master_or_reply(c, &c->argv[2]);
    if (!m)
        return;
    for (int j = 3; j < c->argc; j += 2) {
        const fr_arg *o = &c->argv[j], *v = j + 1 < c->argc ? &c->argv[j + 1] : NULL;
        long long n;
        if (v && fr__arg_is(o, "down-after-milliseconds")) {
            if (!set_number(c, o, v, 1, &n))
                return;
            m->down_after = n;
            fr__sentinel_retime(m->s);
        } else if (v && fr__arg_is(o, "failover-timeout")) {
            if (!set_number(c, o, v, 1, &n))
                return;
            m->failover_timeout = n;
        } else if (v && fr__arg_is(o, "parallel-syncs")) {
            if (!set_number(c, o, v, 1, &n))
                return;
            m->parallel_syncs = (int)n;
        } else if (v && fr__arg_is(o, "quorum")) {
            if (!set_number(c, o, v, 1, &n))
                return;
            m->quorum = (int)n;
        } else if (v && fr__arg_is(o, "auth-pass")) {
            snprintf(m->auth_pass, sizeof m->auth_pass, "%.*s", (int)v->len, v->p);
        } else if (v && fr__arg_is(o, "auth-user")) {
            snprintf(m->auth_user, sizeof m->auth_user, "%.*s", (int)v->len, v->p);
        } else {
            fr__add_errorf(c, "Unknown option or number of arguments for SENTINEL SET '%.*s'",
                           (int)o->len, o->p);
            return;
        }
    }
    fr__add_ok(c);
}

/* SENTINEL CONFIG GET pattern | SET name value: the 7.0 global keys. */
static void s_config(fr_conn *c)
{
    struct fr_sentinel *s = c->srv->sentinel;
    int get = c->argc == 4 && fr__arg_is(&c->argv[2], "get");
    int set = c->argc == 5 && fr__arg_is(&c->argv[2], "set");
    if (!get && !set) {
        fr__add_error(c, "Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported.");
        return;
    }
    char port[16];
    snprintf(port, sizeof port, "%d", s->announce_port);
    const char *keys[] = {"resolve-hostnames", "announce-hostnames", "announce-ip",
                          "announce-port",     "sentinel-user",      "sentinel-pass"};
    const char *vals[] = {s->resolve_hostnames ? "yes" : "no",
                          s->announce_hostnames ? "yes" : "no",
                          s->announce_ip,
                          port,
                          s->sentinel_user,
                          s->sentinel_pass};
    const fr_arg *k = &c->argv[3];
    if (get) {
        size_t h = fr__add_deferred(c);
        int n = 0;
        for (int i = 0; i < 6; i++) {
            if (fr__glob_match(k->p, k->len, keys[i], strlen(keys[i]), 1)) {
                field(c, keys[i], vals[i]);
                n++;
            }
        }
        fr__set_deferred(c, h, '%', n);
        return;
    }
    const fr_arg *v = &c->argv[4];
    int yes = fr__arg_is(v, "yes"), no = fr__arg_is(v, "no");
    if (fr__arg_is(k, "resolve-hostnames") || fr__arg_is(k, "announce-hostnames")) {
        if (!yes && !no) {
            fr__add_errorf(c, "Invalid value '%.*s' to SENTINEL CONFIG SET '%.*s'", (int)v->len,
                           v->p, (int)k->len, k->p);
            return;
        }
        *(fr__arg_is(k, "resolve-hostnames") ? &s->resolve_hostnames : &s->announce_hostnames) =
            yes;
    } else if (fr__arg_is(k, "announce-ip")) {
        snprintf(s->announce_ip, sizeof s->announce_ip, "%.*s", (int)v->len, v->p);
    } else if (fr__arg_is(k, "announce-port")) {
        char tmp[16], *end;
        snprintf(tmp, sizeof tmp, "%.*s", (int)(v->len < 15 ? v->len : 15), v->p);
        long p = strtol(tmp, &end, 10);
        if (!v->len || *end || p < 0 || p > 65535) {
            fr__add_errorf(c, "Invalid value '%.*s' to SENTINEL CONFIG SET 'announce-port'",
                           (int)v->len, v->p);
            return;
        }
        s->announce_port = (int)p;
    } else if (fr__arg_is(k, "sentinel-user")) {
        snprintf(s->sentinel_user, sizeof s->sentinel_user, "%.*s", (int)v->len, v->p);
    } else if (fr__arg_is(k, "sentinel-pass")) {
        snprintf(s->sentinel_pass, sizeof s->sentinel_pass, "%.*s", (int)v->len, v->p);
    } else {
        fr__add_errorf(c, "Invalid argument '%.*s' to SENTINEL CONFIG SET", (int)k->len, k->p);
        return;
    }
    fr__add_ok(c);
}

static void s_info_cache(fr_conn *c)
{
    const struct fr_sentinel *s = c->srv->sentinel;
    int64_t now = fr__mono_ms();
    size_t h = fr__add_deferred(c);
    int n = 0;
    for (int k = 0; k < s->nmasters; k++) {
        const fr_sen_master *m = s->masters[k];
        int want = c->argc == 2;
        for (int a = 2; a < c->argc && !want; a++)
            want = c->argv[a].len == strlen(m->inst.name) &&
                   !memcmp(c->argv[a].p, m->inst.name, c->argv[a].len);
        if (!want)
            continue;
        n++;
        fr__add_array(c, 2);
        fr__add_bulk_cstr(c, m->inst.name);
        fr__add_array(c, 1 + m->nreplicas);
        for (int r = -1; r < m->nreplicas; r++) {
            const fr_sen_inst *i = r < 0 ? &m->inst : m->replicas[r];
            if (!i->info) {
                fr__add_null(c);
                continue;
            }
            fr__add_array(c, 2);
            fr__add_ll(c, now - i->info_at);
            fr__add_bulk_cstr(c, i->info);
        }
    }
    fr__set_deferred(c, h, '*', n);
}

static void s_simulate(fr_conn *c)
{
    struct fr_sentinel *s = c->srv->sentinel;
    int flags = 0;
    for (int j = 2; j < c->argc; j++) {
        if (fr__arg_is(&c->argv[j], "crash-after-election")) {
            flags |= 1;
        } else if (fr__arg_is(&c->argv[j], "crash-after-promotion")) {
            flags |= 2;
        } else if (fr__arg_is(&c->argv[j], "help")) {
            fr__add_array(c, 2);
            fr__add_bulk_cstr(c, "crash-after-election");
            fr__add_bulk_cstr(c, "crash-after-promotion");
            return;
        } else {
            fr__add_error(c, "Unknown failure simulation specified");
            return;
        }
    }
    s->simfail = flags;
    fr__add_ok(c);
}

static void s_debug(fr_conn *c)
{
    static const char *const keys[] = {"INFO-PERIOD",          "PING-PERIOD",
                                       "ASK-PERIOD",           "PUBLISH-PERIOD",
                                       "DEFAULT-DOWN-AFTER",   "DEFAULT-FAILOVER-TIMEOUT",
                                       "TILT-TRIGGER",         "TILT-PERIOD",
                                       "SLAVE-RECONF-TIMEOUT", "MIN-LINK-RECONNECT-PERIOD",
                                       "ELECTION-TIMEOUT",     "SCRIPT-MAX-RUNTIME",
                                       "SCRIPT-RETRY-DELAY"};
    static const long long vals[] = {10000, 1000,  1000,  2000,  30000, 180000, 2000,
                                     30000, 10000, 15000, 10000, 60000, 30000};
    if (c->argc > 2) {
        fr__add_ok(c); /* the fake times itself from down-after-milliseconds */
        return;
    }
    fr__add_map(c, 13);
    for (int i = 0; i < 13; i++)
        field_ll(c, keys[i], vals[i]);
}

static const char *const help[] = {
    "CKQUORUM <master-name>",
    "    Check if the current Sentinel configuration is able to reach the quorum",
    "    needed to failover a master and the majority needed to authorize the",
    "    failover.",
    "CONFIG SET <param> <value>",
    "    Set a global Sentinel configuration parameter.",
    "CONFIG GET <param>",
    "    Get global Sentinel configuration parameter.",
    "DEBUG [<param> <value> ...]",
    "    Show a list of configurable time parameters and their values (milliseconds).",
    "    Or update current configurable parameters values (one or more).",
    "GET-MASTER-ADDR-BY-NAME <master-name>",
    "    Return the ip and port number of the master with that name.",
    "FAILOVER <master-name>",
    "    Manually failover a master node without asking for agreement from other",
    "    Sentinels",
    "FLUSHCONFIG",
    "    Force Sentinel to rewrite its configuration on disk, including the current",
    "    Sentinel state.",
    "INFO-CACHE <master-name>",
    "    Return last cached INFO output from masters and all its replicas.",
    "IS-MASTER-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid>",
    "    Check if the master specified by ip:port is down from current Sentinel's",
    "    point of view.",
    "MASTER <master-name>",
    "    Show the state and info of the specified master.",
    "MASTERS",
    "    Show a list of monitored masters and their state.",
    "MONITOR <name> <ip> <port> <quorum>",
    "    Start monitoring a new master with the specified name, ip, port and quorum.",
    "MYID",
    "    Return the ID of the Sentinel instance.",
    "PENDING-SCRIPTS",
    "    Get pending scripts information.",
    "REMOVE <master-name>",
    "    Remove master from Sentinel's monitor list.",
    "REPLICAS <master-name>",
    "    Show a list of replicas for this master and their state.",
    "RESET <pattern>",
    "    Reset masters for specific master name matching this pattern.",
    "SENTINELS <master-name>",
    "    Show a list of Sentinel instances for this master and their state.",
    "SET <master-name> <option> <value> [<option> <value> ...]",
    "    Set configuration parameters for certain masters.",
    "SIMULATE-FAILURE [CRASH-AFTER-ELECTION] [CRASH-AFTER-PROMOTION] [HELP]",
    "    Simulate a Sentinel crash.",
    NULL};

static void s_help(fr_conn *c)
{
    fr__add_help(c, "SENTINEL", help);
}

typedef struct sentinel_sub {
    const char *name;
    int arity; /* as Redis' table: negative means at least */
    void (*fn)(fr_conn *c);
} sentinel_sub;

static const sentinel_sub subs[] = {
    {"get-master-addr-by-name", 3, s_addr},
    {"masters", 2, s_masters},
    {"master", 3, s_master},
    {"replicas", 3, s_replicas},
    {"slaves", 3, s_replicas},
    {"sentinels", 3, s_sentinels},
    {"myid", 2, s_myid},
    {"ckquorum", 3, s_ckquorum},
    {"failover", 3, s_failover},
    {"reset", 3, s_reset},
    {"is-master-down-by-addr", 6, s_is_down},
    {"monitor", 6, s_monitor},
    {"remove", 3, s_remove},
    {"set", -5, s_set},
    {"config", -3, s_config},
    {"info-cache", -3, s_info_cache},
    {"pending-scripts", 2, s_pending},
    {"simulate-failure", -3, s_simulate},
    {"debug", -2, s_debug},
    {"flushconfig", 2, s_ok},
    {"help", 2, s_help},
};

void fr__cmd_sentinel(fr_conn *c)
{
    if (c->argc < 2) {
        fr__add_error(c, "wrong number of arguments for 'sentinel' command");
        return;
    }
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        if (!fr__arg_is(&c->argv[1], subs[i].name))
            continue;
        int a = subs[i].arity;
        if ((a > 0 && c->argc != a) || (a < 0 && c->argc < -a)) {
            fr__add_errorf(c, "wrong number of arguments for 'sentinel|%s' command", subs[i].name);
            return;
        }
        subs[i].fn(c);
        return;
    }
    fr__add_errorf(c, "unknown subcommand '%.*s'. Try SENTINEL HELP.", (int)c->argv[1].len,
                   c->argv[1].p);
}
