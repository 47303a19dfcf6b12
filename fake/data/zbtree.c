/* The order-statistic B+tree of big sorted sets. See zbtree.h. */
#include "zbtree.h"

#include <stdlib.h>
#include <string.h>

#define LEAF FR_ZBT_LEAF
#define FAN FR_ZBT_FAN
#define LEAF_MIN (LEAF / 4)
#define FAN_MIN (FAN / 4)
/* Every node but the root has at least FAN_MIN children or LEAF_MIN
 * elements, so 24 levels would take more than 8^24 members. */
#define MAXH 24

/* An inner node keeps each field of its children in an array of its own:
 * a descent scans the scores (8 per cache line, not 2.7 as pairs with the
 * pointers and counts were), then adds up counts (16 per line, next to
 * the header) and reads one child pointer. At 1M members the lower levels
 * are not in cache, and a level costs the lines it touches: about 8
 * instead of 17. */
typedef struct inner {
    uint32_t n;
    uint32_t cnt[FAN]; /* elements under each child */
    double s[FAN];     /* each child's smallest element: score */
    void *child[FAN];
    fr_dict_entry *sent[FAN]; /* ... and entry (read on ties only) */
} inner;

/* The children's arrays of a node (or of a wider scratch copy), so that
 * one function moves children between any of them. */
typedef struct slots {
    uint32_t *cnt;
    double *s;
    void **child;
    fr_dict_entry **sent;
} slots;

static slots slots_of(inner *x)
{
    slots v = {x->cnt, x->s, x->child, x->sent};
    return v;
}

/* Move k children from src at si to dst at di (they may overlap). */
static void slots_move(slots dst, uint32_t di, slots src, uint32_t si, uint32_t k)
{
    memmove(&dst.cnt[di], &src.cnt[si], k * sizeof dst.cnt[0]);
    memmove(&dst.s[di], &src.s[si], k * sizeof dst.s[0]);
    memmove(&dst.child[di], &src.child[si], k * sizeof dst.child[0]);
    memmove(&dst.sent[di], &src.sent[si], k * sizeof dst.sent[0]);
}

/* A key to place: a score and member, and the entry itself when it is in
 * the tree (identity then settles a tie without reading members). */
typedef struct zkey {
    double s;
    const char *p;
    size_t len;
    const fr_dict_entry *e;
} zkey;

/* The inner nodes a descent went through and the child taken in each. */
typedef struct path {
    inner *node[MAXH];
    uint32_t idx[MAXH];
    int depth;
} path;

static inline int key_cmp(const zkey *k, double s, const fr_dict_entry *e)
{
    if (k->s != s)
        return k->s < s ? -1 : 1;
    if (k->e == e)
        return 0;
    return fr__zbt_memb_cmp(k->p, k->len, e->key, e->klen);
}

static zkey key_of(const fr_dict_entry *e)
{
    zkey k = {e->v.d, e->key, e->klen, e};
    return k;
}

/* ---- nodes -------------------------------------------------------------- */

static fr_zbt_leaf *leaf_new(void)
{
    fr_zbt_leaf *l = fr__xmalloc(sizeof *l);
    l->prev = l->next = NULL;
    l->n = 0;
    return l;
}

static inner *inner_new(void)
{
    inner *x = fr__xmalloc(sizeof *x);
    x->n = 0;
    return x;
}

static void node_min(const void *x, int is_leaf, double *s, fr_dict_entry **e)
{
    if (is_leaf) {
        const fr_zbt_leaf *l = x;
        *s = l->score[0];
        *e = l->ent[0];
    } else {
        const inner *in = x;
        *s = in->s[0];
        *e = in->sent[0];
    }
}

static void free_node(void *x, int h)
{
    if (h > 0) {
        inner *in = x;
        for (uint32_t j = 0; j < in->n; j++)
            free_node(in->child[j], h - 1);
    }
    free(x);
}

void fr__zbt_init(fr_zbt *t)
{
    memset(t, 0, sizeof *t);
}

