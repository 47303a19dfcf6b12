/* The replication state and the master's side: the write stream, the
 * replicas' links (PSYNC, REPLCONF ACK), WAIT. See repl_engine.h. */
#include <stdlib.h>
#include <string.h>

#include "repl_private.h"

static const char *const effect_cmds[] = {
    /* random picks, times relative to the clock, generated ids: a replay
     * on the replica would not reproduce them; MIGRATE's effect is the
     * keys it deleted here (Redis propagates a DEL) */
    "spop",  "xadd",   "xclaim", "xautoclaim", "xtrim",          "expire",  "pexpire",
    "setex", "psetex", "getex",  "restore",    "restore-asking", "migrate", NULL,
};

/* ---- the stream -------------------------------------------------------- */

static void put_arg(fr_buf *b, const void *p, size_t n)
{
    fr__buf_putc(b, '$');
    fr__buf_put_ll(b, (long long)n);
    fr__buf_append(b, "\r\n", 2);
    fr__buf_append(b, p, n);
    fr__buf_append(b, "\r\n", 2);
}

static void put_head(fr_buf *b, int argc)
{
    fr__buf_putc(b, '*');
    fr__buf_put_ll(b, argc);
    fr__buf_append(b, "\r\n", 2);
}

void fr__repl_emit(struct fr_repl *r, int argc, const fr_arg *argv)
{
    put_head(&r->stream, argc);
    for (int i = 0; i < argc; i++)
        put_arg(&r->stream, argv[i].p, argv[i].len);
}

static void emit_words(struct fr_repl *r, const char *w1, const char *w2)
{
    fr_arg a[2] = {{w1, strlen(w1)}, {w2, w2 ? strlen(w2) : 0}};
    fr__repl_emit(r, w2 ? 2 : 1, a);
}

static void emit_select(struct fr_repl *r, int db)
{
    if (r->stream_db == db)
        return;
    char n[24];
    fr__ll2str(n, db);
    emit_words(r, "SELECT", n);
    r->stream_db = db;
}

/* RESTORE key abs-ttl payload REPLACE ABSTTL, or DEL: the key as it is. */
static void emit_key_state(struct fr_repl *r, fr_buf *out, int db, const char *k, size_t n)
{
    fr_keyspace *ks = r->srv->ks;
    fr_dict_entry *e = fr__dict_find(&fr__db(ks, db)->keys, k, n);
    if (!e || fr__db_is_expired(ks, db, k, n)) {
        put_head(out, 2);
        put_arg(out, "DEL", 3);
        put_arg(out, k, n);
        return;
    }
    fr_buf payload = {0};
    r->hooks->dump(e->v.p, &payload);
    int64_t exp = fr__db_get_expire(ks, db, k, n);
    char ttl[24];
    int tl = fr__ll2str(ttl, exp < 0 ? 0 : exp);
    put_head(out, 6);
    put_arg(out, "RESTORE", 7);
    put_arg(out, k, n);
    put_arg(out, ttl, (size_t)tl);
    put_arg(out, payload.p, payload.len);
    put_arg(out, "REPLACE", 7);
    put_arg(out, "ABSTTL", 6);
    fr__buf_free(&payload);
}

static int by_effect(const fr_cmd *cmd, int argc)
{
    if (cmd->flags & FR_CMD_BLOCKING)
        return 1; /* served later, maybe by another client's write */
    if (!(cmd->flags & FR_CMD_WRITE))
        return 1; /* may-replicate: scripts */
    if (!strcmp(cmd->name, "set"))
        return argc > 3; /* EX/PX are relative; plain SET replays */
    for (int i = 0; effect_cmds[i]; i++)
        if (!strcmp(cmd->name, effect_cmds[i]))
            return 1;
    return 0;
}

static void emit_effects(struct fr_repl *r)
{
    const char *p = r->touched.p, *end = p + r->touched.len;
    while (p < end) {
        int db;
        uint32_t n;
        memcpy(&db, p, sizeof db);
        memcpy(&n, p + sizeof db, sizeof n);
        const char *k = p + sizeof db + sizeof n;
        emit_select(r, db);
        emit_key_state(r, &r->stream, db, k, n);
        p = k + n;
    }
}

