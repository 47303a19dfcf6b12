/* Server lifecycle: options, listeners, accept, cron, the loop thread. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "command.h"
#include "conn.h"
#include "data.h"
#include "loop.h"
#include "marshal.h"
#include "multi.h"
#include "reply.h"
#include "server.h"
#include "sigpipe.h"
#include "stage.h"
#include "fakeredis/events.h"


const char *fr_strerror(int status)
{
    switch (status) {
    case FR_OK: return "success";
    case FR_ERR_ARG: return "invalid argument";
    case FR_ERR_NOMEM: return "out of memory";
    case FR_ERR_SOCKET: return "socket error";
    case FR_ERR_THREAD: return "could not start the loop thread";
    case FR_ERR_EVENT: return "libevent error";
    case FR_ERR_STOPPED: return "server stopped";
    case FR_ERR_PARSE: return "parse error";
    case FR_ERR_STATE: return "not allowed in this state";
    case FR_ERR_IO: return "input/output error";
    case FR_ERR_TIMEOUT: return "timed out";
    case FR_ERR_REPLY: return "Redis answered with an error";
    case FR_ERR_NOKEY: return "no such key";
    default: return "unknown status";
    }
}

void fr__server_set_err(fr_server *srv, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(srv->errstr, sizeof srv->errstr, fmt, ap);
    va_end(ap);
}

const char *fr_server_errstr(const fr_server *srv)
{
    return srv ? srv->errstr : "no server";
}

int fr_server_port(const fr_server *srv)
{
    return srv ? srv->port : -1;
}

const char *fr_server_bind(const fr_server *srv)
{
    return srv ? srv->bind_addr : NULL;
}

const char *fr_server_unixsocket(const fr_server *srv)
{
    return srv ? srv->unixsocket : NULL;
}

int fr_server_is_shut_down(const fr_server *srv)
{
    /* the only read of shut_down off the loop thread: atomic, as are the
     * two writes (fr__server_shutdown, the marshal's stop) */
    return srv ? __atomic_load_n(&srv->shut_down, __ATOMIC_ACQUIRE) : 1;
}

static void count_clients(fr_server *srv, void *arg)
{
    /* A client being closed counts until it is freed: its subscriptions
     * and blocked keys go with the free, so "0 clients" means all gone. */
    int n = 0;
    for (fr_conn *c = srv->conns; c; c = c->next)
        if (!(c->flags & FR_CONN_PSEUDO))
            n++;
    *(int *)arg = n;
}

int fr_server_client_count(fr_server *srv)
{
    int n = -1;
    if (!srv || fr__run_on_loop(srv, count_clients, &n) != FR_OK)
        return -1;
    return n;
}

/* A caller's function, run as one job: the calls it makes on the server
 * find themselves on the loop thread and run directly. */
typedef struct user_job {
    fr_loop_fn *fn;
    void *arg;
    int ran;
} user_job;

static void run_user(fr_server *srv, void *arg)
{
    user_job *u = arg;
    if (srv->shut_down)
        return;
    u->fn(srv, u->arg);
    u->ran = 1;
}

int fr_server_run_on_loop(fr_server *srv, fr_loop_fn *fn, void *arg)
{
    if (!srv || !fn)
        return FR_ERR_ARG;
    user_job u = {fn, arg, 0};
    int rc = fr__run_on_loop(srv, run_user, &u);
    if (rc != FR_OK)
        return rc;
    return u.ran ? FR_OK : FR_ERR_STOPPED;
}

/* ---- accepting ------------------------------------------------------ */

static void refuse(int fd, const char *msg)
{
    /* best effort, as Redis: the client may never read it */
    ssize_t w = send(fd, msg, strlen(msg), MSG_NOSIGNAL);
    (void)w;
    close(fd);
}

