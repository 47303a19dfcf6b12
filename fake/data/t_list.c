/* The list type. See t_list.h. */
#include "t_list.h"

#include <stdlib.h>
#include <string.h>

#define HEAP_TAG 0xff
#define NODE_MIN_CAP 40u /* fills an 80-byte glibc chunk with the header */
/* Lists at least this long get a node index on their first access by
 * position: shorter ones have a few nodes at most, unless their elements
 * are big, and the walk costs less than the index's upkeep. */
#define DIR_MIN_LEN 1024

struct fr_lnode {
    fr_lnode *prev, *next;
    uint32_t count;      /* entries */
    uint32_t start, end; /* live bytes are d[start..end) */
    uint32_t cap;
    unsigned char d[];
};

#define USED(n) ((n)->end - (n)->start)

/* ---- popped entries --------------------------------------------------- */

void fr__lentry_make(fr_lentry *e, const void *p, size_t n)
{
    if (n <= sizeof e->u.in) {
        if (n)
            memcpy(e->u.in, p, n);
        e->tag = (uint8_t)n;
    } else {
        e->u.h.p = fr__xmalloc(n);
        memcpy(e->u.h.p, p, n);
        e->u.h.n = (uint32_t)n;
        e->tag = HEAP_TAG;
    }
}

void fr__lentry_free(fr_lentry *e)
{
    if (e->tag == HEAP_TAG)
        free(e->u.h.p);
    e->tag = 0;
}

/* ---- packed entries: varint length, bytes, length backwards ----------- */

static uint32_t vsize(size_t n)
{
    uint32_t s = 1;
    while (n >= 128) {
        n >>= 7;
        s++;
    }
    return s;
}

static uint32_t esize(size_t n)
{
    return 2 * vsize(n) + (uint32_t)n;
}

/* Write the entry for p[0..n) at dst (esize(n) bytes). */
static void put_entry(unsigned char *dst, const void *p, size_t n)
{
    uint32_t h = vsize(n);
    size_t v = n;
    unsigned char *q = dst;
    while (v >= 128) {
        *q++ = (unsigned char)((v & 127) | 128);
        v >>= 7;
    }
    *q = (unsigned char)v;
    if (n)
        memcpy(dst + h, p, n);
    /* the trailer: the same groups, read from the end towards the front */
    q = dst + h + n + h - 1;
    v = n;
    while (v >= 128) {
        *q-- = (unsigned char)((v & 127) | 128);
        v >>= 7;
    }
    *q = (unsigned char)v;
}

/* The entry starting at p: its bytes and total size. */
static uint32_t get_fwd(const unsigned char *p, const char **data, size_t *n)
{
    size_t v = 0;
    uint32_t i = 0;
    unsigned shift = 0;
    for (;;) {
        unsigned char b = p[i++];
        v |= (size_t)(b & 127) << shift;
        if (!(b & 128))
            break;
        shift += 7;
    }
    *data = (const char *)p + i;
    *n = v;
    return 2 * i + (uint32_t)v;
}

/* The entry ending at end (exclusive): its bytes and total size. */
static uint32_t get_bwd(const unsigned char *end, const char **data, size_t *n)
{
    size_t v = 0;
    uint32_t i = 0;
    unsigned shift = 0;
    for (;;) {
        unsigned char b = *(end - 1 - i);
        i++;
        v |= (size_t)(b & 127) << shift;
        if (!(b & 128))
            break;
        shift += 7;
    }
    *data = (const char *)end - i - v;
    *n = v;
    return 2 * i + (uint32_t)v;
}

