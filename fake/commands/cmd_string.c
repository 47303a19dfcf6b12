/* Strings and bitmaps: GET/SET and friends, counters, ranges, LCS, and the
 * bit commands. Replies and error texts follow Redis 7.0. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "commands_private.h"
#include "core.h"
#include "commands.h"
#include "data.h"
#include "base.h"

static const char err_maxlen[] = "string exceeds maximum allowed size (proto-max-bulk-len)";
static const char err_bit_offset[] = "bit offset is not an integer or out of range";

/* The bytes of a string object, with storage for the int case. */
typedef struct strval {
    char tmp[24];
    const char *p;
    size_t len;
} strval;

static void str_view(const fr_obj *o, strval *s)
{
    s->p = fr__str_bytes(o, s->tmp, &s->len);
}

static void add_obj(fr_conn *c, const fr_obj *o)
{
    strval s;
    str_view(o, &s);
    fr__add_bulk(c, s.p, s.len);
}

static void add_empty_bulk(fr_conn *c)
{
    fr__add_bulk(c, "", 0);
}

static int check_string_length(fr_conn *c, long long size, long long append)
{
    long long total = size + append;
    if (total > c->srv->cfg.proto_max_bulk_len || total < size || total < append) {
        fr__add_error(c, err_maxlen);
        return 0;
    }
    return 1;
}

static void signal_and_notify(fr_conn *c, const fr_arg *key, int type, const char *event)
{
    fr__keyspace_modified(c->srv->ks, c->db, key->p, key->len);
    fr__keyspace_notify(c->srv->ks, type, event, key->p, key->len, c->db);
}

/* GET's reply. Returns 0 if it answered WRONGTYPE. */
static int get_generic(fr_conn *c)
{
    fr_obj *o = fr__lookup_read(c, &c->argv[1]);
    if (!o) {
        fr__add_null(c);
        return 1;
    }
    if (fr__check_type(c, o, FR_TYPE_STRING))
        return 0;
    add_obj(c, o);
    return 1;
}

void fr__cmd_get(fr_conn *c)
{
    get_generic(c);
}

/* ---- SET and its options ------------------------------------------------ */

enum {
    SET_NX = 1 << 0,
    SET_XX = 1 << 1,
    SET_GET = 1 << 2,
    SET_KEEPTTL = 1 << 3,
    SET_PERSIST = 1 << 4,
    SET_EX = 1 << 5,
    SET_PX = 1 << 6,
    SET_EXAT = 1 << 7,
    SET_PXAT = 1 << 8
};
#define SET_ANY_EXPIRE (SET_EX | SET_PX | SET_EXAT | SET_PXAT)

/* The option grammar of SET (for_set) and GETEX, as Redis checks it: an
 * option is refused (syntax error) when it conflicts with one seen before;
 * repeating the same expire option is allowed and the last one wins. */
static int parse_set_options(fr_conn *c, int start, int for_set, int *flags,
                             const fr_arg **expire)
{
    for (int j = start; j < c->argc; j++) {
        const fr_arg *a = &c->argv[j];
        int has_next = j < c->argc - 1;
        int f = *flags;
        if (for_set && fr__arg_is(a, "nx") && !(f & SET_XX)) {
            *flags |= SET_NX;
        } else if (for_set && fr__arg_is(a, "xx") && !(f & SET_NX)) {
            *flags |= SET_XX;
        } else if (for_set && fr__arg_is(a, "get")) {
            *flags |= SET_GET;
        } else if (for_set && fr__arg_is(a, "keepttl") && !(f & (SET_PERSIST | SET_ANY_EXPIRE))) {
            *flags |= SET_KEEPTTL;
        } else if (!for_set && fr__arg_is(a, "persist") &&
                   !(f & (SET_KEEPTTL | SET_ANY_EXPIRE))) {
            *flags |= SET_PERSIST;
        } else if (fr__arg_is(a, "ex") && !(f & (SET_KEEPTTL | SET_PERSIST)) &&
                   !(f & (SET_ANY_EXPIRE & ~SET_EX)) && has_next) {
            *flags |= SET_EX;
            *expire = &c->argv[++j];
        } else if (fr__arg_is(a, "px") && !(f & (SET_KEEPTTL | SET_PERSIST)) &&
                   !(f & (SET_ANY_EXPIRE & ~SET_PX)) && has_next) {
            *flags |= SET_PX;
            *expire = &c->argv[++j];
        } else if (fr__arg_is(a, "exat") && !(f & (SET_KEEPTTL | SET_PERSIST)) &&
                   !(f & (SET_ANY_EXPIRE & ~SET_EXAT)) && has_next) {
            *flags |= SET_EXAT;
            *expire = &c->argv[++j];
        } else if (fr__arg_is(a, "pxat") && !(f & (SET_KEEPTTL | SET_PERSIST)) &&
                   !(f & (SET_ANY_EXPIRE & ~SET_PXAT)) && has_next) {
            *flags |= SET_PXAT;
            *expire = &c->argv[++j];
        } else {
            fr__add_error(c, fr__err_syntax);
            return 0;
        }
    }
    return 1;
}

static void err_expire_time(fr_conn *c)
{
    fr__add_errorf(c, "invalid expire time in '%s' command", c->cmd->name);
}

