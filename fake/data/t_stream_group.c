/* Consumer groups. See t_stream_group.h. */
#include "t_stream_group.h"

#include <stdlib.h>
#include <string.h>

static void nack_free(void *v)
{
    free(v);
}

static void consumer_free(fr_sconsumer *c)
{
    fr__sidtree_clear(&c->pel, NULL); /* the group's PEL owns the nacks */
    free(c->name);
    free(c);
}

static void consumer_val_free(fr_dict_val v, void *ctx)
{
    (void)ctx;
    consumer_free(v.p);
}

static const fr_dict_type consumers_type = {consumer_val_free};

static void group_free(fr_sgroup *g)
{
    fr__dict_clear(&g->consumers);
    fr__sidtree_clear(&g->pel, nack_free);
    free(g->name);
    free(g);
}

static void group_val_free(fr_dict_val v, void *ctx)
{
    (void)ctx;
    group_free(v.p);
}

static const fr_dict_type groups_type = {group_val_free};

fr_sgroup *fr__sgroup_find(const fr_stream *s, const char *name, size_t nlen)
{
    if (!s->groups)
        return NULL;
    fr_dict_entry *e = fr__dict_find(&s->groups->groups, name, nlen);
    return e ? e->v.p : NULL;
}

fr_sgroup *fr__sgroup_create(fr_stream *s, const char *name, size_t nlen, const fr_sid *last,
                             long long entries_read)
{
    if (!s->groups) {
        s->groups = fr__xcalloc(1, sizeof *s->groups);
        fr__dict_init(&s->groups->groups, &groups_type, NULL);
    }
    fr_dict_entry *e = fr__dict_add(&s->groups->groups, name, nlen, NULL);
    if (!e)
        return NULL;
    fr_sgroup *g = fr__xcalloc(1, sizeof *g);
    g->name = fr__xmemdup(name, nlen);
    g->nlen = nlen;
    g->last_id = *last;
    g->entries_read = entries_read;
    fr__dict_init(&g->consumers, &consumers_type, NULL);
    e->v.p = g;
    return g;
}

int fr__sgroup_destroy(fr_stream *s, const char *name, size_t nlen)
{
    return s->groups && fr__dict_delete(&s->groups->groups, name, nlen);
}

size_t fr__sgroup_count(const fr_stream *s)
{
    return s->groups ? fr__dict_size(&s->groups->groups) : 0;
}

static int cmp_names(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    if (c)
        return c;
    return an < bn ? -1 : an > bn;
}

static int cmp_groups(const void *x, const void *y)
{
    const fr_sgroup *a = *(fr_sgroup *const *)x, *b = *(fr_sgroup *const *)y;
    return cmp_names(a->name, a->nlen, b->name, b->nlen);
}

static int cmp_consumers(const void *x, const void *y)
{
    const fr_sconsumer *a = *(fr_sconsumer *const *)x, *b = *(fr_sconsumer *const *)y;
    return cmp_names(a->name, a->nlen, b->name, b->nlen);
}

/* The values of d in an array sorted by cmp. */
static void **sorted_values(fr_dict *d, size_t *n, int (*cmp)(const void *, const void *))
{
    *n = fr__dict_size(d);
    if (!*n)
        return NULL;
    void **out = fr__xmalloc(*n * sizeof *out);
    size_t i = 0;
    fr_dict_iter it;
    fr_dict_entry *e;
    fr__dict_iter_start(&it, d);
    while ((e = fr__dict_iter_next(&it)))
        out[i++] = e->v.p;
    fr__dict_iter_end(&it);
    qsort(out, *n, sizeof *out, cmp);
    return out;
}

fr_sgroup **fr__sgroups_sorted(const fr_stream *s, size_t *n)
{
    *n = 0;
    if (!s->groups)
        return NULL;
    return (fr_sgroup **)sorted_values(&s->groups->groups, n, cmp_groups);
}

