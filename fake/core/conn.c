/* Connections: reading and parsing, the output stage, deferred close. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "command.h"
#include "conn.h"
#include "multi.h"
#include "reply.h"
#include "stage.h"


#define READ_CHUNK (16 * 1024)
#define IOV_BATCH 64 /* buffers per sendmsg */

static void on_read(evutil_socket_t fd, short what, void *arg);
static void on_turn(evutil_socket_t fd, short what, void *arg);
static void on_write(evutil_socket_t fd, short what, void *arg);

static void format_addr(const struct sockaddr_storage *ss, socklen_t len, char *out,
                        size_t cap)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
        snprintf(out, cap, "%s:%d", ip, ntohs(a->sin_port));
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
        /* as Redis' CLIENT LIST and MONITOR: "[::1]:5555" */
        snprintf(out, cap, "[%s]:%d", ip, ntohs(a->sin6_port));
    } else if (ss->ss_family == AF_UNIX) {
        const struct sockaddr_un *a = (const struct sockaddr_un *)ss;
        size_t n = len > offsetof(struct sockaddr_un, sun_path)
                       ? len - offsetof(struct sockaddr_un, sun_path)
                       : 0;
        snprintf(out, cap, "%.*s:0", (int)strnlen(a->sun_path, n), a->sun_path);
    } else {
        snprintf(out, cap, "?:0");
    }
}

fr_conn *fr__conn_new(fr_server *srv, int fd, unsigned flags)
{
    return fr__conn_new_peer(srv, fd, flags, NULL, 0);
}

fr_conn *fr__conn_new_peer(fr_server *srv, int fd, unsigned flags, const void *peer,
                           unsigned peerlen)
{
    fr_conn *c = fr__xcalloc(1, sizeof *c);
    c->srv = srv;
    c->fd = fd;
    /* the fr_exec pseudo client is not a client Redis would number */
    c->id = (flags & FR_CONN_PSEUDO) ? 0 : ++srv->next_id;
    c->flags = flags;
    /* As Redis: a client that connects while the default user needs no
     * password is logged in, and stays so if requirepass is set later. */
    if (!fr__default_locked(srv))
        c->flags |= FR_CONN_AUTHED;
    c->resp = 2;
    fr__parser_init(&c->parser);
    c->out = evbuffer_new();
    c->ctime_ms = fr__real_ms();
    c->last_ms = fr__mono_ms();
    if (!c->out) {
        free(c);
        return NULL;
    }
    if (fd >= 0) {
        c->rev = event_new(srv->base, fd, EV_READ | EV_PERSIST, on_read, c);
        c->wev = event_new(srv->base, fd, EV_WRITE | EV_PERSIST, on_write, c);
        if (!c->rev || !c->wev || event_add(c->rev, NULL) < 0) {
            if (c->rev)
                event_free(c->rev);
            if (c->wev)
                event_free(c->wev);
            evbuffer_free(c->out);
            fr__parser_free(&c->parser);
            free(c);
            return NULL;
        }
    }
    if (peer)
        format_addr(peer, (socklen_t)peerlen, c->addr, sizeof c->addr);
    c->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = c;
    srv->conns = c;
    srv->nconns++;
    fr__stage_open(c);
    if (!(flags & FR_CONN_PSEUDO))
        fr__notify(srv);
    return c;
}

/* Addresses are looked up when someone asks (CLIENT LIST, a rule that
 * matches addr=, the recorder), not at accept: two system calls less per
 * connection, which a test suite opening thousands of them notices. */
static void resolve_addrs(fr_conn *c)
{
    if (c->addrs_known || c->fd < 0)
        return;
    c->addrs_known = 1;
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (!c->addr[0] && getpeername(c->fd, (struct sockaddr *)&ss, &len) == 0)
        format_addr(&ss, len, c->addr, sizeof c->addr);
    len = sizeof ss;
    if (getsockname(c->fd, (struct sockaddr *)&ss, &len) == 0) {
        format_addr(&ss, len, c->laddr, sizeof c->laddr);
        if (ss.ss_family == AF_UNIX)
            c->flags |= FR_CONN_UNIX;
    }
    if (c->flags & FR_CONN_UNIX) /* Redis shows unix clients by the path */
        snprintf(c->addr, sizeof c->addr, "%s", c->laddr);
}

