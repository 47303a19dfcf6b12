/* HyperLogLog values in Redis' own string format, so that GET, APPEND,
 * SETRANGE and friends see the same bytes as on a real server.
 *
 * Layout (documented in Redis' hyperloglog.c and the antirez HLL post):
 *   "HYLL", encoding byte (0 dense, 1 sparse), 3 zero bytes, 8 bytes of
 *   cached cardinality little endian; bit 7 of the last one set means the
 *   cache is stale. Then the registers: 2^14 of them, 6 bits each.
 *   dense   12288 bytes, register i at bit 6*i, least significant first;
 *   sparse  a run-length code: ZERO 00xxxxxx (1-64 zero registers), XZERO
 *           01xxxxxx yyyyyyyy (1-16384 zeros), VAL 1vvvvvxx (value 1-32,
 *           repeated 1-4 times). An empty HLL is one XZERO of 16384.
 * A sparse value turns dense when a register needs more than 32 or the
 * string would grow past hll-sparse-max-bytes.
 *
 * The functions edit the object's string in place (made raw first, as
 * Redis unshares it). Loop thread only; no state beyond the bytes. */
#ifndef FR_HLL_H
#define FR_HLL_H

#include <stddef.h>
#include <stdint.h>

#include "base.h"
#include "object.h"

#define FR_HLL_P 14
#define FR_HLL_REGISTERS (1 << FR_HLL_P)
#define FR_HLL_HDR 16
#define FR_HLL_DENSE_SIZE (FR_HLL_HDR + FR_HLL_REGISTERS * 6 / 8)

enum { FR_HLL_DENSE = 0, FR_HLL_SPARSE = 1 };

/* Austin Appleby's MurmurHash64A, bytes read little endian. */
uint64_t fr__murmur64a(const void *key, size_t len, uint64_t seed);

/* The register an element falls in (*index) and the value it proposes:
 * one plus the number of trailing zeros of the rest of its hash (1-51). */
int fr__hll_pattern(const void *ele, size_t len, long *index);

/* Is this string an HLL at all (magic, known encoding, a dense one's exact
 * size)? Redis answers WRONGTYPE otherwise. Corruption inside the sparse
 * code is found only when it is read. */
int fr__hll_is_valid(const void *p, size_t len);

/* A new empty sparse HLL (a raw string, cache valid at 0). */
fr_obj *fr__hll_new(void);

/* Add an element: 1 when a register grew, 0 when not, -1 when the sparse
 * code is corrupt (then the value may be partly updated, as in Redis).
 * o must hold a valid HLL. */
int fr__hll_add(fr_obj *o, size_t sparse_max, const void *ele, size_t len);
/* Raise register index to at least count; the same results. */
int fr__hll_set(fr_obj *o, size_t sparse_max, long index, unsigned count);
/* Make the value dense (nothing when it already is). -1 when corrupt. */
int fr__hll_to_dense(fr_obj *o);

/* regs[i] = max(regs[i], register i of the HLL at p). -1 when corrupt. */
int fr__hll_merge(uint8_t regs[FR_HLL_REGISTERS], const void *p, size_t len);
/* The estimate (Ertl's improved estimator, as Redis 7.0) of the HLL at p;
 * *invalid = 1 when its sparse code does not cover every register. */
uint64_t fr__hll_count(const void *p, size_t len, int *invalid);
/* The same for plain one-byte registers (PFCOUNT of several keys). */
uint64_t fr__hll_count_regs(const uint8_t regs[FR_HLL_REGISTERS]);

/* The cached cardinality: 1 and *card when valid, else 0. */
int fr__hll_cache_get(const void *hdr, uint64_t *card);
void fr__hll_cache_set(void *hdr, uint64_t card);
void fr__hll_invalidate(void *hdr);

/* One 6-bit register of the dense array that follows the header. */
unsigned fr__hll_dense_get(const uint8_t *regs, long i);
void fr__hll_dense_set(uint8_t *regs, long i, unsigned v);

/* PFDEBUG DECODE's text for a sparse HLL: "Z:n" "z:n" "v:value,len"
 * separated by spaces. */
void fr__hll_decode(const void *p, size_t len, fr_buf *out);

#endif
