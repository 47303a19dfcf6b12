/* Sorted set commands (ZADD ... ZSCAN, BZPOPMIN/BZPOPMAX/BZMPOP), on
 * t_zset.h. Replies, errors, events and encodings as Redis 7.0. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "commands_private.h"
#include "core.h"
#include "blocking_engine.h"
#include "commands.h"
#include "data.h"

static const char err_minmax[] = "min or max is not a float";
static const char err_lex[] = "min or max not valid string range item";
static const char err_nan[] = "resulting score is not a number (NaN)";

static void notify_z(fr_conn *c, const char *k, size_t n, const char *event)
{
    fr__keyspace_notify(c->srv->ks, FR_NOTIFY_ZSET, event, k, n, c->db);
}

static void notify_del(fr_conn *c, const char *k, size_t n)
{
    fr__keyspace_notify(c->srv->ks, FR_NOTIFY_GENERIC, "del", k, n, c->db);
}

static void add_empty_array(fr_conn *c)
{
    fr__add_array(c, 0);
}

/* Redis' getDoubleFromObject: no leading space, the whole argument, no
 * NaN, no overflow (nor an underflow to zero). */
static int parse_double(const fr_arg *a, double *out)
{
    if (a->len == 0 || isspace((unsigned char)a->p[0]))
        return 0;
    size_t used;
    int erange;
    double v = fr__strtod_n(a->p, a->len, &used, &erange);
    if (used != a->len || isnan(v) || (erange && (v == HUGE_VAL || v == -HUGE_VAL || v == 0)))
        return 0;
    *out = v;
    return 1;
}

static int arg_double(fr_conn *c, const fr_arg *a, double *out, const char *msg)
{
    if (parse_double(a, out))
        return 1;
    fr__add_error(c, msg ? msg : fr__err_not_float);
    return 0;
}

/* Redis' getPositiveLongFromObjectOrReply: one message for both a
 * non-integer and a negative number. */
static int arg_positive(fr_conn *c, const fr_arg *a, long long *out)
{
    if (!fr__str2ll(a->p, a->len, out) || *out < 0) {
        fr__add_error(c, "value is out of range, must be positive");
        return 0;
    }
    return 1;
}

/* Delete key if its zset is empty now, with the del event. */
static int drop_if_empty(fr_conn *c, fr_obj *o, const char *k, size_t n)
{
    if (fr__zset_len(o))
        return 0;
    fr__db_delete(c->srv->ks, c->db, k, n);
    notify_del(c, k, n);
    return 1;
}

/* ---- ZADD, ZINCRBY ------------------------------------------------------ */

static void zadd_generic(fr_conn *c, int flags)
{
    const fr_arg *k = &c->argv[1];
    int scoreidx = 2, ch = 0;
    while (scoreidx < c->argc) {
        const fr_arg *a = &c->argv[scoreidx];
        if (fr__arg_is(a, "nx"))
            flags |= FR_ZADD_NX;
        else if (fr__arg_is(a, "xx"))
            flags |= FR_ZADD_XX;
        else if (fr__arg_is(a, "ch"))
            ch = 1;
        else if (fr__arg_is(a, "incr"))
            flags |= FR_ZADD_INCR;
        else if (fr__arg_is(a, "gt"))
            flags |= FR_ZADD_GT;
        else if (fr__arg_is(a, "lt"))
            flags |= FR_ZADD_LT;
        else
            break;
        scoreidx++;
    }
    int incr = flags & FR_ZADD_INCR, nx = flags & FR_ZADD_NX, xx = flags & FR_ZADD_XX;
    int gt = flags & FR_ZADD_GT, lt = flags & FR_ZADD_LT;
    int elements = c->argc - scoreidx;
    if (elements % 2 || !elements) {
        fr__add_error(c, fr__err_syntax);
        return;
    }
    elements /= 2;
    if (nx && xx) {
        fr__add_error(c, "XX and NX options at the same time are not compatible");
        return;
    }
    if ((gt && nx) || (lt && nx) || (gt && lt)) {
        fr__add_error(c, "GT, LT, and/or NX options at the same time are not compatible");
        return;
    }
    if (incr && elements > 1) {
        fr__add_error(c, "INCR option supports a single increment-element pair");
        return;
    }
    double *scores = fr__xmalloc((size_t)elements * sizeof *scores);
    for (int j = 0; j < elements; j++) {
        if (!arg_double(c, &c->argv[scoreidx + j * 2], &scores[j], NULL)) {
            free(scores);
            return;
        }
    }
    fr_obj *o = fr__lookup_write(c, k);
    if (fr__check_type(c, o, FR_TYPE_ZSET)) {
        free(scores);
        return;
    }
    long long added = 0, updated = 0, processed = 0;
    double score = 0;
    if (!o) {
        if (xx)
            goto reply;
        /* Redis 7.0 picks the encoding from the first member alone */
        o = fr__zset_new(&c->srv->cfg.enc, 1, c->argv[scoreidx + 1].len);
        fr__db_add(c->srv->ks, c->db, k->p, k->len, o);
    }
    for (int j = 0; j < elements; j++) {
        const fr_arg *m = &c->argv[scoreidx + j * 2 + 1];
        int out;
        double newscore = scores[j];
        if (!fr__zset_add(&c->srv->cfg.enc, o, scores[j], m->p, m->len, flags, &out, &newscore)) {
            fr__add_error(c, err_nan);
            goto done;
        }
        if (out & FR_ZADD_ADDED)
            added++;
        if (out & FR_ZADD_UPDATED)
            updated++;
        if (!(out & FR_ZADD_NOP))
            processed++;
        score = newscore;
    }
reply:
    if (incr) {
        if (processed)
            fr__add_double(c, score);
        else
            fr__add_null(c);
    } else {
        fr__add_ll(c, ch ? added + updated : added);
    }
done:
    if (added || updated) {
        fr__keyspace_modified(c->srv->ks, c->db, k->p, k->len);
        notify_z(c, k->p, k->len, incr ? "zincr" : "zadd");
        fr__keyspace_ready(c->srv->ks, c->db, k->p, k->len);
    }
    free(scores);
}

