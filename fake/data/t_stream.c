/* Stream storage: nodes of entries. See t_stream.h. */
#include "t_stream.h"

#include <stdlib.h>
#include <string.h>

enum { F_DELETED = 1, F_SAME = 2 };

struct fr_snode {
    fr_sid master;        /* the first entry's ID: the deltas' base */
    fr_sid last;          /* the last entry's, deleted or not */
    uint32_t live, dead;  /* entries, and entries marked deleted */
    uint32_t len, cap;    /* bytes of data in use, allocated */
    uint32_t first;       /* where the entries start in data */
    uint32_t nmaster;     /* master field names */
    uint64_t lp;          /* Redis' listpack size, less its two counters */
    unsigned char data[]; /* master names, then the entries */
};

/* Redis refuses listpacks past 1 GB whatever stream-node-max-bytes says. */
#define LP_MAX_SIZE (1u << 30)

/* ---- IDs ----------------------------------------------------------------- */

int fr__sid_incr(fr_sid *id)
{
    if (id->seq != UINT64_MAX) {
        id->seq++;
        return 1;
    }
    if (id->ms == UINT64_MAX) {
        id->ms = id->seq = 0;
        return 0;
    }
    id->ms++;
    id->seq = 0;
    return 1;
}

int fr__sid_decr(fr_sid *id)
{
    if (id->seq != 0) {
        id->seq--;
        return 1;
    }
    if (id->ms == 0) {
        id->ms = id->seq = UINT64_MAX;
        return 0;
    }
    id->ms--;
    id->seq = UINT64_MAX;
    return 1;
}

static int put_u64(char *p, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (int i = 0; i < n; i++)
        p[i] = tmp[n - 1 - i];
    return n;
}

int fr__sid_format(char *buf, const fr_sid *id)
{
    int n = put_u64(buf, id->ms);
    buf[n++] = '-';
    n += put_u64(buf + n, id->seq);
    buf[n] = '\0';
    return n;
}

/* ---- sizes of Redis' listpack elements (its node split rule) ------------- */

static size_t lp_backlen(size_t l)
{
    return l < 128 ? 1 : l < 16384 ? 2 : l < 2097152 ? 3 : l < 268435456 ? 4 : 5;
}

/* An integer element: encoding and data, then a one-byte back length. */
static size_t lp_int(int64_t v)
{
    if (v >= 0 && v <= 127)
        return 2;
    if (v >= -4096 && v <= 4095)
        return 3;
    if (v >= -32768 && v <= 32767)
        return 4;
    if (v >= -8388608 && v <= 8388607)
        return 5;
    if (v >= INT32_MIN && v <= INT32_MAX)
        return 6;
    return 10;
}

/* A string element; listpack stores canonical integers as integers. */
static size_t lp_str(const char *p, size_t n)
{
    long long v;
    if (n > 0 && n <= 20 && fr__str2ll(p, n, &v))
        return lp_int(v);
    size_t h = n < 64 ? 1 : n < 4096 ? 2 : 5;
    return h + n + lp_backlen(h + n);
}

static uint64_t node_lp_bytes(const fr_snode *n)
{
    return n->lp + lp_int(n->live) + lp_int(n->dead);
}

/* ---- varints ------------------------------------------------------------- */

static size_t varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static size_t put_varint(unsigned char *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (unsigned char)v;
    return n;
}

static uint64_t get_varint(const unsigned char **p)
{
    uint64_t v = 0;
    int shift = 0;
    const unsigned char *q = *p;
    for (;;) {
        unsigned char b = *q++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            break;
        shift += 7;
    }
    *p = q;
    return v;
}

/* ---- nodes --------------------------------------------------------------- */

static fr_snode *node_reserve(fr_snode *n, size_t more)
{
    size_t need = (size_t)n->len + more;
    if (need <= n->cap)
        return n;
    /* grow by a quarter: nodes are a few KB and shrink to fit when full */
    size_t cap = n->cap + n->cap / 4 + 64;
    if (cap < need)
        cap = need;
    n = fr__xrealloc(n, sizeof *n + cap);
    n->cap = (uint32_t)cap;
    return n;
}

