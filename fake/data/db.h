/* The keyspace: n databases, each a dict of keys to fr_obj values and a
 * dict of expire times, with expiry on a clock the owner lends it. It knows
 * no connection and no server: what happens to keys is published to the
 * listeners registered on it (fr_keyspace_listener), and the layers above
 * (WATCH, blocking, keyspace notifications) register when first used.
 *
 * Expiry works as in Redis. A key whose time has come is deleted
 *   - lazily, by the first lookup that touches it (fr__db_lookup and every
 *     helper built on it), and
 *   - actively, by fr__keyspace_active_expire, which the owner calls from
 *     its timers: sample keys that have a TTL, delete the expired ones,
 *     repeat while more than a quarter of a sample was expired, within a
 *     time budget; and
 *   - at once, for every due key, by fr__keyspace_expire_due, which the
 *     owner calls when the test moves the clock.
 * Either way the deletion fires the `expired` notification, counts in
 * stats.expired_keys and signals the key modified (WATCH).
 *
 * Conventions for writers (Redis' own): look a key up for writing with
 * FR_LOOKUP_NOSTATS | FR_LOOKUP_NONOTIFY, then fr__db_add / fr__db_set /
 * fr__db_delete; after any change call fr__keyspace_modified (WATCH) and
 * fr__keyspace_notify. fr__db_set signals by itself (as Redis' setKey);
 * nothing else does. Every function runs on the owner's loop thread. */
#ifndef FR_DB_H
#define FR_DB_H

#include <stddef.h>
#include <stdint.h>

#include "base.h"
#include "object.h"

/* Keyspace notification classes (notify-keyspace-events), with Redis'
 * letters and bits. */
enum {
    FR_NOTIFY_KEYSPACE = 1 << 0, /* K */
    FR_NOTIFY_KEYEVENT = 1 << 1, /* E */
    FR_NOTIFY_GENERIC = 1 << 2,  /* g */
    FR_NOTIFY_STRING = 1 << 3,   /* $ */
    FR_NOTIFY_LIST = 1 << 4,     /* l */
    FR_NOTIFY_SET = 1 << 5,      /* s */
    FR_NOTIFY_HASH = 1 << 6,     /* h */
    FR_NOTIFY_ZSET = 1 << 7,     /* z */
    FR_NOTIFY_EXPIRED = 1 << 8,  /* x */
    FR_NOTIFY_EVICTED = 1 << 9,  /* e */
    FR_NOTIFY_STREAM = 1 << 10,  /* t */
    FR_NOTIFY_KEY_MISS = 1 << 11, /* m (not part of A) */
    FR_NOTIFY_LOADED = 1 << 12,  /* internal to modules in Redis */
    FR_NOTIFY_MODULE = 1 << 13,  /* d */
    FR_NOTIFY_NEW = 1 << 14,     /* n (not part of A) */
    FR_NOTIFY_ALL = FR_NOTIFY_GENERIC | FR_NOTIFY_STRING | FR_NOTIFY_LIST | FR_NOTIFY_SET |
                    FR_NOTIFY_HASH | FR_NOTIFY_ZSET | FR_NOTIFY_EXPIRED | FR_NOTIFY_EVICTED |
                    FR_NOTIFY_STREAM | FR_NOTIFY_MODULE
};

typedef struct fr_db {
    fr_dict keys;    /* key -> fr_obj* (v.p), owned */
    fr_dict expires; /* key -> expire time, unix ms (v.i) */
    uint64_t expire_cursor; /* active expiry's scan position */
    long long avg_ttl;      /* estimate, for INFO keyspace */
} fr_db;

/* What happens to keys, for whoever registered. Every callback may be
 * NULL; ctx is the listener's own. */
typedef struct fr_keyspace_listener {
    /* a key's value changed or it went away (WATCH) */
    void (*modified)(void *ctx, int db, const char *k, size_t n);
    /* a key now holds a list, sorted set or stream: a blocked client may
     * be served (Redis' signalKeyAsReady) */
    void (*ready)(void *ctx, int db, const char *k, size_t n);
    /* a keyspace notification of class type (FR_NOTIFY_*) named event */
    void (*notify)(void *ctx, int type, const char *event, const char *k, size_t n, int db);
    /* db is about to be emptied (FLUSHDB, FLUSHALL: once per database) */
    void (*flushing)(void *ctx, int db);
    /* databases a and b were swapped (SWAPDB) */
    void (*swapped)(void *ctx, int a, int b);
    void *ctx;
} fr_keyspace_listener;

#define FR_KEYSPACE_MAX_LISTENERS 8

/* Counters INFO reports; CONFIG RESETSTAT zeroes them. */
typedef struct fr_keyspace_stats {
    uint64_t hits, misses, expired_keys, evicted_keys;
} fr_keyspace_stats;

typedef struct fr_keyspace {
    int n;
    fr_db **dbs;       /* by index; SWAPDB swaps the pointers */
    const fr_clock *clock; /* the owner's; TTLs are measured against it */
    int cron_db;       /* active expiry resumes at this db */
    int active_expire_off; /* DEBUG SET-ACTIVE-EXPIRE 0: lazy expiry only */
    int expire_paused; /* CLIENT PAUSE: expired keys read as missing, none deleted */
    fr_keyspace_stats stats;
    /* an LFU maxmemory policy: a key's 24 access bits hold Redis' LFU data
     * (minutes, counter) instead of the LRU clock (evict/ sets these) */
    int lfu, lfu_log_factor, lfu_decay_time;
    uint64_t lfu_rng;
    int nlisteners;
    fr_keyspace_listener listeners[FR_KEYSPACE_MAX_LISTENERS];
} fr_keyspace;

