/* The core server with real clients: hiredis (sync, and async on the
 * libevent adapter) against threaded and attached servers, the in-process
 * fr_exec API, many servers at once, 10,000 idle connections, and
 * redis-cli against the fakeredis-server program.
 *
 * Where a test pins Redis' exact bytes (CLIENT REPLY, maxclients, HELLO),
 * they were checked against Debian's redis-server 7.0.15 first. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "fakeredis/fakeredis.h"
#include "fakeredis/harness.h"
#include "support/child.h"
#include "support/rawsock.h"
#include "support/testutil.h"

/* ---- helpers ------------------------------------------------------------ */

/* The next command on c must fail because the server closed it. */
static void expect_closed(redisContext *c)
{
    redisReply *r = redisCommand(c, "PING");
    if (r)
        fail_msg("PING answered (type %d) on a closed connection", r->type);
    assert_true(c->err == REDIS_ERR_EOF || c->err == REDIS_ERR_IO);
}

/* A value from an fr_exec reply map (RESP3), or NULL. */
static const fr_reply *map_get(const fr_reply *m, const char *key)
{
    if (!m || m->type != FR_REPLY_MAP)
        return NULL;
    for (size_t i = 0; i + 1 < m->elements; i += 2)
        if (m->element[i]->str && !strcmp(m->element[i]->str, key))
            return m->element[i + 1];
    return NULL;
}

/* A numeric "field:value" line of INFO, read in-process. */
static long long info_field(fr_server *srv, const char *section, const char *field)
{
    fr_reply *r = fr_execf(srv, "INFO %s", section);
    assert_non_null(r);
    assert_int_equal(r->type, FR_REPLY_VERB);
    char key[64];
    snprintf(key, sizeof key, "\n%s:", field);
    const char *p = strstr(r->str, key);
    long long v = p ? atoll(p + strlen(key)) : -1;
    fr_reply_free(r);
    return v;
}

/* Read one whole RESP reply from a raw socket and parse it. */
static fr_reply *read_reply(int fd)
{
    char buf[8192];
    size_t len = 0;
    int64_t deadline = tu_mono_ms() + 5000;
    for (;;) {
        size_t used = 0;
        fr_reply *r = NULL;
        if (len && fr_reply_parse(buf, len, &used, &r) == 1)
            return r;
        int64_t left = deadline - tu_mono_ms();
        if (left <= 0 || len == sizeof buf)
            fail_msg("no complete reply (%zu bytes)", len);
        if (rs_read_n(fd, buf + len, 1, (int)left, NULL) != 1)
            fail_msg("connection closed or silent after %zu bytes", len);
        len++;
    }
}

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

/* Raise the soft fd limit to at least want (up to the hard limit).
 * Returns the soft limit now in force. */
static long long raise_nofile(long long want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return -1;
    if ((long long)rl.rlim_cur >= want)
        return (long long)rl.rlim_cur;
    if (rl.rlim_max != RLIM_INFINITY && (long long)rl.rlim_max < want) {
        /* a privileged process may raise the hard limit too */
        struct rlimit up = {(rlim_t)want, (rlim_t)want};
        if (setrlimit(RLIMIT_NOFILE, &up) == 0)
            return want;
        rl.rlim_cur = rl.rlim_max;
    } else {
        rl.rlim_cur = (rlim_t)want;
    }
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
    return (long long)rl.rlim_cur;
}

/* ---- hiredis sync, threaded server -------------------------------------- */

static void test_ping_echo_select(void **state)
{
    fr_server *srv = *state;
    redisContext *c = tu_connect(srv);
    tu_cmd_str(c, REDIS_REPLY_STATUS, "PONG", "PING");
    tu_cmd_str(c, REDIS_REPLY_STRING, "hi", "PING hi");

    static const char bin[] = "a\0b\r\nc\r\n\0";
    redisReply *r = tu_cmd(c, "ECHO %b", bin, sizeof bin - 1);
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    assert_int_equal(r->len, sizeof bin - 1);
    assert_memory_equal(r->str, bin, sizeof bin - 1);
    freeReplyObject(r);

    tu_cmd_ok(c, "SELECT 15");
    tu_cmd_str(c, REDIS_REPLY_ERROR, "ERR DB index is out of range", "SELECT 16");
    tu_cmd_str(c, REDIS_REPLY_ERROR, "ERR value is not an integer or out of range", "SELECT x");
    tu_cmd_str(c, REDIS_REPLY_ERROR, "ERR wrong number of arguments for 'echo' command", "ECHO");
    tu_cmd_str(c, REDIS_REPLY_ERROR,
               "ERR unknown command 'NOPE', with args beginning with: 'a' 'b' ", "NOPE a b");
    redisFree(c);
}

static void test_client_commands(void **state)
{
    fr_server *srv = *state;
    redisContext *c = tu_connect(srv), *c2 = tu_connect(srv);
    tu_cmd_str(c, REDIS_REPLY_NIL, "", "CLIENT GETNAME");
    tu_cmd_ok(c, "CLIENT SETNAME first");
    tu_cmd_str(c, REDIS_REPLY_STRING, "first", "CLIENT GETNAME");
    tu_cmd_str(c, REDIS_REPLY_ERROR,
               "ERR Client names cannot contain spaces, newlines or special characters.",
               "CLIENT SETNAME %s", "a b");
    long long id = tu_cmd_int(c, "CLIENT ID");
    long long id2 = tu_cmd_int(c2, "CLIENT ID");
    assert_true(id > 0 && id2 > id);

    redisReply *r = tu_cmd(c, "CLIENT LIST");
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    char want[128];
    snprintf(want, sizeof want, "id=%lld addr=127.0.0.1:", id);
    assert_non_null(strstr(r->str, want));
    assert_non_null(strstr(r->str, " name=first "));
    snprintf(want, sizeof want, "id=%lld ", id2);
    assert_non_null(strstr(r->str, want));
    assert_non_null(strstr(r->str, " cmd=client|list "));
    freeReplyObject(r);

    r = tu_cmd(c, "CLIENT INFO");
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    snprintf(want, sizeof want, "id=%lld ", id);
    assert_memory_equal(r->str, want, strlen(want));
    freeReplyObject(r);

    /* kill the other connection by id: its next command fails */
    assert_int_equal(tu_cmd_int(c, "CLIENT KILL ID %lld", id2), 1);
    assert_int_equal(tu_cmd_int(c, "CLIENT KILL ID %lld", id2), 0);
    expect_closed(c2);
    redisFree(c2);
    tu_cmd_str(c, REDIS_REPLY_STATUS, "PONG", "PING");

    /* the old form, by address */
    c2 = tu_connect(srv);
    r = tu_cmd(c2, "CLIENT INFO");
    const char *a = strstr(r->str, "addr=");
    assert_non_null(a);
    char addr[64];
    snprintf(addr, sizeof addr, "%.*s", (int)strcspn(a + 5, " "), a + 5);
    freeReplyObject(r);
    tu_cmd_ok(c, "CLIENT KILL %s", addr);
    tu_cmd_str(c, REDIS_REPLY_ERROR, "ERR No such client", "CLIENT KILL %s", addr);
    expect_closed(c2);
    redisFree(c2);

    /* RESET forgets the name and the database */
    tu_cmd_ok(c, "SELECT 3");
    tu_cmd_str(c, REDIS_REPLY_STATUS, "RESET", "RESET");
    tu_cmd_str(c, REDIS_REPLY_NIL, "", "CLIENT GETNAME");
    r = tu_cmd(c, "CLIENT INFO");
    assert_non_null(strstr(r->str, " db=0 "));
    freeReplyObject(r);
    redisFree(c);
}