void fr__cmd_zadd(fr_conn *c)
{
    zadd_generic(c, 0);
}

void fr__cmd_zincrby(fr_conn *c)
{
    zadd_generic(c, FR_ZADD_INCR);
}

/* ---- simple reads and deletes ------------------------------------------ */

void fr__cmd_zrem(fr_conn *c)
{
    const fr_arg *k = &c->argv[1];
    fr_obj *o = fr__lookup_write_or_reply(c, k, FR_TYPE_ZSET, fr__add_zero);
    if (!o)
        return;
    long long deleted = 0;
    for (int i = 2; i < c->argc; i++) {
        if (fr__zset_del(o, c->argv[i].p, c->argv[i].len)) {
            deleted++;
            if (fr__zset_len(o) == 0)
                break;
        }
    }
    if (deleted) {
        notify_z(c, k->p, k->len, "zrem");
        drop_if_empty(c, o, k->p, k->len);
        fr__keyspace_modified(c->srv->ks, c->db, k->p, k->len);
    }
    fr__add_ll(c, deleted);
}

void fr__cmd_zcard(fr_conn *c)
{
    fr_obj *o = fr__lookup_read_or_reply(c, &c->argv[1], FR_TYPE_ZSET, fr__add_zero);
    if (o)
        fr__add_ll(c, (long long)fr__zset_len(o));
}

void fr__cmd_zscore(fr_conn *c)
{
    fr_obj *o = fr__lookup_read_or_reply(c, &c->argv[1], FR_TYPE_ZSET, fr__add_null);
    if (!o)
        return;
    double s;
    if (fr__zset_score(o, c->argv[2].p, c->argv[2].len, &s))
        fr__add_double(c, s);
    else
        fr__add_null(c);
}

void fr__cmd_zmscore(fr_conn *c)
{
    fr_obj *o = fr__lookup_read(c, &c->argv[1]);
    if (fr__check_type(c, o, FR_TYPE_ZSET))
        return;
    fr__add_array(c, c->argc - 2);
    for (int i = 2; i < c->argc; i++) {
        double s;
        if (o && fr__zset_score(o, c->argv[i].p, c->argv[i].len, &s))
            fr__add_double(c, s);
        else
            fr__add_null(c);
    }
}

static void rank_generic(fr_conn *c, int rev)
{
    fr_obj *o = fr__lookup_read_or_reply(c, &c->argv[1], FR_TYPE_ZSET, fr__add_null);
    if (!o)
        return;
    long long r = fr__zset_rank(o, c->argv[2].p, c->argv[2].len);
    if (r < 0)
        fr__add_null(c);
    else
        fr__add_ll(c, rev ? (long long)fr__zset_len(o) - 1 - r : r);
}

void fr__cmd_zrank(fr_conn *c)
{
    rank_generic(c, 0);
}

void fr__cmd_zrevrank(fr_conn *c)
{
    rank_generic(c, 1);
}

void fr__cmd_zcount(fr_conn *c)
{
    fr_zrange r;
    if (!fr__zrange_parse(&r, c->argv[2].p, c->argv[2].len, c->argv[3].p, c->argv[3].len)) {
        fr__add_error(c, err_minmax);
        return;
    }
    fr_obj *o = fr__lookup_read_or_reply(c, &c->argv[1], FR_TYPE_ZSET, fr__add_zero);
    if (!o)
        return;
    size_t first, end;
    fr__zset_score_span(o, &r, &first, &end);
    fr__add_ll(c, (long long)(end - first));
}

void fr__cmd_zlexcount(fr_conn *c)
{
    fr_zlexrange r;
    if (!fr__zlexrange_parse(&r, c->argv[2].p, c->argv[2].len, c->argv[3].p, c->argv[3].len)) {
        fr__add_error(c, err_lex);
        return;
    }
    fr_obj *o = fr__lookup_read_or_reply(c, &c->argv[1], FR_TYPE_ZSET, fr__add_zero);
    if (!o)
        return;
    size_t first, end;
    fr__zset_lex_span(o, &r, 0, &first, &end);
    fr__add_ll(c, (long long)(end - first));
}

/* ---- ZREMRANGEBY* ------------------------------------------------------- */

enum { BY_RANK, BY_SCORE, BY_LEX };

