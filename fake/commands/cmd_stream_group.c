/* Consumer groups: XGROUP and its subcommands, XACK, XPENDING, XCLAIM,
 * XAUTOCLAIM, as Redis 7.0 answers them. Times (delivery, idle, seen) are
 * on the server clock, so a frozen clock holds them and fr_clock_advance
 * ages pending entries. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "commands_private.h"
#include "commands.h"

static fr_stream *S(fr_obj *o)
{
    return o->v.ptr;
}

static void subcommand_syntax(fr_conn *c)
{
    int n = fr__arg_cstr_len(&c->argv[1]);
    fr__add_errorf(c,
                   "unknown subcommand or wrong number of arguments for '%.*s'. Try XGROUP "
                   "HELP.",
                   n > 128 ? 128 : n, c->argv[1].p);
}

static void nogroup_for_key(fr_conn *c, const fr_arg *group, const fr_arg *key)
{
    fr__add_errorf(c, "-NOGROUP No such consumer group '%.*s' for key name '%.*s'",
                   fr__arg_cstr_len(group), group->p, fr__arg_cstr_len(key), key->p);
}

static void nogroup_no_key(fr_conn *c, const fr_arg *key, const fr_arg *group)
{
    fr__add_errorf(c, "-NOGROUP No such key '%.*s' or consumer group '%.*s'", fr__arg_cstr_len(key),
                   key->p, fr__arg_cstr_len(group), group->p);
}

/* ---- XGROUP ------------------------------------------------------------------- */

typedef struct xgroup_ctx {
    fr_obj *o; /* the stream, or NULL (CREATE ... MKSTREAM) */
    fr_sgroup *g;
    int mkstream;
    long long entries_read;
} xgroup_ctx;

/* What every XGROUP subcommand but HELP does first, in Redis' order: the
 * options (MKSTREAM, ENTRIESREAD), the key, the group where it must
 * exist. Answers and returns 0 on error. */
static int xgroup_begin(fr_conn *c, xgroup_ctx *x, int group_needed)
{
    int create = fr__arg_is(&c->argv[1], "create"), setid = fr__arg_is(&c->argv[1], "setid");
    memset(x, 0, sizeof *x);
    x->entries_read = FR_SG_READ_UNKNOWN;
    for (int i = 5; i < c->argc;) {
        if (create && fr__arg_is(&c->argv[i], "mkstream")) {
            x->mkstream = 1;
            i++;
        } else if ((create || setid) && fr__arg_is(&c->argv[i], "entriesread") && i + 1 < c->argc) {
            if (!fr__arg_ll(c, &c->argv[i + 1], &x->entries_read))
                return 0;
            if (x->entries_read < 0 && x->entries_read != FR_SG_READ_UNKNOWN) {
                fr__add_error(c, "value for ENTRIESREAD must be positive or -1");
                return 0;
            }
            i += 2;
        } else {
            subcommand_syntax(c);
            return 0;
        }
    }
    const fr_arg *key = &c->argv[2], *group = &c->argv[3];
    x->o = fr__lookup_write(c, key);
    if (fr__check_type(c, x->o, FR_TYPE_STREAM))
        return 0;
    if (x->mkstream)
        return 1;
    if (!x->o) {
        fr__add_error(c, "The XGROUP subcommand requires the key to exist. Note that for CREATE "
                         "you may want to use the MKSTREAM option to create an empty stream "
                         "automatically.");
        return 0;
    }
    x->g = fr__sgroup_find(S(x->o), group->p, group->len);
    if (!x->g && group_needed) {
        nogroup_for_key(c, group, key);
        return 0;
    }
    return 1;
}

void fr__cmd_xgroup_create(fr_conn *c)
{
    xgroup_ctx x;
    if (!xgroup_begin(c, &x, 0))
        return;
    if (c->argc > 8) {
        subcommand_syntax(c);
        return;
    }
    const fr_arg *key = &c->argv[2], *group = &c->argv[3];
    fr_sid id;
    if (c->argv[4].len == 1 && c->argv[4].p[0] == '$')
        id = x.o ? S(x.o)->last_id : (fr_sid){0, 0};
    else if (!fr__sid_parse_or_reply(c, &c->argv[4], &id, 0, 1))
        return;
    if (!x.o) {
        x.o = fr__stream_obj_new();
        fr__db_add(c->srv->ks, c->db, key->p, key->len, x.o);
        fr__keyspace_modified(c->srv->ks, c->db, key->p, key->len);
    }
    if (!fr__sgroup_create(S(x.o), group->p, group->len, &id, x.entries_read)) {
        fr__add_error(c, "-BUSYGROUP Consumer Group name already exists");
        return;
    }
    fr__add_ok(c);
    fr__stream_notify(c, "xgroup-create", key);
}

