/* The keyspace and expiry. See db.h. */
#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blocking_engine.h"
#include "stage.h"
#include "notify.h"
#include "reply.h"

static void obj_val_free(fr_dict_val v, void *ctx)
{
    (void)ctx;
    fr__obj_free(v.p);
}

static void ptr_val_free(fr_dict_val v, void *ctx)
{
    (void)ctx;
    free(v.p);
}

static const fr_dict_type keys_type = {obj_val_free};
static const fr_dict_type watched_type = {ptr_val_free};

int64_t fr__now_ms(fr_server *srv)
{
    return fr__clock_ms(&srv->clock);
}

static unsigned lru_now(fr_server *srv)
{
    return (unsigned)((fr__now_ms(srv) / 1000) & 0xffffff);
}

static void active_expire(fr_server *srv, int64_t budget_us);

static void on_expire_timer(evutil_socket_t fd, short what, void *arg)
{
    fr_server *srv = arg;
    (void)fd;
    (void)what;
    struct fr_keyspace *ks = srv->ks;
    for (int i = 0; i < ks->n; i++) {
        if (fr__dict_size(&ks->dbs[i]->expires)) {
            active_expire(srv, 1000);
            fr__flush_pending(srv); /* expired events may have gone out */
            return;
        }
    }
}

int fr__keyspace_new(fr_server *srv)
{
    struct fr_keyspace *ks = fr__xcalloc(1, sizeof *ks);
    ks->n = srv->cfg.databases > 0 ? (int)srv->cfg.databases : 16;
    ks->dbs = fr__xcalloc((size_t)ks->n, sizeof *ks->dbs);
    ks->watched = fr__xcalloc((size_t)ks->n, sizeof *ks->watched);
    for (int i = 0; i < ks->n; i++) {
        fr_db *d = fr__xcalloc(1, sizeof *d);
        fr__dict_init(&d->keys, &keys_type, NULL);
        fr__dict_init(&d->expires, NULL, NULL);
        ks->dbs[i] = d;
        ks->watched[i] = fr__dict_new(&watched_type, NULL);
    }
    srv->ks = ks;
    if (srv->base) {
        ks->expire_ev = event_new(srv->base, -1, EV_PERSIST, on_expire_timer, srv);
        if (!ks->expire_ev)
            return -1;
        struct timeval tick = {0, 10 * 1000};
        event_add(ks->expire_ev, &tick);
    }
    return 0;
}

void fr__keyspace_free(fr_server *srv)
{
    struct fr_keyspace *ks = srv->ks;
    if (!ks)
        return;
    if (ks->expire_ev)
        event_free(ks->expire_ev);
    for (int i = 0; i < ks->n; i++) {
        fr__dict_clear(&ks->dbs[i]->keys);
        fr__dict_clear(&ks->dbs[i]->expires);
        free(ks->dbs[i]);
        fr__dict_free(ks->watched[i]);
    }
    free(ks->dbs);
    free(ks->watched);
    free(ks);
    srv->ks = NULL;
}

fr_db *fr__db(fr_server *srv, int db)
{
    return srv->ks->dbs[db];
}

size_t fr__db_size(fr_server *srv, int db)
{
    return fr__dict_size(&srv->ks->dbs[db]->keys);
}

int64_t fr__db_get_expire(fr_server *srv, int db, const char *k, size_t n)
{
    fr_db *d = srv->ks->dbs[db];
    if (fr__dict_size(&d->expires) == 0)
        return -1;
    fr_dict_entry *e = fr__dict_find(&d->expires, k, n);
    return e ? e->v.i : -1;
}

void fr__db_set_expire(fr_server *srv, int db, const char *k, size_t n, int64_t when_ms)
{
    fr__dict_set(&srv->ks->dbs[db]->expires, k, n, (fr_dict_val){.i = when_ms});
}

int fr__db_remove_expire(fr_server *srv, int db, const char *k, size_t n)
{
    fr_db *d = srv->ks->dbs[db];
    if (fr__dict_size(&d->expires) == 0)
        return 0;
    return fr__dict_delete(&d->expires, k, n);
}

