/* The recording proxy: each connection of a proxying server gets an
 * upstream connection to a real Redis, and its commands go there instead
 * of to the command table. See include/fakeredis/proxy.h.
 *
 * The connection keeps the fake's path: parsed, through the stages before
 * a command (recorder, faults), then its bytes as received are written
 * upstream (the before-command stage answers "handled"). Upstream's bytes
 * are cut into RESP frames and told apart: a reply to the command in
 * flight goes out through c->reply and fr__conn_commit_reply (recorded as
 * REPLY, under reply rules), anything else (a pub/sub message, a MONITOR
 * line) as a push. One command is in flight at a time (hold_input), as
 * the fake answers one before it parses the next: a reply rule armed by a
 * command then takes that command's reply, even for a pipelining client.
 *
 * How many frames answer a command is known from the command and the
 * connection's state, which the proxy follows from what passes: the
 * subscriptions (for an UNSUBSCRIBE of everything), CLIENT REPLY OFF/SKIP
 * (no reply), MONITOR (a second one is not answered), MULTI. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fakeredis/proxy.h"
#include "record_engine.h"

#define DEFAULT_CONNECT_MS 5000
#define READ_CHUNK (64 * 1024)

struct fr_proxy {
    struct sockaddr_storage addr;
    socklen_t addrlen;
    int connect_ms;
    int active; /* new connections are forwarded */
    uint64_t forwarded, unreachable;
};

/* What a command in flight is, for the state its reply changes. */
enum { K_OTHER, K_MULTI, K_ENDMULTI, K_MONITOR, K_RESET };

typedef struct inflight {
    uint32_t frames; /* how many frames answer it */
    int kind;
} inflight;

/* The subscription kinds, as their confirmations name them. */
enum { S_CHANNEL, S_PATTERN, S_SHARD, S_KINDS };

typedef struct fr_proxy_conn {
    fr_conn *c;
    int fd; /* upstream; -1 once closed */
    int connected;
    int closing; /* upstream is gone: the client is being closed */
    struct event *rev, *wev, *timer;
    struct evbuffer *out; /* bytes for upstream */
    fr_buf in;            /* bytes from upstream, not yet framed */
    inflight q;           /* the command in flight, when busy */
    int busy;
    uint32_t got; /* frames of its reply already in c->reply */
    /* the connection's state upstream, as followed from what passed */
    int reply_off, skip_next, monitor, multi;
    fr_dict subs[S_KINDS]; /* names subscribed, per kind */
} fr_proxy_conn;

/* ---- small RESP helpers ------------------------------------------------- */

/* The header of the aggregate frame p[0..n): its element count and where
 * its first element starts. 0 when p is not an aggregate. */
static int aggregate(const char *p, size_t n, long long *count, size_t *first)
{
    if (!n || !strchr("*>~", p[0]))
        return 0;
    const char *nl = memchr(p, '\n', n);
    if (!nl)
        return 0;
    *count = strtoll(p + 1, NULL, 10);
    *first = (size_t)(nl - p) + 1;
    return 1;
}

/* The k-th element of the aggregate frame p[0..n) as a string (bulk or
 * simple), or 0 when it is none (a nil, a number, no such element). */
static int element(const char *p, size_t n, long long k, const char **s, size_t *len)
{
    long long count;
    size_t off;
    if (!aggregate(p, n, &count, &off) || k >= count)
        return 0;
    for (long long i = 0; i < k; i++) {
        long e = fr__resp_frame_len(p + off, n - off);
        if (e <= 0)
            return 0;
        off += (size_t)e;
    }
    const char *e = p + off, *nl = memchr(e, '\n', n - off);
    if (!nl || nl == e || nl[-1] != '\r')
        return 0;
    if (e[0] == '+') {
        *s = e + 1;
        *len = (size_t)(nl - e) - 2;
        return 1;
    }
    long long blen = e[0] == '$' ? strtoll(e + 1, NULL, 10) : -1;
    if (blen < 0 || (size_t)(nl + 1 - p) + (size_t)blen > n)
        return 0;
    *s = nl + 1;
    *len = (size_t)blen;
    return 1;
}

static int word_is(const char *s, size_t len, const char *w)
{
    return strlen(w) == len && !strncasecmp(s, w, len);
}

/* "subscribe" -> S_CHANNEL and *sub = 1, "punsubscribe" -> S_PATTERN and
 * *sub = 0 ...; -1 for any other word. */
