/* Lua scripting as a client sees it: a lock released by EVALSHA, a script
 * error inside MULTI, a busy script that other clients see as -BUSY until
 * SCRIPT KILL, one that wrote (UNKILLABLE, then SHUTDOWN NOSAVE), the
 * pretend-busy server event, fault rules matched by script, and the
 * inspection API. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fakeredis/fakeredis.h"
#include "fakeredis/fault.h"
#include "fakeredis/harness.h"
#include "fakeredis/script.h"
#include "support/testutil.h"

static const char release_lua[] =
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) "
    "else return 0 end";

static void test_lock_with_evalsha_release(void **state)
{
    fr_server *srv = *state;
    redisContext *a = tu_connect(srv), *b = tu_connect(srv);
    redisReply *r = tu_cmd(a, "SCRIPT LOAD %s", release_lua);
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    char sha[41];
    snprintf(sha, sizeof sha, "%s", r->str);
    freeReplyObject(r);

    tu_cmd_ok(a, "SET lock tokA NX PX 10000");
    tu_cmd_nil(b, "SET lock tokB NX PX 10000"); /* held */
    /* the wrong owner cannot release it */
    assert_int_equal(tu_cmd_int(b, "EVALSHA %s 1 lock tokB", sha), 0);
    tu_cmd_nil(b, "SET lock tokB NX PX 10000");
    assert_int_equal(tu_cmd_int(a, "EVALSHA %s 1 lock tokA", sha), 1);
    tu_cmd_ok(b, "SET lock tokB NX PX 10000"); /* free again */
    assert_int_equal(tu_cmd_int(a, "EVALSHA %s 1 lock tokA", sha), 0);
    /* after SCRIPT FLUSH a client must fall back to EVAL */
    tu_cmd_ok(a, "SCRIPT FLUSH");
    tu_cmd_str(a, REDIS_REPLY_ERROR, "NOSCRIPT No matching script. Please use EVAL.",
               "EVALSHA %s 1 lock tokB", sha);
    assert_int_equal(tu_cmd_int(a, "EVAL %s 1 lock tokB", release_lua), 1);
    redisFree(a);
    redisFree(b);
}

/* As Redis: a script that fails at run time inside MULTI is one error
 * element of EXEC's reply; the other commands still run. */
static void test_script_error_inside_multi(void **state)
{
    fr_server *srv = *state;
    redisContext *c = tu_connect(srv);
    tu_cmd_ok(c, "MULTI");
    tu_cmd_str(c, REDIS_REPLY_STATUS, "QUEUED", "EVAL %s 0", "return redis.call('incr', 'n')");
    tu_cmd_str(c, REDIS_REPLY_STATUS, "QUEUED", "EVAL %s 0", "return redis.call('nosuch')");
    tu_cmd_str(c, REDIS_REPLY_STATUS, "QUEUED", "INCR n");
    redisReply *r = tu_cmd(c, "EXEC");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 3);
    assert_int_equal(r->element[0]->integer, 1);
    assert_int_equal(r->element[1]->type, REDIS_REPLY_ERROR);
    assert_non_null(strstr(r->element[1]->str, "ERR Unknown Redis command called from script"));
    assert_int_equal(r->element[2]->integer, 2);
    freeReplyObject(r);
    /* WATCH: a script's write makes a watcher's EXEC fail */
    redisContext *w = tu_connect(srv);
    tu_cmd_ok(w, "WATCH n");
    tu_cmd_ok(w, "MULTI");
    tu_cmd_str(w, REDIS_REPLY_STATUS, "QUEUED", "GET n");
    assert_int_equal(tu_cmd_int(c, "EVAL %s 0", "return redis.call('incr', 'n')"), 3);
    tu_cmd_nil(w, "EXEC");
    redisFree(w);
    redisFree(c);
}

/* PING on c until it answers -BUSY (bounded); returns that reply. */
static redisReply *await_busy(redisContext *c)
{
    long long deadline = tu_mono_ms() + TU_WAIT_MS;
    for (;;) {
        redisReply *r = tu_cmd(c, "PING");
        if (r->type == REDIS_REPLY_ERROR)
            return r;
        freeReplyObject(r);
        assert_true(tu_mono_ms() < deadline);
    }
}

