/* The recording proxy in front of Debian's redis-server (every test is
 * skipped when it is not installed): bytes unchanged both ways (RESP2 and
 * RESP3, pipelines, big values, pub/sub, blocking, MULTI, MONITOR), the
 * traffic recorded as the fake records its own, fault rules and server
 * events applied on the way, an upstream that is down or drops giving a
 * reset or a close, never a hang, and FAKE.* answered by the proxy. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
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
#include <hiredis/hiredis.h>

#include "fakeredis/events.h"
#include "fakeredis/fault.h"
#include "fakeredis/harness.h"
#include "fakeredis/proxy.h"
#include "fakeredis/record.h"
#include "fakeredis/recording.h"
#include "support/child.h"
#include "support/rawsock.h"
#include "support/testutil.h"

static int redis_port;
static pid_t redis_pid = -1;

static int group_setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    redis_pid = tu_redis_start(&redis_port);
    return 0;
}

static int group_teardown(void **state)
{
    if (redis_pid > 0)
        tu_child_stop(redis_pid, SIGTERM);
    return tu_children_teardown(state);
}

/* A fake forwarding to the test's redis-server, which starts empty. */
static int setup(void **state)
{
    if (redis_pid < 0) {
        fprintf(stderr, "redis-server not installed: skipped\n");
        skip();
    }
    redisContext *d = tu_connect_port(redis_port);
    tu_cmd_ok(d, "FLUSHALL");
    redisFree(d);
    fr_server *srv;
    assert_int_equal(fr_server_start(NULL, &srv), FR_OK);
    fr_proxy_options o = {.host = "127.0.0.1", .port = redis_port};
    assert_int_equal(fr_proxy_start(srv, &o), FR_OK);
    *state = srv;
    return 0;
}

static int teardown(void **state)
{
    fr_server_stop(*state);
    return 0;
}

/* Everything fd receives until it has been quiet for quiet_ms (5 s at
 * most): what a client got from a run of commands. */
static size_t read_all(int fd, char *buf, size_t cap, int quiet_ms)
{
    size_t n = 0;
    long long end = tu_mono_ms() + 5000;
    while (n < cap && tu_mono_ms() < end) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, quiet_ms) <= 0)
            break;
        ssize_t k = read(fd, buf + n, cap - n);
        if (k <= 0)
            break;
        n += (size_t)k;
    }
    return n;
}

/* The same bytes sent directly to redis-server and through the proxy,
 * against the same data, get the same bytes back. */
static void same_as_direct(fr_server *srv, const char *req, int resp3)
{
    static char a[1 << 16], b[1 << 16];
    size_t n[2];
    for (int side = 0; side < 2; side++) {
        redisContext *d = tu_connect_port(redis_port);
        tu_cmd_ok(d, "FLUSHALL");
        redisFree(d);
        int fd = side ? rs_connect_srv(srv) : rs_must_connect(redis_port);
        if (resp3) {
            char tmp[512];
            rs_send(fd, "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n");
            read_all(fd, tmp, sizeof tmp, 100);
        }
        rs_send(fd, req);
        n[side] = read_all(fd, side ? b : a, sizeof a, 200);
        close(fd);
    }
    assert_true(n[0] > 0);
    assert_int_equal(n[0], n[1]);
    assert_memory_equal(a, b, n[0]);
}

static void test_bytes_unchanged(void **state)
{
    fr_server *srv = *state;
    const char *req =
        "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\nv\x01\r\n\r\n"
        "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
        "*5\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"
        "*4\r\n$6\r\nLRANGE\r\n$1\r\nl\r\n$1\r\n0\r\n$2\r\n-1\r\n"
        "*4\r\n$4\r\nHSET\r\n$1\r\nh\r\n$1\r\nf\r\n$1\r\nv\r\n"
        "*2\r\n$7\r\nHGETALL\r\n$1\r\nh\r\n"
        "*4\r\n$4\r\nZADD\r\n$1\r\nz\r\n$3\r\n1.5\r\n$1\r\nm\r\n"
        "*5\r\n$6\r\nZRANGE\r\n$1\r\nz\r\n$1\r\n0\r\n$2\r\n-1\r\n$10\r\nWITHSCORES\r\n"
        "*2\r\n$3\r\nGET\r\n$4\r\nnone\r\n"
        "*1\r\n$5\r\nMULTI\r\n*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n*1\r\n$4\r\nEXEC\r\n"
        "*2\r\n$4\r\nINCR\r\n$1\r\nk\r\n"
        "*1\r\n$6\r\nNOSUCH\r\n"
        "PING inline\r\n"
        "*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$3\r\nOFF\r\n*1\r\n$4\r\nPING\r\n"
        "*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$2\r\nON\r\n"
        "*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$4\r\nSKIP\r\n*1\r\n$4\r\nPING\r\n"
        "*2\r\n$4\r\nECHO\r\n$4\r\nlast\r\n";
    same_as_direct(srv, req, 0);
    same_as_direct(srv, req, 1);
}

