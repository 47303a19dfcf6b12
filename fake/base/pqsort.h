/* A partial sort: Bentley and McIlroy's quicksort ("Engineering a Sort
 * Function", 1993: median of three or of nine, fat partition keeping the
 * equal keys, insertion sort below 7 elements) that skips the partitions lying wholly outside the
 * wanted ranks. Redis sorts a GEO search with COUNT this way, and elements that compare equal end
 * up in an order that depends on exactly these steps, which is why a library qsort will not do.
 * Pure, any thread. */
#ifndef FR_PQSORT_H
#define FR_PQSORT_H

#include <stddef.h>

/* Sort a[0..n) of es-byte elements so that ranks lo..hi (inclusive) hold
 * the right elements in order; the rest end up somewhere around. */
void fr__pqsort(void *a, size_t n, size_t es, int (*cmp)(const void *, const void *), size_t lo,
                size_t hi);

#endif