int fr__db_is_expired(fr_server *srv, int db, const char *k, size_t n)
{
    int64_t when = fr__db_get_expire(srv, db, k, n);
    return when >= 0 && when <= fr__now_ms(srv);
}

/* Delete an expired key with everything Redis does around it. The key is
 * copied first: it may point into the entry being freed. */
static void delete_expired(fr_server *srv, int db, const char *k, size_t n)
{
    char small[128];
    char *copy = n < sizeof small ? small : fr__xmalloc(n + 1);
    memcpy(copy, k, n);
    fr__db_delete(srv, db, copy, n);
    srv->stats.expired_keys++;
    fr__notify_keyspace_event(srv, FR_NOTIFY_EXPIRED, "expired", copy, n, db);
    fr__signal_modified_key(srv, db, copy, n);
    if (copy != small)
        free(copy);
}

int fr__db_expire_if_needed(fr_server *srv, int db, const char *k, size_t n)
{
    if (!fr__db_is_expired(srv, db, k, n))
        return 0;
    delete_expired(srv, db, k, n);
    return 1;
}

fr_obj *fr__db_lookup(fr_server *srv, int db, const char *k, size_t n, int flags)
{
    fr_db *d = srv->ks->dbs[db];
    fr_dict_entry *e = fr__dict_find(&d->keys, k, n);
    if (e && fr__dict_size(&d->expires) && fr__db_is_expired(srv, db, k, n)) {
        if (!(flags & FR_LOOKUP_NOEXPIRE))
            delete_expired(srv, db, k, n);
        e = NULL;
    }
    if (!e) {
        if (!(flags & FR_LOOKUP_NONOTIFY))
            fr__notify_keyspace_event(srv, FR_NOTIFY_KEY_MISS, "keymiss", k, n, db);
        if (!(flags & FR_LOOKUP_NOSTATS))
            srv->stats.keyspace_misses++;
        return NULL;
    }
    fr_obj *o = e->v.p;
    if (!(flags & FR_LOOKUP_NOSTATS))
        srv->stats.keyspace_hits++;
    if (!(flags & FR_LOOKUP_NOTOUCH))
        o->lru = lru_now(srv);
    return o;
}

static int touch_flag(fr_conn *c)
{
    return (c->flags & FR_CONN_NO_TOUCH) ? FR_LOOKUP_NOTOUCH : 0;
}

fr_obj *fr__lookup_read(fr_conn *c, const fr_arg *key)
{
    return fr__db_lookup(c->srv, c->db, key->p, key->len, touch_flag(c));
}

fr_obj *fr__lookup_write(fr_conn *c, const fr_arg *key)
{
    return fr__db_lookup(c->srv, c->db, key->p, key->len,
                         touch_flag(c) | FR_LOOKUP_NOSTATS | FR_LOOKUP_NONOTIFY);
}

int fr__check_type(fr_conn *c, const fr_obj *o, int type)
{
    if (o && (int)o->type != type) {
        fr__add_error(c, fr__err_wrongtype);
        return 1;
    }
    return 0;
}

static fr_obj *found_or_reply(fr_conn *c, fr_obj *o, int type, void (*on_missing)(fr_conn *c))
{
    if (!o) {
        if (on_missing)
            on_missing(c);
        return NULL;
    }
    if (fr__check_type(c, o, type))
        return NULL;
    return o;
}

fr_obj *fr__lookup_read_or_reply(fr_conn *c, const fr_arg *key, int type,
                                 void (*on_missing)(fr_conn *c))
{
    return found_or_reply(c, fr__lookup_read(c, key), type, on_missing);
}

fr_obj *fr__lookup_write_or_reply(fr_conn *c, const fr_arg *key, int type,
                                  void (*on_missing)(fr_conn *c))
{
    return found_or_reply(c, fr__lookup_write(c, key), type, on_missing);
}

/* A key now holds a value a blocked client might pop (Redis' dbAdd does
 * the same): RENAME, MOVE, COPY, RESTORE, SORT STORE onto a waited key
 * wake the waiter. A no-op unless someone waits on that key. */
static void signal_ready(fr_server *srv, int db, const char *k, size_t n, const fr_obj *o)
{
    if (o->type == FR_TYPE_LIST || o->type == FR_TYPE_ZSET || o->type == FR_TYPE_STREAM)
        fr__signal_key_ready(srv, db, k, n);
}

