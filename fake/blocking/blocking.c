/* The blocking engine. See blocking.h.
 *
 * State: for every (db, key) some client waits on, a FIFO of waiters (one
 * waiter per client and key); the ready keys in signal order (deduplicated);
 * every blocked client in block order (for timeouts and the public list).
 * Keys of the two maps are the db number (4 bytes) followed by the key, so
 * one dict covers all databases. */
#include "core.h"
#include "blocking_engine.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data.h"
#include "base.h"

typedef struct waiter waiter;
typedef struct key_waiters {
    waiter *head, *tail;
} key_waiters;

struct waiter {
    waiter *prev, *next;
    fr_conn *c;
    key_waiters *kw;
    char *ckey; /* composite key: db + key bytes */
    size_t cklen;
};

typedef struct ready_key {
    struct ready_key *next;
    size_t cklen;
    char ckey[];
} ready_key;

struct fr_block_state {
    fr_conn *c;
    const fr_cmd *cmd;
    int argc;
    fr_arg *argv; /* our copy; the bytes follow in one block */
    int db;
    int nkeys;
    waiter *w; /* nkeys waiters, distinct keys in the order given */
    int64_t since_ms, deadline_ms;
    uint64_t seq; /* block order, to break timeout ties */
    fr_block_serve_fn *serve;
    struct event *timer;
    struct fr_block_state *prev, *next; /* every blocked client */
};
typedef struct fr_block_state block_state;

struct fr_blocking {
    fr_dict waiting; /* ckey -> key_waiters* */
    fr_dict ready_set; /* ckey -> nothing: already queued */
    ready_key *ready_head, *ready_tail;
    block_state *first, *last;
    size_t nblocked;
    uint64_t next_seq;
    int serving;
};

#define CK_PREFIX 4

/* db + key into buf (at least CK_PREFIX + klen bytes). */
static size_t make_ckey(char *buf, int db, const char *key, size_t klen)
{
    uint32_t d = (uint32_t)db;
    memcpy(buf, &d, CK_PREFIX);
    if (klen)
        memcpy(buf + CK_PREFIX, key, klen);
    return CK_PREFIX + klen;
}

static void signal_key_ready(fr_server *srv, int db, const char *key, size_t klen);
static void conn_close(fr_conn *c);
static void cron(fr_server *srv);

static void on_ready(void *ctx, int db, const char *key, size_t klen)
{
    signal_key_ready(ctx, db, key, klen);
}

static void signal_swapped(void *priv, fr_conn *c, const fr_cmd *cmd, int db, int nkeys,
                           const char *const *keys, const size_t *lens, int64_t since_ms,
                           int64_t deadline_ms)
{
    const int *ab = priv;
    (void)cmd;
    (void)since_ms;
    (void)deadline_ms;
    if (db != ab[0] && db != ab[1])
        return;
    for (int i = 0; i < nkeys; i++)
        signal_key_ready(c->srv, db, keys[i], lens[i]);
}

/* SWAPDB: clients blocked in either database may find their keys now. */
static void on_swapped(void *ctx, int a, int b)
{
    int ab[2] = {a, b};
    fr__blocking_each(ctx, signal_swapped, ab);
}

/* FLUSHDB / FLUSHALL: waiters of the emptied database look again (a
 * blocked XREADGROUP answers that its stream is gone; the others keep
 * waiting). */
static void on_flushing(void *ctx, int db)
{
    int ab[2] = {db, db};
    fr__blocking_each(ctx, signal_swapped, ab);
}

static const fr_stage_ops blocking_stage = {
    .name = "blocking",
    .order = 30,
    .after_command = fr__blocking_serve_ready,
    .close = conn_close,
    .cron = cron,
};

static struct fr_blocking *state(fr_server *srv)
{
    if (!srv->blocking) {
        fr__stage_register(srv, &blocking_stage);
        fr_keyspace_listener l = {
            .ready = on_ready, .swapped = on_swapped, .flushing = on_flushing, .ctx = srv};
        fr__keyspace_listen(srv->ks, &l);
        struct fr_blocking *b = fr__xcalloc(1, sizeof *b);
        fr__dict_init(&b->waiting, NULL, NULL);
        fr__dict_init(&b->ready_set, NULL, NULL);
        srv->blocking = b;
    }
    return srv->blocking;
}

/* The state lives only while it is needed. */
static void maybe_free_state(fr_server *srv)
{
    struct fr_blocking *b = srv->blocking;
    if (!b || b->nblocked || b->serving || b->ready_head)
        return;
    fr__dict_clear(&b->waiting);
    fr__dict_clear(&b->ready_set);
    free(b);
    srv->blocking = NULL;
}

