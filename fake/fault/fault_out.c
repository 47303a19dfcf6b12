/* The fault output queue of one connection.
 *
 * A rule that changes a reply or a push turns it into segments: bytes with
 * a time they may leave (due, or a gap after the previous segment), and
 * the operations that end or pause the stream (FIN, RST, half-close, stall
 * until a rule is cleared). While a connection has segments queued, every
 * later reply and push queues behind them, so per-connection order never
 * changes. The queue drains from a timer, through fr__conn_enqueue, in
 * whatever callback is current: never from inside the dispatcher. */
#include <linux/sockios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core.h"
#include "fault_engine.h"
#include "resp.h"

/* Before an RST, wait (polling every ms, at most this long) until the
 * peer acknowledged what was written: SO_LINGER 0 drops unsent bytes, and
 * "the first half, then a reset" must deliver the first half. */
#define RST_DRAIN_POLLS 500

static fr_fault_seg *seg_new(int op, const void *p, size_t n)
{
    fr_fault_seg *s = fr__xcalloc(1, sizeof *s + n);
    s->op = op;
    s->len = n;
    if (n)
        memcpy(s->data, p, n);
    return s;
}

static void append(struct fr_fault_conn *fc, fr_fault_seg *s)
{
    if (fc->tail)
        fc->tail->next = s;
    else
        fc->head = s;
    fc->tail = s;
}

static void pop(struct fr_fault_conn *fc)
{
    fr_fault_seg *s = fc->head;
    fc->head = s->next;
    if (!fc->head)
        fc->tail = NULL;
    free(s);
}

void fr__fault_queue_free(struct fr_fault_conn *fc)
{
    while (fc->head)
        pop(fc);
}

static void timer_in(struct fr_fault_conn *fc, int64_t ms)
{
    if (ms < 0)
        ms = 0;
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};
    event_add(fc->out_ev, &tv);
}

static int64_t release_time(const struct fr_fault_conn *fc, const fr_fault_seg *s)
{
    int64_t t = fc->last_release + s->gap_ms;
    return s->due_ms > t ? s->due_ms : t;
}

/* Arm the timer for the head of the queue. */
static void schedule(fr_conn *c)
{
    struct fr_fault_conn *fc = c->fault;
    fr_fault_seg *s = fc->head;
    if (!s)
        return;
    if (s->op == FR_SEG_STALL && fr__fault_find(c->srv->faults, s->rule))
        return; /* fr__fault_kick() when the rule goes */
    timer_in(fc, s->op == FR_SEG_DATA ? release_time(fc, s) - fr__mono_ms() : 0);
}

void fr__fault_kick(fr_conn *c)
{
    if (c->fault && c->fault->head)
        timer_in(c->fault, 0);
}

void fr__fault_queue_data(fr_conn *c, const void *p, size_t n, int64_t due_ms, int64_t gap_ms)
{
    struct fr_fault_conn *fc = fr__fault_conn_get(c);
    if (fc->wr_shut || n == 0)
        return;
    int64_t now = fr__mono_ms();
    if (!fc->head && due_ms <= now && (gap_ms == 0 || now >= fc->last_release + gap_ms)) {
        fr__conn_enqueue(c, p, n); /* nothing to wait for */
        fc->last_release = now;
        return;
    }
    fr_fault_seg *s = seg_new(FR_SEG_DATA, p, n);
    s->due_ms = due_ms;
    s->gap_ms = gap_ms;
    int first = !fc->head;
    append(fc, s);
    if (first)
        schedule(c);
}

void fr__fault_queue_op(fr_conn *c, int op, uint64_t rule)
{
    struct fr_fault_conn *fc = fr__fault_conn_get(c);
    if (fc->wr_shut && op != FR_SEG_FIN && op != FR_SEG_RST)
        return;
    fr_fault_seg *s = seg_new(op, NULL, 0);
    s->rule = rule;
    int first = !fc->head;
    append(fc, s);
    if (first)
        schedule(c);
}

static void drain_input(int fd)
{
    char junk[4096];
    while (read(fd, junk, sizeof junk) > 0)
        ;
}

void fr__fault_fin_now(fr_conn *c)
{
    if (c->fd >= 0) {
        shutdown(c->fd, SHUT_WR);
        /* unread input would turn close() into an RST */
        drain_input(c->fd);
    }
    fr__conn_close_async(c);
}

