#include "retry.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct retry_client {
    char *host;
    int port, timeout_ms, attempts, backoff_ms;
    redisContext *c;
    int last_attempts, connects;
    char err[256];
};

retry_client *retry_open(const retry_config *cfg)
{
    retry_client *rc = calloc(1, sizeof *rc);
    if (!rc)
        return NULL;
    rc->host = strdup(cfg->host ? cfg->host : "127.0.0.1");
    rc->port = cfg->port;
    rc->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 1000;
    rc->attempts = cfg->attempts > 0 ? cfg->attempts : 5;
    rc->backoff_ms = cfg->backoff_ms > 0 ? cfg->backoff_ms : 5;
#ifdef RETRY_DISABLED
    rc->attempts = 1;
#endif
    if (!rc->host) {
        free(rc);
        return NULL;
    }
    return rc;
}

void retry_close(retry_client *rc)
{
    if (!rc)
        return;
    if (rc->c)
        redisFree(rc->c);
    free(rc->host);
    free(rc);
}

static int ensure_connected(retry_client *rc)
{
    if (rc->c)
        return 0;
    struct timeval tv = {rc->timeout_ms / 1000, (rc->timeout_ms % 1000) * 1000};
    rc->c = redisConnectWithTimeout(rc->host, rc->port, tv);
    if (!rc->c || rc->c->err) {
        snprintf(rc->err, sizeof rc->err, "connect: %s", rc->c ? rc->c->errstr : "no memory");
        if (rc->c)
            redisFree(rc->c);
        rc->c = NULL;
        return -1;
    }
    redisSetTimeout(rc->c, tv);
    rc->connects++;
    return 0;
}

static int retryable(const redisReply *r)
{
    static const char *const codes[] = {"LOADING ", "BUSY ", "TRYAGAIN ", "MASTERDOWN "};
    if (r->type != REDIS_REPLY_ERROR)
        return 0;
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (!strncmp(r->str, codes[i], strlen(codes[i])))
            return 1;
    return 0;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

redisReply *retry_command(retry_client *rc, const char *fmt, ...)
{
    int backoff = rc->backoff_ms;
    rc->err[0] = '\0';
    for (int attempt = 1; attempt <= rc->attempts; attempt++) {
        rc->last_attempts = attempt;
        if (attempt > 1) {
            sleep_ms(backoff);
            backoff *= 2;
        }
        if (ensure_connected(rc) < 0)
            continue;
        va_list ap;
        va_start(ap, fmt);
        redisReply *r = redisvCommand(rc->c, fmt, ap);
        va_end(ap);
        if (!r) {
            /* an I/O error or a timeout: this connection is unusable */
            snprintf(rc->err, sizeof rc->err, "%s", rc->c->errstr);
            redisFree(rc->c);
            rc->c = NULL;
            continue;
        }
        if (retryable(r) && attempt < rc->attempts) {
            snprintf(rc->err, sizeof rc->err, "%s", r->str);
            freeReplyObject(r);
            continue;
        }
        return r;
    }
    return NULL;
}

int retry_last_attempts(const retry_client *rc)
{
    return rc->last_attempts;
}

int retry_connects(const retry_client *rc)
{
    return rc->connects;
}

const char *retry_error(const retry_client *rc)
{
    return rc->err;
}
