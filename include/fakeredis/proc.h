/*
 * Servers in their own process, for tests that kill, freeze or restart the
 * whole server, or compare with the real thing:
 *
 *   - FR_PROC_FAKE: fakeredis-server, started on a free port (read from its
 *     "listening" line: no polling), steered with FAKE.* over the wire;
 *   - FR_PROC_REDIS: a real redis-server (no persistence, its own free port),
 *     when one is installed (fr_proc_available).
 *
 *   fr_proc *p;
 *   fr_proc_start(NULL, &p);                   // fakeredis-server --port 0
 *   redisContext *c = redisConnect("127.0.0.1", fr_proc_port(p));
 *   fr_proc_signal(p, SIGSTOP);                // frozen: connects hang
 *   fr_proc_signal(p, SIGCONT);
 *   fr_proc_kill(p);                           // SIGKILL: RST, port closed
 *   fr_proc_restart(p);                        // back on the same port
 *   fr_proc_stop(p);                           // SIGTERM, reaped, freed
 *
 * Which fakeredis-server: fr_proc_options.binary, else $FAKEREDIS_SERVER,
 * else the installed one, else fakeredis-server on $PATH. Which
 * redis-server: .binary, else $REDIS_SERVER, else redis-server on $PATH.
 *
 * cmocka fixtures for them are in fakeredis/cmocka.h (fr_proc_fixture_*,
 * fr_redis_fixture_*: a test without redis-server is skipped, saying so).
 *
 * Library: fakeredis::harness. Errors: FR_OK or a negative fr_status,
 * fr_wait_message() (harness.h) says why a start failed. Call a process'
 * functions from one thread at a time.
 */
#ifndef FAKEREDIS_PROC_H
#define FAKEREDIS_PROC_H

#include "fakeredis/fakeredis.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fr_proc_kind {
    FR_PROC_FAKE = 0, /**< fakeredis-server */
    FR_PROC_REDIS = 1 /**< a real redis-server */
} fr_proc_kind;

/** All-zero: fakeredis-server on a free port. */
typedef struct fr_proc_options {
    fr_proc_kind kind;
    const char *binary;      /**< the program; NULL: see the top */
    const char *const *args; /**< more arguments, NULL-terminated (e.g.
                                  "--frozen-clock", "--fault", "cmd=GET ...") */
    int port;                /**< 0: a free port */
    int timeout_ms;          /**< how long it may take to listen; 0: 5000 */
} fr_proc_options;

typedef struct fr_proc fr_proc;

/** Start it and return once it listens. FR_OK; FR_ERR_IO (the program
 *  could not be run, or exited), FR_ERR_TIMEOUT (it did not listen in
 *  time), FR_ERR_ARG. */
FR_API int fr_proc_start(const fr_proc_options *o, fr_proc **out);
/** Its TCP port (the same across restarts). */
FR_API int fr_proc_port(const fr_proc *p);
/** Its process id, or -1 while it is not running. */
FR_API int fr_proc_pid(const fr_proc *p);
/** 1 while the process runs (also stopped by SIGSTOP), 0 once it exited. */
FR_API int fr_proc_running(fr_proc *p);
/** Send a signal (SIGSTOP, SIGCONT, SIGTERM...). FR_OK, FR_ERR_STATE (not
 *  running), FR_ERR_ARG. */
FR_API int fr_proc_signal(fr_proc *p, int sig);
/** SIGKILL and reap: clients get a reset, the port is closed. FR_OK or
 *  FR_ERR_STATE (not running). */
FR_API int fr_proc_kill(fr_proc *p);
/** Start again on the same port (killing it first if it runs), with the
 *  same arguments; returns once it listens. Statuses as fr_proc_start. */
FR_API int fr_proc_restart(fr_proc *p);
/** SIGTERM (SIGKILL if it has not exited within 5 s), reap, free. NULL is
 *  a no-op. */
FR_API void fr_proc_stop(fr_proc *p);
/** 1 if the program of this kind can be found (o->binary, the environment,
 *  $PATH), 0 if not. */
FR_API int fr_proc_available(const fr_proc_options *o);

#ifdef __cplusplus
}
#endif

#endif /* FAKEREDIS_PROC_H */
