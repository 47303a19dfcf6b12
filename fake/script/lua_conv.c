/* Replies to Lua and Lua to replies, as Redis 7.0 converts them.
 *
 * A command's reply (RESP2, or RESP3 after redis.setresp(3)): integer ->
 * number, bulk -> string, null bulk / null array -> false (RESP2), status
 * -> {ok=}, error -> {err=}, array -> table; RESP3 adds null -> nil,
 * boolean, double -> {double=}, map -> {map={k=v}}, set -> {set={k=true}},
 * big number -> {big_number=}, verbatim -> {verbatim_string={format=,
 * string=}}.
 *
 * A script's result: string -> bulk, number -> integer (truncated),
 * true -> 1, false -> null (after redis.setresp(3): a boolean, or 1 / 0
 * to a RESP2 client), nil -> null, a table
 * with err / ok / double / big_number / verbatim_string / map / set ->
 * that type, any other table -> an array up to its first nil. */
#include <stdlib.h>
#include <string.h>

#include "script_int.h"

#define MAX_DEPTH 1000

static const char *line_end(const char *p, const char *end)
{
    const char *q = memchr(p, '\r', (size_t)(end - p));
    return q ? q : end;
}

static long long parse_ll(const char *p, const char *e)
{
    long long v = 0;
    fr__str2ll(p, (size_t)(e - p), &v);
    return v;
}

static size_t push_frame(lua_State *L, const char *p, const char *end, int resp);

static size_t push_aggregate(lua_State *L, const char *start, const char *p, const char *end,
                             long long n, char kind, int resp)
{
    lua_newtable(L);
    if (kind == '%' || kind == '~') {
        lua_newtable(L);
        for (long long i = 0; i < n; i++) {
            p += push_frame(L, p, end, resp);
            if (kind == '%')
                p += push_frame(L, p, end, resp);
            else
                lua_pushboolean(L, 1);
            lua_settable(L, -3);
        }
        lua_setfield(L, -2, kind == '%' ? "map" : "set");
    } else {
        for (long long i = 0; i < n; i++) {
            p += push_frame(L, p, end, resp);
            lua_rawseti(L, -2, (int)i + 1);
        }
    }
    return (size_t)(p - start);
}

static size_t push_frame(lua_State *L, const char *p, const char *end, int resp)
{
    luaL_checkstack(L, 8, "reply too deep");
    const char *start = p;
    char t = *p++;
    const char *e = line_end(p, end);
    const char *next = e + 2 <= end ? e + 2 : end;
    switch (t) {
    case '+':
        lua_newtable(L);
        lua_pushlstring(L, p, (size_t)(e - p));
        lua_setfield(L, -2, "ok");
        break;
    case '-':
        lua_newtable(L);
        lua_pushlstring(L, p, (size_t)(e - p));
        lua_setfield(L, -2, "err");
        break;
    case ':':
        lua_pushnumber(L, (lua_Number)parse_ll(p, e));
        break;
    case '$':
    case '=': {
        long long n = parse_ll(p, e);
        if (n < 0) {
            lua_pushboolean(L, 0);
            break;
        }
        if (t == '=' && n >= 4) {
            lua_newtable(L);
            lua_newtable(L);
            lua_pushlstring(L, next, 3);
            lua_setfield(L, -2, "format");
            lua_pushlstring(L, next + 4, (size_t)n - 4);
            lua_setfield(L, -2, "string");
            lua_setfield(L, -2, "verbatim_string");
        } else {
            lua_pushlstring(L, next, (size_t)n);
        }
        next += n + 2;
        break;
    }
    case '*':
    case '>':
    case '%':
    case '~': {
        long long n = parse_ll(p, e);
        if (n < 0) {
            lua_pushboolean(L, 0);
            break;
        }
        return push_aggregate(L, start, next, end, n, t == '>' ? '*' : t, resp);
    }
    case '_':
        lua_pushnil(L);
        break;
    case '#':
        lua_pushboolean(L, *p == 't');
        break;
    case ',': {
        lua_newtable(L);
        char tmp[64];
        size_t n = (size_t)(e - p) < sizeof tmp - 1 ? (size_t)(e - p) : sizeof tmp - 1;
        memcpy(tmp, p, n);
        tmp[n] = '\0';
        lua_pushnumber(L, strtod(tmp, NULL));
        lua_setfield(L, -2, "double");
        break;
    }
    case '(':
        lua_newtable(L);
        lua_pushlstring(L, p, (size_t)(e - p));
        lua_setfield(L, -2, "big_number");
        break;
    case '|': { /* an attribute: skipped, the reply follows it */
        long long n = parse_ll(p, e);
        const char *q = next;
        for (long long i = 0; i < 2 * n; i++) {
            q += push_frame(L, q, end, resp);
            lua_pop(L, 1);
        }
        return (size_t)(q - start) + push_frame(L, q, end, resp);
    }
    default:
        lua_pushnil(L);
        break;
    }
    return (size_t)(next - start);
}

size_t fr__lua_push_reply(lua_State *L, const char *p, size_t n, int resp)
{
    return push_frame(L, p, p + n, resp);
}