static int sub_word(const char *s, size_t len, int *sub)
{
    static const char *const words[2][S_KINDS] = {{"unsubscribe", "punsubscribe", "sunsubscribe"},
                                                  {"subscribe", "psubscribe", "ssubscribe"}};
    for (int on = 0; on < 2; on++)
        for (int k = 0; k < S_KINDS; k++)
            if (word_is(s, len, words[on][k])) {
                *sub = on;
                return k;
            }
    return -1;
}

static int subscribed(fr_proxy_conn *pc)
{
    for (int k = 0; k < S_KINDS; k++)
        if (fr__dict_size(&pc->subs[k]))
            return 1;
    return 0;
}

/* "+1700000000.123456 [" : how a MONITOR line starts. */
static int monitor_line(const char *p, size_t n)
{
    size_t i = 1;
    while (i < n && p[i] >= '0' && p[i] <= '9')
        i++;
    return i > 1 && i + 8 < n && p[i] == '.' && p[i + 7] == ' ' && p[i + 8] == '[';
}

/* Is frame p[0..n) from upstream a push rather than (part of) a reply? */
static int is_push(fr_proxy_conn *pc, const char *p, size_t n)
{
    const char *w;
    size_t wl;
    int on;
    if (p[0] == '>') /* RESP3: pushes, but the (un)subscribe confirmations */
        return !element(p, n, 0, &w, &wl) || sub_word(w, wl, &on) < 0;
    if (p[0] == '*' && subscribed(pc) && element(p, n, 0, &w, &wl))
        return word_is(w, wl, "message") || word_is(w, wl, "pmessage") ||
               word_is(w, wl, "smessage");
    return p[0] == '+' && pc->monitor && monitor_line(p, n);
}

/* A reply frame that confirms a (un)subscription: follow the set. */
static void note_subscription(fr_proxy_conn *pc, const char *p, size_t n)
{
    const char *w, *ch;
    size_t wl, chl;
    int on;
    if (!element(p, n, 0, &w, &wl))
        return;
    int k = sub_word(w, wl, &on);
    if (k < 0 || !element(p, n, 1, &ch, &chl))
        return; /* not a confirmation, or a nil channel (nothing left) */
    if (on)
        fr__dict_add(&pc->subs[k], ch, chl, NULL);
    else
        fr__dict_delete(&pc->subs[k], ch, chl);
}

/* ---- the upstream connection ------------------------------------------ */

static void on_up_read(evutil_socket_t fd, short what, void *arg);
static void on_up_write(evutil_socket_t fd, short what, void *arg);
static void on_up_timeout(evutil_socket_t fd, short what, void *arg);

static void up_close(fr_proxy_conn *pc)
{
    if (pc->rev)
        event_free(pc->rev);
    if (pc->wev)
        event_free(pc->wev);
    if (pc->timer)
        event_free(pc->timer);
    pc->rev = pc->wev = pc->timer = NULL;
    if (pc->fd >= 0)
        close(pc->fd);
    pc->fd = -1;
}

/* The client gets an RST, as from a server that is not there. */
static void reset_client(fr_conn *c)
{
    struct linger lg = {1, 0};
    if (c->fd >= 0)
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    fr__conn_close_async(c);
}

/* Output that is not the reply of the command in flight. */
static void push(fr_conn *c, const char *p, size_t n)
{
    if (c->flags & FR_CONN_CLOSE_ASAP)
        return;
    if (!fr__stage_output(c, p, n))
        fr__conn_enqueue(c, p, n);
}

/* Upstream went away (reset: it sent an RST): the client gets what came
 * before, then the same end. */
static void upstream_gone(fr_proxy_conn *pc, int reset)
{
    fr_conn *c = pc->c;
    pc->closing = 1;
    up_close(pc);
    if (pc->in.len) /* a frame cut short: pass on what arrived */
        push(c, pc->in.p, pc->in.len);
    fr__buf_clear(&pc->in);
    if (reset) {
        reset_client(c);
        return;
    }
    c->flags |= FR_CONN_CLOSE_AFTER_REPLY; /* FIN once the output is out */
    if (!evbuffer_get_length(c->out) && !c->pending)
        fr__conn_close_async(c);
}

