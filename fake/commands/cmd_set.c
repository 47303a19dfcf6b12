/* Set commands (SADD ... SSCAN), on t_set.h. Replies, errors, events and
 * encodings as Redis 7.0. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "commands_private.h"
#include "core.h"
#include "commands.h"
#include "data.h"

static void notify_set(fr_conn *c, const fr_arg *k, const char *event)
{
    fr__keyspace_notify(c->srv->ks, FR_NOTIFY_SET, event, k->p, k->len, c->db);
}

static void notify_del(fr_conn *c, const fr_arg *k)
{
    fr__keyspace_notify(c->srv->ks, FR_NOTIFY_GENERIC, "del", k->p, k->len, c->db);
}

static void add_empty_array(fr_conn *c)
{
    fr__add_array(c, 0);
}

static void add_empty_set(fr_conn *c)
{
    fr__add_set(c, 0);
}

void fr__cmd_sadd(fr_conn *c)
{
    const fr_arg *k = &c->argv[1];
    fr_obj *o = fr__lookup_write(c, k);
    if (fr__check_type(c, o, FR_TYPE_SET))
        return;
    if (!o) {
        o = fr__set_new_for(c->argv[2].p, c->argv[2].len);
        fr__db_add(c->srv->ks, c->db, k->p, k->len, o);
    }
    long long added = 0;
    for (int i = 2; i < c->argc; i++)
        added += fr__set_add(&c->srv->cfg.enc, o, c->argv[i].p, c->argv[i].len);
    if (added) {
        fr__keyspace_modified(c->srv->ks, c->db, k->p, k->len);
        notify_set(c, k, "sadd");
    }
    fr__add_ll(c, added);
}

void fr__cmd_srem(fr_conn *c)
{
    const fr_arg *k = &c->argv[1];
    fr_obj *o = fr__lookup_write_or_reply(c, k, FR_TYPE_SET, fr__add_zero);
    if (!o)
        return;
    long long deleted = 0;
    int removed = 0;
    for (int i = 2; i < c->argc; i++) {
        if (fr__set_del(o, c->argv[i].p, c->argv[i].len)) {
            deleted++;
            if (fr__set_len(o) == 0) {
                fr__db_delete(c->srv->ks, c->db, k->p, k->len);
                removed = 1;
                break;
            }
        }
    }
    if (deleted) {
        fr__keyspace_modified(c->srv->ks, c->db, k->p, k->len);
        notify_set(c, k, "srem");
        if (removed)
            notify_del(c, k);
    }
    fr__add_ll(c, deleted);
}

void fr__cmd_smove(fr_conn *c)
{
    const fr_arg *sk = &c->argv[1], *dk = &c->argv[2], *m = &c->argv[3];
    fr_obj *src = fr__lookup_write(c, sk);
    fr_obj *dst = fr__lookup_write(c, dk);
    if (!src) {
        fr__add_ll(c, 0);
        return;
    }
    if (fr__check_type(c, src, FR_TYPE_SET) || fr__check_type(c, dst, FR_TYPE_SET))
        return;
    if (src == dst) {
        fr__add_ll(c, fr__set_has(src, m->p, m->len));
        return;
    }
    if (!fr__set_del(src, m->p, m->len)) {
        fr__add_ll(c, 0);
        return;
    }
    notify_set(c, sk, "srem");
    if (fr__set_len(src) == 0) {
        fr__db_delete(c->srv->ks, c->db, sk->p, sk->len);
        notify_del(c, sk);
    }
    if (!dst) {
        dst = fr__set_new_for(m->p, m->len);
        fr__db_add(c->srv->ks, c->db, dk->p, dk->len, dst);
    }
    fr__keyspace_modified(c->srv->ks, c->db, sk->p, sk->len);
    if (fr__set_add(&c->srv->cfg.enc, dst, m->p, m->len)) {
        fr__keyspace_modified(c->srv->ks, c->db, dk->p, dk->len);
        notify_set(c, dk, "sadd");
    }
    fr__add_ll(c, 1);
}

void fr__cmd_sismember(fr_conn *c)
{
    fr_obj *o = fr__lookup_read_or_reply(c, &c->argv[1], FR_TYPE_SET, fr__add_zero);
    if (o)
        fr__add_ll(c, fr__set_has(o, c->argv[2].p, c->argv[2].len));
}

void fr__cmd_smismember(fr_conn *c)
{
    fr_obj *o = fr__lookup_read(c, &c->argv[1]);
    if (fr__check_type(c, o, FR_TYPE_SET))
        return;
    fr__add_array(c, c->argc - 2);
    for (int i = 2; i < c->argc; i++)
        fr__add_ll(c, o ? fr__set_has(o, c->argv[i].p, c->argv[i].len) : 0);
}

void fr__cmd_scard(fr_conn *c)
{
    fr_obj *o = fr__lookup_read_or_reply(c, &c->argv[1], FR_TYPE_SET, fr__add_zero);
    if (o)
        fr__add_ll(c, (long long)fr__set_len(o));
}

/* Reply every member (in the set's order) as an aggregate of kind. */
static void reply_members(fr_conn *c, const fr_obj *o, int as_set)
{
    size_t start = c->reply.len, total = fr__set_len(o), done = 0;
    if (as_set)
        fr__add_set(c, (long long)total);
    else
        fr__add_array(c, (long long)total);
    fr_set_iter it;
    const char *p;
    size_t len;
    fr__set_iter_start(&it, o);
    while (fr__set_iter_next(&it, &p, &len)) {
        fr__add_bulk(c, p, len);
        if (++done == 64)
            fr__reply_expect(c, start, done, total);
    }
    fr__set_iter_end(&it);
}

