/* The Lua state of a server: the libraries Redis 7.0 gives scripts, the
 * sandbox (no io/os/package, no print or file loading, globals that can
 * be neither created nor read when missing, with Redis' texts), its own
 * math.random (Redis' 48-bit generator, per server: no process-wide
 * rand()) and the error handler that records where an error happened. */
#include <stdlib.h>
#include <string.h>

#include "script_int.h"
/* Debian's module headers declare luaopen_* without including lua.h */
#include <lua-bitop.h>
#include <lua-cjson.h>

/* Globals a script sees, as Redis 7.0 leaves them; the rest of what the
 * base library opens (print, dofile, loadfile, ...) is removed. */
static const char *const kept_globals[] = {"_G",
                                           "_VERSION",
                                           "assert",
                                           "bit",
                                           "cjson",
                                           "cmsgpack",
                                           "collectgarbage",
                                           "coroutine",
                                           "error",
                                           "gcinfo",
                                           "getmetatable",
                                           "ipairs",
                                           "load",
                                           "loadstring",
                                           "math",
                                           "next",
                                           "pairs",
                                           "pcall",
                                           "rawequal",
                                           "rawget",
                                           "rawset",
                                           "redis",
                                           "select",
                                           "setmetatable",
                                           "string",
                                           "struct",
                                           "table",
                                           "tonumber",
                                           "tostring",
                                           "type",
                                           "unpack",
                                           "xpcall",
                                           "__redis__err__handler",
                                           NULL};

/* Redis' rand48 generator: x' = (0x5DEECE66D x + 0xB) mod 2^48, 31 bits
 * out of the top, starting from the state Redis starts with. The state
 * lives in a userdata upvalue: per Lua state, so per server. */
#define RAND48_MAX 2147483647.0
static int32_t rand48_next(uint64_t *x)
{
    *x = (0x5DEECE66DULL * *x + 0xB) & 0xffffffffffffULL;
    return (int32_t)(*x >> 17);
}

static int l_random(lua_State *L)
{
    uint64_t *x = lua_touserdata(L, lua_upvalueindex(1));
    lua_Number r = (lua_Number)(rand48_next(x) % (int32_t)RAND48_MAX) / RAND48_MAX;
    switch (lua_gettop(L)) {
    case 0:
        lua_pushnumber(L, r);
        break;
    case 1: {
        int u = luaL_checkint(L, 1);
        luaL_argcheck(L, 1 <= u, 1, "interval is empty");
        lua_pushnumber(L, (lua_Number)(int)(r * u) + 1);
        break;
    }
    case 2: {
        int l = luaL_checkint(L, 1), u = luaL_checkint(L, 2);
        luaL_argcheck(L, l <= u, 2, "interval is empty");
        lua_pushnumber(L, (lua_Number)(int)(r * (u - l + 1)) + l);
        break;
    }
    default:
        return luaL_error(L, "wrong number of arguments");
    }
    return 1;
}

static int l_randomseed(lua_State *L)
{
    uint64_t *x = lua_touserdata(L, lua_upvalueindex(1));
    int32_t seed = (int32_t)luaL_checkint(L, 1);
    *x = ((uint64_t)(uint32_t)seed << 16) | 0x330e;
    return 0;
}

/* loadstring without precompiled chunks: bytecode can break out of the
 * sandbox, so Redis refuses it. */
static int l_loadstring(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    const char *name = luaL_optstring(L, 2, s);
    if (n > 0 && s[0] == LUA_SIGNATURE[0]) {
        lua_pushnil(L);
        lua_pushstring(L, "Bytecode is not supported.");
        return 2;
    }
    if (luaL_loadbuffer(L, s, n, name) == 0)
        return 1;
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
}

/* Redis' pcall: an error table raised by redis.call comes back as its
 * err string, as scripts written for Redis expect. */
