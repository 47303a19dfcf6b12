/* Keys and the keyspace: DEL, EXISTS, TYPE, KEYS, SCAN, RANDOMKEY, RENAME,
 * COPY, MOVE, TOUCH, OBJECT, DBSIZE, FLUSHDB/FLUSHALL, SWAPDB, SORT,
 * DUMP/RESTORE, and the expire commands. Replies follow Redis 7.0. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "acl_engine.h"
#include "commands_private.h"
#include "core.h"
#include "commands.h"
#include "data.h"
#include "base.h"

static const char err_same_object[] = "source and destination objects are the same";

static void signal_and_notify(fr_conn *c, int db, const fr_arg *key, int type,
                              const char *event)
{
    fr__keyspace_modified(c->srv->ks, db, key->p, key->len);
    fr__keyspace_notify(c->srv->ks, type, event, key->p, key->len, db);
}

/* An int argument (Redis' getIntFromObjectOrReply). */
static int arg_int(fr_conn *c, const fr_arg *a, int *out, const char *msg)
{
    long long v;
    if (!fr__str2ll(a->p, a->len, &v) || v < INT_MIN || v > INT_MAX) {
        fr__add_error(c, msg ? msg : fr__err_not_int);
        return 0;
    }
    *out = (int)v;
    return 1;
}

static int db_valid(fr_conn *c, int id)
{
    return id >= 0 && id < c->srv->ks->n;
}

/* ---- DEL, EXISTS, TYPE, TOUCH ------------------------------------------- */

static void del_generic(fr_conn *c)
{
    long long deleted = 0;
    for (int j = 1; j < c->argc; j++) {
        const fr_arg *k = &c->argv[j];
        fr__db_expire_if_needed(c->srv->ks, c->db, k->p, k->len);
        if (fr__db_delete(c->srv->ks, c->db, k->p, k->len)) {
            signal_and_notify(c, c->db, k, FR_NOTIFY_GENERIC, "del");
            deleted++;
        }
    }
    fr__add_ll(c, deleted);
}

void fr__cmd_del(fr_conn *c)
{
    del_generic(c);
}

void fr__cmd_unlink(fr_conn *c)
{
    del_generic(c);
}

void fr__cmd_exists(fr_conn *c)
{
    long long n = 0;
    for (int j = 1; j < c->argc; j++)
        if (fr__db_lookup(c->srv->ks, c->db, c->argv[j].p, c->argv[j].len, FR_LOOKUP_NOTOUCH))
            n++;
    fr__add_ll(c, n);
}

void fr__cmd_touch(fr_conn *c)
{
    long long n = 0;
    for (int j = 1; j < c->argc; j++)
        if (fr__lookup_read(c, &c->argv[j]))
            n++;
    fr__add_ll(c, n);
}

void fr__cmd_type(fr_conn *c)
{
    fr_obj *o = fr__db_lookup(c->srv->ks, c->db, c->argv[1].p, c->argv[1].len, FR_LOOKUP_NOTOUCH);
    fr__add_status(c, o ? fr__type_name(o->type) : "none");
}

/* ---- KEYS, SCAN, RANDOMKEY ------------------------------------------------ */

void fr__cmd_keys(fr_conn *c)
{
    const fr_arg *pat = &c->argv[1];
    int all = pat->len == 1 && pat->p[0] == '*';
    fr_db *d = fr__db(c->srv->ks, c->db);
    /* Every key matches and none can be expired: the count is known, so
     * the header goes first instead of being slid in front of a reply of
     * a million keys afterwards. */
    int known = all && fr__dict_size(&d->expires) == 0;
    size_t deferred = 0, start = c->reply.len, total = fr__dict_size(&d->keys);
    if (known)
        fr__add_array(c, (long long)total);
    else
        deferred = fr__add_deferred(c);
    long long n = 0;
    fr_dict_iter it;
    fr_dict_entry *e;
    fr__dict_iter_start(&it, &d->keys);
    while ((e = fr__dict_iter_next(&it))) {
        if (!all && !fr__glob_match(pat->p, pat->len, e->key, e->klen, 0))
            continue;
        if (!known && fr__db_is_expired(c->srv->ks, c->db, e->key, e->klen))
            continue;
        fr__add_bulk(c, e->key, e->klen);
        if (++n == 64 && known)
            fr__reply_expect(c, start, 64, total);
    }
    fr__dict_iter_end(&it);
    if (!known)
        fr__set_deferred(c, deferred, '*', n);
}

static void scan_cb(void *priv, const fr_dict_entry *e)
{
    fr__scan_acc_add(priv, e->key, e->klen);
}

/* SCAN's filters past MATCH: TYPE, then expiry (which deletes the key). */
static int scan_keep(fr_conn *c, const char *k, size_t kl, const void *priv)
{
    const fr_arg *type = priv;
    if (type) {
        fr_obj *o = fr__db_lookup(c->srv->ks, c->db, k, kl, FR_LOOKUP_NOTOUCH);
        const char *tn = o ? fr__type_name(o->type) : "none";
        if (type->len != strlen(tn) || strncasecmp(type->p, tn, type->len) != 0)
            return 0;
    }
    return !fr__db_expire_if_needed(c->srv->ks, c->db, k, kl);
}

void fr__cmd_scan(fr_conn *c)
{
    uint64_t cursor;
    fr_scan_opts opts;
    if (!fr__scan_cursor(c, &c->argv[1], &cursor) || !fr__scan_opts(c, 2, 1, &opts))
        return;
    fr_db *d = fr__db(c->srv->ks, c->db);
    fr_scan_acc acc = {0};
    cursor = fr__scan_dict(&d->keys, cursor, scan_cb, &acc, &opts, 1);
    fr__scan_reply(c, cursor, &acc, &opts, 1, scan_keep, opts.type);
    fr__scan_acc_free(&acc);
}

