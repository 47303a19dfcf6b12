/* Client-side caching: the tracking table, invalidation messages and the
 * stage that knows which client runs a command. See tracking_engine.h. */
#include "tracking_engine.h"

#include <stdlib.h>
#include <string.h>

#include "data.h"

/* An invalidation the running command caused to its own client. */
struct fr_trk_pending {
    char *key; /* NULL: a flush */
    size_t len;
};

static void free_ids(fr_dict_val v, void *ctx)
{
    fr__dict_free(v.p);
}

static const fr_dict_type ids_owner = {free_ids};

/* ---- sending ------------------------------------------------------------ */

static void put_bulk(fr_buf *b, const char *p, size_t n)
{
    fr__buf_putc(b, '$');
    fr__buf_put_ll(b, (long long)n);
    fr__buf_append(b, "\r\n", 2);
    fr__buf_append(b, p, n);
    fr__buf_append(b, "\r\n", 2);
}

static void put_header(fr_buf *b, char kind, long long n)
{
    fr__buf_putc(b, kind);
    fr__buf_put_ll(b, n);
    fr__buf_append(b, "\r\n", 2);
}

/* Out of band, like a pub/sub message: past CLIENT REPLY, through the
 * output stage (faults, recording). */
static void emit(fr_conn *c, const fr_buf *b)
{
    if (c->flags & FR_CONN_CLOSE_ASAP)
        return;
    if (!fr__stage_output(c, b->p, b->len))
        fr__conn_enqueue(c, b->p, b->len);
}

void fr__trk_send(fr_conn *c, const char *const *keys, const size_t *lens, size_t n)
{
    struct fr_tracking_conn *tc = c->track;
    fr_conn *to = c;
    int redirected = 0;
    fr_buf b = {0};
    if (tc && tc->redirect) {
        to = fr__conn_by_id(c->srv, tc->redirect);
        if (!to || (to->flags & FR_CONN_CLOSE_ASAP)) {
            /* Redis tells a RESP3 client, each time, that nobody hears */
            tc->flags |= FR_TRK_BROKEN_REDIR;
            if (c->resp >= 3) {
                put_header(&b, '>', 2);
                put_bulk(&b, "tracking-redir-broken", 21);
                put_header(&b, ':', (long long)tc->redirect);
                emit(c, &b);
            }
            fr__buf_free(&b);
            return;
        }
        redirected = 1;
    }
    if (to->resp >= 3) {
        put_header(&b, '>', 2);
        put_bulk(&b, "invalidate", 10);
    } else if (redirected && (to->flags & FR_CONN_PUBSUB)) {
        put_header(&b, '*', 3);
        put_bulk(&b, "message", 7);
        put_bulk(&b, "__redis__:invalidate", 20);
    } else {
        return; /* a RESP2 client can't take pushes */
    }
    if (!keys) {
        /* the tracking client's own null, as Redis encodes it */
        fr__buf_puts(&b, c->resp >= 3 ? "_\r\n" : "$-1\r\n");
    } else {
        put_header(&b, '*', (long long)n);
        for (size_t i = 0; i < n; i++)
            put_bulk(&b, keys[i], lens[i]);
    }
    emit(to, &b);
    fr__buf_free(&b);
}

static void send_one(fr_conn *c, const char *k, size_t n)
{
    fr__trk_send(c, k ? &k : NULL, &n, 1);
}

/* Invalidation for c caused while c runs a command waits for the reply. */
static void defer_self(struct fr_tracking *t, const char *k, size_t n)
{
    if (t->nself == t->self_cap) {
        t->self_cap = t->self_cap ? t->self_cap * 2 : 8;
        t->self = fr__xrealloc(t->self, t->self_cap * sizeof *t->self);
    }
    struct fr_trk_pending *p = &t->self[t->nself++];
    p->key = k ? fr__xmalloc(n ? n : 1) : NULL;
    if (k && n)
        memcpy(p->key, k, n);
    p->len = n;
}

