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
    if (luaL_loadbuffer(L, s, n, name) == 0) {
        fr__lua_protect_env(L); /* as read-only as the script that made it */
        return 1;
    }
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

/* ---- read-only tables ----
 * Redis 7.0 refuses any change to the globals and to the tables in them
 * (`redis = nil`, `math.floor = 1`, rawset, setmetatable). Stock Lua has
 * no read-only tables, so scripts see each of them through an empty proxy
 * that reads through (__index) and refuses writes (__newindex); pairs,
 * next, rawget, rawset and setmetatable look through a proxy to its table
 * (registry RO_TABLES: proxy -> table), so iterating the globals works. */
#define RO_TABLES "fr_readonly_tables"

/* The table behind a proxy at idx, or the value itself (pushed). */
static int push_target(lua_State *L, int idx)
{
    lua_getfield(L, LUA_REGISTRYINDEX, RO_TABLES);
    lua_pushvalue(L, idx);
    lua_rawget(L, -2);
    lua_remove(L, -2);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushvalue(L, idx);
        return 0;
    }
    return 1;
}

static int ro_next(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 2);
    push_target(L, 1);
    lua_replace(L, 1);
    if (lua_next(L, 1))
        return 2;
    lua_pushnil(L);
    return 1;
}

static int ro_pairs(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_pushvalue(L, lua_upvalueindex(1)); /* ro_next */
    push_target(L, 1);
    lua_pushnil(L);
    return 3;
}

static int ro_rawget(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checkany(L, 2);
    push_target(L, 1);
    lua_pushvalue(L, 2);
    lua_rawget(L, -2);
    return 1;
}

static int ro_refuse(lua_State *L)
{
    return luaL_error(L, "Attempt to modify a readonly table");
}

/* rawset and setmetatable on a proxy: refused with Redis' text, without
 * a position (its check is in the C function, not on the script's line). */
static void check_writable(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    if (push_target(L, 1)) {
        lua_pushstring(L, "Attempt to modify a readonly table");
        lua_error(L);
    }
    lua_pop(L, 1);
}

static int ro_rawset(lua_State *L)
{
    check_writable(L);
    luaL_checkany(L, 2);
    luaL_checkany(L, 3);
    lua_settop(L, 3);
    lua_rawset(L, 1);
    return 1;
}

static int ro_setmetatable(lua_State *L)
{
    check_writable(L);
    lua_pushvalue(L, lua_upvalueindex(1)); /* the library's setmetatable */
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

/* Replace the table on top of the stack by its read-only proxy. */
static void make_proxy(lua_State *L)
{
    lua_newtable(L); /* the proxy */
    lua_newtable(L); /* its metatable */
    lua_pushvalue(L, -3);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, ro_refuse);
    lua_setfield(L, -2, "__newindex");
    lua_pushboolean(L, 0); /* getmetatable says nothing of the table behind */
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_getfield(L, LUA_REGISTRYINDEX, RO_TABLES);
    lua_pushvalue(L, -2);
    lua_pushvalue(L, -4);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    lua_remove(L, -2);
}

static void set_global_fn(lua_State *L, const char *name, lua_CFunction f, const char *upvalue)
{
    int n = 0;
    if (upvalue) {
        lua_getfield(L, LUA_GLOBALSINDEX, upvalue);
        n = 1;
    }
    lua_pushcclosure(L, f, n);
    lua_setfield(L, -2, name);
}

/* Every table among the globals, and the globals themselves, behind a
 * proxy; the globals' proxy is _G and the environment of scripts
 * (fr__lua_protect_env). */
static void protect_globals(lua_State *L)
{
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, RO_TABLES);
    lua_pushnil(L);
    while (lua_next(L, LUA_GLOBALSINDEX)) {
        const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
        if (lua_istable(L, -1) && !(k && !strcmp(k, "_G"))) {
            make_proxy(L);
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_rawset(L, LUA_GLOBALSINDEX); /* an existing key: next goes on */
        } else {
            lua_pop(L, 1);
        }
    }
    lua_pushvalue(L, LUA_GLOBALSINDEX);
    lua_pushcfunction(L, ro_next);
    lua_setfield(L, -2, "next");
    set_global_fn(L, "pairs", ro_pairs, "next");
    set_global_fn(L, "rawget", ro_rawget, NULL);
    set_global_fn(L, "rawset", ro_rawset, NULL);
    set_global_fn(L, "setmetatable", ro_setmetatable, "setmetatable");
    lua_pushvalue(L, -1);
    make_proxy(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, "fr_globals_proxy");
    lua_pushstring(L, "_G");
    lua_insert(L, -2);
    lua_rawset(L, -3);
    lua_pop(L, 1);
}

/* Strings' metatable: its __index becomes the string library's proxy (so
 * getmetatable('').__index == string, as in Redis), and getmetatable('')
 * answers a read-only proxy of {__index = string}: a script can change
 * neither, so none changes what ('x'):upper() does for the next. The
 * metatable itself must keep __index raw, as the VM reads it. Call after
 * protect_globals (the global string is the proxy by then). */
static void protect_string_metatable(lua_State *L)
{
    lua_pushliteral(L, "");
    if (!lua_getmetatable(L, -1)) {
        lua_pop(L, 1);
        return;
    }
    lua_getfield(L, LUA_GLOBALSINDEX, "string");
    lua_setfield(L, -2, "__index");
    lua_newtable(L); /* what scripts see */
    lua_getfield(L, LUA_GLOBALSINDEX, "string");
    lua_setfield(L, -2, "__index");
    make_proxy(L);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 2);
}

void fr__lua_protect_env(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, "fr_globals_proxy");
    lua_setfenv(L, -2);
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
    protect_globals(L);
    protect_string_metatable(L);
    return L;
}
