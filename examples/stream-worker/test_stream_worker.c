/* The consumer-group worker against a fake that kills its connection in
 * the middle of a job, cuts a reply in half, restarts with a window that
 * refuses connections, and lets a worker crash with jobs pending. After
 * each, every job must have been processed and acknowledged exactly once:
 * the fake's own state says so (inspection API), not the worker. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "fakeredis/events.h"
#include "fakeredis/fault.h"
#include "fakeredis/harness.h"
#include "fakeredis/inspect.h"
#include "stream_worker.h"

#define JOBS 25

/* A job "n=<k>" has the result "<k*k>". */
static int square(const char *id, const char *const *fields, const char *const *values, size_t n,
                  char *out, size_t cap, void *ctx)
{
    (void)id;
    (void)ctx;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(fields[i], "n")) {
            long long k = atoll(values[i]);
            snprintf(out, cap, "%lld", k * k);
            return 0;
        }
    return -1;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void add_jobs(fr_server *srv, int from, int to)
{
    for (int k = from; k <= to; k++) {
        fr_reply *r = fr_execf(srv, "XADD jobs %d-1 n %d", k, k);
        assert_non_null(r);
        assert_int_equal(r->type, FR_REPLY_STRING);
        fr_reply_free(r);
    }
}

static sworker *new_worker(fr_server *srv, const char *name, int block_ms)
{
    sworker_options o = {
        .port = fr_server_port(srv),
        .stream = "jobs",
        .group = "workers",
        .consumer = name,
        .min_idle_ms = 30000,
        .batch = 4,
        .block_ms = block_ms,
        .process = square,
    };
    sworker *w = sworker_new(&o);
    assert_non_null(w);
    return w;
}

/* Run the worker until no job is pending or unread (deadline). */
static void run_until_all_done(fr_server *srv, sworker *w)
{
    long long deadline = now_ms() + 10000;
    for (;;) {
        sworker_run_once(w);
        fr_stream_group_list *g = NULL;
        assert_int_equal(fr_stream_groups(srv, "jobs", &g), FR_OK);
        int idle = g->n == 1 && g->groups[0].pending == 0 && g->groups[0].lag == 0;
        fr_stream_groups_free(g);
        if (idle)
            return;
        assert_true(now_ms() < deadline);
    }
}

/* The fake's word for it: every job acknowledged, its result stored, and
 * its effect counted exactly once. */
static void assert_exactly_once(fr_server *srv, int jobs)
{
    fr_stream_pending_list *p = NULL;
    assert_int_equal(fr_stream_pending(srv, "jobs", "workers", NULL, &p), FR_OK);
    assert_int_equal(p->n, 0);
    fr_stream_pending_free(p);
    fr_stream_group_list *g = NULL;
    assert_int_equal(fr_stream_groups(srv, "jobs", &g), FR_OK);
    assert_int_equal(g->groups[0].entries_read, jobs);
    assert_int_equal(g->groups[0].lag, 0);
    fr_stream_groups_free(g);
    fr_stream_entries *e = NULL;
    assert_int_equal(fr_stream_range(srv, "jobs", NULL, NULL, 0, &e), FR_OK);
    assert_int_equal(e->n, (size_t)jobs);
    for (size_t i = 0; i < e->n; i++) {
        long long k = atoll(e->entries[i].values[0]);
        fr_reply *r = fr_execf(srv, "HGET jobs:done %s", e->entries[i].id);
        assert_int_equal(r->type, FR_REPLY_STRING);
        assert_string_equal(r->str, "1");
        fr_reply_free(r);
        r = fr_execf(srv, "HGET jobs:results %s", e->entries[i].id);
        assert_int_equal(r->type, FR_REPLY_STRING);
        assert_int_equal(atoll(r->str), k * k);
        fr_reply_free(r);
    }
    fr_stream_entries_free(e);
}

static void test_processes_every_job(void **state)
{
    fr_server *srv = *state;
    add_jobs(srv, 1, JOBS);
    sworker *w = new_worker(srv, "w1", 50);
    run_until_all_done(srv, w);
    assert_int_equal(sworker_done(w), JOBS);
    assert_int_equal(sworker_connects(w), 1);
    sworker_free(w);
    assert_exactly_once(srv, JOBS);
}

/* The connection dies after MULTI, before EXEC: the job stays pending for
 * this consumer, which finds it in its own history once reconnected. */
static void test_connection_killed_mid_job(void **state)
{
    fr_server *srv = *state;
    add_jobs(srv, 1, JOBS);
    uint64_t id;
    assert_int_equal(fr_fault_add_text(srv, "cmd=HINCRBY nth=3 action=close", &id), FR_OK);
    sworker *w = new_worker(srv, "w1", 50);
    run_until_all_done(srv, w);
    uint64_t hits = 0, matched = 0;
    assert_int_equal(fr_fault_hits(srv, id, &hits, &matched), FR_OK);
    assert_int_equal(hits, 1);
    assert_int_equal(sworker_connects(w), 2);
    sworker_free(w);
    assert_exactly_once(srv, JOBS);
}

