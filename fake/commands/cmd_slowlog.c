/* SLOWLOG: the entries the stats stage logged (stats/slowlog.c). */
#include <limits.h>
#include <string.h>

#include "commands.h"
#include "commands_private.h"
#include "stats_engine.h"

/* Redis' addReplySubcommandSyntaxError: the subcommand as the client wrote it */
static void subcommand_syntax(fr_conn *c, const char *container)
{
    const fr_arg *sub = &c->argv[1];
    int n = sub->len > 128 ? 128 : (int)sub->len;
    fr__add_errorf(c, "unknown subcommand or wrong number of arguments for '%.*s'. Try %s HELP.", n,
                   sub->p, container);
}

void fr__cmd_slowlog_get(fr_conn *c)
{
    struct fr_cstats *st = c->srv->cstats;
    long long count = 10;
    if (c->argc > 3) {
        subcommand_syntax(c, "SLOWLOG");
        return;
    }
    if (c->argc == 3 && !fr__arg_ll_range(c, &c->argv[2], -1, LONG_MAX, &count,
                                          "count should be greater than or equal to -1"))
        return;
    size_t n = st ? st->nslow : 0;
    if (count >= 0 && (size_t)count < n)
        n = (size_t)count;
    fr__add_array(c, (long long)n);
    for (size_t i = 0; i < n; i++) {
        const fr_slowentry *e = &st->slow[i];
        fr__add_array(c, 6);
        fr__add_ll(c, (long long)e->id);
        fr__add_ll(c, e->time_s);
        fr__add_ll(c, e->usec);
        fr__add_array(c, e->argc);
        for (int a = 0; a < e->argc; a++)
            fr__add_bulk(c, e->argv[a].p, e->argv[a].len);
        fr__add_bulk_cstr(c, e->addr);
        fr__add_bulk_cstr(c, e->name);
    }
}

void fr__cmd_slowlog_len(fr_conn *c)
{
    fr__add_ll(c, c->srv->cstats ? (long long)c->srv->cstats->nslow : 0);
}

void fr__cmd_slowlog_reset(fr_conn *c)
{
    fr__slowlog_reset(c->srv);
    fr__add_ok(c);
}

void fr__cmd_slowlog_help(fr_conn *c)
{
    static const char *const lines[] = {
        "GET [<count>]",
        "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
        "    Entries are made of:",
        "    id, timestamp, time in microseconds, arguments array, client IP and port,",
        "    client name",
        "LEN",
        "    Return the length of the slowlog.",
        "RESET",
        "    Reset the slowlog.",
        NULL,
    };
    fr__add_help(c, "SLOWLOG", lines);
}
