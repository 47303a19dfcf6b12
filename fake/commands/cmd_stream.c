/* Stream entries: XADD, XRANGE, XREVRANGE, XLEN, XDEL, XTRIM, XSETID, with
 * Redis 7.0's argument order, replies, errors and keyspace events. */
#include <stdlib.h>
#include <string.h>

#include "commands_private.h"
#include "commands.h"

static fr_stream *S(fr_obj *o)
{
    return o->v.ptr;
}

/* ---- XADD and XTRIM options ----------------------------------------------- */

enum { TRIM_NONE, TRIM_MAXLEN, TRIM_MINID };

typedef struct trim_args {
    int strategy, approx, limit_given, nomkstream;
    long long maxlen, limit;
    fr_sid minid;
    int id_given, seq_given; /* XADD's ID (not "*") */
    fr_sid id;
} trim_args;

static int is_word(const fr_arg *a, char ch)
{
    return a->len == 1 && a->p[0] == ch;
}

/* MAXLEN [=|~] n / MINID [=|~] id at argv[*i]; moves *i to its value. */
static int parse_strategy(fr_conn *c, trim_args *a, int *i, int minid)
{
    int more = c->argc - 1 - *i;
    if (a->strategy != TRIM_NONE) {
        fr__add_error(c, "syntax error, MAXLEN and MINID options at the same time are not "
                         "compatible");
        return 0;
    }
    a->approx = 0;
    const fr_arg *next = &c->argv[*i + 1];
    if (more >= 2 && is_word(next, '~')) {
        a->approx = 1;
        (*i)++;
    } else if (more >= 2 && is_word(next, '=')) {
        (*i)++;
    }
    const fr_arg *v = &c->argv[*i + 1];
    if (minid) {
        if (!fr__sid_parse_or_reply(c, v, &a->minid, 0, 1))
            return 0;
        a->strategy = TRIM_MINID;
    } else {
        if (!fr__arg_ll(c, v, &a->maxlen))
            return 0;
        if (a->maxlen < 0) {
            fr__add_error(c, "The MAXLEN argument must be >= 0.");
            return 0;
        }
        a->strategy = TRIM_MAXLEN;
    }
    (*i)++;
    return 1;
}

/* Redis' streamParseAddOrTrimArgsOrReply: the options from argv[2]; for
 * XADD up to the ID (returns its index: argc when none), for XTRIM to the
 * end. Answers the error and returns -1. */
static int parse_add_trim(fr_conn *c, trim_args *a, int xadd)
{
    memset(a, 0, sizeof *a);
    int i = 2;
    for (; i < c->argc; i++) {
        int more = c->argc - 1 - i;
        const fr_arg *opt = &c->argv[i];
        if (xadd && is_word(opt, '*')) {
            break;
        } else if (fr__arg_is(opt, "maxlen") && more) {
            if (!parse_strategy(c, a, &i, 0))
                return -1;
        } else if (fr__arg_is(opt, "minid") && more) {
            if (!parse_strategy(c, a, &i, 1))
                return -1;
        } else if (fr__arg_is(opt, "limit") && more) {
            if (!fr__arg_ll(c, &c->argv[i + 1], &a->limit))
                return -1;
            if (a->limit < 0) {
                fr__add_error(c, "The LIMIT argument must be >= 0.");
                return -1;
            }
            a->limit_given = 1;
            i++;
        } else if (xadd && fr__arg_is(opt, "nomkstream")) {
            a->nomkstream = 1;
        } else if (xadd) {
            if (!fr__sid_parse(opt, &a->id, 0, 1, &a->seq_given)) {
                fr__add_error(c, fr__err_bad_sid);
                return -1;
            }
            a->id_given = 1;
            break;
        } else {
            fr__add_error(c, fr__err_syntax);
            return -1;
        }
    }
    if (a->limit && a->strategy == TRIM_NONE) {
        fr__add_error(c, "syntax error, LIMIT cannot be used without specifying a trimming "
                         "strategy");
        return -1;
    }
    if (!xadd && a->strategy == TRIM_NONE) {
        fr__add_error(c, "syntax error, XTRIM must be called with a trimming strategy");
        return -1;
    }
    if (a->limit_given) {
        if (!a->approx) {
            fr__add_error(c, "syntax error, LIMIT cannot be used without the special ~ option");
            return -1;
        }
    } else if (a->approx) {
        /* Redis bounds an approximate trim's work: 100 nodes' worth */
        /* Redis multiplies in long long; a huge setting wraps there too */
        a->limit =
            (long long)(100ULL * (unsigned long long)c->srv->cfg.enc.stream_node_max_entries);
        if (a->limit <= 0)
            a->limit = 10000;
        if (a->limit > 1000000)
            a->limit = 1000000;
    } else {
        a->limit = 0;
    }
    return i;
}