static int same(const char *a, size_t an, const void *b, size_t bn)
{
    return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

/* ---- nodes ------------------------------------------------------------ */

/* A buffer size of at least n for which a node wastes nothing: glibc's
 * chunks are multiples of 16 bytes holding 8 of its own, so the node's
 * header plus cap plus 8 should be a multiple of 16 (rounding cap itself
 * to 16, as before, left 8 bytes unused in every node). */
static uint32_t round16(size_t n)
{
    size_t chunk = (sizeof(fr_lnode) + n + 8 + 15) & ~(size_t)15;
    return (uint32_t)(chunk - 8 - sizeof(fr_lnode));
}

static fr_lnode *node_alloc(uint32_t cap, uint32_t at)
{
    fr_lnode *n = fr__xmalloc(sizeof *n + cap);
    n->prev = n->next = NULL;
    n->count = 0;
    n->cap = cap;
    n->start = n->end = at;
    return n;
}

/* ---- the node index (fr_list.dir) ------------------------------------ *
 *
 * slot[k] is the k-th node and the number of elements in the nodes 1..k-1:
 * the head's count is left out, and each node's own, so that pushes and
 * pops, which change only the head's and the tail's counts, leave it
 * right. Anything else that changes a count or the chain drops it (ok 0;
 * the memory stays for the rebuild). */

typedef struct dir_slot {
    fr_lnode *node;
    size_t before;
} dir_slot;

struct fr_ldir {
    fr_lnode *tail; /* the list's, while the list has an index */
    size_t n, cap;
    size_t last; /* the slot the last access found */
    int ok;
    dir_slot slot[];
};

/* The index (once built, it stays until the list is freed) and the tail,
 * which shares a field with it (t_list.h). */
static fr_ldir *dir_of(const fr_list *l)
{
    return l->tail_or_dir & 1 ? (fr_ldir *)(l->tail_or_dir - 1) : NULL;
}

static fr_lnode *tail_of(const fr_list *l)
{
    fr_ldir *d = dir_of(l);
    return d ? d->tail : (fr_lnode *)l->tail_or_dir;
}

static void set_tail(fr_list *l, fr_lnode *t)
{
    fr_ldir *d = dir_of(l);
    if (d)
        d->tail = t;
    else
        l->tail_or_dir = (uintptr_t)t;
}

static int dir_ok(const fr_list *l)
{
    fr_ldir *d = dir_of(l);
    return d && d->ok;
}

static void dir_drop(fr_list *l)
{
    fr_ldir *d = dir_of(l);
    if (d)
        d->ok = 0;
}

static void dir_reserve(fr_list *l, size_t n)
{
    fr_ldir *d = dir_of(l);
    if (d && n <= d->cap)
        return;
    fr_lnode *tail = tail_of(l);
    size_t cap = d ? d->cap : 64;
    while (cap < n)
        cap *= 2;
    int fresh = !d;
    d = fr__xrealloc(d, sizeof *d + cap * sizeof d->slot[0]);
    if (fresh) {
        d->n = d->last = 0;
        d->ok = 0;
    }
    d->tail = tail;
    d->cap = cap;
    l->tail_or_dir = (uintptr_t)d | 1; /* malloc's blocks are aligned */
}

static void dir_build(fr_list *l)
{
    size_t k = 0, before = 0;
    for (fr_lnode *n = l->head; n; n = n->next, k++) {
        dir_reserve(l, k + 1);
        dir_of(l)->slot[k].node = n;
        dir_of(l)->slot[k].before = before;
        if (k > 0)
            before += n->count;
    }
    dir_reserve(l, 1);
    dir_of(l)->n = k;
    dir_of(l)->ok = 1;
}

/* The node in some slot moved from old to m (node_resize). The head and
 * the tail move as they grow; a node in the middle only under LSET, which
 * located it just before (last). */
static void dir_moved(fr_list *l, const fr_lnode *old, fr_lnode *m)
{
    if (!dir_ok(l))
        return;
    fr_ldir *d = dir_of(l);
    size_t k = !m->prev ? 0 : !m->next ? d->n - 1 : d->last;
    if (k < d->n && d->slot[k].node == old)
        d->slot[k].node = m;
    else
        dir_drop(l);
}

/* n was linked in: a new tail extends the index (the old tail's count is
 * final from now on, as only the ends change in place); elsewhere the
 * index is dropped. */
static void dir_linked(fr_list *l, fr_lnode *n)
{
    if (!dir_ok(l))
        return;
    fr_ldir *d = dir_of(l);
    if (n->next || !n->prev || d->n == 0) {
        dir_drop(l);
        return;
    }
    const dir_slot *last = &d->slot[d->n - 1];
    size_t before = d->n == 1 ? 0 : last->before + last->node->count;
    dir_reserve(l, d->n + 1);
    d = dir_of(l);
    d->slot[d->n].node = n;
    d->slot[d->n].before = before;
    d->n++;
}

/* n is about to be unlinked and freed: the tail just shortens the index. */
static void dir_unlinking(fr_list *l, const fr_lnode *n)
{
    if (!dir_ok(l))
        return;
    if (n->next || !n->prev)
        dir_drop(l);
    else
        dir_of(l)->n--;
}

/* Move n into a buffer of newcap bytes with its live bytes at newstart;
 * fixes the neighbours' links. Returns the node's new address. */
static fr_lnode *node_resize(fr_list *l, fr_lnode *n, uint32_t newcap, uint32_t newstart)
{
    uint32_t used = USED(n);
    fr_lnode *m = fr__xmalloc(sizeof *m + newcap);
    memcpy(m->d + newstart, n->d + n->start, used);
    m->cap = newcap;
    m->start = newstart;
    m->end = newstart + used;
    m->count = n->count;
    m->prev = n->prev;
    m->next = n->next;
    if (m->prev)
        m->prev->next = m;
    else
        l->head = m;
    if (m->next)
        m->next->prev = m;
    else
        set_tail(l, m);
    dir_moved(l, n, m);
    free(n);
    return m;
}

static void node_link_after(fr_list *l, fr_lnode *at, fr_lnode *n)
{
    n->prev = at;
    n->next = at ? at->next : l->head;
    if (n->next)
        n->next->prev = n;
    else
        set_tail(l, n);
    if (at)
        at->next = n;
    else
        l->head = n;
    dir_linked(l, n);
}

static void node_unlink_free(fr_list *l, fr_lnode *n)
{
    dir_unlinking(l, n);
    if (n->prev)
        n->prev->next = n->next;
    else
        l->head = n->next;
    if (n->next)
        n->next->prev = n->prev;
    else
        set_tail(l, n->prev);
    free(n);
}

/* Trim a node that is done growing (it is no longer at an end) to its
 * size, so full nodes carry no slack. */
static fr_lnode *node_fit(fr_list *l, fr_lnode *n)
{
    uint32_t used = USED(n);
    if (n->cap - used > 32)
        return node_resize(l, n, round16(used), 0);
    return n;
}

/* A node that shrank a lot gives memory back. */
static fr_lnode *node_maybe_shrink(fr_list *l, fr_lnode *n)
{
    uint32_t used = USED(n);
    if (n->cap > 4 * NODE_MIN_CAP && used * 4 < n->cap) {
        uint32_t cap = round16((size_t)used * 2);
        if (cap < NODE_MIN_CAP)
            cap = NODE_MIN_CAP;
        return node_resize(l, n, cap, (cap - used) / 2);
    }
    return n;
}

/* Open s free bytes at *off (a boundary between entries of n, start and
 * end included) by moving the cheaper side, growing the buffer if needed.
 * Returns the node (it may move) and updates *off to the gap's start. */
static fr_lnode *node_open(fr_list *l, fr_lnode *n, uint32_t *off, uint32_t s)
{
    for (;;) {
        uint32_t front = *off - n->start, back = n->end - *off;
        int can_front = n->start >= s, can_back = n->cap - n->end >= s;
        if (can_front && (!can_back || front <= back)) {
            memmove(n->d + n->start - s, n->d + n->start, front);
            n->start -= s;
            *off -= s;
            return n;
        }
        if (can_back) {
            memmove(n->d + *off + s, n->d + *off, back);
            n->end += s;
            return n;
        }
        /* grow by half, leaving the room on the side the gap is nearer */
        uint32_t used = USED(n);
        size_t want = ((size_t)used + s) * 3 / 2;
        if (want < NODE_MIN_CAP)
            want = NODE_MIN_CAP;
        if (want > FR_LIST_NODE_BYTES && (size_t)used + s <= FR_LIST_NODE_BYTES)
            want = FR_LIST_NODE_BYTES;
        if (want < (size_t)used + s)
            want = (size_t)used + s;
        uint32_t cap = round16(want);
        uint32_t room = cap - used, ns = room / 2;
        if (front <= back) {
            if (ns < s)
                ns = s;
        } else if (room - ns < s) {
            ns = room - s;
        }
        uint32_t rel = *off - n->start;
        n = node_resize(l, n, cap, ns);
        *off = n->start + rel;
    }
}

/* Remove s bytes at off by moving the cheaper side. Returns where the
 * boundary between what was before and after them now is. */
static uint32_t node_close(fr_lnode *n, uint32_t off, uint32_t s)
{
    uint32_t front = off - n->start, back = n->end - off - s;
    if (front < back) {
        memmove(n->d + n->start + s, n->d + n->start, front);
        n->start += s;
        return off + s;
    }
    memmove(n->d + off, n->d + off + s, back);
    n->end -= s;
    return off;
}

/* Whether an entry of s bytes may join n (a node is kept under the size
 * limit unless it holds a single big element). */
static int fits(const fr_lnode *n, uint32_t s)
{
    return USED(n) + s <= FR_LIST_NODE_BYTES;
}

/* The node holding idx by the index: the head, or a binary search of the
 * others. Notes the slot for dir_moved. */
static fr_lnode *dir_find(fr_list *l, size_t *idx)
{
    fr_ldir *d = dir_of(l);
    fr_lnode *h = l->head;
    if (*idx < h->count) {
        d->last = 0;
        return h;
    }
    size_t r = *idx - h->count, lo = 1, hi = d->n;
    /* the last slot whose before is <= r: every node in the middle holds
     * an element, so the befores rise strictly */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->slot[mid].before <= r)
            lo = mid;
        else
            hi = mid;
    }
    d->last = lo;
    *idx = r - d->slot[lo].before;
    return d->slot[lo].node;
}

