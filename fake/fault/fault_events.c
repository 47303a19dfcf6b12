/* Server events beside the rules: kill clients, restart on the same port,
 * stop/resume listening, pause/resume processing. The public functions
 * marshal onto the loop thread; FAKE.* (cmd_fake.c) calls the fr__ ones. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "data.h"
#include "fault_engine.h"
#include "base.h"

static int kill_matches(const fr_kill_spec *k, const fr_conn *c)
{
    const fr_kill_filter *f = &k->f;
    if (c->flags & (FR_CONN_PSEUDO | FR_CONN_CLOSE_ASAP))
        return 0;
    if (k->skip_id && c->id == k->skip_id)
        return 0;
    if (f->id && c->id != f->id)
        return 0;
    if (f->name) {
        const char *n = c->name ? c->name : "";
        if (!fr__glob_match(f->name, strlen(f->name), n, strlen(n), 0))
            return 0;
    }
    if (f->addr && !fr__glob_match(f->addr, strlen(f->addr), fr__conn_addr(c), strlen(fr__conn_addr(c)), 0))
        return 0;
    if (f->type == 1 && (c->flags & FR_CONN_PUBSUB))
        return 0;
    if (f->type == 2 && !(c->flags & FR_CONN_PUBSUB))
        return 0;
    if (f->keep_replicas && c->repl)
        return 0;
    return 1;
}

size_t fr__fault_kill(fr_server *srv, const fr_kill_spec *k)
{
    size_t n = 0;
    for (fr_conn *c = srv->conns; c; c = c->next) {
        if (!kill_matches(k, c))
            continue;
        if (k->f.reset)
            fr__fault_rst_now(c);
        else
            fr__fault_fin_now(c);
        n++;
    }
    return n;
}

/* ---- restart ---------------------------------------------------------------- */

static void go_down(fr_server *srv)
{
    struct fr_faults *fs = srv->faults;
    fr__server_unlisten(srv);
    fs->down = 1;
    fr_kill_spec all;
    memset(&all, 0, sizeof all);
    fr__fault_kill(srv, &all);
    fr__fault_drop_held(srv);
    if (fs->restart_flush)
        fr__db_flush(srv->ks, -1);
    if (fs->paused)
        fr__fault_resume(srv);
}

static void come_back(fr_server *srv)
{
    struct fr_faults *fs = srv->faults;
    fs->down = 0;
    fs->restart_stage = 0;
    /* a restarted server is a new process: it listens again, whatever
     * FAKE.LISTEN OFF said before (refuse rules, being rules, still hold) */
    fs->listen_off = 0;
    fr__fault_update_listening(srv); /* on failure errstr says why; we stay down */
}

static void on_restart(evutil_socket_t fd, short what, void *arg)
{
    fr_server *srv = arg;
    struct fr_faults *fs = srv->faults;
    if (fs->restart_stage == 1) {
        go_down(srv);
        fs->restart_stage = 2;
        if (fs->restart_down_ms > 0) {
            struct timeval tv = {(time_t)(fs->restart_down_ms / 1000),
                                 (suseconds_t)((fs->restart_down_ms % 1000) * 1000)};
            event_add(fs->restart_ev, &tv);
            fr__flush_pending(srv);
            return;
        }
    }
    come_back(srv);
    fr__flush_pending(srv);
}

void fr__fault_restart(fr_server *srv, int64_t down_ms, int flush, int deferred)
{
    struct fr_faults *fs = fr__faults_get(srv);
    if (!fs)
        return;
    if (!fs->restart_ev)
        fs->restart_ev = event_new(srv->base, -1, 0, on_restart, srv);
    fs->restart_flush = flush;
    fs->restart_down_ms = down_ms;
    fs->restart_stage = 1;
    if (deferred) {
        /* let the caller's reply leave first */
        struct timeval tv = {0, 0};
        event_add(fs->restart_ev, &tv);
        return;
    }
    go_down(srv);
    fs->restart_stage = 2;
    if (down_ms > 0) {
        struct timeval tv = {(time_t)(down_ms / 1000), (suseconds_t)((down_ms % 1000) * 1000)};
        event_add(fs->restart_ev, &tv);
    } else {
        event_del(fs->restart_ev);
        come_back(srv);
    }
}

int fr__fault_update_listening(fr_server *srv)
{
    struct fr_faults *fs = srv->faults;
    int want = !srv->shut_down && !(fs && (fs->down || fs->listen_off || fs->n_refuse));
    if (!want) {
        fr__server_unlisten(srv);
        return FR_OK;
    }
    return fr__server_listen(srv);
}

int fr__fault_set_listening(fr_server *srv, int on)
{
    struct fr_faults *fs = fr__faults_get(srv);
    if (!fs)
        return FR_ERR_EVENT;
    fs->listen_off = !on;
    return fr__fault_update_listening(srv);
}

/* ---- pause ---------------------------------------------------------------- */

static void on_pause_end(evutil_socket_t fd, short what, void *arg)
{
    fr__fault_resume(arg);
    fr__flush_pending(arg);
}

