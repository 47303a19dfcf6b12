/* Playback: the server answers from a script instead of running commands.
 *
 * The script is a list of connections, each a list of steps (the argv the
 * client must send, the bytes to answer, the delay). The k-th connection
 * accepted after fr_playback_begin() plays script connection k. Replies go
 * through the usual output stage (so faults and a recording still see
 * them); with timing, a reply waits its delay after the command arrived,
 * and never overtakes the one before it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "record_engine.h"

typedef struct pb_step {
    int argc;
    fr_arg *argv; /* into blob */
    char *blob;
    char *reply;
    size_t reply_len;
    int64_t delay_us;
} pb_step;

typedef struct pb_conn {
    pb_step *steps;
    size_t n, cap;
} pb_conn;

struct fr_playback {
    pb_conn *conns;
    size_t nconns;
    int active;
    int timing;
    int lenient;
    void (*on_mismatch)(void *ctx, const char *text);
    void *ctx;
    int64_t next_conn;
    uint64_t served, mismatches;
    char first[512];
};

typedef struct fr_pb_due {
    struct fr_pb_due *next;
    int64_t due_us;
    const pb_step *step;
} fr_pb_due;

void fr__playback_free(struct fr_playback *pb)
{
    if (!pb)
        return;
    for (size_t i = 0; i < pb->nconns; i++) {
        for (size_t k = 0; k < pb->conns[i].n; k++) {
            free(pb->conns[i].steps[k].argv);
            free(pb->conns[i].steps[k].blob);
            free(pb->conns[i].steps[k].reply);
        }
        free(pb->conns[i].steps);
    }
    free(pb->conns);
    free(pb);
}

void fr__playback_conn_free(fr_rec_conn *st)
{
    while (st->pb_due) {
        fr_pb_due *d = st->pb_due;
        st->pb_due = d->next;
        free(d);
    }
    if (st->pb_ev)
        event_free(st->pb_ev);
    st->pb_ev = NULL;
}

void fr__playback_conn_open(fr_conn *c, fr_rec_conn *st)
{
    struct fr_playback *pb = c->srv->rec->pb;
    if (pb->active)
        st->pb_index = pb->next_conn++;
}

static void send_step(fr_conn *c, const pb_step *s)
{
    fr__buf_append(&c->reply, s->reply, s->reply_len);
    fr__conn_commit_reply(c);
}

static void on_due(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    fr_conn *c = arg;
    fr_server *srv = c->srv;
    fr_rec_conn *st = fr__rec_conn_state(srv->rec, c);
    int64_t now = fr__mono_us();
    while (st->pb_due && st->pb_due->due_us <= now) {
        fr_pb_due *d = st->pb_due;
        st->pb_due = d->next;
        send_step(c, d->step);
        free(d);
    }
    if (st->pb_due) {
        int64_t us = st->pb_due->due_us - now;
        struct timeval tv = {(time_t)(us / 1000000), (suseconds_t)(us % 1000000)};
        event_add(st->pb_ev, &tv);
    }
    fr__flush_pending(srv);
}

/* "SET k v" for messages: printable bytes as they are, others as \xNN,
 * cut at about 120 bytes. */
static void describe(fr_buf *b, int argc, const fr_arg *argv)
{
    size_t start = b->len;
    for (int i = 0; i < argc; i++) {
        if (i)
            fr__buf_putc(b, ' ');
        for (size_t k = 0; k < argv[i].len; k++) {
            unsigned char ch = (unsigned char)argv[i].p[k];
            if (b->len - start > 120) {
                fr__buf_puts(b, "...");
                return;
            }
            if (ch >= 0x21 && ch < 0x7f)
                fr__buf_putc(b, (char)ch);
            else
                fr__buf_printf(b, "\\x%02x", ch);
        }
    }
}

static int same_argv(const pb_step *s, int argc, const fr_arg *argv)
{
    if (s->argc != argc)
        return 0;
    for (int i = 0; i < argc; i++)
        if (s->argv[i].len != argv[i].len || memcmp(s->argv[i].p, argv[i].p, argv[i].len))
            return 0;
    return 1;
}

