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
enum { P_IMMUTABLE = 1, P_HIDDEN = 2, P_PROTECTED = 4 };
enum special { S_NONE, S_SAVE, S_OBUF, S_NOTIFY, S_HZ };

typedef struct param {
    const char *name;
    const char *alias; /* the pre-7.0 name, still accepted and listed */
    enum ptype type;
    size_t off;
    long long min, max;
    int flags;
    const char *const *choices; /* P_ENUM */
    enum special special;
} param;

#define OFF(f) offsetof(fr_config, f)

static const char *const policies[] = {"volatile-lru", "volatile-lfu", "volatile-random",
                                       "volatile-ttl", "allkeys-lru",  "allkeys-lfu",
                                       "allkeys-random", "noeviction", NULL};
static const char *const loglevels[] = {"debug", "verbose", "notice", "warning", NULL};
static const char *const debug_modes[] = {"no", "yes", "local", NULL};
static const char *const pubsub_defaults[] = {"allchannels", "resetchannels", NULL};

static const param params[] = {
    {"databases", NULL, P_LL, OFF(databases), 1, FR_MAX_DATABASES, P_IMMUTABLE, NULL, S_NONE},
    {"maxclients", NULL, P_LL, OFF(maxclients), 1, 4294967295LL, 0, NULL, S_NONE},
    {"timeout", NULL, P_LL, OFF(timeout), 0, INT_MAX, 0, NULL, S_NONE},
    {"hz", NULL, P_LL, OFF(hz), 0, INT_MAX, 0, NULL, S_HZ},
    {"requirepass", NULL, P_STR, OFF(requirepass), 0, 0, 0, NULL, S_NONE},
    {"notify-keyspace-events", NULL, P_SPECIAL, 0, 0, 0, 0, NULL, S_NOTIFY},
    {"proto-max-bulk-len", NULL, P_MEM, OFF(proto_max_bulk_len), 1024 * 1024, LLONG_MAX, 0,
     NULL, S_NONE},
    {"client-query-buffer-limit", NULL, P_MEM, OFF(client_query_buffer_limit), 1024 * 1024,
     LLONG_MAX, 0, NULL, S_NONE},
    {"client-output-buffer-limit", NULL, P_SPECIAL, 0, 0, 0, 0, NULL, S_OBUF},
    {"save", NULL, P_SPECIAL, 0, 0, 0, 0, NULL, S_SAVE},
    {"appendonly", NULL, P_BOOL, OFF(appendonly), 0, 0, 0, NULL, S_NONE},
    {"maxmemory", NULL, P_MEM, OFF(maxmemory), 0, LLONG_MAX, 0, NULL, S_NONE},
    {"maxmemory-policy", NULL, P_ENUM, OFF(maxmemory_policy), 0, 0, 0, policies, S_NONE},
    {"maxmemory-samples", NULL, P_LL, OFF(maxmemory_samples), 1, 64, 0, NULL, S_NONE},
    {"tcp-keepalive", NULL, P_LL, OFF(tcp_keepalive), 0, INT_MAX, 0, NULL, S_NONE},
    {"tcp-backlog", NULL, P_LL, OFF(tcp_backlog), 0, INT_MAX, P_IMMUTABLE, NULL, S_NONE},
    {"slowlog-log-slower-than", NULL, P_LL, OFF(slowlog_slower_than), -1, LLONG_MAX, 0, NULL,
     S_NONE},
    {"slowlog-max-len", NULL, P_LL, OFF(slowlog_max_len), 0, LONG_MAX, 0, NULL, S_NONE},
    {"busy-reply-threshold", "lua-time-limit", P_LL, OFF(busy_reply_threshold), 0, LONG_MAX, 0,
     NULL, S_NONE},
    {"latency-monitor-threshold", NULL, P_LL, OFF(latency_threshold), 0, LLONG_MAX, 0, NULL,
     S_NONE},
    {"list-max-listpack-size", "list-max-ziplist-size", P_LL, OFF(enc.list_max_listpack_size),
     INT_MIN, INT_MAX, 0, NULL, S_NONE},
    {"list-compress-depth", NULL, P_LL, OFF(list_compress_depth), 0, INT_MAX, 0, NULL, S_NONE},
    {"hash-max-listpack-entries", "hash-max-ziplist-entries", P_LL,
     OFF(enc.hash_max_listpack_entries), 0, LONG_MAX, 0, NULL, S_NONE},
    {"hash-max-listpack-value", "hash-max-ziplist-value", P_MEM, OFF(enc.hash_max_listpack_value),
     0, LONG_MAX, 0, NULL, S_NONE},
    {"set-max-intset-entries", NULL, P_LL, OFF(enc.set_max_intset_entries), 0, LONG_MAX, 0, NULL,
     S_NONE},
    {"zset-max-listpack-entries", "zset-max-ziplist-entries", P_LL,
     OFF(enc.zset_max_listpack_entries), 0, LONG_MAX, 0, NULL, S_NONE},
    {"zset-max-listpack-value", "zset-max-ziplist-value", P_MEM, OFF(enc.zset_max_listpack_value),
     0, LONG_MAX, 0, NULL, S_NONE},
    {"hll-sparse-max-bytes", NULL, P_MEM, OFF(hll_sparse_max_bytes), 0, LONG_MAX, 0, NULL,
     S_NONE},
    {"stream-node-max-bytes", NULL, P_MEM, OFF(enc.stream_node_max_bytes), 0, LONG_MAX, 0, NULL,
     S_NONE},
    {"stream-node-max-entries", NULL, P_LL, OFF(enc.stream_node_max_entries), 0, LLONG_MAX, 0,
     NULL, S_NONE},
    {"activerehashing", NULL, P_BOOL, OFF(activerehashing), 0, 0, 0, NULL, S_NONE},
    {"lazyfree-lazy-user-flush", NULL, P_BOOL, OFF(lazyfree_user_flush), 0, 0, 0, NULL,
     S_NONE},
    {"lazyfree-lazy-user-del", NULL, P_BOOL, OFF(lazyfree_user_del), 0, 0, 0, NULL, S_NONE},
    {"protected-mode", NULL, P_BOOL, OFF(protected_mode), 0, 0, 0, NULL, S_NONE},
    {"replica-read-only", "slave-read-only", P_BOOL, OFF(replica_read_only), 0, 0, 0, NULL,
     S_NONE},
    {"daemonize", NULL, P_BOOL, OFF(daemonize), 0, 0, P_IMMUTABLE, NULL, S_NONE},
    {"io-threads", NULL, P_LL, OFF(io_threads), 1, 128, P_IMMUTABLE, NULL, S_NONE},
    {"dir", NULL, P_STR, OFF(dir), 0, 0, P_PROTECTED, NULL, S_NONE},
    {"dbfilename", NULL, P_STR, OFF(dbfilename), 0, 0, P_PROTECTED, NULL, S_NONE},
    {"appendfilename", NULL, P_STR, OFF(appendfilename), 0, 0, P_IMMUTABLE, NULL, S_NONE},
    {"logfile", NULL, P_STR, OFF(logfile), 0, 0, P_IMMUTABLE, NULL, S_NONE},
    {"loglevel", NULL, P_ENUM, OFF(loglevel), 0, 0, 0, loglevels, S_NONE},
    {"enable-debug-command", NULL, P_ENUM, OFF(enable_debug_command), 0, 0, P_IMMUTABLE,
     debug_modes, S_NONE},
    {"enable-module-command", NULL, P_ENUM, OFF(enable_module_command), 0, 0, P_IMMUTABLE,
     debug_modes, S_NONE},
    {"bind", NULL, P_STR, OFF(bind), 0, 0, 0, NULL, S_NONE},
    {"port", NULL, P_LL, OFF(port), 0, 65535, 0, NULL, S_NONE},
    {"unixsocket", NULL, P_STR, OFF(unixsocket), 0, 0, P_IMMUTABLE, NULL, S_NONE},
    {"acl-pubsub-default", NULL, P_ENUM, OFF(acl_pubsub_default), 0, 0, 0, pubsub_defaults,
     S_NONE},
    {"acllog-max-len", NULL, P_LL, OFF(acllog_max_len), 0, LLONG_MAX, 0, NULL, S_NONE},
    {"aclfile", NULL, P_STR, OFF(aclfile), 0, 0, P_IMMUTABLE, NULL, S_NONE},
    /* the keyspace's LFU counters read these (fr__config_policy_changed);
     * the tracking table's size limit, tracking/ */
    {"cluster-require-full-coverage", NULL, P_BOOL, OFF(cluster_require_full_coverage), 0, 0, 0,
     NULL, S_NONE},
    {"cluster-allow-reads-when-down", NULL, P_BOOL, OFF(cluster_allow_reads_when_down), 0, 0, 0,
     NULL, S_NONE},
    {"lfu-log-factor", NULL, P_LL, OFF(lfu_log_factor), 0, INT_MAX, 0, NULL, S_NONE},
    {"lfu-decay-time", NULL, P_LL, OFF(lfu_decay_time), 0, INT_MAX, 0, NULL, S_NONE},
    {"tracking-table-max-keys", NULL, P_LL, OFF(tracking_table_max_keys), 0, LONG_MAX, 0, NULL,
     S_NONE},
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
}

