/* Pub/Sub with real clients: hiredis async subscribers on libevent
 * (channels, patterns, shard channels, unsubscribe-all), messages from
 * another client and from the C API, the subscriptions API a test uses to
 * check resubscribe-after-reconnect, a slow subscriber cut off at the
 * pubsub output buffer limit while the others keep receiving, RESP3 pushes
 * interleaved with replies, and keyspace events fired by the clock.
 *
 * Exact bytes were checked against Debian's redis-server 7.0.15 first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "fakeredis/fakeredis.h"
#include "fakeredis/harness.h"
#include "fakeredis/pubsub.h"
#include "support/rawsock.h"
#include "support/testutil.h"

/* ---- helpers ------------------------------------------------------------ */

static void exec_ok(fr_server *srv, const char *cmd)
{
    fr_reply *r = fr_execf(srv, cmd);
    assert_non_null(r);
    if (r->type == FR_REPLY_ERROR)
        fail_msg("%s: %s", cmd, r->str);
    fr_reply_free(r);
}

/* CONFIG SET name value, where value may hold spaces. */
static void config_set(fr_server *srv, const char *name, const char *value)
{
    const char *argv[] = {"CONFIG", "SET", name, value};
    fr_reply *r = fr_exec(srv, 4, argv, NULL);
    assert_non_null(r);
    if (r->type == FR_REPLY_ERROR)
        fail_msg("CONFIG SET %s: %s", name, r->str);
    fr_reply_free(r);
}

/* INFO stats' value of one field, or -1. */
static long long info_stat(fr_server *srv, const char *field)
{
    fr_reply *r = fr_execf(srv, "INFO stats");
    assert_non_null(r);
    long long v = -1;
    size_t fl = strlen(field);
    for (const char *p = r->str; p && (p = strstr(p, field)); p += fl) {
        if ((p == r->str || p[-1] == '\n') && p[fl] == ':') {
            v = atoll(p + fl + 1);
            break;
        }
    }
    fr_reply_free(r);
    return v;
}

/* Everything a hiredis async subscriber callback saw, in order. */
typedef struct frame_rec {
    char kind[16]; /* subscribe, message, pmessage, smessage, ... */
    char pattern[32];
    char channel[32];
    char payload[64];
    long long count; /* confirmations */
} frame_rec;

typedef struct sub_state {
    int connected, disconnected;
    frame_rec frames[128];
    int n;
    int replies; /* plain replies (not frames) */
} sub_state;

static void copy_str(char *dst, size_t cap, const redisReply *r)
{
    if (r && r->type == REDIS_REPLY_STRING)
        snprintf(dst, cap, "%.*s", (int)r->len, r->str);
    else
        dst[0] = '\0';
}

static void on_frame(redisAsyncContext *ac, void *reply, void *priv)
{
    sub_state *st = ac->data;
    redisReply *r = reply;
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 3 || st->n == 128)
        return;
    frame_rec *f = &st->frames[st->n++];
    memset(f, 0, sizeof *f);
    copy_str(f->kind, sizeof f->kind, r->element[0]);
    if (!strcmp(f->kind, "pmessage") && r->elements == 4) {
        copy_str(f->pattern, sizeof f->pattern, r->element[1]);
        copy_str(f->channel, sizeof f->channel, r->element[2]);
        copy_str(f->payload, sizeof f->payload, r->element[3]);
    } else {
        copy_str(f->channel, sizeof f->channel, r->element[1]);
        if (r->element[2]->type == REDIS_REPLY_INTEGER)
            f->count = r->element[2]->integer;
        else
            copy_str(f->payload, sizeof f->payload, r->element[2]);
    }
}

static void on_reply(redisAsyncContext *ac, void *reply, void *priv)
{
    sub_state *st = ac->data;
    st->replies++;
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    sub_state *st = ac->data;
    st->connected = status == REDIS_OK ? 1 : -1;
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    sub_state *st = ac->data;
    st->disconnected = 1;
}

static redisAsyncContext *async_connect(struct event_base *base, fr_server *srv, sub_state *st)
{
    memset(st, 0, sizeof *st);
    redisAsyncContext *ac = redisAsyncConnect("127.0.0.1", fr_server_port(srv));
    assert_non_null(ac);
    assert_int_equal(ac->err, 0);
    ac->data = st;
    assert_int_equal(redisLibeventAttach(ac, base), REDIS_OK);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    return ac;
}

