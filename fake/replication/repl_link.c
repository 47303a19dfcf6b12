/* The replica's side: the link to its master (connect, handshake, the
 * snapshot), then the stream applied in order after the test's lag, each
 * batch acknowledged. See repl_engine.h. */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/bufferevent.h>

#include "repl_private.h"

/* Redis retries a lost master once per second (replicationCron); a link
 * that was up is retried at the next cron, so tests don't wait long. */
#define RETRY_MS 1000

static fr_conn *master_client(struct fr_repl *r)
{
    if (!r->mc) {
        r->mc = fr__conn_new(r->srv, -1, FR_CONN_PSEUDO | FR_CONN_AUTHED | FR_CONN_REPLY_OFF);
        r->mc->resp = 2;
    }
    return r->mc;
}

static void drop_stream(struct fr_repl *r)
{
    fr__buf_free(&r->in);
    r->in_off = 0;
    r->nmarks = 0;
    fr__parser_reset(&r->parser);
    r->hs_replies = 0;
    r->snap_left = -1;
    if (r->apply_ev)
        evtimer_del(r->apply_ev);
    if (r->mc) {
        /* a MULTI the master never finished dies with the link */
        fr__multi_discard(r->mc);
        r->mc->flags &= ~(unsigned)(FR_CONN_MULTI | FR_CONN_DIRTY_EXEC | FR_CONN_DIRTY_CAS);
    }
}

static void close_bev(struct fr_repl *r)
{
    if (r->bev) {
        bufferevent_free(r->bev);
        r->bev = NULL;
    }
}

static void link_lost(struct fr_repl *r, int retry_now)
{
    close_bev(r);
    drop_stream(r);
    if (r->link == FR_LINK_CONNECTED)
        r->down_since_ms = fr__real_ms();
    r->link = FR_LINK_CONNECT;
    r->retry_at = fr__real_ms() + (retry_now ? 0 : RETRY_MS);
    fr__notify(r->srv);
}

static void send_cmd(struct fr_repl *r, int argc, const char *const *argv)
{
    fr_buf b = {0};
    fr__buf_printf(&b, "*%d\r\n", argc);
    for (int i = 0; i < argc; i++)
        fr__buf_printf(&b, "$%zu\r\n%s\r\n", strlen(argv[i]), argv[i]);
    bufferevent_write(r->bev, b.p, b.len);
    fr__buf_free(&b);
}

static void send_ack(struct fr_repl *r)
{
    char off[24];
    snprintf(off, sizeof off, "%lld", r->offset);
    const char *a[] = {"REPLCONF", "ACK", off};
    send_cmd(r, 3, a);
}

/* Run cmds (RESP commands back to back) as the master client; returns the
 * bytes used, or -1 on a protocol error. */
static long long run(struct fr_repl *r, fr_parser *ps, const char *p, size_t n, int count)
{
    fr_conn *mc = master_client(r);
    size_t off = 0;
    while (off < n) {
        size_t used = 0;
        int rc = fr__parse_request(ps, p + off, n - off, &used);
        if (rc == FR_PARSE_MORE)
            break;
        if (rc == FR_PARSE_ERROR)
            return -1;
        if (ps->argc > 0)
            fr__dispatch(mc, ps->argc, ps->argv);
        off += used;
        if (count)
            r->offset += (long long)used;
        fr__parser_reset(ps);
        if (!r->mc)
            break; /* the command ended the link (a failover) */
    }
    return (long long)off;
}

static void on_apply_timer(evutil_socket_t fd, short what, void *arg);

static void schedule_apply(struct fr_repl *r, int64_t now)
{
    if (!r->nmarks || r->paused)
        return;
    int64_t due = r->marks[0].at + r->lag_ms - now;
    if (due < 0)
        due = 0;
    if (!r->apply_ev)
        r->apply_ev = evtimer_new(r->srv->base, on_apply_timer, r);
    struct timeval tv = {(time_t)(due / 1000), (suseconds_t)(due % 1000) * 1000};
    evtimer_add(r->apply_ev, &tv);
}

