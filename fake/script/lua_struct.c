/* struct, the binary packing library Redis gives scripts, written from its
 * documented behaviour: struct.pack(fmt, ...), struct.unpack(fmt, s [, i])
 * (the values, then the position after them) and struct.size(fmt).
 * Format: '>' big endian, '<' little endian, '=' native (little here),
 * '![n]' align to n (default 8); 'x' a padding byte; 'b'/'B' char,
 * 'h'/'H' short, 'l'/'L' long, 'T' size_t, 'i'/'I'[n] an integer of n
 * bytes (default 4), signed in lower case; 'f' float, 'd' double;
 * 'c'[n] n bytes of a string ('c0': as long as the string when packing,
 * the previous value's count when unpacking); 's' a zero-terminated
 * string; spaces are ignored. Integers wider than 8 bytes get zeros past
 * the eighth, as Redis' struct writes them. */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "script_int.h"

#define MAXINTSIZE 32
#define NATIVE_ALIGN 8

typedef struct header {
    int big;
    int align;
} header;

static size_t get_num(const char **fmt, size_t def)
{
    if (!isdigit((unsigned char)**fmt))
        return def;
    size_t a = 0;
    do {
        a = a * 10 + (size_t)(*((*fmt)++) - '0');
    } while (isdigit((unsigned char)**fmt) && a < (SIZE_MAX - 9) / 10);
    return a;
}

static size_t opt_size(lua_State *L, char opt, const char **fmt)
{
    switch (opt) {
    case 'B':
    case 'b':
        return 1;
    case 'H':
    case 'h':
        return 2;
    case 'L':
    case 'l':
        return 8;
    case 'T':
        return sizeof(size_t);
    case 'f':
        return sizeof(float);
    case 'd':
        return sizeof(double);
    case 'x':
        return 1;
    case 'c':
        return get_num(fmt, 1);
    case 'i':
    case 'I': {
        size_t sz = get_num(fmt, sizeof(int));
        if (sz > MAXINTSIZE)
            luaL_error(L, "integral size %d is larger than limit of %d", (int)sz, MAXINTSIZE);
        return sz;
    }
    default:
        return 0; /* other cases do not need alignment */
    }
}

static size_t gap(const header *h, size_t size, size_t len)
{
    size_t align = size;
    if (align <= 1 || (int)align > h->align)
        align = (size_t)h->align > 0 ? (size_t)h->align : 1;
    if (align <= 1)
        return 0;
    if (align & (align - 1)) /* not a power of 2: Redis' struct errors too */
        return 0;
    return (align - (len & (align - 1))) & (align - 1);
}

static void control(lua_State *L, char opt, const char **fmt, header *h)
{
    switch (opt) {
    case ' ':
        return;
    case '>':
        h->big = 1;
        return;
    case '<':
        h->big = 0;
        return;
    case '=':
        h->big = 0;
        return;
    case '!': {
        size_t a = get_num(fmt, NATIVE_ALIGN);
        if (a & (a - 1))
            luaL_error(L, "alignment %d is not a power of 2", (int)a);
        h->align = (int)a;
        return;
    }
    default: {
        char msg[40];
        snprintf(msg, sizeof msg, "invalid format option '%c'", opt);
        luaL_argerror(L, 1, msg);
    }
    }
}

static void put_int(fr_buf *b, int64_t v, int big, size_t size)
{
    unsigned char buf[MAXINTSIZE];
    uint64_t u = (uint64_t)v;
    for (size_t i = 0; i < size; i++) {
        /* past 8 bytes: zeros, whatever the sign (as Redis' struct) */
        unsigned char byte = i < 8 ? (unsigned char)(u >> (8 * i)) : 0;
        buf[big ? size - 1 - i : i] = byte;
    }
    fr__buf_append(b, buf, size);
}

/* size bytes from p into tmp, reversed for big endian (the host is
 * little endian): a float's or double's bytes both ways. */
static void copy_raw(unsigned char *tmp, const void *p, size_t size, int big)
{
    memcpy(tmp, p, size);
    if (big)
        for (size_t i = 0; i < size / 2; i++) {
            unsigned char t = tmp[i];
            tmp[i] = tmp[size - 1 - i];
            tmp[size - 1 - i] = t;
        }
}

static void put_raw(fr_buf *b, const void *p, size_t size, int big)
{
    unsigned char tmp[16];
    copy_raw(tmp, p, size, big);
    fr__buf_append(b, tmp, size);
}

/* Pack into a userdata-free buffer: a Lua error (a bad argument) would
 * skip a free, so the buffer lives in a Lua string built at the end and
 * the argument checks all run before anything is allocated. */
