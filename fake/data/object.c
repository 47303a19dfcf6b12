/* Objects and string encodings. See object.h. */
#include "object.h"

#include <stdlib.h>
#include <string.h>


const char *fr__type_name(int type)
{
    switch (type) {
    case FR_TYPE_STRING: return "string";
    case FR_TYPE_LIST: return "list";
    case FR_TYPE_SET: return "set";
    case FR_TYPE_ZSET: return "zset";
    case FR_TYPE_HASH: return "hash";
    case FR_TYPE_STREAM: return "stream";
    default: return "unknown";
    }
}

const char *fr__enc_name(int enc)
{
    static const char *const names[] = {
        "raw",     "int",      "hashtable", "zipmap",    "linkedlist", "ziplist",
        "intset",  "skiplist", "embstr",    "quicklist", "stream",     "listpack",
    };
    if (enc < 0 || (size_t)enc >= sizeof names / sizeof names[0])
        return "unknown";
    return names[enc];
}

fr_obj *fr__obj_new(int type, int enc, void *ptr)
{
    fr_obj *o = fr__xmalloc(sizeof *o);
    o->type = (unsigned)type;
    o->enc = (unsigned)enc;
    o->lru = 0;
    o->emb_len = 0;
    o->v.ptr = ptr;
    return o;
}

uint64_t fr__obj_rand(fr_obj *o)
{
    if (!o->rng)
        o->rng = (uint32_t)(fr__rng_seed(o) >> 16) | 1;
    o->rng += 0x9E3779B9u;
    uint64_t z = ((uint64_t)o->rng << 32) | o->rng;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

void fr__obj_free(fr_obj *o)
{
    if (!o)
        return;
    if (o->type == FR_TYPE_STRING) {
        if (o->enc == FR_ENC_RAW)
            free(o->v.ptr);
    } else {
        const fr_type_ops *ops = fr__type_ops(o->type);
        if (ops && ops->free)
            ops->free(o);
    }
    free(o);
}

fr_obj *fr__obj_dup(const fr_obj *o)
{
    if (o->type == FR_TYPE_STRING) {
        if (o->enc == FR_ENC_INT)
            return fr__str_from_ll(o->v.ll);
        char tmp[24];
        size_t n;
        const char *p = fr__str_bytes(o, tmp, &n);
        return o->enc == FR_ENC_RAW ? fr__str_new_raw(p, n) : fr__str_new_plain(p, n);
    }
    const fr_type_ops *ops = fr__type_ops(o->type);
    return ops && ops->dup ? ops->dup(o) : NULL;
}

fr_obj *fr__str_new_raw(const void *p, size_t len)
{
    fr_str *s = fr__xmalloc(sizeof *s + len + 1);
    s->len = len;
    s->cap = len;
    if (len)
        memcpy(s->p, p, len);
    s->p[len] = '\0';
    return fr__obj_new(FR_TYPE_STRING, FR_ENC_RAW, s);
}

fr_obj *fr__str_new_plain(const void *p, size_t len)
{
    if (len > FR_EMBSTR_MAX)
        return fr__str_new_raw(p, len);
    /* Never smaller than a full header, so the object can later turn raw
     * in place (its address is what the keyspace holds). */
    size_t sz = offsetof(fr_obj, v) + len + 1;
    fr_obj *o = fr__xmalloc(sz < sizeof(fr_obj) ? sizeof(fr_obj) : sz);
    o->type = FR_TYPE_STRING;
    o->enc = FR_ENC_EMBSTR;
    o->lru = 0;
    o->emb_len = (uint32_t)len;
    char *dst = FR_OBJ_EMB(o);
    if (len)
        memcpy(dst, p, len);
    dst[len] = '\0';
    return o;
}

fr_obj *fr__str_from_ll(long long v)
{
    fr_obj *o = fr__obj_new(FR_TYPE_STRING, FR_ENC_INT, NULL);
    o->v.ll = v;
    return o;
}

fr_obj *fr__str_new(const void *p, size_t len)
{
    long long v;
    if (len <= 20 && fr__str2ll(p, len, &v))
        return fr__str_from_ll(v);
    return fr__str_new_plain(p, len);
}

const char *fr__str_bytes(const fr_obj *o, char *tmp, size_t *len)
{
    switch (o->enc) {
    case FR_ENC_INT:
        *len = (size_t)fr__ll2str(tmp, o->v.ll);
        return tmp;
    case FR_ENC_EMBSTR:
        *len = o->emb_len;
        return FR_OBJ_EMB(o);
    default: {
        const fr_str *s = o->v.ptr;
        *len = s->len;
        return s->p;
    }
    }
}

size_t fr__str_len(const fr_obj *o)
{
    char tmp[24];
    size_t n;
    fr__str_bytes(o, tmp, &n);
    return n;
}

int fr__str_ll(const fr_obj *o, long long *out)
{
    if (o->enc == FR_ENC_INT) {
        *out = o->v.ll;
        return 1;
    }
    char tmp[24];
    size_t n;
    const char *p = fr__str_bytes(o, tmp, &n);
    return fr__str2ll(p, n, out);
}

fr_str *fr__str_make_raw(fr_obj *o, size_t need)
{
    if (o->enc != FR_ENC_RAW) {
        /* Convert in place: copy the bytes out first (an embstr's bytes
         * overlap v), then turn the header into a raw one. Every header
         * block is at least sizeof(fr_obj), see fr__str_new_plain. */
        char tmp[24];
        size_t n;
        const char *p = fr__str_bytes(o, tmp, &n);
        size_t cap = need > n ? need : n;
        fr_str *s = fr__xcalloc(1, sizeof *s + cap + 1);
        memcpy(s->p, p, n);
        s->len = n;
        s->cap = cap;
        o->enc = FR_ENC_RAW;
        o->v.ptr = s;
        return s;
    }
    fr_str *s = o->v.ptr;
    if (s->cap < need) {
        size_t cap = need < 1024 * 1024 ? need * 2 : need + 1024 * 1024;
        s = fr__xrealloc(s, sizeof *s + cap + 1);
        memset(s->p + s->len, 0, cap + 1 - s->len);
        s->cap = cap;
        o->v.ptr = s;
    }
    return s;
}
