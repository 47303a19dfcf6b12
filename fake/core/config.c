/* The parameter table and its text forms. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"
#include "fakeredis/fakeredis.h"
#include "types.h"


enum ptype { P_BOOL, P_LL, P_MEM, P_STR, P_ENUM, P_SPECIAL };
/* P_PROTECTED: what Redis 7.0 marks PROTECTED_CONFIG, refused by CONFIG SET
 * with its default enable-protected-configs no (the fake has no way to
 * turn them on: nothing is ever written to dir). */
/* P_KEPT: checked by its type, then kept as text (fr_config.kept), with
 * no effect on the fake (config_kept.inc). */
enum { P_IMMUTABLE = 1, P_HIDDEN = 2, P_PROTECTED = 4, P_KEPT = 8 };
enum special {
    S_NONE,
    S_SAVE,
    S_OBUF,
    S_NOTIFY,
    S_HZ,
    S_PCTS,      /* latency-tracking-info-percentiles */
    S_OOMVALS,   /* oom-score-adj-values */
    S_HOSTNAME,  /* cluster-announce-hostname */
    S_PROCTITLE, /* proc-title-template */
    S_MEMPCT,    /* maxmemory-clients: bytes or a percentage */
    S_ULLMEM,    /* an unsigned memory value up to 2^64-1 */
    S_BACKLOG,   /* repl-backlog-size: at least 16 KB, as Redis resizes it */
    S_REPLICAOF  /* replicaof HOST PORT (or NO ONE), at start */
};

typedef struct param {
    const char *name;
    const char *alias; /* the pre-7.0 name, still accepted and listed */
    enum ptype type;
    size_t off;
    long long min, max;
    int flags;
    const char *const *choices; /* P_ENUM */
    enum special special;
    const char *dflt; /* P_KEPT: the default, as CONFIG GET shows it */
} param;

#define OFF(f) offsetof(fr_config, f)

static const char *const policies[] = {"volatile-lru", "volatile-lfu", "volatile-random",
                                       "volatile-ttl", "allkeys-lru",  "allkeys-lfu",
                                       "allkeys-random", "noeviction", NULL};
static const char *const loglevels[] = {"debug", "verbose", "notice", "warning", NULL};
static const char *const debug_modes[] = {"no", "yes", "local", NULL};
static const char *const pubsub_defaults[] = {"allchannels", "resetchannels", NULL};
static const char *const c_appendfsync[] = {"everysec", "always", "no", NULL};
static const char *const c_cluster_preferred_endpoint_type[] = {"ip", "hostname",
                                                                "unknown-endpoint", NULL};
static const char *const c_oom_score_adj[] = {"no", "yes", "relative", "absolute", NULL};
static const char *const c_propagation_error_behavior[] = {"ignore", "panic",
                                                           "panic-on-replicas", NULL};
static const char *const c_repl_diskless_load[] = {"disabled", "on-empty-db", "swapdb", NULL};
static const char *const c_sanitize_dump_payload[] = {"no", "yes", "clients", NULL};
static const char *const c_shutdown[] = {"default", "save", "nosave", "now", "force", NULL};
static const char *const c_tls_auth_clients[] = {"no", "yes", "optional", NULL};