int fr__block_denied(const fr_conn *c)
{
    return (c->flags & (FR_CONN_EXECUTING | FR_CONN_PSEUDO)) != 0;
}

size_t fr__blocking_timeout_count(const fr_server *srv)
{
    size_t n = 0;
    if (srv->blocking)
        for (const block_state *st = srv->blocking->first; st; st = st->next)
            n += st->deadline_ms != 0;
    return n;
}

/* ---- timeouts --------------------------------------------------------- */

int fr__block_parse_timeout(fr_conn *c, const fr_arg *a, int64_t *deadline_ms)
{
    static const char not_float[] = "timeout is not a float or out of range";
    char buf[128];
    if (a->len == 0 || a->len >= sizeof buf) {
        fr__add_error(c, not_float);
        return 0;
    }
    memcpy(buf, a->p, a->len);
    buf[a->len] = '\0';
    /* Redis takes what strtold takes, whole, without leading space, and
     * not NaN (so hex and exponents are fine). */
    char *end;
    errno = 0;
    long double v = strtold(buf, &end);
    if (*end || buf[0] == ' ' || (buf[0] >= '\t' && buf[0] <= '\r') || isnan(v) ||
        errno == ERANGE) {
        fr__add_error(c, not_float);
        return 0;
    }
    long double ms = v * 1000.0L;
    /* Redis converts to integer milliseconds: what does not fit a long
     * long (inf, 1e300) comes out negative, and it says so. */
    if (ms < 0 ? ms <= -1.0L : ms >= 9223372036854775807.0L) {
        fr__add_error(c, "timeout is negative");
        return 0;
    }
    long long t = (long long)ms;
    if (t == 0 && v > 0)
        t = 1; /* a tiny positive timeout is short, not forever */
    if (t == 0) {
        *deadline_ms = 0;
        return 1;
    }
    int64_t now = fr__clock_ms(&c->srv->clock);
    *deadline_ms = t > INT64_MAX - now ? INT64_MAX : now + t;
    return 1;
}

static void arm_timer(fr_server *srv, block_state *st)
{
    if (!st->deadline_ms || !st->timer || srv->clock.frozen)
        return;
    int64_t now_us = fr__clock_us(&srv->clock);
    int64_t left_ms = st->deadline_ms - now_us / 1000, left_us;
    /* far deadlines (up to INT64_MAX): the cron re-arms, an hour will do */
    if (left_ms > 3600LL * 1000)
        left_us = 3600LL * 1000000;
    else
        left_us = left_ms * 1000 - now_us % 1000;
    if (left_us < 0)
        left_us = 0;
    struct timeval tv = {(time_t)(left_us / 1000000), (suseconds_t)(left_us % 1000000)};
    evtimer_add(st->timer, &tv);
}

/* ---- block / unblock -------------------------------------------------- */

static void remove_waiters(struct fr_blocking *b, block_state *st)
{
    for (int i = 0; i < st->nkeys; i++) {
        waiter *w = &st->w[i];
        key_waiters *kw = w->kw;
        if (w->prev)
            w->prev->next = w->next;
        else
            kw->head = w->next;
        if (w->next)
            w->next->prev = w->prev;
        else
            kw->tail = w->prev;
        if (!kw->head) {
            fr__dict_delete(&b->waiting, w->ckey, w->cklen);
            free(kw);
        }
        free(w->ckey);
    }
}

/* Forget c's block. reply: commit what c->reply holds and let c run its
 * buffered input; otherwise (disconnect) just drop it. */
static void unblock(fr_conn *c, int reply)
{
    fr_server *srv = c->srv;
    struct fr_blocking *b = srv->blocking;
    block_state *st = c->block;
    if (!st || !b)
        return;
    remove_waiters(b, st);
    if (st->prev)
        st->prev->next = st->next;
    else
        b->first = st->next;
    if (st->next)
        st->next->prev = st->prev;
    else
        b->last = st->prev;
    b->nblocked--;
    if (st->timer)
        event_free(st->timer);
    free(st->w);
    free(st->argv);
    free(st);
    c->block = NULL;
    c->flags &= ~(unsigned)FR_CONN_BLOCKED;
    c->argv = NULL;
    c->argc = 0;
    if (reply) {
        fr__conn_commit_reply(c);
        fr__conn_resume(c);
    }
    maybe_free_state(srv);
}

static void time_out(fr_conn *c)
{
    fr__add_null_array(c);
    unblock(c, 1);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    block_state *st = arg;
    fr_conn *c = st->c;
    fr_server *srv = c->srv;
    if (fr__clock_ms(&srv->clock) >= st->deadline_ms)
        time_out(c);
    else
        arm_timer(srv, st);
    fr__flush_pending(srv);
}