void fr__cmd_xgroup_setid(fr_conn *c)
{
    xgroup_ctx x;
    if (!xgroup_begin(c, &x, 1))
        return;
    if (c->argc != 5 && c->argc != 7) {
        subcommand_syntax(c);
        return;
    }
    fr_sid id;
    if (c->argv[4].len == 1 && c->argv[4].p[0] == '$')
        id = S(x.o)->last_id;
    else if (!fr__sid_parse_or_reply(c, &c->argv[4], &id, 0, 0))
        return;
    x.g->last_id = id;
    x.g->entries_read = x.entries_read;
    fr__add_ok(c);
    fr__stream_notify(c, "xgroup-setid", &c->argv[2]);
}

void fr__cmd_xgroup_destroy(fr_conn *c)
{
    xgroup_ctx x;
    if (!xgroup_begin(c, &x, 0))
        return;
    const fr_arg *key = &c->argv[2], *group = &c->argv[3];
    if (!x.g) {
        fr__add_zero(c);
        return;
    }
    fr__sgroup_destroy(S(x.o), group->p, group->len);
    fr__add_ll(c, 1);
    fr__stream_notify(c, "xgroup-destroy", key);
    /* a client blocked in XREADGROUP on it learns it is gone */
    fr__keyspace_ready(c->srv->ks, c->db, key->p, key->len);
}

void fr__cmd_xgroup_createconsumer(fr_conn *c)
{
    xgroup_ctx x;
    if (!xgroup_begin(c, &x, 1))
        return;
    const fr_arg *name = &c->argv[4];
    int created = fr__sconsumer_create(x.g, name->p, name->len, fr__now_ms(c->srv)) != NULL;
    if (created)
        fr__stream_notify(c, "xgroup-createconsumer", &c->argv[2]);
    fr__add_ll(c, created);
}

void fr__cmd_xgroup_delconsumer(fr_conn *c)
{
    xgroup_ctx x;
    if (!xgroup_begin(c, &x, 1))
        return;
    const fr_arg *name = &c->argv[4];
    fr_sconsumer *cons = fr__sconsumer_find(x.g, name->p, name->len);
    long long pending = 0;
    if (cons) {
        pending = (long long)fr__sconsumer_delete(x.g, cons);
        fr__stream_notify(c, "xgroup-delconsumer", &c->argv[2]);
    }
    fr__add_ll(c, pending);
}

void fr__cmd_xgroup_help(fr_conn *c)
{
    static const char *const help[] = {
        "CREATE <key> <groupname> <id|$> [option]",
        "    Create a new consumer group. Options are:",
        "    * MKSTREAM",
        "      Create the empty stream if it does not exist.",
        "    * ENTRIESREAD entries_read",
        "      Set the group's entries_read counter (internal use).",
        "CREATECONSUMER <key> <groupname> <consumer>",
        "    Create a new consumer in the specified group.",
        "DELCONSUMER <key> <groupname> <consumer>",
        "    Remove the specified consumer.",
        "DESTROY <key> <groupname>",
        "    Remove the specified group.",
        "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
        "    Set the current group ID and entries_read counter.",
        NULL,
    };
    fr__add_help(c, "XGROUP", help);
}

/* ---- XACK -------------------------------------------------------------------- */

/* The IDs at argv[from..argc), all parsed before anything changes.
 * Returns a malloc'd array (or small), NULL after answering an error. */
static fr_sid *parse_ids(fr_conn *c, int from, fr_sid *small, int nsmall)
{
    int n = c->argc - from;
    fr_sid *ids = n <= nsmall ? small : fr__xmalloc((size_t)n * sizeof *ids);
    for (int j = 0; j < n; j++) {
        if (!fr__sid_parse_or_reply(c, &c->argv[from + j], &ids[j], 0, 1)) {
            if (ids != small)
                free(ids);
            return NULL;
        }
    }
    return ids;
}

void fr__cmd_xack(fr_conn *c)
{
    fr_obj *o = fr__lookup_read(c, &c->argv[1]);
    if (fr__check_type(c, o, FR_TYPE_STREAM))
        return;
    fr_sgroup *g = o ? fr__sgroup_find(S(o), c->argv[2].p, c->argv[2].len) : NULL;
    if (!g) {
        fr__add_zero(c);
        return;
    }
    fr_sid small[8];
    fr_sid *ids = parse_ids(c, 3, small, 8);
    if (!ids)
        return;
    long long acked = 0;
    for (int j = 0; j < c->argc - 3; j++)
        acked += fr__sgroup_ack(g, &ids[j]);
    if (ids != small)
        free(ids);
    fr__add_ll(c, acked);
}