static void test_config_and_info(void **state)
{
    fr_server *srv = *state;
    redisContext *c = tu_connect(srv);
    tu_cmd_ok(c, "CONFIG SET maxclients 50 timeout 7");
    redisReply *r = tu_cmd(c, "CONFIG GET maxclients");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 2);
    assert_string_equal(r->element[0]->str, "maxclients");
    assert_string_equal(r->element[1]->str, "50");
    freeReplyObject(r);
    r = tu_cmd(c, "CONFIG GET time*");
    assert_int_equal(r->elements, 2);
    assert_string_equal(r->element[1]->str, "7");
    freeReplyObject(r);
    tu_cmd_str(c, REDIS_REPLY_ERROR,
               "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'",
               "CONFIG SET nosuch 1");
    tu_cmd_ok(c, "CONFIG RESETSTAT");

    r = tu_cmd(c, "INFO");
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    const char *sections[] = {"# Server\r\n",
                              "# Clients\r\n",
                              "# Memory\r\n",
                              "# Stats\r\n",
                              "# Keyspace\r\n",
                              "redis_version:7.0.15\r\n",
                              "connected_clients:1\r\n",
                              "maxclients:50\r\n"};
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++)
        if (!strstr(r->str, sections[i]))
            fail_msg("INFO lacks '%s'", sections[i]);
    freeReplyObject(r);

    r = tu_cmd(c, "TIME");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 2);
    freeReplyObject(r);
    assert_true(tu_cmd_int(c, "COMMAND COUNT") > 20);
    assert_true(tu_cmd_int(c, "LASTSAVE") > 0);
    tu_cmd_ok(c, "SAVE");
    redisFree(c);
}

/* Empty quoted words in config values and lines ('' or "") are empty
 * arguments, refused with redis 7.0.15's texts (checked against it with
 * redis-cli and a config file); they once made the parser offset NULL. */
static void test_config_empty_words(void **state)
{
    fr_server *srv = *state;
    redisContext *c = tu_connect(srv);
    tu_cmd_str(c, REDIS_REPLY_ERROR,
               "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save "
               "parameters",
               "CONFIG SET save %s", "'' ''");
    tu_cmd_str(c, REDIS_REPLY_ERROR,
               "ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') "
               "- Invalid client class specified in buffer limit configuration.",
               "CONFIG SET client-output-buffer-limit %s", "'' '' '' ''");
    tu_cmd_str(c, REDIS_REPLY_ERROR,
               "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save "
               "parameters",
               "CONFIG SET save %s", "\"\" \"\"");
    redisFree(c);

    /* redis 7.0.15, a config file line '' '': "Bad directive or wrong
     * number of arguments" */
    static const char *const lines[] = {"'' ''", NULL};
    char err[256] = "";
    fr_options o = {.config = lines, .errbuf = err, .errbuf_len = sizeof err};
    fr_server *bad = (fr_server *)1;
    assert_int_equal(fr_server_start(&o, &bad), FR_ERR_PARSE);
    assert_null(bad);
    assert_string_equal(err, "config ''' ''': Bad directive or wrong number of arguments");
}

/* redis 7.0.15 (enable-protected-configs no, its default): dir and
 * dbfilename are protected configs, refused whatever the value, and a
 * CONFIG SET naming one changes nothing. */
static void test_config_protected(void **state)
{
    fr_server *srv = *state;
    redisContext *c = tu_connect(srv);
    redisReply *r = tu_cmd(c, "CONFIG GET dir");
    char *dir = strdup(r->element[1]->str);
    freeReplyObject(r);
    tu_cmd_str(c, REDIS_REPLY_ERROR,
               "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected "
               "config",
               "CONFIG SET dir /nonexistent");
    tu_cmd_str(c, REDIS_REPLY_ERROR,
               "ERR CONFIG SET failed (possibly related to argument 'DIR') - can't set protected "
               "config",
               "CONFIG SET DIR /tmp");
    tu_cmd_str(c, REDIS_REPLY_ERROR,
               "ERR CONFIG SET failed (possibly related to argument 'dbfilename') - can't set "
               "protected config",
               "CONFIG SET dbfilename ../../x");
    tu_cmd_str(c, REDIS_REPLY_ERROR,
               "ERR CONFIG SET failed (possibly related to argument 'dbfilename') - can't set "
               "protected config",
               "CONFIG SET dbfilename x.rdb");
    tu_cmd_str(c, REDIS_REPLY_ERROR,
               "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected "
               "config",
               "CONFIG SET maxclients 55 dir /tmp");
    r = tu_cmd(c, "CONFIG GET maxclients");
    assert_string_equal(r->element[1]->str, "10000");
    freeReplyObject(r);
    r = tu_cmd(c, "CONFIG GET dir");
    assert_string_equal(r->element[1]->str, dir);
    freeReplyObject(r);
    r = tu_cmd(c, "CONFIG GET dbfilename");
    assert_string_equal(r->element[1]->str, "dump.rdb");
    freeReplyObject(r);
    free(dir);
    redisFree(c);
}

