/* The stream type's ops: free, COPY's deep copy, DUMP/RESTORE payloads and
 * the readable rendering.
 *
 * The DUMP payload is the fake's own (Redis' would need its listpack and
 * radix tree byte formats), little-endian, versioned:
 *   u8 version (1)
 *   u64 length, u64 entries-added, IDs (two u64 each) last, first,
 *   max-deleted
 *   the nodes as stored (t_stream.c: fr__stream_dump_nodes), tombstones
 *   included, so a restored stream is cut into the same nodes
 *   u64 groups, each: u32 name length + name, last-delivered ID,
 *   i64 entries-read (-1: unknown), u64 pending, each: ID, i64 delivery
 *   time, u64 delivery count; u64 consumers, each: u32 name length +
 *   name, i64 seen time, u64 pending, each: ID
 * A payload is checked through and through before it is used: any
 * inconsistency (a pending entry two consumers claim, an entry past the
 * last ID...) makes RESTORE answer "Bad data format". */
#include <stdlib.h>
#include <string.h>

#include "t_stream.h"
#include "t_stream_group.h"

#define PAYLOAD_VERSION 1

static void stream_free(fr_obj *o)
{
    fr_stream *s = o->v.ptr;
    fr__cgroups_free(s->groups);
    fr__stream_free(s);
}

static fr_obj *stream_dup(const fr_obj *o)
{
    const fr_stream *s = o->v.ptr;
    fr_stream *d = fr__stream_dup(s);
    fr__cgroups_dup(s, d);
    return fr__obj_new(FR_TYPE_STREAM, FR_ENC_STREAM, d);
}

/* ---- writing --------------------------------------------------------------- */

static void put(fr_buf *out, const void *p, size_t n)
{
    fr__buf_append(out, p, n);
}

static void put_u64(fr_buf *out, uint64_t v)
{
    put(out, &v, sizeof v);
}

static void put_name(fr_buf *out, const char *p, size_t n)
{
    uint32_t l = (uint32_t)n;
    put(out, &l, sizeof l);
    put(out, p, n);
}

static void dump_pel_ids(fr_buf *out, const fr_sidtree *pel, int with_nack)
{
    put_u64(out, pel->n);
    fr_sid at = {0, 0}, id;
    void *v;
    while (fr__sidtree_seek(pel, &at, &id, &v)) {
        put(out, &id, sizeof id);
        if (with_nack) {
            const fr_snack *nack = v;
            put(out, &nack->delivery_time, sizeof nack->delivery_time);
            put_u64(out, nack->delivery_count);
        }
        at = id;
        if (!fr__sid_incr(&at))
            break;
    }
}

static void dump_group(fr_buf *out, fr_sgroup *g)
{
    put_name(out, g->name, g->nlen);
    put(out, &g->last_id, sizeof g->last_id);
    put(out, &g->entries_read, sizeof g->entries_read);
    dump_pel_ids(out, &g->pel, 1);
    size_t nc;
    fr_sconsumer **cs = fr__sconsumers_sorted(g, &nc);
    put_u64(out, nc);
    for (size_t i = 0; i < nc; i++) {
        put_name(out, cs[i]->name, cs[i]->nlen);
        put(out, &cs[i]->seen_time, sizeof cs[i]->seen_time);
        dump_pel_ids(out, &cs[i]->pel, 0);
    }
    free(cs);
}

static void stream_dump(const fr_obj *o, fr_buf *out)
{
    const fr_stream *s = o->v.ptr;
    unsigned char v = PAYLOAD_VERSION;
    put(out, &v, 1);
    put_u64(out, s->length);
    put_u64(out, s->entries_added);
    put(out, &s->last_id, sizeof s->last_id);
    put(out, &s->first_id, sizeof s->first_id);
    put(out, &s->max_deleted, sizeof s->max_deleted);
    fr__stream_dump_nodes(s, out);
    size_t ng;
    fr_sgroup **gs = fr__sgroups_sorted(s, &ng);
    put_u64(out, ng);
    for (size_t i = 0; i < ng; i++)
        dump_group(out, gs[i]);
    free(gs);
}

/* ---- reading --------------------------------------------------------------- */

typedef struct rd {
    const char *p, *end;
} rd;

static int get(rd *r, void *dst, size_t n)
{
    if ((size_t)(r->end - r->p) < n)
        return 0;
    memcpy(dst, r->p, n);
    r->p += n;
    return 1;
}

static int get_name(rd *r, const char **p, uint32_t *n)
{
    if (!get(r, n, sizeof *n) || *n > (size_t)(r->end - r->p))
        return 0;
    *p = r->p;
    r->p += *n;
    return 1;
}

/* A consumer's PEL: every ID must be pending in the group and not yet
 * owned. */