/* A pipeline of 200 commands and a 2 MB value, through hiredis. */
static void test_pipeline_and_big_values(void **state)
{
    fr_server *srv = *state;
    redisContext *c = tu_connect(srv);
    for (int i = 0; i < 200; i++)
        redisAppendCommand(c, "INCR n");
    for (long long i = 1; i <= 200; i++) {
        redisReply *r = NULL;
        assert_int_equal(redisGetReply(c, (void **)&r), REDIS_OK);
        assert_int_equal(r->integer, i);
        freeReplyObject(r);
    }
    size_t big = 2 << 20;
    char *v = malloc(big);
    assert_non_null(v);
    for (size_t i = 0; i < big; i++)
        v[i] = (char)(i * 7);
    tu_cmd_ok(c, "SET big %b", v, big);
    redisReply *r = tu_cmd(c, "GET big");
    assert_int_equal(r->len, big);
    assert_memory_equal(r->str, v, big);
    freeReplyObject(r);
    free(v);
    redisFree(c);
}

/* Pub/sub in both protocols (pushes pass as pushes), MONITOR through the
 * proxy, and a blocked client served by another one. */
static void test_pubsub_monitor_blocking(void **state)
{
    fr_server *srv = *state;
    int s2 = rs_connect_srv(srv), s3 = rs_connect_srv(srv), mon = rs_connect_srv(srv);
    rs_send(s2, "*3\r\n$9\r\nSUBSCRIBE\r\n$1\r\na\r\n$1\r\nb\r\n");
    rs_expect(s2, "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n"
                  "*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n");
    rs_send(s3, "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n");
    char tmp[512];
    read_all(s3, tmp, sizeof tmp, 100);
    rs_send(s3, "*2\r\n$10\r\nPSUBSCRIBE\r\n$2\r\na*\r\n");
    rs_expect(s3, ">3\r\n$10\r\npsubscribe\r\n$2\r\na*\r\n:1\r\n");
    assert_true(rs_roundtrip(mon, "*1\r\n$7\r\nMONITOR\r\n", "+OK\r\n"));

    redisContext *c = tu_connect(srv);
    assert_int_equal(tu_cmd_int(c, "PUBLISH a hi"), 2);
    rs_expect(s2, "*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nhi\r\n");
    rs_expect(s3, ">4\r\n$8\r\npmessage\r\n$2\r\na*\r\n$1\r\na\r\n$2\r\nhi\r\n");
    char line[256];
    size_t n = rs_read_n(mon, line, 1, 2000, NULL);
    n += read_all(mon, line + n, sizeof line - 1 - n, 100);
    line[n] = '\0';
    assert_true(line[0] == '+');
    assert_non_null(strstr(line, "\"PUBLISH\" \"a\" \"hi\"\r\n"));
    /* UNSUBSCRIBE from everything: one confirmation per channel (in the
     * server's order), then the connection is a normal one again */
    rs_send(s2, "*1\r\n$11\r\nUNSUBSCRIBE\r\n");
    char un[80];
    assert_int_equal(rs_read_n(s2, un, 66, 2000, NULL), 66);
    assert_memory_equal(un + 62, ":0\r\n", 4);
    assert_true(rs_roundtrip(s2, "*1\r\n$4\r\nPING\r\n", "+PONG\r\n"));
    read_all(mon, line, sizeof line, 100); /* the lines of s2's commands */
    assert_true(rs_roundtrip(mon, "*1\r\n$5\r\nRESET\r\n", "+RESET\r\n"));

    /* BLPOP holds the pipelined PING behind it, as Redis does */
    int b = rs_connect_srv(srv);
    rs_send(b, "*3\r\n$5\r\nBLPOP\r\n$2\r\nbl\r\n$1\r\n0\r\n*1\r\n$4\r\nPING\r\n");
    assert_true(rs_quiet_for(b, 100));
    assert_int_equal(tu_cmd_int(c, "RPUSH bl v"), 1);
    rs_expect(b, "*2\r\n$2\r\nbl\r\n$1\r\nv\r\n+PONG\r\n");
    redisFree(c);
    close(b);
    close(s2);
    close(s3);
    close(mon);
}

