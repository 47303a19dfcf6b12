/* What the harness' files share and do not export. */
#ifndef FR_HARNESS_INTERNAL_H
#define FR_HARNESS_INTERNAL_H

#include <stdint.h>

#include "fakeredis/harness.h"

/* Monotonic time in microseconds: the one clock of the harness, for wait
 * deadlines and replay timing (never the wall clock, which may jump). */
int64_t fr__harness_mono_us(void);

/* Sleep us microseconds (<= 0: not at all), resumed after a signal. */
void fr__harness_sleep_us(int64_t us);

/* Set the text fr_wait_message() returns on this thread. */
void fr__harness_set_message(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The wait of harness.h over several servers: pred (called with srvs[0])
 * is checked again whenever any of them changes (a stopped one aside);
 * base NULL blocks, or runs srvs[0]'s base when it is attached. */
int fr__harness_wait(struct event_base *base, fr_server *const *srvs, int nsrv, fr_wait_pred *pred,
                     void *ctx, const char *what, int timeout_ms);

/* The per-server part of fr_fixture_reset (the journal aside): close the
 * clients (keep_replicas: not the replicas' links) and wait until they
 * are gone, clear the fault rules, resume processing and listening,
 * flush (when flush), reset the ACL users and the clock (frozen again
 * when frozen). FR_OK or a negative fr_status. */
int fr__harness_reset_server(fr_server *srv, int keep_replicas, int flush, int frozen);

#endif
