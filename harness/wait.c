/* Waits driven by the server's own events, with a deadline, and the
 * harness' one clock.
 *
 * A wait checks its condition, and when it does not hold yet, sleeps until
 * the server says something changed (fr_server_watch: once per loop
 * iteration in which a command ran, a client came or went...), then checks
 * again. Blocking the thread, a condition variable carries the wake-up;
 * running an event_base, an eventfd on that base does. A timed re-check
 * every 100 ms covers what the server does not report (a key expiring
 * between two crons is reported by the next one). */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "fakeredis/blocking.h"
#include "fakeredis/events.h"
#include "fakeredis/harness.h"
#include "fakeredis/inspect.h"
#include "harness_internal.h"

#define RECHECK_MS 100

int64_t fr__harness_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void fr__harness_sleep_us(int64_t us)
{
    if (us <= 0)
        return;
    struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* ---- the message of the last failed wait ---------------------------------- */

static __thread char wait_msg[8192];

const char *fr_wait_message(void)
{
    return wait_msg;
}

void fr__harness_set_message(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(wait_msg, sizeof wait_msg, fmt, ap);
    va_end(ap);
}

/* ---- the generic wait -------------------------------------------------------- */

typedef struct blocker {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t gen;
} blocker;

static void wake_blocker(void *arg)
{
    blocker *b = arg;
    pthread_mutex_lock(&b->mu);
    b->gen++;
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
}

static void wake_fd(void *arg)
{
    int fd = *(int *)arg;
    uint64_t one = 1;
    ssize_t w = write(fd, &one, sizeof one);
    (void)w; /* EAGAIN: already signalled */
}

static void drain_fd(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    (void)arg;
    uint64_t n;
    ssize_t r = read(fd, &n, sizeof n);
    (void)r;
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
}

static int timed_out(int64_t deadline_us)
{
    return fr__harness_mono_us() >= deadline_us;
}

/* Watch every server of srvs (a topology's nodes wake one wait); a
 * stopped one is skipped, so its peers still wake it. FR_OK when at least
 * one watch holds. */
static int watch_all(fr_server *const *srvs, int n, fr_watch_fn *fn, void *arg, uint64_t *ids)
{
    int rc = FR_ERR_ARG, any = 0;
    for (int i = 0; i < n; i++) {
        ids[i] = 0;
        int r = srvs[i] ? fr_server_watch(srvs[i], fn, arg, &ids[i]) : FR_ERR_ARG;
        if (r == FR_OK)
            any = 1;
        else
            rc = r;
    }
    return any ? FR_OK : rc;
}

static void unwatch_all(fr_server *const *srvs, int n, const uint64_t *ids)
{
    for (int i = 0; i < n; i++)
        if (ids[i])
            fr_server_unwatch(srvs[i], ids[i]);
}

/* Blocking the thread: wait on the condition variable between checks. */
static int wait_blocking(fr_server *const *srvs, int nsrv, uint64_t *wids, fr_wait_pred *pred,
                         void *ctx, char *seen, size_t cap, int64_t deadline)
{
    fr_server *srv = srvs[0];
    blocker b;
    pthread_mutex_init(&b.mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&b.cv, &ca);
    pthread_condattr_destroy(&ca);
    b.gen = 0;
    int rc = watch_all(srvs, nsrv, wake_blocker, &b, wids);
    if (rc == FR_OK) {
        for (;;) {
            pthread_mutex_lock(&b.mu);
            uint64_t g = b.gen;
            pthread_mutex_unlock(&b.mu);
            seen[0] = '\0';
            rc = pred(srv, ctx, seen, cap);
            if (rc != 0) {
                rc = rc > 0 ? FR_OK : rc;
                break;
            }
            if (timed_out(deadline)) {
                rc = FR_ERR_TIMEOUT;
                break;
            }
            int64_t until = fr__harness_mono_us() + RECHECK_MS * 1000;
            if (until > deadline)
                until = deadline;
            struct timespec ts = {(time_t)(until / 1000000), (long)(until % 1000000) * 1000};
            pthread_mutex_lock(&b.mu);
            while (b.gen == g && fr__harness_mono_us() < until)
                if (pthread_cond_timedwait(&b.cv, &b.mu, &ts) == ETIMEDOUT)
                    break;
            pthread_mutex_unlock(&b.mu);
        }
        unwatch_all(srvs, nsrv, wids);
    }
    pthread_cond_destroy(&b.cv);
    pthread_mutex_destroy(&b.mu);
    return rc;
}

/* Running base: an eventfd on it, written by the watch, wakes the loop. */
static int wait_pumping(struct event_base *base, fr_server *const *srvs, int nsrv, uint64_t *wids,
                        fr_wait_pred *pred, void *ctx, char *seen, size_t cap, int64_t deadline)
{
    fr_server *srv = srvs[0];
    int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (efd < 0)
        return FR_ERR_EVENT;
    struct event *rev = event_new(base, efd, EV_READ | EV_PERSIST, drain_fd, NULL);
    struct event *tev = evtimer_new(base, on_timer, NULL);
    if (!rev || !tev || event_add(rev, NULL) < 0) {
        if (rev)
            event_free(rev);
        if (tev)
            event_free(tev);
        close(efd);
        return FR_ERR_EVENT;
    }
    int rc = watch_all(srvs, nsrv, wake_fd, &efd, wids);
    if (rc == FR_OK) {
        for (;;) {
            seen[0] = '\0';
            rc = pred(srv, ctx, seen, cap);
            if (rc != 0) {
                rc = rc > 0 ? FR_OK : rc;
                break;
            }
            if (timed_out(deadline)) {
                rc = FR_ERR_TIMEOUT;
                break;
            }
            int64_t left = deadline - fr__harness_mono_us();
            if (left > RECHECK_MS * 1000)
                left = RECHECK_MS * 1000;
            if (left < 0)
                left = 0;
            struct timeval tv = {(time_t)(left / 1000000), (suseconds_t)(left % 1000000)};
            evtimer_add(tev, &tv);
            /* runs whatever is ready (the client's callbacks, an attached
             * server), or sleeps until the watch, the timer or a socket */
            event_base_loop(base, EVLOOP_ONCE);
        }
        unwatch_all(srvs, nsrv, wids);
    }
    event_free(rev);
    event_free(tev);
    close(efd);
    return rc;
}

int fr__harness_wait(struct event_base *base, fr_server *const *srvs, int nsrv, fr_wait_pred *pred,
                     void *ctx, const char *what, int timeout_ms)
{
    if (!srvs || nsrv < 1 || !srvs[0] || !pred || timeout_ms < 0)
        return FR_ERR_ARG;
    fr_server *srv = srvs[0];
    wait_msg[0] = '\0';
    int64_t start = fr__harness_mono_us();
    int64_t deadline = start + (int64_t)timeout_ms * 1000;
    char seen[4096];
    if (!base)
        base = fr_server_base(srv); /* attached: its base must run */
    uint64_t *wids = calloc((size_t)nsrv, sizeof *wids);
    if (!wids)
        abort(); /* as the library: out of memory aborts */
    int rc = base ? wait_pumping(base, srvs, nsrv, wids, pred, ctx, seen, sizeof seen, deadline)
                  : wait_blocking(srvs, nsrv, wids, pred, ctx, seen, sizeof seen, deadline);
    free(wids);
    if (rc == FR_ERR_TIMEOUT)
        fr__harness_set_message("waited %d ms for %s; saw %s", timeout_ms, what ? what : "a condition",
                                seen[0] ? seen : "nothing else");
    else if (rc != FR_OK)
        fr__harness_set_message("could not wait for %s: %s", what ? what : "a condition",
                                fr_strerror(rc));
    return rc;
}

static int wait_any(struct event_base *base, fr_server *srv, fr_wait_pred *pred, void *ctx,
                    const char *what, int timeout_ms)
{
    return fr__harness_wait(base, &srv, 1, pred, ctx, what, timeout_ms);
}

int fr_wait_for(fr_server *srv, fr_wait_pred *pred, void *ctx, const char *what, int timeout_ms)
{
    return wait_any(NULL, srv, pred, ctx, what, timeout_ms);
}

int fr_wait_for_on(struct event_base *base, fr_server *srv, fr_wait_pred *pred, void *ctx,
                   const char *what, int timeout_ms)
{
    if (!base)
        return FR_ERR_ARG;
    return wait_any(base, srv, pred, ctx, what, timeout_ms);
}

int fr_wait_until(int (*pred)(void *ctx), void *ctx, int timeout_ms)
{
    if (!pred || timeout_ms < 0)
        return FR_ERR_ARG;
    int64_t deadline = fr__harness_mono_us() + (int64_t)timeout_ms * 1000;
    for (;;) {
        if (pred(ctx))
            return FR_OK;
        if (fr__harness_mono_us() >= deadline)
            return FR_ERR_TIMEOUT;
        fr__harness_sleep_us(1000);
    }
}

/* ---- clients ------------------------------------------------------------------ */

static int clients_pred(fr_server *srv, void *ctx, char *seen, size_t cap)
{
    int want = *(int *)ctx;
    int have = fr_server_client_count(srv);
    if (have < 0 || fr_server_is_shut_down(srv))
        return FR_ERR_STOPPED;
    snprintf(seen, cap, "%d client%s", have, have == 1 ? "" : "s");
    return have == want;
}

static int wait_clients(struct event_base *base, fr_server *srv, int n, int timeout_ms)
{
    if (n < 0)
        return FR_ERR_ARG;
    char what[64];
    snprintf(what, sizeof what, "%d client%s", n, n == 1 ? "" : "s");
    return wait_any(base, srv, clients_pred, &n, what, timeout_ms);
}

int fr_wait_clients(fr_server *srv, int n, int timeout_ms)
{
    return wait_clients(NULL, srv, n, timeout_ms);
}

int fr_wait_clients_on(struct event_base *base, fr_server *srv, int n, int timeout_ms)
{
    return base ? wait_clients(base, srv, n, timeout_ms) : FR_ERR_ARG;
}

/* ---- the journal ---------------------------------------------------------------- */

typedef struct journal_ctx {
    const fr_journal_query *q;
    size_t n;
} journal_ctx;

static int journal_pred(fr_server *srv, void *arg, char *seen, size_t cap)
{
    journal_ctx *x = arg;
    long long have = fr_journal_count(srv, x->q);
    if (have < 0)
        return (int)have;
    if ((size_t)have >= x->n)
        return 1;
    /* what did come: the last entries after the mark */
    fr_journal_query recent = {.since = x->q ? x->q->since : 0, .kinds = FR_JK_ALL};
    fr_journal *j = NULL;
    char *text = NULL;
    if (fr_journal_get(srv, &recent, &j) == FR_OK) {
        size_t skip = j->n > 20 ? j->n - 20 : 0;
        fr_journal tail = *j;
        tail.entries += skip;
        tail.n -= skip;
        tail.lost = 0;
        fr_journal_format(&tail, &text);
        fr_journal_free(j);
    }
    snprintf(seen, cap, "%lld; the journal since then (last 20):\n%s", have, text ? text : "");
    free(text);
    return 0;
}

static void describe_query(char *buf, size_t cap, const fr_journal_query *q, size_t n)
{
    size_t k = (size_t)snprintf(buf, cap, "%zu entr%s", n, n == 1 ? "y" : "ies");
    if (k < cap && q && q->command)
        k += (size_t)snprintf(buf + k, cap - k, " matching '%s'", q->command);
    if (k < cap && q && q->client_id)
        k += (size_t)snprintf(buf + k, cap - k, " from client %llu",
                              (unsigned long long)q->client_id);
    if (k < cap && q && q->client)
        k += (size_t)snprintf(buf + k, cap - k, " from a client named '%s'", q->client);
    if (k < cap && q && q->since)
        snprintf(buf + k, cap - k, " after #%llu", (unsigned long long)q->since);
}

static int wait_journal(struct event_base *base, fr_server *srv, const fr_journal_query *q,
                        size_t n, int timeout_ms)
{
    journal_ctx x = {q, n};
    char what[512];
    describe_query(what, sizeof what, q, n);
    return wait_any(base, srv, journal_pred, &x, what, timeout_ms);
}

int fr_wait_journal(fr_server *srv, const fr_journal_query *q, size_t n, int timeout_ms)
{
    return wait_journal(NULL, srv, q, n, timeout_ms);
}

int fr_wait_journal_on(struct event_base *base, fr_server *srv, const fr_journal_query *q,
                       size_t n, int timeout_ms)
{
    return base ? wait_journal(base, srv, q, n, timeout_ms) : FR_ERR_ARG;
}

int fr_wait_command(fr_server *srv, const char *pattern, uint64_t mark, int timeout_ms)
{
    fr_journal_query q = {.command = pattern, .since = mark};
    return wait_journal(NULL, srv, &q, 1, timeout_ms);
}

int fr_wait_command_on(struct event_base *base, fr_server *srv, const char *pattern,
                       uint64_t mark, int timeout_ms)
{
    fr_journal_query q = {.command = pattern, .since = mark};
    return base ? wait_journal(base, srv, &q, 1, timeout_ms) : FR_ERR_ARG;
}

/* ---- subscriptions ----------------------------------------------------------------- */

typedef struct subs_ctx {
    const char *client;
    const char *const *want[2]; /* channels, patterns (NULL-terminated) */
    const fr_sub_list *list;    /* or a whole list */
} subs_ctx;

static size_t count_names(const char *const *v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

static int same_set(const fr_sub_list *have, int kind, const char *const *want)
{
    size_t n = count_names(want);
    if (have->count[kind] != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!fr_sub_list_has(have, (fr_sub_kind)kind, want[i], strlen(want[i])))
            return 0;
    return 1;
}

static int subs_pred(fr_server *srv, void *arg, char *seen, size_t cap)
{
    subs_ctx *x = arg;
    fr_sub_list *have = NULL;
    int rc = fr_pubsub_client_subs_by_name(srv, x->client, &have);
    if (rc == FR_ERR_ARG) {
        snprintf(seen, cap, "no client named '%s'", x->client);
        return 0;
    }
    if (rc != FR_OK)
        return rc;
    int ok = x->list ? fr_sub_list_equal(have, x->list)
                     : same_set(have, FR_SUB_CHANNEL, x->want[0]) &&
                           same_set(have, FR_SUB_PATTERN, x->want[1]) &&
                           have->count[FR_SUB_SHARD] == 0;
    if (!ok) {
        char *text = NULL;
        fr_sub_list_format(have, &text);
        snprintf(seen, cap, "%s", text ? text : "");
        free(text);
    }
    fr_sub_list_free(have);
    return ok;
}

static void join_names(char *buf, size_t cap, const char *const *v)
{
    size_t k = (size_t)snprintf(buf, cap, "[");
    for (size_t i = 0; v && v[i] && k < cap; i++)
        k += (size_t)snprintf(buf + k, cap - k, "%s\"%s\"", i ? ", " : "", v[i]);
    if (k < cap)
        snprintf(buf + k, cap - k, "]");
}

static int wait_subscribed(struct event_base *base, fr_server *srv, const char *client,
                           const char *const *channels, const char *const *patterns,
                           int timeout_ms)
{
    if (!client)
        return FR_ERR_ARG;
    subs_ctx x = {client, {channels, patterns}, NULL};
    char what[1024], ch[480], pa[480];
    join_names(ch, sizeof ch, channels);
    join_names(pa, sizeof pa, patterns);
    snprintf(what, sizeof what, "client '%s' subscribed to exactly channels %s patterns %s",
             client, ch, pa);
    return wait_any(base, srv, subs_pred, &x, what, timeout_ms);
}

int fr_wait_subscribed(fr_server *srv, const char *client, const char *const *channels,
                       const char *const *patterns, int timeout_ms)
{
    return wait_subscribed(NULL, srv, client, channels, patterns, timeout_ms);
}

int fr_wait_subscribed_on(struct event_base *base, fr_server *srv, const char *client,
                          const char *const *channels, const char *const *patterns,
                          int timeout_ms)
{
    return base ? wait_subscribed(base, srv, client, channels, patterns, timeout_ms)
                : FR_ERR_ARG;
}

static int wait_subs_equal(struct event_base *base, fr_server *srv, const char *client,
                           const fr_sub_list *want, int timeout_ms)
{
    if (!client || !want)
        return FR_ERR_ARG;
    subs_ctx x = {client, {NULL, NULL}, want};
    char *text = NULL;
    fr_sub_list_format(want, &text);
    char what[1024];
    snprintf(what, sizeof what, "client '%s' subscribed to exactly what %s held", client,
             text ? text : "");
    free(text);
    return wait_any(base, srv, subs_pred, &x, what, timeout_ms);
}

int fr_wait_subs_equal(fr_server *srv, const char *client, const fr_sub_list *want,
                       int timeout_ms)
{
    return wait_subs_equal(NULL, srv, client, want, timeout_ms);
}

int fr_wait_subs_equal_on(struct event_base *base, fr_server *srv, const char *client,
                          const fr_sub_list *want, int timeout_ms)
{
    return base ? wait_subs_equal(base, srv, client, want, timeout_ms) : FR_ERR_ARG;
}

/* ---- keys ----------------------------------------------------------------------------- */

typedef struct key_ctx {
    const char *key, *value;
} key_ctx;

static int key_pred(fr_server *srv, void *arg, char *seen, size_t cap)
{
    key_ctx *x = arg;
    char *v = NULL;
    size_t n = 0;
    int rc = fr_get(srv, x->key, &v, &n);
    if (rc == FR_ERR_NOKEY) {
        snprintf(seen, cap, "no key '%s'", x->key);
        return x->value == NULL;
    }
    if (rc == FR_ERR_REPLY) {
        snprintf(seen, cap, "'%s': %s", x->key, fr_server_errstr(srv));
        return 0;
    }
    if (rc != FR_OK)
        return rc;
    int ok = x->value && strlen(x->value) == n && memcmp(v, x->value, n) == 0;
    if (!ok)
        snprintf(seen, cap, "'%s' = \"%.*s\"%s", x->key, (int)(n > 200 ? 200 : n), v,
                 n > 200 ? "..." : "");
    free(v);
    return ok;
}

static int wait_key(struct event_base *base, fr_server *srv, const char *key, const char *value,
                    int timeout_ms)
{
    if (!key)
        return FR_ERR_ARG;
    key_ctx x = {key, value};
    char what[512];
    if (value)
        snprintf(what, sizeof what, "key '%s' = \"%.200s\"", key, value);
    else
        snprintf(what, sizeof what, "key '%s' to be gone", key);
    return wait_any(base, srv, key_pred, &x, what, timeout_ms);
}

int fr_wait_key(fr_server *srv, const char *key, const char *value, int timeout_ms)
{
    return wait_key(NULL, srv, key, value, timeout_ms);
}

int fr_wait_key_on(struct event_base *base, fr_server *srv, const char *key, const char *value,
                   int timeout_ms)
{
    return base ? wait_key(base, srv, key, value, timeout_ms) : FR_ERR_ARG;
}

/* ---- blocked clients ---------------------------------------------------------------------- */

static int blocked_pred(fr_server *srv, void *arg, char *seen, size_t cap)
{
    size_t want = *(size_t *)arg;
    long long have = fr_blocked_count(srv);
    if (have < 0)
        return (int)have;
    snprintf(seen, cap, "%lld blocked", have);
    return (size_t)have >= want;
}

static int wait_blocked(struct event_base *base, fr_server *srv, size_t n, int timeout_ms)
{
    char what[64];
    snprintf(what, sizeof what, "%zu blocked client%s", n, n == 1 ? "" : "s");
    return wait_any(base, srv, blocked_pred, &n, what, timeout_ms);
}

int fr_wait_blocked(fr_server *srv, size_t n, int timeout_ms)
{
    return wait_blocked(NULL, srv, n, timeout_ms);
}

int fr_wait_blocked_on(struct event_base *base, fr_server *srv, size_t n, int timeout_ms)
{
    return base ? wait_blocked(base, srv, n, timeout_ms) : FR_ERR_ARG;
}
