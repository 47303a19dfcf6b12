/* The resilient subscriber against a fake that kills it, resets it,
 * restarts under it with a window of refused connects, drops it right
 * after it subscribed, and slices its messages to single bytes. After each
 * it must hold exactly the subscriptions it had, receive again, and count
 * the messages it could not have received while down.
 *
 * The client runs on this test's event_base (hiredis async); the waits run
 * that base while they wait (fr_wait_*_on), so nothing here sleeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/event.h>

#include "fakeredis/cmocka.h"
#include "fakeredis/events.h"
#include "fakeredis/fault.h"
#include "fakeredis/harness.h"
#include "fakeredis/pubsub.h"
#include "subscriber.h"

#define WAIT_MS 5000

static const char *const channels[] = {"news", "alerts", NULL};
static const char *const patterns[] = {"user:*", NULL};

typedef struct inbox {
    int n;
    char last[128];
} inbox;

typedef struct world {
    fr_fixture *fx;
    struct event_base *base;
    inbox in;
    subscriber *sub;
} world;

static void on_message(const char *channel, const char *pattern, const char *payload, size_t len,
                       void *ctx)
{
    inbox *in = ctx;
    in->n++;
    snprintf(in->last, sizeof in->last, "%s%s%s:%.*s", pattern ? pattern : "",
             pattern ? ">" : "", channel, (int)len, payload);
}

static int ready(fr_server *srv, void *ctx, char *seen, size_t cap)
{
    subscriber *s = ctx;
    snprintf(seen, cap, "%d connects, %d failures, not ready", subscriber_connects(s),
             subscriber_failures(s));
    return subscriber_ready(s);
}

static int dropped(fr_server *srv, void *ctx, char *seen, size_t cap)
{
    snprintf(seen, cap, "still ready");
    return !subscriber_ready(ctx);
}

typedef struct want_msgs {
    inbox *in;
    int n;
} want_msgs;

static int got_messages(fr_server *srv, void *ctx, char *seen, size_t cap)
{
    want_msgs *w = ctx;
    snprintf(seen, cap, "%d messages, the last '%s'", w->in->n, w->in->last);
    return w->in->n >= w->n;
}

static void wait_messages(world *w, int n)
{
    want_msgs x = {&w->in, n};
    fr_assert_wait(fr_wait_for_on(w->base, w->fx->srv, got_messages, &x, "messages", WAIT_MS));
}

static void publish(world *w, const char *channel, const char *msg, long long receivers)
{
    assert_int_equal(fr_pubsub_publish(w->fx->srv, FR_SUB_CHANNEL, channel, strlen(channel), msg,
                                       strlen(msg)),
                     receivers);
}

/* a started subscriber, subscribed to everything */
static int setup(void **state)
{
    if (fr_fixture_start(state) != 0)
        return -1;
    world *w = calloc(1, sizeof *w);
    w->fx = *state;
    w->base = event_base_new();
    sub_config cfg = {.host = "127.0.0.1", .port = w->fx->port, .name = "worker",
                      .channels = channels, .patterns = patterns, .cb = on_message, .ctx = &w->in};
    w->sub = subscriber_start(w->base, &cfg);
    if (!w->sub)
        return -1;
    fr_assert_wait(fr_wait_subscribed_on(w->base, w->fx->srv, "worker", channels, patterns,
                                         WAIT_MS));
    fr_assert_wait(fr_wait_for_on(w->base, w->fx->srv, ready, w->sub, "the subscriber ready",
                                  WAIT_MS));
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    world *w = *state;
    subscriber_stop(w->sub);
    event_base_free(w->base);
    void *fx = w->fx;
    free(w);
    return fr_fixture_stop(&fx);
}

static fr_sub_list *snapshot(world *w)
{
    fr_sub_list *l = NULL;
    assert_int_equal(fr_pubsub_client_subs_by_name(w->fx->srv, "worker", &l), FR_OK);
    return l;
}

/* after the drop: the same set on a new connection, and messages flow */
static void expect_back(world *w, fr_sub_list *before)
{
    fr_assert_wait(fr_wait_subs_equal_on(w->base, w->fx->srv, "worker", before, WAIT_MS));
    fr_assert_resubscribed(w->fx->srv, "worker", before);
    fr_assert_wait(fr_wait_for_on(w->base, w->fx->srv, ready, w->sub, "the subscriber ready",
                                  WAIT_MS));
    int n = w->in.n;
    publish(w, "alerts", "100:after", 1);
    wait_messages(w, n + 1);
    assert_string_equal(w->in.last, "alerts:100:after");
    assert_int_equal(fr_pubsub_publish(w->fx->srv, FR_SUB_CHANNEL, "user:7", 6, "101:p", 5), 1);
    wait_messages(w, n + 2);
    assert_string_equal(w->in.last, "user:*>user:7:101:p");
}

static void test_resubscribes_after_kill(void **state)
{
    world *w = *state;
    fr_sub_list *before = snapshot(w);
    fr_kill_filter f = {.name = "worker"};
    size_t killed = 0;
    assert_int_equal(fr_server_kill_clients(w->fx->srv, &f, &killed), FR_OK);
    assert_int_equal(killed, 1);
    expect_back(w, before);
    fr_sub_list_free(before);
}

