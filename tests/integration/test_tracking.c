/* Client-side caching across connections, over raw sockets: invalidation
 * to a RESP2 subscriber through REDIRECT (and the flush's null), a RESP3
 * redirect target, a redirect target that disconnects, BCAST keys of a
 * pipelined batch in one message, expiry by the clock, CLIENT LIST flags,
 * INFO counts, and the API a test uses to check that a client turned
 * tracking back on after a reconnect.
 *
 * Every expected byte string was checked against Debian's redis-server
 * 7.0.15 first (same commands, same order). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fakeredis/events.h"
#include "fakeredis/fakeredis.h"
#include "fakeredis/harness.h"
#include "fakeredis/tracking.h"
#include "support/rawsock.h"

/* The integer reply of CLIENT ID on fd. */
static long long client_id(int fd)
{
    rs_send(fd, "CLIENT ID\r\n");
    char buf[64];
    size_t n = 0;
    while (n < sizeof buf - 1) {
        if (rs_read_n(fd, buf + n, 1, RS_WAIT_MS, NULL) != 1)
            fail_msg("no CLIENT ID reply");
        n++;
        if (n >= 2 && buf[n - 2] == '\r' && buf[n - 1] == '\n')
            break;
    }
    buf[n] = '\0';
    assert_int_equal(buf[0], ':');
    return strtoll(buf + 1, NULL, 10);
}

/* Read into buf (NUL-terminated) until it ends with end. */
static void read_until(int fd, char *buf, size_t cap, const char *end)
{
    size_t n = 0, el = strlen(end);
    while (!(n >= el && !memcmp(buf + n - el, end, el))) {
        if (n == cap - 1 || rs_read_n(fd, buf + n, 1, RS_WAIT_MS, NULL) != 1)
            fail_msg("no reply ending with the expected bytes");
        n++;
    }
    buf[n] = '\0';
}

static int connect3(fr_server *srv)
{
    int fd = rs_connect_srv(srv);
    rs_send(fd, "HELLO 3\r\n");
    char buf[512];
    read_until(fd, buf, sizeof buf, "modules\r\n*0\r\n"); /* the map's last field */
    return fd;
}

static void cmd_expect(int fd, const char *cmd, const char *want)
{
    rs_send(fd, cmd);
    rs_expect(fd, want);
}

#define INVALIDATE_K1 "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$2\r\nk1\r\n"

/* RESP2: invalidations reach the redirect client as messages on
 * __redis__:invalidate; a flush as a null ($-1: the tracking client is
 * RESP2 too). */
static void test_redirect_resp2_subscriber(void **state)
{
    fr_server *srv = *state;
    int sub = rs_connect_srv(srv), trk = rs_connect_srv(srv), other = rs_connect_srv(srv);
    long long sid = client_id(sub);
    cmd_expect(sub, "SUBSCRIBE __redis__:invalidate\r\n",
               "*3\r\n$9\r\nsubscribe\r\n$20\r\n__redis__:invalidate\r\n:1\r\n");
    char cmd[96], want[64];
    snprintf(cmd, sizeof cmd, "CLIENT TRACKING on REDIRECT %lld\r\n", sid);
    cmd_expect(trk, cmd, "+OK\r\n");
    snprintf(want, sizeof want, ":%lld\r\n", sid);
    cmd_expect(trk, "CLIENT GETREDIR\r\n", want);
    cmd_expect(trk, "GET k1\r\n", "$-1\r\n");
    cmd_expect(other, "SET k1 x\r\n", "+OK\r\n");
    rs_expect(sub, INVALIDATE_K1);
    /* the key left the table: a second write says nothing */
    cmd_expect(other, "SET k1 y\r\n", "+OK\r\n");
    cmd_expect(trk, "GET k1\r\n", "$1\r\ny\r\n");
    cmd_expect(other, "FLUSHDB\r\n", "+OK\r\n");
    rs_expect(sub, "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n$-1\r\n");
    /* the tracking client's own writes come back too, without NOLOOP */
    cmd_expect(trk, "GET k1\r\n", "$-1\r\n");
    cmd_expect(trk, "SET k1 z\r\n", "+OK\r\n");
    rs_expect(sub, INVALIDATE_K1);
    assert_true(rs_quiet_for(sub, 50));
    assert_true(rs_quiet_for(trk, 50));
    close(sub);
    close(trk);
    close(other);
}

/* The redirect client goes away: each invalidation then tells a RESP3
 * tracking client `tracking-redir-broken`, and CLIENT LIST shows R. */
