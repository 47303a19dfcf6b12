/* A packet capture of clients talking to a Redis server, turned into a
 * recording (fr_pcap_import, include/fakeredis/recording.h).
 *
 * Each TCP connection to the server port is one recorded connection. Each
 * direction is put back together by sequence number (retransmitted and
 * overlapping bytes are taken once, segments that arrive early wait for
 * the gap before them; a gap that stays open 200 ms of capture time is
 * taken as lost: the stream skips it). The client's bytes are parsed as
 * requests (the fake's own parser), the server's as RESP frames.
 *
 * Events come out the way the fake records its own traffic: a command,
 * then its whole reply, then the next command of that connection (a
 * pipeline is laid out command by command: replay then compares each
 * reply with its command). How many frames answer a command follows the
 * connection's state as the replies show it (subscriptions, CLIENT REPLY,
 * MONITOR, MULTI); pub/sub messages and MONITOR lines are pushes.
 *
 * A connection caught mid-way (no SYN) starts at the first whole command
 * the client sends (a line that begins "*N\r\n$"), and its server side at
 * the first bytes the server sends after that command. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "fakeredis/recording.h"
#include "pcap_read.h"
#include "proto.h"
#include "record_format.h"

#define LOST_AFTER_US 200000    /* a gap open this long is lost */
#define MAX_PENDING (16u << 20) /* bytes waiting behind gaps, per direction */
#define MAX_BULK (512LL << 20)  /* proto-max-bulk-len's default */

typedef struct pend {
    struct pend *next;
    uint32_t seq;
    int64_t time_us;
    size_t len;
    uint8_t data[];
} pend;

typedef struct stream {
    int started;   /* next is known */
    int synced;    /* the bytes so far start at a message boundary */
    uint32_t next; /* sequence number of the next byte expected */
    pend *pending; /* early segments, by sequence */
    size_t pending_bytes;
    fr_buf buf;     /* bytes in order, not parsed yet */
    uint64_t total; /* bytes delivered in order */
    int broken;     /* unparseable: the rest is dropped */
    int fin;
} stream;

typedef struct queued {
    struct queued *next;
    int64_t time_us;
    int argc;
    char **argv;
    size_t *lens;
} queued;

enum { S_CHANNEL, S_PATTERN, S_SHARD, S_KINDS };

typedef struct tconn {
    struct tconn *next;
    uint64_t id;
    uint8_t caddr[16], saddr[16];
    uint16_t cport, sport;
    stream dir[2]; /* 0: client to server, 1: server to client */
    fr_parser parser;
    queued *q, *q_tail; /* commands parsed, not yet written */
    int busy;           /* a written command waits for its reply */
    uint32_t want, got; /* its frames */
    int kind;           /* K_* of it */
    fr_buf reply;       /* its frames so far */
    int64_t reply_us;
    uint64_t sync_at; /* server bytes before this are not ours */
    int sync_known;
    int reply_off, skip_next, monitor, multi;
    char **subs[S_KINDS];
    size_t nsubs[S_KINDS];
    int ended;
} tconn;

typedef struct importer {
    fr_pcap_import_result *res;
    fr_rec_writer *w;
    uint16_t port;
    tconn *conns;
    uint64_t next_id;
    int64_t t0;
    int have_t0;
    int rc;
} importer;

enum { K_OTHER, K_MULTI, K_ENDMULTI, K_MONITOR, K_RESET };

/* ---- writing events ----------------------------------------------------- */

static void put(importer *im, fr_rec_event *ev)
{
    if (im->rc != FR_OK)
        return;
    ev->time_us -= im->t0;
    if (fr_rec_writer_add(im->w, ev) != FR_OK)
        im->rc = FR_ERR_IO;
}

static void put_bytes(importer *im, tconn *c, int type, int64_t t, const char *p, size_t n)
{
    fr_rec_event ev = {.type = type, .flags = FR_REC_SENT, .conn = c->id, .time_us = t};
    ev.data = p;
    ev.len = n;
    put(im, &ev);
}

/* ---- what answers a command (as the proxy follows it) ------------------ */

static int arg_is(const char *p, size_t n, const char *w)
{
    return strlen(w) == n && !strncasecmp(p, w, n);
}

static int sub_word(const char *p, size_t n, int *on)
{
    static const char *const words[2][S_KINDS] = {{"unsubscribe", "punsubscribe", "sunsubscribe"},
                                                  {"subscribe", "psubscribe", "ssubscribe"}};
    for (int o = 0; o < 2; o++)
        for (int k = 0; k < S_KINDS; k++)
            if (arg_is(p, n, words[o][k])) {
                *on = o;
                return k;
            }
    return -1;
}

