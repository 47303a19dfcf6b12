/* The hash table: chained buckets, two tables while rehashing. See dict.h
 * for the contract; the comments here explain the mechanics. */
#include "dict.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "clock.h"

#define MIN_SIZE 4
#define SMALL_MOVE 64
/* Walks over a large table (iteration, rehash, scan) fetch the entry of
 * the bucket this many ahead while they work on this one: the entries lie
 * wherever malloc put them, so at a million keys each one is a cache miss
 * that the walk would otherwise wait for in turn. */
#define AHEAD 8
/* Below this many buckets a table fits in the cache: no prefetching. */
#define PREFETCH_MIN 4096

static inline void prefetch(const void *p)
{
    if (p)
        __builtin_prefetch(p);
}

/* The bucket an entry belongs to under mask, from its stored hash (only
 * the low 32 bits are kept: a larger table hashes the key again). */
static inline size_t bucket_of(const fr_dict_entry *e, size_t mask)
{
    if (mask > UINT32_MAX)
        return (size_t)fr__dict_hash(e->key, e->klen) & mask;
    return (size_t)e->hash & mask;
}

/* A multiply-xorshift hash over 8-byte words. Flooding resistance does
 * not matter for a test double; speed and a good spread do. */
static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

uint64_t fr__dict_hash(const void *key, size_t len)
{
    const unsigned char *p = key;
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)len * 0x87c37b91114253d5ULL);
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h ^= w * 0x4cf5ad432745937fULL;
        h = ((h << 31) | (h >> 33)) * 0x52dce729ULL + 0x38495ab5ULL;
        p += 8;
        len -= 8;
    }
    uint64_t t = 0;
    for (size_t i = 0; i < len; i++)
        t |= (uint64_t)p[i] << (8 * i);
    h ^= t * 0x4cf5ad432745937fULL;
    return mix(h);
}

void fr__dict_init(fr_dict *d, const fr_dict_type *type, void *ctx)
{
    memset(d, 0, sizeof *d);
    d->rehash_idx = -1;
    d->type = type;
    d->ctx = ctx;
    /* Seed the per-dict generator from its address: distinct dicts draw
     * distinct sequences without any process-wide state. */
    d->rng = mix((uint64_t)(uintptr_t)d ^ 0x2545f4914f6cdd1dULL) | 1;
}

fr_dict *fr__dict_new(const fr_dict_type *type, void *ctx)
{
    fr_dict *d = fr__xmalloc(sizeof *d);
    fr__dict_init(d, type, ctx);
    return d;
}

static void free_entry(fr_dict *d, fr_dict_entry *e)
{
    if (d->type && d->type->val_free)
        d->type->val_free(e->v, d->ctx);
    free(e);
}

void fr__dict_clear(fr_dict *d)
{
    for (int t = 0; t < 2; t++) {
        int ahead = d->size[t] >= PREFETCH_MIN;
        for (size_t i = 0; i < d->size[t] && d->used[t]; i++) {
            fr_dict_entry *e = d->t[t][i];
            /* free() reads the allocator's header just before the entry */
            if (ahead && i + AHEAD < d->size[t] && d->t[t][i + AHEAD])
                prefetch((const char *)d->t[t][i + AHEAD] - sizeof(size_t));
            while (e) {
                fr_dict_entry *n = e->next;
                free_entry(d, e);
                d->used[t]--;
                e = n;
            }
        }
        free(d->t[t]);
        d->t[t] = NULL;
        d->size[t] = d->used[t] = 0;
    }
    d->rehash_idx = -1;
}

void fr__dict_free(fr_dict *d)
{
    if (!d)
        return;
    fr__dict_clear(d);
    free(d);
}

/* Move up to n non-empty buckets from t[0] to t[1]; visiting at most 10*n
 * empty ones, so a sparse table can't make one call slow. */
