/* maxmemory: accounting and eviction. See evict_engine.h. */
#include <stdlib.h>
#include <string.h>

#include "data.h"
#include "evict_engine.h"

#define SAMPLES 5 /* Redis' MEMORY USAGE default, used for every key here */

enum policy { NOEVICTION, V_LRU, V_LFU, V_RANDOM, V_TTL, A_LRU, A_LFU, A_RANDOM };

static int parse_policy(const char *p)
{
    static const char *const names[] = {"noeviction",      "volatile-lru",  "volatile-lfu",
                                        "volatile-random", "volatile-ttl",  "allkeys-lru",
                                        "allkeys-lfu",     "allkeys-random"};
    for (int i = 0; i < 8; i++)
        if (p && !strcmp(p, names[i]))
            return i;
    return NOEVICTION;
}

static void pool_clear(struct fr_evict *ev);

/* The policy as configured now (the keyspace's LFU switch is core's
 * config, at once). Per command only an integer compare: the config bumps
 * policy_gen whenever the policy is set; then the string says whether it
 * really changed (setting the same policy keeps the pool). */
static void sync_policy(fr_server *srv, struct fr_evict *ev)
{
    const char *p = srv->cfg.maxmemory_policy;
    if (ev->policy_seen && ev->policy_gen == srv->cfg.policy_gen)
        return;
    ev->policy_gen = srv->cfg.policy_gen;
    if (ev->policy_seen && p && !strcmp(ev->policy_seen, p))
        return;
    free((void *)ev->policy_seen);
    ev->policy_seen = fr__xstrdup(p ? p : "noeviction");
    ev->policy = parse_policy(p);
    pool_clear(ev); /* scores of another policy */
}

static int64_t key_size(fr_server *srv, int db, const fr_dict_entry *e)
{
    int64_t n = (int64_t)fr__mem_key(e->klen, e->v.p, SAMPLES, &srv->cfg.enc);
    fr_db *d = srv->ks->dbs[db];
    if (fr__dict_size(&d->expires) && fr__dict_find(&d->expires, e->key, e->klen))
        n += 24; /* its entry in the expires table */
    return n;
}

/* ---- tracking: the side table of key sizes ------------------------------ */

static void on_modified(void *ctx, int db, const char *k, size_t n)
{
    fr_server *srv = ctx;
    struct fr_evict *ev = srv->evict;
    if (!ev || !ev->tracking)
        return;
    fr_dict *sizes = &ev->sizes[db];
    fr_dict_entry *e = fr__dict_find(&srv->ks->dbs[db]->keys, k, n);
    fr_dict_entry *se = fr__dict_find(sizes, k, n);
    int64_t old = se ? se->v.i : 0, now = e ? key_size(srv, db, e) : 0;
    if (e && se)
        se->v.i = now;
    else if (e)
        fr__dict_add(sizes, k, n, NULL)->v.i = now;
    else if (se)
        fr__dict_delete(sizes, k, n);
    ev->dataset += now - old;
}

static void on_flushing(void *ctx, int db)
{
    fr_server *srv = ctx;
    struct fr_evict *ev = srv->evict;
    if (!ev || !ev->tracking)
        return;
    fr_dict_iter it;
    fr__dict_iter_start(&it, &ev->sizes[db]);
    for (fr_dict_entry *e; (e = fr__dict_iter_next(&it));)
        ev->dataset -= e->v.i;
    fr__dict_iter_end(&it);
    fr__dict_clear(&ev->sizes[db]);
}

static void on_swapped(void *ctx, int a, int b)
{
    fr_server *srv = ctx;
    struct fr_evict *ev = srv->evict;
    if (!ev || !ev->tracking)
        return;
    fr_dict t = ev->sizes[a];
    ev->sizes[a] = ev->sizes[b];
    ev->sizes[b] = t;
}

static int64_t scan_db(fr_server *srv, int db, fr_dict *fill)
{
    int64_t sum = 0;
    fr_dict_iter it;
    fr__dict_iter_start(&it, &srv->ks->dbs[db]->keys);
    for (fr_dict_entry *e; (e = fr__dict_iter_next(&it));) {
        int64_t n = key_size(srv, db, e);
        sum += n;
        if (fill)
            fr__dict_add(fill, e->key, e->klen, NULL)->v.i = n;
    }
    fr__dict_iter_end(&it);
    return sum;
}

static void start_tracking(fr_server *srv, struct fr_evict *ev)
{
    if (!ev->sizes) {
        ev->sizes = fr__xcalloc((size_t)srv->ks->n, sizeof *ev->sizes);
        for (int i = 0; i < srv->ks->n; i++)
            fr__dict_init(&ev->sizes[i], NULL, NULL);
        fr_keyspace_listener l = {
            .modified = on_modified, .flushing = on_flushing, .swapped = on_swapped, .ctx = srv};
        fr__keyspace_listen(srv->ks, &l);
    }
    ev->dataset = 0;
    for (int i = 0; i < srv->ks->n; i++)
        ev->dataset += scan_db(srv, i, &ev->sizes[i]);
    ev->tracking = 1;
}