void fr__repl_feed(struct fr_repl *r)
{
    if (!r->stream.len)
        return;
    for (fr_repl_conn *rc = r->replicas; rc; rc = rc->next) {
        if (!fr__stage_output(rc->c, r->stream.p, r->stream.len))
            fr__conn_enqueue(rc->c, r->stream.p, r->stream.len);
    }
    r->offset += (long long)r->stream.len;
    fr__buf_clear(&r->stream);
}

static void reset_touched(struct fr_repl *r)
{
    fr__buf_clear(&r->touched);
    r->flushed = 0;
}

static int is_publish(const fr_cmd *cmd)
{
    return !strcmp(cmd->name, "publish") || !strcmp(cmd->name, "spublish");
}

/* A command ran: what it wrote goes to the replicas, as it ran. */
static void on_called(fr_conn *c, const fr_cmd *cmd, int argc, const fr_arg *argv)
{
    struct fr_repl *r = c->srv->repl;
    /* nobody to tell; or a write of a writable replica's own client,
     * which Redis keeps local */
    if (!r->backlog_first || (r->master_host && c != r->mc)) {
        reset_touched(r);
        return;
    }
    if (cmd->flags & FR_CMD_EXEC) {
        if (r->multi_open)
            emit_words(r, "EXEC", NULL);
        r->multi_open = 0;
    } else if (is_publish(cmd) || ((cmd->flags & (FR_CMD_WRITE | FR_CMD_MAY_REPLICATE)) &&
                                   (r->touched.len || r->flushed))) {
        if ((c->flags & FR_CONN_EXECUTING) && !r->multi_open) {
            emit_words(r, "MULTI", NULL);
            r->multi_open = 1;
        }
        if (is_publish(cmd) || !by_effect(cmd, argc)) {
            emit_select(r, c->db);
            fr__repl_emit(r, argc, argv);
        } else {
            emit_effects(r);
        }
    }
    reset_touched(r);
    fr__repl_feed(r);
}

/* ---- keyspace listener: what the running command touched --------------- */

static void on_modified(void *ctx, int db, const char *k, size_t n)
{
    fr_server *srv = ctx;
    struct fr_repl *r = srv->repl;
    if (!r || !r->backlog_first)
        return;
    uint32_t len = (uint32_t)n;
    fr__buf_append(&r->touched, &db, sizeof db);
    fr__buf_append(&r->touched, &len, sizeof len);
    fr__buf_append(&r->touched, k, n);
}

static void on_flushing(void *ctx, int db)
{
    fr_server *srv = ctx;
    if (srv->repl)
        srv->repl->flushed = 1;
}

static void on_swapped(void *ctx, int a, int b)
{
    on_flushing(ctx, a);
}

/* ---- snapshot ------------------------------------------------------------ */

/* The dataset as commands, the replica's first sync. */
static void snapshot(struct fr_repl *r, fr_buf *out)
{
    fr_keyspace *ks = r->srv->ks;
    for (int db = 0; db < ks->n; db++) {
        fr_db *d = fr__db(ks, db);
        if (!fr__dict_size(&d->keys))
            continue;
        char n[24];
        int nl = fr__ll2str(n, db);
        put_head(out, 2);
        put_arg(out, "SELECT", 6);
        put_arg(out, n, (size_t)nl);
        fr_dict_iter it;
        fr__dict_iter_start(&it, &d->keys);
        fr_dict_entry *e;
        while ((e = fr__dict_iter_next(&it)))
            if (!fr__db_is_expired(ks, db, e->key, e->klen))
                emit_key_state(r, out, db, e->key, e->klen);
        fr__dict_iter_end(&it);
    }
}

/* ---- the replicas' links ------------------------------------------------- */

static fr_repl_conn *link_of(fr_conn *c)
{
    if (!c->repl) {
        c->repl = fr__xcalloc(1, sizeof *c->repl);
        c->repl->c = c;
        c->repl->ack = -1;
    }
    return c->repl;
}

static int in_list(struct fr_repl *r, fr_repl_conn *rc)
{
    for (fr_repl_conn *x = r->replicas; x; x = x->next)
        if (x == rc)
            return 1;
    return 0;
}