/* The absolute expire time in ms for an EX/PX/EXAT/PXAT argument. */
static int expire_ms(fr_conn *c, const fr_arg *a, int flags, int64_t *out)
{
    long long v;
    if (!fr__arg_ll(c, a, &v))
        return 0;
    int seconds = (flags & (SET_EX | SET_EXAT)) != 0;
    if (v <= 0 || (seconds && v > LLONG_MAX / 1000)) {
        err_expire_time(c);
        return 0;
    }
    if (seconds)
        v *= 1000;
    if (flags & (SET_EX | SET_PX)) {
        int64_t now = fr__now_ms(c->srv);
        if (v > LLONG_MAX - now) {
            err_expire_time(c);
            return 0;
        }
        v += now;
    }
    *out = v;
    return 1;
}

/* SET's core, shared by SETNX, SETEX, PSETEX. abort_reply/ok_reply NULL:
 * null and +OK. */
static void set_generic(fr_conn *c, int flags, const fr_arg *key, const fr_arg *val,
                        const fr_arg *expire, void (*abort_reply)(fr_conn *),
                        void (*ok_reply)(fr_conn *))
{
    int64_t when = 0;
    if (expire && !expire_ms(c, expire, flags, &when))
        return;
    if ((flags & SET_GET) && !get_generic(c))
        return;
    int found = fr__lookup_write(c, key) != NULL;
    if (((flags & SET_NX) && found) || ((flags & SET_XX) && !found)) {
        if (!(flags & SET_GET)) {
            if (abort_reply)
                abort_reply(c);
            else
                fr__add_null(c);
        }
        return;
    }
    fr__db_set(c->srv->ks, c->db, key->p, key->len, fr__str_new(val->p, val->len),
               (flags & SET_KEEPTTL) != 0);
    fr__keyspace_notify(c->srv->ks, FR_NOTIFY_STRING, "set", key->p, key->len, c->db);
    if (expire) {
        fr__db_set_expire(c->srv->ks, c->db, key->p, key->len, when);
        fr__keyspace_notify(c->srv->ks, FR_NOTIFY_GENERIC, "expire", key->p, key->len, c->db);
    }
    if (!(flags & SET_GET)) {
        if (ok_reply)
            ok_reply(c);
        else
            fr__add_ok(c);
    }
}

void fr__cmd_set(fr_conn *c)
{
    int flags = 0;
    const fr_arg *expire = NULL;
    if (!parse_set_options(c, 3, 1, &flags, &expire))
        return;
    set_generic(c, flags, &c->argv[1], &c->argv[2], expire, NULL, NULL);
}

static void add_one(fr_conn *c)
{
    fr__add_ll(c, 1);
}

void fr__cmd_setnx(fr_conn *c)
{
    set_generic(c, SET_NX, &c->argv[1], &c->argv[2], NULL, fr__add_zero, add_one);
}

void fr__cmd_setex(fr_conn *c)
{
    set_generic(c, SET_EX, &c->argv[1], &c->argv[3], &c->argv[2], NULL, NULL);
}

void fr__cmd_psetex(fr_conn *c)
{
    set_generic(c, SET_PX, &c->argv[1], &c->argv[3], &c->argv[2], NULL, NULL);
}

void fr__cmd_getset(fr_conn *c)
{
    if (!get_generic(c))
        return;
    const fr_arg *k = &c->argv[1];
    fr__db_set(c->srv->ks, c->db, k->p, k->len, fr__str_new(c->argv[2].p, c->argv[2].len), 0);
    fr__keyspace_notify(c->srv->ks, FR_NOTIFY_STRING, "set", k->p, k->len, c->db);
}

void fr__cmd_getdel(fr_conn *c)
{
    if (!get_generic(c))
        return;
    const fr_arg *k = &c->argv[1];
    if (fr__db_delete(c->srv->ks, c->db, k->p, k->len))
        signal_and_notify(c, k, FR_NOTIFY_GENERIC, "del");
}

void fr__cmd_getex(fr_conn *c)
{
    int flags = 0;
    const fr_arg *expire = NULL;
    if (!parse_set_options(c, 2, 0, &flags, &expire))
        return;
    const fr_arg *k = &c->argv[1];
    fr_obj *o = fr__lookup_read(c, k);
    if (!o) {
        fr__add_null(c);
        return;
    }
    if (fr__check_type(c, o, FR_TYPE_STRING))
        return;
    int64_t when = 0;
    if (expire && !expire_ms(c, expire, flags, &when))
        return;
    add_obj(c, o);
    if ((flags & (SET_EXAT | SET_PXAT)) && when <= fr__now_ms(c->srv)) {
        fr__db_delete(c->srv->ks, c->db, k->p, k->len);
        signal_and_notify(c, k, FR_NOTIFY_GENERIC, "del");
    } else if (expire) {
        fr__db_set_expire(c->srv->ks, c->db, k->p, k->len, when);
        signal_and_notify(c, k, FR_NOTIFY_GENERIC, "expire");
    } else if (flags & SET_PERSIST) {
        if (fr__db_remove_expire(c->srv->ks, c->db, k->p, k->len))
            signal_and_notify(c, k, FR_NOTIFY_GENERIC, "persist");
    }
}

void fr__cmd_mget(fr_conn *c)
{
    fr__add_array(c, c->argc - 1);
    for (int j = 1; j < c->argc; j++) {
        fr_obj *o = fr__lookup_read(c, &c->argv[j]);
        if (!o || o->type != FR_TYPE_STRING)
            fr__add_null(c);
        else
            add_obj(c, o);
    }
}

