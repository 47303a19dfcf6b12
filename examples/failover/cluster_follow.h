/* A synchronous hiredis client for Redis Cluster that follows the slots
 * as they move:
 *
 *   - -MOVED slot host:port: the slot has a new owner for good; the client
 *     asks that node for the whole map (CLUSTER SLOTS) and sends the
 *     command there;
 *   - -ASK slot host:port: the slot is being migrated and this key is on
 *     the target already; the client sends ASKING and the command to the
 *     target, once, and keeps its map (the slot is still the source's);
 *   - -TRYAGAIN: a multi-key command while the slot's keys are split
 *     between the two nodes; the client waits (backoff, doubled up to
 *     50 ms) and sends it again.
 *
 * One connection per node, opened when first needed. The key that routes
 * a command is given apart from the command (hiredis' format does not
 * say which argument is the key).
 *
 * Compile flags that break it on purpose (its tests must then fail):
 *   CLUSTER_FOLLOW_NO_ASKING   retry an -ASK on the target without ASKING
 *   CLUSTER_FOLLOW_NO_REFRESH  on -MOVED, retry the same node (no new map) */
#ifndef CLUSTER_FOLLOW_H
#define CLUSTER_FOLLOW_H

#include <hiredis/hiredis.h>

typedef struct cf_client cf_client;

/* What the client did so far. */
typedef struct cf_stats {
    long moved;     /* -MOVED replies followed */
    long ask;       /* -ASK replies followed */
    long tryagain;  /* -TRYAGAIN replies waited out */
    long refreshes; /* slot maps loaded (the first one included) */
    long connects;  /* connections opened */
} cf_stats;

/* Connect to a seed node and load the slot map from it. NULL when it
 * cannot be reached or answers no map (errstr, if not NULL, says why). */
cf_client *cf_open(const char *host, int port, char *errstr, size_t errlen);
void cf_close(cf_client *c);

/* Run a command (hiredis format) on the node serving key's slot, following
 * redirections (at most 16) and waiting out -TRYAGAIN (at most 100
 * times). Returns the reply (the caller frees it; an error reply that is
 * not a redirection, or the last redirection when the limits were
 * reached), or NULL when no node answered. */
redisReply *cf_command(cf_client *c, const char *key, const char *fmt, ...);

const cf_stats *cf_get_stats(const cf_client *c);

/* The slot of a key as Redis Cluster computes it (CRC16 of the hash tag
 * or the key, modulo 16384). */
int cf_keyslot(const char *key, size_t len);

#endif