static int64_t trim(fr_stream *s, const trim_args *a)
{
    if (a->strategy == TRIM_NONE)
        return 0;
    return fr__stream_trim(s, a->maxlen, a->strategy == TRIM_MINID ? &a->minid : NULL, a->approx,
                           a->limit);
}

/* ---- XADD -------------------------------------------------------------------- */

/* The ID XADD adds: the given one, ms-* made complete, or the next from
 * the server clock. 0 when it would not be above the last ID. */
static int next_id(fr_conn *c, const fr_stream *s, const trim_args *a, fr_sid *id)
{
    if (a->id_given && a->seq_given) {
        *id = a->id;
    } else if (a->id_given) {
        if (s->last_id.ms == a->id.ms) {
            if (s->last_id.seq == UINT64_MAX)
                return 0;
            *id = s->last_id;
            id->seq++;
        } else {
            *id = a->id;
        }
    } else {
        uint64_t now = (uint64_t)fr__now_ms(c->srv);
        if (now > s->last_id.ms) {
            *id = (fr_sid){now, 0};
        } else {
            *id = s->last_id;
            fr__sid_incr(id);
        }
    }
    return fr__sid_cmp(id, &s->last_id) > 0;
}

void fr__cmd_xadd(fr_conn *c)
{
    trim_args a;
    int idpos = parse_add_trim(c, &a, 1);
    if (idpos < 0)
        return;
    int fields = idpos + 1, nfv = c->argc - fields;
    if (nfv < 2 || nfv % 2) {
        fr__add_errorf(c, "wrong number of arguments for 'xadd' command");
        return;
    }
    if (a.id_given && a.seq_given && fr__sid_is_zero(&a.id)) {
        fr__add_error(c, "The ID specified in XADD must be greater than 0-0");
        return;
    }
    const fr_arg *key = &c->argv[1];
    fr_obj *o = fr__lookup_write(c, key);
    if (fr__check_type(c, o, FR_TYPE_STREAM))
        return;
    if (!o) {
        if (a.nomkstream) {
            fr__add_null(c);
            return;
        }
        o = fr__stream_obj_new();
        fr__db_add(c->srv->ks, c->db, key->p, key->len, o);
    }
    fr_stream *s = S(o);
    if (s->last_id.ms == UINT64_MAX && s->last_id.seq == UINT64_MAX) {
        fr__add_error(c, "The stream has exhausted the last possible ID, unable to add more "
                         "items");
        return;
    }
    fr_sid id;
    if (!next_id(c, s, &a, &id)) {
        fr__add_error(c, "The ID specified in XADD is equal or smaller than the target stream "
                         "top item");
        return;
    }
    size_t bytes = 0;
    for (int i = fields; i < c->argc; i++)
        bytes += c->argv[i].len;
    if (bytes > (1u << 30)) {
        fr__add_error(c, "Elements are too large to be stored");
        return;
    }
    fr__stream_append(s, &c->srv->cfg.enc, &id, c->argv + fields, (size_t)nfv / 2);
    fr__add_sid(c, &id);
    fr__stream_notify(c, "xadd", key);
    if (trim(s, &a))
        fr__stream_notify(c, "xtrim", key);
    fr__keyspace_modified(c->srv->ks, c->db, key->p, key->len);
    fr__keyspace_ready(c->srv->ks, c->db, key->p, key->len);
}

/* ---- XRANGE, XREVRANGE, XLEN -------------------------------------------------- */

static void empty_array(fr_conn *c)
{
    fr__add_array(c, 0);
}

static void range_generic(fr_conn *c, int rev)
{
    const fr_arg *start = &c->argv[rev ? 3 : 2], *end = &c->argv[rev ? 2 : 3];
    fr_sid from, to;
    if (!fr__sid_range_or_reply(c, start, end, &from, &to))
        return;
    long long count = -1;
    for (int j = 4; j < c->argc; j++) {
        if (fr__arg_is(&c->argv[j], "count") && c->argc - j - 1 >= 1) {
            if (!fr__arg_ll(c, &c->argv[j + 1], &count))
                return;
            if (count < 0)
                count = 0;
            j++;
        } else {
            fr__add_error(c, fr__err_syntax);
            return;
        }
    }
    fr_obj *o = fr__lookup_read_or_reply(c, &c->argv[1], FR_TYPE_STREAM, empty_array);
    if (!o)
        return;
    if (count == 0) {
        fr__add_null_array(c);
        return;
    }
    fr__stream_reply_range(c, S(o), &from, &to, count < 0 ? 0 : (size_t)count, rev, NULL, NULL, 0);
}

void fr__cmd_xrange(fr_conn *c)
{
    range_generic(c, 0);
}

void fr__cmd_xrevrange(fr_conn *c)
{
    range_generic(c, 1);
}

