/* The consumer-group worker. See stream_worker.h. */
#include "stream_worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

struct sworker {
    sworker_options o;
    char *host, *stream, *group, *consumer;
    char *results_key, *done_key;
    redisContext *c;
    int recovered;  /* the recovery steps ran on this connection */
    int backoff_ms; /* pause before the next connect, after failures */
    long long done, claimed;
    int connects;
};

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

static char *join(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    char *p = malloc(na + nb + 1);
    if (p) {
        memcpy(p, a, na);
        memcpy(p + na, b, nb + 1);
    }
    return p;
}

sworker *sworker_new(const sworker_options *o)
{
    if (!o || !o->stream || !o->group || !o->consumer || !o->process || o->port <= 0)
        return NULL;
    sworker *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->o = *o;
    w->host = dup_str(o->host ? o->host : "127.0.0.1");
    w->stream = dup_str(o->stream);
    w->group = dup_str(o->group);
    w->consumer = dup_str(o->consumer);
    w->results_key = join(o->stream, ":results");
    w->done_key = join(o->stream, ":done");
    if (!w->o.min_idle_ms)
        w->o.min_idle_ms = 30000;
    if (w->o.batch <= 0)
        w->o.batch = 10;
    if (!w->host || !w->stream || !w->group || !w->consumer || !w->results_key || !w->done_key) {
        sworker_free(w);
        return NULL;
    }
    return w;
}

void sworker_free(sworker *w)
{
    if (!w)
        return;
    if (w->c)
        redisFree(w->c);
    free(w->host);
    free(w->stream);
    free(w->group);
    free(w->consumer);
    free(w->results_key);
    free(w->done_key);
    free(w);
}

long long sworker_done(const sworker *w)
{
    return w->done;
}

long long sworker_claimed(const sworker *w)
{
    return w->claimed;
}

int sworker_connects(const sworker *w)
{
    return w->connects;
}

/* The connection failed: drop it; the next round reconnects. */
static int lost(sworker *w)
{
    if (w->c) {
        redisFree(w->c);
        w->c = NULL;
    }
    return -1;
}

static void pause_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int connect_once(sworker *w)
{
    if (w->backoff_ms)
        pause_ms(w->backoff_ms);
    struct timeval tv = {1, 0};
    w->c = redisConnectWithTimeout(w->host, w->o.port, tv);
    if (!w->c || w->c->err) {
        lost(w);
        w->backoff_ms = w->backoff_ms ? (w->backoff_ms * 2 > 200 ? 200 : w->backoff_ms * 2) : 10;
        return -1;
    }
    /* a reply that never comes must not hang the worker */
    struct timeval io = {5, 0};
    redisSetTimeout(w->c, io);
    w->backoff_ms = 0;
    w->connects++;
    w->recovered = 0;
    redisReply *r = redisCommand(w->c, "XGROUP CREATE %s %s 0 MKSTREAM", w->stream, w->group);
    if (!r)
        return lost(w);
    /* BUSYGROUP: it exists already, which is the usual case */
    int ok = r->type == REDIS_REPLY_STATUS ||
             (r->type == REDIS_REPLY_ERROR && !strncmp(r->str, "BUSYGROUP", 9));
    freeReplyObject(r);
    return ok ? 0 : lost(w);
}

/* Commit one job: its result and its acknowledgement in one transaction.
 * 1: done, 0: the job was left pending, -1: the connection failed. */
static int commit(sworker *w, const char *id, const char *result)
{
    redisAppendCommand(w->c, "MULTI");
    redisAppendCommand(w->c, "HSET %s %s %s", w->results_key, id, result);
    redisAppendCommand(w->c, "HINCRBY %s %s 1", w->done_key, id);
    redisAppendCommand(w->c, "XACK %s %s %s", w->stream, w->group, id);
    redisAppendCommand(w->c, "EXEC");
    int ok = 1;
    for (int i = 0; i < 5; i++) {
        redisReply *r = NULL;
        if (redisGetReply(w->c, (void **)&r) != REDIS_OK || !r)
            return lost(w);
        if (i == 4 && (r->type != REDIS_REPLY_ARRAY || r->elements != 3))
            ok = 0; /* the transaction was refused: the job stays pending */
        freeReplyObject(r);
    }
    if (ok)
        w->done++;
    return ok;
}

