/* ACL over the wire, as hiredis clients see it: logging in as a user,
 * NOPERM for commands, keys and channels from a restricted connection,
 * the ACL log those refusals leave, CLIENT LIST's user, and the end of a
 * deleted user's connections. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fakeredis/fakeredis.h"
#include "fakeredis/harness.h"
#include "support/rawsock.h"
#include "support/testutil.h"

static const char no_key[] =
    "NOPERM this user has no permissions to access one of the keys used as arguments";
static const char no_chan[] =
    "NOPERM this user has no permissions to access one of the channels used as arguments";
static const char wrongpass[] = "WRONGPASS invalid username-password pair or user is disabled.";

/* The value of field in a flat RESP2 map (array of name, value). */
static const redisReply *field(const redisReply *map, const char *name)
{
    assert_int_equal(map->type, REDIS_REPLY_ARRAY);
    for (size_t i = 0; i + 1 < map->elements; i += 2)
        if (!strcmp(map->element[i]->str, name))
            return map->element[i + 1];
    fail_msg("no field %s", name);
    return NULL;
}

static void test_auth_as_user_and_noperm(void **state)
{
    fr_server *srv = *state;
    redisContext *admin = tu_connect(srv);
    tu_cmd_ok(admin, "ACL SETUSER alice on >s3cret ~app:* +get +set +acl|whoami");
    redisContext *c = tu_connect(srv);
    tu_cmd_str(c, REDIS_REPLY_ERROR, wrongpass, "AUTH alice wrong");
    tu_cmd_str(c, REDIS_REPLY_ERROR, wrongpass, "AUTH nobody s3cret");
    tu_cmd_ok(c, "AUTH alice s3cret");
    tu_cmd_str(c, REDIS_REPLY_STRING, "alice", "ACL WHOAMI");
    tu_cmd_ok(c, "SET app:1 v");
    tu_cmd_str(c, REDIS_REPLY_STRING, "v", "GET app:1");
    tu_cmd_str(c, REDIS_REPLY_ERROR, no_key, "GET other");
    tu_cmd_str(c, REDIS_REPLY_ERROR, no_key, "SET other v");
    tu_cmd_str(c, REDIS_REPLY_ERROR,
               "NOPERM this user has no permissions to run the 'hget' command", "HGET app:1 f");
    tu_cmd_str(c, REDIS_REPLY_ERROR,
               "NOPERM this user has no permissions to run the 'client|list' command",
               "CLIENT LIST");
    /* the refused SET changed nothing */
    assert_int_equal(tu_cmd_int(admin, "EXISTS other"), 0);

    /* CLIENT LIST names the user of each connection */
    redisReply *r = tu_cmd(admin, "CLIENT LIST");
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    assert_non_null(strstr(r->str, " user=alice "));
    assert_non_null(strstr(r->str, " user=default "));
    freeReplyObject(r);
    redisFree(c);
    redisFree(admin);
}

/* Refusals and failed logins in the ACL log, as a user allowed every
 * command but few keys. */