static void zremrange_generic(fr_conn *c, int by)
{
    static const char *const events[] = {"zremrangebyrank", "zremrangebyscore", "zremrangebylex"};
    const fr_arg *k = &c->argv[1];
    long long start = 0, stop = 0;
    fr_zrange r;
    fr_zlexrange lr;
    if (by == BY_RANK) {
        if (!fr__arg_ll(c, &c->argv[2], &start) || !fr__arg_ll(c, &c->argv[3], &stop))
            return;
    } else if (by == BY_SCORE) {
        if (!fr__zrange_parse(&r, c->argv[2].p, c->argv[2].len, c->argv[3].p, c->argv[3].len)) {
            fr__add_error(c, err_minmax);
            return;
        }
    } else if (!fr__zlexrange_parse(&lr, c->argv[2].p, c->argv[2].len, c->argv[3].p,
                                    c->argv[3].len)) {
        fr__add_error(c, err_lex);
        return;
    }
    fr_obj *o = fr__lookup_write_or_reply(c, k, FR_TYPE_ZSET, fr__add_zero);
    if (!o)
        return;
    size_t first, end;
    if (by == BY_RANK) {
        if (!fr__rank_range(&start, &stop, (long long)fr__zset_len(o))) {
            fr__add_ll(c, 0);
            return;
        }
        first = (size_t)start;
        end = (size_t)stop + 1;
    } else if (by == BY_SCORE) {
        fr__zset_score_span(o, &r, &first, &end);
    } else {
        fr__zset_lex_span(o, &lr, 0, &first, &end);
    }
    long long deleted = (long long)(end - first);
    fr__zset_del_range(o, first, end);
    if (deleted) {
        fr__keyspace_modified(c->srv->ks, c->db, k->p, k->len);
        notify_z(c, k->p, k->len, events[by]);
        drop_if_empty(c, o, k->p, k->len);
    }
    fr__add_ll(c, deleted);
}

void fr__cmd_zremrangebyrank(fr_conn *c)
{
    zremrange_generic(c, BY_RANK);
}

void fr__cmd_zremrangebyscore(fr_conn *c)
{
    zremrange_generic(c, BY_SCORE);
}

void fr__cmd_zremrangebylex(fr_conn *c)
{
    zremrange_generic(c, BY_LEX);
}

/* ---- ZRANGE and friends ------------------------------------------------- */

/* Where a range goes: to the client (with or without scores) or into a
 * new zset stored at dst (ZRANGESTORE). */
typedef struct zres {
    fr_conn *c;
    int withscores;
    const fr_arg *dst;
    fr_obj *dobj;
    size_t deferred; /* (size_t)-1: the length was known */
    long long n;
} zres;

static void zres_begin(zres *r, long long length)
{
    fr_conn *c = r->c;
    r->n = 0;
    if (r->dst) {
        r->dobj = fr__zset_new(&c->srv->cfg.enc, length > 0 ? (size_t)length : 0, 0);
        return;
    }
    if (length > 0) {
        fr__add_array(c, r->withscores && c->resp == 2 ? length * 2 : length);
        r->deferred = (size_t)-1;
    } else {
        r->deferred = fr__add_deferred(c);
    }
}

static void zres_emit(zres *r, const fr_zelem *e)
{
    fr_conn *c = r->c;
    r->n++;
    if (r->dst) {
        int out;
        fr__zset_add(&c->srv->cfg.enc, r->dobj, e->score, e->p, e->len, 0, &out, NULL);
        return;
    }
    if (r->withscores && c->resp >= 3)
        fr__add_array(c, 2);
    fr__add_bulk(c, e->p, e->len);
    if (r->withscores)
        fr__add_double(c, e->score);
}

static void zres_end(zres *r)
{
    fr_conn *c = r->c;
    if (!r->dst) {
        if (r->deferred != (size_t)-1)
            fr__set_deferred(c, r->deferred, '*', r->withscores && c->resp == 2 ? r->n * 2 : r->n);
        return;
    }
    fr__store_result(c, r->dst, r->dobj, (size_t)r->n, FR_NOTIFY_ZSET, "zrangestore", 1);
    r->dobj = NULL;
}

/* Emit take members from rank (in the walking direction). */
static void emit_from(zres *r, const fr_obj *o, size_t rank, size_t take, int rev)
{
    fr_zit it;
    fr_zelem e;
    fr__zit_init(&it, o, rank, rev);
    while (take-- && fr__zit_next(&it, &e))
        zres_emit(r, &e);
}

static void range_by_rank(zres *r, const fr_obj *o, long long start, long long end, int rev)
{
    if (!fr__rank_range(&start, &end, (long long)fr__zset_len(o))) {
        zres_begin(r, 0);
        zres_end(r);
        return;
    }
    long long n = end - start + 1;
    zres_begin(r, n);
    emit_from(r, o, (size_t)start, (size_t)n, rev);
    zres_end(r);
}

typedef int keeps_fn(const void *range, int rev, const fr_zelem *e);

/* A score or lex range with LIMIT, walked as Redis walks it: from the
 * first member inside ([first, end) in forward ranks, seen from the
 * walking end), skip offset members blindly, then emit while the members
 * stay inside (keeps). Only a lex range over members of different scores
 * can tell this from slicing [first, end). */
static void range_by_span(zres *r, const fr_obj *o, size_t first, size_t end, long long offset,
                          long long limit, int rev, keeps_fn *keeps, const void *range)
{
    size_t len = fr__zset_len(o);
    if (offset > 0 && (size_t)offset >= len) {
        zres_begin(r, 0);
        zres_end(r);
        return;
    }
    zres_begin(r, -1);
    /* a negative offset skips everything, as Redis' skip loop does */
    if (end > first && offset >= 0) {
        size_t rank = (rev ? len - end : first) + (size_t)offset;
        fr_zit it;
        fr_zelem e;
        size_t take = limit < 0 ? SIZE_MAX : (size_t)limit;
        fr__zit_init(&it, o, rank, rev);
        while (take-- && fr__zit_next(&it, &e) && keeps(range, rev, &e))
            zres_emit(r, &e);
    }
    zres_end(r);
}

