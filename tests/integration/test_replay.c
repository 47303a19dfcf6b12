/* Replay that is faithful and accounts for everything: what the test did
 * through the API (publish, clock moves, fr_exec) is recorded and done
 * again, every recorded reply and push is compared or skipped with a
 * reason, the target can be flushed first, and the pace can be the
 * original one, faster or as fast as possible. Also the program's
 * `replay` options and `stats`. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "fakeredis/harness.h"
#include "fakeredis/fault.h"
#include "fakeredis/pubsub.h"
#include "fakeredis/record.h"
#include "fakeredis/recording.h"
#include "support/child.h"
#include "support/rawsock.h"
#include "support/testutil.h"

static char *tmp_path(const char *tag)
{
    char *p = malloc(256);
    assert_non_null(p);
    snprintf(p, 256, "/tmp/fr_it_replay_%ld_%s", (long)getpid(), tag);
    return p;
}

static void discard(char *path)
{
    unlink(path);
    free(path);
}

static int no_clients(void *ctx)
{
    return fr_server_client_count(ctx) == 0;
}

/* Stop srv once its clients are gone, so every DISCONNECT is recorded. */
static void finish(fr_server *srv)
{
    assert_int_equal(fr_wait_until(no_clients, srv, TU_WAIT_MS), FR_OK);
    fr_server_stop(srv);
}

static void replay(const char *path, int port, fr_replay_result *res)
{
    fr_replay_options o = {.port = port, .timeout_ms = 1000};
    assert_int_equal(fr_replay(path, &o, res), FR_OK);
    assert_int_equal(res->compared + res->skipped, res->outputs);
}

/* Pushes caused by fr_pubsub_publish: the recording says the test
 * published, replay publishes too, every push is compared. */
static void test_api_publish(void **state)
{
    (void)state;
    char *path = tmp_path("publish");
    fr_server *srv = tu_start();
    assert_int_equal(fr_record_start(srv, path), FR_OK);
    int sub = rs_connect_srv(srv);
    rs_send(sub, "*2\r\n$9\r\nSUBSCRIBE\r\n$2\r\nch\r\n");
    rs_expect(sub, "*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n");
    for (int i = 0; i < 4; i++) {
        assert_int_equal(fr_pubsub_publish(srv, FR_SUB_CHANNEL, "ch", 2, "m", 1), 1);
        rs_expect(sub, "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nm\r\n");
    }
    close(sub);
    finish(srv);

    fr_server *target = tu_start();
    fr_replay_result res;
    replay(path, fr_server_port(target), &res);
    assert_int_equal(res.outputs, 5);
    assert_int_equal(res.compared, 5);
    assert_int_equal(res.differences, 0);
    assert_int_equal(res.actions, 4);
    fr_replay_result_free(&res);
    fr_server_stop(target);
    discard(path);
}

/* Clock moves, from the API and over the wire, and fr_exec's commands
 * (in the database the test selected) are re-enacted on a fake. */