static void test_acl_log_entries(void **state)
{
    fr_server *srv = *state;
    redisContext *admin = tu_connect(srv);
    tu_cmd_ok(admin, "ACL SETUSER bob on nopass +@all ~b*");
    redisContext *c = tu_connect(srv);
    tu_cmd_ok(c, "AUTH bob x");
    tu_cmd_str(c, REDIS_REPLY_ERROR, no_key, "GET zz");
    tu_cmd_str(c, REDIS_REPLY_ERROR, no_key, "GET zz");
    tu_cmd_str(c, REDIS_REPLY_ERROR, wrongpass, "AUTH carol pw");

    redisReply *log = tu_cmd(admin, "ACL LOG");
    assert_int_equal(log->type, REDIS_REPLY_ARRAY);
    assert_int_equal(log->elements, 2);
    /* newest first: the failed login, then the key refused twice */
    const redisReply *auth = log->element[0], *key = log->element[1];
    assert_string_equal(field(auth, "reason")->str, "auth");
    assert_string_equal(field(auth, "object")->str, "AUTH");
    assert_string_equal(field(auth, "username")->str, "carol");
    assert_string_equal(field(auth, "context")->str, "toplevel");
    assert_int_equal(field(key, "count")->integer, 2);
    assert_string_equal(field(key, "reason")->str, "key");
    assert_string_equal(field(key, "object")->str, "zz");
    assert_string_equal(field(key, "username")->str, "bob");
    assert_non_null(strstr(field(key, "client-info")->str, "user=bob"));
    assert_true(atof(field(key, "age-seconds")->str) < 60.0);
    freeReplyObject(log);

    /* inside MULTI the context says so */
    tu_cmd_ok(c, "MULTI");
    tu_cmd_str(c, REDIS_REPLY_ERROR, no_key, "GET zz");
    tu_cmd_str(c, REDIS_REPLY_ERROR, "EXECABORT Transaction discarded because of previous errors.",
               "EXEC");
    log = tu_cmd(admin, "ACL LOG 1");
    assert_int_equal(log->elements, 1);
    assert_string_equal(field(log->element[0], "context")->str, "multi");
    freeReplyObject(log);
    tu_cmd_ok(admin, "ACL LOG RESET");
    log = tu_cmd(admin, "ACL LOG");
    assert_int_equal(log->elements, 0);
    freeReplyObject(log);
    redisFree(c);
    redisFree(admin);
}

/* A command a script calls is checked against the caller's user: the
 * script fails, the command did nothing, and the ACL log says "lua" with
 * the caller's connection (cmd=eval). */
static void test_script_calls_checked(void **state)
{
    fr_server *srv = *state;
    redisContext *admin = tu_connect(srv);
    tu_cmd_ok(admin, "ACL SETUSER sc on nopass +eval +get ~s*");
    redisContext *c = tu_connect(srv);
    tu_cmd_ok(c, "AUTH sc x");
    redisReply *r = tu_cmd(c, "EVAL %s 0", "return redis.call('set','s1','v')");
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_non_null(
        strstr(r->str, "ERR The user executing the script can't run this command or subcommand"));
    freeReplyObject(r);
    assert_int_equal(tu_cmd_int(admin, "EXISTS s1"), 0);
    r = tu_cmd(c, "EVAL %s 0", "return redis.pcall('get','zz')['err']");
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    assert_string_equal(r->str, "ERR The user executing the script can't access at least one of "
                                "the keys mentioned in the command arguments");
    freeReplyObject(r);

    redisReply *log = tu_cmd(admin, "ACL LOG");
    assert_int_equal(log->elements, 2);
    const redisReply *key = log->element[0], *cmd = log->element[1];
    assert_string_equal(field(key, "reason")->str, "key");
    assert_string_equal(field(key, "object")->str, "zz");
    assert_string_equal(field(key, "context")->str, "lua");
    assert_string_equal(field(cmd, "reason")->str, "command");
    assert_string_equal(field(cmd, "object")->str, "set");
    assert_string_equal(field(cmd, "context")->str, "lua");
    assert_string_equal(field(cmd, "username")->str, "sc");
    assert_non_null(strstr(field(cmd, "client-info")->str, " cmd=eval "));
    freeReplyObject(log);
    redisFree(c);
    redisFree(admin);
}

static void test_channels(void **state)
{
    fr_server *srv = *state;
    redisContext *admin = tu_connect(srv);
    tu_cmd_ok(admin, "ACL SETUSER pub on nopass &news.* +publish +subscribe +psubscribe");
    redisContext *c = tu_connect(srv);
    tu_cmd_ok(c, "AUTH pub x");
    tu_cmd_str(c, REDIS_REPLY_ERROR, no_chan, "PUBLISH sport.1 hi");
    assert_int_equal(tu_cmd_int(c, "PUBLISH news.1 hi"), 0);
    tu_cmd_str(c, REDIS_REPLY_ERROR, no_chan, "SUBSCRIBE news.1 sport.1");
    /* a pattern must be one the user was given, exactly */
    tu_cmd_str(c, REDIS_REPLY_ERROR, no_chan, "PSUBSCRIBE news.1*");
    redisReply *r = tu_cmd(c, "PSUBSCRIBE news.*");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_string_equal(r->element[0]->str, "psubscribe");
    freeReplyObject(r);
    /* the refused SUBSCRIBE subscribed to nothing */
    assert_int_equal(tu_cmd_int(admin, "PUBLISH news.1 m"), 1);
    redisFree(c);
    redisFree(admin);
}

