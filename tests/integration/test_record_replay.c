/* Recording and replay end to end: a session of hiredis and raw clients
 * (with a pub/sub push and a fault that fires) recorded by a fake, read
 * back (events in order, the sent bytes equal to what the raw clients
 * received), replayed against a fresh fake and against Debian's
 * redis-server (skipped if absent) with no difference, a difference
 * reported when the target answers otherwise, playback, the wire command,
 * and the program's print output. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "fakeredis/fault.h"
#include "fakeredis/harness.h"
#include "fakeredis/playback.h"
#include "fakeredis/recording.h"
#include "support/child.h"
#include "support/rawsock.h"
#include "support/testutil.h"

/* ---- raw sockets ------------------------------------------------------------ */

/* "127.0.0.1:PORT" of our end: the peer address the server records. */
static void local_addr(int fd, char *out, size_t cap)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    snprintf(out, cap, "127.0.0.1:%d", ntohs(sa.sin_port));
}

/* What a raw client received, kept whole. */
typedef struct rx {
    char buf[8192];
    size_t len;
} rx;

/* The next bytes on fd are want; kept in r. */
static void raw_expect(int fd, rx *r, const char *want)
{
    size_t n = strlen(want);
    assert_true(r->len + n <= sizeof r->buf);
    rs_expect(fd, want);
    memcpy(r->buf + r->len, want, n);
    r->len += n;
}

/* A file name of our own in /tmp; the caller discards it. */
static char *tmp_path(const char *tag)
{
    char *p = malloc(256);
    assert_non_null(p);
    snprintf(p, 256, "/tmp/fr_it_record_%ld_%s", (long)getpid(), tag);
    return p;
}

/* Remove the file and free its name. */
static void discard(char *path)
{
    unlink(path);
    free(path);
}

/* ---- the recorded session ----------------------------------------------------- */

typedef struct session {
    char sub_addr[64], get_addr[64];
    rx sub_rx, get_rx;
} session;

/* Deterministic traffic: a hiredis client writes, a raw subscriber gets a
 * message, a raw client's GET reply is sliced by a fault. */
static void run_session(fr_server *srv, session *s, int with_fault)
{
    redisContext *h = tu_connect(srv);
    int sub = rs_connect_srv(srv);
    local_addr(sub, s->sub_addr, sizeof s->sub_addr);
    rs_send(sub, "*2\r\n$9\r\nSUBSCRIBE\r\n$2\r\nch\r\n");
    raw_expect(sub, &s->sub_rx, "*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n");

    tu_cmd_ok(h, "SET k %b", "v\0\r\n", (size_t)4);
    redisReply *r = tu_cmd(h, "GET k");
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    assert_int_equal(r->len, 4);
    freeReplyObject(r);
    assert_int_equal(tu_cmd_int(h, "RPUSH l a b c"), 3);
    r = tu_cmd(h, "LRANGE l 0 -1");
    assert_int_equal(r->elements, 3);
    freeReplyObject(r);
    assert_int_equal(tu_cmd_int(h, "INCR n"), 1);
    tu_cmd_nil(h, "HGET nokey f");
    tu_cmd_str(h, REDIS_REPLY_ERROR, "ERR value is not an integer or out of range", "INCR k");
    assert_int_equal(tu_cmd_int(h, "PUBLISH ch hello"), 1);
    raw_expect(sub, &s->sub_rx, "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$5\r\nhello\r\n");

    if (with_fault)
        assert_int_equal(fr_fault_add_text(srv, "cmd=GET action=slice size=3 gap=1", NULL), FR_OK);
    int g = rs_connect_srv(srv);
    local_addr(g, s->get_addr, sizeof s->get_addr);
    rs_send(g, "*2\r\n$3\r\nGET\r\n$1\r\nn\r\n");
    raw_expect(g, &s->get_rx, "$1\r\n1\r\n");
    if (with_fault)
        fr_fault_clear(srv, 0);
    tu_cmd_ok(h, "SET done 1");
    redisFree(h);
    close(sub);
    close(g);
}

/* Wait until the server saw every client go (so DISCONNECT is recorded). */
static int no_clients(void *ctx)
{
    return fr_server_client_count(ctx) == 0;
}