static fr_snode *node_shrink(fr_snode *n)
{
    if (n->cap == n->len)
        return n;
    n = fr__xrealloc(n, sizeof *n + n->len);
    n->cap = n->len;
    return n;
}

static void node_put_bytes(fr_snode *n, const void *p, size_t len)
{
    n->len += (uint32_t)put_varint(n->data + n->len, len);
    if (len)
        memcpy(n->data + n->len, p, len);
    n->len += (uint32_t)len;
}

static fr_snode *node_new(const fr_sid *id, const fr_arg *fv, size_t npairs)
{
    size_t bytes = 0;
    for (size_t i = 0; i < npairs; i++)
        bytes += varint_len(fv[2 * i].len) + fv[2 * i].len;
    fr_snode *n = fr__xcalloc(1, sizeof *n + bytes + 64);
    n->cap = (uint32_t)(bytes + 64);
    n->master = *id;
    n->nmaster = (uint32_t)npairs;
    /* the listpack's header and end, its master entry: counters (added
     * when read), the field count, the names, a zero terminator */
    n->lp = 7 + lp_int((int64_t)npairs) + lp_int(0);
    for (size_t i = 0; i < npairs; i++) {
        node_put_bytes(n, fv[2 * i].p, fv[2 * i].len);
        n->lp += lp_str(fv[2 * i].p, fv[2 * i].len);
    }
    n->first = n->len;
    return n;
}

/* Do the names match the node's master names, in order? */
static int same_fields(const fr_snode *n, const fr_arg *fv, size_t npairs)
{
    if (npairs != n->nmaster)
        return 0;
    const unsigned char *p = n->data;
    for (size_t i = 0; i < npairs; i++) {
        uint64_t l = get_varint(&p);
        if (l != fv[2 * i].len || (l && memcmp(p, fv[2 * i].p, l)))
            return 0;
        p += l;
    }
    return 1;
}

static fr_snode *node_append(fr_snode *n, const fr_sid *id, const fr_arg *fv, size_t npairs)
{
    int same = same_fields(n, fv, npairs);
    uint64_t msd = id->ms - n->master.ms;
    uint64_t seqp = msd ? id->seq : id->seq - n->master.seq;
    size_t need = 1 + varint_len(msd) + varint_len(seqp) + varint_len(npairs);
    for (size_t i = 0; i < 2 * npairs; i++)
        need += varint_len(fv[i].len) + fv[i].len;
    n = node_reserve(n, need);
    n->data[n->len++] = same ? F_SAME : 0;
    n->len += (uint32_t)put_varint(n->data + n->len, msd);
    n->len += (uint32_t)put_varint(n->data + n->len, seqp);
    if (!same)
        n->len += (uint32_t)put_varint(n->data + n->len, npairs);
    /* the same entry in Redis' listpack: flags, the two deltas, the field
     * count unless the names are the master's, the strings, lp-count */
    uint64_t lp = lp_int(same ? F_SAME : 0) + lp_int((int64_t)msd) +
                  lp_int((int64_t)(id->seq - n->master.seq));
    if (!same)
        lp += lp_int((int64_t)npairs);
    for (size_t i = 0; i < npairs; i++) {
        if (!same) {
            node_put_bytes(n, fv[2 * i].p, fv[2 * i].len);
            lp += lp_str(fv[2 * i].p, fv[2 * i].len);
        }
        node_put_bytes(n, fv[2 * i + 1].p, fv[2 * i + 1].len);
        lp += lp_str(fv[2 * i + 1].p, fv[2 * i + 1].len);
    }
    lp += lp_int((int64_t)(npairs + 3 + (same ? 0 : npairs + 1)));
    n->lp += lp;
    n->last = *id;
    n->live++;
    return n;
}

