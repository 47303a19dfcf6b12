/* The keyspace against a live fake: expiry on the real clock without any
 * access, a frozen clock that holds keys until advanced, WATCH and expiry,
 * SCAN while the keyspace grows, the inspection API and DEBUG POPULATE,
 * and replies of tens of thousands of keys or members (KEYS, unions). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "fakeredis/fakeredis.h"
#include "fakeredis/harness.h"
#include "support/testutil.h"
#include "fakeredis/inspect.h"

/* DBSIZE counts keys whether or not they expired: only an actual deletion
 * (active expiry) brings it down, never a lazy one, since nothing reads. */
static int db_empty(void *ctx)
{
    return fr_dbsize(ctx) == 0;
}

static void test_px_gone_without_access(void **state)
{
    fr_server *srv = *state;
    redisContext *c = tu_connect(srv);
    long long t0 = tu_mono_ms();
    tu_cmd_ok(c, "SET k v PX 50");
    assert_int_equal(fr_dbsize(srv), 1);
    assert_int_equal(fr_wait_until(db_empty, srv, 1000), FR_OK);
    long long took = tu_mono_ms() - t0;
    assert_true(took >= 45);
    /* the promise: gone 100 ms later (a little slack for a busy CI) */
    assert_true(took <= 150);
    /* and INFO agrees: the expiry was counted */
    fr_reply *r = fr_execf(srv, "INFO stats");
    assert_non_null(r);
    assert_non_null(strstr(r->str, "expired_keys:1\r\n"));
    fr_reply_free(r);
    redisFree(c);
}

static void test_frozen_clock_holds_until_advanced(void **state)
{
    fr_server *srv = *state;
    redisContext *c = tu_connect(srv);
    int64_t now = fr_clock_now_ms(srv);
    tu_cmd_ok(c, "SET k v PX 50");
    tu_cmd_ok(c, "SET later v PX 10000");
    /* real time passes; the frozen clock does not */
    struct timespec pause = {0, 200 * 1000 * 1000};
    nanosleep(&pause, NULL);
    assert_int_equal(fr_clock_now_ms(srv), now);
    assert_int_equal(fr_dbsize(srv), 2);
    assert_int_equal(tu_cmd_int(c, "PTTL k"), 50);
    /* not yet due */
    assert_int_equal(fr_clock_advance(srv, 49), FR_OK);
    assert_int_equal(fr_dbsize(srv), 2);
    /* due: gone before fr_clock_advance returns, no access needed */
    assert_int_equal(fr_clock_advance(srv, 1), FR_OK);
    assert_int_equal(fr_dbsize(srv), 1);
    assert_int_equal(fr_clock_now_ms(srv), now + 50);
    assert_int_equal(tu_cmd_int(c, "TTL later"), 10);
    /* set jumps too */
    assert_int_equal(fr_clock_set(srv, now + 20000), FR_OK);
    assert_int_equal(fr_dbsize(srv), 0);
    /* TIME reads the same clock */
    redisReply *t = redisCommand(c, "TIME");
    assert_non_null(t);
    assert_int_equal(t->type, REDIS_REPLY_ARRAY);
    assert_int_equal(strtoll(t->element[0]->str, NULL, 10), (now + 20000) / 1000);
    freeReplyObject(t);
    /* and resumes from where it stands */
    assert_int_equal(fr_clock_resume(srv), FR_OK);
    assert_true(fr_clock_now_ms(srv) >= now + 20000);
    redisFree(c);
}

static void test_watched_key_expires(void **state)
{
    fr_server *srv = *state;
    redisContext *c = tu_connect(srv);
    tu_cmd_ok(c, "SET w 1 PX 100");
    tu_cmd_ok(c, "WATCH w");
    assert_int_equal(fr_clock_advance(srv, 100), FR_OK);
    redisReply *r = redisCommand(c, "MULTI");
    freeReplyObject(r);
    r = redisCommand(c, "SET w 2");
    assert_int_equal(r->type, REDIS_REPLY_STATUS);
    freeReplyObject(r);
    tu_cmd_nil(c, "EXEC");
    assert_int_equal(fr_exists(srv, "w"), 0);

    /* the inspection API's writes count as changes too */
    tu_cmd_ok(c, "SET w 1");
    tu_cmd_ok(c, "WATCH w");
    assert_int_equal(fr_set(srv, "w", "3"), FR_OK);
    freeReplyObject(redisCommand(c, "MULTI"));
    freeReplyObject(redisCommand(c, "GET w"));
    tu_cmd_nil(c, "EXEC");

    /* an untouched WATCH lets EXEC through */
    tu_cmd_ok(c, "WATCH w");
    freeReplyObject(redisCommand(c, "MULTI"));
    freeReplyObject(redisCommand(c, "GET w"));
    r = redisCommand(c, "EXEC");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_string_equal(r->element[0]->str, "3");
    freeReplyObject(r);
    redisFree(c);
}