/* Run base until the subscriber saw n frames (or the deadline). */
static int pump_frames(struct event_base *base, sub_state *st, int n)
{
    int64_t deadline = tu_mono_ms() + 5000;
    while (st->n < n && tu_mono_ms() < deadline)
        event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    return st->n >= n;
}

static int pump_until_subscribed(struct event_base *base, fr_server *srv, fr_sub_kind kind,
                                 const char *name, long long want)
{
    int64_t deadline = tu_mono_ms() + 5000;
    while (tu_mono_ms() < deadline) {
        event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
        if (fr_pubsub_numsub(srv, kind, name, strlen(name)) == want)
            return 1;
    }
    return 0;
}

static void assert_frame(const frame_rec *f, const char *kind, const char *pattern,
                         const char *channel, const char *payload)
{
    assert_string_equal(f->kind, kind);
    assert_string_equal(f->pattern, pattern ? pattern : "");
    assert_string_equal(f->channel, channel);
    assert_string_equal(f->payload, payload);
}

static void async_close(struct event_base *base, redisAsyncContext *ac, sub_state *st)
{
    redisAsyncDisconnect(ac);
    int64_t deadline = tu_mono_ms() + 5000;
    while (!st->disconnected && tu_mono_ms() < deadline)
        event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    assert_true(st->disconnected);
}

/* ---- hiredis async subscribers ------------------------------------------ */

/* One subscriber on a channel and a pattern matching it: PUBLISH from
 * another client and from the C API each reach it twice, channel first,
 * and count two receivers. */
static void test_async_channel_and_pattern(void **state)
{
    fr_server *srv = *state;
    struct event_base *base = event_base_new();
    sub_state st;
    redisAsyncContext *ac = async_connect(base, srv, &st);
    redisAsyncCommand(ac, on_frame, NULL, "SUBSCRIBE news");
    redisAsyncCommand(ac, on_frame, NULL, "PSUBSCRIBE n*");
    assert_true(pump_frames(base, &st, 2));
    assert_string_equal(st.frames[0].kind, "subscribe");
    assert_int_equal(st.frames[0].count, 1);
    assert_string_equal(st.frames[1].kind, "psubscribe");
    assert_int_equal(st.frames[1].count, 2);

    redisContext *pub = tu_connect(srv);
    assert_int_equal(tu_cmd_int(pub, "PUBLISH news %s", "from-client"), 2);
    assert_true(pump_frames(base, &st, 4));
    assert_frame(&st.frames[2], "message", NULL, "news", "from-client");
    assert_frame(&st.frames[3], "pmessage", "n*", "news", "from-client");

    assert_int_equal(fr_pubsub_publish(srv, FR_SUB_CHANNEL, "news", 4, "from-api", 8), 2);
    assert_int_equal(fr_pubsub_publish(srv, FR_SUB_CHANNEL, "nope", 4, "pattern-only", 12), 1);
    assert_int_equal(fr_pubsub_publish(srv, FR_SUB_CHANNEL, "other", 5, "nobody", 6), 0);
    assert_true(pump_frames(base, &st, 7));
    assert_frame(&st.frames[4], "message", NULL, "news", "from-api");
    assert_frame(&st.frames[5], "pmessage", "n*", "news", "from-api");
    assert_frame(&st.frames[6], "pmessage", "n*", "nope", "pattern-only");
    assert_int_equal(fr_pubsub_numsub(srv, FR_SUB_CHANNEL, "news", 4), 1);
    assert_int_equal(fr_pubsub_numsub(srv, FR_SUB_PATTERN, "n*", 2), 1);
    assert_int_equal(fr_pubsub_numsub(srv, FR_SUB_PATTERN, "news", 4), 0);
    assert_int_equal(info_stat(srv, "pubsub_channels"), 1);
    assert_int_equal(info_stat(srv, "pubsub_patterns"), 1);

    redisFree(pub);
    async_close(base, ac, &st);
    /* the closed subscriber's subscriptions went with it */
    assert_int_equal(fr_wait_clients(srv, 0, 5000), FR_OK);
    assert_int_equal(fr_pubsub_numsub(srv, FR_SUB_CHANNEL, "news", 4), 0);
    assert_int_equal(info_stat(srv, "pubsub_patterns"), 0);
    event_base_free(base);
}

