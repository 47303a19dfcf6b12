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
 * Waits: every function that waits, here and in the other headers
 * (fr_blocked_wait() in blocking.h), takes a timeout in milliseconds of real
 * time and returns FR_OK when what it waits for happened, FR_ERR_TIMEOUT
 * when the deadline passed first, or another negative fr_status when it
 * cannot wait at all (FR_ERR_ARG, FR_ERR_STOPPED). So a test asserts
 *
 *     assert_int_equal(fr_wait_clients(srv, 0, 1000), FR_OK);
 *
 * Library: fakeredis::harness (libfakeredis-harness). Every function may be
 * called from any thread; the waits block the caller (for an attached
 * server, not from the thread that runs its event_base: nothing would
 * move while it waits).
 */
#ifndef FAKEREDIS_HARNESS_H
#define FAKEREDIS_HARNESS_H

#include "fakeredis/fakeredis.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Start a threaded server with default options on an ephemeral port;
 *  *state becomes the fr_server*. Returns 0, or -1 (cmocka then fails the
 *  test) with the reason on stderr: a fixture is test code, so it prints,
 *  unlike the library. */
FR_API int fr_fixture_setup(void **state);
/** The same with the clock frozen (fr_clock_advance moves it). */
FR_API int fr_fixture_setup_frozen(void **state);
/** Stop the server in *state (fr_server_stop) and set *state to NULL.
 *  Returns 0. */
FR_API int fr_fixture_teardown(void **state);

/**
 * Call pred(ctx) until it returns nonzero or timeout_ms passes, sleeping
 * 1 ms between calls (pred is called at least once, also with a timeout
 * of 0). Returns FR_OK when pred became true, FR_ERR_TIMEOUT, or
 * FR_ERR_ARG (NULL pred, negative timeout).
 */
FR_API int fr_wait_until(int (*pred)(void *ctx), void *ctx, int timeout_ms);

/** Wait until the server has exactly n clients, as fr_server_client_count
 *  counts them: a closing client counts until it is freed with its
 *  subscriptions and blocked keys, so n = 0 means they are all gone.
 *  fr_exec's pseudo client never counts. Returns FR_OK, FR_ERR_TIMEOUT,
 *  FR_ERR_STOPPED (the server is gone) or FR_ERR_ARG (NULL server,
 *  negative n or timeout). */
FR_API int fr_wait_clients(fr_server *srv, int n, int timeout_ms);

#ifdef __cplusplus
}
#endif

#endif /* FAKEREDIS_HARNESS_H */