/* Record run_session; returns the file's path (free it with discard). */
static char *record_session(session *s, int with_fault)
{
    memset(s, 0, sizeof *s);
    fr_server *srv = tu_start();
    char *path = tmp_path(with_fault ? "fault" : "plain");
    assert_int_equal(fr_record_start(srv, path), FR_OK);
    assert_int_equal(fr_record_start(srv, path), FR_ERR_STATE);
    assert_string_equal(fr_server_errstr(srv), "a recording is already running");
    assert_int_equal(fr_record_start(srv, ""), FR_ERR_ARG);
    assert_string_equal(fr_server_errstr(srv), "fr_record_start: the path is empty");
    assert_int_equal(fr_record_start(srv, NULL), FR_ERR_ARG);
    assert_string_equal(fr_server_errstr(srv), "fr_record_start: the path is empty");
    run_session(srv, s, with_fault);
    assert_int_equal(fr_wait_until(no_clients, srv, TU_WAIT_MS), FR_OK);
    /* stopping the server ends the recording: every connection it still
     * held (closed by the client, not yet reaped) gets its DISCONNECT */
    fr_server_stop(srv);
    return path;
}

/* ---- reading it back ----------------------------------------------------------- */

typedef struct conn_view {
    uint64_t id;
    char addr[64];
    char received[8192]; /* concatenation of FR_REC_SENT bytes */
    size_t received_len;
    int commands, faults, pushes, disconnected;
    char first_cmd[32];
} conn_view;

static conn_view *view_of(conn_view *v, int n, uint64_t id)
{
    for (int i = 0; i < n; i++)
        if (v[i].id == id)
            return &v[i];
    return NULL;
}

static void test_recorded_events(void **state)
{
    (void)state;
    session s;
    char *path = record_session(&s, 1);

    fr_recording *r = NULL;
    char err[256];
    assert_int_equal(fr_recording_open(path, &r, err, sizeof err), FR_OK);
    conn_view v[8];
    memset(v, 0, sizeof v);
    int nv = 0;
    const fr_rec_event *ev;
    int64_t last_t = -1;
    int saw_fault_before_wire = 0, saw_wire = 0;
    while (fr_recording_next(r, &ev) == 1) {
        assert_true(ev->time_us >= last_t); /* monotonic */
        last_t = ev->time_us;
        conn_view *c = view_of(v, nv, ev->conn);
        if (ev->type == FR_REC_CONNECT) {
            assert_null(c);
            assert_true(nv < 8);
            c = &v[nv++];
            c->id = ev->conn;
            snprintf(c->addr, sizeof c->addr, "%.*s", (int)ev->len, ev->data);
            continue;
        }
        assert_non_null(c); /* every event follows its connection's CONNECT */
        assert_false(c->disconnected);
        switch (ev->type) {
        case FR_REC_COMMAND:
            if (!c->commands++)
                snprintf(c->first_cmd, sizeof c->first_cmd, "%.*s", (int)ev->argvlen[0],
                         ev->argv[0]);
            break;
        case FR_REC_FAULT:
            c->faults++;
            assert_non_null(strstr(ev->data, "action=slice"));
            saw_fault_before_wire = !saw_wire;
            break;
        case FR_REC_WIRE:
            saw_wire++;
            break;
        case FR_REC_PUSH:
            c->pushes++;
            break;
        case FR_REC_DISCONNECT:
            c->disconnected = 1;
            break;
        default:
            break;
        }
        if (ev->flags & FR_REC_SENT) {
            assert_true(c->received_len + ev->len <= sizeof c->received);
            memcpy(c->received + c->received_len, ev->data, ev->len);
            c->received_len += ev->len;
        }
    }
    assert_int_equal(fr_recording_torn(r, NULL), 0);
    fr_recording_close(r);

    /* three connections, all seen to the end */
    assert_int_equal(nv, 3);
    conn_view *sub = NULL, *get = NULL, *h = NULL;
    for (int i = 0; i < nv; i++) {
        assert_true(v[i].disconnected);
        if (!strcmp(v[i].addr, s.sub_addr))
            sub = &v[i];
        else if (!strcmp(v[i].addr, s.get_addr))
            get = &v[i];
        else
            h = &v[i];
    }
    assert_non_null(sub);
    assert_non_null(get);
    assert_non_null(h);
    /* the subscriber: its confirmation as a reply, the message as a push,
     * and exactly the bytes it received */
    assert_int_equal(sub->commands, 1);
    assert_string_equal(sub->first_cmd, "SUBSCRIBE");
    assert_int_equal(sub->pushes, 1);
    assert_int_equal(sub->received_len, s.sub_rx.len);
    assert_memory_equal(sub->received, s.sub_rx.buf, s.sub_rx.len);
    /* the sliced GET: a FAULT, the reply held, the slices as WIRE, and
     * together what the client got */
    assert_int_equal(get->faults, 1);
    assert_true(saw_fault_before_wire);
    assert_int_equal(saw_wire, 3); /* "$1\r", "\n1\r", "\n" */
    assert_int_equal(get->received_len, s.get_rx.len);
    assert_memory_equal(get->received, s.get_rx.buf, s.get_rx.len);
    /* the hiredis client: 9 commands, no fault */
    assert_int_equal(h->commands, 9);
    assert_string_equal(h->first_cmd, "SET");
    assert_int_equal(h->faults, 0);
    discard(path);
}