/* One entry of a node, decoded up to its fields. */
typedef struct entry {
    fr_sid id;
    int flags;
    uint64_t nfields;
    const unsigned char *fields; /* the first (name or) value */
    size_t next;                 /* offset of the following entry */
} entry;

static void skip_bytes(const unsigned char **p)
{
    uint64_t l = get_varint(p);
    *p += l;
}

static void entry_at(const fr_snode *n, size_t off, entry *e)
{
    const unsigned char *p = n->data + off;
    e->flags = *p++;
    uint64_t msd = get_varint(&p);
    uint64_t seqp = get_varint(&p);
    e->id.ms = n->master.ms + msd;
    e->id.seq = msd ? seqp : n->master.seq + seqp;
    e->nfields = (e->flags & F_SAME) ? n->nmaster : get_varint(&p);
    e->fields = p;
    uint64_t strings = (e->flags & F_SAME) ? e->nfields : 2 * e->nfields;
    for (uint64_t i = 0; i < strings; i++)
        skip_bytes(&p);
    e->next = (size_t)(p - n->data);
}

/* ---- the node array -------------------------------------------------------- */

static fr_snode *node_at(const fr_stream *s, size_t i)
{
    return s->nodes[s->head + i];
}

static void nodes_push(fr_stream *s, fr_snode *n)
{
    if (s->head + s->n == s->cap) {
        if (s->head && s->head >= s->cap / 2) {
            memmove(s->nodes, s->nodes + s->head, s->n * sizeof *s->nodes);
            s->head = 0;
        } else {
            s->cap = s->cap ? s->cap * 2 : 4;
            s->nodes = fr__xrealloc(s->nodes, s->cap * sizeof *s->nodes);
        }
    }
    s->nodes[s->head + s->n++] = n;
}

/* Remove (and free) node i: the first one in O(1) (trims), others by
 * moving the pointers after it. */
static void nodes_remove(fr_stream *s, size_t i)
{
    free(node_at(s, i));
    if (i == 0) {
        s->head++;
    } else {
        fr_snode **base = s->nodes + s->head;
        memmove(base + i, base + i + 1, (s->n - i - 1) * sizeof *base);
    }
    if (--s->n == 0)
        s->head = 0;
}

/* The index of the last node whose first ID is <= id, or (size_t)-1 when
 * every node starts above id. */