/* One SCAN call from cursor: marks seen[n] for each key:n (n < n_keys) it
 * returns, and returns the next cursor. */
static unsigned long long scan_step(redisContext *c, unsigned long long cursor, unsigned char *seen,
                                    int n_keys)
{
    redisReply *r = tu_cmd(c, "SCAN %llu COUNT 20", cursor);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    cursor = strtoull(r->element[0]->str, NULL, 10);
    redisReply *keys = r->element[1];
    for (size_t i = 0; i < keys->elements; i++) {
        int n;
        if (sscanf(keys->element[i]->str, "key:%d", &n) == 1 && n >= 0 && n < n_keys)
            seen[n] = 1;
    }
    freeReplyObject(r);
    return cursor;
}

/* Keys key:0..N-1 stay for the whole scan; others are added between calls
 * so the table grows and rehashes under the cursor. */
static void test_scan_while_growing(void **state)
{
    enum { N = 300, EXTRA = 20000 };
    fr_server *srv = *state;
    redisContext *c = tu_connect(srv);
    for (int i = 0; i < N; i++)
        tu_cmd_ok(c, "SET key:%d v", i);
    unsigned char *seen = calloc(N, 1);
    unsigned long long cursor = 0;
    int added = 0, calls = 0;
    do {
        cursor = scan_step(c, cursor, seen, N);
        calls++;
        int burst = 0;
        for (; burst < 200 && added < EXTRA; burst++, added++)
            redisAppendCommand(c, "SET extra:%d v", added);
        tu_drain(c, burst);
    } while (cursor != 0);
    for (int i = 0; i < N; i++)
        assert_int_equal(seen[i], 1);
    assert_true(calls > 1);
    free(seen);
    redisFree(c);
}

/* The same while the keyspace shrinks: 20000 other keys are deleted
 * between SCAN calls, so the table halves several times mid-scan. */
static void test_scan_while_shrinking(void **state)
{
    enum { N = 300, EXTRA = 20000 };
    fr_server *srv = *state;
    redisContext *c = tu_connect(srv);
    for (int i = 0; i < N; i++)
        redisAppendCommand(c, "SET key:%d v", i);
    for (int i = 0; i < EXTRA; i++)
        redisAppendCommand(c, "SET extra:%d v", i);
    tu_drain(c, N + EXTRA);
    unsigned char *seen = calloc(N, 1);
    unsigned long long cursor = 0;
    int deleted = 0;
    do {
        cursor = scan_step(c, cursor, seen, N);
        int burst = 0;
        for (; burst < 500 && deleted < EXTRA; burst++, deleted++)
            redisAppendCommand(c, "DEL extra:%d", deleted);
        tu_drain(c, burst);
    } while (cursor != 0);
    for (int i = 0; i < N; i++)
        assert_int_equal(seen[i], 1);
    free(seen);
    redisFree(c);
}