static uint32_t expect(tconn *c, const queued *cmd)
{
    char *const *a = cmd->argv;
    const size_t *l = cmd->lens;
    int skip = c->skip_next;
    c->skip_next = 0;
    c->kind = K_OTHER;
    if (cmd->argc == 3 && arg_is(a[0], l[0], "client") && arg_is(a[1], l[1], "reply")) {
        if (arg_is(a[2], l[2], "on")) {
            c->reply_off = 0;
            return 1;
        }
        if (arg_is(a[2], l[2], "off")) {
            c->reply_off = 1;
            return 0;
        }
        if (arg_is(a[2], l[2], "skip")) {
            c->skip_next = !c->reply_off;
            return 0;
        }
    }
    if (c->reply_off || skip)
        return 0;
    if (arg_is(a[0], l[0], "exec") || arg_is(a[0], l[0], "discard"))
        c->kind = K_ENDMULTI;
    if (c->multi)
        return 1;
    if (arg_is(a[0], l[0], "multi"))
        c->kind = K_MULTI;
    else if (arg_is(a[0], l[0], "reset"))
        c->kind = K_RESET;
    else if (arg_is(a[0], l[0], "monitor")) {
        c->kind = K_MONITOR;
        if (c->monitor && cmd->argc == 1)
            return 0;
    }
    int on, k = sub_word(a[0], l[0], &on);
    if (k < 0 || (cmd->argc == 1 && on))
        return 1;
    if (cmd->argc > 1)
        return (uint32_t)(cmd->argc - 1);
    return c->nsubs[k] ? (uint32_t)c->nsubs[k] : 1;
}

/* The k-th element of an aggregate frame as a string; 0 if none. */
static int element(const fr_reply *r, size_t k, const char **s, size_t *n)
{
    if (k >= r->elements || !r->element[k] || !r->element[k]->str ||
        (r->element[k]->type != FR_REPLY_STRING && r->element[k]->type != FR_REPLY_STATUS))
        return 0;
    *s = r->element[k]->str;
    *n = r->element[k]->len;
    return 1;
}

static void follow_subscription(tconn *c, const fr_reply *r)
{
    const char *w, *ch;
    size_t wl, chl;
    int on;
    if ((r->type != FR_REPLY_ARRAY && r->type != FR_REPLY_PUSH) || !element(r, 0, &w, &wl))
        return;
    int k = sub_word(w, wl, &on);
    if (k < 0 || !element(r, 1, &ch, &chl))
        return;
    size_t i = 0;
    while (i < c->nsubs[k] && !(strlen(c->subs[k][i]) == chl && !memcmp(c->subs[k][i], ch, chl)))
        i++;
    if (on && i == c->nsubs[k]) {
        c->subs[k] = fr__xrealloc(c->subs[k], (c->nsubs[k] + 1) * sizeof *c->subs[k]);
        c->subs[k][c->nsubs[k]++] = fr__xmemdup(ch, chl);
    } else if (!on && i < c->nsubs[k]) {
        free(c->subs[k][i]);
        c->subs[k][i] = c->subs[k][--c->nsubs[k]];
    }
}

static int subscribed(const tconn *c)
{
    return c->nsubs[S_CHANNEL] || c->nsubs[S_PATTERN] || c->nsubs[S_SHARD];
}

static int is_push(const tconn *c, const fr_reply *r, const char *p, size_t n)
{
    const char *w;
    size_t wl;
    int on;
    if (r->type == FR_REPLY_PUSH)
        return !element(r, 0, &w, &wl) || sub_word(w, wl, &on) < 0;
    if (r->type == FR_REPLY_ARRAY && subscribed(c) && element(r, 0, &w, &wl))
        return arg_is(w, wl, "message") || arg_is(w, wl, "pmessage") || arg_is(w, wl, "smessage");
    if (r->type != FR_REPLY_STATUS || !c->monitor)
        return 0;
    size_t i = 1; /* a MONITOR line: "+1700000000.123456 [" */
    while (i < n && p[i] >= '0' && p[i] <= '9')
        i++;
    return i > 1 && i + 8 < n && p[i] == '.' && p[i + 7] == ' ' && p[i + 8] == '[';
}

