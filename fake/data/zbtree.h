/* The order of a big sorted set: an order-statistic B+tree over the
 * members' dict entries (key: the member, v.d: the score), ordered by
 * (score, member bytes).
 *
 * Why not Redis' skiplist: at 1M members a skiplist node per member (plus
 * its levels) cost ~110 bytes next to the dict entry, and ZRANK walked ~18
 * nodes, each a cache miss of its own. Here the members live only in the
 * dict entries; a leaf holds 64 of them as (entry, score) pairs, 16 bytes
 * each, so the order costs ~17-25 bytes per member; and a lookup reads
 * one leaf and a few inner nodes, whose upper levels stay in cache. Ranks
 * come from the element counts kept per child in the inner nodes.
 *
 * Every inner node keeps, per child, its element count and its smallest
 * element (score and entry): a descent compares scores stored in the
 * node and reads a member only when scores tie. Leaves are linked both
 * ways for walks. A full leaf splits in two halves, except at either end
 * of the tree, where the new element starts a leaf of its own, so that
 * members added in order fill every leaf. A node under a quarter full
 * borrows from or merges with a sibling.
 *
 * The tree never frees or moves entries: their owner (the dict) does. An
 * entry's score must not change while it is in the tree (delete, change,
 * insert). Not thread-safe: a sorted set belongs to the loop thread. */
#ifndef FR_ZBTREE_H
#define FR_ZBTREE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base.h"

/* Members compare as Redis' sdscmp: bytes, then the shorter first. */
static inline int fr__zbt_memb_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int r = n ? memcmp(a, b, n) : 0;
    if (r)
        return r;
    return alen < blen ? -1 : alen > blen ? 1 : 0;
}

#define FR_ZBT_LEAF 64 /* elements per leaf */
#define FR_ZBT_FAN 64  /* children per inner node */

typedef struct fr_zbt_leaf fr_zbt_leaf;
/* ent comes first: ZRANK reads n and the entries up to its member, and
 * the header shares a cache line with the first of them. */
struct fr_zbt_leaf {
    fr_zbt_leaf *prev, *next;
    uint32_t n;
    fr_dict_entry *ent[FR_ZBT_LEAF];
    double score[FR_ZBT_LEAF];
};

typedef struct fr_zbt {
    void *root; /* a leaf when height is 0; NULL when empty */
    fr_zbt_leaf *first, *last;
    size_t len;
    int height;      /* inner levels above the leaves */
    uint64_t visits; /* nodes fr__zbt_rank read, ever: lets a test check
                        the O(log n) cost without a clock */
} fr_zbt;

void fr__zbt_init(fr_zbt *t);
/* Free the nodes (not the entries); the tree is empty afterwards. */
void fr__zbt_clear(fr_zbt *t);

/* Add e (not in the tree) at its place by (e->v.d, e->key). */
void fr__zbt_insert(fr_zbt *t, fr_dict_entry *e);
/* Remove e; returns 0 if it was not in the tree. */
int fr__zbt_delete(fr_zbt *t, const fr_dict_entry *e);
/* Fill an empty tree with n entries already in order, leaves full. */
void fr__zbt_build(fr_zbt *t, fr_dict_entry *const *ents, size_t n);

/* 0-based rank of e, which must be in the tree. */
size_t fr__zbt_rank(fr_zbt *t, const fr_dict_entry *e);
/* The leaf and slot of the element at 0-based rank (< len). */
fr_zbt_leaf *fr__zbt_seek(const fr_zbt *t, size_t rank, uint32_t *slot);

/* How many elements, from the lowest, satisfy pred; pred must hold for a
 * prefix of the order. O(log n) calls of pred. */
typedef int fr_zbt_pred(const void *ctx, double score, const fr_dict_entry *e);
size_t fr__zbt_prefix(const fr_zbt *t, fr_zbt_pred *pred, const void *ctx);
/* How many elements score below s (or at most s when inclusive): the same
 * as a prefix over scores, reading no entry. */
size_t fr__zbt_count_below(const fr_zbt *t, double s, int inclusive);

/* Structural invariants (order, counts, minima, links, fill); 1 if they
 * hold. For tests. */
int fr__zbt_check(const fr_zbt *t);

#endif
