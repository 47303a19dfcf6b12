/* What a network client can make the fake do: FAKE.RECORD START confined
 * to the record directory chosen at start, FAKE.* invisible with control
 * off, and protected mode refusing a start on a non-loopback address
 * without a password (decided before any socket exists: nothing here
 * binds to or dials anything but loopback). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fakeredis/fakeredis.h"
#include "fakeredis/record.h"
#include "fakeredis/recording.h"
#include "support/child.h"
#include "support/testutil.h"

#ifndef FR_SERVER_BIN
#define FR_SERVER_BIN "fakeredis-server"
#endif

#define E_NAME                                                                                     \
    "ERR recording: expected a file name inside the record directory (no '/', not '.' or '..')"
#define E_NOT_REG "ERR recording: the name exists and is not a regular file"

/* A fresh directory per test, and the file names in it. */
typedef struct scratch {
    char dir[64];
    char outside[64]; /* another directory: where nothing may be written */
} scratch;

static void scratch_init(scratch *s)
{
    snprintf(s->dir, sizeof s->dir, "/tmp/fr-it-ctl-XXXXXX");
    assert_non_null(mkdtemp(s->dir));
    snprintf(s->outside, sizeof s->outside, "/tmp/fr-it-ctl-out-XXXXXX");
    assert_non_null(mkdtemp(s->outside));
}

