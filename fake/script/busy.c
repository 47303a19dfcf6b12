/* Busy scripts. Past busy-reply-threshold Redis keeps serving other
 * clients while a script runs, answering -BUSY to all but a few commands
 * (SCRIPT KILL, FUNCTION KILL, SHUTDOWN NOSAVE, ...). The server is one
 * thread on a libevent loop that cannot be re-entered from inside a
 * callback, so the Lua hook polls the server's sockets itself (without
 * blocking) and calls the same callbacks the loop would: accept, read and
 * dispatch (where the admit stage below answers -BUSY), cross-thread API jobs
 * (so the clock and faults stay usable), then writes what is pending.
 * The caller's own connection is not read, as in Redis.
 *
 * A fault can also make the server look busy for a while without any
 * script (fr__script_fake_busy): the same stage answers -BUSY until the
 * time is up or SCRIPT KILL ends it. The stage is registered with the
 * scripting state, and its stop callback frees that state with the
 * server. */
#include <poll.h>
#include <stdlib.h>

#include "script_int.h"

static const char busy_script[] =
    "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
static const char busy_function[] =
    "-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";

const char *fr__busy_text(int function)
{
    return function ? busy_function : busy_script;
}

static int fake_busy(fr_scripting *s)
{
    if (!s->fake_busy_until)
        return 0;
    if (fr__mono_ms() < s->fake_busy_until)
        return 1;
    s->fake_busy_until = 0;
    return 0;
}

/* The admit gate: after the arity, AUTH and ACL checks, as Redis refuses
 * with -BUSY; and before the cluster's and maxmemory's, so that nothing is
 * evicted while a script runs. */
static int admit(fr_conn *c, const fr_cmd *cmd, int argc, const fr_arg *argv)
{
    (void)argc;
    (void)argv;
    fr_scripting *s = c->srv->scripting;
    if (!s || (!s->run.busy && !fake_busy(s)) || c == s->run.caller || c == s->lc)
        return 0;
    if (cmd->flags & FR_CMD_ALLOW_BUSY)
        return 0;
    int fn = s->run.busy ? s->run.is_function : s->fake_busy_function;
    fr__reject(c, fn ? busy_function : busy_script);
    return 1;
}

static void stop(fr_server *srv);

static const fr_stage_ops busy_ops = {
    .name = "script",
    .order = 54, /* admit: before the cluster (55) and maxmemory (60) */
    .admit = admit,
    .stop = stop,
};

static void stop(fr_server *srv)
{
    fr_scripting *s = srv->scripting;
    if (!s)
        return;
    fr__functions_free(s); /* unrefs its functions: before the state goes */
    if (s->L)
        lua_close(s->L);
    fr__dict_clear(&s->scripts);
    if (s->lc) {
        fr__buf_free(&s->lc->reply);
        evbuffer_free(s->lc->out);
        free(s->lc);
    }
    free(s);
    srv->scripting = NULL;
}

/* The stage is registered with the state (its stop frees it). */
void fr__busy_stage(fr_scripting *s)
{
    if (!s->stage_on) {
        fr__stage_register(s->srv, &busy_ops);
        s->stage_on = 1;
    }
}

void fr__busy_enter(fr_scripting *s)
{
    s->run.busy = 1;
}

static void fire(struct event *ev, evutil_socket_t fd)
{
    if (ev)
        event_get_callback(ev)(fd, EV_READ, event_get_callback_arg(ev));
}

void fr__busy_pump(fr_scripting *s)
{
    fr_server *srv = s->srv;
    size_t cap = srv->nconns + 3, n = 0;
    struct pollfd *pf = fr__xcalloc(cap, sizeof *pf);
    uint64_t *ids = fr__xcalloc(cap, sizeof *ids);
    if (srv->listening && srv->tcp_fd >= 0)
        pf[n++] = (struct pollfd){.fd = srv->tcp_fd, .events = POLLIN};
    if (srv->listening && srv->unix_fd >= 0)
        pf[n++] = (struct pollfd){.fd = srv->unix_fd, .events = POLLIN};
    if (srv->marshal_ready && srv->wake_fd >= 0)
        pf[n++] = (struct pollfd){.fd = srv->wake_fd, .events = POLLIN};
    size_t first_conn = n;
    for (fr_conn *c = srv->conns; c && n < cap; c = c->next) {
        if (c->fd < 0 || c == s->run.caller ||
            (c->flags & (FR_CONN_CLOSE_ASAP | FR_CONN_READ_PAUSED | FR_CONN_PSEUDO)))
            continue;
        ids[n] = c->id;
        pf[n++] = (struct pollfd){.fd = c->fd, .events = POLLIN};
    }
    if (n > 0 && poll(pf, n, 0) > 0) {
        for (size_t i = 0; i < n; i++) {
            if (!pf[i].revents)
                continue;
            if (i >= first_conn) {
                /* looked up again: a command before it may have closed it */
                fr_conn *c = fr__conn_by_id(srv, ids[i]);
                if (c && !(c->flags & FR_CONN_CLOSE_ASAP))
                    fire(c->rev, c->fd);
            } else if (pf[i].fd == srv->tcp_fd) {
                fire(srv->tcp_ev, srv->tcp_fd);
            } else if (pf[i].fd == srv->unix_fd) {
                fire(srv->unix_ev, srv->unix_fd);
            } else {
                fire(srv->jobs_ev, srv->wake_fd);
            }
        }
    }
    free(pf);
    free(ids);
    fr__flush_pending(srv);
}

void fr__script_fake_busy(fr_server *srv, long long ms)
{
    fr_scripting *s = fr__scripting(srv);
    s->fake_busy_until = ms > 0 ? fr__mono_ms() + ms : 0;
    s->fake_busy_function = 0;
}
