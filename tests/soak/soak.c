/* fakeredis-soak: the fault storm as a seeded, bounded program.
 *
 * It starts fakeredis-server on loopback (or uses one already listening,
 * --port: it is flushed first), then for --seconds runs N client threads that write to keys of
 * their own (SET, INCR, RPUSH, HSET) and remember every write: acknowledged
 * (its true reply arrived), or of unknown outcome (an error, a lost or
 * mangled reply, a closed connection: it may or may not have run). A storm
 * thread meanwhile adds random fault rules over the wire (FAKE.FAULT ADD,
 * each removed again within half a second, and by the server itself
 * within a second should the storm be held up), kills clients (FAKE.KILL),
 * restarts the server (FAKE.RESTART, data kept), pauses it and stops
 * listening for a moment. Then every rule is cleared and a checker reads
 * everything back:
 *   - every acknowledged write is there: a string or hash field holds its
 *     last acknowledged value or a value written after it with an unknown
 *     outcome; a counter is within [acknowledged, acknowledged + unknown];
 *   - no value nobody wrote, no key nobody wrote;
 *   - a list holds its pushes in the order they were sent, every
 *     acknowledged one included, nothing else;
 *   - no leaked connection: INFO's connected_clients comes back to 1 (the
 *     checker), and the server exits cleanly (status 0: a sanitizer
 *     build's reports and leaks make it fail).
 * A reply counts as an acknowledgment only when it is the command's own:
 * each write goes with an ECHO of a fresh nonce in the same round trip, so
 * a duplicated, inserted or shifted reply never passes for one.
 *
 *   fakeredis-soak [--seconds N] [--seed S] [--clients N] [--server PATH]
 *                  [--port P] [--quiet]
 *
 * Prints its counts and exits 0 when nothing was lost, 1 otherwise, 2 on a
 * usage error. Talks only to 127.0.0.1. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#ifndef FR_SERVER_BIN
#define FR_SERVER_BIN "fakeredis-server"
#endif

/* Every wait of a client is bounded by this; everything that holds a
 * command (a delay, a restart's downtime, a pause) is at most HOLD_MS, and
 * a rule that holds until it goes (stall, hang) lives at most 2 * HOLD_MS
 * (its for=), far below it, so a command never runs after its client gave
 * up on it and moved on. */
#define IO_TIMEOUT_MS 2000
#define HOLD_MS 400
/* The storm's and the checker's connection: control commands are never
 * faulted, and a slow (sanitizer) server must not cost the storm its
 * connection while the listener is off. */
#define CONTROL_TIMEOUT_MS 20000

#define NSTR 8
#define NCTR 4
#define NLIST 4
#define NHASH 2
#define NFIELD 4

/* ---- small helpers ------------------------------------------------------ */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static int pick(uint64_t *s, int n)
{
    return (int)(rnd(s) % (uint64_t)n);
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p) {
        fprintf(stderr, "soak: out of memory\n");
        exit(1);
    }
    return p;
}

static int quiet;