void fr__zbt_clear(fr_zbt *t)
{
    if (t->root)
        free_node(t->root, t->height);
    uint64_t visits = t->visits;
    fr__zbt_init(t);
    t->visits = visits;
}

/* ---- searching ---------------------------------------------------------- */

/* Ask for the lines of x that a descent reads, all at once, as soon as x
 * is known: in a big set the lower levels are not in cache, and the child
 * pointer's line would otherwise be a second round trip to memory after
 * the scores were compared. With cnt (next to the header) and counts for
 * a rank or the scores for a key: one round trip per level. The root is
 * always in cache: callers skip it. */
static inline void prefetch_inner(const inner *x, int scores)
{
    const char *c = (const char *)x->cnt, *ch = (const char *)x->child;
    for (size_t b = 0; b < sizeof x->cnt + 64; b += 64)
        __builtin_prefetch(c + b);
    if (scores)
        for (size_t b = 0; b < sizeof x->s; b += 64)
            __builtin_prefetch((const char *)x->s + b);
    for (size_t b = 0; b < sizeof x->child; b += 64)
        __builtin_prefetch(ch + b);
}

/* The child of x whose range holds k: the last one whose smallest element
 * is <= k, or the first. The scores are counted without branches (all of
 * the node's lines load at once); members are read on a tie only. */
static uint32_t pick(const inner *x, const zkey *k)
{
    uint32_t c = 0;
    for (uint32_t j = 1; j < x->n; j++)
        c += x->s[j] < k->s;
    uint32_t i = c + 1;
    while (i < x->n && x->s[i] == k->s && key_cmp(k, x->s[i], x->sent[i]) >= 0)
        i++;
    return i - 1;
}

/* How many elements of l are below k. */
static uint32_t leaf_lower(const fr_zbt_leaf *l, const zkey *k)
{
    uint32_t c = 0;
    for (uint32_t j = 0; j < l->n; j++)
        c += l->score[j] < k->s;
    while (c < l->n && l->score[c] == k->s && key_cmp(k, l->score[c], l->ent[c]) > 0)
        c++;
    return c;
}

/* e's slot in l by address (no member read), or -1. */
static int leaf_find(const fr_zbt_leaf *l, const fr_dict_entry *e)
{
    for (uint32_t j = 0; j < l->n; j++)
        if (l->ent[j] == e)
            return (int)j;
    return -1;
}

static fr_zbt_leaf *descend(const fr_zbt *t, const zkey *k, path *pa)
{
    void *x = t->root;
    pa->depth = t->height;
    for (int d = 0; d < t->height; d++) {
        inner *in = x;
        if (d)
            prefetch_inner(in, 1);
        uint32_t i = pick(in, k);
        pa->node[d] = in;
        pa->idx[d] = i;
        x = in->child[i];
    }
    return x;
}

/* Child ci of pa->node[lv] now starts with (s, e): record it there, and in
 * the ancestors for as long as it is a first child. */
static void set_min(const path *pa, int lv, uint32_t ci, double s, fr_dict_entry *e)
{
    for (;;) {
        inner *x = pa->node[lv];
        x->s[ci] = s;
        x->sent[ci] = e;
        if (ci != 0 || lv == 0)
            return;
        lv--;
        ci = pa->idx[lv];
    }
}

static void leaf_min_changed(const path *pa, const fr_zbt_leaf *l)
{
    if (pa->depth > 0 && l->n > 0)
        set_min(pa, pa->depth - 1, pa->idx[pa->depth - 1], l->score[0], l->ent[0]);
}

/* Move k children of src from si to dst at di (the arrays may overlap). */
static void move_children(inner *dst, uint32_t di, inner *src, uint32_t si, uint32_t k)
{
    slots_move(slots_of(dst), di, slots_of(src), si, k);
}

static void set_child(inner *x, uint32_t i, void *child, size_t cnt, double s, fr_dict_entry *e)
{
    x->child[i] = child;
    x->cnt[i] = (uint32_t)cnt;
    x->s[i] = s;
    x->sent[i] = e;
}

