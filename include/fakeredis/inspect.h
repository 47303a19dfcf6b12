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
 * 0 unless changed with fr_exec_select(); fr_dump() takes its database
 * explicitly.
 *
 * Threads: any thread may call any function; each call is marshalled onto
 * the server's loop thread and waits for the result (for an attached server,
 * call from the thread running its event_base). A sequence of calls is not
 * atomic with respect to the fake's clients.
 *
 * Errors, the same for every function here: FR_ERR_ARG for a bad argument
 * (NULL server or key), FR_ERR_STOPPED when the server is gone,
 * FR_ERR_NOKEY when a function that reads one key finds it missing,
 * FR_ERR_REPLY when Redis answered an error (e.g. WRONGTYPE: the text is
 * then in fr_server_errstr()), FR_ERR_STATE when the command did not run
 * because of the in-process client's state (it was QUEUED inside a MULTI
 * sent through fr_exec()). Results come back through out-parameters,
 * which a failure sets to NULL (or 0). Keys and values are NUL-terminated
 * C strings unless a length is taken.
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
 * GET key. On FR_OK *value is a malloc'd copy of the value, owned by the
 * caller (free()): NUL-terminated, it may hold NULs; *len (len may be NULL)
 * gets its length. FR_ERR_NOKEY when the key does not exist, FR_ERR_REPLY
 * when it holds another type (fr_server_errstr(): Redis' WRONGTYPE text),
 * FR_ERR_STOPPED, FR_ERR_ARG. On failure *value is NULL and *len 0.
 */
FR_API int fr_get(fr_server *srv, const char *key, char **value, size_t *len);

/** SET key value (drops any TTL). FR_OK or a negative fr_status. */
FR_API int fr_set(fr_server *srv, const char *key, const char *value);

/** SET key value of vlen bytes (binary-safe). FR_OK or negative. */
FR_API int fr_set_bin(fr_server *srv, const char *key, const void *value, size_t vlen);

/** SET key value PX ttl_ms. ttl_ms must be > 0 (FR_ERR_ARG otherwise).
 *  FR_OK or negative. */
FR_API int fr_setex(fr_server *srv, const char *key, const char *value, int64_t ttl_ms);

/**
 * Set the TTL of an existing key to ttl_ms milliseconds from the server
 * clock's now (PEXPIRE); ttl_ms < 0 removes the TTL (PERSIST); 0 deletes
 * the key as Redis does. Returns 1 if the key existed (and was changed or
 * already had no TTL), 0 if it does not exist, or a negative fr_status.
 */
FR_API int fr_set_ttl(fr_server *srv, const char *key, int64_t ttl_ms);

/** DEL key. 1 if it was deleted, 0 if it did not exist, or negative. */
FR_API int fr_del(fr_server *srv, const char *key);

/** EXISTS key: 1 or 0, or a negative fr_status. */
FR_API int fr_exists(fr_server *srv, const char *key);

/** What fr_ttl_ms() puts in *ttl_ms for a key without a TTL. */
#define FR_TTL_NONE (-1)

/**
 * PTTL key. On FR_OK *ttl_ms is the remaining time to live in ms (>= 0),
 * or FR_TTL_NONE when the key has no TTL. FR_ERR_NOKEY when the key does
 * not exist, FR_ERR_STOPPED, FR_ERR_ARG.
 */
FR_API int fr_ttl_ms(fr_server *srv, const char *key, int64_t *ttl_ms);

/**
 * TYPE key. On FR_OK *type is a static string ("string", "list", "set",
 * "zset", "hash", "stream"), never to be freed. FR_ERR_NOKEY when the key
 * does not exist (*type is then "none", Redis' answer), FR_ERR_STOPPED,
 * FR_ERR_ARG (*type NULL).
 */
FR_API int fr_type(fr_server *srv, const char *key, const char **type);

/**
 * KEYS pattern (Redis glob; NULL means "*"), sorted bytewise. On FR_OK
 * *keys is a NULL-terminated malloc'd array of malloc'd strings, owned by
 * the caller: release it with fr_keys_free(). An empty match is an array
 * holding only NULL. *n (n may be NULL) gets the count. FR_ERR_STOPPED,
 * FR_ERR_ARG (*keys NULL).
 */
FR_API int fr_keys(fr_server *srv, const char *pattern, char ***keys, size_t *n);

/** Free what fr_keys() returned. NULL is a no-op. Any thread. */
FR_API void fr_keys_free(char **keys);

/** DBSIZE of the selected database (keys not yet lazily expired count, as
 *  in Redis): the count (>= 0), or a negative fr_status. */
FR_API long long fr_dbsize(fr_server *srv);

/** FLUSHALL: every database emptied. FR_OK or negative. */
FR_API int fr_flushall(fr_server *srv);

/**
 * Render database db as readable text for failure messages: one line per
 * key, sorted by key, with its type, TTL (ms) when it has one, and value,
 * strings quoted with the escapes of redis-cli:
 *
 *     db0: 2 keys
 *     "counter" string "42"
 *     "queue" list ttl=1500 ["a", "b"]
 *
 * Non-string values are rendered from the reply of their read command
 * (LRANGE, SMEMBERS, HGETALL, ZRANGE WITHSCORES, XRANGE), so every type
 * shows up. On FR_OK *text is a malloc'd string the caller frees.
 * FR_ERR_ARG when db is out of range (or an argument is NULL),
 * FR_ERR_STOPPED. The selected database of the in-process client is left
 * as it was.
 */
FR_API int fr_dump(fr_server *srv, int db, char **text);

/* ---- streams -------------------------------------------------------------
 * A stream, its consumer groups, their pending entries and consumers, read
 * as XRANGE, XINFO GROUPS, XPENDING and XINFO CONSUMERS answer them. Each
 * result is plain data owned by the caller, released with its _free
 * function (NULL is a no-op, any thread). Times are on the server's clock,
 * so with a frozen clock an idle time stays put until fr_clock_advance().
 * A key of another type gives FR_ERR_REPLY (WRONGTYPE in
 * fr_server_errstr()). */

/** Room for any stream ID as text, "ms-seq", with its NUL. */
#define FR_STREAM_ID_MAX 42

/** One entry. Names and values are NUL-terminated and may hold NUL bytes:
 *  use the lengths. */
typedef struct fr_stream_entry {
    char id[FR_STREAM_ID_MAX]; /**< "ms-seq" */
    size_t nfields;            /**< field/value pairs */
    char **fields, **values;
    size_t *field_lens, *value_lens;
} fr_stream_entry;

/** Entries in ID order. */
typedef struct fr_stream_entries {
    size_t n;
    fr_stream_entry *entries;
} fr_stream_entries;

/**
 * XRANGE key start end [COUNT count]: the entries with IDs from start to
 * end (Redis' forms: "-", "+", "ms", "ms-seq", "(" for exclusive; NULL
 * means "-" and "+"), at most count of them (0: all). On FR_OK *out is the
 * caller's (fr_stream_entries_free); an empty stream gives n = 0.
 * FR_ERR_NOKEY when the key does not exist, FR_ERR_REPLY for a bad ID or
 * another type, FR_ERR_STOPPED, FR_ERR_ARG. On failure *out is NULL.
 */
FR_API int fr_stream_range(fr_server *srv, const char *key, const char *start, const char *end,
                           size_t count, fr_stream_entries **out);
/** Free what fr_stream_range() returned. */
FR_API void fr_stream_entries_free(fr_stream_entries *e);

/** One consumer group, as XINFO GROUPS shows it. */
typedef struct fr_stream_group {
    char *name;
    size_t consumers, pending;
    char last_delivered_id[FR_STREAM_ID_MAX];
    long long entries_read; /**< -1 when Redis cannot know it (nil) */
    long long lag;          /**< -1 when Redis cannot know it (nil) */
} fr_stream_group;

typedef struct fr_stream_group_list {
    size_t n;
    fr_stream_group *groups; /**< by name */
} fr_stream_group_list;

/**
 * XINFO GROUPS key. On FR_OK *out is the caller's (fr_stream_groups_free).
 * FR_ERR_NOKEY when the key does not exist, FR_ERR_REPLY (another type),
 * FR_ERR_STOPPED, FR_ERR_ARG. On failure *out is NULL.
 */
FR_API int fr_stream_groups(fr_server *srv, const char *key, fr_stream_group_list **out);
FR_API void fr_stream_groups_free(fr_stream_group_list *g);

/** One pending entry: delivered to consumer, not acknowledged yet. */
typedef struct fr_stream_pending_entry {
    char id[FR_STREAM_ID_MAX];
    char *consumer;
    int64_t idle_ms;     /**< since its last delivery */
    uint64_t deliveries; /**< how many times it was delivered */
} fr_stream_pending_entry;

typedef struct fr_stream_pending_list {
    size_t n;
    fr_stream_pending_entry *entries; /**< in ID order */
} fr_stream_pending_list;

/**
 * The pending entries of a group (XPENDING key group - + <all>
 * [consumer]); consumer NULL for every consumer's. On FR_OK *out is the
 * caller's (fr_stream_pending_free). FR_ERR_REPLY when the key or the group
 * does not exist (-NOGROUP in fr_server_errstr()) or the key holds another
 * type, FR_ERR_STOPPED, FR_ERR_ARG. On failure *out is NULL.
 */
FR_API int fr_stream_pending(fr_server *srv, const char *key, const char *group,
                             const char *consumer, fr_stream_pending_list **out);
FR_API void fr_stream_pending_free(fr_stream_pending_list *p);

/** One consumer of a group, as XINFO CONSUMERS shows it. */
typedef struct fr_stream_consumer {
    char *name;
    size_t pending;  /**< entries pending for it */
    int64_t idle_ms; /**< since it last read or claimed */
} fr_stream_consumer;

typedef struct fr_stream_consumer_list {
    size_t n;
    fr_stream_consumer *consumers; /**< by name */
} fr_stream_consumer_list;

/**
 * XINFO CONSUMERS key group. On FR_OK *out is the caller's
 * (fr_stream_consumers_free). FR_ERR_NOKEY when the key does not exist,
 * FR_ERR_REPLY when the group does not (-NOGROUP) or the key holds another
 * type, FR_ERR_STOPPED, FR_ERR_ARG. On failure *out is NULL.
 */
FR_API int fr_stream_consumers(fr_server *srv, const char *key, const char *group,
                               fr_stream_consumer_list **out);
FR_API void fr_stream_consumers_free(fr_stream_consumer_list *c);

#ifdef __cplusplus
}
#endif

#endif /* FAKEREDIS_INSPECT_H */
