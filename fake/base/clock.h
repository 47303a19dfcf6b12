/* The server's one clock. Expiry, TTLs, TIME and blocking timeouts read it.
 * Running, it is real time plus an offset (so fr_clock_set and advance
 * work while it runs); frozen, it stands at one reading until moved. */
#ifndef FR_CLOCK_H
#define FR_CLOCK_H

#include <stdint.h>

typedef struct fr_clock {
    int frozen;
    int64_t offset_us; /* running: reading = real + offset */
    int64_t frozen_us; /* frozen: the reading */
} fr_clock;

/* The one place that reads the system's clocks. Real (wall) time for what
 * a user sees as dates (TIME, TTLs, CLIENT LIST ages); monotonic time for
 * intervals and budgets, which must not jump when the wall clock does. */
int64_t fr__real_us(void);
int64_t fr__real_ms(void);
int64_t fr__mono_us(void);
int64_t fr__mono_ms(void);

/* The server clock: real time, or frozen and moved by the test. */
int64_t fr__clock_us(const fr_clock *k);
int64_t fr__clock_ms(const fr_clock *k);
void fr__clock_freeze(fr_clock *k);
void fr__clock_resume(fr_clock *k);
void fr__clock_set_us(fr_clock *k, int64_t us);

#endif
