/* Hash commands (HSET ... HSCAN), on t_hash.h. Replies, errors, events
 * and encodings as Redis 7.0. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "db.h"
#include "notify.h"
#include "reply.h"
#include "t_hash.h"
#include "t_scan.h"

static void changed(fr_conn *c, const fr_arg *k, const char *event)
{
    fr__signal_modified_key(c->srv, c->db, k->p, k->len);
    fr__notify_keyspace_event(c->srv, FR_NOTIFY_HASH, event, k->p, k->len, c->db);
}

/* The hash at key for writing, created empty when missing (Redis'
 * hashTypeLookupWriteOrCreate). NULL after answering WRONGTYPE. */
static fr_obj *lookup_or_create(fr_conn *c, const fr_arg *k)
{
    fr_obj *o = fr__lookup_write(c, k);
    if (fr__check_type(c, o, FR_TYPE_HASH))
        return NULL;
    if (!o) {
        o = fr__hash_new();
        fr__db_add(c->srv, c->db, k->p, k->len, o);
    }
    return o;
}

static void add_zero(fr_conn *c)
{
    fr__add_ll(c, 0);
}

static void add_empty_array(fr_conn *c)
{
    fr__add_array(c, 0);
}

static void add_empty_map(fr_conn *c)
{
    fr__add_map(c, 0);
}

static void set_generic(fr_conn *c, int hmset)
{
    if (c->argc % 2 == 1) {
        fr__add_errorf(c, "wrong number of arguments for '%s' command", c->cmd->name);
        return;
    }
    fr_obj *o = lookup_or_create(c, &c->argv[1]);
    if (!o)
        return;
    fr__hash_try_convert(&c->srv->cfg, o, &c->argv[2], c->argc - 2);
    long long created = 0;
    for (int i = 2; i < c->argc; i += 2)
        created += fr__hash_set(&c->srv->cfg, o, c->argv[i].p, c->argv[i].len, c->argv[i + 1].p,
                                c->argv[i + 1].len);
    if (hmset)
        fr__add_ok(c);
    else
        fr__add_ll(c, created);
    changed(c, &c->argv[1], "hset");
}

void fr__cmd_hset(fr_conn *c)
{
    set_generic(c, 0);
}

void fr__cmd_hmset(fr_conn *c)
{
    set_generic(c, 1);
}

void fr__cmd_hsetnx(fr_conn *c)
{
    fr_obj *o = lookup_or_create(c, &c->argv[1]);
    if (!o)
        return;
    const char *v;
    size_t vl;
    if (fr__hash_get(o, c->argv[2].p, c->argv[2].len, &v, &vl)) {
        fr__add_ll(c, 0);
        return;
    }
    fr__hash_set(&c->srv->cfg, o, c->argv[2].p, c->argv[2].len, c->argv[3].p, c->argv[3].len);
    fr__add_ll(c, 1);
    changed(c, &c->argv[1], "hset");
}

void fr__cmd_hget(fr_conn *c)
{
    fr_obj *o = fr__lookup_read_or_reply(c, &c->argv[1], FR_TYPE_HASH, fr__add_null);
    if (!o)
        return;
    const char *v;
    size_t vl;
    if (fr__hash_get(o, c->argv[2].p, c->argv[2].len, &v, &vl))
        fr__add_bulk(c, v, vl);
    else
        fr__add_null(c);
}

void fr__cmd_hmget(fr_conn *c)
{
    fr_obj *o = fr__lookup_read(c, &c->argv[1]);
    if (fr__check_type(c, o, FR_TYPE_HASH))
        return;
    fr__add_array(c, c->argc - 2);
    for (int i = 2; i < c->argc; i++) {
        const char *v;
        size_t vl;
        if (o && fr__hash_get(o, c->argv[i].p, c->argv[i].len, &v, &vl))
            fr__add_bulk(c, v, vl);
        else
            fr__add_null(c);
    }
}

