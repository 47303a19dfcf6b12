/* cmsgpack, the MessagePack library Redis gives scripts, written from the
 * MessagePack specification and lua-cmsgpack's documented behaviour:
 * pack(...) encodes each argument and concatenates them; a table whose
 * keys are exactly 1..n is an array, any other a map; a number with an
 * integer value is the smallest integer encoding, another one a float 32
 * when that is exact, else a float 64; strings use fixstr/str8/16/32;
 * nesting deeper than 16 packs nil. unpack(s) returns every value,
 * unpack_one(s [, offset]) and unpack_limit(s, n [, offset]) return the
 * offset after what they read (-1 at the end) followed by the values. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "script_int.h"

#define MAX_NESTING 16

static void put_be(fr_buf *b, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--)
        fr__buf_putc(b, (char)((v >> (8 * i)) & 0xff));
}

static void enc_int(fr_buf *b, int64_t v)
{
    if (v >= 0) {
        if (v < 128) {
            fr__buf_putc(b, (char)v);
        } else if (v <= 0xff) {
            fr__buf_putc(b, (char)0xcc);
            put_be(b, (uint64_t)v, 1);
        } else if (v <= 0xffff) {
            fr__buf_putc(b, (char)0xcd);
            put_be(b, (uint64_t)v, 2);
        } else if (v <= 0xffffffffLL) {
            fr__buf_putc(b, (char)0xce);
            put_be(b, (uint64_t)v, 4);
        } else {
            fr__buf_putc(b, (char)0xcf);
            put_be(b, (uint64_t)v, 8);
        }
    } else if (v >= -32) {
        fr__buf_putc(b, (char)(uint8_t)v);
    } else if (v >= -128) {
        fr__buf_putc(b, (char)0xd0);
        put_be(b, (uint64_t)v, 1);
    } else if (v >= -32768) {
        fr__buf_putc(b, (char)0xd1);
        put_be(b, (uint64_t)v, 2);
    } else if (v >= -2147483648LL) {
        fr__buf_putc(b, (char)0xd2);
        put_be(b, (uint64_t)v, 4);
    } else {
        fr__buf_putc(b, (char)0xd3);
        put_be(b, (uint64_t)v, 8);
    }
}

static void enc_number(fr_buf *b, lua_Number n)
{
    if (isfinite(n) && n == floor(n) && n >= -9223372036854775808.0 && n < 9223372036854775808.0) {
        enc_int(b, (int64_t)n);
        return;
    }
    float f = (float)n;
    if ((lua_Number)f == n || isnan(n)) {
        uint32_t u;
        memcpy(&u, &f, 4);
        fr__buf_putc(b, (char)0xca);
        put_be(b, u, 4);
    } else {
        uint64_t u;
        double d = n;
        memcpy(&u, &d, 8);
        fr__buf_putc(b, (char)0xcb);
        put_be(b, u, 8);
    }
}

static void enc_len(fr_buf *b, size_t n, unsigned fix, size_t fixmax, unsigned c16, unsigned c32)
{
    if (n < fixmax) {
        fr__buf_putc(b, (char)(fix | n));
    } else if (n <= 0xffff) {
        fr__buf_putc(b, (char)c16);
        put_be(b, n, 2);
    } else {
        fr__buf_putc(b, (char)c32);
        put_be(b, n, 4);
    }
}

/* 1..n with no other key: an array of n (0 for an empty table). */
static int array_len(lua_State *L, int idx, size_t *n)
{
    size_t count = 0;
    lua_Number max = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TNUMBER) {
            lua_pop(L, 1);
            return 0;
        }
        lua_Number k = lua_tonumber(L, -1);
        if (k <= 0 || k != floor(k)) {
            lua_pop(L, 1);
            return 0;
        }
        if (k > max)
            max = k;
        count++;
    }
    *n = count;
    return max == (lua_Number)count;
}

static void enc_value(lua_State *L, fr_buf *b, int level);

static void enc_table(lua_State *L, fr_buf *b, int level)
{
    int idx = lua_gettop(L);
    size_t n;
    if (array_len(L, idx, &n)) {
        enc_len(b, n, 0x90, 16, 0xdc, 0xdd);
        for (size_t i = 1; i <= n; i++) {
            lua_rawgeti(L, idx, (int)i);
            enc_value(L, b, level + 1);
        }
        return;
    }
    size_t pairs = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        pairs++;
    }
    enc_len(b, pairs, 0x80, 16, 0xde, 0xdf);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pushvalue(L, -2);
        enc_value(L, b, level + 1); /* the key (a copy) */
        enc_value(L, b, level + 1); /* the value */
    }
}

