/* Replay (a recording's commands sent to any server, replies compared)
 * and playback (a fake answering from a recording). See
 * include/fakeredis/recording.h and playback.h for what each promises. */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fakeredis/playback.h"
#include "fakeredis/recording.h"
#include "harness_internal.h"
#include "record_format.h"

/* What is known of the last command of a connection, for its reply. */
enum { LAST_NONE, LAST_SENT, LAST_SKIPPED };

typedef struct rconn {
    uint64_t id;
    int fd;
    int faulted;  /* a rule fired on it: stop comparing */
    int broken;   /* out of step (a reply timed out, a close): skip the rest */
    int last;     /* LAST_*: its last recorded command */
    int last_why; /* LAST_SKIPPED: the reason its reply is skipped */
    int hello;    /* its last command was HELLO */
    char *rbuf;   /* bytes read, not matched yet */
    size_t rlen, rcap;
    char *last_cmd; /* text of the last command sent, for reports */
} rconn;

typedef struct replay {
    const fr_replay_options *o;
    fr_replay_result *res;
    rconn *conns;
    size_t n, cap;
    size_t max_diffs;
    int timeout_ms;
    rconn ctl;   /* replay's own connection: flush, actions, the probe */
    int is_fake; /* -1: not asked yet; 0/1: the target answers FAKE.CLOCK */
} replay;

static rconn *find_conn(replay *rp, uint64_t id)
{
    for (size_t i = 0; i < rp->n; i++)
        if (rp->conns[i].id == id)
            return &rp->conns[i];
    return NULL;
}

static void conn_close(rconn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

static int dial(const char *host, int port)
{
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, ps, &hints, &ai) != 0)
        return -1;
    int fd = -1;
    for (struct addrinfo *p = ai; p && fd < 0; p = p->ai_next) {
        fd = socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC, p->ai_protocol);
        if (fd >= 0 && connect(fd, p->ai_addr, p->ai_addrlen) < 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(ai);
    return fd;
}

static int redial(replay *rp, rconn *c)
{
    c->fd = dial(rp->o->host ? rp->o->host : "127.0.0.1", rp->o->port);
    c->rlen = 0;
    if (c->fd < 0)
        snprintf(rp->res->err, sizeof rp->res->err, "cannot connect to %s:%d",
                 rp->o->host ? rp->o->host : "127.0.0.1", rp->o->port);
    return c->fd;
}