/* ndbs databases (16 when <= 0), TTLs read from clock, which must outlive
 * the keyspace. Aborts on allocation failure (the library's policy). */
fr_keyspace *fr__keyspace_new(int ndbs, const fr_clock *clock);
void fr__keyspace_free(fr_keyspace *ks);
/* Register a listener (copied). Returns 0, or -1 when all slots are taken.
 * Registering the same callbacks and ctx twice is a no-op. */
int fr__keyspace_listen(fr_keyspace *ks, const fr_keyspace_listener *l);
/* Active expiry for at most budget_us of CPU time (see above). */
void fr__keyspace_active_expire(fr_keyspace *ks, int64_t budget_us);
/* 1 if any database has a key with a TTL. */
int fr__keyspace_has_expires(const fr_keyspace *ks);
/* Incremental rehash and shrink of quiet tables, for at most budget_us. */
void fr__keyspace_rehash(fr_keyspace *ks, int64_t budget_us);
/* The clock moved: delete every key now due, unless active expiry is off
 * (then they go lazily, as in Redis). */
void fr__keyspace_expire_due(fr_keyspace *ks);
/* INFO's keyspace section body: "db0:keys=1,expires=0,avg_ttl=0\r\n"
 * for each non-empty database. */
void fr__keyspace_info(const fr_keyspace *ks, fr_buf *out);
/* The keyspace clock in ms: what TTLs are measured against. */
int64_t fr__keyspace_now_ms(const fr_keyspace *ks);

/* Seconds since a key was last touched (LRU clock), and its LFU counter
 * decayed to now (meaningful under an LFU policy only). */
unsigned fr__obj_idle_s(fr_keyspace *ks, const fr_obj *o);
unsigned fr__obj_lfu_count(fr_keyspace *ks, const fr_obj *o);

/* Publish to the listeners. */
void fr__keyspace_modified(fr_keyspace *ks, int db, const char *k, size_t n);
void fr__keyspace_ready(fr_keyspace *ks, int db, const char *k, size_t n);
void fr__keyspace_notify(fr_keyspace *ks, int type, const char *event, const char *k, size_t n,
                         int db);

fr_db *fr__db(fr_keyspace *ks, int db);
size_t fr__db_size(fr_keyspace *ks, int db);

enum {
    FR_LOOKUP_NONE = 0,
    FR_LOOKUP_NOTOUCH = 1 << 0,  /* leave the access time alone */
    FR_LOOKUP_NOSTATS = 1 << 1,  /* don't count a hit or a miss */
    FR_LOOKUP_NONOTIFY = 1 << 2, /* no keymiss event */
    FR_LOOKUP_NOEXPIRE = 1 << 3  /* don't delete an expired key (report it
                                    missing all the same) */
};

/* Find a key, deleting it first if it expired. NULL if missing. */
fr_obj *fr__db_lookup(fr_keyspace *ks, int db, const char *k, size_t n, int flags);

/* Add a key that does not exist (the keyspace takes o). Fires the "new"
 * notification (class n), as Redis' dbAdd; so does fr__db_set when the
 * key did not exist. */
void fr__db_add(fr_keyspace *ks, int db, const char *k, size_t n, fr_obj *o);
/* Add or replace (the old value is freed). The TTL is dropped unless
 * keepttl. Signals the key modified (WATCH). */
void fr__db_set(fr_keyspace *ks, int db, const char *k, size_t n, fr_obj *o, int keepttl);
/* Replace the value of an existing key, keeping its TTL; no signal. */
void fr__db_replace(fr_keyspace *ks, int db, const char *k, size_t n, fr_obj *o);
/* Delete key and its TTL. Returns 1 if it existed. No event; a stream's
 * key is signalled ready (a blocked XREADGROUP answers that it is gone),
 * as are streams that fr__db_take detaches and fr__db_set replaces with
 * another type. */
int fr__db_delete(fr_keyspace *ks, int db, const char *k, size_t n);
/* Detach the value without freeing it (RENAME, MOVE); removes the TTL
 * and returns it in *expire (-1: none). NULL if missing. */
fr_obj *fr__db_take(fr_keyspace *ks, int db, const char *k, size_t n, int64_t *expire);

/* Expire time in unix ms, or -1 when the key has none. */
int64_t fr__db_get_expire(fr_keyspace *ks, int db, const char *k, size_t n);
/* The key must exist. */
void fr__db_set_expire(fr_keyspace *ks, int db, const char *k, size_t n, int64_t when_ms);
int fr__db_remove_expire(fr_keyspace *ks, int db, const char *k, size_t n);
/* 1 if the key has a TTL in the past (whether or not deleted yet). */
int fr__db_is_expired(fr_keyspace *ks, int db, const char *k, size_t n);
/* Delete the key now if its time has come, with the expired event.
 * Returns 1 if it was deleted. */
int fr__db_expire_if_needed(fr_keyspace *ks, int db, const char *k, size_t n);

/* FLUSHDB (db >= 0) or FLUSHALL (db = -1): tells the listeners first
 * (flushing), then empties. Returns the number of keys removed. */
long long fr__db_flush(fr_keyspace *ks, int db);
/* SWAPDB: swap contents, then tell the listeners (swapped). */
void fr__db_swap(fr_keyspace *ks, int a, int b);

#endif