void fr__cmd_xlen(fr_conn *c)
{
    fr_obj *o = fr__lookup_read_or_reply(c, &c->argv[1], FR_TYPE_STREAM, fr__add_zero);
    if (o)
        fr__add_ll(c, (long long)S(o)->length);
}

/* ---- XDEL, XTRIM ---------------------------------------------------------------- */

void fr__cmd_xdel(fr_conn *c)
{
    const fr_arg *key = &c->argv[1];
    fr_obj *o = fr__lookup_write_or_reply(c, key, FR_TYPE_STREAM, fr__add_zero);
    if (!o)
        return;
    fr_stream *s = S(o);
    int n = c->argc - 2;
    fr_sid small[8];
    fr_sid *ids = n <= 8 ? small : fr__xmalloc((size_t)n * sizeof *ids);
    /* every ID first: a bad one must not leave the command half done */
    for (int j = 0; j < n; j++) {
        if (!fr__sid_parse_or_reply(c, &c->argv[2 + j], &ids[j], 0, 1)) {
            if (ids != small)
                free(ids);
            return;
        }
    }
    long long deleted = 0;
    int first_gone = 0;
    for (int j = 0; j < n; j++) {
        if (!fr__stream_delete(s, &ids[j]))
            continue;
        if (!fr__sid_cmp(&ids[j], &s->first_id))
            first_gone = 1;
        if (fr__sid_cmp(&ids[j], &s->max_deleted) > 0)
            s->max_deleted = ids[j];
        deleted++;
    }
    if (ids != small)
        free(ids);
    if (deleted) {
        if (!s->length)
            s->first_id = (fr_sid){0, 0};
        else if (first_gone)
            fr__stream_first_live(s, &s->first_id);
        fr__keyspace_modified(c->srv->ks, c->db, key->p, key->len);
        fr__stream_notify(c, "xdel", key);
    }
    fr__add_ll(c, deleted);
}

void fr__cmd_xtrim(fr_conn *c)
{
    trim_args a;
    if (parse_add_trim(c, &a, 0) < 0)
        return;
    const fr_arg *key = &c->argv[1];
    fr_obj *o = fr__lookup_write_or_reply(c, key, FR_TYPE_STREAM, fr__add_zero);
    if (!o)
        return;
    int64_t deleted = trim(S(o), &a);
    if (deleted) {
        fr__stream_notify(c, "xtrim", key);
        fr__keyspace_modified(c->srv->ks, c->db, key->p, key->len);
    }
    fr__add_ll(c, deleted);
}

/* ---- XSETID ---------------------------------------------------------------------- */

static void no_such_key(fr_conn *c)
{
    fr__add_error(c, fr__err_no_such_key);
}

void fr__cmd_xsetid(fr_conn *c)
{
    fr_sid id, max_del = {0, 0};
    long long added = -1;
    if (!fr__sid_parse_or_reply(c, &c->argv[2], &id, 0, 1))
        return;
    for (int i = 3; i < c->argc; i++) {
        int more = c->argc - 1 - i;
        if (fr__arg_is(&c->argv[i], "entriesadded") && more) {
            if (!fr__arg_ll(c, &c->argv[i + 1], &added))
                return;
            if (added < 0) {
                fr__add_error(c, "entries_added must be positive");
                return;
            }
            i++;
        } else if (fr__arg_is(&c->argv[i], "maxdeletedid") && more) {
            if (!fr__sid_parse_or_reply(c, &c->argv[i + 1], &max_del, 0, 1))
                return;
            if (fr__sid_cmp(&id, &max_del) < 0) {
                fr__add_error(c, "The ID specified in XSETID is smaller than the provided "
                                 "max_deleted_entry_id");
                return;
            }
            i++;
        } else {
            fr__add_error(c, fr__err_syntax);
            return;
        }
    }
    const fr_arg *key = &c->argv[1];
    fr_obj *o = fr__lookup_write_or_reply(c, key, FR_TYPE_STREAM, no_such_key);
    if (!o)
        return;
    fr_stream *s = S(o);
    if (s->length) {
        fr_sid top;
        fr__stream_last_live(s, &top);
        if (fr__sid_cmp(&id, &top) < 0) {
            fr__add_error(c, "The ID specified in XSETID is smaller than the target stream top "
                             "item");
            return;
        }
        if (added != -1 && s->length > (uint64_t)added) {
            fr__add_error(c, "The entries_added specified in XSETID is smaller than the target "
                             "stream length");
            return;
        }
    }
    s->last_id = id;
    if (added != -1)
        s->entries_added = (uint64_t)added;
    if (!fr__sid_is_zero(&max_del))
        s->max_deleted = max_del;
    fr__add_ok(c); /* Redis 7.0 does not signal WATCH here */
    fr__stream_notify(c, "xsetid", key);
}