enum { DIR_AUTO, DIR_FWD, DIR_REV };

/* Redis' zrangeGenericCommand: key at argv[at], then min, max, options. */
static void zrange_generic(fr_conn *c, int at, const fr_arg *dst, int by, int dir)
{
    long long opt_offset = 0, opt_limit = -1, start = 0, end = 0;
    int withscores = 0;
    int minidx = at + 1, maxidx = at + 2;
    for (int j = at + 3; j < c->argc; j++) {
        int left = c->argc - j - 1;
        const fr_arg *a = &c->argv[j];
        if (!dst && fr__arg_is(a, "withscores")) {
            withscores = 1;
        } else if (fr__arg_is(a, "limit") && left >= 2) {
            if (!fr__arg_ll(c, &c->argv[j + 1], &opt_offset) ||
                !fr__arg_ll(c, &c->argv[j + 2], &opt_limit))
                return;
            j += 2;
        } else if (dir == DIR_AUTO && fr__arg_is(a, "rev")) {
            dir = DIR_REV;
        } else if (by == -1 && fr__arg_is(a, "bylex")) {
            by = BY_LEX;
        } else if (by == -1 && fr__arg_is(a, "byscore")) {
            by = BY_SCORE;
        } else {
            fr__add_error(c, fr__err_syntax);
            return;
        }
    }
    if (dir == DIR_AUTO)
        dir = DIR_FWD;
    if (by == -1)
        by = BY_RANK;
    if (opt_limit != -1 && by == BY_RANK) {
        fr__add_error(c, "syntax error, LIMIT is only supported in combination with either BYSCORE "
                         "or BYLEX");
        return;
    }
    if (withscores && by == BY_LEX) {
        fr__add_error(c, "syntax error, WITHSCORES not supported in combination with BYLEX");
        return;
    }
    int rev = dir == DIR_REV;
    if (rev && by != BY_RANK) {
        int t = minidx;
        minidx = maxidx;
        maxidx = t;
    }
    const fr_arg *mn = &c->argv[minidx], *mx = &c->argv[maxidx];
    fr_zrange sr;
    fr_zlexrange lr;
    if (by == BY_RANK) {
        if (!fr__arg_ll(c, mn, &start) || !fr__arg_ll(c, mx, &end))
            return;
    } else if (by == BY_SCORE) {
        if (!fr__zrange_parse(&sr, mn->p, mn->len, mx->p, mx->len)) {
            fr__add_error(c, err_minmax);
            return;
        }
    } else if (!fr__zlexrange_parse(&lr, mn->p, mn->len, mx->p, mx->len)) {
        fr__add_error(c, err_lex);
        return;
    }
    zres r = {c, withscores, dst, NULL, 0, 0};
    fr_obj *o = fr__lookup_read(c, &c->argv[at]);
    if (!o) {
        if (dst) {
            zres_begin(&r, -1);
            zres_end(&r);
        } else {
            fr__add_array(c, 0);
        }
        return;
    }
    if (fr__check_type(c, o, FR_TYPE_ZSET))
        return;
    size_t first, stop;
    switch (by) {
    case BY_RANK:
        range_by_rank(&r, o, start, end, rev);
        break;
    case BY_SCORE:
        fr__zset_score_span(o, &sr, &first, &stop);
        range_by_span(&r, o, first, stop, opt_offset, opt_limit, rev, fr__zrange_keeps, &sr);
        break;
    default:
        fr__zset_lex_span(o, &lr, rev, &first, &stop);
        range_by_span(&r, o, first, stop, opt_offset, opt_limit, rev, fr__zlexrange_keeps, &lr);
        break;
    }
}

void fr__cmd_zrange(fr_conn *c)
{
    zrange_generic(c, 1, NULL, -1, DIR_AUTO);
}

void fr__cmd_zrangestore(fr_conn *c)
{
    zrange_generic(c, 2, &c->argv[1], -1, DIR_AUTO);
}

void fr__cmd_zrevrange(fr_conn *c)
{
    zrange_generic(c, 1, NULL, BY_RANK, DIR_REV);
}

void fr__cmd_zrangebyscore(fr_conn *c)
{
    zrange_generic(c, 1, NULL, BY_SCORE, DIR_FWD);
}

void fr__cmd_zrevrangebyscore(fr_conn *c)
{
    zrange_generic(c, 1, NULL, BY_SCORE, DIR_REV);
}

void fr__cmd_zrangebylex(fr_conn *c)
{
    zrange_generic(c, 1, NULL, BY_LEX, DIR_FWD);
}

void fr__cmd_zrevrangebylex(fr_conn *c)
{
    zrange_generic(c, 1, NULL, BY_LEX, DIR_REV);
}

/* ---- pops ---------------------------------------------------------------- */

/* Redis' genericZpopCommand: pop up to count (-1: one, flat) members from
 * the first existing zset among keys; emitkey prefixes the key name,
 * nested answers [member, score] pairs. */
