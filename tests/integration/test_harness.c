/* The harness itself: waits on server events (blocking the thread, or
 * running the test's own event_base with a hiredis async client), their
 * timeout messages, the checks and their reports, fixtures with options
 * and user state, the group fixture, scenario helpers, and servers in
 * their own process (fakeredis-server killed, frozen, restarted; a real
 * redis-server when installed). */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "fakeredis/cmocka.h"
#include "fakeredis/events.h"
#include "fakeredis/fault.h"
#include "fakeredis/harness.h"
#include "fakeredis/inspect.h"
#include "fakeredis/proc.h"
#include "support/rawsock.h"
#include "support/testutil.h"

/* ---- waits, blocking the thread ------------------------------------------------ */

typedef struct delayed {
    int port;
    int delay_ms;
    const char *const *cmds;
} delayed;

/* Another thread that connects after a while and sends commands. */
static void *client_later(void *arg)
{
    delayed *d = arg;
    usleep((useconds_t)d->delay_ms * 1000);
    redisContext *c = redisConnect("127.0.0.1", d->port);
    for (const char *const *p = d->cmds; *p; p++)
        freeReplyObject(redisCommand(c, *p));
    redisFree(c);
    return NULL;
}

static void test_waits_block_until_events(void **state)
{
    fr_fixture *fx = *state;
    static const char *const cmds[] = {"CLIENT SETNAME late", "SET k v", "GET k", "GET k", NULL};
    delayed d = {fx->port, 50, cmds};
    pthread_t t;
    long long t0 = tu_mono_ms();
    pthread_create(&t, NULL, client_later, &d);
    fr_assert_wait(fr_wait_command(fx->srv, "GET k", fx->mark, 5000));
    fr_assert_wait(fr_wait_key(fx->srv, "k", "v", 5000));
    fr_journal_query q = {.command = "GET", .client = "late"};
    fr_assert_wait(fr_wait_journal(fx->srv, &q, 2, 5000));
    pthread_join(t, NULL);
    fr_assert_wait(fr_wait_clients(fx->srv, 0, 5000));
    assert_true(tu_mono_ms() - t0 < 4000);
    fr_assert_seen_times(fx->srv, "GET k", 2);
    fr_assert_sequence(fx->srv, fx->mark, "CLIENT SETNAME *", "SET k v", "GET k");
}

static void test_wait_timeout_says_what_it_saw(void **state)
{
    fr_fixture *fx = *state;
    redisContext *c = tu_connect(fx->srv);
    tu_cmd_ok(c, "SET k other");
    long long t0 = tu_mono_ms();
    assert_int_equal(fr_wait_key(fx->srv, "k", "v", 150), FR_ERR_TIMEOUT);
    assert_true(tu_mono_ms() - t0 >= 140);
    assert_string_equal(fr_wait_message(),
                        "waited 150 ms for key 'k' = \"v\"; saw 'k' = \"other\"");
    assert_int_equal(fr_wait_command(fx->srv, "DEL k", 0, 50), FR_ERR_TIMEOUT);
    assert_non_null(strstr(fr_wait_message(), "1 entry matching 'DEL k'; saw 0"));
    assert_non_null(strstr(fr_wait_message(), "SET \"k\" \"other\" -> +"));
    assert_int_equal(fr_wait_clients(fx->srv, 3, 30), FR_ERR_TIMEOUT);
    assert_string_equal(fr_wait_message(), "waited 30 ms for 3 clients; saw 1 client");
    redisFree(c);
}

/* ---- waits running the test's own base (hiredis async) ---------------------------- */

typedef struct async_state {
    int subscribed;
    int messages;
} async_state;

static void on_sub(redisAsyncContext *ac, void *reply, void *priv)
{
    async_state *s = priv;
    redisReply *r = reply;
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 3) {
        if (!strcmp(r->element[0]->str, "subscribe") || !strcmp(r->element[0]->str, "psubscribe"))
            s->subscribed++;
        else
            s->messages++;
    }
}

/* A threaded server, an async client on the test's base: the wait runs
 * the base, so the client's commands go out while it waits. */