static void drop_self(struct fr_tracking *t)
{
    for (size_t i = 0; i < t->nself; i++)
        free(t->self[i].key);
    t->nself = 0;
}

static void to_client(struct fr_tracking *t, fr_conn *c, const char *k, size_t n)
{
    if (c == t->current)
        defer_self(t, k, n);
    else
        send_one(c, k, n);
}

/* ---- the keyspace's events ---------------------------------------------- */

static int tracking_on(const fr_conn *c)
{
    return c && c->track && (c->track->flags & FR_TRK_ON);
}

/* Tell the clients that read key k, and forget it. A modification's
 * message to the client running the command waits for its reply; the
 * table's limit (after the reply) sends at once (deferred 0). */
static void invalidate_key(struct fr_tracking *t, const char *k, size_t n, int deferred)
{
    fr_dict_entry *e = fr__dict_find(&t->table, k, n);
    if (!e)
        return;
    fr_dict *ids = e->v.p;
    fr_dict_iter it;
    fr_dict_entry *ie;
    fr__dict_iter_start(&it, ids);
    while ((ie = fr__dict_iter_next(&it))) {
        uint64_t id;
        memcpy(&id, ie->key, sizeof id);
        fr_conn *c = fr__conn_by_id(t->srv, id);
        /* a client that turned tracking off (or to BCAST) since it read
         * the key is skipped; the entry goes all the same */
        if (!tracking_on(c) || (c->track->flags & FR_TRK_BCAST))
            continue;
        if ((c->track->flags & FR_TRK_NOLOOP) && c == t->current)
            continue;
        if (deferred)
            to_client(t, c, k, n);
        else
            send_one(c, k, n);
    }
    fr__dict_iter_end(&it);
    t->items -= fr__dict_size(ids);
    fr__dict_delete(&t->table, k, n);
}

static void on_modified(void *ctx, int db, const char *k, size_t n)
{
    struct fr_tracking *t = ctx;
    (void)db;
    if (fr__dict_size(&t->prefixes))
        fr__trk_bcast_key(t, k, n, t->current ? t->current->id : 0);
    invalidate_key(t, k, n, 1);
}

/* Over tracking-table-max-keys (0: no limit), random keys are invalidated
 * after a command (Redis: before the loop sleeps): at most 100 per run, 100 more for
 * each run in a row that could not get under it. */
static void limit_table(struct fr_tracking *t)
{
    size_t max = (size_t)t->srv->cfg.tracking_table_max_keys;
    if (!max || !t->clients || fr__dict_size(&t->table) <= max) {
        t->over_limit_runs = 0;
        return;
    }
    for (int effort = 100 * (t->over_limit_runs + 1); effort > 0; effort--) {
        fr_dict_entry *e = fr__dict_random(&t->table);
        if (!e)
            break;
        /* the key is freed with its entry: invalidate from a copy */
        size_t n = e->klen;
        char *k = fr__xmemdup(e->key, n);
        invalidate_key(t, k, n, 0);
        free(k);
        if (fr__dict_size(&t->table) <= max) {
            t->over_limit_runs = 0;
            return;
        }
    }
    t->over_limit_runs++;
}

/* One null invalidation per FLUSHDB/FLUSHALL to every tracking client,
 * and an empty table. The keyspace reports a FLUSHALL once per database,
 * in order: only the first of those counts. */
static void on_flushing(void *ctx, int db)
{
    struct fr_tracking *t = ctx;
    fr_server *srv = t->srv;
    if (srv->stats.commands == t->flush_cmds && db > t->flush_db) {
        t->flush_db = db;
        return;
    }
    t->flush_cmds = srv->stats.commands;
    t->flush_db = db;
    for (fr_conn *c = srv->conns; c; c = c->next)
        if (tracking_on(c))
            to_client(t, c, NULL, 0);
    fr__dict_clear(&t->table);
    t->items = 0;
}

/* ---- remembering what a client read ------------------------------------ */

