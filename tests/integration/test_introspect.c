/* Introspection over the wire: INFO commandstats / errorstats /
 * latencystats and their reset, the slow log (threshold, truncation,
 * redaction, length), the latency monitor, MEMORY USAGE against sizes
 * measured on redis-server 7.0.15, and maxmemory with its policies
 * (the -OOM error, LRU keeping the keys used last, LFU the keys used
 * most, volatile-ttl evicting the nearest expiry, evicted events). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "fakeredis/fakeredis.h"
#include "fakeredis/harness.h"
#include "support/testutil.h"

/* The value of field in an INFO reply (section given), or -1. */
static long long info_field(redisContext *c, const char *section, const char *field)
{
    redisReply *r = tu_cmd(c, "INFO %s", section);
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    char want[128];
    snprintf(want, sizeof want, "\r\n%s:", field);
    const char *p = strstr(r->str, want);
    long long v = p ? atoll(p + strlen(want)) : -1;
    freeReplyObject(r);
    return v;
}

/* Whether INFO section holds the line (whole, CRLF included). */
static int info_has(redisContext *c, const char *section, const char *line)
{
    redisReply *r = tu_cmd(c, "INFO %s", section);
    int has = strstr(r->str, line) != NULL;
    freeReplyObject(r);
    return has;
}

static void test_commandstats_and_errorstats(void **state)
{
    fr_server *srv = *state;
    redisContext *c = tu_connect(srv);
    tu_cmd_ok(c, "CONFIG RESETSTAT");
    /* rejected: refused before running (arity); failed: ran and answered
     * an error; unknown: errorstats only */
    freeReplyObject(tu_cmd(c, "SET a"));
    freeReplyObject(tu_cmd(c, "NOSUCHCOMMAND"));
    tu_cmd_ok(c, "SET s x");
    freeReplyObject(tu_cmd(c, "INCR s"));
    freeReplyObject(tu_cmd(c, "LPUSH s x")); /* WRONGTYPE */
    /* inside EXEC the failing command fails, not EXEC */
    tu_cmd_ok(c, "MULTI");
    tu_cmd_str(c, REDIS_REPLY_STATUS, "QUEUED", "INCR s");
    redisReply *r = tu_cmd(c, "EXEC");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->element[0]->type, REDIS_REPLY_ERROR);
    freeReplyObject(r);
    freeReplyObject(tu_cmd(c, "EXEC")); /* without MULTI: EXEC itself failed */

    assert_true(info_has(c, "commandstats", "rejected_calls=1,failed_calls=0\r\n"));
    r = tu_cmd(c, "INFO commandstats");
    assert_non_null(strstr(r->str, "# Commandstats\r\ncmdstat_"));
    assert_non_null(strstr(r->str, "cmdstat_set:calls=1,usec="));
    assert_non_null(strstr(r->str, "cmdstat_incr:calls=2,"));
    assert_non_null(strstr(r->str, ",rejected_calls=0,failed_calls=2\r\n"));
    assert_non_null(strstr(r->str, "cmdstat_exec:calls=2,"));
    assert_null(strstr(r->str, "nosuchcommand"));
    freeReplyObject(r);
    /* SET a: rejected; incr: failed twice; lpush: failed; exec: failed once */
    r = tu_cmd(c, "INFO commandstats");
    const char *set = strstr(r->str, "cmdstat_set:");
    assert_non_null(set);
    assert_non_null(strstr(set, "rejected_calls=1,failed_calls=0"));
    const char *ex = strstr(r->str, "cmdstat_exec:");
    assert_non_null(strstr(ex, "rejected_calls=0,failed_calls=1"));
    freeReplyObject(r);
    assert_true(info_has(c, "errorstats", "errorstat_ERR:count=5\r\n"));
    assert_true(info_has(c, "errorstats", "errorstat_WRONGTYPE:count=1\r\n"));
    assert_int_equal(info_field(c, "stats", "total_error_replies"), 6);
    /* not in the default INFO; in INFO all */
    assert_false(info_has(c, "", "# Commandstats"));
    assert_true(info_has(c, "all", "# Commandstats"));
    assert_true(info_has(c, "all", "# Latencystats"));
    /* RESETSTAT clears all of it */
    tu_cmd_ok(c, "CONFIG RESETSTAT");
    assert_true(info_has(c, "errorstats", "# Errorstats\r\n"));
    assert_false(info_has(c, "errorstats", "errorstat_"));
    assert_false(info_has(c, "commandstats", "cmdstat_set"));
    assert_int_equal(info_field(c, "stats", "total_error_replies"), 0);
    redisFree(c);
}

