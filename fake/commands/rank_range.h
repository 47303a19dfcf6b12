/* The start/stop pair of LRANGE, LTRIM, ZRANGE (by rank) and
 * ZREMRANGEBYRANK, read as Redis reads it for lists and sorted sets. */
#ifndef FR_RANK_RANGE_H
#define FR_RANK_RANGE_H

/* Negative indexes count from the end (-1 is the last of len elements),
 * then the pair is clamped to [0, len). Returns 0 when nothing is left,
 * else 1 with *start..*stop (inclusive) a valid range. */
static inline int fr__rank_range(long long *start, long long *stop, long long len)
{
    if (*start < 0)
        *start += len;
    if (*stop < 0)
        *stop += len;
    if (*start < 0)
        *start = 0;
    if (*start > *stop || *start >= len)
        return 0;
    if (*stop >= len)
        *stop = len - 1;
    return 1;
}

#endif