static const param params[] = {
    {"databases", NULL, P_LL, OFF(databases), 1, FR_MAX_DATABASES, P_IMMUTABLE, NULL, S_NONE, NULL},
    {"maxclients", NULL, P_LL, OFF(maxclients), 1, 4294967295LL, 0, NULL, S_NONE, NULL},
    {"timeout", NULL, P_LL, OFF(timeout), 0, INT_MAX, 0, NULL, S_NONE, NULL},
    {"hz", NULL, P_LL, OFF(hz), 0, INT_MAX, 0, NULL, S_HZ, NULL},
    {"requirepass", NULL, P_STR, OFF(requirepass), 0, 0, 0, NULL, S_NONE, NULL},
    {"notify-keyspace-events", NULL, P_SPECIAL, 0, 0, 0, 0, NULL, S_NOTIFY, NULL},
    {"proto-max-bulk-len", NULL, P_MEM, OFF(proto_max_bulk_len), 1024 * 1024, LLONG_MAX, 0,
     NULL, S_NONE, NULL},
    {"client-query-buffer-limit", NULL, P_MEM, OFF(client_query_buffer_limit), 1024 * 1024,
     LLONG_MAX, 0, NULL, S_NONE, NULL},
    {"client-output-buffer-limit", NULL, P_SPECIAL, 0, 0, 0, 0, NULL, S_OBUF, NULL},
    {"save", NULL, P_SPECIAL, 0, 0, 0, 0, NULL, S_SAVE, NULL},
    {"appendonly", NULL, P_BOOL, OFF(appendonly), 0, 0, 0, NULL, S_NONE, NULL},
    {"maxmemory", NULL, P_MEM, OFF(maxmemory), 0, LLONG_MAX, 0, NULL, S_NONE, NULL},
    {"maxmemory-policy", NULL, P_ENUM, OFF(maxmemory_policy), 0, 0, 0, policies, S_NONE, NULL},
    {"maxmemory-samples", NULL, P_LL, OFF(maxmemory_samples), 1, 64, 0, NULL, S_NONE, NULL},
    {"tcp-keepalive", NULL, P_LL, OFF(tcp_keepalive), 0, INT_MAX, 0, NULL, S_NONE, NULL},
    {"tcp-backlog", NULL, P_LL, OFF(tcp_backlog), 0, INT_MAX, P_IMMUTABLE, NULL, S_NONE, NULL},
    {"slowlog-log-slower-than", NULL, P_LL, OFF(slowlog_slower_than), -1, LLONG_MAX, 0, NULL,
     S_NONE, NULL},
    {"slowlog-max-len", NULL, P_LL, OFF(slowlog_max_len), 0, LONG_MAX, 0, NULL, S_NONE, NULL},
    {"busy-reply-threshold", "lua-time-limit", P_LL, OFF(busy_reply_threshold), 0, LONG_MAX, 0,
     NULL, S_NONE, NULL},
    {"latency-monitor-threshold", NULL, P_LL, OFF(latency_threshold), 0, LLONG_MAX, 0, NULL,
     S_NONE, NULL},
    {"list-max-listpack-size", "list-max-ziplist-size", P_LL, OFF(enc.list_max_listpack_size),
     INT_MIN, INT_MAX, 0, NULL, S_NONE, NULL},
    {"list-compress-depth", NULL, P_LL, OFF(list_compress_depth), 0, INT_MAX, 0, NULL, S_NONE,
     NULL},
    {"hash-max-listpack-entries", "hash-max-ziplist-entries", P_LL,
     OFF(enc.hash_max_listpack_entries), 0, LONG_MAX, 0, NULL, S_NONE, NULL},
    {"hash-max-listpack-value", "hash-max-ziplist-value", P_MEM, OFF(enc.hash_max_listpack_value),
     0, LONG_MAX, 0, NULL, S_NONE, NULL},
    {"set-max-intset-entries", NULL, P_LL, OFF(enc.set_max_intset_entries), 0, LONG_MAX, 0, NULL,
     S_NONE, NULL},
    {"zset-max-listpack-entries", "zset-max-ziplist-entries", P_LL,
     OFF(enc.zset_max_listpack_entries), 0, LONG_MAX, 0, NULL, S_NONE, NULL},
    {"zset-max-listpack-value", "zset-max-ziplist-value", P_MEM, OFF(enc.zset_max_listpack_value),
     0, LONG_MAX, 0, NULL, S_NONE, NULL},
    {"hll-sparse-max-bytes", NULL, P_MEM, OFF(hll_sparse_max_bytes), 0, LONG_MAX, 0, NULL,
     S_NONE, NULL},
    {"stream-node-max-bytes", NULL, P_MEM, OFF(enc.stream_node_max_bytes), 0, LONG_MAX, 0, NULL,
     S_NONE, NULL},
    {"stream-node-max-entries", NULL, P_LL, OFF(enc.stream_node_max_entries), 0, LLONG_MAX, 0,
     NULL, S_NONE, NULL},
    {"activerehashing", NULL, P_BOOL, OFF(activerehashing), 0, 0, 0, NULL, S_NONE, NULL},
    {"lazyfree-lazy-user-flush", NULL, P_BOOL, OFF(lazyfree_user_flush), 0, 0, 0, NULL,
     S_NONE, NULL},
    {"lazyfree-lazy-user-del", NULL, P_BOOL, OFF(lazyfree_user_del), 0, 0, 0, NULL, S_NONE, NULL},
    {"protected-mode", NULL, P_BOOL, OFF(protected_mode), 0, 0, 0, NULL, S_NONE, NULL},
    {"replica-read-only", "slave-read-only", P_BOOL, OFF(replica_read_only), 0, 0, 0, NULL,
     S_NONE, NULL},
    {"daemonize", NULL, P_BOOL, OFF(daemonize), 0, 0, P_IMMUTABLE, NULL, S_NONE, NULL},
    {"io-threads", NULL, P_LL, OFF(io_threads), 1, 128, P_IMMUTABLE, NULL, S_NONE, NULL},
    {"dir", NULL, P_STR, OFF(dir), 0, 0, P_PROTECTED, NULL, S_NONE, NULL},
    {"dbfilename", NULL, P_STR, OFF(dbfilename), 0, 0, P_PROTECTED, NULL, S_NONE, NULL},
    {"appendfilename", NULL, P_STR, OFF(appendfilename), 0, 0, P_IMMUTABLE, NULL, S_NONE, NULL},
    {"logfile", NULL, P_STR, OFF(logfile), 0, 0, P_IMMUTABLE, NULL, S_NONE, NULL},
    {"loglevel", NULL, P_ENUM, OFF(loglevel), 0, 0, 0, loglevels, S_NONE, NULL},
    {"enable-debug-command", NULL, P_ENUM, OFF(enable_debug_command), 0, 0, P_IMMUTABLE,
     debug_modes, S_NONE, NULL},
    {"enable-module-command", NULL, P_ENUM, OFF(enable_module_command), 0, 0, P_IMMUTABLE,
     debug_modes, S_NONE, NULL},
    {"bind", NULL, P_STR, OFF(bind), 0, 0, 0, NULL, S_NONE, NULL},
    {"port", NULL, P_LL, OFF(port), 0, 65535, 0, NULL, S_NONE, NULL},
    {"unixsocket", NULL, P_STR, OFF(unixsocket), 0, 0, P_IMMUTABLE, NULL, S_NONE, NULL},
    {"acl-pubsub-default", NULL, P_ENUM, OFF(acl_pubsub_default), 0, 0, 0, pubsub_defaults,
     S_NONE, NULL},
    {"acllog-max-len", NULL, P_LL, OFF(acllog_max_len), 0, LLONG_MAX, 0, NULL, S_NONE, NULL},
    {"aclfile", NULL, P_STR, OFF(aclfile), 0, 0, P_IMMUTABLE, NULL, S_NONE, NULL},
    /* the keyspace's LFU counters read these (fr__config_policy_changed);
     * the tracking table's size limit, tracking/ */
    {"cluster-require-full-coverage", NULL, P_BOOL, OFF(cluster_require_full_coverage), 0, 0, 0,
     NULL, S_NONE, NULL},
    {"cluster-allow-reads-when-down", NULL, P_BOOL, OFF(cluster_allow_reads_when_down), 0, 0, 0,
     NULL, S_NONE, NULL},
    {"lfu-log-factor", NULL, P_LL, OFF(lfu_log_factor), 0, INT_MAX, 0, NULL, S_NONE, NULL},
    {"lfu-decay-time", NULL, P_LL, OFF(lfu_decay_time), 0, INT_MAX, 0, NULL, S_NONE, NULL},
    {"tracking-table-max-keys", NULL, P_LL, OFF(tracking_table_max_keys), 0, LONG_MAX, 0, NULL,
     S_NONE, NULL},
    {"latency-tracking", NULL, P_BOOL, OFF(latency_tracking), 0, 0, 0, NULL, S_NONE, NULL},
    {"latency-tracking-info-percentiles", NULL, P_SPECIAL, OFF(latency_pcts), 0, 0, 0, NULL,
     S_PCTS, NULL},
    {"replica-priority", "slave-priority", P_LL, OFF(replica_priority), 0, INT_MAX, 0, NULL,
     S_NONE, NULL},
    {"replica-announced", NULL, P_BOOL, OFF(replica_announced), 0, 0, 0, NULL, S_NONE, NULL},
    {"repl-backlog-size", NULL, P_MEM, OFF(repl_backlog_size), 1, LLONG_MAX, 0, NULL, S_BACKLOG,
     NULL},
    {"masterauth", NULL, P_STR, OFF(masterauth), 0, 0, 0, NULL, S_NONE, NULL},
    {"masteruser", NULL, P_STR, OFF(masteruser), 0, 0, 0, NULL, S_NONE, NULL},
    {"min-replicas-to-write", "min-slaves-to-write", P_LL, OFF(min_replicas_to_write), 0,
     INT_MAX, 0, NULL, S_NONE, NULL},
    {"min-replicas-max-lag", "min-slaves-max-lag", P_LL, OFF(min_replicas_max_lag), 0, INT_MAX, 0,
     NULL, S_NONE, NULL},
    {"replicaof", "slaveof", P_SPECIAL, OFF(replicaof), 0, 0, P_IMMUTABLE, NULL, S_REPLICAOF,
     NULL},
#include "config_kept.inc"
};

