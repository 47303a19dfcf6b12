/* Fault injection, observed on the wire: raw sockets see the exact bytes,
 * the EOF or the reset, the timing; hiredis (sync and async on libevent)
 * shows what a client library makes of it. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "fakeredis/fakeredis.h"
#include "fakeredis/events.h"
#include "fakeredis/fault.h"
#include "fakeredis/pubsub.h"
#include "support/child.h"
#include "support/rawsock.h"
#include "support/testutil.h"

/* Timing tolerances: the machine running the tests may be busy. */
#define LATE_MS 600  /* how late a timed event may be */
#define QUIET_MS 250 /* "nothing arrives" is checked over this long */

static void add(fr_server *srv, const char *rule)
{
    uint64_t id = 0;
    int rc = fr_fault_add_text(srv, rule, &id);
    if (rc != FR_OK)
        fail_msg("rule '%s': %s", rule, fr_server_errstr(srv));
    assert_true(id > 0);
}

enum { R_EOF = 1, R_RST, R_QUIET };
static const char *kind_name(int k)
{
    return k == R_EOF ? "EOF" : k == R_RST ? "RST" : "quiet";
}

/* Read until EOF, a reset, or quiet_ms without a byte. */
static int slurp(int fd, char *buf, size_t cap, size_t *len, int quiet_ms)
{
    *len = 0;
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        int r = poll(&p, 1, quiet_ms);
        if (r == 0)
            return R_QUIET;
        ssize_t n = recv(fd, buf + *len, cap - *len, 0);
        if (n == 0)
            return R_EOF;
        if (n < 0)
            return errno == ECONNRESET ? R_RST : -1;
        *len += (size_t)n;
        if (*len == cap)
            return R_QUIET;
    }
}

/* The connection gives exactly want[0..wlen) and then ends as kind. */
static void expect_wire(int fd, const char *want, size_t wlen, int kind)
{
    char buf[8192];
    size_t len;
    int k = slurp(fd, buf, sizeof buf, &len, kind == R_QUIET ? QUIET_MS : 5000);
    if (k != kind || len != wlen || memcmp(buf, want, wlen) != 0)
        fail_msg("got %zu bytes '%.*s' then %s; want %zu bytes '%.*s' then %s", len, (int)len, buf,
                 kind_name(k), wlen, (int)wlen, want, kind_name(kind));
}
#define EXPECT(fd, lit, kind) expect_wire(fd, lit, sizeof(lit) - 1, kind)

static char *get_str(fr_server *srv, const char *key)
{
    static char v[256];
    fr_reply *r = fr_execf(srv, "GET %s", key);
    assert_non_null(r);
    if (r->type == FR_REPLY_NIL) {
        fr_reply_free(r);
        return NULL;
    }
    assert_int_equal(r->type, FR_REPLY_STRING);
    snprintf(v, sizeof v, "%s", r->str);
    fr_reply_free(r);
    return v;
}

static void exec_ok(fr_server *srv, const char *cmd)
{
    fr_reply *r = fr_execf(srv, cmd);
    assert_non_null(r);
    assert_int_not_equal(r->type, FR_REPLY_ERROR);
    fr_reply_free(r);
}

/* ---- actions before the command ------------------------------------------- */

static void test_error_refuses(void **state)
{
    fr_server *srv = tu_start();
    add(srv, "cmd=GET key=user:* action=error err=\"MOVED 3999 127.0.0.1:6381\"");
    add(srv, "cmd=SET action=error err=loading");
    int fd = rs_connect_srv(srv);
    rs_send(fd, "GET user:1\r\nGET other\r\nSET a b\r\n");
    EXPECT(fd,
           "-MOVED 3999 127.0.0.1:6381\r\n$-1\r\n"
           "-LOADING Redis is loading the dataset in memory\r\n",
           R_QUIET);
    assert_null(get_str(srv, "a")); /* refused: never ran */
    /* inside MULTI a refused command dooms the transaction, as in Redis */
    rs_send(fd, "MULTI\r\nSET a b\r\nEXEC\r\n");
    EXPECT(fd,
           "+OK\r\n-LOADING Redis is loading the dataset in memory\r\n"
           "-EXECABORT Transaction discarded because of previous errors.\r\n",
           R_QUIET);
    close(fd);
    fr_server_stop(srv);
}

/* key= looks at the keys Redis finds (the key specs): XREAD's streams
 * after STREAMS, ZUNIONSTORE's sources after numkeys, not their IDs or
 * options. */
static void test_key_matches_key_specs(void **state)
{
    fr_server *srv = tu_start();
    add(srv, "key=hot:* action=error err=\"MOVED 1 127.0.0.1:6381\"");
    int fd = rs_connect_srv(srv);
    rs_send(fd, "XREAD COUNT 1 STREAMS cold hot:1 0 0\r\n"
                "XREAD STREAMS cold hot:1\r\n"
                "ZUNIONSTORE dst 2 cold hot:2\r\n"
                "ZUNIONSTORE dst 1 cold WEIGHTS 1\r\n"
                "SET cold hot:3\r\n");
    EXPECT(fd,
           "-MOVED 1 127.0.0.1:6381\r\n"
           "-ERR Invalid stream ID specified as stream command argument\r\n"
           "-MOVED 1 127.0.0.1:6381\r\n:0\r\n+OK\r\n",
           R_QUIET);
    close(fd);
    fr_server_stop(srv);
}

/* EXEC itself refused discards the transaction and says why, as Redis'
 * rejectCommand does (a -LOADING, a -READONLY on EXEC): the client must
 * start over, and the queued SET never runs. */
static void test_error_on_exec_discards(void **state)
{
    fr_server *srv = tu_start();
    add(srv, "cmd=EXEC action=error err=loading once");
    int fd = rs_connect_srv(srv);
    rs_send(fd, "MULTI\r\nSET a b\r\nEXEC\r\nEXEC\r\nGET a\r\n");
    EXPECT(fd,
           "+OK\r\n+QUEUED\r\n"
           "-EXECABORT Transaction discarded because of: LOADING Redis is loading the dataset "
           "in memory\r\n"
           "-ERR EXEC without MULTI\r\n$-1\r\n",
           R_QUIET);
    close(fd);
    fr_server_stop(srv);
}

static void test_error_after(void **state)
{
    fr_server *srv = tu_start();
    add(srv, "cmd=SET action=error when=after err=\"READONLY You can't write against a read only "
             "replica.\"");
    int fd = rs_connect_srv(srv);
    rs_send(fd, "SET a b\r\n");
    EXPECT(fd, "-READONLY You can't write against a read only replica.\r\n", R_QUIET);
    assert_string_equal(get_str(srv, "a"), "b"); /* it ran all the same */
    close(fd);
    fr_server_stop(srv);
}

static void test_drop(void **state)
{
    fr_server *srv = tu_start();
    add(srv, "cmd=SET key=x action=drop");
    add(srv, "cmd=SET key=y action=drop when=after");
    int fd = rs_connect_srv(srv);
    rs_send(fd, "SET x 1\r\nSET y 2\r\nPING\r\n");
    EXPECT(fd, "+PONG\r\n", R_QUIET);
    assert_null(get_str(srv, "x"));
    assert_string_equal(get_str(srv, "y"), "2");
    close(fd);
    fr_server_stop(srv);
}