static void mset_generic(fr_conn *c, int nx)
{
    if (c->argc % 2 == 0) {
        fr__add_errorf(c, "wrong number of arguments for '%s' command", c->cmd->name);
        return;
    }
    if (nx) {
        for (int j = 1; j < c->argc; j += 2) {
            if (fr__lookup_write(c, &c->argv[j])) {
                fr__add_ll(c, 0);
                return;
            }
        }
    }
    for (int j = 1; j < c->argc; j += 2) {
        const fr_arg *k = &c->argv[j], *v = &c->argv[j + 1];
        fr__db_set(c->srv->ks, c->db, k->p, k->len, fr__str_new(v->p, v->len), 0);
        fr__keyspace_notify(c->srv->ks, FR_NOTIFY_STRING, "set", k->p, k->len, c->db);
    }
    if (nx)
        fr__add_ll(c, 1);
    else
        fr__add_ok(c);
}

void fr__cmd_mset(fr_conn *c)
{
    mset_generic(c, 0);
}

void fr__cmd_msetnx(fr_conn *c)
{
    mset_generic(c, 1);
}

void fr__cmd_append(fr_conn *c)
{
    const fr_arg *k = &c->argv[1], *v = &c->argv[2];
    fr_obj *o = fr__lookup_write(c, k);
    size_t total;
    if (!o) {
        fr__db_add(c->srv->ks, c->db, k->p, k->len, fr__str_new(v->p, v->len));
        total = v->len;
    } else {
        if (fr__check_type(c, o, FR_TYPE_STRING))
            return;
        size_t cur = fr__str_len(o);
        if (!check_string_length(c, (long long)cur, (long long)v->len))
            return;
        fr_str *s = fr__str_make_raw(o, cur + v->len);
        memcpy(s->p + s->len, v->p, v->len);
        s->len += v->len;
        s->p[s->len] = '\0';
        total = s->len;
    }
    signal_and_notify(c, k, FR_NOTIFY_STRING, "append");
    fr__add_ll(c, (long long)total);
}

void fr__cmd_strlen(fr_conn *c)
{
    fr_obj *o = fr__lookup_read_or_reply(c, &c->argv[1], FR_TYPE_STRING, fr__add_zero);
    if (o)
        fr__add_ll(c, (long long)fr__str_len(o));
}

/* ---- counters ------------------------------------------------------------ */

static void incr_generic(fr_conn *c, long long incr)
{
    const fr_arg *k = &c->argv[1];
    fr_obj *o = fr__lookup_write(c, k);
    if (fr__check_type(c, o, FR_TYPE_STRING))
        return;
    long long value = 0;
    if (o && !fr__str_ll(o, &value)) {
        fr__add_error(c, fr__err_not_int);
        return;
    }
    if (__builtin_add_overflow(value, incr, &value)) {
        fr__add_error(c, fr__err_overflow);
        return;
    }
    if (o && o->enc == FR_ENC_INT) {
        o->v.ll = value; /* in place: keeps the TTL and the object */
    } else if (o) {
        fr__db_replace(c->srv->ks, c->db, k->p, k->len, fr__str_from_ll(value));
    } else {
        fr__db_add(c->srv->ks, c->db, k->p, k->len, fr__str_from_ll(value));
    }
    signal_and_notify(c, k, FR_NOTIFY_STRING, "incrby");
    fr__add_ll(c, value);
}

void fr__cmd_incr(fr_conn *c)
{
    incr_generic(c, 1);
}

void fr__cmd_decr(fr_conn *c)
{
    incr_generic(c, -1);
}

void fr__cmd_incrby(fr_conn *c)
{
    long long incr;
    if (!fr__arg_ll(c, &c->argv[2], &incr))
        return;
    incr_generic(c, incr);
}

void fr__cmd_decrby(fr_conn *c)
{
    long long incr;
    if (!fr__arg_ll(c, &c->argv[2], &incr))
        return;
    if (incr == LLONG_MIN) {
        fr__add_error(c, "decrement would overflow");
        return;
    }
    incr_generic(c, -incr);
}

void fr__cmd_incrbyfloat(fr_conn *c)
{
    const fr_arg *k = &c->argv[1];
    fr_obj *o = fr__lookup_write(c, k);
    if (fr__check_type(c, o, FR_TYPE_STRING))
        return;
    long double value = 0, incr;
    if (o) {
        if (o->enc == FR_ENC_INT) {
            value = (long double)o->v.ll;
        } else {
            strval s;
            str_view(o, &s);
            if (!fr__ld_parse(s.p, s.len, &value)) {
                fr__add_error(c, fr__err_not_float);
                return;
            }
        }
    }
    if (!fr__ld_parse(c->argv[2].p, c->argv[2].len, &incr)) {
        fr__add_error(c, fr__err_not_float);
        return;
    }
    char buf[FR_LD_MAX_CHARS + 64];
    int n = fr__ld_incr_or_reply(c, buf, sizeof buf, value, incr);
    if (n < 0)
        return;
    fr_obj *nv = fr__str_new_plain(buf, (size_t)n);
    if (o)
        fr__db_replace(c->srv->ks, c->db, k->p, k->len, nv);
    else
        fr__db_add(c->srv->ks, c->db, k->p, k->len, nv);
    signal_and_notify(c, k, FR_NOTIFY_STRING, "incrbyfloat");
    fr__add_bulk(c, buf, (size_t)n);
}

/* ---- ranges ---------------------------------------------------------------- */

/* GETRANGE, BITCOUNT and BITPOS read start/end over total bytes (or bits)
 * as Redis does for strings: negative counts from the end, then both are
 * clamped to [0, total - 1]; start > end afterwards means nothing. */
static void clamp_str_range(long long *start, long long *end, long long total)
{
    if (*start < 0)
        *start += total;
    if (*end < 0)
        *end += total;
    if (*start < 0)
        *start = 0;
    if (*end < 0)
        *end = 0;
    if (*end >= total)
        *end = total - 1;
}