static void test_resubscribes_after_reset(void **state)
{
    world *w = *state;
    fr_sub_list *before = snapshot(w);
    fr_kill_filter f = {.name = "worker", .reset = 1};
    assert_int_equal(fr_server_kill_clients(w->fx->srv, &f, NULL), FR_OK);
    expect_back(w, before);
    fr_sub_list_free(before);
}

static void test_resubscribes_after_restart_refusing(void **state)
{
    world *w = *state;
    fr_sub_list *before = snapshot(w);
    uint64_t mark;
    fr_journal_mark(w->fx->srv, &mark);
    int failures = subscriber_failures(w->sub);
    /* down 300 ms: every connect in the window gets ECONNREFUSED */
    assert_int_equal(fr_scenario_restart_refusing(w->fx->srv, 300), FR_OK);
    expect_back(w, before);
    assert_true(subscriber_failures(w->sub) > failures); /* refused, and kept trying */
    fr_assert_none_while_down(w->fx->srv, mark);
    fr_sub_list_free(before);
}

static void test_resubscribes_after_drop_on_subscribe(void **state)
{
    world *w = *state;
    fr_sub_list *before = snapshot(w);
    uint64_t mark;
    fr_journal_mark(w->fx->srv, &mark);
    /* kill it, and when it subscribes again, close right after the
     * confirmation: it must come back once more */
    assert_true(fr_scenario_drop_after_subscribe(w->fx->srv, "worker", "close") > 0);
    fr_kill_filter f = {.name = "worker"};
    assert_int_equal(fr_server_kill_clients(w->fx->srv, &f, NULL), FR_OK);
    expect_back(w, before);
    fr_journal_query q = {.command = "SUBSCRIBE news", .since = mark};
    fr_assert_journal(w->fx->srv, &q, 2, -1); /* it subscribed twice */
    fr_sub_list_free(before);
}

static void test_parses_fragmented_messages(void **state)
{
    world *w = *state;
    /* every push in 1-byte fragments, 1 ms apart */
    assert_int_equal(fr_fault_add_text(w->fx->srv, "on=push action=slice size=1 gap=1", NULL),
                     FR_OK);
    publish(w, "news", "1:first", 1);
    publish(w, "news", "2:se\r\ncond", 1);
    assert_int_equal(fr_pubsub_publish(w->fx->srv, FR_SUB_CHANNEL, "user:1", 6, "3:third", 7), 1);
    wait_messages(w, 3);
    assert_string_equal(w->in.last, "user:*>user:1:3:third");
    assert_int_equal(subscriber_received(w->sub), 3);
    assert_int_equal(subscriber_lost(w->sub), 0);
}

static int resubscribed(fr_server *srv, void *ctx, char *seen, size_t cap)
{
    (void)ctx;
    fr_sub_list *l = NULL;
    if (fr_pubsub_client_subs_by_name(srv, "worker", &l) != FR_OK) {
        snprintf(seen, cap, "no client 'worker'");
        return 0;
    }
    int ok = l->count[FR_SUB_CHANNEL] == 2 && l->count[FR_SUB_PATTERN] == 1;
    char *text = NULL;
    fr_sub_list_format(l, &text);
    snprintf(seen, cap, "%s", text ? text : "");
    free(text);
    fr_sub_list_free(l);
    return ok;
}

static void test_reports_messages_lost_while_down(void **state)
{
    world *w = *state;
    publish(w, "news", "1:a", 1);
    wait_messages(w, 1);
    /* down for 400 ms: what is published meanwhile reaches nobody */
    assert_int_equal(fr_scenario_restart_refusing(w->fx->srv, 400), FR_OK);
    fr_assert_wait(fr_wait_clients(w->fx->srv, 0, WAIT_MS)); /* its old connection freed */
    publish(w, "news", "2:b", 0);
    publish(w, "alerts", "3:c", 0);
    fr_assert_wait(fr_wait_for_on(w->base, w->fx->srv, resubscribed, NULL, "worker back",
                                  WAIT_MS));
    fr_assert_wait(fr_wait_for_on(w->base, w->fx->srv, ready, w->sub, "the subscriber ready",
                                  WAIT_MS));
    publish(w, "news", "4:d", 1);
    wait_messages(w, 2);
    assert_int_equal(subscriber_lost(w->sub), 2);
}

static void test_backoff_is_capped(void **state)
{
    world *w = *state;
    int failures = subscriber_failures(w->sub);
    /* a long refusal window: 10, 20, 40, ... 200 ms apart, not a spin */
    assert_int_equal(fr_scenario_restart_refusing(w->fx->srv, 1000), FR_OK);
    fr_assert_wait(fr_wait_for_on(w->base, w->fx->srv, dropped, w->sub, "the drop noticed",
                                  WAIT_MS));
    fr_assert_wait(fr_wait_for_on(w->base, w->fx->srv, ready, w->sub, "the subscriber ready",
                                  WAIT_MS));
    int tries = subscriber_failures(w->sub) - failures;
    if (tries < 3 || tries > 12)
        fail_msg("%d failed connects in a 1 s window: expected 3 to 12", tries);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_resubscribes_after_kill),
        T(test_resubscribes_after_reset),
        T(test_resubscribes_after_restart_refusing),
        T(test_resubscribes_after_drop_on_subscribe),
        T(test_parses_fragmented_messages),
        T(test_reports_messages_lost_while_down),
        T(test_backoff_is_capped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