/* ---- insertion ---------------------------------------------------------- */

/* How many of the cap+1 items stay left when a full node splits with the
 * new item at pos: half, except at either end of the tree, where the new
 * item goes alone, so that members added in order leave full nodes (a 1M
 * set loaded in order: 17 bytes of leaf per member instead of 34). */
static uint32_t split_point(uint32_t cap, uint32_t pos, int leftmost, int rightmost)
{
    if (rightmost && pos == cap)
        return cap;
    if (leftmost && pos == 0)
        return 1;
    return (cap + 1) / 2;
}

/* Is pa->node[d] the first (last) node of its level? */
static int at_edge(const path *pa, int d, int last)
{
    for (int lv = 0; lv < d; lv++)
        if (pa->idx[lv] != (last ? pa->node[lv]->n - 1 : 0))
            return 0;
    return 1;
}

/* The node a at depth d (a leaf when is_leaf) was split: b, holding nb
 * elements from (bs, be) on, follows it; a keeps na. Link b into the
 * parent, splitting upwards as needed. The counts on the path already
 * include the new element. */
static void add_sibling(fr_zbt *t, path *pa, int d, void *a, size_t na, void *b, size_t nb,
                        double bs, fr_dict_entry *be, int is_leaf)
{
    if (d == 0) {
        inner *x = inner_new();
        double as;
        fr_dict_entry *ae;
        node_min(a, is_leaf, &as, &ae);
        set_child(x, 0, a, na, as, ae);
        set_child(x, 1, b, nb, bs, be);
        x->n = 2;
        t->root = x;
        t->height++;
        return;
    }
    inner *p = pa->node[d - 1];
    uint32_t i = pa->idx[d - 1], at = i + 1;
    p->cnt[i] = (uint32_t)na;
    if (p->n < FAN) {
        move_children(p, at + 1, p, at, p->n - at);
        set_child(p, at, b, nb, bs, be);
        p->n++;
        return;
    }
    /* p is full: the FAN+1 children in order, then cut */
    uint32_t wc[FAN + 1];
    double ws[FAN + 1];
    void *wch[FAN + 1];
    fr_dict_entry *we[FAN + 1];
    slots w = {wc, ws, wch, we}, ps = slots_of(p);
    slots_move(w, 0, ps, 0, at);
    wch[at] = b;
    wc[at] = (uint32_t)nb;
    ws[at] = bs;
    we[at] = be;
    slots_move(w, at + 1, ps, at, FAN - at);
    uint32_t kl = split_point(FAN, at, at_edge(pa, d - 1, 0), at_edge(pa, d - 1, 1));
    inner *q = inner_new();
    slots_move(ps, 0, w, 0, kl);
    slots_move(slots_of(q), 0, w, kl, FAN + 1 - kl);
    p->n = kl;
    q->n = FAN + 1 - kl;
    size_t np = 0, nq = 0;
    for (uint32_t j = 0; j < p->n; j++)
        np += p->cnt[j];
    for (uint32_t j = 0; j < q->n; j++)
        nq += q->cnt[j];
    add_sibling(t, pa, d - 1, p, np, q, nq, q->s[0], q->sent[0], 0);
}