static void remember(struct fr_tracking *t, fr_conn *c, const fr_arg *k)
{
    fr_dict_entry *existing = NULL;
    fr_dict_entry *e = fr__dict_add(&t->table, k->p, k->len, &existing);
    if (e)
        e->v.p = fr__dict_new(NULL, NULL);
    else
        e = existing;
    if (fr__dict_add(e->v.p, &c->id, sizeof c->id, NULL))
        t->items++;
}

/* The keys of a read-only command, as Redis finds them (its key specs). */
static void remember_keys(struct fr_tracking *t, fr_conn *c, const fr_cmd *cmd, int argc,
                          const fr_arg *argv)
{
    fr_keylist keys;
    fr__keys_init(&keys);
    int n = fr__command_keys(c->srv->cmds, cmd, argc, argv, &keys);
    for (int i = 0; i < n; i++)
        remember(t, c, &argv[keys.v[i].pos]);
    fr__keys_free(&keys);
}

/* ---- the stage ---------------------------------------------------------- */

static int stage_before(fr_conn *c, const fr_cmd *cmd, int argc, const fr_arg *argv)
{
    struct fr_tracking *t = c->srv->tracking;
    t->current = c;
    t->current_client_cmd = cmd && cmd->parent && !strcmp(cmd->parent, "client");
    return 0;
}

static void stage_called(fr_conn *c, const fr_cmd *cmd, int argc, const fr_arg *argv)
{
    if (!tracking_on(c))
        return;
    if (!strcmp(cmd->name, "reset")) { /* RESET turns tracking off, as in Redis */
        fr__tracking_disable(c);
        return;
    }
    if (!(cmd->flags & FR_CMD_READONLY))
        return;
    unsigned f = c->track->flags;
    if (f & FR_TRK_BCAST)
        return;
    if ((f & FR_TRK_OPTIN) && !(f & FR_TRK_CACHING))
        return;
    if ((f & FR_TRK_OPTOUT) && (f & FR_TRK_CACHING))
        return;
    remember_keys(c->srv->tracking, c, cmd, argc, argv);
}

static void stage_after(fr_server *srv)
{
    struct fr_tracking *t = srv->tracking;
    fr_conn *c = t->current;
    if (!c) {
        limit_table(t);
        return;
    }
    t->current = NULL;
    for (size_t i = 0; i < t->nself; i++)
        send_one(c, t->self[i].key, t->self[i].len);
    drop_self(t);
    /* CLIENT CACHING lasts one command (all of MULTI ... EXEC) */
    if (c->track && !(c->flags & FR_CONN_MULTI) && !t->current_client_cmd)
        c->track->flags &= ~(unsigned)FR_TRK_CACHING;
    limit_table(t);
}

static void free_conn_state(fr_conn *c)
{
    struct fr_tracking_conn *tc = c->track;
    if (!tc)
        return;
    for (size_t i = 0; i < tc->nprefixes; i++)
        free(tc->prefixes[i]);
    free(tc->prefixes);
    free(tc->prefix_lens);
    free(tc);
    c->track = NULL;
}

static void stage_close(fr_conn *c)
{
    struct fr_tracking *t = c->srv->tracking;
    if (t->current == c) {
        t->current = NULL;
        drop_self(t);
    }
    if (tracking_on(c))
        fr__tracking_disable(c);
    free_conn_state(c);
}

static void stage_stop(fr_server *srv)
{
    struct fr_tracking *t = srv->tracking;
    if (!t)
        return;
    drop_self(t);
    free(t->self);
    fr__trk_bcast_free(t);
    fr__dict_clear(&t->table);
    if (t->bcast_ev)
        event_free(t->bcast_ev);
    free(t);
    srv->tracking = NULL;
}

/* After the recorder and MONITOR (lower orders), so they see a command
 * before the invalidations it causes. */
static const fr_stage_ops tracking_stage = {
    .name = "tracking",
    .order = 60,
    .before_command = stage_before,
    .called = stage_called,
    .after_command = stage_after,
    .close = stage_close,
    .stop = stage_stop,
};