static void test_wait_on_base_threaded_server(void **state)
{
    fr_fixture *fx = *state;
    struct event_base *base = event_base_new();
    redisAsyncContext *ac = redisAsyncConnect("127.0.0.1", fx->port);
    redisLibeventAttach(ac, base);
    async_state s = {0};
    redisAsyncCommand(ac, NULL, NULL, "CLIENT SETNAME sub");
    redisAsyncCommand(ac, on_sub, &s, "SUBSCRIBE news alerts");
    redisAsyncCommand(ac, on_sub, &s, "PSUBSCRIBE user:*");
    static const char *const ch[] = {"alerts", "news", NULL};
    static const char *const pa[] = {"user:*", NULL};
    fr_assert_wait(fr_wait_subscribed_on(base, fx->srv, "sub", ch, pa, 5000));
    assert_int_equal(fr_pubsub_publish(fx->srv, FR_SUB_CHANNEL, "news", 4, "x", 1), 1);
    fr_assert_wait(fr_wait_command_on(base, fx->srv, "PSUBSCRIBE user:*", 0, 5000));
    /* the message reaches the client only if its loop runs: wait for it */
    uint64_t m;
    fr_journal_mark(fx->srv, &m);
    redisAsyncCommand(ac, NULL, NULL, "PING");
    fr_assert_wait(fr_wait_command_on(base, fx->srv, "PING", m, 5000));
    assert_true(s.messages >= 0);
    /* a timeout on the base form says what it saw */
    static const char *const only[] = {"news", NULL};
    assert_int_equal(fr_wait_subscribed_on(base, fx->srv, "sub", only, NULL, 50), FR_ERR_TIMEOUT);
    assert_non_null(strstr(fr_wait_message(), "channels [\"alerts\", \"news\"] patterns [\"user:*\"]"));
    redisAsyncFree(ac);
    event_base_free(base);
}

/* An attached server: fr_wait_* from its thread runs its base. */
static void test_wait_attached_server(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    fr_server *srv;
    assert_int_equal(fr_server_attach(base, NULL, &srv), FR_OK);
    assert_ptr_equal(fr_server_base(srv), base);
    redisAsyncContext *ac = redisAsyncConnect("127.0.0.1", fr_server_port(srv));
    redisLibeventAttach(ac, base);
    redisAsyncCommand(ac, NULL, NULL, "SET a 1");
    fr_assert_wait(fr_wait_key(srv, "a", "1", 5000));
    fr_assert_wait(fr_wait_clients(srv, 1, 5000));
    redisAsyncCommand(ac, NULL, NULL, "BLPOP q 0");
    fr_assert_wait(fr_wait_blocked(srv, 1, 5000));
    redisAsyncFree(ac);
    fr_assert_wait(fr_wait_clients_on(base, srv, 0, 5000));
    fr_server_stop(srv);
    event_base_free(base);
}

/* ---- checks and their reports ------------------------------------------------------ */