static void answered(tconn *c)
{
    const char *p = c->reply.p;
    size_t n = c->reply.len;
    int ok = n == 5 && !memcmp(p, "+OK\r\n", 5);
    if (c->kind == K_MULTI)
        c->multi |= ok;
    else if (c->kind == K_ENDMULTI)
        c->multi = 0;
    else if (c->kind == K_MONITOR)
        c->monitor |= ok;
    else if (c->kind == K_RESET && n == 8 && !memcmp(p, "+RESET\r\n", 8)) {
        c->monitor = c->multi = c->reply_off = c->skip_next = 0;
        for (int k = 0; k < S_KINDS; k++) {
            for (size_t i = 0; i < c->nsubs[k]; i++)
                free(c->subs[k][i]);
            c->nsubs[k] = 0;
        }
    }
}

/* ---- commands, then their replies ---------------------------------------- */

static void queued_free(queued *q)
{
    for (int i = 0; i < q->argc; i++)
        free(q->argv[i]);
    free(q->argv);
    free(q->lens);
    free(q);
}

/* Write the commands of c that may go: each after the previous one's
 * reply, as the fake would have recorded them. */
static void pump(importer *im, tconn *c)
{
    while (!c->busy && c->q) {
        queued *q = c->q;
        c->q = q->next;
        if (!c->q)
            c->q_tail = NULL;
        fr_rec_event ev = {.type = FR_REC_COMMAND, .conn = c->id, .time_us = q->time_us};
        ev.argc = q->argc;
        ev.argv = (const char *const *)q->argv;
        ev.argvlen = q->lens;
        put(im, &ev);
        im->res->commands++;
        c->want = expect(c, q);
        c->got = 0;
        c->busy = c->want > 0;
        fr__buf_clear(&c->reply);
        if (!c->sync_known) { /* the server's side starts after this */
            c->sync_known = 1;
            c->sync_at = c->dir[1].total;
        }
        queued_free(q);
    }
}

static void on_command(importer *im, tconn *c, const fr_parser *ps, int64_t t)
{
    queued *q = fr__xcalloc(1, sizeof *q);
    q->time_us = t;
    q->argc = ps->argc;
    q->argv = fr__xcalloc((size_t)ps->argc, sizeof *q->argv);
    q->lens = fr__xcalloc((size_t)ps->argc, sizeof *q->lens);
    for (int i = 0; i < ps->argc; i++) {
        q->argv[i] = fr__xmemdup(ps->argv[i].p, ps->argv[i].len);
        q->lens[i] = ps->argv[i].len;
    }
    if (c->q_tail)
        c->q_tail->next = q;
    else
        c->q = q;
    c->q_tail = q;
    pump(im, c);
}

static void on_frame(importer *im, tconn *c, const char *p, size_t n, const fr_reply *r, int64_t t)
{
    if (is_push(c, r, p, n)) {
        put_bytes(im, c, FR_REC_PUSH, t, p, n);
        im->res->pushes++;
        return;
    }
    follow_subscription(c, r);
    if (!c->busy) { /* nobody asked (or we did not see the command) */
        put_bytes(im, c, FR_REC_REPLY, t, p, n);
        im->res->replies++;
        return;
    }
    fr__buf_append(&c->reply, p, n);
    if (++c->got < c->want)
        return;
    put_bytes(im, c, FR_REC_REPLY, t, c->reply.p, c->reply.len);
    im->res->replies++;
    answered(c);
    c->busy = 0;
    pump(im, c);
}

/* ---- the two byte streams ------------------------------------------------- */

/* Where a whole command starts in p[0..n): "*N\r\n$" at a line start. */
static long command_start(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != '*' || (i && p[i - 1] != '\n'))
            continue;
        size_t k = i + 1;
        while (k < n && p[k] >= '0' && p[k] <= '9')
            k++;
        if (k > i + 1 && k + 2 < n && p[k] == '\r' && p[k + 1] == '\n' && p[k + 2] == '$')
            return (long)i;
    }
    return -1;
}