static void zpop_generic(fr_conn *c, const fr_arg *keys, int nkeys, int max, int emitkey,
                         long long count, int nested, int nil_when_empty)
{
    fr_obj *o = NULL;
    const fr_arg *k = NULL;
    for (int i = 0; i < nkeys && !o; i++) {
        k = &keys[i];
        o = fr__lookup_write(c, k);
        if (fr__check_type(c, o, FR_TYPE_ZSET))
            return;
    }
    if (!o) {
        if (nil_when_empty)
            fr__add_null_array(c);
        else
            fr__add_array(c, 0);
        return;
    }
    if (count == 0) {
        fr__add_array(c, 0);
        return;
    }
    if (count == -1)
        count = 1;
    long long llen = (long long)fr__zset_len(o);
    long long n = count > llen ? llen : count;
    if (!nested && !emitkey) {
        fr__add_array(c, n * 2);
    } else if (nested && !emitkey) {
        fr__add_array(c, n);
    } else if (!nested) {
        fr__add_array(c, n * 2 + 1);
        fr__add_bulk(c, k->p, k->len);
    } else {
        fr__add_array(c, 2);
        fr__add_bulk(c, k->p, k->len);
        fr__add_array(c, n);
    }
    for (long long i = 0; i < n; i++) {
        size_t rank = max ? fr__zset_len(o) - 1 : 0;
        fr_zit it;
        fr_zelem e;
        fr__zit_init(&it, o, rank, 0);
        fr__zit_next(&it, &e);
        if (nested)
            fr__add_array(c, 2);
        fr__add_bulk(c, e.p, e.len);
        fr__add_double(c, e.score);
        fr__zset_del_range(o, rank, rank + 1);
    }
    notify_z(c, k->p, k->len, max ? "zpopmax" : "zpopmin");
    fr__keyspace_modified(c->srv->ks, c->db, k->p, k->len);
    drop_if_empty(c, o, k->p, k->len);
}

static void zpop_cmd(fr_conn *c, int max)
{
    if (c->argc > 3) {
        fr__add_error(c, fr__err_syntax);
        return;
    }
    long long count = -1;
    if (c->argc == 3 && !arg_positive(c, &c->argv[2], &count))
        return;
    zpop_generic(c, &c->argv[1], 1, max, 0, count, c->resp > 2 && count != -1, 0);
}

void fr__cmd_zpopmin(fr_conn *c)
{
    zpop_cmd(c, 0);
}

void fr__cmd_zpopmax(fr_conn *c)
{
    zpop_cmd(c, 1);
}

/* [B]ZMPOP's arguments after the timeout: numkeys at argv[at]. Answers
 * the error and returns 0. */
static int parse_mpop(fr_conn *c, int argc, const fr_arg *argv, int at, long long *numkeys,
                      int *max, long long *count)
{
    static const char *const ends[2] = {"min", "max"};
    return fr__mpop_args(c, argc, argv, at, ends, numkeys, max, count);
}

void fr__cmd_zmpop(fr_conn *c)
{
    long long numkeys, count;
    int max;
    if (!parse_mpop(c, c->argc, c->argv, 1, &numkeys, &max, &count))
        return;
    zpop_generic(c, &c->argv[2], (int)numkeys, max, 1, count, 1, 1);
}

/* The blocking engine serves a waiter of BZPOPMIN/BZPOPMAX/BZMPOP from a
 * key that became ready. */
static int serve_bzpop(fr_conn *c, int argc, fr_arg *argv, int db, const char *key, size_t klen)
{
    fr_obj *o = fr__db_lookup(c->srv->ks, db, key, klen, FR_LOOKUP_NONOTIFY | FR_LOOKUP_NOSTATS);
    if (!o || o->type != FR_TYPE_ZSET || fr__zset_len(o) == 0)
        return 0;
    fr_arg k = {key, klen};
    if (fr__arg_is(&argv[0], "bzmpop")) {
        long long numkeys, count;
        int max;
        if (!parse_mpop(c, argc, argv, 2, &numkeys, &max, &count))
            return 1; /* cannot happen: it parsed when the client blocked */
        zpop_generic(c, &k, 1, max, 1, count, 1, 0);
    } else {
        zpop_generic(c, &k, 1, fr__arg_is(&argv[0], "bzpopmax"), 1, -1, 0, 0);
    }
    return 1;
}

/* Pop from the first non-empty zset among keys now, or block on them. */
static void bzpop_generic(fr_conn *c, const fr_arg *keys, int nkeys, int64_t deadline, int max,
                          long long count, int nested)
{
    for (int i = 0; i < nkeys; i++) {
        fr_obj *o = fr__lookup_write(c, &keys[i]);
        if (!o)
            continue;
        if (fr__check_type(c, o, FR_TYPE_ZSET))
            return;
        if (fr__zset_len(o) == 0)
            continue;
        zpop_generic(c, &keys[i], 1, max, 1, count, nested, 0);
        return;
    }
    if (fr__block_denied(c)) {
        fr__add_null_array(c);
        return;
    }
    fr__block_on_keys(c, keys, nkeys, deadline, serve_bzpop);
}

static void bzpop_cmd(fr_conn *c, int max)
{
    int64_t deadline;
    if (!fr__block_parse_timeout(c, &c->argv[c->argc - 1], &deadline))
        return;
    bzpop_generic(c, &c->argv[1], c->argc - 2, deadline, max, -1, 0);
}

void fr__cmd_bzpopmin(fr_conn *c)
{
    bzpop_cmd(c, 0);
}

void fr__cmd_bzpopmax(fr_conn *c)
{
    bzpop_cmd(c, 1);
}

