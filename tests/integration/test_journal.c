/* The command journal: what it records (commands with their arguments,
 * reply types and error texts, client names, faults, connects and
 * disconnects, listening), what it leaves out (fr_exec, FAKE.*), marks and
 * queries, its bound, and FAKE.JOURNAL on the wire. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fakeredis/events.h"
#include "fakeredis/fault.h"
#include "fakeredis/harness.h"
#include "fakeredis/journal.h"
#include "support/rawsock.h"
#include "support/testutil.h"

static long long count(fr_server *srv, const char *pattern)
{
    fr_journal_query q = {.command = pattern};
    return fr_journal_count(srv, &q);
}

static void test_commands_and_replies(void **state)
{
    fr_server *srv = tu_start();
    redisContext *c = tu_connect(srv);
    tu_cmd_ok(c, "CLIENT SETNAME worker");
    tu_cmd_ok(c, "SET user:1 alice");
    tu_cmd_str(c, REDIS_REPLY_STRING, "alice", "GET user:1");
    tu_cmd_nil(c, "GET user:2");
    freeReplyObject(tu_cmd(c, "LPUSH user:1 x")); /* WRONGTYPE */
    freeReplyObject(tu_cmd(c, "NOSUCH a b"));
    fr_reply_free(fr_execf(srv, "GET user:1")); /* the test's own: not journaled */

    assert_int_equal(count(srv, "GET user:*"), 2);
    assert_int_equal(count(srv, "get"), 2); /* any case for the name */
    assert_int_equal(count(srv, "SET user:1 alice"), 1);
    assert_int_equal(count(srv, "SET user:1 bob"), 0);
    assert_int_equal(count(srv, "*"), 6);
    fr_journal_query q = {.command = "GET", .client = "work*"};
    assert_int_equal(fr_journal_count(srv, &q), 2);
    q.client = "other";
    assert_int_equal(fr_journal_count(srv, &q), 0);

    fr_journal *j = NULL;
    fr_journal_query all = {.kinds = FR_JK(FR_J_CONNECT) | FR_JK(FR_J_COMMAND)};
    assert_int_equal(fr_journal_get(srv, &all, &j), FR_OK);
    assert_int_equal(j->n, 7); /* connect + 6 commands */
    assert_int_equal(j->entries[0].kind, FR_J_CONNECT);
    assert_true(strncmp(j->entries[0].addr, "127.0.0.1:", 10) == 0);
    uint64_t id = j->entries[0].client_id;
    assert_true(id > 0);
    const fr_journal_entry *set = &j->entries[2];
    assert_int_equal(set->kind, FR_J_COMMAND);
    assert_int_equal(set->client_id, id);
    assert_string_equal(set->client_name, "worker");
    assert_int_equal(set->argc, 3);
    assert_string_equal(set->argv[0], "SET");
    assert_string_equal(set->argv[2], "alice");
    assert_int_equal(set->reply, '+');
    assert_int_equal(j->entries[3].reply, '$');
    assert_int_equal(j->entries[5].reply, '-');
    assert_string_equal(j->entries[5].error,
                        "WRONGTYPE Operation against a key holding the wrong kind of value");
    assert_true(strncmp(j->entries[6].error, "ERR unknown command 'NOSUCH'", 28) == 0);
    assert_true(j->entries[1].time_us <= j->entries[6].time_us);
    char *text = NULL;
    assert_int_equal(fr_journal_format(j, &text), FR_OK);
    assert_non_null(strstr(text, "worker SET \"user:1\" \"alice\" -> +\n"));
    assert_non_null(strstr(text, "-> -WRONGTYPE"));
    assert_non_null(strstr(text, "connect 127.0.0.1:"));
    free(text);
    fr_journal_free(j);

    redisFree(c);
    assert_int_equal(fr_wait_clients(srv, 0, TU_WAIT_MS), FR_OK);
    fr_journal_query d = {.kinds = FR_JK(FR_J_DISCONNECT), .client_id = id};
    assert_int_equal(fr_journal_count(srv, &d), 1);
    fr_server_stop(srv);
}