/* ---- replay ----------------------------------------------------------------------- */

static void replay_to(const char *path, int port, fr_replay_result *res)
{
    fr_replay_options o = {.port = port, .timeout_ms = TU_WAIT_MS};
    int rc = fr_replay(path, &o, res);
    if (rc != FR_OK)
        fprintf(stderr, "replay: %s\n", res->err);
    assert_int_equal(rc, FR_OK);
    for (size_t i = 0; i < res->ndiffs; i++)
        fprintf(stderr, "diff c%llu %s: expected %.*s got %.*s\n",
                (unsigned long long)res->diffs[i].conn, res->diffs[i].command,
                (int)res->diffs[i].expected_len, res->diffs[i].expected, (int)res->diffs[i].got_len,
                res->diffs[i].got);
}

/* Replay path against a fresh fake, stopped again; res is the caller's to
 * free. */
static void replay_fresh(const char *path, fr_replay_result *res)
{
    fr_server *srv = tu_start();
    replay_to(path, fr_server_port(srv), res);
    fr_server_stop(srv);
}

static void test_replay_fresh_fake(void **state)
{
    (void)state;
    session s;
    char *path = record_session(&s, 1);
    fr_replay_result res;
    replay_fresh(path, &res);
    assert_int_equal(res.differences, 0);
    assert_int_equal(res.commands, 11);
    /* SUBSCRIBE, 9 replies, the message; the faulted GET is not compared */
    assert_int_equal(res.compared, 11);
    assert_int_equal(res.skipped, 1);
    assert_int_equal(res.truncated, 0);
    fr_replay_result_free(&res);
    discard(path);
}

static void test_replay_reports_differences(void **state)
{
    (void)state;
    session s;
    char *path = record_session(&s, 0);
    fr_server *srv = tu_start();
    /* the target already holds data: RPUSH and INCR answer otherwise */
    fr_reply *rr = fr_execf(srv, "RPUSH l x");
    fr_reply_free(rr);
    rr = fr_execf(srv, "SET n 41");
    fr_reply_free(rr);
    fr_replay_result res;
    fr_replay_options o = {.port = fr_server_port(srv), .max_diffs = 2, .timeout_ms = TU_WAIT_MS};
    assert_int_equal(fr_replay(path, &o, &res), FR_OK);
    /* RPUSH, LRANGE, INCR n, GET n differ; two kept in detail */
    assert_int_equal(res.differences, 4);
    assert_int_equal(res.ndiffs, 2);
    assert_string_equal(res.diffs[0].command, "\"RPUSH\" \"l\" \"a\" \"b\" \"c\"");
    assert_int_equal(res.diffs[0].expected_len, 4);
    assert_memory_equal(res.diffs[0].expected, ":3\r\n", 4);
    assert_int_equal(res.diffs[0].got_len, 4);
    assert_memory_equal(res.diffs[0].got, ":4\r\n", 4);
    assert_true(res.diffs[0].conn > 0);
    assert_string_equal(res.diffs[1].command, "\"LRANGE\" \"l\" \"0\" \"-1\"");
    fr_replay_result_free(&res);
    fr_server_stop(srv);
    discard(path);
}