static void stop_tracking(struct fr_evict *ev, int ndbs)
{
    for (int i = 0; ev->sizes && i < ndbs; i++)
        fr__dict_clear(&ev->sizes[i]);
    ev->tracking = 0;
    ev->dataset = 0;
}

/* ---- the numbers ---------------------------------------------------------- */

int64_t fr__evict_overhead(fr_server *srv, int db, int64_t *main, int64_t *expires)
{
    fr_db *d = srv->ks->dbs[db];
    *main = (int64_t)(d->keys.size[0] + d->keys.size[1]) * 8;
    *expires = (int64_t)(d->expires.size[0] + d->expires.size[1]) * 8;
    return *main + *expires;
}

int64_t fr__evict_dataset(fr_server *srv)
{
    struct fr_evict *ev = srv->evict;
    if (ev && ev->tracking)
        return ev->dataset;
    int64_t sum = 0;
    for (int i = 0; i < srv->ks->n; i++)
        sum += scan_db(srv, i, NULL);
    return sum;
}

int64_t fr__evict_used_memory(fr_server *srv)
{
    int64_t used = FR_MEM_STARTUP + fr__evict_dataset(srv), m, x;
    for (int i = 0; i < srv->ks->n; i++)
        used += fr__evict_overhead(srv, i, &m, &x);
    if (srv->evict && used > srv->evict->peak)
        srv->evict->peak = used;
    return used;
}

int64_t fr__evict_peak(fr_server *srv)
{
    int64_t used = fr__evict_used_memory(srv);
    return srv->evict ? srv->evict->peak : used;
}

void fr__evict_reset_peak(fr_server *srv)
{
    if (srv->evict)
        srv->evict->peak = 0;
}

/* ---- eviction ------------------------------------------------------------- */

/* The eviction pool, as Redis': the best candidates seen so far, kept
 * from one eviction to the next, best first. */
struct cand {
    int db;
    uint64_t score; /* higher goes first */
    size_t klen;
    char *key;
};

static uint64_t score_of(fr_server *srv, int policy, int db, const fr_dict_entry *e)
{
    fr_keyspace *ks = srv->ks;
    if (policy == V_TTL)
        return UINT64_MAX - (uint64_t)e->v.i; /* the sooner, the better */
    const fr_obj *o = e->v.p;
    if (policy == V_LRU || policy == V_LFU) {
        fr_dict_entry *ke = fr__dict_find(&ks->dbs[db]->keys, e->key, e->klen);
        if (!ke)
            return 0;
        o = ke->v.p;
    }
    if (policy == V_LFU || policy == A_LFU)
        return 255 - fr__obj_lfu_count(ks, o);
    return fr__obj_idle_s(ks, o);
}

static void pool_drop(struct fr_evict *ev, int i)
{
    free(ev->pool[i].key);
    memmove(&ev->pool[i], &ev->pool[i + 1], (size_t)(ev->npool - i - 1) * sizeof *ev->pool);
    ev->npool--;
}

static void pool_offer(struct fr_evict *ev, int db, const fr_dict_entry *e, uint64_t score)
{
    struct cand *pool = ev->pool;
    for (int i = 0; i < ev->npool; i++) {
        if (pool[i].db == db && pool[i].klen == e->klen && !memcmp(pool[i].key, e->key, e->klen)) {
            pool_drop(ev, i); /* offered again with its score of now */
            break;
        }
    }
    int at = ev->npool;
    while (at > 0 && pool[at - 1].score < score)
        at--;
    if (at == FR_EVICT_POOL)
        return;
    if (ev->npool == FR_EVICT_POOL)
        pool_drop(ev, FR_EVICT_POOL - 1);
    memmove(&pool[at + 1], &pool[at], (size_t)(ev->npool - at) * sizeof *pool);
    pool[at] = (struct cand){db, score, e->klen, fr__xmalloc(e->klen + 1)};
    memcpy(pool[at].key, e->key, e->klen);
    ev->npool++;
}

static void pool_clear(struct fr_evict *ev)
{
    while (ev->npool)
        pool_drop(ev, ev->npool - 1);
}

static void evict_key(fr_server *srv, int db, const char *k, size_t n)
{
    fr_keyspace *ks = srv->ks;
    char *copy = fr__xmalloc(n + 1); /* k may live in the entry being freed */
    memcpy(copy, k, n);
    fr__db_delete(ks, db, copy, n);
    ks->stats.evicted_keys++;
    fr__keyspace_notify(ks, FR_NOTIFY_EVICTED, "evicted", copy, n, db);
    fr__keyspace_modified(ks, db, copy, n);
    free(copy);
}