/* A copy of o as Redis' SUNION of one set builds it (an intset-first set
 * filled in o's order), so its encoding and order are Redis'. */
static fr_obj *union_copy(const fr_enc_limits *cfg, const fr_obj *o)
{
    fr_obj *d = fr__set_new_intset();
    fr_set_iter it;
    const char *p;
    size_t len;
    fr__set_iter_start(&it, o);
    while (fr__set_iter_next(&it, &p, &len))
        fr__set_add(cfg, d, p, len);
    fr__set_iter_end(&it);
    return d;
}

/* Redis' getPositiveLongFromObjectOrReply: one message for both a
 * non-integer and a negative number. */
static int parse_positive(fr_conn *c, const fr_arg *a, long long *out)
{
    if (!fr__str2ll(a->p, a->len, out) || *out < 0) {
        fr__add_error(c, "value is out of range, must be positive");
        return 0;
    }
    return 1;
}

static void spop_count(fr_conn *c)
{
    const fr_arg *k = &c->argv[1];
    long long l;
    if (!parse_positive(c, &c->argv[2], &l))
        return;
    fr_obj *o = fr__lookup_write(c, k);
    if (!o) {
        add_empty_set(c);
        return;
    }
    if (fr__check_type(c, o, FR_TYPE_SET))
        return;
    size_t count = (size_t)l, size = fr__set_len(o);
    if (count == 0) {
        add_empty_set(c);
        return;
    }
    notify_set(c, k, "spop");
    if (count >= size) {
        fr_obj *u = union_copy(&c->srv->cfg.enc, o);
        reply_members(c, u, 1);
        fr__obj_free(u);
        fr__db_delete(c->srv->ks, c->db, k->p, k->len);
        notify_del(c, k);
        fr__keyspace_modified(c->srv->ks, c->db, k->p, k->len);
        return;
    }
    fr__add_set(c, (long long)count);
    char buf[24];
    const char *p;
    size_t len;
    if (count * 5 < size) {
        /* few: pop them one by one */
        for (size_t i = 0; i < count; i++) {
            fr__set_random(o, buf, &p, &len);
            fr__add_bulk(c, p, len);
            char *copy = fr__xmemdup(p, len);
            fr__set_del(o, copy, len);
            free(copy);
        }
    } else {
        /* most: move the members that stay into a new set of the same
         * encoding, answer the rest (Redis' third case) */
        size_t remaining = size - count;
        fr_obj *keep = o->enc == FR_ENC_INTSET ? fr__set_new_intset() : fr__set_new_hashtable();
        for (size_t i = 0; i < remaining; i++) {
            fr__set_random(o, buf, &p, &len);
            char *copy = fr__xmemdup(p, len);
            fr__set_add(&c->srv->cfg.enc, keep, copy, len);
            fr__set_del(o, copy, len);
            free(copy);
        }
        fr_set_iter it;
        fr__set_iter_start(&it, o);
        while (fr__set_iter_next(&it, &p, &len))
            fr__add_bulk(c, p, len);
        fr__set_iter_end(&it);
        fr__db_replace(c->srv->ks, c->db, k->p, k->len, keep);
    }
    fr__keyspace_modified(c->srv->ks, c->db, k->p, k->len);
}

