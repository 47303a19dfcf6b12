/* See histogram.h. */
#include "histogram.h"

#include <stdlib.h>
#include <string.h>

#include "base.h"

fr_hist *fr__hist_new(void)
{
    return fr__xcalloc(1, sizeof(fr_hist));
}

void fr__hist_free(fr_hist *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < FR_HIST_BUCKETS / FR_HIST_BLOCK; i++)
        free(h->blk[i]);
    free(h);
}

static uint32_t count_at(const fr_hist *h, int b)
{
    const uint32_t *blk = h->blk[b / FR_HIST_BLOCK];
    return blk ? blk[b % FR_HIST_BLOCK] : 0;
}

static int bucket_of(int64_t v)
{
    if (v < 256)
        return (int)v;
    int k = 63 - __builtin_clzll((unsigned long long)v);
    return 256 + (k - 8) * 128 + (int)((v >> (k - 7)) - 128);
}

static int64_t highest_of(int idx)
{
    if (idx < 256)
        return idx;
    int k = 8 + (idx - 256) / 128;
    int64_t sub = 128 + (idx - 256) % 128;
    return (sub << (k - 7)) + ((int64_t)1 << (k - 7)) - 1;
}

void fr__hist_record(fr_hist *h, int64_t ns)
{
    if (ns < 1)
        ns = 1;
    if (ns > FR_HIST_MAX_NS)
        ns = FR_HIST_MAX_NS;
    int b = bucket_of(ns);
    uint32_t **blk = &h->blk[b / FR_HIST_BLOCK];
    if (!*blk)
        *blk = fr__xcalloc(FR_HIST_BLOCK, sizeof **blk);
    (*blk)[b % FR_HIST_BLOCK]++;
    h->total++;
    if (b > h->top)
        h->top = b;
}

int64_t fr__hist_percentile(const fr_hist *h, double p)
{
    if (!h->total)
        return 0;
    uint64_t want = (uint64_t)(p / 100.0 * (double)h->total + 0.5);
    if (want < 1)
        want = 1;
    uint64_t cum = 0;
    for (int i = 0; i <= h->top; i++) {
        cum += count_at(h, i);
        if (cum >= want)
            return highest_of(i);
    }
    return highest_of(h->top);
}

int fr__hist_log_buckets(const fr_hist *h, void (*fn)(void *ctx, int64_t us, uint64_t cum),
                         void *ctx)
{
    uint64_t cum = 0, prev = 0;
    int i = 0, out = 0;
    for (int64_t level = 1024; cum < h->total; level *= 2) {
        int last = bucket_of(level);
        if (last >= FR_HIST_BUCKETS)
            last = FR_HIST_BUCKETS - 1;
        for (; i <= last && i < FR_HIST_BUCKETS; i++)
            cum += count_at(h, i);
        if (cum > prev) {
            fn(ctx, highest_of(last) / 1000, cum);
            out++;
        }
        prev = cum;
        if (level > FR_HIST_MAX_NS)
            break;
    }
    return out;
}