#define NPARAMS (sizeof params / sizeof params[0])

void fr__config_defaults(fr_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->databases = 16;
    cfg->maxclients = 10000;
    cfg->hz = 10;
    cfg->proto_max_bulk_len = 512LL * 1024 * 1024;
    cfg->client_query_buffer_limit = 1024LL * 1024 * 1024;
    cfg->maxmemory_samples = 5;
    cfg->tcp_keepalive = 300;
    cfg->tcp_backlog = 511;
    cfg->slowlog_slower_than = 10000;
    cfg->slowlog_max_len = 128;
    cfg->busy_reply_threshold = 5000;
    cfg->enc.list_max_listpack_size = -2;
    /* 7.0.15's compiled-in defaults, as CONFIG GET shows them */
    cfg->enc.hash_max_listpack_entries = 512;
    cfg->enc.hash_max_listpack_value = 64;
    cfg->enc.set_max_intset_entries = 512;
    cfg->enc.zset_max_listpack_entries = 128;
    cfg->enc.zset_max_listpack_value = 64;
    cfg->enc.stream_node_max_bytes = 4096;
    cfg->hll_sparse_max_bytes = 3000;
    cfg->enc.stream_node_max_entries = 100;
    cfg->activerehashing = 1;
    cfg->protected_mode = 1;
    cfg->lfu_log_factor = 10;
    cfg->cluster_require_full_coverage = 1;
    cfg->lfu_decay_time = 1;
    cfg->tracking_table_max_keys = 1000000;
    cfg->replica_read_only = 1;
    cfg->io_threads = 1;
    cfg->control = 1;
    cfg->requirepass = fr__xstrdup("");
    cfg->save = fr__xstrdup("3600 1 300 100 60 10000");
    cfg->dir = NULL; /* unset: the working directory when asked, as Redis' getcwd() */
    cfg->dbfilename = fr__xstrdup("dump.rdb");
    cfg->appendfilename = fr__xstrdup("appendonly.aof");
    cfg->logfile = fr__xstrdup("");
    cfg->loglevel = fr__xstrdup("notice");
    cfg->maxmemory_policy = fr__xstrdup("noeviction");
    /* A test double wants DEBUG (SLEEP, POPULATE); Redis defaults to "no". */
    cfg->enable_debug_command = fr__xstrdup("yes");
    cfg->enable_module_command = fr__xstrdup("no"); /* as Redis: MODULE LOAD refused */
    cfg->bind = fr__xstrdup("127.0.0.1");
    cfg->unixsocket = fr__xstrdup("");
    cfg->acl_pubsub_default = fr__xstrdup("resetchannels");
    cfg->aclfile = fr__xstrdup("");
    cfg->acllog_max_len = 128;
    cfg->port = 6379;
    cfg->obuf[FR_CLASS_NORMAL] = (fr_obuf_limit){0, 0, 0};
    cfg->obuf[FR_CLASS_REPLICA] = (fr_obuf_limit){256LL << 20, 64LL << 20, 60};
    cfg->obuf[FR_CLASS_PUBSUB] = (fr_obuf_limit){32LL << 20, 8LL << 20, 60};
    cfg->latency_tracking = 1;
    cfg->latency_pcts = fr__xstrdup("50 99 99.9");
    cfg->replica_priority = 100;
    cfg->replica_announced = 1;
    cfg->repl_backlog_size = 1024 * 1024;
    cfg->min_replicas_max_lag = 10;
    cfg->masterauth = fr__xstrdup("");
    cfg->masteruser = fr__xstrdup("");
    cfg->replicaof = fr__xstrdup("");
}

void fr__config_free(fr_config *cfg)
{
    char **strs[] = {&cfg->requirepass, &cfg->save, &cfg->dir, &cfg->dbfilename,
                     &cfg->appendfilename, &cfg->logfile, &cfg->loglevel,
                     &cfg->maxmemory_policy, &cfg->enable_debug_command, &cfg->enable_module_command, &cfg->bind,
                     &cfg->unixsocket, &cfg->record_dir, &cfg->acl_pubsub_default,
                     &cfg->aclfile, &cfg->latency_pcts, &cfg->masterauth, &cfg->masteruser,
                     &cfg->replicaof};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        free(*strs[i]);
        *strs[i] = NULL;
    }
    for (size_t i = 0; cfg->kept && i < NPARAMS; i++)
        free(cfg->kept[i]);
    free(cfg->kept);
    cfg->kept = NULL;
    for (int i = 0; i < cfg->n_user_lines; i++)
        free(cfg->user_lines[i]);
    free(cfg->user_lines);
    cfg->user_lines = NULL;
    cfg->n_user_lines = 0;
}

/* A memory value as Redis' memtoull reads it: digits and a unit, unsigned
 * (values past LLONG_MAX parse, and a range then refuses them). */
