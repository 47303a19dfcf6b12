/* FUNCTION DUMP / RESTORE. The payload has the shape of Redis 7.0's: per
 * library the RDB function opcode (0xf5) and the code as an RDB string,
 * then the RDB version (10, two bytes little-endian) and a CRC-64 (Jones,
 * reflected, as Redis' DUMP uses) of everything before it, little-endian.
 * The fake writes code strings uncompressed (Redis LZF-compresses strings
 * that shrink, so a payload of a long library differs in bytes from
 * Redis'); RESTORE reads both, LZF-compressed strings included. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "script_int.h"

#define OPCODE_FUNCTION2 0xf5
#define RDB_VERSION 10

static uint64_t crc64(uint64_t crc, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0x95ac9329ac4bc9b5ULL & (0 - (crc & 1)));
    }
    return crc;
}

static void put_len(fr_buf *b, size_t n)
{
    if (n < 64) {
        fr__buf_putc(b, (char)n);
    } else if (n < 16384) {
        fr__buf_putc(b, (char)(0x40 | (n >> 8)));
        fr__buf_putc(b, (char)(n & 0xff));
    } else {
        fr__buf_putc(b, (char)0x80);
        for (int i = 3; i >= 0; i--)
            fr__buf_putc(b, (char)((n >> (8 * i)) & 0xff));
    }
}

void fr__function_dump_cmd(fr_conn *c)
{
    fr_scripting *s = fr__scripting(c->srv);
    fr_buf b = {0};
    fr_dict_iter it;
    fr__dict_iter_start(&it, &s->libs);
    for (fr_dict_entry *e; (e = fr__dict_iter_next(&it));) {
        fr_lib *lib = e->v.p;
        fr__buf_putc(&b, (char)OPCODE_FUNCTION2);
        put_len(&b, lib->code_len);
        fr__buf_append(&b, lib->code, lib->code_len);
    }
    fr__dict_iter_end(&it);
    fr__buf_putc(&b, RDB_VERSION);
    fr__buf_putc(&b, 0);
    uint64_t crc = crc64(0, (const unsigned char *)b.p, b.len);
    for (int i = 0; i < 8; i++)
        fr__buf_putc(&b, (char)((crc >> (8 * i)) & 0xff));
    fr__add_bulk(c, b.p ? b.p : "", b.len);
    fr__buf_free(&b);
}

/* An RDB length at *p: -1 when malformed; *special: the 0xc0 encodings. */
static int get_len(const unsigned char **p, const unsigned char *end, size_t *out, int *special)
{
    if (*p >= end)
        return -1;
    unsigned char t = **p;
    (*p)++;
    *special = 0;
    switch (t >> 6) {
    case 0:
        *out = t & 0x3f;
        return 0;
    case 1:
        if (*p >= end)
            return -1;
        *out = ((size_t)(t & 0x3f) << 8) | **p;
        (*p)++;
        return 0;
    case 2:
        if (t == 0x80) {
            if (end - *p < 4)
                return -1;
            *out = (size_t)(*p)[0] << 24 | (size_t)(*p)[1] << 16 | (size_t)(*p)[2] << 8 | (*p)[3];
            *p += 4;
            return 0;
        }
        return -1;
    default:
        *special = 1;
        *out = t & 0x3f;
        return 0;
    }
}

static int lzf_decompress(const unsigned char *in, size_t inlen, unsigned char *out, size_t outlen)
{
    size_t i = 0, o = 0;
    while (i < inlen) {
        unsigned ctrl = in[i++];
        if (ctrl < 32) {
            size_t run = ctrl + 1;
            if (i + run > inlen || o + run > outlen)
                return -1;
            memcpy(out + o, in + i, run);
            i += run;
            o += run;
        } else {
            size_t len = ctrl >> 5;
            if (len == 7) {
                if (i >= inlen)
                    return -1;
                len += in[i++];
            }
            if (i >= inlen)
                return -1;
            size_t back = ((ctrl & 0x1f) << 8) + in[i++] + 1;
            len += 2;
            if (back > o || o + len > outlen)
                return -1;
            for (size_t k = 0; k < len; k++, o++)
                out[o] = out[o - back];
        }
    }
    return o == outlen ? 0 : -1;
}