static void test_requirepass(void **state)
{
    (void)state;
    fr_options o = {.requirepass = "pw"};
    fr_server *srv = NULL;
    assert_int_equal(fr_server_start(&o, &srv), FR_OK);
    redisContext *c = tu_connect(srv);
    tu_cmd_str(c, REDIS_REPLY_ERROR, "NOAUTH Authentication required.", "PING");
    tu_cmd_str(c, REDIS_REPLY_ERROR,
               "WRONGPASS invalid username-password pair or user is disabled.", "AUTH nope");
    tu_cmd_ok(c, "AUTH pw");
    tu_cmd_str(c, REDIS_REPLY_STATUS, "PONG", "PING");
    /* RESET logs the connection out again */
    tu_cmd_str(c, REDIS_REPLY_STATUS, "RESET", "RESET");
    tu_cmd_str(c, REDIS_REPLY_ERROR, "NOAUTH Authentication required.", "PING");
    /* HELLO 2 with AUTH authenticates and answers the flat map */
    redisReply *r = tu_cmd(c, "HELLO 2 AUTH default pw SETNAME h2");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 14);
    assert_string_equal(r->element[0]->str, "server");
    assert_string_equal(r->element[1]->str, "redis");
    assert_string_equal(r->element[4]->str, "proto");
    assert_int_equal(r->element[5]->integer, 2);
    freeReplyObject(r);
    tu_cmd_str(c, REDIS_REPLY_STRING, "h2", "CLIENT GETNAME");
    redisFree(c);

    /* HELLO 3 AUTH over a raw socket: a RESP3 map. redis 7.0.15: HELLO
     * without AUTH before authenticating gets exactly this text */
    int fd = rs_connect_srv(srv);
    assert_true(rs_roundtrip(fd, "HELLO 3\r\n",
                             "-NOAUTH HELLO must be called with the client already "
                             "authenticated, otherwise the HELLO AUTH <user> <pass> "
                             "option can be used to authenticate the client and select the "
                             "RESP protocol version at the same time\r\n"));
    assert_int_equal(rs_write_str(fd, "HELLO 3 AUTH default pw\r\n"), 0);
    fr_reply *m = read_reply(fd);
    assert_int_equal(m->type, FR_REPLY_MAP);
    assert_int_equal(m->elements, 14);
    assert_int_equal(map_get(m, "proto")->integer, 3);
    assert_string_equal(map_get(m, "version")->str, FR_REDIS_VERSION);
    assert_string_equal(map_get(m, "mode")->str, "standalone");
    fr_reply_free(m);
    assert_true(rs_roundtrip(fd, "PING\r\n", "+PONG\r\n"));
    close(fd);
    fr_server_stop(srv);
}

static void test_quit(void **state)
{
    fr_server *srv = *state;
    int fd = rs_connect_srv(srv);
    /* redis 7.0.15: +OK, then the connection closes; later commands in
     * the same packet are not run */
    assert_int_equal(rs_write_str(fd, "QUIT\r\nPING\r\n"), 0);
    char buf[64];
    int eof = 0;
    size_t n = rs_read_to_eof(fd, buf, sizeof buf, 5000, &eof);
    assert_true(eof);
    assert_int_equal(n, 5);
    assert_memory_equal(buf, "+OK\r\n", 5);
    close(fd);
}

static void test_shutdown(void **state)
{
    (void)state;
    fr_server *srv = NULL;
    assert_int_equal(fr_server_start(NULL, &srv), FR_OK);
    int port = fr_server_port(srv);
    redisContext *other = tu_connect(srv);
    int fd = rs_connect(port);
    assert_true(fd >= 0);
    assert_false(fr_server_is_shut_down(srv));
    /* redis 7.0.15: no reply, the connection closes */
    assert_int_equal(rs_write_str(fd, "SHUTDOWN NOSAVE\r\n"), 0);
    char buf[64];
    int eof = 0;
    assert_int_equal(rs_read_to_eof(fd, buf, sizeof buf, 5000, &eof), 0);
    assert_true(eof);
    close(fd);
    int64_t deadline = tu_mono_ms() + 5000;
    while (!fr_server_is_shut_down(srv) && tu_mono_ms() < deadline)
        usleep(1000);
    assert_true(fr_server_is_shut_down(srv));
    /* the other clients are closed, new ones refused, fr_exec refused */
    expect_closed(other);
    redisFree(other);
    assert_int_equal(rs_connect(port), -1);
    assert_null(fr_execf(srv, "PING"));
    fr_server_stop(srv);
}

/* fr_server_stop while a client's command runs (DEBUG SLEEP holds the
 * loop) and others are connected: every client sees its connection close. */
static void test_stop_mid_command(void **state)
{
    (void)state;
    fr_server *srv = NULL;
    assert_int_equal(fr_server_start(NULL, &srv), FR_OK);
    int busy = rs_connect(fr_server_port(srv)), idle = rs_connect(fr_server_port(srv));
    assert_true(rs_roundtrip(idle, "PING\r\n", "+PONG\r\n"));
    assert_int_equal(rs_write_str(busy, "DEBUG SLEEP 0.2\r\n"), 0);
    fr_server_stop(srv);
    char buf[16];
    int eof = 0;
    /* the sleep may or may not have run (and answered) before the stop */
    size_t n = rs_read_to_eof(busy, buf, sizeof buf, 5000, &eof);
    assert_true(eof);
    assert_true(n == 0 || (n == 5 && !memcmp(buf, "+OK\r\n", 5)));
    assert_int_equal(rs_read_to_eof(idle, buf, sizeof buf, 5000, &eof), 0);
    assert_true(eof);
    close(busy);
    close(idle);
}

/* redis 7.0.15 with maxclients 2: the third connection gets the error,
 * then is closed. */
static void test_maxclients(void **state)
{
    fr_server *srv = *state;
    fr_reply *r = fr_execf(srv, "CONFIG SET maxclients 2");
    assert_int_equal(r->type, FR_REPLY_STATUS);
    fr_reply_free(r);
    int a = rs_connect(fr_server_port(srv)), b = rs_connect(fr_server_port(srv));
    assert_true(rs_roundtrip(a, "PING\r\n", "+PONG\r\n"));
    assert_true(rs_roundtrip(b, "PING\r\n", "+PONG\r\n"));
    int x = rs_connect_srv(srv);
    char buf[128];
    int eof = 0;
    static const char want[] = "-ERR max number of clients reached\r\n";
    size_t n = rs_read_to_eof(x, buf, sizeof buf, 5000, &eof);
    assert_true(eof);
    assert_int_equal(n, sizeof want - 1);
    assert_memory_equal(buf, want, n);
    close(x);
    assert_int_equal(info_field(srv, "stats", "rejected_connections"), 1);
    /* a freed slot is usable again */
    close(b);
    int64_t deadline = tu_mono_ms() + 5000;
    while (info_field(srv, "clients", "connected_clients") != 1 && tu_mono_ms() < deadline)
        usleep(1000);
    int y = rs_connect(fr_server_port(srv));
    assert_true(rs_roundtrip(y, "PING\r\n", "+PONG\r\n"));
    close(y);
    close(a);
}