static void test_clock_and_exec(void **state)
{
    (void)state;
    char *path = tmp_path("clock");
    fr_server *srv = tu_start();
    assert_int_equal(fr_record_start(srv, path), FR_OK);
    assert_int_equal(fr_clock_freeze(srv), FR_OK);
    assert_int_equal(fr_exec_select(srv, 2), FR_OK);
    fr_reply_free(fr_execf(srv, "SET seeded yes"));
    redisContext *c = tu_connect(srv);
    tu_cmd_ok(c, "SET tmp x PX 1000");
    assert_int_equal(fr_clock_advance(srv, 2000), FR_OK);
    assert_int_equal(tu_cmd_int(c, "EXISTS tmp"), 0);
    tu_cmd_ok(c, "SET tmp2 x PX 1000");
    tu_cmd_ok(c, "FAKE.CLOCK ADVANCE 5000");
    assert_int_equal(tu_cmd_int(c, "EXISTS tmp2"), 0);
    tu_cmd_ok(c, "SELECT 2");
    tu_cmd_str(c, REDIS_REPLY_STRING, "yes", "GET seeded");
    redisFree(c);
    finish(srv);

    /* a fresh fake, real clock: only the re-enacted moves expire keys */
    fr_server *target = tu_start();
    fr_replay_result res;
    replay(path, fr_server_port(target), &res);
    assert_int_equal(res.differences, 0);
    assert_int_equal(res.skipped, 0);
    assert_true(res.actions >= 4); /* FREEZE, SELECT 2, SET, ADVANCE */
    assert_int_equal(res.actions_skipped, 0);
    fr_replay_result_free(&res);
    fr_server_stop(target);

    /* a target without FAKE.*: the clock moves are skipped and said so */
    static const char *const conf[] = {NULL};
    fr_server *plain;
    assert_int_equal(fr_server_start(&(fr_options){.no_control = 1, .config = conf}, &plain),
                     FR_OK);
    replay(path, fr_server_port(plain), &res);
    assert_int_equal(res.actions_skipped, 2);
    assert_int_equal(res.skipped_by[FR_REPLAY_SKIP_NOT_FAKE], 1);
    assert_int_equal(res.commands_skipped, 1);
    assert_true(res.differences >= 1); /* the keys did not expire there */
    fr_replay_result_free(&res);
    fr_server_stop(plain);
    discard(path);
}

/* A recording written by hand with every case of accounting in it. */
static char *accounting_recording(void)
{
    char *path = tmp_path("accounting");
    fr_rec_writer *w;
    assert_int_equal(fr_rec_writer_open(path, 0, &w), FR_OK);
    int64_t t = 0;
#define EV(type_, conn_, ...)                                                                      \
    do {                                                                                           \
        fr_rec_event e_ = {.type = (type_), .conn = (conn_), .time_us = t++, __VA_ARGS__};         \
        assert_int_equal(fr_rec_writer_add(w, &e_), FR_OK);                                        \
    } while (0)
#define CMD(conn_, ...)                                                                            \
    do {                                                                                           \
        const char *a_[] = {__VA_ARGS__};                                                          \
        EV(FR_REC_COMMAND, conn_, .argc = (int)(sizeof a_ / sizeof *a_), .argv = a_);              \
    } while (0)
#define OUT(type_, conn_, s_)                                                                      \
    EV(type_, conn_, .data = (s_), .len = strlen(s_), .flags = FR_REC_SENT)
    EV(FR_REC_CONNECT, 1, .data = "127.0.0.1:1", .len = 11);
    OUT(FR_REC_REPLY, 1, "+OK\r\n"); /* no command asked for it */
    CMD(1, "PING");
    OUT(FR_REC_REPLY, 1, "+PONG\r\n"); /* compared */
    CMD(1, "FAKE.FAULT", "LIST");
    OUT(FR_REC_REPLY, 1, "*0\r\n"); /* control */
    CMD(1, "ECHO", "x");
    OUT(FR_REC_REPLY, 1, "$1\r\ny\r\n");                                  /* differs */
    OUT(FR_REC_PUSH, 1, "*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$1\r\nb\r\n"); /* never comes */
    CMD(1, "PING");                    /* not sent: out of step */
    OUT(FR_REC_REPLY, 1, "+PONG\r\n"); /* out of step */
    EV(FR_REC_CONNECT, 2, .data = "127.0.0.1:2", .len = 11);
    CMD(2, "PING");
    EV(FR_REC_FAULT, 2, .rule = 1, .data = "cmd=PING action=drop", .len = 20);
    OUT(FR_REC_REPLY, 2, "+PONG\r\n"); /* fault */
    EV(FR_REC_DISCONNECT, 2);
    EV(FR_REC_DISCONNECT, 1);
    assert_int_equal(fr_rec_writer_close(w), FR_OK);
    return path;
}