/* The node holding idx, the index within it and the entry's offset. With
 * build, a long list builds its node index on the way (a cache: hence
 * the list is not const here, though its contents do not change); the
 * callers that change counts in the middle, and so drop the index, walk
 * instead (LTRIM would rebuild it node after node). */
static fr_lnode *locate(fr_list *l, size_t idx, int build, uint32_t *i_out, uint32_t *off)
{
    fr_lnode *n;
    if (build && l->len >= DIR_MIN_LEN && !dir_ok(l))
        dir_build(l);
    if (l->len >= DIR_MIN_LEN && dir_ok(l)) {
        n = dir_find(l, &idx);
    } else if (idx < l->len / 2) {
        for (n = l->head; idx >= n->count; n = n->next)
            idx -= n->count;
    } else {
        size_t back = l->len - 1 - idx; /* entries after idx */
        for (n = tail_of(l); back >= n->count; n = n->prev)
            back -= n->count;
        idx = n->count - 1 - back;
    }
    uint32_t i = (uint32_t)idx;
    const char *p;
    size_t len;
    uint32_t o;
    /* Skip entries to the i-th. Most are under 128 bytes: their size is
     * their first (last) byte plus 2, one load per entry on the way. */
    const unsigned char *d = n->d;
    if (i < n->count / 2) {
        o = n->start;
        for (uint32_t k = 0; k < i; k++)
            o += d[o] < 128 ? d[o] + 2u : get_fwd(d + o, &p, &len);
    } else {
        o = n->end;
        for (uint32_t k = n->count; k > i; k--)
            o -= d[o - 1] < 128 ? d[o - 1] + 2u : get_bwd(d + o, &p, &len);
    }
    if (i_out)
        *i_out = i;
    *off = o;
    return n;
}

