/* The Sentinel's state: monitored masters and their replicas, events in
 * Redis' formats, and the tick that judges who is down (see
 * sentinel_engine.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "sentinel_engine.h"

static void on_tick(evutil_socket_t fd, short what, void *arg);

/* name: the master's; NULL for a replica ("ip:port"). */
static void inst_init(fr_sen_inst *i, fr_sen_master *m, const char *name, const char *ip, int port)
{
    memset(i, 0, sizeof *i);
    i->m = m;
    i->is_master = name != NULL;
    snprintf(i->ip, sizeof i->ip, "%s", ip);
    i->port = port;
    if (name)
        snprintf(i->name, sizeof i->name, "%s", name);
    else
        snprintf(i->name, sizeof i->name, "%s:%d", ip, port);
    /* down-after counts from when the Sentinel first looked */
    i->created = i->last_ok_ping = i->last_ping_reply = fr__mono_ms();
    i->priority = 100;
    /* until INFO says otherwise, as Redis: what the Sentinel was told */
    i->role = name ? FR_SEN_ROLE_MASTER : FR_SEN_ROLE_SLAVE;
}

static void inst_free(fr_sen_inst *i)
{
    fr__sen_link_close(i);
    free(i->info);
    i->info = NULL;
}

static void free_replicas(fr_sen_master *m)
{
    for (int k = 0; k < m->nreplicas; k++) {
        inst_free(m->replicas[k]);
        free(m->replicas[k]);
    }
    m->nreplicas = 0;
}

void fr__sen_event(fr_sen_inst *i, const char *type, const char *fmt, ...)
{
    struct fr_sentinel *s = i->m->s;
    char extra[256] = "", msg[1024]; /* room for every field at its longest */
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(extra, sizeof extra, fmt, ap);
        va_end(ap);
    }
    /* Redis' "%@": <type> <name> <ip> <port>, and for a replica
     * " @ <master-name> <master-ip> <master-port>" */
    const fr_sen_inst *mi = &i->m->inst;
    if (i->is_master)
        snprintf(msg, sizeof msg, "master %s %s %d%s", i->name, i->ip, i->port, extra);
    else
        snprintf(msg, sizeof msg, "slave %s %s %d @ %s %s %d%s", i->name, i->ip, i->port, mi->name,
                 mi->ip, mi->port, extra);
    s->h->publish(s->srv, type, msg);
}

long long fr__sen_ping_period(const fr_sen_master *m)
{
    long long p = m->down_after / 10;
    return p < 1 ? 1 : p > 1000 ? 1000 : p;
}

long long fr__sen_info_period(const fr_sen_master *m)
{
    if (m->fo_state != FR_SEN_FO_NONE || m->odown)
        return fr__sen_ping_period(m);
    return m->down_after < 1000 ? m->down_after : 1000;
}

void fr__sentinel_retime(struct fr_sentinel *s)
{
    long long t = 100;
    for (int k = 0; k < s->nmasters; k++) {
        long long p = fr__sen_ping_period(s->masters[k]);
        if (p < t)
            t = p;
    }
    s->tick_ms = t;
    struct timeval tv = {(time_t)(t / 1000), (suseconds_t)(t % 1000) * 1000};
    evtimer_add(s->tick, &tv);
}

static void on_stop(fr_server *srv)
{
    struct fr_sentinel *s = srv->sentinel;
    if (!s)
        return;
    while (s->nmasters)
        fr__sentinel_remove(s->masters[0]);
    event_free(s->tick);
    free(s);
    srv->sentinel = NULL;
}

static const fr_stage_ops sentinel_stage = {.name = "sentinel", .order = 70, .stop = on_stop};

struct fr_sentinel *fr__sentinel_state(fr_server *srv, const fr_sentinel_hooks *h)
{
    struct fr_sentinel *s = srv->sentinel;
    if (s)
        return s;
    s = fr__xcalloc(1, sizeof *s);
    s->srv = srv;
    s->h = h;
    static const char hex[] = "0123456789abcdef";
    uint64_t rng = fr__rng_seed(s);
    for (int i = 0; i < 40; i++)
        s->myid[i] = hex[fr__rng_next(&rng) >> 60];
    s->tick = evtimer_new(srv->base, on_tick, s);
    srv->sentinel = s;
    fr__stage_register(srv, &sentinel_stage);
    fr__sentinel_retime(s);
    return s;
}

fr_sen_master *fr__sentinel_find(const struct fr_sentinel *s, const char *name, size_t len)
{
    for (int k = 0; s && k < s->nmasters; k++)
        if (strlen(s->masters[k]->inst.name) == len && !memcmp(s->masters[k]->inst.name, name, len))
            return s->masters[k];
    return NULL;
}