static int l_pack(lua_State *L)
{
    const char *fmt = luaL_checkstring(L, 1);
    header h = {0, 1};
    int arg = 2;
    /* first pass: check the arguments (may raise) */
    for (const char *f = fmt; *f;) {
        char opt = *f++;
        size_t size = opt_size(L, opt, &f);
        switch (opt) {
        case 'b':
        case 'B':
        case 'h':
        case 'H':
        case 'l':
        case 'L':
        case 'T':
        case 'i':
        case 'I':
        case 'f':
        case 'd':
            luaL_checknumber(L, arg++);
            break;
        case 'x':
            break;
        case 'c': {
            size_t l;
            luaL_checklstring(L, arg, &l);
            /* Redis' struct names the argument one past it */
            luaL_argcheck(L, size == 0 || l >= size, arg + 1, "string too short");
            arg++;
            break;
        }
        case 's': {
            size_t l;
            const char *s = luaL_checklstring(L, arg, &l);
            luaL_argcheck(L, strlen(s) == l, arg + 1, "string contains zeros");
            arg++;
            break;
        }
        default:
            control(L, opt, &f, &h);
            break;
        }
    }
    fr_buf b = {0};
    h = (header){0, 1};
    arg = 2;
    for (const char *f = fmt; *f;) {
        char opt = *f++;
        size_t size = opt_size(L, opt, &f);
        size_t pad = gap(&h, size, b.len);
        for (size_t i = 0; i < pad; i++)
            fr__buf_putc(&b, '\0');
        switch (opt) {
        case 'b':
        case 'B':
        case 'h':
        case 'H':
        case 'l':
        case 'L':
        case 'T':
        case 'i':
        case 'I': {
            lua_Number n = lua_tonumber(L, arg++);
            put_int(&b, (int64_t)n, h.big, size);
            break;
        }
        case 'x':
            fr__buf_putc(&b, '\0');
            break;
        case 'f': {
            float v = (float)lua_tonumber(L, arg++);
            put_raw(&b, &v, sizeof v, h.big);
            break;
        }
        case 'd': {
            double v = lua_tonumber(L, arg++);
            put_raw(&b, &v, sizeof v, h.big);
            break;
        }
        case 'c':
        case 's': {
            size_t l;
            const char *s = lua_tolstring(L, arg++, &l);
            if (opt == 's')
                l += 1; /* the zero */
            else if (size > 0)
                l = size;
            fr__buf_append(&b, s, l);
            break;
        }
        default:
            control(L, opt, &f, &h);
            break;
        }
    }
    lua_pushlstring(L, b.p ? b.p : "", b.len);
    fr__buf_free(&b);
    return 1;
}

static int64_t get_int(const unsigned char *p, int big, int is_signed, size_t size)
{
    uint64_t u = 0;
    for (size_t i = 0; i < size && i < 8; i++) {
        size_t at = big ? size - 1 - i : i;
        u |= (uint64_t)p[at] << (8 * i);
    }
    if (is_signed && size < 8) {
        uint64_t mask = (uint64_t)1 << (size * 8 - 1);
        u = (u ^ mask) - mask;
    }
    return (int64_t)u;
}

static int l_unpack(lua_State *L)
{
    const char *fmt = luaL_checkstring(L, 1);
    size_t ld;
    const unsigned char *data = (const unsigned char *)luaL_checklstring(L, 2, &ld);
    size_t pos = (size_t)luaL_optinteger(L, 3, 1) - 1;
    header h = {0, 1};
    int n = 0;
    luaL_argcheck(L, pos <= ld, 3, "offset must be 1 or greater");
    for (const char *f = fmt; *f;) {
        char opt = *f++;
        size_t size = opt_size(L, opt, &f);
        pos += gap(&h, size, pos);
        luaL_argcheck(L, pos + size <= ld, 2, "data string too short");
        luaL_checkstack(L, 2, "too many results");
        switch (opt) {
        case 'b':
        case 'B':
        case 'h':
        case 'H':
        case 'l':
        case 'L':
        case 'T':
        case 'i':
        case 'I': {
            int is_signed = islower((unsigned char)opt);
            lua_pushnumber(L, is_signed
                                  ? (lua_Number)get_int(data + pos, h.big, 1, size)
                                  : (lua_Number)(uint64_t)get_int(data + pos, h.big, 0, size));
            n++;
            break;
        }
        case 'x':
            break;
        case 'f': {
            float v;
            copy_raw((unsigned char *)&v, data + pos, sizeof v, h.big);
            lua_pushnumber(L, v);
            n++;
            break;
        }
        case 'd': {
            double v;
            copy_raw((unsigned char *)&v, data + pos, sizeof v, h.big);
            lua_pushnumber(L, v);
            n++;
            break;
        }
        case 'c': {
            if (size == 0) {
                if (n == 0 || !lua_isnumber(L, -1))
                    luaL_error(L, "format 'c0' needs a previous size");
                size = (size_t)lua_tonumber(L, -1);
                lua_pop(L, 1);
                n--;
                luaL_argcheck(L, size <= ld && pos <= ld - size, 2, "data string too short");
            }
            lua_pushlstring(L, (const char *)data + pos, size);
            n++;
            break;
        }
        case 's': {
            const void *e = memchr(data + pos, '\0', ld - pos);
            if (!e)
                luaL_error(L, "unfinished string in data");
            size = (size_t)((const unsigned char *)e - (data + pos)) + 1;
            lua_pushlstring(L, (const char *)data + pos, size - 1);
            n++;
            break;
        }
        default:
            control(L, opt, &f, &h);
            break;
        }
        pos += size;
    }
    lua_pushinteger(L, (lua_Integer)pos + 1);
    return n + 1;
}

static int l_size(lua_State *L)
{
    const char *fmt = luaL_checkstring(L, 1);
    header h = {0, 1};
    size_t pos = 0;
    for (const char *f = fmt; *f;) {
        char opt = *f++;
        size_t size = opt_size(L, opt, &f);
        pos += gap(&h, size, pos);
        if (opt == 's')
            luaL_argerror(L, 1, "option 's' has no fixed size");
        else if (opt == 'c' && size == 0)
            luaL_argerror(L, 1, "option 'c0' has no fixed size");
        if (!strchr("bBhHlLTiIfdxc", opt))
            control(L, opt, &f, &h);
        pos += size;
    }
    lua_pushinteger(L, (lua_Integer)pos);
    return 1;
}

void fr__lua_open_struct(lua_State *L)
{
    lua_newtable(L);
    lua_pushcfunction(L, l_pack);
    lua_setfield(L, -2, "pack");
    lua_pushcfunction(L, l_unpack);
    lua_setfield(L, -2, "unpack");
    lua_pushcfunction(L, l_size);
    lua_setfield(L, -2, "size");
    lua_setglobal(L, "struct");
}
