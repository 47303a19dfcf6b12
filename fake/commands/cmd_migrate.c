/* MIGRATE and RESTORE-ASKING.
 *
 * MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE]
 * [AUTH pw] [AUTH2 user pw] [KEYS k...] sends the keys to another server
 * as Redis does: [AUTH], SELECT db, then one RESTORE (RESTORE-ASKING in
 * cluster mode) per key with its TTL and DUMP payload, each answered by
 * one line; the keys the target took are deleted here unless COPY.
 *
 * Redis does this synchronously, which a fake cannot: the target may be
 * another fake on the same loop (fakeredis-server --cluster N, where
 * redis-cli --cluster reshard migrates between nodes). So the client is
 * held (FR_CONN_BLOCKED) while a non-blocking socket talks to the target
 * on the loop, and answered when the last line came, as it would have
 * been. The payloads are made when the command runs; the keys are deleted
 * when the target said yes. Inside EXEC and for fr_exec, where a client
 * can't be held, the exchange runs with poll() in place: that target must
 * not be on this loop. No socket is cached: every MIGRATE connects and
 * SELECTs. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "commands_private.h"
#include "core.h"
#include "commands.h"
#include "base.h"
#include "data.h"
#include "cluster_engine.h"

enum { IO_OK, IO_CONNECT, IO_WRITE, IO_READ };

typedef struct fr_migration {
    fr_conn *c;
    int fd;
    int connecting; /* waiting for connect() to complete */
    int reading;    /* everything sent: reading the reply lines */
    short wait;     /* EV_READ or EV_WRITE */
    struct event *ev;
    int timeout_ms;
    fr_buf out, in;
    size_t sent;
    int auth, select; /* 1 when the first lines answer AUTH, SELECT */
    int nkeys, copy, db;
    char **keys;
    size_t *klens;
    struct fr_migration *next;
} migration;

static void mig_free(migration *m)
{
    if (m->ev)
        event_free(m->ev);
    if (m->fd >= 0)
        close(m->fd);
    fr__buf_free(&m->out);
    fr__buf_free(&m->in);
    for (int i = 0; i < m->nkeys; i++)
        free(m->keys[i]);
    free(m->keys);
    free(m->klens);
    free(m);
}

/* ---- the answer ---------------------------------------------------------- */

/* The n-th line of the target's replies (without CRLF), or NULL. */
static const char *nth_line(const migration *m, int n, size_t *len)
{
    const char *p = m->in.p, *end = m->in.p + m->in.len;
    for (int i = 0; p && p < end; i++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            return NULL;
        if (i == n) {
            *len = (size_t)(nl - p);
            if (*len && p[*len - 1] == '\r')
                (*len)--;
            return p;
        }
        p = nl + 1;
    }
    return NULL;
}

static void delete_key(fr_conn *c, int db, const char *k, size_t n)
{
    if (!fr__db_delete(c->srv->ks, db, k, n))
        return;
    fr__keyspace_modified(c->srv->ks, db, k, n);
    fr__keyspace_notify(c->srv->ks, FR_NOTIFY_GENERIC, "del", k, n, db);
}

/* Answer c from what came back (Redis' order: an AUTH error, else a SELECT
 * error, else the first RESTORE error; keys the target took are gone). */
static void answer(migration *m, int io)
{
    fr_conn *c = m->c;
    size_t alen = 0, slen = 0, len = 0;
    const char *auth = m->auth ? nth_line(m, 0, &alen) : NULL;
    const char *sel = m->select ? nth_line(m, m->auth, &slen) : NULL;
    const char *err = NULL;
    size_t errlen = 0;
    int missing = 0;
    for (int j = 0; j < m->nkeys; j++) {
        const char *l = nth_line(m, m->auth + m->select + j, &len);
        if (!l) {
            missing = 1;
            break;
        }
        int bad_auth = auth && auth[0] == '-', bad_sel = sel && sel[0] == '-';
        if (bad_auth || bad_sel || l[0] == '-') {
            if (!err) {
                err = bad_auth ? auth : bad_sel ? sel : l;
                errlen = bad_auth ? alen : bad_sel ? slen : len;
            }
        } else if (!m->copy) {
            delete_key(c, m->db, m->keys[j], m->klens[j]);
        }
    }
    if (err) {
        fr__add_errorf(c, "Target instance replied with error: %.*s", (int)errlen - 1, err + 1);
    } else if (io == IO_CONNECT) {
        fr__add_error(c, "-IOERR error or timeout connecting to the client");
    } else if (io != IO_OK || missing) {
        fr__add_errorf(c, "-IOERR error or timeout %s to target instance",
                       io == IO_WRITE ? "writing" : "reading");
    } else {
        fr__add_ok(c);
    }
}

/* ---- the exchange -------------------------------------------------------- */

