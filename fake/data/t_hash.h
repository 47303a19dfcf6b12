/* Hashes: field -> value, both binary-safe byte strings.
 *
 * Two encodings, as Redis 7.0 (OBJECT ENCODING shows them), converted one
 * way only:
 *   listpack   up to hash-max-listpack-entries fields, no field or value
 *              longer than hash-max-listpack-value: a pack (pack.h) of
 *              field, value, field, value... in insertion order (Redis'
 *              listpack order, which HGETALL, HKEYS and HSCAN show), one
 *              allocation;
 *   hashtable  a dict field -> value, in no particular order.
 * All on the loop thread. */
#ifndef FR_T_HASH_H
#define FR_T_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "base.h"
#include "object.h"
#include "resp.h"

/* A value in the hashtable encoding (v.p of its dict entry). */
typedef struct fr_hval {
    uint32_t len;
    char p[]; /* len bytes + NUL */
} fr_hval;

extern const fr_type_ops fr__hash_ops;
extern const fr_type_elem_ops fr__hash_elem_ops; /* SORT BY/GET key->field */

fr_obj *fr__hash_new(void);
size_t fr__hash_len(const fr_obj *o);
/* The value of field: 1 and *v, *vlen (valid until the hash changes), or
 * 0 if absent. */
int fr__hash_get(const fr_obj *o, const char *f, size_t flen, const char **v, size_t *vlen);
/* Set field to value. Returns 1 if the field is new, 0 if updated.
 * Converts to hashtable past hash-max-listpack-entries. */
int fr__hash_set(const fr_enc_limits *cfg, fr_obj *o, const char *f, size_t flen, const char *v,
                 size_t vlen);
int fr__hash_del(fr_obj *o, const char *f, size_t flen);
/* Redis' hashTypeTryConversion: any argument in args[0..n) longer than
 * hash-max-listpack-value turns a listpack hash into a hashtable. */
void fr__hash_try_convert(const fr_enc_limits *cfg, fr_obj *o, const fr_arg *args, int n);

/* Every field in order (listpack) or table order (hashtable). While an
 * iteration is open the hash must not change. */
typedef struct fr_hash_iter {
    const fr_obj *o;
    size_t i; /* listpack: the next entry's offset */
    fr_dict_iter di;
} fr_hash_iter;
void fr__hash_iter_start(fr_hash_iter *it, const fr_obj *o);
int fr__hash_iter_next(fr_hash_iter *it, const char **f, size_t *flen, const char **v,
                       size_t *vlen);
void fr__hash_iter_end(fr_hash_iter *it);

/* A uniformly chosen field (the hash must not be empty). */
void fr__hash_random(fr_obj *o, const char **f, size_t *flen, const char **v, size_t *vlen);

/* A random number from the hash's own generator (no global state). */
uint64_t fr__hash_rand(fr_obj *o);

#endif