static void test_redirect_broken(void **state)
{
    fr_server *srv = *state;
    int target = rs_connect_srv(srv), trk = connect3(srv), other = rs_connect_srv(srv);
    long long tid = client_id(target), me = client_id(trk);
    char cmd[96], want[96];
    snprintf(cmd, sizeof cmd, "CLIENT TRACKING on REDIRECT %lld\r\n", tid);
    cmd_expect(trk, cmd, "+OK\r\n");
    cmd_expect(trk, "GET k1\r\n", "_\r\n");
    close(target);
    assert_int_equal(fr_wait_clients(srv, 2, 2000), FR_OK);
    cmd_expect(other, "SET k1 1\r\n", "+OK\r\n");
    snprintf(want, sizeof want, ">2\r\n$21\r\ntracking-redir-broken\r\n:%lld\r\n", tid);
    rs_expect(trk, want);
    snprintf(want, sizeof want,
             "%%3\r\n$5\r\nflags\r\n~2\r\n$2\r\non\r\n$15\r\nbroken_redirect\r\n"
             "$8\r\nredirect\r\n:%lld\r\n$8\r\nprefixes\r\n*0\r\n",
             tid);
    cmd_expect(trk, "CLIENT TRACKINGINFO\r\n", want);
    fr_tracking_state *st = NULL;
    assert_int_equal(fr_tracking_client(srv, (uint64_t)me, &st), FR_OK);
    assert_int_equal(st->flags, FR_TRACKING_ON | FR_TRACKING_BROKEN_REDIRECT);
    assert_int_equal(st->redirect, tid);
    fr_tracking_state_free(st);
    /* CLIENT INFO: flags=tR redir=<id> */
    rs_send(trk, "CLIENT INFO\r\n");
    char buf[512];
    read_until(trk, buf, sizeof buf, "\n\r\n");
    assert_non_null(strstr(buf, " flags=tR "));
    snprintf(want, sizeof want, " redir=%lld ", tid);
    assert_non_null(strstr(buf, want));
    close(trk);
    close(other);
}

/* A RESP3 redirect target gets the push itself, subscribed or not. */
static void test_redirect_resp3_target(void **state)
{
    fr_server *srv = *state;
    int target = connect3(srv), trk = rs_connect_srv(srv), other = rs_connect_srv(srv);
    long long tid = client_id(target);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "CLIENT TRACKING on REDIRECT %lld\r\n", tid);
    cmd_expect(trk, cmd, "+OK\r\n");
    cmd_expect(trk, "MGET k1 k2\r\n", "*2\r\n$-1\r\n$-1\r\n");
    cmd_expect(other, "MSET k2 1 k1 1\r\n", "+OK\r\n");
    rs_expect(target, ">2\r\n$10\r\ninvalidate\r\n*1\r\n$2\r\nk2\r\n"
                      ">2\r\n$10\r\ninvalidate\r\n*1\r\n$2\r\nk1\r\n");
    close(target);
    close(trk);
    close(other);
}

/* BCAST: keys a pipelined batch modified under a prefix arrive in one
 * message, in byte order, after the replies (Redis' beforeSleep). */
static void test_bcast_batch(void **state)
{
    fr_server *srv = *state;
    int b = connect3(srv), other = rs_connect_srv(srv);
    cmd_expect(b, "CLIENT TRACKING on BCAST PREFIX a PREFIX b\r\n", "+OK\r\n");
    rs_send(other, "SET a2 1\r\nSET b1 1\r\nSET a1 1\r\nSET c1 1\r\n");
    rs_expect(other, "+OK\r\n+OK\r\n+OK\r\n+OK\r\n");
    rs_expect(b, ">2\r\n$10\r\ninvalidate\r\n*2\r\n$2\r\na1\r\n$2\r\na2\r\n"
                 ">2\r\n$10\r\ninvalidate\r\n*1\r\n$2\r\nb1\r\n");
    long long clients = 0, prefixes = 0;
    assert_int_equal(fr_tracking_counts(srv, &clients, NULL, NULL, &prefixes), FR_OK);
    assert_int_equal(clients, 1);
    assert_int_equal(prefixes, 2);
    close(b);
    close(other);
}