static void test_every_output_accounted_for(void **state)
{
    (void)state;
    char *path = accounting_recording();
    fr_server *target = tu_start();
    fr_replay_options o = {.port = fr_server_port(target), .timeout_ms = 200};
    fr_replay_result res;
    assert_int_equal(fr_replay(path, &o, &res), FR_OK);
    assert_int_equal(res.outputs, 7);
    assert_int_equal(res.compared, 3); /* PONG, ECHO, the push */
    assert_int_equal(res.differences, 2);
    assert_int_equal(res.skipped, 4);
    assert_int_equal(res.skipped_by[FR_REPLAY_SKIP_NO_COMMAND], 1);
    assert_int_equal(res.skipped_by[FR_REPLAY_SKIP_CONTROL], 1);
    assert_int_equal(res.skipped_by[FR_REPLAY_SKIP_BROKEN], 1);
    assert_int_equal(res.skipped_by[FR_REPLAY_SKIP_FAULT], 1);
    assert_int_equal(res.commands_skipped, 2); /* FAKE.FAULT, the PING out of step */
    assert_int_equal(res.commands, 3);
    assert_string_equal(fr_replay_skip_name(FR_REPLAY_SKIP_BROKEN), "out of step");
    fr_replay_result_free(&res);
    fr_server_stop(target);
    discard(path);
}

/* --flush: the same recording replayed twice against one server. */
static void test_flush(void **state)
{
    (void)state;
    char *path = tmp_path("flush");
    fr_server *srv = tu_start();
    assert_int_equal(fr_record_start(srv, path), FR_OK);
    redisContext *c = tu_connect(srv);
    assert_int_equal(tu_cmd_int(c, "RPUSH l a"), 1);
    tu_cmd_ok(c, "SELECT 3");
    assert_int_equal(tu_cmd_int(c, "INCR n"), 1);
    redisFree(c);
    finish(srv);

    fr_server *target = tu_start();
    fr_replay_options o = {.port = fr_server_port(target), .timeout_ms = 1000};
    fr_replay_result res;
    assert_int_equal(fr_replay(path, &o, &res), FR_OK);
    assert_int_equal(res.differences, 0);
    fr_replay_result_free(&res);
    assert_int_equal(fr_replay(path, &o, &res), FR_OK);
    assert_int_equal(res.differences, 2); /* RPUSH :2, INCR :2 */
    fr_replay_result_free(&res);
    o.flush = FR_REPLAY_FLUSH_ALL;
    assert_int_equal(fr_replay(path, &o, &res), FR_OK);
    assert_int_equal(res.differences, 0);
    fr_replay_result_free(&res);
    /* one database only: db 3 is emptied, db 0 keeps its list */
    o.flush = FR_REPLAY_FLUSH_DB;
    o.flush_db = 3;
    assert_int_equal(fr_replay(path, &o, &res), FR_OK);
    assert_int_equal(res.differences, 1); /* RPUSH :2 */
    fr_replay_result_free(&res);
    /* a refused flush stops the replay and says why */
    assert_int_equal(fr_fault_add_text(target, "cmd=FLUSHALL action=error err=readonly", NULL),
                     FR_OK);
    o.flush = FR_REPLAY_FLUSH_ALL;
    assert_int_equal(fr_replay(path, &o, &res), FR_ERR_REPLY);
    assert_non_null(strstr(res.err, "READONLY"));
    fr_replay_result_free(&res);
    o.flush = 7;
    assert_int_equal(fr_replay(path, &o, &res), FR_ERR_ARG);
    fr_replay_result_free(&res);
    fr_server_stop(target);
    discard(path);
}

