/* maxmemory: the fake's memory accounting and eviction.
 *
 * Memory is the fake's own accounting, never the process' (many servers
 * share one process): a fixed start-up figure plus, for every key, what
 * Redis would use for it (data/objsize.h: key, dict entry, value, with
 * Redis' sampling of 5) plus each database's hash tables. INFO's
 * used_memory, MEMORY STATS and eviction read the same number
 * (fr__evict_used_memory).
 *
 * Without maxmemory the number is computed when asked (a walk of the
 * keyspace). While maxmemory is set, each key's size is kept in a side
 * table updated from the keyspace's `modified` events (every write signals
 * one, as WATCH needs), so checking the limit before a command costs
 * nothing more than an addition.
 *
 * Before each command (the admit stage, after the dispatcher's own
 * checks, where Redis calls performEvictions) with maxmemory set and the
 * limit passed: evict by maxmemory-policy until under it: *-lru by idle
 * time, *-lfu by the LFU counter, volatile-ttl by the nearest expiry,
 * each through a pool of the best 16 candidates from maxmemory-samples
 * keys sampled per database; *-random a random key. Each eviction fires
 * the `evicted` keyspace event and counts in evicted_keys. When nothing
 * can go (noeviction, or no volatile key), a command flagged deny-oom,
 * and any command queued in MULTI but EXEC/DISCARD/QUIT/RESET, gets
 * Redis' -OOM error. Loop thread only. */
#ifndef FR_EVICT_ENGINE_H
#define FR_EVICT_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"

/* What Redis 7.0 uses right after start, with no key (INFO used_memory). */
#define FR_MEM_STARTUP 871000

#define FR_EVICT_POOL 16 /* Redis' EVPOOL_SIZE */
struct cand;

struct fr_evict {
    fr_dict *sizes; /* per database: key -> bytes (v.i), while tracking */
    int tracking;
    int64_t dataset; /* the sum of sizes, while tracking */
    int64_t peak;
    const char *policy_seen; /* the policy string last parsed */
    unsigned policy_gen;     /* cfg.policy_gen when it was parsed */
    int policy;
    unsigned next_db;  /* random policies: the next database to try */
    struct cand *pool; /* FR_EVICT_POOL + 1 candidates, best first */
    int npool;
};

/* Register the evict stage (at start, by api/). Idempotent. */
void fr__evict_enable(fr_server *srv);
/* used_memory: start-up + hash tables + every key. */
int64_t fr__evict_used_memory(fr_server *srv);
/* The keys' part alone, and the tables' (MEMORY STATS). */
int64_t fr__evict_dataset(fr_server *srv);
int64_t fr__evict_overhead(fr_server *srv, int db, int64_t *main, int64_t *expires);
int64_t fr__evict_peak(fr_server *srv);
/* CONFIG RESETSTAT: the peak starts again from now. */
void fr__evict_reset_peak(fr_server *srv);

#endif
