/* sentinel/'s interface: a fake in Sentinel mode, as a client of the
 * Sentinel sees it.
 *
 * A Sentinel monitors masters by name. For each master and each replica it
 * knows it keeps one TCP link (a plain client connection over loopback, on
 * its own loop) on which it sends PING every ping period (down-after / 10,
 * at most 1 s) and INFO (every info period: down-after, at most 1 s; the
 * ping period while a failover runs). INFO tells it the role, the
 * replication link and, on a master, its replicas (+slave when a new one
 * shows up). An instance that gave no valid PING reply for down-after ms
 * is subjectively down (+sdown); a master down is objectively down
 * (+odown) when the quorum is 1, since this Sentinel is the only one and
 * its own vote is all it has. Then it fails over with Redis' steps and
 * events (sentinel_failover.c), and switches the master (+switch-master).
 * A replica that reports the master role outside a failover (an old
 * master that came back) is turned into a replica (+convert-to-slave,
 * SLAVEOF).
 *
 * Structural changes (a reset, a switch) happen only in the tick, never
 * in a link's callback: a callback never frees what it is reading.
 * The commands layer reads the structs below and calls the functions;
 * it never writes the fields. Loop thread only. */
#ifndef FR_SENTINEL_ENGINE_H
#define FR_SENTINEL_ENGINE_H

#include "core.h"

#define FR_SEN_MAX_MASTERS 8
#define FR_SEN_MAX_REPLICAS 32

/* What the layers above lend the engine: publishing an event on the
 * Sentinel's own pub/sub (pubsub/ is a sibling). */
typedef struct fr_sentinel_hooks {
    void (*publish)(fr_server *srv, const char *channel, const char *msg);
} fr_sentinel_hooks;

enum { FR_SEN_ROLE_UNKNOWN = 0, FR_SEN_ROLE_MASTER, FR_SEN_ROLE_SLAVE };
enum { FR_SEN_RECONF_NONE = 0, FR_SEN_RECONF_SENT, FR_SEN_RECONF_INPROG, FR_SEN_RECONF_DONE };
enum {
    FR_SEN_FO_NONE = 0,
    FR_SEN_FO_SELECT_SLAVE,
    FR_SEN_FO_SEND_NOONE,
    FR_SEN_FO_WAIT_PROMOTION,
    FR_SEN_FO_RECONF_SLAVES
};

typedef struct fr_sen_inst {
    struct fr_sen_master *m; /* the master it belongs to (itself for a master) */
    int is_master;
    char ip[64];
    int port;
    char name[96]; /* the master's name, or "ip:port" for a replica */
    char runid[41];
    struct bufferevent *bev;
    int connected;
    fr_buf in;
    unsigned char pending[64]; /* kinds of the replies awaited, oldest first */
    unsigned npending;
    int64_t created, ping_sent, last_ping_at, last_ok_ping, last_ping_reply, reconnect_at;
    int64_t info_at, info_asked;
    uint64_t infos, info_sent; /* INFO replies so far, INFO sent (lost ones count as replied) */
    char *info;                /* the last INFO text (INFO-CACHE) */
    int role;
    int64_t role_at;
    char master_host[64];
    int master_port;
    int master_link_up;
    long long master_link_down_s, offset;
    int priority;
    int sdown;
    int64_t sdown_at;
    int reconf;
    uint64_t reconf_infos; /* info_sent when the reconf command left */
    int64_t convert_at;    /* last +convert-to-slave sent */
} fr_sen_inst;

typedef struct fr_sen_master {
    struct fr_sentinel *s;
    fr_sen_inst inst;
    fr_sen_inst *replicas[FR_SEN_MAX_REPLICAS];
    int nreplicas;
    int quorum, parallel_syncs;
    long long down_after, failover_timeout;
    char auth_pass[128], auth_user[128];
    int odown;
    int64_t odown_at;
    uint64_t config_epoch, leader_epoch;
    char leader[41];
    int fo_state, fo_forced;
    int64_t fo_state_at, fo_start, fo_next_try;
    uint64_t fo_epoch, fo_infos;
    fr_sen_inst *promoted;
    int fo_prefer_port; /* fr__sentinel_failover_to: this replica if it can be (0: Redis' pick) */
} fr_sen_master;