static size_t node_find(const fr_stream *s, const fr_sid *id)
{
    size_t lo = 0, hi = s->n; /* answer in [lo - 1, hi) */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (fr__sid_cmp(&node_at(s, mid)->master, id) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo - 1;
}

/* ---- the stream ------------------------------------------------------------ */

fr_stream *fr__stream_new(void)
{
    return fr__xcalloc(1, sizeof(fr_stream));
}

fr_obj *fr__stream_obj_new(void)
{
    return fr__obj_new(FR_TYPE_STREAM, FR_ENC_STREAM, fr__stream_new());
}

void fr__stream_free(fr_stream *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        free(node_at(s, i));
    free(s->nodes);
    free(s);
}

void fr__stream_append(fr_stream *s, const fr_enc_limits *lim, const fr_sid *id, const fr_arg *fv,
                       size_t npairs)
{
    fr_snode *tail = s->n ? node_at(s, s->n - 1) : NULL;
    if (tail) {
        /* Redis' rule: the tail is full when its listpack plus the new
         * strings would reach the byte limit, or it holds max entries */
        uint64_t max_bytes = (uint64_t)lim->stream_node_max_bytes;
        if (max_bytes == 0 || max_bytes > LP_MAX_SIZE)
            max_bytes = LP_MAX_SIZE;
        uint64_t strings = 0;
        for (size_t i = 0; i < 2 * npairs; i++)
            strings += fv[i].len;
        int full = node_lp_bytes(tail) + strings >= max_bytes ||
                   (lim->stream_node_max_entries &&
                    (long long)tail->live + tail->dead >= lim->stream_node_max_entries);
        if (full) {
            s->nodes[s->head + s->n - 1] = node_shrink(tail);
            tail = NULL;
        }
    }
    if (!tail) {
        tail = node_new(id, fv, npairs);
        nodes_push(s, tail);
    }
    s->nodes[s->head + s->n - 1] = node_append(tail, id, fv, npairs);
    if (s->length++ == 0)
        s->first_id = *id;
    s->entries_added++;
    s->last_id = *id;
}

/* Find a live entry by ID: its node index and offset. The walk Redis'
 * lookup makes: from the last node starting at or before id, live entries
 * until one is not below id. */
static int find_entry(const fr_stream *s, const fr_sid *id, size_t *ni, size_t *off)
{
    size_t i = node_find(s, id);
    for (i = i == (size_t)-1 ? 0 : i; i < s->n; i++) {
        const fr_snode *n = node_at(s, i);
        entry e;
        for (size_t o = n->first; o < n->len; o = e.next) {
            entry_at(n, o, &e);
            if (e.flags & F_DELETED)
                continue;
            int c = fr__sid_cmp(&e.id, id);
            if (c > 0)
                return 0;
            if (c == 0) {
                *ni = i;
                *off = o;
                return 1;
            }
        }
    }
    return 0;
}

int fr__stream_exists(const fr_stream *s, const fr_sid *id)
{
    size_t ni, off;
    return find_entry(s, id, &ni, &off);
}

int fr__stream_delete(fr_stream *s, const fr_sid *id)
{
    size_t ni, off;
    if (!find_entry(s, id, &ni, &off))
        return 0;
    fr_snode *n = node_at(s, ni);
    s->length--;
    if (n->live == 1) {
        nodes_remove(s, ni); /* its last live entry: the node goes */
        return 1;
    }
    n->data[off] |= F_DELETED;
    n->live--;
    n->dead++;
    return 1;
}

static int edge_live(const fr_stream *s, int last, fr_sid *id)
{
    fr_stream_iter it;
    uint64_t nf;
    fr__stream_iter_start(&it, s, NULL, NULL, last);
    int found = fr__stream_iter_next(&it, id, &nf);
    fr__stream_iter_end(&it);
    return found;
}

int fr__stream_first_live(const fr_stream *s, fr_sid *id)
{
    return edge_live(s, 0, id);
}

int fr__stream_last_live(const fr_stream *s, fr_sid *id)
{
    return edge_live(s, 1, id);
}

/* Mark entries of the first node deleted from its start until stop says
 * so, as the partial step of Redis' trim. Returns how many went. */
static int64_t trim_inside(fr_stream *s, fr_snode *n, long long maxlen, const fr_sid *minid)
{
    int64_t gone = 0;
    entry e;
    for (size_t o = n->first; o < n->len; o = e.next) {
        entry_at(n, o, &e);
        int stop = minid ? fr__sid_cmp(&e.id, minid) >= 0 : s->length <= (uint64_t)maxlen;
        if (stop)
            break;
        if (!(e.flags & F_DELETED)) {
            n->data[o] |= F_DELETED;
            n->live--;
            n->dead++;
            s->length--;
            gone++;
        }
    }
    return gone;
}

int64_t fr__stream_trim(fr_stream *s, long long maxlen, const fr_sid *minid, int approx,
                        long long limit)
{
    int64_t deleted = 0;
    while (s->n) {
        if (!minid && s->length <= (uint64_t)maxlen)
            break;
        fr_snode *n = node_at(s, 0);
        int64_t entries = n->live;
        if (limit && deleted + entries > limit)
            break;
        int whole = minid ? fr__sid_cmp(&n->last, minid) < 0
                          : s->length - (uint64_t)entries >= (uint64_t)maxlen;
        if (whole) {
            s->length -= (uint64_t)entries;
            deleted += entries;
            nodes_remove(s, 0);
            continue;
        }
        if (approx)
            break;
        deleted += trim_inside(s, n, maxlen, minid);
        break; /* what had to go was in this node */
    }
    if (s->length == 0)
        s->first_id = (fr_sid){0, 0};
    else
        fr__stream_first_live(s, &s->first_id);
    return deleted;
}

/* ---- XINFO's radix tree figures -------------------------------------------- */

size_t fr__stream_node_count(const fr_stream *s)
{
    return s->n;
}

static void key_bytes(const fr_sid *id, unsigned char k[16])
{
    for (int i = 0; i < 8; i++) {
        k[i] = (unsigned char)(id->ms >> (56 - 8 * i));
        k[8 + i] = (unsigned char)(id->seq >> (56 - 8 * i));
    }
}

/* Nodes of a radix tree over the sorted 16-byte keys[lo..hi), which share
 * their first depth bytes, as Redis' rax builds it: a compressed node for a
 * run of bytes every key shares, a branching node where they part, a leaf
 * per key. */
static size_t rax_count(unsigned char (*keys)[16], size_t lo, size_t hi, size_t depth)
{
    size_t d = 16;
    if (hi - lo > 1) {
        d = depth;
        while (d < 16 && keys[lo][d] == keys[hi - 1][d])
            d++;
    }
    size_t count = d > depth; /* the shared run */
    if (hi - lo == 1)
        return count + 1;
    count++; /* the branching node */
    for (size_t i = lo; i < hi;) {
        size_t j = i;
        while (j < hi && keys[j][d] == keys[i][d])
            j++;
        count += rax_count(keys, i, j, d + 1);
        i = j;
    }
    return count;
}

size_t fr__stream_rax_nodes(const fr_stream *s)
{
    if (!s->n)
        return 1; /* an empty rax is its root */
    unsigned char(*keys)[16] = fr__xmalloc(s->n * sizeof *keys);
    for (size_t i = 0; i < s->n; i++)
        key_bytes(&node_at(s, i)->master, keys[i]);
    size_t count = rax_count(keys, 0, s->n, 0);
    free(keys);
    return count;
}

/* ---- iteration ------------------------------------------------------------- */

static void iter_load_node(fr_stream_iter *it)
{
    const fr_snode *n = node_at(it->s, it->node);
    if (!it->rev) {
        it->pos = n->first;
        return;
    }
    it->noffs = 0;
    entry e;
    for (size_t o = n->first; o < n->len; o = e.next) {
        if (it->noffs == it->offs_cap) {
            it->offs_cap = it->offs_cap ? it->offs_cap * 2 : 128;
            it->offs = fr__xrealloc(it->offs, it->offs_cap * sizeof *it->offs);
        }
        it->offs[it->noffs++] = o;
        entry_at(n, o, &e);
    }
}

void fr__stream_iter_start(fr_stream_iter *it, const fr_stream *s, const fr_sid *start,
                           const fr_sid *end, int rev)
{
    memset(it, 0, sizeof *it);
    it->s = s;
    it->rev = rev;
    it->start = start ? *start : (fr_sid){0, 0};
    it->end = end ? *end : (fr_sid){UINT64_MAX, UINT64_MAX};
    it->node = (size_t)-1;
    if (!s->n || fr__sid_cmp(&it->start, &it->end) > 0)
        return;
    if (!rev) {
        size_t i = node_find(s, &it->start);
        it->node = i == (size_t)-1 ? 0 : i;
    } else {
        it->node = node_find(s, &it->end); /* -1: every entry is above end */
    }
    if (it->node != (size_t)-1)
        iter_load_node(it);
}

/* Advance to the next node in the walk's direction; 0 at the end. */
static int iter_next_node(fr_stream_iter *it)
{
    if (!it->rev) {
        if (++it->node >= it->s->n) {
            it->node = (size_t)-1;
            return 0;
        }
    } else if (it->node-- == 0) {
        it->node = (size_t)-1;
        return 0;
    }
    iter_load_node(it);
    return 1;
}

int fr__stream_iter_next(fr_stream_iter *it, fr_sid *id, uint64_t *nfields)
{
    while (it->node != (size_t)-1) {
        const fr_snode *n = node_at(it->s, it->node);
        entry e;
        if (!it->rev) {
            if (it->pos >= n->len) {
                iter_next_node(it);
                continue;
            }
            it->at = it->pos;
            entry_at(n, it->pos, &e);
            it->pos = e.next;
            /* tombstones are passed over before the bounds are looked at,
             * as Redis' iterator does (it matters only after XSETID moved
             * the last ID below a deleted entry) */
            if ((e.flags & F_DELETED) || fr__sid_cmp(&e.id, &it->start) < 0)
                continue;
            if (fr__sid_cmp(&e.id, &it->end) > 0) {
                it->node = (size_t)-1;
                return 0;
            }
        } else {
            if (!it->noffs) {
                iter_next_node(it);
                continue;
            }
            it->at = it->offs[--it->noffs];
            entry_at(n, it->at, &e);
            if ((e.flags & F_DELETED) || fr__sid_cmp(&e.id, &it->end) > 0)
                continue;
            if (fr__sid_cmp(&e.id, &it->start) < 0) {
                it->node = (size_t)-1;
                return 0;
            }
        }
        it->id = e.id;
        it->same = (e.flags & F_SAME) != 0;
        it->nfields = it->left = e.nfields;
        it->fields_at = e.fields;
        it->mfields_at = n->data;
        *id = e.id;
        *nfields = e.nfields;
        return 1;
    }
    return 0;
}

void fr__stream_iter_field(fr_stream_iter *it, const char **f, size_t *flen, const char **v,
                           size_t *vlen)
{
    const unsigned char **names = it->same ? &it->mfields_at : &it->fields_at;
    uint64_t l = get_varint(names);
    *f = (const char *)*names;
    *flen = (size_t)l;
    *names += l;
    l = get_varint(&it->fields_at);
    *v = (const char *)it->fields_at;
    *vlen = (size_t)l;
    it->fields_at += l;
    it->left--;
}

void fr__stream_iter_end(fr_stream_iter *it)
{
    free(it->offs);
    it->offs = NULL;
}

/* ---- copies and DUMP payloads ---------------------------------------------- */

fr_stream *fr__stream_dup(const fr_stream *s)
{
    fr_stream *d = fr__stream_new();
    d->length = s->length;
    d->entries_added = s->entries_added;
    d->last_id = s->last_id;
    d->first_id = s->first_id;
    d->max_deleted = s->max_deleted;
    for (size_t i = 0; i < s->n; i++) {
        const fr_snode *n = node_at(s, i);
        fr_snode *c = fr__xmalloc(sizeof *c + n->len);
        memcpy(c, n, sizeof *c + n->len);
        c->cap = c->len;
        nodes_push(d, c);
    }
    return d;
}

static void put_raw(fr_buf *out, const void *p, size_t n)
{
    fr__buf_append(out, p, n);
}

void fr__stream_dump_nodes(const fr_stream *s, fr_buf *out)
{
    uint64_t n = s->n;
    put_raw(out, &n, sizeof n);
    for (size_t i = 0; i < s->n; i++) {
        const fr_snode *nd = node_at(s, i);
        put_raw(out, &nd->master, sizeof nd->master);
        uint32_t hdr[4] = {nd->live, nd->dead, nd->nmaster, nd->len};
        put_raw(out, hdr, sizeof hdr);
        put_raw(out, nd->data, nd->len);
    }
}

/* Bounds-checked varint for untrusted bytes: 0 when it runs past end. */
static int get_varint_safe(const unsigned char **p, const unsigned char *end, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*p >= end)
            return 0;
        unsigned char b = *(*p)++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 1;
        }
    }
    return 0;
}

