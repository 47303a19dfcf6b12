/*
 * fakeredis blocking commands from the test's side: who is blocked (BLPOP,
 * BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP, XREAD and
 * XREADGROUP with BLOCK), on which keys, since when and until when.
 *
 * The typical use is ordering a test without sleeping: start a client's
 * BLPOP, wait with fr_blocked_wait() until the fake has it blocked, then
 * push from another client and assert on what the first one received.
 *
 * Times are on the server's clock (fr_clock_now_ms()), so with a frozen
 * clock a deadline stays put until fr_clock_advance()/fr_clock_set().
 *
 * Threads: like every call taking an fr_server, each function may be
 * called from any thread for a threaded server (it is marshalled onto the
 * loop thread and waits), and only from the base's thread for an attached
 * one. Results are plain data owned by the caller.
 */
#ifndef FAKEREDIS_BLOCKING_H
#define FAKEREDIS_BLOCKING_H

#include <stddef.h>
#include <stdint.h>

#include "fakeredis/fakeredis.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One blocked client. Strings are NUL-terminated; keys may hold NUL bytes
 *  (use key_lens). */
typedef struct fr_blocked_client {
    uint64_t client_id;  /**< CLIENT ID of the connection */
    const char *name;    /**< CLIENT SETNAME's name, "" if none */
    const char *command; /**< the blocking command, lower case ("blpop") */
    int db;              /**< the database its keys are in */
    size_t nkeys;        /**< distinct keys waited on, in the order given */
    const char *const *keys;
    const size_t *key_lens;
    int64_t since_ms;    /**< when it blocked, server clock (Unix ms) */
    int64_t deadline_ms; /**< when it times out, server clock; 0: never */
} fr_blocked_client;

/** A snapshot of the blocked clients, in the order they blocked. */
typedef struct fr_blocked_list {
    size_t n;
    fr_blocked_client *clients;
} fr_blocked_list;

/**
 * Take a snapshot of the clients blocked on keys right now (a client that
 * disconnected is not in it). On success *out is one allocation owned by
 * the caller, freed with fr_blocked_list_free(). Returns FR_OK,
 * FR_ERR_ARG (NULL argument) or FR_ERR_STOPPED.
 */
FR_API int fr_blocked_list_get(fr_server *srv, fr_blocked_list **out);

/** Free a snapshot from fr_blocked_list_get(). NULL is a no-op. */
FR_API void fr_blocked_list_free(fr_blocked_list *list);

/** The number of clients blocked on keys (>= 0), or a negative fr_status
 *  (FR_ERR_ARG, FR_ERR_STOPPED). */
FR_API long long fr_blocked_count(fr_server *srv);

/**
 * Wait until at least n clients are blocked on keys, up to timeout_ms of
 * real time (not the server's clock). Returns FR_OK when they are,
 * FR_ERR_TIMEOUT when the deadline passed first, FR_ERR_ARG (NULL server,
 * negative timeout) or FR_ERR_STOPPED: the convention of every wait
 * (harness.h). Any thread but the loop's, for a threaded server. An
 * attached server cannot make progress while its own thread waits here:
 * there it checks once and returns FR_OK or FR_ERR_TIMEOUT at once.
 */
FR_API int fr_blocked_wait(fr_server *srv, size_t n, int timeout_ms);
/* fr_wait_blocked() and fr_wait_blocked_on() (fakeredis/harness.h) wait
 * for the same on the server's events instead of polling, and can run the
 * test's event_base meanwhile. */

#ifdef __cplusplus
}
#endif

#endif
