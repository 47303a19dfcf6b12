/* Sorted sets: the skiplist, the listpack array, and the operations over
 * either. See t_zset.h. */
#include "t_zset.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"

/* ---- helpers ----------------------------------------------------------- */

static uint64_t seed_for(const void *p)
{
    return fr__rng_seed(p);
}

/* Members compare as Redis' sdscmp: bytes, then the shorter first. */
static int memb_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int r = n ? memcmp(a, b, n) : 0;
    if (r)
        return r;
    return alen < blen ? -1 : alen > blen ? 1 : 0;
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

/* ---- the skiplist ------------------------------------------------------ */

/* Compare x's next at level i with (score, member) without loading next
 * unless the scores tie: <0 next is before, 0 equal, >0 after (or none). */
static inline int next_cmp(const fr_zsl_node *x, int i, double score, const char *p, size_t len)
{
    const fr_zsl_node *n = x->lv[i].next;
    if (!n)
        return 1;
    double ns = x->lv[i].nscore;
    if (ns < score)
        return -1;
    if (ns > score)
        return 1;
    return memb_cmp(n->ele, n->len, p, len);
}

static fr_zsl_node *node_new(int level, double score, const char *p, size_t len)
{
    size_t hdr = sizeof(fr_zsl_node) + (size_t)level * sizeof(((fr_zsl_node *)0)->lv[0]);
    fr_zsl_node *x = fr__xmalloc(hdr + len + 1);
    x->score = score;
    x->back = NULL;
    x->nlevel = level;
    x->ele = (char *)x + hdr;
    x->len = (uint32_t)len;
    if (len)
        memcpy(x->ele, p, len);
    x->ele[len] = '\0';
    for (int i = 0; i < level; i++) {
        x->lv[i].next = NULL;
        x->lv[i].span = 0;
        x->lv[i].nscore = 0;
    }
    return x;
}

void fr__zsl_init(fr_zsl *zsl, uint64_t seed)
{
    zsl->level = 1;
    zsl->len = 0;
    zsl->head = node_new(FR_ZSL_MAXLEVEL, 0, NULL, 0);
    zsl->tail = NULL;
    zsl->rng = seed ? seed : 0x9E3779B97F4A7C15ULL;
    zsl->rank_moves = 0;
}

void fr__zsl_free(fr_zsl *zsl)
{
    fr_zsl_node *x = zsl->head->lv[0].next;
    free(zsl->head);
    while (x) {
        fr_zsl_node *next = x->lv[0].next;
        free(x);
        x = next;
    }
    zsl->head = zsl->tail = NULL;
    zsl->len = 0;
}

static int random_level(fr_zsl *zsl)
{
    /* Each further level with probability 1/2, where Redis uses 1/4: a
     * search makes ~1 move per level instead of ~3, and in a big set
     * the moves through the lower levels are cache misses, which is what
     * ZRANK at 1M members costs (1/2: ~18 moves, ~6 cold; 1/4: ~27, ~9
     * cold), for 16 more bytes per member on average. */
    uint64_t r = fr__rng_next(&zsl->rng);
    int level = 1, bits = 64;
    while (level < FR_ZSL_MAXLEVEL && (r & 1) == 0) {
        level++;
        r >>= 1;
        if (--bits == 0) {
            r = fr__rng_next(&zsl->rng);
            bits = 64;
        }
    }
    return level;
}