void fr__cmd_bzmpop(fr_conn *c)
{
    long long numkeys, count;
    int max;
    if (!parse_mpop(c, c->argc, c->argv, 2, &numkeys, &max, &count))
        return;
    int64_t deadline;
    if (!fr__block_parse_timeout(c, &c->argv[1], &deadline))
        return;
    bzpop_generic(c, &c->argv[3], (int)numkeys, deadline, max, count, 1);
}

/* ---- ZRANDMEMBER ---------------------------------------------------------- */

static void add_member(fr_conn *c, int withscores, const fr_zelem *e)
{
    if (withscores && c->resp >= 3)
        fr__add_array(c, 2);
    fr__add_bulk(c, e->p, e->len);
    if (withscores)
        fr__add_double(c, e->score);
}

static void randmember_count(fr_conn *c, long long l, int withscores)
{
    fr_obj *o = fr__lookup_read_or_reply(c, &c->argv[1], FR_TYPE_ZSET, add_empty_array);
    if (!o)
        return;
    size_t size = fr__zset_len(o);
    unsigned long long n;
    enum fr_randpick_case how = fr__randpick_case(l, size, &n);
    fr__randpick_header(c, n, withscores);
    fr_zelem e;
    fr_zit it;
    if (how == FR_RANDPICK_REPEAT) {
        while (n--) {
            fr__zset_random(o, &e);
            add_member(c, withscores, &e);
        }
    } else if (how == FR_RANDPICK_ALL) {
        /* the whole zset, highest first (the order Redis answers) */
        fr__zit_init(&it, o, 0, 1);
        while (fr__zit_next(&it, &e))
            add_member(c, withscores, &e);
    } else if (how == FR_RANDPICK_DISTINCT) {
        /* the shuffled indexes are ranks */
        size_t *idx = fr__randpick_shuffle(size, (size_t)n, fr__zset_rand, o);
        for (size_t i = 0; i < n; i++) {
            fr__zit_init(&it, o, idx[i], 0);
            fr__zit_next(&it, &e);
            add_member(c, withscores, &e);
        }
        free(idx);
    }
}

void fr__cmd_zrandmember(fr_conn *c)
{
    if (c->argc >= 3) {
        long long l;
        int withscores;
        if (fr__randpick_args(c, "withscores", &l, &withscores))
            randmember_count(c, l, withscores);
        return;
    }
    fr_obj *o = fr__lookup_read_or_reply(c, &c->argv[1], FR_TYPE_ZSET, fr__add_null);
    if (!o)
        return;
    fr_zelem e;
    fr__zset_random(o, &e);
    fr__add_bulk(c, e.p, e.len);
}

/* ---- ZUNION, ZINTER, ZDIFF and their STORE forms, ZINTERCARD ------------- */

enum { OP_UNION, OP_INTER, OP_DIFF };
enum { AGG_SUM, AGG_MIN, AGG_MAX };

typedef struct zsrc {
    fr_obj *o; /* a zset, a set, or NULL (missing: empty) */
    double w;
} zsrc;

static size_t src_len(const zsrc *s)
{
    if (!s->o)
        return 0;
    return s->o->type == FR_TYPE_ZSET ? fr__zset_len(s->o) : fr__set_len(s->o);
}

static int src_find(const zsrc *s, const char *p, size_t len, double *score)
{
    if (!s->o)
        return 0;
    if (s->o->type == FR_TYPE_ZSET)
        return fr__zset_score(s->o, p, len, score);
    if (!fr__set_has(s->o, p, len))
        return 0;
    *score = 1.0;
    return 1;
}

typedef void src_fn(void *ctx, const char *p, size_t len, double score);

static void src_each(const zsrc *s, src_fn *fn, void *ctx)
{
    if (!s->o)
        return;
    if (s->o->type == FR_TYPE_ZSET) {
        fr_zit it;
        fr_zelem e;
        fr__zit_init(&it, s->o, 0, 0);
        while (fr__zit_next(&it, &e))
            fn(ctx, e.p, e.len, e.score);
        return;
    }
    fr_set_iter it;
    const char *p;
    size_t len;
    fr__set_iter_start(&it, s->o);
    while (fr__set_iter_next(&it, &p, &len))
        fn(ctx, p, len, 1.0);
    fr__set_iter_end(&it);
}

static void aggregate(double *target, double val, int agg)
{
    if (agg == AGG_SUM) {
        *target = *target + val;
        if (isnan(*target)) /* inf + -inf: Redis' convention is 0 */
            *target = 0.0;
    } else if (agg == AGG_MIN) {
        *target = val < *target ? val : *target;
    } else {
        *target = val > *target ? val : *target;
    }
}

/* The result being built: a skiplist zset whose dictionary (member ->
 * score) fills first; its tree is built at the end. */
typedef struct zacc {
    fr_obj *res;
    fr_dict *d; /* the result's dictionary */
    size_t n;
    size_t maxlen;
    /* for the walkers */
    const zsrc *src;
    int nsrc, agg, op;
    long long card, limit;
    int card_only, stop;
} zacc;

static void acc_put(zacc *a, const char *p, size_t len, double score)
{
    fr_dict_entry *ex = NULL;
    fr_dict_entry *e = fr__dict_add(a->d, p, len, &ex);
    if (!e) {
        aggregate(&ex->v.d, score, a->agg);
        return;
    }
    e->v.d = score;
    a->n++;
    if (len > a->maxlen)
        a->maxlen = len;
}

