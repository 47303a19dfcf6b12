/*
 * Test harness: cmocka-style fixtures and waits with deadlines.
 *
 * Fixtures follow cmocka's signature (int fn(void **state)) without
 * depending on cmocka: pass them to cmocka_unit_test_setup_teardown() or
 * cmocka_run_group_tests(). After setup, *state is the fr_server*.
 *
 *   static void test_ping(void **state) {
 *       fr_server *srv = *state;
 *       redisContext *c = redisConnect("127.0.0.1", fr_server_port(srv));
 *       ...
 *   }
 *   cmocka_unit_test_setup_teardown(test_ping, fr_fixture_setup,
 *                                   fr_fixture_teardown)
 *
 * Every function may be called from any thread.
 */
#ifndef FAKEREDIS_HARNESS_H
#define FAKEREDIS_HARNESS_H

#include "fakeredis/fakeredis.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Start a threaded server with default options on an ephemeral port;
 *  *state becomes the fr_server*. Returns 0, or -1 (cmocka then fails the
 *  test) with the reason on stderr. */
FR_API int fr_fixture_setup(void **state);
/** The same with the clock frozen (fr_clock_advance moves it). */
FR_API int fr_fixture_setup_frozen(void **state);
/** Stop the server in *state (fr_server_stop) and set *state to NULL.
 *  Returns 0. */
FR_API int fr_fixture_teardown(void **state);

/**
 * Call pred(ctx) until it returns nonzero or timeout_ms passes, sleeping
 * 1 ms between calls. Returns 1 if pred became true, 0 on timeout.
 */
FR_API int fr_wait_until(int (*pred)(void *ctx), void *ctx, int timeout_ms);

/** Wait until the server has exactly n clients, as fr_server_client_count
 *  counts them: a closing client counts until it is freed with its
 *  subscriptions and blocked keys, so n = 0 means they are all gone.
 *  fr_exec's pseudo client never counts. Returns 1, or 0 on timeout. */
FR_API int fr_wait_clients(fr_server *srv, int n, int timeout_ms);

#ifdef __cplusplus
}
#endif

#endif /* FAKEREDIS_HARNESS_H */