static void client_bytes(importer *im, tconn *c, int64_t t)
{
    stream *s = &c->dir[0];
    for (;;) {
        if (!s->synced) {
            long at = command_start(s->buf.p, s->buf.len);
            size_t drop = at >= 0 ? (size_t)at : (s->buf.len > 16 ? s->buf.len - 16 : 0);
            im->res->skipped_bytes += drop;
            fr__buf_consume(&s->buf, drop);
            if (at < 0)
                return;
            s->synced = 1;
        }
        size_t off = 0;
        int bad = 0;
        for (;;) {
            size_t used = 0;
            int r = fr__parse_request(&c->parser, s->buf.p + off, s->buf.len - off, &used);
            if (r == FR_PARSE_MORE)
                break;
            if (r == FR_PARSE_ERROR) {
                fr__parser_reset(&c->parser);
                bad = 1;
                break;
            }
            if (c->parser.argc > 0)
                on_command(im, c, &c->parser, t);
            fr__parser_reset(&c->parser);
            off += used;
        }
        fr__buf_consume(&s->buf, off);
        if (!bad)
            return;
        /* not a request: drop a byte and look for the next command */
        im->res->skipped_bytes += 1;
        fr__buf_consume(&s->buf, 1);
        s->synced = 0;
    }
}

static void server_bytes(importer *im, tconn *c, int64_t t)
{
    stream *s = &c->dir[1];
    if (!s->synced) {
        /* caught mid-way: only what the server sent after the first
         * command we saw is an answer we can place */
        uint64_t before = s->total - s->buf.len;
        if (!c->sync_known) {
            im->res->skipped_bytes += s->buf.len;
            fr__buf_clear(&s->buf);
            return;
        }
        if (c->sync_at > before) {
            size_t drop = (size_t)(c->sync_at - before) < s->buf.len ? (size_t)(c->sync_at - before)
                                                                     : s->buf.len;
            im->res->skipped_bytes += drop;
            fr__buf_consume(&s->buf, drop);
        }
        s->synced = 1;
    }
    size_t off = 0;
    while (!s->broken && off < s->buf.len) {
        size_t used = 0;
        fr_reply *r = NULL;
        int pr = fr_reply_parse(s->buf.p + off, s->buf.len - off, &used, &r);
        if (pr == 0)
            break;
        if (pr < 0) {
            s->broken = 1;
            break;
        }
        on_frame(im, c, s->buf.p + off, used, r, t);
        fr_reply_free(r);
        off += used;
    }
    if (s->broken) {
        im->res->skipped_bytes += s->buf.len - off;
        off = s->buf.len;
    }
    fr__buf_consume(&s->buf, off);
}

/* Bytes of one direction, now in order. */
static void deliver(importer *im, tconn *c, int d, const uint8_t *p, size_t n, int64_t t)
{
    stream *s = &c->dir[d];
    fr__buf_append(&s->buf, p, n);
    s->total += n;
    s->next += (uint32_t)n;
    if (d == 0)
        client_bytes(im, c, t);
    else
        server_bytes(im, c, t);
}

/* Deliver the early segments the stream has caught up with: their bytes
 * are there now (at now, or when they came if that is later). */
static void drain_pending(importer *im, tconn *c, int d, int64_t now)
{
    stream *s = &c->dir[d];
    pend *e;
    while ((e = s->pending) && (int32_t)(e->seq - s->next) <= 0) {
        s->pending = e->next;
        s->pending_bytes -= e->len;
        uint32_t skip = s->next - e->seq;
        if (skip < e->len)
            deliver(im, c, d, e->data + skip, e->len - skip, e->time_us > now ? e->time_us : now);
        free(e);
    }
}

/* The connection ends (or the capture does): commands still waiting for
 * a reply that will not be seen go out without one. */
static void flush_commands(importer *im, tconn *c)
{
    while (c->q) {
        c->busy = 0;
        pump(im, c);
    }
    c->busy = 0;
}

static void hold_early(importer *im, stream *s, const fr_tcp_seg *g)
{
    if (s->pending_bytes + g->len > MAX_PENDING) {
        im->res->skipped_bytes += g->len;
        return;
    }
    pend *e = fr__xmalloc(sizeof *e + g->len);
    e->seq = g->seq;
    e->time_us = g->time_us;
    e->len = g->len;
    memcpy(e->data, g->data, g->len);
    pend **pp = &s->pending;
    while (*pp && (int32_t)((*pp)->seq - g->seq) <= 0)
        pp = &(*pp)->next;
    e->next = *pp;
    *pp = e;
    s->pending_bytes += g->len;
}

/* A gap that has stayed open too long (or at the end) is lost: skip to
 * the first byte after it, and to the next message boundary. */