static void note(const char *fmt, ...)
{
    if (quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

/* ---- what a client wrote ------------------------------------------------ */

/* A value is "c<client>:<seq>": seq numbers a client's writes from 1. */
typedef struct seqs {
    uint64_t *v;
    size_t n, cap;
} seqs;

static void seqs_push(seqs *s, uint64_t v)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 8;
        s->v = xrealloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = v;
}

/* A string key or hash field: the last acknowledged value (0: none) and
 * the writes of unknown outcome since. */
typedef struct reg {
    uint64_t acked;
    seqs maybe;
    int written; /* anything was ever sent */
} reg;

/* A counter: its value is within [lo, hi]. */
typedef struct ctr {
    long long lo, hi;
} ctr;

/* A list: every push in the order sent, and which were acknowledged. */
typedef struct lst {
    seqs pushed;
    unsigned char *acked;
    size_t nacked;
} lst;

typedef struct worker {
    int id;
    uint64_t rng;
    uint64_t seq;
    reg str[NSTR];
    ctr cnt[NCTR];
    lst list[NLIST];
    reg hash[NHASH][NFIELD];
    /* counts */
    uint64_t acked, unknown, reconnects, violations;
    pthread_t th;
} worker;

/* ---- the run ------------------------------------------------------------ */

typedef struct run {
    int port;
    int nclients;
    int seconds;
    uint64_t seed;
    int stop; /* set by main, read by the threads (atomically) */
    worker *w;
    /* the storm's counts */
    uint64_t rules, fired, kills, killed, restarts, pauses, listen_offs;
} run;

static redisContext *connect_to(int port, int timeout_ms)
{
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
    if (!c)
        return NULL;
    if (c->err || redisSetTimeout(c, tv) != REDIS_OK) {
        redisFree(c);
        return NULL;
    }
    return c;
}

static int stopping(const run *r)
{
    return __atomic_load_n(&r->stop, __ATOMIC_RELAXED);
}

/* Counters the main thread reads while the others run. */
static void count(uint64_t *n, uint64_t by)
{
    __atomic_fetch_add(n, by, __ATOMIC_RELAXED);
}

static uint64_t counted(const uint64_t *n)
{
    return __atomic_load_n(n, __ATOMIC_RELAXED);
}

/* Connect, retrying while the server restarts or refuses, until it works,
 * the run stops (when until_stop) or deadline_ms passes. */
static redisContext *connect_retry(run *r, int until_stop, int64_t deadline_ms, int timeout_ms)
{
    for (;;) {
        redisContext *c = connect_to(r->port, timeout_ms);
        if (c)
            return c;
        if ((until_stop && stopping(r)) || mono_ms() > deadline_ms)
            return NULL;
        sleep_ms(10);
    }
}

static void value_of(char *buf, size_t cap, int client, uint64_t seq)
{
    snprintf(buf, cap, "c%d:%" PRIu64, client, seq);
}

/* Send argv plus ECHO nonce in one round trip. Returns 1 and *out (the
 * write's reply, caller frees) when both replies came and the ECHO's is
 * the nonce, else 0 (*out NULL): the write's outcome is unknown and the
 * connection must be dropped. */
static int write_round(redisContext *c, int argc, const char **argv, uint64_t nonce,
                       redisReply **out)
{
    *out = NULL;
    char n[32];
    snprintf(n, sizeof n, "n%" PRIu64, nonce);
    redisAppendCommandArgv(c, argc, argv, NULL);
    redisAppendCommand(c, "ECHO %s", n);
    redisReply *a = NULL, *b = NULL;
    if (redisGetReply(c, (void **)&a) != REDIS_OK || !a)
        return 0;
    if (redisGetReply(c, (void **)&b) != REDIS_OK || !b) {
        freeReplyObject(a);
        return 0;
    }
    int ok = b->type == REDIS_REPLY_STRING && strcmp(b->str, n) == 0;
    freeReplyObject(b);
    if (!ok) {
        freeReplyObject(a);
        return 0;
    }
    *out = a;
    return 1;
}

static void violation(worker *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "soak: client %d: ", w->id);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    w->violations++;
}

/* One write; returns 0 when the connection must be dropped. */
static int one_write(worker *w, redisContext *c)
{
    char key[64], val[64], field[16];
    const char *argv[4];
    uint64_t seq = ++w->seq;
    value_of(val, sizeof val, w->id, seq);
    redisReply *rep = NULL;
    int kind = pick(&w->rng, 10);
    int ok;
    if (kind < 3) { /* SET */
        int k = pick(&w->rng, NSTR);
        snprintf(key, sizeof key, "soak:%d:s%d", w->id, k);
        argv[0] = "SET", argv[1] = key, argv[2] = val;
        reg *g = &w->str[k];
        g->written = 1;
        ok = write_round(c, 3, argv, seq, &rep) && rep->type == REDIS_REPLY_STATUS &&
             strcmp(rep->str, "OK") == 0;
        if (ok) {
            g->acked = seq;
            g->maybe.n = 0;
        } else {
            seqs_push(&g->maybe, seq);
        }
    } else if (kind < 5) { /* INCR */
        int k = pick(&w->rng, NCTR);
        snprintf(key, sizeof key, "soak:%d:n%d", w->id, k);
        argv[0] = "INCR", argv[1] = key;
        ctr *t = &w->cnt[k];
        ok = write_round(c, 2, argv, seq, &rep) && rep->type == REDIS_REPLY_INTEGER;
        if (ok) {
            if (rep->integer < t->lo + 1 || rep->integer > t->hi + 1)
                violation(w, "INCR %s answered %lld, expected %lld..%lld", key, rep->integer,
                          t->lo + 1, t->hi + 1);
            t->lo = t->hi = rep->integer;
        } else {
            t->hi++;
        }
    } else if (kind < 8) { /* RPUSH */
        int k = pick(&w->rng, NLIST);
        snprintf(key, sizeof key, "soak:%d:l%d", w->id, k);
        argv[0] = "RPUSH", argv[1] = key, argv[2] = val;
        lst *l = &w->list[k];
        seqs_push(&l->pushed, seq);
        l->acked = xrealloc(l->acked, l->pushed.cap);
        l->acked[l->pushed.n - 1] = 0;
        ok = write_round(c, 3, argv, seq, &rep) && rep->type == REDIS_REPLY_INTEGER;
        if (ok) {
            /* the acknowledged pushes are there, the unknown may be */
            if (rep->integer < (long long)l->nacked + 1 || rep->integer > (long long)l->pushed.n)
                violation(w, "RPUSH %s answered length %lld, expected %zu..%zu", key, rep->integer,
                          l->nacked + 1, l->pushed.n);
            l->acked[l->pushed.n - 1] = 1;
            l->nacked++;
        }
    } else { /* HSET */
        int k = pick(&w->rng, NHASH), f = pick(&w->rng, NFIELD);
        snprintf(key, sizeof key, "soak:%d:h%d", w->id, k);
        snprintf(field, sizeof field, "f%d", f);
        argv[0] = "HSET", argv[1] = key, argv[2] = field, argv[3] = val;
        reg *g = &w->hash[k][f];
        g->written = 1;
        ok = write_round(c, 4, argv, seq, &rep) && rep->type == REDIS_REPLY_INTEGER &&
             (rep->integer == 0 || rep->integer == 1);
        if (ok) {
            g->acked = seq;
            g->maybe.n = 0;
        } else {
            seqs_push(&g->maybe, seq);
        }
    }
    if (rep)
        freeReplyObject(rep);
    count(ok ? &w->acked : &w->unknown, 1);
    return ok;
}