struct fr_sentinel {
    fr_server *srv;
    const fr_sentinel_hooks *h;
    char myid[41];
    uint64_t current_epoch;
    fr_sen_master *masters[FR_SEN_MAX_MASTERS];
    int nmasters;
    struct event *tick;
    int64_t tick_ms;
    int resolve_hostnames, announce_hostnames, announce_port;
    char announce_ip[64], sentinel_user[128], sentinel_pass[128];
    int simfail; /* SIMULATE-FAILURE flags: 1 after election, 2 after promotion */
};

/* Sentinel mode on srv (made once; hooks: static storage). */
struct fr_sentinel *fr__sentinel_state(fr_server *srv, const fr_sentinel_hooks *h);
/* SENTINEL MONITOR: 0, -1 duplicate name, -2 no room. */
int fr__sentinel_monitor(fr_server *srv, const fr_sentinel_hooks *h, const char *name,
                         const char *ip, int port, int quorum);
/* A replica known before the first INFO (the group tells its ports). */
void fr__sentinel_add_replica(fr_sen_master *m, const char *ip, int port);
void fr__sentinel_remove(fr_sen_master *m);
/* SENTINEL RESET for masters whose name matches pattern; the count. */
int fr__sentinel_reset(struct fr_sentinel *s, const char *pattern, size_t len);
fr_sen_master *fr__sentinel_find(const struct fr_sentinel *s, const char *name, size_t len);
fr_sen_master *fr__sentinel_find_addr(const struct fr_sentinel *s, const char *ip, int port);
/* The period changed (SENTINEL SET down-after-milliseconds). */
void fr__sentinel_retime(struct fr_sentinel *s);
/* Start a failover (SENTINEL FAILOVER): 0; -1 one runs (-INPROG); -2 no
 * replica can be promoted (-NOGOODSLAVE). */
int fr__sentinel_failover(fr_sen_master *m);
/* The same, promoting the replica on 127.0.0.1:port when it can be (a
 * group's failover promotes its first replica in sync, as without a
 * Sentinel). */
int fr__sentinel_failover_to(fr_sen_master *m, int port);
/* 1 when the replica on port can be promoted now; else 0, and its INFO is
 * asked at the next tick (a role changed since the last INFO shows then). */
int fr__sentinel_replica_ready(fr_sen_master *m, int port);
/* "sdown", "odown" or "ok", as INFO's masterN:status. */
const char *fr__sentinel_status(const fr_sen_master *m);
/* "master", "slave,s_down,disconnected" ...: SENTINEL MASTER's flags. */
void fr__sentinel_flags(const fr_sen_inst *i, char *out, size_t cap);
/* INFO's # Sentinel section. */
void fr__sentinel_info(fr_server *srv, fr_buf *out);

/* Internal between the engine's files. */
void fr__sen_event(fr_sen_inst *i, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void fr__sen_link_tick(fr_sen_inst *i, int64_t now);
void fr__sen_link_close(fr_sen_inst *i);
void fr__sen_send(fr_sen_inst *i, int kind, int argc, const char *const *argv);
void fr__sen_send_slaveof(fr_sen_inst *i, const char *host, int port);
void fr__sen_failover_tick(fr_sen_master *m, int64_t now);
fr_sen_inst *fr__sen_select_replica(fr_sen_master *m);
void fr__sen_switch(fr_sen_master *m, const char *ip, int port);
long long fr__sen_ping_period(const fr_sen_master *m);
long long fr__sen_info_period(const fr_sen_master *m);

enum { FR_SEN_REPLY_PING = 1, FR_SEN_REPLY_INFO, FR_SEN_REPLY_OTHER };

#endif