static int parse_memory_u(const char *s, size_t len, unsigned long long *out)
{
    size_t i = 0;
    unsigned long long v = 0;
    while (i < len && isdigit((unsigned char)s[i])) {
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (ULLONG_MAX - d) / 10)
            return 0;
        v = v * 10 + d;
        i++;
    }
    if (i == 0)
        return 0;
    static const struct {
        const char *u;
        unsigned long long mul;
    } units[] = {{"", 1},          {"b", 1},          {"k", 1000ULL},    {"kb", 1024ULL},
                 {"m", 1000000ULL}, {"mb", 1ULL << 20}, {"g", 1000000000ULL}, {"gb", 1ULL << 30}};
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        if (strlen(units[u].u) == len - i && !strncasecmp(units[u].u, s + i, len - i)) {
            if (v && v > ULLONG_MAX / units[u].mul)
                return 0;
            *out = v * units[u].mul;
            return 1;
        }
    }
    return 0;
}

int fr__parse_memory(const char *s, size_t len, long long *out)
{
    char tmp[64];
    if (len == 0 || len >= sizeof tmp)
        return 0;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    size_t i = 0;
    while (i < len && (isdigit((unsigned char)tmp[i]) || (i == 0 && tmp[i] == '-')))
        i++;
    long long mul = 1;
    const char *u = tmp + i;
    if (!*u) mul = 1;
    else if (!strcasecmp(u, "b")) mul = 1;
    else if (!strcasecmp(u, "k")) mul = 1000;
    else if (!strcasecmp(u, "kb")) mul = 1024;
    else if (!strcasecmp(u, "m")) mul = 1000LL * 1000;
    else if (!strcasecmp(u, "mb")) mul = 1024LL * 1024;
    else if (!strcasecmp(u, "g")) mul = 1000LL * 1000 * 1000;
    else if (!strcasecmp(u, "gb")) mul = 1024LL * 1024 * 1024;
    else return 0;
    long long v;
    if (!fr__str2ll(tmp, i, &v))
        return 0;
    if (v != 0 && (v > LLONG_MAX / mul || v < LLONG_MIN / mul))
        return 0;
    *out = v * mul;
    return 1;
}

int fr__notify_parse(const char *s, size_t len)
{
    int flags = 0;
    for (size_t i = 0; i < len; i++) {
        switch (s[i]) {
        case 'A': flags |= FR_NOTIFY_ALL; break;
        case 'g': flags |= FR_NOTIFY_GENERIC; break;
        case '$': flags |= FR_NOTIFY_STRING; break;
        case 'l': flags |= FR_NOTIFY_LIST; break;
        case 's': flags |= FR_NOTIFY_SET; break;
        case 'h': flags |= FR_NOTIFY_HASH; break;
        case 'z': flags |= FR_NOTIFY_ZSET; break;
        case 'x': flags |= FR_NOTIFY_EXPIRED; break;
        case 'e': flags |= FR_NOTIFY_EVICTED; break;
        case 'K': flags |= FR_NOTIFY_KEYSPACE; break;
        case 'E': flags |= FR_NOTIFY_KEYEVENT; break;
        case 't': flags |= FR_NOTIFY_STREAM; break;
        case 'm': flags |= FR_NOTIFY_KEY_MISS; break;
        case 'd': flags |= FR_NOTIFY_MODULE; break;
        case 'n': flags |= FR_NOTIFY_NEW; break;
        default: return -1;
        }
    }
    return flags;
}

void fr__notify_format(int flags, fr_buf *out)
{
    static const struct {
        int bit;
        char c;
    } classes[] = {{FR_NOTIFY_GENERIC, 'g'}, {FR_NOTIFY_STRING, '$'}, {FR_NOTIFY_LIST, 'l'},
                   {FR_NOTIFY_SET, 's'},     {FR_NOTIFY_HASH, 'h'},   {FR_NOTIFY_ZSET, 'z'},
                   {FR_NOTIFY_EXPIRED, 'x'}, {FR_NOTIFY_EVICTED, 'e'}, {FR_NOTIFY_STREAM, 't'},
                   {FR_NOTIFY_MODULE, 'd'}};
    /* 7.0.15 accepts 'n' and delivers "new" events, but never prints it */
    if ((flags & FR_NOTIFY_ALL) == FR_NOTIFY_ALL) {
        fr__buf_putc(out, 'A');
    } else {
        for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++)
            if (flags & classes[i].bit)
                fr__buf_putc(out, classes[i].c);
    }
    if (flags & FR_NOTIFY_KEYSPACE)
        fr__buf_putc(out, 'K');
    if (flags & FR_NOTIFY_KEYEVENT)
        fr__buf_putc(out, 'E');
    if (flags & FR_NOTIFY_KEY_MISS)
        fr__buf_putc(out, 'm');
}

static const param *find_param(const char *name, size_t len)
{
    for (size_t i = 0; i < NPARAMS; i++) {
        const param *p = &params[i];
        if ((strlen(p->name) == len && !strncasecmp(p->name, name, len)) ||
            (p->alias && strlen(p->alias) == len && !strncasecmp(p->alias, name, len)))
            return p;
    }
    return NULL;
}

static void render(const fr_config *cfg, const param *p, fr_buf *out)
{
    const char *base = (const char *)cfg;
    if (p->flags & P_KEPT) {
        const char *t = cfg->kept ? cfg->kept[p - params] : NULL;
        fr__buf_puts(out, t ? t : p->dflt);
        return;
    }
    switch (p->type) {
    case P_BOOL:
        fr__buf_puts(out, *(const int *)(base + p->off) ? "yes" : "no");
        break;
    case P_LL:
    case P_MEM:
        fr__buf_put_ll(out, *(const long long *)(base + p->off));
        break;
    case P_STR:
    case P_ENUM: {
        const char *s = *(char *const *)(base + p->off);
        char cwd[4096];
        if (!s && p->off == OFF(dir)) /* a system call less per start */
            s = getcwd(cwd, sizeof cwd) ? cwd : "/";
        fr__buf_puts(out, s ? s : "");
        break;
    }
    case P_SPECIAL:
        if (p->special == S_SAVE) {
            fr__buf_puts(out, cfg->save);
        } else if (p->special == S_PCTS) {
            fr__buf_puts(out, cfg->latency_pcts);
        } else if (p->special == S_REPLICAOF) {
            fr__buf_puts(out, cfg->replicaof);
        } else if (p->special == S_NOTIFY) {
            fr__notify_format(cfg->notify_flags, out);
        } else if (p->special == S_OBUF) {
            static const char *const names[] = {"normal", "slave", "pubsub"};
            for (int i = 0; i < FR_CLASS_COUNT; i++)
                fr__buf_printf(out, "%s%s %lld %lld %lld", i ? " " : "", names[i],
                               cfg->obuf[i].hard, cfg->obuf[i].soft, cfg->obuf[i].soft_seconds);
        }
        break;
    }
}

