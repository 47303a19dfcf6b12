/* MULTI, EXEC, DISCARD, WATCH, UNWATCH. */
#include <stdlib.h>
#include <string.h>

#include "stage.h"
#include "db.h"
#include "multi.h"
#include "reply.h"

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

struct fr_multi_state {
    queued *q;
    int n, cap;
    watch_rec **w; /* this client's WATCHes */
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
}

static void unwatch_all(fr_conn *c)
{
    struct fr_multi_state *m = c->multi;
    if (!m)
        return;
    struct fr_keyspace *ks = c->srv->ks; /* NULL only during teardown */
    for (int i = 0; i < m->nw; i++) {
        watch_rec *r = m->w[i];
        if (!ks) {
            free(r->key);
            free(r);
            continue;
        }
        fr_dict *wd = ks->watched[r->db];
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
        ks->nwatch--;
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

static void watch_key(fr_conn *c, const fr_arg *key)
{
    struct fr_keyspace *ks = c->srv->ks;
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
    r->expired = fr__db_is_expired(c->srv, c->db, key->p, key->len);
    r->klen = key->len;
    r->key = fr__xmemdup(key->p, key->len);
    if (m->nw == m->wcap) {
        m->wcap = m->wcap ? m->wcap * 2 : 4;
        m->w = fr__xrealloc(m->w, (size_t)m->wcap * sizeof *m->w);
    }
    m->w[m->nw++] = r;
    fr_dict *wd = ks->watched[c->db];
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
    ks->nwatch++;
}

/* A WATCHed key that expired since (without being deleted yet) fails EXEC
 * as if it had been touched. */
static int watched_key_expired(fr_conn *c)
{
    struct fr_multi_state *m = c->multi;
    for (int i = 0; m && i < m->nw; i++) {
        watch_rec *r = m->w[i];
        if (!r->expired && fr__db_is_expired(c->srv, r->db, r->key, r->klen))
            return 1;
    }
    return 0;
}

void fr__signal_modified_key(fr_server *srv, int db, const char *k, size_t n)
{
    struct fr_keyspace *ks = srv->ks;
    if (!ks || ks->nwatch == 0)
        return;
    fr_dict_entry *e = fr__dict_find(ks->watched[db], k, n);
    if (!e)
        return;
    watchers *ws = e->v.p;
    for (int i = 0; i < ws->n; i++) {
        watch_rec *r = ws->v[i];
        if (r->expired) {
            /* It was expired when WATCHed: its deletion changes nothing a
             * client could have seen. */
            if (!fr__dict_find(&ks->dbs[db]->keys, k, n)) {
                r->expired = 0;
                continue;
            }
        }
        r->c->flags |= FR_CONN_DIRTY_CAS;
    }
}

void fr__touch_watched_db(fr_server *srv, int db, int other)
{
    struct fr_keyspace *ks = srv->ks;
    if (!ks || ks->nwatch == 0 || fr__dict_size(ks->watched[db]) == 0)
        return;
    fr_dict *mine = &ks->dbs[db]->keys;
    fr_dict *theirs = other >= 0 ? &ks->dbs[other]->keys : NULL;
    fr_dict_iter it;
    fr_dict_entry *e;
    fr__dict_iter_start(&it, ks->watched[db]);
    while ((e = fr__dict_iter_next(&it))) {
        int in_mine = fr__dict_find(mine, e->key, e->klen) != NULL;
        int in_theirs = theirs && fr__dict_find(theirs, e->key, e->klen) != NULL;
        if (!in_mine && !in_theirs)
            continue;
        int theirs_expired = in_theirs && fr__db_is_expired(srv, other, e->key, e->klen);
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

void fr__cmd_watch(fr_conn *c)
{
    if (c->flags & FR_CONN_MULTI) {
        fr__add_error(c, "WATCH inside MULTI is not allowed");
        return;
    }
    for (int i = 1; i < c->argc; i++)
        watch_key(c, &c->argv[i]);
    fr__add_ok(c);
}

void fr__cmd_unwatch(fr_conn *c)
{
    unwatch_all(c);
    c->flags &= ~(unsigned)FR_CONN_DIRTY_CAS;
    fr__add_ok(c);
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

void fr__cmd_multi(fr_conn *c)
{
    if (c->flags & FR_CONN_MULTI) {
        fr__add_error(c, "MULTI calls can not be nested");
        return;
    }
    c->flags |= FR_CONN_MULTI;
    fr__add_ok(c);
}

void fr__cmd_discard(fr_conn *c)
{
    if (!(c->flags & FR_CONN_MULTI)) {
        fr__add_error(c, "DISCARD without MULTI");
        return;
    }
    fr__multi_discard(c);
    fr__add_ok(c);
}

void fr__cmd_exec(fr_conn *c)
{
    if (!(c->flags & FR_CONN_MULTI)) {
        fr__add_error(c, "EXEC without MULTI");
        return;
    }
    if (watched_key_expired(c))
        c->flags |= FR_CONN_DIRTY_CAS;
    if (c->flags & FR_CONN_DIRTY_EXEC) {
        fr__add_error(c, "-EXECABORT Transaction discarded because of previous errors.");
        fr__multi_discard(c);
        return;
    }
    if (c->flags & FR_CONN_DIRTY_CAS) {
        fr__add_null_array(c);
        fr__multi_discard(c);
        return;
    }
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
    for (int i = 0; m && i < m->n; i++)
        fr__call(c, m->q[i].cmd, m->q[i].argc, m->q[i].argv);
    c->flags &= ~(unsigned)FR_CONN_EXECUTING;
    if (m) {
        for (int i = 0; i < m->n; i++)
            free(m->q[i].argv);
        free(m->q);
        free(m);
    }
}