int fr__dict_rehash(fr_dict *d, int n)
{
    if (!fr__dict_is_rehashing(d))
        return 0;
    int empty_visits = n * 10;
    size_t mask1 = d->size[1] - 1;
    int ahead = d->size[0] >= PREFETCH_MIN;
    while (n-- && d->used[0]) {
        while (d->t[0][d->rehash_idx] == NULL) {
            d->rehash_idx++;
            if (--empty_visits == 0)
                return 1;
        }
        fr_dict_entry *e = d->t[0][d->rehash_idx];
        if (ahead && (size_t)d->rehash_idx + 2 * AHEAD < d->size[0]) {
            /* two stages: the entry 2*AHEAD buckets on, and for the one
             * AHEAD on (fetched by now) the bucket it will move to */
            prefetch(d->t[0][d->rehash_idx + 2 * AHEAD]);
            fr_dict_entry *a = d->t[0][d->rehash_idx + AHEAD];
            if (a)
                prefetch(&d->t[1][bucket_of(a, mask1)]);
        }
        while (e) {
            fr_dict_entry *next = e->next;
            size_t h = bucket_of(e, mask1);
            e->next = d->t[1][h];
            d->t[1][h] = e;
            d->used[0]--;
            d->used[1]++;
            e = next;
        }
        d->t[0][d->rehash_idx] = NULL;
        d->rehash_idx++;
    }
    if (d->used[0] == 0) {
        free(d->t[0]);
        d->t[0] = d->t[1];
        d->size[0] = d->size[1];
        d->used[0] = d->used[1];
        d->t[1] = NULL;
        d->size[1] = d->used[1] = 0;
        d->rehash_idx = -1;
        d->rand_chain = 0; /* new chains: fr__dict_random learns them again */
        return 0;
    }
    return 1;
}

int fr__dict_rehash_us(fr_dict *d, int64_t us)
{
    if (d->pause_rehash)
        return fr__dict_is_rehashing(d);
    int64_t end = fr__mono_us() + us;
    while (fr__dict_rehash(d, 100)) {
        if (fr__mono_us() >= end)
            return 1;
    }
    return 0;
}

static void step(fr_dict *d)
{
    if (!d->pause_rehash && fr__dict_is_rehashing(d))
        fr__dict_rehash(d, 1);
}

static void start_resize(fr_dict *d, size_t size)
{
    if (d->size[0] == 0) {
        d->t[0] = fr__xcalloc(size, sizeof *d->t[0]);
        d->size[0] = size;
        return;
    }
    d->t[1] = fr__xcalloc(size, sizeof *d->t[1]);
    d->size[1] = size;
    d->rehash_idx = 0;
    /* A small table moves at once (at most SMALL_MOVE chains, about a
     * microsecond): left to the incremental steps, a small set or hash
     * that stops changing keeps both tables forever (80 of the ~890 bytes
     * of a 10-member set). */
    if (d->size[0] <= SMALL_MOVE && !d->pause_rehash)
        fr__dict_rehash(d, SMALL_MOVE);
}

static void maybe_grow(fr_dict *d)
{
    if (fr__dict_is_rehashing(d))
        return;
    if (d->size[0] == 0)
        start_resize(d, MIN_SIZE);
    else if (d->used[0] >= d->size[0])
        start_resize(d, d->size[0] * 2);
}

void fr__dict_expand(fr_dict *d, size_t n)
{
    /* 2^40 buckets are beyond any memory: a bogus hint is ignored */
    if (fr__dict_is_rehashing(d) || n <= d->size[0] || n > ((size_t)1 << 40))
        return;
    size_t size = MIN_SIZE;
    while (size < n)
        size *= 2;
    start_resize(d, size);
}

void fr__dict_fit(fr_dict *d)
{
    if (fr__dict_is_rehashing(d) || d->pause_rehash || d->size[0] <= MIN_SIZE)
        return;
    size_t size = MIN_SIZE;
    while (size < d->used[0])
        size *= 2;
    if (size >= d->size[0])
        return;
    start_resize(d, size);
    while (fr__dict_rehash(d, 1000))
        ;
}

void fr__dict_maybe_shrink(fr_dict *d)
{
    if (fr__dict_is_rehashing(d) || d->pause_rehash || d->size[0] <= MIN_SIZE)
        return;
    if (d->used[0] * 8 >= d->size[0])
        return;
    size_t size = MIN_SIZE;
    while (size < d->used[0])
        size *= 2;
    if (size < d->size[0])
        start_resize(d, size);
}

static inline int same_key(const fr_dict_entry *e, uint64_t h, const void *key, size_t len)
{
    return e->hash == (uint32_t)h && e->klen == len && memcmp(e->key, key, len) == 0;
}

/* The entry for key (whose hash is h), NULL if absent. */
static fr_dict_entry *find_hashed(fr_dict *d, const void *key, size_t len, uint64_t h)
{
    for (int t = 0; t < 2; t++) {
        if (!d->size[t])
            break;
        for (fr_dict_entry *e = d->t[t][h & (d->size[t] - 1)]; e; e = e->next) {
            if (same_key(e, h, key, len))
                return e;
        }
        if (!fr__dict_is_rehashing(d))
            break;
    }
    return NULL;
}