/* Move the exchange on after fd became ready for m->wait. Returns IO_OK
 * while it goes on (m->wait says what next), -1 when every line came,
 * or the IO_* failure. */
static int step(migration *m)
{
    if (m->connecting) {
        int err = 0;
        socklen_t el = sizeof err;
        if (getsockopt(m->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err)
            return IO_WRITE; /* refused: Redis finds out writing */
        m->connecting = 0;
    }
    if (!m->reading) {
        while (m->sent < m->out.len) {
            ssize_t w = send(m->fd, m->out.p + m->sent, m->out.len - m->sent, MSG_NOSIGNAL);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                return IO_OK;
            if (w <= 0)
                return IO_WRITE;
            m->sent += (size_t)w;
        }
        m->reading = 1;
        m->wait = EV_READ;
        return IO_OK;
    }
    char buf[4096];
    ssize_t r = recv(m->fd, buf, sizeof buf, 0);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return IO_OK;
    if (r <= 0)
        return IO_READ;
    fr__buf_append(&m->in, buf, (size_t)r);
    int lines = 0;
    for (size_t i = 0; i < m->in.len; i++)
        lines += m->in.p[i] == '\n';
    return lines >= m->auth + m->select + m->nkeys ? -1 : IO_OK;
}

/* What a timeout means where the exchange stands. */
static int timed_out(const migration *m)
{
    return m->connecting ? IO_CONNECT : m->reading ? IO_READ : IO_WRITE;
}

static void unlink_mig(migration *m)
{
    for (migration **pp = &m->c->srv->migrations; *pp; pp = &(*pp)->next)
        if (*pp == m) {
            *pp = m->next;
            return;
        }
}

static void on_io(evutil_socket_t fd, short what, void *arg);

static void arm(migration *m)
{
    fr_server *srv = m->c->srv;
    if (m->ev)
        event_free(m->ev);
    m->ev = event_new(srv->base, m->fd, m->wait, on_io, m);
    struct timeval tv = {m->timeout_ms / 1000, (m->timeout_ms % 1000) * 1000};
    event_add(m->ev, &tv);
}

static void on_io(evutil_socket_t fd, short what, void *arg)
{
    migration *m = arg;
    int st = what & EV_TIMEOUT ? timed_out(m) : step(m);
    if (st == IO_OK) {
        arm(m);
        return;
    }
    fr_conn *c = m->c;
    fr_server *srv = c->srv;
    unlink_mig(m);
    c->flags &= ~(unsigned)FR_CONN_BLOCKED;
    answer(m, st < 0 ? IO_OK : st);
    mig_free(m);
    fr__conn_commit_reply(c);
    fr__conn_resume(c);
    fr__flush_pending(srv);
    fr__notify(srv);
}

/* The exchange in place, for a client that can't be held. */
static void run_in_place(migration *m)
{
    int st = IO_OK;
    while (st == IO_OK) {
        struct pollfd p = {m->fd, m->wait == EV_READ ? POLLIN : POLLOUT, 0};
        int r;
        do
            r = poll(&p, 1, m->timeout_ms);
        while (r < 0 && errno == EINTR);
        st = r <= 0 ? timed_out(m) : step(m);
    }
    answer(m, st < 0 ? IO_OK : st);
    mig_free(m);
}

static void on_close(fr_conn *c)
{
    for (migration **pp = &c->srv->migrations; *pp;) {
        migration *m = *pp;
        if (m->c != c) {
            pp = &m->next;
            continue;
        }
        *pp = m->next;
        mig_free(m);
    }
}

static const fr_stage_ops migrate_stage = {
    .name = "migrate",
    .order = 45,
    .close = on_close,
};

/* A non-blocking socket connecting to host:port, or -1. */
static int dial(const fr_arg *host, const fr_arg *port)
{
    char h[256], p[32];
    if (host->len >= sizeof h || port->len >= sizeof p)
        return -1;
    memcpy(h, host->p, host->len);
    h[host->len] = '\0';
    memcpy(p, port->p, port->len);
    p[port->len] = '\0';
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *ai = NULL;
    if (getaddrinfo(h, p, &hints, &ai) != 0 || !ai)
        return -1;
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
        close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    if (fd >= 0) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    return fd;
}

static void put_bulk(fr_buf *b, const char *p, size_t n)
{
    fr__buf_printf(b, "$%zu\r\n", n);
    fr__buf_append(b, p, n);
    fr__buf_append(b, "\r\n", 2);
}

/* ---- MIGRATE ------------------------------------------------------------- */

typedef struct mig_args {
    int copy, replace, first_key, num_keys;
    const fr_arg *user, *pass;
    long long timeout, db;
} mig_args;

/* The options, then timeout and db, checked in Redis' order; 0 when c was
 * answered with the error. */
static int parse(fr_conn *c, mig_args *a)
{
    *a = (mig_args){.first_key = 3, .num_keys = 1};
    for (int j = 6; j < c->argc; j++) {
        const fr_arg *o = &c->argv[j];
        int more = c->argc - 1 - j;
        if (fr__arg_is(o, "copy")) {
            a->copy = 1;
        } else if (fr__arg_is(o, "replace")) {
            a->replace = 1;
        } else if (fr__arg_is(o, "auth") && more >= 1) {
            a->pass = &c->argv[++j];
        } else if (fr__arg_is(o, "auth2") && more >= 2) {
            a->user = &c->argv[++j];
            a->pass = &c->argv[++j];
        } else if (fr__arg_is(o, "keys")) {
            if (c->argv[3].len != 0) {
                fr__add_error(c, "When using MIGRATE KEYS option, the key argument must be set "
                                 "to the empty string");
                return 0;
            }
            a->first_key = j + 1;
            a->num_keys = c->argc - j - 1;
            break;
        } else {
            fr__add_error(c, fr__err_syntax);
            return 0;
        }
    }
    if (!fr__arg_ll(c, &c->argv[5], &a->timeout) || !fr__arg_ll(c, &c->argv[4], &a->db))
        return 0;
    if (a->timeout <= 0 || a->timeout > 86400000LL)
        a->timeout = a->timeout <= 0 ? 1000 : 86400000LL;
    return 1;
}

/* The commands for the target; the keys found (not expired) go to m. */
static void build(fr_conn *c, const mig_args *a, migration *m)
{
    fr_buf *b = &m->out;
    if (a->pass) {
        fr__buf_printf(b, "*%d\r\n", a->user ? 3 : 2);
        put_bulk(b, "AUTH", 4);
        if (a->user)
            put_bulk(b, a->user->p, a->user->len);
        put_bulk(b, a->pass->p, a->pass->len);
        m->auth = 1;
    }
    char db[24];
    int dl = snprintf(db, sizeof db, "%lld", a->db);
    fr__buf_printf(b, "*2\r\n");
    put_bulk(b, "SELECT", 6);
    put_bulk(b, db, (size_t)dl);
    m->select = 1;
    int cluster = fr__cluster_enabled(c->srv);
    m->keys = fr__xcalloc((size_t)a->num_keys, sizeof *m->keys);
    m->klens = fr__xcalloc((size_t)a->num_keys, sizeof *m->klens);
    fr_buf payload = {0};
    for (int j = 0; j < a->num_keys; j++) {
        const fr_arg *k = &c->argv[a->first_key + j];
        fr_obj *o = fr__lookup_read(c, k);
        if (!o)
            continue;
        long long ttl = 0;
        int64_t at = fr__db_get_expire(c->srv->ks, c->db, k->p, k->len);
        if (at >= 0) {
            ttl = at - fr__now_ms(c->srv);
            if (ttl < 0)
                continue;
            if (ttl < 1)
                ttl = 1;
        }
        fr__buf_printf(b, "*%d\r\n", a->replace ? 5 : 4);
        if (cluster)
            put_bulk(b, "RESTORE-ASKING", 14);
        else
            put_bulk(b, "RESTORE", 7);
        put_bulk(b, k->p, k->len);
        char t[24];
        put_bulk(b, t, (size_t)snprintf(t, sizeof t, "%lld", ttl));
        payload.len = 0;
        fr__key_dump_payload(o, &payload);
        put_bulk(b, payload.p, payload.len);
        if (a->replace)
            put_bulk(b, "REPLACE", 7);
        m->keys[m->nkeys] = fr__xmalloc(k->len + 1);
        memcpy(m->keys[m->nkeys], k->p, k->len);
        m->klens[m->nkeys++] = k->len;
    }
    fr__buf_free(&payload);
}

void fr__cmd_migrate(fr_conn *c)
{
    mig_args a;
    if (!parse(c, &a))
        return;
    migration *m = fr__xcalloc(1, sizeof *m);
    m->fd = -1;
    m->c = c;
    m->copy = a.copy;
    m->db = c->db;
    m->timeout_ms = (int)a.timeout;
    build(c, &a, m);
    if (m->nkeys == 0) {
        /* nothing to move (missing or expired): not an error, as in Redis */
        fr__add_status(c, "NOKEY");
        mig_free(m);
        return;
    }
    m->fd = dial(&c->argv[1], &c->argv[2]);
    if (m->fd < 0) {
        answer(m, IO_CONNECT);
        mig_free(m);
        return;
    }
    m->connecting = 1;
    m->wait = EV_WRITE;
    if (c->flags & (FR_CONN_EXECUTING | FR_CONN_PSEUDO)) {
        run_in_place(m);
        return;
    }
    fr__stage_register(c->srv, &migrate_stage);
    m->next = c->srv->migrations;
    c->srv->migrations = m;
    c->flags |= FR_CONN_BLOCKED;
    arm(m);
}