static void exec_ok(fr_server *srv, const char *cmd)
{
    fr_reply *r = fr_execf(srv, cmd);
    assert_non_null(r);
    if (r->type != FR_REPLY_STATUS)
        fail_msg("%s: %s", cmd, r->str ? r->str : "?");
    fr_reply_free(r);
}

/* redis 7.0.15 with timeout 1: an idle client is closed 1-2 s later; a
 * client sending a request slowly (a byte every 0.6 s) is not idle; a
 * client held by CLIENT PAUSE is not closed either. */
static void test_idle_timeout(void **state)
{
    fr_server *srv = *state;
    redisContext *c = tu_connect(srv);
    tu_cmd_ok(c, "CONFIG SET timeout 1");
    int port = fr_server_port(srv);
    int idle = rs_connect(port), slow = rs_connect(port), held = rs_connect(port);
    assert_true(rs_roundtrip(idle, "PING\r\n", "+PONG\r\n"));
    assert_int_equal(rs_write_str(slow, "*2\r\n$4\r\nECHO\r\n$5\r\n"), 0);
    exec_ok(srv, "CLIENT PAUSE 2600");
    assert_int_equal(rs_write_str(held, "PING\r\n"), 0);
    int64_t t0 = tu_mono_ms(), closed_at = 0;
    char buf[16];
    int eof = 0;
    /* the waits on `idle` pace the slow writer: 5 bytes, 0.6 s apart */
    for (int i = 0; i < 5; i++) {
        int64_t until = tu_mono_ms() + 600;
        while (!closed_at && tu_mono_ms() < until) {
            if (rs_wait_readable(idle, (int)(until - tu_mono_ms()))) {
                assert_int_equal(rs_read_to_eof(idle, buf, sizeof buf, 1000, &eof), 0);
                assert_true(eof);
                closed_at = tu_mono_ms();
            }
        }
        if (closed_at && tu_mono_ms() < until)
            assert_true(rs_quiet_for(slow, (int)(until - tu_mono_ms())));
        assert_int_equal(rs_write(slow, &"hello"[i], 1), 0);
    }
    assert_int_equal(rs_write_str(slow, "\r\n"), 0);
    assert_int_equal(rs_read_n(slow, buf, 11, 5000, &eof), 11);
    assert_memory_equal(buf, "$5\r\nhello\r\n", 11);
    int64_t tr = tu_mono_ms();
    size_t hn = rs_read_n(held, buf, 7, 5000, &eof);
    if (hn != 7)
        fail_msg(
            "held client: %zu bytes, eof=%d, after %lld ms, at %lld ms, idle one closed at %lld",
            hn, eof, (long long)(tu_mono_ms() - tr), (long long)(tu_mono_ms() - t0),
            (long long)(closed_at - t0));
    assert_memory_equal(buf, "+PONG\r\n", 7);
    if (!closed_at || closed_at - t0 < 1000)
        fail_msg("idle client closed after %lld ms", (long long)(closed_at - t0));
    close(idle);
    close(slow);
    close(held);
    /* c was idle too and is gone; timeout 0 turns it off again */
    expect_closed(c);
    redisFree(c);
    exec_ok(srv, "CONFIG SET timeout 0");
}

static void test_client_pause(void **state)
{
    fr_server *srv = *state;
    redisContext *c = tu_connect(srv), *c2 = tu_connect(srv);
    /* ALL: even PING waits for the end of the pause */
    tu_cmd_ok(c, "CLIENT PAUSE 300");
    int64_t t0 = tu_mono_ms();
    tu_cmd_str(c2, REDIS_REPLY_STATUS, "PONG", "PING");
    int64_t took = tu_mono_ms() - t0;
    if (took < 250 || took > 3000)
        fail_msg("PING took %lld ms during a 300 ms pause", (long long)took);

    /* WRITE: a read-only command runs at once */
    tu_cmd_ok(c, "CLIENT PAUSE 2000 WRITE");
    t0 = tu_mono_ms();
    tu_cmd_str(c2, REDIS_REPLY_STATUS, "PONG", "PING");
    assert_true(tu_mono_ms() - t0 < 1000);
    tu_cmd_ok(c, "CLIENT UNPAUSE");

    /* UNPAUSE releases a held command early */
    tu_cmd_ok(c, "CLIENT PAUSE 10000");
    int fd = rs_connect(fr_server_port(srv));
    t0 = tu_mono_ms();
    assert_int_equal(rs_write_str(fd, "ECHO held\r\n"), 0);
    assert_true(rs_quiet_for(fd, 100));
    fr_reply *r = fr_execf(srv, "CLIENT UNPAUSE");
    assert_int_equal(r->type, FR_REPLY_STATUS);
    fr_reply_free(r);
    char buf[32];
    assert_int_equal(rs_read_n(fd, buf, 10, 5000, NULL), 10);
    assert_memory_equal(buf, "$4\r\nheld\r\n", 10);
    assert_true(tu_mono_ms() - t0 < 5000);
    close(fd);
    redisFree(c);
    redisFree(c2);
}

/* redis 7.0.15 gives exactly these bytes for this packet. */
static void test_client_reply(void **state)
{
    fr_server *srv = *state;
    int fd = rs_connect_srv(srv);
    assert_true(rs_roundtrip(fd,
                             "CLIENT REPLY OFF\r\nPING\r\nCLIENT REPLY ON\r\nPING\r\n"
                             "CLIENT REPLY SKIP\r\nECHO a\r\nECHO b\r\n"
                             "CLIENT REPLY SKIP\r\nCLIENT REPLY OFF\r\nPING\r\n"
                             "CLIENT REPLY ON\r\nECHO c\r\nCLIENT REPLY BAD\r\n",
                             "+OK\r\n+PONG\r\n$1\r\nb\r\n+OK\r\n$1\r\nc\r\n"
                             "-ERR syntax error\r\n"));
    assert_true(rs_quiet_for(fd, 20));
    close(fd);
}