void fr__fault_rst_now(fr_conn *c)
{
    if (c->fd >= 0) {
        struct linger lg = {1, 0};
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    fr__conn_close_async(c);
}

/* 1 when everything written so far left the socket (and, for an RST,
 * reached the peer); otherwise try again in a millisecond. */
static int drained(fr_conn *c, int for_rst)
{
    struct fr_fault_conn *fc = c->fault;
    if (fr__conn_out_len(c) > 0)
        fr__flush_pending(c->srv);
    if (c->flags & FR_CONN_CLOSE_ASAP)
        return 1;
    int pending = 0;
    if (fr__conn_out_len(c) > 0)
        pending = 1;
    else if (for_rst && c->fd >= 0 && ioctl(c->fd, SIOCOUTQ, &pending) < 0)
        pending = 0;
    if (pending && fc->waits++ < RST_DRAIN_POLLS) {
        timer_in(fc, 1);
        return 0;
    }
    fc->waits = 0;
    return 1;
}

void fr__fault_out_timer(fr_conn *c)
{
    struct fr_fault_conn *fc = c->fault;
    fr_server *srv = c->srv;
    while (fc->head && !(c->flags & FR_CONN_CLOSE_ASAP)) {
        fr_fault_seg *s = fc->head;
        int64_t now = fr__mono_ms();
        if (s->op == FR_SEG_STALL) {
            if (fr__fault_find(srv->faults, s->rule))
                break;
            pop(fc);
            continue;
        }
        if (s->op == FR_SEG_DATA) {
            int64_t t = release_time(fc, s);
            if (t > now) {
                timer_in(fc, t - now);
                break;
            }
            fr__conn_enqueue(c, s->data, s->len);
            fc->last_release = now;
            pop(fc);
            if (fc->head && fc->head->op == FR_SEG_DATA && fc->head->gap_ms > 0) {
                /* a fragment: let this one go out on its own first */
                timer_in(fc, fc->head->gap_ms);
                break;
            }
            continue;
        }
        if (!drained(c, s->op == FR_SEG_RST))
            break;
        int op = s->op;
        if (op == FR_SEG_SHUT) {
            if (c->fd >= 0)
                shutdown(c->fd, SHUT_WR);
            fc->wr_shut = 1;
            fr__fault_queue_free(fc);
            break;
        }
        fr__fault_queue_free(fc);
        if (op == FR_SEG_FIN)
            fr__fault_fin_now(c);
        else
            fr__fault_rst_now(c);
        break;
    }
    if (c->flags & FR_CONN_CLOSE_ASAP)
        fr__fault_queue_free(fc);
    fr__flush_pending(srv);
}

/* ---- positions inside a reply ------------------------------------------------ */

size_t fr__fault_resolve_pos(const fr_fault_pos *pos, int cut, const char *p, size_t n)
{
    size_t off = 0;
    switch (pos->kind) {
    case FR_FAULT_POS_DEFAULT:
        return cut ? n / 2 : 0;
    case FR_FAULT_POS_BYTE:
        return pos->n < n ? (size_t)pos->n : n;
    case FR_FAULT_POS_HALF:
        return n / 2;
    case FR_FAULT_POS_LAST:
        return n ? n - 1 : 0;
    case FR_FAULT_POS_FRAME:
        for (uint64_t k = 0; k < pos->n && off < n; k++) {
            long len = fr__resp_frame_len(p + off, n - off);
            if (len <= 0)
                return n;
            off += (size_t)len;
        }
        return off;
    case FR_FAULT_POS_ELEM: {
        size_t start = 0, len = n;
        if (n && strchr("*%~>|", p[0])) {
            const char *crlf = memchr(p, '\n', n);
            if (!crlf)
                return cut ? n / 2 : 0;
            off = (size_t)(crlf - p) + 1;
            for (uint64_t k = 1;; k++) {
                long l = fr__resp_frame_len(p + off, n - off);
                if (l <= 0)
                    return cut ? n : (n ? n - 1 : 0);
                if (k == pos->n) {
                    start = off;
                    len = (size_t)l;
                    break;
                }
                off += (size_t)l;
            }
        }
        return cut ? start + len / 2 : start;
    }
    }
    return 0;
}

/* ---- applying an action -------------------------------------------------------- */

static void slice(fr_conn *c, const char *p, size_t n, size_t size, int64_t gap)
{
    int64_t now = fr__mono_ms();
    for (size_t off = 0; off < n; off += size) {
        size_t k = n - off < size ? n - off : size;
        fr__fault_queue_data(c, p + off, k, off == 0 ? now : 0, off == 0 ? 0 : gap);
    }
}

void fr__fault_apply_output(fr_conn *c, fr_fault *f, int64_t delay_ms, const char *p, size_t n)
{
    const fr_fault_rule *r = &f->spec.r;
    struct fr_fault_conn *fc = fr__fault_conn_get(c);
    int64_t now = fr__mono_ms();
    switch (r->action) {
    case FR_FAULT_DELAY:
        fr__fault_queue_data(c, p, n, now + delay_ms, 0);
        break;
    case FR_FAULT_SLICE:
        slice(c, p, n, r->size ? (size_t)r->size : 1, r->gap_ms ? r->gap_ms : 1);
        break;
    case FR_FAULT_RATE: {
        /* about 100 writes a second, at least one byte each */
        uint64_t chunk = r->bps / 100 ? r->bps / 100 : 1;
        int64_t gap = (int64_t)(chunk * 1000 / r->bps);
        slice(c, p, n, (size_t)chunk, gap ? gap : 1);
        break;
    }
    case FR_FAULT_CUT: {
        size_t m = fr__fault_resolve_pos(&r->at, 1, p, n);
        fr__fault_queue_data(c, p, m, now, 0);
        switch (r->then) {
        case FR_FAULT_STALL:
            fr__fault_queue_op(c, FR_SEG_STALL, f->id);
            fr__fault_queue_data(c, p + m, n - m, 0, 0);
            break;
        case FR_FAULT_RESET:
            fc->ending = 1;
            fr__fault_queue_op(c, FR_SEG_RST, 0);
            break;
        case FR_FAULT_HALFCLOSE:
            fr__fault_queue_op(c, FR_SEG_SHUT, 0);
            break;
        default:
            fc->ending = 1;
            fr__fault_queue_op(c, FR_SEG_FIN, 0);
            break;
        }
        break;
    }
    case FR_FAULT_CORRUPT: {
        if (n == 0)
            break;
        char *b = fr__xmemdup(p, n);
        size_t len = n;
        if (r->how == FR_FAULT_NOLF) {
            if (b[len - 1] == '\n')
                len--;
        } else {
            size_t i = fr__fault_resolve_pos(&r->pos, 0, p, n);
            if (i >= n)
                i = n - 1;
            if (r->how == FR_FAULT_REPLACE)
                b[i] = (char)(r->byte ? r->byte : '?');
            else
                b[i] = (char)~(unsigned char)b[i];
        }
        fr__fault_queue_data(c, b, len, now, 0);
        free(b);
        break;
    }
    case FR_FAULT_DUP:
        fr__fault_queue_data(c, p, n, now, 0);
        fr__fault_queue_data(c, p, n, now, 0);
        break;
    case FR_FAULT_INSERT: {
        const char *t = r->text ? r->text : "injected";
        fr_buf b = {0};
        fr__buf_printf(&b, "%c3\r\n$7\r\nmessage\r\n$5\r\nfault\r\n$%zu\r\n%s\r\n",
                       c->resp == 3 ? '>' : '*', strlen(t), t);
        fr__buf_append(&b, p, n);
        fr__fault_queue_data(c, b.p, b.len, now, 0);
        fr__buf_free(&b);
        break;
    }
    case FR_FAULT_DROP:
        break;
    case FR_FAULT_ERROR: {
        fr_buf b = {0};
        fr__buf_printf(&b, "-%s\r\n", fr__fault_err_text(r->err));
        fr__fault_queue_data(c, b.p, b.len, now, 0);
        fr__buf_free(&b);
        break;
    }
    case FR_FAULT_CLOSE:
    case FR_FAULT_RESET:
        fr__fault_queue_data(c, p, n, now, 0);
        fc->ending = 1;
        fr__fault_queue_op(c, r->action == FR_FAULT_CLOSE ? FR_SEG_FIN : FR_SEG_RST, 0);
        break;
    case FR_FAULT_HALFCLOSE:
        fr__fault_queue_data(c, p, n, now, 0);
        fr__fault_queue_op(c, FR_SEG_SHUT, 0);
        break;
    default:
        fr__fault_queue_data(c, p, n, now, 0);
        break;
    }
}
