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

typedef struct rconn {
    uint64_t id;
    int fd;
    int faulted;  /* a rule fired on it: stop comparing */
    int awaiting; /* commands sent whose recorded reply is still ahead */
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
    c->fd = dial(rp->o->host ? rp->o->host : "127.0.0.1", rp->o->port);
    c->awaiting = 0;
    c->rlen = 0;
    return c->fd >= 0 ? c : NULL;
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

static int send_command(rconn *c, const fr_rec_event *ev)
{
    fr_buf b = {0};
    fr__buf_printf(&b, "*%d\r\n", ev->argc);
    for (int i = 0; i < ev->argc; i++) {
        fr__buf_printf(&b, "$%zu\r\n", ev->argvlen[i]);
        fr__buf_append(&b, ev->argv[i], ev->argvlen[i]);
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
        c->faulted = 1;
        conn_close(c);
        return;
    }
    if ((size_t)n != ev->len || memcmp(c->rbuf, ev->data, ev->len) != 0)
        add_diff(rp, c, ev, c->rbuf, (size_t)n);
    memmove(c->rbuf, c->rbuf + n, c->rlen - (size_t)n);
    c->rlen -= (size_t)n;
}

static int is_control(const fr_rec_event *ev)
{
    return ev->argvlen[0] > 5 && !strncasecmp(ev->argv[0], "fake.", 5);
}

int fr_replay(const char *path, const fr_replay_options *o, fr_replay_result *res)
{
    if (!res)
        return FR_ERR_ARG;
    memset(res, 0, sizeof *res);
    if (!path || !o || o->port <= 0 || o->port > 65535) {
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
    int64_t t0 = fr__harness_mono_us();
    const fr_rec_event *ev;
    int r;
    rc = FR_OK;
    while (rc == FR_OK && (r = fr_recording_next(rec, &ev)) == 1) {
        rconn *c = find_conn(&rp, ev->conn);
        switch (ev->type) {
        case FR_REC_CONNECT:
            if (!open_conn(&rp, ev->conn)) {
                snprintf(res->err, sizeof res->err, "cannot connect to %s:%d",
                         o->host ? o->host : "127.0.0.1", o->port);
                rc = FR_ERR_IO;
            }
            break;
        case FR_REC_COMMAND:
            if (is_control(ev)) {
                res->skipped++; /* its recorded reply finds awaiting at 0 */
                break;
            }
            if (!c || c->fd < 0) {
                if (c && c->faulted) {
                    res->skipped++;
                    break;
                }
                c = open_conn(&rp, ev->conn);
                if (!c) {
                    snprintf(res->err, sizeof res->err, "cannot connect to %s:%d",
                             o->host ? o->host : "127.0.0.1", o->port);
                    rc = FR_ERR_IO;
                    break;
                }
            }
            if (o->timing)
                fr__harness_sleep_us(t0 + ev->time_us - fr__harness_mono_us());
            free(c->last_cmd);
            c->last_cmd = cmd_text(ev);
            if (send_command(c, ev) < 0) {
                snprintf(res->err, sizeof res->err, "connection %llu: send failed: %s",
                         (unsigned long long)c->id, strerror(errno));
                rc = FR_ERR_IO;
                break;
            }
            res->commands++;
            c->awaiting++;
            break;
        case FR_REC_REPLY:
        case FR_REC_PUSH:
            if (!c || c->fd < 0)
                break;
            if (c->faulted) {
                res->skipped++;
                break;
            }
            if (ev->type == FR_REC_REPLY) {
                /* a reply to a command we did not send (a control command,
                 * or one before the recording started) */
                if (c->awaiting <= 0)
                    break;
                c->awaiting--;
            }
            compare(&rp, c, ev);
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
    free(rp.conns);
    return rc;
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
    int rc = fr_playback_add(srv, s->index, s->argc, (const char *const *)s->argv, s->lens, s->out.p,
                             s->out.len, delay);
    step_clear(s);
    return rc;
}

int fr_playback_load(fr_server *srv, const char *path, int with_timing)
{
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
        rc = fr_playback_begin(srv, with_timing);
    return rc;
}