/* ---- XPENDING ------------------------------------------------------------------ */

static void pending_summary(fr_conn *c, fr_sgroup *g)
{
    fr__add_array(c, 4);
    fr__add_ll(c, (long long)g->pel.n);
    fr_sid first, last;
    if (!g->pel.n) {
        fr__add_null(c);
        fr__add_null(c);
        fr__add_null_array(c);
        return;
    }
    fr__sidtree_seek(&g->pel, &(fr_sid){0, 0}, &first, NULL);
    fr__sidtree_last(&g->pel, &last);
    fr__add_sid(c, &first);
    fr__add_sid(c, &last);
    size_t n;
    fr_sconsumer **cs = fr__sconsumers_sorted(g, &n);
    size_t h = fr__add_deferred(c);
    long long shown = 0;
    for (size_t i = 0; i < n; i++) {
        if (!cs[i]->pel.n)
            continue;
        fr__add_array(c, 2);
        fr__add_bulk(c, cs[i]->name, cs[i]->nlen);
        fr__add_bulk_ll(c, (long long)cs[i]->pel.n);
        shown++;
    }
    free(cs);
    fr__set_deferred(c, h, '*', shown);
}

static void pending_range(fr_conn *c, fr_sgroup *g, const fr_sid *from, const fr_sid *to,
                          long long count, long long minidle, const fr_arg *consumer)
{
    const fr_sidtree *pel = &g->pel;
    if (consumer) {
        fr_sconsumer *cons = fr__sconsumer_find(g, consumer->p, consumer->len);
        if (!cons) {
            fr__add_array(c, 0);
            return;
        }
        pel = &cons->pel;
    }
    int64_t now = fr__now_ms(c->srv);
    size_t h = fr__add_deferred(c);
    long long n = 0;
    fr_sid at = *from, id;
    void *v;
    while (count && fr__sidtree_seek(pel, &at, &id, &v) && fr__sid_cmp(&id, to) <= 0) {
        const fr_snack *nack = v;
        at = id;
        int more = fr__sid_incr(&at);
        if (!minidle || now - nack->delivery_time >= minidle) {
            n++;
            count--;
            fr__add_array(c, 4);
            fr__add_sid(c, &id);
            fr__add_bulk(c, nack->consumer->name, nack->consumer->nlen);
            int64_t elapsed = now - nack->delivery_time;
            fr__add_ll(c, elapsed < 0 ? 0 : elapsed);
            fr__add_ll(c, (long long)nack->delivery_count);
        }
        if (!more)
            break;
    }
    fr__set_deferred(c, h, '*', n);
}

void fr__cmd_xpending(fr_conn *c)
{
    int summary = c->argc == 3;
    const fr_arg *key = &c->argv[1], *group = &c->argv[2], *consumer = NULL;
    fr_sid from = {0, 0}, to = {0, 0};
    long long count = 0, minidle = 0;
    if (c->argc != 3 && (c->argc < 6 || c->argc > 9)) {
        fr__add_error(c, fr__err_syntax);
        return;
    }
    if (c->argc >= 6) {
        int at = 3;
        if (fr__arg_is(&c->argv[3], "idle")) {
            if (!fr__arg_ll(c, &c->argv[4], &minidle))
                return;
            if (c->argc < 8) {
                fr__add_error(c, fr__err_syntax);
                return;
            }
            at += 2;
        }
        if (!fr__arg_ll(c, &c->argv[at + 2], &count))
            return;
        if (count < 0)
            count = 0;
        if (!fr__sid_range_or_reply(c, &c->argv[at], &c->argv[at + 1], &from, &to))
            return;
        if (at + 3 < c->argc)
            consumer = &c->argv[at + 3];
    }
    fr_obj *o = fr__lookup_read(c, key);
    if (fr__check_type(c, o, FR_TYPE_STREAM))
        return;
    fr_sgroup *g = o ? fr__sgroup_find(S(o), group->p, group->len) : NULL;
    if (!g) {
        nogroup_no_key(c, key, group);
        return;
    }
    if (summary)
        pending_summary(c, g);
    else
        pending_range(c, g, &from, &to, count, minidle, consumer);
}

/* ---- XCLAIM ------------------------------------------------------------------- */