static rconn *open_conn(replay *rp, uint64_t id)
{
    rconn *c = find_conn(rp, id);
    if (c && c->fd >= 0)
        return c;
    if (!c) {
        if (rp->n == rp->cap) {
            rp->cap = rp->cap ? rp->cap * 2 : 8;
            rp->conns = fr__xrealloc(rp->conns, rp->cap * sizeof *rp->conns);
        }
        c = &rp->conns[rp->n++];
        memset(c, 0, sizeof *c);
        c->id = id;
    }
    c->last = LAST_NONE;
    return redial(rp, c) >= 0 ? c : NULL;
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* "SET k v" with bytes escaped, for reports. */
static char *cmd_text(const fr_rec_event *ev)
{
    fr_buf b = {0};
    for (int i = 0; i < ev->argc; i++) {
        if (i)
            fr__buf_putc(&b, ' ');
        fr__rec_escape(&b, ev->argv[i], ev->argvlen[i], 1);
    }
    return fr__buf_steal(&b);
}

static int send_argv(rconn *c, int argc, const char *const *argv, const size_t *lens)
{
    fr_buf b = {0};
    fr__buf_printf(&b, "*%d\r\n", argc);
    for (int i = 0; i < argc; i++) {
        fr__buf_printf(&b, "$%zu\r\n", lens[i]);
        fr__buf_append(&b, argv[i], lens[i]);
        fr__buf_append(&b, "\r\n", 2);
    }
    int rc = send_all(c->fd, b.p, b.len);
    fr__buf_free(&b);
    return rc;
}

/* How many whole RESP frames are in p[0..n) (the recorded bytes), and
 * where the k-th ends. Returns -1 if the bytes do not parse. */
static int count_frames(const char *p, size_t n, size_t *frames)
{
    size_t off = 0;
    *frames = 0;
    while (off < n) {
        size_t used = 0;
        fr_reply *r = NULL;
        if (fr_reply_parse(p + off, n - off, &used, &r) != 1)
            return -1;
        fr_reply_free(r);
        off += used;
        (*frames)++;
    }
    return 0;
}

/* Read from c until its buffer starts with `frames` whole frames (or, when
 * the expected bytes did not parse, `raw` bytes). Returns the length of
 * that prefix, or -1 on timeout / close / garbage. */
static long await_frames(replay *rp, rconn *c, size_t frames, size_t raw, int parsed)
{
    int64_t deadline = fr__harness_mono_us() + (int64_t)rp->timeout_ms * 1000;
    for (;;) {
        size_t off = 0, k = 0;
        if (parsed) {
            while (k < frames) {
                size_t used = 0;
                fr_reply *r = NULL;
                int pr = fr_reply_parse(c->rbuf + off, c->rlen - off, &used, &r);
                fr_reply_free(r);
                if (pr < 0)
                    return -1;
                if (pr == 0)
                    break;
                off += used;
                k++;
            }
            if (k == frames)
                return (long)off;
        } else if (c->rlen >= raw) {
            return (long)raw;
        }
        int64_t left = deadline - fr__harness_mono_us();
        if (left <= 0)
            return -1;
        struct pollfd pfd = {c->fd, POLLIN, 0};
        int pr = poll(&pfd, 1, (int)((left + 999) / 1000));
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            return -1;
        if (c->rcap - c->rlen < 4096) {
            c->rcap = c->rcap ? c->rcap * 2 : 8192;
            c->rbuf = fr__xrealloc(c->rbuf, c->rcap);
        }
        ssize_t got = recv(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return -1;
        c->rlen += (size_t)got;
    }
}

static void consume(rconn *c, long n)
{
    memmove(c->rbuf, c->rbuf + n, c->rlen - (size_t)n);
    c->rlen -= (size_t)n;
}

static void add_diff(replay *rp, rconn *c, const fr_rec_event *ev, const char *got, size_t got_len)
{
    fr_replay_result *res = rp->res;
    res->differences++;
    if (res->ndiffs >= rp->max_diffs)
        return;
    res->diffs = fr__xrealloc(res->diffs, (res->ndiffs + 1) * sizeof *res->diffs);
    fr_replay_diff *d = &res->diffs[res->ndiffs++];
    d->conn = c->id;
    const char *what = ev->type == FR_REC_PUSH ? "(push)" : c->last_cmd ? c->last_cmd : "";
    d->command = fr__xmemdup(what, strlen(what));
    d->expected = fr__xmemdup(ev->data, ev->len);
    d->expected_len = ev->len;
    d->got = fr__xmemdup(got, got_len);
    d->got_len = got_len;
}

/* HELLO's reply with its "id" (which numbers connections, as no two
 * servers do alike) as 0; any other bytes as they are. */
static void mask_hello_id(const char *p, size_t n, fr_buf *out)
{
    static const char key[] = "$2\r\nid\r\n:";
    fr__buf_clear(out);
    fr__buf_append(out, p, n);
    char *k = out->len >= sizeof key ? memmem(out->p, out->len, key, sizeof key - 1) : NULL;
    if (!k)
        return;
    char *num = k + sizeof key - 1, *end = memchr(num, '\r', out->len - (size_t)(num - out->p));
    if (!end || end == num)
        return;
    *num = '0';
    memmove(num + 1, end, out->len - (size_t)(end - out->p));
    out->len -= (size_t)(end - num) - 1;
}

static int same_reply(const rconn *c, const fr_rec_event *ev, const char *got, size_t n)
{
    if (n == ev->len && !memcmp(got, ev->data, n))
        return 1;
    if (ev->type != FR_REC_REPLY || !c->hello)
        return 0;
    fr_buf a = {0}, b = {0};
    mask_hello_id(ev->data, ev->len, &a);
    mask_hello_id(got, n, &b);
    int same = a.len == b.len && !memcmp(a.p, b.p, a.len);
    fr__buf_free(&a);
    fr__buf_free(&b);
    return same;
}

/* A recorded REPLY or PUSH on c: read as many frames from the target and
 * compare the bytes. */
static void compare(replay *rp, rconn *c, const fr_rec_event *ev)
{
    size_t frames = 0;
    int parsed = count_frames(ev->data, ev->len, &frames) == 0;
    rp->res->compared++;
    long n = await_frames(rp, c, frames, ev->len, parsed);
    if (n < 0) {
        add_diff(rp, c, ev, c->rbuf ? c->rbuf : "", c->rlen);
        /* the stream is out of step now: stop comparing this connection */
        c->broken = 1;
        conn_close(c);
        return;
    }
    if (!same_reply(c, ev, c->rbuf, (size_t)n))
        add_diff(rp, c, ev, c->rbuf, (size_t)n);
    consume(c, n);
}

static void skip(replay *rp, int why)
{
    rp->res->skipped++;
    rp->res->skipped_by[why]++;
}

static int is_control(const fr_rec_event *ev)
{
    return ev->argvlen[0] > 5 && !strncasecmp(ev->argv[0], "fake.", 5);
}

/* A FAKE.CLOCK that moves the clock (not GET or HELP): replay re-enacts
 * those, when the target is a fake. */
static int is_clock_move(const fr_rec_event *ev)
{
    return ev->argc >= 2 && !strcasecmp(ev->argv[0], "fake.clock") &&
           strcasecmp(ev->argv[1], "get") != 0 && strcasecmp(ev->argv[1], "help") != 0;
}

/* Send argv on replay's own connection and wait for its answer, which is
 * put in *reply (first frame, NUL-ended, may be NULL). -1 with res->err
 * set when the target cannot be reached or does not answer. */
static int ctl_call(replay *rp, int argc, const char *const *argv, const size_t *lens, char **reply)
{
    rconn *c = &rp->ctl;
    if (c->fd < 0 && redial(rp, c) < 0)
        return -1;
    if (send_argv(c, argc, argv, lens) < 0) {
        snprintf(rp->res->err, sizeof rp->res->err, "replay's own connection: send failed");
        return -1;
    }
    long n = await_frames(rp, c, 1, 0, 1);
    if (n < 0) {
        snprintf(rp->res->err, sizeof rp->res->err, "replay's own connection: no answer to %.*s",
                 (int)(lens[0] < 64 ? lens[0] : 64), argv[0]);
        conn_close(c);
        return -1;
    }
    if (reply)
        *reply = fr__xmemdup(c->rbuf, (size_t)n);
    consume(c, n);
    return 0;
}

/* Does the target run FAKE.* (a fake with control on)? Asked once. */
static int target_is_fake(replay *rp)
{
    if (rp->is_fake < 0) {
        static const char *const probe[] = {"FAKE.CLOCK", "GET"};
        static const size_t lens[] = {10, 3};
        char *r = NULL;
        rp->is_fake = ctl_call(rp, 2, probe, lens, &r) == 0 && r[0] == ':';
        free(r);
    }
    return rp->is_fake;
}

static int flush_target(replay *rp)
{
    const fr_replay_options *o = rp->o;
    char db[24];
    const char *sel[] = {"SELECT", db},
               *fl[] = {o->flush == FR_REPLAY_FLUSH_ALL ? "FLUSHALL" : "FLUSHDB"};
    size_t sel_lens[] = {6, (size_t)snprintf(db, sizeof db, "%d", o->flush_db)}, fl_lens[] = {0};
    fl_lens[0] = strlen(fl[0]);
    char *r = NULL;
    int rc = 0;
    if (o->flush == FR_REPLAY_FLUSH_DB) {
        rc = ctl_call(rp, 2, sel, sel_lens, &r);
        if (rc == 0 && r[0] == '-')
            goto refused;
        free(r);
        r = NULL;
    }
    if (rc == 0)
        rc = ctl_call(rp, 1, fl, fl_lens, &r);
    if (rc == 0 && r[0] == '-')
        goto refused;
    free(r);
    r = NULL;
    if (rc == 0 && o->flush == FR_REPLAY_FLUSH_DB) { /* actions start in db 0 */
        db[0] = '0';
        sel_lens[1] = 1;
        rc = ctl_call(rp, 2, sel, sel_lens, &r);
        free(r);
    }
    return rc < 0 ? FR_ERR_IO : FR_OK;
refused:
    snprintf(rp->res->err, sizeof rp->res->err, "flush refused: %.*s", (int)strcspn(r, "\r\n"), r);
    free(r);
    return FR_ERR_REPLY;
}

/* An ACTION: what the test did through the API, done again. */
static int reenact(replay *rp, const fr_rec_event *ev)
{
    if (is_control(ev) && !target_is_fake(rp)) {
        rp->res->actions_skipped++;
        return FR_OK;
    }
    if (ctl_call(rp, ev->argc, ev->argv, ev->argvlen, NULL) < 0)
        return FR_ERR_IO;
    rp->res->actions++;
    return FR_OK;
}

static int on_command(replay *rp, rconn *c, const fr_rec_event *ev, int64_t t0)
{
    fr_replay_result *res = rp->res;
    int why = -1;
    if (is_control(ev))
        why = !is_clock_move(ev)    ? FR_REPLAY_SKIP_CONTROL
              : !target_is_fake(rp) ? FR_REPLAY_SKIP_NOT_FAKE
                                    : -1;
    if (why < 0 && c && c->broken)
        why = FR_REPLAY_SKIP_BROKEN;
    if (why < 0 && (!c || c->fd < 0) && !(c && c->faulted)) {
        c = open_conn(rp, ev->conn);
        if (!c)
            return FR_ERR_IO;
    }
    if (why < 0 && c->fd < 0)
        why = FR_REPLAY_SKIP_FAULT; /* the fault closed it */
    if (why >= 0) {
        res->commands_skipped++;
        if (c) {
            c->last = LAST_SKIPPED;
            c->last_why = why;
        }
        return FR_OK;
    }
    if (rp->o->timing) {
        double speed = rp->o->speed > 0 ? rp->o->speed : 1;
        fr__harness_sleep_us(t0 + (int64_t)((double)ev->time_us / speed) - fr__harness_mono_us());
    }
    free(c->last_cmd);
    c->last_cmd = cmd_text(ev);
    if (send_argv(c, ev->argc, ev->argv, ev->argvlen) < 0) {
        snprintf(res->err, sizeof res->err, "connection %llu: send failed: %s",
                 (unsigned long long)c->id, strerror(errno));
        return FR_ERR_IO;
    }
    res->commands++;
    c->last = LAST_SENT;
    c->hello = ev->argvlen[0] == 5 && !strncasecmp(ev->argv[0], "hello", 5);
    return FR_OK;
}

/* A recorded REPLY or PUSH: compared, or skipped with its reason. */
static void on_output(replay *rp, rconn *c, const fr_rec_event *ev)
{
    rp->res->outputs++;
    if (!c) {
        skip(rp, FR_REPLAY_SKIP_NO_COMMAND);
        return;
    }
    int last = c->last;
    if (ev->type == FR_REC_REPLY)
        c->last = LAST_NONE; /* one reply per command */
    if (c->faulted) {
        skip(rp, FR_REPLAY_SKIP_FAULT);
    } else if (c->broken || c->fd < 0) {
        skip(rp, FR_REPLAY_SKIP_BROKEN);
    } else if (ev->type == FR_REC_PUSH || last == LAST_SENT) {
        compare(rp, c, ev);
    } else {
        skip(rp, last == LAST_SKIPPED ? c->last_why : FR_REPLAY_SKIP_NO_COMMAND);
    }
}

int fr_replay(const char *path, const fr_replay_options *o, fr_replay_result *res)
{
    if (!res)
        return FR_ERR_ARG;
    memset(res, 0, sizeof *res);
    if (!path || !o || o->port <= 0 || o->port > 65535 || o->flush < FR_REPLAY_FLUSH_NONE ||
        o->flush > FR_REPLAY_FLUSH_DB || (o->flush == FR_REPLAY_FLUSH_DB && o->flush_db < 0)) {
        snprintf(res->err, sizeof res->err, "a recording and a port are needed");
        return FR_ERR_ARG;
    }
    fr_recording *rec = NULL;
    int rc = fr_recording_open(path, &rec, res->err, sizeof res->err);
    if (rc != FR_OK)
        return rc;
    replay rp;
    memset(&rp, 0, sizeof rp);
    rp.o = o;
    rp.res = res;
    rp.max_diffs = o->max_diffs ? o->max_diffs : 10;
    rp.timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 5000;
    rp.ctl.fd = -1;
    rp.is_fake = -1;
    if (o->flush)
        rc = flush_target(&rp);
    int64_t t0 = fr__harness_mono_us();
    const fr_rec_event *ev;
    int r = 0;
    while (rc == FR_OK && (r = fr_recording_next(rec, &ev)) == 1) {
        rconn *c = find_conn(&rp, ev->conn);
        switch (ev->type) {
        case FR_REC_CONNECT:
            if (!open_conn(&rp, ev->conn))
                rc = FR_ERR_IO;
            break;
        case FR_REC_COMMAND:
            rc = on_command(&rp, c, ev, t0);
            break;
        case FR_REC_ACTION:
            if (o->timing) {
                double speed = o->speed > 0 ? o->speed : 1;
                fr__harness_sleep_us(t0 + (int64_t)((double)ev->time_us / speed) -
                                     fr__harness_mono_us());
            }
            rc = reenact(&rp, ev);
            break;
        case FR_REC_REPLY:
        case FR_REC_PUSH:
            on_output(&rp, c, ev);
            break;
        case FR_REC_FAULT:
            if (c)
                c->faulted = 1;
            break;
        case FR_REC_DISCONNECT:
            if (c)
                conn_close(c);
            break;
        default:
            break;
        }
    }
    if (rc == FR_OK && r < 0) {
        snprintf(res->err, sizeof res->err, "%s", fr_recording_errstr(rec));
        rc = FR_ERR_PARSE;
    }
    res->truncated = fr_recording_torn(rec, NULL);
    fr_recording_close(rec);
    for (size_t i = 0; i < rp.n; i++) {
        conn_close(&rp.conns[i]);
        free(rp.conns[i].rbuf);
        free(rp.conns[i].last_cmd);
    }
    conn_close(&rp.ctl);
    free(rp.ctl.rbuf);
    free(rp.conns);
    return rc;
}

const char *fr_replay_skip_name(int reason)
{
    switch (reason) {
    case FR_REPLAY_SKIP_FAULT:
        return "fault";
    case FR_REPLAY_SKIP_CONTROL:
        return "control";
    case FR_REPLAY_SKIP_NOT_FAKE:
        return "not a fake";
    case FR_REPLAY_SKIP_BROKEN:
        return "out of step";
    case FR_REPLAY_SKIP_NO_COMMAND:
        return "no command";
    default:
        return "?";
    }
}

void fr_replay_result_free(fr_replay_result *res)
{
    if (!res)
        return;
    for (size_t i = 0; i < res->ndiffs; i++) {
        free(res->diffs[i].command);
        free(res->diffs[i].expected);
        free(res->diffs[i].got);
    }
    free(res->diffs);
    res->diffs = NULL;
    res->ndiffs = 0;
}

/* ---- playback ------------------------------------------------------------- */

/* A step being built: the command, then what the client received. */
typedef struct pending_step {
    uint64_t conn;
    uint32_t index;
    int have;
    int argc;
    char **argv;
    size_t *lens;
    int64_t cmd_us, first_out_us;
    fr_buf out; /* what the client received after the command */
} pending_step;

static void step_clear(pending_step *s)
{
    for (int i = 0; i < s->argc; i++)
        free(s->argv[i]);
    free(s->argv);
    free(s->lens);
    fr__buf_free(&s->out);
    s->argv = NULL;
    s->lens = NULL;
    s->argc = 0;
    s->have = 0;
    s->first_out_us = -1;
}

static int step_flush(fr_server *srv, pending_step *s, int timing)
{
    if (!s->have)
        return FR_OK;
    int64_t delay = timing && s->first_out_us >= 0 ? s->first_out_us - s->cmd_us : 0;
    int rc = fr_playback_add(srv, s->index, s->argc, (const char *const *)s->argv, s->lens,
                             s->out.p, s->out.len, delay);
    step_clear(s);
    return rc;
}

int fr_playback_load(fr_server *srv, const char *path, int with_timing)
{
    fr_playback_options o = {.timing = with_timing};
    return fr_playback_load_opts(srv, path, &o);
}

int fr_playback_load_opts(fr_server *srv, const char *path, const fr_playback_options *opts)
{
    static const fr_playback_options none;
    if (!opts)
        opts = &none;
    int with_timing = opts->timing;
    if (!srv || !path)
        return FR_ERR_ARG;
    fr_recording *rec = NULL;
    int rc = fr_recording_open(path, &rec, NULL, 0);
    if (rc != FR_OK)
        return rc;
    pending_step *steps = NULL; /* one per recorded connection */
    size_t n = 0;
    const fr_rec_event *ev;
    int r;
    while (rc == FR_OK && (r = fr_recording_next(rec, &ev)) == 1) {
        pending_step *s = NULL;
        for (size_t i = 0; i < n; i++)
            if (steps[i].conn == ev->conn)
                s = &steps[i];
        if (ev->type == FR_REC_CONNECT) {
            if (s)
                continue;
            steps = fr__xrealloc(steps, (n + 1) * sizeof *steps);
            s = &steps[n];
            memset(s, 0, sizeof *s);
            s->conn = ev->conn;
            s->index = (uint32_t)n;
            s->first_out_us = -1;
            n++;
            continue;
        }
        if (!s)
            continue;
        if (ev->type == FR_REC_COMMAND) {
            if (is_control(ev))
                continue;
            rc = step_flush(srv, s, with_timing);
            if (rc != FR_OK)
                break;
            s->have = 1;
            s->argc = ev->argc;
            s->argv = fr__xcalloc((size_t)ev->argc, sizeof *s->argv);
            s->lens = fr__xcalloc((size_t)ev->argc, sizeof *s->lens);
            for (int i = 0; i < ev->argc; i++) {
                s->argv[i] = fr__xmemdup(ev->argv[i], ev->argvlen[i]);
                s->lens[i] = ev->argvlen[i];
            }
            s->cmd_us = ev->time_us;
        } else if ((ev->flags & FR_REC_SENT) && s->have &&
                   (ev->type == FR_REC_REPLY || ev->type == FR_REC_PUSH ||
                    ev->type == FR_REC_WIRE)) {
            fr__buf_append(&s->out, ev->data, ev->len);
            if (s->first_out_us < 0)
                s->first_out_us = ev->time_us;
        }
    }
    if (rc == FR_OK && r < 0)
        rc = FR_ERR_PARSE;
    for (size_t i = 0; i < n; i++) {
        if (rc == FR_OK)
            rc = step_flush(srv, &steps[i], with_timing);
        step_clear(&steps[i]);
    }
    free(steps);
    fr_recording_close(rec);
    if (rc == FR_OK)
        rc = fr_playback_begin_opts(srv, opts);
    return rc;
}
