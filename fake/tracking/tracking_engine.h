/* Client-side caching (CLIENT TRACKING), as Redis 7.0 does it.
 *
 * Two ways to track, per connection:
 *   - default mode: the keys a tracking client reads (read-only commands)
 *     go into the tracking table, key -> ids of the clients that read it.
 *     When such a key is modified (or expires, or is evicted), each
 *     client still tracking gets one invalidation and the key leaves the
 *     table, so the next read must register it again. OPTIN (read keys
 *     only after CLIENT CACHING yes) and OPTOUT (skip them after CLIENT
 *     CACHING no) gate what a read remembers; the flag lasts one command
 *     (a whole MULTI/EXEC).
 *   - BCAST: no table. The client names prefixes ("" for all keys); every
 *     key modified under a prefix is collected and sent, once per loop
 *     iteration, as one message per prefix with the keys in byte order
 *     (Redis' beforeSleep broadcast).
 * The table is one for the server, whatever the database, as in Redis.
 *
 * A message goes to the client itself as a RESP3 push
 * `>2 invalidate [keys]`, or to the REDIRECT client: a RESP3 one gets the
 * same push, a RESP2 one in subscribed mode gets it as a message on
 * `__redis__:invalidate`. A RESP2 client without a redirect gets nothing.
 * When the redirect client is gone, a RESP3 tracking client is told
 * `>2 tracking-redir-broken <id>` instead (and CLIENT LIST shows R).
 * FLUSHDB/FLUSHALL send a null in place of the key array to every
 * tracking client and empty the table. An invalidation that the running
 * command causes to its own client waits until its reply is out (Redis
 * 7.0's pending keys); NOLOOP drops those instead.
 *
 * State: srv->tracking exists from the first CLIENT TRACKING ON and lives
 * until the server stops (its keyspace listener and stage stay
 * registered); c->track exists while c has tracking on or a redirect
 * recorded. Loop thread only. */
#ifndef FR_TRACKING_ENGINE_H
#define FR_TRACKING_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "base.h"
#include "core.h"

/* Options of CLIENT TRACKING ON and the state flags of a connection. */
enum {
    FR_TRK_ON = 1u << 0,
    FR_TRK_BCAST = 1u << 1,
    FR_TRK_OPTIN = 1u << 2,
    FR_TRK_OPTOUT = 1u << 3,
    FR_TRK_NOLOOP = 1u << 4,
    FR_TRK_CACHING = 1u << 5,     /* CLIENT CACHING yes/no for the next command */
    FR_TRK_BROKEN_REDIR = 1u << 6 /* the redirect client went away */
};

struct fr_tracking_conn {
    unsigned flags;
    uint64_t redirect; /* 0: none */
    char **prefixes;   /* BCAST prefixes, sorted, owned */
    size_t *prefix_lens;
    size_t nprefixes;
};

struct fr_tracking {
    fr_server *srv;
    fr_dict table;          /* key -> fr_dict* of client ids (8 bytes) */
    uint64_t items;         /* (key, client) pairs in the table */
    fr_dict prefixes;       /* BCAST prefix -> struct fr_trk_prefix* */
    long long clients;      /* connections with tracking on */
    fr_conn *current;       /* the connection running a command, NULL between */
    int current_client_cmd; /* it runs a CLIENT subcommand (keeps CACHING) */
    /* invalidations the current command caused to its own client: keys,
     * or a NULL entry for a flush */
    struct fr_trk_pending *self;
    size_t nself, self_cap;
    struct event *bcast_ev; /* sends the collected BCAST keys */
    int bcast_armed;
    uint64_t flush_cmds; /* stats.commands at the last flush seen */
    int flush_db;        /* and its database */
    int over_limit_runs; /* commands that began over tracking-table-max-keys */
};

/* CLIENT TRACKING ON for c with the given FR_TRK_* options, redirect id
 * (0: none) and BCAST prefixes; the caller checked the options (see
 * fr__tracking_check_prefixes). */
void fr__tracking_enable(fr_conn *c, unsigned options, uint64_t redirect, const fr_arg *prefixes,
                         size_t nprefixes);
void fr__tracking_disable(fr_conn *c);
/* The error text (static or in *buf, which the caller frees) when one of
 * the prefixes overlaps one c has or another given one; NULL when fine. */
const char *fr__tracking_check_prefixes(fr_conn *c, const fr_arg *prefixes, size_t n, fr_buf *buf);
/* c's FR_TRK_* flags (0: not tracking). */
unsigned fr__tracking_flags(const fr_conn *c);
/* CLIENT LIST's redir: the redirect id, 0 without one, -1 when not tracking. */
long long fr__tracking_redir(const fr_conn *c);
/* CLIENT LIST's flag letters for tracking (t, R, B) appended at *p. */
int fr__tracking_flag_letters(const fr_conn *c, char *p);
/* INFO: clients tracking, keys in the table, (key, client) pairs, BCAST
 * prefixes. All 0 before any client turned tracking on. */
void fr__tracking_counts(fr_server *srv, long long *clients, long long *keys, long long *items,
                         long long *prefixes);

/* Internal to the folder (tracking_bcast.c). */
void fr__trk_bcast_add(struct fr_tracking *t, fr_conn *c, const char *p, size_t n);
void fr__trk_bcast_remove(struct fr_tracking *t, fr_conn *c);
void fr__trk_bcast_key(struct fr_tracking *t, const char *k, size_t n, uint64_t origin);
void fr__trk_bcast_send(struct fr_tracking *t);
void fr__trk_bcast_free(struct fr_tracking *t);
/* Have fr__trk_bcast_send run once this loop iteration is done. */
void fr__trk_bcast_arm(struct fr_tracking *t);
/* Send one message to a tracking client (or its redirect): keys is an
 * array of n keys, or NULL for a flush (a null in place of the array). */
void fr__trk_send(fr_conn *c, const char *const *keys, const size_t *lens, size_t n);

#endif