int fr__repl_is_link(const fr_conn *c)
{
    return c->repl && c->srv->repl && in_list(c->srv->repl, c->repl);
}

int fr__repl_online(const struct fr_repl *r)
{
    int n = 0;
    for (fr_repl_conn *x = r ? r->replicas : NULL; x; x = x->next)
        n++;
    return n;
}

void fr__repl_drop_replicas(struct fr_repl *r)
{
    for (fr_repl_conn *x = r->replicas; x; x = x->next)
        fr__conn_close_async(x->c);
}

void fr__repl_psync(fr_conn *c, const fr_repl_hooks *h)
{
    struct fr_repl *r = fr__repl_state(c->srv, h);
    int psync = c->argc >= 3;
    long long off = 0;
    if (psync && !fr__arg_ll(c, &c->argv[2], &off))
        return;
    if (c->flags & FR_CONN_PSEUDO) {
        fr__add_error(c, "Replica can't be the fr_exec client");
        return;
    }
    if (psync && c->argc > 3 && fr__arg_is(&c->argv[3], "failover")) {
        /* our master hands over to us (FAILOVER): we lead from now on */
        const fr_arg *id = &c->argv[1];
        if (id->len != 40 || memcmp(id->p, r->replid, 40)) {
            fr__add_error(c, "PSYNC FAILOVER replid must match my replid.");
            return;
        }
        fr__repl_become_master(r);
    }
    if (r->master_host && r->link != FR_LINK_CONNECTED) {
        fr__add_error(c, "-NOMASTERLINK Can't SYNC while not connected with my master");
        return;
    }
    if (!r->backlog_first)
        r->backlog_first = r->offset + 1;
    fr_repl_conn *rc = link_of(c);
    if (!in_list(r, rc)) {
        rc->next = r->replicas;
        r->replicas = rc;
    }
    rc->ack_ms = fr__real_ms();
    /* the stream starts with a SELECT: the replica's db is unknown */
    r->stream_db = -1;
    fr_buf snap = {0};
    snapshot(r, &snap);
    fr_buf *o = &c->reply;
    if (psync)
        fr__buf_printf(o, "+FULLRESYNC %s %lld\r\n", r->replid, r->offset);
    fr__buf_printf(o, "$%zu\r\n", snap.len);
    fr__buf_append(o, snap.p ? snap.p : "", snap.len);
    fr__buf_free(&snap);
    fr__notify(c->srv);
}

/* Redis' REPLCONF: option/value pairs; ACK and GETACK are never answered. */
void fr__repl_replconf(fr_conn *c, const fr_repl_hooks *h)
{
    if (c->argc % 2 == 0) {
        fr__add_error(c, fr__err_syntax);
        return;
    }
    for (int j = 1; j < c->argc; j += 2) {
        const fr_arg *o = &c->argv[j], *v = &c->argv[j + 1];
        if (fr__arg_is(o, "listening-port")) {
            long long port;
            if (!fr__arg_ll(c, v, &port))
                return;
            if (!(c->flags & FR_CONN_PSEUDO))
                link_of(c)->port = (int)port;
        } else if (fr__arg_is(o, "ack")) {
            long long off;
            struct fr_repl *r = c->srv->repl;
            if (!c->repl || !r || !in_list(r, c->repl) || !fr__str2ll(v->p, v->len, &off))
                return;
            if (off > c->repl->ack)
                c->repl->ack = off;
            c->repl->ack_ms = fr__real_ms();
            fr__repl_check_waiters(r);
            fr__repl_failover_check(r);
            return;
        } else if (fr__arg_is(o, "getack")) {
            return; /* our replicas acknowledge every batch anyway */
        } else if (!fr__arg_is(o, "ip-address") && !fr__arg_is(o, "capa") &&
                   !fr__arg_is(o, "rdb-only")) {
            fr__add_errorf(c, "Unrecognized REPLCONF option: %.*s", (int)o->len, o->p);
            return;
        }
    }
    (void)h;
    fr__add_ok(c);
}

/* ---- WAIT ---------------------------------------------------------------- */

static int acked(const struct fr_repl *r, long long offset)
{
    int n = 0;
    for (fr_repl_conn *x = r->replicas; x; x = x->next)
        if (x->ack >= offset)
            n++;
    return n;
}