void fr__db_add(fr_server *srv, int db, const char *k, size_t n, fr_obj *o)
{
    fr_dict_entry *e = fr__dict_add(&srv->ks->dbs[db]->keys, k, n, NULL);
    if (!e) {
        /* a caller bug; keep the keyspace consistent all the same */
        fr__db_replace(srv, db, k, n, o);
        return;
    }
    o->lru = lru_now(srv);
    e->v.p = o;
    signal_ready(srv, db, k, n, o);
    /* Redis 7's "new" event (class n) fires for every key added */
    fr__notify_keyspace_event(srv, FR_NOTIFY_NEW, "new", k, n, db);
}

void fr__db_replace(fr_server *srv, int db, const char *k, size_t n, fr_obj *o)
{
    o->lru = lru_now(srv);
    fr__dict_set(&srv->ks->dbs[db]->keys, k, n, (fr_dict_val){.p = o});
}

void fr__db_set(fr_server *srv, int db, const char *k, size_t n, fr_obj *o, int keepttl)
{
    o->lru = lru_now(srv);
    fr_dict *keys = &srv->ks->dbs[db]->keys;
    fr_dict_entry *old = NULL;
    fr_dict_entry *e = fr__dict_add(keys, k, n, &old);
    if (e) {
        e->v.p = o;
        fr__notify_keyspace_event(srv, FR_NOTIFY_NEW, "new", k, n, db);
    } else {
        fr_obj *prev = old->v.p;
        old->v.p = o;
        fr__obj_free(prev);
    }
    if (!keepttl)
        fr__db_remove_expire(srv, db, k, n);
    fr__signal_modified_key(srv, db, k, n);
    signal_ready(srv, db, k, n, o);
}

int fr__db_delete(fr_server *srv, int db, const char *k, size_t n)
{
    fr_db *d = srv->ks->dbs[db];
    if (!fr__dict_delete(&d->keys, k, n))
        return 0;
    if (fr__dict_size(&d->expires))
        fr__dict_delete(&d->expires, k, n);
    return 1;
}

fr_obj *fr__db_take(fr_server *srv, int db, const char *k, size_t n, int64_t *expire)
{
    fr_db *d = srv->ks->dbs[db];
    fr_dict_entry *e = fr__dict_unlink(&d->keys, k, n);
    if (!e)
        return NULL;
    fr_obj *o = e->v.p;
    e->v.p = NULL;
    free(e);
    int64_t when = -1;
    fr_dict_entry *x = fr__dict_size(&d->expires) ? fr__dict_unlink(&d->expires, k, n) : NULL;
    if (x) {
        when = x->v.i;
        free(x);
    }
    fr__dict_maybe_shrink(&d->keys);
    if (expire)
        *expire = when;
    return o;
}

long long fr__db_flush(fr_server *srv, int db)
{
    struct fr_keyspace *ks = srv->ks;
    long long removed = 0;
    int from = db < 0 ? 0 : db, to = db < 0 ? ks->n : db + 1;
    for (int i = from; i < to; i++) {
        fr__touch_watched_db(srv, i, -1);
        removed += (long long)fr__dict_size(&ks->dbs[i]->keys);
        fr__dict_clear(&ks->dbs[i]->keys);
        fr__dict_clear(&ks->dbs[i]->expires);
        ks->dbs[i]->avg_ttl = 0;
        ks->dbs[i]->expire_cursor = 0;
    }
    return removed;
}

typedef struct swap_ctx {
    int a, b;
} swap_ctx;

static void signal_waiters(void *priv, fr_conn *c, const fr_cmd *cmd, int db, int nkeys,
                           const char *const *keys, const size_t *lens, int64_t since_ms,
                           int64_t deadline_ms)
{
    swap_ctx *s = priv;
    (void)cmd;
    (void)since_ms;
    (void)deadline_ms;
    if (db != s->a && db != s->b)
        return;
    for (int i = 0; i < nkeys; i++)
        fr__signal_key_ready(c->srv, db, keys[i], lens[i]);
}