void fr__cmd_randomkey(fr_conn *c)
{
    fr_db *d = fr__db(c->srv->ks, c->db);
    /* Expired keys met on the way are deleted, so this ends: with a live
     * key, or with an empty database. */
    while (fr__dict_size(&d->keys)) {
        fr_dict_entry *e = fr__dict_random(&d->keys);
        char small[128];
        size_t kl = e->klen;
        char *k = kl < sizeof small ? small : fr__xmalloc(kl + 1);
        memcpy(k, e->key, kl);
        if (!fr__db_expire_if_needed(c->srv->ks, c->db, k, kl)) {
            fr__add_bulk(c, k, kl);
            if (k != small)
                free(k);
            return;
        }
        if (k != small)
            free(k);
    }
    fr__add_null(c);
}

/* ---- RENAME, COPY, MOVE -------------------------------------------------- */

static void rename_generic(fr_conn *c, int nx)
{
    const fr_arg *src = &c->argv[1], *dst = &c->argv[2];
    int same = src->len == dst->len && memcmp(src->p, dst->p, src->len) == 0;
    if (!fr__lookup_write(c, src)) {
        fr__add_error(c, fr__err_no_such_key);
        return;
    }
    if (same) {
        if (nx)
            fr__add_ll(c, 0);
        else
            fr__add_ok(c);
        return;
    }
    if (fr__lookup_write(c, dst)) {
        if (nx) {
            fr__add_ll(c, 0);
            return;
        }
        fr__db_delete(c->srv->ks, c->db, dst->p, dst->len);
    }
    int64_t expire;
    fr_obj *o = fr__db_take(c->srv->ks, c->db, src->p, src->len, &expire);
    fr__db_add(c->srv->ks, c->db, dst->p, dst->len, o);
    if (expire != -1)
        fr__db_set_expire(c->srv->ks, c->db, dst->p, dst->len, expire);
    fr__keyspace_modified(c->srv->ks, c->db, src->p, src->len);
    fr__keyspace_modified(c->srv->ks, c->db, dst->p, dst->len);
    fr__keyspace_notify(c->srv->ks, FR_NOTIFY_GENERIC, "rename_from", src->p, src->len, c->db);
    fr__keyspace_notify(c->srv->ks, FR_NOTIFY_GENERIC, "rename_to", dst->p, dst->len, c->db);
    if (nx)
        fr__add_ll(c, 1);
    else
        fr__add_ok(c);
}

void fr__cmd_rename(fr_conn *c)
{
    rename_generic(c, 0);
}

void fr__cmd_renamenx(fr_conn *c)
{
    rename_generic(c, 1);
}

void fr__cmd_copy(fr_conn *c)
{
    int dstdb = c->db, replace = 0;
    for (int j = 3; j < c->argc; j++) {
        const fr_arg *a = &c->argv[j];
        if (fr__arg_is(a, "replace")) {
            replace = 1;
        } else if (fr__arg_is(a, "db") && j + 1 < c->argc) {
            if (!arg_int(c, &c->argv[j + 1], &dstdb, NULL))
                return;
            if (!db_valid(c, dstdb)) {
                fr__add_error(c, fr__err_db_index);
                return;
            }
            j++;
        } else {
            fr__add_error(c, fr__err_syntax);
            return;
        }
    }
    const fr_arg *src = &c->argv[1], *dst = &c->argv[2];
    if (dstdb == c->db && src->len == dst->len && !memcmp(src->p, dst->p, src->len)) {
        fr__add_error(c, err_same_object);
        return;
    }
    fr_obj *o = fr__lookup_read(c, src);
    if (!o) {
        fr__add_ll(c, 0);
        return;
    }
    int64_t expire = fr__db_get_expire(c->srv->ks, c->db, src->p, src->len);
    int exists = fr__db_lookup(c->srv->ks, dstdb, dst->p, dst->len,
                               FR_LOOKUP_NOSTATS | FR_LOOKUP_NONOTIFY) != NULL;
    if (exists && !replace) {
        fr__add_ll(c, 0);
        return;
    }
    fr_obj *copy = fr__obj_dup(o);
    if (!copy) {
        fr__add_error(c, "COPY is not supported for this type yet");
        return;
    }
    if (exists)
        fr__db_delete(c->srv->ks, dstdb, dst->p, dst->len);
    fr__db_add(c->srv->ks, dstdb, dst->p, dst->len, copy);
    if (expire != -1)
        fr__db_set_expire(c->srv->ks, dstdb, dst->p, dst->len, expire);
    signal_and_notify(c, dstdb, dst, FR_NOTIFY_GENERIC, "copy_to");
    fr__add_ll(c, 1);
}

void fr__cmd_move(fr_conn *c)
{
    int dstdb;
    if (!arg_int(c, &c->argv[2], &dstdb, NULL))
        return;
    if (!db_valid(c, dstdb)) {
        fr__add_error(c, fr__err_db_index);
        return;
    }
    if (dstdb == c->db) {
        fr__add_error(c, err_same_object);
        return;
    }
    const fr_arg *k = &c->argv[1];
    if (!fr__lookup_write(c, k)) {
        fr__add_ll(c, 0);
        return;
    }
    if (fr__db_lookup(c->srv->ks, dstdb, k->p, k->len, FR_LOOKUP_NOSTATS | FR_LOOKUP_NONOTIFY)) {
        fr__add_ll(c, 0);
        return;
    }
    int64_t expire;
    fr_obj *o = fr__db_take(c->srv->ks, c->db, k->p, k->len, &expire);
    fr__db_add(c->srv->ks, dstdb, k->p, k->len, o);
    if (expire != -1)
        fr__db_set_expire(c->srv->ks, dstdb, k->p, k->len, expire);
    fr__keyspace_modified(c->srv->ks, c->db, k->p, k->len);
    fr__keyspace_modified(c->srv->ks, dstdb, k->p, k->len);
    fr__keyspace_notify(c->srv->ks, FR_NOTIFY_GENERIC, "move_from", k->p, k->len, c->db);
    fr__keyspace_notify(c->srv->ks, FR_NOTIFY_GENERIC, "move_to", k->p, k->len, dstdb);
    fr__add_ll(c, 1);
}

