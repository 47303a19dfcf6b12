/*
 * fakeredis server events: things a test makes happen to the whole server
 * at a moment it chooses, rather than on a matching command (those are the
 * rules of fakeredis/fault.h). Close clients as CLIENT KILL would, restart
 * on the same port with a window where connects are refused, stop and
 * resume accepting, pause and resume processing.
 *
 * The same events exist on the wire (FAKE.KILL, FAKE.RESTART, FAKE.LISTEN,
 * FAKE.PAUSE/FAKE.RESUME; README.md, "Faults").
 *
 * Threads: every function may be called from any thread for a threaded
 * server (it runs on the server's loop thread and waits), and only from the
 * base's thread for an attached one. Errors are FR_OK or a negative
 * fr_status: FR_ERR_ARG for a NULL server, FR_ERR_STOPPED once the server
 * has shut down, others as noted; the detail is in fr_server_errstr().
 */
#ifndef FAKEREDIS_EVENTS_H
#define FAKEREDIS_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "fakeredis/export.h"
#include "fakeredis/fakeredis.h"

#ifdef __cplusplus
extern "C" {
#endif

/** fr_kill_filter.type: which kind of client. */
enum {
    FR_KILL_ANY = 0,    /**< every kind */
    FR_KILL_NORMAL = 1, /**< clients with no subscription */
    FR_KILL_PUBSUB = 2  /**< clients with at least one subscription */
};

/** Which clients fr_server_kill_clients() closes. All-zero: every client. */
typedef struct fr_kill_filter {
    uint64_t id;      /**< only this client id; 0: any */
    const char *name; /**< glob on the client name; NULL: any */
    const char *addr; /**< glob on the peer address; NULL: any */
    int type;         /**< FR_KILL_ANY, FR_KILL_NORMAL or FR_KILL_PUBSUB */
    int reset;        /**< nonzero: RST instead of FIN */
    int keep_replicas; /**< nonzero: spare the links of replicas (which
                            would have to resync) */
} fr_kill_filter;

/** Close the matching clients (filter NULL: every client); *killed (may be
 *  NULL) gets their number. FR_OK, FR_ERR_ARG, FR_ERR_STOPPED. */
FR_API int fr_server_kill_clients(fr_server *srv, const fr_kill_filter *filter, size_t *killed);

/** Forget the ACL users and the ACL log: the server has the default user
 *  alone again, with every permission and requirepass as its password, and
 *  the users of the configuration's "user" lines, as at start. Connections logged in as another user go on as the default
 *  user (fr_fixture_reset closes them first). FR_OK, FR_ERR_ARG (NULL
 *  srv), FR_ERR_STOPPED. Any thread. */
FR_API int fr_acl_reset(fr_server *srv);

/**
 * Restart on the same port: close the listeners and every client (FIN),
 * flush the data if flush is nonzero, stay down down_ms (connects are
 * refused: the port is closed), then listen again on the same port and
 * unix socket. Returns once the server is down; with down_ms <= 0 it is
 * already back. Rules, config and (unless flushed) data are kept; a
 * processing pause ends. FR_OK; FR_ERR_SOCKET when, with down_ms <= 0,
 * the port could not be bound again (the server then stays down;
 * fr_server_errstr() says why; with down_ms > 0 a failure to bind later is
 * only seen as connects refused); FR_ERR_EVENT, FR_ERR_ARG, FR_ERR_STOPPED.
 */
FR_API int fr_server_restart(fr_server *srv, int64_t down_ms, int flush);

/** Stop (on = 0) or resume (on != 0) accepting connections; open
 *  connections are untouched. While stopped, connects are refused.
 *  FR_OK; FR_ERR_SOCKET when the port cannot be bound again. */
FR_API int fr_server_set_listening(fr_server *srv, int on);

/** 1 while the server accepts connections, 0 otherwise (also for a NULL
 *  or stopped server). */
FR_API int fr_server_is_listening(fr_server *srv);

/**
 * Pause processing: connections stay open (and new ones are accepted), but
 * nothing is read or run until fr_server_resume_processing(). Replies
 * already queued still go out. FR_OK, FR_ERR_ARG, FR_ERR_STOPPED.
 */
FR_API int fr_server_pause_processing(fr_server *srv);
/** End a pause (also one started by FAKE.PAUSE). As the pause. */
FR_API int fr_server_resume_processing(fr_server *srv);

/* ------------------------------------------------------------------------
 * Watching a server change: what event-driven waits are built on
 * (fakeredis/harness.h). Tests rarely call these themselves.
 * ------------------------------------------------------------------------ */

/** Called on the server's loop thread, once per loop iteration in which
 *  something changed: a client's command ran (fr_exec's do not count), a
 *  client connected or was freed,
 *  listening started or stopped, the 100 ms cron ran (keys may have
 *  expired), the clock was moved. It must be short and must not call into
 *  the server; typically it wakes a waiting thread (a condition variable,
 *  an eventfd). */
typedef void fr_watch_fn(void *ctx);

/** Call fn(ctx) after every change from now on; *id (may be NULL) names
 *  the watch for fr_server_unwatch(). FR_OK, FR_ERR_ARG, FR_ERR_STOPPED.
 *  A watch ends with the server at the latest. */
FR_API int fr_server_watch(fr_server *srv, fr_watch_fn *fn, void *ctx, uint64_t *id);
/** Stop the watch id: fn is not called once this returns. FR_OK,
 *  FR_ERR_ARG (no such watch), FR_ERR_STOPPED. */
FR_API int fr_server_unwatch(fr_server *srv, uint64_t id);

/** The event_base an attached server runs on (fr_server_attach), or NULL
 *  for a threaded server (or NULL srv). Any thread. */
FR_API struct event_base *fr_server_base(const fr_server *srv);

#ifdef __cplusplus
}
#endif

#endif /* FAKEREDIS_EVENTS_H */