/* One entry [id, [field, value...]] (or [id, nil] when it was deleted:
 * acknowledged without processing, there is nothing to do). */
static int handle_entry(sworker *w, const redisReply *e)
{
    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
        e->element[0]->type != REDIS_REPLY_STRING)
        return 0;
    const char *id = e->element[0]->str;
    const redisReply *fv = e->element[1];
    if (fv->type != REDIS_REPLY_ARRAY) {
        redisReply *r = redisCommand(w->c, "XACK %s %s %s", w->stream, w->group, id);
        if (!r)
            return lost(w);
        freeReplyObject(r);
        return 0;
    }
    size_t n = fv->elements / 2;
    const char **fields = calloc(n ? n : 1, sizeof *fields);
    const char **values = calloc(n ? n : 1, sizeof *values);
    if (!fields || !values) {
        free(fields);
        free(values);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        fields[i] = fv->element[2 * i]->str;
        values[i] = fv->element[2 * i + 1]->str;
    }
    char out[256];
    int rc = w->o.process(id, fields, values, n, out, sizeof out, w->o.ctx);
    free(fields);
    free(values);
    if (rc != 0)
        return 0; /* left pending: tried again later */
    return commit(w, id, out);
}

/* Process an array of entries; returns the number done, or -1. */
static int handle_entries(sworker *w, const redisReply *arr, long long *claimed)
{
    int done = 0;
    for (size_t i = 0; i < arr->elements; i++) {
        int rc = handle_entry(w, arr->element[i]);
        if (rc < 0)
            return -1;
        done += rc;
        if (claimed)
            *claimed += rc;
    }
    return done;
}

/* XREADGROUP from id (">" for new entries, "0" for our own history).
 * Returns jobs done, or -1; *got is how many entries came. */
static int read_group(sworker *w, const char *id, int block, size_t *got)
{
    redisReply *r;
    if (block && w->o.block_ms > 0)
        r = redisCommand(w->c, "XREADGROUP GROUP %s %s COUNT %d BLOCK %d STREAMS %s %s", w->group,
                         w->consumer, w->o.batch, w->o.block_ms, w->stream, id);
    else
        r = redisCommand(w->c, "XREADGROUP GROUP %s %s COUNT %d STREAMS %s %s", w->group,
                         w->consumer, w->o.batch, w->stream, id);
    *got = 0;
    if (!r)
        return lost(w);
    int done = 0;
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 && r->element[0]->elements == 2) {
        const redisReply *entries = r->element[0]->element[1];
        *got = entries->elements;
        done = handle_entries(w, entries, NULL);
    } else if (r->type == REDIS_REPLY_ERROR) {
        done = -1; /* the group went away, say: start over */
        lost(w);
    }
    freeReplyObject(r);
    return done;
}

/* The recovery steps of a fresh connection. */
static int recover(sworker *w)
{
    int total = 0;
    /* 1. our own history, until it is empty: each entry done leaves it */
    for (;;) {
        size_t got;
        int done = read_group(w, "0", 0, &got);
        if (done < 0)
            return -1;
        total += done;
        if (!got || !done)
            break;
    }
    /* 2. entries others left pending too long, following the cursor */
    char cursor[64] = "0-0";
    do {
        redisReply *r = redisCommand(w->c, "XAUTOCLAIM %s %s %s %lld %s COUNT %d", w->stream,
                                     w->group, w->consumer, w->o.min_idle_ms, cursor, w->o.batch);
        if (!r)
            return lost(w);
        if (r->type != REDIS_REPLY_ARRAY || r->elements < 2) {
            freeReplyObject(r);
            return lost(w);
        }
        snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
        int done = handle_entries(w, r->element[1], &w->claimed);
        freeReplyObject(r);
        if (done < 0)
            return -1;
        total += done;
    } while (strcmp(cursor, "0-0") != 0);
    w->recovered = 1;
    return total;
}

int sworker_run_once(sworker *w)
{
    int total = 0;
    if (!w->c && connect_once(w) < 0)
        return -1;
    if (!w->recovered) {
        int done = recover(w);
        if (done < 0)
            return -1;
        total += done;
    }
    size_t got;
    int done = read_group(w, ">", 1, &got);
    if (done < 0)
        return -1;
    return total + done;
}