fr_sen_master *fr__sentinel_find_addr(const struct fr_sentinel *s, const char *ip, int port)
{
    for (int k = 0; s && k < s->nmasters; k++)
        if (s->masters[k]->inst.port == port && !strcmp(s->masters[k]->inst.ip, ip))
            return s->masters[k];
    return NULL;
}

int fr__sentinel_monitor(fr_server *srv, const fr_sentinel_hooks *h, const char *name,
                         const char *ip, int port, int quorum)
{
    struct fr_sentinel *s = fr__sentinel_state(srv, h);
    if (fr__sentinel_find(s, name, strlen(name)))
        return -1;
    if (s->nmasters == FR_SEN_MAX_MASTERS)
        return -2;
    fr_sen_master *m = fr__xcalloc(1, sizeof *m);
    m->s = s;
    inst_init(&m->inst, m, name, ip, port);
    m->quorum = quorum;
    m->parallel_syncs = 1;
    m->down_after = 30000; /* Redis' defaults */
    m->failover_timeout = 180000;
    s->masters[s->nmasters++] = m;
    /* look at once rather than a period from now: a test starts here */
    struct timeval now = {0, 0};
    evtimer_add(s->tick, &now);
    return 0;
}

static fr_sen_inst *find_replica(fr_sen_master *m, const char *ip, int port)
{
    for (int k = 0; k < m->nreplicas; k++)
        if (m->replicas[k]->port == port && !strcmp(m->replicas[k]->ip, ip))
            return m->replicas[k];
    return NULL;
}

void fr__sentinel_add_replica(fr_sen_master *m, const char *ip, int port)
{
    if (find_replica(m, ip, port) || m->nreplicas == FR_SEN_MAX_REPLICAS ||
        (m->inst.port == port && !strcmp(m->inst.ip, ip)))
        return;
    fr_sen_inst *r = fr__xcalloc(1, sizeof *r);
    inst_init(r, m, NULL, ip, port);
    m->replicas[m->nreplicas++] = r;
}

void fr__sentinel_remove(fr_sen_master *m)
{
    struct fr_sentinel *s = m->s;
    free_replicas(m);
    inst_free(&m->inst);
    for (int k = 0; k < s->nmasters; k++) {
        if (s->masters[k] == m) {
            memmove(s->masters + k, s->masters + k + 1,
                    (size_t)(s->nmasters - k - 1) * sizeof *s->masters);
            s->nmasters--;
            break;
        }
    }
    free(m);
}

/* A fresh start at ip:port (RESET, a switch): links and state go, the
 * settings stay. */
static void reset_master(fr_sen_master *m, const char *ip, int port)
{
    char name[96];
    snprintf(name, sizeof name, "%s", m->inst.name);
    free_replicas(m);
    inst_free(&m->inst);
    inst_init(&m->inst, m, name, ip, port);
    m->odown = 0;
    m->fo_state = FR_SEN_FO_NONE;
    m->promoted = NULL;
}

int fr__sentinel_reset(struct fr_sentinel *s, const char *pattern, size_t len)
{
    int n = 0;
    for (int k = 0; k < s->nmasters; k++) {
        fr_sen_master *m = s->masters[k];
        if (!fr__glob_match(pattern, len, m->inst.name, strlen(m->inst.name), 0))
            continue;
        char ip[64];
        snprintf(ip, sizeof ip, "%s", m->inst.ip);
        reset_master(m, ip, m->inst.port);
        fr__sen_event(&m->inst, "+reset-master", NULL);
        n++;
    }
    return n;
}

/* +switch-master: the promoted replica is the master now; the others and
 * the old master are its replicas (Redis announces each with +slave). */
void fr__sen_switch(fr_sen_master *m, const char *ip, int port)
{
    char oip[64];
    int oport = m->inst.port, n = 0, ports[FR_SEN_MAX_REPLICAS + 1];
    char ips[FR_SEN_MAX_REPLICAS + 1][64];
    snprintf(oip, sizeof oip, "%s", m->inst.ip);
    for (int k = 0; k < m->nreplicas; k++) {
        const fr_sen_inst *r = m->replicas[k];
        if (r->port == port && !strcmp(r->ip, ip))
            continue;
        snprintf(ips[n], sizeof ips[n], "%s", r->ip);
        ports[n++] = r->port;
    }
    snprintf(ips[n], sizeof ips[n], "%s", oip);
    ports[n++] = oport;
    char msg[256];
    snprintf(msg, sizeof msg, "%s %s %d %s %d", m->inst.name, oip, oport, ip, port);
    m->s->h->publish(m->s->srv, "+switch-master", msg);
    reset_master(m, ip, port);
    for (int k = 0; k < n; k++) {
        fr__sentinel_add_replica(m, ips[k], ports[k]);
        fr_sen_inst *r = find_replica(m, ips[k], ports[k]);
        if (r)
            fr__sen_event(r, "+slave", NULL);
    }
}