/* Shard channels. hiredis before 1.2 has no notion of SSUBSCRIBE: it
 * routes an smessage by channel name among its SUBSCRIBE callbacks, newer
 * versions through the SSUBSCRIBE callback. Subscribing both ways to the
 * same name with the same callback makes every version deliver it, and
 * shows that the two namespaces are separate on the server. */
static void test_async_shard(void **state)
{
    fr_server *srv = *state;
    struct event_base *base = event_base_new();
    sub_state st;
    redisAsyncContext *ac = async_connect(base, srv, &st);
    redisAsyncCommand(ac, on_frame, NULL, "SUBSCRIBE orders");
    assert_true(pump_frames(base, &st, 1));
    redisAsyncCommand(ac, on_frame, NULL, "SSUBSCRIBE orders");
    assert_true(pump_until_subscribed(base, srv, FR_SUB_SHARD, "orders", 1));

    redisContext *pub = tu_connect(srv);
    assert_int_equal(tu_cmd_int(pub, "SPUBLISH orders %s", "shard-1"), 1);
    assert_int_equal(fr_pubsub_publish(srv, FR_SUB_SHARD, "orders", 6, "shard-2", 7), 1);
    assert_int_equal(tu_cmd_int(pub, "PUBLISH orders %s", "plain"), 1);
    assert_int_equal(tu_cmd_int(pub, "SPUBLISH nosuch %s", "x"), 0);
    /* frames: subscribe, maybe the ssubscribe confirmation, then 3 */
    int base_n = st.n;
    int64_t deadline = tu_mono_ms() + 5000;
    while (tu_mono_ms() < deadline) {
        event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
        if (st.n >= 1 && !strcmp(st.frames[st.n - 1].kind, "message"))
            break;
    }
    int first = -1;
    for (int i = 1; i < st.n; i++)
        if (!strcmp(st.frames[i].kind, "smessage")) {
            first = i;
            break;
        }
    assert_true(first > 0 && st.n >= first + 3);
    (void)base_n;
    assert_frame(&st.frames[first], "smessage", NULL, "orders", "shard-1");
    assert_frame(&st.frames[first + 1], "smessage", NULL, "orders", "shard-2");
    assert_frame(&st.frames[first + 2], "message", NULL, "orders", "plain");

    fr_reply *r = fr_execf(srv, "PUBSUB SHARDNUMSUB orders");
    assert_non_null(r);
    assert_int_equal(r->elements, 2);
    assert_int_equal(r->element[1]->integer, 1);
    fr_reply_free(r);
    assert_int_equal(info_stat(srv, "pubsubshard_channels"), 1);

    redisFree(pub);
    async_close(base, ac, &st);
    event_base_free(base);
}

/* UNSUBSCRIBE and PUNSUBSCRIBE without arguments drop every subscription
 * of their kind, one confirmation each, counting down to 0; then nothing
 * reaches the client any more. */