static void test_inspect_api(void **state)
{
    fr_server *srv = *state;
    assert_int_equal(fr_set(srv, "b", "2"), FR_OK);
    assert_int_equal(fr_set_bin(srv, "a", "x\0y", 3), FR_OK);
    size_t len = 0;
    char *v = NULL;
    assert_int_equal(fr_get(srv, "a", &v, &len), FR_OK);
    assert_int_equal(len, 3);
    assert_memory_equal(v, "x\0y", 3);
    free(v);
    assert_int_equal(fr_get(srv, "nope", &v, &len), FR_ERR_NOKEY);
    assert_null(v);
    assert_int_equal(len, 0);
    assert_int_equal(fr_exists(srv, "b"), 1);
    int64_t ttl = 0;
    assert_int_equal(fr_ttl_ms(srv, "b", &ttl), FR_OK);
    assert_int_equal(ttl, FR_TTL_NONE);
    assert_int_equal(fr_ttl_ms(srv, "nope", &ttl), FR_ERR_NOKEY);
    assert_int_equal(fr_setex(srv, "t", "v", 5000), FR_OK);
    assert_int_equal(fr_ttl_ms(srv, "t", &ttl), FR_OK);
    assert_true(ttl > 4000 && ttl <= 5000);
    assert_int_equal(fr_set_ttl(srv, "b", 100000), 1);
    assert_int_equal(fr_set_ttl(srv, "b", -1), 1);
    assert_int_equal(fr_ttl_ms(srv, "b", &ttl), FR_OK);
    assert_int_equal(ttl, FR_TTL_NONE);
    assert_int_equal(fr_set_ttl(srv, "nope", 100), 0);
    const char *type = NULL;
    assert_int_equal(fr_type(srv, "b", &type), FR_OK);
    assert_string_equal(type, "string");
    assert_int_equal(fr_type(srv, "nope", &type), FR_ERR_NOKEY);
    assert_string_equal(type, "none");
    char **keys = NULL;
    size_t nkeys = 0;
    assert_int_equal(fr_keys(srv, NULL, &keys, &nkeys), FR_OK);
    assert_int_equal(nkeys, 3);
    assert_string_equal(keys[0], "a");
    assert_string_equal(keys[1], "b");
    assert_string_equal(keys[2], "t");
    assert_null(keys[3]);
    fr_keys_free(keys);
    assert_int_equal(fr_keys(srv, "zz*", &keys, NULL), FR_OK);
    assert_null(keys[0]);
    fr_keys_free(keys);
    char *dump = NULL;
    assert_int_equal(fr_dump(srv, 0, &dump), FR_OK);
    assert_non_null(strstr(dump, "db0: 3 keys\n"));
    assert_non_null(strstr(dump, "\"a\" string \"x\\x00y\"\n"));
    assert_non_null(strstr(dump, "\"b\" string \"2\"\n"));
    assert_non_null(strstr(dump, "\"t\" string ttl="));
    free(dump);
    assert_int_equal(fr_del(srv, "a"), 1);
    assert_int_equal(fr_del(srv, "a"), 0);
    assert_int_equal(fr_exec_select(srv, 3), FR_OK);
    assert_int_equal(fr_dbsize(srv), 0);
    assert_int_equal(fr_set(srv, "in3", "x"), FR_OK);
    assert_int_equal(fr_exec_select(srv, 0), FR_OK);
    assert_int_equal(fr_exists(srv, "in3"), 0);
    assert_int_equal(fr_exec_select(srv, 16), FR_ERR_ARG);
    assert_int_equal(fr_dump(srv, 3, &dump), FR_OK);
    assert_non_null(strstr(dump, "db3: 1 key\n"));
    free(dump);
    assert_int_equal(fr_dump(srv, 99, &dump), FR_ERR_ARG);
    assert_null(dump);
    assert_int_equal(fr_flushall(srv), FR_OK);
    assert_int_equal(fr_dbsize(srv), 0);
}

/* fr_get tells a missing key, a key of another type, a command queued by a
 * MULTI left open on the in-process client and a stopped server apart. */
