/* HRANDFIELD, SRANDMEMBER and ZRANDMEMBER with a count share Redis' rules
 * (its *RandomWithCountCommand functions): the count's range, which case
 * answers it (repeats allowed, the whole collection, or distinct picks),
 * the reply's length, and the partial shuffle behind distinct picks. Each
 * type then only says how to reach its elements. */
#ifndef FR_RANDPICK_H
#define FR_RANDPICK_H

#include <stddef.h>
#include <stdint.h>

#include "object.h"
#include "server.h"

/* The count at c->argv[2]: an integer whose negation fits (not
 * LLONG_MIN). Answers the error and returns 0. */
int fr__randpick_count(fr_conn *c, long long *count);

/* HRANDFIELD and ZRANDMEMBER: key count [with_kw], where with_kw
 * (WITHVALUES, WITHSCORES) makes each element a pair, which Redis allows
 * only for counts within +/- LLONG_MAX / 2. Answers the error and
 * returns 0. */
int fr__randpick_args(fr_conn *c, const char *with_kw, long long *count, int *with);

/* How a count is answered, in Redis' order of cases. */
enum fr_randpick_case {
    FR_RANDPICK_EMPTY,   /* count 0 */
    FR_RANDPICK_REPEAT,  /* negative count, or 1: draw *n times */
    FR_RANDPICK_ALL,     /* count >= size: every element once */
    FR_RANDPICK_DISTINCT /* *n distinct elements: fr__randpick_shuffle */
};
/* The case for count over size elements; *n is how many elements the
 * reply holds. */
enum fr_randpick_case fr__randpick_case(long long count, size_t size, unsigned long long *n);

/* The array header for n elements, pairs or not (RESP2 flattens pairs,
 * RESP3 nests them). */
void fr__randpick_header(fr_conn *c, unsigned long long n, int pairs);

/* n distinct indexes below size, in the order to answer them: a partial
 * Fisher-Yates shuffle drawing from rand(o). Returns a malloc'd array of
 * size entries (the first n are the picks); the caller frees it. */
size_t *fr__randpick_shuffle(size_t size, size_t n, uint64_t (*rand)(fr_obj *), fr_obj *o);

#endif
