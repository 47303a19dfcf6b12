/* fakeredis-server's command line and config file: every mistake gets a
 * clear message on stderr and exit status 1, never a silent default; and
 * the same limits through fr_options. Where redis-server 7.0.15 has an
 * equivalent it was checked by hand ("redis 7.0.15:" below). */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fakeredis/fakeredis.h"
#include "support/child.h"
#include "support/testutil.h"

#ifndef FR_SERVER_BIN
#define FR_SERVER_BIN "fakeredis-server"
#endif

/* A scratch directory per test process. */
static const char *scratch(void)
{
    static char dir[64];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/fr-it-program-XXXXXX");
        assert_non_null(mkdtemp(dir));
    }
    return dir;
}

static char *scratch_file(const char *name, const void *data, size_t n)
{
    char *path = malloc(256);
    snprintf(path, 256, "%s/%s", scratch(), name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
    return path;
}

/* Run the program with args (already shell-quoted); it must exit with
 * status want_rc and print exactly want on stdout and stderr together. */
static void expect_run(const char *args, int want_rc, const char *want)
{
    char cmd[1024];
    /* the timeout turns "it started anyway" into a failure, not a hang */
    snprintf(cmd, sizeof cmd, "timeout 10 %s %s 2>&1", FR_SERVER_BIN, args);
    int rc = 0;
    char *out = tu_run(cmd, &rc);
    if (rc != want_rc || strcmp(out, want) != 0)
        fail_msg("%s: exit %d, output '%s'; want exit %d, '%s'", args, rc, out, want_rc, want);
    free(out);
}

static void test_flag_values(void **state)
{
    (void)state;
    /* redis 7.0.15 (--port ""): "argument couldn't be parsed into an
     * integer", exit 1; the fake once took it as port 0 */
    expect_run("--port ''", 1, "fakeredis-server: bad port '' (expected 0 to 65535)\n");
    expect_run("--port ' 1'", 1, "fakeredis-server: bad port ' 1' (expected 0 to 65535)\n");
    expect_run("--port +1", 1, "fakeredis-server: bad port '+1' (expected 0 to 65535)\n");
    expect_run("--port 65536", 1, "fakeredis-server: bad port '65536' (expected 0 to 65535)\n");
    /* a flag is not the value of the one before it (redis 7.0.15 takes it
     * as one and fails on it: 'port "--save"') */
    expect_run("--port --frozen-clock", 1, "fakeredis-server: '--port' needs a value\n");
    expect_run("--port 0 --requirepass --no-control", 1,
               "fakeredis-server: '--requirepass' needs a value\n");
    expect_run("--port 0 --maxclients", 1, "fakeredis-server: '--maxclients' needs a value\n");
    /* an empty file name: said so, not an empty reason */
    expect_run("--port 0 --record ''", 1, "fakeredis-server: --record needs a file name\n");
    /* a limit the fake documents (FR_MAX_DATABASES) instead of seconds of
     * allocation; redis 7.0.15 allows up to INT_MAX */
    expect_run("--port 0 --databases 100000000", 1,
               "fakeredis-server: config 'databases \"100000000\"': argument must be between 1 "
               "and 4096 inclusive\n");
    expect_run("--port 0 --databases 0", 1,
               "fakeredis-server: config 'databases \"0\"': argument must be between 1 and 4096 "
               "inclusive\n");
}

static void test_config_file_errors(void **state)
{
    (void)state;
    char args[512];
    /* a directory opens, then fails to read: it once started silently
     * with no config (redis 7.0.15 does the same; the fake refuses) */
    snprintf(args, sizeof args, "%s --port 0", scratch());
    char want[512];
    snprintf(want, sizeof want,
             "fakeredis-server: cannot read config file '%s': Is a directory\n", scratch());
    expect_run(args, 1, want);

    snprintf(args, sizeof args, "%s/none.conf --port 0", scratch());
    snprintf(want, sizeof want,
             "fakeredis-server: cannot read config file '%s/none.conf': No such file or "
             "directory\n",
             scratch());
    expect_run(args, 1, want);

    /* a NUL byte once cut the line short without a word */
    static const char nul[] = "maxclients 5\nrequirepass se\0cret\n";
    char *path = scratch_file("nul.conf", nul, sizeof nul - 1);
    snprintf(args, sizeof args, "%s --port 0", path);
    snprintf(want, sizeof want, "fakeredis-server: config file '%s', line 2: a NUL byte\n", path);
    expect_run(args, 1, want);
    unlink(path);
    free(path);

    /* redis 7.0.15: ''' ''' "Bad directive or wrong number of arguments" */
    static const char empty[] = "'' ''\n";
    path = scratch_file("empty.conf", empty, sizeof empty - 1);
    snprintf(args, sizeof args, "%s --port 0", path);
    expect_run(args, 1,
               "fakeredis-server: config ''' ''': Bad directive or wrong number of arguments\n");
    unlink(path);
    free(path);
}

/* A line longer than 4,095 bytes is one directive (it was once cut in
 * two): a 5,000-byte password works as a whole. */
static void test_config_file_long_line(void **state)
{
    (void)state;
    size_t pwlen = 5000;
    char *pw = malloc(pwlen + 1);
    for (size_t i = 0; i < pwlen; i++)
        pw[i] = (char)('a' + i % 26);
    pw[pwlen] = '\0';
    char *text = malloc(pwlen + 64);
    int n = snprintf(text, pwlen + 64, "# a comment\nrequirepass \"%s\"\nmaxclients 7\n", pw);
    char *path = scratch_file("long.conf", text, (size_t)n);
    int port;
    pid_t pid = tu_fakeredis_start_config(FR_SERVER_BIN, path, NULL, &port);
    redisContext *c = tu_connect_port(port);
    tu_cmd_str(c, REDIS_REPLY_ERROR, "NOAUTH Authentication required.", "PING");
    tu_cmd_str(c, REDIS_REPLY_ERROR,
               "WRONGPASS invalid username-password pair or user is disabled.", "AUTH %s",
               "abcdefghijklmnopqrstuvwxyz");
    tu_cmd_ok(c, "AUTH %s", pw);
    redisReply *r = tu_cmd(c, "CONFIG GET maxclients");
    assert_int_equal(r->elements, 2);
    assert_string_equal(r->element[1]->str, "7");
    freeReplyObject(r);
    redisFree(c);
    assert_int_equal(tu_child_stop(pid, SIGTERM), 0);
    unlink(path);
    free(path);
    free(text);
    free(pw);
}

/* Where to listen comes from the config file as from the flags, and a
 * flag wins over the file (as redis-server: the command line is applied
 * after the file). CONFIG GET port answers the port really bound. */
static void test_config_file_listen(void **state)
{
    (void)state;
    char sock[256], text[512];
    snprintf(sock, sizeof sock, "%s/fr.sock", scratch());
    /* the file's port loses to the --port 0 that tu_fakeredis_start adds */
    int n = snprintf(text, sizeof text, "port 1\nunixsocket %s\n", sock);
    char *path = scratch_file("listen.conf", text, (size_t)n);
    int port;
    pid_t pid = tu_fakeredis_start_config(FR_SERVER_BIN, path, NULL, &port);
    assert_true(port > 1);
    redisContext *c = redisConnectUnixWithTimeout(sock, (struct timeval){5, 0});
    assert_non_null(c);
    assert_int_equal(c->err, 0);
    redisReply *r = tu_cmd(c, "CONFIG GET port");
    assert_int_equal(r->elements, 2);
    assert_int_equal(atoi(r->element[1]->str), port);
    freeReplyObject(r);
    redisFree(c);
    assert_int_equal(tu_child_stop(pid, SIGTERM), 0);

    /* without a --port flag, the file's port is the one */
    n = snprintf(text, sizeof text, "port %d\n", port);
    free(path);
    path = scratch_file("port.conf", text, (size_t)n);
    char *const argv[] = {(char *)FR_SERVER_BIN, path, NULL};
    pid = tu_spawn(argv, 1);
    c = NULL;
    for (int i = 0; i < 500; i++) { /* up to 5 s for it to listen */
        c = redisConnectWithTimeout("127.0.0.1", port, (struct timeval){1, 0});
        if (c && !c->err)
            break;
        redisFree(c);
        c = NULL;
        usleep(10000);
    }
    assert_non_null(c);
    tu_cmd_str(c, REDIS_REPLY_STATUS, "PONG", "PING");
    redisFree(c);
    assert_int_equal(tu_child_stop(pid, SIGTERM), 0);
    unlink(path);
    free(path);
}

/* The same limit through the C API. */
static void test_databases_option(void **state)
{
    (void)state;
    char err[128] = "";
    fr_server *srv = (fr_server *)1;
    fr_options o = {.databases = 100000000, .errbuf = err, .errbuf_len = sizeof err};
    assert_int_equal(fr_server_start(&o, &srv), FR_ERR_ARG);
    assert_null(srv);
    assert_string_equal(err, "databases: 100000000 is not between 1 and 4096");
    o.databases = -1;
    assert_int_equal(fr_server_start(&o, &srv), FR_ERR_ARG);
    o.databases = FR_MAX_DATABASES;
    assert_int_equal(fr_server_start(&o, &srv), FR_OK);
    redisContext *c = tu_connect(srv);
    tu_cmd_ok(c, "SELECT 4095");
    tu_cmd_str(c, REDIS_REPLY_ERROR, "ERR DB index is out of range", "SELECT 4096");
    redisFree(c);
    fr_server_stop(srv);
    static const char *const big[] = {"databases 4097", NULL};
    fr_options b = {.config = big, .errbuf = err, .errbuf_len = sizeof err};
    assert_int_equal(fr_server_start(&b, &srv), FR_ERR_PARSE);
    assert_string_equal(err,
                        "config 'databases 4097': argument must be between 1 and 4096 inclusive");
}

/* --daemonize returns once the server listens and prints only the port,
 * so port=$(fakeredis-server --port 0 --daemonize ...) works in a script;
 * --pidfile names the daemon; a daemon that cannot start says why and
 * exits 1; the journal size is a flag. */
static void test_daemonize(void **state)
{
    char cmd[1024], pidfile[256];
    snprintf(pidfile, sizeof pidfile, "%s/fr.pid", scratch());
    snprintf(cmd, sizeof cmd,
             "port=$(timeout 10 %s --port 0 --daemonize --pidfile %s --journal-size 16) || exit 9; "
             "echo \"port=$port\"; redis-cli -p \"$port\" FAKE.JOURNAL COUNT ALL; "
             "kill $(cat %s)",
             FR_SERVER_BIN, pidfile, pidfile);
    int rc = -1;
    char *out = tu_run(cmd, &rc);
    int port = 0, n = -1;
    if (rc != 0 || sscanf(out, "port=%d\n%d", &port, &n) != 2 || port <= 0 || n < 1)
        fail_msg("daemonize: exit %d, output '%s'", rc, out);
    free(out);
    /* gone with its pid file once SIGTERM ends it */
    for (int i = 0; i < 500 && access(pidfile, F_OK) == 0; i++)
        usleep(10000);
    assert_int_not_equal(access(pidfile, F_OK), 0);
    /* a daemon that cannot start: its error, status 1, nothing on stdout */
    expect_run("--port 0 --daemonize --bogus x", 1,
               "fakeredis-server: config 'bogus \"x\"': Bad directive or wrong number of "
               "arguments\n");
    expect_run("--journal-size -1", 1,
               "fakeredis-server: bad --journal-size '-1' (expected 0 to 100000000)\n");
}

static int cleanup(void **state)
{
    (void)state;
    if (scratch()[0])
        rmdir(scratch());
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flag_values),
        cmocka_unit_test(test_config_file_errors),
        cmocka_unit_test_teardown(test_config_file_long_line, tu_children_teardown),
        cmocka_unit_test_teardown(test_config_file_listen, tu_children_teardown),
        cmocka_unit_test(test_databases_option),
        cmocka_unit_test(test_daemonize),
    };
    if (getenv("FR_TEST_FILTER"))
        cmocka_set_test_filter(getenv("FR_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, cleanup);
}
