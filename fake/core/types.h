/* The server and connection structures (no functions), shared by core and
 * every layer above it. Nothing here is public: include/fakeredis/ holds the API.
 * Each subsystem above core (pub/sub, blocking, faults, recording) keeps
 * its state behind one typed pointer on the server and one on the
 * connection: slots that core declares, never dereferences and never
 * fills; the subsystem's own header defines the struct. */
#ifndef FR_CORE_TYPES_H
#define FR_CORE_TYPES_H

#include <pthread.h>
#include <stdint.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "base.h"
#include "config.h"
#include "fakeredis/fakeredis.h"
#include "resp.h"

typedef struct fr_conn fr_conn;
typedef struct fr_cmd fr_cmd;
typedef struct fr_cmd_index fr_cmd_index;

/* Subsystem state slots (see the comment at the top). */
struct fr_keyspace;
struct fr_watch_table;
struct fr_stage_ops;
#define FR_STAGE_MAX 16  /* registered stage tables per server (stage.h) */
#define FR_STAGE_NOPS 24 /* callbacks an fr_stage_ops may have, at most (stage.c checks) */
struct fr_pubsub;
struct fr_pubsub_conn;
struct fr_multi_state;
struct fr_block_state;
struct fr_blocking;
struct fr_faults;
struct fr_fault_conn;
struct fr_jring;
struct fr_journal_conn;
struct fr_watcher;
struct fr_monitors;
struct fr_proxy;
struct fr_proxy_conn;
struct fr_repl;
struct fr_repl_conn;
struct fr_cluster_view;
struct fr_sentinel;
struct fr_cluster_conn;
struct fr_migration;
struct fr_scripting;
struct fr_acl;
struct fr_acl_user;
struct fr_tracking;
struct fr_tracking_conn;
struct fr_cstats;
struct fr_evict;

enum fr_conn_flag {
    FR_CONN_AUTHED = 1u << 0,
    FR_CONN_CLOSE_AFTER_REPLY = 1u << 1, /* close once the output is flushed */
    FR_CONN_CLOSE_ASAP = 1u << 2,        /* queued for the reaper */
    FR_CONN_MULTI = 1u << 3,
    FR_CONN_DIRTY_EXEC = 1u << 4, /* a queued command was rejected */
    FR_CONN_DIRTY_CAS = 1u << 5,  /* a WATCHed key changed */
    FR_CONN_PUBSUB = 1u << 6,     /* subscribed to something */
    FR_CONN_BLOCKED = 1u << 7,    /* in a blocking command */
    FR_CONN_REPLY_OFF = 1u << 8,
    FR_CONN_REPLY_SKIP = 1u << 9,      /* skip the reply of this command */
    FR_CONN_REPLY_SKIP_NEXT = 1u << 10, /* skip the reply of the next one */
    FR_CONN_PSEUDO = 1u << 11,    /* fr_exec's client: no socket */
    FR_CONN_NO_EVICT = 1u << 12,
    FR_CONN_NO_TOUCH = 1u << 13,
    FR_CONN_POSTPONED = 1u << 14, /* waiting for CLIENT PAUSE to end */
    FR_CONN_UNIX = 1u << 15,
    FR_CONN_EXECUTING = 1u << 16, /* inside EXEC: blocking acts non-blocking */
    FR_CONN_READ_PAUSED = 1u << 17, /* not reading its socket (faults) */
    /* in MONITOR mode: Redis makes such a client a replica-like one that
     * may not touch the keyspace and never times out */
    FR_CONN_MONITOR = 1u << 18,
    FR_CONN_YIELDED = 1u << 19,     /* used its turn: the rest of its input
                                       runs in the next loop iteration */
    FR_CONN_SCRIPT = 1u << 20,      /* the client Lua scripts run commands as */
    /* core's own output bookkeeping (conn.c): c->out may hold bytes (else
     * only c->obuf does, and libevent's evbuffer is not asked); the write
     * event is added (waiting for the socket) */
    FR_CONN_OUT_CHAINED = 1u << 21,
    FR_CONN_WANT_WRITE = 1u << 22
};