/* Apply what arrived at least lag ms ago, then acknowledge. */
static void apply_ready(struct fr_repl *r)
{
    if (r->link != FR_LINK_CONNECTED || r->paused)
        return;
    int64_t now = fr__mono_ms();
    size_t ready = r->in_off, i = 0;
    while (i < r->nmarks && r->marks[i].at + r->lag_ms <= now)
        ready = r->marks[i++].end;
    if (i) {
        memmove(r->marks, r->marks + i, (r->nmarks - i) * sizeof *r->marks);
        r->nmarks -= i;
    }
    if (ready > r->in_off) {
        long long used = run(r, &r->parser, r->in.p + r->in_off, ready - r->in_off, 1);
        if (used < 0) {
            link_lost(r, 0);
            return;
        }
        if (r->link != FR_LINK_CONNECTED)
            return;
        r->in_off += (size_t)used;
        if (used > 0)
            send_ack(r);
    }
    if (r->in_off == r->in.len && !r->nmarks) {
        fr__buf_clear(&r->in);
        r->in_off = 0;
    }
    schedule_apply(r, now);
    fr__flush_pending(r->srv);
    fr__notify(r->srv);
}

static void on_apply_timer(evutil_socket_t fd, short what, void *arg)
{
    apply_ready(arg);
}

/* One "\r\n"-terminated line at in_off, or NULL; *len excludes CRLF. */
static const char *line(struct fr_repl *r, size_t *len)
{
    const char *p = r->in.p + r->in_off;
    size_t n = r->in.len - r->in_off;
    const char *nl = n ? memchr(p, '\n', n) : NULL;
    if (!nl)
        return NULL;
    *len = (size_t)(nl - p) - (nl > p && nl[-1] == '\r');
    r->in_off += (size_t)(nl - p) + 1;
    return p;
}

static int handshake(struct fr_repl *r)
{
    size_t n;
    const char *l;
    while (r->link == FR_LINK_HANDSHAKE && (l = line(r, &n))) {
        if (n == 0 || l[0] != '+')
            return -1; /* -NOAUTH, -ERR...: retry later, as Redis */
        if (++r->hs_replies < r->hs_expect)
            continue;
        char id[41];
        long long off;
        if (n > 200 || sscanf(l, "+FULLRESYNC %40s %lld", id, &off) != 2)
            return -1;
        memcpy(r->master_replid, id, 41);
        r->master_offset = off;
        r->link = FR_LINK_SYNC;
    }
    return 0;
}

/* The snapshot: the master's dataset replaces ours. */
static int load_snapshot(struct fr_repl *r)
{
    if (r->snap_left < 0) {
        size_t n;
        const char *l = line(r, &n);
        if (!l)
            return 0;
        if (n < 2 || l[0] != '$' || !fr__str2ll(l + 1, n - 1, &r->snap_left) || r->snap_left < 0)
            return -1;
    }
    if ((long long)(r->in.len - r->in_off) < r->snap_left)
        return 0;
    fr__db_flush(r->srv->ks, -1);
    fr_conn *mc = master_client(r);
    mc->db = 0;
    fr_parser ps;
    fr__parser_init(&ps);
    ps.max_bulk_len = 1LL << 40;
    long long used = run(r, &ps, r->in.p + r->in_off, (size_t)r->snap_left, 0);
    fr__parser_free(&ps);
    if (used != r->snap_left)
        return -1;
    r->in_off += (size_t)used;
    r->snap_left = -1;
    memcpy(r->replid, r->master_replid, 41);
    r->offset = r->read_offset = r->master_offset;
    r->link = FR_LINK_CONNECTED;
    r->ever_up = 1;
    fr__repl_failover_done(r);
    /* our own replicas follow the new history from scratch */
    fr__repl_drop_replicas(r);
    send_ack(r);
    return 0;
}