void fr__cmd_getrange(fr_conn *c)
{
    long long start, end;
    if (!fr__arg_ll(c, &c->argv[2], &start) || !fr__arg_ll(c, &c->argv[3], &end))
        return;
    fr_obj *o = fr__lookup_read_or_reply(c, &c->argv[1], FR_TYPE_STRING, add_empty_bulk);
    if (!o)
        return;
    strval s;
    str_view(o, &s);
    long long len = (long long)s.len;
    if (start < 0 && end < 0 && start > end) {
        add_empty_bulk(c);
        return;
    }
    clamp_str_range(&start, &end, len);
    if (start > end || len == 0) {
        add_empty_bulk(c);
        return;
    }
    fr__add_bulk(c, s.p + start, (size_t)(end - start + 1));
}

void fr__cmd_substr(fr_conn *c)
{
    fr__cmd_getrange(c);
}

void fr__cmd_setrange(fr_conn *c)
{
    const fr_arg *k = &c->argv[1], *v = &c->argv[3];
    long long offset;
    if (!fr__arg_ll(c, &c->argv[2], &offset))
        return;
    if (offset < 0) {
        fr__add_error(c, "offset is out of range");
        return;
    }
    fr_obj *o = fr__lookup_write(c, k);
    if (!o) {
        if (v->len == 0) {
            fr__add_ll(c, 0);
            return;
        }
        if (!check_string_length(c, offset, (long long)v->len))
            return;
        o = fr__str_new_raw("", 0);
        fr__db_add(c->srv->ks, c->db, k->p, k->len, o);
    } else {
        if (fr__check_type(c, o, FR_TYPE_STRING))
            return;
        size_t olen = fr__str_len(o);
        if (v->len == 0) {
            fr__add_ll(c, (long long)olen);
            return;
        }
        if (!check_string_length(c, offset, (long long)v->len))
            return;
    }
    size_t need = (size_t)offset + v->len;
    fr_str *s = fr__str_make_raw(o, need);
    if (s->len < need) {
        memset(s->p + s->len, 0, need - s->len);
        s->len = need;
        s->p[need] = '\0';
    }
    memcpy(s->p + offset, v->p, v->len);
    signal_and_notify(c, k, FR_NOTIFY_STRING, "setrange");
    fr__add_ll(c, (long long)s->len);
}

/* ---- LCS --------------------------------------------------------------- */

void fr__cmd_lcs(fr_conn *c)
{
    fr_obj *oa = fr__lookup_read(c, &c->argv[1]);
    fr_obj *ob = fr__lookup_read(c, &c->argv[2]);
    if ((oa && oa->type != FR_TYPE_STRING) || (ob && ob->type != FR_TYPE_STRING)) {
        fr__add_error(c, "The specified keys must contain string values");
        return;
    }
    strval sa = {.p = "", .len = 0}, sb = {.p = "", .len = 0};
    if (oa)
        str_view(oa, &sa);
    if (ob)
        str_view(ob, &sb);
    int getidx = 0, getlen = 0, withmatchlen = 0;
    long long minmatchlen = 0;
    for (int j = 3; j < c->argc; j++) {
        const fr_arg *a = &c->argv[j];
        int more = c->argc - 1 - j;
        if (fr__arg_is(a, "idx")) {
            getidx = 1;
        } else if (fr__arg_is(a, "len")) {
            getlen = 1;
        } else if (fr__arg_is(a, "withmatchlen")) {
            withmatchlen = 1;
        } else if (fr__arg_is(a, "minmatchlen") && more) {
            if (!fr__arg_ll(c, &c->argv[j + 1], &minmatchlen))
                return;
            if (minmatchlen < 0)
                minmatchlen = 0;
            j++;
        } else {
            fr__add_error(c, fr__err_syntax);
            return;
        }
    }
    if (getidx && getlen) {
        fr__add_error(c, "If you want both the length and indexes, please just use IDX.");
        return;
    }
    if (sa.len >= UINT32_MAX - 1 || sb.len >= UINT32_MAX - 1) {
        fr__add_error(c, "String too long for LCS");
        return;
    }
    size_t alen = sa.len, blen = sb.len;
    const unsigned char *a = (const unsigned char *)sa.p, *b = (const unsigned char *)sb.p;
    /* dp[i][j]: LCS length of a[0..i) and b[0..j) */
    uint32_t *dp = fr__xmalloc((alen + 1) * (blen + 1) * sizeof *dp);
#define DP(i, j) dp[(size_t)(j) * (alen + 1) + (size_t)(i)]
    for (size_t i = 0; i <= alen; i++) {
        for (size_t j = 0; j <= blen; j++) {
            if (i == 0 || j == 0)
                DP(i, j) = 0;
            else if (a[i - 1] == b[j - 1])
                DP(i, j) = DP(i - 1, j - 1) + 1;
            else
                DP(i, j) = DP(i - 1, j) > DP(i, j - 1) ? DP(i - 1, j) : DP(i, j - 1);
        }
    }
    uint32_t total = DP(alen, blen);
    if (getlen && !getidx) {
        free(dp);
        fr__add_ll(c, total);
        return;
    }
    char *result = fr__xmalloc((size_t)total + 1);
    size_t deferred = 0;
    long long ranges = 0;
    if (getidx) {
        fr__add_map(c, 2);
        fr__add_bulk_cstr(c, "matches");
        deferred = fr__add_deferred(c);
    }
    /* Walk back from the end, collecting the common subsequence and its
     * maximal runs that are contiguous in both strings. */
    size_t i = alen, j = blen, idx = total;
    size_t as = alen, ae = 0, bs = 0, be = 0; /* as == alen: no run open */
    while (i > 0 && j > 0) {
        int emit = 0;
        if (a[i - 1] == b[j - 1]) {
            result[idx - 1] = (char)a[i - 1];
            if (as == alen) {
                as = ae = i - 1;
                bs = be = j - 1;
            } else if (as == i && bs == j) {
                as--;
                bs--;
            } else {
                emit = 1;
            }
            if (as == 0 || bs == 0)
                emit = 1;
            idx--;
            i--;
            j--;
        } else {
            if (DP(i - 1, j) > DP(i, j - 1))
                i--;
            else
                j--;
            if (as != alen)
                emit = 1;
        }
        if (emit) {
            long long mlen = (long long)(ae - as + 1);
            if (getidx && (minmatchlen == 0 || mlen >= minmatchlen)) {
                fr__add_array(c, 2 + withmatchlen);
                fr__add_array(c, 2);
                fr__add_ll(c, (long long)as);
                fr__add_ll(c, (long long)ae);
                fr__add_array(c, 2);
                fr__add_ll(c, (long long)bs);
                fr__add_ll(c, (long long)be);
                if (withmatchlen)
                    fr__add_ll(c, mlen);
                ranges++;
            }
            as = alen;
        }
    }
#undef DP
    free(dp);
    if (getidx) {
        fr__set_deferred(c, deferred, '*', ranges);
        fr__add_bulk_cstr(c, "len");
        fr__add_ll(c, total);
    } else {
        fr__add_bulk(c, result, total);
    }
    free(result);
}