/* A fresh server's first commands: nothing counted before them (the
 * counters are made at the first), each counted once it ran. */
static void test_stats_from_the_first_command(void **state)
{
    fr_server *srv = tu_start();
    redisContext *c = tu_connect(srv);
    redisReply *r = tu_cmd(c, "LATENCY HISTOGRAM");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 0);
    freeReplyObject(r);
    r = tu_cmd(c, "INFO commandstats");
    assert_non_null(strstr(r->str, "cmdstat_latency|histogram:calls=1,"));
    assert_null(strstr(r->str, "cmdstat_info"));
    freeReplyObject(r);
    tu_cmd_ok(c, "CONFIG RESETSTAT");
    r = tu_cmd(c, "LATENCY HISTOGRAM config");
    assert_int_equal(r->elements, 2);
    assert_string_equal(r->element[0]->str, "config|resetstat");
    freeReplyObject(r);
    redisFree(c);
    fr_server_stop(srv);
}

static void test_latencystats_and_histogram(void **state)
{
    fr_server *srv = *state;
    redisContext *c = tu_connect(srv);
    tu_cmd_ok(c, "CONFIG RESETSTAT");
    for (int i = 0; i < 10; i++)
        tu_cmd_ok(c, "SET k v");
    redisReply *r = tu_cmd(c, "INFO latencystats");
    const char *l = strstr(r->str, "latency_percentiles_usec_set:p50=");
    assert_non_null(l);
    double p50, p99, p999;
    assert_int_equal(
        sscanf(l, "latency_percentiles_usec_set:p50=%lf,p99=%lf,p99.9=%lf", &p50, &p99, &p999), 3);
    assert_true(p50 > 0 && p50 <= p99 && p99 <= p999);
    freeReplyObject(r);

    r = tu_cmd(c, "LATENCY HISTOGRAM set nosuch");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY); /* RESP2: a flat map */
    assert_int_equal(r->elements, 2);
    assert_string_equal(r->element[0]->str, "set");
    redisReply *m = r->element[1];
    assert_int_equal(m->elements, 4);
    assert_string_equal(m->element[0]->str, "calls");
    assert_int_equal(m->element[1]->integer, 10);
    assert_string_equal(m->element[2]->str, "histogram_usec");
    redisReply *h = m->element[3];
    assert_true(h->elements >= 2 && h->elements % 2 == 0);
    /* buckets: powers of two (as hdr rounds them), cumulative to 10 */
    long long prev = 0;
    for (size_t i = 0; i < h->elements; i += 2) {
        assert_true(h->element[i + 1]->integer > prev);
        prev = h->element[i + 1]->integer;
    }
    assert_int_equal(prev, 10);
    freeReplyObject(r);
    /* a container gives its subcommands */
    r = tu_cmd(c, "LATENCY HISTOGRAM config");
    assert_int_equal(r->elements, 2);
    assert_string_equal(r->element[0]->str, "config|resetstat");
    freeReplyObject(r);

    /* the percentiles INFO shows are the configured ones, in their order */
    tu_cmd_ok(c, "CONFIG SET latency-tracking-info-percentiles %s", "95 50.0");
    r = tu_cmd(c, "INFO latencystats");
    l = strstr(r->str, "latency_percentiles_usec_set:");
    assert_non_null(l);
    double p95;
    char end[3] = "";
    assert_int_equal(sscanf(l, "latency_percentiles_usec_set:p95=%lf,p50=%lf%2c", &p95, &p50, end),
                     3);
    assert_memory_equal(end, "\r\n", 2); /* those two, no more */
    assert_true(p50 > 0 && p50 <= p95);
    freeReplyObject(r);
    /* latency-tracking no: nothing shown, nothing recorded meanwhile */
    tu_cmd_ok(c, "CONFIG SET latency-tracking no");
    tu_cmd_ok(c, "SET k v");
    r = tu_cmd(c, "INFO latencystats");
    assert_string_equal(r->str, "# Latencystats\r\n");
    freeReplyObject(r);
    tu_cmd_ok(c, "CONFIG SET latency-tracking yes");
    r = tu_cmd(c, "LATENCY HISTOGRAM set");
    assert_int_equal(r->element[1]->element[1]->integer, 10);
    freeReplyObject(r);
    redisFree(c);
}

