/* What the harness' files share and do not export. */
#ifndef FR_HARNESS_INTERNAL_H
#define FR_HARNESS_INTERNAL_H

#include <stdint.h>

/* Monotonic time in microseconds: the one clock of the harness, for wait
 * deadlines and replay timing (never the wall clock, which may jump). */
int64_t fr__harness_mono_us(void);

/* Sleep us microseconds (<= 0: not at all), resumed after a signal. */
void fr__harness_sleep_us(int64_t us);

/* Set the text fr_wait_message() returns on this thread. */
void fr__harness_set_message(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
