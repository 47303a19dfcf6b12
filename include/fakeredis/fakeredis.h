/*
 * fakeredis: an in-memory Redis test double speaking RESP2 and RESP3.
 *
 * One fr_server is one fake Redis. It runs in one of three ways:
 *   - fr_server_start():  on its own thread with its own libevent loop, or
 *                         on a loop thread shared with other servers (fr_loop);
 *   - fr_server_attach(): on the caller's event_base, no thread at all;
 *   - the fakeredis-server program (see README.md).
 * Any number of servers may live in one process; they share nothing.
 *
 * Threads: a server is only ever touched by its loop thread. Every function
 * below that takes an fr_server may be called from any thread unless its
 * comment says otherwise: the call is marshalled onto the loop thread and
 * waits for the result. For an attached server, call only from the thread
 * that runs the event_base (the call then runs directly).
 *
 * Errors: functions return FR_OK (0) or a negative fr_status (functions
 * that return a count return it >= 0, or a negative fr_status);
 * fr_strerror() names the status and fr_server_errstr() gives the last
 * detail. Every function that waits returns FR_OK when what it waits for
 * happened and FR_ERR_TIMEOUT when its deadline passed first.
 *
 * Allocation: the library aborts the process when memory runs out, as
 * Redis does, and never prints (README.md, "Allocation").
 */
#ifndef FAKEREDIS_FAKEREDIS_H
#define FAKEREDIS_FAKEREDIS_H

#include <stddef.h>
#include <stdint.h>

#include "fakeredis/export.h"