/* ---- DBSIZE, FLUSHDB, FLUSHALL, SWAPDB ------------------------------------ */

void fr__cmd_dbsize(fr_conn *c)
{
    fr__add_ll(c, (long long)fr__db_size(c->srv->ks, c->db));
}

/* [ASYNC|SYNC]: both run synchronously here, the reply is the same. */
static int flush_flags_ok(fr_conn *c)
{
    if (c->argc == 1)
        return 1;
    if (c->argc > 2 || (!fr__arg_is(&c->argv[1], "sync") && !fr__arg_is(&c->argv[1], "async"))) {
        fr__add_error(c, fr__err_syntax);
        return 0;
    }
    return 1;
}

void fr__cmd_flushdb(fr_conn *c)
{
    if (!flush_flags_ok(c))
        return;
    fr__db_flush(c->srv->ks, c->db);
    fr__add_ok(c);
}

void fr__cmd_flushall(fr_conn *c)
{
    if (!flush_flags_ok(c))
        return;
    fr__db_flush(c->srv->ks, -1);
    fr__add_ok(c);
}

void fr__cmd_swapdb(fr_conn *c)
{
    int a, b;
    if (!arg_int(c, &c->argv[1], &a, "invalid first DB index") ||
        !arg_int(c, &c->argv[2], &b, "invalid second DB index"))
        return;
    if (!db_valid(c, a) || !db_valid(c, b)) {
        fr__add_error(c, fr__err_db_index);
        return;
    }
    if (a != b)
        fr__db_swap(c->srv->ks, a, b);
    fr__add_ok(c);
}

/* ---- OBJECT ------------------------------------------------------------------ */

static fr_obj *object_lookup(fr_conn *c)
{
    fr_obj *o = fr__db_lookup(c->srv->ks, c->db, c->argv[2].p, c->argv[2].len,
                              FR_LOOKUP_NOTOUCH | FR_LOOKUP_NONOTIFY);
    if (!o)
        fr__add_null(c);
    return o;
}

static int lfu_policy(fr_conn *c)
{
    const char *p = c->srv->cfg.maxmemory_policy;
    return p && strstr(p, "lfu") != NULL;
}

void fr__cmd_object_encoding(fr_conn *c)
{
    fr_obj *o = object_lookup(c);
    if (o)
        fr__add_bulk_cstr(c, fr__enc_name(o->enc));
}

void fr__cmd_object_refcount(fr_conn *c)
{
    fr_obj *o = object_lookup(c);
    if (!o)
        return;
    /* Redis shares the objects of the integers 0..9999 (refcount INT_MAX);
     * every other value has exactly one owner, its key. */
    int shared = o->type == FR_TYPE_STRING && o->enc == FR_ENC_INT && o->v.ll >= 0 &&
                 o->v.ll < 10000 && !lfu_policy(c);
    fr__add_ll(c, shared ? INT_MAX : 1);
}

void fr__cmd_object_idletime(fr_conn *c)
{
    fr_obj *o = object_lookup(c);
    if (!o)
        return;
    if (lfu_policy(c)) {
        fr__add_error(c, "An LFU maxmemory policy is selected, idle time not tracked. Please "
                         "note that when switching between policies at runtime LRU and LFU "
                         "data will take some time to adjust.");
        return;
    }
    unsigned now = (unsigned)((fr__now_ms(c->srv) / 1000) & 0xffffff);
    unsigned idle = (now - o->lru) & 0xffffff;
    fr__add_ll(c, idle);
}

void fr__cmd_object_freq(fr_conn *c)
{
    fr_obj *o = object_lookup(c);
    if (!o)
        return;
    if (!lfu_policy(c)) {
        fr__add_error(c, "An LFU maxmemory policy is not selected, access frequency not "
                         "tracked. Please note that when switching between policies at "
                         "runtime LRU and LFU data will take some time to adjust.");
        return;
    }
    /* OBJECT looks without touching: the counter decayed to now, not bumped */
    fr__add_ll(c, fr__obj_lfu_count(c->srv->ks, o));
}

void fr__cmd_object_help(fr_conn *c)
{
    static const char *const lines[] = {
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        NULL,
    };
    fr__add_help(c, "OBJECT", lines);
}

/* ---- expiry ---------------------------------------------------------------- */

enum { EXP_NX = 1, EXP_XX = 2, EXP_GT = 4, EXP_LT = 8 };