static void test_slowlog(void **state)
{
    fr_server *srv = *state;
    redisContext *c = tu_connect(srv);
    tu_cmd_ok(c, "CONFIG SET slowlog-log-slower-than 0");
    tu_cmd_ok(c, "SLOWLOG RESET");
    tu_cmd_ok(c, "CLIENT SETNAME logger");
    /* 40 arguments: 31 kept, then "... (9 more arguments)" */
    const char *argv[40];
    size_t lens[40];
    char big[300];
    memset(big, 'x', sizeof big);
    argv[0] = "RPUSH";
    argv[1] = "list";
    argv[2] = big;
    lens[0] = 5;
    lens[1] = 4;
    lens[2] = sizeof big;
    for (int i = 3; i < 40; i++) {
        argv[i] = "e";
        lens[i] = 1;
    }
    redisReply *r = redisCommandArgv(c, 40, argv, lens);
    assert_int_equal(r->integer, 38);
    freeReplyObject(r);
    tu_cmd_ok(c, "CONFIG SET requirepass secret");
    tu_cmd_ok(c, "AUTH secret");
    tu_cmd_ok(c, "CONFIG SET requirepass %s", "");
    tu_cmd_ok(c, "CONFIG SET slowlog-log-slower-than -1");
    freeReplyObject(tu_cmd(c, "PING")); /* not logged any more */

    r = tu_cmd(c, "SLOWLOG GET -1");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    /* newest first: config set "", auth, config set, rpush, client
     * setname, slowlog reset (the command that set -1 is judged by -1) */
    assert_int_equal(r->elements, 6);
    redisReply *e = r->element[3];
    assert_int_equal(e->elements, 6);
    assert_int_equal(e->element[0]->integer + 3, r->element[0]->element[0]->integer);
    assert_true(e->element[1]->integer > 1600000000);
    assert_true(e->element[2]->integer >= 0);
    redisReply *args = e->element[3];
    assert_int_equal(args->elements, 32);
    assert_string_equal(args->element[0]->str, "RPUSH");
    assert_int_equal(args->element[2]->len, 128 + strlen("... (172 more bytes)"));
    assert_non_null(strstr(args->element[2]->str, "x... (172 more bytes)"));
    assert_string_equal(args->element[31]->str, "... (9 more arguments)");
    assert_non_null(strstr(e->element[4]->str, "127.0.0.1:"));
    assert_string_equal(e->element[5]->str, "logger");
    /* passwords never reach the log */
    assert_string_equal(r->element[1]->element[3]->element[1]->str, "(redacted)");
    assert_string_equal(r->element[2]->element[3]->element[3]->str, "(redacted)");
    assert_string_equal(r->element[2]->element[3]->element[2]->str, "requirepass");
    freeReplyObject(r);

    assert_int_equal(tu_cmd_int(c, "SLOWLOG LEN"), 6);
    r = tu_cmd(c, "SLOWLOG GET");
    assert_int_equal(r->elements, 6);
    freeReplyObject(r);
    r = tu_cmd(c, "SLOWLOG GET 2");
    assert_int_equal(r->elements, 2);
    freeReplyObject(r);
    /* slowlog-max-len trims at the next entry */
    tu_cmd_ok(c, "CONFIG SET slowlog-max-len 3");
    tu_cmd_ok(c, "CONFIG SET slowlog-log-slower-than 0");
    assert_int_equal(tu_cmd_int(c, "SLOWLOG LEN"), 3);
    tu_cmd_ok(c, "SLOWLOG RESET");
    tu_cmd_ok(c, "CONFIG SET slowlog-log-slower-than 10000");
    assert_int_equal(tu_cmd_int(c, "SLOWLOG LEN"), 1); /* the RESET itself */
    /* a command over the threshold: DEBUG SLEEP 0.02 is >= 10000 us */
    tu_cmd_ok(c, "SLOWLOG RESET");
    tu_cmd_ok(c, "DEBUG SLEEP 0.02");
    r = tu_cmd(c, "SLOWLOG GET");
    assert_int_equal(r->elements, 1);
    assert_true(r->element[0]->element[2]->integer >= 20000);
    assert_string_equal(r->element[0]->element[3]->element[0]->str, "DEBUG");
    freeReplyObject(r);
    /* EXEC is not logged, what it ran is */
    tu_cmd_ok(c, "SLOWLOG RESET");
    tu_cmd_ok(c, "MULTI");
    tu_cmd_str(c, REDIS_REPLY_STATUS, "QUEUED", "DEBUG SLEEP 0.02");
    freeReplyObject(tu_cmd(c, "EXEC"));
    r = tu_cmd(c, "SLOWLOG GET");
    assert_int_equal(r->elements, 1);
    assert_string_equal(r->element[0]->element[3]->element[0]->str, "DEBUG");
    freeReplyObject(r);
    redisFree(c);
}