/* Redis' error texts keep to one line. */
static void add_error_text(fr_conn *c, const char *s, size_t n)
{
    fr_buf b = {0};
    fr__buf_putc(&b, '-');
    for (size_t i = 0; i < n; i++)
        fr__buf_putc(&b, s[i] == '\r' || s[i] == '\n' ? ' ' : s[i]);
    fr__add_error(c, b.p);
    fr__buf_free(&b);
}

/* t.field of the table at the top, pushed; its type returned. */
static int field(lua_State *L, const char *name)
{
    lua_pushstring(L, name);
    lua_rawget(L, -2);
    return lua_type(L, -1);
}

static void table_to_reply(fr_conn *c, lua_State *L, int depth, int lresp)
{
    size_t n;
    const char *s;
    if (field(L, "err") == LUA_TSTRING) {
        s = lua_tolstring(L, -1, &n);
        add_error_text(c, s, n);
        lua_pop(L, 1);
        return;
    }
    lua_pop(L, 1);
    if (field(L, "ok") == LUA_TSTRING) {
        fr_buf b = {0};
        s = lua_tolstring(L, -1, &n);
        for (size_t i = 0; i < n; i++)
            fr__buf_putc(&b, s[i] == '\r' || s[i] == '\n' ? ' ' : s[i]);
        fr__add_status(c, b.p ? b.p : "");
        fr__buf_free(&b);
        lua_pop(L, 1);
        return;
    }
    lua_pop(L, 1);
    if (field(L, "double") == LUA_TNUMBER) {
        fr__add_double(c, lua_tonumber(L, -1));
        lua_pop(L, 1);
        return;
    }
    lua_pop(L, 1);
    if (field(L, "big_number") == LUA_TSTRING) {
        s = lua_tolstring(L, -1, &n);
        if (c->resp >= 3) {
            fr__buf_putc(&c->reply, '(');
            for (size_t i = 0; i < n; i++)
                fr__buf_putc(&c->reply, s[i] == '\r' || s[i] == '\n' ? ' ' : s[i]);
            fr__buf_append(&c->reply, "\r\n", 2);
        } else {
            fr__add_bulk(c, s, n);
        }
        lua_pop(L, 1);
        return;
    }
    lua_pop(L, 1);
    if (field(L, "verbatim_string") == LUA_TTABLE) {
        lua_getfield(L, -1, "format");
        int fmt_t = lua_type(L, -1);
        lua_getfield(L, -2, "string");
        int str_t = lua_type(L, -1);
        if (fmt_t == LUA_TSTRING && str_t == LUA_TSTRING) {
            size_t fl;
            const char *f = lua_tolstring(L, -2, &fl);
            s = lua_tolstring(L, -1, &n);
            char fmt3[4] = "txt";
            if (fl == 3)
                memcpy(fmt3, f, 3);
            fr__add_verbatim(c, s, n, fmt3);
            lua_pop(L, 3);
            return;
        }
        lua_pop(L, 2);
    }
    lua_pop(L, 1);
    int is_map = field(L, "map") == LUA_TTABLE;
    int is_set = !is_map && (lua_pop(L, 1), field(L, "set") == LUA_TTABLE);
    if (is_map || is_set) {
        size_t h = fr__add_deferred(c);
        long long count = 0;
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            /* stack: ... t inner key value */
            lua_pushvalue(L, -2);
            fr__lua_to_reply(c, L, depth + 1, lresp); /* the key (a copy) */
            if (is_map)
                fr__lua_to_reply(c, L, depth + 1, lresp); /* the value */
            else
                lua_pop(L, 1);
            count++;
        }
        lua_pop(L, 1);
        fr__set_deferred(c, h, is_map ? '%' : '~', count);
        return;
    }
    lua_pop(L, 1);
    size_t h = fr__add_deferred(c);
    long long count = 0;
    for (int j = 1;; j++) {
        lua_rawgeti(L, -1, j);
        if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
            break;
        }
        fr__lua_to_reply(c, L, depth + 1, lresp);
        count++;
    }
    fr__set_deferred(c, h, '*', count);
}

void fr__lua_to_reply(fr_conn *c, lua_State *L, int depth, int lresp)
{
    if (depth > MAX_DEPTH || !lua_checkstack(L, 4)) {
        lua_pop(L, 1);
        fr__add_error(c, "reached lua stack limit");
        return;
    }
    size_t n;
    const char *s;
    switch (lua_type(L, -1)) {
    case LUA_TSTRING:
        s = lua_tolstring(L, -1, &n);
        fr__add_bulk(c, s, n);
        break;
    case LUA_TBOOLEAN:
        /* booleans are booleans only for a script that asked for RESP3 */
        if (lresp == 3 && c->resp >= 3)
            fr__buf_append(&c->reply, lua_toboolean(L, -1) ? "#t\r\n" : "#f\r\n", 4);
        else if (lresp == 3)
            fr__add_ll(c, lua_toboolean(L, -1));
        else if (lua_toboolean(L, -1))
            fr__add_ll(c, 1);
        else
            fr__add_null(c);
        break;
    case LUA_TNUMBER:
        fr__add_ll(c, (long long)lua_tonumber(L, -1));
        break;
    case LUA_TTABLE:
        table_to_reply(c, L, depth, lresp);
        break;
    default:
        fr__add_null(c);
        break;
    }
    lua_pop(L, 1);
}