static void test_debug_sleep(void **state)
{
    fr_server *srv = *state;
    redisContext *c = tu_connect(srv);
    int64_t t0 = tu_mono_ms();
    tu_cmd_ok(c, "DEBUG SLEEP 0.2");
    assert_true(tu_mono_ms() - t0 >= 190);
    tu_cmd_ok(c, "DEBUG SLEEP 0");
    redisFree(c);
}

/* ---- fr_exec -------------------------------------------------------------- */

static void test_exec(void **state)
{
    fr_server *srv = *state;
    fr_reply *r = fr_execf(srv, "HELLO 3");
    assert_non_null(r);
    assert_int_equal(r->type, FR_REPLY_MAP);
    assert_int_equal(r->elements, 14);
    assert_string_equal(map_get(r, "server")->str, "redis");
    assert_int_equal(map_get(r, "proto")->type, FR_REPLY_INTEGER);
    assert_int_equal(map_get(r, "proto")->integer, 3);
    assert_int_equal(map_get(r, "modules")->type, FR_REPLY_ARRAY);
    fr_reply_free(r);

    r = fr_execf(srv, "PING");
    assert_int_equal(r->type, FR_REPLY_STATUS);
    assert_string_equal(r->str, "PONG");
    fr_reply_free(r);

    static const char bin[] = "x\0y\r\n";
    r = fr_execf(srv, "ECHO %b", bin, sizeof bin - 1);
    assert_int_equal(r->type, FR_REPLY_STRING);
    assert_int_equal(r->len, sizeof bin - 1);
    assert_memory_equal(r->str, bin, sizeof bin - 1);
    fr_reply_free(r);

    r = fr_execf(srv, "ECHO a%sb%dc%lldd%%", "-", 42, -7LL);
    assert_string_equal(r->str, "a-b42c-7d%");
    fr_reply_free(r);

    const char *argv[] = {"ECHO", "two words"};
    r = fr_exec(srv, 2, argv, NULL);
    assert_string_equal(r->str, "two words");
    fr_reply_free(r);
    size_t lens[] = {4, 3};
    const char *argv2[] = {"ECHOXX", "abcdef"};
    r = fr_exec(srv, 2, argv2, lens);
    assert_string_equal(r->str, "abc");
    fr_reply_free(r);

    r = fr_execf(srv, "SELECT 99");
    assert_int_equal(r->type, FR_REPLY_ERROR);
    assert_string_equal(r->str, "ERR DB index is out of range");
    fr_reply_free(r);

    r = fr_execf(srv, "CONFIG GET maxclients");
    assert_int_equal(r->type, FR_REPLY_MAP);
    assert_string_equal(map_get(r, "maxclients")->str, "10000");
    fr_reply_free(r);

    r = fr_execf(srv, "TIME");
    assert_int_equal(r->type, FR_REPLY_ARRAY);
    assert_int_equal(r->elements, 2);
    fr_reply_free(r);

    r = fr_execf(srv, "COMMAND COUNT");
    assert_int_equal(r->type, FR_REPLY_INTEGER);
    assert_true(r->integer > 20);
    fr_reply_free(r);

    r = fr_execf(srv, "INFO server");
    assert_int_equal(r->type, FR_REPLY_VERB);
    assert_string_equal(r->vtype, "txt");
    assert_non_null(strstr(r->str, "redis_version:7.0.15"));
    fr_reply_free(r);

    /* fr_exec_select picks the database of later fr_exec calls */
    assert_int_equal(fr_exec_select(srv, 5), FR_OK);
    r = fr_execf(srv, "CLIENT INFO");
    assert_non_null(strstr(r->str, " db=5 "));
    fr_reply_free(r);
    assert_int_equal(fr_exec_select(srv, 16), FR_ERR_ARG);
    assert_int_equal(fr_exec_select(srv, 0), FR_OK);

    /* CLIENT REPLY OFF does not silence later fr_exec calls */
    r = fr_execf(srv, "CLIENT REPLY OFF");
    fr_reply_free(r);
    r = fr_execf(srv, "PING");
    assert_non_null(r);
    assert_string_equal(r->str, "PONG");
    fr_reply_free(r);

    /* RESET and HELLO 2 answer, but later calls still get RESP3 */
    r = fr_execf(srv, "RESET");
    assert_string_equal(r->str, "RESET");
    fr_reply_free(r);
    r = fr_execf(srv, "HELLO 2");
    assert_int_equal(r->type, FR_REPLY_ARRAY);
    fr_reply_free(r);
    r = fr_execf(srv, "CONFIG GET timeout");
    assert_int_equal(r->type, FR_REPLY_MAP);
    fr_reply_free(r);
    /* QUIT does not end the in-process client */
    r = fr_execf(srv, "QUIT");
    fr_reply_free(r);
    r = fr_execf(srv, "CLIENT INFO");
    assert_non_null(strstr(r->str, " flags=N "));
    fr_reply_free(r);

    /* the in-process client is not a connection */
    assert_int_equal(info_field(srv, "clients", "connected_clients"), 0);
    assert_null(fr_execf(NULL, "PING"));
    assert_null(fr_execf(srv, ""));
}

/* ---- start failures ------------------------------------------------------- */

static void test_start_errors(void **state)
{
    (void)state;
    fr_server *srv = (fr_server *)1;
    static const char *const bad_cfg[] = {"nosuch-param 1", NULL};
    char err[128] = "";
    fr_options o = {.config = bad_cfg, .errbuf = err, .errbuf_len = sizeof err};
    assert_int_equal(fr_server_start(&o, &srv), FR_ERR_PARSE);
    assert_null(srv);
    /* the reason comes back in errbuf, naming the bad directive */
    assert_non_null(strstr(err, "nosuch-param"));
    static const char *const bad_val[] = {"maxclients many", NULL};
    o.config = bad_val;
    assert_int_equal(fr_server_start(&o, &srv), FR_ERR_PARSE);

    fr_options b = {.bind = "not-an-address"};
    assert_int_equal(fr_server_start(&b, &srv), FR_ERR_SOCKET);
    assert_null(srv);

    /* a port that is taken */
    fr_server *first = NULL;
    assert_int_equal(fr_server_start(NULL, &first), FR_OK);
    err[0] = '\0';
    fr_options taken = {.port = fr_server_port(first), .errbuf = err, .errbuf_len = sizeof err};
    assert_int_equal(fr_server_start(&taken, &srv), FR_ERR_SOCKET);
    assert_non_null(strstr(err, "Address already in use"));
    fr_server_stop(first);

    char longpath[200];
    memset(longpath, 'x', sizeof longpath - 1);
    longpath[0] = '/';
    longpath[sizeof longpath - 1] = '\0';
    fr_options u = {.unixsocket = longpath, .port = -1};
    assert_int_equal(fr_server_start(&u, &srv), FR_ERR_SOCKET);

    assert_int_equal(fr_server_start(NULL, NULL), FR_ERR_ARG);
    assert_int_equal(fr_server_attach(NULL, NULL, &srv), FR_ERR_ARG);
    fr_server_stop(NULL);
    assert_string_equal(fr_strerror(FR_ERR_SOCKET), "socket error");
}