static void test_latency_monitor(void **state)
{
    fr_server *srv = *state;
    redisContext *c = tu_connect(srv);
    redisReply *r = tu_cmd(c, "LATENCY DOCTOR");
    assert_non_null(strstr(r->str, "Latency monitoring is disabled"));
    freeReplyObject(r);
    tu_cmd_ok(c, "CONFIG SET latency-monitor-threshold 10");
    tu_cmd_ok(c, "DEBUG SLEEP 0.03");
    tu_cmd_ok(c, "DEBUG SLEEP 0"); /* under the threshold: no sample */
    r = tu_cmd(c, "LATENCY LATEST");
    assert_int_equal(r->elements, 1);
    redisReply *e = r->element[0];
    assert_string_equal(e->element[0]->str, "command");
    assert_true(e->element[1]->integer > 1600000000);
    assert_true(e->element[2]->integer >= 30);
    assert_int_equal(e->element[3]->integer, e->element[2]->integer);
    freeReplyObject(r);
    r = tu_cmd(c, "LATENCY HISTORY command");
    assert_int_equal(r->elements, 1);
    assert_true(r->element[0]->element[1]->integer >= 30);
    freeReplyObject(r);
    r = tu_cmd(c, "LATENCY GRAPH command");
    assert_non_null(strstr(r->str, "command - high "));
    freeReplyObject(r);
    r = tu_cmd(c, "LATENCY DOCTOR");
    assert_non_null(strstr(r->str, "1. command: 1 latency spikes"));
    freeReplyObject(r);
    tu_cmd_str(c, REDIS_REPLY_ERROR, "ERR No samples available for event 'nope'",
               "LATENCY GRAPH nope");
    assert_int_equal(tu_cmd_int(c, "LATENCY RESET command nope"), 1);
    r = tu_cmd(c, "LATENCY LATEST");
    assert_int_equal(r->elements, 0);
    freeReplyObject(r);
    tu_cmd_ok(c, "CONFIG SET latency-monitor-threshold 0");
    redisFree(c);
}

/* MEMORY USAGE where the fake is exact: the figures redis-server 7.0.15
 * (jemalloc) answers for the same commands. */