int fr__playback_command(fr_conn *c, fr_rec_conn *st, int argc, const fr_arg *argv)
{
    struct fr_playback *pb = c->srv->rec->pb;
    if (!pb->active)
        return 0;
    const pb_conn *pc =
        st->pb_index >= 0 && (size_t)st->pb_index < pb->nconns ? &pb->conns[st->pb_index] : NULL;
    const pb_step *s = pc && st->pb_step < pc->n ? &pc->steps[st->pb_step] : NULL;
    if (!s || !same_argv(s, argc, argv)) {
        fr_buf m = {0};
        fr__buf_printf(&m, "-ERR fakeredis playback: connection %lld step %zu: expected '",
                       (long long)st->pb_index, st->pb_step);
        if (s)
            describe(&m, s->argc, s->argv);
        else
            fr__buf_puts(&m, "(nothing)");
        fr__buf_puts(&m, "', got '");
        describe(&m, argc, argv);
        fr__buf_puts(&m, "'");
        if (!pb->mismatches++)
            snprintf(pb->first, sizeof pb->first, "%s", m.p + 1);
        if (pb->on_mismatch)
            pb->on_mismatch(pb->ctx, m.p + 1);
        if (pb->lenient) { /* the fake runs it; the script waits */
            fr__buf_free(&m);
            return 0;
        }
        fr__buf_puts(&m, "\r\n");
        /* the text may hold CR/LF only as \x0d/\x0a: one error line */
        fr__buf_append(&c->reply, m.p, m.len);
        fr__buf_free(&m);
        fr__conn_commit_reply(c);
        return 1;
    }
    st->pb_step++;
    pb->served++;
    if (!pb->timing || (s->delay_us <= 0 && !st->pb_due)) {
        send_step(c, s);
        return 1;
    }
    fr_pb_due *d = fr__xcalloc(1, sizeof *d);
    d->step = s;
    d->due_us = fr__mono_us() + (s->delay_us > 0 ? s->delay_us : 0);
    fr_pb_due **pp = &st->pb_due;
    while (*pp) {
        if ((*pp)->due_us > d->due_us)
            d->due_us = (*pp)->due_us; /* never before the previous reply */
        pp = &(*pp)->next;
    }
    *pp = d;
    if (!st->pb_ev)
        st->pb_ev = event_new(c->srv->base, -1, 0, on_due, c);
    if (d == st->pb_due) {
        int64_t us = d->due_us - fr__mono_us();
        if (us < 0)
            us = 0;
        struct timeval tv = {(time_t)(us / 1000000), (suseconds_t)(us % 1000000)};
        event_add(st->pb_ev, &tv);
    }
    return 1;
}

/* ---- the public API ---------------------------------------------------- */

static struct fr_playback *pb_get(fr_server *srv)
{
    return srv->rec ? srv->rec->pb : NULL;
}

typedef struct add_job {
    uint32_t conn;
    int argc;
    const char *const *argv;
    const size_t *lens;
    const void *reply;
    size_t reply_len;
    int64_t delay_us;
    int rc;
} add_job;

static void add_on_loop(fr_server *srv, void *arg)
{
    add_job *j = arg;
    fr_rec *r = fr__rec_get(srv);
    if (!r) {
        j->rc = FR_ERR_EVENT; /* event_new failed */
        return;
    }
    if (!r->pb)
        r->pb = fr__xcalloc(1, sizeof *r->pb);
    struct fr_playback *pb = r->pb;
    if (pb->active) {
        j->rc = FR_ERR_STATE;
        return;
    }
    if (j->conn >= pb->nconns) {
        pb->conns = fr__xrealloc(pb->conns, ((size_t)j->conn + 1) * sizeof *pb->conns);
        memset(pb->conns + pb->nconns, 0, ((size_t)j->conn + 1 - pb->nconns) * sizeof *pb->conns);
        pb->nconns = (size_t)j->conn + 1;
    }
    pb_conn *pc = &pb->conns[j->conn];
    if (pc->n == pc->cap) {
        pc->cap = pc->cap ? pc->cap * 2 : 16;
        pc->steps = fr__xrealloc(pc->steps, pc->cap * sizeof *pc->steps);
    }
    pb_step *s = &pc->steps[pc->n++];
    memset(s, 0, sizeof *s);
    size_t total = 0;
    for (int i = 0; i < j->argc; i++)
        total += j->lens[i];
    s->argc = j->argc;
    s->argv = fr__xcalloc((size_t)(j->argc > 0 ? j->argc : 1), sizeof *s->argv);
    s->blob = fr__xmalloc(total + 1);
    size_t off = 0;
    for (int i = 0; i < j->argc; i++) {
        memcpy(s->blob + off, j->argv[i], j->lens[i]);
        s->argv[i].p = s->blob + off;
        s->argv[i].len = j->lens[i];
        off += j->lens[i];
    }
    s->reply = fr__xmemdup(j->reply, j->reply_len);
    s->reply_len = j->reply_len;
    s->delay_us = j->delay_us;
    j->rc = FR_OK;
}