/* Redis closes every connection of a deleted user; the one that deleted
 * itself gets its reply first. CLIENT KILL USER closes them too. */
static void test_deleted_user_disconnected(void **state)
{
    fr_server *srv = *state;
    redisContext *admin = tu_connect(srv);
    tu_cmd_ok(admin, "ACL SETUSER dave on >pw +@all ~*");
    int a = rs_connect_srv(srv), b = rs_connect_srv(srv), other = rs_connect_srv(srv);
    assert_true(rs_roundtrip(a, "AUTH dave pw\r\n", "+OK\r\n"));
    assert_true(rs_roundtrip(b, "AUTH dave pw\r\n", "+OK\r\n"));
    assert_true(rs_roundtrip(other, "PING\r\n", "+PONG\r\n"));
    /* a pipelined command behind DELUSER never runs */
    assert_true(rs_roundtrip(a, "ACL DELUSER dave\r\nPING\r\n", ":1\r\n"));
    char buf[64];
    int eof = 0;
    assert_int_equal(rs_read_to_eof(a, buf, sizeof buf, TU_WAIT_MS, &eof), 0);
    assert_true(eof);
    eof = 0;
    assert_int_equal(rs_read_to_eof(b, buf, sizeof buf, TU_WAIT_MS, &eof), 0);
    assert_true(eof);
    assert_true(rs_roundtrip(other, "PING\r\n", "+PONG\r\n"));
    tu_cmd_str(admin, REDIS_REPLY_ERROR, wrongpass, "AUTH dave pw");

    tu_cmd_ok(admin, "ACL SETUSER erin on nopass +@all ~*");
    int e = rs_connect_srv(srv);
    assert_true(rs_roundtrip(e, "AUTH erin x\r\n", "+OK\r\n"));
    tu_cmd_str(admin, REDIS_REPLY_ERROR, "ERR No such user 'nobody'", "CLIENT KILL USER nobody");
    assert_int_equal(tu_cmd_int(admin, "CLIENT KILL USER erin"), 1);
    eof = 0;
    rs_read_to_eof(e, buf, sizeof buf, TU_WAIT_MS, &eof);
    assert_true(eof);
    close(a);
    close(b);
    close(e);
    close(other);
    redisFree(admin);
}

/* requirepass is the default user's password; ACL can change it too. */
static void test_requirepass_is_default_user(void **state)
{
    (void)state;
    fr_server *srv = NULL;
    fr_options o = {.requirepass = "pw"};
    assert_int_equal(fr_server_start(&o, &srv), FR_OK);
    redisContext *c = tu_connect(srv);
    tu_cmd_str(c, REDIS_REPLY_ERROR, "NOAUTH Authentication required.", "GET k");
    tu_cmd_ok(c, "AUTH pw");
    redisReply *u = tu_cmd(c, "ACL GETUSER default");
    const redisReply *pw = field(u, "passwords");
    assert_int_equal(pw->elements, 1);
    assert_string_equal(pw->element[0]->str,
                        "30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4");
    freeReplyObject(u);

    tu_cmd_ok(c, "CONFIG SET requirepass %s", "");
    redisContext *open_conn = tu_connect(srv);
    tu_cmd_str(open_conn, REDIS_REPLY_STATUS, "PONG", "PING");

    /* a password set through ACL locks new connections out as well */
    tu_cmd_ok(c, "ACL SETUSER default >other");
    redisContext *locked = tu_connect(srv);
    tu_cmd_str(locked, REDIS_REPLY_ERROR, "NOAUTH Authentication required.", "PING");
    redisReply *r = tu_cmd(locked, "HELLO 2 AUTH default other");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    freeReplyObject(r);
    tu_cmd_str(locked, REDIS_REPLY_STRING, "default", "ACL WHOAMI");
    /* the connection that was open stays logged in */
    tu_cmd_str(open_conn, REDIS_REPLY_STATUS, "PONG", "PING");
    redisFree(locked);
    redisFree(open_conn);
    redisFree(c);
    fr_server_stop(srv);
}

