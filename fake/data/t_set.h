/* Sets of binary-safe byte strings.
 *
 * Two encodings, as Redis 7.0 (which has no listpack sets), converted one
 * way only:
 *   intset     every member is a canonical 64-bit integer and there are at
 *              most set-max-intset-entries of them: a sorted array, which
 *              is the order SMEMBERS and SSCAN show;
 *   hashtable  a dict of members (no values), in no particular order.
 * All on the loop thread. */
#ifndef FR_T_SET_H
#define FR_T_SET_H

#include <stddef.h>
#include <stdint.h>

#include "base.h"
#include "object.h"

typedef struct fr_intset {
    size_t n, cap;
    int64_t *a; /* sorted */
    uint64_t rng;
} fr_intset;

extern const fr_type_ops fr__set_ops;
extern const fr_type_elem_ops fr__set_elem_ops; /* SORT */

/* An empty set of the encoding Redis would pick for its first member
 * (Redis' setTypeCreate): intset if it is an integer. */
fr_obj *fr__set_new_for(const char *p, size_t len);
fr_obj *fr__set_new_intset(void);
fr_obj *fr__set_new_hashtable(void);
size_t fr__set_len(const fr_obj *o);
/* Returns 1 if added, 0 if already there. */
int fr__set_add(const fr_enc_limits *cfg, fr_obj *o, const char *p, size_t len);
int fr__set_del(fr_obj *o, const char *p, size_t len);
int fr__set_has(const fr_obj *o, const char *p, size_t len);
/* Make room for n members in a hashtable set, so that filling it does not
 * double its table over and over. No-op for an intset (it converts when
 * Redis' would). */
void fr__set_expect(fr_obj *o, size_t n);

/* Members one by one; intset members are formatted into the iterator.
 * The set must not change while an iteration is open, except deleting
 * the member just returned from a hashtable set. */
typedef struct fr_set_iter {
    const fr_obj *o;
    size_t i;
    fr_dict_iter di;
    char num[24];
} fr_set_iter;
void fr__set_iter_start(fr_set_iter *it, const fr_obj *o);
int fr__set_iter_next(fr_set_iter *it, const char **p, size_t *len);
void fr__set_iter_end(fr_set_iter *it);

/* A uniformly chosen member (non-empty set), formatted into buf (>= 24
 * bytes) for an intset; valid until the set changes. */
void fr__set_random(fr_obj *o, char *buf, const char **p, size_t *len);

/* A random number from the set's own generator (no global state). */
uint64_t fr__set_rand(fr_obj *o);

#endif