fr_sconsumer *fr__sconsumer_find(fr_sgroup *g, const char *name, size_t nlen)
{
    fr_dict_entry *e = fr__dict_find(&g->consumers, name, nlen);
    return e ? e->v.p : NULL;
}

fr_sconsumer *fr__sconsumer_create(fr_sgroup *g, const char *name, size_t nlen, int64_t now)
{
    fr_dict_entry *e = fr__dict_add(&g->consumers, name, nlen, NULL);
    if (!e)
        return NULL;
    fr_sconsumer *c = fr__xcalloc(1, sizeof *c);
    c->name = fr__xmemdup(name, nlen);
    c->nlen = nlen;
    c->seen_time = now;
    e->v.p = c;
    return c;
}

size_t fr__sconsumer_delete(fr_sgroup *g, fr_sconsumer *c)
{
    size_t pending = c->pel.n;
    fr_sid at = {0, 0}, id;
    void *v;
    while (fr__sidtree_seek(&c->pel, &at, &id, &v)) {
        fr__sidtree_remove(&c->pel, &id);
        free(fr__sidtree_remove(&g->pel, &id));
        at = id;
    }
    fr__dict_delete(&g->consumers, c->name, c->nlen); /* frees c */
    return pending;
}

fr_sconsumer **fr__sconsumers_sorted(fr_sgroup *g, size_t *n)
{
    return (fr_sconsumer **)sorted_values(&g->consumers, n, cmp_consumers);
}

void fr__snack_assign(fr_snack *nack, const fr_sid *id, fr_sconsumer *c)
{
    if (nack->consumer == c)
        return;
    if (nack->consumer)
        fr__sidtree_remove(&nack->consumer->pel, id);
    nack->consumer = c;
    fr__sidtree_insert(&c->pel, id, nack);
}

fr_snack *fr__sgroup_add_unowned(fr_sgroup *g, const fr_sid *id, int64_t now)
{
    fr_snack *nack = fr__xcalloc(1, sizeof *nack);
    nack->delivery_time = now;
    nack->delivery_count = 1;
    fr__sidtree_insert(&g->pel, id, nack);
    return nack;
}

void fr__sgroup_deliver(fr_sgroup *g, fr_sconsumer *c, const fr_sid *id, int64_t now)
{
    fr_snack *nack = fr__sidtree_find(&g->pel, id);
    if (!nack)
        nack = fr__sgroup_add_unowned(g, id, now);
    nack->delivery_time = now;
    nack->delivery_count = 1;
    fr__snack_assign(nack, id, c);
}

int fr__sgroup_ack(fr_sgroup *g, const fr_sid *id)
{
    fr_snack *nack = fr__sidtree_remove(&g->pel, id);
    if (!nack)
        return 0;
    if (nack->consumer)
        fr__sidtree_remove(&nack->consumer->pel, id);
    free(nack);
    return 1;
}

void fr__cgroups_free(fr_cgroups *cg)
{
    if (!cg)
        return;
    fr__dict_clear(&cg->groups);
    free(cg);
}

static void dup_group(fr_stream *dst, const fr_sgroup *g)
{
    fr_sgroup *ng = fr__sgroup_create(dst, g->name, g->nlen, &g->last_id, g->entries_read);
    fr_sid at = {0, 0}, id;
    void *v;
    while (fr__sidtree_seek(&g->pel, &at, &id, &v)) {
        const fr_snack *old = v;
        fr_snack *nack = fr__sgroup_add_unowned(ng, &id, old->delivery_time);
        nack->delivery_count = old->delivery_count;
        if (old->consumer) {
            fr_sconsumer *c = fr__sconsumer_find(ng, old->consumer->name, old->consumer->nlen);
            if (!c)
                c = fr__sconsumer_create(ng, old->consumer->name, old->consumer->nlen,
                                         old->consumer->seen_time);
            fr__snack_assign(nack, &id, c);
        }
        at = id;
        if (!fr__sid_incr(&at))
            break;
    }
    /* consumers with nothing pending, and everyone's seen time */
    fr_dict_iter it;
    fr_dict_entry *e;
    fr__dict_iter_start(&it, (fr_dict *)&g->consumers);
    while ((e = fr__dict_iter_next(&it))) {
        const fr_sconsumer *oc = e->v.p;
        fr_sconsumer *c = fr__sconsumer_find(ng, oc->name, oc->nlen);
        if (!c)
            c = fr__sconsumer_create(ng, oc->name, oc->nlen, oc->seen_time);
        c->seen_time = oc->seen_time;
    }
    fr__dict_iter_end(&it);
}