/* The recording of proxied traffic is what the fake records of its own:
 * commands, replies, pushes, per connection. */
static void test_recorded(void **state)
{
    fr_server *srv = *state;
    char path[64];
    snprintf(path, sizeof path, "/tmp/fr_it_proxy_%ld.rec", (long)getpid());
    assert_int_equal(fr_record_start(srv, path), FR_OK);
    int sub = rs_connect_srv(srv);
    rs_send(sub, "*2\r\n$9\r\nSUBSCRIBE\r\n$2\r\nch\r\n");
    rs_expect(sub, "*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n");
    redisContext *c = tu_connect(srv);
    tu_cmd_ok(c, "SET k v");
    assert_int_equal(tu_cmd_int(c, "PUBLISH ch m"), 1);
    rs_expect(sub, "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nm\r\n");
    redisFree(c);
    close(sub);
    assert_int_equal(fr_wait_clients(srv, 0, 2000), FR_OK);
    assert_int_equal(fr_record_stop(srv), FR_OK);

    static const char *const want[] = {
        "CONNECT",         "COMMAND SUBSCRIBE", "REPLY *", "CONNECT",    "COMMAND SET", "REPLY +",
        "COMMAND PUBLISH", "REPLY :",           "PUSH *",  "DISCONNECT", "DISCONNECT"};
    fr_recording *r;
    assert_int_equal(fr_recording_open(path, &r, NULL, 0), FR_OK);
    const fr_rec_event *ev;
    size_t i = 0;
    while (fr_recording_next(r, &ev) == 1) {
        char got[64];
        if (ev->type == FR_REC_COMMAND)
            snprintf(got, sizeof got, "COMMAND %s", ev->argv[0]);
        else if (ev->type == FR_REC_REPLY || ev->type == FR_REC_PUSH)
            snprintf(got, sizeof got, "%s %.1s", ev->type == FR_REC_REPLY ? "REPLY" : "PUSH",
                     ev->data);
        else
            snprintf(got, sizeof got, "%s", ev->type == FR_REC_CONNECT ? "CONNECT" : "DISCONNECT");
        assert_true(i < sizeof want / sizeof *want);
        assert_string_equal(got, want[i]);
        if (ev->type == FR_REC_REPLY || ev->type == FR_REC_PUSH)
            assert_true(ev->flags & FR_REC_SENT);
        i++;
    }
    assert_int_equal(i, sizeof want / sizeof *want);
    fr_recording_close(r);
    unlink(path);
}