/* Why a replay or a playback cannot run, as a status a user can act on:
 * a file that is not there is an I/O error, as is a port nobody listens
 * on; a file that is no recording does not parse. */
static void test_replay_errors(void **state)
{
    (void)state;
    session s;
    char *path = record_session(&s, 0);
    fr_server *srv = tu_start();
    int port = fr_server_port(srv);
    fr_replay_result res;
    fr_replay_options o = {.port = port, .timeout_ms = TU_WAIT_MS};
    assert_int_equal(fr_replay("/nonexistent/x.rec", &o, &res), FR_ERR_IO);
    assert_true(strlen(res.err) > 0);
    fr_replay_result_free(&res);
    assert_int_equal(fr_playback_load(srv, "/nonexistent/x.rec", 0), FR_ERR_IO);
    assert_int_equal(fr_playback_load(srv, __FILE__, 0), FR_ERR_PARSE);
    fr_server_stop(srv); /* nobody listens on port now */
    assert_int_equal(fr_replay(path, &o, &res), FR_ERR_IO);
    assert_non_null(strstr(res.err, "cannot connect"));
    fr_replay_result_free(&res);
    discard(path);
}

static void test_replay_real_redis(void **state)
{
    (void)state;
    int port = 0;
    pid_t pid = tu_redis_start(&port);
    if (pid < 0) {
        fprintf(stderr, "redis-server not installed: skipped\n");
        skip();
    }
    session s;
    char *path = record_session(&s, 1);
    fr_replay_result res;
    replay_to(path, port, &res);
    assert_int_equal(res.differences, 0);
    assert_int_equal(res.compared, 11);
    fr_replay_result_free(&res);
    /* the same again: the data is there now, so replies differ */
    replay_to(path, port, &res);
    assert_true(res.differences > 0);
    fr_replay_result_free(&res);
    tu_child_stop(pid, SIGTERM);
    discard(path);
}

/* ---- playback ---------------------------------------------------------------------- */

static void test_playback(void **state)
{
    (void)state;
    session s;
    char *path = record_session(&s, 0);
    fr_server *srv = tu_start();
    assert_int_equal(fr_playback_load(srv, path, 0), FR_OK);
    /* the recorded connections in their order: hiredis first, then the
     * subscriber; commands are not run, answers come from the recording */
    redisContext *h = tu_connect(srv);
    int sub = rs_connect_srv(srv);
    rx sr;
    memset(&sr, 0, sizeof sr);
    rs_send(sub, "*2\r\n$9\r\nSUBSCRIBE\r\n$2\r\nch\r\n");
    /* the documented limit: the message the subscriber received later
     * comes with the answer to its last command */
    raw_expect(sub, &sr,
               "*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"
               "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$5\r\nhello\r\n");
    tu_cmd_ok(h, "SET k %b", "v\0\r\n", (size_t)4);
    redisReply *r = tu_cmd(h, "GET k");
    assert_int_equal(r->len, 4);
    assert_memory_equal(r->str, "v\0\r\n", 4);
    freeReplyObject(r);
    /* a command out of script: an error, counted, the script stays */
    r = tu_cmd(h, "GET other");
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_non_null(strstr(r->str, "fakeredis playback"));
    assert_non_null(strstr(r->str, "expected 'RPUSH l a b c'"));
    freeReplyObject(r);
    assert_int_equal(tu_cmd_int(h, "RPUSH l a b c"), 3);
    uint64_t served = 0, mism = 0;
    char first[256];
    assert_int_equal(fr_playback_result(srv, &served, &mism, first, sizeof first), FR_OK);
    assert_int_equal(served, 4);
    assert_int_equal(mism, 1);
    assert_non_null(strstr(first, "got 'GET other'"));
    /* the keyspace was never touched */
    fr_reply *fk = fr_execf(srv, "EXISTS k");
    assert_int_equal(fk->integer, 0);
    fr_reply_free(fk);
    assert_int_equal(fr_playback_end(srv), FR_OK);
    /* after the end the server runs commands again */
    tu_cmd_ok(h, "SET k v");
    redisFree(h);
    close(sub);
    fr_server_stop(srv);
    discard(path);
}