static void judge(fr_sen_inst *i, int64_t now)
{
    fr_sen_master *m = i->m;
    int down = now - i->last_ok_ping > m->down_after;
    if (down && !i->sdown) {
        i->sdown = 1;
        i->sdown_at = now;
        fr__sen_event(i, "+sdown", NULL);
    } else if (!down && i->sdown) {
        i->sdown = 0;
        fr__sen_event(i, "-sdown", NULL);
    }
}

/* A replica that says it is a master, or follows another one, outside a
 * failover: point it at the master (Redis waits a few info periods
 * first; one is enough to let a failover that just ended settle). */
static void fix_replica(fr_sen_inst *r, int64_t now)
{
    fr_sen_master *m = r->m;
    if (m->fo_state != FR_SEN_FO_NONE || m->inst.sdown || !r->connected || r->sdown || !r->infos ||
        now - r->convert_at < fr__sen_info_period(m) * 2)
        return;
    if (r->role == FR_SEN_ROLE_MASTER) {
        fr__sen_send_slaveof(r, m->inst.ip, m->inst.port);
        r->convert_at = now;
        fr__sen_event(r, "+convert-to-slave", NULL);
    } else if (r->master_port != m->inst.port || strcmp(r->master_host, m->inst.ip)) {
        fr__sen_send_slaveof(r, m->inst.ip, m->inst.port);
        r->convert_at = now;
        fr__sen_event(r, "+fix-slave-config", NULL);
    }
}

static void master_tick(fr_sen_master *m, int64_t now)
{
    fr__sen_link_tick(&m->inst, now);
    for (int k = 0; k < m->nreplicas; k++)
        fr__sen_link_tick(m->replicas[k], now);
    judge(&m->inst, now);
    for (int k = 0; k < m->nreplicas; k++)
        judge(m->replicas[k], now);
    /* the only Sentinel: its own opinion is the quorum when quorum is 1 */
    int odown = m->inst.sdown && m->quorum <= 1;
    if (odown && !m->odown) {
        m->odown = 1;
        m->odown_at = now;
        fr__sen_event(&m->inst, "+odown", " #quorum 1/%d", m->quorum);
    } else if (!odown && m->odown) {
        m->odown = 0;
        fr__sen_event(&m->inst, "-odown", NULL);
    }
    if (m->odown && m->fo_state == FR_SEN_FO_NONE && now >= m->fo_next_try)
        fr__sentinel_failover(m);
    fr__sen_failover_tick(m, now);
    for (int k = 0; k < m->nreplicas; k++)
        fix_replica(m->replicas[k], now);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct fr_sentinel *s = arg;
    int64_t now = fr__mono_ms();
    /* a switch may reorder nothing here: masters are never freed by a tick */
    for (int k = 0; k < s->nmasters; k++)
        master_tick(s->masters[k], now);
    fr__sentinel_retime(s);
}

const char *fr__sentinel_status(const fr_sen_master *m)
{
    return m->odown ? "odown" : m->inst.sdown ? "sdown" : "ok";
}

void fr__sentinel_flags(const fr_sen_inst *i, char *out, size_t cap)
{
    const fr_sen_master *m = i->m;
    snprintf(out, cap, "%s%s%s%s%s%s", i->is_master ? "master" : "slave", i->sdown ? ",s_down" : "",
             i->is_master && m->odown ? ",o_down" : "", i->connected ? "" : ",disconnected",
             i->is_master && m->fo_state != FR_SEN_FO_NONE ? ",failover_in_progress" : "",
             !i->is_master && m->promoted == i ? ",promoted" : "");
}

void fr__sentinel_info(fr_server *srv, fr_buf *o)
{
    const struct fr_sentinel *s = srv->sentinel;
    fr__buf_printf(o,
                   "# Sentinel\r\nsentinel_masters:%d\r\nsentinel_tilt:0\r\n"
                   "sentinel_tilt_since_seconds:-1\r\nsentinel_running_scripts:0\r\n"
                   "sentinel_scripts_queue_length:0\r\nsentinel_simulate_failure_flags:%d\r\n",
                   s->nmasters, s->simfail);
    for (int k = 0; k < s->nmasters; k++) {
        const fr_sen_master *m = s->masters[k];
        fr__buf_printf(o, "master%d:name=%s,status=%s,address=%s:%d,slaves=%d,sentinels=1\r\n", k,
                       m->inst.name, fr__sentinel_status(m), m->inst.ip, m->inst.port,
                       m->nreplicas);
    }
}
