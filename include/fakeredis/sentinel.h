/*
 * fakeredis Sentinel: a fake in Sentinel mode watching masters as Redis
 * Sentinel 7.0 does, as far as its clients can see (README.md, "Sentinel").
 *
 * A Sentinel is started by a replication group (fr_group_options.sentinel,
 * fakeredis/replication.h) or by `fakeredis-server --sentinel`, and more
 * masters are added over the wire (SENTINEL MONITOR). It opens a client
 * link to each master and replica over TCP, sends PING every
 * down-after-milliseconds / 10 (at most every second) and INFO, and
 * learns the replicas from the master's INFO. A master that gives no
 * valid PING reply for down-after-milliseconds is +sdown, then +odown
 * (this Sentinel is the only one: quorum 1 is reached by its own vote),
 * then failed over with Redis' events on the Sentinel's pub/sub:
 * +new-epoch, +try-failover, +vote-for-leader, +elected-leader,
 * +failover-state-select-slave, +selected-slave,
 * +failover-state-send-slaveof-noone, +failover-state-wait-promotion,
 * +promoted-slave, +failover-state-reconf-slaves, +slave-reconf-sent /
 * -inprog / -done, +failover-end, +switch-master; the replicas are then
 * announced with +slave. An old master that comes back is turned into a
 * replica (+convert-to-slave, SLAVEOF with CLIENT KILL TYPE normal, as
 * Redis). The same failover runs on SENTINEL FAILOVER, without +sdown and
 * +odown.
 *
 * It answers the commands of redis-sentinel (SENTINEL and its
 * subcommands, INFO with the # Sentinel section, ROLE, PING, (P)SUBSCRIBE,
 * PUBLISH, CLIENT, HELLO, AUTH, ACL, COMMAND, SHUTDOWN) and the fake's
 * control commands; any other command is unknown there, as in Redis.
 *
 * Not there: other Sentinels (hello messages, votes of peers: SENTINELS is
 * empty, quorum above 1 is never reached), TILT, scripts, config files.
 *
 * Threads: any thread (calls are marshalled onto the Sentinel's loop).
 * Errors: FR_OK or a negative fr_status (fakeredis.h).
 */
#ifndef FAKEREDIS_SENTINEL_H
#define FAKEREDIS_SENTINEL_H

#include "fakeredis/fakeredis.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Turn srv, a fake just started (fr_server_start or fr_server_attach),
 * into a Sentinel that watches master name at ip:port with quorum
 * (usually 1) and down-after-milliseconds down_after_ms (<= 0: Redis'
 * 30000). From then on srv answers only a Sentinel's commands; its data
 * is not reachable. Call again (with another name) to watch more masters,
 * as SENTINEL MONITOR. ip and name are copied. FR_OK; FR_ERR_ARG (NULL,
 * port or quorum out of range); FR_ERR_STATE (name already watched, or 8
 * masters); FR_ERR_STOPPED. The base's thread for an attached server.
 */
FR_API int fr_sentinel_monitor(fr_server *srv, const char *name, const char *ip, int port,
                               int quorum, int down_after_ms);

/**
 * SENTINEL SET master option value on a Sentinel, e.g. option
 * "down-after-milliseconds" (how long a silent instance takes to be
 * +sdown; the probing period follows), "quorum", "failover-timeout",
 * "parallel-syncs". Strings are copied. FR_OK; FR_ERR_ARG (NULL argument);
 * FR_ERR_REPLY when the Sentinel refused (no such master, bad value: the
 * text is in fr_server_errstr()); FR_ERR_STOPPED.
 */
FR_API int fr_sentinel_set(fr_server *sentinel, const char *master, const char *option,
                           const char *value);

/**
 * The address the Sentinel gives for master now (SENTINEL
 * GET-MASTER-ADDR-BY-NAME): its port, or FR_ERR_STATE when it watches no
 * such master (FR_ERR_ARG, FR_ERR_STOPPED).
 */
FR_API int fr_sentinel_master_port(fr_server *sentinel, const char *master);

#ifdef __cplusplus
}
#endif

#endif