static int skip_bytes_safe(const unsigned char **p, const unsigned char *end, const char **s,
                           uint64_t *l)
{
    if (!get_varint_safe(p, end, l) || *l > (uint64_t)(end - *p))
        return 0;
    *s = (const char *)*p;
    *p += *l;
    return 1;
}

/* Check a node read from a payload and rebuild what it does not carry
 * (first, last, lp). *prev is the last ID of the node before. */
static int node_check(fr_snode *n, fr_sid *prev, int have_prev)
{
    const unsigned char *p = n->data, *end = n->data + n->len;
    const char *str;
    uint64_t l;
    n->lp = 7 + lp_int(n->nmaster) + lp_int(0);
    for (uint32_t i = 0; i < n->nmaster; i++) {
        if (!skip_bytes_safe(&p, end, &str, &l))
            return 0;
        n->lp += lp_str(str, (size_t)l);
    }
    n->first = (uint32_t)(p - n->data);
    uint32_t live = 0, dead = 0;
    while (p < end) {
        int flags = *p++;
        uint64_t msd, seqp, nf;
        if ((flags & ~(F_DELETED | F_SAME)) || !get_varint_safe(&p, end, &msd) ||
            !get_varint_safe(&p, end, &seqp))
            return 0;
        if (!live && !dead && (msd || seqp))
            return 0; /* the first entry is the node's own ID */
        fr_sid id = {n->master.ms + msd, msd ? seqp : n->master.seq + seqp};
        if (id.ms < n->master.ms || (have_prev && fr__sid_cmp(&id, prev) <= 0))
            return 0;
        if (flags & F_SAME)
            nf = n->nmaster;
        else if (!get_varint_safe(&p, end, &nf))
            return 0;
        if (!nf || nf > (uint64_t)(end - p))
            return 0;
        uint64_t lp = lp_int(flags & F_SAME) + lp_int((int64_t)msd) +
                      lp_int((int64_t)(id.seq - n->master.seq));
        if (!(flags & F_SAME))
            lp += lp_int((int64_t)nf);
        for (uint64_t i = 0; i < nf; i++) {
            if (!(flags & F_SAME)) {
                if (!skip_bytes_safe(&p, end, &str, &l))
                    return 0;
                lp += lp_str(str, (size_t)l);
            }
            if (!skip_bytes_safe(&p, end, &str, &l))
                return 0;
            lp += lp_str(str, (size_t)l);
        }
        lp += lp_int((int64_t)(nf + 3 + ((flags & F_SAME) ? 0 : nf + 1)));
        n->lp += lp;
        if (flags & F_DELETED)
            dead++;
        else
            live++;
        *prev = id;
        have_prev = 1;
        n->last = id;
    }
    return live == n->live && dead == n->dead && live + dead > 0;
}

