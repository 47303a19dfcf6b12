#include "resubscriber.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

struct resub {
    struct event_base *base;
    char *host, *name;
    int port;
    char **channels;
    size_t n;
    resub_on_message *cb;
    void *ctx;
    redisAsyncContext *ac;
    struct event *retry;
    int backoff_ms;
    int connects, failures;
    size_t confirmed; /* subscribe confirmations on this connection */
    int stopping;
};

static void connect_now(resub *r);

static void schedule_retry(resub *r)
{
    if (r->stopping)
        return;
    struct timeval tv = {0, r->backoff_ms * 1000};
    evtimer_add(r->retry, &tv);
    /* double up to 200 ms: quick in tests, gentle on a server that is down */
    r->backoff_ms = r->backoff_ms * 2 > 200 ? 200 : r->backoff_ms * 2;
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    connect_now(arg);
}

static void on_frame(redisAsyncContext *ac, void *reply, void *priv)
{
    resub *r = priv;
    redisReply *m = reply;
    if (!m || m->type != REDIS_REPLY_ARRAY || m->elements != 3)
        return;
    const char *kind = m->element[0]->str;
    if (!strcmp(kind, "subscribe")) {
        r->confirmed++;
        r->backoff_ms = 10; /* a healthy connection resets the backoff */
    } else if (!strcmp(kind, "message")) {
        r->cb(m->element[1]->str, m->element[2]->str, (size_t)m->element[2]->len, r->ctx);
    }
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    resub *r = ac->data;
    if (status != REDIS_OK) {
        /* hiredis frees the context after this callback */
        r->ac = NULL;
        r->failures++;
        schedule_retry(r);
        return;
    }
    r->connects++;
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    resub *r = ac->data;
    r->ac = NULL;
    r->confirmed = 0;
    schedule_retry(r);
}

static void connect_now(resub *r)
{
    redisAsyncContext *ac = redisAsyncConnect(r->host, r->port);
    if (!ac || ac->err) {
        if (ac)
            redisAsyncFree(ac);
        r->failures++;
        schedule_retry(r);
        return;
    }
    ac->data = r;
    r->ac = ac;
    r->confirmed = 0;
    redisLibeventAttach(ac, r->base);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    /* queued now, sent once connected: name first, then every channel */
    redisAsyncCommand(ac, NULL, NULL, "CLIENT SETNAME %s", r->name);
    for (size_t i = 0; i < r->n; i++)
        redisAsyncCommand(ac, on_frame, r, "SUBSCRIBE %s", r->channels[i]);
}

resub *resub_start(struct event_base *base, const char *host, int port, const char *name,
                   const char *const *channels, size_t n, resub_on_message *cb, void *ctx)
{
    resub *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->base = base;
    r->host = strdup(host);
    r->name = strdup(name);
    r->port = port;
    r->cb = cb;
    r->ctx = ctx;
    r->backoff_ms = 10;
    r->channels = calloc(n ? n : 1, sizeof *r->channels);
    r->retry = evtimer_new(base, on_retry, r);
    if (!r->host || !r->name || !r->channels || !r->retry) {
        resub_stop(r);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        r->channels[i] = strdup(channels[i]);
        if (!r->channels[i]) {
            resub_stop(r);
            return NULL;
        }
        r->n = i + 1;
    }
    connect_now(r);
    return r;
}

void resub_stop(resub *r)
{
    if (!r)
        return;
    r->stopping = 1;
    if (r->ac) {
        redisAsyncContext *ac = r->ac;
        r->ac = NULL;
        ac->data = r;
        redisAsyncFree(ac);
    }
    if (r->retry)
        event_free(r->retry);
    for (size_t i = 0; i < r->n; i++)
        free(r->channels[i]);
    free(r->channels);
    free(r->host);
    free(r->name);
    free(r);
}

int resub_connects(const resub *r)
{
    return r->connects;
}

int resub_failures(const resub *r)
{
    return r->failures;
}

int resub_ready(const resub *r)
{
    return r->ac && r->confirmed == r->n;
}
