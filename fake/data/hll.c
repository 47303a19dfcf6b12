/* HyperLogLog in Redis' string format: see hll.h. Every choice that
 * shows in the bytes (where a sparse run is split, which neighbours are
 * merged, when the value turns dense) follows the algorithm Redis
 * documents, so that the same commands leave the same string. */
#include "hll.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define HLL_Q (64 - FR_HLL_P) /* hash bits left for the pattern */
#define HLL_MAX_REG 63
#define SPARSE_VAL_MAX 32 /* largest value a VAL opcode holds */
#define SPARSE_VAL_RUN 4  /* longest run of one VAL opcode */
#define SPARSE_ZERO_RUN 64
#define ALPHA_INF 0.721347520444481703680 /* 1 / (2 ln 2) */

/* ---- hashing ------------------------------------------------------------ */

uint64_t fr__murmur64a(const void *key, size_t len, uint64_t seed)
{
    const uint64_t m = 0xc6a4a7935bd1e995ULL;
    const int r = 47;
    const uint8_t *d = key;
    uint64_t h = seed ^ (len * m);
    size_t blocks = len / 8;
    for (size_t b = 0; b < blocks; b++, d += 8) {
        uint64_t k = 0;
        for (int i = 7; i >= 0; i--)
            k = (k << 8) | d[i];
        k *= m;
        k ^= k >> r;
        k *= m;
        h ^= k;
        h *= m;
    }
    size_t tail = len & 7;
    if (tail) {
        for (size_t i = tail; i-- > 0;)
            h ^= (uint64_t)d[i] << (8 * i);
        h *= m;
    }
    h ^= h >> r;
    h *= m;
    h ^= h >> r;
    return h;
}

int fr__hll_pattern(const void *ele, size_t len, long *index)
{
    uint64_t h = fr__murmur64a(ele, len, 0xadc83b19ULL);
    *index = (long)(h & (FR_HLL_REGISTERS - 1));
    h >>= FR_HLL_P;
    h |= 1ULL << HLL_Q; /* bounds the count at Q + 1 */
    int count = 1;
    while (!(h & 1)) {
        count++;
        h >>= 1;
    }
    return count;
}

/* ---- header and dense registers ----------------------------------------- */

int fr__hll_is_valid(const void *p, size_t len)
{
    const uint8_t *b = p;
    if (len < FR_HLL_HDR || memcmp(b, "HYLL", 4) != 0 || b[4] > FR_HLL_SPARSE)
        return 0;
    return b[4] != FR_HLL_DENSE || len == FR_HLL_DENSE_SIZE;
}

int fr__hll_cache_get(const void *hdr, uint64_t *card)
{
    const uint8_t *c = (const uint8_t *)hdr + 8;
    if (c[7] & 0x80)
        return 0;
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | c[i];
    *card = v;
    return 1;
}

void fr__hll_cache_set(void *hdr, uint64_t card)
{
    uint8_t *c = (uint8_t *)hdr + 8;
    for (int i = 0; i < 8; i++)
        c[i] = (uint8_t)(card >> (8 * i));
}

void fr__hll_invalidate(void *hdr)
{
    ((uint8_t *)hdr)[15] |= 0x80;
}

unsigned fr__hll_dense_get(const uint8_t *regs, long i)
{
    size_t bit = (size_t)i * 6, byte = bit / 8;
    unsigned fb = bit & 7;
    unsigned v = regs[byte] >> fb;
    if (fb > 2) /* the register spills into the next byte */
        v |= (unsigned)regs[byte + 1] << (8 - fb);
    return v & HLL_MAX_REG;
}

void fr__hll_dense_set(uint8_t *regs, long i, unsigned v)
{
    size_t bit = (size_t)i * 6, byte = bit / 8;
    unsigned fb = bit & 7;
    regs[byte] = (uint8_t)((regs[byte] & ~(HLL_MAX_REG << fb)) | (v << fb));
    if (fb > 2) {
        unsigned rest = 8 - fb;
        regs[byte + 1] = (uint8_t)((regs[byte + 1] & ~(HLL_MAX_REG >> rest)) | (v >> rest));
    }
}

