
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>

#include "commands_private.h"
#include "cluster_engine.h"
#include "repl_engine.h"
#include "blocking_engine.h"
#include "data.h"
#include "evict_engine.h"
#include "pubsub_engine.h"
#include "script_engine.h"
#include "sentinel_engine.h"
#include "stats_engine.h"
#include "tracking_engine.h"

static long long rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long long pages = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%lld %lld", &pages, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return resident * sysconf(_SC_PAGESIZE);
}

static void human(long long bytes, char *out, size_t cap)
{
    double b = (double)bytes;
    if (b < 1024)
        snprintf(out, cap, "%lldB", bytes);
    else if (b < 1024.0 * 1024)
        snprintf(out, cap, "%.2fK", b / 1024);
    else if (b < 1024.0 * 1024 * 1024)
        snprintf(out, cap, "%.2fM", b / (1024 * 1024));
    else
        snprintf(out, cap, "%.2fG", b / (1024.0 * 1024 * 1024));
}

static void sec_server(fr_server *srv, fr_buf *o)
{
    int64_t now = fr__real_ms();
    long long up = (now - srv->start_ms) / 1000;
    fr__buf_printf(o,
                   "# Server\r\nredis_version:%s\r\nredis_git_sha1:00000000\r\n"
                   "redis_git_dirty:0\r\nredis_build_id:0\r\nredis_mode:%s\r\n"
                   "os:Linux\r\narch_bits:64\r\nmonotonic_clock:POSIX clock_gettime\r\n"
                   "multiplexing_api:epoll\r\nprocess_id:%ld\r\nprocess_supervised:no\r\n"
                   "run_id:%016llx%024llx\r\ntcp_port:%d\r\nserver_time_usec:%lld\r\n"
                   "uptime_in_seconds:%lld\r\nuptime_in_days:%lld\r\nhz:%lld\r\n"
                   "configured_hz:%lld\r\nexecutable:fakeredis\r\nconfig_file:\r\n"
                   "io_threads_active:0\r\nfakeredis:1\r\n",
                   FR_REDIS_VERSION, srv->sentinel ? "sentinel" : "standalone", (long)getpid(),
                   (unsigned long long)srv->start_ms, (unsigned long long)(uintptr_t)srv, srv->port,
                   (long long)fr__clock_us(&srv->clock), up, up / 86400, srv->cfg.hz,
                   srv->cfg.hz);
}

static void sec_clients(fr_server *srv, fr_buf *o)
{
    long long clients = 0, blocked = 0, pubsub = 0, trk[4];
    fr__tracking_counts(srv, &trk[0], &trk[1], &trk[2], &trk[3]);
    for (fr_conn *c = srv->conns; c; c = c->next) {
        if (c->flags & (FR_CONN_PSEUDO | FR_CONN_CLOSE_ASAP))
            continue;
        clients++;
        if ((c->flags & FR_CONN_BLOCKED) || c->pause_seq) /* CLIENT PAUSE blocks, in Redis */
            blocked++;
        if (c->flags & FR_CONN_PUBSUB)
            pubsub++;
    }
    fr__buf_printf(o,
                   "# Clients\r\nconnected_clients:%lld\r\ncluster_connections:0\r\n"
                   "maxclients:%lld\r\nclient_recent_max_input_buffer:0\r\n"
                   "client_recent_max_output_buffer:0\r\nblocked_clients:%lld\r\n"
                   "tracking_clients:%lld\r\nclients_in_timeout_table:%lld\r\n",
                   clients, srv->cfg.maxclients, blocked, trk[0],
                   (long long)fr__blocking_timeout_count(srv));
    (void)pubsub;
}

static void sec_memory(fr_server *srv, fr_buf *o)
{
    /* used_memory is the fake's accounting (the number maxmemory checks);
     * rss the process' (shared by every server in it) */
    long long used = fr__evict_used_memory(srv), peak = fr__evict_peak(srv);
    long long rss = rss_bytes();
    char h1[32], h2[32], h3[32], h4[32];
    human(used, h1, sizeof h1);
    human(rss, h2, sizeof h2);
    human(peak, h4, sizeof h4);
    human(srv->cfg.maxmemory, h3, sizeof h3);
    fr__buf_printf(o,
                   "# Memory\r\nused_memory:%lld\r\nused_memory_human:%s\r\n"
                   "used_memory_rss:%lld\r\nused_memory_rss_human:%s\r\n"
                   "used_memory_peak:%lld\r\nused_memory_peak_human:%s\r\n"
                   "used_memory_startup:%d\r\nused_memory_dataset:%lld\r\n"
                   "maxmemory:%lld\r\nmaxmemory_human:%s\r\n"
                   "maxmemory_policy:%s\r\nmem_allocator:libc\r\n",
                   used, h1, rss, h2, peak, h4, FR_MEM_STARTUP, (long long)fr__evict_dataset(srv),
                   srv->cfg.maxmemory, h3, srv->cfg.maxmemory_policy);
    fr__script_info_memory(srv, o);
}

static void sec_persistence(fr_server *srv, fr_buf *o)
{
    fr__buf_printf(o,
                   "# Persistence\r\nloading:0\r\nasync_loading:0\r\n"
                   "rdb_changes_since_last_save:0\r\nrdb_bgsave_in_progress:0\r\n"
                   "rdb_last_save_time:%lld\r\nrdb_last_bgsave_status:ok\r\n"
                   "aof_enabled:%d\r\naof_rewrite_in_progress:0\r\n"
                   "aof_last_bgrewrite_status:ok\r\n",
                   (long long)srv->lastsave_s, srv->cfg.appendonly);
}