/* ---- the list --------------------------------------------------------- */

fr_list *fr__list_new(void)
{
    return fr__xcalloc(1, sizeof(fr_list));
}

void fr__list_free(fr_list *l)
{
    if (!l)
        return;
    fr_lnode *n = l->head;
    while (n) {
        fr_lnode *next = n->next;
        free(n);
        n = next;
    }
    free(dir_of(l));
    free(l);
}

/* A node for one more entry of s bytes: small at first (it grows by half
 * as it fills), or just big enough for an element larger than a node. */
static fr_lnode *node_new_for(uint32_t s, int front)
{
    uint32_t cap = s > FR_LIST_NODE_BYTES ? round16(s) : round16((size_t)s * 2);
    if (cap < NODE_MIN_CAP)
        cap = NODE_MIN_CAP;
    return node_alloc(cap, front ? cap : 0);
}

void fr__list_push(fr_list *l, int where, const void *p, size_t len)
{
    uint32_t s = esize(len);
    int front = where == FR_LIST_HEAD;
    fr_lnode *n = front ? l->head : tail_of(l);
    if (!n) {
        n = node_new_for(s, front);
        node_link_after(l, NULL, n);
    } else if (!fits(n, s)) {
        n = node_fit(l, n);
        fr_lnode *m = node_new_for(s, front);
        node_link_after(l, front ? n->prev : n, m);
        n = m;
    }
    uint32_t off = front ? n->start : n->end;
    n = node_open(l, n, &off, s);
    put_entry(n->d + off, p, len);
    n->count++;
    l->len++;
}