static void test_playback_timing(void **state)
{
    (void)state;
    /* a hand-made script: PING answered 150 ms late */
    fr_server *srv = tu_start();
    const char *argv[] = {"PING"};
    size_t lens[] = {4};
    assert_int_equal(fr_playback_add(srv, 0, 1, argv, lens, "+PONG\r\n", 7, 150000), FR_OK);
    assert_int_equal(fr_playback_add(srv, 0, 1, argv, lens, "+PONG2\r\n", 8, 0), FR_OK);
    assert_int_equal(fr_playback_begin(srv, 1), FR_OK);
    assert_int_equal(fr_playback_begin(srv, 1), FR_ERR_STATE);
    int fd = rs_connect_srv(srv);
    rx r;
    memset(&r, 0, sizeof r);
    long long t0 = tu_mono_ms();
    /* pipelined: the second answer waits behind the first */
    rs_send(fd, "PING\r\nPING\r\n");
    raw_expect(fd, &r, "+PONG\r\n+PONG2\r\n");
    long long took = tu_mono_ms() - t0;
    assert_true(took >= 140);
    close(fd);
    fr_server_stop(srv);
}

/* The recording at path holds exactly these event types, in order, and
 * ends cleanly. */
static void expect_events(const char *path, const int *want, size_t n)
{
    fr_recording *r = NULL;
    assert_int_equal(fr_recording_open(path, &r, NULL, 0), FR_OK);
    const fr_rec_event *ev;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(fr_recording_next(r, &ev), 1);
        assert_int_equal(ev->type, want[i]);
    }
    assert_int_equal(fr_recording_next(r, &ev), 0);
    assert_int_equal(fr_recording_torn(r, NULL), 0);
    fr_recording_close(r);
}

/* ---- the wire command and the program ---------------------------------------------- */

static void test_wire_command(void **state)
{
    (void)state;
    /* over the wire, only inside the record directory chosen at start */
    char dir[] = "/tmp/fr_it_record_dir_XXXXXX";
    assert_non_null(mkdtemp(dir));
    fr_options o = {.record_dir = dir};
    fr_server *srv = NULL;
    assert_int_equal(fr_server_start(&o, &srv), FR_OK);
    char *path = malloc(256);
    snprintf(path, 256, "%s/wire.rec", dir);
    redisContext *h = tu_connect(srv);
    tu_cmd_ok(h, "FAKE.RECORD START wire.rec");
    redisReply *r = tu_cmd(h, "FAKE.RECORD START wire.rec");
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    freeReplyObject(r);
    tu_cmd_ok(h, "SET a 1");
    tu_cmd_ok(h, "FAKE.RECORD STOP");
    r = tu_cmd(h, "FAKE.RECORD STOP");
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_non_null(strstr(r->str, "none is running"));
    freeReplyObject(r);
    r = tu_cmd(h, "FAKE.RECORD START /nonexistent/dir/x.rec");
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    freeReplyObject(r);
    assert_int_equal(fr_record_stop(srv), FR_ERR_STATE);
    /* the API on the same server */
    char *path2 = tmp_path("wire2");
    assert_int_equal(fr_record_start(srv, path2), FR_OK);
    assert_int_equal(fr_record_start(srv, path2), FR_ERR_STATE);
    tu_cmd_ok(h, "SET b 2");
    assert_int_equal(fr_record_stop(srv), FR_OK);
    assert_int_equal(fr_record_stop(srv), FR_ERR_STATE);
    assert_int_equal(fr_record_start(srv, "/nonexistent/dir/y.rec"), FR_ERR_IO);
    assert_non_null(strstr(fr_server_errstr(srv), "cannot open"));
    discard(path2);
    redisFree(h);
    fr_server_stop(srv);

    /* the connection already open gets its CONNECT first; then START's
     * own reply, START again (refused), SET, STOP (its reply is after the
     * end) */
    static const int want[] = {FR_REC_CONNECT, FR_REC_REPLY, FR_REC_COMMAND, FR_REC_REPLY,
                               FR_REC_COMMAND, FR_REC_REPLY, FR_REC_COMMAND};
    expect_events(path, want, sizeof want / sizeof want[0]);
    discard(path);
    rmdir(dir);
}

