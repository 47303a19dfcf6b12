/* The replication state shared by the files of replication/ (private to
 * the folder). repl.c: the state, its stages, the master's side (stream,
 * PSYNC, REPLCONF, WAIT); repl_link.c: the replica's side (the link to its
 * master, applying the stream after a lag); repl_role.c: ROLE, INFO,
 * REPLICAOF and FAILOVER. */
#ifndef FR_REPL_PRIVATE_H
#define FR_REPL_PRIVATE_H

#include "repl_engine.h"

struct bufferevent;

/* A replica as its master sees it: the connection it sent PSYNC on. */
typedef struct fr_repl_conn {
    fr_conn *c;
    int port;            /* REPLCONF listening-port */
    long long ack;       /* REPLCONF ACK: the offset it applied */
    int64_t ack_ms;      /* real time of its last ACK */
    int failover_target; /* it asked PSYNC ... FAILOVER of us (unused) */
    struct fr_repl_conn *next;
} fr_repl_conn;

/* A client in WAIT. */
typedef struct fr_repl_waiter {
    fr_conn *c;
    long long offset, want;
    struct event *timer; /* NULL: no timeout */
    struct fr_repl *r;
    struct fr_repl_waiter *next;
} fr_repl_waiter;

/* The replica's link state, in ROLE's words. */
enum {
    FR_LINK_NONE,       /* a master */
    FR_LINK_CONNECT,    /* "connect": to (re)connect */
    FR_LINK_CONNECTING, /* "connecting": TCP connect in flight */
    FR_LINK_HANDSHAKE,  /* "handshake": PING, REPLCONF, PSYNC */
    FR_LINK_SYNC,       /* "sync": receiving the snapshot */
    FR_LINK_CONNECTED   /* "connected": streaming */
};

enum { FR_FO_NONE, FR_FO_WAIT_SYNC, FR_FO_IN_PROGRESS };

/* Where a chunk of received stream ends and when it arrived (the lag). */
typedef struct fr_repl_mark {
    size_t end; /* offset in in */
    int64_t at; /* fr__mono_ms */
} fr_repl_mark;

struct fr_repl {
    fr_server *srv;
    const fr_repl_hooks *hooks;
    char replid[41], replid2[41];
    long long offset;        /* master_repl_offset (applied, on a replica) */
    long long second_offset; /* -1 */
    long long backlog_first; /* 0: no backlog yet (no replica ever came) */

    /* master side */
    fr_repl_conn *replicas;
    int stream_db;  /* the database the stream last SELECTed; -1 none */
    int multi_open; /* MULTI emitted for the EXEC running now */
    fr_buf touched; /* keys modified since the last command: db, len, bytes */
    int flushed;    /* a database was flushed or swapped */
    int listening;  /* the keyspace listener is in */
    fr_buf stream;  /* what the command being propagated emits */
    fr_repl_waiter *waiters;

    /* failover (a master handing over) */
    int fo_state;
    char *fo_host;
    int fo_port;
    int fo_force;
    int64_t fo_deadline; /* real ms; 0 none */

    /* replica side */
    char *master_host;
    int master_port;
    int link;
    int psync_failover; /* the next PSYNC says FAILOVER (we hand over) */
    struct bufferevent *bev;
    int hs_replies;      /* handshake replies read */
    int hs_expect;       /* ... of which the last is PSYNC's */
    long long snap_left; /* snapshot bytes still to come; -1 before $len */
    char master_replid[41];
    long long master_offset; /* +FULLRESYNC's offset */
    fr_buf in;               /* stream received, from in_off not applied */
    size_t in_off;
    long long read_offset; /* slave_read_repl_offset */
    fr_parser parser;
    fr_repl_mark *marks;
    size_t nmarks, capmarks;
    fr_conn *mc; /* the master client applying the stream */
    int64_t lag_ms;
    int paused;
    struct event *apply_ev;
    int64_t last_io_ms, down_since_ms; /* real ms; down_since 0: never up */
    int ever_up;
    int64_t retry_at; /* real ms: the next connect attempt */
};

/* repl.c */
void fr__repl_emit(struct fr_repl *r, int argc, const fr_arg *argv);
void fr__repl_feed(struct fr_repl *r);
void fr__repl_check_waiters(struct fr_repl *r);
void fr__repl_drop_replicas(struct fr_repl *r);
int fr__repl_online(const struct fr_repl *r);
void fr__repl_new_replid(struct fr_repl *r);
void fr__repl_failover_check(struct fr_repl *r);
/* repl_link.c */
void fr__repl_link_start(struct fr_repl *r);
void fr__repl_link_stop(struct fr_repl *r);
void fr__repl_link_cron(struct fr_repl *r);
void fr__repl_link_free(struct fr_repl *r);
/* repl_role.c */
void fr__repl_become_master(struct fr_repl *r);
void fr__repl_set_master(struct fr_repl *r, const char *host, int port);
/* The link to the replica we hand over to is up: the failover is done. */
void fr__repl_failover_done(struct fr_repl *r);

#endif
