/* XREAD and XREADGROUP, blocking included, as Redis 7.0 answers them.
 *
 * A read that finds nothing and has BLOCK waits through the blocking
 * engine: on the server clock (milliseconds here, BLOCK 0 forever), served
 * in blocking order when an XADD makes a key ready, answered the null
 * array on timeout, never blocking inside MULTI or for fr_exec. Before it
 * blocks, "$" is replaced in the command by the stream's last ID (as Redis
 * rewrites it), so the serve function below reads everything it needs
 * from the copy of the command the engine keeps. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "commands_private.h"
#include "blocking_engine.h"
#include "commands.h"

/* Entries a blocked read gets at most when it gave no COUNT (Redis'
 * XREAD_BLOCKED_DEFAULT_COUNT). */
#define BLOCKED_DEFAULT_COUNT 1000

typedef struct read_args {
    int block;        /* BLOCK given */
    int64_t deadline; /* server clock ms, 0: forever */
    long long count;  /* 0: no limit */
    int streams, n;   /* first key index, number of keys */
    const fr_arg *group, *consumer;
    int noack;
} read_args;

static fr_stream *S(fr_obj *o)
{
    return o->v.ptr;
}

/* BLOCK's milliseconds (Redis' getTimeoutFromObjectOrReply). */
static int parse_block(fr_conn *c, const fr_arg *a, int64_t *deadline)
{
    long long ms;
    if (!fr__str2ll(a->p, a->len, &ms)) {
        fr__add_error(c, "timeout is not an integer or out of range");
        return 0;
    }
    if (ms < 0) {
        fr__add_error(c, "timeout is negative");
        return 0;
    }
    *deadline = 0;
    if (ms > 0) {
        /* past the end of time: Redis 7.0's deadline wraps and never comes */
        int64_t now = fr__now_ms(c->srv);
        if (ms <= LLONG_MAX - now)
            *deadline = now + ms;
    }
    return 1;
}

/* The options up to STREAMS. serving: re-reading a blocked client's
 * command, which parsed once already (its timeout is not looked at). */
static int parse_read(fr_conn *c, int argc, const fr_arg *argv, int group_cmd, int serving,
                      read_args *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        int more = argc - i - 1;
        const fr_arg *o = &argv[i];
        if (fr__arg_is(o, "block") && more) {
            i++;
            a->block = 1;
            if (!serving && !parse_block(c, &argv[i], &a->deadline))
                return 0;
        } else if (fr__arg_is(o, "count") && more) {
            i++;
            if (!fr__arg_ll(c, &argv[i], &a->count))
                return 0;
            if (a->count < 0)
                a->count = 0;
        } else if (fr__arg_is(o, "streams") && more) {
            a->streams = i + 1;
            int left = argc - a->streams;
            if (left % 2) {
                /* 7.0 says XREAD and '$' for XREADGROUP too */
                fr__add_error(c, "Unbalanced XREAD list of streams: for each stream key an ID or "
                                 "'$' must be specified.");
                return 0;
            }
            a->n = left / 2;
            break;
        } else if (fr__arg_is(o, "group") && more >= 2) {
            if (!group_cmd) {
                fr__add_error(c, "The GROUP option is only supported by XREADGROUP. You called "
                                 "XREAD instead.");
                return 0;
            }
            a->group = &argv[i + 1];
            a->consumer = &argv[i + 2];
            i += 2;
        } else if (fr__arg_is(o, "noack")) {
            if (!group_cmd) {
                fr__add_error(c, "The NOACK option is only supported by XREADGROUP. You called "
                                 "XREAD instead.");
                return 0;
            }
            a->noack = 1;
        } else {
            fr__add_error(c, fr__err_syntax);
            return 0;
        }
    }
    if (!a->streams) {
        fr__add_error(c, fr__err_syntax);
        return 0;
    }
    if (group_cmd && !a->group) {
        fr__add_error(c, "Missing GROUP option for XREADGROUP");
        return 0;
    }
    return 1;
}

