/* Hashes in their two encodings. See t_hash.h. */
#include "t_hash.h"

#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "pack.h"

static void hval_free(fr_dict_val v, void *ctx)
{
    (void)ctx;
    free(v.p);
}

static const fr_dict_type hval_type = {hval_free};

static fr_hval *hval_new(const char *p, size_t n)
{
    fr_hval *h = fr__xmalloc(sizeof *h + n + 1);
    h->len = (uint32_t)n;
    if (n)
        memcpy(h->p, p, n);
    h->p[n] = '\0';
    return h;
}

/* ---- the pack: field, value, field, value... ---------------------------- */

/* The offset of field's entry, or -1. */
static long long lp_find(const fr_pack *pk, const char *f, size_t flen)
{
    size_t off = 0;
    while (off < pk->bytes) {
        fr_pent e;
        size_t voff = off + fr__pack_get(pk, off, &e);
        if (e.len == flen && (flen == 0 || memcmp(e.p, f, flen) == 0))
            return (long long)off;
        off = voff + fr__pack_get(pk, voff, NULL);
    }
    return -1;
}

static fr_pack *lp_append(fr_pack *pk, const char *f, size_t flen, const char *v, size_t vlen)
{
    size_t fs = fr__pack_str_size(flen), vs = fr__pack_str_size(vlen);
    size_t at = pk->bytes;
    pk = fr__pack_splice(pk, at, 0, fs + vs, 2);
    fr__pack_put_str(pk->d + at, f, flen);
    fr__pack_put_str(pk->d + at + fs, v, vlen);
    return pk;
}

/* The pair at off: field and value, and the offset after them. */
static size_t lp_pair(const fr_pack *pk, size_t off, fr_pent *f, fr_pent *v)
{
    off += fr__pack_get(pk, off, f);
    return off + fr__pack_get(pk, off, v);
}

static fr_dict *ht_new(void)
{
    return fr__dict_new(&hval_type, NULL);
}

static void to_hashtable(fr_obj *o)
{
    fr_pack *pk = o->v.ptr;
    fr_dict *d = ht_new();
    fr_pent f, v;
    for (size_t off = 0; off < pk->bytes;) {
        off = lp_pair(pk, off, &f, &v);
        fr_dict_entry *e = fr__dict_add(d, f.p, f.len, NULL);
        e->v.p = hval_new(v.p, v.len);
    }
    free(pk);
    o->v.ptr = d;
    o->enc = FR_ENC_HT;
}

fr_obj *fr__hash_new(void)
{
    return fr__obj_new(FR_TYPE_HASH, FR_ENC_LISTPACK, fr__pack_new());
}

size_t fr__hash_len(const fr_obj *o)
{
    if (o->enc == FR_ENC_LISTPACK)
        return ((const fr_pack *)o->v.ptr)->n / 2;
    return fr__dict_size(o->v.ptr);
}

int fr__hash_get(const fr_obj *o, const char *f, size_t flen, const char **v, size_t *vlen)
{
    if (o->enc == FR_ENC_LISTPACK) {
        const fr_pack *pk = o->v.ptr;
        long long off = lp_find(pk, f, flen);
        if (off < 0)
            return 0;
        fr_pent fe, ve;
        lp_pair(pk, (size_t)off, &fe, &ve);
        *v = ve.p;
        *vlen = ve.len;
        return 1;
    }
    fr_dict_entry *e = fr__dict_find(o->v.ptr, f, flen);
    if (!e)
        return 0;
    const fr_hval *h = e->v.p;
    *v = h->p;
    *vlen = h->len;
    return 1;
}

int fr__hash_set(const fr_enc_limits *cfg, fr_obj *o, const char *f, size_t flen, const char *v,
                 size_t vlen)
{
    if (o->enc == FR_ENC_LISTPACK && (flen > (size_t)cfg->hash_max_listpack_value ||
                                      vlen > (size_t)cfg->hash_max_listpack_value ||
                                      !fr__pack_safe_to_add(o->v.ptr, flen + vlen)))
        to_hashtable(o);
    if (o->enc == FR_ENC_LISTPACK) {
        fr_pack *pk = o->v.ptr;
        long long off = lp_find(pk, f, flen);
        if (off >= 0) {
            size_t voff = (size_t)off + fr__pack_get(pk, (size_t)off, NULL);
            size_t olds = fr__pack_get(pk, voff, NULL), news = fr__pack_str_size(vlen);
            pk = fr__pack_splice(pk, voff, olds, news, 0);
            fr__pack_put_str(pk->d + voff, v, vlen);
            o->v.ptr = pk;
            return 0;
        }
        o->v.ptr = pk = lp_append(pk, f, flen, v, vlen);
        if (pk->n / 2 > (size_t)cfg->hash_max_listpack_entries)
            to_hashtable(o);
        return 1;
    }
    fr_dict_entry *ex = NULL;
    fr_dict_entry *e = fr__dict_add(o->v.ptr, f, flen, &ex);
    if (!e) {
        free(ex->v.p);
        ex->v.p = hval_new(v, vlen);
        return 0;
    }
    e->v.p = hval_new(v, vlen);
    return 1;
}