/* End w's WAIT with the count acknowledged so far, or with err. */
static void unwait_with(fr_repl_waiter *w, const char *err)
{
    struct fr_repl *r = w->r;
    for (fr_repl_waiter **pp = &r->waiters; *pp; pp = &(*pp)->next) {
        if (*pp == w) {
            *pp = w->next;
            break;
        }
    }
    if (w->timer)
        event_free(w->timer);
    fr_conn *c = w->c;
    c->flags &= ~(unsigned)FR_CONN_BLOCKED;
    if (err)
        fr__add_error(c, err);
    else
        fr__add_ll(c, acked(r, w->offset));
    free(w);
    fr__conn_commit_reply(c);
    fr__conn_resume(c);
}

static void unwait(fr_repl_waiter *w)
{
    unwait_with(w, NULL);
}

int fr__repl_unblock(fr_conn *c, int with_error)
{
    struct fr_repl *r = c->srv->repl;
    for (fr_repl_waiter *w = r ? r->waiters : NULL; w; w = w->next) {
        if (w->c == c) {
            unwait_with(w, with_error ? "-UNBLOCKED client unblocked via CLIENT UNBLOCK" : NULL);
            return 1;
        }
    }
    return 0;
}

static void on_wait_timeout(evutil_socket_t fd, short what, void *arg)
{
    fr_repl_waiter *w = arg;
    fr_server *srv = w->r->srv;
    unwait(w);
    fr__flush_pending(srv);
    fr__notify(srv);
}

void fr__repl_check_waiters(struct fr_repl *r)
{
    fr_repl_waiter *w = r->waiters;
    while (w) {
        fr_repl_waiter *next = w->next;
        if (acked(r, w->offset) >= w->want)
            unwait(w);
        w = next;
    }
}

void fr__repl_wait(fr_conn *c, const fr_repl_hooks *h, long long numreplicas, long long timeout)
{
    struct fr_repl *r = fr__repl_state(c->srv, h);
    /* what this client may have written: everything streamed so far */
    long long offset = r->offset;
    int n = acked(r, offset);
    if (n >= numreplicas || (c->flags & (FR_CONN_EXECUTING | FR_CONN_PSEUDO))) {
        fr__add_ll(c, n);
        return;
    }
    fr_repl_waiter *w = fr__xcalloc(1, sizeof *w);
    w->c = c;
    w->r = r;
    w->offset = offset;
    w->want = numreplicas;
    if (timeout > 0) {
        w->timer = evtimer_new(c->srv->base, on_wait_timeout, w);
        struct timeval tv = {(time_t)(timeout / 1000), (suseconds_t)(timeout % 1000) * 1000};
        evtimer_add(w->timer, &tv);
    }
    w->next = r->waiters;
    r->waiters = w;
    c->flags |= FR_CONN_BLOCKED;
}

/* ---- the state and its stages -------------------------------------------- */

static void on_close(fr_conn *c)
{
    struct fr_repl *r = c->srv->repl;
    if (c == r->mc)
        r->mc = NULL;
    for (fr_repl_waiter **pp = &r->waiters; *pp; pp = &(*pp)->next) {
        if ((*pp)->c == c) {
            fr_repl_waiter *w = *pp;
            *pp = w->next;
            if (w->timer)
                event_free(w->timer);
            free(w);
            break;
        }
    }
    if (c->repl) {
        for (fr_repl_conn **pp = &r->replicas; *pp; pp = &(*pp)->next) {
            if (*pp == c->repl) {
                *pp = c->repl->next;
                break;
            }
        }
        free(c->repl);
        c->repl = NULL;
        fr__notify(c->srv);
    }
}

static void on_cron(fr_server *srv)
{
    struct fr_repl *r = srv->repl;
    fr__repl_link_cron(r);
    fr__repl_failover_check(r);
}

static void on_stop(fr_server *srv)
{
    struct fr_repl *r = srv->repl;
    fr__repl_link_free(r);
    while (r->waiters) {
        fr_repl_waiter *w = r->waiters;
        r->waiters = w->next;
        if (w->timer)
            event_free(w->timer);
        free(w);
    }
    fr__buf_free(&r->touched);
    fr__buf_free(&r->stream);
    free(r->fo_host);
    free(r);
    srv->repl = NULL;
}

