/* Transactions: the queue of a client inside MULTI, and WATCH. The
 * watched keys live here, per server, and learn of changes by listening to
 * the keyspace (registered at the first WATCH): a server that never sees
 * WATCH pays nothing on writes. */
#include "multi.h"

#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "data.h"
#include "reply.h"
#include "stage.h"

typedef struct queued {
    const fr_cmd *cmd;
    int argc;
    fr_arg *argv; /* argv and the bytes it points to, in one block */
} queued;

/* One WATCHed key of one client. The keyspace's watched dict (per db)
 * maps the key to the list of records watching it; the client keeps its
 * own list to unwatch. */
typedef struct watch_rec {
    fr_conn *c;
    int db;
    int expired; /* the key was already expired when WATCHed */
    size_t klen;
    char *key;
} watch_rec;

/* The value of a watched dict entry: every record watching that key. */
typedef struct watchers {
    int n, cap;
    watch_rec *v[];
} watchers;

/* Per server: for each database, key -> watchers. */
struct fr_watch_table {
    int n;
    fr_dict **watched;
    size_t nwatch; /* WATCH records alive, 0: skip the lookups */
};

struct fr_multi_state {
    queued *q;
    int n, cap;
    unsigned flags; /* the queued commands' flags, or-ed (EXEC under OOM) */
    watch_rec **w;  /* this client's WATCHes */
    int nw, wcap;
};

void fr__multi_queue(fr_conn *c, const fr_cmd *cmd, int argc, const fr_arg *argv)
{
    struct fr_multi_state *m = c->multi;
    if (!m)
        m = c->multi = fr__xcalloc(1, sizeof *m);
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 8;
        m->q = fr__xrealloc(m->q, (size_t)m->cap * sizeof *m->q);
    }
    size_t bytes = (size_t)argc * sizeof(fr_arg);
    for (int i = 0; i < argc; i++)
        bytes += argv[i].len + 1;
    fr_arg *copy = fr__xmalloc(bytes);
    char *p = (char *)(copy + argc);
    for (int i = 0; i < argc; i++) {
        memcpy(p, argv[i].p, argv[i].len);
        p[argv[i].len] = '\0';
        copy[i].p = p;
        copy[i].len = argv[i].len;
        p += argv[i].len + 1;
    }
    m->q[m->n++] = (queued){cmd, argc, copy};
    m->flags |= cmd->flags;
}

const fr_cmd *fr__multi_queued(const fr_conn *c, int i, int *argc, const fr_arg **argv)
{
    const struct fr_multi_state *m = c->multi;
    if (!m || i < 0 || i >= m->n)
        return NULL;
    *argc = m->q[i].argc;
    *argv = m->q[i].argv;
    return m->q[i].cmd;
}

unsigned fr__multi_queued_flags(const fr_conn *c)
{
    return c->multi ? c->multi->flags : 0;
}

static void drop_queue(fr_conn *c)
{
    struct fr_multi_state *m = c->multi;
    if (!m)
        return;
    for (int i = 0; i < m->n; i++)
        free(m->q[i].argv);
    free(m->q);
    m->q = NULL;
    m->n = m->cap = 0;
    m->flags = 0;
}

static void unwatch_all(fr_conn *c)
{
    struct fr_multi_state *m = c->multi;
    if (!m)
        return;
    struct fr_watch_table *wt = c->srv->watch; /* NULL only during teardown */
    for (int i = 0; i < m->nw; i++) {
        watch_rec *r = m->w[i];
        if (!wt) {
            free(r->key);
            free(r);
            continue;
        }
        fr_dict *wd = wt->watched[r->db];
        fr_dict_entry *e = fr__dict_find(wd, r->key, r->klen);
        if (e) {
            watchers *ws = e->v.p;
            for (int j = 0; j < ws->n; j++) {
                if (ws->v[j] == r) {
                    ws->v[j] = ws->v[--ws->n];
                    break;
                }
            }
            if (ws->n == 0)
                fr__dict_delete(wd, r->key, r->klen);
        }
        free(r->key);
        free(r);
        wt->nwatch--;
    }
    free(m->w);
    m->w = NULL;
    m->nw = m->wcap = 0;
}