/* The stream and group of XCLAIM / XAUTOCLAIM, or NULL after -NOGROUP. */
static fr_sgroup *claim_group(fr_conn *c, fr_obj *o)
{
    fr_sgroup *g = o ? fr__sgroup_find(S(o), c->argv[2].p, c->argv[2].len) : NULL;
    if (!g)
        nogroup_no_key(c, &c->argv[1], &c->argv[2]);
    return g;
}

/* A pending entry whose stream entry was deleted leaves the PEL. */
static int drop_if_deleted(fr_stream *s, fr_sgroup *g, const fr_sid *id)
{
    if (fr__stream_exists(s, id))
        return 0;
    fr__sgroup_ack(g, id);
    return 1;
}

typedef struct claim_opts {
    int force, justid;
    long long retrycount; /* -1: not given */
    int64_t deliverytime; /* -1: not given */
    fr_sid lastid;
} claim_opts;

/* XCLAIM's options from argv[j]; answers and returns 0 on error. */
static int claim_options(fr_conn *c, int j, int64_t now, claim_opts *o)
{
    for (; j < c->argc; j++) {
        int more = c->argc - 1 - j;
        const fr_arg *a = &c->argv[j];
        long long v;
        if (fr__arg_is(a, "force")) {
            o->force = 1;
        } else if (fr__arg_is(a, "justid")) {
            o->justid = 1;
        } else if (fr__arg_is(a, "idle") && more) {
            if (!fr__arg_ll_range(c, &c->argv[++j], LLONG_MIN, LLONG_MAX, &v,
                                  "Invalid IDLE option argument for XCLAIM"))
                return 0;
            /* a negative idle time is a time in the future: taken as now
             * below (and now - v must not overflow) */
            o->deliverytime = v < 0 ? now : now - v;
        } else if (fr__arg_is(a, "time") && more) {
            if (!fr__arg_ll_range(c, &c->argv[++j], LLONG_MIN, LLONG_MAX, &v,
                                  "Invalid TIME option argument for XCLAIM"))
                return 0;
            o->deliverytime = v;
        } else if (fr__arg_is(a, "retrycount") && more) {
            if (!fr__arg_ll_range(c, &c->argv[++j], LLONG_MIN, LLONG_MAX, &o->retrycount,
                                  "Invalid RETRYCOUNT option argument for XCLAIM"))
                return 0;
        } else if (fr__arg_is(a, "lastid") && more) {
            if (!fr__sid_parse_or_reply(c, &c->argv[++j], &o->lastid, 0, 1))
                return 0;
        } else {
            fr__add_errorf(c, "Unrecognized XCLAIM option '%.*s'", fr__arg_cstr_len(a), a->p);
            return 0;
        }
    }
    return 1;
}

void fr__cmd_xclaim(fr_conn *c)
{
    fr_obj *o = fr__lookup_read(c, &c->argv[1]);
    if (fr__check_type(c, o, FR_TYPE_STREAM))
        return;
    fr_sgroup *g = claim_group(c, o);
    if (!g)
        return;
    long long minidle;
    if (!fr__arg_ll_range(c, &c->argv[4], LLONG_MIN, LLONG_MAX, &minidle,
                          "Invalid min-idle-time argument for XCLAIM"))
        return;
    if (minidle < 0)
        minidle = 0;
    /* the IDs run up to the first argument that is not one: the options */
    int nids = 0;
    fr_sid small[8];
    fr_sid *ids = c->argc - 5 <= 8 ? small : fr__xmalloc((size_t)(c->argc - 5) * sizeof *ids);
    while (5 + nids < c->argc && fr__sid_parse(&c->argv[5 + nids], &ids[nids], 0, 1, NULL))
        nids++;
    int64_t now = fr__now_ms(c->srv);
    claim_opts opt = {0, 0, -1, -1, {0, 0}};
    if (!claim_options(c, 5 + nids, now, &opt))
        goto done;
    if (fr__sid_cmp(&opt.lastid, &g->last_id) > 0)
        g->last_id = opt.lastid;
    /* a time from the future or before the epoch is taken as now */
    if (opt.deliverytime < 0 || opt.deliverytime > now)
        opt.deliverytime = now;
    fr_stream *s = S(o);
    fr_sconsumer *cons = fr__sconsumer_get(c, g, &c->argv[1], &c->argv[3]);
    size_t h = fr__add_deferred(c);
    long long n = 0;
    for (int j = 0; j < nids; j++) {
        const fr_sid *id = &ids[j];
        fr_snack *nack = fr__sidtree_find(&g->pel, id);
        if (drop_if_deleted(s, g, id))
            continue;
        if (opt.force && !nack)
            nack = fr__sgroup_add_unowned(g, id, now);
        if (!nack)
            continue;
        if (nack->consumer && minidle && now - nack->delivery_time < minidle)
            continue;
        nack->delivery_time = opt.deliverytime;
        if (opt.retrycount >= 0)
            nack->delivery_count = (uint64_t)opt.retrycount;
        else if (!opt.justid)
            nack->delivery_count++;
        fr__snack_assign(nack, id, cons);
        if (opt.justid)
            fr__add_sid(c, id);
        else
            fr__stream_add_entry(c, s, id);
        n++;
    }
    fr__set_deferred(c, h, '*', n);
done:
    if (ids != small)
        free(ids);
}