void fr__cmd_hdel(fr_conn *c)
{
    const fr_arg *k = &c->argv[1];
    fr_obj *o = fr__lookup_write(c, k);
    if (!o) {
        fr__add_ll(c, 0);
        return;
    }
    if (fr__check_type(c, o, FR_TYPE_HASH))
        return;
    long long deleted = 0;
    int removed = 0;
    for (int i = 2; i < c->argc; i++) {
        if (fr__hash_del(o, c->argv[i].p, c->argv[i].len)) {
            deleted++;
            if (fr__hash_len(o) == 0) {
                fr__db_delete(c->srv, c->db, k->p, k->len);
                removed = 1;
                break;
            }
        }
    }
    if (deleted) {
        changed(c, k, "hdel");
        if (removed)
            fr__notify_keyspace_event(c->srv, FR_NOTIFY_GENERIC, "del", k->p, k->len, c->db);
    }
    fr__add_ll(c, deleted);
}

void fr__cmd_hlen(fr_conn *c)
{
    fr_obj *o = fr__lookup_read_or_reply(c, &c->argv[1], FR_TYPE_HASH, add_zero);
    if (o)
        fr__add_ll(c, (long long)fr__hash_len(o));
}

void fr__cmd_hexists(fr_conn *c)
{
    fr_obj *o = fr__lookup_read_or_reply(c, &c->argv[1], FR_TYPE_HASH, add_zero);
    if (!o)
        return;
    const char *v;
    size_t vl;
    fr__add_ll(c, fr__hash_get(o, c->argv[2].p, c->argv[2].len, &v, &vl));
}

void fr__cmd_hstrlen(fr_conn *c)
{
    fr_obj *o = fr__lookup_read_or_reply(c, &c->argv[1], FR_TYPE_HASH, add_zero);
    if (!o)
        return;
    const char *v;
    size_t vl;
    fr__add_ll(c, fr__hash_get(o, c->argv[2].p, c->argv[2].len, &v, &vl) ? (long long)vl : 0);
}

enum { WANT_KEYS = 1, WANT_VALS = 2 };

static void getall_generic(fr_conn *c, int what)
{
    fr_obj *o =
        fr__lookup_read_or_reply(c, &c->argv[1], FR_TYPE_HASH,
                                 what == (WANT_KEYS | WANT_VALS) ? add_empty_map : add_empty_array);
    if (!o)
        return;
    long long n = (long long)fr__hash_len(o);
    if (what == (WANT_KEYS | WANT_VALS))
        fr__add_map(c, n);
    else
        fr__add_array(c, n);
    fr_hash_iter it;
    const char *f, *v;
    size_t fl, vl;
    fr__hash_iter_start(&it, o);
    while (fr__hash_iter_next(&it, &f, &fl, &v, &vl)) {
        if (what & WANT_KEYS)
            fr__add_bulk(c, f, fl);
        if (what & WANT_VALS)
            fr__add_bulk(c, v, vl);
    }
    fr__hash_iter_end(&it);
}

void fr__cmd_hkeys(fr_conn *c)
{
    getall_generic(c, WANT_KEYS);
}

void fr__cmd_hvals(fr_conn *c)
{
    getall_generic(c, WANT_VALS);
}

void fr__cmd_hgetall(fr_conn *c)
{
    getall_generic(c, WANT_KEYS | WANT_VALS);
}

void fr__cmd_hincrby(fr_conn *c)
{
    long long incr, value = 0;
    if (!fr__arg_ll(c, &c->argv[3], &incr))
        return;
    fr_obj *o = lookup_or_create(c, &c->argv[1]);
    if (!o)
        return;
    const char *v;
    size_t vl;
    if (fr__hash_get(o, c->argv[2].p, c->argv[2].len, &v, &vl) && !fr__str2ll(v, vl, &value)) {
        fr__add_error(c, "hash value is not an integer");
        return;
    }
    if ((incr < 0 && value < 0 && incr < LLONG_MIN - value) ||
        (incr > 0 && value > 0 && incr > LLONG_MAX - value)) {
        fr__add_error(c, fr__err_overflow);
        return;
    }
    value += incr;
    char buf[24];
    int n = fr__ll2str(buf, value);
    fr__hash_set(&c->srv->cfg, o, c->argv[2].p, c->argv[2].len, buf, (size_t)n);
    fr__add_ll(c, value);
    changed(c, &c->argv[1], "hincrby");
}

/* Redis' string2ld: no leading space, the whole string, no NaN, no
 * overflow or underflow. */
static int parse_ld(const char *p, size_t len, long double *out)
{
    char buf[5 * 1024 + 1];
    if (len == 0 || len >= sizeof buf || isspace((unsigned char)p[0]))
        return 0;
    memcpy(buf, p, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    long double v = strtold(buf, &end);
    if ((size_t)(end - buf) != len || isnan(v) ||
        (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || v == 0)))
        return 0;
    *out = v;
    return 1;
}