void fr__cmd_spop(fr_conn *c)
{
    if (c->argc == 3) {
        spop_count(c);
        return;
    }
    if (c->argc > 3) {
        fr__add_error(c, fr__err_syntax);
        return;
    }
    const fr_arg *k = &c->argv[1];
    fr_obj *o = fr__lookup_write_or_reply(c, k, FR_TYPE_SET, fr__add_null);
    if (!o)
        return;
    char buf[24];
    const char *p;
    size_t len;
    fr__set_random(o, buf, &p, &len);
    char *copy = fr__xmemdup(p, len);
    fr__set_del(o, copy, len);
    notify_set(c, k, "spop");
    fr__add_bulk(c, copy, len);
    free(copy);
    if (fr__set_len(o) == 0) {
        fr__db_delete(c->srv->ks, c->db, k->p, k->len);
        notify_del(c, k);
    }
    fr__keyspace_modified(c->srv->ks, c->db, k->p, k->len);
}

static void srandmember_count(fr_conn *c)
{
    long long l;
    if (!fr__randpick_count(c, &l))
        return;
    fr_obj *o = fr__lookup_read_or_reply(c, &c->argv[1], FR_TYPE_SET, add_empty_array);
    if (!o)
        return;
    size_t size = fr__set_len(o);
    unsigned long long n;
    enum fr_randpick_case how = fr__randpick_case(l, size, &n);
    if (how == FR_RANDPICK_ALL) {
        reply_members(c, o, 0);
        return;
    }
    fr__randpick_header(c, n, 0);
    char buf[24];
    const char *p;
    size_t len;
    if (how == FR_RANDPICK_REPEAT) {
        while (n--) {
            fr__set_random(o, buf, &p, &len);
            fr__add_bulk(c, p, len);
        }
    } else if (how == FR_RANDPICK_DISTINCT) {
        /* the members' bytes one after the other, offs[i] where each starts */
        fr_buf bytes = {0};
        size_t *offs = fr__xmalloc((size + 1) * sizeof *offs);
        size_t i = 0;
        fr_set_iter it;
        fr__set_iter_start(&it, o);
        while (fr__set_iter_next(&it, &p, &len)) {
            offs[i++] = bytes.len;
            fr__buf_append(&bytes, p, len);
        }
        fr__set_iter_end(&it);
        offs[i] = bytes.len;
        size_t *idx = fr__randpick_shuffle(size, (size_t)n, fr__set_rand, o);
        for (i = 0; i < n; i++)
            fr__add_bulk(c, bytes.p + offs[idx[i]], offs[idx[i] + 1] - offs[idx[i]]);
        free(idx);
        free(offs);
        fr__buf_free(&bytes);
    }
}

void fr__cmd_srandmember(fr_conn *c)
{
    if (c->argc == 3) {
        srandmember_count(c);
        return;
    }
    if (c->argc > 3) {
        fr__add_error(c, fr__err_syntax);
        return;
    }
    fr_obj *o = fr__lookup_read_or_reply(c, &c->argv[1], FR_TYPE_SET, fr__add_null);
    if (!o)
        return;
    char buf[24];
    const char *p;
    size_t len;
    fr__set_random(o, buf, &p, &len);
    fr__add_bulk(c, p, len);
}

/* ---- SINTER, SUNION, SDIFF and their STORE forms ------------------------ */

/* Look up the sets; missing keys are NULL. Returns 0 after WRONGTYPE. */
static int lookup_sets(fr_conn *c, const fr_arg *keys, int n, int write, fr_obj **sets)
{
    for (int i = 0; i < n; i++) {
        fr_obj *o = write ? fr__lookup_write(c, &keys[i]) : fr__lookup_read(c, &keys[i]);
        if (fr__check_type(c, o, FR_TYPE_SET))
            return 0;
        sets[i] = o;
    }
    return 1;
}

/* STORE: keep the result under dst (or delete dst when empty). */
static void store_result(fr_conn *c, const fr_arg *dst, fr_obj *res, const char *event)
{
    fr__store_result(c, dst, res, res ? fr__set_len(res) : 0, FR_NOTIFY_SET, event, 0);
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = fr__set_len(*(fr_obj *const *)a), y = fr__set_len(*(fr_obj *const *)b);
    return x < y ? -1 : x > y;
}

