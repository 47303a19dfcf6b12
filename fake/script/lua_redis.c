/* The `redis` table scripts see: call and pcall (commands run as the
 * server's script client, through the same handlers as any client), the
 * reply helpers, sha1hex, log, setresp, set_repl and the constants, with
 * Redis 7.0's texts for every misuse. */
#include <stdlib.h>
#include <string.h>

#include "script_int.h"

static fr_scripting *state_of(lua_State *L)
{
    return lua_touserdata(L, lua_upvalueindex(1));
}

void fr__lua_push_err(lua_State *L, const char *msg)
{
    lua_newtable(L);
    lua_pushstring(L, msg);
    lua_setfield(L, -2, "err");
}

int fr__lua_raise(lua_State *L, const char *msg)
{
    fr__lua_push_err(L, msg);
    return lua_error(L);
}

/* Redis' error for a script's command that a stage refused (FR_DENIED_*),
 * or NULL. */
static const char *refusal_text(int why)
{
    switch (why) {
    case 0:
        return NULL;
    case FR_DENIED_CMD:
        return "ERR The user executing the script can't run this command or subcommand";
    case FR_DENIED_KEY:
        return "ERR The user executing the script can't access at least one of the keys "
               "mentioned in the command arguments";
    case FR_DENIED_CHANNEL:
        return "ERR The user executing the script can't publish to the channel mentioned in the "
               "command";
    case FR_DENIED_CLUSTER_DOWN:
        return "ERR Script attempted to execute a command while the cluster is down";
    case FR_DENIED_CLUSTER_DOWN_RO:
        return "ERR Script attempted to execute a write command while the cluster is down and "
               "readonly";
    case FR_DENIED_CROSS_SLOT:
        return "ERR Script attempted to access keys that do not hash to the same slot";
    case FR_DENIED_NOREPLICAS:
        return "NOREPLICAS Not enough good replicas to write.";
    default:
        return "ERR Script attempted to access a non local key in a cluster node";
    }
}

/* Run the command in the Lua arguments; push its reply converted. Returns
 * 1 when it pushed an error table (the command failed, or could not run). */
static int run_command(lua_State *L, fr_scripting *s)
{
    int argc = lua_gettop(L);
    if (argc == 0) {
        fr__lua_push_err(L, "ERR Please specify at least one argument for this redis lib call");
        return 1;
    }
    fr_arg stack[16];
    fr_arg *argv = argc <= 16 ? stack : fr__xmalloc((size_t)argc * sizeof *argv);
    for (int i = 0; i < argc; i++) {
        int t = lua_type(L, i + 1);
        if (t != LUA_TSTRING && t != LUA_TNUMBER) {
            if (argv != stack)
                free(argv);
            fr__lua_push_err(L, "ERR Lua redis lib command arguments must be strings or integers");
            return 1;
        }
        /* numbers become strings here ("%.14g"), as Redis converts them */
        argv[i].p = lua_tolstring(L, i + 1, &argv[i].len);
    }
    fr_server *srv = s->srv;
    const fr_cmd *cmd = fr__cmd_resolve(srv->cmds, argc, argv);
    if (cmd && (cmd->flags & FR_CMD_CONTROL) && !srv->cfg.control)
        cmd = NULL;
    const char *err = NULL;
    if (!cmd || !cmd->proc)
        err = "ERR Unknown Redis command called from script";
    else if ((cmd->arity > 0 && argc != cmd->arity) || argc < -cmd->arity)
        err = "ERR Wrong number of args calling Redis command from script";
    else if (cmd->flags & FR_CMD_NOSCRIPT)
        err = "ERR This Redis command is not allowed from script";
    else
        err = refusal_text(fr__stage_script_permit(s->run.caller, cmd, argc, argv));
    if (!err && (cmd->flags & FR_CMD_WRITE) && s->run.ro)
        err = "ERR Write commands are not allowed from read-only scripts.";
    if (!err)
        err = refusal_text(fr__stage_script_route(s->run.caller, cmd, argc, argv, &s->run.keys));
    if (err) {
        if (argv != stack)
            free(argv);
        fr__lua_push_err(L, err);
        return 1;
    }
    fr_conn *lc = s->lc;
    lc->resp = s->run.resp;
    fr__buf_clear(&lc->reply);
    if (cmd->flags & FR_CMD_WRITE)
        s->run.wrote = 1;
    fr__call(lc, cmd, argc, argv);
    lc->argv = NULL;
    lc->argc = 0;
    if (argv != stack)
        free(argv);
    if (lc->reply.len == 0) {
        lua_pushboolean(L, 0);
        return 0;
    }
    fr__lua_push_reply(L, lc->reply.p, lc->reply.len, s->run.resp);
    int is_err = lc->reply.p[0] == '-';
    fr__buf_clear(&lc->reply);
    return is_err;
}

static int l_call(lua_State *L)
{
    if (run_command(L, state_of(L)))
        return lua_error(L);
    return 1;
}

static int l_pcall(lua_State *L)
{
    run_command(L, state_of(L));
    return 1;
}