void fr__db_swap(fr_server *srv, int a, int b)
{
    struct fr_keyspace *ks = srv->ks;
    fr__touch_watched_db(srv, a, b);
    fr__touch_watched_db(srv, b, a);
    fr_db *t = ks->dbs[a];
    ks->dbs[a] = ks->dbs[b];
    ks->dbs[b] = t;
    /* clients blocked in either database may find their keys now */
    swap_ctx sc = {a, b};
    fr__blocking_each(srv, signal_waiters, &sc);
}

/* ---- active expiry ---------------------------------------------------- */

typedef struct sample {
    fr_buf keys; /* back to back */
    size_t *lens;
    int64_t *whens;
    int n, cap;
} sample;

static void sample_add(void *priv, const fr_dict_entry *e)
{
    sample *s = priv;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 32;
        s->lens = fr__xrealloc(s->lens, (size_t)s->cap * sizeof *s->lens);
        s->whens = fr__xrealloc(s->whens, (size_t)s->cap * sizeof *s->whens);
    }
    fr__buf_append(&s->keys, e->key, e->klen);
    s->lens[s->n] = e->klen;
    s->whens[s->n] = e->v.i;
    s->n++;
}

static void sample_reset(sample *s)
{
    fr__buf_clear(&s->keys);
    s->n = 0;
}

static void sample_free(sample *s)
{
    fr__buf_free(&s->keys);
    free(s->lens);
    free(s->whens);
}

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Delete the sampled keys that are due; returns how many. */
static int expire_sampled(fr_server *srv, int db, sample *s, int64_t now,
                          long long *ttl_sum, int *ttl_n)
{
    int expired = 0;
    size_t off = 0;
    for (int i = 0; i < s->n; i++) {
        const char *k = s->keys.p + off;
        off += s->lens[i];
        if (s->whens[i] <= now) {
            /* It may have gone already (the same key twice in a sample
             * when the table was being rehashed). */
            if (fr__dict_find(&srv->ks->dbs[db]->keys, k, s->lens[i])) {
                delete_expired(srv, db, k, s->lens[i]);
                expired++;
            }
        } else if (ttl_sum) {
            *ttl_sum += s->whens[i] - now;
            (*ttl_n)++;
        }
    }
    return expired;
}

/* Redis' active expiry cycle, simplified: per database, sample about 20
 * keys with a TTL, delete the expired ones, go on while more than a
 * quarter of the sample had expired; give up at the time budget. */
static void active_expire(fr_server *srv, int64_t budget_us)
{
    struct fr_keyspace *ks = srv->ks;
    if (srv->active_expire_off) /* DEBUG SET-ACTIVE-EXPIRE 0: lazy only */
        return;
    int64_t end = mono_us() + budget_us;
    sample s = {0};
    for (int n = 0; n < ks->n; n++) {
        int db = (ks->cron_db + n) % ks->n;
        fr_db *d = ks->dbs[db];
        for (;;) {
            if (fr__dict_size(&d->expires) == 0)
                break;
            sample_reset(&s);
            int buckets = 0;
            do {
                d->expire_cursor = fr__dict_scan(&d->expires, d->expire_cursor, sample_add, &s);
                buckets++;
            } while (s.n < 20 && d->expire_cursor != 0 && buckets < 400);
            long long ttl_sum = 0;
            int ttl_n = 0;
            int expired = expire_sampled(srv, db, &s, fr__now_ms(srv), &ttl_sum, &ttl_n);
            if (ttl_n) {
                long long avg = ttl_sum / ttl_n;
                d->avg_ttl = d->avg_ttl ? (d->avg_ttl / 50) * 49 + avg / 50 : avg;
            }
            if (expired * 4 <= s.n || mono_us() >= end)
                break;
        }
        if (mono_us() >= end) {
            ks->cron_db = db;
            break;
        }
    }
    sample_free(&s);
}

void fr__keyspace_cron(fr_server *srv)
{
    struct fr_keyspace *ks = srv->ks;
    if (!ks)
        return;
    active_expire(srv, 25000);
    /* Finish resizes in the background too (a quiet table would otherwise
     * stay half rehashed), 1 ms per cron at most. */
    int64_t end = mono_us() + 1000;
    for (int i = 0; i < ks->n; i++) {
        fr_db *d = ks->dbs[i];
        fr__dict_maybe_shrink(&d->keys);
        fr__dict_maybe_shrink(&d->expires);
        if (fr__dict_is_rehashing(&d->keys))
            fr__dict_rehash_us(&d->keys, 500);
        if (fr__dict_is_rehashing(&d->expires))
            fr__dict_rehash_us(&d->expires, 500);
        if (mono_us() >= end)
            break;
    }
}