/* Encode and pop the value at the top. */
static void enc_value(lua_State *L, fr_buf *b, int level)
{
    int t = lua_checkstack(L, 8) ? lua_type(L, -1) : LUA_TNIL;
    switch (t) {
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, -1, &n);
        if (n < 32) {
            fr__buf_putc(b, (char)(0xa0 | n));
        } else if (n <= 0xff) {
            fr__buf_putc(b, (char)0xd9);
            put_be(b, n, 1);
        } else if (n <= 0xffff) {
            fr__buf_putc(b, (char)0xda);
            put_be(b, n, 2);
        } else {
            fr__buf_putc(b, (char)0xdb);
            put_be(b, n, 4);
        }
        fr__buf_append(b, s, n);
        break;
    }
    case LUA_TBOOLEAN:
        fr__buf_putc(b, (char)(lua_toboolean(L, -1) ? 0xc3 : 0xc2));
        break;
    case LUA_TNUMBER:
        enc_number(b, lua_tonumber(L, -1));
        break;
    case LUA_TTABLE:
        if (level >= MAX_NESTING)
            fr__buf_putc(b, (char)0xc0);
        else
            enc_table(L, b, level);
        break;
    default:
        fr__buf_putc(b, (char)0xc0);
        break;
    }
    lua_pop(L, 1);
}

static int l_pack(lua_State *L)
{
    int n = lua_gettop(L);
    if (n == 0)
        return luaL_argerror(L, 0, "MessagePack pack needs input.");
    fr_buf out = {0};
    for (int i = 1; i <= n; i++) {
        lua_pushvalue(L, i);
        enc_value(L, &out, 0);
    }
    lua_pushlstring(L, out.p ? out.p : "", out.len);
    fr__buf_free(&out);
    return 1;
}

/* ---- decoding ---- */

typedef struct cursor {
    const unsigned char *p;
    size_t left;
    int err; /* 1: missing bytes, 2: bad format */
} cursor;