/* The string at *p as a new buffer, or NULL. */
static char *get_string(const unsigned char **p, const unsigned char *end, size_t *n)
{
    int special;
    size_t len;
    if (get_len(p, end, &len, &special) < 0)
        return NULL;
    if (!special) {
        if ((size_t)(end - *p) < len)
            return NULL;
        char *s = fr__xmemdup(*p, len);
        *p += len;
        *n = len;
        return s;
    }
    if (len != 3) /* only LZF: code is never an integer encoding */
        return NULL;
    size_t clen, ulen;
    int sp2;
    if (get_len(p, end, &clen, &sp2) < 0 || sp2 || get_len(p, end, &ulen, &sp2) < 0 || sp2 ||
        (size_t)(end - *p) < clen)
        return NULL;
    char *s = fr__xmalloc(ulen + 1);
    if (lzf_decompress(*p, clen, (unsigned char *)s, ulen) < 0) {
        free(s);
        return NULL;
    }
    s[ulen] = '\0';
    *p += clen;
    *n = ulen;
    return s;
}

void fr__function_restore_cmd(fr_conn *c)
{
    int policy = 0; /* 0 append, 1 replace, 2 flush */
    if (c->argc > 4) {
        fr__add_errorf(c,
                       "unknown subcommand or wrong number of arguments for '%.*s'. Try "
                       "FUNCTION HELP.",
                       (int)c->argv[1].len, c->argv[1].p);
        return;
    }
    if (c->argc == 4) {
        const fr_arg *a = &c->argv[3];
        if (a->len == 5 && !strncasecmp(a->p, "flush", 5))
            policy = 2;
        else if (a->len == 6 && !strncasecmp(a->p, "append", 6))
            policy = 0;
        else if (a->len == 7 && !strncasecmp(a->p, "replace", 7))
            policy = 1;
        else {
            fr__add_error(c, "Wrong restore policy given, value should be either FLUSH, APPEND "
                             "or REPLACE.");
            return;
        }
    }
    const unsigned char *p = (const unsigned char *)c->argv[2].p;
    size_t n = c->argv[2].len;
    if (n < 10 || (p[n - 10] | p[n - 9] << 8) > RDB_VERSION ||
        crc64(0, p, n - 8) !=
            ((uint64_t)p[n - 8] | (uint64_t)p[n - 7] << 8 | (uint64_t)p[n - 6] << 16 |
             (uint64_t)p[n - 5] << 24 | (uint64_t)p[n - 4] << 32 | (uint64_t)p[n - 3] << 40 |
             (uint64_t)p[n - 2] << 48 | (uint64_t)p[n - 1] << 56)) {
        fr__add_error(c, "DUMP payload version or checksum are wrong");
        return;
    }
    /* collect the codes first: a bad payload changes nothing */
    const unsigned char *end = p + n - 10;
    char **codes = NULL;
    size_t *lens = NULL, ncodes = 0;
    const char *err = NULL;
    while (p < end) {
        if (*p != OPCODE_FUNCTION2) {
            err = "given type is not a function";
            break;
        }
        p++;
        size_t len;
        char *code = get_string(&p, end, &len);
        if (!code) {
            err = "failed loading the given functions payload";
            break;
        }
        codes = fr__xrealloc(codes, (ncodes + 1) * sizeof *codes);
        lens = fr__xrealloc(lens, (ncodes + 1) * sizeof *lens);
        codes[ncodes] = code;
        lens[ncodes++] = len;
    }
    if (!err) {
        fr_scripting *s = fr__scripting(c->srv);
        if (policy == 2) {
            fr_dict_iter it;
            fr__dict_iter_start(&it, &s->libs);
            size_t nl = fr__dict_size(&s->libs), k = 0;
            char **names = fr__xcalloc(nl + 1, sizeof *names);
            for (fr_dict_entry *e; (e = fr__dict_iter_next(&it));)
                names[k++] = fr__xstrdup(((fr_lib *)e->v.p)->name);
            fr__dict_iter_end(&it);
            for (size_t i = 0; i < k; i++) {
                fr__function_drop(s, names[i]);
                free(names[i]);
            }
            free(names);
        }
        char buf[600];
        for (size_t i = 0; i < ncodes; i++) {
            if (fr__function_load(c->srv, codes[i], lens[i], policy == 1, buf, sizeof buf) < 0) {
                /* RESTORE names a clashing library without LOAD's quotes */
                char name[256];
                if (sscanf(buf, "ERR Library '%255[^']' already exists", name) == 1)
                    fr__add_errorf(c, "Library %s already exists", name);
                else
                    fr__add_errorf(c, "-%s", buf);
                err = "";
                break;
            }
        }
    } else {
        fr__add_error(c, err);
    }
    for (size_t i = 0; i < ncodes; i++)
        free(codes[i]);
    free(codes);
    free(lens);
    if (!err)
        fr__add_ok(c);
}
