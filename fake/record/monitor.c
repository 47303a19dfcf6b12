/* MONITOR: every command a client runs, as one status line to each
 * monitoring client, in Redis 7.0's format:
 *
 *   +1700000000.123456 [0 127.0.0.1:5555] "SET" "k" "v\x00"
 *
 * It lives with the recorder because it is the same kind of tap (what
 * clients said, as text) and its text form is the recording format's own
 * escaping (record_format.c), which MONITOR import parses back.
 *
 * As in Redis 7.0.15 (checked against it, see tests/diff/cases/monitor.txt):
 * a command is shown after it ran (so SELECT shows the new db, and EXEC's
 * commands come before EXEC), only when it got past the dispatcher's checks
 * (not an unknown command, a wrong arity, NOAUTH...), never when it is an
 * admin command; AUTH's and HELLO AUTH's secrets show as "(redacted)". The
 * time is the server's clock (real time unless the test froze it). */
#include <stdlib.h>
#include <string.h>

#include "record_engine.h"
#include "record_format.h"

struct fr_monitors {
    fr_conn **v;
    size_t n, cap;
};

static void stop_all(fr_server *srv)
{
    if (!srv->monitors)
        return;
    free(srv->monitors->v);
    free(srv->monitors);
    srv->monitors = NULL;
}

static void remove_conn(struct fr_monitors *m, const fr_conn *c)
{
    for (size_t i = 0; i < m->n; i++) {
        if (m->v[i] == c) {
            memmove(m->v + i, m->v + i + 1, (m->n - i - 1) * sizeof *m->v);
            m->n--;
            return;
        }
    }
}

static void st_close(fr_conn *c)
{
    if ((c->flags & FR_CONN_MONITOR) && c->srv->monitors)
        remove_conn(c->srv->monitors, c);
}

/* A name HELLO SETNAME accepts (CLIENT SETNAME's rule): printable ASCII
 * without spaces. */
static int valid_name(const fr_arg *a)
{
    for (size_t i = 0; i < a->len; i++)
        if (a->p[i] < '!' || a->p[i] > '~')
            return 0;
    return 1;
}

/* Would HELLO's AUTH user pass succeed? The one user is "default", whose
 * password is requirepass (none: any), as commands/cmd_connection.c
 * checks it. */
static int auth_ok(const fr_server *srv, const fr_arg *user, const fr_arg *pass)
{
    const char *want = srv->cfg.requirepass;
    if (!fr__arg_is(user, "default"))
        return 0;
    return !want[0] || (pass->len == strlen(want) && !memcmp(pass->p, want, pass->len));
}

/* Which arguments Redis replaces by "(redacted)" before feeding monitors:
 * its AUTH and HELLO handlers do it as they parse, so an AUTH with too
 * many arguments, or a HELLO whose version is refused, shows everything,
 * and HELLO redacts the AUTH pairs it reached before a syntax error, an
 * invalid SETNAME or a wrong password. */
static int redacted(const fr_conn *c, const fr_cmd *cmd, int argc, const fr_arg *argv, int j)
{
    if (!strcmp(cmd->name, "auth"))
        return argc <= 3 && j >= 1;
    if (strcmp(cmd->name, "hello") != 0 || argc < 3)
        return 0;
    long long ver;
    if (!fr__str2ll(argv[1].p, argv[1].len, &ver) || ver < 2 || ver > 3)
        return 0;
    for (int k = 2; k < argc; k++) {
        int more = argc - 1 - k;
        if (fr__arg_is(&argv[k], "auth") && more >= 2) {
            if (j == k + 1 || j == k + 2)
                return 1;
            if (!auth_ok(c->srv, &argv[k + 1], &argv[k + 2]))
                return 0;
            k += 2;
        } else if (fr__arg_is(&argv[k], "setname") && more && valid_name(&argv[k + 1])) {
            k++;
        } else {
            return 0;
        }
    }
    return 0;
}

static void format_line(fr_buf *b, const fr_conn *c, const fr_cmd *cmd, int argc,
                        const fr_arg *argv)
{
    int64_t us = fr__clock_us(&c->srv->clock);
    int64_t sec = us / 1000000, frac = us % 1000000;
    if (frac < 0) { /* a clock set before 1970: floor, as timeval has it */
        sec--;
        frac += 1000000;
    }
    fr__buf_printf(b, "+%lld.%06lld [%d ", (long long)sec, (long long)frac, c->db);
    if (c->flags & FR_CONN_SCRIPT) /* a command a Lua script runs */
        fr__buf_puts(b, "lua] ");
    else if (c->flags & FR_CONN_UNIX)
        fr__buf_printf(b, "unix:%s] ", c->srv->unixsocket ? c->srv->unixsocket : "");
    else
        fr__buf_printf(b, "%s] ", fr__conn_addr(c));
    for (int j = 0; j < argc; j++) {
        if (j)
            fr__buf_putc(b, ' ');
        if (redacted(c, cmd, argc, argv, j))
            fr__buf_puts(b, "\"(redacted)\"");
        else
            fr__rec_escape(b, argv[j].p, argv[j].len, 1);
    }
    fr__buf_append(b, "\r\n", 2);
}

