/* Record what a client sends and receives, then turn it into a regression
 * test.
 *
 * 1. record: the retrying client (examples/retry) runs a session against a
 *    fake that answers its first GET with -LOADING, while the fake records
 *    every event (fr_record_start): commands, replies, the fault.
 * 2. replay: the recording's commands go to a fresh fake and its replies
 *    are compared with the recorded ones (fr_replay): the server side of
 *    the session is unchanged (what came after the fault is not compared).
 * 3. playback: a fake answers from the recording alone (fr_playback_load),
 *    -LOADING included, with no rule and no data: the client must retry to
 *    get through, exactly as it did. That is the regression test: keep the
 *    .rec file with the tests and the client is checked against the
 *    recorded conversation forever. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fakeredis/cmocka.h"
#include "fakeredis/fault.h"
#include "fakeredis/harness.h"
#include "fakeredis/playback.h"
#include "fakeredis/record.h"
#include "fakeredis/recording.h"
#include "retry.h"

static char rec_path[64];

/* The client's session: what the regression test pins down. */
static void session(int port)
{
    retry_config cfg = {.port = port, .timeout_ms = 1000, .attempts = 5};
    retry_client *rc = retry_open(&cfg);
    redisReply *r = retry_command(rc, "SET user:1 alice");
    assert_non_null(r);
    assert_string_equal(r->str, "OK");
    freeReplyObject(r);
    r = retry_command(rc, "GET user:1"); /* -LOADING first: it retries */
    if (!r || r->type != REDIS_REPLY_STRING)
        fail_msg("GET user:1: %s", r ? r->str : retry_error(rc));
    assert_string_equal(r->str, "alice");
    freeReplyObject(r);
    r = retry_command(rc, "INCR visits");
    assert_non_null(r);
    assert_int_equal(r->integer, 1);
    freeReplyObject(r);
    retry_close(rc);
}

static void test_1_record(void **state)
{
    fr_fixture *fx = *state;
    snprintf(rec_path, sizeof rec_path, "/tmp/fr-replay-%ld.rec", (long)getpid());
    assert_int_equal(fr_fault_add_text(fx->srv, "cmd=GET once action=error err=loading", NULL),
                     FR_OK);
    assert_int_equal(fr_record_start(fx->srv, rec_path), FR_OK);
    session(fx->port);
    fr_assert_wait(fr_wait_clients(fx->srv, 0, 5000));
    assert_int_equal(fr_record_stop(fx->srv), FR_OK);
    fr_assert_seen_times(fx->srv, "GET user:1", 2);

    /* what was recorded, readable: fakeredis-replay print does the same */
    fr_recording *r;
    char err[256];
    assert_int_equal(fr_recording_open(rec_path, &r, err, sizeof err), FR_OK);
    const fr_rec_event *ev;
    int commands = 0, faults = 0;
    while (fr_recording_next(r, &ev) == 1) {
        commands += ev->type == FR_REC_COMMAND;
        faults += ev->type == FR_REC_FAULT;
    }
    fr_recording_close(r);
    assert_int_equal(commands, 4); /* SET, GET (-LOADING), GET, INCR */
    assert_int_equal(faults, 1);
}

static void test_2_replay_against_a_fresh_fake(void **state)
{
    fr_fixture *fx = *state;
    fr_replay_options o = {.port = fx->port};
    fr_replay_result res;
    assert_int_equal(fr_replay(rec_path, &o, &res), FR_OK);
    assert_int_equal(res.commands, 4);
    if (res.differences)
        fail_msg("%llu replies differ; first: %s: expected '%s', got '%s'",
                 (unsigned long long)res.differences, res.diffs[0].command,
                 res.diffs[0].expected, res.diffs[0].got);
    assert_true(res.compared >= 1);
    fr_replay_result_free(&res);
}

static void test_3_playback_regression(void **state)
{
    fr_fixture *fx = *state;
    assert_int_equal(fr_playback_load(fx->srv, rec_path, 0), FR_OK);
    session(fx->port); /* the same conversation, answered from the file */
    uint64_t served = 0, mismatches = 0;
    char first[256];
    assert_int_equal(fr_playback_result(fx->srv, &served, &mismatches, first, sizeof first), FR_OK);
    if (mismatches)
        fail_msg("the client strayed from the recording: %s", first);
    assert_int_equal(served, 4);
    fr_assert_seen_times(fx->srv, "GET user:1", 2); /* it retried, as recorded */
    assert_int_equal(fr_playback_end(fx->srv), FR_OK);
}

static int cleanup(void **state)
{
    (void)state;
    if (rec_path[0])
        unlink(rec_path);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        FR_TEST(test_1_record, NULL),
        FR_TEST(test_2_replay_against_a_fresh_fake, NULL),
        FR_TEST(test_3_playback_regression, NULL),
    };
    return cmocka_run_group_tests(tests, NULL, cleanup);
}