void fr__list_push_many(fr_list *l, int where, const fr_arg *args, size_t n)
{
    /* Room for all of them at once when they fit one node: an exact
     * buffer rather than one grown by half as they come (a new list of
     * 10 small elements: 192 bytes instead of 240). */
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += esize(args[i].len);
    int front = where == FR_LIST_HEAD;
    fr_lnode *nd = front ? l->head : tail_of(l);
    if (n > 1 && total <= FR_LIST_NODE_BYTES) {
        if (!nd) {
            uint32_t cap = round16(total);
            node_link_after(l, NULL, node_alloc(cap, front ? cap : 0));
        } else if (USED(nd) + total <= FR_LIST_NODE_BYTES &&
                   (front ? nd->start : nd->cap - nd->end) < total) {
            uint32_t used = USED(nd), cap = round16((size_t)used + total);
            node_resize(l, nd, cap, front ? cap - used : 0);
        }
    }
    for (size_t i = 0; i < n; i++)
        fr__list_push(l, where, args[i].p, args[i].len);
}

void fr__list_push_entry(fr_list *l, int where, fr_lentry *e)
{
    size_t n;
    const char *p = fr__lentry_bytes(e, &n);
    fr__list_push(l, where, p, n);
    fr__lentry_free(e);
}

int fr__list_pop_entry(fr_list *l, int where, fr_lentry *out)
{
    if (!l->len)
        return 0;
    fr_lnode *n = where == FR_LIST_HEAD ? l->head : tail_of(l);
    const char *p;
    size_t len;
    if (where == FR_LIST_HEAD) {
        uint32_t s = get_fwd(n->d + n->start, &p, &len);
        fr__lentry_make(out, p, len);
        n->start += s;
    } else {
        uint32_t s = get_bwd(n->d + n->end, &p, &len);
        fr__lentry_make(out, p, len);
        n->end -= s;
    }
    n->count--;
    l->len--;
    if (n->count == 0)
        node_unlink_free(l, n);
    else
        node_maybe_shrink(l, n);
    return 1;
}