/* Timing: the recorded pace, a multiple of it, or no waiting at all. */
static void test_timing(void **state)
{
    (void)state;
    char *path = tmp_path("timing");
    fr_rec_writer *w;
    assert_int_equal(fr_rec_writer_open(path, 0, &w), FR_OK);
    const char *ping[] = {"PING"};
    fr_rec_event ev[] = {
        {.type = FR_REC_CONNECT, .conn = 1, .data = "x", .len = 1},
        {.type = FR_REC_COMMAND, .conn = 1, .argc = 1, .argv = ping},
        {.type = FR_REC_REPLY, .conn = 1, .data = "+PONG\r\n", .len = 7},
        {.type = FR_REC_COMMAND, .conn = 1, .time_us = 400000, .argc = 1, .argv = ping},
        {.type = FR_REC_REPLY, .conn = 1, .time_us = 400000, .data = "+PONG\r\n", .len = 7},
    };
    for (size_t i = 0; i < sizeof ev / sizeof *ev; i++)
        assert_int_equal(fr_rec_writer_add(w, &ev[i]), FR_OK);
    assert_int_equal(fr_rec_writer_close(w), FR_OK);
    fr_server *target = tu_start();
    fr_replay_options o = {.port = fr_server_port(target)};
    fr_replay_result res;
    long long t0 = tu_mono_ms();
    assert_int_equal(fr_replay(path, &o, &res), FR_OK);
    long long fast = tu_mono_ms() - t0;
    fr_replay_result_free(&res);
    o.timing = 1;
    o.speed = 4;
    t0 = tu_mono_ms();
    assert_int_equal(fr_replay(path, &o, &res), FR_OK);
    long long x4 = tu_mono_ms() - t0;
    fr_replay_result_free(&res);
    o.speed = 0; /* the original pace */
    t0 = tu_mono_ms();
    assert_int_equal(fr_replay(path, &o, &res), FR_OK);
    long long orig = tu_mono_ms() - t0;
    assert_int_equal(res.differences, 0);
    fr_replay_result_free(&res);
    assert_true(fast < 90);
    assert_true(x4 >= 95 && x4 < 390);
    assert_true(orig >= 395);
    fr_server_stop(target);
    discard(path);
}

/* The program: replay's options and summary, and stats. */
static void test_program(void **state)
{
    (void)state;
    char *path = tmp_path("program");
    fr_server *srv = tu_start();
    assert_int_equal(fr_record_start(srv, path), FR_OK);
    redisContext *c = tu_connect(srv);
    tu_cmd_ok(c, "SET k v");
    tu_cmd_ok(c, "SET k2 v");
    tu_cmd_str(c, REDIS_REPLY_STRING, "v", "GET k");
    tu_cmd_ok(c, "CLIENT SETNAME me");
    tu_cmd_ok(c, "FAKE.CLOCK FREEZE");
    redisFree(c);
    finish(srv);

    fr_server *target = tu_start();
    char cmd[512];
    int status;
    for (int round = 0; round < 2; round++) { /* the second finds the data: --flush */
        snprintf(cmd, sizeof cmd, "%s replay %s --port %d --flush --timing x2 --compare 2>&1",
                 FR_REPLAY_BIN, path, fr_server_port(target));
        char *out = tu_run(cmd, &status);
        assert_int_equal(status, 0);
        assert_non_null(strstr(out, "5 commands sent, 5 replies compared, 0 differ, 0 skipped"));
        free(out);
    }
    snprintf(cmd, sizeof cmd, "%s replay %s --port %d --timing slow 2>&1", FR_REPLAY_BIN, path,
             fr_server_port(target));
    free(tu_run(cmd, &status));
    assert_int_equal(status, 2);

    snprintf(cmd, sizeof cmd, "%s stats %s", FR_REPLAY_BIN, path);
    char *out = tu_run(cmd, &status);
    assert_int_equal(status, 0);
    assert_non_null(strstr(out, "connections  1 (at most 1 at once)\n"));
    assert_non_null(strstr(out, "commands     5 (4 types)\n"));
    assert_non_null(strstr(out, "           2  SET\n"));
    assert_non_null(strstr(out, "           1  CLIENT SETNAME\n"));
    assert_non_null(strstr(out, "           1  FAKE.CLOCK FREEZE\n"));
    assert_non_null(strstr(out, "bytes        "));
    assert_non_null(strstr(out, "duration     "));
    free(out);
    fr_server_stop(target);
    discard(path);
}

