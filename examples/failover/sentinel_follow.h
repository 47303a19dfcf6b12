/* A synchronous Redis client that follows a Sentinel failover: it asks the
 * Sentinel where the master is (SENTINEL GET-MASTER-ADDR-BY-NAME), and
 * whenever the master stops being one it asks again:
 *
 *   - a refused connect, a dropped connection or a timeout: the
 *     connection is dropped; the next attempt asks the Sentinel first;
 *   - a -READONLY reply (the old master was turned into a replica): the
 *     same;
 *   - the Sentinel itself unreachable: back off and try again.
 *
 * A command is retried until it gets an answer or give_up_ms passed, so
 * it should be idempotent (SET, not INCR): a connection lost after the
 * server ran it but before the reply came cannot tell.
 *
 * As with any hiredis program, ignore SIGPIPE: a write to a server that
 * just died must fail, not kill the process.
 *
 * Compile flag that breaks it on purpose (its tests must then fail):
 *   SENTINEL_FOLLOW_NO_REASK   asks the Sentinel once, keeps that address */
#ifndef SENTINEL_FOLLOW_H
#define SENTINEL_FOLLOW_H

#include <hiredis/hiredis.h>

typedef struct sf_client sf_client;

typedef struct sf_config {
    const char *sentinel_host;
    int sentinel_port;
    const char *master_name;
    int timeout_ms; /* per connect and per reply; 0: 500 */
    int give_up_ms; /* per command, retries included; 0: 10000 */
    int backoff_ms; /* between attempts, doubled up to 100; 0: 5 */
} sf_config;

/* Nothing is connected before the first command. NULL on allocation
 * failure. The strings of cfg are copied. */
sf_client *sf_open(const sf_config *cfg);
void sf_close(sf_client *c);

/* Run a command (hiredis format), following the master. Returns the
 * reply (the caller frees it; it may be an error reply other than
 * -READONLY), or NULL when give_up_ms passed (sf_error() says why). */
redisReply *sf_command(sf_client *c, const char *fmt, ...);

/* The master's port the client talks to now (0: none yet); how many
 * times it asked the Sentinel; the last failure. */
int sf_master_port(const sf_client *c);
int sf_sentinel_asks(const sf_client *c);
const char *sf_error(const sf_client *c);

#endif
