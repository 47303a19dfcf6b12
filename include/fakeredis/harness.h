/*
 * Test harness: fixtures, waits on the server's own events, checks on what
 * the client did (with failure reports), scenario helpers.
 *
 * Library: fakeredis::harness (libfakeredis-harness, pkg-config
 * fakeredis-harness). Nothing here needs cmocka; fakeredis/cmocka.h turns
 * the checks into cmocka assertions, and the fixtures have cmocka's
 * signature (int fn(void **state)).
 *
 * ---- Fixtures --------------------------------------------------------------
 *
 *   static const fr_fixture_config frozen = {.opts = {.frozen_clock = 1}};
 *   static void test_ttl(void **state) {
 *       fr_fixture *fx = *state;               // fx->srv, fx->port, fx->user
 *       ...
 *   }
 *   FR_TEST(test_ttl, &frozen)                 // in the CMUnitTest array
 *   FR_TEST(test_other, NULL)                  // default options
 *
 * fr_fixture_config.user is handed to the test as fx->user (the test's own
 * state); .setup/.teardown run the test's own code right after the server
 * started / before it stops. For one fake shared by a whole group, flushed
 * between tests (data, rules, journal, clock, clients), see
 * fr_group_setup(). The older fr_fixture_setup() (*state is the fr_server)
 * still works.
 *
 * ---- Waits -----------------------------------------------------------------
 *
 * Every wait takes a timeout in milliseconds of real time and returns
 * FR_OK when what it waits for happened, FR_ERR_TIMEOUT when the deadline
 * passed first (fr_wait_message() then says what was awaited and what was
 * seen instead), or another negative fr_status when it cannot wait at all
 * (FR_ERR_ARG, FR_ERR_STOPPED). Waits sleep until the server reports a
 * change (a command ran, a client came or went...): no fixed sleeps, no
 * polling.
 *
 * Each comes in two forms:
 *   fr_wait_X(srv, ...)          blocks the calling thread; for a threaded
 *                                server, or an attached one (its base is
 *                                then run while waiting);
 *   fr_wait_X_on(base, srv, ...) runs the test's own event_base while it
 *                                waits: a hiredis async client on that
 *                                base makes progress (its callbacks run),
 *                                the server may be threaded or attached.
 *
 * ---- Checks ----------------------------------------------------------------
 *
 * fr_check_*() return 1 when the check holds, 0 with *report (malloc'd)
 * saying why, followed by the context: the journal excerpt, every
 * client's subscriptions and fr_dump() of database 0. fakeredis/cmocka.h
 * wraps them as fr_assert_*().
 *
 * Threads: any thread, as the rest of the API; a wait on an attached
 * server from its own thread runs its base.
 */
#ifndef FAKEREDIS_HARNESS_H
#define FAKEREDIS_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "fakeredis/fakeredis.h"
#include "fakeredis/journal.h"
#include "fakeredis/pubsub.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ==== fixtures ============================================================ */

typedef struct fr_fixture fr_fixture;

/** What a fixture starts: options for the server and the test's own
 *  state and hooks. All-zero (or a NULL pointer) means defaults. */
typedef struct fr_fixture_config {
    fr_options opts;   /**< requirepass, config lines, frozen_clock... */
    void *user;        /**< handed to the test as fx->user */
    /** run right after the server started (seed data, rules); nonzero
     *  fails the setup */
    int (*setup)(fr_fixture *fx);
    /** run before the server stops */
    void (*teardown)(fr_fixture *fx);
} fr_fixture_config;

/** A running fixture: what a test reads from *state. */
struct fr_fixture {
    fr_server *srv;
    int port;                      /**< fr_server_port(srv) */
    void *user;                    /**< fr_fixture_config.user; the test
                                        may set it too */
    const fr_fixture_config *cfg;  /**< what it was started with (a copy) */
    uint64_t mark;                 /**< the journal mark when the test
                                        started (after setup) */
};

/** Start a threaded server as cfg says (NULL: defaults), run cfg->setup.
 *  FR_OK or a negative fr_status (the reason in fr_wait_message()). */
FR_API int fr_fixture_open(const fr_fixture_config *cfg, fr_fixture **out);
/** Run cfg->teardown, stop the server, free fx. NULL is a no-op. */
FR_API void fr_fixture_close(fr_fixture *fx);
/** Make the fake as new for the next test, without restarting it: close
 *  every client (and wait until they are gone), clear the fault rules,
 *  resume processing and listening, flush every database, delete the ACL
 *  users but default (which gets every permission back and requirepass
 *  as its password) and those of the configuration's "user" lines (made
 *  again as they were), and clear the ACL log, clear the journal, set the
 *  clock back to real time (frozen again if the config froze it), select
 *  db 0 for fr_exec, and take fx->mark. The steps run on the server's
 *  loop as one (fr_server_run_on_loop): one hand-over between threads
 *  when no client was left, two when clients had to be closed (plus a
 *  wait if their closes were still pending). FR_OK or a negative
 *  fr_status. Any thread (an attached server: its base's thread), but not
 *  from inside a callback of the server's own loop. */