void fr__block_on_keys(fr_conn *c, const fr_arg *keys, int nkeys, int64_t deadline_ms,
                       fr_block_serve_fn *serve)
{
    fr_server *srv = c->srv;
    if (fr__block_denied(c) || nkeys <= 0) {
        fr__add_null_array(c); /* callers check first; never hang a pseudo client */
        return;
    }
    struct fr_blocking *b = state(srv);
    block_state *st = fr__xcalloc(1, sizeof *st);
    st->c = c;
    st->cmd = c->cmd;
    st->db = c->db;
    st->serve = serve;
    st->deadline_ms = deadline_ms;
    st->since_ms = fr__clock_ms(&srv->clock);
    st->seq = b->next_seq++;

    /* argv and its bytes in one block: the input buffer will move on */
    size_t bytes = 0;
    for (int i = 0; i < c->argc; i++)
        bytes += c->argv[i].len + 1;
    st->argc = c->argc;
    st->argv = fr__xmalloc((size_t)c->argc * sizeof(fr_arg) + bytes);
    char *p = (char *)(st->argv + c->argc);
    for (int i = 0; i < c->argc; i++) {
        memcpy(p, c->argv[i].p, c->argv[i].len);
        p[c->argv[i].len] = '\0';
        st->argv[i].p = p;
        st->argv[i].len = c->argv[i].len;
        p += c->argv[i].len + 1;
    }

    st->w = fr__xcalloc((size_t)nkeys, sizeof(waiter));
    for (int i = 0; i < nkeys; i++) {
        char *ck = fr__xmalloc(CK_PREFIX + keys[i].len + 1);
        size_t ckl = make_ckey(ck, c->db, keys[i].p, keys[i].len);
        int dup = 0;
        for (int j = 0; j < st->nkeys && !dup; j++)
            dup = st->w[j].cklen == ckl && !memcmp(st->w[j].ckey, ck, ckl);
        if (dup) {
            free(ck);
            continue;
        }
        waiter *w = &st->w[st->nkeys++];
        w->c = c;
        w->ckey = ck;
        w->cklen = ckl;
        fr_dict_entry *e = fr__dict_find(&b->waiting, ck, ckl);
        if (!e) {
            e = fr__dict_add(&b->waiting, ck, ckl, NULL);
            e->v.p = fr__xcalloc(1, sizeof(key_waiters));
        }
        key_waiters *kw = e->v.p;
        w->kw = kw;
        w->prev = kw->tail;
        if (kw->tail)
            kw->tail->next = w;
        else
            kw->head = w;
        kw->tail = w;
    }

    st->prev = b->last;
    if (b->last)
        b->last->next = st;
    else
        b->first = st;
    b->last = st;
    b->nblocked++;
    c->block = st;
    c->flags |= FR_CONN_BLOCKED;
    if (deadline_ms) {
        st->timer = evtimer_new(srv->base, on_timer, st);
        arm_timer(srv, st);
    }
}

/* ---- serving ---------------------------------------------------------- */

static void signal_key_ready(fr_server *srv, int db, const char *key, size_t klen)
{
    struct fr_blocking *b = srv->blocking;
    if (!b)
        return;
    char stackbuf[256];
    char *ck = CK_PREFIX + klen <= sizeof stackbuf ? stackbuf : fr__xmalloc(CK_PREFIX + klen);
    size_t ckl = make_ckey(ck, db, key, klen);
    if (fr__dict_find(&b->waiting, ck, ckl) && fr__dict_add(&b->ready_set, ck, ckl, NULL)) {
        ready_key *r = fr__xmalloc(sizeof *r + ckl);
        r->next = NULL;
        r->cklen = ckl;
        memcpy(r->ckey, ck, ckl);
        if (b->ready_tail)
            b->ready_tail->next = r;
        else
            b->ready_head = r;
        b->ready_tail = r;
    }
    if (ck != stackbuf)
        free(ck);
}

