/* The parts of SCAN/HSCAN/SSCAN/ZSCAN that do not depend on the type. */
#include "commands_private.h"
#include "core.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data.h"
#include "base.h"

int fr__scan_cursor(fr_conn *c, const fr_arg *a, uint64_t *out)
{
    char buf[32];
    if (a->len == 0 || a->len >= sizeof buf || isspace((unsigned char)a->p[0]))
        goto bad;
    memcpy(buf, a->p, a->len);
    buf[a->len] = '\0';
    char *end;
    errno = 0;
    unsigned long long v = strtoull(buf, &end, 10);
    if (*end || errno == ERANGE)
        goto bad;
    *out = v;
    return 1;
bad:
    fr__add_error(c, "invalid cursor");
    return 0;
}

int fr__scan_opts(fr_conn *c, int first, int allow_type, fr_scan_opts *o)
{
    o->count = 10;
    o->pat = NULL;
    o->type = NULL;
    for (int i = first; i < c->argc;) {
        int left = c->argc - i;
        const fr_arg *a = &c->argv[i];
        if (fr__arg_is(a, "count") && left >= 2) {
            if (!fr__arg_ll(c, &c->argv[i + 1], &o->count))
                return 0;
            if (o->count < 1) {
                fr__add_error(c, fr__err_syntax);
                return 0;
            }
            i += 2;
        } else if (fr__arg_is(a, "match") && left >= 2) {
            o->pat = &c->argv[i + 1];
            if (o->pat->len == 1 && o->pat->p[0] == '*')
                o->pat = NULL;
            i += 2;
        } else if (allow_type && fr__arg_is(a, "type") && left >= 2) {
            o->type = &c->argv[i + 1];
            i += 2;
        } else {
            fr__add_error(c, fr__err_syntax);
            return 0;
        }
    }
    return 1;
}

int fr__scan_match(const fr_scan_opts *o, const char *p, size_t len)
{
    return !o->pat || fr__glob_match(o->pat->p, o->pat->len, p, len, 0);
}

fr_obj *fr__scan_begin(fr_conn *c, int type, uint64_t *cursor, fr_scan_opts *o)
{
    if (!fr__scan_cursor(c, &c->argv[2], cursor))
        return NULL;
    fr_obj *obj = fr__lookup_read(c, &c->argv[1]);
    if (!obj) {
        fr__add_array(c, 2);
        fr__add_bulk(c, "0", 1);
        fr__add_array(c, 0);
        return NULL;
    }
    if (fr__check_type(c, obj, type) || !fr__scan_opts(c, 3, 0, o))
        return NULL;
    return obj;
}

void fr__scan_acc_add(fr_scan_acc *a, const char *p, size_t len)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 32;
        a->lens = fr__xrealloc(a->lens, a->cap * sizeof *a->lens);
    }
    fr__buf_append(&a->bytes, p, len);
    a->lens[a->n++] = len;
}

void fr__scan_acc_free(fr_scan_acc *a)
{
    fr__buf_free(&a->bytes);
    free(a->lens);
}

uint64_t fr__scan_dict(fr_dict *d, uint64_t cursor, fr_dict_scan_fn *fn, fr_scan_acc *acc,
                       const fr_scan_opts *o, size_t per)
{
    long long max_iter = o->count > LLONG_MAX / 10 ? LLONG_MAX : o->count * 10;
    do {
        cursor = fr__dict_scan(d, cursor, fn, acc);
    } while (cursor && max_iter-- && (long long)(acc->n / per) < o->count);
    return cursor;
}

void fr__scan_reply(fr_conn *c, uint64_t cursor, const fr_scan_acc *acc, const fr_scan_opts *o,
                    size_t per, fr_scan_keep_fn *keep, const void *priv)
{
    fr__add_array(c, 2);
    char cur[24];
    fr__add_bulk(c, cur, (size_t)snprintf(cur, sizeof cur, "%llu", (unsigned long long)cursor));
    size_t d = fr__add_deferred(c);
    long long out = 0;
    size_t off = 0;
    for (size_t i = 0; i + per <= acc->n; i += per) {
        const char *first = acc->bytes.p + off;
        size_t group = 0;
        for (size_t j = 0; j < per; j++)
            group += acc->lens[i + j];
        off += group;
        if (!fr__scan_match(o, first, acc->lens[i]) ||
            (keep && !keep(c, first, acc->lens[i], priv)))
            continue;
        const char *p = first;
        for (size_t j = 0; j < per; j++) {
            fr__add_bulk(c, p, acc->lens[i + j]);
            p += acc->lens[i + j];
        }
        out += (long long)per;
    }
    fr__set_deferred(c, d, '*', out);
}
