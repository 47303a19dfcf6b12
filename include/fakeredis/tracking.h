/*
 * fakeredis client-side caching from the test's side: is a client
 * tracking, in which mode, redirected where, with which prefixes.
 *
 * The typical use is checking a client's reconnect logic: the client
 * turned CLIENT TRACKING on, the fake drops the connection, the client
 * comes back; fr_tracking_client_by_name() on the new connection must say
 * tracking is on again, with the same mode and prefixes.
 *
 * Threads: like every call taking an fr_server, each function may be
 * called from any thread for a threaded server (it is marshalled onto the
 * loop thread and waits), and only from the base's thread for an attached
 * one. Results are plain data owned by the caller.
 */
#ifndef FAKEREDIS_TRACKING_H
#define FAKEREDIS_TRACKING_H

#include <stddef.h>
#include <stdint.h>

#include "fakeredis/fakeredis.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Mode bits of fr_tracking_state.flags (CLIENT TRACKINGINFO's flags). */
enum {
    FR_TRACKING_ON = 1u << 0,
    FR_TRACKING_BCAST = 1u << 1,
    FR_TRACKING_OPTIN = 1u << 2,
    FR_TRACKING_OPTOUT = 1u << 3,
    FR_TRACKING_NOLOOP = 1u << 4,
    FR_TRACKING_CACHING = 1u << 5,        /**< CLIENT CACHING given for the next command */
    FR_TRACKING_BROKEN_REDIRECT = 1u << 6 /**< the redirect client went away */
};

/**
 * One client's tracking state at the moment of the call, one allocation
 * owned by the caller (free with fr_tracking_state_free()). Prefixes are
 * sorted bytewise and NUL-terminated (they may hold NUL bytes: use the
 * lengths).
 */
typedef struct fr_tracking_state {
    uint64_t client_id;          /**< the CLIENT ID of the client */
    unsigned flags;              /**< FR_TRACKING_* bits; 0: not tracking */
    long long redirect;          /**< REDIRECT id, 0: none, -1: not tracking */
    size_t nprefixes;            /**< BCAST prefixes */
    const char *const *prefixes; /**< prefixes[0..nprefixes) */
    const size_t *prefix_lens;   /**< their lengths */
} fr_tracking_state;

/**
 * Snapshot the tracking state of the client whose CLIENT ID is id (a
 * client being closed counts as gone). On success *out is the caller's.
 * Returns FR_OK, FR_ERR_ARG (NULL argument, or no such client: *out is
 * then NULL; fr_server_errstr() says which), FR_ERR_STOPPED.
 */
FR_API int fr_tracking_client(fr_server *srv, uint64_t id, fr_tracking_state **out);

/**
 * The same for the client named name (CLIENT SETNAME / HELLO SETNAME).
 * When several live clients have the name, the newest (highest id) is
 * taken: after a reconnect, that is the new connection.
 */
FR_API int fr_tracking_client_by_name(fr_server *srv, const char *name, fr_tracking_state **out);

/** Free a state from fr_tracking_client*(). NULL is a no-op. Any thread. */
FR_API void fr_tracking_state_free(fr_tracking_state *s);

/**
 * Counts INFO reports: clients with tracking on, keys in the tracking
 * table, (key, client) pairs in it, BCAST prefixes. Any pointer may be
 * NULL. Returns FR_OK, FR_ERR_ARG (NULL server), FR_ERR_STOPPED.
 */
FR_API int fr_tracking_counts(fr_server *srv, long long *clients, long long *keys, long long *items,
                              long long *prefixes);

#ifdef __cplusplus
}
#endif

#endif /* FAKEREDIS_TRACKING_H */
