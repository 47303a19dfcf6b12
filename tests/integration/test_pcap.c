/* The pcap import on real captures: the committed one of a redis-server
 * session (captures/README.md), and one tcpdump makes here of a session
 * against Debian's redis-server on the loopback (skipped, saying why, when
 * tcpdump or the right to capture is missing). Each is imported and
 * replayed against a fake and against redis-server: no difference. */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "fakeredis/recording.h"
#include "support/child.h"
#include "support/rawsock.h"
#include "support/testutil.h"

static char rec_path[64];

static void replay_clean(const char *path, int port, uint64_t want_compared)
{
    /* a bound for a reply that never comes, not a pace: a loaded machine
     * (parallel builds) may take seconds to deliver a push, and a reply
     * that does come ends the wait at once */
    fr_replay_options o = {.port = port, .timeout_ms = 15000, .flush = FR_REPLAY_FLUSH_ALL};
    fr_replay_result res;
    assert_int_equal(fr_replay(path, &o, &res), FR_OK);
    for (size_t i = 0; i < res.ndiffs; i++)
        fprintf(stderr, "diff c%llu %s: expected %zu bytes, got %zu: %.*s\n",
                (unsigned long long)res.diffs[i].conn, res.diffs[i].command,
                res.diffs[i].expected_len, res.diffs[i].got_len, (int)res.diffs[i].got_len,
                res.diffs[i].got);
    assert_int_equal(res.differences, 0);
    assert_int_equal(res.skipped, 0);
    if (want_compared)
        assert_int_equal(res.compared, want_compared);
    fr_replay_result_free(&res);
}

static void test_committed_capture(void **state)
{
    (void)state;
    fr_pcap_import_result res;
    assert_int_equal(fr_pcap_import(FR_CAPTURES_DIR "/redis_session.pcap", rec_path, 7391, &res),
                     FR_OK);
    assert_int_equal(res.connections, 2);
    assert_int_equal(res.commands, 19);
    assert_int_equal(res.replies, 19);
    assert_int_equal(res.pushes, 1);
    assert_int_equal(res.skipped_bytes, 0);
    fr_server *srv = tu_start();
    replay_clean(rec_path, fr_server_port(srv), 20);
    fr_server_stop(srv);
    int port;
    pid_t redis = tu_redis_start(&port);
    if (redis > 0) {
        replay_clean(rec_path, port, 20);
        tu_child_stop(redis, SIGTERM);
    }
    /* the program says what it found */
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s import-pcap %s %s --port 7391 2>&1", FR_REPLAY_BIN,
             FR_CAPTURES_DIR "/redis_session.pcap", rec_path);
    int status;
    char *out = tu_run(cmd, &status);
    assert_int_equal(status, 0);
    assert_non_null(strstr(out, "2 connections, 19 commands, 19 replies, 1 pushes"));
    free(out);
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* tcpdump on the loopback, filtered on port: its pid once it writes, or
 * -1 when it cannot capture here. */
static pid_t start_tcpdump(const char *out, int port)
{
    char filter[32];
    snprintf(filter, sizeof filter, "tcp port %d", port);
    /* immediate mode: packets reach the file as they come, not in blocks
     * the kernel hands over up to a second later */
    char *argv[] = {"tcpdump",   "-i",   "lo", "--immediate-mode", "-U", "-w",
                    (char *)out, filter, NULL};
    pid_t pid = tu_spawn(argv, 1);
    long long end = tu_mono_ms() + 5000;
    while (file_size(out) < 24) { /* the file header: capturing has begun */
        if (tu_mono_ms() > end || waitpid(pid, NULL, WNOHANG) == pid) {
            tu_child_stop(pid, SIGKILL);
            return -1;
        }
        poll(NULL, 0, 10); /* polling a child's start */
    }
    return pid;
}

/* Until the capture file stops growing for 300 ms (5 s at most). */
static void wait_written(const char *path)
{
    long last = -1;
    long long end = tu_mono_ms() + 5000;
    while (tu_mono_ms() < end) {
        long n = file_size(path);
        if (n == last)
            return;
        last = n;
        poll(NULL, 0, 300);
    }
}

static void test_live_tcpdump(void **state)
{
    (void)state;
    int status;
    free(tu_run("command -v tcpdump >/dev/null", &status));
    if (status != 0) {
        fprintf(stderr, "tcpdump not installed: skipped\n");
        skip();
    }
    int port;
    pid_t redis = tu_redis_start(&port);
    if (redis < 0) {
        fprintf(stderr, "redis-server not installed: skipped\n");
        skip();
    }
    char cap[64];
    snprintf(cap, sizeof cap, "/tmp/fr_it_pcap_%ld.pcap", (long)getpid());
    pid_t td = start_tcpdump(cap, port);
    if (td < 0) {
        tu_child_stop(redis, SIGTERM);
        unlink(cap);
        fprintf(stderr, "tcpdump cannot capture on lo here (not root?): skipped\n");
        skip();
    }
    /* a session: pipelined writes, a value of many segments, pub/sub */
    redisContext *c = tu_connect_port(port);
    redisContext *s = tu_connect_port(port);
    redisReply *r = tu_cmd(s, "SUBSCRIBE news");
    freeReplyObject(r);
    size_t big = 300000;
    char *v = malloc(big);
    assert_non_null(v);
    for (size_t i = 0; i < big; i++)
        v[i] = (char)('a' + i % 26);
    for (int i = 0; i < 20; i++)
        redisAppendCommand(c, "INCR counter");
    tu_drain(c, 20);
    tu_cmd_ok(c, "SET big %b", v, big);
    r = tu_cmd(c, "GET big");
    assert_int_equal(r->len, big);
    freeReplyObject(r);
    free(v);
    assert_int_equal(tu_cmd_int(c, "PUBLISH news flash"), 1);
    r = tu_next_reply(s);
    freeReplyObject(r);
    assert_int_equal(tu_cmd_int(c, "HSET h f v g w"), 2);
    redisFree(c);
    redisFree(s);
    wait_written(cap);
    tu_child_stop(td, SIGINT);

    fr_pcap_import_result res;
    assert_int_equal(fr_pcap_import(cap, rec_path, port, &res), FR_OK);
    assert_int_equal(res.connections, 2);
    assert_int_equal(res.commands, 25);
    assert_int_equal(res.pushes, 1);
    fr_server *srv = tu_start();
    replay_clean(rec_path, fr_server_port(srv), 26); /* 25 replies, a push */
    fr_server_stop(srv);
    replay_clean(rec_path, port, 26);
    tu_child_stop(redis, SIGTERM);
    unlink(cap);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    snprintf(rec_path, sizeof rec_path, "/tmp/fr_it_pcap_%ld.rec", (long)getpid());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_committed_capture, tu_children_teardown),
        cmocka_unit_test_teardown(test_live_tcpdump, tu_children_teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    unlink(rec_path);
    return rc;
}