typedef struct zsorted {
    double score;
    fr_dict_entry *e;
} zsorted;

/* The tree's order: score, then member as Redis' sdscmp. */
static int zsorted_cmp(const void *x, const void *y)
{
    const zsorted *a = x, *b = y;
    if (a->score != b->score)
        return a->score < b->score ? -1 : 1;
    return fr__zbt_memb_cmp(a->e->key, a->e->klen, b->e->key, b->e->klen);
}

/* Finish the result: its table cut to size (it was sized to a bound),
 * its tree built in one go from the entries sorted by (score, member)
 * rather than by a million inserts at random places. */
static void acc_finish(zacc *a)
{
    fr_zsk *zs = a->res->v.ptr;
    zsorted *v = fr__xmalloc((a->n ? a->n : 1) * sizeof *v);
    size_t n = 0;
    fr_dict_iter it;
    fr_dict_entry *e;
    fr__dict_iter_start(&it, a->d);
    while ((e = fr__dict_iter_next(&it))) {
        if (isnan(e->v.d)) /* never stored, as fr__zset_add refuses it */
            fr__dict_delete(a->d, e->key, e->klen);
        else
            v[n++] = (zsorted){e->v.d, e};
    }
    fr__dict_iter_end(&it);
    fr__dict_fit(a->d);
    qsort(v, n, sizeof *v, zsorted_cmp);
    fr_dict_entry **ents = fr__xmalloc((n ? n : 1) * sizeof *ents);
    for (size_t i = 0; i < n; i++)
        ents[i] = v[i].e;
    free(v);
    fr__zbt_build(&zs->tree, ents, n);
    free(ents);
}

static void union_one(void *ctx, const char *p, size_t len, double score)
{
    zacc *a = ctx;
    double s = a->src->w * score;
    if (isnan(s))
        s = 0;
    acc_put(a, p, len, s);
}

static void inter_one(void *ctx, const char *p, size_t len, double score)
{
    zacc *a = ctx;
    if (a->stop)
        return;
    double s = a->src[0].w * score;
    if (isnan(s))
        s = 0;
    int j;
    for (j = 1; j < a->nsrc; j++) {
        double v;
        if (a->src[j].o == a->src[0].o)
            v = score;
        else if (!src_find(&a->src[j], p, len, &v))
            break;
        v *= a->src[j].w;
        aggregate(&s, v, a->agg);
    }
    if (j < a->nsrc)
        return;
    if (a->card_only) {
        a->card++;
        if (a->limit && a->card >= a->limit)
            a->stop = 1;
        return;
    }
    acc_put(a, p, len, s);
}

static void diff_one(void *ctx, const char *p, size_t len, double score)
{
    zacc *a = ctx;
    double v;
    for (int j = 1; j < a->nsrc; j++)
        if (a->src[j].o && (a->src[j].o == a->src[0].o || src_find(&a->src[j], p, len, &v)))
            return;
    acc_put(a, p, len, score);
}