static void expire_generic(fr_conn *c, int64_t basetime, int seconds)
{
    const fr_arg *k = &c->argv[1];
    int flags = 0;
    for (int j = 3; j < c->argc; j++) {
        const fr_arg *a = &c->argv[j];
        if (fr__arg_is(a, "nx"))
            flags |= EXP_NX;
        else if (fr__arg_is(a, "xx"))
            flags |= EXP_XX;
        else if (fr__arg_is(a, "gt"))
            flags |= EXP_GT;
        else if (fr__arg_is(a, "lt"))
            flags |= EXP_LT;
        else {
            fr_buf b = {0};
            fr__buf_puts(&b, "Unsupported option ");
            const char *nul = memchr(a->p, '\0', a->len);
            fr__buf_append(&b, a->p, nul ? (size_t)(nul - a->p) : a->len);
            fr__add_error(c, b.p);
            fr__buf_free(&b);
            return;
        }
    }
    if ((flags & EXP_NX) && (flags & (EXP_XX | EXP_GT | EXP_LT))) {
        fr__add_error(c, "NX and XX, GT or LT options at the same time are not compatible");
        return;
    }
    if ((flags & EXP_GT) && (flags & EXP_LT)) {
        fr__add_error(c, "GT and LT options at the same time are not compatible");
        return;
    }
    long long when;
    if (!fr__arg_ll(c, &c->argv[2], &when))
        return;
    if (seconds) {
        if (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000) {
            fr__add_errorf(c, "invalid expire time in '%s' command", c->cmd->name);
            return;
        }
        when *= 1000;
    }
    if (when > LLONG_MAX - basetime) {
        fr__add_errorf(c, "invalid expire time in '%s' command", c->cmd->name);
        return;
    }
    when += basetime;
    if (!fr__lookup_write(c, k)) {
        fr__add_ll(c, 0);
        return;
    }
    if (flags) {
        int64_t cur = fr__db_get_expire(c->srv->ks, c->db, k->p, k->len);
        if (((flags & EXP_NX) && cur != -1) || ((flags & EXP_XX) && cur == -1) ||
            ((flags & EXP_GT) && (when <= cur || cur == -1)) ||
            ((flags & EXP_LT) && cur != -1 && when >= cur)) {
            fr__add_ll(c, 0);
            return;
        }
    }
    if (when <= fr__now_ms(c->srv)) {
        fr__db_delete(c->srv->ks, c->db, k->p, k->len);
        signal_and_notify(c, c->db, k, FR_NOTIFY_GENERIC, "del");
    } else {
        fr__db_set_expire(c->srv->ks, c->db, k->p, k->len, when);
        signal_and_notify(c, c->db, k, FR_NOTIFY_GENERIC, "expire");
    }
    fr__add_ll(c, 1);
}

void fr__cmd_expire(fr_conn *c)
{
    expire_generic(c, fr__now_ms(c->srv), 1);
}

void fr__cmd_pexpire(fr_conn *c)
{
    expire_generic(c, fr__now_ms(c->srv), 0);
}

void fr__cmd_expireat(fr_conn *c)
{
    expire_generic(c, 0, 1);
}

void fr__cmd_pexpireat(fr_conn *c)
{
    expire_generic(c, 0, 0);
}

static void ttl_generic(fr_conn *c, int ms, int absolute)
{
    const fr_arg *k = &c->argv[1];
    if (!fr__db_lookup(c->srv->ks, c->db, k->p, k->len, FR_LOOKUP_NOTOUCH)) {
        fr__add_ll(c, -2);
        return;
    }
    int64_t expire = fr__db_get_expire(c->srv->ks, c->db, k->p, k->len);
    if (expire == -1) {
        fr__add_ll(c, -1);
        return;
    }
    long long ttl = absolute ? expire : expire - fr__now_ms(c->srv);
    if (ttl < 0)
        ttl = 0;
    /* rounded to the nearest second, without overflowing near LLONG_MAX */
    fr__add_ll(c, ms ? ttl : ttl / 1000 + (ttl % 1000 >= 500));
}

void fr__cmd_ttl(fr_conn *c)
{
    ttl_generic(c, 0, 0);
}

void fr__cmd_pttl(fr_conn *c)
{
    ttl_generic(c, 1, 0);
}

void fr__cmd_expiretime(fr_conn *c)
{
    ttl_generic(c, 0, 1);
}

void fr__cmd_pexpiretime(fr_conn *c)
{
    ttl_generic(c, 1, 1);
}

void fr__cmd_persist(fr_conn *c)
{
    const fr_arg *k = &c->argv[1];
    if (!fr__lookup_write(c, k)) {
        fr__add_ll(c, 0);
        return;
    }
    if (!fr__db_remove_expire(c->srv->ks, c->db, k->p, k->len)) {
        fr__add_ll(c, 0);
        return;
    }
    signal_and_notify(c, c->db, k, FR_NOTIFY_GENERIC, "persist");
    fr__add_ll(c, 1);
}

/* ---- DUMP / RESTORE -----------------------------------------------------------
 * The payload has Redis' shape: an RDB value, the RDB version (2 bytes,
 * little endian) and a CRC64 (Jones, reflected) of everything before it.
 * Strings use RDB's own encoding, so a string payload can go to and come
 * from a real Redis (we read its LZF-compressed strings, and write plain
 * ones); other types use a private type byte and the type's dump/load. */

#define RDB_VERSION 10
#define RDB_TYPE_STRING 0
#define PRIVATE_TYPE_BASE 0xf0 /* + fr_obj_type, never a real RDB type */

static uint64_t crc64(uint64_t crc, const unsigned char *p, size_t n)
{
    /* bitwise: payloads are small and this is no hot path */
    while (n--) {
        crc ^= *p++;
        for (int i = 0; i < 8; i++)
            crc = (crc >> 1) ^ ((crc & 1) ? 0x95ac9329ac4bc9b5ULL : 0);
    }
    return crc;
}

static void rdb_put_len(fr_buf *b, uint64_t len)
{
    unsigned char t[9];
    if (len < 64) {
        t[0] = (unsigned char)len;
        fr__buf_append(b, t, 1);
    } else if (len < 16384) {
        t[0] = (unsigned char)(0x40 | (len >> 8));
        t[1] = (unsigned char)(len & 0xff);
        fr__buf_append(b, t, 2);
    } else if (len <= UINT32_MAX) {
        t[0] = 0x80;
        for (int i = 0; i < 4; i++)
            t[1 + i] = (unsigned char)(len >> (24 - 8 * i));
        fr__buf_append(b, t, 5);
    } else {
        t[0] = 0x81;
        for (int i = 0; i < 8; i++)
            t[1 + i] = (unsigned char)(len >> (56 - 8 * i));
        fr__buf_append(b, t, 9);
    }
}

