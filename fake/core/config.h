/* Configuration parameters: one table (config.c) serves CONFIG GET/SET,
 * the program's --name value flags, config files and fr_options.config. */
#ifndef FR_CONFIG_H
#define FR_CONFIG_H

#include <stddef.h>

#include "base.h"
#include "data.h"
#include "resp.h"

typedef struct fr_server fr_server;

/* Output buffer limits per client class. */
typedef struct fr_obuf_limit {
    long long hard, soft, soft_seconds;
} fr_obuf_limit;

enum { FR_CLASS_NORMAL, FR_CLASS_REPLICA, FR_CLASS_PUBSUB, FR_CLASS_COUNT };

typedef struct fr_config {
    long long databases, maxclients, timeout, hz, proto_max_bulk_len;
    long long maxmemory, maxmemory_samples, tcp_keepalive, tcp_backlog;
    long long slowlog_slower_than, slowlog_max_len, latency_threshold;
    long long list_compress_depth;
    long long busy_reply_threshold; /* ms a script runs before others get -BUSY */
    long long hll_sparse_max_bytes;
    fr_enc_limits enc; /* what the types read (data/object.h) */
    long long client_query_buffer_limit, io_threads;
    int appendonly, activerehashing, lazyfree_user_flush, lazyfree_user_del;
    int protected_mode, replica_read_only, daemonize;
    int notify_flags;
    int control; /* FAKE.* commands allowed */
    char *requirepass, *save, *dir, *dbfilename, *appendfilename, *logfile;
    char *loglevel, *maxmemory_policy, *enable_debug_command, *bind;
    unsigned policy_gen; /* bumped at every maxmemory-policy set: eviction
                            re-reads the string only then */
    char *unixsocket;
    char *acl_pubsub_default, *aclfile; /* acl/ reads them */
    long long acllog_max_len;
    char *enable_module_command;
    char *record_dir; /* FAKE.RECORD START's directory, absolute; NULL: none */
    long long port;
    long long lfu_log_factor, lfu_decay_time, tracking_table_max_keys;
    /* cluster/ reads them: a slot nobody serves takes the cluster down;
     * reads are served while it is down */
    int cluster_require_full_coverage, cluster_allow_reads_when_down;
    fr_obuf_limit obuf[FR_CLASS_COUNT];
    /* stats/ reads these (INFO latencystats: whether, and which
     * percentiles, as text: "50 99 99.9") */
    int latency_tracking;
    char *latency_pcts;
    /* replication/ reads these: INFO's replica fields, the replica's AUTH
     * to its master */
    long long replica_priority, repl_backlog_size;
    /* a master refuses writes (-NOREPLICAS) while fewer replicas than
     * this acknowledged within the lag (seconds); 0: no check */
    long long min_replicas_to_write, min_replicas_max_lag;
    int replica_announced;
    char *masterauth, *masteruser;
    /* "HOST PORT" of the master, "" when a master: a start's "replicaof"
     * line (api/ runs REPLICAOF), then kept up by replication/ for CONFIG
     * GET replicaof */
    char *replicaof;
    /* the values of the parameters only kept as text (config_kept.inc),
     * by table row; NULL until one is set: the row's default */
    char **kept;
    /* "user NAME RULES..." lines of the start's configuration, in order:
     * the ACL takes them once the server is made (api/) */
    char **user_lines;
    int n_user_lines;
} fr_config;

struct fr_options;

void fr__config_defaults(fr_config *cfg);
void fr__config_free(fr_config *cfg);

/* Set name to the value words vals[0..nvals). Returns 0, or -1 with
 * Redis' reason in err ("argument must be 'yes' or 'no'"); -2 when the
 * name is unknown. `startup` allows immutable parameters. */
/* maxmemory-policy, lfu-log-factor or lfu-decay-time was set: tell the
 * keyspace whether to keep LFU data, and how its counters grow and decay.
 * Called by fr__config_set, and at start once the keyspace exists. */
void fr__config_policy_changed(fr_server *srv);
int fr__config_set(fr_server *srv, const char *name, size_t nlen, const fr_arg *vals,
                   int nvals, int startup, char *err, size_t errlen);

/* One "name value..." line as in redis.conf (quotes allowed). Returns 0, or
 * -1 with the reason in err. */
int fr__config_apply_line(fr_server *srv, const char *line, size_t len, char *err,
                          size_t errlen);


/* Protected mode, as Redis has it, and stricter at start. At start: would
 * the server listen on a TCP address other hosts can reach (anything but
 * 127.0.0.0/8 and ::1; bind NULL is 127.0.0.1) with protected mode on and
 * no password? Then it refuses to start. At accept: a peer that is not on
 * loopback or the unix socket is denied while protected mode is on and no
 * password is set (a password cleared by CONFIG SET at run time). */
struct sockaddr;
int fr__protected_refuses_bind(const char *bind, int port, const char *requirepass,
                               int protected_mode);
int fr__protected_denies_peer(int protected_mode, const char *requirepass,
                              const struct sockaddr *peer);
/* The same for an accepted socket of srv (no system call when the TCP
 * listener is on loopback). */
int fr__protected_denies_fd(const fr_server *srv, int fd);
/* Whether protected mode is in force: on, and the default user has no
 * password (nopass: requirepass unset, or ACL SETUSER default nopass). */
int fr__protected_active(const fr_server *srv);
/* Redis 7.0.15's text for the denied connection, CRLF included. */
extern const char fr__err_denied[];

/* For each parameter matched by pattern (a glob, or an exact name that
 * may be an alias), call emit(name, value). Returns how many matched. */
typedef void fr_config_emit(void *ctx, const char *name, size_t nlen, const char *val,
                            size_t vlen);
void fr__config_get(fr_server *srv, const char *const *pats, const size_t *plens, int npats,
                    fr_config_emit *emit, void *ctx);

/* notify-keyspace-events in and out of its letter form. -1: bad letter. */
int fr__notify_parse(const char *s, size_t len);
void fr__notify_format(int flags, fr_buf *out);
/* Parse "1gb", "100k", "5" (Redis' memtoull). Returns 0 on error. */
int fr__parse_memory(const char *s, size_t len, long long *out);

#endif
