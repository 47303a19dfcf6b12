/* The table of types: which ops serve which type. Kept apart from
 * object.c so that the value layer does not include the types built on it
 * (each type includes object.h; only this table includes them all). */
#include "object.h"
#include "t_hash.h"
#include "t_list.h"
#include "t_set.h"
#include "t_stream.h"
#include "t_zset.h"

/* One entry per non-string type, filled in as the type files land (each
 * defines its ops and adds one line here). NULL: not implemented yet. */
const fr_type_ops *fr__type_ops(int type)
{
    switch (type) {
    case FR_TYPE_LIST: return &fr__list_ops;
    case FR_TYPE_HASH: return &fr__hash_ops;
    case FR_TYPE_SET: return &fr__set_ops;
    case FR_TYPE_ZSET: return &fr__zset_ops;
    case FR_TYPE_STREAM: return &fr__stream_ops;
    default:
        return NULL;
    }
}

/* SORT's element access per type, NULL until a type provides it. */
const fr_type_elem_ops *fr__type_elem_ops(int type)
{
    switch (type) {
    case FR_TYPE_LIST: return &fr__list_elem_ops;
    case FR_TYPE_HASH: return &fr__hash_elem_ops;
    case FR_TYPE_SET: return &fr__set_elem_ops;
    case FR_TYPE_ZSET: return &fr__zset_elem_ops;
    default:
        return NULL;
    }
}