static void free_state(fr_conn *c)
{
    drop_queue(c);
    unwatch_all(c);
    free(c->multi);
    c->multi = NULL;
}

static void on_key_modified(void *ctx, int db, const char *k, size_t n)
{
    fr_server *srv = ctx;
    struct fr_watch_table *wt = srv->watch;
    if (wt->nwatch == 0)
        return;
    fr_dict_entry *e = fr__dict_find(wt->watched[db], k, n);
    if (!e)
        return;
    watchers *ws = e->v.p;
    for (int i = 0; i < ws->n; i++) {
        watch_rec *r = ws->v[i];
        if (r->expired) {
            /* It was expired when WATCHed: its deletion changes nothing a
             * client could have seen. */
            if (!fr__dict_find(&fr__db(srv->ks, db)->keys, k, n)) {
                r->expired = 0;
                continue;
            }
        }
        r->c->flags |= FR_CONN_DIRTY_CAS;
    }
}

/* The watched keys of db after its contents changed wholesale: before_db
 * is the index that now holds what db held (db itself for a flush, which
 * is announced before it happens), after_db the index holding what db
 * holds afterwards (-1: nothing, a flush). */
static void touch_watched_db(fr_server *srv, int db, int before_db, int after_db)
{
    struct fr_watch_table *wt = srv->watch;
    if (wt->nwatch == 0 || fr__dict_size(wt->watched[db]) == 0)
        return;
    fr_dict *mine = &fr__db(srv->ks, before_db)->keys;
    fr_dict *theirs = after_db >= 0 ? &fr__db(srv->ks, after_db)->keys : NULL;
    fr_dict_iter it;
    fr_dict_entry *e;
    fr__dict_iter_start(&it, wt->watched[db]);
    while ((e = fr__dict_iter_next(&it))) {
        int in_mine = fr__dict_find(mine, e->key, e->klen) != NULL;
        int in_theirs = theirs && fr__dict_find(theirs, e->key, e->klen) != NULL;
        if (!in_mine && !in_theirs)
            continue;
        int theirs_expired = in_theirs && fr__db_is_expired(srv->ks, after_db, e->key, e->klen);
        watchers *ws = e->v.p;
        for (int i = 0; i < ws->n; i++) {
            watch_rec *r = ws->v[i];
            if (r->expired) {
                if (!in_theirs) {
                    r->expired = 0; /* gone, as it logically already was */
                    continue;
                }
                if (theirs_expired)
                    continue; /* expired before, expired after */
            } else if (!in_mine && theirs_expired) {
                r->expired = 1; /* missing before, logically missing after */
                continue;
            }
            r->c->flags |= FR_CONN_DIRTY_CAS;
        }
    }
    fr__dict_iter_end(&it);
}

static void on_db_flushing(void *ctx, int db)
{
    touch_watched_db(ctx, db, db, -1);
}

static void on_db_swapped(void *ctx, int a, int b)
{
    touch_watched_db(ctx, a, b, a);
    touch_watched_db(ctx, b, a, b);
}

static void ptr_val_free(fr_dict_val v, void *ctx)
{
    (void)ctx;
    free(v.p);
}

static const fr_dict_type watched_type = {ptr_val_free};

static struct fr_watch_table *watch_table(fr_server *srv)
{
    if (srv->watch)
        return srv->watch;
    struct fr_watch_table *wt = fr__xcalloc(1, sizeof *wt);
    wt->n = srv->ks->n;
    wt->watched = fr__xcalloc((size_t)wt->n, sizeof *wt->watched);
    for (int i = 0; i < wt->n; i++)
        wt->watched[i] = fr__dict_new(&watched_type, NULL);
    srv->watch = wt;
    fr_keyspace_listener l = {.modified = on_key_modified,
                              .flushing = on_db_flushing,
                              .swapped = on_db_swapped,
                              .ctx = srv};
    fr__keyspace_listen(srv->ks, &l);
    return wt;
}

