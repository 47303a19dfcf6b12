/* A cluster client that follows -MOVED, -ASK and -TRYAGAIN: see
 * cluster_follow.h. */
#include "cluster_follow.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SLOTS 16384
#define MAX_NODES 64
#define MAX_REDIRECTS 16
#define MAX_TRYAGAIN 100

typedef struct node {
    char host[64];
    int port;
    redisContext *ctx; /* NULL: not connected (yet, or any more) */
} node;

struct cf_client {
    node nodes[MAX_NODES];
    int n;
    short slot_node[SLOTS]; /* index into nodes; -1: unknown */
    cf_stats stats;
};

/* ---- slots ------------------------------------------------------------------- */

/* CRC16/XMODEM (polynomial 0x1021, initial 0), bit by bit: the cluster's
 * key hash */
static unsigned crc16(const char *p, size_t n)
{
    unsigned crc = 0;
    for (size_t i = 0; i < n; i++) {
        crc ^= (unsigned)(unsigned char)p[i] << 8;
        for (int b = 0; b < 8; b++)
            crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
        crc &= 0xffff;
    }
    return crc;
}

int cf_keyslot(const char *key, size_t len)
{
    /* a non-empty {tag}: only the tag is hashed */
    const char *open = memchr(key, '{', len);
    if (open) {
        size_t from = (size_t)(open - key) + 1;
        const char *close = memchr(key + from, '}', len - from);
        if (close && close > key + from)
            return (int)(crc16(key + from, (size_t)(close - key) - from) % SLOTS);
    }
    return (int)(crc16(key, len) % SLOTS);
}

/* ---- nodes ------------------------------------------------------------------- */

static int node_index(cf_client *c, const char *host, int port)
{
    for (int i = 0; i < c->n; i++)
        if (c->nodes[i].port == port && !strcmp(c->nodes[i].host, host))
            return i;
    if (c->n == MAX_NODES)
        return -1;
    node *nd = &c->nodes[c->n];
    snprintf(nd->host, sizeof nd->host, "%s", host);
    nd->port = port;
    nd->ctx = NULL;
    return c->n++;
}

static redisContext *node_ctx(cf_client *c, int i)
{
    node *nd = &c->nodes[i];
    if (nd->ctx && nd->ctx->err) {
        redisFree(nd->ctx);
        nd->ctx = NULL;
    }
    if (!nd->ctx) {
        struct timeval tv = {1, 0};
        nd->ctx = redisConnectWithTimeout(nd->host, nd->port, tv);
        c->stats.connects++;
        if (nd->ctx && !nd->ctx->err)
            redisSetTimeout(nd->ctx, tv);
    }
    return nd->ctx && !nd->ctx->err ? nd->ctx : NULL;
}

/* Load the whole map from node i (CLUSTER SLOTS: [start, end, [host,
 * port, id], replicas...] per range). 0, or -1 when it gave none. */
static int load_map(cf_client *c, int i)
{
    redisContext *ctx = node_ctx(c, i);
    redisReply *r = ctx ? redisCommand(ctx, "CLUSTER SLOTS") : NULL;
    int ok = r && r->type == REDIS_REPLY_ARRAY && r->elements > 0;
    for (size_t k = 0; ok && k < r->elements; k++) {
        redisReply *e = r->element[k];
        if (e->type != REDIS_REPLY_ARRAY || e->elements < 3 ||
            e->element[2]->type != REDIS_REPLY_ARRAY || e->element[2]->elements < 2)
            continue;
        const char *host = e->element[2]->element[0]->str;
        int at = node_index(c, host && *host ? host : c->nodes[i].host,
                            (int)e->element[2]->element[1]->integer);
        for (long long s = e->element[0]->integer;
             at >= 0 && s <= e->element[1]->integer && s < SLOTS; s++)
            c->slot_node[s] = (short)at;
    }
    freeReplyObject(r);
    if (ok)
        c->stats.refreshes++;
    return ok ? 0 : -1;
}

cf_client *cf_open(const char *host, int port, char *errstr, size_t errlen)
{
    cf_client *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    for (int s = 0; s < SLOTS; s++)
        c->slot_node[s] = -1;
    int seed = node_index(c, host, port);
    if (load_map(c, seed) < 0) {
        if (errstr)
            snprintf(errstr, errlen, "%s:%d gave no slot map", host, port);
        cf_close(c);
        return NULL;
    }
    return c;
}