fr_dict_entry *fr__dict_find(fr_dict *d, const void *key, size_t len)
{
    if (fr__dict_size(d) == 0)
        return NULL;
    step(d);
    return find_hashed(d, key, len, fr__dict_hash(key, len));
}

fr_dict_entry *fr__dict_add(fr_dict *d, const void *key, size_t len,
                            fr_dict_entry **existing)
{
    uint64_t hash = fr__dict_hash(key, len);
    fr_dict_entry *e = NULL;
    if (fr__dict_size(d)) {
        step(d);
        e = find_hashed(d, key, len, hash);
    }
    if (e) {
        if (existing)
            *existing = e;
        return NULL;
    }
    maybe_grow(d);
    int t = fr__dict_is_rehashing(d) ? 1 : 0;
    size_t h = (size_t)hash & (d->size[t] - 1);
    e = fr__xmalloc(sizeof *e + len + 1);
    e->v.i = 0;
    e->v.p = NULL;
    e->klen = (uint32_t)len;
    e->hash = (uint32_t)hash;
    if (len)
        memcpy(e->key, key, len);
    e->key[len] = '\0';
    e->next = d->t[t][h];
    d->t[t][h] = e;
    d->used[t]++;
    return e;
}

fr_dict_entry *fr__dict_set(fr_dict *d, const void *key, size_t len, fr_dict_val v)
{
    fr_dict_entry *old = NULL;
    fr_dict_entry *e = fr__dict_add(d, key, len, &old);
    if (e) {
        e->v = v;
        return e;
    }
    fr_dict_val prev = old->v;
    old->v = v;
    if (d->type && d->type->val_free)
        d->type->val_free(prev, d->ctx);
    return old;
}

fr_dict_entry *fr__dict_unlink(fr_dict *d, const void *key, size_t len)
{
    if (fr__dict_size(d) == 0)
        return NULL;
    step(d);
    uint64_t h = fr__dict_hash(key, len);
    for (int t = 0; t < 2; t++) {
        if (!d->size[t])
            break;
        fr_dict_entry **pp = &d->t[t][h & (d->size[t] - 1)];
        for (fr_dict_entry *e = *pp; e; pp = &e->next, e = e->next) {
            if (same_key(e, h, key, len)) {
                *pp = e->next;
                e->next = NULL;
                d->used[t]--;
                return e;
            }
        }
        if (!fr__dict_is_rehashing(d))
            break;
    }
    return NULL;
}

void fr__dict_free_unlinked(fr_dict *d, fr_dict_entry *e)
{
    if (e)
        free_entry(d, e);
}

int fr__dict_delete(fr_dict *d, const void *key, size_t len)
{
    fr_dict_entry *e = fr__dict_unlink(d, key, len);
    if (!e)
        return 0;
    free_entry(d, e);
    fr__dict_maybe_shrink(d);
    return 1;
}

static uint64_t next_rand(fr_dict *d)
{
    /* xorshift64* */
    uint64_t x = d->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    d->rng = x;
    return x * 0x2545f4914f6cdd1dULL;
}

fr_dict_entry *fr__dict_random(fr_dict *d)
{
    if (fr__dict_size(d) == 0)
        return NULL;
    step(d);
    /* A bucket, then a slot 0..rand_chain-1 of it: an entry only when the
     * chain reaches that slot. Every entry then has the same chance, 1 /
     * (buckets * rand_chain), where a pick within the chain would favour
     * the entries of short chains (a chi-square test of SRANDMEMBER with a
     * negative count showed it). rand_chain only grows, to the longest
     * chain met; chains stay short, so a few draws do. */
    if (d->rand_chain == 0)
        d->rand_chain = 1;
    for (;;) {
        fr_dict_entry *e;
        if (fr__dict_is_rehashing(d)) {
            /* Buckets of t[0] below rehash_idx are empty: draw from the
             * rest of t[0] and all of t[1] as one range. */
            size_t lo = (size_t)d->rehash_idx;
            size_t span = d->size[0] - lo + d->size[1];
            size_t i = lo + (size_t)(next_rand(d) % span);
            e = i < d->size[0] ? d->t[0][i] : d->t[1][i - d->size[0]];
        } else {
            e = d->t[0][next_rand(d) & (d->size[0] - 1)];
        }
        size_t n = 0;
        for (fr_dict_entry *x = e; x; x = x->next)
            n++;
        if (n > d->rand_chain) {
            d->rand_chain = n; /* a longer chain: draw again, fairly */
            continue;
        }
        size_t k = (size_t)(next_rand(d) % d->rand_chain);
        if (k >= n)
            continue;
        while (k--)
            e = e->next;
        return e;
    }
}