/* ---- XAUTOCLAIM ------------------------------------------------------------------ */

void fr__cmd_xautoclaim(fr_conn *c)
{
    long long minidle, count = 100;
    int justid = 0;
    if (!fr__arg_ll_range(c, &c->argv[4], LLONG_MIN, LLONG_MAX, &minidle,
                          "Invalid min-idle-time argument for XAUTOCLAIM"))
        return;
    if (minidle < 0)
        minidle = 0;
    fr_sid at;
    int ex;
    if (!fr__sid_interval_or_reply(c, &c->argv[5], &at, &ex, 0))
        return;
    if (ex && !fr__sid_incr(&at)) {
        fr__add_error(c, "invalid start ID for the interval");
        return;
    }
    for (int j = 6; j < c->argc; j++) {
        int more = c->argc - 1 - j;
        if (fr__arg_is(&c->argv[j], "count") && more) {
            /* Redis' bound: its scratch arrays hold count IDs */
            if (!fr__arg_ll_range(c, &c->argv[j + 1], 1, LONG_MAX / 16, &count,
                                  "COUNT must be > 0"))
                return;
            j++;
        } else if (fr__arg_is(&c->argv[j], "justid")) {
            justid = 1;
        } else {
            fr__add_error(c, fr__err_syntax);
            return;
        }
    }
    fr_obj *o = fr__lookup_read(c, &c->argv[1]);
    if (fr__check_type(c, o, FR_TYPE_STREAM))
        return;
    fr_sgroup *g = claim_group(c, o);
    if (!g)
        return;
    fr_stream *s = S(o);
    fr_sconsumer *cons = fr__sconsumer_get(c, g, &c->argv[1], &c->argv[3]);
    int64_t now = fr__now_ms(c->srv);
    long long attempts = count * 10;
    fr_buf claimed = {0}, deleted = {0}; /* fr_sid arrays */
    int more = 1;                        /* an ID after the last one visited may exist */
    fr_sid id;
    void *v;
    while (attempts-- > 0 && count > 0) {
        if (!more || !fr__sidtree_seek(&g->pel, &at, &id, &v)) {
            more = 0;
            break;
        }
        at = id;
        more = fr__sid_incr(&at);
        if (drop_if_deleted(s, g, &id)) {
            fr__buf_append(&deleted, &id, sizeof id);
            count--;
            continue;
        }
        fr_snack *nack = v;
        if (minidle && now - nack->delivery_time < minidle)
            continue;
        nack->delivery_time = now;
        if (!justid)
            nack->delivery_count++;
        fr__snack_assign(nack, &id, cons);
        fr__buf_append(&claimed, &id, sizeof id);
        count--;
    }
    /* the cursor: the next pending ID, 0-0 when the PEL was walked to its end */
    fr_sid next = {0, 0};
    if (!(more && fr__sidtree_seek(&g->pel, &at, &next, NULL)))
        next = (fr_sid){0, 0};
    fr__add_array(c, 3);
    fr__add_sid(c, &next);
    size_t nc = claimed.len / sizeof(fr_sid), nd = deleted.len / sizeof(fr_sid);
    fr__add_array(c, (long long)nc);
    for (size_t i = 0; i < nc; i++) {
        memcpy(&id, claimed.p + i * sizeof id, sizeof id);
        if (justid)
            fr__add_sid(c, &id);
        else
            fr__stream_add_entry(c, s, &id);
    }
    fr__add_array(c, (long long)nd);
    for (size_t i = 0; i < nd; i++) {
        memcpy(&id, deleted.p + i * sizeof id, sizeof id);
        fr__add_sid(c, &id);
    }
    fr__buf_free(&claimed);
    fr__buf_free(&deleted);
}