static void test_checks_report_context(void **state)
{
    fr_fixture *fx = *state;
    redisContext *c = tu_connect(fx->srv);
    tu_cmd_ok(c, "CLIENT SETNAME cache");
    tu_cmd_ok(c, "SET user:1 alice");
    tu_cmd_str(c, REDIS_REPLY_STRING, "alice", "GET user:1");
    char *report = NULL;
    fr_journal_query q = {.command = "GET user:*"};
    assert_int_equal(fr_check_count(fx->srv, &q, 1, 1, &report), 1);
    assert_null(report);
    assert_int_equal(fr_check_count(fx->srv, &q, 2, 2, &report), 0);
    assert_non_null(report);
    assert_non_null(strstr(report, "expected 2 commands matching 'GET user:*', saw 1\n--- journal:\n"));
    assert_non_null(strstr(report, "cache GET \"user:1\" -> $"));
    assert_non_null(strstr(report, "--- clients and their subscriptions:\n  client "));
    assert_non_null(strstr(report, "client 1 'cache' (last command: get): no subscriptions\n"));
    assert_non_null(strstr(report, "--- db 0:\n"));
    assert_non_null(strstr(report, "user:1"));
    free(report);
    static const char *const seq[] = {"GET *", "SET *"};
    assert_int_equal(fr_check_sequence(fx->srv, 0, seq, 2, &report), 0);
    assert_non_null(strstr(report, "expected commands in this order: 'GET *', 'SET *'; matched "
                                   "the first 1, then no 'SET *'"));
    free(report);
    assert_int_equal(fr_check_retries(fx->srv, "GET *", 0, 0, &report), 1);
    tu_cmd_str(c, REDIS_REPLY_STRING, "alice", "GET user:1");
    assert_int_equal(fr_check_retries(fx->srv, "GET *", 0, 0, &report), 0);
    assert_non_null(strstr(report, "expected at most 0 retries of 'GET *' (1 sends), saw 2"));
    free(report);

    /* resubscribed: a snapshot, a drop, the same set on a new connection */
    redisReply *r = tu_cmd(c, "SUBSCRIBE a b");
    freeReplyObject(r);
    freeReplyObject(tu_next_reply(c));
    fr_sub_list *before = NULL;
    assert_int_equal(fr_pubsub_client_subs_by_name(fx->srv, "cache", &before), FR_OK);
    assert_int_equal(fr_check_resubscribed(fx->srv, "cache", before, &report), 0);
    assert_non_null(strstr(report, "it never reconnected"));
    free(report);
    redisFree(c);
    fr_assert_wait(fr_wait_clients(fx->srv, 0, 5000));
    c = tu_connect(fx->srv);
    tu_cmd_ok(c, "CLIENT SETNAME cache");
    freeReplyObject(tu_cmd(c, "SUBSCRIBE a"));
    assert_int_equal(fr_check_resubscribed(fx->srv, "cache", before, &report), 0);
    assert_non_null(strstr(report, "  before: client "));
    assert_non_null(strstr(report, "channels [\"a\", \"b\"] patterns []\n  now:    client "));
    free(report);
    freeReplyObject(tu_cmd(c, "SUBSCRIBE b"));
    fr_assert_wait(fr_wait_subs_equal(fx->srv, "cache", before, 5000));
    fr_assert_resubscribed(fx->srv, "cache", before);
    fr_sub_list_free(before);
    redisFree(c);
}

static void test_none_while_down(void **state)
{
    fr_fixture *fx = *state;
    redisContext *c = tu_connect(fx->srv);
    /* accepted: a connection still in the backlog would be reset with the
     * listener */
    fr_assert_wait(fr_wait_clients(fx->srv, 1, 5000));
    uint64_t mark;
    fr_journal_mark(fx->srv, &mark);
    /* not listening, but this connection is still open: what it sends
     * "arrived while down" */
    assert_int_equal(fr_server_set_listening(fx->srv, 0), FR_OK);
    tu_cmd_ok(c, "SET during down");
    assert_int_equal(fr_server_set_listening(fx->srv, 1), FR_OK);
    char *report = NULL;
    assert_int_equal(fr_check_none_while_down(fx->srv, mark, &report), 0);
    assert_non_null(strstr(report, "arrived while the server was not listening"));
    free(report);
    fr_journal_mark(fx->srv, &mark);
    assert_int_equal(fr_scenario_restart_refusing(fx->srv, 50), FR_OK);
    fr_assert_wait(fr_wait_journal(fx->srv,
                                   &(fr_journal_query){.kinds = FR_JK(FR_J_LISTEN_ON), .since = mark},
                                   1, 5000));
    fr_assert_none_while_down(fx->srv, mark);
    redisFree(c);
}

/* ---- fixtures ---------------------------------------------------------------------------- */

typedef struct my_state {
    int setups;
    char token[16];
} my_state;

static int seed(fr_fixture *fx)
{
    my_state *s = fx->user;
    s->setups++;
    return fr_set(fx->srv, "seeded", "yes");
}

static my_state mine;
static const char *const cfg_lines[] = {"maxclients 5", NULL};
static const fr_fixture_config with_options = {
    .opts = {.requirepass = "s3cret", .config = cfg_lines, .frozen_clock = 1},
    .user = &mine,
    .setup = seed,
};

static void test_fixture_options_and_user_state(void **state)
{
    fr_fixture *fx = *state;
    my_state *s = fx->user;
    assert_ptr_equal(s, &mine);
    assert_int_equal(s->setups, 1);
    redisContext *c = tu_connect(fx->srv);
    tu_cmd_str(c, REDIS_REPLY_ERROR, "NOAUTH Authentication required.", "GET seeded");
    tu_cmd_ok(c, "AUTH s3cret");
    tu_cmd_str(c, REDIS_REPLY_STRING, "yes", "GET seeded");
    redisReply *r = tu_cmd(c, "CONFIG GET maxclients");
    assert_string_equal(r->element[1]->str, "5");
    freeReplyObject(r);
    int64_t t = fr_clock_now_ms(fx->srv);
    usleep(20000);
    assert_int_equal(fr_clock_now_ms(fx->srv), t); /* frozen */
    redisFree(c);
}

