/*
 * fixture: what the harness' fixture costs a test, measured inside cmocka:
 * FR_TEST's setup (fr_fixture_start: a threaded fake), the test connecting
 * with hiredis and sending PING, and the teardown (fr_fixture_stop); and
 * the group fixture's per-test reset (fr_group_test_setup) for comparison.
 * Prints the median, p90 and max in microseconds over ROUNDS tests
 * (default 300) of each kind.
 *
 * usage: fixture [ROUNDS]
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "benchutil.h"
#include "fakeredis/harness.h"

static int64_t *samples;
static size_t nsamples;
static int64_t t0;

static int timed_setup(void **state)
{
    t0 = bu_now_ns();
    return fr_fixture_start(state);
}

static int timed_teardown(void **state)
{
    int rc = fr_fixture_stop(state);
    samples[nsamples++] = bu_now_ns() - t0;
    return rc;
}

static int timed_group_setup(void **state)
{
    t0 = bu_now_ns();
    return fr_group_test_setup(state);
}

static int timed_group_teardown(void **state)
{
    (void)state;
    samples[nsamples++] = bu_now_ns() - t0;
    return 0;
}

static void test_ping(void **state)
{
    fr_fixture *fx = *state;
    redisContext *c = redisConnect("127.0.0.1", fx->port);
    assert_non_null(c);
    assert_int_equal(c->err, 0);
    redisReply *r = redisCommand(c, "PING");
    assert_non_null(r);
    assert_string_equal(r->str, "PONG");
    freeReplyObject(r);
    redisFree(c);
}

static int cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void report(const char *what)
{
    qsort(samples, nsamples, sizeof *samples, cmp);
    printf("%-44s median %7.0f us   p90 %7.0f us   max %7.0f us   (%zu tests)\n", what,
           samples[nsamples / 2] / 1e3, samples[nsamples * 9 / 10] / 1e3,
           samples[nsamples - 1] / 1e3, nsamples);
}

int main(int argc, char **argv)
{
    size_t rounds = argc > 1 ? (size_t)atol(argv[1]) : 300;
    if (rounds < 1)
        rounds = 1;
    samples = calloc(rounds, sizeof *samples);
    struct CMUnitTest *tests = calloc(rounds, sizeof *tests);
    for (size_t i = 0; i < rounds; i++)
        tests[i] = (struct CMUnitTest){"fixture", test_ping, timed_setup, timed_teardown, NULL};
    /* cmocka prints a line per test: keep them off the report */
    FILE *keep = stdout;
    stdout = fopen("/dev/null", "w");
    int failed = _cmocka_run_group_tests("fixture", tests, rounds, NULL, NULL);
    fclose(stdout);
    stdout = keep;
    if (failed) {
        fprintf(stderr, "fixture: %d tests failed\n", failed);
        return 1;
    }
    report("FR_TEST: start + connect + PING + stop");
    fflush(stdout);

    nsamples = 0;
    for (size_t i = 0; i < rounds; i++)
        tests[i] =
            (struct CMUnitTest){"group", test_ping, timed_group_setup, timed_group_teardown, NULL};
    stdout = fopen("/dev/null", "w");
    failed = _cmocka_run_group_tests("group", tests, rounds, fr_group_setup, fr_group_teardown);
    fclose(stdout);
    stdout = keep;
    if (failed) {
        fprintf(stderr, "fixture: %d group tests failed\n", failed);
        return 1;
    }
    report("FR_GROUP_TEST: reset + connect + PING");
    fflush(stdout);
    free(tests);
    free(samples);
    return 0;
}
