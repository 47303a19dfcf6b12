/* See objsize.h. The struct sizes below are Redis 7.0's on 64-bit. */
#include "objsize.h"

#include <math.h>
#include <string.h>

#include "t_hash.h"
#include "t_list.h"
#include "t_set.h"
#include "t_stream.h"
#include "t_zset.h"

enum {
    ROBJ = 16,
    DICT = 56, /* struct dict */
    DICT_ENTRY = 24,
    QUICKLIST = 40,
    QL_NODE = 40,
    ZSET = 16, /* dict* + zskiplist* */
    ZSKIPLIST = 32,
    ZSL_HEADER = 536, /* a node with 32 levels */
    ZSL_NODE = 40,    /* a node with one level, the most common */
    STREAM = 80,
    RAX = 24,
    LP_HDR = 6,
    LP_END = 1
};

size_t fr__mem_class(size_t n)
{
    if (n <= 8)
        return 8;
    if (n <= 128)
        return (n + 15) & ~(size_t)15;
    /* four classes per power of two above 128 */
    int k = 63 - __builtin_clzll((unsigned long long)(n - 1));
    size_t step = (size_t)1 << (k - 2);
    return (n + step - 1) & ~(step - 1);
}

static size_t sds_hdr(size_t len)
{
    if (len < 32)
        return 1;
    if (len < 256)
        return 3;
    if (len < 65536)
        return 5;
    if (len < 4294967296ULL)
        return 9;
    return 17;
}

size_t fr__mem_sds(size_t len)
{
    return fr__mem_class(sds_hdr(len) + len + 1);
}

/* ---- listpack ------------------------------------------------------------ */

static size_t lp_backlen(size_t l)
{
    return l < 128 ? 1 : l < 16384 ? 2 : l < 2097152 ? 3 : l < 268435456 ? 4 : 5;
}

static size_t lp_entry(const char *p, size_t n)
{
    long long v;
    size_t l;
    if (n <= 20 && fr__str2ll(p, n, &v)) {
        if (v >= 0 && v <= 127)
            l = 1;
        else if (v >= -4096 && v <= 4095)
            l = 2;
        else if (v >= -32768 && v <= 32767)
            l = 3;
        else if (v >= -8388608 && v <= 8388607)
            l = 4;
        else if (v >= -2147483648LL && v <= 2147483647LL)
            l = 5;
        else
            l = 9;
    } else {
        l = n + (n < 64 ? 1 : n < 4096 ? 2 : 5);
    }
    return l + lp_backlen(l);
}

static size_t dict_slots(size_t n)
{
    size_t s = 4;
    while (s < n)
        s *= 2;
    return s;
}

/* the average of elesize over seen samples, times n */
static size_t extrapolate(size_t elesize, size_t seen, size_t n)
{
    return seen ? (size_t)((double)elesize / (double)seen * (double)n) : 0;
}

static size_t str_size(const fr_obj *o)
{
    if (o->enc == FR_ENC_INT)
        return ROBJ;
    if (o->enc == FR_ENC_EMBSTR)
        return fr__mem_class(ROBJ + 3 + o->emb_len + 1);
    const fr_str *s = o->v.ptr;
    return ROBJ + fr__mem_class(sds_hdr(s->len) + s->len + 1);
}

/* A quicklist: nodes filled as Redis fills them on push (limit by bytes
 * for a negative list-max-listpack-size, by count otherwise), the first
 * `samples` nodes measured, their average times the number of nodes. */
static size_t list_size(const fr_obj *o, size_t samples, const fr_enc_limits *lim)
{
    static const size_t levels[] = {4096, 8192, 16384, 32768, 65536};
    const fr_list *l = o->v.ptr;
    size_t total = fr__list_len(l);
    long long fill = lim ? lim->list_max_listpack_size : -2;
    size_t maxb = 8192;
    if (fill < 0)
        maxb = levels[(-fill - 1) > 4 ? 4 : (-fill - 1)];
    fr_list_iter it;
    fr__list_iter_init(&it, l, 0, 1);
    const char *p;
    size_t n, nodes = 0, seen = 0, elesize = 0, sz = 0, cnt = 0;
    while (fr__list_iter_next(&it, &p, &n)) {
        int fits = cnt > 0 && sz + n + 8 <= maxb && (fill < 0 || (long long)cnt + 1 <= fill);
        if (!fits && cnt) {
            elesize += QL_NODE + fr__mem_class(sz);
            if (++nodes == samples)
                break;
            cnt = 0;
        }
        if (!cnt)
            sz = LP_HDR + LP_END;
        sz += lp_entry(p, n);
        cnt++;
        seen++;
    }
    if (cnt && nodes < samples) {
        elesize += QL_NODE + fr__mem_class(sz);
        nodes++;
    }
    if (!nodes)
        return ROBJ + QUICKLIST;
    /* nodes measured: how many the whole list makes at the same density
     * (rounded up: the last node is the one partly filled) */
    size_t all_nodes = seen >= total ? nodes : (size_t)ceil((double)total / seen * nodes);
    return ROBJ + QUICKLIST + extrapolate(elesize, nodes, all_nodes);
}

