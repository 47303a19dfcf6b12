/* MEMORY: sizes from the fake's own accounting (data/objsize.h,
 * evict/evict.c), which is what INFO's used_memory and maxmemory read. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "commands.h"
#include "commands_private.h"
#include "evict_engine.h"

void fr__cmd_memory_usage(fr_conn *c)
{
    long long samples = 5;
    for (int j = 3; j < c->argc; j++) {
        if (c->argv[j].len == 7 && !strncasecmp(c->argv[j].p, "samples", 7) && j + 1 < c->argc) {
            if (!fr__arg_ll(c, &c->argv[j + 1], &samples))
                return;
            if (samples < 0) {
                fr__add_error(c, fr__err_syntax);
                return;
            }
            j++;
        } else {
            fr__add_error(c, fr__err_syntax);
            return;
        }
    }
    /* the table itself, as Redis' dbFind: an expired key not yet deleted
     * is still measured, and nothing is touched or deleted */
    const fr_arg *k = &c->argv[2];
    fr_dict_entry *e = fr__dict_find(&fr__db(c->srv->ks, c->db)->keys, k->p, k->len);
    if (!e) {
        fr__add_null(c);
        return;
    }
    const fr_obj *o = e->v.p;
    /* 0 samples every element, as Redis */
    fr__add_ll(c, (long long)fr__mem_key(k->len, o, (size_t)samples, &c->srv->cfg.enc));
}

static void kv_ll(fr_conn *c, const char *k, long long v)
{
    fr__add_bulk_cstr(c, k);
    fr__add_ll(c, v);
}

static void kv_double(fr_conn *c, const char *k, double v)
{
    fr__add_bulk_cstr(c, k);
    fr__add_double(c, v);
}

void fr__cmd_memory_stats(fr_conn *c)
{
    fr_server *srv = c->srv;
    long long used = fr__evict_used_memory(srv), peak = fr__evict_peak(srv);
    long long startup = FR_MEM_STARTUP, tables = 0, keys = 0;
    int dbs = 0;
    for (int i = 0; i < srv->ks->n; i++) {
        int64_t m, x;
        tables += fr__evict_overhead(srv, i, &m, &x);
        keys += (long long)fr__db_size(srv->ks, i);
        if (fr__db_size(srv->ks, i))
            dbs++;
    }
    long long overhead = startup + tables, dataset = used - overhead;
    fr__add_map(c, 26 + dbs);
    kv_ll(c, "peak.allocated", peak);
    kv_ll(c, "total.allocated", used);
    kv_ll(c, "startup.allocated", startup);
    kv_ll(c, "replication.backlog", 0);
    kv_ll(c, "clients.slaves", 0);
    kv_ll(c, "clients.normal", 0);
    kv_ll(c, "cluster.links", 0);
    kv_ll(c, "aof.buffer", 0);
    kv_ll(c, "lua.caches", 0);
    kv_ll(c, "functions.caches", 0);
    for (int i = 0; i < srv->ks->n; i++) {
        if (!fr__db_size(srv->ks, i))
            continue;
        int64_t m, x;
        fr__evict_overhead(srv, i, &m, &x);
        char name[32];
        snprintf(name, sizeof name, "db.%d", i);
        fr__add_bulk_cstr(c, name);
        fr__add_map(c, 3);
        kv_ll(c, "overhead.hashtable.main", m);
        kv_ll(c, "overhead.hashtable.expires", x);
        kv_ll(c, "overhead.hashtable.slot-to-keys", 0);
    }
    kv_ll(c, "overhead.total", overhead);
    kv_ll(c, "keys.count", keys);
    kv_ll(c, "keys.bytes-per-key", keys ? (used - startup) / keys : 0);
    kv_ll(c, "dataset.bytes", dataset);
    kv_double(c, "dataset.percentage",
              used > startup ? (double)dataset * 100.0 / (double)(used - startup) : 0.0);
    kv_double(c, "peak.percentage", peak ? (double)used * 100.0 / (double)peak : 0.0);
    /* no allocator of its own: allocated = active = resident */
    kv_ll(c, "allocator.allocated", used);
    kv_ll(c, "allocator.active", used);
    kv_ll(c, "allocator.resident", used);
    kv_double(c, "allocator-fragmentation.ratio", 1.0);
    kv_ll(c, "allocator-fragmentation.bytes", 0);
    kv_double(c, "allocator-rss.ratio", 1.0);
    kv_ll(c, "allocator-rss.bytes", 0);
    kv_double(c, "rss-overhead.ratio", 1.0);
    kv_ll(c, "rss-overhead.bytes", 0);
    kv_double(c, "fragmentation", 1.0);
    kv_ll(c, "fragmentation.bytes", 0);
}

void fr__cmd_memory_doctor(fr_conn *c)
{
    /* Redis' report below 5 MB; above it nothing to report: no
     * fragmentation, no big buffers in the fake's accounting */
    const char *msg =
        fr__evict_used_memory(c->srv) < 5 * 1024 * 1024
            ? "Hi Sam, this instance is empty or is using very little memory, my issues "
              "detector can't be used in these conditions. Please, leave for your mission on "
              "Earth and fill it with some data. The new Sam and I will be back to our "
              "programming as soon as I finished rebooting.\n"
            : "Hi Sam, I can't find any memory issue in your instance. I can only account for "
              "what occurs on this base.\n";
    fr__add_verbatim(c, msg, strlen(msg), "txt");
}

void fr__cmd_memory_malloc_stats(fr_conn *c)
{
    static const char msg[] = "Stats not supported for the current allocator";
    fr__add_verbatim(c, msg, sizeof msg - 1, "txt");
}

void fr__cmd_memory_purge(fr_conn *c)
{
    fr__add_ok(c);
}

void fr__cmd_memory_help(fr_conn *c)
{
    static const char *const lines[] = {
        "DOCTOR",
        "    Return memory problems reports.",
        "MALLOC-STATS",
        "    Return internal statistics report from the memory allocator.",
        "PURGE",
        "    Attempt to purge dirty pages for reclamation by the allocator.",
        "STATS",
        "    Return information about the memory usage of the server.",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).",
        NULL,
    };
    fr__add_help(c, "MEMORY", lines);
}
