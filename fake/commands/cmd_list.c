/* List commands, blocking ones included, with Redis 7.0's argument order,
 * replies, errors and keyspace events. */
#include <limits.h>
#include <string.h>

#include "commands_private.h"
#include "core.h"
#include "blocking_engine.h"
#include "commands.h"
#include "data.h"

/* ---- helpers ---------------------------------------------------------- */

static fr_list *L(fr_obj *o)
{
    return o->v.ptr;
}

static void add_entry(fr_conn *c, const fr_lentry *e)
{
    size_t n;
    const char *p = fr__lentry_bytes(e, &n);
    fr__add_bulk(c, p, n);
}

static void notify(fr_server *srv, const char *event, int db, const char *k, size_t n)
{
    fr__keyspace_notify(srv->ks, FR_NOTIFY_LIST, event, k, n, db);
}

/* After elements left a list: drop the key if it is empty (Redis never
 * keeps an empty list), with the `del` event, and touch WATCH. */
static void after_removal(fr_server *srv, int db, const char *k, size_t n, fr_obj *o)
{
    if (fr__list_len(L(o)) == 0) {
        fr__db_delete(srv->ks, db, k, n);
        fr__keyspace_notify(srv->ks, FR_NOTIFY_GENERIC, "del", k, n, db);
    }
    fr__keyspace_modified(srv->ks, db, k, n);
}

/* The list at key for a push, created if missing (the caller checked the
 * type). */
static fr_obj *list_for_push(fr_server *srv, int db, const char *k, size_t n)
{
    fr_obj *o = fr__db_lookup(srv->ks, db, k, n, FR_LOOKUP_NOSTATS | FR_LOOKUP_NONOTIFY);
    if (!o) {
        o = fr__list_obj_new();
        fr__db_add(srv->ks, db, k, n, o);
    }
    return o;
}

/* LEFT / RIGHT. */
static int parse_where(fr_conn *c, const fr_arg *a, int *where)
{
    if (fr__arg_is(a, "left"))
        *where = FR_LIST_HEAD;
    else if (fr__arg_is(a, "right"))
        *where = FR_LIST_TAIL;
    else {
        fr__add_error(c, fr__err_syntax);
        return 0;
    }
    return 1;
}

/* Pop up to count elements from where, replying [key, [elements]]
 * (LMPOP/BLMPOP), with the pop event, `del` and WATCH. */
static void pop_range_with_key(fr_conn *c, int db, const char *k, size_t kn, fr_obj *o,
                               int where, long long count)
{
    fr_server *srv = c->srv;
    fr_list *l = L(o);
    long long n = count < (long long)fr__list_len(l) ? count : (long long)fr__list_len(l);
    fr__add_array(c, 2);
    fr__add_bulk(c, k, kn);
    fr__add_array(c, n);
    for (long long i = 0; i < n; i++) {
        fr_lentry e;
        fr__list_pop_entry(l, where, &e);
        add_entry(c, &e);
        fr__lentry_free(&e);
    }
    notify(srv, where == FR_LIST_HEAD ? "lpop" : "rpop", db, k, kn);
    after_removal(srv, db, k, kn, o);
}

/* ---- pushes ----------------------------------------------------------- */

static void push_generic(fr_conn *c, int where, int only_existing)
{
    fr_server *srv = c->srv;
    const fr_arg *key = &c->argv[1];
    fr_obj *o = fr__lookup_write(c, key);
    if (fr__check_type(c, o, FR_TYPE_LIST))
        return;
    if (!o) {
        if (only_existing) {
            fr__add_ll(c, 0);
            return;
        }
        o = fr__list_obj_new();
        fr__db_add(srv->ks, c->db, key->p, key->len, o);
    }
    fr__list_push_many(L(o), where, &c->argv[2], (size_t)(c->argc - 2));
    fr__add_ll(c, (long long)fr__list_len(L(o)));
    fr__keyspace_modified(srv->ks, c->db, key->p, key->len);
    notify(srv, where == FR_LIST_HEAD ? "lpush" : "rpush", c->db, key->p, key->len);
    fr__keyspace_ready(srv->ks, c->db, key->p, key->len);
}

void fr__cmd_lpush(fr_conn *c)
{
    push_generic(c, FR_LIST_HEAD, 0);
}

void fr__cmd_rpush(fr_conn *c)
{
    push_generic(c, FR_LIST_TAIL, 0);
}