static size_t set_size(const fr_obj *o, size_t samples)
{
    size_t n = fr__set_len(o);
    fr_set_iter it;
    const char *p;
    size_t len;
    if (o->enc == FR_ENC_INTSET) {
        const fr_intset *is = o->v.ptr;
        size_t w = 2;
        for (size_t i = 0; i < is->n; i++) {
            int64_t v = is->a[i];
            if (v < -2147483648LL || v > 2147483647LL)
                w = 8;
            else if ((v < -32768 || v > 32767) && w < 4)
                w = 4;
        }
        return ROBJ + fr__mem_class(8 + n * w);
    }
    size_t elesize = 0, seen = 0;
    fr__set_iter_start(&it, o);
    while ((!samples || seen < samples) && fr__set_iter_next(&it, &p, &len)) {
        elesize += DICT_ENTRY + fr__mem_sds(len);
        seen++;
    }
    fr__set_iter_end(&it);
    return ROBJ + DICT + 8 * dict_slots(n) + extrapolate(elesize, seen, n);
}

static size_t hash_size(const fr_obj *o, size_t samples)
{
    size_t n = fr__hash_len(o);
    fr_hash_iter it;
    const char *f, *v;
    size_t fl, vl, seen = 0, sum = 0;
    int lp = o->enc == FR_ENC_LISTPACK;
    fr__hash_iter_start(&it, o);
    while ((lp || !samples || seen < samples) && fr__hash_iter_next(&it, &f, &fl, &v, &vl)) {
        sum +=
            lp ? lp_entry(f, fl) + lp_entry(v, vl) : fr__mem_sds(fl) + fr__mem_sds(vl) + DICT_ENTRY;
        seen++;
    }
    fr__hash_iter_end(&it);
    if (lp)
        return ROBJ + fr__mem_class(LP_HDR + sum + LP_END);
    return ROBJ + DICT + 8 * dict_slots(n) + extrapolate(sum, seen, n);
}

static size_t zset_size(const fr_obj *o, size_t samples)
{
    size_t n = fr__zset_len(o);
    int lp = o->enc == FR_ENC_LISTPACK;
    fr_zit it;
    fr_zelem e;
    size_t seen = 0, sum = 0;
    fr__zit_init(&it, o, 0, 0);
    while ((lp || !samples || seen < samples) && fr__zit_next(&it, &e)) {
        if (lp) {
            char num[64];
            int nl = fr__zset_lp_fmt_score(num, sizeof num, e.score);
            sum += lp_entry(e.p, e.len) + lp_entry(num, (size_t)nl);
        } else {
            sum += fr__mem_sds(e.len) + DICT_ENTRY + fr__mem_class(ZSL_NODE);
        }
        seen++;
    }
    if (lp)
        return ROBJ + fr__mem_class(LP_HDR + sum + LP_END);
    return ROBJ + ZSET + ZSKIPLIST + DICT + 8 * dict_slots(n) + fr__mem_class(ZSL_HEADER) +
           extrapolate(sum, seen, n);
}

/* Streams: the radix tree's nodes and roughly 40 bytes an entry in its
 * listpacks (an estimate: Redis' stream accounting walks both). */
static size_t stream_size(const fr_obj *o)
{
    const fr_stream *s = o->v.ptr;
    return ROBJ + STREAM + RAX + fr__stream_rax_nodes(s) * 48 +
           fr__stream_node_count(s) * fr__mem_class(LP_HDR + LP_END + 64) + (size_t)s->length * 40;
}

size_t fr__mem_value(const fr_obj *o, size_t samples, const fr_enc_limits *lim)
{
    switch (o->type) {
    case FR_TYPE_STRING:
        return str_size(o);
    case FR_TYPE_LIST:
        return list_size(o, samples ? samples : (size_t)-1, lim);
    case FR_TYPE_SET:
        return set_size(o, samples);
    case FR_TYPE_HASH:
        return hash_size(o, samples);
    case FR_TYPE_ZSET:
        return zset_size(o, samples);
    case FR_TYPE_STREAM:
        return stream_size(o);
    default:
        return ROBJ;
    }
}

size_t fr__mem_key(size_t klen, const fr_obj *o, size_t samples, const fr_enc_limits *lim)
{
    return fr__mem_value(o, samples, lim) + fr__mem_sds(klen) + DICT_ENTRY;
}
