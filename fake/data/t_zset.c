/* Sorted sets: the listpack (a pack) and the skiplist (a dict and a
 * B+tree) encodings, and the operations over either. See t_zset.h. */
#include "t_zset.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "pack.h"

/* ---- helpers ----------------------------------------------------------- */

static int memb_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    return fr__zbt_memb_cmp(a, alen, b, blen);
}

/* (score, member) order. */
static int elem_cmp(double s1, const char *a, size_t alen, double s2, const char *b, size_t blen)
{
    if (s1 < s2)
        return -1;
    if (s1 > s2)
        return 1;
    return memb_cmp(a, alen, b, blen);
}

/* ---- the listpack encoding: a pack of member, score, member, score... -- */

__attribute__((noinline)) static size_t zlp_pair_slow(const fr_pack *pk, size_t off, fr_zelem *e)
{
    fr_pent m, s;
    off += fr__pack_get(pk, off, &m);
    off += fr__pack_get(pk, off, &s);
    if (e) {
        e->p = m.p;
        e->len = m.len;
        e->score = s.num;
    }
    return off;
}

/* The pair at off into *e (may be NULL); returns the offset after it. */
static inline size_t zlp_pair(const fr_pack *pk, size_t off, fr_zelem *e)
{
    const char *p;
    size_t len;
    double num;
    size_t next = fr__pack_try_str_num(pk, off, &p, &len, &num);
    if (!next)
        return zlp_pair_slow(pk, off, e);
    if (e) {
        e->p = p;
        e->len = len;
        e->score = num;
    }
    return next;
}

/* The offset of member's pair and its index, or -1. */
static long long zlp_find(const fr_pack *pk, const char *p, size_t len, size_t *idx)
{
    size_t i = 0;
    for (size_t off = 0; off < pk->bytes; i++) {
        fr_pent m;
        size_t soff = off + fr__pack_get(pk, off, &m);
        if (m.len == len && (len == 0 || memcmp(m.p, p, len) == 0)) {
            if (idx)
                *idx = i;
            return (long long)off;
        }
        off = soff + fr__pack_get(pk, soff, NULL);
    }
    return -1;
}

/* The offset of the pair at index i (<= members). */
static size_t zlp_at(const fr_pack *pk, size_t i)
{
    size_t off = 0;
    while (i--)
        off = zlp_pair(pk, off, NULL);
    return off;
}

static fr_pack *zlp_insert(fr_pack *pk, double score, const char *p, size_t len)
{
    if (score == 0)
        score = 0; /* Redis' listpack stores -0 as the integer 0 */
    size_t off = 0;
    while (off < pk->bytes) {
        fr_zelem e;
        size_t next = zlp_pair(pk, off, &e);
        if (elem_cmp(e.score, e.p, e.len, score, p, len) >= 0)
            break;
        off = next;
    }
    size_t ms = fr__pack_str_size(len), ss = fr__pack_num_size(score);
    pk = fr__pack_splice(pk, off, 0, ms + ss, 2);
    fr__pack_put_str(pk->d + off, p, len);
    fr__pack_put_num(pk->d + off + ms, score);
    return pk;
}

/* Remove the pairs of indexes [i, i + k) starting at offset off. */
static fr_pack *zlp_remove(fr_pack *pk, size_t off, size_t k)
{
    size_t end = off;
    for (size_t j = 0; j < k; j++)
        end = zlp_pair(pk, end, NULL);
    return fr__pack_splice(pk, off, end - off, 0, -2 * (long)k);
}

/* ---- the skiplist encoding: a dict and a B+tree over its entries ------- */

static fr_zsk *sk_new(void)
{
    fr_zsk *zs = fr__xmalloc(sizeof *zs);
    fr__dict_init(&zs->dict, NULL, NULL);
    fr__zbt_init(&zs->tree);
    zs->rng = fr__rng_seed(zs);
    return zs;
}

static void sk_free(fr_zsk *zs)
{
    fr__zbt_clear(&zs->tree);
    fr__dict_clear(&zs->dict);
    free(zs);
}

/* A dict entry for a member that is not there yet (the tree not told). */
static fr_dict_entry *sk_entry(fr_zsk *zs, double score, const char *p, size_t len)
{
    fr_dict_entry *e = fr__dict_add(&zs->dict, p, len, NULL);
    e->v.d = score;
    return e;
}

