/*
 * fakeredis replication: a master and its replicas, each a full fake on its
 * own port, in one process (README.md, "Replication").
 *
 * A replica is a fake that ran REPLICAOF: it connects to its master over
 * TCP with Redis' handshake, loads the master's dataset, then applies the
 * master's write commands in order, after a lag the test controls, and
 * acknowledges them (so WAIT counts real acknowledgements). Writes to a
 * replica answer "-READONLY You can't write against a read only replica.";
 * ROLE, INFO replication, REPLICAOF/SLAVEOF and FAILOVER answer as Redis
 * 7.0 does. The same from the wire: FAKE.REPLICATION LAG|PAUSE|RESUME|
 * PENDING on a replica, and `fakeredis-server --replicas N`.
 *
 * Threads: every function may be called from any thread (calls are
 * marshalled onto the servers' loop threads), except that the servers of a
 * group are threaded ones (fr_server_start). Errors: FR_OK or a negative
 * fr_status, as everywhere (fakeredis.h).
 */
#ifndef FAKEREDIS_REPLICATION_H
#define FAKEREDIS_REPLICATION_H

#include "fakeredis/fakeredis.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An opaque replication group: one master and its replicas. */
typedef struct fr_group fr_group;

/** Options of a group; all-zero means defaults. */
typedef struct fr_group_options {
    /** replicas of the master (0: 2; at most 16) */
    int replicas;
    /** options every server starts with (NULL: defaults). Its port must be
     *  0 (each server gets its own ephemeral port); errbuf is ignored */
    const fr_options *server;
    /** how long fr_group_start waits for every replica to be in sync,
     *  in ms (0: 5000) */
    int timeout_ms;
    /** non-zero: also start a Sentinel watching the group under the name
     *  "mymaster" (fr_group_sentinel; fakeredis/sentinel.h) */
    int sentinel;
    /** the Sentinel's down-after-milliseconds for "mymaster" (0: 1000;
     *  Redis' default, 30000, is long for a test) */
    int sentinel_down_after_ms;
    /** the Sentinel's quorum for "mymaster" (0: 1; above 1 the lone
     *  Sentinel never reaches +odown, so it never fails over by itself) */
    int sentinel_quorum;
} fr_group_options;

/**
 * Start a master and opts->replicas replicas of it (threaded servers on
 * 127.0.0.1), and return once every replica has loaded the master's data
 * and streams from it. *out is the caller's, freed by fr_group_stop().
 * Returns FR_OK; FR_ERR_ARG (NULL out, a bad count or a non-zero port),
 * any status of fr_server_start(), or FR_ERR_TIMEOUT when the replicas did
 * not connect in time (nothing is left running then; *out is NULL).
 */
FR_API int fr_group_start(const fr_group_options *opts, fr_group **out);

/** The group's Sentinel (fr_group_options.sentinel), or NULL: a fake in
 *  Sentinel mode watching the group's master as "mymaster", probing it
 *  and its replicas and failing over by itself when the master stops
 *  answering (fakeredis/sentinel.h). Owned by the group. */
FR_API fr_server *fr_group_sentinel(const fr_group *g);

/** Fail over. With a Sentinel: SENTINEL FAILOVER mymaster, and wait (at
 *  most 10 s) until its failover ended (+switch-master) and the old
 *  master, when it runs, follows the new one (+convert-to-slave; before
 *  that, as in Redis, it still takes writes). Without: promote
 *  a replica in sync (REPLICAOF NO ONE) and point every other running
 *  server at it. FR_OK; FR_ERR_STATE when no replica can be promoted or
 *  a failover already runs; FR_ERR_TIMEOUT. Any thread. */
FR_API int fr_group_failover(fr_group *g);

/** Crash server i as a process crash would look from outside: its port
 *  refuses connects and every connection to it (clients, replicas'
 *  links, the Sentinel's) is reset. Its data stays in memory. A killed
 *  replica keeps its own link to its master. FR_OK; FR_ERR_ARG (bad i);
 *  FR_ERR_STATE (already killed). Any thread. */
FR_API int fr_group_kill(fr_group *g, int i);

/** Bring a killed server back on the same port with its data, as a
 *  restart that reloaded its snapshot; its role is the one it had (a
 *  master that was failed over is still a master until the Sentinel turns
 *  it into a replica). FR_OK; FR_ERR_ARG; FR_ERR_STATE (not killed);
 *  FR_ERR_SOCKET (the port was taken meanwhile). Any thread. */
FR_API int fr_group_revive(fr_group *g, int i);

/** 1 while server i is killed (fr_group_kill), else 0. Any thread. */
FR_API int fr_group_is_killed(const fr_group *g, int i);

/** Stop every server of the group and free it. NULL is a no-op. */
FR_API void fr_group_stop(fr_group *g);

/** Servers in the group (1 + replicas). */
FR_API int fr_group_size(const fr_group *g);

/** The i-th server as started: 0 is the first master, 1.. the replicas.
 *  Roles may have changed since (FAILOVER, REPLICAOF): see
 *  fr_group_master(). Owned by the group; NULL when i is out of range. */
FR_API fr_server *fr_group_server(const fr_group *g, int i);

/** The server that is a master now and has the most replicas (after a
 *  FAILOVER, the promoted one), killed ones left out; NULL if every
 *  server is a replica, stopped or killed. Owned by the group. */
FR_API fr_server *fr_group_master(const fr_group *g);

/**
 * Wait until every server that replicates from a master has applied all
 * the master has streamed (its offset reached the master's). Returns
 * FR_OK, or FR_ERR_TIMEOUT after timeout_ms. A paused replica never
 * catches up: resume it first.
 */
FR_API int fr_group_wait_synced(fr_group *g, int timeout_ms);

/** A replica applies its master's stream ms after it arrived (0: at
 *  once). Any fake (also one not in a group). Returns FR_OK,
 *  FR_ERR_ARG (ms < 0), FR_ERR_STOPPED. */
FR_API int fr_replica_set_lag(fr_server *srv, int ms);

/** A replica stops applying its master's stream (it still reads it and
 *  is still "connected"): its data and its acknowledged offset stand
 *  still, so WAIT does not count it. fr_replica_resume() applies what
 *  arrived and goes on. FR_OK or FR_ERR_STOPPED. */
FR_API int fr_replica_pause(fr_server *srv);
FR_API int fr_replica_resume(fr_server *srv);

/** Bytes of stream a replica received and has not applied yet (lag,
 *  pause), >= 0; -1 when srv is not a replica; or a negative status. */
FR_API long long fr_replica_pending(fr_server *srv);

/** Replicas connected to srv (INFO's connected_slaves), or a negative
 *  status. */
FR_API int fr_replication_replicas(fr_server *srv);

#ifdef __cplusplus
}
#endif

#endif
