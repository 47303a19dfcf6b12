/* A synchronous Redis client that survives a flaky server: every command
 * has a timeout, and a command that fails in a way worth retrying is sent
 * again after a backoff, up to a number of attempts:
 *
 *   - -LOADING, -BUSY, -TRYAGAIN, -MASTERDOWN replies (the server will be
 *     able to answer soon);
 *   - a connection error or a timeout: the connection is dropped and
 *     opened again before the next attempt.
 *
 * Other error replies (WRONGTYPE, syntax) are returned at once: retrying
 * would not change them.
 *
 * Compile flag that breaks it on purpose (its tests must then fail):
 *   RETRY_DISABLED   one attempt only, no reconnect */
#ifndef RETRY_H
#define RETRY_H

#include <hiredis/hiredis.h>

typedef struct retry_client retry_client;

typedef struct retry_config {
    const char *host;
    int port;
    int timeout_ms;  /* per attempt; 0: 1000 */
    int attempts;    /* 0: 5 */
    int backoff_ms;  /* before the 2nd attempt, doubled after; 0: 5 */
} retry_config;

/* Connects lazily (at the first command). NULL on allocation failure. */
retry_client *retry_open(const retry_config *cfg);
void retry_close(retry_client *rc);

/* Run a command (hiredis format) with retries. Returns the reply (the
 * caller frees it), which may be an error reply that is not retried, or
 * NULL when every attempt failed (retry_error() says why). */
redisReply *retry_command(retry_client *rc, const char *fmt, ...);

/* Attempts the last command took; connections opened so far. */
int retry_last_attempts(const retry_client *rc);
int retry_connects(const retry_client *rc);
const char *retry_error(const retry_client *rc);

#endif