static void on_read(struct bufferevent *bev, void *arg)
{
    struct fr_repl *r = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    size_t n = evbuffer_get_length(in);
    if (!n)
        return;
    fr__buf_reserve(&r->in, n);
    evbuffer_remove(in, r->in.p + r->in.len, n);
    size_t before = r->in.len;
    r->in.len += n;
    r->in.p[r->in.len] = '\0';
    r->last_io_ms = fr__real_ms();
    int bad = 0;
    if (r->link == FR_LINK_HANDSHAKE)
        bad = handshake(r);
    if (!bad && r->link == FR_LINK_SYNC)
        bad = load_snapshot(r);
    if (bad) {
        link_lost(r, 0);
        return;
    }
    if (r->link == FR_LINK_CONNECTED) {
        /* the stream's bytes of this read, after any handshake left */
        size_t start = before > r->in_off ? before : r->in_off;
        if (r->in.len > start) {
            r->read_offset += (long long)(r->in.len - start);
            if (r->nmarks == r->capmarks) {
                r->capmarks = r->capmarks ? r->capmarks * 2 : 16;
                r->marks = fr__xrealloc(r->marks, r->capmarks * sizeof *r->marks);
            }
            r->marks[r->nmarks++] = (fr_repl_mark){r->in.len, fr__mono_ms()};
        }
        apply_ready(r);
    }
    fr__notify(r->srv);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    struct fr_repl *r = arg;
    if (what & BEV_EVENT_CONNECTED) {
        r->link = FR_LINK_HANDSHAKE;
        r->last_io_ms = fr__real_ms();
        char port[24];
        snprintf(port, sizeof port, "%d", r->srv->port);
        const char *ping[] = {"PING"};
        const char *lp[] = {"REPLCONF", "listening-port", port};
        const char *capa[] = {"REPLCONF", "capa", "eof", "capa", "psync2"};
        /* masterauth (and masteruser) as Redis' replica sends them; first,
         * so that a master with a password answers the rest: a wrong one
         * fails the handshake, retried as any other failure */
        const fr_config *cfg = &r->srv->cfg;
        r->hs_expect = 4;
        if (*cfg->masterauth) {
            const char *auth[3] = {"AUTH"};
            int n = 1;
            if (*cfg->masteruser)
                auth[n++] = cfg->masteruser;
            auth[n++] = cfg->masterauth;
            send_cmd(r, n, auth);
            r->hs_expect = 5;
        }
        send_cmd(r, 1, ping);
        send_cmd(r, 3, lp);
        send_cmd(r, 5, capa);
        if (r->psync_failover) {
            char off[24];
            snprintf(off, sizeof off, "%lld", r->offset + 1);
            const char *ps[] = {"PSYNC", r->replid, off, "FAILOVER"};
            send_cmd(r, 4, ps);
        } else {
            const char *ps[] = {"PSYNC", "?", "-1"};
            send_cmd(r, 3, ps);
        }
        return;
    }
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
        link_lost(r, r->link == FR_LINK_CONNECTED);
}

void fr__repl_link_start(struct fr_repl *r)
{
    close_bev(r);
    drop_stream(r);
    r->link = FR_LINK_CONNECT;
    r->retry_at = fr__real_ms() + RETRY_MS;
    char port[16];
    snprintf(port, sizeof port, "%d", r->master_port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    if (getaddrinfo(r->master_host, port, &hints, &ai) != 0 || !ai)
        return;
    r->bev = bufferevent_socket_new(r->srv->base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (r->bev) {
        bufferevent_setcb(r->bev, on_read, NULL, on_event, r);
        bufferevent_enable(r->bev, EV_READ | EV_WRITE);
        r->link = FR_LINK_CONNECTING;
        if (bufferevent_socket_connect(r->bev, ai->ai_addr, (int)ai->ai_addrlen) < 0) {
            close_bev(r);
            r->link = FR_LINK_CONNECT;
        }
    }
    freeaddrinfo(ai);
}

void fr__repl_link_stop(struct fr_repl *r)
{
    close_bev(r);
    drop_stream(r);
    r->link = FR_LINK_NONE;
    r->psync_failover = 0;
}

void fr__repl_link_cron(struct fr_repl *r)
{
    if (r->master_host && r->link == FR_LINK_CONNECT && fr__real_ms() >= r->retry_at)
        fr__repl_link_start(r);
}

void fr__repl_link_free(struct fr_repl *r)
{
    fr__repl_link_stop(r);
    if (r->apply_ev)
        event_free(r->apply_ev);
    r->apply_ev = NULL;
    fr__parser_free(&r->parser);
    free(r->marks);
    free(r->master_host);
    r->master_host = NULL;
}

void fr__repl_set_lag(fr_server *srv, const fr_repl_hooks *h, long long ms)
{
    struct fr_repl *r = fr__repl_state(srv, h);
    r->lag_ms = ms < 0 ? 0 : ms;
    apply_ready(r);
}

void fr__repl_set_paused(fr_server *srv, const fr_repl_hooks *h, int paused)
{
    struct fr_repl *r = fr__repl_state(srv, h);
    r->paused = paused;
    apply_ready(r);
}

long long fr__repl_pending(const fr_server *srv)
{
    const struct fr_repl *r = srv->repl;
    if (!r || !r->master_host)
        return -1;
    return (long long)(r->in.len - r->in_off);
}

int fr__repl_link_up(const fr_server *srv)
{
    return srv->repl && srv->repl->master_host && srv->repl->link == FR_LINK_CONNECTED;
}