static void rdb_put_string(fr_buf *b, const char *p, size_t n)
{
    long long v;
    if (n <= 11 && fr__str2ll(p, n, &v) && v >= INT32_MIN && v <= INT32_MAX) {
        unsigned char t[5];
        int w = (v >= -128 && v <= 127) ? 1 : (v >= -32768 && v <= 32767) ? 2 : 4;
        t[0] = (unsigned char)(0xc0 | (w == 1 ? 0 : w == 2 ? 1 : 2));
        for (int i = 0; i < w; i++)
            t[1 + i] = (unsigned char)((uint64_t)v >> (8 * i));
        fr__buf_append(b, t, (size_t)w + 1);
        return;
    }
    rdb_put_len(b, n);
    fr__buf_append(b, p, n);
}

typedef struct rdb_in {
    const unsigned char *p, *end;
} rdb_in;

/* A length, or a special encoding (*enc >= 0). Returns 0 on bad input. */
static int rdb_get_len(rdb_in *in, uint64_t *len, int *enc)
{
    *enc = -1;
    if (in->p >= in->end)
        return 0;
    unsigned char t = *in->p++;
    switch (t >> 6) {
    case 0:
        *len = t & 0x3f;
        return 1;
    case 1:
        if (in->p >= in->end)
            return 0;
        *len = ((uint64_t)(t & 0x3f) << 8) | *in->p++;
        return 1;
    case 3:
        *enc = t & 0x3f;
        return 1;
    default: {
        int w = t == 0x80 ? 4 : t == 0x81 ? 8 : 0;
        if (!w || in->end - in->p < w)
            return 0;
        uint64_t v = 0;
        for (int i = 0; i < w; i++)
            v = (v << 8) | *in->p++;
        *len = v;
        return 1;
    }
    }
}

static int lzf_decompress(const unsigned char *ip, size_t ilen, unsigned char *op, size_t olen)
{
    const unsigned char *iend = ip + ilen;
    unsigned char *out = op, *oend = op + olen;
    while (ip < iend) {
        unsigned ctrl = *ip++;
        if (ctrl < 32) {
            size_t n = ctrl + 1;
            if ((size_t)(oend - out) < n || (size_t)(iend - ip) < n)
                return 0;
            memcpy(out, ip, n);
            out += n;
            ip += n;
        } else {
            size_t n = ctrl >> 5;
            if (n == 7) {
                if (ip >= iend)
                    return 0;
                n += *ip++;
            }
            if (ip >= iend)
                return 0;
            size_t back = ((ctrl & 0x1f) << 8) + *ip++ + 1;
            n += 2;
            if (back > (size_t)(out - op) || (size_t)(oend - out) < n)
                return 0;
            const unsigned char *ref = out - back;
            while (n--) /* may overlap: byte by byte */
                *out++ = *ref++;
        }
    }
    return out == oend;
}

static fr_obj *rdb_get_string(rdb_in *in)
{
    uint64_t len;
    int enc;
    if (!rdb_get_len(in, &len, &enc))
        return NULL;
    if (enc >= 0) {
        if (enc <= 2) {
            int w = 1 << enc;
            if (in->end - in->p < w)
                return NULL;
            uint64_t u = 0;
            for (int i = 0; i < w; i++)
                u |= (uint64_t)in->p[i] << (8 * i);
            in->p += w;
            long long v = w == 1 ? (int8_t)u : w == 2 ? (int16_t)u : (int32_t)u;
            return fr__str_from_ll(v);
        }
        if (enc == 3) {
            uint64_t clen, ulen;
            int e1, e2;
            if (!rdb_get_len(in, &clen, &e1) || e1 >= 0 || !rdb_get_len(in, &ulen, &e2) ||
                e2 >= 0 || clen > (uint64_t)(in->end - in->p) || ulen > (1ULL << 32))
                return NULL;
            unsigned char *buf = fr__xmalloc((size_t)ulen + 1);
            if (!lzf_decompress(in->p, (size_t)clen, buf, (size_t)ulen)) {
                free(buf);
                return NULL;
            }
            in->p += clen;
            fr_obj *o = fr__str_new_plain(buf, (size_t)ulen);
            free(buf);
            return o;
        }
        return NULL;
    }
    if (len > (uint64_t)(in->end - in->p))
        return NULL;
    fr_obj *o = fr__str_new_plain(in->p, (size_t)len);
    in->p += len;
    return o;
}

static void dump_payload(const fr_obj *o, fr_buf *out)
{
    if (o->type == FR_TYPE_STRING) {
        unsigned char t = RDB_TYPE_STRING;
        fr__buf_append(out, &t, 1);
        char tmp[24];
        size_t n;
        const char *p = fr__str_bytes(o, tmp, &n);
        rdb_put_string(out, p, n);
    } else {
        const fr_type_ops *ops = fr__type_ops(o->type);
        unsigned char t = (unsigned char)(PRIVATE_TYPE_BASE + o->type);
        fr__buf_append(out, &t, 1);
        unsigned char enc = (unsigned char)o->enc;
        fr__buf_append(out, &enc, 1);
        if (ops && ops->dump)
            ops->dump(o, out);
    }
    unsigned char ver[2] = {RDB_VERSION & 0xff, RDB_VERSION >> 8};
    fr__buf_append(out, ver, 2);
    uint64_t crc = crc64(0, (const unsigned char *)out->p, out->len);
    unsigned char cb[8];
    for (int i = 0; i < 8; i++)
        cb[i] = (unsigned char)(crc >> (8 * i));
    fr__buf_append(out, cb, 8);
}

static int payload_ok(const fr_arg *a)
{
    if (a->len < 10)
        return 0;
    const unsigned char *p = (const unsigned char *)a->p;
    size_t n = a->len;
    unsigned ver = p[n - 10] | (unsigned)p[n - 9] << 8;
    if (ver > RDB_VERSION)
        return 0;
    uint64_t crc = 0;
    for (int i = 0; i < 8; i++)
        crc |= (uint64_t)p[n - 8 + i] << (8 * i);
    return crc == crc64(0, p, n - 8);
}

