/* sentinel_follow against a fake group (a master, two replicas and a
 * Sentinel in the test's process): every write lands, through a SENTINEL
 * FAILOVER, a killed master that the Sentinel fails over by itself, and a
 * restart window (connects refused for a while, the same master after).
 * Built with SENTINEL_FOLLOW_NO_REASK these tests must fail. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fakeredis/events.h"
#include "fakeredis/fakeredis.h"
#include "fakeredis/replication.h"
#include "fakeredis/sentinel.h"
#include "sentinel_follow.h"

typedef struct fixture {
    fr_group *g;
    sf_client *c;
} fixture;

static int setup(void **state)
{
    static fixture f;
    fr_group_options o = {.replicas = 2, .sentinel = 1}; /* down-after 1000 ms */
    if (fr_group_start(&o, &f.g) != FR_OK)
        return -1;
    sf_config cfg = {.sentinel_host = "127.0.0.1",
                     .sentinel_port = fr_server_port(fr_group_sentinel(f.g)),
                     .master_name = "mymaster",
                     .give_up_ms = 5000};
    f.c = sf_open(&cfg);
    *state = &f;
    return f.c ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sf_close(f->c);
    fr_group_stop(f->g);
    return 0;
}

static void write_keys(sf_client *c, int from, int to)
{
    for (int i = from; i < to; i++) {
        redisReply *r = sf_command(c, "SET k%d %d", i, i);
        if (!r)
            fail_msg("SET k%d: %s", i, sf_error(c));
        assert_int_equal(r->type, REDIS_REPLY_STATUS);
        freeReplyObject(r);
    }
}

/* Every key, read through the client (so from the master it follows). */
static void check_keys(sf_client *c, int n)
{
    for (int i = 0; i < n; i++) {
        redisReply *r = sf_command(c, "GET k%d", i);
        assert_non_null(r);
        assert_int_equal(r->type, REDIS_REPLY_STRING);
        assert_int_equal(atoi(r->str), i);
        freeReplyObject(r);
    }
}

static void test_manual_failover(void **state)
{
    fixture *f = *state;
    write_keys(f->c, 0, 50);
    int first = sf_master_port(f->c);
    assert_int_equal(fr_group_wait_synced(f->g, 2000), FR_OK);
    assert_int_equal(fr_group_failover(f->g), FR_OK);
    write_keys(f->c, 50, 100);
    assert_int_not_equal(sf_master_port(f->c), first);
    assert_int_equal(sf_master_port(f->c), fr_server_port(fr_group_master(f->g)));
    check_keys(f->c, 100);
}

static void test_killed_master(void **state)
{
    fixture *f = *state;
    write_keys(f->c, 0, 50);
    int first = sf_master_port(f->c);
    assert_int_equal(fr_group_wait_synced(f->g, 2000), FR_OK);
    /* a quick verdict, so the client's wait is short */
    assert_int_equal(
        fr_sentinel_set(fr_group_sentinel(f->g), "mymaster", "down-after-milliseconds", "200"),
        FR_OK);
    assert_int_equal(fr_group_kill(f->g, 0), FR_OK);
    write_keys(f->c, 50, 100); /* refused until the Sentinel fails over */
    assert_int_not_equal(sf_master_port(f->c), first);
    assert_true(sf_sentinel_asks(f->c) > 1);
    check_keys(f->c, 100);
}

/* The master is down for less than down-after: no failover; the client
 * retries the same master until it is back. */
static void test_restart_window(void **state)
{
    fixture *f = *state;
    fr_server *sen = fr_group_sentinel(f->g);
    assert_int_equal(fr_sentinel_set(sen, "mymaster", "down-after-milliseconds", "5000"), FR_OK);
    write_keys(f->c, 0, 50);
    int first = sf_master_port(f->c);
    assert_int_equal(fr_server_restart(fr_group_server(f->g, 0), 500, 0), FR_OK);
    write_keys(f->c, 50, 100);
    assert_int_equal(sf_master_port(f->c), first);
    check_keys(f->c, 100);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN); /* a write to a killed master: an error, not a death */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_manual_failover, setup, teardown),
        cmocka_unit_test_setup_teardown(test_killed_master, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_window, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
