/* The slow log: commands that ran at least slowlog-log-slower-than
 * microseconds, newest first, at most slowlog-max-len of them, with
 * Redis' truncation of what they said (32 arguments at most, the last
 * slot saying how many more; strings over 128 bytes cut with how many
 * more bytes). Secret arguments are redacted as Redis' commands do. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "stats_engine.h"

#define SLOWLOG_MAX_ARGC 32
#define SLOWLOG_MAX_ARGLEN 128

static void entry_free(fr_slowentry *e)
{
    for (int i = 0; i < e->argc; i++)
        fr__buf_free(&e->argv[i]);
    free(e->argv);
    free(e->addr);
    free(e->name);
}

void fr__slowlog_trim(struct fr_cstats *st, size_t max)
{
    while (st->nslow > max)
        entry_free(&st->slow[--st->nslow]);
}

static int arg_is(const fr_arg *a, const char *s)
{
    size_t n = strlen(s);
    return a->len == n && !strncasecmp(a->p, s, n);
}

/* Which arguments a command hides from the slow log (and Redis from
 * MONITOR): passwords. */
static int redacted(int argc, const fr_arg *argv, int i)
{
    if (arg_is(&argv[0], "auth"))
        return i >= 1;
    if (arg_is(&argv[0], "hello")) {
        for (int j = 2; j < i; j++)
            if (arg_is(&argv[j], "auth") && (i == j + 1 || i == j + 2))
                return 1;
        return 0;
    }
    if (argc > 1 && arg_is(&argv[0], "config") && arg_is(&argv[1], "set") && i >= 3 &&
        (i - 3) % 2 == 0)
        return arg_is(&argv[i - 1], "masterauth") || arg_is(&argv[i - 1], "requirepass");
    if (argc > 1 && arg_is(&argv[0], "acl") && arg_is(&argv[1], "setuser"))
        return i >= 2;
    if (arg_is(&argv[0], "migrate")) {
        for (int j = 6; j < i; j++) {
            if (arg_is(&argv[j], "auth") && i == j + 1)
                return 1;
            if (arg_is(&argv[j], "auth2") && (i == j + 1 || i == j + 2))
                return 1;
        }
    }
    return 0;
}

void fr__slowlog_add(fr_server *srv, fr_conn *c, int argc, const fr_arg *argv, int64_t usec)
{
    struct fr_cstats *st = srv->cstats;
    long long max = srv->cfg.slowlog_max_len;
    if (max <= 0) {
        st->slow_next_id++; /* Redis counts the id even when it keeps nothing */
        fr__slowlog_trim(st, 0);
        return;
    }
    fr__slowlog_trim(st, (size_t)max - 1); /* slowlog-max-len may have shrunk */
    if (st->nslow == st->slowcap) {
        st->slowcap = st->slowcap ? st->slowcap * 2 : 16;
        st->slow = fr__xrealloc(st->slow, st->slowcap * sizeof *st->slow);
    }
    memmove(st->slow + 1, st->slow, st->nslow * sizeof *st->slow);
    st->nslow++;
    fr_slowentry *e = &st->slow[0];
    memset(e, 0, sizeof *e);
    e->id = st->slow_next_id++;
    e->time_s = fr__clock_ms(&srv->clock) / 1000;
    e->usec = usec;
    e->argc = argc > SLOWLOG_MAX_ARGC ? SLOWLOG_MAX_ARGC : argc;
    e->argv = fr__xcalloc((size_t)e->argc, sizeof *e->argv);
    for (int i = 0; i < e->argc; i++) {
        fr_buf *b = &e->argv[i];
        if (i == SLOWLOG_MAX_ARGC - 1 && argc > SLOWLOG_MAX_ARGC) {
            fr__buf_printf(b, "... (%d more arguments)", argc - SLOWLOG_MAX_ARGC + 1);
        } else if (redacted(argc, argv, i)) {
            fr__buf_puts(b, "(redacted)");
        } else if (argv[i].len > SLOWLOG_MAX_ARGLEN) {
            fr__buf_append(b, argv[i].p, SLOWLOG_MAX_ARGLEN);
            fr__buf_printf(b, "... (%zu more bytes)", argv[i].len - SLOWLOG_MAX_ARGLEN);
        } else {
            fr__buf_append(b, argv[i].p, argv[i].len);
        }
    }
    e->addr = fr__xstrdup(fr__conn_addr(c));
    e->name = fr__xstrdup(c->name ? c->name : "");
}

void fr__slowlog_reset(fr_server *srv)
{
    if (srv->cstats)
        fr__slowlog_trim(srv->cstats, 0);
}