/* The words of a value, for the parameters that take several. */
typedef struct word_list {
    fr_buf store;
    size_t *lens, cap;
    int n;
} word_list;

static void words_split(word_list *w, const fr_arg *v)
{
    memset(w, 0, sizeof *w);
    w->n = fr__split_args(v->p, v->len, &w->store, &w->lens, &w->cap);
}

static void words_free(word_list *w)
{
    free(w->lens);
    fr__buf_free(&w->store);
}

/* A percentile as Redis prints one: %f, then no trailing zeros or dot. */
static void put_trimmed_double(fr_buf *out, double d)
{
    char tmp[64];
    int n = snprintf(tmp, sizeof tmp, "%f", d);
    while (n > 0 && strchr(tmp, '.') && (tmp[n - 1] == '0' || tmp[n - 1] == '.')) {
        char c = tmp[--n];
        tmp[n] = '\0';
        if (c == '.')
            break;
    }
    fr__buf_puts(out, tmp);
}

/* latency-tracking-info-percentiles: numbers in [0, 100], kept as Redis
 * prints them back ("50 99 99.9"); none is allowed. */
static int check_percentiles(const fr_arg *v, fr_buf *canon, char *err, size_t errlen)
{
    word_list w;
    words_split(&w, v);
    int rc = w.n < 0 ? -1 : 0;
    size_t off = 0;
    for (int i = 0; rc == 0 && i < w.n; i++) {
        char tmp[64], *end;
        size_t n = w.lens[i] < sizeof tmp - 1 ? w.lens[i] : sizeof tmp - 1;
        memcpy(tmp, w.store.p + off, n);
        tmp[n] = '\0';
        off += w.lens[i];
        errno = 0;
        double d = strtod(tmp, &end);
        if (n == 0 || *end || errno || d != d) {
            rc = -1;
            break;
        }
        if (d < 0.0 || d > 100.0) {
            snprintf(err, errlen,
                     "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]");
            rc = -2;
            break;
        }
        if (i)
            fr__buf_putc(canon, ' ');
        put_trimmed_double(canon, d);
    }
    words_free(&w);
    if (rc == -1)
        snprintf(err, errlen, "Invalid latency-tracking-info-percentiles parameters");
    if (!canon->p)
        fr__buf_reserve(canon, 0);
    return rc < 0 ? -1 : 0;
}

/* proc-title-template, as Redis checks it: every {...} one of its
 * variables, and something left once it is filled in for a test title
 * "" and trimmed ({unixsocket} alone, with no unix socket, is nothing;
 * {config-file} is something even without one, as 7.0.15 answers). */
static int proc_title_ok(const fr_config *cfg, const char *p, size_t n)
{
    static const struct {
        const char *name;
        int filled; /* -1: only with a unix socket */
    } vars[] = {{"{title}", 0},     {"{listen-addr}", 1}, {"{server-mode}", 0}, {"{port}", 1},
                {"{tls-port}", 1},  {"{unixsocket}", -1}, {"{config-file}", 1}};
    int something = 0;
    for (size_t i = 0; i < n;) {
        if (p[i] != '{') {
            something |= p[i] != ' ';
            i++;
            continue;
        }
        size_t k = 0, nv = sizeof vars / sizeof vars[0];
        while (k < nv && !(strlen(vars[k].name) <= n - i &&
                           !memcmp(p + i, vars[k].name, strlen(vars[k].name))))
            k++;
        if (k == nv)
            return 0;
        something |= vars[k].filled > 0 || (vars[k].filled < 0 && *cfg->unixsocket);
        i += strlen(vars[k].name);
    }
    return something;
}

/* The kept parameters with rules of their own. 0 with the value as
 * CONFIG GET shows it in canon, or -1 with Redis' reason. */
static int check_kept_special(const fr_config *cfg, const param *p, const fr_arg *v,
                              fr_buf *canon, char *err, size_t errlen)
{
    switch (p->special) {
    case S_OOMVALS: {
        word_list w;
        words_split(&w, v);
        int rc = 0;
        if (w.n != 3) {
            snprintf(err, errlen, "wrong number of arguments");
            rc = -1;
        }
        size_t off = 0;
        for (int i = 0; rc == 0 && i < w.n; i++) {
            long long x;
            if (!fr__str2ll(w.store.p + off, w.lens[i], &x) || x < -2000 || x > 2000) {
                snprintf(err, errlen,
                         "Invalid oom-score-adj-values, elements must be between -2000 and 2000.");
                rc = -1;
            } else {
                if (i)
                    fr__buf_putc(canon, ' ');
                fr__buf_put_ll(canon, x);
            }
            off += w.lens[i];
        }
        words_free(&w);
        return rc;
    }
    case S_HOSTNAME:
        for (size_t i = 0; i < v->len; i++) {
            unsigned char c = (unsigned char)v->p[i];
            if (!isalnum(c) && c != '-' && c != '.') {
                snprintf(err, errlen,
                         "Hostnames may only contain alphanumeric characters, hyphens or dots");
                return -1;
            }
        }
        fr__buf_append(canon, v->p, v->len);
        return 0;
    case S_PROCTITLE:
        if (!proc_title_ok(cfg, v->p, v->len)) {
            snprintf(err, errlen, "template format is invalid or contains unknown variables");
            return -1;
        }
        fr__buf_append(canon, v->p, v->len);
        return 0;
    case S_MEMPCT: {
        long long x;
        if (v->len > 1 && v->p[v->len - 1] == '%') {
            if (!fr__str2ll(v->p, v->len - 1, &x) || x < 0) {
                snprintf(err, errlen, "argument must be a memory or percent value");
                return -1;
            }
            if (x > 100) {
                snprintf(err, errlen, "percentage argument must be less or equal to 100");
                return -1;
            }
            fr__buf_put_ll(canon, x);
            if (x) /* 0% is no limit, shown as 0 */
                fr__buf_putc(canon, '%');
            return 0;
        }
        if (!fr__parse_memory(v->p, v->len, &x) || x < 0) {
            snprintf(err, errlen, "argument must be a memory or percent value");
            return -1;
        }
        fr__buf_put_ll(canon, x);
        return 0;
    }
    case S_ULLMEM: {
        unsigned long long u;
        if (!parse_memory_u(v->p, v->len, &u)) {
            snprintf(err, errlen, "argument must be a memory value");
            return -1;
        }
        fr__buf_printf(canon, "%llu", u);
        return 0;
    }
    default:
        fr__buf_append(canon, v->p, v->len);
        return 0;
    }
}

