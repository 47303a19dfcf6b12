/* The one clock module: see clock.h. */
#include "clock.h"

#include <time.h>

int64_t fr__real_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t fr__real_ms(void)
{
    return fr__real_us() / 1000;
}

int64_t fr__mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t fr__mono_ms(void)
{
    return fr__mono_us() / 1000;
}

int64_t fr__clock_us(const fr_clock *k)
{
    return k->frozen ? k->frozen_us : fr__real_us() + k->offset_us;
}

int64_t fr__clock_ms(const fr_clock *k)
{
    return fr__clock_us(k) / 1000;
}

void fr__clock_freeze(fr_clock *k)
{
    if (!k->frozen) {
        k->frozen_us = fr__clock_us(k);
        k->frozen = 1;
    }
}

void fr__clock_resume(fr_clock *k)
{
    if (k->frozen) {
        k->offset_us = k->frozen_us - fr__real_us();
        k->frozen = 0;
    }
}

void fr__clock_set_us(fr_clock *k, int64_t us)
{
    if (k->frozen)
        k->frozen_us = us;
    else
        k->offset_us = us - fr__real_us();
}
