/* The keyspace: srv->cfg.databases databases, each a dict of keys to
 * fr_obj values and a dict of expire times, plus expiry on the server's
 * one clock.
 *
 * Expiry works as in Redis. A key whose time has come is deleted
 *   - lazily, by the first lookup that touches it (fr__db_lookup and every
 *     helper built on it), and
 *   - actively, every 10 ms (a timer of the keyspace's own, finer than
 *     Redis' 100 ms so that "PX 50 is gone 100 ms later" holds) and in
 *     fr__keyspace_cron: sample keys that have a TTL, delete the expired
 *     ones, repeat while more than a quarter of a sample was expired,
 *     within a time budget; and
 *   - at once, for every due key, when the clock is moved by the test
 *     (fr__clock_changed, called by fr_clock_set/advance and FAKE.CLOCK).
 * Either way the deletion fires the `expired` keyspace event, counts in
 * INFO's expired_keys and invalidates WATCH.
 *
 * Conventions for command handlers (Redis' own):
 *   - read a key with fr__lookup_read (counts keyspace hits/misses) and
 *     check its type with fr__check_type, which answers WRONGTYPE;
 *   - write with fr__lookup_write, then fr__db_add / fr__db_set /
 *     fr__db_delete;
 *   - after any change, call fr__signal_modified_key (WATCH) and
 *     fr__notify_keyspace_event (notify.h). fr__db_set signals by itself
 *     (as Redis' setKey); nothing else does.
 * Every function runs on the loop thread. */
#ifndef FR_DB_H
#define FR_DB_H

#include <stddef.h>
#include <stdint.h>

#include "dict.h"
#include "object.h"
#include "server.h"

typedef struct fr_db {
    fr_dict keys;    /* key -> fr_obj* (v.p), owned */
    fr_dict expires; /* key -> expire time, unix ms (v.i) */
    uint64_t expire_cursor; /* active expiry's scan position */
    long long avg_ttl;      /* estimate, for INFO keyspace */
} fr_db;

struct fr_keyspace {
    int n;
    fr_db **dbs;       /* by index; SWAPDB swaps the pointers */
    fr_dict **watched; /* by index: key -> watchers (cmd_multi.c) */
    size_t nwatch;     /* WATCH records alive, 0: skip the lookups */
    int cron_db;       /* active expiry resumes at this db */
    struct event *expire_ev; /* the fast active-expiry timer */
};

/* Lifecycle, called by server.c. fr__keyspace_new returns 0, or -1. */
int fr__keyspace_new(fr_server *srv);
void fr__keyspace_free(fr_server *srv);
/* Every 100 ms: active expiry and incremental rehash. */
void fr__keyspace_cron(fr_server *srv);
/* The clock moved (set/advanced): delete every key now due (unless DEBUG
 * SET-ACTIVE-EXPIRE 0 turned active expiry off), then run the cron hook of
 * the other subsystems that wait on the clock (blocking timeouts). */
void fr__clock_changed(fr_server *srv);
/* INFO's keyspace section body: "db0:keys=1,expires=0,avg_ttl=0\r\n"
 * for each non-empty database. */
void fr__keyspace_info(fr_server *srv, fr_buf *out);
/* DEBUG POPULATE count [prefix] [size], from c->argv (argv[0] is DEBUG). */
void fr__debug_populate(fr_conn *c);
/* DEBUG OBJECT key (argc must be 3): "+Value at:... refcount:1
 * encoding:embstr serializedlength:4 lru:... lru_seconds_idle:0", or
 * "no such key". Defined in cmd_keys.c. */
void fr__debug_object(fr_conn *c);

fr_db *fr__db(fr_server *srv, int db);
size_t fr__db_size(fr_server *srv, int db);

enum {
    FR_LOOKUP_NONE = 0,
    FR_LOOKUP_NOTOUCH = 1 << 0,  /* leave the access time alone */
    FR_LOOKUP_NOSTATS = 1 << 1,  /* don't count a hit or a miss */
    FR_LOOKUP_NONOTIFY = 1 << 2, /* no keymiss event */
    FR_LOOKUP_NOEXPIRE = 1 << 3  /* don't delete an expired key (report it
                                    missing all the same) */
};

