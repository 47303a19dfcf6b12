/* BCAST mode: prefixes, the keys modified under each, and the broadcast
 * once per loop iteration. See tracking_engine.h. */
#include "tracking_engine.h"

#include <stdlib.h>
#include <string.h>

/* One prefix some BCAST client registered. */
struct fr_trk_prefix {
    fr_dict clients; /* ids (8 bytes) of the clients that registered it */
    fr_dict keys;    /* modified since the last broadcast -> origin id (v.i) */
};

static void free_prefix(struct fr_trk_prefix *p)
{
    fr__dict_clear(&p->clients);
    fr__dict_clear(&p->keys);
    free(p);
}

static int has_prefix(const char *k, size_t n, const char *p, size_t pn)
{
    return n >= pn && memcmp(k, p, pn) == 0;
}

/* Sorted insert into the client's own list (TRACKINGINFO shows it in
 * byte order, as Redis' radix tree does). */
static void conn_add(struct fr_tracking_conn *tc, const char *p, size_t n)
{
    size_t at = 0;
    for (; at < tc->nprefixes; at++) {
        size_t l = tc->prefix_lens[at] < n ? tc->prefix_lens[at] : n;
        int cmp = memcmp(tc->prefixes[at], p, l);
        if (cmp == 0 && tc->prefix_lens[at] == n)
            return; /* already there */
        if (cmp > 0 || (cmp == 0 && tc->prefix_lens[at] > n))
            break;
    }
    tc->prefixes = fr__xrealloc(tc->prefixes, (tc->nprefixes + 1) * sizeof *tc->prefixes);
    tc->prefix_lens = fr__xrealloc(tc->prefix_lens, (tc->nprefixes + 1) * sizeof *tc->prefix_lens);
    memmove(tc->prefixes + at + 1, tc->prefixes + at, (tc->nprefixes - at) * sizeof(char *));
    memmove(tc->prefix_lens + at + 1, tc->prefix_lens + at, (tc->nprefixes - at) * sizeof(size_t));
    tc->prefixes[at] = fr__xmalloc(n + 1);
    memcpy(tc->prefixes[at], p, n);
    tc->prefixes[at][n] = '\0';
    tc->prefix_lens[at] = n;
    tc->nprefixes++;
}

void fr__trk_bcast_add(struct fr_tracking *t, fr_conn *c, const char *p, size_t n)
{
    fr_dict_entry *existing = NULL;
    fr_dict_entry *e = fr__dict_add(&t->prefixes, p, n, &existing);
    if (e) {
        struct fr_trk_prefix *bp = fr__xcalloc(1, sizeof *bp);
        fr__dict_init(&bp->clients, NULL, NULL);
        fr__dict_init(&bp->keys, NULL, NULL);
        e->v.p = bp;
    } else {
        e = existing;
    }
    struct fr_trk_prefix *bp = e->v.p;
    fr__dict_add(&bp->clients, &c->id, sizeof c->id, NULL);
    conn_add(c->track, p, n);
}

void fr__trk_bcast_remove(struct fr_tracking *t, fr_conn *c)
{
    struct fr_tracking_conn *tc = c->track;
    for (size_t i = 0; i < tc->nprefixes; i++) {
        fr_dict_entry *e = fr__dict_find(&t->prefixes, tc->prefixes[i], tc->prefix_lens[i]);
        if (e) {
            struct fr_trk_prefix *bp = e->v.p;
            fr__dict_delete(&bp->clients, &c->id, sizeof c->id);
            if (!fr__dict_size(&bp->clients)) {
                free_prefix(bp);
                fr__dict_delete(&t->prefixes, tc->prefixes[i], tc->prefix_lens[i]);
            }
        }
        free(tc->prefixes[i]);
    }
    free(tc->prefixes);
    free(tc->prefix_lens);
    tc->prefixes = NULL;
    tc->prefix_lens = NULL;
    tc->nprefixes = 0;
}

void fr__trk_bcast_key(struct fr_tracking *t, const char *k, size_t n, uint64_t origin)
{
    fr_dict_iter it;
    fr_dict_entry *e;
    int any = 0;
    fr__dict_iter_start(&it, &t->prefixes);
    while ((e = fr__dict_iter_next(&it))) {
        if (!has_prefix(k, n, e->key, e->klen))
            continue;
        struct fr_trk_prefix *bp = e->v.p;
        /* the last client to modify the key is the one NOLOOP spares */
        fr__dict_set(&bp->keys, k, n, (fr_dict_val){.i = (int64_t)origin});
        any = 1;
    }
    fr__dict_iter_end(&it);
    if (any)
        fr__trk_bcast_arm(t);
}

/* ---- the broadcast -------------------------------------------------------- */

typedef struct {
    const char *p;
    size_t n;
    uint64_t origin;
} key_ref;

static int cmp_bytes(const char *a, size_t an, const char *b, size_t bn)
{
    size_t l = an < bn ? an : bn;
    int c = memcmp(a, b, l);
    return c ? c : (an > bn) - (an < bn);
}