struct fr_conn {
    fr_server *srv;
    uint64_t id;
    int fd;
    unsigned flags;
    int resp; /* 2 or 3 */
    int db;
    struct event *rev, *wev;
    struct event *turn_ev; /* its next turn after a yield (made at the first) */

    fr_buf in;        /* bytes read; the unconsumed part starts at in_off */
    size_t in_off;
    fr_parser parser;
    fr_arg *argv;     /* the command being run */
    int argc;
    size_t req_len;   /* its bytes as received, from in.p + in_off (the proxy) */
    const fr_cmd *cmd;
    const fr_cmd *last_cmd;

    fr_buf reply;           /* the reply being built, before the output stage */
    fr_buf obuf;            /* bytes waiting for the socket: small replies... */
    size_t obuf_sent;       /* (its first obuf_sent bytes are written) */
    struct evbuffer *out;   /* ...then everything else (fr__conn_out_len) */

    char *name, *lib_name, *lib_ver;
    char addr[64], laddr[64]; /* through fr__conn_addr/laddr: filled lazily */
    int addrs_known;
    int64_t ctime_ms; /* real time: creation */
    int64_t last_ms;  /* monotonic: its last activity (idle time, `timeout`) */
    int64_t read_us;  /* monotonic: when its last bytes were read */
    uint64_t tot_in, tot_out;
    uint64_t ncmds; /* commands dispatched on it, each once (a held one
                       counts when it finally runs) */
    uint64_t pause_seq; /* held by CLIENT PAUSE, in this order; 0: not held */

    fr_conn *prev, *next;     /* srv->conns */
    fr_conn *pending_next;    /* srv->pending, conns with output to write */
    fr_conn **pending_pprev;  /* what points to this conn in that list */
    int pending;
    fr_conn *close_next;      /* srv->to_close */

    struct fr_multi_state *multi;
    struct fr_pubsub_conn *subs;
    struct fr_block_state *block;
    struct fr_fault_conn *fault;
    struct fr_journal_conn *jconn;
    struct fr_proxy_conn *proxy; /* its upstream (record/proxy.c); NULL: served here */
    struct fr_repl_conn *repl;   /* a replica's link (replication/); NULL: none */
    struct fr_cluster_conn *cluster; /* ASKING, READONLY (cluster/); NULL: neither */
    struct fr_acl_user *user;    /* logged in as (acl/); NULL: the default user */
    struct fr_tracking_conn *track; /* client-side caching (tracking/); NULL: never on */
};

/* Counters reported by INFO and reset by CONFIG RESETSTAT. */
typedef struct fr_stats {
    uint64_t conns_received, conns_rejected, commands, net_in, net_out;
    uint64_t pubsub_clients_killed, errors;
} fr_stats;

typedef struct fr_job fr_job;

struct fr_server {
    struct event_base *base;
    int own_base; /* threaded: we made the base and run it */
    pthread_t thread;
    pthread_t loop_thread; /* the thread allowed to touch the server */
    int threaded;
    fr_loop *loop; /* threaded on a shared loop (fr_options.loop): no thread of its own */

    char *bind_addr;
    int port;       /* the real port, -1 without a TCP listener */
    char *unixsocket;
    int tcp_fd, unix_fd;
    struct event *tcp_ev, *unix_ev;
    int listening; /* accepting connections */

    fr_conn *conns;
    size_t nconns;
    uint64_t next_id;
    fr_conn *pending;  /* conns with output waiting, written by flush_ev */
    struct event *flush_ev;
    int flush_armed;   /* flush_ev is active: it runs in this iteration */
    fr_conn *to_close; /* conns to free at a safe point */
    struct event *reaper_ev;
    struct event *cron_ev;
    struct event *expire_ev; /* active expiry, every 10 ms */
    fr_conn *exec_client; /* the pseudo client behind fr_exec */