/* A tracked key that expires is invalidated, like a write. */
static void test_expiry_invalidates(void **state)
{
    fr_server *srv = *state;
    int t = connect3(srv);
    cmd_expect(t, "CLIENT TRACKING on\r\n", "+OK\r\n");
    cmd_expect(t, "SET e v PX 100\r\n", "+OK\r\n");
    cmd_expect(t, "GET e\r\n", "$1\r\nv\r\n");
    long long keys = 0, items = 0;
    assert_int_equal(fr_tracking_counts(srv, NULL, &keys, &items, NULL), FR_OK);
    assert_int_equal(keys, 1);
    assert_int_equal(items, 1);
    assert_true(rs_quiet_for(t, 20));
    assert_int_equal(fr_clock_advance(srv, 1000), FR_OK);
    rs_expect(t, ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\ne\r\n");
    assert_int_equal(fr_tracking_counts(srv, NULL, &keys, &items, NULL), FR_OK);
    assert_int_equal(keys, 0);
    close(t);
}

/* Over tracking-table-max-keys, a random key is invalidated (and
 * forgotten) after the command that went over, once its reply is out. */
static void test_table_limit(void **state)
{
    fr_server *srv = *state;
    int t = connect3(srv);
    cmd_expect(t, "CONFIG SET tracking-table-max-keys 1\r\n", "+OK\r\n");
    cmd_expect(t, "CLIENT TRACKING on\r\n", "+OK\r\n");
    cmd_expect(t, "MSET a 1 b 2\r\n", "+OK\r\n");
    cmd_expect(t, "GET a\r\n", "$1\r\n1\r\n");
    assert_true(rs_quiet_for(t, 20)); /* one key: within the limit */
    cmd_expect(t, "GET b\r\n", "$1\r\n2\r\n");
    char buf[128];
    read_until(t, buf, sizeof buf, "\r\n*1\r\n$1\r\n");
    assert_string_equal(buf, ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\n");
    read_until(t, buf, sizeof buf, "\r\n");
    assert_true(!strcmp(buf, "a\r\n") || !strcmp(buf, "b\r\n"));
    long long keys = 0;
    assert_int_equal(fr_tracking_counts(srv, NULL, &keys, NULL, NULL), FR_OK);
    assert_int_equal(keys, 1);
    /* 0 is no limit */
    cmd_expect(t, "CONFIG SET tracking-table-max-keys 0\r\n", "+OK\r\n");
    cmd_expect(t, "GET a\r\n", "$1\r\n1\r\n");
    cmd_expect(t, "GET b\r\n", "$1\r\n2\r\n");
    assert_true(rs_quiet_for(t, 20));
    assert_int_equal(fr_tracking_counts(srv, NULL, &keys, NULL, NULL), FR_OK);
    assert_int_equal(keys, 2);
    close(t);
}

/* What a reconnect test checks: the client named "cache" had tracking
 * on; after the fake drops it, the new connection must have it again. */
static void test_reconnect_state(void **state)
{
    fr_server *srv = *state;
    int c = connect3(srv);
    cmd_expect(c, "CLIENT SETNAME cache\r\n", "+OK\r\n");
    cmd_expect(c, "CLIENT TRACKING on BCAST PREFIX user: PREFIX feed: NOLOOP\r\n", "+OK\r\n");
    fr_tracking_state *before = NULL, *after = NULL;
    assert_int_equal(fr_tracking_client_by_name(srv, "cache", &before), FR_OK);
    assert_int_equal(before->flags, FR_TRACKING_ON | FR_TRACKING_BCAST | FR_TRACKING_NOLOOP);
    assert_int_equal(before->nprefixes, 2);
    assert_string_equal(before->prefixes[0], "feed:");
    assert_string_equal(before->prefixes[1], "user:");

    fr_kill_filter f = {.name = "cache"};
    assert_int_equal(fr_server_kill_clients(srv, &f, NULL), FR_OK);
    close(c);
    /* the client's reconnect: named again, but tracking not yet on */
    c = connect3(srv);
    cmd_expect(c, "CLIENT SETNAME cache\r\n", "+OK\r\n");
    assert_int_equal(fr_tracking_client_by_name(srv, "cache", &after), FR_OK);
    assert_int_equal(after->flags, 0);
    assert_int_equal(after->redirect, -1);
    fr_tracking_state_free(after);
    cmd_expect(c, "CLIENT TRACKING on BCAST PREFIX feed: PREFIX user: NOLOOP\r\n", "+OK\r\n");
    assert_int_equal(fr_tracking_client_by_name(srv, "cache", &after), FR_OK);
    assert_true(after->client_id != before->client_id);
    assert_int_equal(after->flags, before->flags);
    assert_int_equal(after->nprefixes, before->nprefixes);
    for (size_t i = 0; i < after->nprefixes; i++)
        assert_string_equal(after->prefixes[i], before->prefixes[i]);
    long long clients = 0;
    assert_int_equal(fr_tracking_counts(srv, &clients, NULL, NULL, NULL), FR_OK);
    assert_int_equal(clients, 1); /* the dropped connection's went with it */
    fr_tracking_state_free(before);
    fr_tracking_state_free(after);
    assert_int_equal(fr_tracking_client_by_name(srv, "nobody", &after), FR_ERR_ARG);
    assert_null(after);
    close(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_redirect_resp2_subscriber, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_redirect_broken, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_redirect_resp3_target, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_bcast_batch, fr_fixture_setup, fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_expiry_invalidates, fr_fixture_setup_frozen,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_table_limit, fr_fixture_setup, fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_reconnect_state, fr_fixture_setup,
                                        fr_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