typedef struct worker_arg {
    run *r;
    worker *w;
} worker_arg;

static void *worker_loop(void *arg)
{
    worker_arg *wa = arg;
    run *r = wa->r;
    worker *w = wa->w;
    redisContext *c = NULL;
    while (!stopping(r)) {
        if (!c) {
            c = connect_retry(r, 1, INT64_MAX, IO_TIMEOUT_MS);
            if (!c)
                break;
            w->reconnects++;
        }
        if (!one_write(w, c)) {
            redisFree(c);
            c = NULL;
        }
    }
    if (c)
        redisFree(c);
    return NULL;
}

/* ---- the storm ---------------------------------------------------------- */

static const char *const cmds[] = {"SET",  "INCR", "RPUSH",    "HSET",
                                   "ECHO", "*",    "SET,INCR", "RPUSH,HSET"};

/* A random rule, its text in buf. Everything that holds is bounded by
 * HOLD_MS (the storm removes each rule within HOLD_MS, and the server
 * within 2 * HOLD_MS should the storm be held up). */
static void random_rule(uint64_t *s, char *buf, size_t cap, int *on_read)
{
    int on = pick(s, 10);
    *on_read = on == 1;
    char prob[64] = "";
    if (pick(s, 3))
        snprintf(prob, sizeof prob, " prob=0.%02d seed=%d", 1 + pick(s, 40), 1 + pick(s, 1000));
    if (on == 0) { /* at accept */
        /* refuse closes the port while in force (connect() sees
         * ECONNREFUSED): bounded by time, not by count or chance */
        if (pick(s, 5) == 0) {
            snprintf(buf, cap, "on=accept action=refuse for=%d", 1 + pick(s, HOLD_MS / 2));
            return;
        }
        static const char *const acts[] = {"close", "reset", "error err=loading", "hang"};
        char act[64];
        if (pick(s, 5) == 0)
            snprintf(act, sizeof act, "delay ms=%d", 1 + pick(s, HOLD_MS / 2));
        else
            snprintf(act, sizeof act, "%s", acts[pick(s, 4)]);
        snprintf(buf, cap, "on=accept action=%s%s times=%d", act, prob, 1 + pick(s, 5));
        return;
    }
    if (on == 1) { /* on read, past some bytes */
        static const char *const acts[] = {"reset", "close", "halfclose", "delay ms=50"};
        snprintf(buf, cap, "on=read after-bytes=%d action=%s%s times=%d", pick(s, 2000),
                 acts[pick(s, 4)], prob, 1 + pick(s, 3));
        return;
    }
    const char *cmd = cmds[pick(s, (int)(sizeof cmds / sizeof cmds[0]))];
    char act[128];
    switch (pick(s, 14)) {
    case 0:
        snprintf(act, sizeof act, "error err=%s", pick(s, 2) ? "busy" : "\"ERR soak\"");
        break;
    case 1:
        snprintf(act, sizeof act, "error when=after");
        break;
    case 2:
        snprintf(act, sizeof act, "drop when=%s", pick(s, 2) ? "before" : "after");
        break;
    case 3:
        snprintf(act, sizeof act, "close when=%s", pick(s, 2) ? "before" : "after");
        break;
    case 4:
        snprintf(act, sizeof act, "reset when=%s", pick(s, 2) ? "before" : "after");
        break;
    case 5:
        snprintf(act, sizeof act, "halfclose when=%s", pick(s, 2) ? "before" : "after");
        break;
    case 6:
        snprintf(act, sizeof act, "delay ms=%d jitter=%d when=%s", pick(s, HOLD_MS / 2),
                 pick(s, HOLD_MS / 4), pick(s, 2) ? "before" : "after");
        break;
    case 7:
        snprintf(act, sizeof act, "slice size=%d gap=%d", 1 + pick(s, 8), pick(s, 3));
        break;
    case 8:
        snprintf(act, sizeof act, "cut at=%s then=%s", pick(s, 2) ? "half" : "1",
                 pick(s, 2) ? "close" : "reset");
        break;
    case 9:
        snprintf(act, sizeof act, "corrupt how=%s", pick(s, 2) ? "flip" : "nolf");
        break;
    case 10:
        snprintf(act, sizeof act, "dup");
        break;
    case 11:
        snprintf(act, sizeof act, "insert text=soak");
        break;
    case 12:
        snprintf(act, sizeof act, "rate bps=%d", 2000 + pick(s, 20000));
        break;
    default:
        snprintf(act, sizeof act, "stall");
        break;
    }
    snprintf(buf, cap, "cmd=%s action=%s%s", cmd, act, prob);
}