/* ---- sparse opcodes ----------------------------------------------------- */

#define OP_IS_ZERO(b) (((b)&0xc0) == 0)
#define OP_IS_XZERO(b) (((b)&0xc0) == 0x40)
#define VAL_VALUE(b) ((((b) >> 2) & 0x1f) + 1)
#define VAL_LEN(b) (((b)&3) + 1)

static uint8_t op_val(unsigned value, unsigned len)
{
    return (uint8_t)(0x80 | ((value - 1) << 2) | (len - 1));
}

/* One opcode at p (before end): its size in bytes and its run length. A
 * truncated XZERO reads its second byte as 0, as the terminator would. */
static size_t op_read(const uint8_t *p, const uint8_t *end, long *run)
{
    if (OP_IS_ZERO(*p)) {
        *run = (*p & 0x3f) + 1;
        return 1;
    }
    if (OP_IS_XZERO(*p)) {
        unsigned lo = p + 1 < end ? p[1] : 0;
        *run = (long)((((unsigned)*p & 0x3f) << 8) | lo) + 1;
        return 2;
    }
    *run = VAL_LEN(*p);
    return 1;
}

/* A run of zero registers, as ZERO when it fits, else XZERO. */
static uint8_t *put_zeros(uint8_t *n, long len)
{
    if (len > SPARSE_ZERO_RUN) {
        *n++ = (uint8_t)(0x40 | ((len - 1) >> 8));
        *n++ = (uint8_t)((len - 1) & 0xff);
    } else {
        *n++ = (uint8_t)(len - 1);
    }
    return n;
}

fr_obj *fr__hll_new(void)
{
    uint8_t b[FR_HLL_HDR + 2] = {'H', 'Y', 'L', 'L', FR_HLL_SPARSE};
    put_zeros(b + FR_HLL_HDR, FR_HLL_REGISTERS);
    return fr__str_new_raw(b, sizeof b);
}

/* Visit the runs of a sparse code: fn(ctx, first, run, value) with value
 * 0 for zeros. Returns 0 when the runs cover exactly every register, else
 * -1 (a VAL run past the last register stops the walk at once). */
typedef void run_fn(void *ctx, long first, long run, unsigned value);
static int sparse_walk(const uint8_t *p, const uint8_t *end, run_fn *fn, void *ctx)
{
    long idx = 0, run;
    while (p < end) {
        unsigned value = OP_IS_ZERO(*p) || OP_IS_XZERO(*p) ? 0 : VAL_VALUE(*p);
        p += op_read(p, end, &run);
        if (value && idx + run > FR_HLL_REGISTERS)
            return -1;
        fn(ctx, idx, run, value);
        idx += run;
    }
    return idx == FR_HLL_REGISTERS ? 0 : -1;
}

static void run_to_dense(void *ctx, long first, long run, unsigned value)
{
    if (value)
        for (long i = first; i < first + run; i++)
            fr__hll_dense_set(ctx, i, value);
}

static void run_to_max(void *ctx, long first, long run, unsigned value)
{
    uint8_t *regs = ctx;
    if (value)
        for (long i = first; i < first + run; i++)
            if (regs[i] < value)
                regs[i] = (uint8_t)value;
}

static void run_to_histo(void *ctx, long first, long run, unsigned value)
{
    (void)first;
    ((int *)ctx)[value] += (int)run;
}

int fr__hll_to_dense(fr_obj *o)
{
    fr_str *s = fr__str_make_raw(o, FR_HLL_DENSE_SIZE);
    uint8_t *b = (uint8_t *)s->p;
    if (b[4] == FR_HLL_DENSE)
        return 0;
    uint8_t *dense = fr__xcalloc(1, FR_HLL_DENSE_SIZE + 1);
    memcpy(dense, b, FR_HLL_HDR);
    dense[4] = FR_HLL_DENSE;
    if (sparse_walk(b + FR_HLL_HDR, b + s->len, run_to_dense, dense + FR_HLL_HDR) < 0) {
        free(dense);
        return -1;
    }
    memcpy(b, dense, FR_HLL_DENSE_SIZE);
    s->len = FR_HLL_DENSE_SIZE;
    b[s->len] = 0;
    free(dense);
    return 0;
}