/* The addresses are a cache of what the socket says, not state: filling
 * them in is allowed through a const pointer. */
const char *fr__conn_addr(const fr_conn *c)
{
    /* the peer came with accept: the journal's connect entry needs no
     * getsockname */
    if (!c->addr[0])
        resolve_addrs((fr_conn *)c);
    return c->addr;
}

const char *fr__conn_laddr(const fr_conn *c)
{
    resolve_addrs((fr_conn *)c);
    return c->laddr;
}

void fr__conn_set_peer(fr_conn *c, const void *sa, unsigned len)
{
    format_addr(sa, (socklen_t)len, c->addr, sizeof c->addr);
}

/* O(1): closing every client at once (FAKE.KILL ALL after a PUBLISH to
 * all of them) must not walk the pending list once per client. */
static void unlink_pending(fr_conn *c)
{
    if (!c->pending)
        return;
    *c->pending_pprev = c->pending_next;
    if (c->pending_next)
        c->pending_next->pending_pprev = c->pending_pprev;
    c->pending = 0;
}

void fr__conn_free(fr_conn *c)
{
    fr_server *srv = c->srv;
    fr__stage_close(c);
    fr__multi_discard(c);
    unlink_pending(c);
    if (c->prev)
        c->prev->next = c->next;
    else if (srv->conns == c)
        srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    srv->nconns--;
    if (!(c->flags & FR_CONN_PSEUDO))
        fr__notify(srv);
    if (c->rev)
        event_free(c->rev);
    if (c->wev)
        event_free(c->wev);
    if (c->turn_ev)
        event_free(c->turn_ev);
    if (c->fd >= 0)
        close(c->fd);
    evbuffer_free(c->out);
    fr__buf_free(&c->obuf);
    fr__parser_free(&c->parser);
    fr__buf_free(&c->in);
    fr__buf_free(&c->reply);
    free(c->name);
    free(c->lib_name);
    free(c->lib_ver);
    free(c);
}

void fr__conn_close_async(fr_conn *c)
{
    if (c->flags & FR_CONN_CLOSE_ASAP)
        return;
    c->flags |= FR_CONN_CLOSE_ASAP;
    if (c->turn_ev)
        event_del(c->turn_ev);
    if (c->rev)
        event_del(c->rev);
    if (c->wev)
        event_del(c->wev);
    c->close_next = c->srv->to_close;
    c->srv->to_close = c;
    event_active(c->srv->reaper_ev, EV_TIMEOUT, 0);
}

static void mark_pending(fr_conn *c)
{
    if (c->pending || c->fd < 0)
        return;
    c->pending = 1;
    c->pending_next = c->srv->pending;
    if (c->pending_next)
        c->pending_next->pending_pprev = &c->pending_next;
    c->pending_pprev = &c->srv->pending;
    c->srv->pending = c;
}

/* Small replies wait in the connection's own buffer (c->obuf), as Redis'
 * 16 KB c->buf: a reply then costs a memcpy, not an allocation of an
 * evbuffer chain (callgrind: a malloc and a free per GET once replies
 * wait for the flush). Bytes go to the evbuffer behind it once it holds
 * anything (order), or when they would not fit. */
#define OBUF_MAX (16 * 1024)

/* Bytes in c->out: asked of libevent only when some went there. */
static size_t chained_len(const fr_conn *c)
{
    return (c->flags & FR_CONN_OUT_CHAINED) ? evbuffer_get_length(c->out) : 0;
}

size_t fr__conn_out_len(const fr_conn *c)
{
    return c->obuf.len - c->obuf_sent + chained_len(c);
}

/* Bytes that passed the output stage go to the socket queue. */
void fr__conn_enqueue(fr_conn *c, const void *p, size_t n)
{
    if (n == 0 || (c->flags & FR_CONN_CLOSE_ASAP))
        return;
    fr__stage_wire(c, p, n);
    if (c->fd >= 0 && chained_len(c) == 0 && c->obuf.len + n <= OBUF_MAX) {
        fr__buf_append(&c->obuf, p, n);
    } else {
        evbuffer_add(c->out, p, n);
        c->flags |= FR_CONN_OUT_CHAINED;
    }
    mark_pending(c);
}