/* Rules and server events work in front of a real Redis. */
static void test_faults(void **state)
{
    fr_server *srv = *state;
    redisContext *d = tu_connect_port(redis_port);
    tu_cmd_ok(d, "SET k 0123456789");

    /* a reply cut in half, then FIN */
    assert_int_equal(fr_fault_add_text(srv, "cmd=GET action=cut at=half then=close", NULL), FR_OK);
    int fd = rs_connect_srv(srv);
    rs_send(fd, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
    char buf[64];
    int eof = 0;
    size_t n = rs_read_to_eof(fd, buf, sizeof buf, 2000, &eof);
    assert_true(eof);
    assert_int_equal(n, 8); /* of "$10\r\n0123456789\r\n" */
    assert_memory_equal(buf, "$10\r\n012", 8);
    close(fd);
    assert_int_equal(fr_fault_clear(srv, 0), FR_OK);

    /* refused before it goes upstream: the key stays */
    assert_int_equal(fr_fault_add_text(srv, "cmd=SET action=error err=readonly", NULL), FR_OK);
    fd = rs_connect_srv(srv);
    assert_true(rs_roundtrip(fd, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nx\r\n",
                             "-READONLY You can't write against a read only replica.\r\n"));
    tu_cmd_str(d, REDIS_REPLY_STRING, "0123456789", "GET k");
    close(fd);
    assert_int_equal(fr_fault_clear(srv, 0), FR_OK);

    /* run upstream, then the client is reset */
    assert_int_equal(fr_fault_add_text(srv, "cmd=INCR action=reset when=after", NULL), FR_OK);
    fd = rs_connect_srv(srv);
    rs_send(fd, "*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n");
    rs_read_to_eof(fd, buf, sizeof buf, 2000, &eof);
    assert_true(eof);
    close(fd);
    tu_cmd_str(d, REDIS_REPLY_STRING, "1", "GET n");
    assert_int_equal(fr_fault_clear(srv, 0), FR_OK);

    /* a restart: refused while down, forwarded again once back */
    redisContext *c = tu_connect(srv);
    assert_int_equal(fr_server_restart(srv, 300, 0), FR_OK);
    assert_true(rs_connect(fr_server_port(srv)) < 0 && errno == ECONNREFUSED);
    redisReply *r = redisCommand(c, "PING");
    assert_null(r); /* the old connection was closed */
    redisFree(c);
    long long end = tu_mono_ms() + 5000;
    while ((fd = rs_connect(fr_server_port(srv))) < 0 && tu_mono_ms() < end)
        poll(NULL, 0, 20);
    assert_true(fd >= 0);
    assert_true(rs_roundtrip(fd, "*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n", ":2\r\n"));
    close(fd);
    redisFree(d);
}

/* FAKE.* steer the proxy itself. */
static void test_control_commands_stay_local(void **state)
{
    fr_server *srv = *state;
    assert_int_equal(fr_clock_freeze(srv), FR_OK);
    assert_int_equal(fr_clock_set(srv, 1000), FR_OK);
    redisContext *c = tu_connect(srv);
    assert_int_equal(tu_cmd_int(c, "FAKE.CLOCK GET"), 1000);
    tu_cmd_ok(c, "SET k v"); /* upstream */
    redisFree(c);
    redisContext *d = tu_connect_port(redis_port);
    tu_cmd_str(d, REDIS_REPLY_STRING, "v", "GET k");
    redisFree(d);
}

/* A port nobody listens on (free a moment ago). */
static int dead_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

/* Upstream down: the client is reset at once. Upstream dropping the
 * connection: the client gets a FIN. Never a hang. */
static void test_upstream_down_or_dropping(void **state)
{
    fr_server *srv = *state;
    fr_server *down;
    assert_int_equal(fr_server_start(NULL, &down), FR_OK);
    fr_proxy_options o = {.host = "127.0.0.1", .port = dead_port()};
    assert_int_equal(fr_proxy_start(down, &o), FR_OK);
    assert_int_equal(fr_proxy_start(down, &o), FR_ERR_STATE);
    int fd = rs_connect_srv(down);
    char buf[64];
    int eof = 0;
    long long t0 = tu_mono_ms();
    rs_write_str(fd, "*1\r\n$4\r\nPING\r\n");
    assert_int_equal(rs_read_to_eof(fd, buf, sizeof buf, 3000, &eof), 0);
    assert_true(eof);
    assert_true(tu_mono_ms() - t0 < 1000);
    close(fd);
    uint64_t fwd = 0, unreach = 0;
    assert_int_equal(fr_proxy_stats(down, &fwd, &unreach), FR_OK);
    assert_int_equal(fwd, 1);
    assert_int_equal(unreach, 1);
    /* stopped: the fake answers again */
    assert_int_equal(fr_proxy_stop(down), FR_OK);
    assert_int_equal(fr_proxy_stop(down), FR_ERR_STATE);
    fd = rs_connect_srv(down);
    assert_true(rs_roundtrip(fd, "*1\r\n$4\r\nPING\r\n", "+PONG\r\n"));
    close(fd);
    fr_server_stop(down);

    /* redis closes the proxy's upstream connection */
    fd = rs_connect_srv(srv);
    assert_true(
        rs_roundtrip(fd, "*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$6\r\nvictim\r\n", "+OK\r\n"));
    redisContext *d = tu_connect_port(redis_port);
    assert_int_equal(tu_cmd_int(d, "CLIENT KILL TYPE normal SKIPME yes"), 1);
    redisFree(d);
    assert_int_equal(rs_read_to_eof(fd, buf, sizeof buf, 3000, &eof), 0);
    assert_true(eof);
    close(fd);
}

/* Run cmd through the shell; its output (freed by the caller) and status. */
static char *run(int *status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *run(int *status, const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return tu_run(cmd, status);
}

/* The round trip: redis-cli and a hiredis client talk to redis-server
 * through `fakeredis-server --proxy-to --record`; the recording replays
 * with no difference against redis-server (flushed first) and against a
 * fake; against a fake that answers one command otherwise, the difference
 * is reported with the connection, the command and both replies. */
static void test_round_trip(void **state)
{
    (void)state;
    char path[64], target[64];
    snprintf(path, sizeof path, "/tmp/fr_it_proxy_rt_%ld.rec", (long)getpid());
    snprintf(target, sizeof target, "127.0.0.1:%d", redis_port);
    const char *extra[] = {"--proxy-to", target, "--record", path, NULL};
    int port, status;
    /* a target the program cannot use is refused at start */
    static const char *const bad[] = {"nocolon", "host:", "h:0", "h:99999", "[::1:6379", ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *out = run(&status, "%s --port 0 --proxy-to '%s' 2>&1", FR_SERVER_BIN, bad[i]);
        assert_int_equal(status, 1);
        assert_non_null(strstr(out, "--proxy-to"));
        free(out);
    }
    pid_t proxy = tu_fakeredis_start(FR_SERVER_BIN, extra, &port);

    free(run(&status, "command -v redis-cli >/dev/null"));
    int have_cli = status == 0;
    if (have_cli) {
        free(run(&status, "redis-cli -p %d SET greeting hello >/dev/null", port));
        assert_int_equal(status, 0);
        free(run(&status, "redis-cli -p %d RPUSH l a b c >/dev/null", port));
        char *out = run(&status, "redis-cli -p %d LRANGE l 0 -1", port);
        assert_string_equal(out, "a\nb\nc\n");
        free(out);
    }
    redisContext *c = tu_connect_port(port);
    int sub = rs_must_connect(port);
    rs_send(sub, "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n");
    char tmp[512];
    read_all(sub, tmp, sizeof tmp, 100);
    rs_send(sub, "*2\r\n$9\r\nSUBSCRIBE\r\n$2\r\nch\r\n");
    rs_expect(sub, ">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n");
    tu_cmd_ok(c, "SET k %b", "v\0\r\n", (size_t)4);
    assert_int_equal(tu_cmd_int(c, "INCR n"), 1);
    redisReply *r = tu_cmd(c, "MULTI");
    freeReplyObject(r);
    freeReplyObject(tu_cmd(c, "ZADD z 1 a 2 b"));
    freeReplyObject(tu_cmd(c, "ZRANGE z 0 -1 WITHSCORES"));
    r = tu_cmd(c, "EXEC");
    assert_int_equal(r->elements, 2);
    freeReplyObject(r);
    assert_int_equal(tu_cmd_int(c, "PUBLISH ch news"), 1);
    rs_expect(sub, ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$4\r\nnews\r\n");
    tu_cmd_nil(c, "GET missing");
    redisFree(c);
    close(sub);
    assert_int_equal(tu_child_stop(proxy, SIGTERM), 0); /* the recording is complete */

    /* against redis-server, flushed first (the proxy left the data there) */
    char *out =
        run(&status, "%s replay %s --port %d --flush --compare", FR_REPLAY_BIN, path, redis_port);
    assert_non_null(strstr(out, " 0 differ, 0 skipped"));
    assert_int_equal(status, 0);
    free(out);
    /* against a fake */
    const char *none[] = {NULL};
    pid_t fake = tu_fakeredis_start(FR_SERVER_BIN, none, &port);
    out = run(&status, "%s replay %s --port %d --compare", FR_REPLAY_BIN, path, port);
    assert_non_null(strstr(out, " 0 differ, 0 skipped"));
    assert_int_equal(status, 0);
    free(out);
    tu_child_stop(fake, SIGTERM);
    /* a fake that answers INCR otherwise */
    const char *rule[] = {"--fault", "cmd=INCR action=error err=\"ERR changed\"", NULL};
    fake = tu_fakeredis_start(FR_SERVER_BIN, rule, &port);
    out = run(&status, "%s replay %s --port %d", FR_REPLAY_BIN, path, port);
    assert_int_equal(status, 1);
    assert_non_null(strstr(out, ": \"INCR\" \"n\"\n  expected \":1\\r\\n\"\n"
                                "  got      \"-ERR changed\\r\\n\"\n"));
    assert_non_null(strstr(out, "connection "));
    assert_non_null(strstr(out, " 1 differ, 0 skipped"));
    free(out);
    tu_child_stop(fake, SIGTERM);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bytes_unchanged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pipeline_and_big_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pubsub_monitor_blocking, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recorded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_faults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_control_commands_stay_local, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upstream_down_or_dropping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