static fr_obj *load_payload(const fr_arg *a)
{
    rdb_in in = {(const unsigned char *)a->p, (const unsigned char *)a->p + a->len - 10};
    if (in.p >= in.end)
        return NULL;
    unsigned t = *in.p++;
    fr_obj *o = NULL;
    if (t == RDB_TYPE_STRING) {
        o = rdb_get_string(&in);
    } else if (t >= PRIVATE_TYPE_BASE && t < PRIVATE_TYPE_BASE + FR_TYPE_COUNT) {
        const fr_type_ops *ops = fr__type_ops((int)(t - PRIVATE_TYPE_BASE));
        if (!ops || !ops->load || in.p >= in.end)
            return NULL;
        int enc = *in.p++;
        const char *p = (const char *)in.p;
        o = ops->load(&p, (const char *)in.end, enc);
        in.p = (const unsigned char *)p;
    }
    if (o && in.p != in.end) {
        fr__obj_free(o);
        o = NULL;
    }
    return o;
}

/* DEBUG OBJECT key: Redis' one-line description. The lookup is raw (an
 * expired key not yet deleted is still described), as in Redis. */
void fr__debug_object(fr_conn *c)
{
    const fr_arg *k = &c->argv[2];
    fr_dict_entry *e = fr__dict_find(&fr__db(c->srv->ks, c->db)->keys, k->p, k->len);
    if (!e) {
        fr__add_error(c, fr__err_no_such_key);
        return;
    }
    fr_obj *o = e->v.p;
    fr_buf payload = {0};
    dump_payload(o, &payload);
    /* the value's own bytes: no type byte(s), version, checksum */
    size_t head = o->type == FR_TYPE_STRING ? 1 : 2;
    size_t serialized = payload.len > head + 10 ? payload.len - head - 10 : 0;
    fr__buf_free(&payload);
    unsigned now = (unsigned)((fr__now_ms(c->srv) / 1000) & 0xffffff);
    int shared = o->type == FR_TYPE_STRING && o->enc == FR_ENC_INT && o->v.ll >= 0 &&
                 o->v.ll < 10000 && !lfu_policy(c);
    fr_buf b = {0};
    fr__buf_printf(&b,
                   "Value at:%p refcount:%d encoding:%s serializedlength:%zu lru:%u "
                   "lru_seconds_idle:%u",
                   (void *)o, shared ? INT_MAX : 1, fr__enc_name(o->enc), serialized,
                   (unsigned)o->lru, (now - o->lru) & 0xffffff);
    fr__add_status(c, b.p);
    fr__buf_free(&b);
}

void fr__cmd_dump(fr_conn *c)
{
    fr_obj *o = fr__lookup_read(c, &c->argv[1]);
    if (!o) {
        fr__add_null(c);
        return;
    }
    fr_buf b = {0};
    dump_payload(o, &b);
    fr__add_bulk(c, b.p, b.len);
    fr__buf_free(&b);
}

void fr__cmd_restore(fr_conn *c)
{
    int replace = 0, absttl = 0;
    long long idle = -1, freq = -1;
    for (int j = 4; j < c->argc; j++) {
        const fr_arg *a = &c->argv[j];
        int more = c->argc - j - 1;
        if (fr__arg_is(a, "replace")) {
            replace = 1;
        } else if (fr__arg_is(a, "absttl")) {
            absttl = 1;
        } else if (fr__arg_is(a, "idletime") && more >= 1 && freq == -1) {
            if (!fr__arg_ll(c, &c->argv[j + 1], &idle))
                return;
            if (idle < 0) {
                fr__add_error(c, "Invalid IDLETIME value, must be >= 0");
                return;
            }
            j++;
        } else if (fr__arg_is(a, "freq") && more >= 1 && idle == -1) {
            if (!fr__arg_ll(c, &c->argv[j + 1], &freq))
                return;
            if (freq < 0 || freq > 255) {
                fr__add_error(c, "Invalid FREQ value, must be >= 0 and <= 255");
                return;
            }
            j++;
        } else {
            fr__add_error(c, fr__err_syntax);
            return;
        }
    }
    const fr_arg *k = &c->argv[1];
    if (!replace && fr__lookup_write(c, k)) {
        fr__add_error(c, "-BUSYKEY Target key name already exists.");
        return;
    }
    long long ttl;
    if (!fr__arg_ll(c, &c->argv[2], &ttl))
        return;
    if (ttl < 0) {
        fr__add_error(c, "Invalid TTL value, must be >= 0");
        return;
    }
    if (!payload_ok(&c->argv[3])) {
        fr__add_error(c, "DUMP payload version or checksum are wrong");
        return;
    }
    fr_obj *o = load_payload(&c->argv[3]);
    if (!o) {
        fr__add_error(c, "Bad data format");
        return;
    }
    int deleted = replace && fr__db_delete(c->srv->ks, c->db, k->p, k->len);
    if (ttl && !absttl)
        ttl += fr__now_ms(c->srv);
    if (ttl && ttl <= fr__now_ms(c->srv)) {
        if (deleted)
            signal_and_notify(c, c->db, k, FR_NOTIFY_GENERIC, "del");
        fr__obj_free(o);
        fr__add_ok(c);
        return;
    }
    fr__db_add(c->srv->ks, c->db, k->p, k->len, o);
    if (ttl)
        fr__db_set_expire(c->srv->ks, c->db, k->p, k->len, ttl);
    if (idle >= 0) {
        unsigned now = (unsigned)((fr__now_ms(c->srv) / 1000) & 0xffffff);
        o->lru = (now - (unsigned)idle) & 0xffffff;
    }
    signal_and_notify(c, c->db, k, FR_NOTIFY_GENERIC, "restore");
    fr__add_ok(c);
}

