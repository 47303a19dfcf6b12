/*
 * cmocka assertions on what the client did, and fixtures for servers in
 * their own process. Include after <cmocka.h>:
 *
 *   #include <setjmp.h> <stdarg.h> <stddef.h> <stdint.h>
 *   #include <cmocka.h>
 *   #include <fakeredis/cmocka.h>
 *
 * Each fr_assert_*() fails the test with a message saying what was expected
 * and what happened, followed by the journal excerpt, every client's
 * subscriptions and fr_dump() of database 0 (fr_report(), harness.h):
 *
 *   fr_assert_seen(srv, "SUBSCRIBE news");
 *   fr_assert_not_seen(srv, "FLUSHALL");
 *   fr_assert_seen_times(srv, "GET user:*", 1);           // cached after
 *   fr_assert_sequence(srv, mark, "AUTH *", "SELECT 2", "GET *");
 *   fr_assert_resubscribed(srv, "worker", before);         // fr_sub_list *
 *   fr_assert_none_while_down(srv, mark);
 *   fr_assert_retries_at_most(srv, "GET k", mark, 3);
 *   fr_assert_wait(fr_wait_command(srv, "PING", 0, 1000));  // any wait
 *
 * Patterns are journal patterns (journal.h): "GET user:*". _seen, _not_seen
 * and _seen_times count over the whole journal; the _since forms after a
 * mark (fr_journal_mark, or fx->mark of a fixture).
 *
 * Works with cmocka 1.1 (Debian) and 2.x (fakeredis/cmocka_compat.h).
 * Library: fakeredis::harness.
 */
#ifndef FAKEREDIS_CMOCKA_H
#define FAKEREDIS_CMOCKA_H

#include <stdio.h>
#include <stdlib.h>

#include "fakeredis/cmocka_compat.h"
#include "fakeredis/harness.h"
#include "fakeredis/proc.h"

#define FR__ASSERT(check)                                                                \
    do {                                                                                 \
        char *fr__report = NULL;                                                         \
        if (!(check)) {                                                                  \
            FR_CMOCKA_FAIL(fr__report ? fr__report : "(no report)");                     \
        }                                                                                \
        free(fr__report);                                                                \
    } while (0)

#define FR__Q(pattern, mark) (&(fr_journal_query){.command = (pattern), .since = (mark)})

/** At least one command matching pattern. */
#define fr_assert_seen(srv, pattern) \
    FR__ASSERT(fr_check_count((srv), FR__Q((pattern), 0), 1, -1, &fr__report))
#define fr_assert_seen_since(srv, mark, pattern) \
    FR__ASSERT(fr_check_count((srv), FR__Q((pattern), (mark)), 1, -1, &fr__report))
/** No command matching pattern. */
#define fr_assert_not_seen(srv, pattern) \
    FR__ASSERT(fr_check_count((srv), FR__Q((pattern), 0), 0, 0, &fr__report))
#define fr_assert_not_seen_since(srv, mark, pattern) \
    FR__ASSERT(fr_check_count((srv), FR__Q((pattern), (mark)), 0, 0, &fr__report))
/** Exactly n commands matching pattern. */
#define fr_assert_seen_times(srv, pattern, n) \
    FR__ASSERT(fr_check_count((srv), FR__Q((pattern), 0), (n), (n), &fr__report))
#define fr_assert_seen_times_since(srv, mark, pattern, n) \
    FR__ASSERT(fr_check_count((srv), FR__Q((pattern), (mark)), (n), (n), &fr__report))
/** Any journal query, between min and max entries (max < 0: no limit). */
#define fr_assert_journal(srv, query, min, max) \
    FR__ASSERT(fr_check_count((srv), (query), (min), (max), &fr__report))
/** Commands matching the patterns arrived in this order after mark. */
#define fr_assert_sequence(srv, mark, ...)                                               \
    FR__ASSERT(fr_check_sequence(                                                        \
        (srv), (mark), (const char *const[]){__VA_ARGS__},                               \
        sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *), &fr__report))
/** The client named name reconnected and holds exactly before's set. */
#define fr_assert_resubscribed(srv, name, before) \
    FR__ASSERT(fr_check_resubscribed((srv), (name), (before), &fr__report))