static void test_async_unsubscribe_all(void **state)
{
    fr_server *srv = *state;
    struct event_base *base = event_base_new();
    sub_state st;
    redisAsyncContext *ac = async_connect(base, srv, &st);
    redisAsyncCommand(ac, on_frame, NULL, "SUBSCRIBE a b c");
    redisAsyncCommand(ac, on_frame, NULL, "PSUBSCRIBE p1* p2*");
    assert_true(pump_frames(base, &st, 5));
    assert_int_equal(st.frames[4].count, 5);
    redisAsyncCommand(ac, NULL, NULL, "UNSUBSCRIBE");
    assert_true(pump_frames(base, &st, 8));
    int seen[3] = {0, 0, 0};
    for (int i = 5; i < 8; i++) {
        assert_string_equal(st.frames[i].kind, "unsubscribe");
        assert_int_equal(st.frames[i].count, 2 + (7 - i)); /* 4, 3, 2 */
        assert_int_equal(strlen(st.frames[i].channel), 1);
        seen[st.frames[i].channel[0] - 'a']++;
    }
    assert_int_equal(seen[0] + seen[1] + seen[2], 3);
    assert_true(seen[0] == 1 && seen[1] == 1 && seen[2] == 1);
    assert_int_equal(fr_pubsub_numsub(srv, FR_SUB_CHANNEL, "a", 1), 0);
    assert_int_equal(fr_pubsub_numsub(srv, FR_SUB_PATTERN, "p1*", 3), 1);

    redisAsyncCommand(ac, NULL, NULL, "PUNSUBSCRIBE");
    assert_true(pump_frames(base, &st, 10));
    assert_string_equal(st.frames[8].kind, "punsubscribe");
    assert_int_equal(st.frames[8].count, 1);
    assert_string_equal(st.frames[9].kind, "punsubscribe");
    assert_int_equal(st.frames[9].count, 0);
    assert_int_equal(fr_pubsub_numsub(srv, FR_SUB_PATTERN, "p1*", 3), 0);
    assert_int_equal(fr_pubsub_publish(srv, FR_SUB_CHANNEL, "a", 1, "x", 1), 0);
    assert_int_equal(fr_pubsub_publish(srv, FR_SUB_CHANNEL, "p1x", 3, "x", 1), 0);

    /* out of subscribed mode: an ordinary command works again */
    redisAsyncCommand(ac, on_reply, NULL, "PING");
    int64_t deadline = tu_mono_ms() + 5000;
    while (!st.replies && tu_mono_ms() < deadline)
        event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    assert_int_equal(st.replies, 1);
    assert_int_equal(st.n, 10);
    async_close(base, ac, &st);
    event_base_free(base);
}

/* ---- the subscriptions API ------------------------------------------------ */

static void subscribe_sync(redisContext *c, const char *cmd, int confirmations)
{
    redisAppendCommand(c, cmd);
    for (int i = 0; i < confirmations; i++) {
        redisReply *r = NULL;
        assert_int_equal(redisGetReply(c, (void **)&r), REDIS_OK);
        assert_non_null(r);
        assert_int_equal(r->type, REDIS_REPLY_ARRAY);
        freeReplyObject(r);
    }
}

/* A client "reconnects" and subscribes again: the snapshots of the old and
 * new connection, taken by name, compare equal exactly when it subscribed
 * to the same set. */