static void sk_insert(fr_zsk *zs, double score, const char *p, size_t len)
{
    fr__zbt_insert(&zs->tree, sk_entry(zs, score, p, len));
}

static void to_skiplist(fr_obj *o)
{
    fr_pack *pk = o->v.ptr;
    fr_zsk *zs = sk_new();
    size_t n = pk->n / 2, i = 0;
    fr_dict_entry **ents = fr__xmalloc((n ? n : 1) * sizeof *ents);
    for (size_t off = 0; off < pk->bytes;) {
        fr_zelem e;
        off = zlp_pair(pk, off, &e);
        ents[i++] = sk_entry(zs, e.score, e.p, e.len);
    }
    fr__zbt_build(&zs->tree, ents, n);
    free(ents);
    free(pk);
    o->v.ptr = zs;
    o->enc = FR_ENC_SKIPLIST;
}

/* The entries of a tree in order (n of them), for rebuilding. */
static fr_dict_entry **tree_entries(const fr_zbt *t)
{
    fr_dict_entry **ents = fr__xmalloc((t->len ? t->len : 1) * sizeof *ents);
    size_t i = 0;
    for (const fr_zbt_leaf *l = t->first; l; l = l->next)
        for (uint32_t s = 0; s < l->n; s++)
            ents[i++] = l->ent[s];
    return ents;
}

/* ---- the zset ---------------------------------------------------------- */

fr_obj *fr__zset_new(const fr_enc_limits *cfg, size_t size_hint, size_t maxlen_hint)
{
    if (size_hint <= (size_t)cfg->zset_max_listpack_entries &&
        maxlen_hint <= (size_t)cfg->zset_max_listpack_value)
        return fr__obj_new(FR_TYPE_ZSET, FR_ENC_LISTPACK, fr__pack_new());
    return fr__obj_new(FR_TYPE_ZSET, FR_ENC_SKIPLIST, sk_new());
}

size_t fr__zset_len(const fr_obj *o)
{
    if (o->enc == FR_ENC_LISTPACK)
        return ((const fr_pack *)o->v.ptr)->n / 2;
    return ((const fr_zsk *)o->v.ptr)->tree.len;
}

int fr__zset_score(const fr_obj *o, const char *p, size_t len, double *score)
{
    if (o->enc == FR_ENC_LISTPACK) {
        const fr_pack *pk = o->v.ptr;
        long long off = zlp_find(pk, p, len, NULL);
        if (off < 0)
            return 0;
        fr_zelem e;
        zlp_pair(pk, (size_t)off, &e);
        *score = e.score;
        return 1;
    }
    fr_zsk *zs = o->v.ptr;
    fr_dict_entry *e = fr__dict_find(&zs->dict, p, len);
    if (!e)
        return 0;
    *score = e->v.d;
    return 1;
}

int fr__zset_add(const fr_enc_limits *cfg, fr_obj *o, double score, const char *p, size_t len,
                 int flags, int *out, double *newscore)
{
    int incr = flags & FR_ZADD_INCR, nx = flags & FR_ZADD_NX, xx = flags & FR_ZADD_XX;
    int gt = flags & FR_ZADD_GT, lt = flags & FR_ZADD_LT;
    *out = 0;
    if (isnan(score)) {
        *out = FR_ZADD_NAN;
        return 0;
    }
    double cur;
    if (fr__zset_score(o, p, len, &cur)) {
        if (nx) {
            *out = FR_ZADD_NOP;
            return 1;
        }
        if (incr) {
            score += cur;
            if (isnan(score)) {
                *out = FR_ZADD_NAN;
                return 0;
            }
        }
        if ((lt && score >= cur) || (gt && score <= cur)) {
            *out = FR_ZADD_NOP;
            return 1;
        }
        if (newscore)
            *newscore = score;
        if (score != cur) {
            if (o->enc == FR_ENC_LISTPACK) {
                fr_pack *pk = o->v.ptr;
                long long off = zlp_find(pk, p, len, NULL);
                pk = zlp_remove(pk, (size_t)off, 1);
                o->v.ptr = zlp_insert(pk, score, p, len);
            } else {
                fr_zsk *zs = o->v.ptr;
                fr_dict_entry *e = fr__dict_find(&zs->dict, p, len);
                fr__zbt_delete(&zs->tree, e);
                e->v.d = score;
                fr__zbt_insert(&zs->tree, e);
            }
            *out = FR_ZADD_UPDATED;
        }
        return 1;
    }
    if (xx) {
        *out = FR_ZADD_NOP;
        return 1;
    }
    if (o->enc == FR_ENC_LISTPACK) {
        fr_pack *pk = o->v.ptr;
        if (pk->n / 2 + 1 > (size_t)cfg->zset_max_listpack_entries ||
            len > (size_t)cfg->zset_max_listpack_value || !fr__pack_safe_to_add(pk, len))
            to_skiplist(o);
    }
    if (o->enc == FR_ENC_LISTPACK)
        o->v.ptr = zlp_insert(o->v.ptr, score, p, len);
    else
        sk_insert(o->v.ptr, score, p, len);
    if (newscore)
        *newscore = score;
    *out = FR_ZADD_ADDED;
    return 1;
}