/* SINTER, SINTERSTORE (dst) and SINTERCARD (card, limit). */
static void inter_generic(fr_conn *c, const fr_arg *keys, int n, const fr_arg *dst, int card,
                          long long limit)
{
    fr_obj **sets = fr__xmalloc((size_t)n * sizeof *sets);
    if (!lookup_sets(c, keys, n, dst != NULL, sets)) {
        free(sets);
        return;
    }
    int empty = 0;
    for (int i = 0; i < n; i++)
        if (!sets[i])
            empty = 1;
    if (empty) {
        free(sets);
        if (dst) {
            store_result(c, dst, NULL, NULL);
        } else if (card) {
            fr__add_ll(c, 0);
        } else {
            add_empty_set(c);
        }
        return;
    }
    /* smallest first, as Redis: it is the one walked */
    qsort(sets, (size_t)n, sizeof *sets, cmp_size);
    fr_obj *res = dst ? fr__set_new_intset() : NULL;
    size_t d = (!dst && !card) ? fr__add_deferred(c) : 0;
    long long count = 0;
    fr_set_iter it;
    const char *p;
    size_t len;
    fr__set_iter_start(&it, sets[0]);
    while (fr__set_iter_next(&it, &p, &len)) {
        int j;
        for (j = 1; j < n; j++)
            if (sets[j] != sets[0] && !fr__set_has(sets[j], p, len))
                break;
        if (j < n)
            continue;
        count++;
        if (card) {
            if (limit && count >= limit)
                break;
        } else if (dst) {
            fr__set_add(&c->srv->cfg.enc, res, p, len);
        } else {
            fr__add_bulk(c, p, len);
        }
    }
    fr__set_iter_end(&it);
    free(sets);
    if (card)
        fr__add_ll(c, count);
    else if (dst)
        store_result(c, dst, res, "sinterstore");
    else
        fr__set_deferred(c, d, '~', count);
}

enum { OP_UNION, OP_DIFF };

/* Add o's members to res. *expect: the size res is expected to reach,
 * applied (and zeroed) once res has become a hashtable; 0: none. */
static void add_all(const fr_enc_limits *cfg, fr_obj *res, const fr_obj *o, size_t *expect)
{
    fr_set_iter it;
    const char *p;
    size_t len;
    fr__set_iter_start(&it, o);
    while (fr__set_iter_next(&it, &p, &len)) {
        fr__set_add(cfg, res, p, len);
        if (*expect && res->enc != FR_ENC_INTSET) {
            fr__set_expect(res, *expect);
            *expect = 0;
        }
    }
    fr__set_iter_end(&it);
}

/* How large a union of sets will be, to size its table once: the sum of
 * the sizes for a reply (the table is freed right after: a too large one
 * costs nothing), the largest (a lower bound) for a stored result, whose
 * table stays. */
static size_t union_expect(fr_obj *const *sets, int n, int store)
{
    size_t sum = 0, max = 0;
    for (int i = 0; i < n; i++) {
        if (!sets[i])
            continue;
        size_t len = fr__set_len(sets[i]);
        sum += len;
        if (len > max)
            max = len;
    }
    return store ? max : sum;
}