static void on_accept(evutil_socket_t lfd, short what, void *arg)
{
    fr_server *srv = arg;
    int unix_listener = lfd == srv->unix_fd;
    for (int i = 0; i < 64; i++) { /* bounded: let other events run too */
        struct sockaddr_storage peer;
        socklen_t plen = sizeof peer;
        int fd = accept4(lfd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            break;
        srv->stats.conns_received++;
        if (!unix_listener) {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        }
        if (srv->nstages && fr__stage_accept(srv, fd))
            continue;
        /* the fr_exec pseudo client is not a connection Redis would count */
        size_t clients = srv->nconns - (srv->exec_client ? 1 : 0);
        if ((long long)clients >= srv->cfg.maxclients) {
            srv->stats.conns_rejected++;
            refuse(fd, "-ERR max number of clients reached\r\n");
            continue;
        }
        if (fr__protected_denies_fd(srv, fd)) {
            refuse(fd, fr__err_denied);
            continue;
        }
        fr_conn *c = unix_listener ? fr__conn_new(srv, fd, FR_CONN_UNIX)
                                   : fr__conn_new_peer(srv, fd, 0, &peer, plen);
        if (!c)
            close(fd);
    }
    fr__flush_pending(srv);
}

static int listen_now(fr_server *srv);
static int listen_arm(fr_server *srv);

static int tcp_listen(fr_server *srv, int port)
{
    struct sockaddr_storage ss;
    socklen_t len;
    memset(&ss, 0, sizeof ss);
    const char *addr = srv->bind_addr ? srv->bind_addr : "127.0.0.1";
    struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        len = sizeof *a4;
    } else if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        len = sizeof *a6;
    } else {
        fr__server_set_err(srv, "bad bind address '%s'", addr);
        return -1;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fr__server_set_err(srv, "socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    /* restarts on the same port must not wait out TIME_WAIT */
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 511) < 0) {
        fr__server_set_err(srv, "listen on %s:%d: %s", addr, port, strerror(errno));
        close(fd);
        return -1;
    }
    len = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &len);
    int real = ntohs(ss.ss_family == AF_INET ? a4->sin_port : a6->sin6_port);
    /* fr_server_port() reads this from any thread: a re-listen on the
     * same port (faults) must not write it again */
    if (srv->port != real)
        srv->port = real;
    srv->cfg.port = real; /* CONFIG GET port: the port picked for 0 */
    return fd;
}