static void zsetop_generic(fr_conn *c, const fr_arg *dst, int numkeys_at, int op, int card_only)
{
    long long setnum;
    if (!fr__arg_ll(c, &c->argv[numkeys_at], &setnum))
        return;
    if (setnum < 1) {
        fr__add_errorf(c, "at least 1 input key is needed for '%s' command", c->cmd->name);
        return;
    }
    if (setnum > c->argc - (numkeys_at + 1)) {
        fr__add_error(c, fr__err_syntax);
        return;
    }
    zsrc *src = fr__xcalloc((size_t)setnum, sizeof *src);
    int j = numkeys_at + 1;
    for (long long i = 0; i < setnum; i++, j++) {
        fr_obj *o = dst ? fr__lookup_write(c, &c->argv[j]) : fr__lookup_read(c, &c->argv[j]);
        if (o && o->type != FR_TYPE_ZSET && o->type != FR_TYPE_SET) {
            free(src);
            fr__add_error(c, fr__err_wrongtype);
            return;
        }
        src[i].o = o;
        src[i].w = 1.0;
    }
    int agg = AGG_SUM, withscores = 0;
    long long limit = 0;
    int remaining = c->argc - j;
    while (remaining) {
        const fr_arg *a = &c->argv[j];
        if (op != OP_DIFF && !card_only && remaining >= setnum + 1 && fr__arg_is(a, "weights")) {
            j++;
            remaining--;
            for (long long i = 0; i < setnum; i++, j++, remaining--) {
                if (!arg_double(c, &c->argv[j], &src[i].w, "weight value is not a float")) {
                    free(src);
                    return;
                }
            }
        } else if (op != OP_DIFF && !card_only && remaining >= 2 && fr__arg_is(a, "aggregate")) {
            j++;
            remaining--;
            if (fr__arg_is(&c->argv[j], "sum")) {
                agg = AGG_SUM;
            } else if (fr__arg_is(&c->argv[j], "min")) {
                agg = AGG_MIN;
            } else if (fr__arg_is(&c->argv[j], "max")) {
                agg = AGG_MAX;
            } else {
                free(src);
                fr__add_error(c, fr__err_syntax);
                return;
            }
            j++;
            remaining--;
        } else if (remaining >= 1 && !dst && !card_only && fr__arg_is(a, "withscores")) {
            j++;
            remaining--;
            withscores = 1;
        } else if (card_only && remaining >= 2 && fr__arg_is(a, "limit")) {
            j++;
            remaining--;
            if (!fr__arg_ll_range(c, &c->argv[j], 0, LLONG_MAX, &limit,
                                  "LIMIT can't be negative")) {
                free(src);
                return;
            }
            j++;
            remaining--;
        } else {
            free(src);
            fr__add_error(c, fr__err_syntax);
            return;
        }
    }
    if (op != OP_DIFF) {
        /* smallest first (a stable insertion sort, as glibc's qsort is a
         * merge sort): it decides the order scores are aggregated in */
        for (long long i = 1; i < setnum; i++) {
            zsrc t = src[i];
            long long k = i - 1;
            while (k >= 0 && src_len(&src[k]) > src_len(&t)) {
                src[k + 1] = src[k];
                k--;
            }
            src[k + 1] = t;
        }
    }
    zacc a;
    memset(&a, 0, sizeof a);
    /* a skiplist zset, as Redis builds it (so a -0 score survives in the
     * reply), turned into a listpack when stored small */
    a.res = fr__zset_new(&c->srv->cfg.enc, SIZE_MAX, 0);
    a.d = &((fr_zsk *)a.res->v.ptr)->dict;
    a.src = src;
    a.nsrc = (int)setnum;
    a.agg = agg;
    a.op = op;
    a.card_only = card_only;
    a.limit = limit;
    if (!card_only) {
        /* Size the table once, to a bound of the result (the union of
         * all, or what the first source can leave; acc_finish cuts it to
         * size): filling it skips the doublings and their rehashes. */
        size_t expect = src_len(&src[0]);
        for (long long i = 1; op == OP_UNION && i < setnum; i++)
            expect += src_len(&src[i]);
        fr__dict_expand(a.d, expect);
    }
    if (op == OP_INTER) {
        if (src_len(&src[0]) > 0)
            src_each(&src[0], inter_one, &a);
    } else if (op == OP_UNION) {
        for (long long i = 0; i < setnum; i++) {
            a.src = &src[i];
            src_each(&src[i], union_one, &a);
        }
        a.src = src;
    } else if (src[0].o) {
        src_each(&src[0], diff_one, &a);
    }
    free(src);
    if (card_only) {
        fr__obj_free(a.res);
        fr__add_ll(c, a.card);
        return;
    }
    acc_finish(&a);
    fr_obj *res = a.res;
    if (dst) {
        size_t n = fr__zset_len(res);
        fr__zset_shrink_if_small(&c->srv->cfg.enc, res, a.maxlen);
        static const char *const ev[] = {"zunionstore", "zinterstore", "zdiffstore"};
        fr__store_result(c, dst, res, n, FR_NOTIFY_ZSET, ev[op], 1);
        return;
    }
    size_t n = fr__zset_len(res);
    fr__add_array(c, (long long)(withscores && c->resp == 2 ? n * 2 : n));
    fr_zit zi;
    fr_zelem ze;
    fr__zit_init(&zi, res, 0, 0);
    while (fr__zit_next(&zi, &ze))
        add_member(c, withscores, &ze);
    fr__obj_free(res);
}

void fr__cmd_zunion(fr_conn *c)
{
    zsetop_generic(c, NULL, 1, OP_UNION, 0);
}

void fr__cmd_zinter(fr_conn *c)
{
    zsetop_generic(c, NULL, 1, OP_INTER, 0);
}

void fr__cmd_zdiff(fr_conn *c)
{
    zsetop_generic(c, NULL, 1, OP_DIFF, 0);
}

void fr__cmd_zunionstore(fr_conn *c)
{
    zsetop_generic(c, &c->argv[1], 2, OP_UNION, 0);
}

void fr__cmd_zinterstore(fr_conn *c)
{
    zsetop_generic(c, &c->argv[1], 2, OP_INTER, 0);
}

void fr__cmd_zdiffstore(fr_conn *c)
{
    zsetop_generic(c, &c->argv[1], 2, OP_DIFF, 0);
}

void fr__cmd_zintercard(fr_conn *c)
{
    zsetop_generic(c, NULL, 1, OP_INTER, 1);
}

/* ---- ZSCAN ---------------------------------------------------------------- */

static void scan_cb(void *priv, const fr_dict_entry *e)
{
    char num[64];
    int n = fr__fmt_double(num, sizeof num, e->v.d);
    fr__scan_acc_add(priv, e->key, e->klen);
    fr__scan_acc_add(priv, num, (size_t)n);
}

void fr__cmd_zscan(fr_conn *c)
{
    uint64_t cursor;
    fr_scan_opts opts;
    fr_obj *o = fr__scan_begin(c, FR_TYPE_ZSET, &cursor, &opts);
    if (!o)
        return;
    fr_scan_acc acc = {0};
    if (o->enc == FR_ENC_LISTPACK) {
        fr_zit it;
        fr_zelem e;
        char num[64];
        fr__zit_init(&it, o, 0, 0);
        while (fr__zit_next(&it, &e)) {
            fr__scan_acc_add(&acc, e.p, e.len);
            fr__scan_acc_add(&acc, num, (size_t)fr__zset_lp_fmt_score(num, sizeof num, e.score));
        }
        cursor = 0;
    } else {
        fr_zsk *zs = o->v.ptr;
        cursor = fr__scan_dict(&zs->dict, cursor, scan_cb, &acc, &opts, 2);
    }
    fr__scan_reply(c, cursor, &acc, &opts, 2, NULL, NULL);
    fr__scan_acc_free(&acc);
}