static void split_leaf(fr_zbt *t, path *pa, fr_zbt_leaf *l, uint32_t pos, double s,
                       fr_dict_entry *e)
{
    double cs[LEAF + 1];
    fr_dict_entry *ce[LEAF + 1];
    memcpy(cs, l->score, pos * sizeof cs[0]);
    memcpy(ce, l->ent, pos * sizeof ce[0]);
    cs[pos] = s;
    ce[pos] = e;
    memcpy(cs + pos + 1, l->score + pos, (LEAF - pos) * sizeof cs[0]);
    memcpy(ce + pos + 1, l->ent + pos, (LEAF - pos) * sizeof ce[0]);
    uint32_t kl = split_point(LEAF, pos, l->prev == NULL, l->next == NULL);
    fr_zbt_leaf *r = leaf_new();
    memcpy(l->score, cs, kl * sizeof cs[0]);
    memcpy(l->ent, ce, kl * sizeof ce[0]);
    l->n = kl;
    r->n = LEAF + 1 - kl;
    memcpy(r->score, cs + kl, r->n * sizeof cs[0]);
    memcpy(r->ent, ce + kl, r->n * sizeof ce[0]);
    r->prev = l;
    r->next = l->next;
    if (l->next)
        l->next->prev = r;
    else
        t->last = r;
    l->next = r;
    if (pos == 0)
        leaf_min_changed(pa, l);
    add_sibling(t, pa, pa->depth, l, kl, r, r->n, r->score[0], r->ent[0], 1);
}

void fr__zbt_insert(fr_zbt *t, fr_dict_entry *e)
{
    zkey k = key_of(e);
    t->len++;
    if (!t->root) {
        fr_zbt_leaf *l = leaf_new();
        l->score[0] = k.s;
        l->ent[0] = e;
        l->n = 1;
        t->root = t->first = t->last = l;
        return;
    }
    path pa;
    fr_zbt_leaf *l = descend(t, &k, &pa);
    for (int d = 0; d < pa.depth; d++)
        pa.node[d]->cnt[pa.idx[d]]++;
    uint32_t pos = leaf_lower(l, &k);
    if (l->n == LEAF) {
        split_leaf(t, &pa, l, pos, k.s, e);
        return;
    }
    memmove(&l->score[pos + 1], &l->score[pos], (l->n - pos) * sizeof l->score[0]);
    memmove(&l->ent[pos + 1], &l->ent[pos], (l->n - pos) * sizeof l->ent[0]);
    l->score[pos] = k.s;
    l->ent[pos] = e;
    l->n++;
    if (pos == 0)
        leaf_min_changed(&pa, l);
}

/* ---- deletion ----------------------------------------------------------- */

/* pa->node[d] lost a child: collapse a root of one child, or refill a node
 * under FAN_MIN from a sibling (merging when both fit in one). */
static void fix_inner(fr_zbt *t, path *pa, int d)
{
    inner *x = pa->node[d];
    if (d == 0) {
        if (x->n == 1) {
            t->root = x->child[0];
            t->height--;
            free(x);
        }
        return;
    }
    if (x->n >= FAN_MIN)
        return;
    inner *p = pa->node[d - 1];
    uint32_t i = pa->idx[d - 1], ai = i > 0 ? i - 1 : 0;
    inner *a = p->child[ai], *b = p->child[ai + 1];
    if (a->n + b->n <= FAN) {
        move_children(a, a->n, b, 0, b->n);
        a->n += b->n;
        free(b);
        p->cnt[ai] += p->cnt[ai + 1];
        move_children(p, ai + 1, p, ai + 2, p->n - ai - 2);
        p->n--;
        fix_inner(t, pa, d - 1);
        return;
    }
    /* even them out */
    uint32_t want = (a->n + b->n) / 2, m;
    uint32_t moved = 0;
    if (a->n < want) {
        m = want - a->n;
        for (uint32_t j = 0; j < m; j++)
            moved += b->cnt[j];
        move_children(a, a->n, b, 0, m);
        move_children(b, 0, b, m, b->n - m);
        a->n += m;
        b->n -= m;
        p->cnt[ai] += moved;
        p->cnt[ai + 1] -= moved;
    } else {
        m = a->n - want;
        for (uint32_t j = a->n - m; j < a->n; j++)
            moved += a->cnt[j];
        move_children(b, m, b, 0, b->n);
        move_children(b, 0, a, a->n - m, m);
        a->n -= m;
        b->n += m;
        p->cnt[ai] -= moved;
        p->cnt[ai + 1] += moved;
    }
    p->s[ai + 1] = b->s[0];
    p->sent[ai + 1] = b->sent[0];
}

