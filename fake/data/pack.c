/* Packs: the entry format and the one edit, splice. See pack.h. */
#include "pack.h"

#include <string.h>

#include "base.h"

#define STR_SHORT_MAX 127u
#define STR_MID_MAX 16383u
#define TAG_STR32 0xc0
#define TAG_INT8 0xc1
#define TAG_INT16 0xc2
#define TAG_INT32 0xc3
#define TAG_INT64 0xc4
#define TAG_DOUBLE 0xc5
#define TAG_IMM 0xe0 /* 0xe0 + v for v in 0..31 */

static void put_le(unsigned char *dst, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        dst[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

fr_pack *fr__pack_new(void)
{
    fr_pack *pk = fr__xmalloc(sizeof *pk);
    pk->bytes = 0;
    pk->n = 0;
    return pk;
}

fr_pack *fr__pack_dup(const fr_pack *pk)
{
    fr_pack *d = fr__xmalloc(sizeof *d + pk->bytes);
    memcpy(d, pk, sizeof *d + pk->bytes);
    return d;
}

size_t fr__pack_str_size(size_t len)
{
    return len + (len <= STR_SHORT_MAX ? 1 : len <= STR_MID_MAX ? 2 : 5);
}

/* d as an int64 when that is exact (never for NaN or infinities). */
static int as_int(double d, int64_t *out)
{
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
        return 0;
    int64_t i = (int64_t)d;
    if ((double)i != d)
        return 0;
    *out = i;
    return 1;
}

/* Bytes after the tag for an integer, and the tag. */
static int int_width(int64_t i, unsigned char *tag)
{
    if (i >= 0 && i <= 31) {
        *tag = (unsigned char)(TAG_IMM + i);
        return 0;
    }
    if (i >= INT8_MIN && i <= INT8_MAX) {
        *tag = TAG_INT8;
        return 1;
    }
    if (i >= INT16_MIN && i <= INT16_MAX) {
        *tag = TAG_INT16;
        return 2;
    }
    if (i >= INT32_MIN && i <= INT32_MAX) {
        *tag = TAG_INT32;
        return 4;
    }
    *tag = TAG_INT64;
    return 8;
}

size_t fr__pack_num_size(double d)
{
    int64_t i;
    unsigned char tag;
    return 1 + (as_int(d, &i) ? (size_t)int_width(i, &tag) : 8);
}

size_t fr__pack_put_str(unsigned char *dst, const void *p, size_t len)
{
    size_t h;
    if (len <= STR_SHORT_MAX) {
        dst[0] = (unsigned char)len;
        h = 1;
    } else if (len <= STR_MID_MAX) {
        dst[0] = (unsigned char)(0x80 | (len >> 8));
        dst[1] = (unsigned char)(len & 0xff);
        h = 2;
    } else {
        dst[0] = TAG_STR32;
        put_le(dst + 1, len, 4);
        h = 5;
    }
    if (len)
        memcpy(dst + h, p, len);
    return h + len;
}

size_t fr__pack_put_num(unsigned char *dst, double d)
{
    int64_t i;
    if (as_int(d, &i)) {
        int w = int_width(i, &dst[0]);
        put_le(dst + 1, (uint64_t)i, w);
        return 1 + (size_t)w;
    }
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    dst[0] = TAG_DOUBLE;
    put_le(dst + 1, bits, 8);
    return 9;
}

static int64_t sign_extend(uint64_t v, int bytes)
{
    if (bytes == 8)
        return (int64_t)v;
    uint64_t m = 1ULL << (8 * bytes - 1);
    return (int64_t)((v ^ m) - m);
}

size_t fr__pack_get_slow(const fr_pack *pk, size_t off, fr_pent *e)
{
    const unsigned char *p = pk->d + off;
    unsigned b = p[0];
    size_t h, len;
    if (b <= STR_SHORT_MAX) {
        h = 1;
        len = b;
    } else if (b < TAG_STR32) {
        h = 2;
        len = ((size_t)(b & 0x3f) << 8) | p[1];
    } else if (b == TAG_STR32) {
        h = 5;
        len = (size_t)get_le(p + 1, 4);
    } else {
        int w;
        double d;
        if (b >= TAG_IMM) {
            w = 0;
            d = (double)(b - TAG_IMM);
        } else if (b == TAG_DOUBLE) {
            uint64_t bits = get_le(p + 1, 8);
            w = 8;
            memcpy(&d, &bits, sizeof d);
        } else {
            w = b == TAG_INT8 ? 1 : b == TAG_INT16 ? 2 : b == TAG_INT32 ? 4 : 8;
            d = (double)sign_extend(get_le(p + 1, w), w);
        }
        if (e) {
            e->p = NULL;
            e->len = 0;
            e->num = d;
        }
        return 1 + (size_t)w;
    }
    if (e) {
        e->p = (const char *)p + h;
        e->len = len;
        e->num = 0;
    }
    return h + len;
}

fr_pack *fr__pack_splice(fr_pack *pk, size_t off, size_t del, size_t add, long dn)
{
    size_t tail = pk->bytes - off - del;
    size_t bytes = pk->bytes - del + add;
    if (add < del) {
        memmove(pk->d + off + add, pk->d + off + del, tail);
        pk = fr__xrealloc(pk, sizeof *pk + bytes);
    } else if (add > del) {
        pk = fr__xrealloc(pk, sizeof *pk + bytes);
        memmove(pk->d + off + add, pk->d + off + del, tail);
    }
    pk->bytes = (uint32_t)bytes;
    pk->n = (uint32_t)((long)pk->n + dn);
    return pk;
}