fr_zsl_node *fr__zsl_insert(fr_zsl *zsl, double score, const char *p, size_t len)
{
    fr_zsl_node *update[FR_ZSL_MAXLEVEL];
    size_t rank[FR_ZSL_MAXLEVEL];
    fr_zsl_node *x = zsl->head;
    for (int i = zsl->level - 1; i >= 0; i--) {
        rank[i] = i == zsl->level - 1 ? 0 : rank[i + 1];
        while (next_cmp(x, i, score, p, len) < 0) {
            rank[i] += x->lv[i].span;
            x = x->lv[i].next;
        }
        update[i] = x;
    }
    int level = random_level(zsl);
    if (level > zsl->level) {
        for (int i = zsl->level; i < level; i++) {
            rank[i] = 0;
            update[i] = zsl->head;
            update[i]->lv[i].span = zsl->len;
        }
        zsl->level = level;
    }
    x = node_new(level, score, p, len);
    for (int i = 0; i < level; i++) {
        x->lv[i].next = update[i]->lv[i].next;
        x->lv[i].nscore = update[i]->lv[i].nscore;
        update[i]->lv[i].next = x;
        update[i]->lv[i].nscore = score;
        /* the span of update[i] is split around the new node */
        x->lv[i].span = update[i]->lv[i].span - (rank[0] - rank[i]);
        update[i]->lv[i].span = (rank[0] - rank[i]) + 1;
    }
    for (int i = level; i < zsl->level; i++)
        update[i]->lv[i].span++;
    x->back = update[0] == zsl->head ? NULL : update[0];
    if (x->lv[0].next)
        x->lv[0].next->back = x;
    else
        zsl->tail = x;
    zsl->len++;
    return x;
}

static void unlink_node(fr_zsl *zsl, fr_zsl_node *x, fr_zsl_node **update)
{
    for (int i = 0; i < zsl->level; i++) {
        if (update[i]->lv[i].next == x) {
            update[i]->lv[i].span += x->lv[i].span - 1;
            update[i]->lv[i].next = x->lv[i].next;
            update[i]->lv[i].nscore = x->lv[i].nscore;
        } else {
            update[i]->lv[i].span--;
        }
    }
    if (x->lv[0].next)
        x->lv[0].next->back = x->back;
    else
        zsl->tail = x->back;
    while (zsl->level > 1 && zsl->head->lv[zsl->level - 1].next == NULL)
        zsl->level--;
    zsl->len--;
}

int fr__zsl_delete(fr_zsl *zsl, double score, const char *p, size_t len)
{
    fr_zsl_node *update[FR_ZSL_MAXLEVEL];
    fr_zsl_node *x = zsl->head;
    for (int i = zsl->level - 1; i >= 0; i--) {
        while (next_cmp(x, i, score, p, len) < 0)
            x = x->lv[i].next;
        update[i] = x;
    }
    x = x->lv[0].next;
    if (!x || elem_cmp(x->score, x->ele, x->len, score, p, len) != 0)
        return 0;
    unlink_node(zsl, x, update);
    free(x);
    return 1;
}

size_t fr__zsl_rank(fr_zsl *zsl, double score, const char *p, size_t len)
{
    size_t rank = 0;
    const fr_zsl_node *x = zsl->head;
    for (int i = zsl->level - 1; i >= 0; i--) {
        int c;
        /* Stop on the move that lands on the member: checking x after each
         * level would read x's member, often a cache line of its own. */
        while ((c = next_cmp(x, i, score, p, len)) <= 0) {
            rank += x->lv[i].span;
            x = x->lv[i].next;
            zsl->rank_moves++;
            if (c == 0)
                return rank;
        }
    }
    return 0;
}

/* Is n, a node other than t, before t? Decided by the cached score of n
 * (ns); members are read only on a tie. */
static inline int before_node(const fr_zsl_node *n, double ns, const fr_zsl_node *t)
{
    if (ns != t->score)
        return ns < t->score;
    return memb_cmp(n->ele, n->len, t->ele, t->len) < 0;
}

/* The search from the head, stopping when it lands on t. */
static size_t rank_from_head(fr_zsl *zsl, const fr_zsl_node *t)
{
    size_t rank = 0;
    const fr_zsl_node *x = zsl->head;
    for (int i = zsl->level - 1; i >= 0; i--) {
        for (;;) {
            const fr_zsl_node *n = x->lv[i].next;
            if (!n || (n != t && !before_node(n, x->lv[i].nscore, t)))
                break;
            rank += x->lv[i].span;
            zsl->rank_moves++;
            if (n == t)
                return rank;
            x = n;
        }
    }
    return 0;
}

size_t fr__zsl_rank_node(fr_zsl *zsl, const fr_zsl_node *t)
{
    return rank_from_head(zsl, t);
}