static void test_memory_usage_exact(void **state)
{
    fr_server *srv = *state;
    redisContext *c = tu_connect(srv);
    static const struct {
        const char *setup;
        long long bytes;
    } cases[] = {
        {"SET k 12345", 48},
        {"SET k abc", 64},
        {"SET k 0123456789012345678901234567890123456789abcd", 96},   /* embstr, 44 */
        {"SET k 0123456789012345678901234567890123456789abcde", 112}, /* raw, 45 */
        {"RPUSH k a b c", 144},
        {"RPUSH k 1 2 3 100000 -7", 160},
        {"HSET k f1 v1 f2 12 f3 -100000", 80},
        {"SADD k 1 2 100000", 80},
        {"SADD k 1 5000000000", 80},
        {"SADD k a b c", 232},
        {"ZADD k 1 a 2 b 3.5 c", 80},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        freeReplyObject(tu_cmd(c, "DEL k"));
        freeReplyObject(tu_cmd(c, cases[i].setup));
        long long got = tu_cmd_int(c, "MEMORY USAGE k");
        if (got != cases[i].bytes)
            fail_msg("%s: MEMORY USAGE %lld, Redis says %lld", cases[i].setup, got, cases[i].bytes);
    }
    /* a longer key: its sds grows with it (Redis: 264 for 200 bytes) */
    char key[201];
    memset(key, 'k', 200);
    key[200] = '\0';
    tu_cmd_ok(c, "SET %s 1", key);
    assert_int_equal(tu_cmd_int(c, "MEMORY USAGE %s", key), 264);
    tu_cmd_nil(c, "MEMORY USAGE nokey");
    tu_cmd_str(c, REDIS_REPLY_ERROR, "ERR syntax error", "MEMORY USAGE k SAMPLES -1");
    redisFree(c);
}

/* Hash tables, skiplists and big lists: within 10% of Redis' figures for
 * 200 fields / members / elements (Redis' own table sizes and skiplist
 * levels vary with its rehashing and its random levels). */
static void test_memory_usage_close(void **state)
{
    fr_server *srv = *state;
    redisContext *c = tu_connect(srv);
    for (int i = 1; i <= 200; i++) {
        redisAppendCommand(c, "HSET h field%d value%d", i, i);
        redisAppendCommand(c, "SADD s member%d", i);
        redisAppendCommand(c, "ZADD z %d member%d", i, i);
    }
    for (int i = 1; i <= 2000; i++)
        redisAppendCommand(c, "RPUSH l element-number-%d", i);
    tu_drain(c, 2600);
    static const struct {
        const char *key;
        long long redis;
    } cases[] = {{"h", 4144}, {"s", 11176}, {"z", 21720}, {"l", 49480}};
    for (size_t i = 0; i < 4; i++) {
        long long got = tu_cmd_int(c, "MEMORY USAGE %s", cases[i].key);
        long long diff = got > cases[i].redis ? got - cases[i].redis : cases[i].redis - got;
        if (diff * 10 > cases[i].redis)
            fail_msg("%s: %lld, Redis %lld", cases[i].key, got, cases[i].redis);
    }
    /* SAMPLES 0 measures every node: Redis says 41368 */
    assert_int_equal(tu_cmd_int(c, "MEMORY USAGE l SAMPLES 0"), 41368);
    /* used_memory counts them, and MEMORY STATS says the same */
    long long used = info_field(c, "memory", "used_memory");
    redisReply *r = tu_cmd(c, "MEMORY STATS");
    assert_string_equal(r->element[2]->str, "total.allocated");
    assert_int_equal(r->element[3]->integer, used);
    freeReplyObject(r);
    assert_true(used > 871000 + 41368 + 4144);
    redisFree(c);
}

static fr_server *start_config(const char *const *config)
{
    fr_options o = {.config = config};
    fr_server *srv = NULL;
    assert_int_equal(fr_server_start(&o, &srv), FR_OK);
    return srv;
}

/* Sets maxmemory to the memory in use now plus extra bytes. */
static long long limit_above_now(redisContext *c, long long extra)
{
    long long limit = info_field(c, "memory", "used_memory") + extra;
    tu_cmd_ok(c, "CONFIG SET maxmemory %lld", limit);
    return limit;
}