static void free_handed_over(const void *data, size_t len, void *extra)
{
    (void)len;
    (void)extra;
    free((void *)data);
}

/* fr__conn_enqueue for a large reply: its buffer joins the socket queue
 * as it is, leaving r empty. KEYS * of a million keys is 20 MB, and
 * copying it cost as much as building it. */
static void enqueue_handover(fr_conn *c, fr_buf *r)
{
    if (c->flags & FR_CONN_CLOSE_ASAP)
        return;
    fr__stage_wire(c, r->p, r->len);
    if (evbuffer_add_reference(c->out, r->p, r->len, free_handed_over, NULL) != 0)
        evbuffer_add(c->out, r->p, r->len); /* a copy; r's buffer is freed by the caller */
    else
        *r = (fr_buf){0};
    c->flags |= FR_CONN_OUT_CHAINED;
    mark_pending(c);
}

void fr__conn_commit_reply(fr_conn *c)
{
    fr_buf *r = &c->reply;
    if (r->len && !(c->flags & (FR_CONN_REPLY_OFF | FR_CONN_REPLY_SKIP))) {
        if (fr__stage_output(c, r->p, r->len))
            ;
        else if (r->len > 64 * 1024)
            enqueue_handover(c, r);
        else
            fr__conn_enqueue(c, r->p, r->len);
    }
    /* don't let one huge reply pin its memory for the conn's lifetime */
    if (r->cap > 64 * 1024)
        fr__buf_free(r);
    else
        fr__buf_clear(r);
}

void fr__conn_push_from_reply(fr_conn *c, size_t start)
{
    fr_buf *r = &c->reply;
    if (start >= r->len)
        return;
    if (!fr__stage_output(c, r->p + start, r->len - start))
        fr__conn_enqueue(c, r->p + start, r->len - start);
    r->len = start;
    r->p[start] = '\0';
}

void fr__conn_add_shared(fr_conn *c, const void *p, size_t n,
                         void (*release)(const void *, size_t, void *), void *ctx)
{
    if (c->flags & FR_CONN_CLOSE_ASAP) {
        release(p, n, ctx);
        return;
    }
    if (fr__stage_output(c, p, n)) {
        release(p, n, ctx); /* the output stage copied what it needed */
        return;
    }
    fr__stage_wire(c, p, n);
    if (evbuffer_add_reference(c->out, p, n, release, ctx) < 0) {
        release(p, n, ctx);
        return;
    }
    c->flags |= FR_CONN_OUT_CHAINED;
    mark_pending(c);
}

static void wrote(fr_conn *c, size_t n)
{
    /* Redis counts writes as activity too; the flush's reading stamps it */
    c->last_ms = c->srv->now_us / 1000;
    c->tot_out += (uint64_t)n;
    c->srv->stats.net_out += (uint64_t)n;
}

/* The connection's own buffer first (it holds the oldest bytes). Returns
 * 1 when it is empty, 0 when the socket is full, -1 on an error. */