static void test_script_kill_ends_busy_script(void **state)
{
    fr_server *srv = *state;
    redisContext *a = tu_connect(srv), *b = tu_connect(srv);
    tu_cmd_ok(b, "CONFIG SET busy-reply-threshold 50");
    redisAppendCommand(a, "EVAL %s 0", "local i = 0 while true do i = i + 1 end");
    int done = 0;
    assert_int_equal(redisBufferWrite(a, &done), REDIS_OK);
    redisReply *r = await_busy(b);
    assert_string_equal(r->str, "BUSY Redis is busy running a script. You can only call SCRIPT "
                                "KILL or SHUTDOWN NOSAVE.");
    freeReplyObject(r);
    tu_cmd_str(b, REDIS_REPLY_ERROR,
               "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN "
               "NOSAVE.",
               "GET x");
    /* as Redis: arity (and AUTH, ACL) are checked before the busy script */
    tu_cmd_str(b, REDIS_REPLY_ERROR, "ERR wrong number of arguments for 'get' command", "GET");
    tu_cmd_ok(b, "SCRIPT KILL");
    r = tu_next_reply(a);
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_non_null(strstr(r->str, "ERR Script killed by user with SCRIPT KILL..."));
    freeReplyObject(r);
    tu_cmd_str(b, REDIS_REPLY_STATUS, "PONG", "PING");
    tu_cmd_str(a, REDIS_REPLY_STATUS, "PONG", "PING");
    tu_cmd_str(b, REDIS_REPLY_ERROR, "NOTBUSY No scripts in execution right now.", "SCRIPT KILL");
    redisFree(a);
    redisFree(b);
}

/* A busy function: the texts name FUNCTION KILL; SCRIPT KILL is refused
 * with them; the C API (clock, faults) is served while it runs. */
static void test_function_kill_and_api_while_busy(void **state)
{
    fr_server *srv = *state;
    redisContext *a = tu_connect(srv), *b = tu_connect(srv);
    tu_cmd_ok(b, "CONFIG SET busy-reply-threshold 50");
    const char lib[] = "#!lua name=spin\n"
                       "redis.register_function('spin', function() while true do end end)";
    assert_int_equal(fr_function_load(srv, lib, sizeof lib - 1, 0), FR_OK);
    redisAppendCommand(a, "FCALL spin 0");
    int done = 0;
    assert_int_equal(redisBufferWrite(a, &done), REDIS_OK);
    const char busy_fn[] =
        "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";
    redisReply *r = await_busy(b);
    assert_string_equal(r->str, busy_fn);
    freeReplyObject(r);
    /* the loop thread is inside the function, yet the API answers */
    assert_int_equal(fr_clock_freeze(srv), FR_OK);
    assert_int_equal(fr_clock_advance(srv, 1000), FR_OK);
    assert_int_equal(fr_fault_add_text(srv, "cmd=GET action=error err=loading", NULL), FR_OK);
    tu_cmd_str(b, REDIS_REPLY_ERROR, busy_fn, "SCRIPT KILL");
    r = tu_cmd(b, "FUNCTION STATS");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->element[1]->type, REDIS_REPLY_ARRAY); /* running_script */
    assert_string_equal(r->element[1]->element[1]->str, "spin");
    freeReplyObject(r);
    tu_cmd_ok(b, "FUNCTION KILL");
    r = tu_next_reply(a);
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_non_null(strstr(r->str, "Script killed by user with SCRIPT KILL... script: spin"));
    freeReplyObject(r);
    tu_cmd_str(b, REDIS_REPLY_ERROR, "LOADING Redis is loading the dataset in memory", "GET k");
    redisFree(a);
    redisFree(b);
}

static void test_script_that_wrote_is_unkillable(void **state)
{
    fr_server *srv = *state;
    redisContext *a = tu_connect(srv), *b = tu_connect(srv);
    tu_cmd_ok(b, "CONFIG SET busy-reply-threshold 50");
    redisAppendCommand(a, "EVAL %s 0", "redis.call('set', 'w', '1') while true do end");
    int done = 0;
    assert_int_equal(redisBufferWrite(a, &done), REDIS_OK);
    freeReplyObject(await_busy(b));
    redisReply *r = tu_cmd(b, "SCRIPT KILL");
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_non_null(strstr(r->str, "UNKILLABLE Sorry the script already executed write"));
    freeReplyObject(r);
    /* SHUTDOWN NOSAVE still works: the server goes away */
    r = redisCommand(b, "SHUTDOWN NOSAVE");
    if (r)
        freeReplyObject(r);
    long long deadline = tu_mono_ms() + TU_WAIT_MS;
    while (!fr_server_is_shut_down(srv))
        assert_true(tu_mono_ms() < deadline);
    redisFree(a);
    redisFree(b);
}

static void test_pretend_busy_event(void **state)
{
    fr_server *srv = *state;
    redisContext *c = tu_connect(srv);
    assert_int_equal(fr_server_script_busy(srv, 60000), FR_OK);
    tu_cmd_str(c, REDIS_REPLY_ERROR,
               "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN "
               "NOSAVE.",
               "GET k");
    tu_cmd_ok(c, "SCRIPT KILL");
    tu_cmd_nil(c, "GET k");
    /* the same over the wire, and it ends by itself */
    tu_cmd_ok(c, "FAKE.SCRIPTBUSY 30");
    redisReply *r = tu_cmd(c, "GET k");
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    freeReplyObject(r);
    long long deadline = tu_mono_ms() + TU_WAIT_MS;
    for (;;) {
        r = tu_cmd(c, "GET k");
        int ok = r->type == REDIS_REPLY_NIL;
        freeReplyObject(r);
        if (ok)
            break;
        assert_true(tu_mono_ms() < deadline);
    }
    redisFree(c);
}