/* Find a key, deleting it first if it expired. NULL if missing. */
fr_obj *fr__db_lookup(fr_server *srv, int db, const char *k, size_t n, int flags);
/* The same for c's database, counting hits and misses (read) or not
 * (write). */
fr_obj *fr__lookup_read(fr_conn *c, const fr_arg *key);
fr_obj *fr__lookup_write(fr_conn *c, const fr_arg *key);
/* If o is not NULL and not of type, answer WRONGTYPE and return 1. */
int fr__check_type(fr_conn *c, const fr_obj *o, int type);
/* Read lookup that answers for itself: when the key is missing it calls
 * on_missing(c) (e.g. fr__add_null) and returns NULL; when the type is
 * wrong it answers WRONGTYPE and returns NULL. */
fr_obj *fr__lookup_read_or_reply(fr_conn *c, const fr_arg *key, int type,
                                 void (*on_missing)(fr_conn *c));
/* The same for a write: no hit/miss counting. */
fr_obj *fr__lookup_write_or_reply(fr_conn *c, const fr_arg *key, int type,
                                  void (*on_missing)(fr_conn *c));

/* Add a key that does not exist (the keyspace takes o). Fires the "new"
 * keyspace event (class n), as Redis' dbAdd; so does fr__db_set when the
 * key did not exist. */
void fr__db_add(fr_server *srv, int db, const char *k, size_t n, fr_obj *o);
/* Add or replace (the old value is freed). The TTL is dropped unless
 * keepttl. Signals the key modified (WATCH). */
void fr__db_set(fr_server *srv, int db, const char *k, size_t n, fr_obj *o, int keepttl);
/* Replace the value of an existing key, keeping its TTL; no signal. */
void fr__db_replace(fr_server *srv, int db, const char *k, size_t n, fr_obj *o);
/* Delete key and its TTL. Returns 1 if it existed. No signal, no event. */
int fr__db_delete(fr_server *srv, int db, const char *k, size_t n);
/* Detach the value without freeing it (RENAME, MOVE); removes the TTL
 * and returns it in *expire (-1: none). NULL if missing. */
fr_obj *fr__db_take(fr_server *srv, int db, const char *k, size_t n, int64_t *expire);

/* Expire time in unix ms, or -1 when the key has none. */
int64_t fr__db_get_expire(fr_server *srv, int db, const char *k, size_t n);
/* The key must exist. */
void fr__db_set_expire(fr_server *srv, int db, const char *k, size_t n, int64_t when_ms);
int fr__db_remove_expire(fr_server *srv, int db, const char *k, size_t n);
/* 1 if the key has a TTL in the past (whether or not deleted yet). */
int fr__db_is_expired(fr_server *srv, int db, const char *k, size_t n);
/* Delete the key now if its time has come, with the expired event.
 * Returns 1 if it was deleted. */
int fr__db_expire_if_needed(fr_server *srv, int db, const char *k, size_t n);

/* FLUSHDB (db >= 0) or FLUSHALL (db = -1): touches WATCHed keys that
 * existed. Returns the number of keys removed. */
long long fr__db_flush(fr_server *srv, int db);
/* SWAPDB: swap contents, touch WATCHed keys of both. */
void fr__db_swap(fr_server *srv, int a, int b);

/* The server clock in ms: what TTLs are measured against. */
int64_t fr__now_ms(fr_server *srv);

/* --- WATCH (cmd_multi.c) ---------------------------------------------- */

/* A key changed: every client WATCHing it will fail its EXEC. */
void fr__signal_modified_key(fr_server *srv, int db, const char *k, size_t n);
/* FLUSHDB/SWAPDB: touch the WATCHed keys of db that exist in db or, when
 * other >= 0, in other. Call before the change for flushes. */
void fr__touch_watched_db(fr_server *srv, int db, int other);

#endif