void fr__list_index(const fr_list *l, size_t idx, const char **p, size_t *n)
{
    uint32_t off;
    /* only the node index (a cache) may change */
    const fr_lnode *node = locate((fr_list *)l, idx, 1, NULL, &off);
    get_fwd(node->d + off, p, n);
}

long long fr__list_norm_index(const fr_list *l, long long idx)
{
    long long len = (long long)l->len;
    if (idx < 0)
        idx += len;
    return idx < 0 || idx >= len ? -1 : idx;
}

void fr__list_set(fr_list *l, size_t idx, const void *p, size_t len)
{
    uint32_t off;
    fr_lnode *n = locate(l, idx, 1, NULL, &off);
    const char *op;
    size_t olen;
    uint32_t old = get_fwd(n->d + off, &op, &olen);
    uint32_t s = esize(len);
    if (s == old) {
        put_entry(n->d + off, p, len);
        return;
    }
    if (n->count > 1 && USED(n) - old + s > FR_LIST_NODE_BYTES) {
        /* no longer fits this node: the general path splits it */
        fr__list_del_range(l, idx, 1);
        fr__list_insert(l, idx, p, len);
        return;
    }
    uint32_t b = node_close(n, off, old);
    n = node_open(l, n, &b, s);
    put_entry(n->d + b, p, len);
}

void fr__list_insert(fr_list *l, size_t idx, const void *p, size_t len)
{
    if (idx == 0 || idx == l->len) {
        fr__list_push(l, idx == 0 ? FR_LIST_HEAD : FR_LIST_TAIL, p, len);
        return;
    }
    uint32_t s = esize(len), i, off;
    fr_lnode *n = locate(l, idx, 0, &i, &off);
    dir_drop(l); /* a count in the middle changes */
    if (!fits(n, s) && i == 0) {
        /* at a node boundary (idx > 0, so there is a previous node): the
         * end of the previous node, or a node of its own in between */
        if (fits(n->prev, s)) {
            n = n->prev;
            off = n->end;
        } else {
            fr_lnode *x = node_new_for(s, 0);
            node_link_after(l, n->prev, x);
            n = x;
            off = 0;
        }
    } else if (!fits(n, s)) {
        /* split: the entries from idx on move to a new node after n */
        uint32_t moved = n->end - off;
        uint32_t cap = round16(moved + s > NODE_MIN_CAP ? moved + s : NODE_MIN_CAP);
        fr_lnode *m = node_alloc(cap, cap - moved);
        memcpy(m->d + m->start, n->d + off, moved);
        m->end = cap;
        m->count = n->count - i;
        n->end = off;
        n->count = i;
        node_link_after(l, n, m);
        if (fits(n, s)) {
            off = n->end;
        } else if (fits(m, s)) {
            n = m;
            off = m->start;
        } else {
            /* a big element between two full nodes: a node of its own */
            fr_lnode *x = node_new_for(s, 0);
            node_link_after(l, n, x);
            n = x;
            off = 0;
        }
    }
    n = node_open(l, n, &off, s);
    put_entry(n->d + off, p, len);
    n->count++;
    l->len++;
}

void fr__list_del_range(fr_list *l, size_t idx, size_t count)
{
    while (count > 0) {
        uint32_t i, off;
        fr_lnode *n = locate(l, idx, 0, &i, &off);
        dir_drop(l); /* counts in the middle change */
        if (i == 0 && count >= n->count) {
            /* the whole node goes (LTRIM, big ranges): no need to walk it */
            l->len -= n->count;
            count -= n->count;
            node_unlink_free(l, n);
            continue;
        }
        uint32_t k = n->count - i;
        if (count < k)
            k = (uint32_t)count;
        uint32_t span = 0;
        const char *p;
        size_t len;
        for (uint32_t j = 0; j < k; j++)
            span += get_fwd(n->d + off + span, &p, &len);
        node_close(n, off, span);
        n->count -= k;
        l->len -= k;
        count -= k;
        if (n->count == 0)
            node_unlink_free(l, n);
        else
            node_maybe_shrink(l, n);
    }
}