/* Kept values the fake cannot honour and will not pretend to: refused
 * with the reason, where Redis would act on them. */
static int refused_value(const param *p, const char *val, char *err, size_t errlen)
{
    /* each takes its default only; any other value gets the reason (the
     * reference server's own, which has no certificates and Debian's
     * jemalloc, where it has one) */
    static const char tls[] = "Unable to update TLS configuration. Check server logs.";
    static const struct {
        const char *name, *why;
    } only_default[] = {
        {"tls-port", tls},
        {"tls-cluster", tls},
        {"tls-replication", tls},
        {"activedefrag", "Active defragmentation cannot be enabled: it requires a Redis server "
                         "compiled with a modified Jemalloc like the one shipped by default with "
                         "the Redis source distribution"},
        {"cluster-enabled", "fakeredis starts a cluster with --cluster N (fr_cluster_start), not "
                            "cluster-enabled"},
    };
    for (size_t i = 0; i < sizeof only_default / sizeof only_default[0]; i++) {
        if (!strcmp(p->name, only_default[i].name) && strcmp(val, p->dflt) != 0) {
            snprintf(err, errlen, "%s", only_default[i].why);
            return -1;
        }
    }
    return 0;
}

static void set_str(char **slot, const char *p, size_t n)
{
    free(*slot);
    *slot = fr__xmemdup(p, n);
}