static void test_stall_until_cleared(void **state)
{
    fr_server *srv = tu_start();
    uint64_t id;
    assert_int_equal(fr_fault_add_text(srv, "cmd=SET action=stall", &id), FR_OK);
    int fd = rs_connect_srv(srv);
    rs_send(fd, "SET k v\r\nPING\r\n");
    EXPECT(fd, "", R_QUIET);
    assert_null(get_str(srv, "k")); /* held before it ran */
    assert_int_equal(fr_fault_clear(srv, id), FR_OK);
    rs_expect(fd, "+OK\r\n+PONG\r\n");
    assert_string_equal(get_str(srv, "k"), "v");
    /* it ran once, and was faulted once */
    assert_int_equal(fr_fault_clear(srv, id), FR_ERR_ARG);
    close(fd);
    fr_server_stop(srv);
}

static void test_close_before(void **state)
{
    fr_server *srv = tu_start();
    add(srv, "cmd=GET action=close");
    int fd = rs_connect_srv(srv);
    rs_send(fd, "SET k v\r\nGET k\r\nPING\r\n");
    EXPECT(fd, "+OK\r\n", R_EOF);
    close(fd);
    fr_server_stop(srv);
}

static void test_reset_before(void **state)
{
    fr_server *srv = tu_start();
    add(srv, "cmd=GET action=reset");
    int fd = rs_connect_srv(srv);
    rs_send(fd, "SET k v\r\nGET k\r\n");
    EXPECT(fd, "+OK\r\n", R_RST);
    close(fd);
    fr_server_stop(srv);
}

static void test_halfclose(void **state)
{
    fr_server *srv = tu_start();
    add(srv, "cmd=GET action=halfclose");
    int fd = rs_connect_srv(srv);
    rs_send(fd, "SET k v\r\nGET k\r\n");
    EXPECT(fd, "+OK\r\n", R_EOF);
    /* the server still reads: a write after its FIN still runs */
    rs_send(fd, "SET k2 w\r\n");
    int64_t deadline = tu_mono_ms() + 5000;
    while (!get_str(srv, "k2") && tu_mono_ms() < deadline)
        poll(NULL, 0, 5);
    assert_string_equal(get_str(srv, "k2"), "w");
    close(fd);
    fr_server_stop(srv);
}

static void test_delay_processing(void **state)
{
    fr_server *srv = tu_start();
    add(srv, "cmd=SET action=delay when=before ms=300");
    int fd = rs_connect_srv(srv);
    int64_t t0 = tu_mono_ms();
    rs_send(fd, "SET k v\r\n");
    poll(NULL, 0, 100);
    assert_null(get_str(srv, "k")); /* not run yet */
    rs_expect(fd, "+OK\r\n");
    int64_t dt = tu_mono_ms() - t0;
    if (!(dt >= 295 && dt < 300 + LATE_MS))
        fail_msg("delayed by %lld ms", (long long)dt);
    assert_string_equal(get_str(srv, "k"), "v");
    close(fd);
    fr_server_stop(srv);
}

/* ---- actions on the reply -------------------------------------------------------- */

static void test_delay_reply_and_order(void **state)
{
    fr_server *srv = tu_start();
    add(srv, "cmd=SET action=delay ms=300");
    int fd = rs_connect_srv(srv);
    int64_t t0 = tu_mono_ms();
    rs_send(fd, "SET k v\r\nPING\r\n");
    poll(NULL, 0, 100);
    assert_string_equal(get_str(srv, "k"), "v"); /* ran at once */
    char buf[16];
    /* the PING's reply queues behind the delayed one: both come late */
    assert_int_equal(rs_read_n(fd, buf, 12, RS_WAIT_MS, NULL), 12);
    int64_t dt = tu_mono_ms() - t0;
    assert_memory_equal(buf, "+OK\r\n+PONG\r\n", 12);
    assert_true(dt >= 300 && dt < 300 + LATE_MS);
    close(fd);
    fr_server_stop(srv);
}

static void test_delay_jitter(void **state)
{
    fr_server *srv = tu_start();
    add(srv, "cmd=PING action=delay ms=100 jitter=100");
    int fd = rs_connect_srv(srv);
    for (int i = 0; i < 3; i++) {
        int64_t t0 = tu_mono_ms();
        rs_send(fd, "PING\r\n");
        rs_expect(fd, "+PONG\r\n");
        int64_t dt = tu_mono_ms() - t0;
        assert_true(dt >= 100 && dt < 200 + LATE_MS);
    }
    close(fd);
    fr_server_stop(srv);
}

/* Durations are bounded once, in the parser: what was once accepted and
 * then overflowed the engine's arithmetic (a sanitizer build died, a
 * release build sent the reply at once) is refused, and the longest
 * accepted durations really hold the bytes back. */
static void test_longest_durations(void **state)
{
    fr_server *srv = tu_start();
    static const char *const too_long[] = {"cmd=PING action=delay ms=9223372036854775s",
                                           "cmd=PING action=delay ms=1 jitter=9223372036854775s",
                                           "cmd=ECHO action=slice gap=9223372036854775s",
                                           "on=accept action=delay ms=9223372036854775s",
                                           "action=drop for=9223372036855s"};
    for (size_t i = 0; i < sizeof too_long / sizeof too_long[0]; i++)
        if (fr_fault_add_text(srv, too_long[i], NULL) != FR_ERR_PARSE)
            fail_msg("rule '%s' was accepted", too_long[i]);
    int ctl = rs_connect_srv(srv);
    rs_send(ctl, "FAKE.FAULT ADD \"cmd=PING action=delay ms=9223372036854775s\"\r\n");
    rs_expect(ctl, "-ERR fault rule: word 3 'ms=9223372036854775s': a duration is at most "
                   "1000000000000 ms (1000000000s)\r\n");

    add(srv, "cmd=PING action=delay ms=1000000000s jitter=1000000000s");
    add(srv, "cmd=ECHO action=slice size=1 gap=1000000000000");
    int fd = rs_connect_srv(srv);
    rs_send(fd, "PING\r\n");
    EXPECT(fd, "", R_QUIET);
    close(fd);
    fd = rs_connect_srv(srv);
    rs_send(fd, "ECHO ab\r\n");
    EXPECT(fd, "$", R_QUIET); /* the first fragment, then the long gap */
    close(fd);
    add(srv, "on=accept action=delay ms=1000000000s");
    fd = rs_connect_srv(srv);
    rs_send(fd, "PING\r\n");
    EXPECT(fd, "", R_QUIET);
    close(fd);
    /* the server is well (the control connection predates the accept
     * rule; GET matches no rule) */
    rs_send(ctl, "GET nokey\r\n");
    rs_expect(ctl, "$-1\r\n");
    close(ctl);
    fr_server_stop(srv);
}

static void test_slice_fragments(void **state)
{
    fr_server *srv = tu_start();
    add(srv, "cmd=ECHO action=slice size=2 gap=50");
    int fd = rs_connect_srv(srv);
    int64_t t0 = tu_mono_ms();
    rs_send(fd, "ECHO hello\r\n"); /* $5\r\nhello\r\n: 11 bytes, 6 fragments */
    char all[32];
    size_t got = 0;
    int reads = 0;
    while (got < 11) {
        struct pollfd p = {fd, POLLIN, 0};
        assert_true(poll(&p, 1, 5000) == 1);
        ssize_t n = recv(fd, all + got, sizeof all - got, 0);
        assert_true(n > 0 && n <= 2); /* never two fragments at once */
        got += (size_t)n;
        reads++;
    }
    assert_int_equal(reads, 6);
    assert_memory_equal(all, "$5\r\nhello\r\n", 11);
    assert_true(tu_mono_ms() - t0 >= 5 * 50);
    close(fd);
    fr_server_stop(srv);
}

