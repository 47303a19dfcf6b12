/* replication/'s interface: a fake as a Redis master or replica, as far as
 * a client can see.
 *
 * The link is Redis' own shape over a real TCP connection: a replica
 * connects to its master, sends PING, REPLCONF listening-port, REPLCONF
 * capa and PSYNC; the master answers +FULLRESYNC <replid> <offset> and a
 * snapshot, then streams the write commands it runs (as executed: after
 * MULTI/EXEC, wrapped in MULTI/EXEC, with SELECT when the database
 * changes). A socket rather than a queue in memory because the servers of
 * a group run on their own loops (threads), because a client then sees
 * what it would see in Redis (connected_slaves, a replica's connection in
 * CLIENT LIST, fault rules that cut it), and because it works across
 * processes. Fakes only talk to fakes: the snapshot is not an RDB file but
 * the dataset as RESP commands (SELECT, RESTORE ... ABSTTL).
 *
 * The replica applies the stream in order after a lag the test controls
 * (FAKE.REPLICATION LAG ms, PAUSE, RESUME on the replica; 0 by default) and
 * acknowledges (REPLCONF ACK offset) after each batch it applied, so WAIT
 * counts real acknowledgements.
 *
 * Commands whose effect a replay could not reproduce (random picks, times
 * relative to the clock, blocking pops served later, generated stream
 * ids) travel as their effect instead: RESTORE key abs-ttl payload REPLACE
 * ABSTTL of each key they touched, or DEL. Redis rewrites such commands
 * too (SET EX as PXAT, SPOP as SREM...); the data a client reads on the
 * replica is the same.
 *
 * The state is made on first use (REPLICAOF, a replica's PSYNC, WAIT):
 * a server that never replicates pays one NULL check. Loop thread only. */
#ifndef FR_REPL_ENGINE_H
#define FR_REPL_ENGINE_H

#include "core.h"
#include "data.h"

/* What the layers above lend the engine: the DUMP payload encoder (the
 * commands' codec, which RESTORE reads back). */
typedef struct fr_repl_hooks {
    void (*dump)(const fr_obj *o, fr_buf *out);
} fr_repl_hooks;

/* The state, made on first use with hooks (static storage). */
struct fr_repl *fr__repl_state(fr_server *srv, const fr_repl_hooks *hooks);
/* 1 when srv replicates from a master (REPLICAOF host port). */
int fr__repl_is_replica(const fr_server *srv);
/* Whether c is a replica's link to this server (past its PSYNC): CLIENT
 * LIST's flag S and TYPE replica. */
int fr__repl_is_link(const fr_conn *c);
/* Replicas that acknowledged within min-replicas-max-lag seconds. */
int fr__repl_good_replicas(const fr_server *srv);

/* The commands' bodies; each answers c itself. */
void fr__repl_role(fr_conn *c);
void fr__repl_info(fr_server *srv, fr_buf *out); /* INFO's section */
/* host NULL: REPLICAOF NO ONE. */
void fr__repl_replicaof(fr_conn *c, const fr_repl_hooks *h, const char *host, int port);
void fr__repl_psync(fr_conn *c, const fr_repl_hooks *h);
void fr__repl_replconf(fr_conn *c, const fr_repl_hooks *h);
void fr__repl_wait(fr_conn *c, const fr_repl_hooks *h, long long numreplicas, long long timeout);
/* CLIENT UNBLOCK of a client in WAIT: it gets the count acknowledged so far
 * (TIMEOUT) or -UNBLOCKED (with_error), as Redis. Returns 0 when c is not
 * waiting in WAIT. */
int fr__repl_unblock(fr_conn *c, int with_error);
/* FAILOVER with its parsed options (host NULL: any replica). */
void fr__repl_failover(fr_conn *c, const fr_repl_hooks *h, const char *host, int port,
                       long long timeout_ms, int force, int abort_it);

/* The test's control over a replica's lag: ms (0: none), paused. */
void fr__repl_set_lag(fr_server *srv, const fr_repl_hooks *h, long long ms);
void fr__repl_set_paused(fr_server *srv, const fr_repl_hooks *h, int paused);
/* Bytes received from the master and not applied yet (-1: not a replica). */
long long fr__repl_pending(const fr_server *srv);
/* 1 when srv is a replica streaming from its master. */
int fr__repl_link_up(const fr_server *srv);
/* Replica links online on a master. */
int fr__repl_connected_replicas(const fr_server *srv);
/* The replication offset (applied, on a replica). */
long long fr__repl_offset(const fr_server *srv);

#endif