FR_API int fr_fixture_reset(fr_fixture *fx);

/** cmocka setup: *state comes in as the fr_fixture_config (the prestate,
 *  may be NULL) and leaves as the fr_fixture. Returns 0, or -1 with the
 *  reason on stderr (a fixture is test code: it prints). */
FR_API int fr_fixture_start(void **state);
/** cmocka teardown for fr_fixture_start(). Returns 0. */
FR_API int fr_fixture_stop(void **state);

/** One CMUnitTest with its own fixture: FR_TEST(test_fn, &config). */
#define FR_TEST(f, cfg) \
    {#f, f, fr_fixture_start, fr_fixture_stop, (void *)(uintptr_t)(const void *)(cfg)}

/** cmocka group setup/teardown: one fake for the whole group
 *  (cmocka_run_group_tests(tests, fr_group_setup, fr_group_teardown));
 *  every test gets the group's fr_fixture as *state. */
FR_API int fr_group_setup(void **state);
FR_API int fr_group_teardown(void **state);
/** Per-test setup for a group: fr_fixture_reset() of the group's fixture,
 *  so each test starts on a flushed fake. Use it with
 *  cmocka_unit_test_setup(test, fr_group_test_setup), or FR_GROUP_TEST. */
FR_API int fr_group_test_setup(void **state);
#define FR_GROUP_TEST(f) {#f, f, fr_group_test_setup, NULL, NULL}

/** The older fixtures: *state is the fr_server itself. */
FR_API int fr_fixture_setup(void **state);
FR_API int fr_fixture_setup_frozen(void **state);
FR_API int fr_fixture_teardown(void **state);

/* ==== waits =============================================================== */

/** What the last failed wait of this thread awaited and saw instead, e.g.
 *  "waited 1000 ms for 1 command matching 'GET user:*'; saw 0" followed by
 *  the journal's last entries. "" when none failed. Thread-local; valid
 *  until this thread's next wait. */
FR_API const char *fr_wait_message(void);

/** A condition: 1 when it holds, 0 when not yet, a negative fr_status to
 *  stop waiting (FR_ERR_STOPPED...). It may write what it saw into
 *  seen[0..cap) for the timeout message. It may call the API on srv. */
typedef int fr_wait_pred(fr_server *srv, void *ctx, char *seen, size_t cap);

/** Wait until pred holds, re-checking it after each change on srv (never
 *  polling). what names it in the timeout message. */
FR_API int fr_wait_for(fr_server *srv, fr_wait_pred *pred, void *ctx, const char *what,
                       int timeout_ms);
FR_API int fr_wait_for_on(struct event_base *base, fr_server *srv, fr_wait_pred *pred,
                          void *ctx, const char *what, int timeout_ms);

/** Until the server has exactly n clients (fr_server_client_count: a
 *  closing client counts until it is freed with its subscriptions and
 *  blocked keys, so n = 0 means all gone). */
FR_API int fr_wait_clients(fr_server *srv, int n, int timeout_ms);
FR_API int fr_wait_clients_on(struct event_base *base, fr_server *srv, int n, int timeout_ms);

/** Until at least n journal entries match q (NULL: any command); set
 *  q->since to a mark to wait for new ones, q->client_id or q->client for
 *  one client's. */
FR_API int fr_wait_journal(fr_server *srv, const fr_journal_query *q, size_t n, int timeout_ms);
FR_API int fr_wait_journal_on(struct event_base *base, fr_server *srv,
                              const fr_journal_query *q, size_t n, int timeout_ms);
/** Until a command matching pattern (journal.h: "GET user:*") arrives
 *  after mark (0: any time), from any client. */
FR_API int fr_wait_command(fr_server *srv, const char *pattern, uint64_t mark, int timeout_ms);
FR_API int fr_wait_command_on(struct event_base *base, fr_server *srv, const char *pattern,
                              uint64_t mark, int timeout_ms);

/** Until the newest client named client is subscribed to exactly these
 *  channels and patterns (NULL-terminated arrays; NULL: none), no more,
 *  no fewer. */
FR_API int fr_wait_subscribed(fr_server *srv, const char *client, const char *const *channels,
                              const char *const *patterns, int timeout_ms);
FR_API int fr_wait_subscribed_on(struct event_base *base, fr_server *srv, const char *client,
                                 const char *const *channels, const char *const *patterns,
                                 int timeout_ms);
/** Until the newest client named client holds exactly the set of want
 *  (client ids aside): e.g. a snapshot taken before the drop. */
FR_API int fr_wait_subs_equal(fr_server *srv, const char *client, const fr_sub_list *want,
                              int timeout_ms);
FR_API int fr_wait_subs_equal_on(struct event_base *base, fr_server *srv, const char *client,
                                 const fr_sub_list *want, int timeout_ms);

/** Until GET key (database 0, or fr_exec_select's) gives value; value
 *  NULL: until the key does not exist. */
FR_API int fr_wait_key(fr_server *srv, const char *key, const char *value, int timeout_ms);
FR_API int fr_wait_key_on(struct event_base *base, fr_server *srv, const char *key,
                          const char *value, int timeout_ms);

/** Until at least n clients are blocked on keys (BLPOP...). */
FR_API int fr_wait_blocked(fr_server *srv, size_t n, int timeout_ms);
FR_API int fr_wait_blocked_on(struct event_base *base, fr_server *srv, size_t n,
                              int timeout_ms);

/** Call pred(ctx) until it returns nonzero or timeout_ms passes, sleeping
 *  1 ms between calls: for conditions the server does not know about
 *  (prefer fr_wait_for, which sleeps until the server changes). FR_OK,
 *  FR_ERR_TIMEOUT, FR_ERR_ARG. */
FR_API int fr_wait_until(int (*pred)(void *ctx), void *ctx, int timeout_ms);

/* ==== checks ============================================================== */

/** Between min and max (inclusive; max < 0: no limit) journal entries
 *  match q. fr_assert_seen, _not_seen, _seen_times. */
FR_API int fr_check_count(fr_server *srv, const fr_journal_query *q, long long min,
                          long long max, char **report);
/** Commands matching patterns[0..n) arrived in this order after mark
 *  (others may come between them). */
FR_API int fr_check_sequence(fr_server *srv, uint64_t mark, const char *const *patterns,
                             size_t n, char **report);
/** The newest client named client is another connection than before's
 *  (it reconnected) and holds exactly before's subscriptions. */
FR_API int fr_check_resubscribed(fr_server *srv, const char *client, const fr_sub_list *before,
                                 char **report);
/** After mark, no command arrived while the server was not listening
 *  (between a FR_J_LISTEN_OFF and the next FR_J_LISTEN_ON). */
FR_API int fr_check_none_while_down(fr_server *srv, uint64_t mark, char **report);
/** Commands matching pattern after mark: at most 1 + n (a first try and n
 *  retries). */
FR_API int fr_check_retries(fr_server *srv, const char *pattern, uint64_t mark, long long n,
                            char **report);

/** The context a failure prints: the journal entries after mark (the last
 *  50 at most), every client with its subscriptions, fr_dump() of db 0.
 *  malloc'd; never NULL. */
FR_API char *fr_report(fr_server *srv, uint64_t mark);

/* ==== scenarios =========================================================== */

/* Fault rules for the usual ways a network breaks a client; each returns
 * the rule's id (> 0) or a negative fr_status, and is in force when it
 * returns. Clear a rule with fr_fault_clear(). */

/** Drop (how: "close" or "reset") the connection of the client named
 *  client right after its next SUBSCRIBE/PSUBSCRIBE confirmation went
 *  out: it must notice, reconnect and subscribe again. */
FR_API long long fr_scenario_drop_after_subscribe(fr_server *srv, const char *client,
                                                  const char *how);
/** Restart on the same port, refusing connects (ECONNREFUSED) for
 *  down_ms: fr_server_restart() with data kept. Returns FR_OK. */
FR_API int fr_scenario_restart_refusing(fr_server *srv, int64_t down_ms);
/** The nth (from 1) reply to a command named cmd arrives one byte at a
 *  time, gap_ms apart. */
FR_API long long fr_scenario_fragment_reply(fr_server *srv, const char *cmd, uint64_t nth,
                                            int64_t gap_ms);
/** The next command named cmd is held ms (0: until the rule is cleared)
 *  before it runs: long enough and the client's own timeout fires. */
FR_API long long fr_scenario_stall(fr_server *srv, const char *cmd, int64_t ms);

#ifdef __cplusplus
}
#endif

#endif /* FAKEREDIS_HARNESS_H */