static void test_cut_close_reset_stall(void **state)
{
    fr_server *srv = tu_start();
    exec_ok(srv, "SET k abcdefgh"); /* GET k: $8\r\nabcdefgh\r\n, 14 bytes */
    add(srv, "cmd=GET nth=1 action=cut at=half then=close");
    add(srv, "cmd=GET nth=2 action=cut at=5 then=reset");
    uint64_t stall;
    assert_int_equal(
        fr_fault_add_text(srv, "cmd=GET nth=3 action=cut at=elem:1 then=stall", &stall), FR_OK);
    int fd = rs_connect_srv(srv);
    rs_send(fd, "GET k\r\n");
    EXPECT(fd, "$8\r\nabc", R_EOF);
    close(fd);
    fd = rs_connect_srv(srv);
    rs_send(fd, "GET k\r\n");
    EXPECT(fd, "$8\r\na", R_RST);
    close(fd);
    fd = rs_connect_srv(srv);
    rs_send(fd, "GET k\r\nPING\r\n");
    EXPECT(fd, "$8\r\nabc", R_QUIET); /* not an aggregate: the middle */
    assert_int_equal(fr_fault_clear(srv, stall), FR_OK);
    rs_expect(fd, "defgh\r\n+PONG\r\n");
    close(fd);
    fr_server_stop(srv);
}

/* The example, word for word. */
static void test_cut_second_subscribe_of_worker(void **state)
{
    fr_server *srv = tu_start();
    add(srv, "cmd=SUBSCRIBE nth=2 client=worker action=cut at=half then=reset");
    int other = rs_connect_srv(srv);
    rs_send(other, "SUBSCRIBE a\r\n"); /* not the worker: not counted */
    rs_expect(other, "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n");
    int fd = rs_connect_srv(srv);
    rs_send(fd, "CLIENT SETNAME worker\r\nSUBSCRIBE a\r\n");
    rs_expect(fd, "+OK\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n");
    rs_send(fd, "SUBSCRIBE b\r\n");
    /* *3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n is 30 bytes: 15, then RST */
    EXPECT(fd, "*3\r\n$9\r\nsubscri", R_RST);
    close(fd);
    close(other);
    fr_server_stop(srv);
}

static void test_cut_frame_and_elem(void **state)
{
    fr_server *srv = tu_start();
    add(srv, "cmd=SUBSCRIBE action=cut at=frame:1 then=close once");
    add(srv, "cmd=CONFIG action=cut at=elem:2 then=close once");
    int fd = rs_connect_srv(srv);
    rs_send(fd, "SUBSCRIBE a b\r\n");
    EXPECT(fd, "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n", R_EOF);
    close(fd);
    fd = rs_connect_srv(srv);
    rs_send(fd, "CONFIG GET maxclients\r\n");
    /* *2 $10 maxclients $5 10000: the second element is cut in its middle */
    EXPECT(fd, "*2\r\n$10\r\nmaxclients\r\n$5\r\n1", R_EOF);
    close(fd);
    fr_server_stop(srv);
}

static void test_corrupt(void **state)
{
    fr_server *srv = tu_start();
    add(srv, "cmd=PING nth=1 action=corrupt");
    add(srv, "cmd=PING nth=2 action=corrupt how=replace pos=last byte=X");
    add(srv, "cmd=PING nth=3 action=corrupt how=nolf");
    int fd = rs_connect_srv(srv);
    rs_send(fd, "PING\r\nPING\r\nPING\r\n");
    EXPECT(fd, "\xd4PONG\r\n+PONG\rX+PONG\r", R_QUIET);
    close(fd);
    fr_server_stop(srv);
}

static void test_dup_and_insert(void **state)
{
    fr_server *srv = tu_start();
    add(srv, "cmd=PING action=dup once");
    add(srv, "cmd=ECHO action=insert text=hey once");
    int fd = rs_connect_srv(srv);
    rs_send(fd, "PING\r\nECHO x\r\nHELLO 3\r\n");
    char buf[4096];
    size_t len;
    assert_int_equal(slurp(fd, buf, sizeof buf, &len, QUIET_MS), R_QUIET);
    const char *want = "+PONG\r\n+PONG\r\n*3\r\n$7\r\nmessage\r\n$5\r\nfault\r\n$3\r\nhey\r\n"
                       "$1\r\nx\r\n%7\r\n";
    assert_true(len > strlen(want));
    assert_memory_equal(buf, want, strlen(want));
    /* RESP3: the inserted frame is a real push */
    add(srv, "cmd=PING action=insert once");
    rs_send(fd, "PING\r\n");
    EXPECT(fd, ">3\r\n$7\r\nmessage\r\n$5\r\nfault\r\n$8\r\ninjected\r\n+PONG\r\n", R_QUIET);
    close(fd);
    fr_server_stop(srv);
}

static void test_rate(void **state)
{
    fr_server *srv = tu_start();
    exec_ok(srv, "SET k 0123456789012345678901234567890123456789"); /* 40 bytes */
    add(srv, "cmd=GET action=rate bps=100");
    int fd = rs_connect_srv(srv);
    int64_t t0 = tu_mono_ms();
    rs_send(fd, "GET k\r\n"); /* 49 bytes at 100 B/s: about 480 ms */
    rs_expect(fd, "$40\r\n0123456789012345678901234567890123456789\r\n");
    int64_t dt = tu_mono_ms() - t0;
    assert_true(dt >= 400 && dt < 480 + LATE_MS);
    close(fd);
    fr_server_stop(srv);
}

static void test_push_rules(void **state)
{
    fr_server *srv = tu_start();
    add(srv, "on=push channel=news action=drop");
    add(srv, "on=push channel=slow action=slice size=3 gap=1");
    int fd = rs_connect_srv(srv);
    rs_send(fd, "SUBSCRIBE news other slow\r\n");
    rs_expect(fd, "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n"
                  "*3\r\n$9\r\nsubscribe\r\n$5\r\nother\r\n:2\r\n"
                  "*3\r\n$9\r\nsubscribe\r\n$4\r\nslow\r\n:3\r\n");
    exec_ok(srv, "PUBLISH news lost");
    exec_ok(srv, "PUBLISH other kept");
    exec_ok(srv, "PUBLISH slow bytes");
    EXPECT(fd,
           "*3\r\n$7\r\nmessage\r\n$5\r\nother\r\n$4\r\nkept\r\n"
           "*3\r\n$7\r\nmessage\r\n$4\r\nslow\r\n$5\r\nbytes\r\n",
           R_QUIET);
    close(fd);
    fr_server_stop(srv);
}

/* ---- at accept, on read ----------------------------------------------------------- */