/** No command arrived while the server was not listening, after mark. */
#define fr_assert_none_while_down(srv, mark) \
    FR__ASSERT(fr_check_none_while_down((srv), (mark), &fr__report))
/** At most 1 + n commands matching pattern after mark. */
#define fr_assert_retries_at_most(srv, pattern, mark, n) \
    FR__ASSERT(fr_check_retries((srv), (pattern), (mark), (n), &fr__report))

/** A wait (harness.h) returned FR_OK; otherwise fail with what it awaited
 *  and saw (fr_wait_message()). */
#define fr_assert_wait(call)                                                             \
    do {                                                                                 \
        int fr__rc = (call);                                                             \
        if (fr__rc != FR_OK) {                                                           \
            print_error("%s: %s\n", #call, fr_strerror(fr__rc));                         \
            FR_CMOCKA_FAIL(fr_wait_message());                                           \
        }                                                                                \
    } while (0)

/** Two subscription lists are equal; otherwise print both. */
#define fr_assert_subs_equal(a, b)                                                       \
    do {                                                                                 \
        if (!fr_sub_list_equal((a), (b))) {                                              \
            char *fr__x = NULL, *fr__y = NULL;                                           \
            fr_sub_list_format((a), &fr__x);                                             \
            fr_sub_list_format((b), &fr__y);                                             \
            print_error("subscriptions differ:\n  %s: %s\n  %s: %s\n", #a, fr__x, #b,    \
                        fr__y);                                                          \
            free(fr__x);                                                                 \
            free(fr__y);                                                                 \
            FR_CMOCKA_FAIL("fr_assert_subs_equal failed");                               \
        }                                                                                \
    } while (0)

/* ---- fixtures for servers in their own process ----------------------------- */

/** cmocka setup: start a server process. The prestate may be an
 *  fr_proc_options (NULL: fakeredis-server on a free port); *state
 *  becomes the fr_proc. Where the kind's program is not installed, it says
 *  so and the test is skipped: neither cmocka 1.1 nor 2.0 can skip from a
 *  setup (both report a failed setup), so *state is then NULL and the
 *  test's first line,
 *      fr_proc *p = fr_proc_or_skip(state);
 *  skips it. */
static inline int fr_proc_fixture_start(void **state)
{
    const fr_proc_options *o = state ? (const fr_proc_options *)*state : NULL;
    if (!fr_proc_available(o)) {
        print_message("skipped: no %s installed (set %s or $PATH)\n",
                      o && o->kind == FR_PROC_REDIS ? "redis-server" : "fakeredis-server",
                      o && o->kind == FR_PROC_REDIS ? "$REDIS_SERVER" : "$FAKEREDIS_SERVER");
        *state = NULL;
        return 0;
    }
    fr_proc *p = NULL;
    int rc = fr_proc_start(o, &p);
    if (rc != FR_OK) {
        fprintf(stderr, "fr_proc_fixture_start: %s: %s\n", fr_strerror(rc), fr_wait_message());
        return -1;
    }
    *state = p;
    return 0;
}

/** The fixture's process, or skip the test when there is none. */
static inline fr_proc *fr_proc_or_skip(void **state)
{
    if (!state || !*state)
        skip();
    return (fr_proc *)*state;
}

static inline int fr_proc_fixture_stop(void **state)
{
    if (state) {
        fr_proc_stop((fr_proc *)*state);
        *state = NULL;
    }
    return 0;
}

/** A real redis-server on a free port: *state becomes the fr_proc;
 *  skipped, with a clear message, where none is installed. */
static inline int fr_redis_fixture_start(void **state)
{
    static const fr_proc_options redis = {.kind = FR_PROC_REDIS};
    const fr_proc_options *given = state ? (const fr_proc_options *)*state : NULL;
    void *s = (void *)(given ? given : &redis);
    int rc = fr_proc_fixture_start(&s);
    if (state)
        *state = s;
    return rc;
}
#define fr_redis_fixture_stop fr_proc_fixture_stop

#endif /* FAKEREDIS_CMOCKA_H */
