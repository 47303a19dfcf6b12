/* The request parser on the wire: raw sockets against a threaded fake.
 *
 * Every expected byte string below was first checked against Debian's
 * redis-server 7.0.15 with a python socket probe (send the bytes, read
 * until EOF or a 1 s timeout, note whether the connection closed); each
 * case says so as "redis 7.0.15:". Protocol errors are answered, then the
 * connection is closed, and anything after the bad bytes is ignored. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "fakeredis/fakeredis.h"
#include "fakeredis/harness.h"
#include "support/rawsock.h"
#include "support/testutil.h"

#define S(lit) lit, sizeof(lit) - 1

/* ---- fixture: one threaded server per test ---------------------------- */

static int setup_pass(void **state)
{
    fr_options o = {.requirepass = "pw"};
    fr_server *srv = NULL;
    if (fr_server_start(&o, &srv) != FR_OK)
        return -1;
    *state = srv;
    return 0;
}

/* The server still serves others after a connection's protocol error. */
static void assert_alive(fr_server *srv)
{
    int fd = rs_connect_srv(srv);
    assert_true(rs_roundtrip(fd, "PING\r\n", "+PONG\r\n"));
    close(fd);
}

/* Send req on a fresh connection; the reply must be exactly want, then
 * either EOF (closed) or silence with the connection open. */
static void check_case(fr_server *srv, const char *req, size_t reqlen, const char *want, int closed)
{
    int fd = rs_connect_srv(srv);
    assert_int_equal(rs_write(fd, req, reqlen), 0);
    char buf[4096];
    int eof = 0;
    size_t n;
    if (closed) {
        n = rs_read_to_eof(fd, buf, sizeof buf, 5000, &eof);
        if (!eof)
            fail_msg("request %.*s: connection not closed", (int)reqlen, req);
    } else {
        n = rs_read_n(fd, buf, strlen(want), 5000, &eof);
        assert_false(eof);
        /* nothing more arrives, and the connection stays open */
        assert_true(rs_quiet_for(fd, 50));
    }
    if (n != strlen(want) || memcmp(buf, want, n) != 0)
        fail_msg("request '%.*s': got '%.*s', want '%s'", (int)reqlen, req, (int)n, buf, want);
    close(fd);
}

typedef struct pcase {
    const char *req;
    size_t len;
    const char *want;
    int closed;
} pcase;

#define E_MBULK "-ERR Protocol error: invalid multibulk length\r\n"
#define E_BULK "-ERR Protocol error: invalid bulk length\r\n"
#define E_QUOTES "-ERR Protocol error: unbalanced quotes in request\r\n"

