/* The small PRNG behind random members and fields
 * (xorshift64*): fast, good enough for picking, and its state lives in
 * each collection, so there is no global state. */
#ifndef FR_RNG_H
#define FR_RNG_H

#include <stdint.h>

#include "clock.h"

/* Advance the state *s (never 0) and return the next value. */
static inline uint64_t fr__rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* A non-zero seed that differs per collection (its address) and per run
 * (the monotonic clock), as Redis' random picks do not repeat across runs. */
static inline uint64_t fr__rng_seed(const void *owner)
{
    uint64_t t = (uint64_t)fr__mono_us();
    uint64_t s = (uint64_t)(uintptr_t)owner ^ (t << 20) ^ (t >> 20);
    return s ? s : 0x9E3779B97F4A7C15ULL;
}

#endif
