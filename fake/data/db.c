/* The keyspace and expiry. See db.h. */
#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void obj_val_free(fr_dict_val v, void *ctx)
{
    (void)ctx;
    fr__obj_free(v.p);
}

static const fr_dict_type keys_type = {obj_val_free};

int64_t fr__keyspace_now_ms(const fr_keyspace *ks)
{
    return fr__clock_ms(ks->clock);
}

static unsigned lru_now(fr_keyspace *ks)
{
    return (unsigned)((fr__keyspace_now_ms(ks) / 1000) & 0xffffff);
}

#define LFU_INIT 5 /* a new key's counter, so it is not evicted at once */

static unsigned lfu_minutes(fr_keyspace *ks)
{
    return (unsigned)((fr__keyspace_now_ms(ks) / 60000) & 0xffff);
}

unsigned fr__obj_lfu_count(fr_keyspace *ks, const fr_obj *o)
{
    unsigned now = lfu_minutes(ks), ldt = o->lru >> 8, ctr = o->lru & 0xff;
    unsigned idle = now >= ldt ? now - ldt : 65535 - ldt + now;
    unsigned decay = ks->lfu_decay_time > 0 ? idle / (unsigned)ks->lfu_decay_time : 0;
    return decay > ctr ? 0 : ctr - decay;
}

unsigned fr__obj_idle_s(fr_keyspace *ks, const fr_obj *o)
{
    return (lru_now(ks) - o->lru) & 0xffffff;
}

/* A key's access bits after a touch: the LRU clock, or (LFU policy) the
 * counter decayed, then incremented with probability
 * 1/((counter - LFU_INIT) * lfu-log-factor + 1), as Redis' LFULogIncr. */
static unsigned touched(fr_keyspace *ks, const fr_obj *o, int fresh)
{
    if (!ks->lfu)
        return lru_now(ks);
    if (fresh)
        return lfu_minutes(ks) << 8 | LFU_INIT;
    unsigned ctr = fr__obj_lfu_count(ks, o);
    if (ctr < 255) {
        ks->lfu_rng = ks->lfu_rng * 6364136223846793005ULL + 1442695040888963407ULL;
        double r = (double)(ks->lfu_rng >> 11) / 9007199254740992.0;
        double base = ctr > LFU_INIT ? ctr - LFU_INIT : 0;
        if (r < 1.0 / (base * ks->lfu_log_factor + 1))
            ctr++;
    }
    return lfu_minutes(ks) << 8 | ctr;
}

fr_keyspace *fr__keyspace_new(int ndbs, const fr_clock *clock)
{
    fr_keyspace *ks = fr__xcalloc(1, sizeof *ks);
    ks->n = ndbs > 0 ? ndbs : 16;
    ks->lfu_log_factor = 10; /* Redis' lfu-log-factor and lfu-decay-time defaults */
    ks->lfu_decay_time = 1;
    ks->lfu_rng = (uint64_t)(uintptr_t)ks;
    ks->clock = clock;
    ks->dbs = fr__xcalloc((size_t)ks->n, sizeof *ks->dbs);
    for (int i = 0; i < ks->n; i++) {
        fr_db *d = fr__xcalloc(1, sizeof *d);
        fr__dict_init(&d->keys, &keys_type, NULL);
        fr__dict_init(&d->expires, NULL, NULL);
        ks->dbs[i] = d;
    }
    return ks;
}

void fr__keyspace_free(fr_keyspace *ks)
{
    if (!ks)
        return;
    for (int i = 0; i < ks->n; i++) {
        fr__dict_clear(&ks->dbs[i]->keys);
        fr__dict_clear(&ks->dbs[i]->expires);
        free(ks->dbs[i]);
    }
    free(ks->dbs);
    free(ks);
}

int fr__keyspace_listen(fr_keyspace *ks, const fr_keyspace_listener *l)
{
    for (int i = 0; i < ks->nlisteners; i++)
        if (!memcmp(&ks->listeners[i], l, sizeof *l))
            return 0;
    if (ks->nlisteners == FR_KEYSPACE_MAX_LISTENERS)
        return -1;
    ks->listeners[ks->nlisteners++] = *l;
    return 0;
}

/* Each publisher walks the few registered listeners; with none (no WATCH,
 * no blocked client, no subscriber ever) that is one compare. */