static void give_up_gap(importer *im, tconn *c, int d, int64_t now, int force)
{
    stream *s = &c->dir[d];
    while (s->pending && (force || now - s->pending->time_us > LOST_AFTER_US)) {
        im->res->skipped_bytes += s->pending->seq - s->next; /* what was never seen */
        s->next = s->pending->seq;
        s->synced = 0;
        fr__buf_clear(&s->buf);
        if (d == 0) {
            fr__parser_reset(&c->parser);
        } else {
            c->sync_at = s->total;
            c->sync_known = 1;
        }
        drain_pending(im, c, d, now);
    }
}

static void segment(importer *im, tconn *c, int d, const fr_tcp_seg *g)
{
    stream *s = &c->dir[d];
    if (g->flags & FR_TCP_SYN) {
        s->started = s->synced = 1;
        s->next = g->seq + 1;
        if (d == 1) /* the server side of a connection we saw open */
            c->sync_known = 1;
        return;
    }
    if (g->len && !s->started) { /* caught mid-way */
        s->started = 1;
        s->next = g->seq;
    }
    if (g->len) {
        int32_t ahead = (int32_t)(g->seq - s->next);
        if (ahead > 0) {
            hold_early(im, s, g);
        } else if ((uint32_t)(s->next - g->seq) < g->len) { /* new bytes (maybe after some old) */
            /* how far behind, in sequence space's own wrap-around (negating
             * ahead overflows when it is INT32_MIN) */
            uint32_t behind = s->next - g->seq;
            deliver(im, c, d, g->data + behind, g->len - behind, g->time_us);
            drain_pending(im, c, d, g->time_us);
        }
        give_up_gap(im, c, d, g->time_us, 0);
    }
    if (g->flags & FR_TCP_FIN)
        s->fin = 1;
    /* over once both sides said FIN (a half-closed client still gets its
     * replies), or at a reset */
    if (((g->flags & FR_TCP_RST) || (c->dir[0].fin && c->dir[1].fin)) && !c->ended) {
        c->ended = 1;
        flush_commands(im, c);
        fr_rec_event ev = {.type = FR_REC_DISCONNECT, .conn = c->id, .time_us = g->time_us};
        put(im, &ev);
    }
}

/* ---- connections ------------------------------------------------------------ */