static void test_protocol_errors(void **state)
{
    static const pcase cases[] = {
        /* redis 7.0.15: not a number, or above INT_MAX, or a sign or a
         * space: "invalid multibulk length", closed */
        {S("*abc\r\n"), E_MBULK, 1},
        {S("*3000000000\r\n"), E_MBULK, 1},
        {S("*+1\r\n$4\r\nPING\r\n"), E_MBULK, 1},
        {S("*1 \r\n"), E_MBULK, 1},
        /* redis 7.0.15: negative, junk, signed, spaced, or above
         * proto-max-bulk-len (512mb): "invalid bulk length", closed */
        {S("*1\r\n$-5\r\n"), E_BULK, 1},
        {S("*1\r\n$abc\r\n"), E_BULK, 1},
        {S("*1\r\n$+4\r\n"), E_BULK, 1},
        {S("*1\r\n$ 4\r\n"), E_BULK, 1},
        {S("*1\r\n$4x\r\n"), E_BULK, 1},
        {S("*1\r\n$536870913\r\n"), E_BULK, 1},
        /* redis 7.0.15: the bad byte is quoted; CR or LF shows as a space */
        {S("*1\r\nx\r\n"), "-ERR Protocol error: expected '$', got 'x'\r\n", 1},
        {S("*1\r\n\r\n"), "-ERR Protocol error: expected '$', got ' '\r\n", 1},
        /* redis 7.0.15: an open quote, or a closing quote not followed by
         * a space, is "unbalanced quotes in request", closed */
        {S("SET \"a b\r\n"), E_QUOTES, 1},
        {S("SET 'a b\r\n"), E_QUOTES, 1},
        {S("SET \"a\"b\r\n"), E_QUOTES, 1},
        /* redis 7.0.15: commands before the bad bytes are answered first,
         * what follows them is ignored */
        {S("PING\r\n*1\r\n$4\r\nPING\r\n*abc\r\nPING\r\n"), "+PONG\r\n+PONG\r\n" E_MBULK, 1},
        {S("*1\r\n$4\r\nPING\r\n*1\r\n$-5\r\n*1\r\n$4\r\nPING\r\n"), "+PONG\r\n" E_BULK, 1},

        /* redis 7.0.15: a count <= 0 is skipped silently, open */
        {S("*-2\r\n"), "", 0},
        {S("*-1\r\nPING\r\n"), "+PONG\r\n", 0},
        {S("*0\r\nPING\r\n"), "+PONG\r\n", 0},
        /* redis 7.0.15: empty and blank inline lines are skipped */
        {S("\r\n"), "", 0},
        {S("\n"), "", 0},
        {S("   \r\nPING\r\n"), "+PONG\r\n", 0},
        /* redis 7.0.15: 7.0 caps the count at INT_MAX, not 1024*1024: a
         * big count waits for its arguments, open */
        {S("*1048577\r\n"), "", 0},
        /* redis 7.0.15: exactly proto-max-bulk-len is accepted (waits) */
        {S("*1\r\n$536870912\r\n"), "", 0},
        /* redis 7.0.15: an empty command name */
        {S("*1\r\n$0\r\n\r\n"), "-ERR unknown command '', with args beginning with: \r\n", 0},
        /* redis 7.0.15: the two bytes after a bulk are skipped unchecked,
         * and so is the byte after a header's CR */
        {S("*2\r\n$4\r\nECHO\r\n$3\r\nabcXY*1\r\n$4\r\nPING\r\n"), "$3\r\nabc\r\n+PONG\r\n", 0},
        {S("*1\rx$4\r\nPING\r\n"), "+PONG\r\n", 0},
        /* redis 7.0.15: inline, with \n alone and a \xHH escape */
        {S("PING\r\n"), "+PONG\r\n", 0},
        {S("ECHO \"a\\x41\"\n"), "$2\r\naA\r\n", 0},
        {S("echo 'it''s'\r\n"), E_QUOTES, 1},
        {S("ECHO 'a\\'b'\r\n"), "$3\r\na'b\r\n", 0},
        {S("ECHO \"\\n\\t\"\r\n"), "$2\r\n\n\t\r\n", 0},
        /* redis 7.0.15: empty quoted inline words are empty arguments,
         * even as the command name */
        {S("''\r\n"), "-ERR unknown command '', with args beginning with: \r\n", 0},
        {S("\"\"\r\n"), "-ERR unknown command '', with args beginning with: \r\n", 0},
        {S("'' ''\r\n"), "-ERR unknown command '', with args beginning with: '' \r\n", 0},
        {S("'' x\r\nPING\r\n"),
         "-ERR unknown command '', with args beginning with: 'x' \r\n+PONG\r\n", 0},
        {S("ECHO ''\r\n"), "$0\r\n\r\n", 0},
        /* redis 7.0.15: a NUL in an inline line hides the newline (Redis
         * looks for it with strchr): no reply, open */
        {S("ECHO \"a\0b\"\r\n"), "", 0},
    };
    fr_server *srv = *state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_case(srv, cases[i].req, cases[i].len, cases[i].want, cases[i].closed);
    assert_alive(srv);
}

static char *repeat(const char *prefix, char ch, size_t n, size_t *len)
{
    size_t pl = strlen(prefix);
    char *s = malloc(pl + n + 1);
    assert_non_null(s);
    memcpy(s, prefix, pl);
    memset(s + pl, ch, n);
    s[pl + n] = '\0';
    *len = pl + n;
    return s;
}

/* redis 7.0.15: 64 KB without a newline is still waited on; one byte more
 * is "too big inline request"; the same limit applies to the count lines
 * of multibulk requests, with their own texts. */
static void test_too_big_requests(void **state)
{
    fr_server *srv = *state;
    size_t len;
    char *s = repeat("", 'A', 64 * 1024 + 1, &len);
    check_case(srv, s, len, "-ERR Protocol error: too big inline request\r\n", 1);
    check_case(srv, s, len - 1, "", 0);
    free(s);
    s = repeat("*", '1', 64 * 1024 + 1, &len);
    check_case(srv, s, len, "-ERR Protocol error: too big mbulk count string\r\n", 1);
    free(s);
    s = repeat("*1\r\n$", '1', 64 * 1024 + 1, &len);
    check_case(srv, s, len, "-ERR Protocol error: too big bulk count string\r\n", 1);
    free(s);
    assert_alive(srv);
}