/* l fell under LEAF_MIN: free it if it was the last leaf of the tree, or
 * refill it from a sibling (merging when both fit in one). */
static void fix_leaf(fr_zbt *t, path *pa, fr_zbt_leaf *l)
{
    int d = pa->depth;
    if (d == 0) {
        if (l->n == 0) {
            free(l);
            t->root = NULL;
            t->first = t->last = NULL;
        }
        return;
    }
    inner *p = pa->node[d - 1];
    uint32_t i = pa->idx[d - 1], ai = i > 0 ? i - 1 : 0;
    fr_zbt_leaf *a = p->child[ai], *b = p->child[ai + 1];
    int a_was_empty = a->n == 0;
    if (a->n + b->n <= LEAF) {
        memcpy(&a->score[a->n], b->score, b->n * sizeof b->score[0]);
        memcpy(&a->ent[a->n], b->ent, b->n * sizeof b->ent[0]);
        a->n += b->n;
        a->next = b->next;
        if (b->next)
            b->next->prev = a;
        else
            t->last = a;
        free(b);
        p->cnt[ai] += p->cnt[ai + 1];
        move_children(p, ai + 1, p, ai + 2, p->n - ai - 2);
        p->n--;
        if (a_was_empty && a->n)
            set_min(pa, d - 1, ai, a->score[0], a->ent[0]);
        fix_inner(t, pa, d - 1);
        return;
    }
    uint32_t want = (a->n + b->n) / 2, m;
    if (a->n < want) {
        m = want - a->n;
        memcpy(&a->score[a->n], b->score, m * sizeof b->score[0]);
        memcpy(&a->ent[a->n], b->ent, m * sizeof b->ent[0]);
        memmove(&b->score[0], &b->score[m], (b->n - m) * sizeof b->score[0]);
        memmove(&b->ent[0], &b->ent[m], (b->n - m) * sizeof b->ent[0]);
        a->n += m;
        b->n -= m;
        p->cnt[ai] += m;
        p->cnt[ai + 1] -= m;
        if (a_was_empty)
            set_min(pa, d - 1, ai, a->score[0], a->ent[0]);
    } else {
        m = a->n - want;
        memmove(&b->score[m], &b->score[0], b->n * sizeof b->score[0]);
        memmove(&b->ent[m], &b->ent[0], b->n * sizeof b->ent[0]);
        memcpy(&b->score[0], &a->score[a->n - m], m * sizeof b->score[0]);
        memcpy(&b->ent[0], &a->ent[a->n - m], m * sizeof b->ent[0]);
        a->n -= m;
        b->n += m;
        p->cnt[ai] -= m;
        p->cnt[ai + 1] += m;
    }
    p->s[ai + 1] = b->score[0];
    p->sent[ai + 1] = b->ent[0];
}

int fr__zbt_delete(fr_zbt *t, const fr_dict_entry *e)
{
    if (!t->root)
        return 0;
    zkey k = key_of(e);
    path pa;
    fr_zbt_leaf *l = descend(t, &k, &pa);
    int pos = leaf_find(l, e);
    if (pos < 0)
        return 0;
    for (int d = 0; d < pa.depth; d++)
        pa.node[d]->cnt[pa.idx[d]]--;
    t->len--;
    uint32_t at = (uint32_t)pos, k2 = l->n - at - 1;
    memmove(&l->score[at], &l->score[at + 1], k2 * sizeof l->score[0]);
    memmove(&l->ent[at], &l->ent[at + 1], k2 * sizeof l->ent[0]);
    l->n--;
    if (at == 0)
        leaf_min_changed(&pa, l);
    if (l->n < LEAF_MIN)
        fix_leaf(t, &pa, l);
    return 1;
}

/* ---- bulk build --------------------------------------------------------- */