    fr_config cfg;
    fr_clock clock;
    fr_stats stats;
    const fr_cmd_index *cmds; /* shared, read-only: not the server's to free */
    int64_t start_ms, lastsave_s;

    /* CLIENT PAUSE */
    int64_t paused_until_ms; /* 0: not paused */
    int pause_all;           /* ALL rather than WRITE */
    uint64_t pause_seq;      /* the last fr_conn.pause_seq handed out */
    struct event *pause_ev;

    /* cross-thread calls (see marshal.c) */
    pthread_mutex_t jobs_mu;
    pthread_cond_t jobs_cv;
    fr_job *jobs;
    int wake_fd; /* an eventfd */
    int marshal_ready;
    int stop_requested; /* atomic: fr_server_stop asked the loop to end */
    struct event *jobs_ev;

    volatile int shut_down; /* SHUTDOWN ran or the server stopped */
    void (*on_shutdown)(void *ctx);
    void *on_shutdown_ctx;
    char errstr[256];

    /* registered stages, sorted by order (stage.h), and for each callback
     * the stages that have it: a stage point walks only those */
    const struct fr_stage_ops *stages[FR_STAGE_MAX];
    int nstages;
    uint8_t stage_n[FR_STAGE_NOPS];
    const struct fr_stage_ops *stage_by_op[FR_STAGE_NOPS][FR_STAGE_MAX];
    /* A monotonic reading (fr__mono_us) the input loop took just before it
     * dispatched the current command, for the stage that times it; 0 when
     * none is fresh (nested calls, wake-ups, scripts read the clock). */
    int64_t cmd_t0_us;
    /* The loop's latest monotonic reading (a read, a flush): activity
     * stamps take it instead of reading the clock again. */
    int64_t now_us;

    struct fr_keyspace *ks;
    struct fr_watch_table *watch; /* WATCHed keys (multi.c); NULL: none yet */
    struct fr_pubsub *pubsub;
    struct fr_blocking *blocking;
    struct fr_faults *faults;
    struct fr_rec *rec; /* recording and playback (record.h); NULL: none */
    struct fr_jring *journal; /* the command journal; NULL: off */

    /* fr_server_watch: told once per loop iteration after something
     * changed (a command ran, a client came or went, listening changed,
     * the cron ran); NULL: nobody watches, one compare per command */
    struct fr_watcher *watchers;
    uint64_t next_watch_id;
    struct event *notify_ev;
    int notify_pending;
    struct fr_monitors *monitors; /* MONITOR clients (record/monitor.c); NULL: none yet */
    struct fr_proxy *proxy;       /* the upstream Redis (record/proxy.c); NULL: none */
    struct fr_repl *repl;         /* replication (replication/); NULL: a plain master */
    struct fr_cluster_view *cluster;   /* cluster mode (cluster/); NULL: standalone */
    struct fr_sentinel *sentinel;      /* sentinel mode (sentinel/); NULL: a data server */
    /* a mode that knows fewer commands (a Sentinel): 0 hides cmd; NULL: all */
    int (*cmd_filter)(const struct fr_cmd *cmd);
    struct fr_scripting *scripting; /* Lua scripts and functions (script/); NULL: none yet */
    struct fr_acl *acl;           /* users (acl/); NULL: only default, requirepass */
    int default_locked; /* with acl: the default user has a password or is off */
    int default_nopass; /* with acl: the default user has nopass (protected mode) */
    struct fr_tracking *tracking; /* client-side caching (tracking/); NULL: never used */
    struct fr_cstats *cstats; /* command stats, slowlog, latency (stats/); NULL: off */
    struct fr_evict *evict;   /* maxmemory accounting and eviction (evict/); NULL: off */
    struct fr_migration *migrations; /* MIGRATEs awaiting their target (cmd_migrate.c) */
};

#endif