void fr__cgroups_dup(const fr_stream *src, fr_stream *dst)
{
    if (!src->groups)
        return;
    fr_dict_iter it;
    fr_dict_entry *e;
    fr__dict_iter_start(&it, (fr_dict *)&src->groups->groups);
    while ((e = fr__dict_iter_next(&it)))
        dup_group(dst, e->v.p);
    fr__dict_iter_end(&it);
}

/* ---- read counters and lag ------------------------------------------------ */

long long fr__stream_estimate_read(const fr_stream *s, const fr_sid *id)
{
    if (!s->entries_added)
        return 0; /* never used: every ID counts 0 */
    if (!s->length && fr__sid_cmp(id, &s->last_id) <= 0)
        return (long long)s->entries_added;
    int cmp_last = fr__sid_cmp(id, &s->last_id);
    if (cmp_last == 0)
        return (long long)s->entries_added;
    if (cmp_last > 0)
        return FR_SG_READ_UNKNOWN; /* the future */
    int cmp_first = fr__sid_cmp(id, &s->first_id);
    if (fr__sid_is_zero(&s->max_deleted) || fr__sid_cmp(&s->max_deleted, &s->first_id) < 0) {
        /* nothing deleted after the first entry: the count is known */
        if (cmp_first < 0)
            return (long long)(s->entries_added - s->length);
        if (cmp_first == 0)
            return (long long)(s->entries_added - s->length + 1);
    }
    return FR_SG_READ_UNKNOWN;
}

int fr__stream_range_has_tombstones(const fr_stream *s, const fr_sid *start, const fr_sid *end)
{
    if (!s->length || fr__sid_is_zero(&s->max_deleted))
        return 0;
    if (fr__sid_cmp(&s->first_id, &s->max_deleted) > 0)
        return 0; /* every deletion is before the first entry */
    fr_sid lo = start ? *start : (fr_sid){0, 0};
    fr_sid hi = end ? *end : (fr_sid){UINT64_MAX, UINT64_MAX};
    return fr__sid_cmp(&lo, &s->max_deleted) <= 0 && fr__sid_cmp(&s->max_deleted, &hi) <= 0;
}

int fr__sgroup_lag(const fr_stream *s, const fr_sgroup *g, long long *lag)
{
    if (!s->entries_added) {
        *lag = 0;
        return 1;
    }
    if (g->entries_read != FR_SG_READ_UNKNOWN &&
        !fr__stream_range_has_tombstones(s, &g->last_id, NULL)) {
        *lag = (long long)s->entries_added - g->entries_read;
        return 1;
    }
    long long read = fr__stream_estimate_read(s, &g->last_id);
    if (read == FR_SG_READ_UNKNOWN)
        return 0;
    *lag = (long long)s->entries_added - read;
    return 1;
}

void fr__sgroup_advance(const fr_stream *s, fr_sgroup *g, const fr_sid *id)
{
    if (fr__sid_cmp(id, &g->last_id) <= 0)
        return;
    if (g->entries_read != FR_SG_READ_UNKNOWN && !fr__stream_range_has_tombstones(s, id, NULL))
        g->entries_read++;
    else if (s->entries_added)
        g->entries_read = fr__stream_estimate_read(s, id);
    g->last_id = *id;
}