/* redis 7.0.15 with requirepass: before AUTH, more than 10 arguments or a
 * bulk above 16384 bytes is refused and the connection closed; 10 and
 * 16384 are waited on; after AUTH the limits are gone. */
static void test_unauthenticated_limits(void **state)
{
    fr_server *srv = *state;
    check_case(srv, S("*11\r\n"), "-ERR Protocol error: unauthenticated multibulk length\r\n", 1);
    check_case(srv, S("*10\r\n$4\r\nPING\r\n"), "", 0);
    check_case(srv, S("*1\r\n$16385\r\n"), "-ERR Protocol error: unauthenticated bulk length\r\n",
               1);
    check_case(srv, S("*1\r\n$16384\r\n"), "", 0);
    check_case(srv, S("PING\r\n"), "-NOAUTH Authentication required.\r\n", 0);
    check_case(srv, S("*1\r\n$4\r\nECHO\r\n"),
               "-ERR wrong number of arguments for 'echo' command\r\n", 0);
    check_case(srv, S("*2\r\n$4\r\nAUTH\r\n$2\r\nxx\r\n"),
               "-WRONGPASS invalid username-password pair or user is disabled.\r\n", 0);
    check_case(srv, S("*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n*11\r\n"), "+OK\r\n", 0);
    check_case(srv, S("*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n*1\r\n$16385\r\n"), "+OK\r\n", 0);
}

/* ---- white-box views through CLIENT LIST (run in-process) ------------- */

static long long my_id(int fd)
{
    char buf[64];
    assert_int_equal(rs_write_str(fd, "CLIENT ID\r\n"), 0);
    size_t n = 0;
    int eof = 0;
    /* ":<id>\r\n" */
    while (n < sizeof buf - 1) {
        if (rs_read_n(fd, buf + n, 1, 5000, &eof) != 1)
            fail_msg("no reply to CLIENT ID");
        if (buf[n++] == '\n')
            break;
    }
    buf[n] = '\0';
    assert_int_equal(buf[0], ':');
    return atoll(buf + 1);
}

/* A numeric field of a connection's CLIENT LIST line, or -1. */
static long long conn_field(fr_server *srv, long long id, const char *field)
{
    fr_reply *r = fr_execf(srv, "CLIENT LIST ID %lld", id);
    assert_non_null(r);
    long long v = -1;
    char key[64];
    snprintf(key, sizeof key, " %s=", field);
    if (r->type == FR_REPLY_VERB && r->str) {
        const char *p = strstr(r->str, key);
        if (p)
            v = atoll(p + strlen(key));
    }
    fr_reply_free(r);
    return v;
}

/* Wait (deadline 5 s) until the server has read want bytes of the
 * connection's pending request. */
static void wait_qbuf(fr_server *srv, long long id, long long want)
{
    int64_t deadline = tu_mono_ms() + 5000;
    long long q;
    while ((q = conn_field(srv, id, "qbuf")) != want) {
        if (tu_mono_ms() > deadline)
            fail_msg("qbuf stays %lld, want %lld", q, want);
        usleep(200);
    }
}

static long long rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long long size = 0, rss = 0;
    if (f) {
        if (fscanf(f, "%lld %lld", &size, &rss) != 2)
            rss = 0;
        fclose(f);
    }
    return rss * sysconf(_SC_PAGESIZE);
}

/* A huge declared length is refused (or, within the limit, waited on)
 * without reserving memory for it: RSS and the connection's memory stay
 * small. The declared sizes here are 512 MB. */
