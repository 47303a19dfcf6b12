/*
 * fakeredis inspection API: read and seed a fake's data from the test,
 * without a socket.
 *
 * Every function here is a typed wrapper over fr_exec(): it runs one (or a
 * few) Redis commands in-process as the server's pseudo client, so it sees
 * and does exactly what a client would (lazy expiry included, WATCHes of
 * other clients are invalidated by writes, keyspace events fire). They are
 * not subject to faults and are not recorded as client traffic.
 *
 * Database: the calls act on the database selected for in-process commands,
 * 0 unless changed with fr_select() (same as fr_exec_select()); fr_dump()
 * takes its database explicitly.
 *
 * Threads: any thread may call any function; each call is marshalled onto
 * the server's loop thread and waits for the result (for an attached server,
 * call from the thread running its event_base). A sequence of calls is not
 * atomic with respect to the fake's clients.
 *
 * Errors: functions returning int give a value >= 0 on success and a
 * negative fr_status on failure: FR_ERR_STOPPED when the server is gone,
 * FR_ERR_ARG for a bad argument, FR_ERR_STATE when Redis answered an error
 * (e.g. WRONGTYPE); the error text is then in fr_server_errstr() where
 * noted. Keys and values are NUL-terminated C strings unless a length is
 * taken.
 */
#ifndef FAKEREDIS_INSPECT_H
#define FAKEREDIS_INSPECT_H

#include <stddef.h>
#include <stdint.h>

#include "fakeredis/export.h"
#include "fakeredis/fakeredis.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * GET key. Returns a malloc'd copy of the value (NUL-terminated; it may
 * hold NULs, *len has the real length when len is not NULL), owned by the
 * caller (free()). NULL when the key does not exist, holds another type,
 * or the server is stopped (*len is then 0).
 */
FR_API char *fr_get(fr_server *srv, const char *key, size_t *len);

/** SET key value (drops any TTL). 0 on success, negative on failure. */
FR_API int fr_set(fr_server *srv, const char *key, const char *value);

/** SET key value of vlen bytes (binary-safe). 0 or negative. */
FR_API int fr_set_bin(fr_server *srv, const char *key, const void *value, size_t vlen);

/** SET key value PX ttl_ms. ttl_ms must be > 0 (FR_ERR_ARG otherwise).
 *  0 or negative. */
FR_API int fr_setex(fr_server *srv, const char *key, const char *value, int64_t ttl_ms);

/**
 * Set the TTL of an existing key to ttl_ms milliseconds from the server
 * clock's now (PEXPIRE); ttl_ms < 0 removes the TTL (PERSIST); 0 deletes
 * the key as Redis does. Returns 1 if the key existed (and was changed or
 * already had no TTL), 0 if it does not exist, negative on failure.
 */
FR_API int fr_set_ttl(fr_server *srv, const char *key, int64_t ttl_ms);

/** DEL key. 1 if it was deleted, 0 if it did not exist, negative. */
FR_API int fr_del(fr_server *srv, const char *key);

/** EXISTS key: 1 or 0, negative on failure. */
FR_API int fr_exists(fr_server *srv, const char *key);

/**
 * PTTL key: the remaining time to live in ms (>= 0), -1 if the key has no
 * TTL, -2 if it does not exist; FR_ERR_STOPPED (-6) if the server is gone.
 */
FR_API int64_t fr_ttl_ms(fr_server *srv, const char *key);

/**
 * TYPE key: a static string, "none" when missing ("string", "list",
 * "set", "zset", "hash", "stream"). NULL if the server is stopped. Never
 * free it.
 */
FR_API const char *fr_type(fr_server *srv, const char *key);

/**
 * KEYS pattern (Redis glob; NULL means "*"), sorted bytewise. Returns a
 * NULL-terminated malloc'd array of malloc'd strings: release it with
 * fr_free_keys(). NULL on failure (an empty match is an array holding
 * only NULL).
 */
FR_API char **fr_keys(fr_server *srv, const char *pattern);

/** Free what fr_keys() returned. NULL is a no-op. */
FR_API void fr_free_keys(char **keys);

/** DBSIZE of the selected database (keys not yet lazily expired count, as
 *  in Redis), negative on failure. */
FR_API long long fr_dbsize(fr_server *srv);

/** FLUSHALL: every database emptied. 0 or negative. */
FR_API int fr_flushall(fr_server *srv);

/** Select the database of the in-process client (fr_exec_select()). */
FR_API int fr_select(fr_server *srv, int db);

/**
 * Render database db as readable text for failure messages: one line per
 * key, sorted by key, with its type, TTL (ms) when it has one, and value,
 * strings quoted with C escapes:
 *
 *     db0: 2 keys
 *     "counter" string "42"
 *     "queue" list ttl=1500 ["a", "b"]
 *
 * Non-string values are rendered from the reply of their read command
 * (LRANGE, SMEMBERS, HGETALL, ZRANGE WITHSCORES, XRANGE), so every type
 * shows up. Returns a malloc'd string the caller frees; NULL if the server
 * is stopped or db is out of range. The selected database of the in-process
 * client is left as it was.
 */
FR_API char *fr_dump(fr_server *srv, int db);

#ifdef __cplusplus
}
#endif

#endif /* FAKEREDIS_INSPECT_H */