static int is_word(const fr_arg *a, char ch)
{
    return a->len == 1 && a->p[0] == ch;
}

static const fr_sid max_sid = {UINT64_MAX, UINT64_MAX};

/* The IDs after the keys, checking the keys on the way. ">" is the largest
 * ID (it means: the group's last ID, looked up when serving). */
static int resolve_ids(fr_conn *c, const read_args *a, int group_cmd, fr_sid *ids)
{
    for (int i = 0; i < a->n; i++) {
        const fr_arg *key = &c->argv[a->streams + i], *ida = &c->argv[a->streams + a->n + i];
        fr_obj *o = fr__lookup_read(c, key);
        if (fr__check_type(c, o, FR_TYPE_STREAM))
            return 0;
        if (a->group && (!o || !fr__sgroup_find(S(o), a->group->p, a->group->len))) {
            fr__add_errorf(c,
                           "-NOGROUP No such key '%.*s' or consumer group '%.*s' in XREADGROUP "
                           "with GROUP option",
                           fr__arg_cstr_len(key), key->p, fr__arg_cstr_len(a->group), a->group->p);
            return 0;
        }
        if (is_word(ida, '$')) {
            if (group_cmd) {
                fr__add_error(c, "The $ ID is meaningless in the context of XREADGROUP: you want "
                                 "to read the history of this consumer by specifying a proper ID, "
                                 "or use the > ID to get new messages. The $ ID would just "
                                 "return an empty result set.");
                return 0;
            }
            ids[i] = o ? S(o)->last_id : (fr_sid){0, 0};
        } else if (is_word(ida, '>')) {
            if (!group_cmd) {
                fr__add_error(c, "The > ID can be specified only when calling XREADGROUP using "
                                 "the GROUP <group> <consumer> option.");
                return 0;
            }
            ids[i] = max_sid;
        } else if (!fr__sid_parse_or_reply(c, ida, &ids[i], 0, 1)) {
            return 0;
        }
    }
    return 1;
}

/* Answer what is there now; returns how many streams had something. */
static int serve_now(fr_conn *c, const read_args *a, fr_sid *ids)
{
    int served = 0;
    size_t h = 0;
    for (int i = 0; i < a->n; i++) {
        const fr_arg *key = &c->argv[a->streams + i];
        fr_obj *o = fr__lookup_read(c, key);
        if (!o)
            continue;
        fr_stream *s = S(o);
        fr_sgroup *g = a->group ? fr__sgroup_find(s, a->group->p, a->group->len) : NULL;
        fr_sid gt = ids[i], top;
        int serve = 0, history = 0;
        if (g && fr__sid_cmp(&gt, &max_sid)) {
            serve = history = 1; /* an ID: the consumer's own history */
        } else if (s->length && fr__stream_last_live(s, &top)) {
            if (g && fr__sid_cmp(&top, &g->last_id) > 0) {
                serve = 1;
                gt = g->last_id;
            } else if (!g && fr__sid_cmp(&top, &gt) > 0) {
                serve = 1;
            }
        }
        if (!serve)
            continue;
        if (served++ == 0)
            h = fr__add_deferred(c);
        fr_sid start = gt;
        fr__sid_incr(&start);
        if (c->resp == 2)
            fr__add_array(c, 2);
        fr__add_bulk(c, key->p, key->len);
        fr_sconsumer *cons = g ? fr__sconsumer_get(c, g, key, a->consumer) : NULL;
        int flags = (a->noack ? FR_SRANGE_NOACK : 0) | (history ? FR_SRANGE_HISTORY : 0);
        fr__stream_reply_range(c, s, &start, NULL, (size_t)a->count, 0, g, cons, flags);
    }
    if (served)
        fr__set_deferred(c, h, c->resp == 2 ? '*' : '%', served);
    return served;
}

/* A blocked read, key ready: serve it if the stream has entries past its
 * ID (for a group: past the group's last ID). A blocked XREADGROUP whose
 * stream or group went away is told so. */