static int load_consumer(rd *r, fr_sgroup *g)
{
    const char *name;
    uint32_t nlen;
    int64_t seen;
    uint64_t npel;
    if (!get_name(r, &name, &nlen) || !get(r, &seen, sizeof seen) || !get(r, &npel, sizeof npel))
        return 0;
    fr_sconsumer *c = fr__sconsumer_create(g, name, nlen, seen);
    if (!c)
        return 0;
    for (uint64_t i = 0; i < npel; i++) {
        fr_sid id;
        if (!get(r, &id, sizeof id))
            return 0;
        fr_snack *nack = fr__sidtree_find(&g->pel, &id);
        if (!nack || nack->consumer)
            return 0;
        fr__snack_assign(nack, &id, c);
    }
    return 1;
}

static int load_group(rd *r, fr_stream *s)
{
    const char *name;
    uint32_t nlen;
    fr_sid last;
    long long read;
    uint64_t npel, nc;
    if (!get_name(r, &name, &nlen) || !get(r, &last, sizeof last) || !get(r, &read, sizeof read) ||
        !get(r, &npel, sizeof npel))
        return 0;
    if (read < FR_SG_READ_UNKNOWN)
        return 0;
    fr_sgroup *g = fr__sgroup_create(s, name, nlen, &last, read);
    if (!g)
        return 0;
    for (uint64_t i = 0; i < npel; i++) {
        fr_sid id;
        int64_t when;
        uint64_t count;
        if (!get(r, &id, sizeof id) || !get(r, &when, sizeof when) || !get(r, &count, sizeof count))
            return 0;
        if (fr__sidtree_find(&g->pel, &id))
            return 0;
        fr__sgroup_add_unowned(g, &id, when)->delivery_count = count;
    }
    if (!get(r, &nc, sizeof nc))
        return 0;
    for (uint64_t i = 0; i < nc; i++)
        if (!load_consumer(r, g))
            return 0;
    /* every pending entry belongs to a consumer */
    size_t owned = 0, n;
    fr_sconsumer **cs = fr__sconsumers_sorted(g, &n);
    for (size_t i = 0; i < n; i++)
        owned += cs[i]->pel.n;
    free(cs);
    return owned == g->pel.n;
}

static fr_obj *stream_load(const char **p, const char *end, int enc_hint)
{
    (void)enc_hint;
    rd r = {*p, end};
    unsigned char v;
    fr_stream *s = fr__stream_new();
    fr_obj *o = fr__obj_new(FR_TYPE_STREAM, FR_ENC_STREAM, s);
    uint64_t ng;
    int ok = get(&r, &v, 1) && v == PAYLOAD_VERSION && get(&r, &s->length, sizeof s->length) &&
             get(&r, &s->entries_added, sizeof s->entries_added) &&
             get(&r, &s->last_id, sizeof s->last_id) && get(&r, &s->first_id, sizeof s->first_id) &&
             get(&r, &s->max_deleted, sizeof s->max_deleted) &&
             fr__stream_load_nodes(s, &r.p, r.end) && get(&r, &ng, sizeof ng);
    fr_sid last;
    if (ok && fr__stream_last_live(s, &last) && fr__sid_cmp(&last, &s->last_id) > 0)
        ok = 0;
    for (uint64_t i = 0; ok && i < ng; i++)
        ok = load_group(&r, s);
    if (!ok) {
        fr__obj_free(o);
        return NULL;
    }
    *p = r.p;
    return o;
}

/* ---- fr_dump ---------------------------------------------------------------- */

static void stream_render(const fr_obj *o, fr_buf *out)
{
    const fr_stream *s = o->v.ptr;
    fr_stream_iter it;
    fr_sid id;
    uint64_t nf;
    char buf[FR_SID_STR_MAX];
    fr__buf_putc(out, '[');
    fr__stream_iter_start(&it, s, NULL, NULL, 0);
    for (int first = 1; fr__stream_iter_next(&it, &id, &nf); first = 0) {
        if (!first)
            fr__buf_puts(out, ", ");
        fr__sid_format(buf, &id);
        fr__buf_puts(out, buf);
        fr__buf_puts(out, " {");
        for (uint64_t i = 0; i < nf; i++) {
            const char *f, *val;
            size_t fl, vl;
            fr__stream_iter_field(&it, &f, &fl, &val, &vl);
            if (i)
                fr__buf_puts(out, ", ");
            fr__buf_append(out, f, fl);
            fr__buf_puts(out, ": ");
            fr__buf_append(out, val, vl);
        }
        fr__buf_putc(out, '}');
    }
    fr__stream_iter_end(&it);
    fr__buf_putc(out, ']');
}

const fr_type_ops fr__stream_ops = {"stream",    stream_free, stream_dup,
                                    stream_dump, stream_load, stream_render};