static int cmp_key(const void *a, const void *b)
{
    const key_ref *x = a, *y = b;
    return cmp_bytes(x->p, x->n, y->p, y->n);
}

static int cmp_entry(const void *a, const void *b)
{
    const fr_dict_entry *x = *(fr_dict_entry *const *)a, *y = *(fr_dict_entry *const *)b;
    return cmp_bytes(x->key, x->klen, y->key, y->klen);
}

static int cmp_id(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Send one prefix's keys to each of its clients (a NOLOOP client without
 * the keys it modified itself; nothing when none is left). */
static void send_prefix(struct fr_tracking *t, struct fr_trk_prefix *bp)
{
    size_t nk = fr__dict_size(&bp->keys), nc = fr__dict_size(&bp->clients);
    key_ref *keys = fr__xmalloc(nk * sizeof *keys);
    uint64_t *ids = fr__xmalloc((nc ? nc : 1) * sizeof *ids);
    fr_dict_iter it;
    fr_dict_entry *e;
    size_t i = 0;
    fr__dict_iter_start(&it, &bp->keys);
    while ((e = fr__dict_iter_next(&it)))
        keys[i++] = (key_ref){e->key, e->klen, (uint64_t)e->v.i};
    fr__dict_iter_end(&it);
    qsort(keys, nk, sizeof *keys, cmp_key);
    i = 0;
    fr__dict_iter_start(&it, &bp->clients);
    while ((e = fr__dict_iter_next(&it)))
        memcpy(&ids[i++], e->key, sizeof *ids);
    fr__dict_iter_end(&it);
    qsort(ids, nc, sizeof *ids, cmp_id);
    const char **ps = fr__xmalloc(nk * sizeof *ps);
    size_t *ls = fr__xmalloc(nk * sizeof *ls);
    for (size_t ci = 0; ci < nc; ci++) {
        fr_conn *c = fr__conn_by_id(t->srv, ids[ci]);
        if (!c || !c->track)
            continue;
        int noloop = (c->track->flags & FR_TRK_NOLOOP) != 0;
        size_t m = 0;
        for (size_t k = 0; k < nk; k++) {
            if (noloop && keys[k].origin == c->id)
                continue;
            ps[m] = keys[k].p;
            ls[m++] = keys[k].n;
        }
        if (m)
            fr__trk_send(c, ps, ls, m);
    }
    free(ps);
    free(ls);
    free(ids);
    free(keys);
    fr__dict_clear(&bp->keys);
}

void fr__trk_bcast_send(struct fr_tracking *t)
{
    size_t np = fr__dict_size(&t->prefixes), i = 0;
    if (!np)
        return;
    fr_dict_entry **order = fr__xmalloc(np * sizeof *order);
    fr_dict_iter it;
    fr_dict_entry *e;
    fr__dict_iter_start(&it, &t->prefixes);
    while ((e = fr__dict_iter_next(&it)))
        order[i++] = e;
    fr__dict_iter_end(&it);
    /* prefixes in byte order, as Redis walks its radix tree */
    qsort(order, np, sizeof *order, cmp_entry);
    for (i = 0; i < np; i++) {
        struct fr_trk_prefix *bp = order[i]->v.p;
        if (fr__dict_size(&bp->keys))
            send_prefix(t, bp);
    }
    free(order);
}

void fr__trk_bcast_free(struct fr_tracking *t)
{
    fr_dict_iter it;
    fr_dict_entry *e;
    fr__dict_iter_start(&it, &t->prefixes);
    while ((e = fr__dict_iter_next(&it)))
        free_prefix(e->v.p);
    fr__dict_iter_end(&it);
    fr__dict_clear(&t->prefixes);
}

const char *fr__tracking_check_prefixes(fr_conn *c, const fr_arg *prefixes, size_t n, fr_buf *buf)
{
    struct fr_tracking_conn *tc = c->track;
    for (size_t i = 0; i < n; i++) {
        const fr_arg *a = &prefixes[i];
        for (size_t j = 0; tc && j < tc->nprefixes; j++) {
            size_t l = a->len < tc->prefix_lens[j] ? a->len : tc->prefix_lens[j];
            if (memcmp(a->p, tc->prefixes[j], l) == 0) {
                fr__buf_printf(buf,
                               "Prefix '%.*s' overlaps with an existing prefix '%s'. "
                               "Prefixes for a single client must not overlap.",
                               (int)strnlen(a->p, a->len), a->p, tc->prefixes[j]);
                return buf->p;
            }
        }
        for (size_t j = i + 1; j < n; j++) {
            const fr_arg *b = &prefixes[j];
            size_t l = a->len < b->len ? a->len : b->len;
            if (memcmp(a->p, b->p, l) == 0) {
                fr__buf_printf(buf,
                               "Prefix '%.*s' overlaps with another provided prefix '%.*s'. "
                               "Prefixes for a single client must not overlap.",
                               (int)strnlen(a->p, a->len), a->p, (int)strnlen(b->p, b->len), b->p);
                return buf->p;
            }
        }
    }
    return NULL;
}
