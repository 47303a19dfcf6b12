/* Sets in their two encodings. See t_set.h. */
#include "t_set.h"

#include <stdlib.h>
#include <string.h>

#include "base.h"

static fr_intset *is_new(void)
{
    fr_intset *is = fr__xcalloc(1, sizeof *is);
    is->rng = fr__rng_seed(is);
    return is;
}

static void is_free(fr_intset *is)
{
    free(is->a);
    free(is);
}

/* Index of v, or where it would go (*found says which). */
static size_t is_search(const fr_intset *is, int64_t v, int *found)
{
    size_t lo = 0, hi = is->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (is->a[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < is->n && is->a[lo] == v;
    return lo;
}

/* Insert v in order; 0 if it was already there. */
static int is_insert(fr_intset *is, int64_t v)
{
    int found;
    size_t at = is_search(is, v, &found);
    if (found)
        return 0;
    if (is->n == is->cap) {
        is->cap = is->cap ? is->cap * 2 : 4;
        is->a = fr__xrealloc(is->a, is->cap * sizeof *is->a);
    }
    memmove(&is->a[at + 1], &is->a[at], (is->n - at) * sizeof *is->a);
    is->a[at] = v;
    is->n++;
    return 1;
}

static int as_int(const char *p, size_t len, int64_t *v)
{
    long long ll;
    if (len > 20 || !fr__str2ll(p, len, &ll))
        return 0;
    *v = ll;
    return 1;
}

static fr_dict *ht_new(void)
{
    return fr__dict_new(NULL, NULL);
}

static void to_hashtable(fr_obj *o)
{
    fr_intset *is = o->v.ptr;
    fr_dict *d = ht_new();
    char buf[24];
    for (size_t i = 0; i < is->n; i++) {
        int n = fr__ll2str(buf, is->a[i]);
        fr__dict_add(d, buf, (size_t)n, NULL);
    }
    is_free(is);
    o->v.ptr = d;
    o->enc = FR_ENC_HT;
}

fr_obj *fr__set_new_intset(void)
{
    return fr__obj_new(FR_TYPE_SET, FR_ENC_INTSET, is_new());
}

fr_obj *fr__set_new_hashtable(void)
{
    return fr__obj_new(FR_TYPE_SET, FR_ENC_HT, ht_new());
}

fr_obj *fr__set_new_for(const char *p, size_t len)
{
    int64_t v;
    if (as_int(p, len, &v))
        return fr__set_new_intset();
    return fr__obj_new(FR_TYPE_SET, FR_ENC_HT, ht_new());
}

size_t fr__set_len(const fr_obj *o)
{
    if (o->enc == FR_ENC_INTSET)
        return ((const fr_intset *)o->v.ptr)->n;
    return fr__dict_size(o->v.ptr);
}

int fr__set_add(const fr_enc_limits *cfg, fr_obj *o, const char *p, size_t len)
{
    if (o->enc == FR_ENC_INTSET) {
        int64_t v;
        if (as_int(p, len, &v)) {
            fr_intset *is = o->v.ptr;
            if (!is_insert(is, v))
                return 0;
            if (is->n > (size_t)cfg->set_max_intset_entries)
                to_hashtable(o);
            return 1;
        }
        to_hashtable(o);
    }
    return fr__dict_add(o->v.ptr, p, len, NULL) != NULL;
}

int fr__set_del(fr_obj *o, const char *p, size_t len)
{
    if (o->enc == FR_ENC_INTSET) {
        int64_t v;
        int found;
        if (!as_int(p, len, &v))
            return 0;
        fr_intset *is = o->v.ptr;
        size_t at = is_search(is, v, &found);
        if (!found)
            return 0;
        memmove(&is->a[at], &is->a[at + 1], (is->n - at - 1) * sizeof *is->a);
        is->n--;
        return 1;
    }
    return fr__dict_delete(o->v.ptr, p, len);
}

int fr__set_has(const fr_obj *o, const char *p, size_t len)
{
    if (o->enc == FR_ENC_INTSET) {
        int64_t v;
        int found;
        if (!as_int(p, len, &v))
            return 0;
        is_search(o->v.ptr, v, &found);
        return found;
    }
    return fr__dict_find(o->v.ptr, p, len) != NULL;
}

void fr__set_expect(fr_obj *o, size_t n)
{
    if (o->enc != FR_ENC_INTSET)
        fr__dict_expand(o->v.ptr, n);
}

void fr__set_iter_start(fr_set_iter *it, const fr_obj *o)
{
    it->o = o;
    it->i = 0;
    if (o->enc != FR_ENC_INTSET)
        fr__dict_iter_start(&it->di, o->v.ptr);
}

int fr__set_iter_next(fr_set_iter *it, const char **p, size_t *len)
{
    if (it->o->enc == FR_ENC_INTSET) {
        const fr_intset *is = it->o->v.ptr;
        if (it->i >= is->n)
            return 0;
        *len = (size_t)fr__ll2str(it->num, is->a[it->i++]);
        *p = it->num;
        return 1;
    }
    fr_dict_entry *e = fr__dict_iter_next(&it->di);
    if (!e)
        return 0;
    *p = e->key;
    *len = e->klen;
    return 1;
}

void fr__set_iter_end(fr_set_iter *it)
{
    if (it->o->enc != FR_ENC_INTSET)
        fr__dict_iter_end(&it->di);
}

void fr__set_random(fr_obj *o, char *buf, const char **p, size_t *len)
{
    if (o->enc == FR_ENC_INTSET) {
        fr_intset *is = o->v.ptr;
        *len = (size_t)fr__ll2str(buf, is->a[fr__rng_next(&is->rng) % is->n]);
        *p = buf;
        return;
    }
    fr_dict_entry *e = fr__dict_random(o->v.ptr);
    *p = e->key;
    *len = e->klen;
}

uint64_t fr__set_rand(fr_obj *o)
{
    if (o->enc == FR_ENC_INTSET)
        return fr__rng_next(&((fr_intset *)o->v.ptr)->rng);
    fr_dict *d = o->v.ptr;
    if (!d->rng)
        d->rng = 0x9E3779B97F4A7C15ULL;
    return fr__rng_next(&d->rng);
}

/* ---- type ops ---------------------------------------------------------- */

static void set_free(fr_obj *o)
{
    if (o->enc == FR_ENC_INTSET)
        is_free(o->v.ptr);
    else
        fr__dict_free(o->v.ptr);
}

static fr_obj *set_dup(const fr_obj *o)
{
    if (o->enc == FR_ENC_INTSET) {
        const fr_intset *src = o->v.ptr;
        fr_intset *is = is_new();
        is->n = is->cap = src->n;
        is->a = fr__xmalloc((src->n ? src->n : 1) * sizeof *is->a);
        if (src->n)
            memcpy(is->a, src->a, src->n * sizeof *is->a);
        return fr__obj_new(FR_TYPE_SET, FR_ENC_INTSET, is);
    }
    fr_dict *d = ht_new();
    fr_set_iter it;
    const char *p;
    size_t len;
    fr__set_iter_start(&it, o);
    while (fr__set_iter_next(&it, &p, &len))
        fr__dict_add(d, p, len, NULL);
    fr__set_iter_end(&it);
    return fr__obj_new(FR_TYPE_SET, FR_ENC_HT, d);
}

/* DUMP payload: count, then (length, member). */
static void set_dump(const fr_obj *o, fr_buf *out)
{
    uint64_t n = fr__set_len(o);
    fr__buf_append(out, &n, sizeof n);
    fr_set_iter it;
    const char *p;
    size_t len;
    fr__set_iter_start(&it, o);
    while (fr__set_iter_next(&it, &p, &len)) {
        uint32_t l = (uint32_t)len;
        fr__buf_append(out, &l, sizeof l);
        fr__buf_append(out, p, len);
    }
    fr__set_iter_end(&it);
}

static fr_obj *set_load(const char **p, const char *end, int enc_hint)
{
    uint64_t n;
    if ((size_t)(end - *p) < sizeof n)
        return NULL;
    memcpy(&n, *p, sizeof n);
    *p += sizeof n;
    fr_obj *o = fr__set_new_intset();
    if (enc_hint == FR_ENC_HT)
        to_hashtable(o);
    for (uint64_t i = 0; i < n; i++) {
        uint32_t l;
        if ((size_t)(end - *p) < sizeof l)
            goto bad;
        memcpy(&l, *p, sizeof l);
        *p += sizeof l;
        if ((size_t)(end - *p) < l)
            goto bad;
        int64_t v = 0;
        if (o->enc == FR_ENC_INTSET && !as_int(*p, l, &v))
            to_hashtable(o);
        if (o->enc == FR_ENC_INTSET) {
            if (!is_insert(o->v.ptr, v))
                goto bad;
        } else if (!fr__dict_add(o->v.ptr, *p, l, NULL)) {
            goto bad;
        }
        *p += l;
    }
    return o;
bad:
    fr__obj_free(o);
    return NULL;
}

static void set_render(const fr_obj *o, fr_buf *out)
{
    fr_set_iter it;
    const char *p;
    size_t len;
    int first = 1;
    fr__buf_putc(out, '{');
    fr__set_iter_start(&it, o);
    while (fr__set_iter_next(&it, &p, &len)) {
        if (!first)
            fr__buf_puts(out, ", ");
        first = 0;
        fr__buf_append(out, p, len);
    }
    fr__set_iter_end(&it);
    fr__buf_putc(out, '}');
}

const fr_type_ops fr__set_ops = {"set", set_free, set_dup, set_dump, set_load, set_render};

/* ---- SORT's access ------------------------------------------------------ */

static size_t set_length(const fr_obj *o)
{
    return fr__set_len(o);
}

static void set_each(const fr_obj *o, void (*fn)(void *priv, const char *p, size_t n), void *priv)
{
    fr_set_iter it;
    const char *p;
    size_t len;
    fr__set_iter_start(&it, o);
    while (fr__set_iter_next(&it, &p, &len))
        fn(priv, p, len);
    fr__set_iter_end(&it);
}

const fr_type_elem_ops fr__set_elem_ops = {set_length, set_each, NULL, NULL};