/* ---- the unix socket ------------------------------------------------------ */

static void test_unixsocket(void **state)
{
    (void)state;
    char path[108];
    snprintf(path, sizeof path, "/tmp/fr-test-core-%ld.sock", (long)getpid());
    fr_options o = {.unixsocket = path, .port = -1};
    fr_server *srv = NULL;
    assert_int_equal(fr_server_start(&o, &srv), FR_OK);
    assert_int_equal(fr_server_port(srv), -1);
    assert_string_equal(fr_server_unixsocket(srv), path);
    struct timeval tv = {10, 0};
    redisContext *c = redisConnectUnixWithTimeout(path, tv);
    assert_non_null(c);
    assert_int_equal(c->err, 0);
    tu_cmd_str(c, REDIS_REPLY_STATUS, "PONG", "PING");
    redisReply *r = tu_cmd(c, "CLIENT INFO");
    char want[160];
    /* Redis shows unix clients by the socket path, port 0 */
    snprintf(want, sizeof want, " addr=%s:0 ", path);
    assert_non_null(strstr(r->str, want));
    freeReplyObject(r);
    redisFree(c);
    fr_server_stop(srv);
    struct stat st;
    assert_int_equal(stat(path, &st), -1); /* removed on stop */

    /* both listeners at once */
    fr_options both = {.unixsocket = path};
    assert_int_equal(fr_server_start(&both, &srv), FR_OK);
    int fd = rs_connect_unix(path), fd2 = rs_connect(fr_server_port(srv));
    assert_true(rs_roundtrip(fd, "PING\r\n", "+PONG\r\n"));
    assert_true(rs_roundtrip(fd2, "PING\r\n", "+PONG\r\n"));
    close(fd);
    close(fd2);
    fr_server_stop(srv);
}

/* ---- hiredis async on libevent ------------------------------------------- */

typedef struct async_state {
    int connected, disconnected, replies;
    int order_ok;
    long long next_expected;
    int done;
    char name[32];
} async_state;

static void on_connect(const redisAsyncContext *ac, int status)
{
    async_state *st = ac->data;
    st->connected = status == REDIS_OK ? 1 : -1;
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    async_state *st = ac->data;
    (void)status;
    st->disconnected = 1;
}

static void on_echo(redisAsyncContext *ac, void *reply, void *priv)
{
    async_state *st = ac->data;
    redisReply *r = reply;
    long long want = (long long)(intptr_t)priv;
    /* replies come back in request order */
    if (!r || r->type != REDIS_REPLY_STRING || atoll(r->str) != want || want != st->next_expected)
        st->order_ok = 0;
    st->next_expected++;
    st->replies++;
}

static void on_getname(redisAsyncContext *ac, void *reply, void *priv)
{
    async_state *st = ac->data;
    redisReply *r = reply;
    if (r && r->type == REDIS_REPLY_STRING)
        snprintf(st->name, sizeof st->name, "%s", r->str);
    st->replies++;
    st->done = 1;
}

/* Drive a hiredis async client on base until it disconnected: 200 ECHOs,
 * SETNAME, GETNAME, then a clean disconnect. */
static void run_async_client(struct event_base *base, int port, fr_server *srv)
{
    async_state st = {0};
    st.order_ok = 1;
    redisAsyncContext *ac = redisAsyncConnect("127.0.0.1", port);
    assert_non_null(ac);
    assert_int_equal(ac->err, 0);
    ac->data = &st;
    assert_int_equal(redisLibeventAttach(ac, base), REDIS_OK);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    enum { N = 200 };
    for (long long i = 0; i < N; i++)
        redisAsyncCommand(ac, on_echo, (void *)(intptr_t)i, "ECHO %lld", i);
    redisAsyncCommand(ac, NULL, NULL, "CLIENT SETNAME async");
    redisAsyncCommand(ac, on_getname, NULL, "CLIENT GETNAME");

    int64_t deadline = tu_mono_ms() + 10000;
    int seen_in_list = 0;
    while (!st.done && tu_mono_ms() < deadline)
        event_base_loop(base, EVLOOP_ONCE);
    assert_true(st.done);
    /* the server lists the async client, by its new name */
    fr_reply *r = fr_execf(srv, "CLIENT LIST");
    seen_in_list = r && r->str && strstr(r->str, " name=async ") != NULL;
    fr_reply_free(r);
    redisAsyncDisconnect(ac);
    while (!st.disconnected && tu_mono_ms() < deadline)
        event_base_loop(base, EVLOOP_ONCE);
    assert_true(st.disconnected);
    assert_int_equal(st.connected, 1);
    assert_int_equal(st.replies, N + 1);
    assert_true(st.order_ok);
    assert_string_equal(st.name, "async");
    assert_true(seen_in_list);
}