static void test_huge_lengths_allocate_nothing(void **state)
{
    fr_server *srv = *state;
    long long before = rss_bytes();

    /* accepted length: the server waits for the data, holding only what
     * arrived */
    int fd = rs_connect_srv(srv);
    long long id = my_id(fd);
    static const char hdr[] = "*2\r\n$4\r\nECHO\r\n$536870912\r\n";
    char chunk[1000];
    memset(chunk, 'x', sizeof chunk);
    assert_int_equal(rs_write(fd, hdr, sizeof hdr - 1), 0);
    assert_int_equal(rs_write(fd, chunk, sizeof chunk), 0);
    wait_qbuf(srv, id, (long long)(sizeof hdr - 1 + sizeof chunk));
    long long mem = conn_field(srv, id, "tot-mem");
    assert_true(mem >= 0 && mem < 1024 * 1024);

    /* a huge multibulk count, also accepted and waited on */
    int fd2 = rs_connect_srv(srv);
    long long id2 = my_id(fd2);
    assert_int_equal(rs_write_str(fd2, "*2147483647\r\n$4\r\nPING\r\n"), 0);
    wait_qbuf(srv, id2, 23);
    mem = conn_field(srv, id2, "tot-mem");
    assert_true(mem >= 0 && mem < 1024 * 1024);

    /* refused lengths: error, closed */
    check_case(srv, S("*1\r\n$536870913\r\n"), E_BULK, 1);
    check_case(srv, S("*1\r\n$9223372036854775807\r\n"), E_BULK, 1);
    check_case(srv, S("*1\r\n$99999999999999999999\r\n"), E_BULK, 1);
    check_case(srv, S("*9223372036854775807\r\n"), E_MBULK, 1);

    long long after = rss_bytes();
    if (after - before > 64LL * 1024 * 1024)
        fail_msg("RSS grew by %lld bytes", after - before);
    close(fd);
    close(fd2);
    assert_alive(srv);
}

/* redis 7.0.15: proto-max-bulk-len 1mb refuses 1048577, waits on 1048576. */
static void test_proto_max_bulk_len(void **state)
{
    fr_server *srv = *state;
    fr_reply *r = fr_execf(srv, "CONFIG SET proto-max-bulk-len 1mb");
    assert_non_null(r);
    assert_int_equal(r->type, FR_REPLY_STATUS);
    fr_reply_free(r);
    check_case(srv, S("*1\r\n$1048577\r\n"), E_BULK, 1);
    check_case(srv, S("*1\r\n$1048576\r\n"), "", 0);
}

/* A pipeline of 1,000 PINGs in one write gets 1,000 PONGs, in order. */
static void test_pipeline(void **state)
{
    fr_server *srv = *state;
    enum { N = 1000 };
    static const char one[] = "*1\r\n$4\r\nPING\r\n";
    static const char inl[] = "PING\r\n";
    size_t len = (sizeof one - 1) * (N / 2) + (sizeof inl - 1) * (N / 2);
    char *req = malloc(len), *p = req;
    assert_non_null(req);
    for (int i = 0; i < N; i++) {
        /* mixed multibulk and inline */
        const char *c = i % 2 ? inl : one;
        size_t n = i % 2 ? sizeof inl - 1 : sizeof one - 1;
        memcpy(p, c, n);
        p += n;
    }
    int fd = rs_connect_srv(srv);
    assert_int_equal(rs_write(fd, req, len), 0);
    size_t want = 7 * N;
    char *buf = malloc(want);
    assert_non_null(buf);
    assert_int_equal(rs_read_n(fd, buf, want, 10000, NULL), want);
    for (int i = 0; i < N; i++)
        assert_memory_equal(buf + 7 * i, "+PONG\r\n", 7);
    assert_true(rs_quiet_for(fd, 20));
    free(buf);
    free(req);
    close(fd);
}

/* Feed req one byte per write; after each byte, wait until the server has
 * read it (its query buffer holds it), and check no reply came early.
 * After the last byte exactly want arrives, once. */
static void feed_bytewise(fr_server *srv, const char *req, size_t len, const char *want)
{
    int fd = rs_connect_srv(srv);
    long long id = my_id(fd);
    for (size_t i = 0; i < len; i++) {
        assert_int_equal(rs_write(fd, req + i, 1), 0);
        if (i + 1 < len) {
            wait_qbuf(srv, id, (long long)i + 1);
            if (!rs_quiet_for(fd, 0))
                fail_msg("reply before the request was complete (byte %zu)", i);
        }
    }
    char buf[256];
    size_t n = strlen(want);
    assert_int_equal(rs_read_n(fd, buf, n, 5000, NULL), n);
    assert_memory_equal(buf, want, n);
    wait_qbuf(srv, id, 0);
    /* answered exactly once: the next reply is the next command's */
    assert_true(rs_roundtrip(fd, "PING\r\n", "+PONG\r\n"));
    close(fd);
}

