/* MULTI, EXEC, DISCARD, WATCH, UNWATCH: the commands over core's
 * transaction state (multi.h). */
#include "commands_private.h"
#include "core.h"
#include "commands.h"

void fr__cmd_watch(fr_conn *c)
{
    if (c->flags & FR_CONN_MULTI) {
        fr__add_error(c, "WATCH inside MULTI is not allowed");
        return;
    }
    for (int i = 1; i < c->argc; i++)
        fr__multi_watch(c, &c->argv[i]);
    fr__add_ok(c);
}

void fr__cmd_unwatch(fr_conn *c)
{
    fr__multi_unwatch(c);
    fr__add_ok(c);
}

void fr__cmd_multi(fr_conn *c)
{
    if (c->flags & FR_CONN_MULTI) {
        fr__add_error(c, "MULTI calls can not be nested");
        return;
    }
    c->flags |= FR_CONN_MULTI;
    fr__add_ok(c);
}

void fr__cmd_discard(fr_conn *c)
{
    if (!(c->flags & FR_CONN_MULTI)) {
        fr__add_error(c, "DISCARD without MULTI");
        return;
    }
    fr__multi_discard(c);
    fr__add_ok(c);
}

void fr__cmd_exec(fr_conn *c)
{
    if (!(c->flags & FR_CONN_MULTI)) {
        fr__add_error(c, "EXEC without MULTI");
        return;
    }
    if (fr__multi_watched_expired(c))
        c->flags |= FR_CONN_DIRTY_CAS;
    if (c->flags & FR_CONN_DIRTY_EXEC) {
        fr__add_error(c, "-EXECABORT Transaction discarded because of previous errors.");
        fr__multi_discard(c);
        return;
    }
    if (c->flags & FR_CONN_DIRTY_CAS) {
        fr__add_null_array(c);
        fr__multi_discard(c);
        return;
    }
    fr__multi_exec(c);
}
