/* The resilient subscriber against a fake that drops it, restarts under it
 * and cuts its replies: after each, it must be subscribed to exactly the
 * channels it had, and messages must flow again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <event2/event.h>

#include "fakeredis/events.h"
#include "fakeredis/fault.h"
#include "fakeredis/harness.h"
#include "fakeredis/pubsub.h"
#include "resubscriber.h"

static const char *const channels[] = {"news", "alerts"};

typedef struct inbox {
    int n;
    char last[64];
} inbox;

static void on_message(const char *channel, const char *payload, size_t len, void *ctx)
{
    inbox *in = ctx;
    in->n++;
    snprintf(in->last, sizeof in->last, "%s:%.*s", channel, (int)len, payload);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run the client's loop until it is subscribed to everything (deadline). */
static int pump_until_ready(struct event_base *base, resub *r)
{
    long long deadline = now_ms() + 5000;
    while (!resub_ready(r) && now_ms() < deadline)
        event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    return resub_ready(r);
}

static int pump_until_messages(struct event_base *base, inbox *in, int n)
{
    long long deadline = now_ms() + 5000;
    while (in->n < n && now_ms() < deadline)
        event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    return in->n >= n;
}

/* Run the client's loop until it has connected n times (deadline). */
static void pump_until_connects(struct event_base *base, resub *r, int n)
{
    long long deadline = now_ms() + 5000;
    while (resub_connects(r) < n && now_ms() < deadline)
        event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
}

/* The server's view: the client named "worker" holds exactly our set. */
static void assert_subscribed_to_all(fr_server *srv)
{
    fr_sub_list *subs = NULL;
    assert_int_equal(fr_pubsub_client_subs_by_name(srv, "worker", &subs), FR_OK);
    assert_non_null(subs);
    assert_int_equal(subs->count[FR_SUB_CHANNEL], 2);
    assert_int_equal(subs->count[FR_SUB_PATTERN], 0);
    assert_int_equal(subs->count[FR_SUB_SHARD], 0);
    assert_true(fr_sub_list_has(subs, FR_SUB_CHANNEL, "news", 4));
    assert_true(fr_sub_list_has(subs, FR_SUB_CHANNEL, "alerts", 6));
    fr_sub_list_free(subs);
}

static resub *start_client(fr_server *srv, struct event_base *base, inbox *in)
{
    resub *r = resub_start(base, "127.0.0.1", fr_server_port(srv), "worker", channels, 2,
                           on_message, in);
    assert_non_null(r);
    assert_true(pump_until_ready(base, r));
    assert_subscribed_to_all(srv);
    return r;
}

static void test_resubscribes_after_kill(void **state)
{
    fr_server *srv = *state;
    struct event_base *base = event_base_new();
    inbox in = {0};
    resub *r = start_client(srv, base, &in);

    fr_kill_filter f = {.name = "worker"};
    size_t killed = 0;
    assert_int_equal(fr_server_kill_clients(srv, &f, &killed), FR_OK);
    assert_int_equal(killed, 1);

    /* it notices, reconnects and subscribes again to the same set */
    pump_until_connects(base, r, 2);
    assert_true(pump_until_ready(base, r));
    assert_subscribed_to_all(srv);
    assert_int_equal(fr_pubsub_publish(srv, FR_SUB_CHANNEL, "alerts", 6, "after", 5), 1);
    assert_true(pump_until_messages(base, &in, 1));
    assert_string_equal(in.last, "alerts:after");

    resub_stop(r);
    event_base_free(base);
}

static void test_retries_through_a_restart(void **state)
{
    fr_server *srv = *state;
    struct event_base *base = event_base_new();
    inbox in = {0};
    resub *r = start_client(srv, base, &in);

    /* down for 300 ms: every connect in that window is refused */
    assert_int_equal(fr_server_restart(srv, 300, 0), FR_OK);
    pump_until_connects(base, r, 2);
    assert_true(resub_failures(r) >= 1); /* it was refused, and kept trying */
    assert_true(pump_until_ready(base, r));
    assert_subscribed_to_all(srv);
    assert_int_equal(fr_pubsub_publish(srv, FR_SUB_CHANNEL, "news", 4, "back", 4), 1);
    assert_true(pump_until_messages(base, &in, 1));
    assert_string_equal(in.last, "news:back");

    resub_stop(r);
    event_base_free(base);
}

static void test_survives_a_cut_confirmation(void **state)
{
    fr_server *srv = *state;
    /* the first confirmation of SUBSCRIBE alerts arrives half, then RST */
    uint64_t id;
    assert_int_equal(
        fr_fault_add_text(srv, "cmd=SUBSCRIBE channel=alerts nth=1 action=cut at=half then=reset",
                          &id),
        FR_OK);
    struct event_base *base = event_base_new();
    inbox in = {0};
    resub *r = resub_start(base, "127.0.0.1", fr_server_port(srv), "worker", channels, 2,
                           on_message, &in);
    assert_non_null(r);
    assert_true(pump_until_ready(base, r));
    assert_true(resub_connects(r) >= 2); /* the first connection was lost */
    uint64_t hits = 0, matched = 0;
    assert_int_equal(fr_fault_hits(srv, id, &hits, &matched), FR_OK);
    assert_int_equal(hits, 1);
    assert_subscribed_to_all(srv);
    assert_int_equal(fr_pubsub_publish(srv, FR_SUB_CHANNEL, "news", 4, "ok", 2), 1);
    assert_true(pump_until_messages(base, &in, 1));

    resub_stop(r);
    event_base_free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_resubscribes_after_kill, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_retries_through_a_restart, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_survives_a_cut_confirmation, fr_fixture_setup,
                                        fr_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
