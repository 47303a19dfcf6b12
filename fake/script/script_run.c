/* Running one script or function: the error handler below it, KEYS and
 * ARGV (EVAL), the instruction hook that notices a script running past
 * busy-reply-threshold (then serves other clients with -BUSY, busy.c) and
 * stops it on SCRIPT KILL, and the error reply as Redis 7.0 words it:
 * "<error> script: <sha or name>, on <source>:<line>." */
#include <stdlib.h>
#include <string.h>

#include "script_int.h"

/* Redis' hook interval: cheap enough to leave on for every script. */
#define HOOK_EVERY 100000

static fr_scripting *hook_state(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, "fr_scripting");
    fr_scripting *s = lua_touserdata(L, -1);
    lua_pop(L, 1);
    return s;
}

static void hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    fr_scripting *s = hook_state(L);
    fr_run *r = &s->run;
    if (!r->busy && fr__mono_ms() - r->start_ms >= s->srv->cfg.busy_reply_threshold)
        fr__busy_enter(s);
    if (r->busy)
        fr__busy_pump(s);
    /* SHUTDOWN, or fr_server_stop from the test: the script must end for
     * the loop to */
    if (s->srv->shut_down || __atomic_load_n(&s->srv->stop_requested, __ATOMIC_ACQUIRE))
        r->killed = 1;
    if (r->killed) {
        /* the hook fires once more per line from here on, so a script in
         * a tight loop of C calls still sees the error */
        lua_sethook(L, hook, LUA_MASKLINE, 0);
        fr__lua_raise(L, "ERR Script killed by user with SCRIPT KILL...");
    }
}

static void error_reply(fr_scripting *s, fr_conn *c, const char *name)
{
    lua_State *L = s->L;
    fr_buf b = {0};
    fr__buf_putc(&b, '-');
    if (lua_istable(L, -1)) {
        lua_getfield(L, -1, "err");
        lua_getfield(L, -2, "source");
        lua_getfield(L, -3, "line");
        const char *err = lua_isstring(L, -3) ? lua_tostring(L, -3) : NULL;
        if (!err) {
            fr__buf_printf(&b, "ERR Error running script (call to %s)", name);
        } else if (lua_isstring(L, -2)) {
            fr__buf_printf(&b, "%s script: %s, on %s:%s.", err, name, lua_tostring(L, -2),
                           lua_isstring(L, -1) ? lua_tostring(L, -1) : "?");
        } else {
            fr__buf_puts(&b, err);
        }
        lua_pop(L, 3);
    } else {
        const char *m = lua_tostring(L, -1);
        fr__buf_printf(&b, "ERR Error running script (call to %s): %s", name, m ? m : "?");
    }
    for (size_t i = 0; i < b.len; i++)
        if (b.p[i] == '\r' || b.p[i] == '\n')
            b.p[i] = ' ';
    fr__add_error(c, b.p);
    fr__buf_free(&b);
}

int fr__script_may_run(fr_conn *c, unsigned flags, int ro)
{
    if ((flags & FR_SF_NO_CLUSTER) && c->srv->cluster) {
        fr__add_error(c, "Can not run script on cluster, 'no-cluster' flag is set.");
        return 0;
    }
    if (ro && !(flags & (FR_SF_EVAL_COMPAT | FR_SF_NO_WRITES))) {
        fr__add_error(c, "Can not execute a script with write flag using *_ro command.");
        return 0;
    }
    return 1;
}

void fr__script_run(fr_scripting *s, fr_conn *caller, int nargs, const char *name, int is_function,
                    unsigned flags, int ro, const fr_arg *first_key)
{
    lua_State *L = s->L;
    int fn = lua_gettop(L) - nargs;
    lua_rawgeti(L, LUA_REGISTRYINDEX, s->errh_ref);
    lua_insert(L, fn);
    fr_run *r = &s->run;
    memset(r, 0, sizeof *r);
    r->active = 1;
    r->caller = caller;
    r->name = name;
    r->is_function = is_function;
    r->flags = flags;
    r->ro = ro || (flags & FR_SF_NO_WRITES);
    r->resp = 2;
    r->start_ms = fr__mono_ms();
    /* an EVAL script without a shebang may reach any slot (Redis keeps
     * old scripts working); the others keep to their keys' slot */
    r->keys.cross_slot_ok = (flags & (FR_SF_EVAL_COMPAT | FR_SF_ALLOW_CROSS_SLOT)) != 0;
    r->keys.slot = first_key ? fr__keyslot(first_key->p, first_key->len) : -1;
    s->lc->db = caller->db;
    lua_sethook(L, hook, LUA_MASKCOUNT, HOOK_EVERY);
    int rc = lua_pcall(L, nargs, 1, fn);
    lua_sethook(L, NULL, 0, 0);
    if (rc == 0)
        fr__lua_to_reply(caller, L, 0, r->resp);
    else
        error_reply(s, caller, name);
    lua_settop(L, fn - 1);
    if (r->busy)
        fr__busy_stage(s);
    memset(r, 0, sizeof *r);
}

int fr__script_numkeys(fr_conn *c, const char *bad_number, long long *out)
{
    const fr_arg *a = &c->argv[2];
    if (!bad_number) {
        if (!fr__arg_ll(c, a, out))
            return 0;
    } else if (!fr__str2ll(a->p, a->len, out)) {
        fr__add_error(c, bad_number);
        return 0;
    }
    if (*out > c->argc - 3) {
        fr__add_error(c, "Number of keys can't be greater than number of args");
        return 0;
    }
    if (*out < 0) {
        fr__add_error(c, "Number of keys can't be negative");
        return 0;
    }
    return 1;
}