/* Redis' "human" long double format: %.17Lf without trailing zeros. */
static int fmt_ld_human(char *buf, size_t cap, long double v)
{
    int l = snprintf(buf, cap, "%.17Lf", v);
    if (l < 0 || (size_t)l >= cap)
        return -1;
    if (strchr(buf, '.')) {
        while (buf[l - 1] == '0')
            l--;
        if (buf[l - 1] == '.')
            l--;
    }
    if (l == 2 && buf[0] == '-' && buf[1] == '0') {
        buf[0] = '0';
        l = 1;
    }
    buf[l] = '\0';
    return l;
}

void fr__cmd_hincrbyfloat(fr_conn *c)
{
    long double incr, value = 0;
    if (!parse_ld(c->argv[3].p, c->argv[3].len, &incr)) {
        fr__add_error(c, fr__err_not_float);
        return;
    }
    if (isinf(incr)) {
        fr__add_error(c, "value is NaN or Infinity");
        return;
    }
    fr_obj *o = lookup_or_create(c, &c->argv[1]);
    if (!o)
        return;
    const char *v;
    size_t vl;
    if (fr__hash_get(o, c->argv[2].p, c->argv[2].len, &v, &vl) && !parse_ld(v, vl, &value)) {
        fr__add_error(c, "hash value is not a float");
        return;
    }
    value += incr;
    if (isnan(value) || isinf(value)) {
        fr__add_error(c, "increment would produce NaN or Infinity");
        return;
    }
    char buf[5 * 1024 + 64];
    int n = fmt_ld_human(buf, sizeof buf, value);
    if (n < 0) {
        fr__add_error(c, "increment would produce NaN or Infinity");
        return;
    }
    fr__hash_set(&c->srv->cfg, o, c->argv[2].p, c->argv[2].len, buf, (size_t)n);
    fr__add_bulk(c, buf, (size_t)n);
    changed(c, &c->argv[1], "hincrbyfloat");
}

/* ---- HRANDFIELD -------------------------------------------------------- */

static void add_pair(fr_conn *c, int withvalues, const char *f, size_t fl, const char *v, size_t vl)
{
    if (withvalues && c->resp >= 3)
        fr__add_array(c, 2);
    fr__add_bulk(c, f, fl);
    if (withvalues)
        fr__add_bulk(c, v, vl);
}

static void randfield_count(fr_conn *c, long long l, int withvalues)
{
    fr_obj *o = fr__lookup_read_or_reply(c, &c->argv[1], FR_TYPE_HASH, add_empty_array);
    if (!o)
        return;
    size_t size = fr__hash_len(o);
    unsigned long long count = l >= 0 ? (unsigned long long)l : (unsigned long long)-l;
    int uniq = l >= 0;
    if (count == 0) {
        fr__add_array(c, 0);
        return;
    }
    const char *f, *v;
    size_t fl, vl;
    if (!uniq || count == 1) {
        fr__add_array(c, (long long)(withvalues && c->resp == 2 ? count * 2 : count));
        while (count--) {
            fr__hash_random(o, &f, &fl, &v, &vl);
            add_pair(c, withvalues, f, fl, v, vl);
        }
        return;
    }
    if (count >= size) {
        fr__add_array(c, (long long)(withvalues && c->resp == 2 ? size * 2 : size));
        fr_hash_iter it;
        fr__hash_iter_start(&it, o);
        while (fr__hash_iter_next(&it, &f, &fl, &v, &vl))
            add_pair(c, withvalues, f, fl, v, vl);
        fr__hash_iter_end(&it);
        return;
    }
    /* count distinct fields: a partial shuffle of all of them */
    typedef struct {
        const char *f, *v;
        size_t fl, vl;
    } pair;
    pair *all = fr__xmalloc(size * sizeof *all);
    size_t n = 0;
    fr_hash_iter it;
    fr__hash_iter_start(&it, o);
    while (fr__hash_iter_next(&it, &all[n].f, &all[n].fl, &all[n].v, &all[n].vl))
        n++;
    fr__hash_iter_end(&it);
    fr__add_array(c, (long long)(withvalues && c->resp == 2 ? count * 2 : count));
    for (size_t i = 0; i < count; i++) {
        size_t j = i + (size_t)(fr__hash_rand(o) % (n - i));
        pair t = all[i];
        all[i] = all[j];
        all[j] = t;
        add_pair(c, withvalues, all[i].f, all[i].fl, all[i].v, all[i].vl);
    }
    free(all);
}

