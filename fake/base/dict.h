/* A hash table keyed by byte strings, the one map of the server: the
 * keyspace, expires, WATCH lists, and the members of hashes, sets and
 * sorted sets.
 *
 * Keys are binary-safe byte strings copied into the entry itself (one
 * allocation per entry, NUL-terminated for convenience); the value is a
 * union (a pointer, an integer or a double) that the dict never looks at
 * except to hand it to the type's val_free callback.
 *
 * Resizing never stalls: the table doubles when it is full and halves when
 * it is under 1/8 full, and the entries move from the old table to the new
 * one a few buckets at a time (on every lookup/insert/delete, and in the
 * owner's cron through fr__dict_rehash_us).
 *
 * Scanning (fr__dict_scan) follows Redis' contract: starting from cursor 0
 * and calling again with the returned cursor until it is 0 visits every
 * entry that is present for the whole iteration at least once, even if the
 * table grows, shrinks or is being rehashed in between calls; an entry may
 * be visited more than once. The cursor increments the high bits first
 * (reversed binary), so the buckets already visited in a small table map to
 * buckets already visited in a larger one and vice versa.
 *
 * Not thread-safe: a dict belongs to the server's loop thread. */
#ifndef FR_DICT_H
#define FR_DICT_H

#include <stddef.h>
#include <stdint.h>

typedef union fr_dict_val {
    void *p;
    int64_t i;
    double d;
} fr_dict_val;

typedef struct fr_dict_entry {
    struct fr_dict_entry *next;
    fr_dict_val v;
    uint32_t klen;
    /* The low 32 bits of the key's hash: a rehash moves the entry without
     * hashing the key again, and a lookup skips most non-matching entries
     * without comparing keys. It fills what was padding before key[]. */
    uint32_t hash;
    char key[]; /* klen bytes + NUL */
} fr_dict_entry;

typedef struct fr_dict_type {
    /* Called with the value of each entry the dict frees (delete, clear,
     * free, and overwrite by fr__dict_set). NULL: values are not owned. */
    void (*val_free)(fr_dict_val v, void *ctx);
} fr_dict_type;

typedef struct fr_dict {
    fr_dict_entry **t[2];
    size_t size[2]; /* power of two, or 0 */
    size_t used[2];
    long rehash_idx; /* -1 when not rehashing: next bucket of t[0] to move */
    int pause_rehash; /* safe iterators in flight */
    const fr_dict_type *type;
    void *ctx; /* passed to val_free */
    uint64_t rng; /* for random entries: per dict, no global state */
    size_t rand_chain; /* longest chain fr__dict_random has met (see there) */
} fr_dict;

/* Hash of a byte string (also used by the keyspace to pick samples). */
uint64_t fr__dict_hash(const void *key, size_t len);

/* type may be NULL (no callbacks). */
fr_dict *fr__dict_new(const fr_dict_type *type, void *ctx);
void fr__dict_init(fr_dict *d, const fr_dict_type *type, void *ctx);
/* Make room for n entries in all (a no-op if there is already room, or
 * while rehashing): a caller that knows the final size of what it fills
 * skips the doublings on the way there. */
void fr__dict_expand(fr_dict *d, size_t n);
/* Cut the table to the size growth would have given the entries it holds
 * (after a fr__dict_expand whose bound was too high), moving them at
 * once. A no-op while rehashing or iterating. */
void fr__dict_fit(fr_dict *d);
/* Free every entry (and value through val_free), keep the dict usable. */
void fr__dict_clear(fr_dict *d);
/* fr__dict_clear + free the dict itself. NULL is a no-op. */
void fr__dict_free(fr_dict *d);

static inline size_t fr__dict_size(const fr_dict *d)
{
    return d->used[0] + d->used[1];
}
static inline int fr__dict_is_rehashing(const fr_dict *d)
{
    return d->rehash_idx != -1;
}

fr_dict_entry *fr__dict_find(fr_dict *d, const void *key, size_t len);
/* Insert key if absent: returns the new entry (value zeroed, the caller
 * fills it in). If present, returns NULL and sets *existing (when not NULL)
 * to the entry already there. */
fr_dict_entry *fr__dict_add(fr_dict *d, const void *key, size_t len,
                            fr_dict_entry **existing);
/* Insert or overwrite (the old value goes to val_free). Returns the entry. */
fr_dict_entry *fr__dict_set(fr_dict *d, const void *key, size_t len, fr_dict_val v);
/* Remove key, freeing entry and value. Returns 1 if it was there. */
int fr__dict_delete(fr_dict *d, const void *key, size_t len);
/* Remove key without freeing: the caller owns the entry (its value too)
 * and releases it with fr__dict_free_unlinked. NULL if absent. */
fr_dict_entry *fr__dict_unlink(fr_dict *d, const void *key, size_t len);
void fr__dict_free_unlinked(fr_dict *d, fr_dict_entry *e);

/* A uniformly chosen entry (RANDOMKEY, SPOP, SRANDMEMBER and HRANDFIELD
 * with repeats). NULL when empty. */
fr_dict_entry *fr__dict_random(fr_dict *d);

/* Call fn on the entries of the next bucket(s) after cursor; returns the
 * cursor for the next call, 0 when the scan is complete. fn must not
 * modify the dict (collect, then act). */
typedef void fr_dict_scan_fn(void *priv, const fr_dict_entry *e);
uint64_t fr__dict_scan(fr_dict *d, uint64_t cursor, fr_dict_scan_fn *fn, void *priv);

/* Rehash for about us microseconds (in 100-bucket steps); returns 1 if
 * more rehashing remains. For the owner's cron. */
int fr__dict_rehash_us(fr_dict *d, int64_t us);
/* Move n buckets (skipping at most 10*n empty ones). Returns 1 if more
 * rehashing remains. */
int fr__dict_rehash(fr_dict *d, int n);
/* Start shrinking if the table is mostly empty (deletes do it too). */
void fr__dict_maybe_shrink(fr_dict *d);

/* Iteration over every entry, once each, in table order. While an
 * iterator is open the dict does not rehash; the only change allowed is
 * deleting the entry just returned (fr__dict_delete/unlink on its key).
 * Always call fr__dict_iter_end. */
typedef struct fr_dict_iter {
    fr_dict *d;
    int table;
    long idx;
    fr_dict_entry *e, *next;
} fr_dict_iter;

void fr__dict_iter_start(fr_dict_iter *it, fr_dict *d);
fr_dict_entry *fr__dict_iter_next(fr_dict_iter *it);
void fr__dict_iter_end(fr_dict_iter *it);

#endif