/* ---- bits ------------------------------------------------------------------ */

/* A bit offset argument; with allow_hash, "#n" means n * bits. */
static int bit_offset(fr_conn *c, const fr_arg *a, int allow_hash, int bits, uint64_t *out)
{
    int usehash = allow_hash && bits > 0 && a->len > 0 && a->p[0] == '#';
    long long v;
    if (!fr__str2ll(a->p + usehash, a->len - (size_t)usehash, &v)) {
        fr__add_error(c, err_bit_offset);
        return 0;
    }
    if (usehash && __builtin_mul_overflow(v, (long long)bits, &v)) {
        fr__add_error(c, err_bit_offset);
        return 0;
    }
    if (v < 0 || (v >> 3) >= c->srv->cfg.proto_max_bulk_len) {
        fr__add_error(c, err_bit_offset);
        return 0;
    }
    *out = (uint64_t)v;
    return 1;
}

/* The string at key for a bit write, created or grown (zero-filled) to
 * hold bit maxbit; *dirty tells whether it was (Redis then counts the
 * write as a change even if no bit flips). NULL when it answered (wrong
 * type). */
static fr_obj *string_for_bit_write(fr_conn *c, uint64_t maxbit, int *dirty)
{
    const fr_arg *k = &c->argv[1];
    size_t byte = (size_t)(maxbit >> 3);
    fr_obj *o = fr__lookup_write(c, k);
    *dirty = 0;
    if (!o) {
        o = fr__str_new_raw("", 0);
        fr__db_add(c->srv->ks, c->db, k->p, k->len, o);
        *dirty = 1;
    } else if (fr__check_type(c, o, FR_TYPE_STRING)) {
        return NULL;
    }
    fr_str *s = fr__str_make_raw(o, byte + 1);
    if (s->len < byte + 1) {
        memset(s->p + s->len, 0, byte + 1 - s->len);
        s->len = byte + 1;
        s->p[s->len] = '\0';
        *dirty = 1;
    }
    return o;
}

void fr__cmd_setbit(fr_conn *c)
{
    uint64_t off;
    if (!bit_offset(c, &c->argv[2], 0, 0, &off))
        return;
    long long on;
    if (!fr__str2ll(c->argv[3].p, c->argv[3].len, &on) || (on & ~1LL)) {
        fr__add_error(c, "bit is not an integer or out of range");
        return;
    }
    int dirty;
    fr_obj *o = string_for_bit_write(c, off, &dirty);
    if (!o)
        return;
    fr_str *s = o->v.ptr;
    size_t byte = (size_t)(off >> 3);
    int bit = 7 - (int)(off & 7);
    unsigned char v = (unsigned char)s->p[byte];
    int old = (v >> bit) & 1;
    if (dirty || old != on) {
        v = (unsigned char)((v & ~(1u << bit)) | ((unsigned)on << bit));
        s->p[byte] = (char)v;
        signal_and_notify(c, &c->argv[1], FR_NOTIFY_STRING, "setbit");
    }
    fr__add_ll(c, old);
}

void fr__cmd_getbit(fr_conn *c)
{
    uint64_t off;
    if (!bit_offset(c, &c->argv[2], 0, 0, &off))
        return;
    fr_obj *o = fr__lookup_read_or_reply(c, &c->argv[1], FR_TYPE_STRING, fr__add_zero);
    if (!o)
        return;
    strval s;
    str_view(o, &s);
    size_t byte = (size_t)(off >> 3);
    int bit = 0;
    if (byte < s.len)
        bit = ((unsigned char)s.p[byte] >> (7 - (off & 7))) & 1;
    fr__add_ll(c, bit);
}

static long long popcount(const unsigned char *p, size_t n)
{
    long long count = 0;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        count += __builtin_popcountll(w);
        p += 8;
        n -= 8;
    }
    while (n--)
        count += __builtin_popcount(*p++);
    return count;
}