static void test_maxmemory_noeviction(void **state)
{
    (void)state;
    fr_server *srv = start_config(NULL);
    redisContext *c = tu_connect(srv);
    tu_cmd_ok(c, "SET keep v");
    long long limit = limit_above_now(c, 20 * 1024);
    int oom_at = -1;
    for (int i = 0; i < 2000 && oom_at < 0; i++) {
        redisReply *r = tu_cmd(c, "SET key:%d 0123456789", i);
        if (r->type == REDIS_REPLY_ERROR) {
            assert_string_equal(r->str, "OOM command not allowed when used memory > 'maxmemory'.");
            oom_at = i;
        }
        freeReplyObject(r);
    }
    assert_true(oom_at > 50);
    assert_true(info_field(c, "memory", "used_memory") > limit);
    /* reads still run; so do commands that free memory */
    tu_cmd_str(c, REDIS_REPLY_STRING, "v", "GET keep");
    assert_int_equal(tu_cmd_int(c, "DEL key:0"), 1);
    /* MULTI: queuing anything is refused, EXEC then aborts */
    for (int i = 0; i < 10; i++)
        freeReplyObject(tu_cmd(c, "SET again:%d 0123456789", i));
    tu_cmd_ok(c, "MULTI");
    tu_cmd_str(c, REDIS_REPLY_ERROR, "OOM command not allowed when used memory > 'maxmemory'.",
               "GET keep");
    tu_cmd_str(c, REDIS_REPLY_ERROR, "EXECABORT Transaction discarded because of previous errors.",
               "EXEC");
    /* a write queued while under the limit: EXEC is refused once over it,
     * and the transaction is gone (redis-server 7.0.15 answers the same) */
    redisContext *q = tu_connect(srv);
    tu_cmd_ok(c, "CONFIG SET maxmemory 0");
    tu_cmd_ok(q, "MULTI");
    tu_cmd_str(q, REDIS_REPLY_STATUS, "QUEUED", "SET queued v");
    tu_cmd_ok(c, "CONFIG SET maxmemory %lld", limit);
    tu_cmd_str(q, REDIS_REPLY_ERROR,
               "EXECABORT Transaction discarded because of: OOM command not allowed when used "
               "memory > 'maxmemory'.",
               "EXEC");
    tu_cmd_str(q, REDIS_REPLY_ERROR, "ERR EXEC without MULTI", "EXEC");
    assert_int_equal(tu_cmd_int(c, "EXISTS queued"), 0);
    redisFree(q);
    assert_int_equal(info_field(c, "stats", "evicted_keys"), 0);
    assert_true(info_has(c, "errorstats", "errorstat_OOM:count="));
    redisFree(c);
    fr_server_stop(srv);
}

/* CONFIG SET maxmemory-policy while over the limit counts from the very
 * next command, both ways (eviction parses the policy only when the config
 * says it was set, so a set must never go unseen). */
static void test_maxmemory_policy_switch(void **state)
{
    (void)state;
    fr_server *srv = start_config(NULL);
    redisContext *c = tu_connect(srv);
    for (int i = 0; i < 100; i++)
        tu_cmd_ok(c, "SET old:%03d 0123456789", i);
    limit_above_now(c, 0);
    const char *oom = "OOM command not allowed when used memory > 'maxmemory'.";
    int refused = 0;
    for (int i = 0; i < 100 && !refused; i++) {
        redisReply *r = tu_cmd(c, "SET over:%03d 0123456789", i);
        refused = r->type == REDIS_REPLY_ERROR && strcmp(r->str, oom) == 0;
        freeReplyObject(r);
    }
    assert_true(refused);
    tu_cmd_ok(c, "CONFIG SET maxmemory-policy allkeys-random");
    tu_cmd_ok(c, "SET taken 0123456789");
    assert_true(info_field(c, "stats", "evicted_keys") >= 1);
    tu_cmd_ok(c, "CONFIG SET maxmemory-policy allkeys-random"); /* the same again */
    tu_cmd_ok(c, "SET taken2 0123456789");
    tu_cmd_ok(c, "CONFIG SET maxmemory-policy noeviction");
    long long evicted = info_field(c, "stats", "evicted_keys");
    refused = 0;
    for (int i = 0; i < 100 && !refused; i++) {
        redisReply *r = tu_cmd(c, "SET last:%03d 0123456789", i);
        refused = r->type == REDIS_REPLY_ERROR && strcmp(r->str, oom) == 0;
        freeReplyObject(r);
    }
    assert_true(refused);
    assert_int_equal(info_field(c, "stats", "evicted_keys"), evicted);
    redisFree(c);
    fr_server_stop(srv);
}

