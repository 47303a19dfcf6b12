/* Helpers the command groups share. See cmdutil.h. */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands_private.h"
#include "core.h"
#include "base.h"

static int touch_flag(fr_conn *c)
{
    return (c->flags & FR_CONN_NO_TOUCH) ? FR_LOOKUP_NOTOUCH : 0;
}

fr_obj *fr__lookup_read(fr_conn *c, const fr_arg *key)
{
    return fr__db_lookup(c->srv->ks, c->db, key->p, key->len, touch_flag(c));
}

fr_obj *fr__lookup_write(fr_conn *c, const fr_arg *key)
{
    return fr__db_lookup(c->srv->ks, c->db, key->p, key->len,
                         touch_flag(c) | FR_LOOKUP_NOSTATS | FR_LOOKUP_NONOTIFY);
}

int fr__check_type(fr_conn *c, const fr_obj *o, int type)
{
    if (o && (int)o->type != type) {
        fr__add_error(c, fr__err_wrongtype);
        return 1;
    }
    return 0;
}

static fr_obj *found_or_reply(fr_conn *c, fr_obj *o, int type, void (*on_missing)(fr_conn *c))
{
    if (!o) {
        if (on_missing)
            on_missing(c);
        return NULL;
    }
    if (fr__check_type(c, o, type))
        return NULL;
    return o;
}

fr_obj *fr__lookup_read_or_reply(fr_conn *c, const fr_arg *key, int type,
                                 void (*on_missing)(fr_conn *c))
{
    return found_or_reply(c, fr__lookup_read(c, key), type, on_missing);
}

fr_obj *fr__lookup_write_or_reply(fr_conn *c, const fr_arg *key, int type,
                                  void (*on_missing)(fr_conn *c))
{
    return found_or_reply(c, fr__lookup_write(c, key), type, on_missing);
}

int fr__ld_incr_or_reply(fr_conn *c, char *buf, size_t cap, long double value, long double incr)
{
    value += incr;
    int n = isnan(value) || isinf(value) ? -1 : fr__ld_format_human(buf, cap, value);
    if (n < 0)
        fr__add_error(c, "increment would produce NaN or Infinity");
    return n;
}

/* DEBUG POPULATE count [prefix] [size]: keys "<prefix>:<n>" holding
 * "value:<n>" (padded with zero bytes or cut to size when given); keys
 * that exist are left alone. */
void fr__debug_populate(fr_conn *c)
{
    fr_keyspace *ks = c->srv->ks;
    long long count, size = 0;
    if (c->argc < 3 || c->argc > 5) {
        fr__add_errorf(c, "wrong number of arguments for 'debug|populate' command");
        return;
    }
    if (!fr__arg_ll(c, &c->argv[2], &count))
        return;
    if (count < 0) {
        fr__add_error(c, "value is out of range, must be positive");
        return;
    }
    const char *prefix = "key";
    size_t plen = 3;
    if (c->argc > 3) {
        prefix = c->argv[3].p;
        plen = c->argv[3].len;
    }
    if (c->argc > 4) {
        if (!fr__arg_ll(c, &c->argv[4], &size))
            return;
        if (size < 0) {
            fr__add_error(c, "value is out of range, must be positive");
            return;
        }
    }
    fr_buf key = {0};
    char val[48];
    char *padded = size > 0 ? fr__xcalloc(1, (size_t)size) : NULL;
    for (long long j = 0; j < count; j++) {
        fr__buf_clear(&key);
        fr__buf_append(&key, prefix, plen);
        fr__buf_putc(&key, ':');
        fr__buf_put_ll(&key, j);
        if (fr__db_lookup(ks, c->db, key.p, key.len, FR_LOOKUP_NOSTATS | FR_LOOKUP_NONOTIFY))
            continue;
        int vlen = snprintf(val, sizeof val, "value:%lld", j);
        fr_obj *o;
        if (size > 0) {
            size_t n = (size_t)vlen < (size_t)size ? (size_t)vlen : (size_t)size;
            memset(padded, 0, (size_t)size);
            memcpy(padded, val, n);
            o = fr__str_new_plain(padded, (size_t)size);
        } else {
            o = fr__str_new_plain(val, (size_t)vlen);
        }
        fr__db_add(ks, c->db, key.p, key.len, o);
    }
    free(padded);
    fr__buf_free(&key);
    fr__add_ok(c);
}