int fr__zset_del(fr_obj *o, const char *p, size_t len)
{
    if (o->enc == FR_ENC_LISTPACK) {
        fr_pack *pk = o->v.ptr;
        long long off = zlp_find(pk, p, len, NULL);
        if (off < 0)
            return 0;
        o->v.ptr = zlp_remove(pk, (size_t)off, 1);
        return 1;
    }
    fr_zsk *zs = o->v.ptr;
    fr_dict_entry *e = fr__dict_unlink(&zs->dict, p, len);
    if (!e)
        return 0;
    fr__zbt_delete(&zs->tree, e);
    fr__dict_free_unlinked(&zs->dict, e);
    return 1;
}

void fr__zset_del_range(fr_obj *o, size_t start, size_t end)
{
    if (end <= start)
        return;
    if (o->enc == FR_ENC_LISTPACK) {
        fr_pack *pk = o->v.ptr;
        o->v.ptr = zlp_remove(pk, zlp_at(pk, start), end - start);
        return;
    }
    fr_zsk *zs = o->v.ptr;
    fr_zbt *t = &zs->tree;
    size_t k = end - start;
    if (k * 16 < t->len) {
        /* a few: one by one, O(log n) each */
        while (k--) {
            uint32_t slot;
            fr_dict_entry *e = fr__zbt_seek(t, start, &slot)->ent[slot];
            fr__zbt_delete(t, e);
            fr__dict_delete(&zs->dict, e->key, e->klen);
        }
        return;
    }
    /* many: keep the rest and rebuild, O(n) */
    fr_dict_entry **ents = tree_entries(t);
    size_t n = t->len, kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (i >= start && i < end)
            fr__dict_delete(&zs->dict, ents[i]->key, ents[i]->klen);
        else
            ents[kept++] = ents[i];
    }
    fr__zbt_clear(t);
    fr__zbt_build(t, ents, kept);
    free(ents);
}

long long fr__zset_rank(fr_obj *o, const char *p, size_t len)
{
    if (o->enc == FR_ENC_LISTPACK) {
        size_t i;
        return zlp_find(o->v.ptr, p, len, &i) < 0 ? -1 : (long long)i;
    }
    fr_zsk *zs = o->v.ptr;
    fr_dict_entry *e = fr__dict_find(&zs->dict, p, len);
    if (!e)
        return -1;
    return (long long)fr__zbt_rank(&zs->tree, e);
}

void fr__zset_shrink_if_small(const fr_enc_limits *cfg, fr_obj *o, size_t maxlen)
{
    if (o->enc != FR_ENC_SKIPLIST)
        return;
    fr_zsk *zs = o->v.ptr;
    const fr_zbt *t = &zs->tree;
    if (t->len > (size_t)cfg->zset_max_listpack_entries ||
        maxlen > (size_t)cfg->zset_max_listpack_value)
        return;
    /* size the pack first: one allocation */
    size_t bytes = 0;
    for (const fr_zbt_leaf *l = t->first; l; l = l->next)
        for (uint32_t s = 0; s < l->n; s++)
            bytes += fr__pack_str_size(l->ent[s]->klen) +
                     fr__pack_num_size(l->score[s] == 0 ? 0 : l->score[s]);
    fr_pack *pk = fr__pack_splice(fr__pack_new(), 0, 0, bytes, 2 * (long)t->len);
    size_t off = 0;
    for (const fr_zbt_leaf *l = t->first; l; l = l->next) {
        for (uint32_t s = 0; s < l->n; s++) {
            const fr_dict_entry *e = l->ent[s];
            off += fr__pack_put_str(pk->d + off, e->key, e->klen);
            off += fr__pack_put_num(pk->d + off, l->score[s] == 0 ? 0 : l->score[s]);
        }
    }
    sk_free(zs);
    o->v.ptr = pk;
    o->enc = FR_ENC_LISTPACK;
}

