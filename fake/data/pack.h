/* A pack: small strings and numbers back to back in one allocation, the
 * compact encoding of small hashes and sorted sets (the role Redis gives
 * its listpack, in a simpler format of our own).
 *
 * A 10-field hash of ~9-byte fields and values is 20 entries: 20 separate
 * strings cost 20 allocations and ~700 bytes on glibc, a pack ~230 bytes
 * in one block. The price is that lookups walk the entries, which is what
 * Redis does too below its *-max-listpack-* limits.
 *
 * An entry is a header byte, then its payload:
 *   0x00-0x7f  a string of 0..127 bytes
 *   0x80-0xbf  a string of 128..16383 bytes: 6 high bits here, 8 low bits
 *              in the next byte
 *   0xc0       a string whose length is in the next 4 bytes (little-endian)
 *   0xc1-0xc4  an integer in the next 1, 2, 4 or 8 bytes (little-endian,
 *              two's complement)
 *   0xc5       a double in the next 8 bytes
 *   0xe0-0xff  the integer 0..31 itself
 * Numbers are doubles to the caller (a sorted set's scores); an integral
 * double that fits an int64 is stored as an integer (a score 0..31 takes
 * one byte). Entries have no trailing length (Redis' backlen): walks go
 * forward, which saves a byte per entry.
 *
 * The allocation is exactly the header plus the bytes in use: every change
 * reallocs (in place when the size class does not change), so a pack
 * carries no slack. All on the loop thread. */
#ifndef FR_PACK_H
#define FR_PACK_H

#include <stddef.h>
#include <stdint.h>

typedef struct fr_pack {
    uint32_t bytes; /* of d[] in use */
    uint32_t n;     /* entries */
    unsigned char d[];
} fr_pack;

/* Redis converts a listpack that would pass 1 GB (lpSafeToAdd); so do the
 * types built on packs, which also keeps bytes within 32 bits. */
#define FR_PACK_SAFE_BYTES (1u << 30)

static inline int fr__pack_safe_to_add(const fr_pack *pk, size_t add)
{
    return (size_t)pk->bytes + add <= FR_PACK_SAFE_BYTES;
}

/* One entry as read: a string (p, len), or a number (p NULL, num). */
typedef struct fr_pent {
    const char *p;
    size_t len;
    double num;
} fr_pent;

fr_pack *fr__pack_new(void);
fr_pack *fr__pack_dup(const fr_pack *pk);

/* The bytes an entry takes. */
size_t fr__pack_str_size(size_t len);
size_t fr__pack_num_size(double d);
/* Write an entry at dst (room for its size); returns the bytes written. */
size_t fr__pack_put_str(unsigned char *dst, const void *p, size_t len);
size_t fr__pack_put_num(unsigned char *dst, double d);

/* Read the entry at d + off into *e (may be NULL); returns its size. */
size_t fr__pack_get_slow(const fr_pack *pk, size_t off, fr_pent *e);
static inline size_t fr__pack_get(const fr_pack *pk, size_t off, fr_pent *e)
{
    /* the common entries inline: a short string, a score of -128..127 */
    unsigned b = pk->d[off];
    if (b <= 0x7f) {
        if (e) {
            e->p = (const char *)pk->d + off + 1;
            e->len = b;
            e->num = 0;
        }
        return 1 + (size_t)b;
    }
    if (b >= 0xe0 || b == 0xc1) {
        if (e) {
            e->p = NULL;
            e->len = 0;
            e->num = b >= 0xe0 ? (double)(b - 0xe0) : (double)(int8_t)pk->d[off + 1];
        }
        return b >= 0xe0 ? 1 : 2;
    }
    return fr__pack_get_slow(pk, off, e);
}
/* A string then a number at off, read inline when they are the usual
 * kind (a string under 128 bytes, a number in -128..127): returns the
 * offset after them, or 0 when the pair needs fr__pack_get. For the walks
 * of small sorted sets (ZRANGE), where a call per entry showed. */
static inline size_t fr__pack_try_str_num(const fr_pack *pk, size_t off, const char **p,
                                          size_t *len, double *num)
{
    const unsigned char *d = pk->d + off;
    unsigned b = d[0];
    if (b > 0x7f)
        return 0;
    unsigned t = d[1 + b];
    if (t >= 0xe0)
        *num = (double)(t - 0xe0);
    else if (t == 0xc1)
        *num = (double)(int8_t)d[2 + b];
    else
        return 0;
    *p = (const char *)d + 1;
    *len = b;
    return off + 2 + b + (t == 0xc1);
}

/* Replace the del bytes at off with add bytes of room (left for the caller
 * to fill) and change the entry count by dn. Returns the pack, which may
 * have moved. */
fr_pack *fr__pack_splice(fr_pack *pk, size_t off, size_t del, size_t add, long dn);

#endif
