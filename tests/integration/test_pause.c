/* CLIENT PAUSE as Redis 7.0 does it, over raw sockets: held clients show
 * as blocked in the command they sent (CLIENT LIST flag b, INFO
 * blocked_clients), are released in the order they were held, a client
 * blocked in BLPOP still times out during a pause, and keys neither
 * expire nor count as expired while paused (they only read as missing).
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

#include "fakeredis/fakeredis.h"
#include "fakeredis/harness.h"
#include "support/rawsock.h"

static void cmd_expect(int fd, const char *cmd, const char *want)
{
    rs_send(fd, cmd);
    rs_expect(fd, want);
}

/* A bulk reply read whole into buf (NUL-terminated). */
static void read_bulk(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    while (n < 2 || buf[n - 2] != '\r' || buf[n - 1] != '\n') {
        assert_true(n < cap - 1);
        assert_int_equal(rs_read_n(fd, buf + n, 1, RS_WAIT_MS, NULL), 1);
        n++;
    }
    long len = strtol(buf + 1, NULL, 10);
    assert_true(len >= 0 && n + (size_t)len + 2 < cap);
    assert_int_equal(rs_read_n(fd, buf + n, (size_t)len + 2, RS_WAIT_MS, NULL), (size_t)len + 2);
    buf[n + (size_t)len + 2] = '\0';
}

static long long info_field(int fd, const char *section, const char *field)
{
    char cmd[64], buf[8192];
    snprintf(cmd, sizeof cmd, "INFO %s\r\n", section);
    rs_send(fd, cmd);
    read_bulk(fd, buf, sizeof buf);
    const char *p = strstr(buf, field);
    assert_non_null(p);
    return strtoll(p + strlen(field) + 1, NULL, 10);
}

/* Writers held by a WRITE pause run, on unpause, in the order they were
 * held (not the order they connected); readers are not held. */
static void test_unpause_order(void **state)
{
    fr_server *srv = *state;
    int a = rs_connect_srv(srv), w1 = rs_connect_srv(srv), w2 = rs_connect_srv(srv),
        w3 = rs_connect_srv(srv), r = rs_connect_srv(srv);
    cmd_expect(a, "CLIENT PAUSE 20000 WRITE\r\n", "+OK\r\n");
    rs_send(w2, "RPUSH k w2\r\n");
    assert_true(rs_quiet_for(w2, 50));
    rs_send(w1, "RPUSH k w1\r\n");
    assert_true(rs_quiet_for(w1, 50));
    rs_send(w3, "RPUSH k w3\r\n");
    assert_true(rs_quiet_for(w3, 50));
    cmd_expect(r, "LLEN k\r\n", ":0\r\n");
    assert_int_equal(info_field(r, "clients", "blocked_clients"), 3);
    /* CLIENT LIST: flags=b cmd=rpush for each held client */
    char buf[4096];
    rs_send(r, "CLIENT LIST\r\n");
    read_bulk(r, buf, sizeof buf);
    int held = 0;
    for (char *p = buf; (p = strstr(p, "flags=b ")); p++) {
        assert_non_null(strstr(p, "cmd=rpush "));
        held++;
    }
    assert_int_equal(held, 3);
    cmd_expect(a, "CLIENT UNPAUSE\r\n", "+OK\r\n");
    rs_expect(w2, ":1\r\n");
    rs_expect(w1, ":2\r\n");
    rs_expect(w3, ":3\r\n");
    cmd_expect(r, "LRANGE k 0 -1\r\n", "*3\r\n$2\r\nw2\r\n$2\r\nw1\r\n$2\r\nw3\r\n");
    assert_int_equal(info_field(r, "clients", "blocked_clients"), 0);
    close(a);
    close(w1);
    close(w2);
    close(w3);
    close(r);
}

/* A BLPOP whose timeout passes during a pause gets its null reply; the
 * held write that would have served another waiter serves it on unpause. */
static void test_blocked_during_pause(void **state)
{
    fr_server *srv = *state;
    int a = rs_connect_srv(srv), b = rs_connect_srv(srv), c = rs_connect_srv(srv),
        w = rs_connect_srv(srv);
    rs_send(b, "BLPOP l 0.2\r\n");
    rs_send(c, "BLPOP q 0\r\n");
    assert_int_equal(fr_wait_blocked(srv, 2, 2000), FR_OK);
    cmd_expect(a, "CLIENT PAUSE 20000 WRITE\r\n", "+OK\r\n");
    rs_send(w, "RPUSH q x\r\n");
    rs_expect(b, "*-1\r\n");
    assert_true(rs_quiet_for(c, 50));
    cmd_expect(a, "CLIENT UNPAUSE\r\n", "+OK\r\n");
    rs_expect(w, ":1\r\n");
    rs_expect(c, "*2\r\n$1\r\nq\r\n$1\r\nx\r\n");
    close(a);
    close(b);
    close(c);
    close(w);
}

/* While paused, an expired key reads as missing but is not deleted:
 * DBSIZE still counts it and expired_keys stays; after unpause the
 * next read deletes it. CLIENT PAUSE inside MULTI starts when EXEC ends. */
static void test_expiry_paused(void **state)
{
    fr_server *srv = *state;
    int a = rs_connect_srv(srv), r = rs_connect_srv(srv);
    cmd_expect(a, "CONFIG RESETSTAT\r\n", "+OK\r\n");
    rs_send(a, "MULTI\r\nSET foo bar PX 10\r\nSET bar foo PX 10\r\n"
               "CLIENT PAUSE 50000 WRITE\r\nSET after 1\r\nEXEC\r\n");
    rs_expect(a, "+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n"
                 "*4\r\n+OK\r\n+OK\r\n+OK\r\n+OK\r\n");
    assert_int_equal(fr_clock_advance(srv, 1000), FR_OK);
    cmd_expect(r, "GET foo\r\n", "$-1\r\n");
    cmd_expect(r, "EXISTS foo bar\r\n", ":0\r\n");
    cmd_expect(r, "DBSIZE\r\n", ":3\r\n");
    assert_int_equal(info_field(r, "stats", "expired_keys"), 0);
    cmd_expect(r, "KEYS *\r\n", "*1\r\n$5\r\nafter\r\n");
    cmd_expect(a, "CLIENT UNPAUSE\r\n", "+OK\r\n");
    cmd_expect(r, "GET foo\r\n", "$-1\r\n");
    cmd_expect(r, "GET bar\r\n", "$-1\r\n");
    assert_int_equal(info_field(r, "stats", "expired_keys"), 2);
    cmd_expect(r, "DBSIZE\r\n", ":1\r\n");
    close(a);
    close(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_unpause_order, fr_fixture_setup, fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_blocked_during_pause, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_expiry_paused, fr_fixture_setup_frozen,
                                        fr_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