/* A wrapper that runs fakeredis-server with its stderr appended to log,
 * so tu_fakeredis_start can start it and the test can read what it said. */
static char *logging_server(const char *log)
{
    char *path = tmp_path("server.sh");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\nexec %s \"$@\" 2>>%s\n", FR_SERVER_BIN, log);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, 0700), 0);
    return path;
}

static char *slurp(const char *path)
{
    static char buf[4096];
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    return buf;
}

/* fakeredis-server --playback: the recorded replies with their timing;
 * strict refuses a command off the recording and logs it, lenient runs
 * it on the fake and logs it. */
static void test_program_playback(void **state)
{
    (void)state;
    char *path = tmp_path("pb.rec"), *log = tmp_path("pb.log");
    fr_server *srv = tu_start();
    assert_int_equal(fr_record_start(srv, path), FR_OK);
    redisContext *c = tu_connect(srv);
    tu_cmd_ok(c, "SET k v");
    assert_int_equal(fr_fault_add_text(srv, "cmd=GET action=delay ms=300", NULL), FR_OK);
    tu_cmd_str(c, REDIS_REPLY_STRING, "v", "GET k");
    assert_int_equal(tu_cmd_int(c, "INCR n"), 1);
    redisFree(c);
    finish(srv);

    char *bin = logging_server(log);
    for (int lenient = 0; lenient < 2; lenient++) {
        unlink(log);
        const char *extra[] = {"--playback", path, lenient ? "--lenient" : "--strict", NULL};
        int port;
        pid_t pid = tu_fakeredis_start(bin, extra, &port);
        c = tu_connect_port(port);
        tu_cmd_ok(c, "SET k v");
        long long t0 = tu_mono_ms();
        tu_cmd_str(c, REDIS_REPLY_STRING, "v", "GET k");
        assert_true(tu_mono_ms() - t0 >= 250); /* the recorded delay */
        redisReply *r = tu_cmd(c, "SET x 1");
        if (lenient) {
            assert_int_equal(r->type, REDIS_REPLY_STATUS); /* the fake ran it */
        } else {
            assert_int_equal(r->type, REDIS_REPLY_ERROR);
            assert_string_equal(r->str, "ERR fakeredis playback: connection 0 step 2: expected "
                                        "'INCR n', got 'SET x 1'");
        }
        freeReplyObject(r);
        assert_int_equal(tu_cmd_int(c, "INCR n"), 1); /* the script went on */
        redisFree(c);
        assert_int_equal(tu_child_stop(pid, SIGTERM), 0);
        const char *said = slurp(log);
        assert_non_null(strstr(said, "fakeredis playback: connection 0 step 2: expected 'INCR "
                                     "n', got 'SET x 1'"));
        assert_true(!lenient == !strstr(said, "(run on the fake: --lenient)"));
    }
    int status;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s --port 0 --lenient 2>&1", FR_SERVER_BIN);
    free(tu_run(cmd, &status));
    assert_int_equal(status, 1);
    snprintf(cmd, sizeof cmd, "%s --port 0 --playback /nonexistent/x.rec 2>&1", FR_SERVER_BIN);
    char *out = tu_run(cmd, &status);
    assert_int_equal(status, 1);
    assert_non_null(strstr(out, "cannot read it"));
    free(out);
    discard(bin);
    discard(log);
    discard(path);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_api_publish),
        cmocka_unit_test(test_clock_and_exec),
        cmocka_unit_test(test_every_output_accounted_for),
        cmocka_unit_test(test_flush),
        cmocka_unit_test(test_timing),
        cmocka_unit_test(test_program),
        cmocka_unit_test_teardown(test_program_playback, tu_children_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