static void test_api_resubscribe(void **state)
{
    fr_server *srv = *state;
    redisContext *c1 = tu_connect(srv);
    redisReply *r = redisCommand(c1, "CLIENT SETNAME worker");
    freeReplyObject(r);
    subscribe_sync(c1, "SUBSCRIBE jobs events jobs", 3);
    subscribe_sync(c1, "PSUBSCRIBE cache:*", 1);
    redisAppendCommand(c1, "SSUBSCRIBE %b", "s\0hard", (size_t)6);
    redisReply *rr = NULL;
    assert_int_equal(redisGetReply(c1, (void **)&rr), REDIS_OK);
    freeReplyObject(rr);

    fr_sub_list *before = NULL;
    assert_int_equal(fr_pubsub_client_subs_by_name(srv, "worker", &before), FR_OK);
    assert_non_null(before);
    assert_int_equal(before->count[FR_SUB_CHANNEL], 2);
    assert_int_equal(before->count[FR_SUB_PATTERN], 1);
    assert_int_equal(before->count[FR_SUB_SHARD], 1);
    /* sorted bytewise */
    assert_string_equal(before->names[FR_SUB_CHANNEL][0], "events");
    assert_string_equal(before->names[FR_SUB_CHANNEL][1], "jobs");
    assert_string_equal(before->names[FR_SUB_PATTERN][0], "cache:*");
    assert_int_equal(before->lens[FR_SUB_SHARD][0], 6);
    assert_memory_equal(before->names[FR_SUB_SHARD][0], "s\0hard", 6);
    assert_true(fr_sub_list_has(before, FR_SUB_SHARD, "s\0hard", 6));
    assert_false(fr_sub_list_has(before, FR_SUB_CHANNEL, "cache:*", 7));

    /* the same by id */
    fr_sub_list *by_id = NULL;
    assert_int_equal(fr_pubsub_client_subs(srv, before->client_id, &by_id), FR_OK);
    assert_true(fr_sub_list_equal(before, by_id));
    fr_sub_list_free(by_id);

    /* CLIENT LIST shows the counts */
    fr_reply *list = fr_execf(srv, "CLIENT LIST");
    assert_non_null(list);
    assert_non_null(strstr(list->str, "name=worker"));
    assert_non_null(strstr(list->str, " sub=2 psub=1 ssub=1 "));
    assert_non_null(strstr(list->str, "flags=P "));
    fr_reply_free(list);

    /* the connection drops; a new one with the same name comes back with
     * the same subscriptions in another order */
    redisFree(c1);
    assert_int_equal(fr_wait_clients(srv, 0, 5000), FR_OK);
    fr_sub_list *gone = NULL;
    assert_int_equal(fr_pubsub_client_subs_by_name(srv, "worker", &gone), FR_ERR_ARG);
    assert_null(gone);

    redisContext *c2 = tu_connect(srv);
    r = redisCommand(c2, "CLIENT SETNAME worker");
    freeReplyObject(r);
    subscribe_sync(c2, "PSUBSCRIBE cache:*", 1);
    subscribe_sync(c2, "SUBSCRIBE events", 1);
    fr_sub_list *partial = NULL;
    assert_int_equal(fr_pubsub_client_subs_by_name(srv, "worker", &partial), FR_OK);
    assert_false(fr_sub_list_equal(before, partial));
    subscribe_sync(c2, "SUBSCRIBE jobs", 1);
    redisAppendCommand(c2, "SSUBSCRIBE %b", "s\0hard", (size_t)6);
    assert_int_equal(redisGetReply(c2, (void **)&rr), REDIS_OK);
    freeReplyObject(rr);
    fr_sub_list *after = NULL;
    assert_int_equal(fr_pubsub_client_subs_by_name(srv, "worker", &after), FR_OK);
    assert_true(fr_sub_list_equal(before, after));
    assert_true(after->client_id != before->client_id);

    /* a client with nothing subscribed has an empty list */
    redisContext *idle = tu_connect(srv);
    r = redisCommand(idle, "CLIENT ID");
    fr_sub_list *none = NULL;
    assert_int_equal(fr_pubsub_client_subs(srv, (uint64_t)r->integer, &none), FR_OK);
    freeReplyObject(r);
    assert_int_equal(none->count[0] + none->count[1] + none->count[2], 0);

    /* errors */
    fr_sub_list *bad = NULL;
    assert_int_equal(fr_pubsub_client_subs(srv, 999999, &bad), FR_ERR_ARG);
    assert_null(bad);
    assert_int_equal(fr_pubsub_client_subs(NULL, 1, &bad), FR_ERR_ARG);
    assert_int_equal(fr_pubsub_publish(srv, FR_SUB_PATTERN, "x", 1, "y", 1), FR_ERR_ARG);
    assert_int_equal(fr_pubsub_numsub(srv, (fr_sub_kind)7, "x", 1), FR_ERR_ARG);
    assert_false(fr_sub_list_equal(before, NULL));

    fr_sub_list_free(before);
    fr_sub_list_free(partial);
    fr_sub_list_free(after);
    fr_sub_list_free(none);
    fr_sub_list_free(NULL);
    redisFree(c2);
    redisFree(idle);
}

/* fr_exec's pseudo client has no socket to deliver to: it may publish,
 * not subscribe. */
static void test_api_exec_client(void **state)
{
    fr_server *srv = *state;
    fr_reply *r = fr_execf(srv, "SUBSCRIBE x");
    assert_non_null(r);
    assert_int_equal(r->type, FR_REPLY_ERROR);
    fr_reply_free(r);
    r = fr_execf(srv, "PUBLISH x y");
    assert_non_null(r);
    assert_int_equal(r->type, FR_REPLY_INTEGER);
    assert_int_equal(r->integer, 0);
    fr_reply_free(r);
}

/* ---- slow subscribers ------------------------------------------------------ */

enum { BIG = 16 * 1024 };

/* A slow subscriber's receive buffer, set before connect() so the window is
 * small from the start (shrinking it later makes the kernel drop segments
 * and crawl through retransmits): the kernel then absorbs little of what
 * the server queues for a client that does not read. */