/* Attached: server and client on the test's own base, one thread. */
static void test_async_attached(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    assert_non_null(base);
    fr_server *srv = NULL;
    assert_int_equal(fr_server_attach(base, NULL, &srv), FR_OK);
    assert_true(fr_server_port(srv) > 0);
    run_async_client(base, fr_server_port(srv), srv);
    /* a sync client would deadlock here (nobody runs the base while it
     * waits), so the rest is raw and non-blocking: run the base until the
     * reply is there */
    int fd = rs_connect(fr_server_port(srv));
    assert_int_equal(rs_write_str(fd, "ECHO attached\r\n"), 0);
    int64_t deadline = tu_mono_ms() + 5000;
    while (!rs_wait_readable(fd, 0) && tu_mono_ms() < deadline)
        event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    char buf[32];
    assert_int_equal(rs_read_n(fd, buf, 14, 1000, NULL), 14);
    assert_memory_equal(buf, "$8\r\nattached\r\n", 14);
    close(fd);

    /* stopping the server drops a connected async client: hiredis sees
     * the disconnect on the same base */
    async_state st = {0};
    redisAsyncContext *ac = redisAsyncConnect("127.0.0.1", fr_server_port(srv));
    assert_non_null(ac);
    ac->data = &st;
    redisLibeventAttach(ac, base);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    redisAsyncCommand(ac, on_getname, NULL, "CLIENT GETNAME");
    deadline = tu_mono_ms() + 5000;
    while (!st.done && tu_mono_ms() < deadline)
        event_base_loop(base, EVLOOP_ONCE);
    assert_true(st.done);
    fr_server_stop(srv);
    while (!st.disconnected && tu_mono_ms() < deadline)
        event_base_loop(base, EVLOOP_ONCE);
    assert_true(st.disconnected);
    event_base_free(base);
}

/* Async client on the test's base, server on its own thread. */
static void test_async_threaded(void **state)
{
    fr_server *srv = *state;
    struct event_base *base = event_base_new();
    assert_non_null(base);
    run_async_client(base, fr_server_port(srv), srv);
    event_base_free(base);
}

/* An attached server is driven by SHUTDOWN like the program is: the
 * on_shutdown callback runs on the loop thread. */
static void on_shutdown_cb(void *ctx)
{
    event_base_loopbreak(ctx);
}

static void test_attached_shutdown(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    fr_options o = {.on_shutdown = on_shutdown_cb};
    o.on_shutdown_ctx = base;
    fr_server *srv = NULL;
    assert_int_equal(fr_server_attach(base, &o, &srv), FR_OK);
    int fd = rs_connect(fr_server_port(srv));
    assert_int_equal(rs_write_str(fd, "SHUTDOWN\r\n"), 0);
    /* the loop breaks when SHUTDOWN ran; the deadline guards a hang */
    int64_t deadline = tu_mono_ms() + 5000;
    while (!fr_server_is_shut_down(srv) && tu_mono_ms() < deadline)
        event_base_loop(base, EVLOOP_ONCE);
    assert_true(fr_server_is_shut_down(srv));
    event_base_loop(base, EVLOOP_NONBLOCK); /* let the reaper close fd's peer */
    char buf[8];
    int eof = 0;
    assert_int_equal(rs_read_to_eof(fd, buf, sizeof buf, 1000, &eof), 0);
    assert_true(eof);
    close(fd);
    fr_server_stop(srv);
    event_base_free(base);
}

/* ---- many servers ---------------------------------------------------------- */

/* 200 servers alive at once, each answering and each with its own state;
 * stopping them all gives back every descriptor. A threaded server holds
 * 6: its listener, epoll, libevent's signal pipe and its wake-up pipe. */
static void test_200_servers(void **state)
{
    (void)state;
    enum { N = 200 };
    if (raise_nofile(4096) < 6 * N + 64) {
        print_message("skipped: RLIMIT_NOFILE too low for %d servers\n", N);
        skip();
    }
    int fds_before = count_fds();
    fr_server *srv[N];
    for (int i = 0; i < N; i++) {
        assert_int_equal(fr_server_start(NULL, &srv[i]), FR_OK);
        fr_reply *r = fr_execf(srv[i], "CONFIG SET maxclients %d", 100 + i);
        assert_int_equal(r->type, FR_REPLY_STATUS);
        fr_reply_free(r);
    }
    for (int i = 0; i < N; i++) {
        redisContext *c = tu_connect(srv[i]);
        tu_cmd_str(c, REDIS_REPLY_STATUS, "PONG", "PING");
        /* isolated: each keeps its own config */
        redisReply *r = tu_cmd(c, "CONFIG GET maxclients");
        assert_int_equal(r->elements, 2);
        assert_int_equal(atoi(r->element[1]->str), 100 + i);
        freeReplyObject(r);
        redisFree(c);
    }
    for (int i = 0; i < N; i++)
        fr_server_stop(srv[i]);
    assert_int_equal(count_fds(), fds_before);
}

static void test_start_stop_cycles(void **state)
{
    (void)state;
    int fds_before = count_fds();
    for (int i = 0; i < 1000; i++) {
        fr_server *srv = NULL;
        assert_int_equal(fr_server_start(NULL, &srv), FR_OK);
        int fd = rs_connect_srv(srv);
        if (!rs_roundtrip(fd, "PING\r\n", "+PONG\r\n"))
            fail_msg("cycle %d: no PONG", i);
        if (i % 50 == 0) {
            /* stop with a client mid-command: it is closed, not hung */
            assert_int_equal(rs_write_str(fd, "*2\r\n$4\r\nECHO\r\n$10\r\nab"), 0);
            fr_server_stop(srv);
            char buf[8];
            int eof = 0;
            assert_int_equal(rs_read_to_eof(fd, buf, sizeof buf, 5000, &eof), 0);
            assert_true(eof);
        } else {
            fr_server_stop(srv);
        }
        close(fd);
    }
    assert_int_equal(count_fds(), fds_before);
}

/* Two servers share nothing: config, client ids. */
static void test_servers_isolated(void **state)
{
    (void)state;
    fr_server *a = NULL, *b = NULL;
    assert_int_equal(fr_server_start(NULL, &a), FR_OK);
    assert_int_equal(fr_server_start(NULL, &b), FR_OK);
    assert_int_not_equal(fr_server_port(a), fr_server_port(b));
    fr_reply *r = fr_execf(a, "CONFIG SET maxclients 7");
    fr_reply_free(r);
    r = fr_execf(b, "CONFIG GET maxclients");
    assert_string_equal(map_get(r, "maxclients")->str, "10000");
    fr_reply_free(r);
    redisContext *ca = tu_connect(a), *cb = tu_connect(b);
    assert_int_equal(tu_cmd_int(ca, "CLIENT ID"), tu_cmd_int(cb, "CLIENT ID"));
    redisFree(ca);
    redisFree(cb);
    fr_server_stop(a);
    fr_server_stop(b);
}

/* ---- 10,000 idle connections ------------------------------------------------ */

enum { IDLE_CONNS = 10000 };

/* In the child: open n connections to port, pacing so the listen backlog
 * never overflows (a PING on the last of each batch proves the server has
 * accepted all before it), then report and wait to be told to close. */