/* Keys touched after a clock step survive an LRU fill; the others go. */
static void test_maxmemory_allkeys_lru(void **state)
{
    (void)state;
    static const char *const cfg[] = {"maxmemory-policy allkeys-lru", NULL};
    fr_server *srv = start_config(cfg);
    redisContext *c = tu_connect(srv);
    assert_int_equal(fr_clock_freeze(srv), FR_OK);
    for (int i = 0; i < 200; i++)
        tu_cmd_ok(c, "SET old:%03d 0123456789", i);
    long long limit = limit_above_now(c, 0);
    assert_int_equal(fr_clock_advance(srv, 60 * 1000), FR_OK);
    for (int i = 0; i < 20; i++) /* the hot ones: read a minute later */
        tu_cmd_str(c, REDIS_REPLY_STRING, "0123456789", "GET old:%03d", i);
    for (int i = 0; i < 100; i++)
        tu_cmd_ok(c, "SET new:%03d 0123456789", i);
    assert_true(info_field(c, "memory", "used_memory") <= limit);
    long long evicted = info_field(c, "stats", "evicted_keys");
    assert_true(evicted >= 99); /* the last key added is over the limit until the next command */
    for (int i = 0; i < 20; i++)
        assert_int_equal(tu_cmd_int(c, "EXISTS old:%03d", i), 1);
    int old_left = 0;
    for (int i = 20; i < 200; i++)
        old_left += (int)tu_cmd_int(c, "EXISTS old:%03d", i);
    /* the pool of the idlest seen (5 samples a round) takes cold keys */
    assert_true(old_left <= 180 - evicted + 10);
    redisFree(c);
    fr_server_stop(srv);
}

static void test_maxmemory_allkeys_lfu(void **state)
{
    (void)state;
    static const char *const cfg[] = {"maxmemory-policy allkeys-lfu", NULL};
    fr_server *srv = start_config(cfg);
    redisContext *c = tu_connect(srv);
    /* the policy is read before commands; the first one makes it count */
    tu_cmd_ok(c, "CONFIG SET maxmemory 100mb");
    for (int i = 0; i < 200; i++)
        tu_cmd_ok(c, "SET k:%03d 0123456789", i);
    for (int round = 0; round < 50; round++)
        for (int i = 0; i < 10; i++)
            freeReplyObject(tu_cmd(c, "GET k:%03d", i));
    limit_above_now(c, 0);
    for (int i = 0; i < 150; i++)
        tu_cmd_ok(c, "SET n:%03d 0123456789", i);
    for (int i = 0; i < 10; i++)
        assert_int_equal(tu_cmd_int(c, "EXISTS k:%03d", i), 1);
    assert_true(info_field(c, "stats", "evicted_keys") >= 150);
    redisFree(c);
    fr_server_stop(srv);
}

/* volatile-ttl: the keys that expire soonest go first; keys without a TTL
 * never; evicted events are published. */
