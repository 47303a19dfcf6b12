/* Roles: ROLE, INFO replication, REPLICAOF and FAILOVER, with Redis 7.0's
 * replies. See repl_engine.h. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "repl_private.h"

/* ~30 years: a failover without TIMEOUT holds writes until it ends */
#define PAUSE_FOREVER_MS (1000LL * 3600 * 24 * 365 * 30)

static const char *const link_names[] = {"none",      "connect", "connecting",
                                         "handshake", "sync",    "connected"};
static const char *const fo_names[] = {"no-failover", "waiting-for-sync", "failover-in-progress"};

/* The replica's IP as the master reports it: its peer address. */
static void replica_ip(const fr_repl_conn *rc, char *ip, size_t cap)
{
    const char *a = fr__conn_addr(rc->c);
    const char *colon = strrchr(a, ':');
    size_t n = colon ? (size_t)(colon - a) : strlen(a);
    if (n && a[0] == '[' && a[n - 1] == ']') {
        a++;
        n -= 2;
    }
    if (n >= cap)
        n = cap - 1;
    memcpy(ip, a, n);
    ip[n] = '\0';
}

static int count_replicas(const struct fr_repl *r)
{
    return fr__repl_online(r);
}

void fr__repl_role(fr_conn *c)
{
    struct fr_repl *r = c->srv->repl;
    if (r && r->master_host) {
        fr__add_array(c, 5);
        fr__add_bulk_cstr(c, "slave");
        fr__add_bulk_cstr(c, r->master_host);
        fr__add_ll(c, r->master_port);
        fr__add_bulk_cstr(c, link_names[r->link]);
        fr__add_ll(c, r->link == FR_LINK_CONNECTED ? r->offset : -1);
        return;
    }
    fr__add_array(c, 3);
    fr__add_bulk_cstr(c, "master");
    fr__add_ll(c, r ? r->offset : 0);
    int n = count_replicas(r);
    fr__add_array(c, n);
    /* in the order they connected, as Redis lists them */
    fr_repl_conn *list[256];
    int k = 0;
    for (fr_repl_conn *x = r ? r->replicas : NULL; x && k < 256; x = x->next)
        list[k++] = x;
    for (int i = k - 1; i >= 0; i--) {
        char ip[64];
        replica_ip(list[i], ip, sizeof ip);
        fr__add_array(c, 3);
        fr__add_bulk_cstr(c, ip);
        fr__add_bulk_ll(c, list[i]->port);
        fr__add_bulk_ll(c, list[i]->ack < 0 ? 0 : list[i]->ack);
    }
}

void fr__repl_info(fr_server *srv, fr_buf *o)
{
    struct fr_repl *r = srv->repl;
    int64_t now = fr__real_ms();
    fr__buf_puts(o, "# Replication\r\n");
    if (r && r->master_host) {
        int up = r->link == FR_LINK_CONNECTED;
        fr__buf_printf(o,
                       "role:slave\r\nmaster_host:%s\r\nmaster_port:%d\r\n"
                       "master_link_status:%s\r\nmaster_last_io_seconds_ago:%d\r\n"
                       "master_sync_in_progress:%d\r\nslave_read_repl_offset:%lld\r\n"
                       "slave_repl_offset:%lld\r\n",
                       r->master_host, r->master_port, up ? "up" : "down",
                       up ? (int)((now - r->last_io_ms) / 1000) : -1, r->link == FR_LINK_SYNC,
                       up ? r->read_offset : r->offset, r->offset);
        if (!up)
            fr__buf_printf(o, "master_link_down_since_seconds:%lld\r\n",
                           r->ever_up ? (long long)((now - r->down_since_ms) / 1000) : -1LL);
        fr__buf_printf(o, "slave_priority:%lld\r\nslave_read_only:%d\r\nreplica_announced:%d\r\n",
                       srv->cfg.replica_priority, srv->cfg.replica_read_only ? 1 : 0,
                       srv->cfg.replica_announced ? 1 : 0);
    } else {
        fr__buf_puts(o, "role:master\r\n");
    }
    int n = count_replicas(r);
    fr__buf_printf(o, "connected_slaves:%d\r\n", n);
    if (srv->cfg.min_replicas_to_write && srv->cfg.min_replicas_max_lag)
        fr__buf_printf(o, "min_slaves_good_slaves:%d\r\n", fr__repl_good_replicas(srv));
    fr_repl_conn *list[256];
    int k = 0;
    for (fr_repl_conn *x = r ? r->replicas : NULL; x && k < 256; x = x->next)
        list[k++] = x;
    for (int i = k - 1, j = 0; i >= 0; i--, j++) {
        char ip[64];
        replica_ip(list[i], ip, sizeof ip);
        fr__buf_printf(o, "slave%d:ip=%s,port=%d,state=online,offset=%lld,lag=%lld\r\n", j, ip,
                       list[i]->port, list[i]->ack < 0 ? 0 : list[i]->ack,
                       (long long)((now - list[i]->ack_ms) / 1000));
    }
    char zeros[41];
    memset(zeros, '0', 40);
    zeros[40] = '\0';
    long long first = r ? r->backlog_first : 0, off = r ? r->offset : 0;
    fr__buf_printf(o,
                   "master_failover_state:%s\r\nmaster_replid:%s\r\nmaster_replid2:%s\r\n"
                   "master_repl_offset:%lld\r\nsecond_repl_offset:%lld\r\n"
                   "repl_backlog_active:%d\r\nrepl_backlog_size:%lld\r\n"
                   "repl_backlog_first_byte_offset:%lld\r\nrepl_backlog_histlen:%lld\r\n",
                   fo_names[r ? r->fo_state : 0], r ? r->replid : zeros, r ? r->replid2 : zeros,
                   off, r ? r->second_offset : -1, first > 0, srv->cfg.repl_backlog_size, first,
                   first > 0 ? off - first + 1 : 0);
}