int fr__stream_load_nodes(fr_stream *s, const char **pp, const char *endp)
{
    const unsigned char *p = (const unsigned char *)*pp, *end = (const unsigned char *)endp;
    uint64_t count;
    if ((size_t)(end - p) < sizeof count)
        return 0;
    memcpy(&count, p, sizeof count);
    p += sizeof count;
    fr_sid prev = {0, 0};
    uint64_t length = 0;
    for (uint64_t i = 0; i < count; i++) {
        fr_sid master;
        uint32_t hdr[4];
        if ((size_t)(end - p) < sizeof master + sizeof hdr)
            return 0;
        memcpy(&master, p, sizeof master);
        p += sizeof master;
        memcpy(hdr, p, sizeof hdr);
        p += sizeof hdr;
        if (hdr[3] > (size_t)(end - p))
            return 0;
        fr_snode *n = fr__xcalloc(1, sizeof *n + hdr[3]);
        n->master = master;
        n->live = hdr[0];
        n->dead = hdr[1];
        n->nmaster = hdr[2];
        n->len = n->cap = hdr[3];
        memcpy(n->data, p, hdr[3]);
        p += hdr[3];
        nodes_push(s, n); /* freed with s on failure */
        if (!node_check(n, &prev, i > 0))
            return 0;
        length += n->live;
    }
    *pp = (const char *)p;
    return length == s->length;
}