void fr__keyspace_modified(fr_keyspace *ks, int db, const char *k, size_t n)
{
    for (int i = 0; i < ks->nlisteners; i++)
        if (ks->listeners[i].modified)
            ks->listeners[i].modified(ks->listeners[i].ctx, db, k, n);
}

void fr__keyspace_ready(fr_keyspace *ks, int db, const char *k, size_t n)
{
    for (int i = 0; i < ks->nlisteners; i++)
        if (ks->listeners[i].ready)
            ks->listeners[i].ready(ks->listeners[i].ctx, db, k, n);
}

void fr__keyspace_notify(fr_keyspace *ks, int type, const char *event, const char *k, size_t n,
                         int db)
{
    for (int i = 0; i < ks->nlisteners; i++)
        if (ks->listeners[i].notify)
            ks->listeners[i].notify(ks->listeners[i].ctx, type, event, k, n, db);
}

static void publish_flushing(fr_keyspace *ks, int db)
{
    for (int i = 0; i < ks->nlisteners; i++)
        if (ks->listeners[i].flushing)
            ks->listeners[i].flushing(ks->listeners[i].ctx, db);
}

static void publish_swapped(fr_keyspace *ks, int a, int b)
{
    for (int i = 0; i < ks->nlisteners; i++)
        if (ks->listeners[i].swapped)
            ks->listeners[i].swapped(ks->listeners[i].ctx, a, b);
}

int fr__keyspace_has_expires(const fr_keyspace *ks)
{
    for (int i = 0; i < ks->n; i++)
        if (fr__dict_size(&ks->dbs[i]->expires))
            return 1;
    return 0;
}

fr_db *fr__db(fr_keyspace *ks, int db)
{
    return ks->dbs[db];
}

size_t fr__db_size(fr_keyspace *ks, int db)
{
    return fr__dict_size(&ks->dbs[db]->keys);
}

int64_t fr__db_get_expire(fr_keyspace *ks, int db, const char *k, size_t n)
{
    fr_db *d = ks->dbs[db];
    if (fr__dict_size(&d->expires) == 0)
        return -1;
    fr_dict_entry *e = fr__dict_find(&d->expires, k, n);
    return e ? e->v.i : -1;
}

void fr__db_set_expire(fr_keyspace *ks, int db, const char *k, size_t n, int64_t when_ms)
{
    fr__dict_set(&ks->dbs[db]->expires, k, n, (fr_dict_val){.i = when_ms});
}

int fr__db_remove_expire(fr_keyspace *ks, int db, const char *k, size_t n)
{
    fr_db *d = ks->dbs[db];
    if (fr__dict_size(&d->expires) == 0)
        return 0;
    return fr__dict_delete(&d->expires, k, n);
}

int fr__db_is_expired(fr_keyspace *ks, int db, const char *k, size_t n)
{
    int64_t when = fr__db_get_expire(ks, db, k, n);
    return when >= 0 && when <= fr__keyspace_now_ms(ks);
}

/* Delete an expired key with everything Redis does around it. The key is
 * copied first: it may point into the entry being freed. */
static void delete_expired(fr_keyspace *ks, int db, const char *k, size_t n)
{
    char small[128];
    char *copy = n < sizeof small ? small : fr__xmalloc(n + 1);
    memcpy(copy, k, n);
    fr__db_delete(ks, db, copy, n);
    ks->stats.expired_keys++;
    fr__keyspace_notify(ks, FR_NOTIFY_EXPIRED, "expired", copy, n, db);
    fr__keyspace_modified(ks, db, copy, n);
    if (copy != small)
        free(copy);
}

int fr__db_expire_if_needed(fr_keyspace *ks, int db, const char *k, size_t n)
{
    if (!fr__db_is_expired(ks, db, k, n))
        return 0;
    delete_expired(ks, db, k, n);
    return 1;
}