/* A group fixture's reset puts the users back as at start. */
static void test_fixture_reset_users(void **state)
{
    (void)state;
    fr_fixture_config cfg = {.opts = {.requirepass = "pw"}};
    fr_fixture *fx = NULL;
    assert_int_equal(fr_fixture_open(&cfg, &fx), FR_OK);
    fr_server *srv = fx->srv;
    fr_reply_free(fr_execf(srv, "ACL SETUSER frank on >x +get"));
    fr_reply_free(fr_execf(srv, "ACL SETUSER default -get resetpass >other (~a +set)"));
    fr_reply_free(fr_execf(srv, "AUTH frank wrong")); /* an ACL log entry */
    assert_int_equal(fr_fixture_reset(fx), FR_OK);

    fr_reply *r = fr_execf(srv, "ACL LIST");
    assert_int_equal(r->type, FR_REPLY_ARRAY);
    assert_int_equal(r->elements, 1);
    assert_string_equal(r->element[0]->str,
                        "user default on "
                        "#30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~* &* "
                        "+@all");
    fr_reply_free(r);
    r = fr_execf(srv, "ACL LOG");
    assert_int_equal(r->elements, 0);
    fr_reply_free(r);
    /* the password is requirepass again */
    redisContext *c = tu_connect(srv);
    tu_cmd_ok(c, "AUTH pw");
    redisFree(c);
    fr_fixture_close(fx);
}

/* "user" lines of the configuration (redis.conf's ACL users, without an
 * ACL file): the users exist from the start with their rules; a bad rule
 * fails the start and says which line. */
static void test_config_user_lines(void **state)
{
    (void)state;
    const char *lines[] = {"user alice on >pw ~app:* +get +set",
                           "user default on nopass ~* &* +@all", NULL};
    fr_server *srv;
    assert_int_equal(fr_server_start(&(fr_options){.config = lines}, &srv), FR_OK);
    redisContext *c = tu_connect(srv);
    tu_cmd_ok(c, "AUTH alice pw");
    tu_cmd_ok(c, "SET app:1 x");
    redisReply *r = tu_cmd(c, "SET other x");
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_non_null(strstr(r->str, "NOPERM"));
    freeReplyObject(r);
    r = tu_cmd(c, "DEL app:1");
    assert_int_equal(r->type, REDIS_REPLY_ERROR); /* only GET and SET */
    freeReplyObject(r);
    redisFree(c);
    fr_server_stop(srv);

    const char *bad[] = {"user bob on >x +@al", NULL};
    char err[256] = "";
    srv = NULL;
    assert_int_equal(
        fr_server_start(&(fr_options){.config = bad, .errbuf = err, .errbuf_len = sizeof err},
                        &srv),
        FR_ERR_PARSE);
    assert_null(srv);
    assert_non_null(strstr(err, "Error in user declaration 'user bob on >x +@al'"));
    assert_non_null(strstr(err, "+@al"));

    /* a fixture's reset forgets the test's users, not the configuration's */
    fr_fixture_config cfg = {.opts = {.config = lines}};
    fr_fixture *fx = NULL;
    assert_int_equal(fr_fixture_open(&cfg, &fx), FR_OK);
    fr_reply_free(fr_execf(fx->srv, "ACL SETUSER frank on >x +get"));
    fr_reply_free(fr_execf(fx->srv, "ACL SETUSER alice off"));
    assert_int_equal(fr_fixture_reset(fx), FR_OK);
    fr_reply *l = fr_execf(fx->srv, "ACL LIST");
    assert_int_equal(l->elements, 2);
    assert_non_null(strstr(l->element[0]->str, "user alice on #"));
    assert_string_equal(l->element[1]->str, "user default on nopass ~* &* +@all");
    fr_reply_free(l);
    fr_fixture_close(fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_auth_as_user_and_noperm, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_acl_log_entries, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_script_calls_checked, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_channels, fr_fixture_setup, fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_deleted_user_disconnected, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test(test_requirepass_is_default_user),
        cmocka_unit_test(test_fixture_reset_users),
        cmocka_unit_test(test_config_user_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
