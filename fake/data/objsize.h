/* Memory sizes as Redis 7.0 would report them (MEMORY USAGE), computed
 * from a value's content and the encoding Redis would give it: robj
 * headers, sds headers, dict entries and tables, listpack and intset
 * bytes, quicklist nodes, each rounded up to jemalloc's size class, with
 * Redis' sampling of big collections (the first `samples` elements, their
 * average times the count; 0 samples all). Strings, integers, listpack
 * hashes and sorted sets, intsets and lists up to a node come out exact;
 * hash tables and skiplists within a few percent (Redis' own tables and
 * skiplist levels are not the fake's); streams roughly. The same numbers
 * are the fake's memory accounting for maxmemory (evict/). Loop thread. */
#ifndef FR_OBJSIZE_H
#define FR_OBJSIZE_H

#include <stddef.h>

#include "object.h"

/* jemalloc's size class for an allocation of n bytes. */
size_t fr__mem_class(size_t n);
/* An sds string of len bytes (header by length, as sdsnewlen). */
size_t fr__mem_sds(size_t len);
/* The value (Redis' objectComputeSize). lim: the list node limits. */
size_t fr__mem_value(const fr_obj *o, size_t samples, const fr_enc_limits *lim);
/* A key with its value: value + key sds + its dict entry (MEMORY USAGE). */
size_t fr__mem_key(size_t klen, const fr_obj *o, size_t samples, const fr_enc_limits *lim);

#endif