static void test_accept_actions(void **state)
{
    fr_server *srv = tu_start();
    add(srv, "on=accept nth=1 action=close");
    add(srv, "on=accept nth=2 action=reset");
    add(srv, "on=accept nth=3 action=error err=\"ERR max number of clients reached\"");
    add(srv, "on=accept nth=4 action=delay ms=300");
    uint64_t hang;
    assert_int_equal(fr_fault_add_text(srv, "on=accept nth=5 action=hang", &hang), FR_OK);
    int fd = rs_connect_srv(srv); /* the kernel accepts: the server closes at once */
    EXPECT(fd, "", R_EOF);
    close(fd);
    fd = rs_connect_srv(srv);
    EXPECT(fd, "", R_RST);
    close(fd);
    fd = rs_connect_srv(srv);
    EXPECT(fd, "-ERR max number of clients reached\r\n", R_EOF);
    close(fd);
    fd = rs_connect_srv(srv);
    int64_t t0 = tu_mono_ms();
    rs_send(fd, "PING\r\n");
    rs_expect(fd, "+PONG\r\n");
    int64_t dt = tu_mono_ms() - t0;
    assert_true(dt >= 290 && dt < 300 + LATE_MS);
    close(fd);
    fd = rs_connect_srv(srv);
    rs_send(fd, "PING\r\n");
    EXPECT(fd, "", R_QUIET);
    assert_int_equal(fr_fault_clear(srv, hang), FR_OK);
    rs_expect(fd, "+PONG\r\n");
    close(fd);
    fd = rs_connect_srv(srv); /* the sixth: untouched */
    rs_send(fd, "PING\r\n");
    EXPECT(fd, "+PONG\r\n", R_QUIET);
    close(fd);
    fr_server_stop(srv);
}

/* ---- the three fixes: refuse, push bursts, after-cmds ------------------------------ */

/* on=accept action=refuse: connect() itself fails with ECONNREFUSED (the
 * port is closed while the rule is in force), never a connect that
 * succeeds and then reads EOF; clearing the rule opens the port again. */