static void test_marks_faults_and_held_commands(void **state)
{
    fr_server *srv = tu_start();
    int fd = rs_connect_srv(srv);
    rs_send(fd, "PING\r\n");
    rs_expect(fd, "+PONG\r\n");
    uint64_t mark = 0;
    assert_int_equal(fr_journal_mark(srv, &mark), FR_OK);
    assert_true(mark >= 2);
    uint64_t rule;
    assert_int_equal(fr_fault_add_text(srv, "cmd=GET action=error err=loading once", &rule), FR_OK);
    rs_send(fd, "GET a\r\nGET b\r\n");
    rs_expect(fd, "-LOADING Redis is loading the dataset in memory\r\n$-1\r\n");
    fr_journal_query q = {.command = "GET", .since = mark};
    fr_journal *j = NULL;
    assert_int_equal(fr_journal_get(srv, &q, &j), FR_OK);
    assert_int_equal(j->n, 2);
    assert_int_equal(j->entries[0].nfaults, 1);
    assert_int_equal(j->entries[0].faults[0], rule);
    assert_int_equal(j->entries[0].reply, '-');
    assert_string_equal(j->entries[0].error, "LOADING Redis is loading the dataset in memory");
    assert_int_equal(j->entries[1].nfaults, 0);
    assert_int_equal(j->entries[1].reply, '$');
    fr_journal_free(j);

    /* a stalled command, run once the rule goes: one entry */
    assert_int_equal(fr_fault_add_text(srv, "cmd=ECHO action=stall", &rule), FR_OK);
    rs_send(fd, "ECHO hi\r\n");
    assert_int_equal(fr_journal_mark(srv, &mark), FR_OK);
    assert_int_equal(fr_fault_clear(srv, rule), FR_OK);
    rs_expect(fd, "$2\r\nhi\r\n");
    assert_int_equal(count(srv, "ECHO hi"), 1);
    /* a dropped reply: the entry says none came */
    assert_int_equal(fr_fault_add_text(srv, "cmd=ECHO action=drop once", &rule), FR_OK);
    rs_send(fd, "ECHO gone\r\nPING\r\n");
    rs_expect(fd, "+PONG\r\n");
    q.command = "ECHO gone";
    q.since = 0;
    assert_int_equal(fr_journal_get(srv, &q, &j), FR_OK);
    assert_int_equal(j->n, 1);
    assert_int_equal(j->entries[0].reply, 0);
    assert_int_equal(j->entries[0].nfaults, 1);
    fr_journal_free(j);

    /* FAKE.* are steering, not client behaviour */
    rs_send(fd, "FAKE.CLOCK GET\r\n");
    char buf[64];
    assert_true(rs_read_n(fd, buf, 3, 2000, NULL) > 0);
    assert_int_equal(count(srv, "FAKE.*"), 0);

    /* listening and accept-level faults are entries of their own */
    assert_int_equal(fr_journal_mark(srv, &mark), FR_OK);
    assert_int_equal(fr_server_set_listening(srv, 0), FR_OK);
    assert_int_equal(fr_server_set_listening(srv, 1), FR_OK);
    fr_journal_query k = {.kinds = FR_JK(FR_J_LISTEN_ON) | FR_JK(FR_J_LISTEN_OFF), .since = mark};
    assert_int_equal(fr_journal_get(srv, &k, &j), FR_OK);
    assert_int_equal(j->n, 2);
    assert_int_equal(j->entries[0].kind, FR_J_LISTEN_OFF);
    assert_int_equal(j->entries[1].kind, FR_J_LISTEN_ON);
    fr_journal_free(j);
    close(fd);
    fr_server_stop(srv);
}