void cf_close(cf_client *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->n; i++)
        if (c->nodes[i].ctx)
            redisFree(c->nodes[i].ctx);
    free(c);
}

const cf_stats *cf_get_stats(const cf_client *c)
{
    return &c->stats;
}

/* ---- one command ----------------------------------------------------------------- */

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* "MOVED 3999 127.0.0.1:6381" -> the node of 127.0.0.1:6381, or -1 */
static int redirect_target(cf_client *c, const char *err)
{
    const char *addr = strchr(err, ' ');
    addr = addr ? strchr(addr + 1, ' ') : NULL;
    const char *colon = addr ? strrchr(addr, ':') : NULL;
    if (!colon)
        return -1;
    char host[64];
    size_t hl = (size_t)(colon - addr - 1);
    if (hl >= sizeof host)
        return -1;
    memcpy(host, addr + 1, hl);
    host[hl] = '\0';
    return node_index(c, hl ? host : "127.0.0.1", atoi(colon + 1));
}

static int starts(const redisReply *r, const char *word)
{
    size_t n = strlen(word);
    return r->type == REDIS_REPLY_ERROR && !strncmp(r->str, word, n) &&
           (r->str[n] == ' ' || r->str[n] == '\0');
}

/* Send cmd (formatted) to node i, after ASKING when asking. */
static redisReply *send_to(cf_client *c, int i, const char *cmd, size_t len, int asking)
{
    redisContext *ctx = node_ctx(c, i);
    if (!ctx)
        return NULL;
    if (asking)
        redisAppendCommand(ctx, "ASKING");
    redisAppendFormattedCommand(ctx, cmd, len);
    redisReply *r = NULL;
    if (asking) {
        if (redisGetReply(ctx, (void **)&r) != REDIS_OK)
            return NULL;
        freeReplyObject(r); /* +OK */
        r = NULL;
    }
    if (redisGetReply(ctx, (void **)&r) != REDIS_OK)
        return NULL;
    return r;
}

static int any_node(cf_client *c)
{
    for (int i = 0; i < c->n; i++)
        if (node_ctx(c, i))
            return i;
    return -1;
}

redisReply *cf_command(cf_client *c, const char *key, const char *fmt, ...)
{
    char *cmd = NULL;
    va_list ap;
    va_start(ap, fmt);
    int len = redisvFormatCommand(&cmd, fmt, ap);
    va_end(ap);
    if (len < 0)
        return NULL;
    int slot = cf_keyslot(key, strlen(key));
    int target = c->slot_node[slot], asking = 0, backoff = 1, tries = 0;
    redisReply *r = NULL;
    for (int hops = 0; hops <= MAX_REDIRECTS && tries <= MAX_TRYAGAIN;) {
        if (r)
            freeReplyObject(r); /* the redirection just followed */
        r = NULL;
        if (target < 0 && (target = any_node(c)) < 0)
            break;
        r = send_to(c, target, cmd, (size_t)len, asking);
        asking = 0;
        if (!r) {
            /* the node is gone: learn the map again from anyone */
            int other = any_node(c);
            if (other < 0 || load_map(c, other) < 0)
                break;
            target = c->slot_node[slot];
            hops++;
            continue;
        }
        if (starts(r, "MOVED")) {
            c->stats.moved++;
            hops++;
#ifndef CLUSTER_FOLLOW_NO_REFRESH
            int to = redirect_target(c, r->str);
            if (to >= 0) {
                c->slot_node[slot] = (short)to;
                load_map(c, to); /* the rest of the map moved too, perhaps */
                target = c->slot_node[slot];
            }
#endif
        } else if (starts(r, "ASK")) {
            c->stats.ask++;
            hops++;
            int to = redirect_target(c, r->str);
            if (to < 0)
                break;
            target = to; /* this once: the map stays */
#ifndef CLUSTER_FOLLOW_NO_ASKING
            asking = 1;
#endif
        } else if (starts(r, "TRYAGAIN")) {
            c->stats.tryagain++;
            tries++;
            sleep_ms(backoff);
            backoff = backoff * 2 > 50 ? 50 : backoff * 2;
            target = c->slot_node[slot];
        } else {
            break; /* the answer */
        }
    }
    redisFreeCommand(cmd);
    return r;
}