static void up_flush(fr_proxy_conn *pc)
{
    while (evbuffer_get_length(pc->out)) {
        int n = evbuffer_write(pc->out, pc->fd);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            event_add(pc->wev, NULL);
            return;
        }
        if (n <= 0) {
            upstream_gone(pc, 1);
            return;
        }
    }
    event_del(pc->wev);
}

static void unreachable(fr_proxy_conn *pc)
{
    pc->c->srv->proxy->unreachable++;
    pc->closing = 1;
    up_close(pc);
    reset_client(pc->c);
}

static void on_up_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    fr_proxy_conn *pc = arg;
    fr_server *srv = pc->c->srv;
    unreachable(pc);
    fr__flush_pending(srv);
}

static void on_up_write(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    fr_proxy_conn *pc = arg;
    fr_server *srv = pc->c->srv;
    if (!pc->connected) {
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
            unreachable(pc);
            fr__flush_pending(srv);
            return;
        }
        pc->connected = 1;
        event_free(pc->timer);
        pc->timer = NULL;
        event_add(pc->rev, NULL);
    }
    up_flush(pc);
    fr__flush_pending(srv);
}

/* Start connecting upstream for c. Returns 0, or -1 when it failed at
 * once (refused). */
static int up_open(fr_proxy_conn *pc, const struct fr_proxy *p, struct event_base *base)
{
    pc->fd = socket(p->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (pc->fd < 0)
        return -1;
    int one = 1;
    setsockopt(pc->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    pc->rev = event_new(base, pc->fd, EV_READ | EV_PERSIST, on_up_read, pc);
    pc->wev = event_new(base, pc->fd, EV_WRITE | EV_PERSIST, on_up_write, pc);
    pc->timer = event_new(base, -1, 0, on_up_timeout, pc);
    if (!pc->rev || !pc->wev || !pc->timer)
        return -1;
    if (connect(pc->fd, (const struct sockaddr *)&p->addr, p->addrlen) == 0) {
        pc->connected = 1;
        event_free(pc->timer);
        pc->timer = NULL;
        event_add(pc->rev, NULL);
        return 0;
    }
    if (errno != EINPROGRESS)
        return -1;
    struct timeval tv = {p->connect_ms / 1000, (p->connect_ms % 1000) * 1000};
    event_add(pc->wev, NULL);
    event_add(pc->timer, &tv);
    return 0;
}

/* ---- replies ------------------------------------------------------------ */

/* The command in flight is answered (its whole reply is first[0..n)):
 * what the reply changes. */
static void answered(fr_proxy_conn *pc, int kind, const char *first, size_t n)
{
    int ok = n == 5 && !memcmp(first, "+OK\r\n", 5);
    switch (kind) {
    case K_MULTI:
        pc->multi |= ok;
        break;
    case K_ENDMULTI:
        pc->multi = 0;
        break;
    case K_MONITOR:
        pc->monitor |= ok;
        break;
    case K_RESET:
        if (n == 8 && !memcmp(first, "+RESET\r\n", 8)) {
            pc->monitor = pc->multi = pc->reply_off = pc->skip_next = 0;
            for (int k = 0; k < S_KINDS; k++)
                fr__dict_clear(&pc->subs[k]);
        }
        break;
    default:
        break;
    }
}

static void frame(fr_proxy_conn *pc, const char *p, size_t n)
{
    fr_conn *c = pc->c;
    if (is_push(pc, p, n)) {
        push(c, p, n);
        return;
    }
    fr__buf_append(&c->reply, p, n);
    note_subscription(pc, p, n);
    if (!pc->busy) { /* nothing in flight: an unasked reply, pass it on */
        fr__conn_commit_reply(c);
        return;
    }
    if (++pc->got < pc->q.frames)
        return;
    answered(pc, pc->q.kind, c->reply.p, c->reply.len);
    pc->busy = 0;
    pc->got = 0;
    fr__conn_commit_reply(c);
    fr__conn_resume(c); /* the next command may go */
}

static void on_up_read(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    fr_proxy_conn *pc = arg;
    fr_conn *c = pc->c;
    fr_server *srv = c->srv;
    /* a frame still arriving is read in one piece up to its known size */
    fr__buf_reserve(&pc->in, READ_CHUNK);
    ssize_t n = read(fd, pc->in.p + pc->in.len, pc->in.cap - pc->in.len);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) {
        upstream_gone(pc, n < 0 && errno == ECONNRESET);
        fr__flush_pending(srv);
        return;
    }
    pc->in.len += (size_t)n;
    size_t off = 0;
    while (off < pc->in.len && !pc->closing && !(c->flags & FR_CONN_CLOSE_ASAP)) {
        long len = fr__resp_frame_len(pc->in.p + off, pc->in.len - off);
        if (len == 0)
            break;
        if (len < 0) { /* not RESP: pass it on as it is, and stop reading */
            push(c, pc->in.p + off, pc->in.len - off);
            off = pc->in.len;
            upstream_gone(pc, 0);
            break;
        }
        frame(pc, pc->in.p + off, (size_t)len);
        off += (size_t)len;
    }
    if (pc->fd >= 0)
        fr__buf_consume(&pc->in, off);
    fr__flush_pending(srv);
}

/* ---- commands ------------------------------------------------------------ */

/* How many frames will answer argv, and what kind of command it is. */
static uint32_t expect(fr_proxy_conn *pc, int argc, const fr_arg *argv, int *kind)
{
    const fr_arg *a = argv;
    int skip = pc->skip_next;
    pc->skip_next = 0;
    *kind = K_OTHER;
    if (argc == 3 && fr__arg_is(&a[0], "client") && fr__arg_is(&a[1], "reply")) {
        if (fr__arg_is(&a[2], "on")) {
            pc->reply_off = 0;
            return 1;
        }
        if (fr__arg_is(&a[2], "off")) {
            pc->reply_off = 1;
            return 0;
        }
        if (fr__arg_is(&a[2], "skip")) {
            pc->skip_next = !pc->reply_off;
            return 0;
        }
    }
    if (pc->reply_off || skip)
        return 0;
    if (fr__arg_is(&a[0], "exec") || fr__arg_is(&a[0], "discard"))
        *kind = K_ENDMULTI;
    if (pc->multi) /* queued, or refused: one line each */
        return 1;
    if (fr__arg_is(&a[0], "multi"))
        *kind = K_MULTI;
    else if (fr__arg_is(&a[0], "reset"))
        *kind = K_RESET;
    else if (fr__arg_is(&a[0], "monitor")) {
        *kind = K_MONITOR;
        if (pc->monitor && argc == 1)
            return 0; /* Redis does not answer a second MONITOR */
    }
    int on, k = sub_word(a[0].p, a[0].len, &on);
    if (k < 0 || (argc == 1 && on))
        return 1; /* SUBSCRIBE alone: the arity error */
    if (argc > 1)
        return (uint32_t)(argc - 1); /* one confirmation per name */
    size_t nsub = fr__dict_size(&pc->subs[k]);
    return nsub ? (uint32_t)nsub : 1; /* from everything, or the nil one */
}

/* ---- the stage --------------------------------------------------------- */

static void pc_free(fr_proxy_conn *pc)
{
    up_close(pc);
    if (pc->out)
        evbuffer_free(pc->out);
    fr__buf_free(&pc->in);
    for (int k = 0; k < S_KINDS; k++)
        fr__dict_clear(&pc->subs[k]);
    free(pc);
}

static void st_open(fr_conn *c)
{
    struct fr_proxy *p = c->srv->proxy;
    if (!p || !p->active || (c->flags & FR_CONN_PSEUDO))
        return;
    fr_proxy_conn *pc = fr__xcalloc(1, sizeof *pc);
    pc->c = c;
    pc->fd = -1;
    pc->out = evbuffer_new();
    for (int k = 0; k < S_KINDS; k++)
        fr__dict_init(&pc->subs[k], NULL, NULL);
    c->proxy = pc;
    p->forwarded++;
    if (!pc->out || up_open(pc, p, c->srv->base) < 0)
        unreachable(pc);
}

static void st_close(fr_conn *c)
{
    if (c->proxy)
        pc_free(c->proxy);
    c->proxy = NULL;
}

static int st_hold(fr_conn *c)
{
    const fr_proxy_conn *pc = c->proxy;
    return pc && (pc->busy || pc->closing);
}

static int st_before(fr_conn *c, const fr_cmd *cmd, int argc, const fr_arg *argv)
{
    fr_proxy_conn *pc = c->proxy;
    if (!pc)
        return 0;
    /* the fake's own control commands steer the proxy; cmd is NULL for
     * them when control is off (they are then just unknown upstream) */
    if (cmd && (cmd->flags & FR_CMD_CONTROL))
        return 0;
    c->argv = NULL;
    c->argc = 0;
    if (pc->closing)
        return 1;
    evbuffer_add(pc->out, c->in.p + c->in_off, c->req_len);
    int kind;
    uint32_t frames = expect(pc, argc, argv, &kind);
    if (frames) {
        pc->q.frames = frames;
        pc->q.kind = kind;
        pc->busy = 1;
    }
    if (pc->connected)
        up_flush(pc);
    return 1;
}

static void st_stop(fr_server *srv)
{
    free(srv->proxy);
    srv->proxy = NULL;
}

static const fr_stage_ops proxy_stage = {
    .name = "proxy",
    .order = 50, /* after the recorder and the faults: they see the command first */
    .open = st_open,
    .hold_input = st_hold,
    .before_command = st_before,
    .close = st_close,
    .stop = st_stop,
};

/* ---- the public API ------------------------------------------------------ */

typedef struct start_job {
    struct sockaddr_storage addr;
    socklen_t addrlen;
    int connect_ms;
    int rc;
} start_job;

static void start_on_loop(fr_server *srv, void *arg)
{
    start_job *j = arg;
    if (srv->proxy && srv->proxy->active) {
        fr__server_set_err(srv, "a proxy is already on");
        j->rc = FR_ERR_STATE;
        return;
    }
    if (!srv->proxy) {
        if (fr__stage_register(srv, &proxy_stage) < 0) {
            fr__server_set_err(srv, "the stage table is full");
            j->rc = FR_ERR_STATE;
            return;
        }
        srv->proxy = fr__xcalloc(1, sizeof *srv->proxy);
    }
    struct fr_proxy *p = srv->proxy;
    p->addr = j->addr;
    p->addrlen = j->addrlen;
    p->connect_ms = j->connect_ms;
    p->active = 1;
    j->rc = FR_OK;
}

int fr_proxy_start(fr_server *srv, const fr_proxy_options *opts)
{
    if (!srv || !opts || !opts->host || !*opts->host || opts->port < 1 || opts->port > 65535 ||
        opts->connect_timeout_ms < 0)
        return FR_ERR_ARG;
    start_job j;
    memset(&j, 0, sizeof j);
    char port[8];
    snprintf(port, sizeof port, "%d", opts->port);
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int gai = getaddrinfo(opts->host, port, &hints, &ai);
    if (gai != 0 || !ai) {
        if (ai)
            freeaddrinfo(ai);
        return FR_ERR_IO; /* the caller knows the name it gave */
    }
    memcpy(&j.addr, ai->ai_addr, ai->ai_addrlen);
    j.addrlen = ai->ai_addrlen;
    freeaddrinfo(ai);
    j.connect_ms = opts->connect_timeout_ms ? opts->connect_timeout_ms : DEFAULT_CONNECT_MS;
    int rc = fr__run_on_loop(srv, start_on_loop, &j);
    return rc != FR_OK ? rc : j.rc;
}

static void stop_on_loop(fr_server *srv, void *arg)
{
    int *rc = arg;
    if (!srv->proxy || !srv->proxy->active) {
        *rc = FR_ERR_STATE;
        return;
    }
    srv->proxy->active = 0;
    *rc = FR_OK;
}

int fr_proxy_stop(fr_server *srv)
{
    if (!srv)
        return FR_ERR_ARG;
    int j = FR_OK;
    int rc = fr__run_on_loop(srv, stop_on_loop, &j);
    return rc != FR_OK ? rc : j;
}

typedef struct stats_job {
    uint64_t forwarded, unreachable;
    int rc;
} stats_job;

static void stats_on_loop(fr_server *srv, void *arg)
{
    stats_job *j = arg;
    if (!srv->proxy) {
        j->rc = FR_ERR_STATE;
        return;
    }
    j->forwarded = srv->proxy->forwarded;
    j->unreachable = srv->proxy->unreachable;
    j->rc = FR_OK;
}

int fr_proxy_stats(fr_server *srv, uint64_t *forwarded, uint64_t *unreachable)
{
    if (!srv)
        return FR_ERR_ARG;
    stats_job j = {0, 0, FR_OK};
    int rc = fr__run_on_loop(srv, stats_on_loop, &j);
    if (rc == FR_OK)
        rc = j.rc;
    if (rc != FR_OK)
        return rc;
    if (forwarded)
        *forwarded = j.forwarded;
    if (unreachable)
        *unreachable = j.unreachable;
    return FR_OK;
}