static void union_diff_generic(fr_conn *c, const fr_arg *keys, int n, const fr_arg *dst, int op)
{
    const fr_enc_limits *cfg = &c->srv->cfg.enc;
    fr_obj **sets = fr__xmalloc((size_t)n * sizeof *sets);
    if (!lookup_sets(c, keys, n, dst != NULL, sets)) {
        free(sets);
        return;
    }
    fr_obj *res = fr__set_new_intset();
    size_t expect = 0;
    if (op == OP_UNION) {
        expect = union_expect(sets, n, dst != NULL);
        for (int i = 0; i < n; i++)
            if (sets[i])
                add_all(cfg, res, sets[i], &expect);
    } else if (sets[0]) {
        /* Redis picks one of two algorithms by the work each would do;
         * the result is the same, but not always its encoding */
        long long one = 0, two = 0;
        for (int i = 0; i < n; i++) {
            if (!sets[i])
                continue;
            one += (long long)fr__set_len(sets[0]);
            two += (long long)fr__set_len(sets[i]);
        }
        one /= 2;
        fr_set_iter it;
        const char *p;
        size_t len;
        if (one <= two) {
            fr__set_iter_start(&it, sets[0]);
            while (fr__set_iter_next(&it, &p, &len)) {
                int j;
                for (j = 1; j < n; j++)
                    if (sets[j] && (sets[j] == sets[0] || fr__set_has(sets[j], p, len)))
                        break;
                if (j == n)
                    fr__set_add(cfg, res, p, len);
            }
            fr__set_iter_end(&it);
        } else {
            add_all(cfg, res, sets[0], &expect);
            for (int j = 1; j < n && fr__set_len(res); j++) {
                if (!sets[j])
                    continue;
                fr__set_iter_start(&it, sets[j]);
                while (fr__set_iter_next(&it, &p, &len))
                    if (fr__set_del(res, p, len) && !fr__set_len(res))
                        break;
                fr__set_iter_end(&it);
            }
        }
    }
    free(sets);
    if (dst) {
        store_result(c, dst, res, op == OP_UNION ? "sunionstore" : "sdiffstore");
        return;
    }
    reply_members(c, res, 1);
    fr__obj_free(res);
}

void fr__cmd_smembers(fr_conn *c)
{
    inter_generic(c, &c->argv[1], 1, NULL, 0, 0);
}

void fr__cmd_sinter(fr_conn *c)
{
    inter_generic(c, &c->argv[1], c->argc - 1, NULL, 0, 0);
}

void fr__cmd_sinterstore(fr_conn *c)
{
    inter_generic(c, &c->argv[2], c->argc - 2, &c->argv[1], 0, 0);
}

void fr__cmd_sintercard(fr_conn *c)
{
    long long numkeys, limit = 0;
    if (!fr__arg_ll_range(c, &c->argv[1], 1, LLONG_MAX, &numkeys,
                          "numkeys should be greater than 0"))
        return;
    if (numkeys > c->argc - 2) {
        fr__add_error(c, "Number of keys can't be greater than number of args");
        return;
    }
    for (int j = 2 + (int)numkeys; j < c->argc; j++) {
        int more = c->argc - 1 - j;
        if (fr__arg_is(&c->argv[j], "limit") && more) {
            j++;
            if (!fr__arg_ll_range(c, &c->argv[j], 0, LLONG_MAX, &limit, "LIMIT can't be negative"))
                return;
        } else {
            fr__add_error(c, fr__err_syntax);
            return;
        }
    }
    inter_generic(c, &c->argv[2], (int)numkeys, NULL, 1, limit);
}

void fr__cmd_sunion(fr_conn *c)
{
    union_diff_generic(c, &c->argv[1], c->argc - 1, NULL, OP_UNION);
}

void fr__cmd_sunionstore(fr_conn *c)
{
    union_diff_generic(c, &c->argv[2], c->argc - 2, &c->argv[1], OP_UNION);
}

void fr__cmd_sdiff(fr_conn *c)
{
    union_diff_generic(c, &c->argv[1], c->argc - 1, NULL, OP_DIFF);
}

void fr__cmd_sdiffstore(fr_conn *c)
{
    union_diff_generic(c, &c->argv[2], c->argc - 2, &c->argv[1], OP_DIFF);
}

/* ---- SSCAN ------------------------------------------------------------- */

static void scan_cb(void *priv, const fr_dict_entry *e)
{
    fr__scan_acc_add(priv, e->key, e->klen);
}

void fr__cmd_sscan(fr_conn *c)
{
    uint64_t cursor;
    fr_scan_opts opts;
    fr_obj *o = fr__scan_begin(c, FR_TYPE_SET, &cursor, &opts);
    if (!o)
        return;
    fr_scan_acc acc = {0};
    if (o->enc == FR_ENC_INTSET) {
        fr_set_iter it;
        const char *p;
        size_t len;
        fr__set_iter_start(&it, o);
        while (fr__set_iter_next(&it, &p, &len))
            fr__scan_acc_add(&acc, p, len);
        fr__set_iter_end(&it);
        cursor = 0;
    } else {
        cursor = fr__scan_dict(o->v.ptr, cursor, scan_cb, &acc, &opts, 1);
    }
    fr__scan_reply(c, cursor, &acc, &opts, 1, NULL, NULL);
    fr__scan_acc_free(&acc);
}
