/* See testutil.h. */
#include "support/testutil.h"

#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "fakeredis/blocking.h"
#include "fakeredis/harness.h"

fr_server *tu_start(void)
{
    fr_server *srv = NULL;
    char err[256] = "";
    fr_options o;
    memset(&o, 0, sizeof o);
    o.errbuf = err;
    o.errbuf_len = sizeof err;
    if (fr_server_start(&o, &srv) != FR_OK)
        fail_msg("fr_server_start: %s", err);
    return srv;
}

redisContext *tu_connect_port(int port)
{
    struct timeval tv = {10, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
    assert_non_null(c);
    if (c->err)
        fail_msg("connect: %s", c->errstr);
    redisSetTimeout(c, tv);
    return c;
}

redisContext *tu_connect(fr_server *srv)
{
    return tu_connect_port(fr_server_port(srv));
}

static redisReply *vcmd(redisContext *c, const char *fmt, va_list ap)
{
    redisReply *r = redisvCommand(c, fmt, ap);
    if (!r)
        fail_msg("'%s': no reply (%s)", fmt, c->errstr);
    return r;
}

/* Run a command whose reply must be of type, and free the reply; the
 * text of a string-like reply must be want (NULL: any). */
static long long vexpect(redisContext *c, int type, const char *want, const char *fmt, va_list ap)
{
    redisReply *r = vcmd(c, fmt, ap);
    const char *got = r->str ? r->str : "";
    if (r->type != type || (want && strcmp(got, want) != 0))
        fail_msg("'%s': got type %d '%s', want type %d '%s'", fmt, r->type, got, type,
                 want ? want : "");
    long long v = r->integer;
    freeReplyObject(r);
    return v;
}

redisReply *tu_cmd(redisContext *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = vcmd(c, fmt, ap);
    va_end(ap);
    return r;
}

long long tu_cmd_int(redisContext *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    long long v = vexpect(c, REDIS_REPLY_INTEGER, NULL, fmt, ap);
    va_end(ap);
    return v;
}

void tu_cmd_str(redisContext *c, int type, const char *want, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vexpect(c, type, want, fmt, ap);
    va_end(ap);
}

void tu_cmd_err_starts(redisContext *c, const char *prefix, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = vcmd(c, fmt, ap);
    va_end(ap);
    const char *got = r->str ? r->str : "";
    if (r->type != REDIS_REPLY_ERROR || strncmp(got, prefix, strlen(prefix)) != 0)
        fail_msg("'%s': got type %d '%s', want an error starting '%s'", fmt, r->type, got, prefix);
    freeReplyObject(r);
}

void tu_cmd_ok(redisContext *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vexpect(c, REDIS_REPLY_STATUS, "OK", fmt, ap);
    va_end(ap);
}

void tu_cmd_nil(redisContext *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vexpect(c, REDIS_REPLY_NIL, NULL, fmt, ap);
    va_end(ap);
}

void tu_drain(redisContext *c, int n)
{
    for (int i = 0; i < n; i++) {
        void *r = NULL;
        assert_int_equal(redisGetReply(c, &r), REDIS_OK);
        freeReplyObject(r);
    }
}

int tu_readable_within(redisContext *c, int ms)
{
    struct pollfd p = {c->fd, POLLIN, 0};
    return poll(&p, 1, ms) == 1;
}

redisReply *tu_next_reply(redisContext *c)
{
    void *r = NULL;
    /* a reply that came in the same read as the previous one is already
     * in hiredis' buffer: the socket has nothing more to say */
    assert_int_equal(redisReaderGetReply(c->reader, &r), REDIS_OK);
    if (r)
        return r;
    assert_true(tu_readable_within(c, TU_WAIT_MS));
    assert_int_equal(redisGetReply(c, &r), REDIS_OK);
    assert_non_null(r);
    return r;
}

void tu_expect_nil(redisContext *c)
{
    redisReply *r = tu_next_reply(c);
    assert_int_equal(r->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
}

void tu_block(fr_server *srv, redisContext *c, size_t want, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    assert_int_equal(redisvAppendCommand(c, fmt, ap), REDIS_OK);
    va_end(ap);
    int done = 0;
    while (!done)
        assert_int_equal(redisBufferWrite(c, &done), REDIS_OK);
    assert_int_equal(fr_blocked_wait(srv, want, TU_WAIT_MS), FR_OK);
}

int tu_none_blocked(void *ctx)
{
    return fr_blocked_count(ctx) == 0;
}

long long tu_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void tu_expect_pop(redisContext *c, const char *key, const char *member, const char *score)
{
    redisReply *r = tu_next_reply(c);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 3);
    assert_string_equal(r->element[0]->str, key);
    assert_string_equal(r->element[1]->str, member);
    assert_string_equal(r->element[2]->str, score);
    freeReplyObject(r);
}