int fr__repl_good_replicas(const fr_server *srv)
{
    const struct fr_repl *r = srv->repl;
    int64_t now = fr__real_ms();
    int n = 0;
    /* Redis' lag: whole seconds since the last ACK */
    for (fr_repl_conn *x = r ? r->replicas : NULL; x; x = x->next)
        if ((now - x->ack_ms) / 1000 <= srv->cfg.min_replicas_max_lag)
            n++;
    return n;
}

/* min-replicas-to-write on a master: too few replicas acknowledged
 * within min-replicas-max-lag for a write to go in. */
static int too_few_replicas(const fr_server *srv)
{
    const fr_config *cfg = &srv->cfg;
    return !srv->repl->master_host && cfg->min_replicas_to_write && cfg->min_replicas_max_lag &&
           fr__repl_good_replicas(srv) < cfg->min_replicas_to_write;
}

/* A master's -NOREPLICAS and a replica's -READONLY, where Redis checks
 * them: after auth, MULTI's refusals and the cluster's redirections,
 * before pub/sub mode. */
static int on_admit(fr_conn *c, const fr_cmd *cmd, int argc, const fr_arg *argv)
{
    struct fr_repl *r = c->srv->repl;
    const fr_config *cfg = &c->srv->cfg;
    if (!(cmd->flags & FR_CMD_WRITE))
        return 0;
    if (too_few_replicas(c->srv)) {
        fr__reject(c, "-NOREPLICAS Not enough good replicas to write.");
        return 1;
    }
    if (r->master_host && c != r->mc && cfg->replica_read_only) {
        fr__reject(c, "-READONLY You can't write against a read only replica.");
        return 1;
    }
    return 0;
}

/* The same inside a script: after the script's ACL and read-only checks,
 * as Redis; after the cluster's too (the stages' order), where Redis checks
 * it before them: a cluster node with min-replicas-to-write alone could
 * tell. */
static int on_script_route(fr_conn *c, const fr_cmd *cmd, int argc, const fr_arg *argv,
                           fr_script_keys *sk)
{
    (void)argc;
    (void)argv;
    (void)sk;
    return (cmd->flags & FR_CMD_WRITE) && too_few_replicas(c->srv) ? FR_DENIED_NOREPLICAS : 0;
}

static const fr_stage_ops repl_stage = {
    .name = "replication",
    .order = 60, /* after the recorder and MONITOR have seen the command */
    .admit = on_admit,
    .script_route = on_script_route,
    .called = on_called,
    .close = on_close,
    .cron = on_cron,
    .stop = on_stop,
};

void fr__repl_new_replid(struct fr_repl *r)
{
    static const char hex[] = "0123456789abcdef";
    uint64_t rng = fr__rng_seed(r);
    for (int i = 0; i < 40; i++)
        r->replid[i] = hex[fr__rng_next(&rng) >> 60];
    r->replid[40] = '\0';
}

struct fr_repl *fr__repl_state(fr_server *srv, const fr_repl_hooks *hooks)
{
    if (srv->repl)
        return srv->repl;
    struct fr_repl *r = fr__xcalloc(1, sizeof *r);
    r->srv = srv;
    r->hooks = hooks;
    r->second_offset = -1;
    r->stream_db = -1;
    r->snap_left = -1;
    memset(r->replid2, '0', 40);
    fr__parser_init(&r->parser);
    r->parser.max_bulk_len = 1LL << 40; /* the master's values, whatever our limit */
    fr__repl_new_replid(r);
    srv->repl = r;
    fr__stage_register(srv, &repl_stage);
    fr_keyspace_listener l = {
        .modified = on_modified, .flushing = on_flushing, .swapped = on_swapped, .ctx = srv};
    fr__keyspace_listen(srv->ks, &l);
    return r;
}

int fr__repl_is_replica(const fr_server *srv)
{
    return srv->repl && srv->repl->master_host;
}

int fr__repl_connected_replicas(const fr_server *srv)
{
    return fr__repl_online(srv->repl);
}

long long fr__repl_offset(const fr_server *srv)
{
    return srv->repl ? srv->repl->offset : 0;
}
