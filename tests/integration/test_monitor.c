/* MONITOR beyond what the differential suite compares with redis-server
 * (tests/diff/cases/monitor.txt): exact lines on a frozen clock, unix
 * socket and IPv6 clients, CLIENT LIST's flag O, what the test itself does
 * (fr_exec, FAKE.*) left out, a monitor that outlives `timeout`, and the
 * lines recorded as pushes. */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "fakeredis/harness.h"
#include "fakeredis/record.h"
#include "fakeredis/recording.h"
#include "support/rawsock.h"
#include "support/testutil.h"

/* 2023-11-14T22:13:20Z: the frozen clock makes lines exact. */
#define T0_MS 1700000000000LL

static void local_addr(int fd, char *out, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char ip[INET6_ADDRSTRLEN];
    assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
    if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
        snprintf(out, cap, "[%s]:%d", ip, ntohs(a->sin6_port));
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
        snprintf(out, cap, "%s:%d", ip, ntohs(a->sin_port));
    }
}

static int monitor(fr_server *srv)
{
    int m = rs_connect_srv(srv);
    assert_true(rs_roundtrip(m, "*1\r\n$7\r\nMONITOR\r\n", "+OK\r\n"));
    return m;
}

static void test_exact_lines(void **state)
{
    (void)state;
    char sock[64], line[512], addr[80];
    snprintf(sock, sizeof sock, "/tmp/fr-mon-%ld.sock", (long)getpid());
    fr_server *srv;
    assert_int_equal(fr_server_start(&(fr_options){.unixsocket = sock}, &srv), FR_OK);
    assert_int_equal(fr_clock_freeze(srv), FR_OK);
    assert_int_equal(fr_clock_set(srv, T0_MS + 123), FR_OK);
    int m = monitor(srv);

    int c = rs_connect_srv(srv);
    local_addr(c, addr, sizeof addr);
    rs_send(c, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\na\"\xff\r\n");
    rs_expect(c, "+OK\r\n");
    snprintf(line, sizeof line, "+1700000000.123000 [0 %s] \"SET\" \"k\" \"a\\\"\\xff\"\r\n", addr);
    rs_expect(m, line);

    /* a unix client is shown by the server's socket path, as Redis does */
    int u = rs_connect_unix(sock);
    assert_true(u >= 0);
    rs_send(u, "*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n");
    rs_expect(u, "+OK\r\n");
    snprintf(line, sizeof line, "+1700000000.123000 [3 unix:%s] \"SELECT\" \"3\"\r\n", sock);
    rs_expect(m, line);

    /* the test's own steering is not client traffic: fr_exec, FAKE.* */
    fr_reply_free(fr_execf(srv, "SET fromtest 1"));
    assert_int_equal(fr_clock_advance(srv, 1000), FR_OK);
    rs_send(c, "*3\r\n$10\r\nFAKE.CLOCK\r\n$7\r\nADVANCE\r\n$1\r\n1\r\n");
    rs_expect(c, "+OK\r\n");
    rs_send(c, "*1\r\n$4\r\nPING\r\n");
    rs_expect(c, "+PONG\r\n");
    snprintf(line, sizeof line, "+1700000001.124000 [0 %s] \"PING\"\r\n", addr);
    rs_expect(m, line);
    assert_true(rs_quiet_for(m, 50));

    /* fr_exec's client cannot monitor: it must answer every command */
    fr_reply *r = fr_execf(srv, "MONITOR");
    assert_non_null(r);
    assert_int_equal(r->type, FR_REPLY_ERROR);
    assert_string_equal(r->str, "ERR MONITOR isn't allowed for DENY BLOCKING client");
    fr_reply_free(r);

    close(u);
    close(c);
    close(m);
    fr_server_stop(srv);
}

/* CLIENT LIST: flag O, a normal client (not a replica), cmd=monitor. */
static void test_client_list(void **state)
{
    fr_server *srv = *state;
    int m = monitor(srv);
    redisContext *c = tu_connect(srv);
    redisReply *rep = tu_cmd(c, "CLIENT LIST TYPE normal");
    assert_int_equal(rep->type, REDIS_REPLY_STRING);
    assert_non_null(strstr(rep->str, " flags=O db=0 "));
    assert_non_null(strstr(rep->str, " cmd=monitor "));
    freeReplyObject(rep);
    tu_cmd_str(c, REDIS_REPLY_STRING, "", "CLIENT LIST TYPE replica");
    /* RESET makes it a normal client again */
    rs_send(m, "*1\r\n$5\r\nRESET\r\n");
    rs_expect(m, "+RESET\r\n");
    rep = tu_cmd(c, "CLIENT LIST");
    assert_null(strstr(rep->str, "flags=O"));
    freeReplyObject(rep);
    redisFree(c);
    close(m);
}