void fr__zbt_build(fr_zbt *t, fr_dict_entry *const *ents, size_t n)
{
    if (n == 0)
        return;
    /* Spread evenly: every node of a level gets floor or ceil of the
     * average, so none is under half full. */
    size_t m = (n + LEAF - 1) / LEAF;
    void **nodes = fr__xmalloc(m * sizeof *nodes);
    size_t *cnts = fr__xmalloc(m * sizeof *cnts);
    fr_zbt_leaf *prev = NULL;
    size_t at = 0;
    for (size_t j = 0; j < m; j++) {
        size_t take = n / m + (j < n % m);
        fr_zbt_leaf *l = leaf_new();
        for (size_t s = 0; s < take; s++) {
            l->ent[s] = ents[at + s];
            l->score[s] = ents[at + s]->v.d;
        }
        l->n = (uint32_t)take;
        l->prev = prev;
        if (prev)
            prev->next = l;
        prev = l;
        nodes[j] = l;
        cnts[j] = take;
        at += take;
    }
    t->first = nodes[0];
    t->last = prev;
    int height = 0;
    while (m > 1) {
        size_t pm = (m + FAN - 1) / FAN;
        at = 0;
        /* node j of the level above is made of nodes at >= j, so it can
         * take slot j of the same arrays */
        for (size_t j = 0; j < pm; j++) {
            size_t take = m / pm + (j < m % pm), total = 0;
            inner *x = inner_new();
            for (size_t c = 0; c < take; c++) {
                double s;
                fr_dict_entry *e;
                node_min(nodes[at + c], height == 0, &s, &e);
                set_child(x, (uint32_t)c, nodes[at + c], cnts[at + c], s, e);
                total += cnts[at + c];
            }
            x->n = (uint32_t)take;
            nodes[j] = x;
            cnts[j] = total;
            at += take;
        }
        m = pm;
        height++;
    }
    t->root = nodes[0];
    t->height = height;
    t->len = n;
    free(nodes);
    free(cnts);
}

/* ---- ranks -------------------------------------------------------------- */

/* Ask for the first lines of a leaf at once: in a big set it is not in
 * cache, and leaf_find reads the header and entries from the front. */
static inline void prefetch_leaf_front(const fr_zbt_leaf *l)
{
    for (size_t b = 0; b < 4 * 64; b += 64)
        __builtin_prefetch((const char *)l + b);
}

size_t fr__zbt_rank(fr_zbt *t, const fr_dict_entry *e)
{
    zkey k = key_of(e);
    size_t r = 0;
    const void *x = t->root;
    for (int d = 0; d < t->height; d++) {
        const inner *in = x;
        if (d)
            prefetch_inner(in, 1);
        uint32_t i = pick(in, &k);
        x = in->child[i];
        if (d == t->height - 1)
            prefetch_leaf_front(x);
        for (uint32_t j = 0; j < i; j++)
            r += in->cnt[j];
        t->visits++;
    }
    t->visits++;
    return r + (size_t)leaf_find(x, e);
}

fr_zbt_leaf *fr__zbt_seek(const fr_zbt *t, size_t rank, uint32_t *slot)
{
    void *x = t->root;
    for (int d = 0; d < t->height; d++) {
        const inner *in = x;
        if (d)
            prefetch_inner(in, 0);
        uint32_t i = 0;
        while (i + 1 < in->n && rank >= in->cnt[i])
            rank -= in->cnt[i++];
        x = in->child[i];
    }
    /* the caller reads the entry and the score next, two lines of a leaf
     * that a big set does not keep in cache: ask for both at once */
    const fr_zbt_leaf *l = x;
    __builtin_prefetch(&l->ent[rank]);
    __builtin_prefetch(&l->score[rank]);
    *slot = (uint32_t)rank;
    return x;
}