/* Merge VAL neighbours of equal value whose runs fit in one opcode,
 * looking at up to five opcodes from p on (the one before the change and
 * the few it may have produced). */
static void sparse_merge_around(fr_str *s, uint8_t *p)
{
    uint8_t *end = (uint8_t *)s->p + s->len;
    for (int left = 5; p < end && left-- > 0;) {
        if (OP_IS_XZERO(*p)) {
            p += 2;
            continue;
        }
        if (OP_IS_ZERO(*p)) {
            p++;
            continue;
        }
        if (p + 1 < end && !OP_IS_ZERO(p[1]) && !OP_IS_XZERO(p[1]) &&
            VAL_VALUE(*p) == VAL_VALUE(p[1])) {
            unsigned len = VAL_LEN(*p) + VAL_LEN(p[1]);
            if (len <= SPARSE_VAL_RUN) {
                p[1] = op_val(VAL_VALUE(*p), len);
                memmove(p, p + 1, (size_t)(end - p - 1));
                end--;
                s->len--;
                *end = 0;
                continue; /* the merged run may merge again on its right */
            }
        }
        p++;
    }
}

static int promote_and_set(fr_obj *o, long index, unsigned count)
{
    if (fr__hll_to_dense(o) < 0)
        return -1;
    fr_str *s = o->v.ptr;
    uint8_t *regs = (uint8_t *)s->p + FR_HLL_HDR;
    if (fr__hll_dense_get(regs, index) >= count)
        return 0;
    fr__hll_dense_set(regs, index, count);
    return 1;
}

static int sparse_set(fr_obj *o, size_t sparse_max, long index, unsigned count)
{
    if (count > SPARSE_VAL_MAX)
        return promote_and_set(o, index, count);
    /* room for the worst case: one opcode becomes three, 3 bytes more */
    fr_str *s = fr__str_make_raw(o, ((fr_str *)o->v.ptr)->len + 3);
    uint8_t *sparse = (uint8_t *)s->p + FR_HLL_HDR, *end = (uint8_t *)s->p + s->len;
    uint8_t *p = sparse, *prev = NULL;
    long first = 0, span = 0;
    size_t oplen = 1;
    /* the opcode covering index */
    while (p < end) {
        oplen = op_read(p, end, &span);
        if (index <= first + span - 1)
            break;
        prev = p;
        p += oplen;
        first += span;
    }
    if (span == 0 || p >= end)
        return -1;
    int is_val = !OP_IS_ZERO(*p) && !OP_IS_XZERO(*p);
    unsigned cur = is_val ? VAL_VALUE(*p) : 0;
    if (is_val && cur >= count)
        return 0;
    if (span == 1 && oplen == 1) { /* a single register: rewrite in place */
        *p = op_val(count, 1);
        sparse_merge_around(s, prev ? prev : sparse);
        return 1;
    }
    /* split the run: [before][index][after] */
    uint8_t seq[5], *n = seq;
    long last = first + span - 1;
    if (index != first)
        n = is_val ? (*n = op_val(cur, (unsigned)(index - first)), n + 1)
                   : put_zeros(n, index - first);
    *n++ = op_val(count, 1);
    if (index != last)
        n = is_val ? (*n = op_val(cur, (unsigned)(last - index)), n + 1)
                   : put_zeros(n, last - index);
    size_t seqlen = (size_t)(n - seq);
    long delta = (long)seqlen - (long)oplen;
    if (delta > 0 && s->len + (size_t)delta > sparse_max)
        return promote_and_set(o, index, count);
    uint8_t *next = p + oplen;
    /* a truncated last XZERO has no next: Redis then just moves the
     * length, cutting the tail of the new sequence (corrupt either way) */
    if (delta && next < end)
        memmove(next + delta, next, (size_t)(end - next));
    memcpy(p, seq, seqlen);
    s->len = (size_t)((long)s->len + delta);
    s->p[s->len] = 0;
    sparse_merge_around(s, prev ? prev : sparse);
    return 1;
}

