/* Sorted sets: members with a double score, ordered by (score, member).
 *
 * Two encodings, chosen as Redis 7.0 chooses them (OBJECT ENCODING shows
 * them), and converted one way only, as Redis does:
 *   listpack  up to zset-max-listpack-entries members, none longer than
 *             zset-max-listpack-value bytes: a pack (pack.h) of member,
 *             score, member, score... in order (Redis keeps the same order
 *             in its listpack), one allocation. Scores are stored as
 *             Redis' listpack stores them: a -0 becomes 0.
 *   skiplist  (Redis' name) a dict member -> score for O(1) ZSCORE, and
 *             an order-statistic B+tree over the dict's entries
 *             (zbtree.h) for O(log n) insert, delete, rank, and access by
 *             rank.
 * Everything that reads a range works on ranks: a score or lex range is
 * turned into a rank interval by counting the members before it
 * (fr__zset_prefix), then walked with an iterator. All on the loop
 * thread. */
#ifndef FR_T_ZSET_H
#define FR_T_ZSET_H

#include <stddef.h>
#include <stdint.h>

#include "base.h"
#include "object.h"
#include "pack.h"
#include "zbtree.h"

/* The skiplist encoding: v.d of a dict entry is its score. */
typedef struct fr_zsk {
    fr_dict dict;
    fr_zbt tree;
    uint64_t rng;
} fr_zsk;

extern const fr_type_ops fr__zset_ops;
extern const fr_type_elem_ops fr__zset_elem_ops; /* SORT */

/* --- the sorted set, either encoding ----------------------------------- */

/* A new empty zset, listpack unless the hints already exceed the limits
 * (ZADD passes 1 and its first member's length: Redis 7.0 decides from
 * the first member alone; SIZE_MAX asks for a skiplist). */
fr_obj *fr__zset_new(const fr_enc_limits *cfg, size_t size_hint, size_t maxlen_hint);
size_t fr__zset_len(const fr_obj *o);
int fr__zset_score(const fr_obj *o, const char *p, size_t len, double *score);

/* ZADD's flags in, and what happened out. */
enum {
    FR_ZADD_INCR = 1 << 0,
    FR_ZADD_NX = 1 << 1,
    FR_ZADD_XX = 1 << 2,
    FR_ZADD_GT = 1 << 3,
    FR_ZADD_LT = 1 << 4,
    /* out */
    FR_ZADD_NAN = 1 << 5, /* the increment made a NaN: nothing done */
    FR_ZADD_ADDED = 1 << 6,
    FR_ZADD_UPDATED = 1 << 7,
    FR_ZADD_NOP = 1 << 8
};
/* Add or update a member as ZADD does (NX/XX/GT/LT/INCR in flags).
 * Returns 0 only for FR_ZADD_NAN; *out gets the FR_ZADD_* outcome and
 * *newscore (may be NULL) the member's score afterwards. Converts to
 * skiplist when the listpack limits are passed. */
int fr__zset_add(const fr_enc_limits *cfg, fr_obj *o, double score, const char *p, size_t len,
                 int flags, int *out, double *newscore);
int fr__zset_del(fr_obj *o, const char *p, size_t len);
/* Delete the members at forward ranks [start, end) (0-based). */
void fr__zset_del_range(fr_obj *o, size_t start, size_t end);
/* 0-based forward rank, or -1 if absent. */
long long fr__zset_rank(fr_obj *o, const char *p, size_t len);
/* Skiplist -> listpack when small enough (the STORE commands' result,
 * Redis' zsetConvertToListpackIfNeeded). */
void fr__zset_shrink_if_small(const fr_enc_limits *cfg, fr_obj *o, size_t maxlen);

/* One member as seen by readers (valid until the zset changes). */
typedef struct fr_zelem {
    const char *p;
    size_t len;
    double score;
} fr_zelem;

/* How many members, from the lowest, satisfy pred. pred must hold for a
 * prefix of the order (true, ..., true, false, ...). O(log n). */
typedef int fr_zpred(const void *ctx, const fr_zelem *e);
size_t fr__zset_prefix(const fr_obj *o, fr_zpred *pred, const void *ctx);

/* Walk members from a rank, forward or in reverse (rank counted in the
 * walking direction). A pack is read forward only: a reverse walk reads
 * the offsets of the next FR_ZIT_WIN members from the front at a time. */
#define FR_ZIT_WIN 32
typedef struct fr_zit {
    const fr_obj *o;
    int rev;
    size_t left; /* members left to visit */
    /* skiplist: the next member's leaf and slot */
    const fr_zbt_leaf *leaf;
    uint32_t slot;
    /* listpack: forward, the next member's offset; reverse, its index and
     * the offsets of the members up to it */
    size_t off, idx;
    uint32_t nwin;
    uint32_t win[FR_ZIT_WIN];
} fr_zit;
void fr__zit_init(fr_zit *it, const fr_obj *o, size_t rank, int rev);
/* The current member into *e; 0 when the walk is over. Advances. The
 * forward walk of a pack is inline (ZRANGE of a small zset makes a call
 * per member otherwise); the rest is fr__zit_next_slow. */
int fr__zit_next_slow(fr_zit *it, fr_zelem *e);
static inline int fr__zit_next(fr_zit *it, fr_zelem *e)
{
    if (!it->left)
        return 0;
    if (it->o->enc == FR_ENC_LISTPACK && !it->rev) {
        const char *p;
        size_t len;
        double num;
        size_t next = fr__pack_try_str_num(it->o->v.ptr, it->off, &p, &len, &num);
        if (next) {
            it->left--;
            it->off = next;
            e->p = p;
            e->len = len;
            e->score = num;
            return 1;
        }
    }
    return fr__zit_next_slow(it, e);
}

/* A random number from the zset's own generator (no global state). */
uint64_t fr__zset_rand(fr_obj *o);

/* A uniformly chosen member (the zset must not be empty). */
void fr__zset_random(fr_obj *o, fr_zelem *e);

/* Score as Redis' listpack stores it, for ZSCAN of a listpack zset:
 * integral values up to LLONG_MAX/2 as integers, others "%.17g". */
int fr__zset_lp_fmt_score(char *dst, size_t cap, double d);

/* Score ranges (ZRANGEBYSCORE's "(1" "-inf") and lex ranges ("[a" "(b"
 * "-" "+"). The parsers return 0 on a bad item. */
typedef struct fr_zrange {
    double min, max;
    int minex, maxex;
} fr_zrange;
typedef struct fr_zlexrange {
    const char *min, *max;
    size_t minlen, maxlen;
    int minex, maxex;
    int min_inf, max_inf; /* -1: "-", 1: "+", 0: a string */
} fr_zlexrange;
int fr__zrange_parse(fr_zrange *r, const char *minp, size_t minn, const char *maxp, size_t maxn);
int fr__zlexrange_parse(fr_zlexrange *r, const char *minp, size_t minn, const char *maxp,
                        size_t maxn);
/* The rank interval [*first, *end) of the members inside the range. */
void fr__zset_score_span(const fr_obj *o, const fr_zrange *r, size_t *first, size_t *end);
/* Is e still inside the range for a walk that started inside it (a
 * forward walk checks the max, a reverse one the min, as Redis' do)? */
int fr__zrange_keeps(const void *range, int rev, const fr_zelem *e);
int fr__zlexrange_keeps(const void *range, int rev, const fr_zelem *e);
/* rev: the interval a reverse walk finds (ZREVRANGEBYLEX); it differs
 * only when the members have different scores. */
void fr__zset_lex_span(const fr_obj *o, const fr_zlexrange *r, int rev, size_t *first, size_t *end);

#endif