static int set_special(fr_config *cfg, const param *p, const fr_arg *v, char *err, size_t errlen)
{
    if (p->special == S_REPLICAOF) {
        /* HOST PORT, NO ONE (a master), or "" as CONFIG GET shows a master */
        word_list w;
        words_split(&w, v);
        long long port = -1;
        int ok = w.n == 0;
        if (w.n == 2) {
            int no_one = w.lens[0] == 2 && !strncasecmp(w.store.p, "no", 2) && w.lens[1] == 3 &&
                         !strncasecmp(w.store.p + 2, "one", 3);
            ok = no_one || (fr__str2ll(w.store.p + w.lens[0], w.lens[1], &port) && port >= 0 &&
                            port <= 65535);
        }
        if (ok) {
            fr_buf line = {0};
            if (port >= 0)
                fr__buf_printf(&line, "%.*s %lld", (int)w.lens[0], w.store.p, port);
            set_str(&cfg->replicaof, line.p ? line.p : "", line.len);
            fr__buf_free(&line);
        } else {
            snprintf(err, errlen, "Invalid master port");
        }
        words_free(&w);
        return ok ? 0 : -1;
    }
    if (p->special == S_PCTS) {
        fr_buf canon = {0};
        int rc = check_percentiles(v, &canon, err, errlen);
        if (rc == 0)
            set_str((char **)((char *)cfg + p->off), canon.p, canon.len);
        fr__buf_free(&canon);
        return rc;
    }
    if (p->special == S_NOTIFY) {
        int f = fr__notify_parse(v->p, v->len);
        if (f < 0) {
            snprintf(err, errlen, "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
            return -1;
        }
        cfg->notify_flags = f;
        return 0;
    }
    if (p->special == S_SAVE) {
        /* pairs of seconds and changes; nothing is ever written */
        fr_buf words = {0};
        size_t *lens = NULL, cap = 0;
        int n = fr__split_args(v->p, v->len, &words, &lens, &cap);
        int ok = n >= 0 && n % 2 == 0;
        size_t off = 0;
        for (int i = 0; ok && i < n; i++) {
            long long x;
            if (!fr__str2ll(words.p + off, lens[i], &x) || x < 0)
                ok = 0;
            off += lens[i];
        }
        free(lens);
        fr__buf_free(&words);
        if (!ok) {
            snprintf(err, errlen, "Invalid save parameters");
            return -1;
        }
        set_str(&cfg->save, v->p, v->len);
        return 0;
    }
    if (p->special == S_OBUF) {
        fr_buf words = {0};
        size_t *lens = NULL, cap = 0;
        int n = fr__split_args(v->p, v->len, &words, &lens, &cap);
        int rc = 0;
        fr_obuf_limit next[FR_CLASS_COUNT];
        memcpy(next, cfg->obuf, sizeof next);
        if (n < 0 || n % 4 != 0) {
            snprintf(err, errlen, "Wrong number of arguments in buffer limit configuration.");
            rc = -1;
        }
        size_t off = 0;
        for (int i = 0; rc == 0 && i < n; i += 4) {
            const char *w = words.p + off;
            int cls;
            if (lens[i] == 6 && !strncasecmp(w, "normal", 6)) cls = FR_CLASS_NORMAL;
            else if ((lens[i] == 5 && !strncasecmp(w, "slave", 5)) ||
                     (lens[i] == 7 && !strncasecmp(w, "replica", 7))) cls = FR_CLASS_REPLICA;
            else if (lens[i] == 6 && !strncasecmp(w, "pubsub", 6)) cls = FR_CLASS_PUBSUB;
            else {
                snprintf(err, errlen, "Invalid client class specified in buffer limit configuration.");
                rc = -1;
                break;
            }
            off += lens[i];
            long long vals[3];
            for (int j = 0; j < 3; j++) {
                if (!fr__parse_memory(words.p + off, lens[i + 1 + j], &vals[j]) || vals[j] < 0) {
                    snprintf(err, errlen, "Error in hard, soft or soft_seconds setting in buffer limit configuration.");
                    rc = -1;
                }
                off += lens[i + 1 + j];
            }
            if (rc == 0)
                next[cls] = (fr_obuf_limit){vals[0], vals[1], vals[2]};
        }
        free(lens);
        fr__buf_free(&words);
        if (rc == 0)
            memcpy(cfg->obuf, next, sizeof next);
        return rc;
    }
    return 0;
}

/* A value of a typed parameter (bool, number, memory, enum) checked as
 * Redis checks it: *num gets a bool's 0/1 or the number, *choice the
 * enum's word. 0, or -1 with Redis' reason in err. */
static int check_typed(const param *p, const fr_arg *v, long long *num, const char **choice,
                       char *err, size_t errlen)
{
    switch (p->type) {
    case P_BOOL:
        if (fr__arg_is(v, "yes") || fr__arg_is(v, "no")) {
            *num = fr__arg_is(v, "yes");
            return 0;
        }
        snprintf(err, errlen, "argument must be 'yes' or 'no'");
        return -1;
    case P_LL:
    case P_MEM: {
        long long x;
        int ok = p->type == P_MEM ? fr__parse_memory(v->p, v->len, &x)
                                  : fr__str2ll(v->p, v->len, &x);
        unsigned long long u;
        if (p->type == P_MEM && ok && x < 0) /* Redis reads memory values unsigned */
            ok = 0;
        if (p->type == P_MEM && !ok && parse_memory_u(v->p, v->len, &u))
            ok = 2; /* past LLONG_MAX: out of every range here */
        if (!ok) {
            snprintf(err, errlen, p->type == P_MEM ? "argument must be a memory value"
                                                   : "argument couldn't be parsed into an integer");
            return -1;
        }
        if (ok == 2 || x < p->min || x > p->max) {
            snprintf(err, errlen, "argument must be between %lld and %lld inclusive", p->min,
                     p->max);
            return -1;
        }
        *num = x;
        return 0;
    }
    case P_ENUM: {
        const char *const *ch = p->choices;
        while (*ch && !fr__arg_is(v, *ch))
            ch++;
        if (*ch) {
            *choice = *ch;
            return 0;
        }
        fr_buf list = {0};
        for (ch = p->choices; *ch; ch++)
            fr__buf_printf(&list, "%s%s", ch == p->choices ? "" : ", ", *ch);
        snprintf(err, errlen, "argument(s) must be one of the following: %s", list.p);
        fr__buf_free(&list);
        return -1;
    }
    default:
        return 0;
    }
}

/* A parameter kept as text: checked by its type (or its own rule), then
 * stored in the form CONFIG GET shows. */
static int set_kept(fr_config *cfg, const param *p, const fr_arg *v, char *err, size_t errlen)
{
    fr_buf canon = {0};
    long long num = 0;
    const char *choice = NULL;
    int rc = 0;
    if (p->type == P_SPECIAL)
        rc = check_kept_special(cfg, p, v, &canon, err, errlen);
    else if ((rc = check_typed(p, v, &num, &choice, err, errlen)) == 0) {
        if (p->type == P_BOOL)
            fr__buf_puts(&canon, num ? "yes" : "no");
        else if (p->type == P_ENUM)
            fr__buf_puts(&canon, choice);
        else if (p->type == P_STR)
            fr__buf_append(&canon, v->p, v->len);
        else
            fr__buf_put_ll(&canon, num);
    }
    if (rc == 0 && (rc = refused_value(p, canon.p ? canon.p : "", err, errlen)) == 0) {
        if (!cfg->kept)
            cfg->kept = fr__xcalloc(NPARAMS, sizeof *cfg->kept);
        char **slot = &cfg->kept[p - params];
        set_str(slot, canon.p ? canon.p : "", canon.len);
    }
    fr__buf_free(&canon);
    return rc;
}

int fr__config_set(fr_server *srv, const char *name, size_t nlen, const fr_arg *vals,
                   int nvals, int startup, char *err, size_t errlen)
{
    const param *p = find_param(name, nlen);
    if (!p)
        return -2;
    fr_config *cfg = &srv->cfg;
    char *base = (char *)cfg;
    if ((p->flags & P_IMMUTABLE) && !startup) {
        snprintf(err, errlen, "can't set immutable config");
        return -1;
    }
    if ((p->flags & P_PROTECTED) && !startup) {
        snprintf(err, errlen, "can't set protected config");
        return -1;
    }
    /* words after the first are joined with spaces (save, buffer limits) */
    fr_buf joined = {0};
    for (int i = 0; i < nvals; i++) {
        if (i)
            fr__buf_putc(&joined, ' ');
        fr__buf_append(&joined, vals[i].p, vals[i].len);
    }
    if (!joined.p)
        fr__buf_reserve(&joined, 0);
    fr_arg v = {joined.p, joined.len};
    long long num = 0;
    const char *choice = NULL;
    int rc = 0;
    if (p->flags & P_KEPT) {
        rc = set_kept(cfg, p, &v, err, errlen);
    } else if (p->type == P_SPECIAL) {
        rc = set_special(cfg, p, &v, err, errlen);
    } else if ((rc = check_typed(p, &v, &num, &choice, err, errlen)) == 0) {
        switch (p->type) {
        case P_BOOL:
            *(int *)(base + p->off) = (int)num;
            break;
        case P_LL:
        case P_MEM:
            if (p->special == S_HZ) /* Redis clamps rather than refuses */
                num = num < 1 ? 1 : num > 500 ? 500 : num;
            if (p->special == S_BACKLOG && num < 16 * 1024)
                num = 16 * 1024;
            *(long long *)(base + p->off) = num;
            break;
        case P_ENUM:
            set_str((char **)(base + p->off), choice, strlen(choice));
            break;
        case P_STR:
        case P_SPECIAL:
            set_str((char **)(base + p->off), v.p, v.len);
            break;
        }
    }
    fr__buf_free(&joined);
    if (rc == 0 && (p->off == OFF(maxmemory_policy) || p->off == OFF(lfu_log_factor) ||
                    p->off == OFF(lfu_decay_time)))
        fr__config_policy_changed(srv);
    return rc;
}

void fr__config_policy_changed(fr_server *srv)
{
    srv->cfg.policy_gen++;
    /* the keyspace keeps LFU counters from the next access on, as Redis
     * does from the moment the policy is set (OBJECT FREQ, eviction) */
    if (srv->ks) {
        srv->ks->lfu = strstr(srv->cfg.maxmemory_policy, "lfu") != NULL;
        srv->ks->lfu_log_factor = (int)srv->cfg.lfu_log_factor;
        srv->ks->lfu_decay_time = (int)srv->cfg.lfu_decay_time;
    }
}

int fr__config_apply_line(fr_server *srv, const char *line, size_t len, char *err,
                          size_t errlen)
{
    fr_buf words = {0};
    size_t *lens = NULL, cap = 0;
    int n = fr__split_args(line, len, &words, &lens, &cap);
    int rc = 0;
    if (n < 0) {
        snprintf(err, errlen, "unbalanced quotes in configuration line");
        rc = -1;
    } else if (n == 1) {
        snprintf(err, errlen, "wrong number of arguments");
        rc = -1;
    } else if (n >= 2 && lens[0] == 4 && !strncasecmp(words.p, "user", 4)) {
        /* an ACL user, as in redis.conf: kept for the ACL, which checks it
         * once the server is made */
        fr_config *cfg = &srv->cfg;
        cfg->user_lines = fr__xrealloc(cfg->user_lines,
                                       (size_t)(cfg->n_user_lines + 1) * sizeof *cfg->user_lines);
        cfg->user_lines[cfg->n_user_lines++] = fr__xmemdup(line, len);
    } else if (n >= 2) {
        fr_arg vals[16];
        size_t off = lens[0];
        int nv = 0;
        for (int i = 1; i < n && nv < 16; i++) {
            vals[nv++] = (fr_arg){words.p + off, lens[i]};
            off += lens[i];
        }
        rc = fr__config_set(srv, words.p, lens[0], vals, nv, 1, err, errlen);
        if (rc == -2)
            snprintf(err, errlen, "Bad directive or wrong number of arguments");
        if (rc < 0)
            rc = -1;
    }
    free(lens);
    fr__buf_free(&words);
    return rc;
}

void fr__config_get(fr_server *srv, const char *const *pats, const size_t *plens, int npats,
                    fr_config_emit *emit, void *ctx)
{
    unsigned char seen[NPARAMS * 2];
    memset(seen, 0, sizeof seen);
    fr_buf val = {0};
    for (int i = 0; i < npats; i++) {
        const char *pat = pats[i];
        size_t pl = plens[i];
        int glob = memchr(pat, '*', pl) || memchr(pat, '?', pl) || memchr(pat, '[', pl);
        for (size_t j = 0; j < NPARAMS; j++) {
            const param *p = &params[j];
            for (int a = 0; a < 2; a++) {
                const char *nm = a ? p->alias : p->name;
                if (!nm || seen[j * 2 + (size_t)a])
                    continue;
                size_t nl = strlen(nm);
                int hit = glob ? fr__glob_match(pat, pl, nm, nl, 1)
                               : (nl == pl && !strncasecmp(nm, pat, pl));
                if (!hit)
                    continue;
                seen[j * 2 + (size_t)a] = 1;
                fr__buf_clear(&val);
                render(&srv->cfg, p, &val);
                /* an exact name is echoed as the client spelled it */
                emit(ctx, glob ? nm : pat, glob ? nl : pl, val.p ? val.p : "", val.len);
            }
        }
    }
    fr__buf_free(&val);
}

/* 127.0.0.0/8 and ::1 (and 127/8 mapped into IPv6): what only this host
 * can reach. */
static int loopback4(const struct in_addr *a)
{
    return (ntohl(a->s_addr) >> 24) == 127;
}

static int loopback6(const struct in6_addr *a)
{
    return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
}

int fr__protected_refuses_bind(const char *bind, int port, const char *requirepass,
                               int protected_mode)
{
    if (!protected_mode || port < 0 || (requirepass && *requirepass))
        return 0;
    struct in_addr a4;
    struct in6_addr a6;
    const char *addr = bind ? bind : "127.0.0.1";
    if (inet_pton(AF_INET, addr, &a4) == 1)
        return !loopback4(&a4);
    if (inet_pton(AF_INET6, addr, &a6) == 1)
        return !loopback6(&a6);
    return 0; /* not an address: listening refuses it with its own error */
}

int fr__protected_denies_peer(int protected_mode, const char *requirepass,
                              const struct sockaddr *peer)
{
    if (!protected_mode || (requirepass && *requirepass))
        return 0;
    /* copied out, not cast: the caller's storage has its own type */
    if (peer->sa_family == AF_INET) {
        struct sockaddr_in in;
        memcpy(&in, peer, sizeof in);
        return !loopback4(&in.sin_addr);
    }
    if (peer->sa_family == AF_INET6) {
        struct sockaddr_in6 in6;
        memcpy(&in6, peer, sizeof in6);
        return !loopback6(&in6.sin6_addr);
    }
    return peer->sa_family != AF_UNIX;
}

int fr__protected_active(const fr_server *srv)
{
    /* Redis asks whether the default user is nopass: a password set with
     * ACL SETUSER default >pw counts as much as requirepass */
    const fr_config *cfg = &srv->cfg;
    if (!cfg->protected_mode)
        return 0;
    return srv->acl ? srv->default_nopass : !(cfg->requirepass && *cfg->requirepass);
}

int fr__protected_denies_fd(const fr_server *srv, int fd)
{
    if (!fr__protected_active(srv))
        return 0;
    /* a loopback listener only ever has loopback peers: no system call */
    if (!fr__protected_refuses_bind(srv->bind_addr, srv->port, NULL, 1))
        return 0;
    union {
        struct sockaddr sa;
        struct sockaddr_storage ss;
    } peer;
    socklen_t len = sizeof peer;
    if (getpeername(fd, &peer.sa, &len) < 0)
        return 1; /* who it is is unknown: not local */
    return fr__protected_denies_peer(1, NULL, &peer.sa);
}

/* redis 7.0.15's own words (typo included), sent before closing */
const char fr__err_denied[] =
    "-DENIED Redis is running in protected mode because protected mode is enabled and no "
    "password is set for the default user. In this mode connections are only accepted from the "
    "loopback interface. If you want to connect from external computers to Redis you may adopt "
    "one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG "
    "SET protected-mode no' from the loopback interface by connecting to Redis from the same "
    "host the server is running, however MAKE SURE Redis is not publicly accessible from "
    "internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively "
    "you can just disable the protected mode by editing the Redis configuration file, and "
    "setting the protected mode option to 'no', and then restarting the server. 3) If you "
    "started the server manually just for testing, restart it with the '--protected-mode no' "
    "option. 4) Setup a an authentication password for the default user. NOTE: You only need to "
    "do one of the above things in order for the server to start accepting connections from the "
    "outside.\r\n";