int fr__hll_set(fr_obj *o, size_t sparse_max, long index, unsigned count)
{
    fr_str *s = fr__str_make_raw(o, fr__str_len(o));
    uint8_t *b = (uint8_t *)s->p;
    if (b[4] == FR_HLL_SPARSE)
        return sparse_set(o, sparse_max, index, count);
    uint8_t *regs = b + FR_HLL_HDR;
    if (fr__hll_dense_get(regs, index) >= count)
        return 0;
    fr__hll_dense_set(regs, index, count);
    return 1;
}

int fr__hll_add(fr_obj *o, size_t sparse_max, const void *ele, size_t len)
{
    long index;
    int count = fr__hll_pattern(ele, len, &index);
    return fr__hll_set(o, sparse_max, index, (unsigned)count);
}

/* ---- merging and counting ----------------------------------------------- */

int fr__hll_merge(uint8_t regs[FR_HLL_REGISTERS], const void *p, size_t len)
{
    const uint8_t *b = p;
    if (b[4] == FR_HLL_DENSE) {
        for (long i = 0; i < FR_HLL_REGISTERS; i++) {
            unsigned v = fr__hll_dense_get(b + FR_HLL_HDR, i);
            if (v > regs[i])
                regs[i] = (uint8_t)v;
        }
        return 0;
    }
    return sparse_walk(b + FR_HLL_HDR, b + len, run_to_max, regs);
}

/* Ertl's sigma and tau ("New cardinality estimation algorithms for
 * HyperLogLog sketches", 2017), iterated until the sum stops moving. */
static double hll_sigma(double x)
{
    if (x == 1.)
        return INFINITY;
    double y = 1, z = x, prev;
    do {
        x *= x;
        prev = z;
        z += x * y;
        y += y;
    } while (prev != z);
    return z;
}

static double hll_tau(double x)
{
    if (x == 0. || x == 1.)
        return 0.;
    double y = 1.0, z = 1 - x, prev;
    do {
        x = sqrt(x);
        prev = z;
        y *= 0.5;
        z -= pow(1 - x, 2) * y;
    } while (prev != z);
    return z / 3;
}

/* The estimate from the histogram of register values (0..Q+1). */
static uint64_t estimate(const int histo[HLL_Q + 2])
{
    double m = FR_HLL_REGISTERS;
    double z = m * hll_tau((m - histo[HLL_Q + 1]) / m);
    for (int j = HLL_Q; j >= 1; --j) {
        z += histo[j];
        z *= 0.5;
    }
    z += m * hll_sigma(histo[0] / m);
    return (uint64_t)llroundl(ALPHA_INF * m * m / z);
}

uint64_t fr__hll_count(const void *p, size_t len, int *invalid)
{
    const uint8_t *b = p;
    int histo[64] = {0};
    *invalid = 0;
    if (b[4] == FR_HLL_DENSE) {
        for (long i = 0; i < FR_HLL_REGISTERS; i++)
            histo[fr__hll_dense_get(b + FR_HLL_HDR, i)]++;
    } else if (sparse_walk(b + FR_HLL_HDR, b + len, run_to_histo, histo) < 0) {
        *invalid = 1;
        return 0;
    }
    return estimate(histo);
}

uint64_t fr__hll_count_regs(const uint8_t regs[FR_HLL_REGISTERS])
{
    int histo[64] = {0};
    for (long i = 0; i < FR_HLL_REGISTERS; i++)
        histo[regs[i] & 63]++;
    return estimate(histo);
}

/* ---- PFDEBUG DECODE ------------------------------------------------------ */

void fr__hll_decode(const void *p, size_t len, fr_buf *out)
{
    const uint8_t *b = (const uint8_t *)p + FR_HLL_HDR, *end = (const uint8_t *)p + len;
    while (b < end) {
        long run;
        const uint8_t *op = b;
        b += op_read(b, end, &run);
        if (out->len)
            fr__buf_putc(out, ' ');
        if (OP_IS_ZERO(*op))
            fr__buf_printf(out, "z:%ld", run);
        else if (OP_IS_XZERO(*op))
            fr__buf_printf(out, "Z:%ld", run);
        else
            fr__buf_printf(out, "v:%u,%ld", (unsigned)VAL_VALUE(*op), run);
    }
}