static void test_maxmemory_volatile_ttl(void **state)
{
    (void)state;
    static const char *const cfg[] = {"maxmemory-policy volatile-ttl", "notify-keyspace-events Ee",
                                      NULL};
    fr_server *srv = start_config(cfg);
    redisContext *c = tu_connect(srv);
    redisContext *sub = tu_connect(srv);
    redisReply *r = tu_cmd(sub, "SUBSCRIBE __keyevent@0__:evicted");
    freeReplyObject(r);
    for (int i = 0; i < 100; i++)
        tu_cmd_ok(c, "SET persist:%03d 0123456789", i);
    for (int i = 0; i < 100; i++)
        tu_cmd_ok(c, "SET vol:%03d 0123456789 EX %d", i, 1000 + i * 100);
    long long limit = limit_above_now(c, 0);
    for (int i = 0; i < 30; i++)
        tu_cmd_ok(c, "SET more:%03d 0123456789", i);
    assert_true(info_field(c, "memory", "used_memory") <= limit);
    long long evicted = info_field(c, "stats", "evicted_keys");
    /* a volatile key frees its expires entry too: fewer than one per key added */
    assert_true(evicted >= 15 && evicted < 100);
    for (int i = 0; i < 100; i++)
        assert_int_equal(tu_cmd_int(c, "EXISTS persist:%03d", i), 1);
    /* what went is (nearly) the soonest. Sampling is random (5 keys a round
     * into a pool of 16), so a key of the last third can go when a round's
     * sample holds no sooner one: rare, but certain for some seeds, so a few
     * are allowed; a policy that ignored the TTL takes about ten */
    int late_gone = 0;
    for (int i = 70; i < 100; i++)
        late_gone += tu_cmd_int(c, "EXISTS vol:%03d", i) == 0;
    assert_true(late_gone <= 3);
    /* one message per eviction, naming keys among the soonest to expire */
    long long sum = 0;
    for (long long i = 0; i < evicted; i++) {
        r = tu_next_reply(sub);
        assert_int_equal(r->elements, 3);
        assert_string_equal(r->element[1]->str, "__keyevent@0__:evicted");
        assert_int_equal(strncmp(r->element[2]->str, "vol:", 4), 0);
        sum += atoi(r->element[2]->str + 4);
        freeReplyObject(r);
    }
    assert_true(sum / evicted < 40); /* all 100 alike would average 49.5 */
    /* nothing volatile left to evict: deny-oom commands are refused */
    tu_cmd_ok(c, "CONFIG SET maxmemory-policy volatile-lru");
    for (int i = 0; i < 100; i++)
        freeReplyObject(tu_cmd(c, "DEL vol:%03d", i));
    limit_above_now(c, 0);
    for (int i = 0; i < 50; i++)
        freeReplyObject(tu_cmd(c, "SET fill:%d 0123456789", i));
    tu_cmd_str(c, REDIS_REPLY_ERROR, "OOM command not allowed when used memory > 'maxmemory'.",
               "SET one more");
    redisFree(sub);
    redisFree(c);
    fr_server_stop(srv);
}

/* allkeys-random and volatile-random keep memory under the limit. */
static void test_maxmemory_random(void **state)
{
    (void)state;
    static const char *const pols[] = {"allkeys-random", "volatile-random", "volatile-lfu",
                                       "volatile-lru"};
    for (size_t p = 0; p < 4; p++) {
        char line[64];
        snprintf(line, sizeof line, "maxmemory-policy %s", pols[p]);
        const char *cfg[] = {line, NULL};
        fr_server *srv = start_config(cfg);
        redisContext *c = tu_connect(srv);
        long long limit = limit_above_now(c, 30 * 1024);
        for (int i = 0; i < 1000; i++)
            tu_cmd_ok(c, "SETEX key:%d 10000 x", i);
        long long used = info_field(c, "memory", "used_memory");
        if (used > limit)
            fail_msg("%s: used %lld over %lld", pols[p], used, limit);
        assert_true(info_field(c, "stats", "evicted_keys") > 0);
        /* turning maxmemory off stops the eviction */
        tu_cmd_ok(c, "CONFIG SET maxmemory 0");
        for (int i = 0; i < 100; i++)
            tu_cmd_ok(c, "SET more:%d x", i);
        assert_true(info_field(c, "memory", "used_memory") > limit);
        redisFree(c);
        fr_server_stop(srv);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_commandstats_and_errorstats, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_latencystats_and_histogram, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_slowlog, fr_fixture_setup, fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_latency_monitor, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_memory_usage_exact, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_memory_usage_close, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test(test_maxmemory_noeviction),
        cmocka_unit_test(test_maxmemory_policy_switch),
        cmocka_unit_test(test_maxmemory_allkeys_lru),
        cmocka_unit_test(test_maxmemory_allkeys_lfu),
        cmocka_unit_test(test_maxmemory_volatile_ttl),
        cmocka_unit_test(test_maxmemory_random),
        cmocka_unit_test(test_stats_from_the_first_command),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
