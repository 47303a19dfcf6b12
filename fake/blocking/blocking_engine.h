/* The blocking engine behind BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP,
 * BZPOPMIN, BZPOPMAX, BZMPOP and XREAD/XREADGROUP BLOCK, generic over the
 * data type, with Redis 7.0's semantics:
 *
 *   - A command that finds nothing to pop calls fr__block_on_keys: the
 *     client is marked FR_CONN_BLOCKED (the connection stops processing its
 *     input but still notices a disconnect) and waits on its keys; its argv
 *     is copied, since the input buffer it points into moves on.
 *   - Anything that adds to a key (LPUSH, LMOVE, ZADD, a RENAME onto it...)
 *     publishes it ready on the keyspace (fr__keyspace_ready); the engine
 *     listens from the first blocked client on. It is cheap: nothing
 *     happens unless a client waits on that very key. SWAPDB makes every
 *     waiter of both databases look again, FLUSHDB/FLUSHALL every waiter
 *     of the emptied ones, and a stream that goes away (DEL, expiry, SET
 *     over it, RENAME away) is signalled too: a serve function may answer
 *     an error then (XREADGROUP's -UNBLOCKED) and return 1.
 *   - After each top-level command (the after_command stage, so after EXEC
 *     for a transaction and after every fr_exec), fr__blocking_serve_ready serves
 *     the ready keys in the order they were signalled; for each key, its
 *     waiters in the order they blocked (first-blocked-first-served), by
 *     calling their serve function. A serve that pushes elsewhere (BLMOVE)
 *     signals that key, which is served in the same pass, after the keys
 *     already ready (Redis' chaining).
 *   - Timeouts are absolute deadlines on the server clock (srv->clock): a
 *     frozen clock holds them, fr_clock_set/advance fire them at once, and
 *     a libevent timer fires them in real time when the clock runs. On
 *     timeout the client gets the null array (RESP2 *-1, RESP3 _), as Redis
 *     answers for every list and sorted-set blocking command.
 *   - Inside MULTI/EXEC (FR_CONN_EXECUTING) and for the fr_exec pseudo
 *     client (FR_CONN_PSEUDO) a blocking command must not block: check
 *     fr__block_denied and answer as if the timeout had expired (Redis'
 *     CLIENT_DENY_BLOCKING: BLPOP *-1, BLMOVE $-1...).
 *   - A client that disconnects while blocked leaves no trace; CLIENT
 *     UNBLOCK answers the timeout reply or -UNBLOCKED.
 *
 * Everything here runs on the loop thread. */
#ifndef FR_BLOCKING_ENGINE_H
#define FR_BLOCKING_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"


/* Serve c, blocked with the command argv[0..argc) (the engine's own copy,
 * also in c->argv/c->argc during the call), from key (in c's database),
 * which may have become ready. Look the key up yourself
 * (fr__db_lookup(srv, db, key, klen, FR_LOOKUP_NONOTIFY | FR_LOOKUP_NOSTATS))
 * and:
 *   - return 0 without touching c->reply if the key cannot serve c (missing,
 *     empty, or of a type this command does not pop): c stays blocked;
 *   - otherwise build c's whole reply with the reply.h helpers (an error
 *     such as WRONGTYPE for BLMOVE's destination counts), do the change with
 *     its keyspace events, fr__signal_modified_key and, for anything pushed
 *     elsewhere, fr__signal_key_ready, and return 1: the engine then
 *     unblocks c, commits the reply and resumes its input. */
typedef int fr_block_serve_fn(fr_conn *c, int argc, fr_arg *argv, int db, const char *key,
                              size_t klen);

/* Block c (running a command now) on keys[0..nkeys) of its database until
 * one of them serves it, the deadline passes, CLIENT UNBLOCK, or it
 * disconnects. deadline_ms: absolute time in ms on the server clock, or 0
 * to wait forever (see fr__block_parse_timeout). Duplicate keys count once.
 * The handler must return right after, without adding a reply. XREAD
 * passes its timeout in ms through its own parser (BLOCK is an integer of
 * milliseconds), as an absolute deadline all the same. */
void fr__block_on_keys(fr_conn *c, const fr_arg *keys, int nkeys, int64_t deadline_ms,
                       fr_block_serve_fn *serve);

/* 1 when c may not block now (inside EXEC, or the fr_exec pseudo client):
 * the command then answers at once as on a timeout. */
int fr__block_denied(const fr_conn *c);

/* Parse a timeout in seconds (fractional, as BLPOP's) into an absolute
 * deadline on the server clock (0: forever). On error answers Redis' text
 * ("timeout is not a float or out of range", "timeout is negative",
 * "timeout is out of range") and returns 0; returns 1 on success. */
int fr__block_parse_timeout(fr_conn *c, const fr_arg *a, int64_t *deadline_ms);

/* Serve every ready key (see above). The after_command stage; harmless
 * when nothing is ready. */
void fr__blocking_serve_ready(fr_server *srv);

/* CLIENT UNBLOCK: returns 1 if c was blocked and is now released. */
int fr__blocking_unblock(fr_conn *c, int with_error);
/* Visit every blocked client in block order (the public snapshot):
 * fn gets c, the command, db, the distinct keys, since and deadline. */
typedef void fr_blocking_visit_fn(void *priv, fr_conn *c, const fr_cmd *cmd, int db,
                                  int nkeys, const char *const *keys, const size_t *lens,
                                  int64_t since_ms, int64_t deadline_ms);
void fr__blocking_each(fr_server *srv, fr_blocking_visit_fn *fn, void *priv);
/* Number of blocked clients with a timeout (INFO's
 * clients_in_timeout_table). */
size_t fr__blocking_timeout_count(const fr_server *srv);

/* srv->blocking exists only while some client is blocked (it is made by
 * the first fr__block_on_keys and freed when the last blocked client
 * leaves), so the server needs no teardown call for it. The first one
 * registers the engine's stages (after_command, close, cron) and its
 * keyspace listener (ready, swapped), which stay for the server's life:
 * with no state they return at once. */

#endif