/* BYTE/BIT unit argument. Returns -1 after answering a syntax error. */
static int parse_unit(fr_conn *c, const fr_arg *a)
{
    if (fr__arg_is(a, "bit"))
        return 1;
    if (fr__arg_is(a, "byte"))
        return 0;
    fr__add_error(c, fr__err_syntax);
    return -1;
}

void fr__cmd_bitcount(fr_conn *c)
{
    fr_obj *o = fr__lookup_read_or_reply(c, &c->argv[1], FR_TYPE_STRING, fr__add_zero);
    if (!o)
        return;
    strval s;
    str_view(o, &s);
    const unsigned char *p = (const unsigned char *)s.p;
    long long start, end;
    int isbit = 0;
    if (c->argc == 4 || c->argc == 5) {
        if (!fr__arg_ll(c, &c->argv[2], &start) || !fr__arg_ll(c, &c->argv[3], &end))
            return;
        if (c->argc == 5 && (isbit = parse_unit(c, &c->argv[4])) < 0)
            return;
        long long total = (long long)s.len * (isbit ? 8 : 1);
        if (start < 0 && end < 0 && start > end) {
            fr__add_ll(c, 0);
            return;
        }
        clamp_str_range(&start, &end, total);
    } else if (c->argc == 2) {
        start = 0;
        end = (long long)s.len - 1;
    } else {
        fr__add_error(c, fr__err_syntax);
        return;
    }
    if (start > end) {
        fr__add_ll(c, 0);
        return;
    }
    if (!isbit) {
        fr__add_ll(c, popcount(p + start, (size_t)(end - start + 1)));
        return;
    }
    /* Count whole bytes, then take away the bits outside [start, end] in
     * the first and last byte. */
    long long sb = start >> 3, eb = end >> 3;
    long long count = popcount(p + sb, (size_t)(eb - sb + 1));
    unsigned head = (unsigned)(0xff00 >> (start & 7)) & 0xff; /* bits before start */
    unsigned tail = (1u << (7 - (end & 7))) - 1;                 /* bits after end */
    count -= __builtin_popcount(p[sb] & head);
    count -= __builtin_popcount(p[eb] & tail);
    fr__add_ll(c, count);
}

void fr__cmd_bitpos(fr_conn *c)
{
    long long bit;
    if (!fr__arg_ll(c, &c->argv[2], &bit))
        return;
    if (bit != 0 && bit != 1) {
        fr__add_error(c, "The bit argument must be 1 or 0.");
        return;
    }
    fr_obj *o = fr__lookup_read(c, &c->argv[1]);
    if (!o) {
        fr__add_ll(c, bit ? -1 : 0);
        return;
    }
    if (fr__check_type(c, o, FR_TYPE_STRING))
        return;
    strval s;
    str_view(o, &s);
    const unsigned char *p = (const unsigned char *)s.p;
    long long start, end, total = (long long)s.len;
    int isbit = 0, end_given = 0;
    if (c->argc >= 4 && c->argc <= 6) {
        if (!fr__arg_ll(c, &c->argv[3], &start))
            return;
        if (c->argc == 6 && (isbit = parse_unit(c, &c->argv[5])) < 0)
            return;
        if (c->argc >= 5) {
            if (!fr__arg_ll(c, &c->argv[4], &end))
                return;
            end_given = 1;
        } else {
            end = isbit ? total * 8 + 7 : total - 1;
        }
        if (isbit)
            total *= 8;
        clamp_str_range(&start, &end, total);
    } else if (c->argc == 3) {
        start = 0;
        end = total - 1;
    } else {
        fr__add_error(c, fr__err_syntax);
        return;
    }
    if (start > end) {
        fr__add_ll(c, -1);
        return;
    }
    /* Work in bits over [first, last]. */
    long long first = isbit ? start : start * 8;
    long long last = isbit ? end : end * 8 + 7;
    for (long long b = first; b <= last;) {
        if ((b & 7) == 0 && b + 7 <= last) {
            unsigned char byte = p[b >> 3];
            if ((bit && byte == 0) || (!bit && byte == 0xff)) {
                b += 8;
                continue;
            }
        }
        int v = (p[b >> 3] >> (7 - (b & 7))) & 1;
        if (v == bit) {
            fr__add_ll(c, b);
            return;
        }
        b++;
    }
    /* Not found. Looking for a clear bit without an explicit end, the
     * string counts as padded with zeros: the next bit is the answer. */
    if (bit == 1 || end_given)
        fr__add_ll(c, -1);
    else
        fr__add_ll(c, last + 1);
}