int fr__hash_del(fr_obj *o, const char *f, size_t flen)
{
    if (o->enc == FR_ENC_LISTPACK) {
        fr_pack *pk = o->v.ptr;
        long long off = lp_find(pk, f, flen);
        if (off < 0)
            return 0;
        size_t end = lp_pair(pk, (size_t)off, NULL, NULL);
        o->v.ptr = fr__pack_splice(pk, (size_t)off, end - (size_t)off, 0, -2);
        return 1;
    }
    return fr__dict_delete(o->v.ptr, f, flen);
}

void fr__hash_try_convert(const fr_enc_limits *cfg, fr_obj *o, const fr_arg *args, int n)
{
    if (o->enc != FR_ENC_LISTPACK)
        return;
    size_t sum = 0;
    for (int i = 0; i < n; i++) {
        if (args[i].len > (size_t)cfg->hash_max_listpack_value) {
            to_hashtable(o);
            return;
        }
        sum += args[i].len;
    }
    if (!fr__pack_safe_to_add(o->v.ptr, sum))
        to_hashtable(o);
}

void fr__hash_iter_start(fr_hash_iter *it, const fr_obj *o)
{
    it->o = o;
    it->i = 0;
    if (o->enc != FR_ENC_LISTPACK)
        fr__dict_iter_start(&it->di, o->v.ptr);
}

int fr__hash_iter_next(fr_hash_iter *it, const char **f, size_t *flen, const char **v, size_t *vlen)
{
    if (it->o->enc == FR_ENC_LISTPACK) {
        const fr_pack *pk = it->o->v.ptr;
        if (it->i >= pk->bytes)
            return 0;
        fr_pent fe, ve;
        it->i = lp_pair(pk, it->i, &fe, &ve);
        *f = fe.p;
        *flen = fe.len;
        *v = ve.p;
        *vlen = ve.len;
        return 1;
    }
    fr_dict_entry *e = fr__dict_iter_next(&it->di);
    if (!e)
        return 0;
    const fr_hval *h = e->v.p;
    *f = e->key;
    *flen = e->klen;
    *v = h->p;
    *vlen = h->len;
    return 1;
}

void fr__hash_iter_end(fr_hash_iter *it)
{
    if (it->o->enc != FR_ENC_LISTPACK)
        fr__dict_iter_end(&it->di);
}

void fr__hash_random(fr_obj *o, const char **f, size_t *flen, const char **v, size_t *vlen)
{
    if (o->enc == FR_ENC_LISTPACK) {
        const fr_pack *pk = o->v.ptr;
        size_t k = (size_t)(fr__obj_rand(o) % (pk->n / 2)), off = 0;
        while (k--)
            off = lp_pair(pk, off, NULL, NULL);
        fr_pent fe, ve;
        lp_pair(pk, off, &fe, &ve);
        *f = fe.p;
        *flen = fe.len;
        *v = ve.p;
        *vlen = ve.len;
        return;
    }
    fr_dict_entry *e = fr__dict_random(o->v.ptr);
    const fr_hval *h = e->v.p;
    *f = e->key;
    *flen = e->klen;
    *v = h->p;
    *vlen = h->len;
}

uint64_t fr__hash_rand(fr_obj *o)
{
    if (o->enc == FR_ENC_LISTPACK)
        return fr__obj_rand(o);
    fr_dict *d = o->v.ptr;
    if (!d->rng)
        d->rng = 0x9E3779B97F4A7C15ULL;
    return fr__rng_next(&d->rng);
}

/* ---- type ops ---------------------------------------------------------- */