static void feed(fr_conn *c, const fr_cmd *cmd, int argc, const fr_arg *argv);

static void st_called(fr_conn *c, const fr_cmd *cmd, int argc, const fr_arg *argv)
{
    struct fr_monitors *m = c->srv->monitors;
    /* FAKE.* are the test steering the fake, not traffic Redis would see */
    if (!m || !m->n || ((c->flags & FR_CONN_PSEUDO) && !(c->flags & FR_CONN_SCRIPT)) ||
        (cmd->flags & (FR_CMD_ADMIN | FR_CMD_SKIP_MONITOR | FR_CMD_CONTROL)))
        return;
    feed(c, cmd, argc, argv);
}

/* EVAL and FCALL skip the feed after the call: Redis shows them before
 * they run, so that the commands of the script ("[0 lua]") follow them. */
static int st_before(fr_conn *c, const fr_cmd *cmd, int argc, const fr_arg *argv)
{
    struct fr_monitors *m = c->srv->monitors;
    if (!m || !m->n || !cmd || (c->flags & (FR_CONN_PSEUDO | FR_CONN_MULTI)) ||
        (cmd->flags & (FR_CMD_ADMIN | FR_CMD_CONTROL)) || !(cmd->flags & FR_CMD_SKIP_MONITOR) ||
        (cmd->arity > 0 && argc != cmd->arity) || argc < -cmd->arity)
        return 0;
    feed(c, cmd, argc, argv);
    return 0;
}

static void feed(fr_conn *c, const fr_cmd *cmd, int argc, const fr_arg *argv)
{
    struct fr_monitors *m = c->srv->monitors;
    fr_buf line = {0};
    format_line(&line, c, cmd, argc, argv);
    for (size_t i = 0; i < m->n; i++) {
        fr_conn *t = m->v[i];
        /* Redis writes nothing more to a client that is closing (QUIT) */
        if (t->flags & (FR_CONN_CLOSE_AFTER_REPLY | FR_CONN_CLOSE_ASAP))
            continue;
        if (t == c) {
            /* after its own reply, as Redis appends to the same output
             * buffer (inside EXEC: between the array's elements) */
            fr__buf_append(&c->reply, line.p, line.len);
            continue;
        }
        /* the gates of any output that is not the client's own reply */
        if (t->flags & (FR_CONN_REPLY_OFF | FR_CONN_REPLY_SKIP))
            continue;
        if (!fr__stage_output(t, line.p, line.len))
            fr__conn_enqueue(t, line.p, line.len);
    }
    fr__buf_free(&line);
}

static const fr_stage_ops monitor_stage = {
    .name = "monitor",
    .order = 15, /* after the recorder, which only looks at commands */
    .before_command = st_before,
    .called = st_called,
    .close = st_close,
    .stop = stop_all,
};

int fr__monitor_start(fr_conn *c)
{
    fr_server *srv = c->srv;
    /* Redis refuses a client that must answer every command at once:
     * inside EXEC (and a script); fr_exec's client is one too */
    if (c->flags & (FR_CONN_EXECUTING | FR_CONN_PSEUDO))
        return -1;
    if (c->flags & FR_CONN_MONITOR)
        return 1;
    if (!srv->monitors) {
        if (fr__stage_register(srv, &monitor_stage) < 0)
            return -2;
        srv->monitors = fr__xcalloc(1, sizeof *srv->monitors);
    }
    struct fr_monitors *m = srv->monitors;
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 4;
        m->v = fr__xrealloc(m->v, m->cap * sizeof *m->v);
    }
    m->v[m->n++] = c;
    c->flags |= FR_CONN_MONITOR;
    return 0;
}

void fr__monitor_stop(fr_conn *c)
{
    if (!(c->flags & FR_CONN_MONITOR))
        return;
    if (c->srv->monitors)
        remove_conn(c->srv->monitors, c);
    c->flags &= ~(unsigned)FR_CONN_MONITOR;
}