void fr__cmd_bitop(fr_conn *c)
{
    const fr_arg *opa = &c->argv[1];
    enum { AND, OR, XOR, NOT } op;
    if (fr__arg_is(opa, "and"))
        op = AND;
    else if (fr__arg_is(opa, "or"))
        op = OR;
    else if (fr__arg_is(opa, "xor"))
        op = XOR;
    else if (fr__arg_is(opa, "not"))
        op = NOT;
    else {
        fr__add_error(c, fr__err_syntax);
        return;
    }
    if (op == NOT && c->argc != 4) {
        fr__add_error(c, "BITOP NOT must be called with a single source key.");
        return;
    }
    int n = c->argc - 3;
    strval *src = fr__xcalloc((size_t)n, sizeof *src);
    size_t maxlen = 0;
    for (int j = 0; j < n; j++) {
        fr_obj *o = fr__lookup_read(c, &c->argv[j + 3]);
        if (!o) {
            src[j].p = "";
            src[j].len = 0;
            continue;
        }
        if (fr__check_type(c, o, FR_TYPE_STRING)) {
            free(src);
            return;
        }
        str_view(o, &src[j]);
        if (src[j].len > maxlen)
            maxlen = src[j].len;
    }
    const fr_arg *dk = &c->argv[2];
    if (maxlen) {
        fr_obj *res = fr__str_new_raw("", 0);
        fr_str *out = fr__str_make_raw(res, maxlen);
        for (size_t i = 0; i < maxlen; i++) {
            unsigned char v = i < src[0].len ? (unsigned char)src[0].p[i] : 0;
            if (op == NOT)
                v = (unsigned char)~v;
            for (int j = 1; j < n; j++) {
                unsigned char b = i < src[j].len ? (unsigned char)src[j].p[i] : 0;
                if (op == AND)
                    v &= b;
                else if (op == OR)
                    v |= b;
                else
                    v ^= b;
            }
            out->p[i] = (char)v;
        }
        out->len = maxlen;
        out->p[maxlen] = '\0';
        free(src);
        fr__db_set(c->srv->ks, c->db, dk->p, dk->len, res, 0);
        fr__keyspace_notify(c->srv->ks, FR_NOTIFY_STRING, "set", dk->p, dk->len, c->db);
    } else {
        free(src);
        if (fr__db_delete(c->srv->ks, c->db, dk->p, dk->len))
            signal_and_notify(c, dk, FR_NOTIFY_GENERIC, "del");
    }
    fr__add_ll(c, (long long)maxlen);
}

/* ---- BITFIELD -------------------------------------------------------------- */

enum { OV_WRAP, OV_SAT, OV_FAIL };
enum { BF_GET, BF_SET, BF_INCRBY };

typedef struct bf_op {
    uint64_t offset;
    int64_t value;
    int opcode, sign, bits, overflow;
} bf_op;

static uint64_t get_ubits(const unsigned char *p, uint64_t off, int bits)
{
    uint64_t v = 0;
    for (int i = 0; i < bits; i++, off++) {
        int b = (p[off >> 3] >> (7 - (off & 7))) & 1;
        v = (v << 1) | (uint64_t)b;
    }
    return v;
}

static int64_t get_sbits(const unsigned char *p, uint64_t off, int bits)
{
    uint64_t v = get_ubits(p, off, bits);
    if (bits < 64 && (v & ((uint64_t)1 << (bits - 1))))
        v |= ~(uint64_t)0 << bits;
    return (int64_t)v;
}

static void set_bits(unsigned char *p, uint64_t off, int bits, uint64_t v)
{
    for (int i = bits - 1; i >= 0; i--, off++) {
        int b = (v >> i) & 1;
        unsigned mask = 1u << (7 - (off & 7));
        if (b)
            p[off >> 3] = (unsigned char)(p[off >> 3] | mask);
        else
            p[off >> 3] = (unsigned char)(p[off >> 3] & ~mask);
    }
}

/* value + incr in a signed field of `bits`: returns 0, or 1/-1 on
 * overflow/underflow with *limit set to what WRAP or SAT stores. */
static int signed_overflow(int64_t value, int64_t incr, int bits, int ov, int64_t *limit)
{
    int64_t max = bits == 64 ? INT64_MAX : (((int64_t)1 << (bits - 1)) - 1);
    int64_t min = -max - 1;
    int64_t maxincr = (int64_t)((uint64_t)max - (uint64_t)value);
    int64_t minincr = (int64_t)((uint64_t)min - (uint64_t)value);
    int dir = 0;
    if (value > max || (bits != 64 && incr > maxincr) ||
        (value >= 0 && incr > 0 && incr > maxincr))
        dir = 1;
    else if (value < min || (bits != 64 && incr < minincr) ||
             (value < 0 && incr < 0 && incr < minincr))
        dir = -1;
    if (!dir)
        return 0;
    if (ov == OV_WRAP) {
        uint64_t r = (uint64_t)value + (uint64_t)incr;
        if (bits < 64) {
            uint64_t mask = ~(uint64_t)0 << bits;
            if (r & ((uint64_t)1 << (bits - 1)))
                r |= mask;
            else
                r &= ~mask;
        }
        *limit = (int64_t)r;
    } else if (ov == OV_SAT) {
        *limit = dir > 0 ? max : min;
    }
    return dir;
}

static int unsigned_overflow(uint64_t value, int64_t incr, int bits, int ov, uint64_t *limit)
{
    uint64_t max = bits == 64 ? UINT64_MAX : (((uint64_t)1 << bits) - 1);
    int64_t maxincr = (int64_t)(max - value);
    int64_t minincr = -(int64_t)value;
    int dir = 0;
    if (value > max || (incr > 0 && incr > maxincr))
        dir = 1;
    else if (incr < 0 && incr < minincr)
        dir = -1;
    if (!dir)
        return 0;
    if (ov == OV_WRAP)
        *limit = (value + (uint64_t)incr) & ~(~(uint64_t)0 << bits);
    else if (ov == OV_SAT)
        *limit = dir > 0 ? max : 0;
    return dir;
}

static int bitfield_type(fr_conn *c, const fr_arg *a, int *sign, int *bits)
{
    static const char err[] =
        "Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but "
        "i64 is.";
    long long n;
    if (a->len < 1 || (a->p[0] != 'i' && a->p[0] != 'u')) {
        fr__add_error(c, err);
        return 0;
    }
    *sign = a->p[0] == 'i';
    if (!fr__str2ll(a->p + 1, a->len - 1, &n) || n < 1 || (*sign && n > 64) ||
        (!*sign && n > 63)) {
        fr__add_error(c, err);
        return 0;
    }
    *bits = (int)n;
    return 1;
}