/* ---- SORT -------------------------------------------------------------------- */

typedef struct sort_item {
    char *p; /* the element */
    size_t n;
    double score;
    char *cmp; /* ALPHA BY: the value sorted by, NULL when missing */
    size_t cmpn;
} sort_item;

typedef struct sort_ctx {
    sort_item *v;
    size_t n, cap;
    int desc, alpha, bypattern;
} sort_ctx;

static void sort_collect(void *priv, const char *p, size_t n)
{
    sort_ctx *s = priv;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->v = fr__xrealloc(s->v, s->cap * sizeof *s->v);
    }
    sort_item *it = &s->v[s->n++];
    memset(it, 0, sizeof *it);
    it->p = fr__xmemdup(p, n);
    it->n = n;
}

static int bytes_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    int r = memcmp(a, b, an < bn ? an : bn);
    if (r)
        return r;
    return an < bn ? -1 : an > bn;
}

/* qsort has no context argument in C11: sort with a small merge sort. */
static int item_cmp(const sort_ctx *s, const sort_item *a, const sort_item *b)
{
    int cmp;
    if (!s->alpha) {
        if (a->score > b->score)
            cmp = 1;
        else if (a->score < b->score)
            cmp = -1;
        else
            cmp = bytes_cmp(a->p, a->n, b->p, b->n);
    } else if (s->bypattern) {
        if (!a->cmp || !b->cmp)
            cmp = a->cmp == b->cmp ? 0 : !a->cmp ? -1 : 1;
        else
            cmp = bytes_cmp(a->cmp, a->cmpn, b->cmp, b->cmpn);
    } else {
        cmp = bytes_cmp(a->p, a->n, b->p, b->n);
    }
    return s->desc ? -cmp : cmp;
}

static void merge_sort(const sort_ctx *s, sort_item *v, sort_item *tmp, size_t n)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    merge_sort(s, v, tmp, h);
    merge_sort(s, v + h, tmp, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = item_cmp(s, &v[j], &v[i]) < 0 ? v[j++] : v[i++];
    while (i < h)
        tmp[k++] = v[i++];
    while (j < n)
        tmp[k++] = v[j++];
    memcpy(v, tmp, n * sizeof *v);
}

/* SORT's BY/GET pattern: "#" is the element; "prefix*suffix" names a
 * string key; "prefix*suffix->field" a hash field. Returns 1 with the
 * bytes in out, 0 when there is nothing there. */
static int sort_lookup(fr_conn *c, const fr_arg *pat, const sort_item *it, fr_buf *out)
{
    fr__buf_clear(out);
    if (pat->len == 1 && pat->p[0] == '#') {
        fr__buf_append(out, it->p, it->n);
        return 1;
    }
    const char *star = memchr(pat->p, '*', pat->len);
    if (!star)
        return 0;
    const char *pend = pat->p + pat->len;
    const char *field = NULL;
    size_t flen = 0;
    for (const char *f = star + 1; f + 1 < pend; f++) {
        if (f[0] == '-' && f[1] == '>') {
            if (f + 2 < pend) {
                field = f + 2;
                flen = (size_t)(pend - field);
            }
            break;
        }
    }
    fr_buf key = {0};
    fr__buf_append(&key, pat->p, (size_t)(star - pat->p));
    fr__buf_append(&key, it->p, it->n);
    size_t post = (size_t)(pend - (star + 1)) - (field ? flen + 2 : 0);
    fr__buf_append(&key, star + 1, post);
    fr_obj *o = fr__db_lookup(c->srv->ks, c->db, key.p ? key.p : "", key.len, 0);
    fr__buf_free(&key);
    if (!o)
        return 0;
    if (field) {
        const fr_type_elem_ops *ops = fr__type_elem_ops(o->type);
        if (o->type != FR_TYPE_HASH || !ops || !ops->field)
            return 0;
        return ops->field(o, field, flen, out);
    }
    if (o->type != FR_TYPE_STRING)
        return 0;
    char tmp[24];
    size_t n;
    const char *p = fr__str_bytes(o, tmp, &n);
    fr__buf_append(out, p, n);
    return 1;
}