/* EXEC ran, its reply is lost with the connection (RST): the job is done
 * and acknowledged, so it must not be done again. */
static void test_reply_lost_after_commit(void **state)
{
    fr_server *srv = *state;
    add_jobs(srv, 1, JOBS);
    uint64_t id;
    assert_int_equal(fr_fault_add_text(srv, "cmd=EXEC nth=5 action=cut at=half then=reset", &id),
                     FR_OK);
    sworker *w = new_worker(srv, "w1", 50);
    run_until_all_done(srv, w);
    assert_int_equal(sworker_connects(w), 2);
    sworker_free(w);
    assert_exactly_once(srv, JOBS);
}

/* A read's reply cut in half, then the connection closed: the entries
 * were delivered (pending for this consumer) but never seen; the worker
 * reads them back from its own history. */
static void test_read_reply_cut_in_half(void **state)
{
    fr_server *srv = *state;
    add_jobs(srv, 1, JOBS);
    uint64_t id;
    assert_int_equal(
        fr_fault_add_text(srv, "cmd=XREADGROUP arg=> nth=2 action=cut at=half then=close", &id),
        FR_OK);
    sworker *w = new_worker(srv, "w1", 50);
    run_until_all_done(srv, w);
    uint64_t hits = 0, matched = 0;
    assert_int_equal(fr_fault_hits(srv, id, &hits, &matched), FR_OK);
    assert_int_equal(hits, 1);
    assert_int_equal(sworker_connects(w), 2);
    sworker_free(w);
    assert_exactly_once(srv, JOBS);
}

/* The server restarts (data kept) and refuses connections for 300 ms in
 * the middle of the work: the worker keeps trying, then finishes. */
static void test_restart_with_refusal_window(void **state)
{
    fr_server *srv = *state;
    add_jobs(srv, 1, JOBS);
    sworker *w = new_worker(srv, "w1", 50);
    long long deadline = now_ms() + 5000;
    while (sworker_done(w) < 10) {
        sworker_run_once(w);
        assert_true(now_ms() < deadline);
    }
    assert_int_equal(fr_server_restart(srv, 300, 0), FR_OK);
    add_jobs(srv, JOBS + 1, JOBS + 5);
    run_until_all_done(srv, w);
    assert_true(sworker_connects(w) >= 2);
    sworker_free(w);
    assert_exactly_once(srv, JOBS + 5);
}

/* A worker crashes with jobs delivered and unacknowledged. Another one,
 * started later, takes them over once they have been idle longer than
 * min-idle (the frozen clock is moved on), and finishes the rest. */
static void test_takeover_after_crash(void **state)
{
    fr_server *srv = *state;
    add_jobs(srv, 1, JOBS);
    /* w1 takes 8 entries and "crashes": its EXEC never comes */
    uint64_t id;
    assert_int_equal(fr_fault_add_text(srv, "cmd=MULTI action=close times=1", &id), FR_OK);
    sworker *w1 = new_worker(srv, "w1", 0);
    sworker_run_once(w1); /* connect, recover (nothing), read 4 */
    sworker_free(w1);
    fr_stream_pending_list *p = NULL;
    assert_int_equal(fr_stream_pending(srv, "jobs", "workers", "w1", &p), FR_OK);
    assert_int_equal(p->n, 4);
    fr_stream_pending_free(p);

    /* too early: w2 does not touch w1's jobs, it works on new ones */
    sworker *w2 = new_worker(srv, "w2", 0);
    assert_true(sworker_run_once(w2) > 0);
    assert_int_equal(sworker_claimed(w2), 0);
    assert_int_equal(fr_stream_pending(srv, "jobs", "workers", "w1", &p), FR_OK);
    assert_int_equal(p->n, 4);
    fr_stream_pending_free(p);
    sworker_free(w2);

    /* 30 s later (on the server's clock) a fresh w2 takes them over */
    assert_int_equal(fr_clock_advance(srv, 30000), FR_OK);
    w2 = new_worker(srv, "w2", 0);
    run_until_all_done(srv, w2);
    assert_int_equal(sworker_claimed(w2), 4);
    sworker_free(w2);
    assert_exactly_once(srv, JOBS);
    fr_stream_consumer_list *c = NULL;
    assert_int_equal(fr_stream_consumers(srv, "jobs", "workers", &c), FR_OK);
    assert_int_equal(c->n, 2);
    assert_int_equal(c->consumers[0].pending, 0);
    fr_stream_consumers_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_processes_every_job, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_connection_killed_mid_job, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_reply_lost_after_commit, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_read_reply_cut_in_half, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_restart_with_refusal_window, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_takeover_after_crash, fr_fixture_setup_frozen,
                                        fr_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
