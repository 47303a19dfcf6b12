/* Hash commands (HSET ... HSCAN), on t_hash.h. Replies, errors, events
 * and encodings as Redis 7.0. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "commands_private.h"
#include "core.h"
#include "commands.h"
#include "data.h"
#include "base.h"

static void changed(fr_conn *c, const fr_arg *k, const char *event)
{
    fr__keyspace_modified(c->srv->ks, c->db, k->p, k->len);
    fr__keyspace_notify(c->srv->ks, FR_NOTIFY_HASH, event, k->p, k->len, c->db);
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
        fr__db_add(c->srv->ks, c->db, k->p, k->len, o);
    }
    return o;
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
    fr__hash_try_convert(&c->srv->cfg.enc, o, &c->argv[2], c->argc - 2);
    long long created = 0;
    for (int i = 2; i < c->argc; i += 2)
        created += fr__hash_set(&c->srv->cfg.enc, o, c->argv[i].p, c->argv[i].len, c->argv[i + 1].p,
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
    fr__hash_set(&c->srv->cfg.enc, o, c->argv[2].p, c->argv[2].len, c->argv[3].p, c->argv[3].len);
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
    fr_obj *o = fr__lookup_write_or_reply(c, k, FR_TYPE_HASH, fr__add_zero);
    if (!o)
        return;
    long long deleted = 0;
    int removed = 0;
    for (int i = 2; i < c->argc; i++) {
        if (fr__hash_del(o, c->argv[i].p, c->argv[i].len)) {
            deleted++;
            if (fr__hash_len(o) == 0) {
                fr__db_delete(c->srv->ks, c->db, k->p, k->len);
                removed = 1;
                break;
            }
        }
    }
    if (deleted) {
        changed(c, k, "hdel");
        if (removed)
            fr__keyspace_notify(c->srv->ks, FR_NOTIFY_GENERIC, "del", k->p, k->len, c->db);
    }
    fr__add_ll(c, deleted);
}

void fr__cmd_hlen(fr_conn *c)
{
    fr_obj *o = fr__lookup_read_or_reply(c, &c->argv[1], FR_TYPE_HASH, fr__add_zero);
    if (o)
        fr__add_ll(c, (long long)fr__hash_len(o));
}

void fr__cmd_hexists(fr_conn *c)
{
    fr_obj *o = fr__lookup_read_or_reply(c, &c->argv[1], FR_TYPE_HASH, fr__add_zero);
    if (!o)
        return;
    const char *v;
    size_t vl;
    fr__add_ll(c, fr__hash_get(o, c->argv[2].p, c->argv[2].len, &v, &vl));
}

void fr__cmd_hstrlen(fr_conn *c)
{
    fr_obj *o = fr__lookup_read_or_reply(c, &c->argv[1], FR_TYPE_HASH, fr__add_zero);
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
    if (__builtin_add_overflow(value, incr, &value)) {
        fr__add_error(c, fr__err_overflow);
        return;
    }
    char buf[24];
    int n = fr__ll2str(buf, value);
    fr__hash_set(&c->srv->cfg.enc, o, c->argv[2].p, c->argv[2].len, buf, (size_t)n);
    fr__add_ll(c, value);
    changed(c, &c->argv[1], "hincrby");
}

void fr__cmd_hincrbyfloat(fr_conn *c)
{
    long double incr, value = 0;
    if (!fr__ld_parse(c->argv[3].p, c->argv[3].len, &incr)) {
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
    if (fr__hash_get(o, c->argv[2].p, c->argv[2].len, &v, &vl) && !fr__ld_parse(v, vl, &value)) {
        fr__add_error(c, "hash value is not a float");
        return;
    }
    char buf[FR_LD_MAX_CHARS + 64];
    int n = fr__ld_incr_or_reply(c, buf, sizeof buf, value, incr);
    if (n < 0)
        return;
    fr__hash_set(&c->srv->cfg.enc, o, c->argv[2].p, c->argv[2].len, buf, (size_t)n);
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
    unsigned long long n;
    enum fr_randpick_case how = fr__randpick_case(l, size, &n);
    fr__randpick_header(c, n, withvalues);
    const char *f, *v;
    size_t fl, vl;
    if (how == FR_RANDPICK_REPEAT) {
        while (n--) {
            fr__hash_random(o, &f, &fl, &v, &vl);
            add_pair(c, withvalues, f, fl, v, vl);
        }
    } else if (how == FR_RANDPICK_ALL) {
        fr_hash_iter it;
        fr__hash_iter_start(&it, o);
        while (fr__hash_iter_next(&it, &f, &fl, &v, &vl))
            add_pair(c, withvalues, f, fl, v, vl);
        fr__hash_iter_end(&it);
    } else if (how == FR_RANDPICK_DISTINCT) {
        typedef struct {
            const char *f, *v;
            size_t fl, vl;
        } pair;
        pair *all = fr__xmalloc(size * sizeof *all);
        size_t i = 0;
        fr_hash_iter it;
        fr__hash_iter_start(&it, o);
        while (fr__hash_iter_next(&it, &all[i].f, &all[i].fl, &all[i].v, &all[i].vl))
            i++;
        fr__hash_iter_end(&it);
        size_t *idx = fr__randpick_shuffle(size, (size_t)n, fr__hash_rand, o);
        for (i = 0; i < n; i++) {
            const pair *p = &all[idx[i]];
            add_pair(c, withvalues, p->f, p->fl, p->v, p->vl);
        }
        free(idx);
        free(all);
    }
}

void fr__cmd_hrandfield(fr_conn *c)
{
    if (c->argc >= 3) {
        long long l;
        int withvalues;
        if (fr__randpick_args(c, "withvalues", &l, &withvalues))
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

static void scan_cb(void *priv, const fr_dict_entry *e)
{
    const fr_hval *h = e->v.p;
    fr__scan_acc_add(priv, e->key, e->klen);
    fr__scan_acc_add(priv, h->p, h->len);
}

void fr__cmd_hscan(fr_conn *c)
{
    uint64_t cursor;
    fr_scan_opts opts;
    fr_obj *o = fr__scan_begin(c, FR_TYPE_HASH, &cursor, &opts);
    if (!o)
        return;
    fr_scan_acc acc = {0};
    if (o->enc == FR_ENC_LISTPACK) {
        fr_hash_iter it;
        const char *f, *v;
        size_t fl, vl;
        fr__hash_iter_start(&it, o);
        while (fr__hash_iter_next(&it, &f, &fl, &v, &vl)) {
            fr__scan_acc_add(&acc, f, fl);
            fr__scan_acc_add(&acc, v, vl);
        }
        fr__hash_iter_end(&it);
        cursor = 0;
    } else {
        cursor = fr__scan_dict(o->v.ptr, cursor, scan_cb, &acc, &opts, 2);
    }
    fr__scan_reply(c, cursor, &acc, &opts, 2, NULL, NULL);
    fr__scan_acc_free(&acc);
}