static int l_pcall(lua_State *L)
{
    int argc = lua_gettop(L);
    luaL_checkany(L, 1);
    lua_pushboolean(L, 1);
    lua_insert(L, 1);
    if (lua_pcall(L, argc - 1, LUA_MULTRET, 0) == 0)
        return lua_gettop(L);
    if (lua_istable(L, -1)) {
        lua_getfield(L, -1, "err");
        if (lua_isstring(L, -1))
            lua_replace(L, -2);
        else
            lua_pop(L, 1);
    }
    lua_pushboolean(L, 0);
    lua_replace(L, 1);
    lua_settop(L, 2);
    return 2;
}

static int g_newindex(lua_State *L)
{
    return luaL_error(L, "Attempt to modify a readonly table");
}

static int g_index(lua_State *L)
{
    const char *k = lua_tostring(L, 2);
    return luaL_error(L, "Script attempted to access nonexistent global variable '%s'",
                      k ? k : "?");
}

static void open_lib(lua_State *L, lua_CFunction f, const char *name)
{
    lua_pushcfunction(L, f);
    lua_pushstring(L, name);
    lua_call(L, 1, 1);
    /* Debian's cjson returns its table without setting a global */
    if (name[0] && lua_istable(L, -1))
        lua_setglobal(L, name);
    else
        lua_pop(L, 1);
}

/* Where an error happened, as Redis' handler records it: the Lua frame
 * that raised it (skipping a C function such as redis.call), with a
 * string error made into {err="ERR ..."}. */
static const char err_handler_src[] =
    "local dbg = debug\n"
    "__redis__err__handler = function(err)\n"
    "  local i = dbg.getinfo(2, 'nSl')\n"
    "  if i and i.what == 'C' then i = dbg.getinfo(3, 'nSl') end\n"
    "  if type(err) ~= 'table' then err = {err = 'ERR ' .. tostring(err)} end\n"
    "  if i then err['source'] = i.source; err['line'] = i.currentline end\n"
    "  return err\n"
    "end\n";

lua_State *fr__lua_new(fr_scripting *s)
{
    lua_State *L = luaL_newstate();
    if (!L)
        return NULL;
    open_lib(L, luaopen_base, "");
    open_lib(L, luaopen_table, LUA_TABLIBNAME);
    open_lib(L, luaopen_string, LUA_STRLIBNAME);
    open_lib(L, luaopen_math, LUA_MATHLIBNAME);
    open_lib(L, luaopen_debug, LUA_DBLIBNAME);
    open_lib(L, luaopen_cjson, "cjson");
    open_lib(L, luaopen_bit, "bit");
    lua_settop(L, 0);

    fr__lua_open_struct(L);
    fr__lua_open_cmsgpack(L);

    lua_getglobal(L, "math");
    uint64_t *x = lua_newuserdata(L, sizeof *x);
    *x = 0x1234abcd330eULL;
    lua_pushvalue(L, -1);
    lua_pushcclosure(L, l_random, 1);
    lua_setfield(L, -3, "random");
    lua_pushcclosure(L, l_randomseed, 1);
    lua_setfield(L, -2, "randomseed");
    lua_pop(L, 1);
    lua_pushcfunction(L, l_loadstring);
    lua_setglobal(L, "loadstring");
    lua_pushcfunction(L, l_pcall);
    lua_setglobal(L, "pcall");

    fr__lua_register_redis(L, s, 0);

    if (luaL_loadbuffer(L, err_handler_src, sizeof err_handler_src - 1, "@err_handler") ||
        lua_pcall(L, 0, 0, 0)) {
        lua_close(L);
        return NULL;
    }

    /* drop every global Redis does not keep */
    lua_pushnil(L);
    for (;;) {
        if (!lua_next(L, LUA_GLOBALSINDEX))
            break;
        lua_pop(L, 1);
        const char *k = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
        int keep = 0;
        for (int i = 0; k && kept_globals[i]; i++)
            keep |= !strcmp(k, kept_globals[i]);
        if (!keep) {
            lua_pushvalue(L, -1);
            lua_pushnil(L);
            lua_rawset(L, LUA_GLOBALSINDEX);
        }
    }

    /* the global table: no new names, no reading of missing ones */
    lua_newtable(L);
    lua_pushcfunction(L, g_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushcfunction(L, g_index);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, LUA_GLOBALSINDEX);
    return L;
}
