/* Transactions: the queue of a client inside MULTI, and WATCH. Core owns
 * them because the dispatcher queues commands and EXEC runs them through
 * fr__call; the MULTI/EXEC/WATCH commands (commands/cmd_multi.c) are thin
 * handlers over these. Loop thread only. */
#ifndef FR_MULTI_H
#define FR_MULTI_H

#include "types.h"

/* Queue a copy of the command for EXEC (argv is copied: the input buffer
 * moves on). */
void fr__multi_queue(fr_conn *c, const fr_cmd *cmd, int argc, const fr_arg *argv);
/* Number of commands queued inside MULTI. */
int fr__multi_count(const fr_conn *c);
/* The i-th command queued (argc, argv set), or NULL past the end: a
 * cluster routes EXEC by the keys of its whole queue. */
const fr_cmd *fr__multi_queued(const fr_conn *c, int i, int *argc, const fr_arg **argv);
/* The flags of every command queued, or-ed (0: none queued): EXEC of a
 * queue holding a deny-oom command is refused under OOM, as in Redis. */
unsigned fr__multi_queued_flags(const fr_conn *c);
/* Leave MULTI state, drop the queue and every WATCH (DISCARD, RESET, EXEC,
 * disconnect). */
void fr__multi_discard(fr_conn *c);
/* Run the queue: the array header, then each queued command through
 * fr__call, with the WATCHes dropped first (as Redis does). The caller has
 * checked the dirty flags. */
void fr__multi_exec(fr_conn *c);

/* WATCH one key of c's database (again: no-op). The first WATCH on a
 * server registers the keyspace listener that marks watchers dirty. */
void fr__multi_watch(fr_conn *c, const fr_arg *key);
/* UNWATCH: drop c's WATCHes and its dirty mark. */
void fr__multi_unwatch(fr_conn *c);
/* 1 if a key c WATCHed has expired since (not yet deleted), which fails
 * EXEC as a change would. */
int fr__multi_watched_expired(fr_conn *c);
/* Free the server's watch table (server teardown, after every conn). */
void fr__multi_free_server(fr_server *srv);

#endif