void fr__cmd_lpushx(fr_conn *c)
{
    push_generic(c, FR_LIST_HEAD, 1);
}

void fr__cmd_rpushx(fr_conn *c)
{
    push_generic(c, FR_LIST_TAIL, 1);
}

/* ---- pops ------------------------------------------------------------- */

static void pop_generic(fr_conn *c, int where)
{
    fr_server *srv = c->srv;
    long long count = 0;
    int has_count = c->argc == 3;
    if (c->argc > 3) {
        fr__add_errorf(c, "wrong number of arguments for '%s' command", c->cmd->name);
        return;
    }
    if (has_count && !fr__arg_ll_range(c, &c->argv[2], 0, LLONG_MAX, &count,
                                       "value is out of range, must be positive"))
        return;
    const fr_arg *key = &c->argv[1];
    fr_obj *o = fr__lookup_write(c, key);
    if (!o) {
        if (has_count)
            fr__add_null_array(c);
        else
            fr__add_null(c);
        return;
    }
    if (fr__check_type(c, o, FR_TYPE_LIST))
        return;
    if (has_count && count == 0) {
        fr__add_array(c, 0);
        return;
    }
    fr_list *l = L(o);
    fr_lentry e;
    if (!has_count) {
        fr__list_pop_entry(l, where, &e);
        add_entry(c, &e);
        fr__lentry_free(&e);
    } else {
        long long n = count < (long long)fr__list_len(l) ? count : (long long)fr__list_len(l);
        fr__add_array(c, n);
        for (long long i = 0; i < n; i++) {
            fr__list_pop_entry(l, where, &e);
            add_entry(c, &e);
            fr__lentry_free(&e);
        }
    }
    notify(srv, where == FR_LIST_HEAD ? "lpop" : "rpop", c->db, key->p, key->len);
    after_removal(srv, c->db, key->p, key->len, o);
}

void fr__cmd_lpop(fr_conn *c)
{
    pop_generic(c, FR_LIST_HEAD);
}

void fr__cmd_rpop(fr_conn *c)
{
    pop_generic(c, FR_LIST_TAIL);
}

/* ---- reads ------------------------------------------------------------ */

void fr__cmd_llen(fr_conn *c)
{
    fr_obj *o = fr__lookup_read(c, &c->argv[1]);
    if (fr__check_type(c, o, FR_TYPE_LIST))
        return;
    fr__add_ll(c, o ? (long long)fr__list_len(L(o)) : 0);
}

static void empty_array(fr_conn *c)
{
    fr__add_array(c, 0);
}

void fr__cmd_lrange(fr_conn *c)
{
    long long start, end;
    if (!fr__arg_ll(c, &c->argv[2], &start) || !fr__arg_ll(c, &c->argv[3], &end))
        return;
    fr_obj *o = fr__lookup_read_or_reply(c, &c->argv[1], FR_TYPE_LIST, empty_array);
    if (!o)
        return;
    fr_list *l = L(o);
    if (!fr__rank_range(&start, &end, (long long)fr__list_len(l))) {
        fr__add_array(c, 0);
        return;
    }
    long long n = end - start + 1;
    fr__add_array(c, n);
    fr_list_iter it;
    const char *p;
    size_t pn;
    fr__list_iter_init(&it, l, (size_t)start, 1);
    while (n-- > 0 && fr__list_iter_next(&it, &p, &pn))
        fr__add_bulk(c, p, pn);
}

void fr__cmd_lindex(fr_conn *c)
{
    fr_obj *o = fr__lookup_read_or_reply(c, &c->argv[1], FR_TYPE_LIST, fr__add_null);
    if (!o)
        return;
    long long idx;
    if (!fr__arg_ll(c, &c->argv[2], &idx))
        return;
    idx = fr__list_norm_index(L(o), idx);
    if (idx < 0) {
        fr__add_null(c);
        return;
    }
    const char *p;
    size_t n;
    fr__list_index(L(o), (size_t)idx, &p, &n);
    fr__add_bulk(c, p, n);
}

