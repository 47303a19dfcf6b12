/* The retrying client against a fake that answers -LOADING and -BUSY,
 * stalls a command past the client's timeout, resets the connection
 * mid-command, and refuses connects for a while. The journal shows what
 * the client really sent: each retry is one more command. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fakeredis/cmocka.h"
#include "fakeredis/fault.h"
#include "fakeredis/harness.h"
#include "fakeredis/inspect.h"
#include "retry.h"

static retry_client *client(fr_fixture *fx, int timeout_ms, int attempts)
{
    retry_config cfg = {.port = fx->port, .timeout_ms = timeout_ms, .attempts = attempts};
    retry_client *rc = retry_open(&cfg);
    assert_non_null(rc);
    return rc;
}

static void rule(fr_fixture *fx, const char *text)
{
    if (fr_fault_add_text(fx->srv, text, NULL) != FR_OK)
        fail_msg("rule '%s': %s", text, fr_server_errstr(fx->srv));
}

static void expect_get(retry_client *rc, const char *key, const char *want)
{
    redisReply *r = retry_command(rc, "GET %s", key);
    if (!r)
        fail_msg("GET %s failed after %d attempts: %s", key, retry_last_attempts(rc),
                 retry_error(rc));
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    assert_string_equal(r->str, want);
    freeReplyObject(r);
}

/* -LOADING twice, then the value: three GETs went out */
static void test_retries_loading(void **state)
{
    fr_fixture *fx = *state;
    assert_int_equal(fr_set(fx->srv, "user:1", "alice"), FR_OK);
    rule(fx, "cmd=GET times=2 action=error err=loading");
    retry_client *rc = client(fx, 1000, 5);
    expect_get(rc, "user:1", "alice");
    assert_int_equal(retry_last_attempts(rc), 3);
    fr_assert_seen_times(fx->srv, "GET user:1", 3);
    fr_assert_retries_at_most(fx->srv, "GET user:1", fx->mark, 2);
    retry_close(rc);
}

/* -BUSY forever: it gives up after its attempts, and no more */
static void test_gives_up_on_busy(void **state)
{
    fr_fixture *fx = *state;
    rule(fx, "cmd=GET action=error err=busy");
    retry_client *rc = client(fx, 1000, 4);
    redisReply *r = retry_command(rc, "GET k");
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_true(!strncmp(r->str, "BUSY ", 5));
    freeReplyObject(r);
    fr_assert_seen_times(fx->srv, "GET k", 4);
    retry_close(rc);
}

/* WRONGTYPE is not retried: retrying would not change it */
static void test_no_retry_on_wrongtype(void **state)
{
    fr_fixture *fx = *state;
    fr_reply_free(fr_execf(fx->srv, "LPUSH list x"));
    retry_client *rc = client(fx, 1000, 5);
    redisReply *r = retry_command(rc, "GET list");
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    freeReplyObject(r);
    fr_assert_seen_times(fx->srv, "GET list", 1);
    retry_close(rc);
}

/* the first GET is stalled past the client's 100 ms timeout: it drops the
 * connection, reconnects and asks again */
static void test_retries_after_timeout(void **state)
{
    fr_fixture *fx = *state;
    assert_int_equal(fr_set(fx->srv, "k", "v"), FR_OK);
    assert_true(fr_scenario_stall(fx->srv, "GET", 400) > 0);
    retry_client *rc = client(fx, 100, 5);
    expect_get(rc, "k", "v");
    assert_int_equal(retry_connects(rc), 2);
    fr_journal_query q = {.command = "GET k"};
    fr_assert_journal(fx->srv, &q, 2, 2);
    retry_close(rc);
}

/* a reset in the middle of the command: reconnect and retry */
static void test_retries_after_reset(void **state)
{
    fr_fixture *fx = *state;
    assert_int_equal(fr_set(fx->srv, "k", "v"), FR_OK);
    rule(fx, "cmd=GET once action=reset");
    retry_client *rc = client(fx, 1000, 5);
    expect_get(rc, "k", "v");
    assert_int_equal(retry_connects(rc), 2);
    fr_assert_seen_times(fx->srv, "GET k", 2);
    retry_close(rc);
}

/* the reply cut half way, then FIN: the client must not take half a value */
static void test_retries_after_cut_reply(void **state)
{
    fr_fixture *fx = *state;
    assert_int_equal(fr_set(fx->srv, "k", "a-long-enough-value"), FR_OK);
    rule(fx, "cmd=GET once action=cut at=half then=close");
    retry_client *rc = client(fx, 1000, 5);
    expect_get(rc, "k", "a-long-enough-value");
    fr_assert_seen_times(fx->srv, "GET k", 2);
    retry_close(rc);
}

/* connects refused for a while (the port is closed): it keeps trying */
static void test_retries_refused_connects(void **state)
{
    fr_fixture *fx = *state;
    assert_int_equal(fr_set(fx->srv, "k", "v"), FR_OK);
    rule(fx, "on=accept action=refuse for=100ms");
    retry_client *rc = client(fx, 1000, 8);
    expect_get(rc, "k", "v");
    assert_true(retry_last_attempts(rc) > 1);
    fr_assert_seen_times(fx->srv, "GET k", 1);
    retry_close(rc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        FR_TEST(test_retries_loading, NULL),
        FR_TEST(test_gives_up_on_busy, NULL),
        FR_TEST(test_no_retry_on_wrongtype, NULL),
        FR_TEST(test_retries_after_timeout, NULL),
        FR_TEST(test_retries_after_reset, NULL),
        FR_TEST(test_retries_after_cut_reply, NULL),
        FR_TEST(test_retries_refused_connects, NULL),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