static int write_obuf(fr_conn *c)
{
    while (c->obuf_sent < c->obuf.len) {
        ssize_t n = send(c->fd, c->obuf.p + c->obuf_sent, c->obuf.len - c->obuf_sent,
                         MSG_NOSIGNAL); /* no SIGPIPE in the host: see send_out */
        if (n < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
        c->obuf_sent += (size_t)n;
        wrote(c, (size_t)n);
    }
    c->obuf.len = c->obuf_sent = 0;
    return 1;
}

/* evbuffer_write() is writev(): a peer that closed would raise SIGPIPE in
 * the test process that hosts the server (a library must not kill its
 * host). The same gather-write with MSG_NOSIGNAL. */
static ssize_t send_out(fr_conn *c)
{
    struct evbuffer_iovec v[IOV_BATCH];
    struct iovec iov[IOV_BATCH];
    int n = evbuffer_peek(c->out, -1, NULL, v, IOV_BATCH);
    if (n > IOV_BATCH)
        n = IOV_BATCH;
    for (int i = 0; i < n; i++) {
        iov[i].iov_base = v[i].iov_base;
        iov[i].iov_len = v[i].iov_len;
    }
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = iov;
    m.msg_iovlen = (size_t)n;
    ssize_t w = sendmsg(c->fd, &m, MSG_NOSIGNAL);
    if (w > 0)
        evbuffer_drain(c->out, (size_t)w);
    return w;
}

/* What one connection may make the loop do in one turn, so that one
 * client cannot stall the others. Redis runs everything it read (16 KB)
 * at once; 16 KB of "LRANGE big 0 -1" is a thousand replies of hundreds
 * of KB, and a client that pipelined them without reading stalled every
 * other client for seconds (issue 17's network fuzzer: 9 s). So a turn of
 * input ends after 1 MB of new output or 5 ms of commands, and the rest
 * runs in a later loop iteration, after the other ready clients; nothing
 * more is read from that socket meanwhile, so TCP holds the pipeline
 * back. Every command still runs, in order, as in Redis, and output is
 * never a reason to stop reading (a client that pipelines everything
 * before it reads a reply must not deadlock). A turn of output writes at
 * most 1 MB (Redis: 64 KB, NET_MAX_WRITES_PER_EVENT), so a fast reader of
 * a huge backlog does not stall the others either. */
#define TURN_OUT_BYTES (1024 * 1024)
#define TURN_US 5000

/* Wait for the socket to take more, or stop waiting: libevent is asked
 * only when that changes (most replies leave at the first write). */
static void want_write(fr_conn *c, int on)
{
    if (!on == !(c->flags & FR_CONN_WANT_WRITE))
        return;
    if (on) {
        event_add(c->wev, NULL);
        c->flags |= FR_CONN_WANT_WRITE;
    } else {
        event_del(c->wev);
        c->flags &= ~(unsigned)FR_CONN_WANT_WRITE;
    }
}

static void write_out(fr_conn *c)
{
    if (c->flags & FR_CONN_CLOSE_ASAP)
        return;
    int rc = write_obuf(c);
    if (rc <= 0) {
        if (rc < 0)
            fr__conn_close_async(c);
        else
            want_write(c, 1);
        return;
    }
    size_t turn = 0;
    while (chained_len(c) > 0 && turn < TURN_OUT_BYTES) {
        ssize_t n = send_out(c);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                want_write(c, 1);
                return;
            }
            fr__conn_close_async(c);
            return;
        }
        if (n == 0)
            break;
        wrote(c, (size_t)n);
        turn += (size_t)n;
    }
    if (chained_len(c) == 0) {
        c->flags &= ~(unsigned)FR_CONN_OUT_CHAINED;
        want_write(c, 0);
        if (c->flags & FR_CONN_CLOSE_AFTER_REPLY)
            fr__conn_close_async(c);
    } else {
        want_write(c, 1);
    }
}

/* Output is written once per loop iteration, as Redis writes in
 * beforeSleep: while other events are ready in this iteration (other
 * clients' reads), the flush event is made active, and libevent runs it
 * after them, so fifty PUBLISHes to one subscriber become one write(), not
 * fifty. With nothing else ready, the write happens now: no event costs a
 * dispatch. Timers and fault stages that must put bytes on the wire at a
 * precise moment call fr__flush_pending themselves. */
static void flush_soon(fr_server *srv)
{
    if (!srv->pending || srv->flush_armed)
        return; /* nothing to write, or the flush event is coming anyway */
    if (event_base_get_num_events(srv->base, EVENT_BASE_COUNT_ACTIVE) == 0) {
        fr__flush_pending(srv);
    } else {
        event_active(srv->flush_ev, EV_TIMEOUT, 0);
        srv->flush_armed = 1;
    }
}