void fr__cmd_lpos(fr_conn *c)
{
    long long rank = 1, count = -1, maxlen = 0;
    for (int j = 3; j < c->argc; j++) {
        const fr_arg *opt = &c->argv[j];
        int more = c->argc - 1 - j;
        if (fr__arg_is(opt, "rank") && more) {
            if (!fr__arg_ll(c, &c->argv[++j], &rank))
                return;
            if (rank == 0) {
                fr__add_error(c, "RANK can't be zero: use 1 to start from the first match, "
                                 "2 from the second ... or use negative to start from the "
                                 "end of the list");
                return;
            }
        } else if (fr__arg_is(opt, "count") && more) {
            if (!fr__arg_ll_range(c, &c->argv[++j], 0, LLONG_MAX, &count,
                                  "COUNT can't be negative"))
                return;
        } else if (fr__arg_is(opt, "maxlen") && more) {
            if (!fr__arg_ll_range(c, &c->argv[++j], 0, LLONG_MAX, &maxlen,
                                  "MAXLEN can't be negative"))
                return;
        } else {
            fr__add_error(c, fr__err_syntax);
            return;
        }
    }
    int dir = 1;
    /* Redis negates a negative rank to search from the tail; LLONG_MIN
     * stays negative there, so every match qualifies and COUNT never
     * stops the search. */
    int unlimited = 0;
    if (rank < 0) {
        dir = -1;
        if (rank == LLONG_MIN) {
            rank = 1;
            unlimited = 1;
        } else {
            rank = -rank;
        }
    }
    fr_obj *o = fr__lookup_read(c, &c->argv[1]);
    if (!o) {
        if (count != -1)
            fr__add_array(c, 0);
        else
            fr__add_null(c);
        return;
    }
    if (fr__check_type(c, o, FR_TYPE_LIST))
        return;
    fr_list *l = L(o);
    size_t len = fr__list_len(l);
    const fr_arg *ele = &c->argv[2];
    size_t handle = count != -1 ? fr__add_deferred(c) : 0;
    long long found = 0, matches = 0;
    fr_list_iter it;
    fr__list_iter_init(&it, l, dir > 0 ? 0 : len - 1, dir);
    const char *p;
    size_t n;
    long long scanned = 0;
    while ((maxlen == 0 || scanned < maxlen) && fr__list_iter_next(&it, &p, &n)) {
        long long index = dir > 0 ? scanned : (long long)len - 1 - scanned;
        scanned++;
        if (n != ele->len || (n && memcmp(p, ele->p, n)))
            continue;
        matches++;
        if (matches < rank)
            continue;
        fr__add_ll(c, index);
        found++;
        if (count == -1)
            break;
        if (count && !unlimited && matches - rank + 1 >= count)
            break;
    }
    if (count != -1)
        fr__set_deferred(c, handle, '*', found);
    else if (!found)
        fr__add_null(c);
}

/* ---- in-place changes ------------------------------------------------- */

void fr__cmd_lset(fr_conn *c)
{
    fr_server *srv = c->srv;
    const fr_arg *key = &c->argv[1];
    fr_obj *o = fr__lookup_write(c, key);
    if (!o) {
        fr__add_error(c, fr__err_no_such_key);
        return;
    }
    if (fr__check_type(c, o, FR_TYPE_LIST))
        return;
    long long idx;
    if (!fr__arg_ll(c, &c->argv[2], &idx))
        return;
    idx = fr__list_norm_index(L(o), idx);
    if (idx < 0) {
        fr__add_error(c, "index out of range");
        return;
    }
    fr__list_set(L(o), (size_t)idx, c->argv[3].p, c->argv[3].len);
    fr__add_ok(c);
    fr__keyspace_modified(srv->ks, c->db, key->p, key->len);
    notify(srv, "lset", c->db, key->p, key->len);
}

void fr__cmd_linsert(fr_conn *c)
{
    fr_server *srv = c->srv;
    int after;
    if (fr__arg_is(&c->argv[2], "after"))
        after = 1;
    else if (fr__arg_is(&c->argv[2], "before"))
        after = 0;
    else {
        fr__add_error(c, fr__err_syntax);
        return;
    }
    const fr_arg *key = &c->argv[1];
    fr_obj *o = fr__lookup_write_or_reply(c, key, FR_TYPE_LIST, fr__add_zero);
    if (!o)
        return;
    fr_list *l = L(o);
    const fr_arg *pivot = &c->argv[3];
    fr_list_iter it;
    fr__list_iter_init(&it, l, 0, 1);
    const char *p;
    size_t n;
    size_t idx = 0;
    int found = 0;
    while (fr__list_iter_next(&it, &p, &n)) {
        if (n == pivot->len && (n == 0 || !memcmp(p, pivot->p, n))) {
            found = 1;
            break;
        }
        idx++;
    }
    if (!found) {
        fr__add_ll(c, -1);
        return;
    }
    fr__list_insert(l, idx + (size_t)after, c->argv[4].p, c->argv[4].len);
    fr__keyspace_modified(srv->ks, c->db, key->p, key->len);
    notify(srv, "linsert", c->db, key->p, key->len);
    fr__add_ll(c, (long long)fr__list_len(l));
}