void fr__cmd_hrandfield(fr_conn *c)
{
    if (c->argc >= 3) {
        long long l;
        if (!fr__arg_ll(c, &c->argv[2], &l))
            return;
        if (l == LLONG_MIN) {
            fr__add_errorf(c, "value is out of range, value must between %lld and %lld", -LLONG_MAX,
                           LLONG_MAX);
            return;
        }
        int withvalues = 0;
        if (c->argc > 4 || (c->argc == 4 && !fr__arg_is(&c->argv[3], "withvalues"))) {
            fr__add_error(c, fr__err_syntax);
            return;
        }
        if (c->argc == 4) {
            withvalues = 1;
            if (l < -LLONG_MAX / 2 || l > LLONG_MAX / 2) {
                fr__add_error(c, "value is out of range");
                return;
            }
        }
        randfield_count(c, l, withvalues);
        return;
    }
    fr_obj *o = fr__lookup_read_or_reply(c, &c->argv[1], FR_TYPE_HASH, fr__add_null);
    if (!o)
        return;
    const char *f, *v;
    size_t fl, vl;
    fr__hash_random(o, &f, &fl, &v, &vl);
    fr__add_bulk(c, f, fl);
}

/* ---- HSCAN ------------------------------------------------------------- */

typedef struct scan_acc {
    fr_buf bytes;
    size_t *lens;
    size_t n, cap;
} scan_acc;

static void acc_add(scan_acc *a, const char *p, size_t len)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 32;
        a->lens = fr__xrealloc(a->lens, a->cap * sizeof *a->lens);
    }
    fr__buf_append(&a->bytes, p, len);
    a->lens[a->n++] = len;
}

static void scan_cb(void *priv, const fr_dict_entry *e)
{
    scan_acc *a = priv;
    const fr_hval *h = e->v.p;
    acc_add(a, e->key, e->klen);
    acc_add(a, h->p, h->len);
}

void fr__cmd_hscan(fr_conn *c)
{
    uint64_t cursor;
    if (!fr__scan_cursor(c, &c->argv[2], &cursor))
        return;
    fr_obj *o = fr__lookup_read(c, &c->argv[1]);
    if (!o) {
        fr__scan_empty(c);
        return;
    }
    if (fr__check_type(c, o, FR_TYPE_HASH))
        return;
    fr_scan_opts opts;
    if (!fr__scan_opts(c, 3, &opts))
        return;
    scan_acc acc = {0};
    if (o->enc == FR_ENC_LISTPACK) {
        fr_hash_iter it;
        const char *f, *v;
        size_t fl, vl;
        fr__hash_iter_start(&it, o);
        while (fr__hash_iter_next(&it, &f, &fl, &v, &vl)) {
            acc_add(&acc, f, fl);
            acc_add(&acc, v, vl);
        }
        fr__hash_iter_end(&it);
        cursor = 0;
    } else {
        long long max_iter = opts.count > LLONG_MAX / 10 ? LLONG_MAX : opts.count * 10;
        do {
            cursor = fr__dict_scan(o->v.ptr, cursor, scan_cb, &acc);
        } while (cursor && max_iter-- && (long long)acc.n / 2 < opts.count);
    }
    fr__add_array(c, 2);
    char cur[24];
    fr__add_bulk(c, cur, (size_t)snprintf(cur, sizeof cur, "%llu", (unsigned long long)cursor));
    size_t d = fr__add_deferred(c);
    long long out = 0;
    size_t off = 0;
    for (size_t i = 0; i + 1 < acc.n; i += 2) {
        const char *f = acc.bytes.p + off;
        size_t fl = acc.lens[i];
        const char *v = f + fl;
        size_t vl = acc.lens[i + 1];
        off += fl + vl;
        if (!fr__scan_match(&opts, f, fl))
            continue;
        fr__add_bulk(c, f, fl);
        fr__add_bulk(c, v, vl);
        out += 2;
    }
    fr__set_deferred(c, d, '*', out);
    fr__buf_free(&acc.bytes);
    free(acc.lens);
}