static int serve_blocked(fr_conn *c, int argc, fr_arg *argv, int db, const char *key, size_t klen)
{
    int group_cmd = fr__arg_is(&argv[0], "xreadgroup");
    read_args a;
    if (!parse_read(c, argc, argv, group_cmd, 1, &a))
        return 1; /* cannot happen: it parsed when it blocked */
    int i = 0;
    while (i < a.n && !(argv[a.streams + i].len == klen &&
                        (!klen || !memcmp(argv[a.streams + i].p, key, klen))))
        i++;
    if (i == a.n)
        return 0;
    fr_obj *o = fr__db_lookup(c->srv->ks, db, key, klen, FR_LOOKUP_NONOTIFY | FR_LOOKUP_NOSTATS);
    if (!o || o->type != FR_TYPE_STREAM) {
        if (!group_cmd)
            return 0;
        fr__add_error(c, "-UNBLOCKED the stream key no longer exists");
        return 1;
    }
    fr_stream *s = S(o);
    fr_sgroup *g = NULL;
    fr_sid gt;
    if (group_cmd) {
        g = fr__sgroup_find(s, a.group->p, a.group->len);
        if (!g) {
            fr__add_error(c, "-NOGROUP the consumer group this client was blocked on no longer "
                             "exists");
            return 1;
        }
        gt = g->last_id;
    } else if (!fr__sid_parse(&argv[a.streams + a.n + i], &gt, 0, 1, NULL)) {
        return 0;
    }
    if (fr__sid_cmp(&s->last_id, &gt) <= 0)
        return 0;
    fr_arg k = {key, klen};
    fr_sconsumer *cons = g ? fr__sconsumer_get(c, g, &k, a.consumer) : NULL;
    if (c->resp == 2) {
        fr__add_array(c, 1);
        fr__add_array(c, 2);
    } else {
        fr__add_map(c, 1);
    }
    fr__add_bulk(c, key, klen);
    fr_sid start = gt;
    fr__sid_incr(&start);
    size_t count = a.count ? (size_t)a.count : BLOCKED_DEFAULT_COUNT;
    fr__stream_reply_range(c, s, &start, NULL, count, 0, g, cons, a.noack ? FR_SRANGE_NOACK : 0);
    return 1;
}

/* Wait on the keys, with "$" turned into the IDs it stood for. */
static void block(fr_conn *c, const read_args *a, const fr_sid *ids)
{
    fr_arg *argv = fr__xmalloc((size_t)c->argc * sizeof *argv);
    char(*bufs)[FR_SID_STR_MAX] = fr__xmalloc((size_t)a->n * sizeof *bufs);
    memcpy(argv, c->argv, (size_t)c->argc * sizeof *argv);
    for (int i = 0; i < a->n; i++) {
        fr_arg *ida = &argv[a->streams + a->n + i];
        if (is_word(ida, '$')) {
            ida->len = (size_t)fr__sid_format(bufs[i], &ids[i]);
            ida->p = bufs[i];
        }
    }
    fr_arg *saved = c->argv;
    c->argv = argv; /* the engine keeps its own copy */
    fr__block_on_keys(c, argv + a->streams, a->n, a->deadline, serve_blocked);
    c->argv = saved;
    free(bufs);
    free(argv);
}

static void read_generic(fr_conn *c, int group_cmd)
{
    read_args a;
    if (!parse_read(c, c->argc, c->argv, group_cmd, 0, &a))
        return;
    fr_sid small[8];
    fr_sid *ids = a.n <= 8 ? small : fr__xmalloc((size_t)a.n * sizeof *ids);
    if (!resolve_ids(c, &a, group_cmd, ids))
        goto done;
    if (serve_now(c, &a, ids))
        goto done;
    if (a.block && !fr__block_denied(c))
        block(c, &a, ids);
    else
        fr__add_null_array(c); /* nothing, or not allowed to wait: as a timeout */
done:
    if (ids != small)
        free(ids);
}

void fr__cmd_xread(fr_conn *c)
{
    read_generic(c, 0);
}

void fr__cmd_xreadgroup(fr_conn *c)
{
    read_generic(c, 1);
}