void fr__flush_pending(fr_server *srv)
{
    fr_conn *c;
    if (srv->pending)
        srv->now_us = fr__mono_us(); /* one reading stamps the whole batch */
    while ((c = srv->pending)) {
        unlink_pending(c);
        write_out(c);
    }
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
    fr_conn *c = arg;
    c->srv->now_us = fr__mono_us();
    write_out(c);
    fr__flush_pending(c->srv);
}

static int auth_required(const fr_conn *c)
{
    return !(c->flags & FR_CONN_AUTHED) && fr__default_locked(c->srv);
}

/* After each command: CLIENT REPLY SKIP silences exactly one reply. */
static void after_command(fr_conn *c)
{
    c->flags &= ~(unsigned)FR_CONN_REPLY_SKIP;
    if (c->flags & FR_CONN_REPLY_SKIP_NEXT) {
        c->flags |= FR_CONN_REPLY_SKIP;
        c->flags &= ~(unsigned)FR_CONN_REPLY_SKIP_NEXT;
    }
}

#define STOP_FLAGS                                                                   \
    (FR_CONN_CLOSE_AFTER_REPLY | FR_CONN_CLOSE_ASAP | FR_CONN_BLOCKED |              \
     FR_CONN_POSTPONED)

typedef struct turn {
    size_t out0;
    int64_t t0;
} turn;

/* The clock is read after every command: one heavy command (LRANGE of
 * 10,000 elements takes ms under ASan) is enough to end a turn, and the
 * read (vDSO) did not show in redis-benchmark -P 16's server CPU time. */
static int turn_over(fr_conn *c, const turn *t, int64_t now)
{
    return fr__conn_out_len(c) > t->out0 + TURN_OUT_BYTES || now - t->t0 >= TURN_US;
}

/* The rest of the input runs when a zero timer fires: libevent runs timers
 * after the sockets its next poll finds ready, so every other client that
 * is waiting goes first. (Activating the read event instead would put this
 * connection ahead of them again.) */
static void yield_turn(fr_conn *c)
{
    static const struct timeval now = {0, 0};
    if (!c->turn_ev)
        c->turn_ev = evtimer_new(c->srv->base, on_turn, c);
    if (!c->turn_ev)
        abort(); /* out of memory: as every allocation of the server */
    c->flags |= FR_CONN_YIELDED;
    /* nothing is read meanwhile: TCP holds the client back */
    event_del(c->rev);
    evtimer_add(c->turn_ev, &now);
}

/* now: a monotonic reading just taken (the read's, or the caller's). */
static void process_input_at(fr_conn *c, int64_t now_us)
{
    turn t = {fr__conn_out_len(c), now_us};
    int64_t now = t.t0;
    int first = 1;
    while (!(c->flags & STOP_FLAGS) && c->in_off < c->in.len && !c->srv->shut_down) {
        if (!first) {
            now = fr__mono_us();
            if (c->rev && turn_over(c, &t, now)) {
                yield_turn(c);
                break;
            }
        }
        first = 0;
        if (fr__stage_hold_input(c))
            break;
        c->parser.auth_required = auth_required(c);
        c->parser.max_bulk_len = c->srv->cfg.proto_max_bulk_len;
        size_t used = 0;
        int r = fr__parse_request(&c->parser, c->in.p + c->in_off, c->in.len - c->in_off,
                                  &used);
        if (r == FR_PARSE_MORE)
            break;
        if (r == FR_PARSE_ERROR) {
            /* Redis answers the error, then closes once it is written, and
             * ignores anything after the bad bytes. */
            fr__add_error(c, c->parser.err);
            fr__conn_commit_reply(c);
            c->flags |= FR_CONN_CLOSE_AFTER_REPLY;
            c->in_off = c->in.len;
            fr__parser_reset(&c->parser);
            break;
        }
        if (c->parser.argc > 0) {
            c->req_len = used;
            /* the reading just taken times the command too (one clock
             * read per command instead of two) */
            c->srv->cmd_t0_us = now;
            fr__dispatch(c, c->parser.argc, c->parser.argv);
            c->srv->cmd_t0_us = 0;
            if (c->flags & FR_CONN_POSTPONED) {
                fr__parser_reset(&c->parser); /* parse it again on unpause */
                break;
            }
            c->ncmds++;
            after_command(c);
        }
        c->in_off += used;
        fr__parser_reset(&c->parser);
    }
    if (c->in_off == c->in.len) {
        c->in_off = 0;
        fr__buf_clear(&c->in);
        if (c->in.cap > 1024 * 1024)
            fr__buf_free(&c->in);
    }
}