static void on_bcast_ev(evutil_socket_t fd, short what, void *arg)
{
    struct fr_tracking *t = arg;
    t->bcast_armed = 0;
    fr__trk_bcast_send(t);
    fr__flush_pending(t->srv);
}

static struct fr_tracking *server_state(fr_server *srv)
{
    if (!srv->tracking) {
        struct fr_tracking *t = fr__xcalloc(1, sizeof *t);
        t->srv = srv;
        t->flush_cmds = UINT64_MAX;
        fr__dict_init(&t->table, &ids_owner, NULL);
        fr__dict_init(&t->prefixes, NULL, NULL);
        t->bcast_ev = event_new(srv->base, -1, 0, on_bcast_ev, t);
        srv->tracking = t;
        fr__stage_register(srv, &tracking_stage);
        fr_keyspace_listener l = {.modified = on_modified, .flushing = on_flushing, .ctx = t};
        fr__keyspace_listen(srv->ks, &l);
    }
    return srv->tracking;
}

/* The BCAST keys of this loop iteration go out once it has run every
 * ready client, as Redis' beforeSleep does. */
void fr__trk_bcast_arm(struct fr_tracking *t)
{
    if (!t->bcast_armed) {
        t->bcast_armed = 1;
        event_active(t->bcast_ev, EV_TIMEOUT, 0);
    }
}

/* ---- CLIENT TRACKING ---------------------------------------------------- */

void fr__tracking_enable(fr_conn *c, unsigned options, uint64_t redirect, const fr_arg *prefixes,
                         size_t nprefixes)
{
    struct fr_tracking *t = server_state(c->srv);
    if (!c->track)
        c->track = fr__xcalloc(1, sizeof *c->track);
    struct fr_tracking_conn *tc = c->track;
    if (!(tc->flags & FR_TRK_ON))
        t->clients++;
    unsigned keep = tc->flags & FR_TRK_CACHING;
    tc->flags = FR_TRK_ON | keep |
                (options & (FR_TRK_BCAST | FR_TRK_OPTIN | FR_TRK_OPTOUT | FR_TRK_NOLOOP));
    tc->redirect = redirect;
    if (options & FR_TRK_BCAST) {
        if (nprefixes == 0)
            fr__trk_bcast_add(t, c, "", 0);
        for (size_t i = 0; i < nprefixes; i++)
            fr__trk_bcast_add(t, c, prefixes[i].p, prefixes[i].len);
    }
}

void fr__tracking_disable(fr_conn *c)
{
    struct fr_tracking *t = c->srv->tracking;
    struct fr_tracking_conn *tc = c->track;
    if (!t || !tc || !(tc->flags & FR_TRK_ON))
        return;
    fr__trk_bcast_remove(t, c);
    tc->flags = 0;
    tc->redirect = 0;
    t->clients--;
}

unsigned fr__tracking_flags(const fr_conn *c)
{
    return tracking_on(c) ? c->track->flags : 0;
}

long long fr__tracking_redir(const fr_conn *c)
{
    return tracking_on(c) ? (long long)c->track->redirect : -1;
}

int fr__tracking_flag_letters(const fr_conn *c, char *p)
{
    unsigned f = fr__tracking_flags(c);
    int n = 0;
    if (f & FR_TRK_ON)
        p[n++] = 't';
    if (f & FR_TRK_BROKEN_REDIR)
        p[n++] = 'R';
    if (f & FR_TRK_BCAST)
        p[n++] = 'B';
    return n;
}

void fr__tracking_counts(fr_server *srv, long long *clients, long long *keys, long long *items,
                         long long *prefixes)
{
    struct fr_tracking *t = srv->tracking;
    *clients = t ? t->clients : 0;
    *keys = t ? (long long)fr__dict_size(&t->table) : 0;
    *items = t ? (long long)t->items : 0;
    *prefixes = t ? (long long)fr__dict_size(&t->prefixes) : 0;
}