typedef struct live_rule {
    long long id;
    int64_t until;
    int on_read; /* it may close any connection, the storm's too */
} live_rule;

/* A control command; NULL when the connection failed (then *c is freed
 * and NULL). */
static redisReply *control(redisContext **c, const char *fmt, ...)
{
    if (!*c)
        return NULL;
    va_list ap;
    va_start(ap, fmt);
    redisReply *rep = redisvCommand(*c, fmt, ap);
    va_end(ap);
    if (!rep) {
        redisFree(*c);
        *c = NULL;
    }
    return rep;
}

/* Remove a rule, adding its hits to the count. 0 when the connection
 * failed (the rule stays in the list, to be removed later). */
static int remove_rule(run *r, redisContext **c, long long id)
{
    redisReply *h = control(c, "FAKE.FAULT HITS %lld", id);
    if (!h)
        return 0;
    if (h->type == REDIS_REPLY_INTEGER)
        r->fired += (uint64_t)h->integer;
    freeReplyObject(h);
    redisReply *x = control(c, "FAKE.FAULT CLEAR %lld", id);
    if (!x)
        return 0;
    freeReplyObject(x);
    return 1;
}

typedef struct storm {
    run *r;
    live_rule rules[64];
    int nrules;
    int listen_off;
    int64_t listen_on_at;
} storm;

static void storm_tick(storm *st, redisContext **c, uint64_t *s)
{
    run *r = st->r;
    int64_t now = mono_ms();
    /* rules whose time is up go, and the listener comes back */
    for (int i = 0; i < st->nrules;) {
        if (st->rules[i].until <= now || stopping(r)) {
            if (!remove_rule(r, c, st->rules[i].id))
                return;
            st->rules[i] = st->rules[--st->nrules];
        } else {
            i++;
        }
    }
    if (st->listen_off && (now >= st->listen_on_at || stopping(r))) {
        redisReply *x = control(c, "FAKE.LISTEN ON");
        if (!x)
            return;
        freeReplyObject(x);
        st->listen_off = 0;
    }
    if (stopping(r))
        return;
    int ev = pick(s, 100);
    if (ev < 70 && st->nrules < 64) {
        char text[512];
        int on_read;
        random_rule(s, text, sizeof text, &on_read);
        /* with the listener off, losing our connection would be for good */
        if (on_read && st->listen_off)
            return;
        int64_t life = 1 + pick(s, HOLD_MS);
        /* The server ends the rule by itself a little after we mean to
         * remove it: a hang or a stall lasts until its rule goes, and our
         * own reconnect may be the connection an accept rule holds (we
         * would wait out CONTROL_TIMEOUT_MS), while a client gives up
         * after IO_TIMEOUT_MS and the write it left in the held socket
         * would run after its later, acknowledged ones. */
        if (!strstr(text, " for="))
            snprintf(text + strlen(text), sizeof text - strlen(text), " for=%d",
                     (int)life + HOLD_MS);
        redisReply *x = control(c, "FAKE.FAULT ADD %s", text);
        if (!x)
            return;
        if (x->type == REDIS_REPLY_INTEGER) {
            st->rules[st->nrules++] = (live_rule){x->integer, now + life, on_read};
            count(&r->rules, 1);
        } else {
            fprintf(stderr, "soak: rule refused: %s: %s\n", text,
                    x->type == REDIS_REPLY_ERROR ? x->str : "?");
            exit(1); /* the generator is wrong: fix it */
        }
        freeReplyObject(x);
    } else if (ev < 85) {
        static const char *const how[] = {"FAKE.KILL ALL", "FAKE.KILL TYPE normal",
                                          "FAKE.KILL ALL RESET"};
        redisReply *x = control(c, how[pick(s, 3)]);
        if (!x)
            return;
        if (x->type == REDIS_REPLY_INTEGER)
            r->killed += (uint64_t)x->integer;
        count(&r->kills, 1);
        freeReplyObject(x);
    } else if (ev < 92) {
        redisReply *x = control(c, "FAKE.RESTART %d KEEP", pick(s, HOLD_MS / 2));
        if (x)
            freeReplyObject(x);
        count(&r->restarts, 1);
        /* our connection goes too: reconnect at the next tick */
        if (*c) {
            redisFree(*c);
            *c = NULL;
        }
    } else if (ev < 96) {
        redisReply *x = control(c, "FAKE.PAUSE %d", 1 + pick(s, HOLD_MS / 2));
        if (!x)
            return;
        freeReplyObject(x);
        r->pauses++;
    } else if (!st->listen_off) {
        /* the rules that may close our connection go first: nobody could
         * turn the listener on again */
        for (int i = 0; i < st->nrules;) {
            if (st->rules[i].on_read) {
                if (!remove_rule(r, c, st->rules[i].id))
                    return;
                st->rules[i] = st->rules[--st->nrules];
            } else {
                i++;
            }
        }
        redisReply *x = control(c, "FAKE.LISTEN OFF");
        if (!x)
            return;
        freeReplyObject(x);
        st->listen_off = 1;
        st->listen_on_at = now + 1 + pick(s, HOLD_MS / 2);
        r->listen_offs++;
    }
}