static void test_inspect_errors(void **state)
{
    (void)state;
    fr_server *srv = NULL;
    assert_int_equal(fr_server_start(NULL, &srv), FR_OK);
    fr_reply *r = fr_execf(srv, "RPUSH l a");
    fr_reply_free(r);
    char *v = (char *)"untouched";
    size_t len = 7;
    assert_int_equal(fr_get(srv, "l", &v, &len), FR_ERR_REPLY);
    assert_null(v);
    assert_int_equal(len, 0);
    assert_non_null(strstr(fr_server_errstr(srv), "WRONGTYPE"));
    assert_int_equal(fr_get(srv, "missing", &v, &len), FR_ERR_NOKEY);
    assert_int_equal(fr_get(NULL, "l", &v, &len), FR_ERR_ARG);
    assert_int_equal(fr_get(srv, NULL, &v, &len), FR_ERR_ARG);
    assert_int_equal(fr_set_ttl(srv, "l", 1000), 1);

    fr_reply_free(fr_execf(srv, "MULTI"));
    assert_int_equal(fr_set(srv, "k", "v"), FR_ERR_STATE);
    assert_int_equal(fr_del(srv, "k"), FR_ERR_STATE);
    fr_reply_free(fr_execf(srv, "DISCARD"));
    assert_int_equal(fr_set(srv, "k", "v"), FR_OK);

    /* SHUTDOWN stops serving; the handle stays until fr_server_stop */
    fr_reply_free(fr_execf(srv, "SHUTDOWN NOSAVE"));
    assert_true(fr_server_is_shut_down(srv));
    assert_int_equal(fr_get(srv, "k", &v, &len), FR_ERR_STOPPED);
    int64_t ttl;
    assert_int_equal(fr_ttl_ms(srv, "k", &ttl), FR_ERR_STOPPED);
    const char *type;
    assert_int_equal(fr_type(srv, "k", &type), FR_ERR_STOPPED);
    char *dump;
    assert_int_equal(fr_dump(srv, 0, &dump), FR_ERR_STOPPED);
    assert_int_equal(fr_dbsize(srv), FR_ERR_STOPPED);
    fr_server_stop(srv);
}

static void test_keyspace_info_and_populate(void **state)
{
    fr_server *srv = *state;
    fr_reply *r = fr_execf(srv, "DEBUG POPULATE 1000 k 10");
    assert_non_null(r);
    assert_int_equal(r->type, FR_REPLY_STATUS);
    fr_reply_free(r);
    assert_int_equal(fr_dbsize(srv), 1000);
    size_t len;
    char *v = NULL;
    assert_int_equal(fr_get(srv, "k:7", &v, &len), FR_OK);
    assert_int_equal(len, 10);
    assert_memory_equal(v, "value:7\0\0\0", 10);
    free(v);
    assert_int_equal(fr_set_ttl(srv, "k:1", 100000), 1);
    r = fr_execf(srv, "INFO keyspace");
    assert_non_null(r);
    assert_non_null(strstr(r->str, "db0:keys=1000,expires=1,avg_ttl="));
    fr_reply_free(r);
}

/* DUMP then RESTORE gives back the same value, for every type the fake
 * has, through the binary-safe fr_exec. */