/* ---- REPLICAOF ----------------------------------------------------------- */

static void unblock_waiters(struct fr_repl *r)
{
    while (r->waiters) {
        fr_repl_waiter *w = r->waiters;
        r->waiters = w->next;
        if (w->timer)
            event_free(w->timer);
        fr_conn *c = w->c;
        free(w);
        c->flags &= ~(unsigned)FR_CONN_BLOCKED;
        fr__add_error(c, "-UNBLOCKED force unblock from blocking operation, instance state "
                         "changed (master -> replica?)");
        fr__conn_commit_reply(c);
        fr__conn_resume(c);
    }
}

/* CONFIG GET replicaof: "HOST PORT" of the master, "" for a master. */
static void note_master(struct fr_repl *r)
{
    fr_buf line = {0};
    if (r->master_host)
        fr__buf_printf(&line, "%s %d", r->master_host, r->master_port);
    free(r->srv->cfg.replicaof);
    r->srv->cfg.replicaof = fr__xstrdup(line.p ? line.p : "");
    fr__buf_free(&line);
}

void fr__repl_become_master(struct fr_repl *r)
{
    if (!r->master_host)
        return;
    fr__repl_link_stop(r);
    free(r->master_host);
    r->master_host = NULL;
    r->master_port = 0;
    note_master(r);
    /* a new history starts here; the old one stays known as replid2 */
    memcpy(r->replid2, r->replid, 41);
    r->second_offset = r->offset + 1;
    fr__repl_new_replid(r);
    r->stream_db = -1;
    fr__notify(r->srv);
}

void fr__repl_set_master(struct fr_repl *r, const char *host, int port)
{
    free(r->master_host);
    r->master_host = fr__xstrdup(host);
    r->master_port = port;
    note_master(r);
    r->ever_up = 0;
    unblock_waiters(r);
    fr__repl_drop_replicas(r);
    fr__repl_link_start(r);
    fr__notify(r->srv);
}

void fr__repl_replicaof(fr_conn *c, const fr_repl_hooks *h, const char *host, int port)
{
    struct fr_repl *r = c->srv->repl;
    if (r && r->fo_state != FR_FO_NONE) {
        fr__add_error(c, "REPLICAOF not allowed while failing over.");
        return;
    }
    if (!host) {
        if (r)
            fr__repl_become_master(r);
        fr__add_ok(c);
        return;
    }
    r = fr__repl_state(c->srv, h);
    if (r->master_host && !strcasecmp(r->master_host, host) && r->master_port == port) {
        fr__add_status(c, "OK Already connected to specified master");
        return;
    }
    fr__repl_set_master(r, host, port);
    fr__add_ok(c);
}

/* ---- FAILOVER ------------------------------------------------------------ */