/* A monitor over RESP3 still gets simple strings; over IPv6 the address is
 * bracketed as Redis shows it. */
static void test_resp3_and_ipv6(void **state)
{
    (void)state;
    fr_server *srv;
    if (fr_server_start(&(fr_options){.bind = "::1"}, &srv) != FR_OK) {
        skip(); /* no IPv6 loopback here */
        return;
    }
    int m = socket(AF_INET6, SOCK_STREAM, 0), c = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons(fr_server_port(srv))};
    inet_pton(AF_INET6, "::1", &sa.sin6_addr);
    assert_int_equal(connect(m, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(connect(c, (struct sockaddr *)&sa, sizeof sa), 0);
    rs_send(m, "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n");
    char buf[512];
    rs_read_n(m, buf, 1, 2000, NULL); /* the map starts */
    while (!rs_quiet_for(m, 50))
        rs_read_n(m, buf, sizeof buf, 100, NULL);
    rs_send(m, "*1\r\n$7\r\nMONITOR\r\n");
    rs_expect(m, "+OK\r\n");
    char addr[80], want[256];
    local_addr(c, addr, sizeof addr);
    assert_true(addr[0] == '[');
    rs_send(c, "*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n");
    rs_expect(c, "$2\r\nhi\r\n");
    size_t n = rs_read_n(m, buf, sizeof buf - 1, 2000, NULL);
    buf[n] = '\0';
    snprintf(want, sizeof want, "[0 %s] \"ECHO\" \"hi\"\r\n", addr);
    assert_true(buf[0] == '+');
    assert_non_null(strstr(buf, want));
    close(c);
    close(m);
    fr_server_stop(srv);
}

/* A monitor never times out, as Redis' replicas; a normal client does. */
static void test_monitor_outlives_timeout(void **state)
{
    (void)state;
    static const char *const conf[] = {"timeout 1", NULL};
    fr_server *srv;
    assert_int_equal(fr_server_start(&(fr_options){.config = conf}, &srv), FR_OK);
    int m = monitor(srv);
    int c = rs_connect_srv(srv);
    /* the idle client goes after more than a second; the monitor stays */
    int eof = 0;
    char buf[64];
    rs_read_to_eof(c, buf, sizeof buf, 4000, &eof);
    assert_true(eof);
    assert_true(rs_roundtrip(m, "*1\r\n$4\r\nPING\r\n", "+PONG\r\n"));
    close(c);
    close(m);
    fr_server_stop(srv);
}

/* A recording shows the lines as pushes on the monitor's connection. */
static void test_lines_recorded_as_pushes(void **state)
{
    fr_server *srv = *state;
    char path[64];
    snprintf(path, sizeof path, "/tmp/fr-mon-%ld.rec", (long)getpid());
    assert_int_equal(fr_record_start(srv, path), FR_OK);
    int m = monitor(srv);
    int c = rs_connect_srv(srv);
    assert_true(rs_roundtrip(c, "*1\r\n$4\r\nPING\r\n", "+PONG\r\n"));
    char buf[128];
    assert_true(rs_read_n(m, buf, 10, 2000, NULL) == 10);
    close(c);
    close(m);
    assert_int_equal(fr_record_stop(srv), FR_OK);
    fr_recording *r;
    assert_int_equal(fr_recording_open(path, &r, NULL, 0), FR_OK);
    const fr_rec_event *ev;
    int pushes = 0;
    while (fr_recording_next(r, &ev) == 1)
        if (ev->type == FR_REC_PUSH) {
            pushes++;
            assert_true(ev->len > 10 && ev->data[0] == '+');
            assert_non_null(strstr(ev->data, "] \"PING\"\r\n"));
        }
    assert_int_equal(pushes, 1);
    fr_recording_close(r);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_lines),
        cmocka_unit_test_setup_teardown(test_client_list, fr_fixture_setup, fr_fixture_teardown),
        cmocka_unit_test(test_resp3_and_ipv6),
        cmocka_unit_test(test_monitor_outlives_timeout),
        cmocka_unit_test_setup_teardown(test_lines_recorded_as_pushes, fr_fixture_setup,
                                        fr_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
