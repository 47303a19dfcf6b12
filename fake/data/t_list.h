/* The list type: a deque of byte strings with O(1) push and pop at both
 * ends, packed about as tightly as Redis' quicklist.
 *
 * Layout: a doubly linked chain of nodes, each a byte buffer of up to
 * FR_LIST_NODE_BYTES of entries. An entry is its length as a varint, the
 * bytes, then the length again written backwards, so a node can be walked
 * from either end: a 3-byte element costs 5 bytes. The live bytes sit in
 * a movable [start, end) window of the buffer, so pushing at either end of
 * an end node is a copy into free room (amortised O(1): the buffer grows
 * by half when it must); a full end node is trimmed to size and a new one
 * starts. A small list is one small allocation; a large one is many 8 KB
 * nodes, never one giant block. Elements larger than a node get a node of
 * their own.
 *
 * Indexes are 0-based from the head; functions taking a Redis-style index
 * say so. Redis 7.0 reports every list as "quicklist" in OBJECT ENCODING
 * (the listpack encoding for small lists came in 7.2), and so do we.
 *
 * Views (p, n) into a list are valid until the list changes; bytes passed
 * in must not point into the same list. Not thread-safe: a list belongs to
 * the server's loop thread. */
#ifndef FR_T_LIST_H
#define FR_T_LIST_H

#include <stddef.h>
#include <stdint.h>

#include "object.h"
#include "resp.h"

#define FR_LIST_HEAD 0
#define FR_LIST_TAIL 1
#define FR_LIST_NODE_BYTES 8192 /* entry bytes per node (Redis: -2, 8 KB) */

/* A popped element, owned by the caller: up to 15 bytes inline, more on
 * the heap (fr__lentry_free). tag 0..15: inline length; 0xff: heap. */
typedef struct fr_lentry {
    union {
        char in[15];
        struct {
            char *p;
            uint32_t n;
        } h;
    } u;
    uint8_t tag;
} fr_lentry;

typedef struct fr_lnode fr_lnode;

typedef struct fr_ldir fr_ldir;

/* 24 bytes, the smallest glibc chunk's room: one more field would cost 16
 * bytes per list key. */
typedef struct fr_list {
    fr_lnode *head;
    /* The tail node; or, with the low bit set, the node index that holds
     * the tail. The index is the nodes in order, built on the first access
     * by position to a long list, so that LINDEX/LRANGE/LSET in the middle
     * find their node by a binary search instead of walking half the
     * chain. Read and set only through t_list.c. */
    uintptr_t tail_or_dir;
    size_t len;
} fr_list;

fr_list *fr__list_new(void);
void fr__list_free(fr_list *l);
static inline size_t fr__list_len(const fr_list *l)
{
    return l->len;
}

/* An entry holding a copy of p[0..n). */
void fr__lentry_make(fr_lentry *e, const void *p, size_t n);
void fr__lentry_free(fr_lentry *e);
static inline const char *fr__lentry_bytes(const fr_lentry *e, size_t *n)
{
    if (e->tag == 0xff) {
        *n = e->u.h.n;
        return e->u.h.p;
    }
    *n = e->tag;
    return e->u.in;
}

/* Push a copy of p[0..n) at where (FR_LIST_HEAD/TAIL). */
void fr__list_push(fr_list *l, int where, const void *p, size_t n);
/* Push copies of args[0..n) one after the other, as RPUSH/LPUSH do. */
void fr__list_push_many(fr_list *l, int where, const fr_arg *args, size_t n);
/* Pop into *out (0 when empty); push an entry's bytes and free it. */
void fr__list_push_entry(fr_list *l, int where, fr_lentry *e);
int fr__list_pop_entry(fr_list *l, int where, fr_lentry *out);

/* A view of the element at idx (0 <= idx < len). */
void fr__list_index(const fr_list *l, size_t idx, const char **p, size_t *n);
/* Redis index (negative counts from the tail) to 0-based; -1 if out of
 * range. */
long long fr__list_norm_index(const fr_list *l, long long idx);
/* Replace the element at idx (in range). */
void fr__list_set(fr_list *l, size_t idx, const void *p, size_t n);
/* Insert a copy of p[0..n) so that it ends up at idx (0 <= idx <= len). */
void fr__list_insert(fr_list *l, size_t idx, const void *p, size_t n);
/* Remove count elements starting at idx (all in range). */
void fr__list_del_range(fr_list *l, size_t idx, size_t count);
/* LREM: remove up to |count| elements equal to p[0..n), from the head
 * (count > 0), the tail (count < 0) or all (0). Returns how many. */
size_t fr__list_rem(fr_list *l, const void *p, size_t n, long long count);

/* Iteration from an index, towards the tail (dir = +1) or the head (-1).
 * The list must not change while iterating. */
typedef struct fr_list_iter {
    const fr_lnode *node;
    uint32_t off; /* forward: next entry's start; backward: its end */
    int dir;
} fr_list_iter;

void fr__list_iter_init(fr_list_iter *it, const fr_list *l, size_t idx, int dir);
/* A view of the next element: 1, or 0 at the end. */
int fr__list_iter_next(fr_list_iter *it, const char **p, size_t *n);

/* Approximate bytes used (MEMORY USAGE). */
size_t fr__list_mem(const fr_list *l);

/* The object layer's view of lists (object.c's table). */
extern const fr_type_ops fr__list_ops;
extern const fr_type_elem_ops fr__list_elem_ops; /* SORT */
/* A new empty list object, encoded as Redis 7.0 reports it. */
fr_obj *fr__list_obj_new(void);

#endif