static uint64_t rev64(uint64_t v)
{
    v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
    v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
    v = ((v >> 4) & 0x0f0f0f0f0f0f0f0fULL) | ((v & 0x0f0f0f0f0f0f0f0fULL) << 4);
    v = ((v >> 8) & 0x00ff00ff00ff00ffULL) | ((v & 0x00ff00ff00ff00ffULL) << 8);
    v = ((v >> 16) & 0x0000ffff0000ffffULL) | ((v & 0x0000ffff0000ffffULL) << 16);
    return (v >> 32) | (v << 32);
}

/* Add one to the cursor's bits under mask, counting from the top bit
 * down: the bits outside the mask are set first so the carry runs through
 * them and lands on the next bucket in reversed order. */
static uint64_t cursor_next(uint64_t v, uint64_t mask)
{
    v |= ~mask;
    v = rev64(v);
    v++;
    return rev64(v);
}

static void emit_bucket(fr_dict_entry *e, fr_dict_scan_fn *fn, void *priv)
{
    for (; e; e = e->next)
        fn(priv, e);
}

uint64_t fr__dict_scan(fr_dict *d, uint64_t v, fr_dict_scan_fn *fn, void *priv)
{
    if (fr__dict_size(d) == 0)
        return 0;
    d->pause_rehash++;
    if (!fr__dict_is_rehashing(d)) {
        uint64_t m = d->size[0] - 1;
        if (d->size[0] >= PREFETCH_MIN) {
            /* The cursor walks the buckets in reversed-bit order, so each
             * bucket is a miss; the next calls come at once (a SCAN
             * visits COUNT buckets): fetch the slot of the bucket 2*AHEAD
             * on, and the entry of the one AHEAD on. */
            uint64_t r = rev64(v | ~m);
            __builtin_prefetch(&d->t[0][rev64(r + 2 * AHEAD) & m]);
            prefetch(d->t[0][rev64(r + AHEAD) & m]);
        }
        emit_bucket(d->t[0][v & m], fn, priv);
        v = cursor_next(v, m);
    } else {
        int s = d->size[0] <= d->size[1] ? 0 : 1; /* the smaller table */
        int l = 1 - s;
        uint64_t ms = d->size[s] - 1, ml = d->size[l] - 1;
        emit_bucket(d->t[s][v & ms], fn, priv);
        /* Every bucket of the larger table that the small bucket splits
         * into: they share the low bits v & ms. */
        do {
            emit_bucket(d->t[l][v & ml], fn, priv);
            v = cursor_next(v, ml);
        } while (v & (ms ^ ml));
    }
    d->pause_rehash--;
    return v;
}

void fr__dict_iter_start(fr_dict_iter *it, fr_dict *d)
{
    it->d = d;
    it->table = 0;
    it->idx = -1;
    it->e = it->next = NULL;
    d->pause_rehash++;
}

fr_dict_entry *fr__dict_iter_next(fr_dict_iter *it)
{
    fr_dict *d = it->d;
    for (;;) {
        if (it->next) {
            it->e = it->next;
            it->next = it->e->next;
            prefetch(it->next); /* a chain's next entry: wanted soon */
            return it->e;
        }
        it->idx++;
        size_t size = d->size[it->table];
        if ((size_t)it->idx >= size) {
            if (it->table == 1 || !fr__dict_is_rehashing(d))
                return NULL;
            it->table = 1;
            it->idx = 0;
            size = d->size[1];
            if (size == 0)
                return NULL;
        }
        fr_dict_entry **t = d->t[it->table];
        if (size >= PREFETCH_MIN && (size_t)it->idx + AHEAD < size)
            prefetch(t[it->idx + AHEAD]);
        it->next = t[it->idx];
    }
}

void fr__dict_iter_end(fr_dict_iter *it)
{
    if (it->d) {
        it->d->pause_rehash--;
        it->d = NULL;
    }
}