static void idle_child(int port, int *fds, int n, int ready_fd, int done_fd)
{
    for (int i = 0; i < n; i++) {
        fds[i] = rs_connect(port);
        if (fds[i] < 0)
            _exit(2);
        if (i % 200 == 199 || i == n - 1) {
            if (!rs_roundtrip(fds[i], "PING\r\n", "+PONG\r\n"))
                _exit(3);
        }
    }
    char b = 'r';
    if (write(ready_fd, &b, 1) != 1)
        _exit(4);
    /* EOF on done_fd: the parent is done looking */
    while (read(done_fd, &b, 1) > 0)
        ;
    _exit(0);
}

static void test_10k_idle_connections(void **state)
{
    (void)state;
    /* The server's side of each connection is in this process, the client
     * side in a child, so each needs a bit over 10,000 descriptors. */
    long long need = IDLE_CONNS + 200;
    long long got = raise_nofile(need);
    if (got < need) {
        print_message("skipped: RLIMIT_NOFILE hard limit too low (%lld < %lld); raise it "
                      "with ulimit -Hn\n",
                      got, need);
        skip();
    }
    static const char *const cfg[] = {"maxclients 20000", NULL};
    fr_options o = {.config = cfg};
    fr_server *srv = NULL;
    assert_int_equal(fr_server_start(&o, &srv), FR_OK);
    int *fds = malloc(IDLE_CONNS * sizeof *fds);
    assert_non_null(fds);
    int ready[2], done[2];
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(done), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(ready[0]);
        close(done[1]);
        idle_child(fr_server_port(srv), fds, IDLE_CONNS, ready[1], done[0]);
    }
    close(ready[1]);
    close(done[0]);
    char b;
    int ok = rs_wait_readable(ready[0], 120000) && read(ready[0], &b, 1) == 1;
    if (!ok) {
        int status = 0;
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        fail_msg("the child could not open %d connections (status %d)", IDLE_CONNS, status);
    }
    /* the server still answers, and counts them all */
    redisContext *c = tu_connect(srv);
    tu_cmd_str(c, REDIS_REPLY_STATUS, "PONG", "PING");
    long long n = info_field(srv, "clients", "connected_clients");
    if (n < IDLE_CONNS + 1)
        fail_msg("connected_clients:%lld, want %d", n, IDLE_CONNS + 1);
    redisReply *r = tu_cmd(c, "INFO clients");
    assert_non_null(strstr(r->str, "connected_clients:10001\r\n"));
    freeReplyObject(r);
    close(done[1]); /* the child closes its connections and exits */
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(ready[0]);
    int64_t deadline = tu_mono_ms() + 30000;
    while (info_field(srv, "clients", "connected_clients") != 1 && tu_mono_ms() < deadline)
        usleep(10000);
    assert_int_equal(info_field(srv, "clients", "connected_clients"), 1);
    tu_cmd_str(c, REDIS_REPLY_STATUS, "PONG", "PING");
    redisFree(c);
    free(fds);
    fr_server_stop(srv);
}

/* ---- the program, with redis-cli ---------------------------------------- */

#ifndef FR_SERVER_BIN
#define FR_SERVER_BIN "fakeredis-server"
#endif

static void test_redis_cli(void **state)
{
    (void)state;
    if (system("command -v redis-cli >/dev/null 2>&1") != 0) {
        print_message("skipped: redis-cli is not installed\n");
        skip();
    }
    int port;
    pid_t pid = tu_fakeredis_start(FR_SERVER_BIN, NULL, &port);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "redis-cli -p %d ping", port);
    char *out = tu_run(cmd, NULL);
    assert_string_equal(out, "PONG\n");
    free(out);

    /* redis-cli -3 prints the HELLO map like this for redis-server 7.0.15,
     * apart from the client id */
    snprintf(cmd, sizeof cmd, "redis-cli -3 -p %d hello 3", port);
    out = tu_run(cmd, NULL);
    char want[256];
    snprintf(want, sizeof want, "server redis\nversion %s\nproto 3\nid ", FR_REDIS_VERSION);
    assert_memory_equal(out, want, strlen(want));
    const char *rest = out + strlen(want);
    rest += strspn(rest, "0123456789");
    assert_string_equal(rest, "\nmode standalone\nrole master\nmodules \n");
    free(out);

    snprintf(cmd, sizeof cmd, "redis-cli -3 -p %d echo 'a b'", port);
    out = tu_run(cmd, NULL);
    assert_string_equal(out, "a b\n");
    free(out);

    /* SIGTERM: a clean exit */
    assert_int_equal(tu_child_stop(pid, SIGTERM), 0);

    /* SHUTDOWN: the program exits too */
    pid = tu_fakeredis_start(FR_SERVER_BIN, NULL, &port);
    snprintf(cmd, sizeof cmd, "redis-cli -p %d shutdown 2>&1", port);
    out = tu_run(cmd, NULL);
    free(out);
    assert_int_equal(tu_child_stop(pid, 0), 0);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ping_echo_select, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_client_commands, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_config_and_info, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_config_empty_words, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_config_protected, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test(test_requirepass),
        cmocka_unit_test_setup_teardown(test_quit, fr_fixture_setup, fr_fixture_teardown),
        cmocka_unit_test(test_shutdown),
        cmocka_unit_test(test_stop_mid_command),
        cmocka_unit_test_setup_teardown(test_maxclients, fr_fixture_setup, fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_idle_timeout, fr_fixture_setup, fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_client_pause, fr_fixture_setup, fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_client_reply, fr_fixture_setup, fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_debug_sleep, fr_fixture_setup, fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_exec, fr_fixture_setup, fr_fixture_teardown),
        cmocka_unit_test(test_start_errors),
        cmocka_unit_test(test_unixsocket),
        cmocka_unit_test(test_async_attached),
        cmocka_unit_test_setup_teardown(test_async_threaded, fr_fixture_setup, fr_fixture_teardown),
        cmocka_unit_test(test_attached_shutdown),
        cmocka_unit_test(test_200_servers),
        cmocka_unit_test(test_start_stop_cycles),
        cmocka_unit_test(test_servers_isolated),
        cmocka_unit_test(test_10k_idle_connections),
        cmocka_unit_test_teardown(test_redis_cli, tu_children_teardown),
    };
    /* FR_TEST_FILTER=test_name (a glob) runs only the matching tests */
    if (getenv("FR_TEST_FILTER"))
        cmocka_set_test_filter(getenv("FR_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