void fr__cmd_lrem(fr_conn *c)
{
    fr_server *srv = c->srv;
    long long count;
    if (!fr__arg_ll(c, &c->argv[2], &count))
        return;
    const fr_arg *key = &c->argv[1];
    fr_obj *o = fr__lookup_write_or_reply(c, key, FR_TYPE_LIST, fr__add_zero);
    if (!o)
        return;
    size_t removed = fr__list_rem(L(o), c->argv[3].p, c->argv[3].len, count);
    if (removed)
        notify(srv, "lrem", c->db, key->p, key->len);
    if (fr__list_len(L(o)) == 0) {
        fr__db_delete(srv->ks, c->db, key->p, key->len);
        fr__keyspace_notify(srv->ks, FR_NOTIFY_GENERIC, "del", key->p, key->len, c->db);
    }
    if (removed)
        fr__keyspace_modified(srv->ks, c->db, key->p, key->len);
    fr__add_ll(c, (long long)removed);
}

void fr__cmd_ltrim(fr_conn *c)
{
    fr_server *srv = c->srv;
    long long start, end;
    if (!fr__arg_ll(c, &c->argv[2], &start) || !fr__arg_ll(c, &c->argv[3], &end))
        return;
    const fr_arg *key = &c->argv[1];
    fr_obj *o = fr__lookup_write(c, key);
    if (!o) {
        fr__add_ok(c);
        return;
    }
    if (fr__check_type(c, o, FR_TYPE_LIST))
        return;
    fr_list *l = L(o);
    long long len = (long long)fr__list_len(l);
    long long ltrim, rtrim;
    if (!fr__rank_range(&start, &end, len)) {
        ltrim = len; /* everything goes */
        rtrim = 0;
    } else {
        ltrim = start;
        rtrim = len - end - 1;
    }
    if (ltrim)
        fr__list_del_range(l, 0, (size_t)ltrim);
    if (rtrim)
        fr__list_del_range(l, fr__list_len(l) - (size_t)rtrim, (size_t)rtrim);
    notify(srv, "ltrim", c->db, key->p, key->len);
    if (fr__list_len(l) == 0) {
        fr__db_delete(srv->ks, c->db, key->p, key->len);
        fr__keyspace_notify(srv->ks, FR_NOTIFY_GENERIC, "del", key->p, key->len, c->db);
    }
    fr__keyspace_modified(srv->ks, c->db, key->p, key->len);
    fr__add_ok(c);
}

/* ---- moves ------------------------------------------------------------ */

/* Move one element from src (a non-empty list) to dst, replying with it.
 * The destination's type is checked first: on WRONGTYPE nothing moves. */
static void move_one(fr_conn *c, int db, const char *sk, size_t skn, fr_obj *src,
                     const char *dk, size_t dkn, int wherefrom, int whereto)
{
    fr_server *srv = c->srv;
    fr_obj *dst = fr__db_lookup(srv->ks, db, dk, dkn, FR_LOOKUP_NOSTATS | FR_LOOKUP_NONOTIFY);
    if (fr__check_type(c, dst, FR_TYPE_LIST))
        return;
    fr_lentry e;
    fr__list_pop_entry(L(src), wherefrom, &e);
    /* reply first: pushing the entry consumes it */
    add_entry(c, &e);
    dst = list_for_push(srv, db, dk, dkn);
    fr__keyspace_modified(srv->ks, db, dk, dkn);
    fr__list_push_entry(L(dst), whereto, &e);
    notify(srv, whereto == FR_LIST_HEAD ? "lpush" : "rpush", db, dk, dkn);
    fr__keyspace_ready(srv->ks, db, dk, dkn);
    notify(srv, wherefrom == FR_LIST_HEAD ? "lpop" : "rpop", db, sk, skn);
    if (fr__list_len(L(src)) == 0) {
        fr__db_delete(srv->ks, db, sk, skn);
        fr__keyspace_notify(srv->ks, FR_NOTIFY_GENERIC, "del", sk, skn, db);
    }
    fr__keyspace_modified(srv->ks, db, sk, skn);
}