static int l_sha1hex(lua_State *L)
{
    if (lua_gettop(L) != 1)
        return fr__lua_raise(L, "ERR wrong number of arguments");
    size_t n = 0;
    const char *p = lua_tolstring(L, 1, &n);
    char hex[41];
    fr__sha1_hex(p ? p : "", p ? n : 0, hex);
    lua_pushstring(L, hex);
    return 1;
}

/* error_reply/status_reply: a table with one field, or (misused) an
 * error table that the script returns like any other value. */
static int reply_table(lua_State *L, const char *field)
{
    if (lua_gettop(L) != 1 || lua_type(L, 1) != LUA_TSTRING) {
        fr__lua_push_err(L, "ERR wrong number or type of arguments");
        return 1;
    }
    const char *msg = lua_tostring(L, 1);
    if (field[0] == 'e' && msg[0] == '-')
        msg++; /* "-CODE text" and "CODE text" are the same error */
    lua_newtable(L);
    lua_pushstring(L, msg);
    lua_setfield(L, -2, field);
    return 1;
}

static int l_error_reply(lua_State *L)
{
    return reply_table(L, "err");
}

static int l_status_reply(lua_State *L)
{
    return reply_table(L, "ok");
}

static int l_log(lua_State *L)
{
    if (lua_gettop(L) < 2)
        return fr__lua_raise(L, "ERR redis.log() requires two arguments or more.");
    if (!lua_isnumber(L, 1))
        return fr__lua_raise(L, "ERR First argument must be a number (log level).");
    int level = (int)lua_tonumber(L, 1);
    if (level < 0 || level > 3)
        return fr__lua_raise(L, "ERR Invalid debug level.");
    return 0; /* the fake keeps no log file */
}

static int l_setresp(lua_State *L)
{
    if (lua_gettop(L) != 1)
        return fr__lua_raise(L, "ERR redis.setresp() requires one argument.");
    int v = (int)lua_tonumber(L, 1);
    if (v != 2 && v != 3)
        return fr__lua_raise(L, "ERR RESP version must be 2 or 3.");
    state_of(L)->run.resp = v;
    return 0;
}

static int l_set_repl(lua_State *L)
{
    if (lua_gettop(L) != 1)
        return fr__lua_raise(L, "ERR redis.set_repl() requires one argument.");
    int v = (int)lua_tonumber(L, 1);
    if (v < 0 || v > 3)
        return fr__lua_raise(
            L, "ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
    return 0; /* nothing is replicated from a fake */
}

static int l_true(lua_State *L)
{
    lua_pushboolean(L, 1);
    return 1;
}

static int l_false(lua_State *L)
{
    lua_pushboolean(L, 0);
    return 1;
}

static int l_nothing(lua_State *L)
{
    (void)L;
    return 0;
}

static int l_acl_check_cmd(lua_State *L)
{
    fr_scripting *s = state_of(L);
    int argc = lua_gettop(L);
    if (argc == 0)
        return fr__lua_raise(L, "ERR Please specify at least one argument for this redis lib call");
    size_t n = 0;
    const char *name = lua_type(L, 1) == LUA_TSTRING ? lua_tolstring(L, 1, &n) : NULL;
    if (!name || !fr__cmd_find(s->srv, name, n))
        return fr__lua_raise(L, "ERR Invalid command passed to redis.acl_check_cmd()");
    lua_pushboolean(L, 1); /* no ACL users in the fake: the default user may */
    return 1;
}

static void set_fn(lua_State *L, fr_scripting *s, const char *name, lua_CFunction f)
{
    lua_pushlightuserdata(L, s);
    lua_pushcclosure(L, f, 1);
    lua_setfield(L, -2, name);
}

static void set_int(lua_State *L, const char *name, int v)
{
    lua_pushinteger(L, v);
    lua_setfield(L, -2, name);
}

void fr__lua_register_redis(lua_State *L, fr_scripting *s, int for_functions)
{
    (void)for_functions;
    lua_newtable(L);
    set_fn(L, s, "call", l_call);
    set_fn(L, s, "pcall", l_pcall);
    set_fn(L, s, "sha1hex", l_sha1hex);
    set_fn(L, s, "error_reply", l_error_reply);
    set_fn(L, s, "status_reply", l_status_reply);
    set_fn(L, s, "log", l_log);
    set_fn(L, s, "setresp", l_setresp);
    set_fn(L, s, "set_repl", l_set_repl);
    set_fn(L, s, "replicate_commands", l_true);
    set_fn(L, s, "breakpoint", l_false);
    set_fn(L, s, "debug", l_nothing);
    set_fn(L, s, "acl_check_cmd", l_acl_check_cmd);
    set_int(L, "LOG_DEBUG", 0);
    set_int(L, "LOG_VERBOSE", 1);
    set_int(L, "LOG_NOTICE", 2);
    set_int(L, "LOG_WARNING", 3);
    set_int(L, "REPL_NONE", 0);
    set_int(L, "REPL_AOF", 1);
    set_int(L, "REPL_SLAVE", 2);
    set_int(L, "REPL_REPLICA", 2);
    set_int(L, "REPL_ALL", 3);
    lua_pushstring(L, FR_REDIS_VERSION);
    lua_setfield(L, -2, "REDIS_VERSION");
    set_int(L, "REDIS_VERSION_NUM", 0x00070000 | 15);
    lua_setglobal(L, "redis");
}