static void test_refuse_gives_econnrefused(void **state)
{
    fr_server *srv = tu_start();
    int port = fr_server_port(srv);
    uint64_t id;
    assert_int_equal(fr_fault_add_text(srv, "on=accept action=refuse", &id), FR_OK);
    for (int i = 0; i < 3; i++) {
        errno = 0;
        int fd = rs_connect(port);
        if (fd >= 0)
            fail_msg("connect %d succeeded while refusing", i + 1);
        assert_int_equal(errno, ECONNREFUSED);
    }
    uint64_t hits = 0;
    assert_int_equal(fr_fault_hits(srv, id, &hits, NULL), FR_OK);
    assert_int_equal(hits, 1); /* it fired once: when it closed the port */
    assert_int_equal(fr_server_is_listening(srv), 0);
    assert_int_equal(fr_fault_clear(srv, id), FR_OK);
    int fd = rs_connect_srv(srv); /* same port, open again */
    assert_int_equal(fr_server_port(srv), port);
    rs_send(fd, "PING\r\n");
    rs_expect(fd, "+PONG\r\n");
    close(fd);

    /* a window: refused for 300 ms, then accepted, with no clear */
    add(srv, "on=accept action=refuse for=300ms");
    long long t0 = tu_mono_ms(), accepted_at = -1;
    int refused = 0;
    while (tu_mono_ms() - t0 < 300 + LATE_MS * 3) {
        errno = 0;
        fd = rs_connect(port);
        if (fd >= 0) {
            accepted_at = tu_mono_ms() - t0;
            break;
        }
        assert_int_equal(errno, ECONNREFUSED);
        refused++;
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    assert_true(refused > 0);
    assert_true(accepted_at >= 290);
    rs_send(fd, "PING\r\n");
    rs_expect(fd, "+PONG\r\n");
    close(fd);

    /* a refuse window and FAKE.LISTEN: the port opens when both allow */
    assert_int_equal(fr_fault_add_text(srv, "on=accept action=refuse", &id), FR_OK);
    assert_int_equal(fr_server_set_listening(srv, 0), FR_OK);
    assert_int_equal(fr_fault_clear(srv, id), FR_OK);
    assert_true(rs_connect(port) < 0 && errno == ECONNREFUSED); /* still off */
    assert_int_equal(fr_server_set_listening(srv, 1), FR_OK);
    fd = rs_connect_srv(srv);
    close(fd);
    fr_server_stop(srv);
}

/* on=push channel=X action=slice with no limit: every push of a burst is
 * sliced (it used to be only the first; the others queued behind it
 * whole). Each of 5 messages of 35 bytes in 8-byte fragments, 10 ms
 * apart: 25 fragments, at least 24 gaps. */
static void test_push_burst_all_sliced(void **state)
{
    fr_server *srv = tu_start();
    uint64_t id;
    assert_int_equal(fr_fault_add_text(srv, "on=push channel=news action=slice size=8 gap=10", &id),
                     FR_OK);
    int fd = rs_connect_srv(srv);
    rs_send(fd, "SUBSCRIBE news\r\n");
    rs_expect(fd, "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n");
    long long t0 = tu_mono_ms();
    for (int i = 0; i < 5; i++)
        assert_int_equal(fr_pubsub_publish(srv, FR_SUB_CHANNEL, "news", 4, "X", 1), 1);
    char want[256] = "", buf[256];
    for (int i = 0; i < 5; i++)
        strcat(want, "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$1\r\nX\r\n");
    size_t n = rs_read_n(fd, buf, strlen(want), 10000, NULL);
    long long dt = tu_mono_ms() - t0;
    assert_int_equal(n, strlen(want));
    assert_memory_equal(buf, want, n);
    uint64_t hits = 0;
    assert_int_equal(fr_fault_hits(srv, id, &hits, NULL), FR_OK);
    assert_int_equal(hits, 5);
    if (dt < 24 * 10 - 5)
        fail_msg("5 sliced pushes took %lld ms: some went out whole", dt);
    close(fd);
    fr_server_stop(srv);
}

/* after-cmds=N counts the connection's commands from its start, not from
 * the server's first rule: three PINGs before any rule exists count. */
static void test_after_cmds_per_connection(void **state)
{
    fr_server *srv = tu_start();
    int a = rs_connect_srv(srv);
    rs_send(a, "PING\r\nPING\r\nPING\r\n");
    rs_expect(a, "+PONG\r\n+PONG\r\n+PONG\r\n");
    add(srv, "cmd=PING after-cmds=3 action=error err=\"ERR late\"");
    rs_send(a, "PING\r\n"); /* its 4th command: 3 ran before it */
    rs_expect(a, "-ERR late\r\n");
    int b = rs_connect_srv(srv); /* a new connection starts from 0 */
    rs_send(b, "PING\r\nPING\r\nPING\r\nPING\r\n");
    EXPECT(b, "+PONG\r\n+PONG\r\n+PONG\r\n-ERR late\r\n", R_QUIET);
    close(a);
    close(b);
    fr_server_stop(srv);
}

static void test_read_bytes(void **state)
{
    fr_server *srv = tu_start();
    add(srv, "on=read after-bytes=20 action=reset");
    int fd = rs_connect_srv(srv);
    rs_send(fd, "PING\r\n"); /* 6 bytes: fine */
    rs_expect(fd, "+PONG\r\n");
    rs_send(fd, "SET k 0123456789abcdef\r\n"); /* crosses 20 */
    EXPECT(fd, "", R_RST);
    assert_null(get_str(srv, "k"));
    close(fd);
    fr_server_stop(srv);
}

/* ---- matching, limits, in force --------------------------------------------------- */

static void test_match_and_limits(void **state)
{
    fr_server *srv = tu_start();
    int fd = rs_connect_srv(srv);
    rs_send(fd, "PING\r\n");
    rs_expect(fd, "+PONG\r\n");
    /* added while the connection is open: in force for its next byte */
    add(srv, "cmd=PING times=2 action=error err=\"ERR two\"");
    add(srv, "cmd=ECHO nth=2 action=error");
    /* counted from the connection's start: the PING above is its first */
    add(srv, "cmd=GET,DBSIZE after-cmds=8 action=error err=\"ERR late\"");
    add(srv, "arg=secret* action=drop");
    rs_send(fd, "PING\r\nPING\r\nPING\r\nECHO a\r\nECHO b\r\nECHO c\r\nGET k\r\nDBSIZE\r\n"
                "ECHO secret1\r\n");
    EXPECT(fd,
           "-ERR two\r\n-ERR two\r\n+PONG\r\n$1\r\na\r\n-ERR injected fault\r\n$1\r\nc\r\n"
           "$-1\r\n-ERR late\r\n",
           R_QUIET);
    fr_fault_info *list;
    size_t n;
    assert_int_equal(fr_fault_list(srv, &list, &n), FR_OK);
    assert_int_equal(n, 4);
    assert_string_equal(list[0].text, "cmd=PING action=error err=\"ERR two\" times=2");
    assert_int_equal(list[0].hits, 2);
    assert_int_equal(list[0].active, 0);
    assert_int_equal(list[1].hits, 1);
    assert_int_equal(list[1].matched, 4); /* ECHO a, b, c, secret1 */
    fr_fault_list_free(list, n);
    uint64_t hits, matched;
    assert_int_equal(fr_fault_hits(srv, 3, &hits, &matched), FR_OK);
    assert_int_equal(hits, 1);
    assert_int_equal(matched, 1); /* GET was command 8 (7 before it): too early */
    close(fd);
    fr_server_stop(srv);
}

static void test_after_bytes(void **state)
{
    fr_server *srv = tu_start();
    add(srv, "cmd=PING after-bytes=12 action=error err=\"ERR third\"");
    int fd = rs_connect_srv(srv);
    rs_send(fd, "PING\r\nPING\r\n*1\r\n$4\r\nPING\r\n"); /* starts at 0, 6, 12 */
    EXPECT(fd, "+PONG\r\n+PONG\r\n-ERR third\r\n", R_QUIET);
    close(fd);
    fr_server_stop(srv);
}

static void test_client_match_and_for(void **state)
{
    fr_server *srv = tu_start();
    add(srv, "client=work* action=error err=\"ERR named\"");
    int a = rs_connect_srv(srv), b = rs_connect_srv(srv);
    int64_t t0 = tu_mono_ms();
    add(srv, "cmd=ECHO addr=127.0.0.1:* for=800 action=error err=\"ERR for now\"");
    rs_send(b, "PING\r\nECHO x\r\n");
    rs_expect(b, "+PONG\r\n-ERR for now\r\n");
    assert_true(tu_mono_ms() - t0 < 800); /* else the check above proves nothing */
    rs_send(a, "CLIENT SETNAME worker-1\r\nPING\r\n");
    EXPECT(a, "+OK\r\n-ERR named\r\n", R_QUIET);
    /* for=800: gone by itself */
    int64_t deadline = tu_mono_ms() + 800 + LATE_MS;
    fr_fault_info *list;
    size_t n = 2;
    while (n == 2 && tu_mono_ms() < deadline) {
        assert_int_equal(fr_fault_list(srv, &list, &n), FR_OK);
        fr_fault_list_free(list, n);
        if (n == 2)
            poll(NULL, 0, 10);
    }
    assert_int_equal(n, 1);
    rs_send(b, "ECHO x\r\n");
    EXPECT(b, "$1\r\nx\r\n", R_QUIET);
    close(a);
    close(b);
    fr_server_stop(srv);
}

/* The hit sequence of a probability rule depends on its seed only. */
static void hit_sequence(const char *rule, char *out, int n)
{
    fr_server *srv = tu_start();
    add(srv, rule);
    int fd = rs_connect_srv(srv);
    for (int i = 0; i < n; i++)
        rs_send(fd, "PING\r\n");
    int i = 0;
    char buf[4096];
    size_t have = 0;
    while (i < n) {
        ssize_t r = recv(fd, buf + have, sizeof buf - have, 0);
        assert_true(r > 0);
        have += (size_t)r;
        size_t off = 0;
        for (;;) {
            char *nl = memchr(buf + off, '\n', have - off);
            if (!nl)
                break;
            out[i++] = buf[off] == '-' ? 'X' : '.';
            off = (size_t)(nl - buf) + 1;
        }
        memmove(buf, buf + off, have - off);
        have -= off;
    }
    out[n] = '\0';
    close(fd);
    fr_server_stop(srv);
}

static void test_probability_seed(void **state)
{
    char a[65], b[65], c[65];
    hit_sequence("cmd=PING prob=0.3 seed=12345 action=error", a, 64);
    hit_sequence("cmd=PING prob=0.3 seed=12345 action=error", b, 64);
    hit_sequence("cmd=PING prob=0.3 seed=54321 action=error", c, 64);
    print_message("seed 12345: %s\nseed 54321: %s\n", a, c);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    int hits = 0;
    for (int i = 0; i < 64; i++)
        hits += a[i] == 'X';
    assert_true(hits > 5 && hits < 40);
}

/* ---- the three ways in: C API, CLI flag, wire command ----------------------------- */

#define SAME_RULE "cmd=ECHO action=cut at=7 then=close"
#define SAME_BYTES "$5\r\nhel"

static void capture(int port, char *buf, size_t *len)
{
    int fd = rs_connect(port);
    assert_true(fd >= 0);
    rs_send(fd, "ECHO hello\r\n");
    assert_int_equal(slurp(fd, buf, 256, len, 5000), R_EOF);
    close(fd);
}

static void test_same_rule_three_ways(void **state)
{
    char api[256], strct[256], cli[256], wire[256];
    size_t la, ls, lc, lw;

    fr_server *srv = tu_start();
    add(srv, SAME_RULE);
    capture(fr_server_port(srv), api, &la);
    fr_server_stop(srv);

    srv = tu_start();
    fr_fault_rule r;
    memset(&r, 0, sizeof r);
    r.cmd = "ECHO";
    r.action = FR_FAULT_CUT;
    r.at.kind = FR_FAULT_POS_BYTE;
    r.at.n = 7;
    r.then = FR_FAULT_CLOSE;
    assert_int_equal(fr_fault_add(srv, &r, NULL), FR_OK);
    capture(fr_server_port(srv), strct, &ls);
    fr_server_stop(srv);

    int port;
    const char *const extra[] = {"--fault", SAME_RULE, NULL};
    pid_t pid = tu_fakeredis_start(FR_SERVER_BIN, extra, &port);
    capture(port, cli, &lc);
    assert_int_equal(tu_child_stop(pid, SIGTERM), 0);

    srv = tu_start();
    int ctl = rs_connect_srv(srv);
    rs_send(ctl, "FAKE.FAULT ADD \"" SAME_RULE "\"\r\n");
    rs_expect(ctl, ":1\r\n");
    capture(fr_server_port(srv), wire, &lw);
    close(ctl);
    fr_server_stop(srv);

    assert_int_equal(la, sizeof SAME_BYTES - 1);
    assert_memory_equal(api, SAME_BYTES, la);
    assert_int_equal(ls, la);
    assert_memory_equal(strct, api, la);
    assert_int_equal(lc, la);
    assert_memory_equal(cli, api, la);
    assert_int_equal(lw, la);
    assert_memory_equal(wire, api, la);
}

static void test_cli_bad_rule(void **state)
{
    char *argv[] = {FR_SERVER_BIN, "--port", "0", "--fault", "cmd=GET nth=x action=drop", NULL};
    assert_int_equal(tu_child_stop(tu_spawn(argv, 1), 0), 1);
}

/* ---- the control commands --------------------------------------------------------- */

static void test_wire_control(void **state)
{
    fr_server *srv = tu_start();
    int fd = rs_connect_srv(srv);
    /* words as arguments: values need no quotes */
    rs_send(fd, "*5\r\n$10\r\nFAKE.FAULT\r\n$3\r\nADD\r\n$5\r\ncmd=*\r\n$12\r\naction=error\r\n"
                "$15\r\nerr=LOADING now\r\n");
    rs_expect(fd, ":1\r\n");
    rs_send(fd, "PING\r\nFAKE.FAULT HITS 1\r\nFAKE.FAULT ADD \"cmd=GET nth=0 action=drop\"\r\n");
    EXPECT(fd,
           "-LOADING now\r\n:1\r\n-ERR fault rule: word 2 'nth=0': expected a positive "
           "integer\r\n",
           R_QUIET);
    rs_send(fd, "FAKE.FAULT LIST\r\n");
    EXPECT(fd,
           "*1\r\n*10\r\n$2\r\nid\r\n:1\r\n$4\r\nhits\r\n:1\r\n$7\r\nmatched\r\n:1\r\n"
           "$6\r\nactive\r\n:1\r\n$4\r\nrule\r\n$36\r\ncmd=* action=error err=\"LOADING now\"\r\n",
           R_QUIET);
    rs_send(fd, "FAKE.FAULT CLEAR 1\r\nFAKE.FAULT CLEAR 1\r\nPING\r\n");
    EXPECT(fd, ":1\r\n:0\r\n+PONG\r\n", R_QUIET);
    /* the clock */
    rs_send(fd, "FAKE.CLOCK FREEZE\r\nSET k v PX 1000\r\nFAKE.CLOCK ADVANCE 999\r\nEXISTS k\r\n"
                "FAKE.CLOCK ADVANCE 2\r\nEXISTS k\r\nFAKE.CLOCK SET 1000000\r\nFAKE.CLOCK GET\r\n"
                "FAKE.CLOCK RESUME\r\n");
    EXPECT(fd, "+OK\r\n+OK\r\n+OK\r\n:1\r\n+OK\r\n:0\r\n+OK\r\n:1000000\r\n+OK\r\n", R_QUIET);
    close(fd);
    fr_server_stop(srv);
}

static void test_control_off_and_auth(void **state)
{
    fr_options o;
    memset(&o, 0, sizeof o);
    o.no_control = 1;
    fr_server *srv;
    assert_int_equal(fr_server_start(&o, &srv), FR_OK);
    int fd = rs_connect_srv(srv);
    rs_send(fd, "FAKE.FAULT LIST\r\n");
    EXPECT(fd, "-ERR unknown command 'FAKE.FAULT', with args beginning with: 'LIST' \r\n", R_QUIET);
    close(fd);
    fr_server_stop(srv);

    memset(&o, 0, sizeof o);
    o.requirepass = "pw";
    assert_int_equal(fr_server_start(&o, &srv), FR_OK);
    fd = rs_connect_srv(srv);
    rs_send(fd, "FAKE.FAULT LIST\r\nAUTH pw\r\nFAKE.FAULT LIST\r\n");
    EXPECT(fd, "-NOAUTH Authentication required.\r\n+OK\r\n*0\r\n", R_QUIET);
    close(fd);
    fr_server_stop(srv);

    /* control commands are never faulted, even by a catch-all */
    srv = tu_start();
    add(srv, "action=reset");
    fd = rs_connect_srv(srv);
    rs_send(fd, "FAKE.FAULT CLEAR\r\nPING\r\n");
    EXPECT(fd, ":1\r\n+PONG\r\n", R_QUIET);
    close(fd);
    fr_server_stop(srv);
}

/* ---- server events ------------------------------------------------------------------- */

static void test_kill(void **state)
{
    fr_server *srv = tu_start();
    int a = rs_connect_srv(srv), b = rs_connect_srv(srv), s = rs_connect_srv(srv);
    rs_send(a, "CLIENT SETNAME alpha\r\n");
    rs_expect(a, "+OK\r\n");
    rs_send(s, "SUBSCRIBE x\r\n");
    rs_expect(s, "*3\r\n$9\r\nsubscribe\r\n$1\r\nx\r\n:1\r\n");
    fr_kill_filter f;
    memset(&f, 0, sizeof f);
    f.name = "alp*";
    size_t killed = 0;
    assert_int_equal(fr_server_kill_clients(srv, &f, &killed), FR_OK);
    assert_int_equal(killed, 1);
    EXPECT(a, "", R_EOF);
    memset(&f, 0, sizeof f);
    f.type = FR_KILL_PUBSUB;
    f.reset = 1;
    assert_int_equal(fr_server_kill_clients(srv, &f, &killed), FR_OK);
    assert_int_equal(killed, 1);
    EXPECT(s, "", R_RST);
    rs_send(b, "PING\r\n");
    rs_expect(b, "+PONG\r\n");
    /* the wire form skips the caller */
    int c2 = rs_connect_srv(srv);
    rs_send(c2, "PING\r\n");
    rs_expect(c2, "+PONG\r\n");
    rs_send(b, "FAKE.KILL ALL\r\n");
    rs_expect(b, ":1\r\n");
    EXPECT(c2, "", R_EOF);
    close(a);
    close(b);
    close(s);
    close(c2);
    fr_server_stop(srv);
}

/* Connect until accepted; returns the time it took, or -1. Refusals seen
 * are counted. */
static int64_t connect_until_accepted(int port, int *refused, int *fd_out)
{
    int64_t t0 = tu_mono_ms();
    *refused = 0;
    while (tu_mono_ms() - t0 < 10000) {
        int fd = rs_connect(port);
        if (fd >= 0) {
            *fd_out = fd;
            return tu_mono_ms() - t0;
        }
        assert_int_equal(errno, ECONNREFUSED);
        (*refused)++;
        poll(NULL, 0, 10);
    }
    return -1;
}

static void test_restart(void **state)
{
    fr_server *srv = tu_start();
    int port = fr_server_port(srv);
    exec_ok(srv, "SET k v");
    int fd = rs_connect_srv(srv);
    /* served, not just queued: a restart resets what is still in the
     * listener's backlog, as a real server going down would */
    rs_send(fd, "PING\r\n");
    rs_expect(fd, "+PONG\r\n");
    assert_int_equal(fr_server_restart(srv, 400, 0), FR_OK);
    EXPECT(fd, "", R_EOF);
    close(fd);
    assert_int_equal(rs_connect(port), -1);
    assert_int_equal(errno, ECONNREFUSED);
    int refused;
    int64_t dt = connect_until_accepted(port, &refused, &fd);
    assert_true(dt >= 0);
    assert_true(refused > 0);
    assert_true(dt >= 300 && dt < 400 + LATE_MS);
    rs_send(fd, "GET k\r\n");
    rs_expect(fd, "$1\r\nv\r\n"); /* kept */
    close(fd);
    /* flushed, and back at once */
    assert_int_equal(fr_server_restart(srv, 0, 1), FR_OK);
    assert_int_equal(fr_server_port(srv), port);
    fd = rs_connect_srv(srv);
    rs_send(fd, "GET k\r\n");
    rs_expect(fd, "$-1\r\n");
    /* over the wire: +OK first, then the window */
    rs_send(fd, "SET k w\r\nFAKE.RESTART 300 KEEP\r\n");
    EXPECT(fd, "+OK\r\n+OK\r\n", R_EOF);
    close(fd);
    dt = connect_until_accepted(port, &refused, &fd);
    assert_true(dt >= 0 && refused > 0);
    rs_send(fd, "GET k\r\n");
    rs_expect(fd, "$1\r\nw\r\n");
    close(fd);
    fr_server_stop(srv);
}

static void test_listen_and_pause(void **state)
{
    fr_server *srv = tu_start();
    int port = fr_server_port(srv);
    int fd = rs_connect_srv(srv);
    assert_int_equal(fr_server_set_listening(srv, 0), FR_OK);
    assert_int_equal(fr_server_is_listening(srv), 0);
    assert_int_equal(rs_connect(port), -1);
    assert_int_equal(errno, ECONNREFUSED);
    rs_send(fd, "PING\r\n"); /* the open connection lives on */
    rs_expect(fd, "+PONG\r\n");
    rs_send(fd, "FAKE.LISTEN ON\r\n");
    rs_expect(fd, "+OK\r\n");
    int fd2 = rs_connect_srv(srv);

    assert_int_equal(fr_server_pause_processing(srv), FR_OK);
    rs_send(fd2, "PING\r\n");
    EXPECT(fd2, "", R_QUIET);
    int fd3 = rs_connect_srv(srv); /* accepted, but not served */
    rs_send(fd3, "PING\r\n");
    EXPECT(fd3, "", R_QUIET);
    assert_int_equal(fr_server_resume_processing(srv), FR_OK);
    rs_expect(fd2, "+PONG\r\n");
    rs_expect(fd3, "+PONG\r\n");

    /* over the wire, the asking connection stays live */
    rs_send(fd, "FAKE.PAUSE\r\n");
    rs_expect(fd, "+OK\r\n");
    rs_send(fd2, "PING\r\n");
    EXPECT(fd2, "", R_QUIET);
    rs_send(fd, "FAKE.RESUME\r\n");
    rs_expect(fd, "+OK\r\n");
    rs_expect(fd2, "+PONG\r\n");
    close(fd);
    close(fd2);
    close(fd3);
    fr_server_stop(srv);
}

/* Stopping a server in the middle of every kind of held state frees it all
 * (the sanitizer build checks). */
static void test_stop_with_faults_pending(void **state)
{
    fr_server *srv = tu_start();
    add(srv, "cmd=SET action=stall");
    add(srv, "cmd=GET action=cut at=2 then=stall");
    add(srv, "cmd=ECHO action=delay ms=10s");
    add(srv, "cmd=PING action=delay when=before ms=10s");
    add(srv, "on=accept nth=5 action=hang");
    add(srv, "on=accept nth=6 action=delay ms=10s");
    add(srv, "cmd=DBSIZE action=error for=10s");
    int fd[6];
    const char *cmds[] = {"SET k v\r\n", "GET k\r\n", "ECHO x\r\n", "PING\r\n"};
    for (int i = 0; i < 4; i++) {
        fd[i] = rs_connect_srv(srv);
        rs_send(fd[i], cmds[i]);
    }
    fd[4] = rs_connect_srv(srv);
    fd[5] = rs_connect_srv(srv);
    rs_expect(fd[1], "$-"); /* the GET's first 2 bytes: everything is in place */
    assert_int_equal(fr_server_pause_processing(srv), FR_OK);
    assert_int_equal(fr_server_restart(srv, 10000, 0), FR_OK); /* stays down */
    fr_server_stop(srv);
    for (int i = 0; i < 6; i++)
        close(fd[i]);
}

/* ---- hiredis, sync --------------------------------------------------------------------- */

static redisContext *hconnect(int port)
{
    struct timeval tv = {2, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
    assert_non_null(c);
    assert_int_equal(c->err, 0);
    struct timeval rt = {0, 300 * 1000};
    redisSetTimeout(c, rt);
    return c;
}

static void test_hiredis_sync(void **state)
{
    fr_server *srv = tu_start();
    int port = fr_server_port(srv);
    exec_ok(srv, "SET k hello-fragments");

    /* a reply in 1-byte fragments reads as one reply */
    uint64_t id;
    assert_int_equal(fr_fault_add_text(srv, "cmd=GET action=slice size=1 gap=1", &id), FR_OK);
    redisContext *c = hconnect(port);
    redisReply *r = redisCommand(c, "GET k");
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    assert_string_equal(r->str, "hello-fragments");
    freeReplyObject(r);
    fr_fault_clear(srv, id);

    /* stall: the client times out */
    assert_int_equal(fr_fault_add_text(srv, "cmd=GET action=stall", &id), FR_OK);
    assert_null(redisCommand(c, "GET k"));
    assert_int_equal(c->err, REDIS_ERR_IO);
    redisFree(c);
    fr_fault_clear(srv, id);

    /* reset: an I/O error */
    assert_int_equal(fr_fault_add_text(srv, "cmd=GET action=cut at=3 then=reset", &id), FR_OK);
    c = hconnect(port);
    assert_null(redisCommand(c, "GET k"));
    assert_int_equal(c->err, REDIS_ERR_IO);
    assert_non_null(strstr(c->errstr, "reset"));
    redisFree(c);
    fr_fault_clear(srv, id);

    /* corruption: a protocol error */
    assert_int_equal(fr_fault_add_text(srv, "cmd=GET action=corrupt", &id), FR_OK);
    c = hconnect(port);
    assert_null(redisCommand(c, "GET k"));
    assert_int_equal(c->err, REDIS_ERR_PROTOCOL);
    redisFree(c);
    fr_fault_clear(srv, id);

    /* a restart: refused in the window, then the data is there */
    c = hconnect(port);
    assert_int_equal(fr_server_restart(srv, 400, 0), FR_OK);
    assert_null(redisCommand(c, "GET k"));
    assert_int_equal(c->err == REDIS_ERR_EOF || c->err == REDIS_ERR_IO, 1);
    redisFree(c);
    struct timeval tv = {1, 0};
    c = redisConnectWithTimeout("127.0.0.1", port, tv);
    assert_non_null(c);
    assert_int_equal(c->err, REDIS_ERR_IO); /* connection refused */
    redisFree(c);
    int64_t deadline = tu_mono_ms() + 5000;
    for (;;) {
        c = redisConnectWithTimeout("127.0.0.1", port, tv);
        if (c && !c->err)
            break;
        redisFree(c);
        assert_true(tu_mono_ms() < deadline);
        poll(NULL, 0, 20);
    }
    r = redisCommand(c, "GET k");
    assert_non_null(r);
    assert_string_equal(r->str, "hello-fragments");
    freeReplyObject(r);
    redisFree(c);
    fr_server_stop(srv);
}

/* ---- hiredis, async on libevent, server attached to the same base ----------------------- */

typedef struct actx {
    struct event_base *base;
    fr_server *srv;
    uint64_t stall_id;
    int phase;
    char got[64];
    int replies, disconnected, disc_status, stalled_seen, refused;
    struct event *timer;
} actx;

static void on_reply(redisAsyncContext *ac, void *r, void *priv)
{
    actx *x = priv;
    redisReply *rep = r;
    if (!rep)
        return;
    x->replies++;
    snprintf(x->got, sizeof x->got, "%s", rep->str ? rep->str : "?");
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    actx *x = ac->data;
    x->disconnected = 1;
    x->disc_status = status;
    event_base_loopbreak(x->base);
}

static void on_quiet(evutil_socket_t fd, short what, void *arg)
{
    actx *x = arg;
    /* no reply while stalled: clear the rule, on this very thread */
    x->stalled_seen = x->replies == 1;
    fr_fault_clear(x->srv, x->stall_id);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    event_base_loopbreak(arg);
}

static void on_second(redisAsyncContext *ac, void *r, void *priv)
{
    on_reply(ac, r, priv);
    redisAsyncDisconnect(ac);
}

static void async_connect(actx *x);

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    async_connect(arg);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    actx *x = ac->data;
    if (status == REDIS_OK)
        return;
    x->refused++; /* hiredis frees the context; try again a bit later */
    struct timeval tv = {0, 50 * 1000};
    event_base_once(x->base, -1, EV_TIMEOUT, on_retry, x, &tv);
}

static void async_connect(actx *x)
{
    redisAsyncContext *ac = redisAsyncConnect("127.0.0.1", fr_server_port(x->srv));
    assert_non_null(ac);
    if (ac->err) { /* refused at once */
        redisAsyncFree(ac);
        x->refused++;
        struct timeval tv = {0, 50 * 1000};
        event_base_once(x->base, -1, EV_TIMEOUT, on_retry, x, &tv);
        return;
    }
    ac->data = x;
    redisLibeventAttach(ac, x->base);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    redisAsyncCommand(ac, on_second, x, "GET k");
}

static void test_hiredis_async(void **state)
{
    struct event_base *base = event_base_new();
    fr_server *srv;
    assert_int_equal(fr_server_attach(base, NULL, &srv), FR_OK);
    exec_ok(srv, "SET k sliced-async");
    add(srv, "cmd=GET nth=1 action=slice size=1 gap=1");
    actx x;
    memset(&x, 0, sizeof x);
    x.base = base;
    x.srv = srv;
    assert_int_equal(fr_fault_add_text(srv, "cmd=GET nth=2 action=stall", &x.stall_id), FR_OK);

    redisAsyncContext *ac = redisAsyncConnect("127.0.0.1", fr_server_port(srv));
    assert_non_null(ac);
    assert_int_equal(ac->err, 0);
    ac->data = &x;
    redisLibeventAttach(ac, base);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    redisAsyncCommand(ac, on_reply, &x, "GET k");  /* sliced */
    redisAsyncCommand(ac, on_second, &x, "GET k"); /* stalled, then answered */
    struct event *quiet = evtimer_new(base, on_quiet, &x);
    struct timeval q = {0, 400 * 1000};
    evtimer_add(quiet, &q);
    struct event *deadline = evtimer_new(base, on_deadline, base);
    struct timeval d = {10, 0};
    evtimer_add(deadline, &d);
    event_base_dispatch(base);
    assert_int_equal(x.replies, 2);
    assert_int_equal(x.stalled_seen, 1);
    assert_string_equal(x.got, "sliced-async");
    assert_int_equal(x.disconnected, 1);
    assert_int_equal(x.disc_status, REDIS_OK);

    /* a reset: the disconnect callback reports the error */
    add(srv, "cmd=GET action=reset");
    memset(&x, 0, sizeof x);
    x.base = base;
    ac = redisAsyncConnect("127.0.0.1", fr_server_port(srv));
    ac->data = &x;
    redisLibeventAttach(ac, base);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    redisAsyncCommand(ac, on_reply, &x, "GET k");
    evtimer_add(deadline, &d);
    event_base_dispatch(base);
    assert_int_equal(x.disconnected, 1);
    assert_int_equal(x.disc_status, REDIS_ERR);
    assert_int_equal(x.replies, 0);

    /* a restart: the reconnect is refused in the window, then accepted,
     * and the data is still there */
    assert_int_equal(fr_fault_clear(srv, 0), FR_OK);
    assert_int_equal(fr_server_restart(srv, 300, 0), FR_OK);
    memset(&x, 0, sizeof x);
    x.base = base;
    x.srv = srv;
    async_connect(&x);
    evtimer_add(deadline, &d);
    event_base_dispatch(base);
    assert_true(x.refused >= 1);
    assert_int_equal(x.replies, 1);
    assert_string_equal(x.got, "sliced-async");
    assert_int_equal(x.disconnected, 1);

    event_free(quiet);
    event_free(deadline);
    fr_server_stop(srv);
    event_base_free(base);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_refuses),
        cmocka_unit_test(test_key_matches_key_specs),
        cmocka_unit_test(test_error_on_exec_discards),
        cmocka_unit_test(test_error_after),
        cmocka_unit_test(test_drop),
        cmocka_unit_test(test_stall_until_cleared),
        cmocka_unit_test(test_close_before),
        cmocka_unit_test(test_reset_before),
        cmocka_unit_test(test_halfclose),
        cmocka_unit_test(test_delay_processing),
        cmocka_unit_test(test_delay_reply_and_order),
        cmocka_unit_test(test_delay_jitter),
        cmocka_unit_test(test_longest_durations),
        cmocka_unit_test(test_slice_fragments),
        cmocka_unit_test(test_cut_close_reset_stall),
        cmocka_unit_test(test_cut_second_subscribe_of_worker),
        cmocka_unit_test(test_cut_frame_and_elem),
        cmocka_unit_test(test_corrupt),
        cmocka_unit_test(test_dup_and_insert),
        cmocka_unit_test(test_rate),
        cmocka_unit_test(test_push_rules),
        cmocka_unit_test(test_accept_actions),
        cmocka_unit_test(test_read_bytes),
        cmocka_unit_test(test_refuse_gives_econnrefused),
        cmocka_unit_test(test_push_burst_all_sliced),
        cmocka_unit_test(test_after_cmds_per_connection),
        cmocka_unit_test(test_match_and_limits),
        cmocka_unit_test(test_after_bytes),
        cmocka_unit_test(test_client_match_and_for),
        cmocka_unit_test(test_probability_seed),
        cmocka_unit_test_teardown(test_same_rule_three_ways, tu_children_teardown),
        cmocka_unit_test_teardown(test_cli_bad_rule, tu_children_teardown),
        cmocka_unit_test(test_wire_control),
        cmocka_unit_test(test_control_off_and_auth),
        cmocka_unit_test(test_kill),
        cmocka_unit_test(test_restart),
        cmocka_unit_test(test_listen_and_pause),
        cmocka_unit_test(test_stop_with_faults_pending),
        cmocka_unit_test(test_hiredis_sync),
        cmocka_unit_test(test_hiredis_async),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
