/* See sentinel_follow.h. */
#include "sentinel_follow.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct sf_client {
    char sentinel_host[256];
    int sentinel_port;
    char name[128];
    int timeout_ms, give_up_ms, backoff_ms;
    char master_host[256];
    int master_port;
    redisContext *conn;
    int asks;
    char err[256];
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void nap_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static redisContext *connect_to(const sf_client *c, const char *host, int port)
{
    struct timeval tv = {c->timeout_ms / 1000, (c->timeout_ms % 1000) * 1000};
    redisContext *r = redisConnectWithTimeout(host, port, tv);
    if (r && !r->err && redisSetTimeout(r, tv) == REDIS_OK)
        return r;
    redisFree(r);
    return NULL;
}

sf_client *sf_open(const sf_config *cfg)
{
    sf_client *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    snprintf(c->sentinel_host, sizeof c->sentinel_host, "%s", cfg->sentinel_host);
    c->sentinel_port = cfg->sentinel_port;
    snprintf(c->name, sizeof c->name, "%s", cfg->master_name);
    c->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 500;
    c->give_up_ms = cfg->give_up_ms > 0 ? cfg->give_up_ms : 10000;
    c->backoff_ms = cfg->backoff_ms > 0 ? cfg->backoff_ms : 5;
    return c;
}

void sf_close(sf_client *c)
{
    if (!c)
        return;
    redisFree(c->conn);
    free(c);
}

static void drop(sf_client *c, const char *why)
{
    redisFree(c->conn);
    c->conn = NULL;
    snprintf(c->err, sizeof c->err, "%s", why);
#ifndef SENTINEL_FOLLOW_NO_REASK
    c->master_port = 0; /* ask the Sentinel again */
#endif
}

/* Where the master is, from the Sentinel: 0, or -1 (sf_error says why). */
static int ask_sentinel(sf_client *c)
{
    redisContext *s = connect_to(c, c->sentinel_host, c->sentinel_port);
    if (!s) {
        snprintf(c->err, sizeof c->err, "sentinel unreachable");
        return -1;
    }
    c->asks++;
    redisReply *r = redisCommand(s, "SENTINEL GET-MASTER-ADDR-BY-NAME %s", c->name);
    int ok = r && r->type == REDIS_REPLY_ARRAY && r->elements == 2;
    if (ok) {
        snprintf(c->master_host, sizeof c->master_host, "%s", r->element[0]->str);
        c->master_port = atoi(r->element[1]->str);
    } else {
        snprintf(c->err, sizeof c->err, "sentinel does not know %s", c->name);
    }
    freeReplyObject(r);
    redisFree(s);
    return ok ? 0 : -1;
}

static int is_readonly(const redisReply *r)
{
    return r->type == REDIS_REPLY_ERROR && !strncmp(r->str, "READONLY", 8);
}

redisReply *sf_command(sf_client *c, const char *fmt, ...)
{
    long long deadline = now_ms() + c->give_up_ms;
    int backoff = c->backoff_ms;
    for (;;) {
        if (!c->conn && (c->master_port || ask_sentinel(c) == 0)) {
            c->conn = connect_to(c, c->master_host, c->master_port);
            if (!c->conn)
                drop(c, "master refused the connection");
        }
        if (c->conn) {
            va_list ap;
            va_start(ap, fmt);
            redisReply *r = redisvCommand(c->conn, fmt, ap);
            va_end(ap);
            if (r && !is_readonly(r))
                return r;
            drop(c, r ? "master is a replica now (-READONLY)" : "connection lost");
            freeReplyObject(r);
        }
        if (now_ms() >= deadline)
            return NULL;
        nap_ms(backoff);
        backoff = backoff * 2 > 100 ? 100 : backoff * 2;
    }
}

int sf_master_port(const sf_client *c)
{
    return c->master_port;
}

int sf_sentinel_asks(const sf_client *c)
{
    return c->asks;
}

const char *sf_error(const sf_client *c)
{
    return c->err;
}