static void sec_stats(fr_server *srv, fr_buf *o)
{
    const fr_stats *s = &srv->stats;
    const fr_keyspace_stats *ks = &srv->ks->stats;
    long long ps[3];
    fr__pubsub_server_counts(srv, ps);
    fr__buf_printf(o,
                   "# Stats\r\ntotal_connections_received:%llu\r\n"
                   "total_commands_processed:%llu\r\ninstantaneous_ops_per_sec:0\r\n"
                   "total_net_input_bytes:%llu\r\ntotal_net_output_bytes:%llu\r\n"
                   "rejected_connections:%llu\r\nexpired_keys:%llu\r\nevicted_keys:%llu\r\n"
                   "keyspace_hits:%llu\r\nkeyspace_misses:%llu\r\n"
                   "pubsub_channels:%lld\r\npubsub_patterns:%lld\r\n"
                   "pubsubshard_channels:%lld\r\nclient_output_buffer_limit_disconnections:%llu\r\n"
                   "unexpected_error_replies:0\r\ntotal_error_replies:%llu\r\n",
                   (unsigned long long)s->conns_received, (unsigned long long)s->commands,
                   (unsigned long long)s->net_in, (unsigned long long)s->net_out,
                   (unsigned long long)s->conns_rejected, (unsigned long long)ks->expired_keys,
                   (unsigned long long)ks->evicted_keys, (unsigned long long)ks->hits,
                   (unsigned long long)ks->misses, ps[0], ps[1], ps[2], (unsigned long long)s->pubsub_clients_killed,
                   (unsigned long long)s->errors);
    long long trk[4];
    fr__tracking_counts(srv, &trk[0], &trk[1], &trk[2], &trk[3]);
    fr__buf_printf(o, "tracking_total_keys:%lld\r\ntracking_total_items:%lld\r\n"
                      "tracking_total_prefixes:%lld\r\n", trk[1], trk[2], trk[3]);
}

static void sec_replication(fr_server *srv, fr_buf *o)
{
    fr__repl_info(srv, o);
}

static void sec_cpu(fr_server *srv, fr_buf *o)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    fr__buf_printf(o, "# CPU\r\nused_cpu_sys:%ld.%06ld\r\nused_cpu_user:%ld.%06ld\r\n",
                   (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec,
                   (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec);
}

static void sec_modules(fr_server *srv, fr_buf *o)
{
    fr__buf_puts(o, "# Modules\r\n");
}

static void sec_commandstats(fr_server *srv, fr_buf *o)
{
    fr__buf_puts(o, "# Commandstats\r\n");
    fr__cstats_info_commands(srv, o);
}

static void sec_errorstats(fr_server *srv, fr_buf *o)
{
    fr__buf_puts(o, "# Errorstats\r\n");
    fr__cstats_info_errors(srv, o);
}

static void sec_latencystats(fr_server *srv, fr_buf *o)
{
    fr__buf_puts(o, "# Latencystats\r\n");
    fr__cstats_info_latency(srv, o);
}

static void sec_cluster(fr_server *srv, fr_buf *o)
{
    fr__buf_printf(o, "# Cluster\r\ncluster_enabled:%d\r\n", fr__cluster_enabled(srv));
}

static void sec_keyspace(fr_server *srv, fr_buf *o)
{
    fr__buf_puts(o, "# Keyspace\r\n");
    fr__keyspace_info(srv->ks, o);
}

static void sec_sentinel(fr_server *srv, fr_buf *o)
{
    fr__sentinel_info(srv, o);
}

typedef struct section {
    const char *name;
    void (*render)(fr_server *, fr_buf *);
    int in_default;
    int sentinel; /* 0: data servers only; 1: also a Sentinel; 2: a Sentinel only */
} section;

static const section sections[] = {
    {"server", sec_server, 1, 1},           {"clients", sec_clients, 1, 1},
    {"memory", sec_memory, 1, 0},           {"persistence", sec_persistence, 1, 0},
    {"stats", sec_stats, 1, 1},             {"replication", sec_replication, 1, 0},
    {"cpu", sec_cpu, 1, 1},                 {"modules", sec_modules, 1, 0},
    {"commandstats", sec_commandstats, 0, 1}, {"errorstats", sec_errorstats, 1, 0},
    {"latencystats", sec_latencystats, 0, 0}, {"sentinel", sec_sentinel, 1, 2},
    {"cluster", sec_cluster, 1, 0},         {"keyspace", sec_keyspace, 1, 0},
};

#define NSECTIONS (sizeof sections / sizeof sections[0])

void fr__info_render(fr_server *srv, int argc, const fr_arg *args, fr_buf *out)
{
    unsigned char want[NSECTIONS] = {0};
    if (argc == 0) {
        for (size_t i = 0; i < NSECTIONS; i++)
            want[i] = (unsigned char)sections[i].in_default;
    }
    for (int a = 0; a < argc; a++) {
        const fr_arg *w = &args[a];
        int all = (w->len == 3 && !strncasecmp(w->p, "all", 3)) ||
                  (w->len == 10 && !strncasecmp(w->p, "everything", 10));
        int def = w->len == 7 && !strncasecmp(w->p, "default", 7);
        for (size_t i = 0; i < NSECTIONS; i++) {
            size_t nl = strlen(sections[i].name);
            if (all || (def && sections[i].in_default) ||
                (w->len == nl && !strncasecmp(w->p, sections[i].name, nl)))
                want[i] = 1;
        }
    }
    int n = 0;
    for (size_t i = 0; i < NSECTIONS; i++) {
        if (!want[i] || sections[i].sentinel == (srv->sentinel ? 0 : 2))
            continue;
        if (n++)
            fr__buf_puts(out, "\r\n");
        sections[i].render(srv, out);
    }
}