static void test_bounded_and_off(void **state)
{
    fr_options o = {.journal_size = 8};
    fr_server *srv;
    assert_int_equal(fr_server_start(&o, &srv), FR_OK);
    redisContext *c = tu_connect(srv);
    for (int i = 0; i < 20; i++)
        tu_cmd_int(c, "INCR n");
    fr_journal *j = NULL;
    assert_int_equal(fr_journal_get(srv, NULL, &j), FR_OK);
    assert_int_equal(j->n, 8);
    assert_int_equal(j->lost, 14); /* listening, connect + 12 INCRs left */
    assert_int_equal(j->entries[7].seq, 22);
    fr_journal_free(j);
    assert_int_equal(fr_journal_clear(srv), FR_OK);
    assert_int_equal(count(srv, "*"), 0);
    tu_cmd_int(c, "INCR n");
    assert_int_equal(count(srv, "*"), 1);
    /* a huge argument is kept cut */
    char *big = malloc(100000);
    memset(big, 'v', 100000);
    freeReplyObject(tu_cmd(c, "SET big %b", big, (size_t)100000));
    free(big);
    fr_journal_query q = {.command = "SET big"};
    assert_int_equal(fr_journal_get(srv, &q, &j), FR_OK);
    assert_int_equal(j->n, 1);
    assert_int_equal(j->entries[0].truncated, 1);
    assert_int_equal(j->entries[0].argvlen[2], FR_JOURNAL_ARG_MAX);
    fr_journal_free(j);
    redisFree(c);
    fr_server_stop(srv);

    o.journal_size = -1;
    assert_int_equal(fr_server_start(&o, &srv), FR_OK);
    uint64_t mark;
    assert_int_equal(fr_journal_mark(srv, &mark), FR_ERR_STATE);
    assert_int_equal(fr_journal_count(srv, NULL), FR_ERR_STATE);
    fr_server_stop(srv);
}

/* A ring of 100 entries (its slots come in chunks, made as the ring
 * first reaches them) wrapped twice: the last 100 entries, in order, with
 * their arguments, whatever chunk they sit in. */
static void test_bounded_ring_wraps(void **state)
{
    fr_options o = {.journal_size = 100};
    fr_server *srv;
    assert_int_equal(fr_server_start(&o, &srv), FR_OK);
    redisContext *c = tu_connect(srv);
    for (int i = 1; i <= 250; i++)
        tu_cmd_int(c, "INCRBY n %d", i % 7 + 1);
    fr_journal *j = NULL;
    assert_int_equal(fr_journal_get(srv, NULL, &j), FR_OK);
    assert_int_equal(j->n, 100);
    assert_int_equal(j->lost, 152); /* listening, connect + 150 INCRBYs left */
    for (size_t k = 0; k < j->n; k++) {
        int i = 151 + (int)k; /* the INCRBY this entry is */
        char arg[8];
        snprintf(arg, sizeof arg, "%d", i % 7 + 1);
        assert_int_equal(j->entries[k].seq, (uint64_t)i + 2);
        assert_int_equal(j->entries[k].argc, 3);
        assert_int_equal(j->entries[k].argvlen[2], strlen(arg));
        assert_memory_equal(j->entries[k].argv[2], arg, strlen(arg));
    }
    fr_journal_free(j);
    redisFree(c);
    fr_server_stop(srv);
}

/* Arguments of every length class come back byte for byte: short ones,
 * those around 127/128 bytes, up to the cut at FR_JOURNAL_ARG_MAX, and a
 * client name before them; in a ring of 3 whose slots are reused by
 * entries bigger and smaller than the last ones they held. */
