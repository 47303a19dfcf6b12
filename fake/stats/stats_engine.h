/* Command statistics, the slow log and the latency monitor: everything
 * Redis learns from timing each command, counted in one place, the stats
 * stage (cmdstats.c), which every server registers at start (the counters
 * must see the first command):
 *
 *   calling  -> the command's clock starts (a stack: EXEC nests calls);
 *   called   -> calls, usec, the latency histogram, failed_calls (an error
 *               reply was added during the call: Redis' rule, the error
 *               counter compared with its value when the call started, so
 *               an error inside EXEC fails the inner command, not EXEC),
 *               a slow log entry, a latency sample;
 *   error    -> errorstats by the error's first word, and rejected_calls
 *               for a known command refused before it ran (arity, auth,
 *               MULTI rules, OOM). An unknown command counts in errorstats
 *               only, as in Redis.
 *
 * Durations are real (monotonic) microseconds, as Redis' ustime; slow log
 * and latency timestamps are the server's clock (frozen when the test
 * froze it). CONFIG RESETSTAT clears the counters and histograms
 * (fr__cstats_reset); SLOWLOG RESET and LATENCY RESET their own parts.
 * Loop thread only. */
#ifndef FR_STATS_ENGINE_H
#define FR_STATS_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "histogram.h"

typedef struct fr_cmdstat {
    uint64_t calls, usec, rejected, failed;
    fr_hist *hist; /* made at the first call */
} fr_cmdstat;

#define FR_ERRSTAT_MAX 128 /* Redis tracks at most this many error codes */
typedef struct fr_errstat {
    char code[32];
    uint64_t count;
} fr_errstat;

typedef struct fr_slowentry {
    uint64_t id;
    int64_t time_s;
    int64_t usec;
    int argc; /* kept arguments (the last may be the "... more" note) */
    fr_buf *argv;
    char *addr, *name;
} fr_slowentry;

#define FR_LATENCY_SAMPLES 160 /* per event, as Redis' LATENCY_TS_LEN */
typedef struct fr_latency_event {
    char name[32];
    struct {
        int32_t time_s;
        uint32_t ms;
    } s[FR_LATENCY_SAMPLES];
    int idx;      /* next slot */
    uint32_t max; /* all-time maximum */
} fr_latency_event;

#define FR_LATENCY_EVENTS 16
#define FR_CALL_DEPTH 8

struct fr_cstats {
    const fr_cmd *table;
    size_t ncmds;
    fr_cmdstat *cmd; /* by table index; NULL until the first command counted */
    fr_errstat err[FR_ERRSTAT_MAX];
    int nerr;
    /* the calls running now: EXEC and what it runs */
    int depth;
    int64_t start_us[FR_CALL_DEPTH];
    uint64_t err_seen; /* srv->stats.errors when the last call started or ended */

    /* slow log: newest first, at most slowlog-max-len */
    fr_slowentry *slow;
    size_t nslow, slowcap;
    uint64_t slow_next_id;

    fr_latency_event *lat; /* FR_LATENCY_EVENTS of them, made at the first; nlat used */
    int nlat;
};

/* Register the stats stage on srv (at start, by api/). Idempotent. */
void fr__stats_enable(fr_server *srv);
/* CONFIG RESETSTAT: command stats, error stats, histograms. */
void fr__cstats_reset(fr_server *srv);

/* INFO sections' bodies (after the "# Title" line). */
void fr__cstats_info_commands(fr_server *srv, fr_buf *o);
void fr__cstats_info_errors(fr_server *srv, fr_buf *o);
void fr__cstats_info_latency(fr_server *srv, fr_buf *o);

/* The stats of a command (NULL when stats are off). */
fr_cmdstat *fr__cstats_of(fr_server *srv, const fr_cmd *cmd);

/* Slow log (slowlog.c). */
void fr__slowlog_add(fr_server *srv, fr_conn *c, int argc, const fr_arg *argv, int64_t usec);
void fr__slowlog_reset(fr_server *srv);
void fr__slowlog_trim(struct fr_cstats *st, size_t max);

/* Latency monitor (latency.c). */
void fr__latency_add(fr_server *srv, const char *event, uint32_t ms);
fr_latency_event *fr__latency_find(fr_server *srv, const char *name, size_t len);
/* Reset one event (name) or every event (name NULL); returns how many. */
int fr__latency_reset(fr_server *srv, const char *name, size_t len);

#endif