static void test_one_byte_at_a_time(void **state)
{
    fr_server *srv = *state;
    feed_bytewise(srv, S("*2\r\n$4\r\nECHO\r\n$12\r\nhello\r\nworld\r\n"),
                  "$12\r\nhello\r\nworld\r\n");
    feed_bytewise(srv, S("*3\r\n$4\r\nECHO\r\n$0\r\n\r\n$1\r\nx\r\n"),
                  "-ERR wrong number of arguments for 'echo' command\r\n");
    feed_bytewise(srv, S("ECHO \"a b\"\r\n"), "$3\r\na b\r\n");
}

/* Arguments are binary safe: every byte value, NUL and CRLF included. */
static void test_binary_args(void **state)
{
    fr_server *srv = *state;
    char val[256];
    for (int i = 0; i < 256; i++)
        val[i] = (char)i;
    char req[512];
    int hl = snprintf(req, sizeof req, "*2\r\n$4\r\nEcHo\r\n$256\r\n");
    memcpy(req + hl, val, 256);
    memcpy(req + hl + 256, "\r\n", 2);
    int fd = rs_connect_srv(srv);
    assert_int_equal(rs_write(fd, req, (size_t)hl + 258), 0);
    char buf[512];
    assert_int_equal(rs_read_n(fd, buf, 6 + 256 + 2, 5000, NULL), 6 + 256 + 2);
    assert_memory_equal(buf, "$256\r\n", 6);
    assert_memory_equal(buf + 6, val, 256);
    assert_memory_equal(buf + 262, "\r\n", 2);
    close(fd);
}

/* Big replies to a client that does not read for a while: they queue in
 * the server, other clients are served meanwhile, and every byte arrives
 * in order once the client reads. */
static void test_big_replies_slow_reader(void **state)
{
    fr_server *srv = *state;
    enum { N = 4 * 1024 * 1024, REPS = 3 };
    char hdr[64];
    int hl = snprintf(hdr, sizeof hdr, "*2\r\n$4\r\nECHO\r\n$%d\r\n", N);
    size_t one = (size_t)hl + N + 2;
    char *req = malloc(one * REPS + 6);
    assert_non_null(req);
    for (int r = 0; r < REPS; r++) {
        char *p = req + one * r;
        memcpy(p, hdr, (size_t)hl);
        for (int i = 0; i < N; i++)
            p[hl + i] = (char)(i % 251 + r);
        memcpy(p + hl + N, "\r\n", 2);
    }
    memcpy(req + one * REPS, "PING\r\n", 6);
    int fd = rs_connect_srv(srv);
    assert_int_equal(rs_write(fd, req, one * REPS + 6), 0);
    /* while fd's replies wait, another client is answered */
    assert_alive(srv);
    char rh[64];
    size_t rhl = (size_t)snprintf(rh, sizeof rh, "$%d\r\n", N);
    size_t want = (rhl + N + 2) * REPS + 7;
    char *buf = malloc(want);
    assert_non_null(buf);
    assert_int_equal(rs_read_n(fd, buf, want, 20000, NULL), want);
    for (int r = 0; r < REPS; r++) {
        const char *p = buf + (rhl + N + 2) * r;
        assert_memory_equal(p, rh, rhl);
        assert_memory_equal(p + rhl, req + one * r + hl, N);
        assert_memory_equal(p + rhl + N, "\r\n", 2);
    }
    assert_memory_equal(buf + want - 7, "+PONG\r\n", 7);
    free(buf);
    free(req);
    close(fd);
}

/* redis 7.0.15: a reply is still written when the client closes its
 * sending side right after a request (half-close), then the server closes. */
static void test_half_close(void **state)
{
    fr_server *srv = *state;
    int fd = rs_connect_srv(srv);
    assert_int_equal(rs_write_str(fd, "PING\r\n"), 0);
    shutdown(fd, SHUT_WR);
    char buf[64];
    int eof = 0;
    size_t n = rs_read_to_eof(fd, buf, sizeof buf, 5000, &eof);
    assert_true(eof);
    assert_int_equal(n, 7);
    assert_memory_equal(buf, "+PONG\r\n", 7);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_protocol_errors, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_too_big_requests, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_unauthenticated_limits, setup_pass,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_huge_lengths_allocate_nothing, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_proto_max_bulk_len, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_pipeline, fr_fixture_setup, fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_one_byte_at_a_time, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_binary_args, fr_fixture_setup, fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_big_replies_slow_reader, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_half_close, fr_fixture_setup, fr_fixture_teardown),
    };
    /* FR_TEST_FILTER=test_name (a glob) runs only the matching tests */
    if (getenv("FR_TEST_FILTER"))
        cmocka_set_test_filter(getenv("FR_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