void fr__conn_process_input(fr_conn *c)
{
    process_input_at(c, fr__mono_us());
}

/* Read what has arrived into c->in. Returns 0, or -1 when the connection
 * is gone (EOF or an error: it is closing). */
static int read_socket(fr_conn *c, int64_t now_us)
{
    /* keep the unconsumed bytes at the front so the buffer stays small */
    if (c->in_off && c->in_off * 2 >= c->in.len) {
        fr__buf_consume(&c->in, c->in_off);
        c->in_off = 0;
    }
    /* A big argument still arriving is read in growing pieces (as much as
     * has arrived so far, up to what is left of it), not 16 KB per wake-up
     * of the loop: a 1 MB value takes 7 reads, not 64. A declared length
     * alone allocates nothing: the piece is bounded by the bytes already
     * received. */
    size_t want = READ_CHUNK;
    const fr_parser *ps = &c->parser;
    if (ps->kind == 1 && ps->bulk_len >= 0) {
        size_t have = c->in.len - c->in_off;
        size_t need = ps->pos + (size_t)ps->bulk_len + 2;
        size_t left = need > have ? need - have : 0;
        if (left > want)
            want = left < have ? left : (have > want ? have : want);
    }
    fr__buf_reserve(&c->in, want);
    ssize_t n = read(c->fd, c->in.p + c->in.len, want);
    if (n > 0) {
        c->in.len += (size_t)n;
        c->in.p[c->in.len] = '\0';
        /* any bytes count as activity for `timeout`, as in Redis: a slow,
         * long request is not idle */
        c->last_ms = now_us / 1000;
        c->read_us = now_us;
        c->tot_in += (uint64_t)n;
        c->srv->stats.net_in += (uint64_t)n;
        fr__stage_bytes_in(c, (size_t)n);
    } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        fr__conn_close_async(c);
        return -1;
    }
    return 0;
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
    fr_conn *c = arg;
    /* a connection that used its turn reads nothing until the next one */
    if (c->flags & (FR_CONN_CLOSE_ASAP | FR_CONN_YIELDED))
        return;
    /* one clock reading for the read and the commands it brought */
    int64_t now = fr__mono_us();
    if (!(c->flags & FR_CONN_READ_PAUSED) && read_socket(c, now) < 0)
        return;
    process_input_at(c, now);
    flush_soon(c->srv);
}

/* The next turn of a connection that yielded: what is buffered runs
 * before anything more is read. */
static void on_turn(evutil_socket_t fd, short what, void *arg)
{
    fr_conn *c = arg;
    if (c->flags & FR_CONN_CLOSE_ASAP)
        return;
    c->flags &= ~(unsigned)FR_CONN_YIELDED;
    if (!(c->flags & FR_CONN_READ_PAUSED)) /* paused meanwhile (FAKE.PAUSE) */
        event_add(c->rev, NULL);
    fr__conn_process_input(c);
    flush_soon(c->srv);
}

void fr__on_flush(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    fr_server *srv = arg;
    srv->flush_armed = 0;
    fr__flush_pending(srv);
}

void fr__conn_resume(fr_conn *c)
{
    /* it was waiting on the server, not idle: the cron must not close it
     * before its held command runs */
    c->last_ms = fr__mono_ms();
    if (c->rev && !(c->flags & FR_CONN_CLOSE_ASAP)) {
        event_add(c->rev, NULL);
        /* run what is already buffered without waiting for new bytes */
        event_active(c->rev, EV_READ, 0);
    }
}

fr_conn *fr__conn_by_id(fr_server *srv, uint64_t id)
{
    for (fr_conn *c = srv->conns; c; c = c->next)
        if (c->id == id && !(c->flags & FR_CONN_CLOSE_ASAP))
            return c;
    return NULL;
}