/* fr_zpred over the tree's (score, entry). */
typedef struct tree_pred_ctx {
    fr_zpred *pred;
    const void *ctx;
} tree_pred_ctx;

static int tree_pred(const void *ctx, double score, const fr_dict_entry *e)
{
    const tree_pred_ctx *tp = ctx;
    fr_zelem z = {e->key, e->klen, score};
    return tp->pred(tp->ctx, &z);
}

size_t fr__zset_prefix(const fr_obj *o, fr_zpred *pred, const void *ctx)
{
    if (o->enc == FR_ENC_SKIPLIST) {
        tree_pred_ctx tp = {pred, ctx};
        return fr__zbt_prefix(&((const fr_zsk *)o->v.ptr)->tree, tree_pred, &tp);
    }
    const fr_pack *pk = o->v.ptr;
    size_t i = 0;
    for (size_t off = 0; off < pk->bytes; i++) {
        fr_zelem e;
        off = zlp_pair(pk, off, &e);
        if (!pred(ctx, &e))
            break;
    }
    return i;
}

/* Ask for an entry's member: a typical entry (48 bytes on glibc) may
 * straddle two cache lines. A prefetch never faults, so the second
 * address may lie past a short entry. */
static inline void prefetch_entry(const fr_dict_entry *e)
{
    __builtin_prefetch(e);
    __builtin_prefetch((const void *)((uintptr_t)e + 47));
}

/* Ask for the entries the walk will read next in this leaf (up to 16):
 * each is a cache miss in a big set, and fetched together they cost about
 * one instead of one each (ZRANGE of 10 at 1M members). */
static void zit_prefetch(const fr_zit *it)
{
    const fr_zbt_leaf *l = it->leaf;
    size_t k = it->left < 16 ? it->left : 16;
    if (it->rev) {
        for (uint32_t s = it->slot + 1; s-- > 0 && k--;)
            prefetch_entry(l->ent[s]);
    } else {
        for (uint32_t s = it->slot; s < l->n && k--; s++)
            prefetch_entry(l->ent[s]);
    }
}

void fr__zit_init(fr_zit *it, const fr_obj *o, size_t rank, int rev)
{
    size_t n = fr__zset_len(o);
    it->o = o;
    it->rev = rev;
    it->leaf = NULL;
    it->nwin = 0;
    it->left = rank < n ? n - rank : 0;
    if (!it->left)
        return;
    size_t fwd = rev ? n - 1 - rank : rank;
    if (o->enc == FR_ENC_LISTPACK) {
        it->idx = fwd;
        if (!rev)
            it->off = zlp_at(o->v.ptr, fwd);
    } else {
        it->leaf = fr__zbt_seek(&((const fr_zsk *)o->v.ptr)->tree, fwd, &it->slot);
        zit_prefetch(it);
    }
}

/* A reverse walk of a pack: the offsets of the members before and at idx,
 * up to FR_ZIT_WIN of them, read from the front (O(n) per window). */
static void zit_refill(fr_zit *it, const fr_pack *pk)
{
    size_t lo = it->idx + 1 > FR_ZIT_WIN ? it->idx + 1 - FR_ZIT_WIN : 0;
    size_t off = zlp_at(pk, lo);
    uint32_t k = 0;
    for (size_t j = lo; j <= it->idx; j++) {
        it->win[k++] = (uint32_t)off;
        off = zlp_pair(pk, off, NULL);
    }
    it->nwin = k;
}