static void test_argument_lengths(void **state)
{
    static const size_t lens[] = {0, 1, 44, 45, 126, 127, 128, 129, 300, 511, 512, 513, 4000};
    fr_options o = {.journal_size = 3};
    fr_server *srv;
    assert_int_equal(fr_server_start(&o, &srv), FR_OK);
    redisContext *c = tu_connect(srv);
    tu_cmd_ok(c, "CLIENT SETNAME worker-7");
    char *v = malloc(4000);
    for (size_t i = 0; i < 4000; i++)
        v[i] = (char)('a' + i % 26);
    size_t n = sizeof lens / sizeof lens[0];
    /* forward, then backward: each slot sees growth and shrinking */
    for (size_t round = 0; round < 2 * n; round++) {
        size_t len = lens[round < n ? round : 2 * n - 1 - round];
        char key[16];
        snprintf(key, sizeof key, "k%zu", len);
        tu_cmd_ok(c, "SET %s %b", key, v, len);
        fr_journal *j = NULL;
        fr_journal_query q = {.command = "SET", .limit = 0};
        assert_int_equal(fr_journal_get(srv, &q, &j), FR_OK);
        assert_true(j->n >= 1);
        const fr_journal_entry *e = &j->entries[j->n - 1];
        size_t kept = len < FR_JOURNAL_ARG_MAX ? len : FR_JOURNAL_ARG_MAX;
        assert_string_equal(e->client_name, "worker-7");
        assert_int_equal(e->argc, 3);
        assert_int_equal(e->nargv, 3);
        assert_string_equal(e->argv[1], key);
        assert_int_equal(e->argvlen[2], kept);
        assert_memory_equal(e->argv[2], v, kept);
        assert_int_equal(e->truncated, kept < len);
        assert_int_equal(e->reply, '+');
        fr_journal_free(j);
    }
    free(v);
    redisFree(c);
    fr_server_stop(srv);
}

static void test_wire(void **state)
{
    fr_server *srv = tu_start();
    redisContext *c = tu_connect(srv);
    tu_cmd_ok(c, "SET k v");
    long long mark = tu_cmd_int(c, "FAKE.JOURNAL MARK");
    tu_cmd_str(c, REDIS_REPLY_STRING, "v", "GET k");
    tu_cmd_nil(c, "GET nope");
    assert_int_equal(tu_cmd_int(c, "FAKE.JOURNAL COUNT MATCH GET"), 2);
    assert_int_equal(tu_cmd_int(c, "FAKE.JOURNAL COUNT MATCH %s SINCE %lld", "GET k", mark), 1);
    /* listening (at start), connect, SET, GET, GET */
    assert_int_equal(tu_cmd_int(c, "FAKE.JOURNAL COUNT MATCH %s ALL", "*"), 5);
    redisReply *r = tu_cmd(c, "FAKE.JOURNAL GET MATCH GET LIMIT 1");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 1);
    redisReply *e = r->element[0];
    assert_int_equal(e->elements, 22);
    assert_string_equal(e->element[10]->str, "argv");
    assert_int_equal(e->element[11]->elements, 2);
    assert_string_equal(e->element[11]->element[1]->str, "k");
    assert_string_equal(e->element[14]->str, "reply");
    assert_string_equal(e->element[15]->str, "$");
    freeReplyObject(r);
    r = tu_cmd(c, "FAKE.JOURNAL PRINT MATCH GET");
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    assert_non_null(strstr(r->str, "GET \"nope\" -> $"));
    freeReplyObject(r);
    r = tu_cmd(c, "FAKE.JOURNAL COUNT MATCH \"unterminated");
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    freeReplyObject(r);
    tu_cmd_ok(c, "FAKE.JOURNAL CLEAR");
    assert_int_equal(tu_cmd_int(c, "FAKE.JOURNAL COUNT"), 0);
    redisFree(c);
    fr_server_stop(srv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commands_and_replies),
        cmocka_unit_test(test_marks_faults_and_held_commands),
        cmocka_unit_test(test_bounded_and_off),
        cmocka_unit_test(test_bounded_ring_wraps),
        cmocka_unit_test(test_argument_lengths),
        cmocka_unit_test(test_wire),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