static void hash_free(fr_obj *o)
{
    if (o->enc == FR_ENC_LISTPACK)
        free(o->v.ptr);
    else
        fr__dict_free(o->v.ptr);
}

static fr_obj *hash_dup(const fr_obj *o)
{
    fr_obj *d;
    if (o->enc == FR_ENC_LISTPACK) {
        d = fr__obj_new(FR_TYPE_HASH, FR_ENC_LISTPACK, fr__pack_dup(o->v.ptr));
    } else {
        fr_dict *dd = ht_new();
        fr_hash_iter it;
        const char *f, *v;
        size_t fl, vl;
        fr__hash_iter_start(&it, o);
        while (fr__hash_iter_next(&it, &f, &fl, &v, &vl))
            fr__dict_add(dd, f, fl, NULL)->v.p = hval_new(v, vl);
        fr__hash_iter_end(&it);
        d = fr__obj_new(FR_TYPE_HASH, FR_ENC_HT, dd);
    }
    return d;
}

/* DUMP payload: count, then (field length, field, value length, value). */
static void hash_dump(const fr_obj *o, fr_buf *out)
{
    uint64_t n = fr__hash_len(o);
    fr__buf_append(out, &n, sizeof n);
    fr_hash_iter it;
    const char *f, *v;
    size_t fl, vl;
    fr__hash_iter_start(&it, o);
    while (fr__hash_iter_next(&it, &f, &fl, &v, &vl)) {
        uint32_t l = (uint32_t)fl;
        fr__buf_append(out, &l, sizeof l);
        fr__buf_append(out, f, fl);
        l = (uint32_t)vl;
        fr__buf_append(out, &l, sizeof l);
        fr__buf_append(out, v, vl);
    }
    fr__hash_iter_end(&it);
}

static int take(const char **p, const char *end, const char **s, uint32_t *len)
{
    if ((size_t)(end - *p) < sizeof *len)
        return 0;
    memcpy(len, *p, sizeof *len);
    *p += sizeof *len;
    if ((size_t)(end - *p) < *len)
        return 0;
    *s = *p;
    *p += *len;
    return 1;
}

static fr_obj *hash_load(const char **p, const char *end, int enc_hint)
{
    uint64_t n;
    if ((size_t)(end - *p) < sizeof n)
        return NULL;
    memcpy(&n, *p, sizeof n);
    *p += sizeof n;
    fr_obj *o = fr__hash_new();
    if (enc_hint == FR_ENC_HT)
        to_hashtable(o);
    for (uint64_t i = 0; i < n; i++) {
        const char *f, *v;
        uint32_t fl, vl;
        const char *tmp;
        size_t tl;
        if (!take(p, end, &f, &fl) || !take(p, end, &v, &vl) || fr__hash_get(o, f, fl, &tmp, &tl)) {
            fr__obj_free(o);
            return NULL;
        }
        if (o->enc == FR_ENC_LISTPACK)
            o->v.ptr = lp_append(o->v.ptr, f, fl, v, vl);
        else
            fr__dict_add(o->v.ptr, f, fl, NULL)->v.p = hval_new(v, vl);
    }
    return o;
}

static void hash_render(const fr_obj *o, fr_buf *out)
{
    fr_hash_iter it;
    const char *f, *v;
    size_t fl, vl;
    int first = 1;
    fr__buf_putc(out, '{');
    fr__hash_iter_start(&it, o);
    while (fr__hash_iter_next(&it, &f, &fl, &v, &vl)) {
        if (!first)
            fr__buf_puts(out, ", ");
        first = 0;
        fr__buf_append(out, f, fl);
        fr__buf_puts(out, ": ");
        fr__buf_append(out, v, vl);
    }
    fr__hash_iter_end(&it);
    fr__buf_putc(out, '}');
}

const fr_type_ops fr__hash_ops = {"hash", hash_free, hash_dup, hash_dump, hash_load, hash_render};

/* ---- SORT's access ------------------------------------------------------ */

static size_t hash_length(const fr_obj *o)
{
    return fr__hash_len(o);
}

static int hash_field(const fr_obj *o, const char *f, size_t flen, fr_buf *out)
{
    const char *v;
    size_t vl;
    if (!fr__hash_get(o, f, flen, &v, &vl))
        return 0;
    fr__buf_append(out, v, vl);
    return 1;
}

const fr_type_elem_ops fr__hash_elem_ops = {hash_length, NULL, hash_field, NULL};
