#include "subscriber.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

struct subscriber {
    struct event_base *base;
    char *host, *name;
    int port;
    char **names[2]; /* channels, patterns */
    size_t n[2];
    sub_on_message *cb;
    void *ctx;
    redisAsyncContext *ac;
    struct event *retry;
    int backoff_ms, backoff_min, backoff_max;
    int connects, failures;
    int ever_subscribed;
    size_t confirmed; /* confirmations on this connection */
    uint64_t received, lost, last_seq;
    int stopping;
};

static void connect_now(subscriber *s);

static void schedule_retry(subscriber *s)
{
#ifdef SUBSCRIBER_NO_RECONNECT
    if (s->connects > 0)
        return;
#endif
    if (s->stopping)
        return;
    struct timeval tv = {s->backoff_ms / 1000, (s->backoff_ms % 1000) * 1000};
    evtimer_add(s->retry, &tv);
    s->backoff_ms = s->backoff_ms * 2 > s->backoff_max ? s->backoff_max : s->backoff_ms * 2;
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    connect_now(arg);
}

/* "<seq>:<text>": count the numbers it skipped */
static void track(subscriber *s, const char *payload, size_t len)
{
    uint64_t seq = 0;
    size_t i = 0;
    while (i < len && payload[i] >= '0' && payload[i] <= '9')
        seq = seq * 10 + (uint64_t)(payload[i++] - '0');
    if (i == 0 || i >= len || payload[i] != ':')
        return;
    if (s->last_seq && seq > s->last_seq + 1)
        s->lost += seq - s->last_seq - 1;
    if (seq > s->last_seq)
        s->last_seq = seq;
}

static void on_frame(redisAsyncContext *ac, void *reply, void *priv)
{
    subscriber *s = priv;
    redisReply *m = reply;
    if (!m || m->type != REDIS_REPLY_ARRAY || m->elements < 3)
        return;
    const char *kind = m->element[0]->str;
    if (!strcmp(kind, "subscribe") || !strcmp(kind, "psubscribe")) {
        s->confirmed++;
        s->ever_subscribed = 1;
        s->backoff_ms = s->backoff_min; /* a healthy connection resets the backoff */
    } else if (!strcmp(kind, "message") && m->elements == 3) {
        s->received++;
        track(s, m->element[2]->str, (size_t)m->element[2]->len);
        s->cb(m->element[1]->str, NULL, m->element[2]->str, (size_t)m->element[2]->len, s->ctx);
    } else if (!strcmp(kind, "pmessage") && m->elements == 4) {
        s->received++;
        track(s, m->element[3]->str, (size_t)m->element[3]->len);
        s->cb(m->element[2]->str, m->element[1]->str, m->element[3]->str,
              (size_t)m->element[3]->len, s->ctx);
    }
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    subscriber *s = ac->data;
    if (status != REDIS_OK) {
        s->ac = NULL; /* hiredis frees the context after this callback */
        s->failures++;
        schedule_retry(s);
        return;
    }
    s->connects++;
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    subscriber *s = ac->data;
    s->ac = NULL;
    if (s->confirmed < s->n[0] + s->n[1])
        s->failures++; /* lost before it was ready */
    s->confirmed = 0;
    schedule_retry(s);
}

static void connect_now(subscriber *s)
{
    redisAsyncContext *ac = redisAsyncConnect(s->host, s->port);
    if (!ac || ac->err) {
        if (ac)
            redisAsyncFree(ac);
        s->failures++;
        schedule_retry(s);
        return;
    }
    ac->data = s;
    s->ac = ac;
    s->confirmed = 0;
    redisLibeventAttach(ac, s->base);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    /* queued now, sent once connected: the name, then every subscription */
    redisAsyncCommand(ac, NULL, NULL, "CLIENT SETNAME %s", s->name);
#ifdef SUBSCRIBER_NO_RESUBSCRIBE
    if (s->ever_subscribed)
        return;
#endif
    for (size_t i = 0; i < s->n[0]; i++)
        redisAsyncCommand(ac, on_frame, s, "SUBSCRIBE %s", s->names[0][i]);
    for (size_t i = 0; i < s->n[1]; i++)
        redisAsyncCommand(ac, on_frame, s, "PSUBSCRIBE %s", s->names[1][i]);
}

static char **copy_names(const char *const *v, size_t *n)
{
    *n = 0;
    while (v && v[*n])
        (*n)++;
    char **out = calloc(*n + 1, sizeof *out);
    for (size_t i = 0; out && i < *n; i++)
        if (!(out[i] = strdup(v[i])))
            return NULL;
    return out;
}

subscriber *subscriber_start(struct event_base *base, const sub_config *cfg)
{
    subscriber *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->base = base;
    s->host = strdup(cfg->host ? cfg->host : "127.0.0.1");
    s->name = strdup(cfg->name ? cfg->name : "subscriber");
    s->port = cfg->port;
    s->cb = cfg->cb;
    s->ctx = cfg->ctx;
    s->backoff_min = cfg->backoff_min_ms > 0 ? cfg->backoff_min_ms : 10;
    s->backoff_max = cfg->backoff_max_ms > 0 ? cfg->backoff_max_ms : 200;
    s->backoff_ms = s->backoff_min;
    s->names[0] = copy_names(cfg->channels, &s->n[0]);
    s->names[1] = copy_names(cfg->patterns, &s->n[1]);
    s->retry = evtimer_new(base, on_retry, s);
    if (!s->host || !s->name || !s->names[0] || !s->names[1] || !s->retry) {
        subscriber_stop(s);
        return NULL;
    }
    connect_now(s);
    return s;
}

void subscriber_stop(subscriber *s)
{
    if (!s)
        return;
    s->stopping = 1;
    if (s->ac) {
        redisAsyncContext *ac = s->ac;
        s->ac = NULL;
        redisAsyncFree(ac);
    }
    if (s->retry)
        event_free(s->retry);
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; s->names[k] && i < s->n[k]; i++)
            free(s->names[k][i]);
        free(s->names[k]);
    }
    free(s->host);
    free(s->name);
    free(s);
}

int subscriber_connects(const subscriber *s)
{
    return s->connects;
}

int subscriber_failures(const subscriber *s)
{
    return s->failures;
}

int subscriber_ready(const subscriber *s)
{
    return s->ac && s->confirmed == s->n[0] + s->n[1];
}

uint64_t subscriber_received(const subscriber *s)
{
    return s->received;
}

uint64_t subscriber_lost(const subscriber *s)
{
    return s->lost;
}