static void collect_all(void *priv, const fr_dict_entry *e)
{
    sample_add(priv, e);
}

void fr__clock_changed(fr_server *srv)
{
    struct fr_keyspace *ks = srv->ks;
    if (!ks)
        return;
    int64_t now = fr__now_ms(srv);
    sample s = {0};
    /* with active expiry off (DEBUG SET-ACTIVE-EXPIRE 0) keys only go
     * lazily, clock moves included */
    for (int db = 0; db < ks->n && !srv->active_expire_off; db++) {
        fr_db *d = ks->dbs[db];
        if (fr__dict_size(&d->expires) == 0)
            continue;
        sample_reset(&s);
        uint64_t cur = 0;
        do {
            cur = fr__dict_scan(&d->expires, cur, collect_all, &s);
        } while (cur);
        expire_sampled(srv, db, &s, now, NULL, NULL);
    }
    sample_free(&s);
    /* Other clock-driven subsystems (blocking timeouts) run from the cron
     * hook, which is documented to run after the clock moved. */
    fr__hook_cron(srv);
}

void fr__keyspace_info(fr_server *srv, fr_buf *out)
{
    struct fr_keyspace *ks = srv->ks;
    for (int i = 0; i < ks->n; i++) {
        fr_db *d = ks->dbs[i];
        size_t keys = fr__dict_size(&d->keys);
        if (!keys)
            continue;
        fr__buf_printf(out, "db%d:keys=%zu,expires=%zu,avg_ttl=%lld\r\n", i, keys,
                       fr__dict_size(&d->expires), d->avg_ttl);
    }
}

/* DEBUG POPULATE count [prefix] [size]: keys "<prefix>:<n>" holding
 * "value:<n>" (padded with zero bytes or cut to size when given); keys
 * that exist are left alone. */
void fr__debug_populate(fr_conn *c)
{
    fr_server *srv = c->srv;
    long long count, size = 0;
    if (c->argc < 3 || c->argc > 5) {
        fr__add_errorf(c, "wrong number of arguments for 'debug|populate' command");
        return;
    }
    if (!fr__arg_ll(c, &c->argv[2], &count))
        return;
    if (count < 0) {
        fr__add_error(c, "value is out of range, must be positive");
        return;
    }
    const char *prefix = "key";
    size_t plen = 3;
    if (c->argc > 3) {
        prefix = c->argv[3].p;
        plen = c->argv[3].len;
    }
    if (c->argc > 4) {
        if (!fr__arg_ll(c, &c->argv[4], &size))
            return;
        if (size < 0) {
            fr__add_error(c, "value is out of range, must be positive");
            return;
        }
    }
    fr_buf key = {0};
    char val[48];
    char *padded = size > 0 ? fr__xcalloc(1, (size_t)size) : NULL;
    for (long long j = 0; j < count; j++) {
        fr__buf_clear(&key);
        fr__buf_append(&key, prefix, plen);
        fr__buf_putc(&key, ':');
        fr__buf_put_ll(&key, j);
        if (fr__db_lookup(srv, c->db, key.p, key.len, FR_LOOKUP_NOSTATS | FR_LOOKUP_NONOTIFY))
            continue;
        int vlen = snprintf(val, sizeof val, "value:%lld", j);
        fr_obj *o;
        if (size > 0) {
            size_t n = (size_t)vlen < (size_t)size ? (size_t)vlen : (size_t)size;
            memset(padded, 0, (size_t)size);
            memcpy(padded, val, n);
            o = fr__str_new_plain(padded, (size_t)size);
        } else {
            o = fr__str_new_plain(val, (size_t)vlen);
        }
        fr__db_add(srv, c->db, key.p, key.len, o);
    }
    free(padded);
    fr__buf_free(&key);
    fr__add_ok(c);
}