#ifdef __cplusplus
extern "C" {
#endif

struct event_base;

/** This library's version, and the Redis version the fake answers as. */
#define FR_VERSION "0.1.0"
#define FR_REDIS_VERSION "7.0.15"

/** An opaque fake Redis server. */
typedef struct fr_server fr_server;
/** A loop thread shared by many servers (fr_loop_new, fr_options.loop). */
typedef struct fr_loop fr_loop;

/** Status codes. 0 is success, every failure is negative. Numbers are
 *  stable from one version to the next. */
typedef enum fr_status {
    FR_OK = 0,
    FR_ERR_ARG = -1,     /**< an argument is invalid */
    FR_ERR_NOMEM = -2,   /**< not returned: running out of memory aborts
                              (README.md, "Allocation"); kept so code that
                              names it still compiles */
    FR_ERR_SOCKET = -3,  /**< a listening socket could not be opened:
                              socket(), bind() or listen() failed */
    FR_ERR_THREAD = -4,  /**< the loop thread could not be started */
    FR_ERR_EVENT = -5,   /**< libevent (or a pipe for it) refused an
                              operation */
    FR_ERR_STOPPED = -6, /**< the server has shut down */
    FR_ERR_PARSE = -7,   /**< a text form (config, fault rule, recording
                              file, MONITOR line) did not parse */
    FR_ERR_STATE = -8,   /**< the call is not allowed in the current state
                              (e.g. a recording is already running) */
    FR_ERR_IO = -9,      /**< reading or writing a file or a connection
                              failed (cannot open, write error, connection
                              refused or closed) */
    FR_ERR_TIMEOUT = -10, /**< a wait's deadline passed first */
    FR_ERR_REPLY = -11,   /**< the command was answered with an error
                               reply (WRONGTYPE, ERR ...); its text is in
                               fr_server_errstr() */
    FR_ERR_NOKEY = -12    /**< the key does not exist */
} fr_status;

/** A static, human-readable name for a status ("unknown status" for a
 *  number that is none). Any thread. Never NULL. */
FR_API const char *fr_strerror(int status);

/** The most databases a server may have (fr_options.databases, or the
 *  `databases` directive; Redis allows INT_MAX): the fake allocates every
 *  database at start and looks at each on every expiry tick (10 ms). */
#define FR_MAX_DATABASES 4096

/**
 * Options for a server. All-zero means defaults: 127.0.0.1, an ephemeral
 * port, no password, 16 databases, the real clock. Strings are copied.
 */
typedef struct fr_options {
    /** address to listen on; NULL: 127.0.0.1. One other hosts can reach
     *  (not 127.0.0.0/8 or ::1) with no requirepass fails start with
     *  FR_ERR_ARG (protected mode) unless config has "protected-mode no" */
    const char *bind;
    int port;                /**< TCP port; 0: ephemeral; -1: no TCP listener */
    const char *unixsocket;  /**< also (or only) listen on this unix socket */
    const char *requirepass; /**< like redis.conf requirepass; NULL: none */
    int databases;           /**< number of databases, 1 to FR_MAX_DATABASES;
                                  0: 16; others fail start (FR_ERR_ARG) */
    /** extra "name value" config directives, as in redis.conf, NULL-ended
     *  array of strings such as "maxclients 50"; unknown names fail start */
    const char *const *config;
    int frozen_clock;        /**< start with the clock frozen at real now */
    int no_control;          /**< refuse the FAKE.* control commands */
    /** called on the loop thread when a SHUTDOWN command stopped the
     *  server (the program uses it to exit); NULL: nothing is called */
    void (*on_shutdown)(void *ctx);
    void *on_shutdown_ctx;
    /** when start or attach fails, the reason is written here (NUL-ended,
     *  truncated to errbuf_len); NULL: not reported. The library never
     *  prints. */
    char *errbuf;
    size_t errbuf_len;
    /** the directory FAKE.RECORD START may write into, over the wire:
     *  plain file names only (no '/', '.' or '..'), never through a
     *  symlink, only regular files. Copied and resolved to an absolute
     *  path at start; it must exist and be a directory, else start fails
     *  with FR_ERR_ARG. NULL (the default): FAKE.RECORD START is refused.
     *  fr_record_start() from C is not confined by it. */
    const char *record_dir;
    /** the command journal (fakeredis/journal.h): how many entries it
     *  keeps, the oldest leaving first. 0: FR_JOURNAL_DEFAULT_SIZE
     *  (4096); negative: no journal. */
    long journal_size;
    /** fr_server_start() only: run on this shared loop thread (fr_loop_new)
     *  instead of a thread and event loop of the server's own; NULL: its
     *  own. fr_server_attach() refuses it (FR_ERR_ARG). */
    fr_loop *loop;
} fr_options;

/**
 * Start a server on a new thread with its own event loop (or on
 * opts->loop, a shared one) and return once it accepts connections (on a
 * shared loop: once it is bound; the loop takes its connections from the
 * kernel's queue as soon as it gets to the server's first job, before any
 * later call into the server). On success *out owns the server: release it with
 * fr_server_stop(). On failure *out is NULL and the status says why:
 * FR_ERR_ARG (NULL out), FR_ERR_PARSE (a config line), FR_ERR_SOCKET (the
 * port or unix socket cannot be bound), FR_ERR_EVENT (libevent or its
 * wake-up pipe), FR_ERR_THREAD; opts->errbuf gets the detail, when there
 * is more to say than the status. opts may be
 * NULL for defaults. Any thread.
 */
FR_API int fr_server_start(const fr_options *opts, fr_server **out);

/**
 * Start a loop thread on which many servers can run (fr_options.loop): a
 * test suite that starts a fake per test makes one loop for the process and
 * passes it to every fr_server_start(), which then costs no thread and no
 * event loop of its own (start and stop are one hand-over each to the
 * loop's thread). Servers on one loop share nothing but that thread: one
 * server's slow command (DEBUG SLEEP, a long script) delays the others, and
 * while one server's script runs past busy-reply-threshold, calls into the
 * servers of the loop wait for it to end (fr_server_stop() ends it).
 * On success *out owns the loop: release it with fr_loop_free(). Returns
 * FR_OK, FR_ERR_ARG (NULL out), FR_ERR_EVENT or FR_ERR_THREAD. Any thread.
 */
FR_API int fr_loop_new(fr_loop **out);

/**
 * Stop the loop's thread and free the loop. Every server started on it must
 * have been stopped first: otherwise nothing is freed and FR_ERR_STATE is
 * returned (as from the loop's own thread). NULL is a no-op (FR_OK). Any
 * thread but the loop's.
 */
FR_API int fr_loop_free(fr_loop *loop);

/**
 * Create a server that runs on the caller's event_base: no thread, every
 * callback runs inside the caller's event_base_dispatch(). The base must
 * outlive the server. Call from the thread that runs (or will run) base.
 * Statuses as fr_server_start() (FR_ERR_ARG also for a NULL base).
 * SIGPIPE: writes to clients never raise it, but an attached replica's or
 * Sentinel's link to another server is written by libevent on the
 * caller's thread, so a process that attaches those should ignore SIGPIPE
 * (or block it in that thread); the threads fr_server_start() and
 * fr_loop_new() make block it themselves.
 */
FR_API int fr_server_attach(struct event_base *base, const fr_options *opts,
                            fr_server **out);

/**
 * Stop the server: close every listener and client (also mid-command),
 * join the loop thread if it has one, free everything. NULL is a no-op.
 * Safe after a SHUTDOWN command already stopped it. Any thread but the
 * server's own loop thread for a threaded server (or the fr_loop's thread
 * for one on a shared loop: the server's events are removed from the loop
 * before this returns); for an attached server,
 * the base's thread. No other thread may call into the server once this
 * call has begun: the handle is gone when it returns.
 */
FR_API void fr_server_stop(fr_server *srv);

/** The TCP port the server listens on (the real one when 0 was asked),
 *  or -1 if it has no TCP listener. Any thread; no marshalling needed. */
FR_API int fr_server_port(const fr_server *srv);

/** The unix socket path, or NULL. Owned by the server. Any thread. */
FR_API const char *fr_server_unixsocket(const fr_server *srv);

/** The address the TCP listener is bound to ("127.0.0.1" unless the
 *  options or a config line said otherwise), or NULL for a NULL server.
 *  Owned by the server, valid until fr_server_stop(). Any thread. */
FR_API const char *fr_server_bind(const fr_server *srv);

/** Nonzero once the server stopped serving (SHUTDOWN, or a fatal error);
 *  fr_server_stop() must still be called to free it. Any thread. */
FR_API int fr_server_is_shut_down(const fr_server *srv);

/** Number of clients (fr_exec's pseudo client not counted), including
 *  those being closed until they are freed with all their state
 *  (subscriptions, blocked keys), or -1 if the server is gone. Any thread. */
FR_API int fr_server_client_count(fr_server *srv);

/** The detail of the last failed call on this server, or the text of the
 *  last error reply fr_exec() got: text owned by the server, overwritten by
 *  the next failure (copy it to keep it; read it from the thread that made
 *  the failed call, before another thread makes one). "no server" for
 *  NULL. */
FR_API const char *fr_server_errstr(const fr_server *srv);

/** What fr_server_run_on_loop() runs. */
typedef void fr_loop_fn(fr_server *srv, void *arg);

/**
 * Run fn(srv, arg) on the server's loop thread and wait until it returns
 * (at once, on the calling thread, when that is the loop's thread or the
 * server is attached). Each fr_* call fn makes on srv (or on another
 * server of the same loop) then runs directly, without a trip between
 * threads, and no client command runs between them: several steps (data,
 * fault rules, the clock, a journal mark) land as one, at the cost of one
 * hand-over instead of one per call. fn must not wait (fr_wait_*() and
 * the like: the loop it would wait for is the one running fn), nor stop a
 * server. Closes that fn asks for (fr_server_kill_clients()) happen when
 * the loop next runs, after fn. Returns FR_OK once fn ran, FR_ERR_ARG
 * (srv or fn NULL) or FR_ERR_STOPPED (the server shut down; fn did not
 * run). Any thread.
 */
FR_API int fr_server_run_on_loop(fr_server *srv, fr_loop_fn *fn, void *arg);

/* ------------------------------------------------------------------------
 * Replies of in-process commands.
 * ------------------------------------------------------------------------ */

/** The type of a reply, one per RESP3 type (RESP2 ones map onto them). */
typedef enum fr_reply_type {
    FR_REPLY_STRING = 1,  /**< bulk string ($) */
    FR_REPLY_ARRAY,       /**< array (*) */
    FR_REPLY_INTEGER,     /**< integer (:) */
    FR_REPLY_NIL,         /**< null (_, $-1, *-1) */
    FR_REPLY_STATUS,      /**< simple string (+) */
    FR_REPLY_ERROR,       /**< simple or bulk error (-, !) */
    FR_REPLY_DOUBLE,      /**< double (,) */
    FR_REPLY_BOOL,        /**< boolean (#) */
    FR_REPLY_MAP,         /**< map (%): elements alternate key, value */
    FR_REPLY_SET,         /**< set (~) */
    FR_REPLY_ATTR,        /**< attribute (|) */
    FR_REPLY_PUSH,        /**< push (>) */
    FR_REPLY_BIGNUM,      /**< big number (() */
    FR_REPLY_VERB         /**< verbatim string (=); str excludes "txt:" */
} fr_reply_type;

/** A parsed reply: a plain tree the caller reads and frees whole. */
typedef struct fr_reply {
    fr_reply_type type;
    long long integer;     /**< INTEGER, BOOL (0 or 1) */
    double dval;           /**< DOUBLE */
    size_t len;            /**< bytes in str */
    char *str;             /**< STRING, STATUS, ERROR, DOUBLE, BIGNUM, VERB;
                                NUL-terminated, may hold NULs */
    char vtype[4];         /**< VERB: the 3-letter format, e.g. "txt" */
    size_t elements;       /**< ARRAY, MAP (2 per pair), SET, PUSH, ATTR */
    struct fr_reply **element;
} fr_reply;

/** Free a reply tree. NULL is a no-op. Any thread. */
FR_API void fr_reply_free(fr_reply *r);

/**
 * Parse one RESP2/RESP3 reply from buf[0..len). Returns 1 and sets *out
 * (owned by the caller) and *consumed when a whole reply is there, 0 when
 * more bytes are needed, -1 when the bytes are not valid RESP. Any thread.
 */
FR_API int fr_reply_parse(const char *buf, size_t len, size_t *consumed,
                          fr_reply **out);

/**
 * Run one command in-process, as a client connected with RESP3 would, but
 * without a socket (the command is not subject to faults). argv[i] has
 * lens[i] bytes; lens may be NULL for NUL-terminated arguments. The reply
 * is owned by the caller (fr_reply_free). Returns NULL only when the server
 * is stopped or the arguments are invalid (argc < 1, NULL argv); a Redis
 * error comes back as an FR_REPLY_ERROR reply (its text is also put in
 * fr_server_errstr()). Any thread.
 */
FR_API fr_reply *fr_exec(fr_server *srv, int argc, const char *const *argv,
                         const size_t *lens);

/**
 * printf-style fr_exec, split on spaces like hiredis' redisCommand:
 * "%s" inserts a C string, "%b" a (pointer, size_t) binary string, "%d",
 * "%lld", "%u", "%f" numbers, "%%" a percent sign. Each %-directive stays
 * inside its word. Returns as fr_exec() (NULL also for a NULL or blank
 * fmt). Any thread.
 */
FR_API fr_reply *fr_execf(fr_server *srv, const char *fmt, ...);

/** Select the database that fr_exec() and the helpers of inspect.h run
 *  against (default 0). FR_OK, FR_ERR_ARG (no such database),
 *  FR_ERR_STOPPED. Any thread. */
FR_API int fr_exec_select(fr_server *srv, int db);

/* ------------------------------------------------------------------------
 * The clock. Expiry, TTLs, TIME and blocking timeouts all read it.
 * Real time by default; frozen, it stands still until set or advanced.
 * ------------------------------------------------------------------------ */

/* Each call runs on the loop thread and returns FR_OK, FR_ERR_ARG (NULL
 * server, negative ms) or FR_ERR_STOPPED. Any thread. */

/** Freeze the clock at its current reading. */
FR_API int fr_clock_freeze(fr_server *srv);
/** Let the clock run again in real time, from its current reading. */
FR_API int fr_clock_resume(fr_server *srv);
/** Set the clock to ms milliseconds since the Unix epoch (keeps its mode). */
FR_API int fr_clock_set(fr_server *srv, int64_t unix_ms);
/** Move the clock forward by ms milliseconds and fire every timer (expiry,
 *  blocking timeouts) that became due, before returning. */
FR_API int fr_clock_advance(fr_server *srv, int64_t ms);
/** The clock's reading, in milliseconds since the Unix epoch; -1 when the
 *  server is stopped (or NULL). */
FR_API int64_t fr_clock_now_ms(fr_server *srv);

#ifdef __cplusplus
}
#endif

#endif /* FAKEREDIS_FAKEREDIS_H */