static void *storm_main(void *arg)
{
    storm *st = arg;
    run *r = st->r;
    uint64_t s = r->seed * 0x9e3779b97f4a7c15ULL + 7;
    if (!s)
        s = 1;
    redisContext *c = NULL;
    for (;;) {
        if (!c) {
            c = connect_retry(r, 0, mono_ms() + 10000, CONTROL_TIMEOUT_MS);
            if (!c) {
                fprintf(stderr, "soak: the storm cannot reconnect\n");
                exit(1);
            }
        }
        int last = stopping(r);
        storm_tick(st, &c, &s);
        if (last && c && st->nrules == 0 && !st->listen_off)
            break;
        if (!last)
            sleep_ms(5 + pick(&s, 60));
    }
    redisReply *x = control(&c, "FAKE.FAULT CLEAR");
    if (x)
        freeReplyObject(x);
    x = control(&c, "FAKE.RESUME");
    if (x)
        freeReplyObject(x);
    if (c)
        redisFree(c);
    return NULL;
}

/* ---- the checker -------------------------------------------------------- */

/* Parse "c<client>:<seq>" written by client; 0 when it is not one. */
static uint64_t seq_of(const char *s, size_t len, int client)
{
    char want[32];
    int n = snprintf(want, sizeof want, "c%d:", client);
    if (len <= (size_t)n || strncmp(s, want, (size_t)n) != 0)
        return 0;
    uint64_t v = 0;
    for (size_t i = (size_t)n; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    return v;
}

/* The final value of a register (a bulk reply or nil) against what was
 * written. Returns the number of acknowledged writes lost (0 or 1). */
static int check_reg(worker *w, const char *what, const reg *g, const redisReply *v)
{
    if (!g->written) {
        if (v->type != REDIS_REPLY_NIL) {
            violation(w, "%s: holds a value nobody wrote", what);
            return 0;
        }
        return 0;
    }
    if (v->type == REDIS_REPLY_NIL) {
        if (g->acked) {
            violation(w, "%s: acknowledged value c%d:%" PRIu64 " lost (key empty)", what, w->id,
                      g->acked);
            return 1;
        }
        return 0;
    }
    if (v->type != REDIS_REPLY_STRING) {
        violation(w, "%s: not a string reply", what);
        return 0;
    }
    uint64_t seq = seq_of(v->str, v->len, w->id);
    if (!seq) {
        violation(w, "%s: holds '%.*s', which nobody wrote", what, (int)v->len, v->str);
        return 0;
    }
    if (seq == g->acked)
        return 0;
    for (size_t i = 0; i < g->maybe.n; i++)
        if (g->maybe.v[i] == seq)
            return 0;
    if (g->acked && seq < g->acked) {
        violation(w, "%s: holds c%d:%" PRIu64 ", older than the acknowledged c%d:%" PRIu64, what,
                  w->id, seq, w->id, g->acked);
        return 1;
    }
    violation(w, "%s: holds c%d:%" PRIu64 ", never written there", what, w->id, seq);
    return 0;
}

typedef struct totals {
    uint64_t lost, violations, keys;
} totals;

static void check_worker(redisContext *c, worker *w, totals *t)
{
    char key[64], what[96];
    for (int k = 0; k < NSTR; k++) {
        snprintf(key, sizeof key, "soak:%d:s%d", w->id, k);
        redisReply *v = redisCommand(c, "GET %s", key);
        if (!v) {
            fprintf(stderr, "soak: checker: connection lost\n");
            exit(1);
        }
        t->lost += (uint64_t)check_reg(w, key, &w->str[k], v);
        freeReplyObject(v);
    }
    for (int k = 0; k < NCTR; k++) {
        snprintf(key, sizeof key, "soak:%d:n%d", w->id, k);
        redisReply *v = redisCommand(c, "GET %s", key);
        if (!v)
            exit(1);
        long long n = v->type == REDIS_REPLY_STRING ? atoll(v->str) : 0;
        if (v->type != REDIS_REPLY_STRING && v->type != REDIS_REPLY_NIL)
            violation(w, "%s: not a counter", key);
        if (n < w->cnt[k].lo) {
            violation(w, "%s: %lld, below the %lld acknowledged", key, n, w->cnt[k].lo);
            t->lost += (uint64_t)(w->cnt[k].lo - n);
        } else if (n > w->cnt[k].hi) {
            violation(w, "%s: %lld, above the %lld sent", key, n, w->cnt[k].hi);
        }
        freeReplyObject(v);
    }
    for (int k = 0; k < NLIST; k++) {
        snprintf(key, sizeof key, "soak:%d:l%d", w->id, k);
        redisReply *v = redisCommand(c, "LRANGE %s 0 -1", key);
        if (!v)
            exit(1);
        lst *l = &w->list[k];
        size_t j = 0; /* next push that may come */
        if (v->type != REDIS_REPLY_ARRAY) {
            violation(w, "%s: not a list", key);
        } else {
            for (size_t e = 0; e < v->elements; e++) {
                const redisReply *x = v->element[e];
                uint64_t seq = x->type == REDIS_REPLY_STRING ? seq_of(x->str, x->len, w->id) : 0;
                /* skip pushes that did not happen; an acknowledged one
                 * skipped is lost */
                while (j < l->pushed.n && l->pushed.v[j] != seq) {
                    if (l->acked[j]) {
                        violation(w, "%s: acknowledged push c%d:%" PRIu64 " lost", key, w->id,
                                  l->pushed.v[j]);
                        t->lost++;
                    }
                    j++;
                }
                if (j == l->pushed.n) {
                    violation(w, "%s: element %zu '%.*s' out of order or never pushed", key, e,
                              x->type == REDIS_REPLY_STRING ? (int)x->len : 1,
                              x->type == REDIS_REPLY_STRING ? x->str : "?");
                    break;
                }
                j++;
            }
        }
        for (; j < l->pushed.n; j++) {
            if (l->acked[j]) {
                violation(w, "%s: acknowledged push c%d:%" PRIu64 " lost (at the end)", key, w->id,
                          l->pushed.v[j]);
                t->lost++;
            }
        }
        freeReplyObject(v);
    }
    for (int k = 0; k < NHASH; k++) {
        for (int f = 0; f < NFIELD; f++) {
            snprintf(key, sizeof key, "soak:%d:h%d", w->id, k);
            snprintf(what, sizeof what, "%s field f%d", key, f);
            redisReply *v = redisCommand(c, "HGET %s f%d", key, f);
            if (!v)
                exit(1);
            t->lost += (uint64_t)check_reg(w, what, &w->hash[k][f], v);
            freeReplyObject(v);
        }
    }
}

/* Every key in the database is one a client writes. */
static void check_keyspace(redisContext *c, run *r, totals *t)
{
    char cursor[32] = "0";
    do {
        redisReply *v = redisCommand(c, "SCAN %s COUNT 1000", cursor);
        if (!v || v->type != REDIS_REPLY_ARRAY || v->elements != 2) {
            fprintf(stderr, "soak: checker: SCAN failed\n");
            exit(1);
        }
        snprintf(cursor, sizeof cursor, "%s", v->element[0]->str);
        const redisReply *keys = v->element[1];
        for (size_t i = 0; i < keys->elements; i++) {
            const char *k = keys->element[i]->str;
            int id = -1, n = -1;
            char kind = 0;
            t->keys++;
            if (sscanf(k, "soak:%d:%c%d", &id, &kind, &n) != 3 || id < 0 || id >= r->nclients ||
                !strchr("snlh", kind)) {
                fprintf(stderr, "soak: key '%s', which nobody wrote\n", k);
                t->violations++;
            }
        }
        freeReplyObject(v);
    } while (strcmp(cursor, "0") != 0);
}

static long long connected_clients(redisContext *c)
{
    redisReply *v = redisCommand(c, "INFO clients");
    if (!v || v->type != REDIS_REPLY_STRING) {
        fprintf(stderr, "soak: checker: INFO failed\n");
        exit(1);
    }
    const char *p = strstr(v->str, "connected_clients:");
    long long n = p ? atoll(p + strlen("connected_clients:")) : -1;
    freeReplyObject(v);
    return n;
}

/* ---- the server child --------------------------------------------------- */

/* A free loopback port below the kernel's ephemeral range (32768 and up
 * by default). The storm closes the listener again and again, and a
 * client's connect() during such a window may be given the server's own
 * port as its local port (a TCP self-connect, which Linux allows): then
 * the server cannot listen on it again. Below the range no connect()
 * takes it. Returns 0 if none was found. */
static int pick_port(uint64_t *s)
{
    for (int i = 0; i < 200; i++) {
        int port = 20000 + pick(s, 12000);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return 0;
        struct sockaddr_in sa;
        memset(&sa, 0, sizeof sa);
        sa.sin_family = AF_INET;
        sa.sin_port = htons((uint16_t)port);
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int ok = bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
        close(fd);
        if (ok)
            return port;
    }
    return 0;
}

/* Start bin on port; its pid once it listens, or 0 when it exited (the
 * port was taken meanwhile). */
static pid_t start_server_on(const char *bin, int port)
{
    char dir[] = "/tmp/fakeredis-soak-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("soak: mkdtemp");
        exit(1);
    }
    char pf[sizeof dir + 16], ps[16];
    snprintf(pf, sizeof pf, "%s/port", dir);
    snprintf(ps, sizeof ps, "%d", port);
    pid_t pid = fork();
    if (pid < 0) {
        perror("soak: fork");
        exit(1);
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the soak */
        /* its "listening" line is not ours to print; its stderr (sanitizer
         * reports) is */
        FILE *null = freopen("/dev/null", "w", stdout);
        (void)null;
        execl(bin, bin, "--port", ps, "--port-file", pf, (char *)NULL);
        fprintf(stderr, "soak: cannot run %s: %s\n", bin, strerror(errno));
        _exit(127);
    }
    int64_t deadline = mono_ms() + 20000;
    int up = 0;
    while (!up && mono_ms() < deadline) {
        struct stat st;
        up = stat(pf, &st) == 0;
        int status;
        if (!up && waitpid(pid, &status, WNOHANG) == pid) {
            pid = 0;
            break;
        }
        if (!up)
            sleep_ms(10);
    }
    unlink(pf);
    rmdir(dir);
    if (pid && !up) {
        fprintf(stderr, "soak: the server did not listen within 20 s\n");
        kill(pid, SIGKILL);
        exit(1);
    }
    return pid;
}