/* fr__zit_next but a forward walk of a pack. */
__attribute__((noinline)) static int zit_next_other(fr_zit *it, fr_zelem *e)
{
    if (it->o->enc == FR_ENC_LISTPACK) {
        const fr_pack *pk = it->o->v.ptr;
        if (!it->nwin)
            zit_refill(it, pk);
        zlp_pair(pk, it->win[--it->nwin], e);
        it->idx--;
        return 1;
    }
    const fr_zbt_leaf *l = it->leaf;
    uint32_t s = it->slot;
    const fr_dict_entry *x = l->ent[s];
    e->p = x->key;
    e->len = x->klen;
    e->score = l->score[s];
    if (it->rev ? s > 0 : s + 1 < l->n) {
        it->slot = it->rev ? s - 1 : s + 1;
        if ((it->slot & 15) == (it->rev ? 15u : 0u) && it->left)
            zit_prefetch(it);
        return 1;
    }
    it->leaf = it->rev ? l->prev : l->next;
    it->slot = !it->leaf ? 0 : it->rev ? it->leaf->n - 1 : 0;
    if (it->leaf && it->left)
        zit_prefetch(it);
    return 1;
}

int fr__zit_next_slow(fr_zit *it, fr_zelem *e)
{
    if (!it->left)
        return 0;
    it->left--;
    if (it->o->enc == FR_ENC_LISTPACK && !it->rev) {
        it->off = zlp_pair(it->o->v.ptr, it->off, e);
        return 1;
    }
    return zit_next_other(it, e);
}

uint64_t fr__zset_rand(fr_obj *o)
{
    if (o->enc == FR_ENC_LISTPACK)
        return fr__obj_rand(o);
    return fr__rng_next(&((fr_zsk *)o->v.ptr)->rng);
}

void fr__zset_random(fr_obj *o, fr_zelem *e)
{
    if (o->enc == FR_ENC_LISTPACK) {
        const fr_pack *pk = o->v.ptr;
        zlp_pair(pk, zlp_at(pk, (size_t)(fr__obj_rand(o) % (pk->n / 2))), e);
        return;
    }
    fr_zsk *zs = o->v.ptr;
    uint32_t slot;
    const fr_zbt_leaf *l =
        fr__zbt_seek(&zs->tree, (size_t)(fr__rng_next(&zs->rng) % zs->tree.len), &slot);
    e->p = l->ent[slot]->key;
    e->len = l->ent[slot]->klen;
    e->score = l->score[slot];
}

int fr__zset_lp_fmt_score(char *dst, size_t cap, double d)
{
    const double lim = (double)(LLONG_MAX / 2);
    if (isfinite(d) && d >= -lim && d <= lim && (double)(long long)d == d)
        return snprintf(dst, cap, "%lld", (long long)d);
    return fr__fmt_double(dst, cap, d);
}

/* ---- ranges ------------------------------------------------------------ */

static int parse_score_item(const char *p, size_t n, double *v, int *ex)
{
    *ex = 0;
    if (n && p[0] == '(') {
        *ex = 1;
        p++;
        n--;
    }
    /* strtod as Redis calls it: an empty number is 0, spaces lead, any
     * length */
    size_t used;
    int erange;
    *v = fr__strtod_n(p, n, &used, &erange);
    return used == n && !isnan(*v);
}

int fr__zrange_parse(fr_zrange *r, const char *minp, size_t minn, const char *maxp, size_t maxn)
{
    return parse_score_item(minp, minn, &r->min, &r->minex) &&
           parse_score_item(maxp, maxn, &r->max, &r->maxex);
}

static int parse_lex_item(const char *p, size_t n, const char **s, size_t *len, int *ex, int *inf)
{
    *inf = 0;
    *ex = 0;
    *s = NULL;
    *len = 0;
    if (n == 0)
        return 0;
    switch (p[0]) {
    case '+':
        if (n != 1)
            return 0;
        *inf = 1;
        return 1;
    case '-':
        if (n != 1)
            return 0;
        *inf = -1;
        return 1;
    case '(':
    case '[':
        *ex = p[0] == '(';
        *s = p + 1;
        *len = n - 1;
        return 1;
    default:
        return 0;
    }
}

int fr__zlexrange_parse(fr_zlexrange *r, const char *minp, size_t minn, const char *maxp,
                        size_t maxn)
{
    return parse_lex_item(minp, minn, &r->min, &r->minlen, &r->minex, &r->min_inf) &&
           parse_lex_item(maxp, maxn, &r->max, &r->maxlen, &r->maxex, &r->max_inf);
}

static int below_min(const void *ctx, const fr_zelem *e)
{
    const fr_zrange *r = ctx;
    return r->minex ? e->score <= r->min : e->score < r->min;
}