void fr__config_free(fr_config *cfg)
{
    char **strs[] = {&cfg->requirepass, &cfg->save, &cfg->dir, &cfg->dbfilename,
                     &cfg->appendfilename, &cfg->logfile, &cfg->loglevel,
                     &cfg->maxmemory_policy, &cfg->enable_debug_command, &cfg->enable_module_command, &cfg->bind,
                     &cfg->unixsocket, &cfg->record_dir, &cfg->acl_pubsub_default,
                     &cfg->aclfile};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        free(*strs[i]);
        *strs[i] = NULL;
    }
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

static void set_str(char **slot, const char *p, size_t n)
{
    free(*slot);
    *slot = fr__xmemdup(p, n);
}

static int set_special(fr_config *cfg, const param *p, const fr_arg *v, char *err, size_t errlen)
{
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
    int rc = 0;
    switch (p->type) {
    case P_BOOL:
        if (fr__arg_is(&v, "yes"))
            *(int *)(base + p->off) = 1;
        else if (fr__arg_is(&v, "no"))
            *(int *)(base + p->off) = 0;
        else {
            snprintf(err, errlen, "argument must be 'yes' or 'no'");
            rc = -1;
        }
        break;
    case P_LL:
    case P_MEM: {
        long long x;
        int ok = p->type == P_MEM ? fr__parse_memory(v.p, v.len, &x) : fr__str2ll(v.p, v.len, &x);
        if (p->type == P_MEM && ok && x < 0) /* Redis reads memory values unsigned */
            ok = 0;
        if (!ok) {
            snprintf(err, errlen, p->type == P_MEM ? "argument must be a memory value"
                                                   : "argument couldn't be parsed into an integer");
            rc = -1;
        } else if (x < p->min || x > p->max) {
            snprintf(err, errlen, "argument must be between %lld and %lld inclusive", p->min,
                     p->max);
            rc = -1;
        } else {
            if (p->special == S_HZ) /* Redis clamps rather than refuses */
                x = x < 1 ? 1 : x > 500 ? 500 : x;
            *(long long *)(base + p->off) = x;
        }
        break;
    }
    case P_STR:
        set_str((char **)(base + p->off), v.p, v.len);
        break;
    case P_ENUM: {
        const char *const *ch = p->choices;
        while (*ch && !fr__arg_is(&v, *ch))
            ch++;
        if (*ch) {
            set_str((char **)(base + p->off), *ch, strlen(*ch));
        } else {
            fr_buf list = {0};
            for (ch = p->choices; *ch; ch++)
                fr__buf_printf(&list, "%s%s", ch == p->choices ? "" : ", ", *ch);
            snprintf(err, errlen, "argument(s) must be one of the following: %s", list.p);
            fr__buf_free(&list);
            rc = -1;
        }
        break;
    }
    case P_SPECIAL:
        rc = set_special(cfg, p, &v, err, errlen);
        break;
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