static pid_t start_server(const char *bin, uint64_t seed, int *port)
{
    uint64_t s = seed * 0x2545f4914f6cdd1dULL + (uint64_t)getpid();
    if (!s)
        s = 1;
    for (int tries = 0; tries < 5; tries++) {
        *port = pick_port(&s);
        if (!*port)
            break;
        pid_t pid = start_server_on(bin, *port);
        if (pid)
            return pid;
    }
    fprintf(stderr, "soak: the server could not start on a free port\n");
    exit(1);
}

/* SIGTERM, then its exit status (-1: a signal ended it or it hung). */
static int stop_server(pid_t pid)
{
    kill(pid, SIGTERM);
    int64_t deadline = mono_ms() + 30000;
    int st;
    for (;;) {
        pid_t p = waitpid(pid, &st, WNOHANG);
        if (p == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        if (mono_ms() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return -1;
        }
        sleep_ms(10);
    }
}

/* ---- main --------------------------------------------------------------- */

static void usage(void)
{
    fprintf(stderr, "usage: fakeredis-soak [--seconds N] [--seed S] [--clients N] "
                    "[--server PATH] [--port P] [--quiet]\n");
    exit(2);
}

static long long num_arg(int argc, char **argv, int *i, long long lo, long long hi)
{
    if (*i + 1 >= argc)
        usage();
    char *end;
    errno = 0;
    long long v = strtoll(argv[++*i], &end, 10);
    if (errno || *end || end == argv[*i] || v < lo || v > hi)
        usage();
    return v;
}

int main(int argc, char **argv)
{
    run r;
    memset(&r, 0, sizeof r);
    r.seconds = 10;
    r.nclients = 16;
    r.seed = 1;
    const char *bin = FR_SERVER_BIN;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seconds"))
            r.seconds = (int)num_arg(argc, argv, &i, 1, 7 * 24 * 3600);
        else if (!strcmp(argv[i], "--seed"))
            r.seed = (uint64_t)num_arg(argc, argv, &i, 0, INT64_MAX);
        else if (!strcmp(argv[i], "--clients"))
            r.nclients = (int)num_arg(argc, argv, &i, 1, 1000);
        else if (!strcmp(argv[i], "--port"))
            r.port = (int)num_arg(argc, argv, &i, 1, 65535);
        else if (!strcmp(argv[i], "--server") && i + 1 < argc)
            bin = argv[++i];
        else if (!strcmp(argv[i], "--quiet"))
            quiet = 1;
        else
            usage();
    }
    signal(SIGPIPE, SIG_IGN);
    pid_t pid = 0;
    if (!r.port)
        pid = start_server(bin, r.seed, &r.port);
    note("soak: seed %" PRIu64 ", %d clients, %d s, server on 127.0.0.1:%d\n", r.seed, r.nclients,
         r.seconds, r.port);

    redisContext *chk = connect_retry(&r, 0, mono_ms() + 10000, CONTROL_TIMEOUT_MS);
    if (!chk) {
        fprintf(stderr, "soak: cannot connect\n");
        return 1;
    }
    redisReply *x = redisCommand(chk, "FLUSHALL");
    if (x)
        freeReplyObject(x);
    long long baseline = connected_clients(chk);
    redisFree(chk);

    r.w = calloc((size_t)r.nclients, sizeof *r.w);
    worker_arg *wa = calloc((size_t)r.nclients, sizeof *wa);
    if (!r.w || !wa)
        return 1;
    for (int i = 0; i < r.nclients; i++) {
        worker *w = &r.w[i];
        w->id = i;
        w->rng = (r.seed + 1) * 0x2545f4914f6cdd1dULL + (uint64_t)i * 0x9e3779b97f4a7c15ULL;
        if (!w->rng)
            w->rng = 1;
        wa[i] = (worker_arg){&r, w};
        if (pthread_create(&w->th, NULL, worker_loop, &wa[i]) != 0) {
            fprintf(stderr, "soak: pthread_create failed\n");
            return 1;
        }
    }
    storm st;
    memset(&st, 0, sizeof st);
    st.r = &r;
    pthread_t sth;
    if (pthread_create(&sth, NULL, storm_main, &st) != 0)
        return 1;

    int64_t end = mono_ms() + (int64_t)r.seconds * 1000;
    int64_t next_note = mono_ms() + 10000;
    while (mono_ms() < end) {
        sleep_ms(100);
        if (pid && waitpid(pid, NULL, WNOHANG) == pid) {
            fprintf(stderr, "soak: the server died during the storm\n");
            return 1;
        }
        if (mono_ms() >= next_note) {
            uint64_t acked = 0;
            for (int i = 0; i < r.nclients; i++)
                acked += counted(&r.w[i].acked);
            note("soak: %" PRId64 " s left: %" PRIu64 " writes acknowledged, %" PRIu64
                 " rules, %" PRIu64 " kills, %" PRIu64 " restarts\n",
                 (end - mono_ms()) / 1000, acked, counted(&r.rules), counted(&r.kills),
                 counted(&r.restarts));
            next_note += 10000;
        }
    }
    __atomic_store_n(&r.stop, 1, __ATOMIC_SEQ_CST);
    for (int i = 0; i < r.nclients; i++)
        pthread_join(r.w[i].th, NULL);
    pthread_join(sth, NULL); /* it clears every rule and resumes */

    /* the checker */
    chk = connect_retry(&r, 0, mono_ms() + 10000, CONTROL_TIMEOUT_MS);
    if (!chk) {
        fprintf(stderr, "soak: the checker cannot connect\n");
        return 1;
    }
    totals t;
    memset(&t, 0, sizeof t);
    for (int i = 0; i < r.nclients; i++)
        check_worker(chk, &r.w[i], &t);
    check_keyspace(chk, &r, &t);
    long long clients = -1;
    int64_t deadline = mono_ms() + 10000;
    while ((clients = connected_clients(chk)) != baseline && mono_ms() < deadline)
        sleep_ms(20);
    redisFree(chk);

    uint64_t acked = 0, unknown = 0, reconnects = 0;
    for (int i = 0; i < r.nclients; i++) {
        acked += r.w[i].acked;
        unknown += r.w[i].unknown;
        reconnects += r.w[i].reconnects;
        t.violations += r.w[i].violations;
    }
    int status = pid ? stop_server(pid) : 0;
    printf("soak: seed %" PRIu64 ", %d clients, %d s: writes acknowledged %" PRIu64
           ", unknown outcome %" PRIu64 ", lost %" PRIu64 ", violations %" PRIu64 "; rules %" PRIu64
           ", faults fired %" PRIu64 ", kills %" PRIu64 " (%" PRIu64 " clients), restarts %" PRIu64
           ", pauses %" PRIu64 ", listen-offs %" PRIu64 ", reconnects %" PRIu64 "; keys %" PRIu64
           ", clients at the end %lld (baseline %lld)"
           ", server exit %d\n",
           r.seed, r.nclients, r.seconds, acked, unknown, t.lost, t.violations, r.rules, r.fired,
           r.kills, r.killed, r.restarts, r.pauses, r.listen_offs, reconnects, t.keys, clients,
           baseline, status);
    int ok = t.lost == 0 && t.violations == 0 && clients == baseline && status == 0 && acked > 0;
    if (!ok)
        fprintf(stderr, "soak: FAILED\n");
    for (int i = 0; i < r.nclients; i++) {
        worker *w = &r.w[i];
        for (int k = 0; k < NSTR; k++)
            free(w->str[k].maybe.v);
        for (int k = 0; k < NLIST; k++) {
            free(w->list[k].pushed.v);
            free(w->list[k].acked);
        }
        for (int k = 0; k < NHASH; k++)
            for (int f = 0; f < NFIELD; f++)
                free(w->hash[k][f].maybe.v);
    }
    free(r.w);
    free(wa);
    return ok ? 0 : 1;
}