fr_obj *fr__db_lookup(fr_keyspace *ks, int db, const char *k, size_t n, int flags)
{
    fr_db *d = ks->dbs[db];
    fr_dict_entry *e = fr__dict_find(&d->keys, k, n);
    if (e && fr__dict_size(&d->expires) && fr__db_is_expired(ks, db, k, n)) {
        if (!(flags & FR_LOOKUP_NOEXPIRE) && !ks->expire_paused)
            delete_expired(ks, db, k, n);
        e = NULL;
    }
    if (!e) {
        if (!(flags & FR_LOOKUP_NONOTIFY))
            fr__keyspace_notify(ks, FR_NOTIFY_KEY_MISS, "keymiss", k, n, db);
        if (!(flags & FR_LOOKUP_NOSTATS))
            ks->stats.misses++;
        return NULL;
    }
    fr_obj *o = e->v.p;
    if (!(flags & FR_LOOKUP_NOSTATS))
        ks->stats.hits++;
    if (!(flags & FR_LOOKUP_NOTOUCH))
        o->lru = touched(ks, o, 0);
    return o;
}

/* A key now holds a value a blocked client might pop (Redis' dbAdd does
 * the same): RENAME, MOVE, COPY, RESTORE, SORT STORE onto a waited key
 * wake the waiter. A no-op unless someone waits on that key. */
static void signal_ready(fr_keyspace *ks, int db, const char *k, size_t n, const fr_obj *o)
{
    if (o->type == FR_TYPE_LIST || o->type == FR_TYPE_ZSET || o->type == FR_TYPE_STREAM)
        fr__keyspace_ready(ks, db, k, n);
}

static void signal_stream_gone(fr_keyspace *ks, int db, const char *k, size_t n, int type);

void fr__db_add(fr_keyspace *ks, int db, const char *k, size_t n, fr_obj *o)
{
    fr_dict_entry *e = fr__dict_add(&ks->dbs[db]->keys, k, n, NULL);
    if (!e) {
        /* a caller bug; keep the keyspace consistent all the same */
        fr__db_replace(ks, db, k, n, o);
        return;
    }
    o->lru = touched(ks, o, 1);
    e->v.p = o;
    signal_ready(ks, db, k, n, o);
    /* Redis 7's "new" event (class n) fires for every key added */
    fr__keyspace_notify(ks, FR_NOTIFY_NEW, "new", k, n, db);
}

void fr__db_replace(fr_keyspace *ks, int db, const char *k, size_t n, fr_obj *o)
{
    o->lru = touched(ks, o, 1);
    fr__dict_set(&ks->dbs[db]->keys, k, n, (fr_dict_val){.p = o});
}

void fr__db_set(fr_keyspace *ks, int db, const char *k, size_t n, fr_obj *o, int keepttl)
{
    o->lru = touched(ks, o, 1);
    fr_dict *keys = &ks->dbs[db]->keys;
    fr_dict_entry *old = NULL;
    fr_dict_entry *e = fr__dict_add(keys, k, n, &old);
    if (e) {
        e->v.p = o;
        fr__keyspace_notify(ks, FR_NOTIFY_NEW, "new", k, n, db);
    } else {
        fr_obj *prev = old->v.p;
        old->v.p = o;
        if (prev->type == FR_TYPE_STREAM && o->type != FR_TYPE_STREAM)
            signal_stream_gone(ks, db, k, n, prev->type);
        fr__obj_free(prev);
    }
    if (!keepttl)
        fr__db_remove_expire(ks, db, k, n);
    fr__keyspace_modified(ks, db, k, n);
    signal_ready(ks, db, k, n, o);
}

/* A stream went away: a client blocked in XREADGROUP on it must learn so
 * (Redis' signalDeletedKeyAsReady). Listeners only, cheap when nobody
 * waits. */
static void signal_stream_gone(fr_keyspace *ks, int db, const char *k, size_t n, int type)
{
    if (type == FR_TYPE_STREAM)
        fr__keyspace_ready(ks, db, k, n);
}

int fr__db_delete(fr_keyspace *ks, int db, const char *k, size_t n)
{
    fr_db *d = ks->dbs[db];
    fr_dict_entry *e = fr__dict_unlink(&d->keys, k, n);
    if (!e)
        return 0;
    int type = ((fr_obj *)e->v.p)->type;
    fr__dict_free_unlinked(&d->keys, e);
    fr__dict_maybe_shrink(&d->keys);
    if (fr__dict_size(&d->expires))
        fr__dict_delete(&d->expires, k, n);
    signal_stream_gone(ks, db, k, n, type);
    return 1;
}