static uint64_t get_be(cursor *c, int n)
{
    if (c->left < (size_t)n) {
        c->err = 1;
        return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | c->p[i];
    c->p += n;
    c->left -= (size_t)n;
    return v;
}

static void dec_value(lua_State *L, cursor *c);

static void dec_str(lua_State *L, cursor *c, size_t n)
{
    if (c->left < n) {
        c->err = 1;
        lua_pushnil(L);
        return;
    }
    lua_pushlstring(L, (const char *)c->p, n);
    c->p += n;
    c->left -= n;
}

static void dec_array(lua_State *L, cursor *c, size_t n)
{
    lua_newtable(L);
    for (size_t i = 1; i <= n && !c->err; i++) {
        dec_value(L, c);
        lua_rawseti(L, -2, (int)i);
    }
}

static void dec_map(lua_State *L, cursor *c, size_t n)
{
    lua_newtable(L);
    for (size_t i = 0; i < n && !c->err; i++) {
        dec_value(L, c);
        dec_value(L, c);
        if (lua_isnil(L, -2)) { /* a nil key can't be stored */
            lua_pop(L, 2);
            continue;
        }
        lua_settable(L, -3);
    }
}

static void dec_value(lua_State *L, cursor *c)
{
    if (!lua_checkstack(L, 4)) {
        c->err = 2;
        lua_pushnil(L);
        return;
    }
    if (c->left == 0) {
        c->err = 1;
        lua_pushnil(L);
        return;
    }
    unsigned t = *c->p++;
    c->left--;
    if (t < 0x80) {
        lua_pushnumber(L, t);
    } else if (t >= 0xe0) {
        lua_pushnumber(L, (int8_t)t);
    } else if ((t & 0xe0) == 0xa0) {
        dec_str(L, c, t & 0x1f);
    } else if ((t & 0xf0) == 0x90) {
        dec_array(L, c, t & 0x0f);
    } else if ((t & 0xf0) == 0x80) {
        dec_map(L, c, t & 0x0f);
    } else {
        uint64_t v;
        switch (t) {
        case 0xc0:
            lua_pushnil(L);
            break;
        case 0xc2:
            lua_pushboolean(L, 0);
            break;
        case 0xc3:
            lua_pushboolean(L, 1);
            break;
        case 0xcc:
            lua_pushnumber(L, (lua_Number)get_be(c, 1));
            break;
        case 0xcd:
            lua_pushnumber(L, (lua_Number)get_be(c, 2));
            break;
        case 0xce:
            lua_pushnumber(L, (lua_Number)get_be(c, 4));
            break;
        case 0xcf:
            lua_pushnumber(L, (lua_Number)get_be(c, 8));
            break;
        case 0xd0:
            lua_pushnumber(L, (int8_t)get_be(c, 1));
            break;
        case 0xd1:
            lua_pushnumber(L, (int16_t)get_be(c, 2));
            break;
        case 0xd2:
            lua_pushnumber(L, (int32_t)get_be(c, 4));
            break;
        case 0xd3:
            lua_pushnumber(L, (lua_Number)(int64_t)get_be(c, 8));
            break;
        case 0xca: {
            uint32_t u = (uint32_t)get_be(c, 4);
            float f;
            memcpy(&f, &u, 4);
            lua_pushnumber(L, f);
            break;
        }
        case 0xcb: {
            v = get_be(c, 8);
            double d;
            memcpy(&d, &v, 8);
            lua_pushnumber(L, d);
            break;
        }
        case 0xc4:
        case 0xd9:
            v = get_be(c, 1);
            dec_str(L, c, c->err ? 0 : v);
            break;
        case 0xc5:
        case 0xda:
            v = get_be(c, 2);
            dec_str(L, c, c->err ? 0 : v);
            break;
        case 0xc6:
        case 0xdb:
            v = get_be(c, 4);
            dec_str(L, c, c->err ? 0 : v);
            break;
        case 0xdc:
            v = get_be(c, 2);
            dec_array(L, c, c->err ? 0 : v);
            break;
        case 0xdd:
            v = get_be(c, 4);
            dec_array(L, c, c->err ? 0 : v);
            break;
        case 0xde:
            v = get_be(c, 2);
            dec_map(L, c, c->err ? 0 : v);
            break;
        case 0xdf:
            v = get_be(c, 4);
            dec_map(L, c, c->err ? 0 : v);
            break;
        default:
            c->err = 2;
            lua_pushnil(L);
            break;
        }
    }
}

/* Decode up to limit values (0: all) from offset; push the offset after
 * them first when with_offset (-1 when the input is used up). */
static int unpack_some(lua_State *L, long limit, long offset, int with_offset)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    if (offset < 0 || (size_t)offset > len)
        return luaL_error(L, "Start offset %d greater than input length %d.", (int)offset,
                          (int)len);
    cursor c = {(const unsigned char *)s + offset, len - (size_t)offset, 0};
    int base = lua_gettop(L);
    if (with_offset)
        lua_pushnil(L); /* the offset, set at the end */
    long n = 0;
    while (c.left > 0 && (limit == 0 || n < limit)) {
        dec_value(L, &c);
        if (c.err)
            return luaL_error(L,
                              c.err == 1 ? "Missing bytes in input." : "Bad data format in input.");
        n++;
    }
    if (with_offset) {
        lua_pushnumber(L, c.left ? (lua_Number)(len - c.left) : -1);
        lua_replace(L, base + 1);
    }
    return lua_gettop(L) - base;
}

static int l_unpack(lua_State *L)
{
    return unpack_some(L, 0, 0, 0);
}

static int l_unpack_one(lua_State *L)
{
    return unpack_some(L, 1, (long)luaL_optnumber(L, 2, 0), 1);
}

static int l_unpack_limit(lua_State *L)
{
    long limit = (long)luaL_checknumber(L, 2);
    return unpack_some(L, limit > 0 ? limit : 0, (long)luaL_optnumber(L, 3, 0), 1);
}

void fr__lua_open_cmsgpack(lua_State *L)
{
    static const luaL_Reg fns[] = {{"pack", l_pack},
                                   {"unpack", l_unpack},
                                   {"unpack_one", l_unpack_one},
                                   {"unpack_limit", l_unpack_limit},
                                   {NULL, NULL}};
    lua_newtable(L);
    for (const luaL_Reg *f = fns; f->name; f++) {
        lua_pushcfunction(L, f->func);
        lua_setfield(L, -2, f->name);
    }
    lua_pushstring(L, "lua-cmsgpack");
    lua_setfield(L, -2, "_NAME");
    lua_pushstring(L, "0.4.0");
    lua_setfield(L, -2, "_VERSION");
    lua_setglobal(L, "cmsgpack");
}