static void test_dump_restore_roundtrip(void **state)
{
    fr_server *srv = *state;
    const char *setup[] = {
        "SET s1 12",
        "SET s2 -70000",
        "SET s3 hello",
        "SET s4 12345678901234567890",
        "APPEND s5 rawstring",
        "RPUSH l a b c",
        "HSET h f v g w",
        "SADD st 1 2 3",
        "SADD sx a b",
        "ZADD z 1 a 2.5 b",
        "ZADD zw -1 a 1.5 b 3000000000 c inf d -129 e 1e300 f",
        NULL,
    };
    for (int i = 0; setup[i]; i++) {
        fr_reply *r = fr_execf(srv, setup[i]);
        assert_non_null(r);
        assert_int_not_equal(r->type, FR_REPLY_ERROR);
        fr_reply_free(r);
    }
    /* a sorted set past the listpack limit: several tree leaves */
    char big[8192];
    size_t at = (size_t)snprintf(big, sizeof big, "ZADD zbig");
    for (int i = 0; i < 300; i++)
        at += (size_t)snprintf(big + at, sizeof big - at, " %d m%03d", (i * 37) % 101, i);
    fr_reply *zr = fr_execf(srv, big);
    assert_non_null(zr);
    assert_int_equal(zr->integer, 300);
    fr_reply_free(zr);
    const char *keys[] = {"s1", "s2", "s3", "s4", "s5",   "l", "h",
                          "st", "sx", "z",  "zw", "zbig", NULL};
    for (int i = 0; keys[i]; i++) {
        fr_reply *d = fr_execf(srv, "DUMP %s", keys[i]);
        assert_non_null(d);
        assert_int_equal(d->type, FR_REPLY_STRING);
        char copy[16];
        snprintf(copy, sizeof copy, "%s_copy", keys[i]);
        const char *argv[] = {"RESTORE", copy, "0", d->str};
        size_t lens[] = {7, strlen(copy), 1, d->len};
        fr_reply *r = fr_exec(srv, 4, argv, lens);
        assert_non_null(r);
        assert_int_equal(r->type, FR_REPLY_STATUS);
        fr_reply_free(r);
        /* a flipped byte is caught by the checksum */
        d->str[0] ^= 1;
        const char *bad[] = {"RESTORE", "broken", "0", d->str};
        size_t blens[] = {7, 6, 1, d->len};
        r = fr_exec(srv, 4, bad, blens);
        assert_non_null(r);
        assert_int_equal(r->type, FR_REPLY_ERROR);
        assert_string_equal(r->str, "ERR DUMP payload version or checksum are wrong");
        fr_reply_free(r);
        fr_reply_free(d);
    }
    /* every copy renders exactly like its original */
    char *dump = NULL;
    assert_int_equal(fr_dump(srv, 0, &dump), FR_OK);
    for (int i = 0; keys[i]; i++) {
        char pat[32];
        snprintf(pat, sizeof pat, "\"%s\" ", keys[i]);
        const char *a = strstr(dump, pat);
        snprintf(pat, sizeof pat, "\"%s_copy\" ", keys[i]);
        const char *b = strstr(dump, pat);
        assert_non_null(a);
        assert_non_null(b);
        a += strlen(keys[i]) + 3;
        b += strlen(keys[i]) + 8;
        size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");
        assert_int_equal(la, lb);
        assert_memory_equal(a, b, la);
    }
    free(dump);
    fr_reply *e = fr_execf(srv, "OBJECT ENCODING s1_copy");
    assert_string_equal(e->str, "int");
    fr_reply_free(e);
    e = fr_execf(srv, "OBJECT ENCODING zbig_copy");
    assert_string_equal(e->str, "skiplist");
    fr_reply_free(e);
    e = fr_execf(srv, "OBJECT ENCODING zw_copy");
    assert_string_equal(e->str, "listpack");
    fr_reply_free(e);
    e = fr_execf(srv, "ZRANK zbig_copy m150");
    fr_reply *o = fr_execf(srv, "ZRANK zbig m150");
    assert_int_equal(e->integer, o->integer);
    fr_reply_free(o);
    fr_reply_free(e);
}

/* Reads a reply that must be an array of n distinct "<prefix>N" strings
 * with N < n, then frees it. */
static void expect_all(redisReply *r, const char *prefix, int n)
{
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, n);
    unsigned char *seen = calloc((size_t)n, 1);
    size_t pl = strlen(prefix);
    for (size_t i = 0; i < r->elements; i++) {
        const redisReply *e = r->element[i];
        assert_int_equal(e->type, REDIS_REPLY_STRING);
        assert_true(e->len > pl && memcmp(e->str, prefix, pl) == 0);
        int k = atoi(e->str + pl);
        assert_true(k >= 0 && k < n);
        assert_int_equal(seen[k], 0);
        seen[k] = 1;
    }
    free(seen);
    freeReplyObject(r);
}

/* The next reply of a pipeline (hiredis sends what was appended first). */
static redisReply *next(redisContext *c)
{
    void *r = NULL;
    assert_int_equal(redisGetReply(c, &r), REDIS_OK);
    assert_non_null(r);
    return r;
}

static void expect_pong(redisContext *c)
{
    redisReply *r = next(c);
    assert_int_equal(r->type, REDIS_REPLY_STATUS);
    assert_string_equal(r->str, "PONG");
    freeReplyObject(r);
}

/* KEYS * of more keys than fit in a small reply (hundreds of KB): every
 * key once, the count right, in order with the replies around it, also
 * with a key expired under it. */
static void test_keys_large_reply(void **state)
{
    enum { N = 20000 };
    fr_server *srv = *state;
    redisContext *c = tu_connect(srv);
    tu_cmd_ok(c, "DEBUG POPULATE %d key", N);
    redisAppendCommand(c, "PING");
    redisAppendCommand(c, "KEYS *");
    redisAppendCommand(c, "PING");
    expect_pong(c);
    expect_all(next(c), "key:", N);
    expect_pong(c);
    /* an expired key is left out, and the count says so */
    assert_int_equal(tu_cmd_int(c, "PEXPIRE key:%d 10", N - 1), 1);
    assert_int_equal(fr_clock_advance(srv, 20), FR_OK);
    redisAppendCommand(c, "KEYS *");
    redisAppendCommand(c, "PING");
    expect_all(next(c), "key:", N - 1);
    expect_pong(c);
    redisFree(c);
}