enum { SMALL_RCVBUF = 4096 };

static size_t message_frame(char *out, const char *ch, const char *payload, size_t plen)
{
    int n = sprintf(out, "*3\r\n$7\r\nmessage\r\n$%zu\r\n%s\r\n$%zu\r\n", strlen(ch), ch, plen);
    memcpy(out + n, payload, plen);
    memcpy(out + n + plen, "\r\n", 2);
    return (size_t)n + plen + 2;
}

/* A subscriber that never reads is disconnected once the bytes queued for
 * it reach the pubsub hard limit; the subscriber that reads keeps getting
 * every message, before and after. */
static void test_slow_subscriber_hard_limit(void **state)
{
    fr_server *srv = *state;
    config_set(srv, "client-output-buffer-limit", "pubsub 256kb 0 0");

    int slow = rs_connect_rcvbuf(fr_server_port(srv), SMALL_RCVBUF);
    int fast = rs_connect(fr_server_port(srv));
    assert_true(slow >= 0 && fast >= 0);
    const char *conf = "*3\r\n$9\r\nsubscribe\r\n$4\r\nfeed\r\n:1\r\n";
    assert_true(rs_roundtrip(slow, "SUBSCRIBE feed\r\n", conf));
    assert_true(rs_roundtrip(fast, "SUBSCRIBE feed\r\n", conf));
    long long killed0 = info_stat(srv, "client_output_buffer_limit_disconnections");

    static char payload[BIG];
    static char want[BIG + 64], got[BIG + 64];
    memset(payload, 'x', sizeof payload);
    int published = 0, fast_got = 0;
    /* the kernel absorbs some megabytes before the server's queue grows:
     * 2000 messages (32 MB) is far more than enough */
    while (published < 2000) {
        snprintf(payload, 16, "%08d", published);
        long long n = fr_pubsub_publish(srv, FR_SUB_CHANNEL, "feed", 4, payload, BIG);
        assert_true(n >= 1);
        published++;
        size_t wl = message_frame(want, "feed", payload, BIG);
        assert_int_equal(rs_read_n(fast, got, wl, 5000, NULL), wl);
        assert_memory_equal(got, want, wl);
        fast_got++;
        if (n == 1 && fr_pubsub_numsub(srv, FR_SUB_CHANNEL, "feed", 4) == 1)
            break; /* only the fast one is left */
    }
    assert_true(published < 2000);
    assert_int_equal(info_stat(srv, "client_output_buffer_limit_disconnections"), killed0 + 1);
    assert_int_equal(fr_wait_clients(srv, 1, 5000), FR_OK);

    /* the slow one reads a prefix of the stream, then the close */
    static char sink[8 << 20];
    int eof = 0;
    size_t slow_bytes = rs_read_to_eof(slow, sink, sizeof sink, 5000, &eof);
    assert_true(eof);
    assert_true(slow_bytes < (size_t)published * (BIG + 40));

    /* the fast one goes on */
    assert_int_equal(fr_pubsub_publish(srv, FR_SUB_CHANNEL, "feed", 4, "after", 5), 1);
    size_t wl = message_frame(want, "feed", "after", 5);
    assert_int_equal(rs_read_n(fast, got, wl, 5000, NULL), wl);
    assert_memory_equal(got, want, wl);
    assert_int_equal(fast_got, published);
    close(slow);
    close(fast);
}

/* The soft limit: over it for longer than soft_seconds disconnects; a
 * client that drains below it in time stays. */