static void lmove_generic(fr_conn *c, int wherefrom, int whereto)
{
    const fr_arg *sk = &c->argv[1], *dk = &c->argv[2];
    fr_obj *src = fr__lookup_write_or_reply(c, sk, FR_TYPE_LIST, fr__add_null);
    if (!src)
        return;
    move_one(c, c->db, sk->p, sk->len, src, dk->p, dk->len, wherefrom, whereto);
}

void fr__cmd_lmove(fr_conn *c)
{
    int from, to;
    if (!parse_where(c, &c->argv[3], &from) || !parse_where(c, &c->argv[4], &to))
        return;
    lmove_generic(c, from, to);
}

void fr__cmd_rpoplpush(fr_conn *c)
{
    lmove_generic(c, FR_LIST_TAIL, FR_LIST_HEAD);
}

/* LMPOP numkeys key... LEFT|RIGHT [COUNT n], from argv[first] (numkeys). */
static int parse_mpop(fr_conn *c, int first, long long *numkeys, int *where, long long *count)
{
    static const char *const ends[2] = {"left", "right"};
    int end;
    if (!fr__mpop_args(c, c->argc, c->argv, first, ends, numkeys, &end, count))
        return 0;
    *where = end ? FR_LIST_TAIL : FR_LIST_HEAD;
    return 1;
}

/* The first non-empty list among keys: 1 and *out, 0 if none, -1 after
 * WRONGTYPE. */
static int first_list(fr_conn *c, const fr_arg *keys, int nkeys, int *which, fr_obj **out)
{
    for (int i = 0; i < nkeys; i++) {
        fr_obj *o = fr__lookup_write(c, &keys[i]);
        if (!o)
            continue;
        if (fr__check_type(c, o, FR_TYPE_LIST))
            return -1;
        if (fr__list_len(L(o)) == 0)
            continue;
        *which = i;
        *out = o;
        return 1;
    }
    return 0;
}

void fr__cmd_lmpop(fr_conn *c)
{
    long long numkeys, count;
    int where;
    if (!parse_mpop(c, 1, &numkeys, &where, &count))
        return;
    int which;
    fr_obj *o;
    int r = first_list(c, c->argv + 2, (int)numkeys, &which, &o);
    if (r < 0)
        return;
    if (r == 0) {
        fr__add_null_array(c);
        return;
    }
    const fr_arg *k = &c->argv[2 + which];
    pop_range_with_key(c, c->db, k->p, k->len, o, where, count);
}

/* ---- blocking --------------------------------------------------------- */

/* The list a blocked client may be served from, or NULL (missing, empty,
 * or not a list: the client keeps waiting, as Redis does). */
static fr_obj *ready_list(fr_server *srv, int db, const char *k, size_t kn)
{
    fr_obj *o = fr__db_lookup(srv->ks, db, k, kn, FR_LOOKUP_NONOTIFY | FR_LOOKUP_NOSTATS);
    if (!o || o->type != FR_TYPE_LIST || fr__list_len(L(o)) == 0)
        return NULL;
    return o;
}

static void pop_one_with_key(fr_conn *c, int db, const char *k, size_t kn, fr_obj *o, int where)
{
    fr_lentry e;
    fr__list_pop_entry(L(o), where, &e);
    fr__add_array(c, 2);
    fr__add_bulk(c, k, kn);
    add_entry(c, &e);
    fr__lentry_free(&e);
    notify(c->srv, where == FR_LIST_HEAD ? "lpop" : "rpop", db, k, kn);
    after_removal(c->srv, db, k, kn, o);
}

static int serve_bpop(fr_conn *c, int argc, fr_arg *argv, int db, const char *k, size_t kn)
{
    (void)argc;
    fr_obj *o = ready_list(c->srv, db, k, kn);
    if (!o)
        return 0;
    pop_one_with_key(c, db, k, kn, o, fr__arg_is(&argv[0], "blpop") ? FR_LIST_HEAD : FR_LIST_TAIL);
    return 1;
}