static void format_addr(const uint8_t a[16], uint16_t port, char *out, size_t cap)
{
    static const uint8_t v4[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    char ip[INET6_ADDRSTRLEN] = "?";
    if (!memcmp(a, v4, 12)) {
        inet_ntop(AF_INET, a + 12, ip, sizeof ip);
        snprintf(out, cap, "%s:%u", ip, port);
    } else {
        inet_ntop(AF_INET6, a, ip, sizeof ip);
        snprintf(out, cap, "[%s]:%u", ip, port);
    }
}

static tconn *find(importer *im, const fr_tcp_seg *g, int *dir)
{
    int d = g->sport == im->port ? 1 : 0;
    const uint8_t *ca = d ? g->dst : g->src, *sa = d ? g->src : g->dst;
    uint16_t cp = d ? g->dport : g->sport;
    *dir = d;
    for (tconn *c = im->conns; c; c = c->next) {
        if (c->ended || c->cport != cp || memcmp(c->caddr, ca, 16) || memcmp(c->saddr, sa, 16))
            continue;
        if (!(d == 0 && (g->flags & FR_TCP_SYN) && c->dir[0].started))
            return c;
        /* the client's port used again for a new connection */
        c->ended = 1;
        flush_commands(im, c);
        fr_rec_event ev = {.type = FR_REC_DISCONNECT, .conn = c->id, .time_us = g->time_us};
        put(im, &ev);
    }
    /* a new connection: opened by its SYN, or caught mid-way with data */
    if ((g->flags & (FR_TCP_RST | FR_TCP_FIN)) || (!(g->flags & FR_TCP_SYN) && !g->len))
        return NULL;
    tconn *c = fr__xcalloc(1, sizeof *c);
    memcpy(c->caddr, ca, 16);
    memcpy(c->saddr, sa, 16);
    c->cport = cp;
    c->sport = im->port;
    c->id = ++im->next_id;
    fr__parser_init(&c->parser);
    c->parser.max_bulk_len = MAX_BULK;
    c->next = im->conns;
    im->conns = c;
    im->res->connections++;
    char addr[64];
    format_addr(ca, cp, addr, sizeof addr);
    fr_rec_event ev = {.type = FR_REC_CONNECT, .conn = c->id, .time_us = g->time_us};
    ev.data = addr;
    ev.len = strlen(addr);
    put(im, &ev);
    return c;
}

static void conn_free(tconn *c)
{
    for (int d = 0; d < 2; d++) {
        while (c->dir[d].pending) {
            pend *e = c->dir[d].pending;
            c->dir[d].pending = e->next;
            free(e);
        }
        fr__buf_free(&c->dir[d].buf);
    }
    while (c->q) {
        queued *q = c->q;
        c->q = q->next;
        queued_free(q);
    }
    for (int k = 0; k < S_KINDS; k++) {
        for (size_t i = 0; i < c->nsubs[k]; i++)
            free(c->subs[k][i]);
        free(c->subs[k]);
    }
    fr__parser_free(&c->parser);
    fr__buf_free(&c->reply);
    free(c);
}

static int read_file(const char *path, char **buf, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fr_buf b = {0};
    char chunk[65536];
    size_t k;
    while ((k = fread(chunk, 1, sizeof chunk, f)) > 0)
        fr__buf_append(&b, chunk, k);
    int bad = ferror(f);
    fclose(f);
    *n = b.len;
    *buf = b.p ? fr__buf_steal(&b) : fr__xcalloc(1, 1);
    if (bad) {
        free(*buf);
        return -1;
    }
    return 0;
}

int fr_pcap_import_mem(const void *capture, size_t len, const char *out_path, int port,
                       fr_pcap_import_result *res)
{
    if (!res)
        return FR_ERR_ARG;
    memset(res, 0, sizeof *res);
    if (!capture || !out_path || port < 1 || port > 65535) {
        snprintf(res->err, sizeof res->err, "a capture, an output file and a port are needed");
        return FR_ERR_ARG;
    }
    fr_pcap *pc;
    if (fr__pcap_open_mem(capture, len, &pc, res->err, sizeof res->err) < 0)
        return FR_ERR_PARSE;
    importer im;
    memset(&im, 0, sizeof im);
    im.res = res;
    im.port = (uint16_t)port;
    im.rc = FR_OK;
    fr_tcp_seg g;
    int r;
    while (im.rc == FR_OK && (r = fr__pcap_next(pc, &g, res->err, sizeof res->err)) == 1) {
        if (g.sport != port && g.dport != port)
            continue;
        if (!im.have_t0) {
            im.have_t0 = 1;
            im.t0 = g.time_us;
            if (fr_rec_writer_open(out_path, g.time_us, &im.w) != FR_OK) {
                snprintf(res->err, sizeof res->err, "cannot write %s", out_path);
                im.rc = FR_ERR_IO;
                break;
            }
        }
        int d;
        tconn *c = find(&im, &g, &d);
        if (c)
            segment(&im, c, d, &g);
    }
    if (im.rc == FR_OK && r < 0)
        im.rc = FR_ERR_PARSE;
    if (im.rc == FR_OK && !im.w && fr_rec_writer_open(out_path, 0, &im.w) != FR_OK) {
        snprintf(res->err, sizeof res->err, "cannot write %s", out_path);
        im.rc = FR_ERR_IO;
    }
    for (tconn *c = im.conns; c; c = c->next) { /* what waited behind a lost gap */
        for (int d = 0; d < 2 && im.rc == FR_OK; d++)
            give_up_gap(&im, c, d, 0, 1);
        flush_commands(&im, c);
    }
    fr__pcap_counts(pc, &res->packets, &res->packets_skipped, &res->truncated);
    fr__pcap_close(pc);
    while (im.conns) {
        tconn *c = im.conns;
        im.conns = c->next;
        conn_free(c);
    }
    if (im.w && fr_rec_writer_close(im.w) != FR_OK && im.rc == FR_OK) {
        snprintf(res->err, sizeof res->err, "cannot write %s", out_path);
        im.rc = FR_ERR_IO;
    }
    return im.rc;
}

int fr_pcap_import(const char *capture, const char *out_path, int port, fr_pcap_import_result *res)
{
    if (!res)
        return FR_ERR_ARG;
    memset(res, 0, sizeof *res);
    if (!capture) {
        snprintf(res->err, sizeof res->err, "a capture file is needed");
        return FR_ERR_ARG;
    }
    char *buf;
    size_t n;
    if (read_file(capture, &buf, &n) < 0) {
        snprintf(res->err, sizeof res->err, "cannot read %s", capture);
        return FR_ERR_IO;
    }
    int rc = fr_pcap_import_mem(buf, n, out_path, port, res);
    free(buf);
    return rc;
}