fr_obj *fr__db_take(fr_keyspace *ks, int db, const char *k, size_t n, int64_t *expire)
{
    fr_db *d = ks->dbs[db];
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
    signal_stream_gone(ks, db, k, n, o->type);
    return o;
}

long long fr__db_flush(fr_keyspace *ks, int db)
{
    long long removed = 0;
    int from = db < 0 ? 0 : db, to = db < 0 ? ks->n : db + 1;
    for (int i = from; i < to; i++) {
        publish_flushing(ks, i);
        removed += (long long)fr__dict_size(&ks->dbs[i]->keys);
        fr__dict_clear(&ks->dbs[i]->keys);
        fr__dict_clear(&ks->dbs[i]->expires);
        ks->dbs[i]->avg_ttl = 0;
        ks->dbs[i]->expire_cursor = 0;
    }
    return removed;
}

void fr__db_swap(fr_keyspace *ks, int a, int b)
{
    fr_db *t = ks->dbs[a];
    ks->dbs[a] = ks->dbs[b];
    ks->dbs[b] = t;
    publish_swapped(ks, a, b);
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

/* Delete the sampled keys that are due; returns how many. */
static int expire_sampled(fr_keyspace *ks, int db, sample *s, int64_t now,
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
            if (fr__dict_find(&ks->dbs[db]->keys, k, s->lens[i])) {
                delete_expired(ks, db, k, s->lens[i]);
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
void fr__keyspace_active_expire(fr_keyspace *ks, int64_t budget_us)
{
    if (ks->active_expire_off || ks->expire_paused) /* DEBUG SET-ACTIVE-EXPIRE 0, CLIENT PAUSE */
        return;
    int64_t end = fr__mono_us() + budget_us;
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
            int expired = expire_sampled(ks, db, &s, fr__keyspace_now_ms(ks), &ttl_sum, &ttl_n);
            if (ttl_n) {
                long long avg = ttl_sum / ttl_n;
                d->avg_ttl = d->avg_ttl ? (d->avg_ttl / 50) * 49 + avg / 50 : avg;
            }
            if (expired * 4 <= s.n || fr__mono_us() >= end)
                break;
        }
        if (fr__mono_us() >= end) {
            ks->cron_db = db;
            break;
        }
    }
    sample_free(&s);
}

void fr__keyspace_rehash(fr_keyspace *ks, int64_t budget_us)
{
    /* Finish resizes in the background too (a quiet table would otherwise
     * stay half rehashed). */
    int64_t end = fr__mono_us() + budget_us;
    for (int i = 0; i < ks->n; i++) {
        fr_db *d = ks->dbs[i];
        fr__dict_maybe_shrink(&d->keys);
        fr__dict_maybe_shrink(&d->expires);
        if (fr__dict_is_rehashing(&d->keys))
            fr__dict_rehash_us(&d->keys, 500);
        if (fr__dict_is_rehashing(&d->expires))
            fr__dict_rehash_us(&d->expires, 500);
        if (fr__mono_us() >= end)
            break;
    }
}

static void collect_all(void *priv, const fr_dict_entry *e)
{
    sample_add(priv, e);
}

void fr__keyspace_expire_due(fr_keyspace *ks)
{
    int64_t now = fr__keyspace_now_ms(ks);
    sample s = {0};
    /* with active expiry off (DEBUG SET-ACTIVE-EXPIRE 0) keys only go
     * lazily, clock moves included */
    for (int db = 0; db < ks->n && !ks->active_expire_off && !ks->expire_paused; db++) {
        fr_db *d = ks->dbs[db];
        if (fr__dict_size(&d->expires) == 0)
            continue;
        sample_reset(&s);
        uint64_t cur = 0;
        do {
            cur = fr__dict_scan(&d->expires, cur, collect_all, &s);
        } while (cur);
        expire_sampled(ks, db, &s, now, NULL, NULL);
    }
    sample_free(&s);
}

void fr__keyspace_info(const fr_keyspace *ks, fr_buf *out)
{
    for (int i = 0; i < ks->n; i++) {
        fr_db *d = ks->dbs[i];
        size_t keys = fr__dict_size(&d->keys);
        if (!keys)
            continue;
        fr__buf_printf(out, "db%d:keys=%zu,expires=%zu,avg_ttl=%lld\r\n", i, keys,
                       fr__dict_size(&d->expires), d->avg_ttl);
    }
}