static void bpop_generic(fr_conn *c, int where)
{
    int64_t deadline;
    if (!fr__block_parse_timeout(c, &c->argv[c->argc - 1], &deadline))
        return;
    const fr_arg *keys = c->argv + 1;
    int nkeys = c->argc - 2, which;
    fr_obj *o;
    int r = first_list(c, keys, nkeys, &which, &o);
    if (r < 0)
        return;
    if (r > 0) {
        pop_one_with_key(c, c->db, keys[which].p, keys[which].len, o, where);
        return;
    }
    if (fr__block_denied(c)) {
        fr__add_null_array(c);
        return;
    }
    fr__block_on_keys(c, keys, nkeys, deadline, serve_bpop);
}

void fr__cmd_blpop(fr_conn *c)
{
    bpop_generic(c, FR_LIST_HEAD);
}

void fr__cmd_brpop(fr_conn *c)
{
    bpop_generic(c, FR_LIST_TAIL);
}

static int serve_bmove(fr_conn *c, int argc, fr_arg *argv, int db, const char *k, size_t kn)
{
    fr_obj *o = ready_list(c->srv, db, k, kn);
    if (!o)
        return 0;
    int from = FR_LIST_TAIL, to = FR_LIST_HEAD; /* BRPOPLPUSH */
    if (argc == 6) {
        from = fr__arg_is(&argv[3], "left") ? FR_LIST_HEAD : FR_LIST_TAIL;
        to = fr__arg_is(&argv[4], "left") ? FR_LIST_HEAD : FR_LIST_TAIL;
    }
    move_one(c, db, k, kn, o, argv[2].p, argv[2].len, from, to);
    return 1;
}

static void bmove_generic(fr_conn *c, int from, int to, const fr_arg *timeout)
{
    int64_t deadline;
    if (!fr__block_parse_timeout(c, timeout, &deadline))
        return;
    fr_obj *src = fr__lookup_write(c, &c->argv[1]);
    if (fr__check_type(c, src, FR_TYPE_LIST))
        return;
    if (src) {
        move_one(c, c->db, c->argv[1].p, c->argv[1].len, src, c->argv[2].p, c->argv[2].len,
                 from, to);
        return;
    }
    if (fr__block_denied(c)) {
        fr__add_null(c); /* Redis answers a null bulk here, not an array */
        return;
    }
    fr__block_on_keys(c, &c->argv[1], 1, deadline, serve_bmove);
}

void fr__cmd_blmove(fr_conn *c)
{
    int from, to;
    if (!parse_where(c, &c->argv[3], &from) || !parse_where(c, &c->argv[4], &to))
        return;
    bmove_generic(c, from, to, &c->argv[5]);
}

void fr__cmd_brpoplpush(fr_conn *c)
{
    bmove_generic(c, FR_LIST_TAIL, FR_LIST_HEAD, &c->argv[3]);
}

static int serve_bmpop(fr_conn *c, int argc, fr_arg *argv, int db, const char *k, size_t kn)
{
    (void)argc;
    fr_obj *o = ready_list(c->srv, db, k, kn);
    if (!o)
        return 0;
    long long numkeys = 0, count = 1;
    fr__str2ll(argv[2].p, argv[2].len, &numkeys);
    int widx = 3 + (int)numkeys;
    int where = fr__arg_is(&argv[widx], "left") ? FR_LIST_HEAD : FR_LIST_TAIL;
    if (widx + 2 < argc)
        fr__str2ll(argv[widx + 2].p, argv[widx + 2].len, &count);
    pop_range_with_key(c, db, k, kn, o, where, count);
    return 1;
}

void fr__cmd_blmpop(fr_conn *c)
{
    int64_t deadline;
    if (!fr__block_parse_timeout(c, &c->argv[1], &deadline))
        return;
    long long numkeys, count;
    int where;
    if (!parse_mpop(c, 2, &numkeys, &where, &count))
        return;
    const fr_arg *keys = c->argv + 3;
    int which;
    fr_obj *o;
    int r = first_list(c, keys, (int)numkeys, &which, &o);
    if (r < 0)
        return;
    if (r > 0) {
        pop_range_with_key(c, c->db, keys[which].p, keys[which].len, o, where, count);
        return;
    }
    if (fr__block_denied(c)) {
        fr__add_null_array(c);
        return;
    }
    fr__block_on_keys(c, keys, (int)numkeys, deadline, serve_bmpop);
}