static void sort_generic(fr_conn *c, int readonly)
{
    sort_ctx s = {0};
    int dontsort = 0, syntax = 0;
    long long lstart = 0, lcount = -1;
    const fr_arg *by = NULL, *store = NULL;
    const fr_arg **gets = fr__xmalloc((size_t)c->argc * sizeof *gets);
    int ngets = 0;
    for (int j = 2; j < c->argc && !syntax; j++) {
        const fr_arg *a = &c->argv[j];
        int left = c->argc - j - 1;
        if (fr__arg_is(a, "asc")) {
            s.desc = 0;
        } else if (fr__arg_is(a, "desc")) {
            s.desc = 1;
        } else if (fr__arg_is(a, "alpha")) {
            s.alpha = 1;
        } else if (fr__arg_is(a, "limit") && left >= 2) {
            if (!fr__arg_ll(c, &c->argv[j + 1], &lstart) ||
                !fr__arg_ll(c, &c->argv[j + 2], &lcount)) {
                syntax = 1;
                break;
            }
            j += 2;
        } else if (!readonly && fr__arg_is(a, "store") && left >= 1) {
            store = &c->argv[++j];
        } else if (fr__arg_is(a, "by") && left >= 1) {
            by = &c->argv[++j];
            if (!memchr(by->p, '*', by->len)) {
                dontsort = 1;
            } else if (!fr__acl_all_keys(c)) { /* the pattern may read any key */
                fr__add_error(c, "BY option of SORT denied due to insufficient ACL permissions.");
                syntax = 1;
            }
        } else if (fr__arg_is(a, "get") && left >= 1) {
            gets[ngets++] = &c->argv[++j];
            if (!fr__acl_all_keys(c)) {
                fr__add_error(c, "GET option of SORT denied due to insufficient ACL permissions.");
                syntax = 1;
            }
        } else {
            fr__add_error(c, fr__err_syntax);
            syntax = 1;
        }
    }
    if (syntax) {
        free(gets);
        return;
    }
    fr_obj *o = fr__lookup_read(c, &c->argv[1]);
    if (o && o->type != FR_TYPE_SET && o->type != FR_TYPE_LIST && o->type != FR_TYPE_ZSET) {
        fr__add_error(c, fr__err_wrongtype);
        free(gets);
        return;
    }
    if (o) {
        const fr_type_elem_ops *ops = fr__type_elem_ops(o->type);
        if (!ops || !ops->each) {
            fr__add_error(c, "SORT is not supported for this type yet");
            free(gets);
            return;
        }
        ops->each(o, sort_collect, &s);
    }
    /* A set has no order of its own: with STORE, sort it anyway so the
     * stored list does not depend on the hash table's layout. */
    if (dontsort && o && o->type == FR_TYPE_SET && store) {
        dontsort = 0;
        s.alpha = 1;
        by = NULL;
    }
    long long len = (long long)s.n;
    long long start = lstart < 0 ? 0 : lstart;
    long long end = lcount < 0 ? len - 1 : start + lcount - 1;
    if (start >= len) {
        start = len - 1;
        end = len - 2;
    }
    if (end >= len)
        end = len - 1;
    /* Lists and sorted sets keep their own order when not sorted; DESC
     * then reverses it (and LIMIT counts from the other end). */
    if (dontsort && o && (o->type == FR_TYPE_ZSET || o->type == FR_TYPE_LIST) && s.desc) {
        for (size_t i = 0; i < s.n / 2; i++) {
            sort_item t = s.v[i];
            s.v[i] = s.v[s.n - 1 - i];
            s.v[s.n - 1 - i] = t;
        }
    }
    int conv_error = 0;
    fr_buf val = {0};
    if (!dontsort) {
        for (size_t j = 0; j < s.n; j++) {
            sort_item *it = &s.v[j];
            const char *p = it->p;
            size_t n = it->n;
            if (by) {
                if (!sort_lookup(c, by, it, &val))
                    continue;
                p = val.p ? val.p : "";
                n = val.len;
            }
            if (s.alpha) {
                if (by) {
                    it->cmp = fr__xmemdup(p, n);
                    it->cmpn = n;
                }
            } else {
                char *e;
                char *tmp = fr__xmemdup(p, n);
                errno = 0;
                it->score = strtod(tmp, &e);
                if (*e || (size_t)(e - tmp) != n || errno == ERANGE || isnan(it->score))
                    conv_error = 1;
                free(tmp);
            }
        }
        s.bypattern = by != NULL;
        sort_item *tmp = fr__xmalloc((s.n ? s.n : 1) * sizeof *tmp);
        merge_sort(&s, s.v, tmp, s.n);
        free(tmp);
    }
    long long outlen = end >= start ? (ngets ? ngets : 1) * (end - start + 1) : 0;
    if (conv_error) {
        fr__add_error(c, "One or more scores can't be converted into double");
    } else if (!store) {
        fr__add_array(c, outlen);
        for (long long j = start; j <= end; j++) {
            sort_item *it = &s.v[j];
            if (!ngets)
                fr__add_bulk(c, it->p, it->n);
            for (int g = 0; g < ngets; g++) {
                if (sort_lookup(c, gets[g], it, &val))
                    fr__add_bulk(c, val.p ? val.p : "", val.len);
                else
                    fr__add_null(c);
            }
        }
    } else {
        size_t n = outlen > 0 ? (size_t)outlen : 0;
        char **elems = fr__xcalloc(n ? n : 1, sizeof *elems);
        size_t *lens = fr__xcalloc(n ? n : 1, sizeof *lens);
        size_t k = 0;
        for (long long j = start; j <= end; j++) {
            sort_item *it = &s.v[j];
            if (!ngets) {
                elems[k] = fr__xmemdup(it->p, it->n);
                lens[k++] = it->n;
            }
            for (int g = 0; g < ngets; g++) {
                if (!sort_lookup(c, gets[g], it, &val))
                    fr__buf_clear(&val);
                elems[k] = fr__xmemdup(val.p ? val.p : "", val.len);
                lens[k++] = val.len;
            }
        }
        const fr_type_elem_ops *lops = fr__type_elem_ops(FR_TYPE_LIST);
        if (n && (!lops || !lops->build)) {
            fr__add_error(c, "SORT STORE is not supported until lists exist");
        } else {
            if (n) {
                fr_obj *lo = lops->build((const char *const *)elems, lens, n);
                fr__db_set(c->srv->ks, c->db, store->p, store->len, lo, 0);
                fr__keyspace_notify(c->srv->ks, FR_NOTIFY_LIST, "sortstore", store->p,
                                          store->len, c->db);
            } else if (fr__db_delete(c->srv->ks, c->db, store->p, store->len)) {
                signal_and_notify(c, c->db, store, FR_NOTIFY_GENERIC, "del");
            }
            fr__add_ll(c, outlen);
        }
        for (size_t i = 0; i < k; i++)
            free(elems[i]);
        free(elems);
        free(lens);
    }
    fr__buf_free(&val);
    for (size_t i = 0; i < s.n; i++) {
        free(s.v[i].p);
        free(s.v[i].cmp);
    }
    free(s.v);
    free(gets);
}

void fr__cmd_sort(fr_conn *c)
{
    sort_generic(c, 0);
}

void fr__cmd_sort_ro(fr_conn *c)
{
    sort_generic(c, 1);
}

/* The DUMP payload, for replication's snapshot and effects. */
void fr__key_dump_payload(const fr_obj *o, fr_buf *out)
{
    dump_payload(o, out);
}