static int unix_listen(fr_server *srv)
{
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    if (strlen(srv->unixsocket) >= sizeof sa.sun_path) {
        fr__server_set_err(srv, "unix socket path too long");
        return -1;
    }
    strcpy(sa.sun_path, srv->unixsocket);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fr__server_set_err(srv, "socket: %s", strerror(errno));
        return -1;
    }
    unlink(srv->unixsocket);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 511) < 0) {
        fr__server_set_err(srv, "listen on %s: %s", srv->unixsocket, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

int fr__server_listen(fr_server *srv)
{
    if (srv->listening)
        return FR_OK;
    int rc = listen_now(srv);
    if (rc == FR_OK)
        rc = listen_arm(srv);
    return rc;
}

static void close_listeners(fr_server *srv)
{
    if (srv->tcp_ev)
        event_free(srv->tcp_ev);
    if (srv->unix_ev)
        event_free(srv->unix_ev);
    srv->tcp_ev = srv->unix_ev = NULL;
    if (srv->tcp_fd >= 0)
        close(srv->tcp_fd);
    if (srv->unix_fd >= 0) {
        close(srv->unix_fd);
        unlink(srv->unixsocket);
    }
    srv->tcp_fd = srv->unix_fd = -1;
}

/* The sockets and their events, not yet added to the loop (listen_arm):
 * a start on a shared loop binds on the caller's thread, where the port
 * must be known, and leaves the loop's base to the loop's thread. */
static int listen_now(fr_server *srv)
{
    if (srv->port >= 0) {
        srv->tcp_fd = tcp_listen(srv, srv->port);
        if (srv->tcp_fd < 0)
            return FR_ERR_SOCKET;
        srv->tcp_ev = event_new(srv->base, srv->tcp_fd, EV_READ | EV_PERSIST, on_accept, srv);
        if (!srv->tcp_ev)
            goto fail;
    }
    if (srv->unixsocket) {
        srv->unix_fd = unix_listen(srv);
        if (srv->unix_fd < 0)
            goto fail;
        srv->unix_ev = event_new(srv->base, srv->unix_fd, EV_READ | EV_PERSIST, on_accept, srv);
        if (!srv->unix_ev)
            goto fail;
    }
    return FR_OK;
fail:
    close_listeners(srv); /* nothing was added to the loop yet */
    return FR_ERR_SOCKET;
}

/* On the loop's thread: the listeners' events go live. */
static int listen_arm(fr_server *srv)
{
    srv->listening = 1;
    if ((srv->tcp_ev && event_add(srv->tcp_ev, NULL) < 0) ||
        (srv->unix_ev && event_add(srv->unix_ev, NULL) < 0)) {
        fr__server_unlisten(srv);
        return FR_ERR_SOCKET;
    }
    if (srv->nstages)
        fr__stage_listen(srv, 1);
    fr__notify(srv);
    return FR_OK;
}

void fr__server_unlisten(fr_server *srv)
{
    if (!srv->listening)
        return;
    if (srv->nstages)
        fr__stage_listen(srv, 0);
    fr__notify(srv);
    close_listeners(srv);
    srv->listening = 0;
}

/* ---- watchers ---------------------------------------------------------- */

struct fr_watcher {
    uint64_t id;
    fr_watch_fn *fn;
    void *ctx;
    struct fr_watcher *next;
};

static void on_notify(evutil_socket_t fd, short what, void *arg)
{
    fr_server *srv = arg;
    srv->notify_pending = 0;
    for (struct fr_watcher *w = srv->watchers, *next; w; w = next) {
        next = w->next;
        w->fn(w->ctx);
    }
}

typedef struct watch_job {
    fr_watch_fn *fn;
    void *ctx;
    uint64_t id;
    int status;
} watch_job;

static void watch_on_loop(fr_server *srv, void *arg)
{
    watch_job *j = arg;
    if (srv->shut_down) {
        j->status = FR_ERR_STOPPED;
        return;
    }
    struct fr_watcher *w = fr__xcalloc(1, sizeof *w);
    w->id = j->id = ++srv->next_watch_id;
    w->fn = j->fn;
    w->ctx = j->ctx;
    w->next = srv->watchers;
    srv->watchers = w;
    j->status = FR_OK;
}

int fr_server_watch(fr_server *srv, fr_watch_fn *fn, void *ctx, uint64_t *id)
{
    if (!srv || !fn)
        return FR_ERR_ARG;
    watch_job j = {fn, ctx, 0, FR_ERR_STOPPED};
    int rc = fr__run_on_loop(srv, watch_on_loop, &j);
    if (rc == FR_OK && j.status == FR_OK && id)
        *id = j.id;
    return rc != FR_OK ? rc : j.status;
}

static void unwatch_on_loop(fr_server *srv, void *arg)
{
    watch_job *j = arg;
    for (struct fr_watcher **pp = &srv->watchers; *pp; pp = &(*pp)->next) {
        if ((*pp)->id == j->id) {
            struct fr_watcher *w = *pp;
            *pp = w->next;
            free(w);
            j->status = FR_OK;
            return;
        }
    }
    j->status = FR_ERR_ARG;
}

int fr_server_unwatch(fr_server *srv, uint64_t id)
{
    if (!srv)
        return FR_ERR_ARG;
    watch_job j = {NULL, NULL, id, FR_ERR_STOPPED};
    int rc = fr__run_on_loop(srv, unwatch_on_loop, &j);
    return rc != FR_OK ? rc : j.status;
}

struct event_base *fr_server_base(const fr_server *srv)
{
    return srv && !srv->threaded ? srv->base : NULL;
}

/* ---- housekeeping ---------------------------------------------------- */

static void on_reap(evutil_socket_t fd, short what, void *arg)
{
    fr_server *srv = arg;
    fr_conn *c;
    while ((c = srv->to_close)) {
        srv->to_close = c->close_next;
        fr__conn_free(c);
    }
}

static void close_idle(fr_server *srv)
{
    long long timeout = srv->cfg.timeout;
    if (timeout <= 0)
        return;
    int64_t now = fr__mono_ms();
    for (fr_conn *c = srv->conns; c; c = c->next) {
        /* as Redis: blocked clients (a CLIENT PAUSE holds them blocked
         * too), subscribers and monitors never time out */
        if (c->flags & (FR_CONN_PSEUDO | FR_CONN_BLOCKED | FR_CONN_PUBSUB | FR_CONN_POSTPONED |
                        FR_CONN_MONITOR))
            continue;
        if ((now - c->last_ms) / 1000 > timeout)
            fr__conn_close_async(c);
    }
}

static int by_pause_seq(const void *a, const void *b)
{
    uint64_t x = (*(fr_conn *const *)a)->pause_seq, y = (*(fr_conn *const *)b)->pause_seq;
    return (x > y) - (x < y);
}

/* CLIENT PAUSE ended (by time or UNPAUSE): run what was held back, in the
 * order it was held, as Redis does; keys expire again. */
void fr__server_unpause(fr_server *srv)
{
    srv->paused_until_ms = 0;
    srv->ks->expire_paused = 0;
    if (srv->pause_ev)
        event_del(srv->pause_ev);
    size_t n = 0, i = 0;
    for (fr_conn *c = srv->conns; c; c = c->next)
        n += c->pause_seq != 0;
    if (!n)
        return;
    fr_conn **held = fr__xmalloc(n * sizeof *held);
    for (fr_conn *c = srv->conns; c; c = c->next)
        if (c->pause_seq)
            held[i++] = c;
    qsort(held, n, sizeof *held, by_pause_seq);
    for (i = 0; i < n; i++) {
        held[i]->pause_seq = 0;
        held[i]->flags &= ~(unsigned)FR_CONN_POSTPONED;
        fr__conn_resume(held[i]); /* its read event runs in this order */
    }
    free(held);
}

static void on_pause_end(evutil_socket_t fd, short what, void *arg)
{
    fr__server_unpause(arg);
}

void fr__server_pause(fr_server *srv, int64_t until_ms, int all)
{
    /* Redis: a new pause can only extend the old one, or widen it */
    int active = srv->paused_until_ms > fr__real_ms();
    if (active && until_ms < srv->paused_until_ms)
        until_ms = srv->paused_until_ms;
    srv->paused_until_ms = until_ms;
    /* Redis neither deletes nor counts expired keys while paused: they are
     * only reported missing */
    srv->ks->expire_paused = 1;
    /* an ended pause leaves no mode behind: WRITE after ALL is WRITE */
    srv->pause_all = all || (active && srv->pause_all);
    int64_t wait = until_ms - fr__real_ms();
    struct timeval tv = {(time_t)(wait > 0 ? wait / 1000 : 0),
                         (suseconds_t)(wait > 0 ? (wait % 1000) * 1000 : 0)};
    event_add(srv->pause_ev, &tv);
}

fr_conn *fr__exec_client(fr_server *srv)
{
    if (!srv->exec_client) {
        srv->exec_client = fr__conn_new(srv, -1, FR_CONN_PSEUDO | FR_CONN_AUTHED);
        srv->exec_client->resp = 3;
    }
    return srv->exec_client;
}

int64_t fr__now_ms(fr_server *srv)
{
    return fr__clock_ms(&srv->clock);
}

static void on_cron(evutil_socket_t fd, short what, void *arg)
{
    fr_server *srv = arg;
    close_idle(srv);
    fr__keyspace_active_expire(srv->ks, 25000);
    fr__keyspace_rehash(srv->ks, 1000);
    fr__stage_cron(srv);
    fr__flush_pending(srv);
    fr__notify(srv); /* keys may have expired, clients timed out */
}

/* Active expiry every 10 ms, finer than Redis' 100 ms cron so that "PX 50
 * is gone 100 ms later" holds without anyone touching the key. */
static void on_expire_tick(evutil_socket_t fd, short what, void *arg)
{
    fr_server *srv = arg;
    if (!fr__keyspace_has_expires(srv->ks))
        return;
    fr__keyspace_active_expire(srv->ks, 1000);
    fr__flush_pending(srv); /* expired events may have gone out */
}

void fr__clock_changed(fr_server *srv)
{
    fr__keyspace_expire_due(srv->ks);
    /* the clock-driven stages (blocking timeouts) run from cron, which is
     * documented to run after the clock moved */
    fr__stage_cron(srv);
    fr__notify(srv);
}

/* ---- creation and teardown ------------------------------------------ */

static void server_free(fr_server *srv)
{
    fr_conn *c;
    while ((c = srv->conns))
        fr__conn_free(c);
    srv->to_close = NULL;
    fr__server_unlisten(srv);
    fr__stage_stop(srv);
    fr__multi_free_server(srv);
    while (srv->watchers) {
        struct fr_watcher *w = srv->watchers;
        srv->watchers = w->next;
        free(w);
    }
    if (srv->notify_ev)
        event_free(srv->notify_ev);
    if (srv->expire_ev)
        event_free(srv->expire_ev);
    if (srv->flush_ev)
        event_free(srv->flush_ev);
    if (srv->reaper_ev)
        event_free(srv->reaper_ev);
    if (srv->cron_ev)
        event_free(srv->cron_ev);
    if (srv->pause_ev)
        event_free(srv->pause_ev);
    fr__marshal_fini(srv);
    fr__keyspace_free(srv->ks);
    fr__config_free(&srv->cfg);
    if (srv->own_base && srv->base)
        event_base_free(srv->base);
    free(srv->bind_addr);
    free(srv->unixsocket);
    free(srv);
}

/* What a start must refuse before anything is bound: a database count
 * past the limit, a record directory that is not one, a non-loopback bind
 * without a password in protected mode. Returns 0, or -1 with the reason
 * in srv->errstr. */
static int check_start(fr_server *srv, const fr_options *opts)
{
    if (opts->databases < 0 || opts->databases > FR_MAX_DATABASES) {
        fr__server_set_err(srv, "databases: %d is not between 1 and %d", opts->databases,
                           FR_MAX_DATABASES);
        return -1;
    }
    if (opts->record_dir) {
        /* resolved once, so a later chdir() in the test process or a
         * renamed symlink cannot move where the wire may write */
        char *dir = realpath(opts->record_dir, NULL);
        int e = dir ? ENOTDIR : errno;
        struct stat st;
        if (!dir || stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
            fr__server_set_err(srv, "record directory '%s': %s", opts->record_dir, strerror(e));
            free(dir);
            return -1;
        }
        free(srv->cfg.record_dir);
        srv->cfg.record_dir = dir;
    }
    if (fr__protected_refuses_bind(srv->bind_addr, srv->port, srv->cfg.requirepass,
                                   srv->cfg.protected_mode)) {
        fr__server_set_err(srv,
                           "protected mode: other hosts can reach %s and no password is set; "
                           "set requirepass, bind a loopback address, or turn protected-mode "
                           "off (--protected-mode no)",
                           srv->bind_addr);
        return -1;
    }
    return 0;
}

/* The timers and the listeners go live: on the loop's thread. */
static int go_live(fr_server *srv)
{
    struct timeval tick = {0, 100 * 1000};
    event_add(srv->cron_ev, &tick);
    struct timeval expire_tick = {0, 10 * 1000};
    event_add(srv->expire_ev, &expire_tick);
    return fr__server_listen(srv);
}

static fr_server *server_new(struct event_base *base, const fr_options *opts,
                             const fr_cmd_index *cmds, fr_server_init_fn *init, int deferred,
                             int *status)
{
    static const fr_options defaults;
    if (!opts)
        opts = &defaults;
    fr_server *srv = fr__xcalloc(1, sizeof *srv);
    srv->tcp_fd = srv->unix_fd = -1;
    srv->wake_fd = -1;
    srv->start_ms = fr__real_ms();
    srv->lastsave_s = srv->start_ms / 1000;
    fr__config_defaults(&srv->cfg);
    /* The options say where to listen unless a config line says otherwise
     * (a config file's "port 7000"): the configuration is the one truth. */
    srv->cfg.port = opts->port;
    if (opts->bind) {
        free(srv->cfg.bind);
        srv->cfg.bind = fr__xstrdup(opts->bind);
    }
    if (opts->unixsocket) {
        free(srv->cfg.unixsocket);
        srv->cfg.unixsocket = fr__xstrdup(opts->unixsocket);
    }
    if (opts->databases > 0)
        srv->cfg.databases = opts->databases;
    if (opts->requirepass) {
        free(srv->cfg.requirepass); /* the default "" */
        srv->cfg.requirepass = fr__xstrdup(opts->requirepass);
    }
    srv->cfg.control = !opts->no_control;
    srv->on_shutdown = opts->on_shutdown;
    srv->on_shutdown_ctx = opts->on_shutdown_ctx;
    for (const char *const *d = opts->config; d && *d; d++) {
        char err[256];
        if (fr__config_apply_line(srv, *d, strlen(*d), err, sizeof err) < 0) {
            fr__server_set_err(srv, "config '%s': %s", *d, err);
            *status = FR_ERR_PARSE;
            goto fail;
        }
    }
    srv->port = (int)srv->cfg.port;
    srv->bind_addr = fr__xstrdup(srv->cfg.bind);
    srv->unixsocket = *srv->cfg.unixsocket ? fr__xstrdup(srv->cfg.unixsocket) : NULL;
    if (check_start(srv, opts) < 0) {
        *status = FR_ERR_ARG;
        goto fail;
    }
    if (opts->frozen_clock)
        fr__clock_freeze(&srv->clock);

    if (base) {
        srv->base = base;
    } else {
        /* our loop is only ever touched by our thread: no libevent locks */
        struct event_config *ec = event_config_new();
        /* IGNORE_ENV: no EVENT_* variables to read, and four getuid()-style
         * calls less per base (libevent checks them per variable).
         * (Not EPOLL_USE_CHANGELIST, which would save the epoll_ctl calls at
         * stop: tried, and a connection broke across a listener closed and
         * made again, as FAKE.LISTEN OFF/ON does; test_faults shows it.) */
        if (ec)
            event_config_set_flag(ec, EVENT_BASE_FLAG_NOLOCK | EVENT_BASE_FLAG_IGNORE_ENV);
        srv->base = ec ? event_base_new_with_config(ec) : NULL;
        if (ec)
            event_config_free(ec);
        srv->own_base = 1;
    }
    srv->cmds = cmds;
    srv->reaper_ev = srv->base ? event_new(srv->base, -1, 0, on_reap, srv) : NULL;
    srv->cron_ev = srv->base ? event_new(srv->base, -1, EV_PERSIST, on_cron, srv) : NULL;
    srv->pause_ev = srv->base ? event_new(srv->base, -1, 0, on_pause_end, srv) : NULL;
    srv->expire_ev = srv->base ? event_new(srv->base, -1, EV_PERSIST, on_expire_tick, srv) : NULL;
    srv->flush_ev = srv->base ? event_new(srv->base, -1, 0, fr__on_flush, srv) : NULL;
    srv->notify_ev = srv->base ? event_new(srv->base, -1, 0, on_notify, srv) : NULL;
    if (!srv->base || !srv->cmds || !srv->reaper_ev || !srv->cron_ev || !srv->pause_ev ||
        !srv->expire_ev || !srv->flush_ev || !srv->notify_ev) {
        *status = FR_ERR_EVENT;
        goto fail;
    }
    srv->ks = fr__keyspace_new((int)srv->cfg.databases, &srv->clock);
    fr__config_policy_changed(srv); /* a config line may have set it */
    /* an attached server is called on its base's thread: nothing to
     * marshal, no wake-up pipe */
    if (!base && fr__marshal_init(srv) < 0) {
        *status = FR_ERR_EVENT;
        goto fail;
    }
    if (init && (*status = init(srv, opts)) != FR_OK)
        goto fail;
    if (!deferred) {
        *status = go_live(srv);
    } else if ((*status = listen_now(srv)) == FR_OK) {
        /* bound here, its events live once go_live_on_loop ran; listening
         * from now on (the kernel queues connections), and the journal's
         * "listening" entry is there before the start returns, as for a
         * server with a thread of its own */
        srv->listening = 1;
        if (srv->nstages)
            fr__stage_listen(srv, 1);
    }
    if (*status != FR_OK)
        goto fail;
    return srv;
fail:
    if (opts->errbuf && opts->errbuf_len)
        snprintf(opts->errbuf, opts->errbuf_len, "%s",
                 srv->errstr[0] ? srv->errstr : fr_strerror(*status));
    server_free(srv);
    return NULL;
}

static void *loop_main(void *arg)
{
    fr_server *srv = arg;
    fr__thread_block_sigpipe();
    event_base_loop(srv->base, EVLOOP_NO_EXIT_ON_EMPTY);
    return NULL;
}

static int attach(struct event_base *base, const fr_options *opts, const fr_cmd_index *cmds,
                  fr_server_init_fn *init, fr_server **out)
{
    int status = FR_OK;
    fr_server *srv = server_new(base, opts, cmds, init, 0, &status);
    if (!srv)
        return status;
    srv->loop_thread = pthread_self();
    *out = srv;
    return FR_OK;
}

/* A start on a shared loop: the server is made on the caller's thread as
 * an attached one would be (the loop's base, no thread, no wake-up fd of
 * its own) and bound there, so its port is known when the start returns;
 * its events go live in a job the loop runs before any later call (the
 * queue keeps order), and the caller does not wait for it: the kernel
 * queues connections meanwhile. Calls from other threads go through the
 * loop's queue, as the server is marked threaded. */
static void go_live_on_loop(fr_server *srv, void *arg)
{
    (void)arg;
    struct timeval tick = {0, 100 * 1000};
    event_add(srv->cron_ev, &tick);
    struct timeval expire_tick = {0, 10 * 1000};
    event_add(srv->expire_ev, &expire_tick);
    if ((srv->tcp_ev && event_add(srv->tcp_ev, NULL) < 0) ||
        (srv->unix_ev && event_add(srv->unix_ev, NULL) < 0))
        __atomic_store_n(&srv->shut_down, 1, __ATOMIC_RELEASE); /* out of memory only */
    fr__notify(srv);
}

static int start_on_loop(fr_loop *loop, const fr_options *opts, const fr_cmd_index *cmds,
                         fr_server_init_fn *init, fr_server **out)
{
    int status = FR_OK;
    fr_server *srv = server_new(fr__loop_base(loop), opts, cmds, init, 1, &status);
    if (!srv)
        return status;
    srv->threaded = 1;
    srv->loop = loop;
    srv->loop_thread = fr__loop_thread(loop);
    fr__loop_count(loop, 1);
    fr__loop_post(loop, srv, go_live_on_loop, NULL, NULL);
    *out = srv;
    return FR_OK;
}

static void stop_on_loop(fr_server *unused, void *arg)
{
    fr_server *srv = arg;
    fr_loop *loop = srv->loop;
    (void)unused;
    server_free(srv);
    fr__loop_forget(loop, srv);
    fr__loop_count(loop, -1);
}

int fr__server_start(struct event_base *base, const fr_options *opts, const fr_cmd_index *cmds,
                     fr_server_init_fn *init, fr_server **out)
{
    int status = FR_OK;
    if (!out)
        return FR_ERR_ARG;
    *out = NULL;
    if (opts && opts->loop) {
        if (base)
            return FR_ERR_ARG; /* attached: the caller's base is the loop */
        return start_on_loop(opts->loop, opts, cmds, init, out);
    }
    if (base)
        return attach(base, opts, cmds, init, out);
    fr_server *srv = server_new(NULL, opts, cmds, init, 0, &status);
    if (!srv)
        return status;
    srv->threaded = 1;
    /* The listener is bound before the thread runs: from here on the kernel
     * queues connections, so the server "accepts" once this returns. */
    if (pthread_create(&srv->thread, NULL, loop_main, srv) != 0) {
        server_free(srv);
        return FR_ERR_THREAD;
    }
    srv->loop_thread = srv->thread;
    *out = srv;
    return FR_OK;
}


void fr__server_shutdown(fr_server *srv)
{
    if (srv->shut_down)
        return;
    __atomic_store_n(&srv->shut_down, 1, __ATOMIC_RELEASE);
    fr__server_unlisten(srv);
    for (fr_conn *c = srv->conns; c; c = c->next)
        if (!(c->flags & FR_CONN_PSEUDO))
            fr__conn_close_async(c);
    if (srv->on_shutdown)
        srv->on_shutdown(srv->on_shutdown_ctx);
}

void fr_server_stop(fr_server *srv)
{
    if (!srv)
        return;
    if (srv->loop) {
        /* a script running on the loop ends first (script_run.c's hook) */
        __atomic_store_n(&srv->stop_requested, 1, __ATOMIC_RELEASE);
        fr__loop_run(srv->loop, NULL, stop_on_loop, srv);
        return;
    }
    if (srv->threaded) {
        fr__marshal_stop(srv); /* no round trip: the join is the wait */
        pthread_join(srv->thread, NULL);
    }
    server_free(srv);
}