/* LREM within one node, from the front: keeps the entries that do not
 * match (or are past the limit), compacting towards the start. */
static size_t rem_fwd(fr_lnode *n, const void *p, size_t len, size_t limit)
{
    uint32_t r = n->start, w = n->start;
    size_t removed = 0;
    while (r < n->end) {
        const char *ep;
        size_t en;
        uint32_t s = get_fwd(n->d + r, &ep, &en);
        if (removed < limit && same(ep, en, p, len)) {
            removed++;
        } else {
            if (w != r)
                memmove(n->d + w, n->d + r, s);
            w += s;
        }
        r += s;
    }
    n->end = w;
    return removed;
}

/* The same from the back, compacting towards the end. */
static size_t rem_bwd(fr_lnode *n, const void *p, size_t len, size_t limit)
{
    uint32_t r = n->end, w = n->end;
    size_t removed = 0;
    while (r > n->start) {
        const char *ep;
        size_t en;
        uint32_t s = get_bwd(n->d + r, &ep, &en);
        r -= s;
        if (removed < limit && same(ep, en, p, len)) {
            removed++;
        } else {
            w -= s;
            if (w != r)
                memmove(n->d + w, n->d + r, s);
        }
    }
    n->start = w;
    return removed;
}

size_t fr__list_rem(fr_list *l, const void *p, size_t len, long long count)
{
    size_t removed = 0;
    dir_drop(l);
    size_t limit = count == 0 ? (size_t)-1 : count < 0 ? (size_t)0 - (size_t)count : (size_t)count;
    fr_lnode *n = count >= 0 ? l->head : tail_of(l);
    while (n && removed < limit) {
        fr_lnode *next = count >= 0 ? n->next : n->prev;
        size_t r =
            count >= 0 ? rem_fwd(n, p, len, limit - removed) : rem_bwd(n, p, len, limit - removed);
        n->count -= (uint32_t)r;
        removed += r;
        if (n->count == 0)
            node_unlink_free(l, n);
        else if (r)
            node_maybe_shrink(l, n);
        n = next;
    }
    l->len -= removed;
    return removed;
}

void fr__list_iter_init(fr_list_iter *it, const fr_list *l, size_t idx, int dir)
{
    it->dir = dir;
    it->node = NULL;
    it->off = 0;
    if (idx >= l->len)
        return;
    uint32_t off;
    /* only the node index (a cache) may change */
    const fr_lnode *n = locate((fr_list *)l, idx, 1, NULL, &off);
    it->node = n;
    if (dir > 0) {
        it->off = off;
    } else {
        const char *p;
        size_t len;
        it->off = off + get_fwd(n->d + off, &p, &len);
    }
}

int fr__list_iter_next(fr_list_iter *it, const char **p, size_t *n)
{
    const fr_lnode *node = it->node;
    if (!node)
        return 0;
    if (it->dir > 0) {
        if (it->off >= node->end) {
            node = it->node = node->next;
            if (!node)
                return 0;
            it->off = node->start;
        }
        it->off += get_fwd(node->d + it->off, p, n);
    } else {
        if (it->off <= node->start) {
            node = it->node = node->prev;
            if (!node)
                return 0;
            it->off = node->end;
        }
        it->off -= get_bwd(node->d + it->off, p, n);
    }
    return 1;
}

size_t fr__list_mem(const fr_list *l)
{
    size_t total = sizeof *l;
    const fr_ldir *d = dir_of(l);
    if (d)
        total += sizeof *d + d->cap * sizeof d->slot[0];
    for (const fr_lnode *n = l->head; n; n = n->next)
        total += sizeof *n + n->cap;
    return total;
}