/* Try the clients waiting on one ready key, first blocked first. */
static void serve_key(fr_server *srv, const ready_key *r)
{
    struct fr_blocking *b = srv->blocking;
    fr_dict_entry *e = fr__dict_find(&b->waiting, r->ckey, r->cklen);
    if (!e)
        return;
    /* Serving unlinks waiters (and may free the FIFO), so work from a
     * snapshot of who was waiting; conns are never freed in between. */
    size_t n = 0, cap = 8;
    fr_conn **who = fr__xmalloc(cap * sizeof *who);
    for (waiter *w = ((key_waiters *)e->v.p)->head; w; w = w->next) {
        if (n == cap) {
            cap *= 2;
            who = fr__xrealloc(who, cap * sizeof *who);
        }
        who[n++] = w->c;
    }
    uint32_t db;
    memcpy(&db, r->ckey, CK_PREFIX);
    const char *key = r->ckey + CK_PREFIX;
    size_t klen = r->cklen - CK_PREFIX;
    for (size_t i = 0; i < n; i++) {
        fr_conn *c = who[i];
        block_state *st = c->block;
        /* a client on its way out (disconnected) is not served: Redis
         * would have freed it already */
        if (!st || !(c->flags & FR_CONN_BLOCKED) || (c->flags & FR_CONN_CLOSE_ASAP))
            continue;
        c->argv = st->argv;
        c->argc = st->argc;
        c->cmd = st->cmd;
        if (st->serve(c, st->argc, st->argv, (int)db, key, klen))
            unblock(c, 1);
        else if (c->block) {
            c->argv = NULL;
            c->argc = 0;
        }
    }
    free(who);
}

void fr__blocking_serve_ready(fr_server *srv)
{
    struct fr_blocking *b = srv->blocking;
    if (!b || b->serving || !b->ready_head)
        return;
    b->serving = 1;
    /* A serve can signal more keys (BLMOVE's push): they queue behind the
     * ones already ready and are served in this same loop. */
    while (b->ready_head) {
        ready_key *r = b->ready_head;
        b->ready_head = r->next;
        if (!b->ready_head)
            b->ready_tail = NULL;
        fr__dict_delete(&b->ready_set, r->ckey, r->cklen);
        serve_key(srv, r);
        free(r);
    }
    b->serving = 0;
    maybe_free_state(srv);
}

/* ---- seams ------------------------------------------------------------ */

static void conn_close(fr_conn *c)
{
    if (c->block)
        unblock(c, 0);
}

int fr__blocking_unblock(fr_conn *c, int with_error)
{
    if (!c->block)
        return 0;
    if (with_error)
        fr__add_error(c, "-UNBLOCKED client unblocked via CLIENT UNBLOCK");
    else
        fr__add_null_array(c);
    unblock(c, 1);
    return 1;
}

static int by_deadline(const void *a, const void *b)
{
    const block_state *x = *(block_state *const *)a, *y = *(block_state *const *)b;
    if (x->deadline_ms != y->deadline_ms)
        return x->deadline_ms < y->deadline_ms ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Time out every client whose deadline passed, earliest first (Redis
 * keeps them ordered by deadline), and re-arm the others' timers. */
static void expire_due(fr_server *srv)
{
    struct fr_blocking *b = srv->blocking;
    if (!b)
        return;
    int64_t now = fr__clock_ms(&srv->clock);
    size_t n = 0;
    block_state **due = NULL;
    for (block_state *st = b->first; st; st = st->next) {
        if (st->deadline_ms && st->deadline_ms <= now) {
            due = fr__xrealloc(due, (n + 1) * sizeof *due);
            due[n++] = st;
        } else if (st->timer) {
            arm_timer(srv, st); /* the clock may have jumped or resumed */
        }
    }
    if (n > 1)
        qsort(due, n, sizeof *due, by_deadline);
    /* keep the state alive while we walk our snapshot */
    b->serving++;
    for (size_t i = 0; i < n; i++)
        time_out(due[i]->c);
    b->serving--;
    free(due);
    maybe_free_state(srv);
}

static void cron(fr_server *srv)
{
    expire_due(srv);
    fr__blocking_serve_ready(srv);
}

void fr__blocking_each(fr_server *srv, fr_blocking_visit_fn *fn, void *priv)
{
    struct fr_blocking *b = srv->blocking;
    if (!b)
        return;
    for (block_state *st = b->first; st; st = st->next) {
        if (st->c->flags & FR_CONN_CLOSE_ASAP)
            continue;
        const char *keys[16];
        size_t lens[16];
        const char **kp = st->nkeys <= 16 ? keys : fr__xmalloc((size_t)st->nkeys * sizeof *kp);
        size_t *lp = st->nkeys <= 16 ? lens : fr__xmalloc((size_t)st->nkeys * sizeof *lp);
        for (int i = 0; i < st->nkeys; i++) {
            kp[i] = st->w[i].ckey + CK_PREFIX;
            lp[i] = st->w[i].cklen - CK_PREFIX;
        }
        fn(priv, st->c, st->cmd, st->db, st->nkeys, kp, lp, st->since_ms, st->deadline_ms);
        if (kp != keys) {
            free(kp);
            free(lp);
        }
    }
}