static int not_above_max(const void *ctx, const fr_zelem *e)
{
    const fr_zrange *r = ctx;
    return r->maxex ? e->score < r->max : e->score <= r->max;
}

/* Compare a member with a lex bound (inf: -1 below everything, 1 above). */
static int lex_cmp(const fr_zelem *e, const char *s, size_t len, int inf)
{
    if (inf)
        return -inf;
    return memb_cmp(e->p, e->len, s, len);
}

static int lex_below_min(const void *ctx, const fr_zelem *e)
{
    const fr_zlexrange *r = ctx;
    int c = lex_cmp(e, r->min, r->minlen, r->min_inf);
    return r->minex ? c <= 0 : c < 0;
}

static int lex_not_above_max(const void *ctx, const fr_zelem *e)
{
    const fr_zlexrange *r = ctx;
    int c = lex_cmp(e, r->max, r->maxlen, r->max_inf);
    return r->maxex ? c < 0 : c <= 0;
}

int fr__zrange_keeps(const void *range, int rev, const fr_zelem *e)
{
    return rev ? !below_min(range, e) : not_above_max(range, e);
}

int fr__zlexrange_keeps(const void *range, int rev, const fr_zelem *e)
{
    return rev ? !lex_below_min(range, e) : lex_not_above_max(range, e);
}

void fr__zset_score_span(const fr_obj *o, const fr_zrange *r, size_t *first, size_t *end)
{
    if (o->enc == FR_ENC_SKIPLIST) {
        /* by the scores in the tree's nodes, reading no member */
        const fr_zbt *t = &((const fr_zsk *)o->v.ptr)->tree;
        *first = fr__zbt_count_below(t, r->min, r->minex);
        *end = fr__zbt_count_below(t, r->max, !r->maxex);
    } else {
        *first = fr__zset_prefix(o, below_min, r);
        *end = fr__zset_prefix(o, not_above_max, r);
    }
    if (*end < *first)
        *end = *first;
}

/* min <= max as bounds, as Redis' sdscmplex orders them ("-" lowest). */
static int lex_bounds_ok(const fr_zlexrange *r)
{
    int c;
    if (r->min_inf && r->max_inf)
        c = r->min_inf - r->max_inf;
    else if (r->min_inf)
        c = r->min_inf;
    else if (r->max_inf)
        c = -r->max_inf;
    else
        c = memb_cmp(r->min, r->minlen, r->max, r->maxlen);
    return !(c > 0 || (c == 0 && (r->minex || r->maxex)));
}

void fr__zset_lex_span(const fr_obj *o, const fr_zlexrange *r, int rev, size_t *first, size_t *end)
{
    if (o->enc == FR_ENC_SKIPLIST) {
        *first = fr__zset_prefix(o, lex_below_min, r);
        *end = fr__zset_prefix(o, lex_not_above_max, r);
        if (*end < *first)
            *end = *first;
        return;
    }
    /* A listpack is walked the way Redis walks it, so that a lex range
     * over members of different scores (which Redis leaves undefined)
     * still answers what Redis answers: find the first member inside from
     * the walking end, then go on while the members stay inside. */
    const fr_pack *pk = o->v.ptr;
    size_t n = pk->n / 2;
    *first = *end = 0;
    if (!n || !lex_bounds_ok(r))
        return;
    /* the members in order, to walk from either end */
    fr_zelem *a = fr__xmalloc(n * sizeof *a);
    for (size_t k = 0, off = 0; k < n; k++)
        off = zlp_pair(pk, off, &a[k]);
    if (lex_below_min(r, &a[n - 1]) || !lex_not_above_max(r, &a[0])) {
        free(a);
        return;
    }
    size_t i, j;
    if (!rev) {
        for (i = 0; i < n && lex_below_min(r, &a[i]); i++)
            ;
        for (j = i; j < n && lex_not_above_max(r, &a[j]); j++)
            ;
    } else {
        for (j = n; j > 0 && !lex_not_above_max(r, &a[j - 1]); j--)
            ;
        for (i = j; i > 0 && !lex_below_min(r, &a[i - 1]); i--)
            ;
    }
    free(a);
    *first = i;
    *end = j;
}

/* ---- type ops ---------------------------------------------------------- */

static void zset_free(fr_obj *o)
{
    if (o->enc == FR_ENC_LISTPACK)
        free(o->v.ptr);
    else
        sk_free(o->v.ptr);
}

