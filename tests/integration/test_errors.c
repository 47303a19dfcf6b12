/* The error model a user sees: every status has its own name, every wait
 * answers FR_OK or FR_ERR_TIMEOUT (or why it cannot wait), and a Redis
 * error, a missing key and a stopped server come back as different
 * statuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fakeredis/blocking.h"
#include "fakeredis/fakeredis.h"
#include "fakeredis/harness.h"
#include "fakeredis/inspect.h"
#include "support/testutil.h"

static void test_strerror_names_every_status(void **state)
{
    (void)state;
    const int all[] = {FR_OK,         FR_ERR_ARG,     FR_ERR_NOMEM,   FR_ERR_SOCKET,
                       FR_ERR_THREAD, FR_ERR_EVENT,   FR_ERR_STOPPED, FR_ERR_PARSE,
                       FR_ERR_STATE,  FR_ERR_IO,      FR_ERR_TIMEOUT, FR_ERR_REPLY,
                       FR_ERR_NOKEY};
    size_t n = sizeof all / sizeof all[0];
    for (size_t i = 0; i < n; i++) {
        const char *s = fr_strerror(all[i]);
        assert_non_null(s);
        assert_string_not_equal(s, "unknown status");
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(s, fr_strerror(all[j]));
    }
    assert_string_equal(fr_strerror(FR_ERR_TIMEOUT), "timed out");
    assert_string_equal(fr_strerror(-1000), "unknown status");
}

static int never(void *ctx)
{
    (void)ctx;
    return 0;
}

static int after_three(void *ctx)
{
    return ++*(int *)ctx >= 3;
}

static void test_wait_until(void **state)
{
    (void)state;
    int calls = 0;
    assert_int_equal(fr_wait_until(after_three, &calls, TU_WAIT_MS), FR_OK);
    assert_int_equal(calls, 3);
    long long t0 = tu_mono_ms();
    assert_int_equal(fr_wait_until(never, NULL, 30), FR_ERR_TIMEOUT);
    assert_true(tu_mono_ms() - t0 >= 30);
    /* a zero timeout still looks once */
    calls = 2;
    assert_int_equal(fr_wait_until(after_three, &calls, 0), FR_OK);
    assert_int_equal(fr_wait_until(NULL, NULL, 10), FR_ERR_ARG);
    assert_int_equal(fr_wait_until(never, NULL, -1), FR_ERR_ARG);
}

/* The three waits of the API, one convention. */
static void test_waits_time_out_alike(void **state)
{
    fr_server *srv = *state;
    assert_int_equal(fr_wait_clients(srv, 0, TU_WAIT_MS), FR_OK);
    assert_int_equal(fr_wait_clients(srv, 1, 20), FR_ERR_TIMEOUT);
    assert_int_equal(fr_blocked_wait(srv, 1, 20), FR_ERR_TIMEOUT);
    assert_int_equal(fr_blocked_wait(srv, 0, 20), FR_OK);
    redisContext *c = tu_connect(srv);
    assert_int_equal(fr_wait_clients(srv, 1, TU_WAIT_MS), FR_OK);
    redisFree(c);
    assert_int_equal(fr_wait_clients(srv, 0, TU_WAIT_MS), FR_OK);
    assert_int_equal(fr_wait_clients(NULL, 0, 10), FR_ERR_ARG);
    assert_int_equal(fr_blocked_wait(NULL, 0, 10), FR_ERR_ARG);
}

/* A server that stopped serving will not get the clients a wait lacks:
 * the wait says so at once instead of running into its deadline. */
static void test_wait_on_stopped_server(void **state)
{
    (void)state;
    fr_server *srv = tu_start();
    fr_reply_free(fr_execf(srv, "SHUTDOWN NOSAVE"));
    assert_true(fr_server_is_shut_down(srv));
    long long t0 = tu_mono_ms();
    assert_int_equal(fr_wait_clients(srv, 3, 60000), FR_ERR_STOPPED);
    assert_int_equal(fr_blocked_wait(srv, 1, 60000), FR_ERR_STOPPED);
    assert_true(tu_mono_ms() - t0 < 5000);
    fr_server_stop(srv);
}

/* An error reply is FR_ERR_REPLY with Redis' text; FR_ERR_STATE is kept
 * for "not now" (a recording already running). */
static void test_reply_error_is_not_state(void **state)
{
    fr_server *srv = *state;
    fr_reply_free(fr_execf(srv, "HSET h f v"));
    assert_int_equal(fr_set_ttl(srv, "h", 1000), 1);
    fr_reply *r = fr_execf(srv, "INCR h");
    assert_non_null(r);
    assert_int_equal(r->type, FR_REPLY_ERROR);
    fr_reply_free(r);
    assert_non_null(strstr(fr_server_errstr(srv), "WRONGTYPE"));
    char *v;
    assert_int_equal(fr_get(srv, "h", &v, NULL), FR_ERR_REPLY);
    assert_int_equal(fr_get(srv, "none", &v, NULL), FR_ERR_NOKEY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strerror_names_every_status),
        cmocka_unit_test(test_wait_until),
        cmocka_unit_test_setup_teardown(test_waits_time_out_alike, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test(test_wait_on_stopped_server),
        cmocka_unit_test_setup_teardown(test_reply_error_is_not_state, fr_fixture_setup,
                                        fr_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