static void test_program(void **state)
{
    (void)state;
    session s;
    char *path = record_session(&s, 1);
    char cmd[1024];
    int status;
    /* print: one line per event, times stripped here */
    snprintf(cmd, sizeof cmd, "%s print %s | cut -d' ' -f2- | grep -v ' CONNECT '", FR_REPLAY_BIN,
             path);
    char *out = tu_run(cmd, &status);
    assert_int_equal(status, 0);
    assert_non_null(strstr(out, "COMMAND \"SET\" \"k\" \"v\\x00\\r\\n\"\n"));
    assert_non_null(strstr(out, "REPLY sent \"$4\\r\\nv\\x00\\r\\n\\r\\n\"\n"));
    assert_non_null(strstr(
        out, "PUSH sent \"*3\\r\\n$7\\r\\nmessage\\r\\n$2\\r\\nch\\r\\n$5\\r\\nhello\\r\\n\"\n"));
    assert_non_null(strstr(out, "FAULT rule=1 \"cmd=GET action=slice size=3 gap=1\"\n"));
    assert_non_null(strstr(out, "REPLY held \"$1\\r\\n1\\r\\n\"\n"));
    assert_non_null(strstr(out, "WIRE \"\\n1\\r\"\n"));
    assert_non_null(strstr(out, "DISCONNECT\n"));
    free(out);

    /* replay: 0 against a fresh fake, 1 with differences */
    fr_server *srv = tu_start();
    snprintf(cmd, sizeof cmd, "%s replay %s --port %d", FR_REPLAY_BIN, path, fr_server_port(srv));
    out = tu_run(cmd, &status);
    assert_int_equal(status, 0);
    assert_non_null(strstr(out, "11 commands sent, 11 replies compared, 0 differ, 1 skipped"));
    free(out);
    out = tu_run(cmd, &status); /* the data is there now */
    assert_int_equal(status, 1);
    assert_non_null(strstr(out, "expected \":3\\r\\n\""));
    free(out);
    fr_server_stop(srv);

    /* import-monitor, then print */
    char *mon = tmp_path("monitor.txt"), *imp = tmp_path("imported");
    FILE *f = fopen(mon, "w");
    fputs("OK\n1700000000.100000 [0 127.0.0.1:4000] \"SET\" \"a\\r\" \"1\"\n", f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "%s import-monitor %s %s 2>/dev/null && %s print %s", FR_REPLAY_BIN,
             mon, imp, FR_REPLAY_BIN, imp);
    out = tu_run(cmd, &status);
    assert_int_equal(status, 0);
    assert_string_equal(out, "+0.000000 c1 CONNECT \"127.0.0.1:4000\" (imported)\n"
                             "+0.000000 c1 COMMAND \"SET\" \"a\\r\" \"1\" (imported)\n");
    free(out);
    /* a damaged file: print says so and exits 1 */
    snprintf(cmd, sizeof cmd, "%s print %s 2>&1 >/dev/null", FR_REPLAY_BIN, mon);
    out = tu_run(cmd, &status);
    assert_int_equal(status, 2);
    assert_non_null(strstr(out, "not a fakeredis recording"));
    free(out);
    discard(mon);
    discard(imp);
    discard(path);
}

/* Count the COMMAND events whose argv[0] is name. */
static int count_commands(const char *path, const char *name)
{
    fr_recording *r = NULL;
    assert_int_equal(fr_recording_open(path, &r, NULL, 0), FR_OK);
    const fr_rec_event *ev;
    int n = 0;
    while (fr_recording_next(r, &ev) == 1)
        if (ev->type == FR_REC_COMMAND && ev->argvlen[0] == strlen(name) &&
            !strncasecmp(ev->argv[0], name, ev->argvlen[0]))
            n++;
    fr_recording_close(r);
    return n;
}