static fr_dict *pick_dict(fr_server *srv, int policy, int db)
{
    fr_db *d = srv->ks->dbs[db];
    return policy >= A_LRU ? &d->keys : &d->expires;
}

/* One key gone by the policy: 1, or 0 when none could go. */
static int evict_one(fr_server *srv, struct fr_evict *ev)
{
    int policy = ev->policy, ndbs = srv->ks->n;
    if (policy == NOEVICTION)
        return 0;
    if (policy == V_RANDOM || policy == A_RANDOM) {
        for (int i = 0; i < ndbs; i++) {
            int db = (int)(ev->next_db++ % (unsigned)ndbs);
            fr_dict *d = pick_dict(srv, policy, db);
            if (!fr__dict_size(d))
                continue;
            fr_dict_entry *e = fr__dict_random(d);
            evict_key(srv, db, e->key, e->klen);
            return 1;
        }
        return 0;
    }
    long long samples = srv->cfg.maxmemory_samples > 0 ? srv->cfg.maxmemory_samples : 5;
    for (int db = 0; db < ndbs; db++) {
        fr_dict *d = pick_dict(srv, policy, db);
        if (!fr__dict_size(d))
            continue;
        for (long long s = 0; s < samples; s++) {
            fr_dict_entry *e = fr__dict_random(d);
            pool_offer(ev, db, e, score_of(srv, policy, db, e));
        }
    }
    /* the best that still exists (a pooled key may be gone since) */
    while (ev->npool) {
        struct cand *best = &ev->pool[0];
        fr_dict *d = pick_dict(srv, policy, best->db);
        int there = fr__dict_find(d, best->key, best->klen) != NULL;
        if (there)
            evict_key(srv, best->db, best->key, best->klen);
        pool_drop(ev, 0);
        if (there)
            return 1;
    }
    return 0;
}

/* Evict until under maxmemory: 1 when under it, 0 when stuck. */
static int perform_evictions(fr_server *srv, struct fr_evict *ev)
{
    int64_t limit = srv->cfg.maxmemory;
    while (fr__evict_used_memory(srv) > limit)
        if (!evict_one(srv, ev))
            return 0;
    return 1;
}

static int cmd_is(const fr_cmd *cmd, const char *name)
{
    return !strcmp(cmd->name, name);
}

static int st_admit(fr_conn *c, const fr_cmd *cmd, int argc, const fr_arg *argv)
{
    fr_server *srv = c->srv;
    struct fr_evict *ev = srv->evict;
    (void)argc;
    (void)argv;
    if (!srv->cfg.maxmemory) {
        if (ev->tracking)
            stop_tracking(ev, srv->ks->n);
        return 0;
    }
    sync_policy(srv, ev);
    if (!ev->tracking)
        start_tracking(srv, ev);
    if (perform_evictions(srv, ev))
        return 0;
    int deny = (cmd->flags & FR_CMD_DENYOOM) != 0;
    /* EXEC takes the flags of what it would run */
    if ((cmd->flags & FR_CMD_EXEC) && (fr__multi_queued_flags(c) & FR_CMD_DENYOOM))
        deny = 1;
    /* queuing in MULTI may use any amount of memory: Redis refuses it all
     * but the commands that end the transaction */
    if ((c->flags & FR_CONN_MULTI) && !(cmd->flags & FR_CMD_EXEC) && !cmd_is(cmd, "discard") &&
        !cmd_is(cmd, "quit") && !cmd_is(cmd, "reset"))
        deny = 1;
    if (!deny)
        return 0;
    fr__reject(c, "-OOM command not allowed when used memory > 'maxmemory'.");
    return 1;
}

static void st_stop(fr_server *srv)
{
    struct fr_evict *ev = srv->evict;
    if (!ev)
        return;
    for (int i = 0; ev->sizes && i < srv->ks->n; i++)
        fr__dict_clear(&ev->sizes[i]);
    free(ev->sizes);
    pool_clear(ev);
    free(ev->pool);
    free((void *)ev->policy_seen);
    free(ev);
    srv->evict = NULL;
}

static const fr_stage_ops evict_stage = {
    .name = "evict",
    .order = 60,
    .admit = st_admit,
    .stop = st_stop,
};

void fr__evict_enable(fr_server *srv)
{
    if (srv->evict)
        return;
    if (fr__stage_register(srv, &evict_stage) < 0)
        return;
    srv->evict = fr__xcalloc(1, sizeof *srv->evict);
    srv->evict->pool = fr__xcalloc(FR_EVICT_POOL + 1, sizeof *srv->evict->pool);
    sync_policy(srv, srv->evict);
}