fr_zsl_node *fr__zsl_at(const fr_zsl *zsl, size_t rank)
{
    if (rank == 0 || rank > zsl->len)
        return NULL;
    size_t traversed = 0;
    fr_zsl_node *x = zsl->head;
    for (int i = zsl->level - 1; i >= 0; i--) {
        while (x->lv[i].next && traversed + x->lv[i].span <= rank) {
            traversed += x->lv[i].span;
            x = x->lv[i].next;
        }
        if (traversed == rank)
            return x;
    }
    return NULL;
}

static size_t zsl_prefix(const fr_zsl *zsl, fr_zpred *pred, const void *ctx)
{
    size_t traversed = 0;
    const fr_zsl_node *x = zsl->head;
    for (int i = zsl->level - 1; i >= 0; i--) {
        while (x->lv[i].next) {
            const fr_zsl_node *n = x->lv[i].next;
            fr_zelem e = {n->ele, n->len, n->score};
            if (!pred(ctx, &e))
                break;
            traversed += x->lv[i].span;
            x = n;
        }
    }
    return traversed;
}

/* ---- the listpack array ------------------------------------------------ */

/* Index of the first entry not below (score, member). */
static size_t lp_lower(const fr_zlp *lp, double score, const char *p, size_t len)
{
    size_t lo = 0, hi = lp->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const fr_zlp_ent *e = &lp->a[mid];
        if (elem_cmp(e->score, e->p, e->len, score, p, len) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static long long lp_find(const fr_zlp *lp, const char *p, size_t len)
{
    for (size_t i = 0; i < lp->n; i++)
        if (lp->a[i].len == len && memcmp(lp->a[i].p, p, len) == 0)
            return (long long)i;
    return -1;
}

static void lp_insert(fr_zlp *lp, double score, const char *p, size_t len)
{
    if (score == 0)
        score = 0; /* Redis' listpack stores -0 as the integer 0 */
    if (lp->n == lp->cap) {
        lp->cap = lp->cap ? lp->cap * 2 : 4;
        lp->a = fr__xrealloc(lp->a, lp->cap * sizeof *lp->a);
    }
    size_t at = lp_lower(lp, score, p, len);
    memmove(&lp->a[at + 1], &lp->a[at], (lp->n - at) * sizeof *lp->a);
    lp->a[at].score = score;
    lp->a[at].len = (uint32_t)len;
    lp->a[at].p = fr__xmemdup(p, len);
    lp->n++;
}

static void lp_remove_at(fr_zlp *lp, size_t i)
{
    free(lp->a[i].p);
    memmove(&lp->a[i], &lp->a[i + 1], (lp->n - i - 1) * sizeof *lp->a);
    lp->n--;
}

static fr_zlp *lp_new(void)
{
    fr_zlp *lp = fr__xcalloc(1, sizeof *lp);
    lp->rng = seed_for(lp);
    return lp;
}

static void lp_free(fr_zlp *lp)
{
    for (size_t i = 0; i < lp->n; i++)
        free(lp->a[i].p);
    free(lp->a);
    free(lp);
}

static fr_zsk *sk_new(void)
{
    fr_zsk *zs = fr__xmalloc(sizeof *zs);
    fr__dict_init(&zs->dict, NULL, NULL);
    fr__zsl_init(&zs->zsl, seed_for(zs));
    return zs;
}

static void sk_free(fr_zsk *zs)
{
    fr__dict_clear(&zs->dict);
    fr__zsl_free(&zs->zsl);
    free(zs);
}

static void sk_insert(fr_zsk *zs, double score, const char *p, size_t len)
{
    fr_zsl_node *x = fr__zsl_insert(&zs->zsl, score, p, len);
    fr_dict_entry *e = fr__dict_add(&zs->dict, p, len, NULL);
    e->v.p = x;
}

static void to_skiplist(fr_obj *o)
{
    fr_zlp *lp = o->v.ptr;
    fr_zsk *zs = sk_new();
    for (size_t i = 0; i < lp->n; i++)
        sk_insert(zs, lp->a[i].score, lp->a[i].p, lp->a[i].len);
    lp_free(lp);
    o->v.ptr = zs;
    o->enc = FR_ENC_SKIPLIST;
}

/* ---- the zset ---------------------------------------------------------- */

fr_obj *fr__zset_new(const fr_enc_limits *cfg, size_t size_hint, size_t maxlen_hint)
{
    if (size_hint <= (size_t)cfg->zset_max_listpack_entries &&
        maxlen_hint <= (size_t)cfg->zset_max_listpack_value)
        return fr__obj_new(FR_TYPE_ZSET, FR_ENC_LISTPACK, lp_new());
    return fr__obj_new(FR_TYPE_ZSET, FR_ENC_SKIPLIST, sk_new());
}

size_t fr__zset_len(const fr_obj *o)
{
    if (o->enc == FR_ENC_LISTPACK)
        return ((const fr_zlp *)o->v.ptr)->n;
    return ((const fr_zsk *)o->v.ptr)->zsl.len;
}

int fr__zset_score(const fr_obj *o, const char *p, size_t len, double *score)
{
    if (o->enc == FR_ENC_LISTPACK) {
        const fr_zlp *lp = o->v.ptr;
        long long i = lp_find(lp, p, len);
        if (i < 0)
            return 0;
        *score = lp->a[i].score;
        return 1;
    }
    fr_zsk *zs = o->v.ptr;
    fr_dict_entry *e = fr__dict_find(&zs->dict, p, len);
    if (!e)
        return 0;
    *score = ((fr_zsl_node *)e->v.p)->score;
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
                fr_zlp *lp = o->v.ptr;
                long long i = lp_find(lp, p, len);
                char *keep = lp->a[i].p;
                lp->a[i].p = NULL;
                lp_remove_at(lp, (size_t)i);
                lp_insert(lp, score, keep, len);
                free(keep);
            } else {
                fr_zsk *zs = o->v.ptr;
                fr_dict_entry *e = fr__dict_find(&zs->dict, p, len);
                fr_zsl_node *x = e->v.p;
                fr__zsl_delete(&zs->zsl, x->score, p, len);
                e->v.p = fr__zsl_insert(&zs->zsl, score, p, len);
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
        fr_zlp *lp = o->v.ptr;
        if (lp->n + 1 > (size_t)cfg->zset_max_listpack_entries ||
            len > (size_t)cfg->zset_max_listpack_value)
            to_skiplist(o);
    }
    if (o->enc == FR_ENC_LISTPACK) {
        lp_insert(o->v.ptr, score, p, len);
    } else {
        sk_insert(o->v.ptr, score, p, len);
    }
    if (newscore)
        *newscore = score;
    *out = FR_ZADD_ADDED;
    return 1;
}

int fr__zset_del(fr_obj *o, const char *p, size_t len)
{
    if (o->enc == FR_ENC_LISTPACK) {
        fr_zlp *lp = o->v.ptr;
        long long i = lp_find(lp, p, len);
        if (i < 0)
            return 0;
        lp_remove_at(lp, (size_t)i);
        return 1;
    }
    fr_zsk *zs = o->v.ptr;
    fr_dict_entry *e = fr__dict_unlink(&zs->dict, p, len);
    if (!e)
        return 0;
    fr_zsl_node *x = e->v.p;
    fr__zsl_delete(&zs->zsl, x->score, p, len);
    fr__dict_free_unlinked(&zs->dict, e);
    return 1;
}

void fr__zset_del_range(fr_obj *o, size_t start, size_t end)
{
    if (end <= start)
        return;
    if (o->enc == FR_ENC_LISTPACK) {
        fr_zlp *lp = o->v.ptr;
        for (size_t i = start; i < end; i++)
            free(lp->a[i].p);
        memmove(&lp->a[start], &lp->a[end], (lp->n - end) * sizeof *lp->a);
        lp->n -= end - start;
        return;
    }
    fr_zsk *zs = o->v.ptr;
    fr_zsl *zsl = &zs->zsl;
    /* find the node before start once, then unlink end-start nodes */
    fr_zsl_node *update[FR_ZSL_MAXLEVEL];
    size_t traversed = 0;
    fr_zsl_node *x = zsl->head;
    for (int i = zsl->level - 1; i >= 0; i--) {
        while (x->lv[i].next && traversed + x->lv[i].span <= start) {
            traversed += x->lv[i].span;
            x = x->lv[i].next;
        }
        update[i] = x;
    }
    x = x->lv[0].next;
    for (size_t n = start; n < end && x; n++) {
        fr_zsl_node *next = x->lv[0].next;
        unlink_node(zsl, x, update);
        fr__dict_delete(&zs->dict, x->ele, x->len);
        free(x);
        x = next;
    }
}

long long fr__zset_rank(fr_obj *o, const char *p, size_t len)
{
    if (o->enc == FR_ENC_LISTPACK)
        return lp_find(o->v.ptr, p, len);
    fr_zsk *zs = o->v.ptr;
    fr_dict_entry *e = fr__dict_find(&zs->dict, p, len);
    if (!e)
        return -1;
    return (long long)fr__zsl_rank_node(&zs->zsl, e->v.p) - 1;
}

void fr__zset_shrink_if_small(const fr_enc_limits *cfg, fr_obj *o, size_t maxlen)
{
    if (o->enc != FR_ENC_SKIPLIST)
        return;
    fr_zsk *zs = o->v.ptr;
    if (zs->zsl.len > (size_t)cfg->zset_max_listpack_entries ||
        maxlen > (size_t)cfg->zset_max_listpack_value)
        return;
    fr_zlp *lp = lp_new();
    lp->cap = zs->zsl.len ? zs->zsl.len : 1;
    lp->a = fr__xmalloc(lp->cap * sizeof *lp->a);
    for (fr_zsl_node *x = zs->zsl.head->lv[0].next; x; x = x->lv[0].next) {
        fr_zlp_ent *e = &lp->a[lp->n++];
        e->score = x->score == 0 ? 0 : x->score;
        e->len = x->len;
        e->p = fr__xmemdup(x->ele, x->len);
    }
    sk_free(zs);
    o->v.ptr = lp;
    o->enc = FR_ENC_LISTPACK;
}

size_t fr__zset_prefix(const fr_obj *o, fr_zpred *pred, const void *ctx)
{
    if (o->enc == FR_ENC_SKIPLIST)
        return zsl_prefix(&((const fr_zsk *)o->v.ptr)->zsl, pred, ctx);
    const fr_zlp *lp = o->v.ptr;
    size_t lo = 0, hi = lp->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        fr_zelem e = {lp->a[mid].p, lp->a[mid].len, lp->a[mid].score};
        if (pred(ctx, &e))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void fr__zit_init(fr_zit *it, const fr_obj *o, size_t rank, int rev)
{
    size_t n = fr__zset_len(o);
    it->o = o;
    it->rev = rev;
    it->node = NULL;
    it->left = rank < n ? n - rank : 0;
    if (!it->left)
        return;
    size_t fwd = rev ? n - 1 - rank : rank;
    if (o->enc == FR_ENC_LISTPACK)
        it->idx = fwd;
    else
        it->node = fr__zsl_at(&((const fr_zsk *)o->v.ptr)->zsl, fwd + 1);
}

int fr__zit_next(fr_zit *it, fr_zelem *e)
{
    if (!it->left)
        return 0;
    it->left--;
    if (it->o->enc == FR_ENC_LISTPACK) {
        const fr_zlp_ent *x = &((const fr_zlp *)it->o->v.ptr)->a[it->idx];
        e->p = x->p;
        e->len = x->len;
        e->score = x->score;
        if (it->rev)
            it->idx--;
        else
            it->idx++;
        return 1;
    }
    fr_zsl_node *x = it->node;
    e->p = x->ele;
    e->len = x->len;
    e->score = x->score;
    it->node = it->rev ? x->back : x->lv[0].next;
    return 1;
}

uint64_t fr__zset_rand(fr_obj *o)
{
    if (o->enc == FR_ENC_LISTPACK)
        return fr__rng_next(&((fr_zlp *)o->v.ptr)->rng);
    return fr__rng_next(&((fr_zsk *)o->v.ptr)->zsl.rng);
}

void fr__zset_random(fr_obj *o, fr_zelem *e)
{
    if (o->enc == FR_ENC_LISTPACK) {
        fr_zlp *lp = o->v.ptr;
        const fr_zlp_ent *x = &lp->a[fr__rng_next(&lp->rng) % lp->n];
        e->p = x->p;
        e->len = x->len;
        e->score = x->score;
        return;
    }
    fr_zsk *zs = o->v.ptr;
    fr_zsl_node *x = fr__zsl_at(&zs->zsl, fr__rng_next(&zs->zsl.rng) % zs->zsl.len + 1);
    e->p = x->ele;
    e->len = x->len;
    e->score = x->score;
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
    *first = fr__zset_prefix(o, below_min, r);
    *end = fr__zset_prefix(o, not_above_max, r);
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
    const fr_zlp *lp = o->v.ptr;
    *first = *end = 0;
    if (!lp->n || !lex_bounds_ok(r))
        return;
    fr_zelem lo = {lp->a[0].p, lp->a[0].len, 0}, hi = {lp->a[lp->n - 1].p, lp->a[lp->n - 1].len, 0};
    if (lex_below_min(r, &hi) || !lex_not_above_max(r, &lo))
        return;
    if (!rev) {
        size_t i = 0;
        for (; i < lp->n; i++) {
            fr_zelem e = {lp->a[i].p, lp->a[i].len, 0};
            if (!lex_below_min(r, &e))
                break;
        }
        size_t j = i;
        while (j < lp->n) {
            fr_zelem e = {lp->a[j].p, lp->a[j].len, 0};
            if (!lex_not_above_max(r, &e))
                break;
            j++;
        }
        *first = i;
        *end = j;
        return;
    }
    size_t j = lp->n;
    for (; j > 0; j--) {
        fr_zelem e = {lp->a[j - 1].p, lp->a[j - 1].len, 0};
        if (lex_not_above_max(r, &e))
            break;
    }
    size_t i = j;
    while (i > 0) {
        fr_zelem e = {lp->a[i - 1].p, lp->a[i - 1].len, 0};
        if (lex_below_min(r, &e))
            break;
        i--;
    }
    *first = i;
    *end = j;
}

/* ---- type ops ---------------------------------------------------------- */

static void zset_free(fr_obj *o)
{
    if (o->enc == FR_ENC_LISTPACK)
        lp_free(o->v.ptr);
    else
        sk_free(o->v.ptr);
}

static fr_obj *zset_dup(const fr_obj *o)
{
    fr_obj *d;
    if (o->enc == FR_ENC_LISTPACK) {
        const fr_zlp *src = o->v.ptr;
        fr_zlp *lp = lp_new();
        lp->cap = src->n ? src->n : 1;
        lp->a = fr__xmalloc(lp->cap * sizeof *lp->a);
        for (size_t i = 0; i < src->n; i++) {
            lp->a[i] = src->a[i];
            lp->a[i].p = fr__xmemdup(src->a[i].p, src->a[i].len);
        }
        lp->n = src->n;
        d = fr__obj_new(FR_TYPE_ZSET, FR_ENC_LISTPACK, lp);
    } else {
        const fr_zsk *src = o->v.ptr;
        fr_zsk *zs = sk_new();
        for (fr_zsl_node *x = src->zsl.head->lv[0].next; x; x = x->lv[0].next)
            sk_insert(zs, x->score, x->ele, x->len);
        d = fr__obj_new(FR_TYPE_ZSET, FR_ENC_SKIPLIST, zs);
    }
    return d;
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
        o = fr__obj_new(FR_TYPE_ZSET, FR_ENC_LISTPACK, lp_new());
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
        if (o->enc == FR_ENC_LISTPACK)
            lp_insert(o->v.ptr, score, m, len);
        else
            sk_insert(o->v.ptr, score, m, len);
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