static void watch_key(fr_conn *c, const fr_arg *key)
{
    struct fr_watch_table *wt = watch_table(c->srv);
    struct fr_multi_state *m = c->multi;
    if (!m)
        m = c->multi = fr__xcalloc(1, sizeof *m);
    for (int i = 0; i < m->nw; i++) {
        watch_rec *r = m->w[i];
        if (r->db == c->db && r->klen == key->len && !memcmp(r->key, key->p, key->len))
            return;
    }
    watch_rec *r = fr__xmalloc(sizeof *r);
    r->c = c;
    r->db = c->db;
    r->expired = fr__db_is_expired(c->srv->ks, c->db, key->p, key->len);
    r->klen = key->len;
    r->key = fr__xmemdup(key->p, key->len);
    if (m->nw == m->wcap) {
        m->wcap = m->wcap ? m->wcap * 2 : 4;
        m->w = fr__xrealloc(m->w, (size_t)m->wcap * sizeof *m->w);
    }
    m->w[m->nw++] = r;
    fr_dict *wd = wt->watched[c->db];
    fr_dict_entry *e = fr__dict_find(wd, key->p, key->len);
    if (!e) {
        e = fr__dict_add(wd, key->p, key->len, NULL);
        watchers *ws = fr__xmalloc(sizeof *ws + 4 * sizeof ws->v[0]);
        ws->n = 0;
        ws->cap = 4;
        e->v.p = ws;
    }
    watchers *ws = e->v.p;
    if (ws->n == ws->cap) {
        ws->cap *= 2;
        ws = fr__xrealloc(ws, sizeof *ws + (size_t)ws->cap * sizeof ws->v[0]);
        e->v.p = ws;
    }
    ws->v[ws->n++] = r;
    wt->nwatch++;
}

/* A WATCHed key that expired since (without being deleted yet) fails EXEC
 * as if it had been touched. */
int fr__multi_watched_expired(fr_conn *c)
{
    struct fr_multi_state *m = c->multi;
    for (int i = 0; m && i < m->nw; i++) {
        watch_rec *r = m->w[i];
        if (!r->expired && fr__db_is_expired(c->srv->ks, r->db, r->key, r->klen))
            return 1;
    }
    return 0;
}

void fr__multi_free_server(fr_server *srv)
{
    struct fr_watch_table *wt = srv->watch;
    if (!wt)
        return;
    for (int i = 0; i < wt->n; i++)
        fr__dict_free(wt->watched[i]);
    free(wt->watched);
    free(wt);
    srv->watch = NULL;
}

void fr__multi_watch(fr_conn *c, const fr_arg *key)
{
    watch_key(c, key);
}

void fr__multi_unwatch(fr_conn *c)
{
    unwatch_all(c);
    c->flags &= ~(unsigned)FR_CONN_DIRTY_CAS;
}

int fr__multi_count(const fr_conn *c)
{
    return c->multi ? c->multi->n : 0;
}

void fr__multi_discard(fr_conn *c)
{
    free_state(c);
    c->flags &= ~(unsigned)(FR_CONN_MULTI | FR_CONN_DIRTY_EXEC | FR_CONN_DIRTY_CAS);
}

void fr__multi_exec(fr_conn *c)
{
    /* Take the queue off the client first: a queued MULTI/EXEC can't nest,
     * but RESET or a kill inside must not free what we iterate. The
     * WATCHes go first, as in Redis: the commands' own writes must not
     * count against this transaction. */
    unwatch_all(c);
    struct fr_multi_state *m = c->multi;
    c->multi = NULL;
    c->flags &= ~(unsigned)(FR_CONN_MULTI | FR_CONN_DIRTY_EXEC | FR_CONN_DIRTY_CAS);
    fr__add_array(c, m ? m->n : 0);
    c->flags |= FR_CONN_EXECUTING;
    for (int i = 0; m && i < m->n; i++) {
        /* permissions may have changed since it was queued: Redis checks
         * again, and a refused command answers in its place */
        if (c->srv->nstages && fr__stage_permit(c, m->q[i].cmd, m->q[i].argc, m->q[i].argv))
            continue;
        fr__call(c, m->q[i].cmd, m->q[i].argc, m->q[i].argv);
    }
    c->flags &= ~(unsigned)FR_CONN_EXECUTING;
    if (m) {
        for (int i = 0; i < m->n; i++)
            free(m->q[i].argv);
        free(m->q);
        free(m);
    }
}