size_t fr__zbt_prefix(const fr_zbt *t, fr_zbt_pred *pred, const void *ctx)
{
    if (!t->root)
        return 0;
    size_t r = 0;
    const void *x = t->root;
    for (int d = 0; d < t->height; d++) {
        const inner *in = x;
        uint32_t lo = 1, hi = in->n;
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (pred(ctx, in->s[mid], in->sent[mid]))
                lo = mid + 1;
            else
                hi = mid;
        }
        for (uint32_t j = 0; j + 1 < lo; j++)
            r += in->cnt[j];
        x = in->child[lo - 1];
    }
    const fr_zbt_leaf *l = x;
    uint32_t lo = 0, hi = l->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (pred(ctx, l->score[mid], l->ent[mid]))
            lo = mid + 1;
        else
            hi = mid;
    }
    return r + lo;
}

size_t fr__zbt_count_below(const fr_zbt *t, double s, int inclusive)
{
    if (!t->root)
        return 0;
    size_t r = 0;
    const void *x = t->root;
    for (int d = 0; d < t->height; d++) {
        const inner *in = x;
        uint32_t c = 0;
        for (uint32_t j = 1; j < in->n; j++)
            c += inclusive ? in->s[j] <= s : in->s[j] < s;
        for (uint32_t j = 0; j < c; j++)
            r += in->cnt[j];
        x = in->child[c];
    }
    const fr_zbt_leaf *l = x;
    uint32_t c = 0;
    for (uint32_t j = 0; j < l->n; j++)
        c += inclusive ? l->score[j] <= s : l->score[j] < s;
    return r + c;
}

/* ---- checking ------------------------------------------------------------ */

typedef struct walk {
    const fr_dict_entry *last;
    double last_s;
    const fr_zbt_leaf *next_leaf; /* the leaf the chain should show next */
    const fr_zbt_leaf *prev_leaf;
    size_t seen;
    int ok;
} walk;

static int elem_le(double s1, const fr_dict_entry *a, double s2, const fr_dict_entry *b)
{
    if (s1 != s2)
        return s1 < s2;
    return fr__zbt_memb_cmp(a->key, a->klen, b->key, b->klen) < 0;
}

/* Check the subtree x at height h; its element count into *count and its
 * smallest element into (*s, *e). */
static void check_node(const fr_zbt *t, const void *x, int h, walk *w, size_t *count, double *s,
                       fr_dict_entry **e)
{
    if (h == 0) {
        const fr_zbt_leaf *l = x;
        if (l != w->next_leaf || l->prev != w->prev_leaf || l->n == 0 || l->n > LEAF)
            w->ok = 0;
        if (x != t->root && l->n < LEAF_MIN && l != t->first && l != t->last)
            w->ok = 0;
        for (uint32_t j = 0; j < l->n && w->ok; j++) {
            if (l->score[j] != l->ent[j]->v.d)
                w->ok = 0;
            if (w->last && !elem_le(w->last_s, w->last, l->score[j], l->ent[j]))
                w->ok = 0;
            w->last = l->ent[j];
            w->last_s = l->score[j];
        }
        w->seen += l->n;
        w->prev_leaf = l;
        w->next_leaf = l->next;
        *count = l->n;
        *s = l->score[0];
        *e = l->ent[0];
        return;
    }
    const inner *in = x;
    if (in->n == 0 || in->n > FAN || (x == t->root && in->n < 2))
        w->ok = 0;
    size_t total = 0;
    for (uint32_t j = 0; j < in->n && w->ok; j++) {
        size_t c;
        double ms;
        fr_dict_entry *me;
        check_node(t, in->child[j], h - 1, w, &c, &ms, &me);
        if (c != in->cnt[j] || ms != in->s[j] || me != in->sent[j])
            w->ok = 0;
        total += c;
    }
    *count = total;
    *s = in->s[0];
    *e = in->sent[0];
}

int fr__zbt_check(const fr_zbt *t)
{
    if (!t->root)
        return t->len == 0 && !t->first && !t->last && t->height == 0;
    walk w = {NULL, 0, t->first, NULL, 0, 1};
    size_t c;
    double s;
    fr_dict_entry *e;
    check_node(t, t->root, t->height, &w, &c, &s, &e);
    return w.ok && c == t->len && w.seen == t->len && w.next_leaf == NULL && w.prev_leaf == t->last;
}