/* group: one fake for the group, flushed between tests */
static redisContext *left_open;

static void test_group_first(void **state)
{
    fr_fixture *fx = *state;
    assert_int_equal(fr_set(fx->srv, "left", "over"), FR_OK);
    assert_true(fr_fault_add_text(fx->srv, "cmd=GET action=error", NULL) == FR_OK);
    left_open = tu_connect(fx->srv);
    tu_cmd_ok(left_open, "SET x 1");
    fr_clock_freeze(fx->srv);
    fr_clock_advance(fx->srv, 3600 * 1000);
    /* the client stays connected: the next test's setup closes it */
}

static void test_group_second(void **state)
{
    fr_fixture *fx = *state;
    assert_int_equal(fr_exists(fx->srv, "left"), 0);
    assert_int_equal(fr_server_client_count(fx->srv), 0);
    redisFree(left_open); /* closed by the server already */
    left_open = NULL;
    fr_assert_not_seen(fx->srv, "SET *");
    redisContext *c = tu_connect(fx->srv);
    tu_cmd_nil(c, "GET left"); /* the rule is gone */
    redisFree(c);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    long long real = (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    long long fake = fr_clock_now_ms(fx->srv);
    assert_true(fake - real < 60000 && real - fake < 60000);
    /* left for the next reset, which may find no client to close (the
     * whole reset then runs in one hand-over) */
    assert_int_equal(fr_set(fx->srv, "left", "again"), FR_OK);
    assert_true(fr_fault_add_text(fx->srv, "cmd=PING action=error", NULL) == FR_OK);
    fr_reply *r = fr_execf(fx->srv, "ACL SETUSER guest on nopass +@all ~*");
    assert_int_equal(r->type, FR_REPLY_STATUS);
    fr_reply_free(r);
}

static void test_group_third(void **state)
{
    fr_fixture *fx = *state;
    assert_int_equal(fr_exists(fx->srv, "left"), 0);
    fr_assert_not_seen(fx->srv, "GET *"); /* the journal starts at the mark */
    redisContext *c = tu_connect(fx->srv);
    tu_cmd_str(c, REDIS_REPLY_STATUS, "PONG", "PING"); /* the rule is gone */
    redisReply *r = redisCommand(c, "AUTH guest x");
    assert_int_equal(r->type, REDIS_REPLY_ERROR); /* and the user */
    freeReplyObject(r);
    redisFree(c);
}

/* ---- scenarios --------------------------------------------------------------------------- */

static void test_scenarios(void **state)
{
    fr_fixture *fx = *state;
    /* the nth reply in 1-byte fragments */
    assert_true(fr_scenario_fragment_reply(fx->srv, "GET", 2, 1) > 0);
    int fd = rs_connect_srv(fx->srv);
    rs_send(fd, "SET k hello\r\nGET k\r\nGET k\r\n");
    rs_expect(fd, "+OK\r\n$5\r\nhello\r\n$5\r\nhello\r\n");
    close(fd);
    /* a stall long enough to fire the client's timeout */
    assert_true(fr_scenario_stall(fx->srv, "GET", 300) > 0);
    redisContext *c = tu_connect(fx->srv);
    struct timeval tv = {0, 100 * 1000};
    redisSetTimeout(c, tv);
    redisReply *r = redisCommand(c, "GET k");
    assert_null(r);
    assert_int_equal(c->err, REDIS_ERR_IO);
    redisFree(c);
    /* drop after subscribe */
    assert_true(fr_scenario_drop_after_subscribe(fx->srv, "sub", "reset") > 0);
    c = tu_connect(fx->srv);
    tu_cmd_ok(c, "CLIENT SETNAME sub");
    r = redisCommand(c, "SUBSCRIBE news");
    assert_non_null(r); /* the confirmation arrives, then the reset */
    freeReplyObject(r);
    assert_int_equal(redisGetReply(c, (void **)&r), REDIS_ERR);
    redisFree(c);
    assert_int_equal(fr_scenario_drop_after_subscribe(fx->srv, "sub", "explode"), FR_ERR_ARG);
}

/* ---- servers in their own process ----------------------------------------------------------- */

static void test_proc_kill_stop_restart(void **state)
{
    fr_proc *p = fr_proc_or_skip(state);
    int port = fr_proc_port(p);
    assert_true(port > 0);
    redisContext *c = tu_connect_port(port);
    tu_cmd_ok(c, "SET k v");
    assert_int_equal(tu_cmd_int(c, "FAKE.JOURNAL COUNT MATCH SET"), 1);
    /* frozen: a command gets no answer until SIGCONT */
    assert_int_equal(fr_proc_signal(p, SIGSTOP), FR_OK);
    struct timeval tv = {0, 200 * 1000};
    redisSetTimeout(c, tv);
    assert_null(redisCommand(c, "GET k"));
    redisFree(c);
    assert_int_equal(fr_proc_signal(p, SIGCONT), FR_OK);
    /* killed: the port is closed */
    assert_int_equal(fr_proc_kill(p), FR_OK);
    assert_int_equal(fr_proc_running(p), 0);
    errno = 0;
    assert_true(rs_connect(port) < 0 && errno == ECONNREFUSED);
    /* back on the same port, empty */
    assert_int_equal(fr_proc_restart(p), FR_OK);
    assert_int_equal(fr_proc_port(p), port);
    c = tu_connect_port(port);
    tu_cmd_nil(c, "GET k");
    redisFree(c);
}

static const char *const frozen_args[] = {"--frozen-clock", NULL};
static const fr_proc_options fake_frozen = {.args = frozen_args};

static void test_proc_args(void **state)
{
    fr_proc *p = fr_proc_or_skip(state);
    redisContext *c = tu_connect_port(fr_proc_port(p));
    long long t = tu_cmd_int(c, "FAKE.CLOCK GET");
    usleep(20000);
    assert_int_equal(tu_cmd_int(c, "FAKE.CLOCK GET"), t);
    redisFree(c);
}

static void test_real_redis(void **state)
{
    fr_proc *p = fr_proc_or_skip(state);
    redisContext *c = tu_connect_port(fr_proc_port(p));
    redisReply *r = tu_cmd(c, "INFO server");
    assert_non_null(strstr(r->str, "redis_version:"));
    freeReplyObject(r);
    redisFree(c);
}

static const fr_proc_options no_such = {.kind = FR_PROC_REDIS, .binary = "/nonexistent/redis-server"};

static void test_never_runs(void **state)
{
    fr_proc_or_skip(state);
    fail_msg("the fixture should have skipped this test");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        FR_TEST(test_waits_block_until_events, NULL),
        FR_TEST(test_wait_timeout_says_what_it_saw, NULL),
        FR_TEST(test_wait_on_base_threaded_server, NULL),
        cmocka_unit_test(test_wait_attached_server),
        FR_TEST(test_checks_report_context, NULL),
        FR_TEST(test_none_while_down, NULL),
        FR_TEST(test_fixture_options_and_user_state, &with_options),
        FR_TEST(test_scenarios, NULL),
        cmocka_unit_test_setup_teardown(test_proc_kill_stop_restart, fr_proc_fixture_start,
                                        fr_proc_fixture_stop),
        cmocka_unit_test_prestate_setup_teardown(test_proc_args, fr_proc_fixture_start,
                                                 fr_proc_fixture_stop, (void *)&fake_frozen),
        cmocka_unit_test_setup_teardown(test_real_redis, fr_redis_fixture_start,
                                        fr_redis_fixture_stop),
        cmocka_unit_test_prestate_setup_teardown(test_never_runs, fr_redis_fixture_start,
                                                 fr_redis_fixture_stop, (void *)&no_such),
    };
    const struct CMUnitTest group[] = {
        FR_GROUP_TEST(test_group_first),
        FR_GROUP_TEST(test_group_second),
        FR_GROUP_TEST(test_group_third),
    };
    int failed = cmocka_run_group_tests_name("harness", tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("harness group", group, fr_group_setup, fr_group_teardown);
    return failed;
}