static void bitfield_generic(fr_conn *c, int readonly_cmd)
{
    bf_op *ops = NULL;
    int nops = 0, cap = 0, ov = OV_WRAP, readonly = 1, dirty = 0;
    uint64_t highest = 0;
    for (int j = 2; j < c->argc; j++) {
        int rem = c->argc - j - 1;
        const fr_arg *a = &c->argv[j];
        int opcode;
        if (fr__arg_is(a, "get") && rem >= 2) {
            opcode = BF_GET;
        } else if (fr__arg_is(a, "set") && rem >= 3) {
            opcode = BF_SET;
        } else if (fr__arg_is(a, "incrby") && rem >= 3) {
            opcode = BF_INCRBY;
        } else if (fr__arg_is(a, "overflow") && rem >= 1) {
            const fr_arg *t = &c->argv[++j];
            if (fr__arg_is(t, "wrap"))
                ov = OV_WRAP;
            else if (fr__arg_is(t, "sat"))
                ov = OV_SAT;
            else if (fr__arg_is(t, "fail"))
                ov = OV_FAIL;
            else {
                fr__add_error(c, "Invalid OVERFLOW type specified");
                free(ops);
                return;
            }
            continue;
        } else {
            fr__add_error(c, fr__err_syntax);
            free(ops);
            return;
        }
        bf_op op = {0};
        op.opcode = opcode;
        op.overflow = ov;
        if (!bitfield_type(c, &c->argv[j + 1], &op.sign, &op.bits) ||
            !bit_offset(c, &c->argv[j + 2], 1, op.bits, &op.offset)) {
            free(ops);
            return;
        }
        if (opcode != BF_GET) {
            readonly = 0;
            if (highest < op.offset + (uint64_t)op.bits - 1)
                highest = op.offset + (uint64_t)op.bits - 1;
            long long v;
            if (!fr__arg_ll(c, &c->argv[j + 3], &v)) {
                free(ops);
                return;
            }
            op.value = v;
        }
        if (nops == cap) {
            cap = cap ? cap * 2 : 4;
            ops = fr__xrealloc(ops, (size_t)cap * sizeof *ops);
        }
        ops[nops++] = op;
        j += opcode == BF_GET ? 2 : 3;
    }
    fr_obj *o;
    if (readonly) {
        o = fr__lookup_read(c, &c->argv[1]);
        if (fr__check_type(c, o, FR_TYPE_STRING)) {
            free(ops);
            return;
        }
    } else {
        if (readonly_cmd) {
            free(ops);
            fr__add_error(c, "BITFIELD_RO only supports the GET subcommand");
            return;
        }
        o = string_for_bit_write(c, highest, &dirty);
        if (!o) {
            free(ops);
            return;
        }
    }
    fr__add_array(c, nops);
    int changes = 0;
    for (int j = 0; j < nops; j++) {
        bf_op *op = &ops[j];
        if (op->opcode == BF_GET) {
            /* Read through a zero-padded copy of the 9 bytes around the
             * field, so fields past the end read as zeros. */
            unsigned char buf[9] = {0};
            if (o) {
                strval s;
                str_view(o, &s);
                uint64_t byte = op->offset >> 3;
                for (int i = 0; i < 9 && byte + (uint64_t)i < s.len; i++)
                    buf[i] = (unsigned char)s.p[byte + (uint64_t)i];
            }
            uint64_t rel = op->offset & 7;
            if (op->sign)
                fr__add_ll(c, get_sbits(buf, rel, op->bits));
            else
                fr__add_ll(c, (long long)get_ubits(buf, rel, op->bits));
            continue;
        }
        unsigned char *p = (unsigned char *)((fr_str *)o->v.ptr)->p;
        if (op->sign) {
            int64_t old = get_sbits(p, op->offset, op->bits), nv, lim = 0;
            int over;
            if (op->opcode == BF_INCRBY) {
                over = signed_overflow(old, op->value, op->bits, op->overflow, &lim);
                nv = over ? lim : (int64_t)((uint64_t)old + (uint64_t)op->value);
            } else {
                over = signed_overflow(op->value, 0, op->bits, op->overflow, &lim);
                nv = over ? lim : op->value;
            }
            if (over && op->overflow == OV_FAIL) {
                fr__add_null(c);
            } else {
                fr__add_ll(c, op->opcode == BF_INCRBY ? nv : old);
                set_bits(p, op->offset, op->bits, (uint64_t)nv);
                if (dirty || old != nv)
                    changes++;
            }
        } else {
            uint64_t old = get_ubits(p, op->offset, op->bits), nv, lim = 0;
            int over;
            if (op->opcode == BF_INCRBY) {
                over = unsigned_overflow(old, op->value, op->bits, op->overflow, &lim);
                nv = over ? lim : old + (uint64_t)op->value;
            } else {
                over = unsigned_overflow((uint64_t)op->value, 0, op->bits, op->overflow, &lim);
                nv = over ? lim : (uint64_t)op->value;
            }
            if (over && op->overflow == OV_FAIL) {
                fr__add_null(c);
            } else {
                fr__add_ll(c, (long long)(op->opcode == BF_INCRBY ? nv : old));
                set_bits(p, op->offset, op->bits, nv);
                if (dirty || old != nv)
                    changes++;
            }
        }
    }
    if (changes)
        signal_and_notify(c, &c->argv[1], FR_NOTIFY_STRING, "setbit");
    free(ops);
}

void fr__cmd_bitfield(fr_conn *c)
{
    bitfield_generic(c, 0);
}

void fr__cmd_bitfield_ro(fr_conn *c)
{
    bitfield_generic(c, 1);
}