static fr_repl_conn *find_replica(struct fr_repl *r, const char *host, int port)
{
    for (fr_repl_conn *x = r->replicas; x; x = x->next) {
        char ip[64];
        replica_ip(x, ip, sizeof ip);
        if (x->port == port && !strcasecmp(ip, host))
            return x;
    }
    return NULL;
}

static void failover_end(struct fr_repl *r)
{
    r->fo_state = FR_FO_NONE;
    free(r->fo_host);
    r->fo_host = NULL;
    r->fo_deadline = 0;
    r->fo_force = 0;
    fr__server_unpause(r->srv);
    fr__notify(r->srv);
}

static void abort_failover(struct fr_repl *r)
{
    if (r->fo_state == FR_FO_IN_PROGRESS)
        fr__repl_become_master(r); /* the target never took over */
    failover_end(r);
}

void fr__repl_failover_done(struct fr_repl *r)
{
    r->psync_failover = 0;
    if (r->fo_state == FR_FO_IN_PROGRESS)
        failover_end(r);
}

static void hand_over(struct fr_repl *r, const char *host, int port)
{
    r->fo_state = FR_FO_IN_PROGRESS;
    char *h = fr__xstrdup(host);
    /* as Redis: the master turns replica of its target and its PSYNC
     * carries FAILOVER, which makes the target a master */
    free(r->master_host);
    r->master_host = h;
    r->master_port = port;
    note_master(r);
    r->psync_failover = 1;
    r->ever_up = 0;
    unblock_waiters(r);
    fr__repl_drop_replicas(r);
    fr__repl_link_start(r);
    fr__notify(r->srv);
}

void fr__repl_failover_check(struct fr_repl *r)
{
    if (r->fo_state == FR_FO_IN_PROGRESS) {
        /* the target refused or vanished: stay master, as Redis does */
        if (r->link == FR_LINK_CONNECT)
            abort_failover(r);
        return;
    }
    if (r->fo_state != FR_FO_WAIT_SYNC)
        return;
    fr_repl_conn *target = NULL;
    if (r->fo_host) {
        target = find_replica(r, r->fo_host, r->fo_port);
    } else {
        for (fr_repl_conn *x = r->replicas; x && !target; x = x->next)
            if (x->ack >= r->offset)
                target = x;
    }
    int expired = r->fo_deadline && fr__real_ms() >= r->fo_deadline;
    if (target && (target->ack >= r->offset || (expired && r->fo_force))) {
        char ip[64];
        replica_ip(target, ip, sizeof ip);
        hand_over(r, ip, target->port);
    } else if (expired || (r->fo_host && !target)) {
        abort_failover(r);
    }
}

void fr__repl_failover(fr_conn *c, const fr_repl_hooks *h, const char *host, int port,
                       long long timeout_ms, int force, int abort_it)
{
    struct fr_repl *r = c->srv->repl;
    if (abort_it) {
        if (!r || r->fo_state == FR_FO_NONE) {
            fr__add_error(c, "No failover in progress.");
            return;
        }
        abort_failover(r);
        fr__add_ok(c);
        return;
    }
    if (r && r->master_host) {
        fr__add_error(c, "FAILOVER is not valid when server is a replica.");
        return;
    }
    if (!count_replicas(r)) {
        fr__add_error(c, "FAILOVER requires connected replicas.");
        return;
    }
    if (force && (!timeout_ms || !host)) {
        fr__add_error(c, "FAILOVER with force option requires both a timeout and target HOST "
                         "and PORT.");
        return;
    }
    if (r->fo_state != FR_FO_NONE) {
        fr__add_error(c, "FAILOVER already in progress.");
        return;
    }
    if (host && !find_replica(r, host, port)) {
        fr__add_error(c, "FAILOVER target HOST and PORT is not a replica.");
        return;
    }
    (void)h;
    r->fo_state = FR_FO_WAIT_SYNC;
    r->fo_host = host ? fr__xstrdup(host) : NULL;
    r->fo_port = port;
    r->fo_force = force;
    r->fo_deadline = timeout_ms ? fr__real_ms() + timeout_ms : 0;
    /* no more writes while the replica catches up */
    fr__server_pause(c->srv, fr__real_ms() + PAUSE_FOREVER_MS, 0);
    fr__add_ok(c);
    fr__repl_failover_check(r);
}