static void test_slow_subscriber_soft_limit(void **state)
{
    fr_server *srv = *state;
    config_set(srv, "client-output-buffer-limit", "pubsub 0 64kb 1");
    int slow = rs_connect_rcvbuf(fr_server_port(srv), SMALL_RCVBUF);
    assert_true(
        rs_roundtrip(slow, "SUBSCRIBE soft\r\n", "*3\r\n$9\r\nsubscribe\r\n$4\r\nsoft\r\n:1\r\n"));
    static char payload[BIG];
    memset(payload, 'y', sizeof payload);
    /* fill the kernel buffers and cross the soft limit... */
    int64_t deadline = tu_mono_ms() + 10000;
    int gone = 0;
    while (!gone && tu_mono_ms() < deadline) {
        fr_pubsub_publish(srv, FR_SUB_CHANNEL, "soft", 4, payload, BIG);
        gone = fr_pubsub_numsub(srv, FR_SUB_CHANNEL, "soft", 4) == 0;
        if (!gone) {
            /* ...and stay over it: keep publishing slowly for > 1 s */
            struct timespec ts = {0, 20 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    assert_true(gone);
    assert_true(info_stat(srv, "client_output_buffer_limit_disconnections") >= 1);
    close(slow);
}

/* CLIENT KILL TYPE pubsub closes the subscribed clients only. */
static void test_client_kill_type_pubsub(void **state)
{
    fr_server *srv = *state;
    int sub = rs_connect(fr_server_port(srv));
    int plain = rs_connect(fr_server_port(srv));
    assert_true(
        rs_roundtrip(sub, "PSUBSCRIBE k*\r\n", "*3\r\n$10\r\npsubscribe\r\n$2\r\nk*\r\n:1\r\n"));
    assert_true(rs_roundtrip(plain, "PING\r\n", "+PONG\r\n"));
    assert_true(rs_roundtrip(plain, "CLIENT KILL TYPE pubsub\r\n", ":1\r\n"));
    char buf[16];
    int eof = 0;
    rs_read_to_eof(sub, buf, sizeof buf, 5000, &eof);
    assert_true(eof);
    assert_true(rs_roundtrip(plain, "PUBSUB NUMPAT\r\n", ":0\r\n"));
    close(sub);
    close(plain);
}

/* ---- RESP3 ---------------------------------------------------------------- */

/* A RESP3 subscriber may run any command; pushes and replies interleave
 * in the order Redis sends them (a push made by a command before its
 * reply). */
static void test_resp3_push_interleaved(void **state)
{
    fr_server *srv = *state;
    int fd = rs_connect(fr_server_port(srv));
    assert_int_equal(rs_write_str(fd, "HELLO 3\r\n"), 0);
    char hello[512];
    assert_true(rs_wait_readable(fd, 5000));
    assert_true(recv(fd, hello, sizeof hello, 0) > 0);
    assert_int_equal(hello[0], '%');

    assert_int_equal(rs_write_str(fd, "SUBSCRIBE ch\r\n"), 0);
    rs_expect(fd, ">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n");
    assert_int_equal(fr_pubsub_publish(srv, FR_SUB_CHANNEL, "ch", 2, "m1", 2), 1);
    rs_expect(fd, ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nm1\r\n");

    /* pipelined: SET, PUBLISH to itself, GET */
    assert_int_equal(rs_write_str(fd, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"
                                      "*3\r\n$7\r\nPUBLISH\r\n$2\r\nch\r\n$4\r\nself\r\n"
                                      "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"),
                     0);
    rs_expect(fd, "+OK\r\n>3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$4\r\nself\r\n:1\r\n$1\r\nv\r\n");

    /* a message published between two commands lands between replies */
    assert_int_equal(rs_write_str(fd, "PING\r\n"), 0);
    rs_expect(fd, "+PONG\r\n");
    assert_int_equal(fr_pubsub_publish(srv, FR_SUB_CHANNEL, "ch", 2, "m2", 2), 1);
    assert_int_equal(rs_write_str(fd, "ECHO e\r\n"), 0);
    rs_expect(fd, ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nm2\r\n$1\r\ne\r\n");

    /* RESP3 null channel for unsubscribe-all with nothing left */
    assert_int_equal(rs_write_str(fd, "UNSUBSCRIBE\r\nUNSUBSCRIBE\r\n"), 0);
    rs_expect(fd, ">3\r\n$11\r\nunsubscribe\r\n$2\r\nch\r\n:0\r\n"
                  ">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n");
    close(fd);
}

/* A big message is encoded once per protocol and shared by reference:
 * RESP2 and RESP3 subscribers, by channel and by pattern, each get their
 * own shape of it, byte for byte. */
static void test_big_message_both_protocols(void **state)
{
    fr_server *srv = *state;
    int r2 = rs_connect(fr_server_port(srv));
    int r3 = rs_connect(fr_server_port(srv));
    assert_int_equal(rs_write_str(r3, "HELLO 3\r\n"), 0);
    char hello[512];
    assert_true(rs_wait_readable(r3, 5000));
    assert_true(recv(r3, hello, sizeof hello, 0) > 0);
    assert_true(
        rs_roundtrip(r2, "SUBSCRIBE big\r\n", "*3\r\n$9\r\nsubscribe\r\n$3\r\nbig\r\n:1\r\n"));
    assert_true(
        rs_roundtrip(r3, "PSUBSCRIBE b?g\r\n", ">3\r\n$10\r\npsubscribe\r\n$3\r\nb?g\r\n:1\r\n"));
    static char payload[5000], want[6000], got[6000];
    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (char)('a' + i % 26);
    for (int round = 0; round < 3; round++) {
        assert_int_equal(fr_pubsub_publish(srv, FR_SUB_CHANNEL, "big", 3, payload, sizeof payload),
                         2);
        size_t wl = message_frame(want, "big", payload, sizeof payload);
        assert_int_equal(rs_read_n(r2, got, wl, 5000, NULL), wl);
        assert_memory_equal(got, want, wl);
        int h = sprintf(want, ">4\r\n$8\r\npmessage\r\n$3\r\nb?g\r\n$3\r\nbig\r\n$%zu\r\n",
                        sizeof payload);
        memcpy(want + h, payload, sizeof payload);
        memcpy(want + h + sizeof payload, "\r\n", 2);
        wl = (size_t)h + sizeof payload + 2;
        assert_int_equal(rs_read_n(r3, got, wl, 5000, NULL), wl);
        assert_memory_equal(got, want, wl);
    }
    close(r2);
    close(r3);
}

/* RESP2 in subscribed mode: Redis' error for other commands, PING's
 * array form, RESET back to normal. */
static void test_resp2_subscribed_mode(void **state)
{
    fr_server *srv = *state;
    int fd = rs_connect(fr_server_port(srv));
    assert_true(
        rs_roundtrip(fd, "SSUBSCRIBE s\r\n", "*3\r\n$10\r\nssubscribe\r\n$1\r\ns\r\n:1\r\n"));
    assert_true(rs_roundtrip(fd, "GET k\r\n",
                             "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / "
                             "(P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this "
                             "context\r\n"));
    assert_true(rs_roundtrip(fd, "PING\r\n", "*2\r\n$4\r\npong\r\n$0\r\n\r\n"));
    assert_true(rs_roundtrip(fd, "RESET\r\n", "+RESET\r\n"));
    assert_true(rs_roundtrip(fd, "PING\r\n", "+PONG\r\n"));
    assert_int_equal(fr_pubsub_numsub(srv, FR_SUB_SHARD, "s", 1), 0);
    close(fd);
}

/* ---- keyspace events ------------------------------------------------------- */

/* "expired" is fired by the clock: a frozen clock advanced past the TTL
 * publishes it before fr_clock_advance returns. */
static void test_keyspace_expired_by_clock(void **state)
{
    fr_server *srv = *state;
    exec_ok(srv, "CONFIG SET notify-keyspace-events Ex");
    int fd = rs_connect(fr_server_port(srv));
    assert_true(rs_roundtrip(fd, "SUBSCRIBE __keyevent@0__:expired\r\n",
                             "*3\r\n$9\r\nsubscribe\r\n$22\r\n__keyevent@0__:expired\r\n:1\r\n"));
    exec_ok(srv, "SET session v PX 5000");
    assert_true(rs_quiet_for(fd, 50));
    assert_int_equal(fr_clock_advance(srv, 6000), FR_OK);
    rs_expect(fd, "*3\r\n$7\r\nmessage\r\n$22\r\n__keyevent@0__:expired\r\n$7\r\nsession\r\n");
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_async_channel_and_pattern, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_async_shard, fr_fixture_setup, fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_async_unsubscribe_all, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_api_resubscribe, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_api_exec_client, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_slow_subscriber_hard_limit, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_slow_subscriber_soft_limit, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_client_kill_type_pubsub, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_resp3_push_interleaved, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_big_message_both_protocols, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_resp2_subscribed_mode, fr_fixture_setup,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_keyspace_expired_by_clock, fr_fixture_setup_frozen,
                                        fr_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