static char *in(const char *dir, const char *name)
{
    char *p = malloc(256);
    snprintf(p, 256, "%s/%s", dir, name);
    return p;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* The whole content of a small file, or NULL when it does not exist. */
static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    static char buf[256];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Remove a scratch directory and what the test put in it (one level). */
static void remove_dir(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* ---- FAKE.RECORD START ---------------------------------------------------- */

static void test_record_needs_a_directory(void **state)
{
    (void)state;
    scratch s;
    scratch_init(&s);
    char *target = in(s.outside, "victim");
    fr_server *srv = tu_start(); /* control on, no password: the default */
    redisContext *c = tu_connect(srv);
    /* it once created or truncated any file the server's user could write */
    tu_cmd_str(c, REDIS_REPLY_ERROR,
               "ERR recording: no record directory: start the server with --record-dir "
               "(fr_options.record_dir) to record over the wire",
               "FAKE.RECORD START %s", target);
    assert_null(read_file(target));
    /* the C API stays the test author's to aim */
    assert_int_equal(fr_record_start(srv, target), FR_OK);
    assert_int_equal(fr_record_stop(srv), FR_OK);
    assert_non_null(read_file(target));
    redisFree(c);
    fr_server_stop(srv);
    free(target);
    remove_dir(s.dir);
    remove_dir(s.outside);
}

static void test_record_names(void **state)
{
    (void)state;
    scratch s;
    scratch_init(&s);
    fr_options o = {.record_dir = s.dir};
    fr_server *srv = NULL;
    assert_int_equal(fr_server_start(&o, &srv), FR_OK);
    redisContext *c = tu_connect(srv);
    char *target = in(s.outside, "victim");
    write_file(target, "precious");

    /* anything but one plain path component */
    char up[128];
    snprintf(up, sizeof up, "../%s/victim", strrchr(s.outside, '/') + 1);
    const char *bad[] = {target, up, "..", ".", "", "a/b", "sub/", "x\ny"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        tu_cmd_str(c, REDIS_REPLY_ERROR, E_NAME, "FAKE.RECORD START %s", bad[i]);
    tu_cmd_str(c, REDIS_REPLY_ERROR, E_NAME, "FAKE.RECORD START %b", "x\0y", (size_t)3);
    assert_string_equal(read_file(target), "precious");

    /* a symlink to a file outside: not followed, the target untouched */
    char *sym = in(s.dir, "link.rec");
    assert_int_equal(symlink(target, sym), 0);
    tu_cmd_str(c, REDIS_REPLY_ERROR, E_NOT_REG, "FAKE.RECORD START link.rec");
    /* a dangling one would be created through: refused too */
    char *dangling = in(s.dir, "dangling.rec");
    char *nowhere = in(s.outside, "created");
    assert_int_equal(symlink(nowhere, dangling), 0);
    tu_cmd_str(c, REDIS_REPLY_ERROR, E_NOT_REG, "FAKE.RECORD START dangling.rec");
    assert_null(read_file(nowhere));
    /* a hard link to a file outside: refused before anything is truncated */
    char *hard = in(s.dir, "hard.rec");
    assert_int_equal(link(target, hard), 0);
    tu_cmd_str(c, REDIS_REPLY_ERROR, E_NOT_REG, "FAKE.RECORD START hard.rec");
    assert_string_equal(read_file(target), "precious");
    /* a directory */
    char *sub = in(s.dir, "sub");
    assert_int_equal(mkdir(sub, 0700), 0);
    tu_cmd_str(c, REDIS_REPLY_ERROR, E_NOT_REG, "FAKE.RECORD START sub");

    /* a plain name works, and an existing regular file is overwritten */
    char *ok = in(s.dir, "ok.rec");
    write_file(ok, "old content");
    tu_cmd_ok(c, "FAKE.RECORD START ok.rec");
    tu_cmd_ok(c, "SET k v");
    tu_cmd_ok(c, "FAKE.RECORD STOP");
    fr_recording *r = NULL;
    assert_int_equal(fr_recording_open(ok, &r, NULL, 0), FR_OK);
    fr_recording_close(r);
    redisFree(c);
    fr_server_stop(srv);
    free(ok);
    free(sub);
    free(hard);
    free(nowhere);
    free(dangling);
    free(sym);
    free(target);
    remove_dir(s.dir);
    remove_dir(s.outside);
}

/* A FIFO once hung the whole server in open(); now it is refused at once,
 * with or without a reader, and the server goes on serving. */
static void test_record_fifo(void **state)
{
    (void)state;
    scratch s;
    scratch_init(&s);
    fr_options o = {.record_dir = s.dir};
    fr_server *srv = NULL;
    assert_int_equal(fr_server_start(&o, &srv), FR_OK);
    redisContext *c = tu_connect(srv);
    char *fifo = in(s.dir, "fifo.rec");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    long long t0 = tu_mono_ms();
    tu_cmd_str(c, REDIS_REPLY_ERROR, E_NOT_REG, "FAKE.RECORD START fifo.rec");
    int rd = open(fifo, O_RDONLY | O_NONBLOCK);
    assert_true(rd >= 0);
    tu_cmd_str(c, REDIS_REPLY_ERROR, E_NOT_REG, "FAKE.RECORD START fifo.rec");
    tu_cmd_str(c, REDIS_REPLY_STATUS, "PONG", "PING");
    assert_true(tu_mono_ms() - t0 < 5000);
    char junk[16];
    assert_true(read(rd, junk, sizeof junk) <= 0); /* nothing was written */
    close(rd);
    redisFree(c);
    fr_server_stop(srv);
    free(fifo);
    remove_dir(s.dir);
    remove_dir(s.outside);
}

static void test_record_dir_option(void **state)
{
    (void)state;
    char err[256] = "";
    fr_server *srv = (fr_server *)1;
    fr_options o = {.record_dir = "/nonexistent/recs", .errbuf = err, .errbuf_len = sizeof err};
    assert_int_equal(fr_server_start(&o, &srv), FR_ERR_ARG);
    assert_null(srv);
    assert_string_equal(err, "record directory '/nonexistent/recs': No such file or directory");
    o.record_dir = "/etc/hostname";
    assert_int_equal(fr_server_start(&o, &srv), FR_ERR_ARG);
    assert_string_equal(err, "record directory '/etc/hostname': Not a directory");

    /* the program: --record-dir, and the file lands there */
    scratch s;
    scratch_init(&s);
    const char *extra[] = {"--record-dir", s.dir, NULL};
    int port;
    pid_t pid = tu_fakeredis_start(FR_SERVER_BIN, extra, &port);
    redisContext *c = tu_connect_port(port);
    tu_cmd_ok(c, "FAKE.RECORD START cli.rec");
    tu_cmd_ok(c, "FAKE.RECORD STOP");
    redisFree(c);
    assert_int_equal(tu_child_stop(pid, SIGTERM), 0);
    char *rec = in(s.dir, "cli.rec");
    assert_non_null(read_file(rec));
    free(rec);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "%s --port 0 --record-dir /nonexistent/recs 2>&1", FR_SERVER_BIN);
    int status;
    char *out = tu_run(cmd, &status);
    assert_int_equal(status, 1);
    assert_string_equal(out, "fakeredis-server: record directory '/nonexistent/recs': No such "
                             "file or directory\n");
    free(out);
    remove_dir(s.dir);
    remove_dir(s.outside);
}

/* ---- --no-control ---------------------------------------------------------- */

/* FAKE.* names in a COMMAND LIST reply: all, or only top-level ones. */
static long long count_fake(const redisReply *list, int top_only)
{
    long long n = 0;
    for (size_t i = 0; i < list->elements; i++)
        if (!strncasecmp(list->element[i]->str, "fake.", 5) &&
            (!top_only || !strchr(list->element[i]->str, '|')))
            n++;
    return n;
}

/* With control off, FAKE.* do not exist for clients: not listed, counted,
 * described, and unknown to the dispatcher (no arity error, no "unknown
 * subcommand" that would tell them apart from a command never heard of). */
static void test_no_control_hides_fake(void **state)
{
    (void)state;
    fr_server *on = tu_start();
    redisContext *c = tu_connect(on);
    long long count_on = tu_cmd_int(c, "COMMAND COUNT");
    redisReply *r = tu_cmd(c, "COMMAND LIST"); /* subcommands included, as Redis */
    long long listed_on = (long long)r->elements;
    long long fakes = count_fake(r, 1), fake_names = count_fake(r, 0);
    assert_int_equal(fakes, 11); /* FAKE.REPLICATION and FAKE.SCRIPTBUSY: 11 */
    assert_true(fake_names > fakes);
    freeReplyObject(r);
    r = tu_cmd(c, "COMMAND INFO fake.fault");
    assert_int_equal(r->element[0]->type, REDIS_REPLY_ARRAY);
    freeReplyObject(r);
    redisFree(c);
    fr_server_stop(on);

    fr_options o = {.no_control = 1};
    fr_server *off = NULL;
    assert_int_equal(fr_server_start(&o, &off), FR_OK);
    c = tu_connect(off);
    assert_int_equal(tu_cmd_int(c, "COMMAND COUNT"), count_on - fakes);
    r = tu_cmd(c, "COMMAND LIST");
    assert_int_equal(r->elements, listed_on - fake_names);
    assert_int_equal(count_fake(r, 0), 0);
    freeReplyObject(r);
    r = tu_cmd(c, "COMMAND LIST FILTERBY PATTERN fake*");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 0);
    freeReplyObject(r);
    r = tu_cmd(c, "COMMAND LIST FILTERBY ACLCAT dangerous");
    assert_int_equal(count_fake(r, 0), 0);
    freeReplyObject(r);
    r = tu_cmd(c, "COMMAND");
    assert_int_equal(r->elements, count_on - fakes);
    for (size_t i = 0; i < r->elements; i++)
        assert_int_not_equal(strncasecmp(r->element[i]->element[0]->str, "fake.", 5), 0);
    freeReplyObject(r);
    r = tu_cmd(c, "COMMAND INFO get fake.clock FAKE.RECORD");
    assert_int_equal(r->elements, 3);
    assert_int_equal(r->element[0]->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->element[1]->type, REDIS_REPLY_NIL);
    assert_int_equal(r->element[2]->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
    r = tu_cmd(c, "COMMAND DOCS fake.fault fake.kill");
    assert_int_equal(r->elements, 0);
    freeReplyObject(r);
    /* redis 7.0.15's text for a command it does not have */
    tu_cmd_str(c, REDIS_REPLY_ERROR,
               "ERR unknown command 'FAKE.FAULT', with args beginning with: ", "FAKE.FAULT");
    tu_cmd_str(c, REDIS_REPLY_ERROR,
               "ERR unknown command 'FAKE.FAULT', with args beginning with: 'BOGUS' ",
               "FAKE.FAULT BOGUS");
    tu_cmd_str(c, REDIS_REPLY_ERROR,
               "ERR unknown command 'fake.clock', with args beginning with: 'get' ",
               "fake.clock get");
    tu_cmd_str(c, REDIS_REPLY_ERROR,
               "ERR unknown command 'FAKE.RESUME', with args beginning with: 'x' ",
               "FAKE.RESUME x");
    redisFree(c);
    fr_server_stop(off);
}

/* ---- protected mode ---------------------------------------------------------- */

#define PROTECTED(addr)                                                                            \
    "protected mode: other hosts can reach " addr " and no password is set; set requirepass, "     \
    "bind a loopback address, or turn protected-mode off (--protected-mode no)"

/* Refused before any socket exists. The addresses are documentation ones
 * (TEST-NET-1, 2001:db8::/32) that no host here has: even a regression
 * that reached bind() would fail there, and nothing is ever sent. */
static void test_protected_mode_start(void **state)
{
    (void)state;
    char err[512] = "";
    fr_server *srv = (fr_server *)1;
    fr_options o = {.bind = "192.0.2.1", .errbuf = err, .errbuf_len = sizeof err};
    assert_int_equal(fr_server_start(&o, &srv), FR_ERR_ARG);
    assert_null(srv);
    assert_string_equal(err, PROTECTED("192.0.2.1"));
    o.bind = "2001:db8::1";
    assert_int_equal(fr_server_start(&o, &srv), FR_ERR_ARG);
    assert_string_equal(err, PROTECTED("2001:db8::1"));

    char cmd[256];
    snprintf(cmd, sizeof cmd, "%s --port 0 --bind 192.0.2.1 2>&1", FR_SERVER_BIN);
    int status;
    char *out = tu_run(cmd, &status);
    assert_int_equal(status, 1);
    assert_string_equal(out, "fakeredis-server: " PROTECTED("192.0.2.1") "\n");
    free(out);

    /* loopback needs nothing, and a password cleared at run time still
     * lets loopback clients in (only other hosts are denied, as Redis) */
    fr_options p = {.requirepass = "pw"};
    assert_int_equal(fr_server_start(&p, &srv), FR_OK);
    redisContext *c = tu_connect(srv);
    tu_cmd_ok(c, "AUTH pw");
    tu_cmd_ok(c, "CONFIG SET requirepass %s", "");
    redisContext *c2 = tu_connect(srv);
    tu_cmd_str(c2, REDIS_REPLY_STATUS, "PONG", "PING");
    redisFree(c2);
    redisFree(c);
    fr_server_stop(srv);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_needs_a_directory),
        cmocka_unit_test(test_record_names),
        cmocka_unit_test(test_record_fifo),
        cmocka_unit_test_teardown(test_record_dir_option, tu_children_teardown),
        cmocka_unit_test(test_no_control_hides_fake),
        cmocka_unit_test(test_protected_mode_start),
    };
    if (getenv("FR_TEST_FILTER"))
        cmocka_set_test_filter(getenv("FR_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