static fr_obj *zset_dup(const fr_obj *o)
{
    if (o->enc == FR_ENC_LISTPACK)
        return fr__obj_new(FR_TYPE_ZSET, FR_ENC_LISTPACK, fr__pack_dup(o->v.ptr));
    const fr_zbt *src = &((const fr_zsk *)o->v.ptr)->tree;
    fr_zsk *zs = sk_new();
    fr_dict_entry **ents = tree_entries(src);
    for (size_t i = 0; i < src->len; i++)
        ents[i] = sk_entry(zs, ents[i]->v.d, ents[i]->key, ents[i]->klen);
    fr__zbt_build(&zs->tree, ents, src->len);
    free(ents);
    return fr__obj_new(FR_TYPE_ZSET, FR_ENC_SKIPLIST, zs);
}

/* DUMP payload: count, then (member length, member, score as 8 bytes). */
static void zset_dump(const fr_obj *o, fr_buf *out)
{
    uint64_t n = fr__zset_len(o);
    fr__buf_append(out, &n, sizeof n);
    fr_zit it;
    fr_zelem e;
    fr__zit_init(&it, o, 0, 0);
    while (fr__zit_next(&it, &e)) {
        uint32_t len = (uint32_t)e.len;
        fr__buf_append(out, &len, sizeof len);
        fr__buf_append(out, e.p, e.len);
        fr__buf_append(out, &e.score, sizeof e.score);
    }
}

static fr_obj *zset_load(const char **p, const char *end, int enc_hint)
{
    uint64_t n;
    if ((size_t)(end - *p) < sizeof n)
        return NULL;
    memcpy(&n, *p, sizeof n);
    *p += sizeof n;
    fr_obj *o;
    if (enc_hint == FR_ENC_LISTPACK)
        o = fr__obj_new(FR_TYPE_ZSET, FR_ENC_LISTPACK, fr__pack_new());
    else
        o = fr__obj_new(FR_TYPE_ZSET, FR_ENC_SKIPLIST, sk_new());
    for (uint64_t i = 0; i < n; i++) {
        uint32_t len;
        double score;
        if ((size_t)(end - *p) < sizeof len)
            goto bad;
        memcpy(&len, *p, sizeof len);
        *p += sizeof len;
        if ((size_t)(end - *p) < (size_t)len + sizeof score)
            goto bad;
        const char *m = *p;
        *p += len;
        memcpy(&score, *p, sizeof score);
        *p += sizeof score;
        if (isnan(score) || fr__zset_score(o, m, len, &(double){0}))
            goto bad;
        if (o->enc == FR_ENC_LISTPACK) {
            if (!fr__pack_safe_to_add(o->v.ptr, len))
                goto bad;
            o->v.ptr = zlp_insert(o->v.ptr, score, m, len);
        } else {
            sk_insert(o->v.ptr, score, m, len);
        }
    }
    return o;
bad:
    fr__obj_free(o);
    return NULL;
}

static void zset_render(const fr_obj *o, fr_buf *out)
{
    fr_zit it;
    fr_zelem e;
    char num[64];
    int first = 1;
    fr__buf_putc(out, '[');
    fr__zit_init(&it, o, 0, 0);
    while (fr__zit_next(&it, &e)) {
        if (!first)
            fr__buf_puts(out, ", ");
        first = 0;
        fr__buf_append(out, e.p, e.len);
        fr__buf_putc(out, ':');
        fr__fmt_double(num, sizeof num, e.score);
        fr__buf_puts(out, num);
    }
    fr__buf_putc(out, ']');
}

const fr_type_ops fr__zset_ops = {"zset", zset_free, zset_dup, zset_dump, zset_load, zset_render};

/* ---- SORT's access ------------------------------------------------------ */

static size_t zset_length(const fr_obj *o)
{
    return fr__zset_len(o);
}

static void zset_each(const fr_obj *o, void (*fn)(void *priv, const char *p, size_t n), void *priv)
{
    fr_zit it;
    fr_zelem e;
    fr__zit_init(&it, o, 0, 0);
    while (fr__zit_next(&it, &e))
        fn(priv, e.p, e.len);
}

const fr_type_elem_ops fr__zset_elem_ops = {zset_length, zset_each, NULL, NULL};
