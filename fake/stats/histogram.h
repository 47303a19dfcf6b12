/* A latency histogram with the bucket layout of an HdrHistogram of two
 * significant digits over 1 ns .. 1 s (what Redis keeps per command), so
 * that percentiles and the buckets of LATENCY HISTOGRAM are the values
 * Redis would print for the same durations: exact below 256 ns, then 128
 * buckets per power of two. Values are nanoseconds, clamped to the range.
 * Counts are 32-bit, in blocks of 128 buckets (one power of two) made
 * when first used: a command whose times span five powers of two costs
 * under 3 KB, not the 12 KB of every bucket. */
#ifndef FR_HISTOGRAM_H
#define FR_HISTOGRAM_H

#include <stdint.h>

#define FR_HIST_MAX_NS 1000000000LL
#define FR_HIST_BUCKETS 3072
#define FR_HIST_BLOCK 128

typedef struct fr_hist {
    uint64_t total;
    int top; /* highest bucket used */
    uint32_t *blk[FR_HIST_BUCKETS / FR_HIST_BLOCK];
} fr_hist;

fr_hist *fr__hist_new(void);
void fr__hist_free(fr_hist *h); /* NULL: no-op */
void fr__hist_record(fr_hist *h, int64_t ns);
/* The highest value (ns) equivalent to the bucket holding percentile p
 * (0..100], as hdr_value_at_percentile; 0 when empty. */
int64_t fr__hist_percentile(const fr_hist *h, double p);
/* LATENCY HISTOGRAM's buckets: for each power of two from 1024 ns, the
 * bucket's highest value in microseconds and the cumulative count, only
 * where the count grew. Calls fn for each; returns how many. */
int fr__hist_log_buckets(const fr_hist *h, void (*fn)(void *ctx, int64_t us, uint64_t cum),
                         void *ctx);

#endif