int fr_playback_add(fr_server *srv, uint32_t conn_index, int argc, const char *const *argv,
                    const size_t *lens, const void *reply, size_t reply_len, int64_t delay_us)
{
    if (!srv || argc < 1 || !argv || !lens || (reply_len && !reply))
        return FR_ERR_ARG;
    add_job j = {conn_index, argc, argv, lens, reply ? reply : "", reply_len, delay_us, FR_OK};
    int rc = fr__run_on_loop(srv, add_on_loop, &j);
    return rc != FR_OK ? rc : j.rc;
}

typedef struct begin_job {
    fr_playback_options o;
    int rc;
} begin_job;

static void begin_on_loop(fr_server *srv, void *arg)
{
    begin_job *j = arg;
    fr_rec *r = fr__rec_get(srv);
    if (!r) {
        j->rc = FR_ERR_EVENT; /* event_new failed */
        return;
    }
    if (!r->pb)
        r->pb = fr__xcalloc(1, sizeof *r->pb);
    if (r->pb->active) {
        j->rc = FR_ERR_STATE;
        return;
    }
    r->pb->active = 1;
    r->pb->timing = j->o.timing != 0;
    r->pb->lenient = j->o.lenient != 0;
    r->pb->on_mismatch = j->o.on_mismatch;
    r->pb->ctx = j->o.ctx;
    j->rc = FR_OK;
}

int fr_playback_begin_opts(fr_server *srv, const fr_playback_options *opts)
{
    if (!srv)
        return FR_ERR_ARG;
    begin_job j;
    memset(&j, 0, sizeof j);
    if (opts)
        j.o = *opts;
    int rc = fr__run_on_loop(srv, begin_on_loop, &j);
    return rc != FR_OK ? rc : j.rc;
}

int fr_playback_begin(fr_server *srv, int with_timing)
{
    fr_playback_options o = {.timing = with_timing};
    return fr_playback_begin_opts(srv, &o);
}

typedef struct result_job {
    uint64_t served, mismatches;
    char first[512];
    int rc;
} result_job;

static void result_on_loop(fr_server *srv, void *arg)
{
    result_job *j = arg;
    struct fr_playback *pb = pb_get(srv);
    if (!pb) {
        j->rc = FR_ERR_STATE;
        return;
    }
    j->served = pb->served;
    j->mismatches = pb->mismatches;
    memcpy(j->first, pb->first, sizeof j->first);
    j->rc = FR_OK;
}

int fr_playback_result(fr_server *srv, uint64_t *served, uint64_t *mismatches, char *first,
                       size_t cap)
{
    if (!srv)
        return FR_ERR_ARG;
    result_job j;
    memset(&j, 0, sizeof j);
    int rc = fr__run_on_loop(srv, result_on_loop, &j);
    if (rc == FR_OK)
        rc = j.rc;
    if (rc != FR_OK)
        return rc;
    if (served)
        *served = j.served;
    if (mismatches)
        *mismatches = j.mismatches;
    if (first && cap)
        snprintf(first, cap, "%s", j.first);
    return FR_OK;
}

static void end_on_loop(fr_server *srv, void *arg)
{
    int *rc = arg;
    fr_rec *r = srv->rec;
    if (!r || !r->pb) {
        *rc = FR_ERR_STATE;
        return;
    }
    /* replies still waiting for their time are dropped with the script */
    for (fr_conn *c = srv->conns; c; c = c->next) {
        if (!(c->flags & FR_CONN_PSEUDO)) {
            fr_rec_conn *st = fr__rec_conn_state(r, c);
            fr__playback_conn_free(st);
            st->pb_index = -1;
            st->pb_step = 0;
        }
    }
    fr__playback_free(r->pb);
    r->pb = NULL;
    fr__rec_maybe_free(srv);
    *rc = FR_OK;
}

int fr_playback_end(fr_server *srv)
{
    if (!srv)
        return FR_ERR_ARG;
    int j = FR_OK;
    int rc = fr__run_on_loop(srv, end_on_loop, &j);
    return rc != FR_OK ? rc : j;
}