/* Members from..to-1 as "m:N" into key, 1000 per command; zsets get score
 * N when score is negative, else score. */
static void fill(redisContext *c, const char *cmd, const char *key, int from, int to, int score)
{
    const char *argv[2 + 2 * 1000];
    static char buf[2 * 1000][24];
    int cmds = 0;
    for (int i = from; i < to;) {
        int argc = 0, b = 0;
        argv[argc++] = cmd;
        argv[argc++] = key;
        for (; i < to && b < 2 * 1000; i++) {
            if (strcmp(cmd, "ZADD") == 0) {
                snprintf(buf[b], sizeof buf[b], "%d", score < 0 ? i : score);
                argv[argc++] = buf[b++];
            }
            snprintf(buf[b], sizeof buf[b], "m:%d", i);
            argv[argc++] = buf[b++];
        }
        redisAppendCommandArgv(c, argc, argv, NULL);
        cmds++;
    }
    tu_drain(c, cmds);
}

/* Unions of large sets and sorted sets (their results are sized up
 * front): every member once, the scores summed. */
static void test_large_unions(void **state)
{
    enum { N = 10000 };
    fr_server *srv = *state;
    redisContext *c = tu_connect(srv);
    fill(c, "SADD", "s1", 0, N, 0);
    fill(c, "SADD", "s2", N / 2, N + N / 2, 0);
    expect_all(tu_cmd(c, "SUNION s1 s2"), "m:", N + N / 2);
    assert_int_equal(tu_cmd_int(c, "SUNIONSTORE d s1 s2 s1"), N + N / 2);
    expect_all(tu_cmd(c, "SMEMBERS d"), "m:", N + N / 2);
    tu_cmd_str(c, REDIS_REPLY_STRING, "hashtable", "OBJECT ENCODING d");
    fill(c, "ZADD", "z1", 0, N, -1);
    fill(c, "ZADD", "z2", N / 2, N + N / 2, 1);
    assert_int_equal(tu_cmd_int(c, "ZUNIONSTORE zd 2 z1 z2"), N + N / 2);
    tu_cmd_str(c, REDIS_REPLY_STRING, "7001", "ZSCORE zd m:7000");
    tu_cmd_str(c, REDIS_REPLY_STRING, "1", "ZSCORE zd m:14999");
    /* in order: by score, ties (the 5,001 members of score 1) by member */
    redisReply *r = tu_cmd(c, "ZRANGE zd 0 -1 WITHSCORES");
    assert_int_equal(r->elements, 2 * (N + N / 2));
    assert_string_equal(r->element[0]->str, "m:0");
    for (size_t i = 2; i < r->elements; i += 2) {
        double prev = strtod(r->element[i - 1]->str, NULL),
               cur = strtod(r->element[i + 1]->str, NULL);
        assert_true(prev < cur ||
                    (prev == cur && strcmp(r->element[i - 2]->str, r->element[i]->str) < 0));
    }
    freeReplyObject(r);
    assert_int_equal(tu_cmd_int(c, "ZRANK zd m:10000"), 2);
    /* below m:5000 (5001): m:0..m:4999 and the 5,000 of score 1 from z2 */
    assert_int_equal(tu_cmd_int(c, "ZRANK zd m:5000"), 10000);
    redisFree(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_px_gone_without_access, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_frozen_clock_holds_until_advanced,
                                        fr_fixture_setup_frozen, fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_watched_key_expires, fr_fixture_setup_frozen,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_scan_while_growing, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_scan_while_shrinking, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_inspect_api, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test(test_inspect_errors),
        cmocka_unit_test_setup_teardown(test_keyspace_info_and_populate, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_dump_restore_roundtrip, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_keys_large_reply, fr_fixture_setup_frozen,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_large_unions, fr_fixture_setup,
                                        fr_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
