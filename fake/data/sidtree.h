/* An ordered map from stream IDs to pointers: the pending entries lists of
 * consumer groups and consumers, which are read in ID order (XPENDING,
 * XAUTOCLAIM, XINFO) and changed anywhere (XACK, XCLAIM). An AVL tree:
 * find, insert, remove and "first ID >= x" in O(log n). The tree never
 * owns the values. Loop thread only. */
#ifndef FR_SIDTREE_H
#define FR_SIDTREE_H

#include <stddef.h>

#include "t_stream.h"

typedef struct fr_sidtree_node fr_sidtree_node;

typedef struct fr_sidtree {
    fr_sidtree_node *root;
    size_t n;
} fr_sidtree;

/* The value stored under id, or NULL. */
void *fr__sidtree_find(const fr_sidtree *t, const fr_sid *id);
/* Store v (not NULL) under id. Returns 1, or 0 if id is there already
 * (nothing changes). */
int fr__sidtree_insert(fr_sidtree *t, const fr_sid *id, void *v);
/* Remove id; returns its value, or NULL if it was not there. */
void *fr__sidtree_remove(fr_sidtree *t, const fr_sid *id);
/* The smallest ID >= id: 1 with *found and *v, or 0 when there is none.
 * Walking a tree is seek(x), then seek(found + 1), which stays right when
 * the tree changes in between. */
int fr__sidtree_seek(const fr_sidtree *t, const fr_sid *id, fr_sid *found, void **v);
/* The largest ID: 1 with *found, 0 when empty. */
int fr__sidtree_last(const fr_sidtree *t, fr_sid *found);
/* Remove every node, calling fn on each value (fn may be NULL). */
void fr__sidtree_clear(fr_sidtree *t, void (*fn)(void *v));

#endif