/* A command CLIENT PAUSE or a stall rule holds back is dispatched again
 * later: it is still one COMMAND event. */
static void test_held_command_recorded_once(void **state)
{
    (void)state;
    fr_server *srv = tu_start();
    char *path = tmp_path("held");
    assert_int_equal(fr_record_start(srv, path), FR_OK);
    redisContext *a = tu_connect(srv), *b = tu_connect(srv);
    tu_cmd_ok(a, "CLIENT PAUSE 150 WRITE");
    long long t0 = tu_mono_ms();
    tu_cmd_ok(b, "SET held 1"); /* waits for the pause to end */
    assert_true(tu_mono_ms() - t0 >= 100);
    uint64_t id = 0;
    assert_int_equal(fr_fault_add_text(srv, "cmd=INCR action=stall once", &id), FR_OK);
    redisAppendCommand(b, "INCR stalled");
    int done = 0;
    redisBufferWrite(b, &done);
    assert_false(tu_readable_within(b, 50));
    fr_fault_clear(srv, id);
    redisReply *r = tu_next_reply(b);
    assert_int_equal(r->integer, 1);
    freeReplyObject(r);
    redisFree(a);
    redisFree(b);
    fr_server_stop(srv);
    assert_int_equal(count_commands(path, "SET"), 1);
    assert_int_equal(count_commands(path, "INCR"), 1);
    discard(path);
}

/* A blocked command's reply comes after another connection's command:
 * replay sends in recorded order and awaits each reply on its own
 * connection. */
static void test_replay_blocking(void **state)
{
    (void)state;
    fr_server *srv = tu_start();
    char *path = tmp_path("blocking");
    assert_int_equal(fr_record_start(srv, path), FR_OK);
    redisContext *a = tu_connect(srv), *b = tu_connect(srv);
    tu_block(srv, a, 1, "BLPOP q 5");
    assert_int_equal(tu_cmd_int(b, "LPUSH q x"), 1);
    redisReply *r = tu_next_reply(a);
    assert_int_equal(r->elements, 2);
    freeReplyObject(r);
    tu_cmd_ok(a, "MULTI");
    redisReply *q = tu_cmd(a, "INCR c");
    assert_string_equal(q->str, "QUEUED");
    freeReplyObject(q);
    q = tu_cmd(a, "EXEC");
    assert_int_equal(q->elements, 1);
    freeReplyObject(q);
    redisFree(a);
    redisFree(b);
    fr_server_stop(srv);

    fr_replay_result res;
    replay_fresh(path, &res);
    assert_int_equal(res.differences, 0);
    assert_int_equal(res.commands, 5);
    assert_int_equal(res.compared, 5);
    fr_replay_result_free(&res);
    discard(path);
}

/* fakeredis-server --record FILE: the program records from its start to
 * its exit (SIGTERM flushes and closes the file). */
static void test_server_flag(void **state)
{
    (void)state;
    char *rec = tmp_path("flag");
    const char *const extra[] = {"--record", rec, NULL};
    int port = 0;
    pid_t pid = tu_fakeredis_start(FR_SERVER_BIN, extra, &port);
    int fd = rs_must_connect(port);
    rs_send(fd, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
    rs_expect(fd, "+OK\r\n");
    close(fd);
    assert_int_equal(tu_child_stop(pid, SIGTERM), 0);
    static const int want[] = {FR_REC_CONNECT, FR_REC_COMMAND, FR_REC_REPLY, FR_REC_DISCONNECT};
    expect_events(rec, want, sizeof want / sizeof want[0]);
    discard(rec);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recorded_events),
        cmocka_unit_test(test_replay_fresh_fake),
        cmocka_unit_test(test_replay_reports_differences),
        cmocka_unit_test(test_replay_errors),
        cmocka_unit_test_teardown(test_replay_real_redis, tu_children_teardown),
        cmocka_unit_test(test_playback),
        cmocka_unit_test(test_playback_timing),
        cmocka_unit_test(test_wire_command),
        cmocka_unit_test(test_program),
        cmocka_unit_test_teardown(test_server_flag, tu_children_teardown),
        cmocka_unit_test(test_held_command_recorded_once),
        cmocka_unit_test(test_replay_blocking),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