/* ---- the object layer ------------------------------------------------- */

fr_obj *fr__list_obj_new(void)
{
    return fr__obj_new(FR_TYPE_LIST, FR_ENC_QUICKLIST, fr__list_new());
}

static void list_free(fr_obj *o)
{
    fr__list_free(o->v.ptr);
}

static fr_obj *list_dup(const fr_obj *o)
{
    const fr_list *src = o->v.ptr;
    fr_obj *d = fr__list_obj_new();
    fr_list_iter it;
    const char *p;
    size_t n;
    fr__list_iter_init(&it, src, 0, 1);
    while (fr__list_iter_next(&it, &p, &n))
        fr__list_push(d->v.ptr, FR_LIST_TAIL, p, n);
    return d;
}

/* DUMP payload: count (8 bytes), then (length as 4 bytes, bytes) each. */
static void list_dump(const fr_obj *o, fr_buf *out)
{
    const fr_list *l = o->v.ptr;
    uint64_t cnt = l->len;
    fr__buf_append(out, &cnt, sizeof cnt);
    fr_list_iter it;
    const char *p;
    size_t n;
    fr__list_iter_init(&it, l, 0, 1);
    while (fr__list_iter_next(&it, &p, &n)) {
        uint32_t len = (uint32_t)n;
        fr__buf_append(out, &len, sizeof len);
        fr__buf_append(out, p, n);
    }
}

static fr_obj *list_load(const char **p, const char *end, int enc_hint)
{
    (void)enc_hint;
    uint64_t cnt;
    if ((size_t)(end - *p) < sizeof cnt)
        return NULL;
    memcpy(&cnt, *p, sizeof cnt);
    *p += sizeof cnt;
    if (cnt == 0)
        return NULL; /* Redis never stores an empty list */
    fr_obj *o = fr__list_obj_new();
    for (uint64_t i = 0; i < cnt; i++) {
        uint32_t len;
        if ((size_t)(end - *p) < sizeof len)
            goto bad;
        memcpy(&len, *p, sizeof len);
        *p += sizeof len;
        if ((size_t)(end - *p) < len)
            goto bad;
        fr__list_push(o->v.ptr, FR_LIST_TAIL, *p, len);
        *p += len;
    }
    return o;
bad:
    fr__obj_free(o);
    return NULL;
}

static void list_render(const fr_obj *o, fr_buf *out)
{
    fr_list_iter it;
    const char *p;
    size_t n;
    int first = 1;
    fr__buf_putc(out, '[');
    fr__list_iter_init(&it, o->v.ptr, 0, 1);
    while (fr__list_iter_next(&it, &p, &n)) {
        if (!first)
            fr__buf_puts(out, ", ");
        first = 0;
        fr__buf_append(out, p, n);
    }
    fr__buf_putc(out, ']');
}

const fr_type_ops fr__list_ops = {"list", list_free, list_dup, list_dump, list_load, list_render};

/* ---- SORT's view ------------------------------------------------------ */

static size_t list_length(const fr_obj *o)
{
    return fr__list_len(o->v.ptr);
}

static void list_each(const fr_obj *o, void (*fn)(void *priv, const char *p, size_t n), void *priv)
{
    fr_list_iter it;
    const char *p;
    size_t n;
    fr__list_iter_init(&it, o->v.ptr, 0, 1);
    while (fr__list_iter_next(&it, &p, &n))
        fn(priv, p, n);
}

static fr_obj *list_build(const char *const *elems, const size_t *lens, size_t n)
{
    fr_obj *o = fr__list_obj_new();
    for (size_t i = 0; i < n; i++)
        fr__list_push(o->v.ptr, FR_LIST_TAIL, elems[i], lens[i]);
    return o;
}

const fr_type_elem_ops fr__list_elem_ops = {list_length, list_each, NULL, list_build};
