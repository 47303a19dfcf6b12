/* The value layer: one fr_obj per key, tagged with Redis' type and
 * encoding (OBJECT ENCODING reports it, so the encodings follow Redis').
 *
 * Strings have three encodings, chosen as Redis chooses them:
 *   int     the value is a decimal long long (<= 20 bytes, canonical form),
 *           kept in v.ll: no bytes at all;
 *   embstr  up to 44 bytes stored right after the object header, one
 *           allocation for header and bytes;
 *   raw     anything longer, or any string that was modified in place
 *           (APPEND, SETRANGE, SETBIT...): v.ptr is an fr_str.
 *
 * Other types (lists, hashes, sets, sorted sets) keep their structure in
 * v.ptr and describe themselves with an fr_type_ops (free, dup, dump,
 * load, render); object.c holds the table of those ops, one line per type:
 * a type's file defines `const fr_type_ops fr__xxx_ops` and adds it there.
 * SORT's needs (elements, hash fields, building a list) are a second,
 * optional table, fr_type_elem_ops, registered the same way. */
#ifndef FR_OBJECT_H
#define FR_OBJECT_H

#include <stddef.h>
#include <stdint.h>

#include "base.h"

enum fr_obj_type {
    FR_TYPE_STRING = 0,
    FR_TYPE_LIST = 1,
    FR_TYPE_SET = 2,
    FR_TYPE_ZSET = 3,
    FR_TYPE_HASH = 4,
    FR_TYPE_STREAM = 6,
    FR_TYPE_COUNT = 7
};

/* Redis' OBJ_ENCODING_* numbering, so names line up with OBJECT ENCODING. */
enum fr_obj_enc {
    FR_ENC_RAW = 0,
    FR_ENC_INT = 1,
    FR_ENC_HT = 2,
    FR_ENC_ZIPMAP = 3,
    FR_ENC_LINKEDLIST = 4,
    FR_ENC_ZIPLIST = 5,
    FR_ENC_INTSET = 6,
    FR_ENC_SKIPLIST = 7,
    FR_ENC_EMBSTR = 8,
    FR_ENC_QUICKLIST = 9,
    FR_ENC_STREAM = 10,
    FR_ENC_LISTPACK = 11
};

/* The encoding thresholds of the collection types (Redis' *-max-listpack-*,
 * set-max-intset-entries and the stream node limits). The server's configuration holds one of
 * these; the types read it and never see the rest of the configuration. */
typedef struct fr_enc_limits {
    long long list_max_listpack_size;
    long long hash_max_listpack_entries, hash_max_listpack_value;
    long long set_max_intset_entries;
    long long zset_max_listpack_entries, zset_max_listpack_value;
    long long stream_node_max_bytes, stream_node_max_entries;
} fr_enc_limits;

#define FR_EMBSTR_MAX 44 /* Redis' OBJ_ENCODING_EMBSTR_SIZE_LIMIT */

typedef struct fr_obj {
    unsigned type : 4;
    unsigned enc : 4;
    unsigned lru : 24; /* clock seconds of the last access, mod 2^24 */
    union {
        uint32_t emb_len; /* embstr: how many bytes follow the header */
        uint32_t rng;     /* packed collections: see fr__obj_rand */
    };
    /* embstr: the bytes start here instead (the union is not allocated) */
    union {
        void *ptr;
        long long ll;
    } v;
} fr_obj;

/* The bytes of an embstr object. */
#define FR_OBJ_EMB(o) ((char *)(o) + offsetof(fr_obj, v))

/* A raw string: bytes + NUL, growable in place. */
typedef struct fr_str {
    size_t len, cap;
    char p[];
} fr_str;

/* What a non-string type provides. Any member may be NULL until the type
 * implements it (then COPY, DUMP, fr_dump... answer generically). */
typedef struct fr_type_ops {
    const char *name; /* TYPE's answer: "list", "hash"... */
    void (*free)(fr_obj *o);      /* free o->v.ptr (not o itself) */
    fr_obj *(*dup)(const fr_obj *o); /* deep copy, for COPY */
    /* DUMP/RESTORE: append a self-delimited encoding of the value; load
     * parses it back from [*p, end), advancing *p; NULL on bad input. */
    void (*dump)(const fr_obj *o, fr_buf *out);
    fr_obj *(*load)(const char **p, const char *end, int enc_hint);
    /* Readable rendering for fr_dump() (e.g. "[a, b, c]"). */
    void (*render)(const fr_obj *o, fr_buf *out);
} fr_type_ops;

/* What SORT needs from a type, apart from fr_type_ops so that adding it
 * changes nothing for types that don't sort. Any member may be NULL. */
typedef struct fr_type_elem_ops {
    /* SORT: the number of elements, and each element in the type's own
     * order (list: head to tail; zset: by score; set: any). */
    size_t (*length)(const fr_obj *o);
    void (*each)(const fr_obj *o, void (*fn)(void *priv, const char *p, size_t n),
                 void *priv);
    /* SORT BY/GET key->field (hashes): copy the field's value into out and
     * return 1, or return 0 when missing. */
    int (*field)(const fr_obj *o, const char *f, size_t flen, fr_buf *out);
    /* SORT STORE (lists): a new object holding elems in order. */
    fr_obj *(*build)(const char *const *elems, const size_t *lens, size_t n);
} fr_type_elem_ops;

const fr_type_ops *fr__type_ops(int type);
const fr_type_elem_ops *fr__type_elem_ops(int type);
const char *fr__type_name(int type);
const char *fr__enc_name(int enc);

/* A header for a non-string object; the caller sets v.ptr. */
fr_obj *fr__obj_new(int type, int enc, void *ptr);
/* A random number for a collection whose encoding has no room for a
 * generator of its own (a pack): 32 bits of state in the header, a Weyl
 * sequence (period 2^32) through a 64-bit mixer, seeded at first use. */
uint64_t fr__obj_rand(fr_obj *o);
void fr__obj_free(fr_obj *o);
fr_obj *fr__obj_dup(const fr_obj *o);

/* --- strings ------------------------------------------------------------ */

/* A string holding exactly these bytes: int when the bytes are a canonical
 * long long (as Redis' tryObjectEncoding), else embstr or raw by size. */
fr_obj *fr__str_new(const void *p, size_t len);
/* Never int-encoded: embstr or raw by size (Redis' createStringObject). */
fr_obj *fr__str_new_plain(const void *p, size_t len);
fr_obj *fr__str_new_raw(const void *p, size_t len);
fr_obj *fr__str_from_ll(long long v);
/* The bytes of a string object. tmp (>= 24 bytes) is used for int. */
const char *fr__str_bytes(const fr_obj *o, char *tmp, size_t *len);
size_t fr__str_len(const fr_obj *o);
/* The value as a long long if the whole string is one (int encoding or
 * canonical digits). Returns 1 on success. */
int fr__str_ll(const fr_obj *o, long long *out);
/* Make o raw (so it can be modified in place) with room for at least
 * need bytes; returns its fr_str. Bytes past the old length are zero. */
fr_str *fr__str_make_raw(fr_obj *o, size_t need);

#endif