static void test_fault_rule_by_script(void **state)
{
    fr_server *srv = *state;
    redisContext *c = tu_connect(srv);
    char sha[41];
    assert_int_equal(fr_script_load(srv, "return 1", 8, sha), FR_OK);
    assert_string_equal(sha, "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
    char rule[128];
    snprintf(rule, sizeof rule, "script=%s action=error err=busy", sha);
    assert_int_equal(fr_fault_add_text(srv, rule, NULL), FR_OK);
    /* by EVAL's body and by EVALSHA alike; another script passes */
    tu_cmd_str(c, REDIS_REPLY_ERROR,
               "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN "
               "NOSAVE.",
               "EVAL %s 0", "return 1");
    redisReply *r = tu_cmd(c, "EVALSHA %s 0", sha);
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    freeReplyObject(r);
    assert_int_equal(tu_cmd_int(c, "EVAL %s 0", "return 2"), 2);
    /* functions by name */
    const char lib[] = "#!lua name=flib\nredis.register_function('ff', function() return 7 end)";
    assert_int_equal(fr_function_load(srv, lib, sizeof lib - 1, 0), FR_OK);
    assert_int_equal(fr_function_load(srv, lib, sizeof lib - 1, 0), FR_ERR_REPLY);
    assert_string_equal(fr_server_errstr(srv), "ERR Library 'flib' already exists");
    assert_int_equal(tu_cmd_int(c, "FCALL ff 0"), 7);
    assert_int_equal(fr_fault_add_text(srv, "script=f* action=error err=busy", NULL), FR_OK);
    r = tu_cmd(c, "FCALL ff 0");
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    freeReplyObject(r);
    redisFree(c);
}

static void test_inspection_api(void **state)
{
    fr_server *srv = *state;
    fr_script_info *scripts;
    size_t n;
    assert_int_equal(fr_script_list(srv, &scripts, &n), FR_OK);
    assert_int_equal(n, 0);
    fr_script_list_free(scripts, n);
    char sha[41];
    assert_int_equal(fr_script_load(srv, "retur n", 7, sha), FR_ERR_REPLY);
    assert_non_null(strstr(fr_server_errstr(srv), "Error compiling script"));
    assert_int_equal(fr_script_load(srv, "return 'x'", 10, sha), FR_OK);
    assert_int_equal(fr_script_list(srv, &scripts, &n), FR_OK);
    assert_int_equal(n, 1);
    assert_string_equal(scripts[0].sha, sha);
    assert_string_equal(scripts[0].body, "return 'x'");
    fr_script_list_free(scripts, n);
    const char lib[] = "#!lua name=l\nredis.register_function('a', function() return 1 end)\n"
                       "redis.register_function('b', function() return 2 end)";
    assert_int_equal(fr_function_load(srv, lib, sizeof lib - 1, 0), FR_OK);
    fr_function_info *fns;
    assert_int_equal(fr_function_list(srv, &fns, &n), FR_OK);
    assert_int_equal(n, 2);
    assert_string_equal(fns[0].library, "l");
    assert_true(!strcmp(fns[0].name, "a") || !strcmp(fns[0].name, "b"));
    fr_function_list_free(fns, n);
    /* the script loaded from the test runs by its SHA */
    redisContext *c = tu_connect(srv);
    tu_cmd_str(c, REDIS_REPLY_STRING, "x", "EVALSHA %s 0", sha);
    /* INFO counts them */
    redisReply *r = tu_cmd(c, "INFO memory");
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    assert_non_null(strstr(r->str, "\r\nnumber_of_cached_scripts:1\r\n"));
    assert_non_null(strstr(r->str, "\r\nnumber_of_functions:2\r\n"));
    assert_non_null(strstr(r->str, "\r\nnumber_of_libraries:1\r\n"));
    assert_non_null(strstr(r->str, "\r\nused_memory_scripts_eval:"));
    freeReplyObject(r);
    redisFree(c);
}

/* Messages a script publishes reach subscribers (after the script). */
static void test_publish_from_script(void **state)
{
    fr_server *srv = *state;
    redisContext *sub = tu_connect(srv), *c = tu_connect(srv);
    freeReplyObject(tu_cmd(sub, "SUBSCRIBE ch"));
    assert_int_equal(tu_cmd_int(c, "EVAL %s 0", "return redis.call('publish', 'ch', 'hi')"), 1);
    redisReply *r = tu_next_reply(sub);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_string_equal(r->element[2]->str, "hi");
    freeReplyObject(r);
    redisFree(sub);
    redisFree(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lock_with_evalsha_release, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_script_error_inside_multi, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_script_kill_ends_busy_script, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_function_kill_and_api_while_busy, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_script_that_wrote_is_unkillable, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_pretend_busy_event, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_fault_rule_by_script, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_inspection_api, fr_fixture_setup, fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_publish_from_script, fr_fixture_setup,
                                        fr_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