void fr__fault_pause(fr_server *srv, uint64_t exempt, int64_t ms)
{
    struct fr_faults *fs = fr__faults_get(srv);
    if (!fs)
        return;
    fs->paused = 1;
    fs->pause_exempt = exempt;
    for (fr_conn *c = srv->conns; c; c = c->next) {
        if ((c->flags & FR_CONN_PSEUDO) || c->id == exempt || !c->rev)
            continue;
        event_del(c->rev);
        c->flags |= FR_CONN_READ_PAUSED;
    }
    if (ms > 0) {
        if (!fs->pause_ev)
            fs->pause_ev = event_new(srv->base, -1, 0, on_pause_end, srv);
        struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};
        if (fs->pause_ev)
            event_add(fs->pause_ev, &tv);
    } else if (fs->pause_ev) {
        event_del(fs->pause_ev);
    }
}

void fr__fault_resume(fr_server *srv)
{
    struct fr_faults *fs = srv->faults;
    if (!fs || !fs->paused)
        return;
    fs->paused = 0;
    fs->pause_exempt = 0;
    if (fs->pause_ev)
        event_del(fs->pause_ev);
    for (fr_conn *c = srv->conns; c; c = c->next) {
        if (c->flags & FR_CONN_READ_PAUSED) {
            c->flags &= ~(unsigned)FR_CONN_READ_PAUSED;
            fr__conn_resume(c);
        }
    }
}

/* ---- the public side -------------------------------------------------------- */

typedef struct ev_job {
    const fr_kill_filter *filter;
    size_t killed;
    int64_t ms;
    int flag;
    int status;
} ev_job;

static void kill_on_loop(fr_server *srv, void *arg)
{
    ev_job *j = arg;
    if (srv->shut_down)
        return; /* j->status stays FR_ERR_STOPPED */
    fr_kill_spec k;
    memset(&k, 0, sizeof k);
    if (j->filter)
        k.f = *j->filter;
    j->killed = fr__fault_kill(srv, &k);
    j->status = FR_OK;
}

int fr_server_kill_clients(fr_server *srv, const fr_kill_filter *filter, size_t *killed)
{
    if (!srv)
        return FR_ERR_ARG;
    ev_job j = {filter, 0, 0, 0, FR_ERR_STOPPED};
    int rc = fr__run_on_loop(srv, kill_on_loop, &j);
    if (rc == FR_OK && killed)
        *killed = j.killed;
    return rc != FR_OK ? rc : j.status;
}

static void restart_on_loop(fr_server *srv, void *arg)
{
    ev_job *j = arg;
    if (srv->shut_down) {
        j->status = FR_ERR_STOPPED;
        return;
    }
    if (!fr__faults_get(srv)) {
        j->status = FR_ERR_EVENT; /* event_new failed */
        return;
    }
    fr__fault_restart(srv, j->ms, j->flag, 0);
    struct fr_faults *fs = srv->faults;
    int meant_down = fs->listen_off || fs->n_refuse; /* not a bind failure */
    j->status = srv->listening || meant_down || j->ms > 0 ? FR_OK : FR_ERR_SOCKET;
}

int fr_server_restart(fr_server *srv, int64_t down_ms, int flush)
{
    if (!srv)
        return FR_ERR_ARG;
    ev_job j = {NULL, 0, down_ms, flush, FR_ERR_STOPPED};
    int rc = fr__run_on_loop(srv, restart_on_loop, &j);
    return rc != FR_OK ? rc : j.status;
}

static void listen_on_loop(fr_server *srv, void *arg)
{
    ev_job *j = arg;
    j->status = srv->shut_down ? FR_ERR_STOPPED : fr__fault_set_listening(srv, j->flag);
}

int fr_server_set_listening(fr_server *srv, int on)
{
    if (!srv)
        return FR_ERR_ARG;
    ev_job j = {NULL, 0, 0, on, FR_ERR_STOPPED};
    int rc = fr__run_on_loop(srv, listen_on_loop, &j);
    return rc != FR_OK ? rc : j.status;
}

static void is_listening_on_loop(fr_server *srv, void *arg)
{
    ev_job *j = arg;
    j->flag = srv->listening;
}

int fr_server_is_listening(fr_server *srv)
{
    if (!srv)
        return 0;
    ev_job j = {NULL, 0, 0, 0, FR_OK};
    if (fr__run_on_loop(srv, is_listening_on_loop, &j) != FR_OK)
        return 0;
    return j.flag;
}

static void pause_on_loop(fr_server *srv, void *arg)
{
    ev_job *j = arg;
    if (srv->shut_down)
        return; /* j->status stays FR_ERR_STOPPED */
    if (j->flag)
        fr__fault_pause(srv, 0, 0);
    else
        fr__fault_resume(srv);
    j->status = FR_OK;
}

int fr_server_pause_processing(fr_server *srv)
{
    if (!srv)
        return FR_ERR_ARG;
    ev_job j = {NULL, 0, 0, 1, FR_ERR_STOPPED};
    int rc = fr__run_on_loop(srv, pause_on_loop, &j);
    return rc != FR_OK ? rc : j.status;
}

int fr_server_resume_processing(fr_server *srv)
{
    if (!srv)
        return FR_ERR_ARG;
    ev_job j = {NULL, 0, 0, 0, FR_ERR_STOPPED};
    int rc = fr__run_on_loop(srv, pause_on_loop, &j);
    return rc != FR_OK ? rc : j.status;
}
