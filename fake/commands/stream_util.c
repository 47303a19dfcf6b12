/* What the stream command files share: IDs as arguments and replies, the
 * entry range reply with its consumer group bookkeeping, consumers looked
 * up as XREADGROUP and XCLAIM do. See commands_private.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "commands_private.h"

const char fr__err_bad_sid[] = "Invalid stream ID specified as stream command argument";

/* Redis' string2ull: a canonical integer, or else what strtoull takes
 * whole (spaces and a sign first, leading zeros). */
static int parse_ull(const char *s, uint64_t *out)
{
    long long ll;
    size_t n = strlen(s);
    if (fr__str2ll(s, n, &ll)) {
        if (ll < 0)
            return 0;
        *out = (uint64_t)ll;
        return 1;
    }
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno == EINVAL || errno == ERANGE || !(*s != '\0' && *end == '\0'))
        return 0;
    *out = v;
    return 1;
}

int fr__sid_parse(const fr_arg *a, fr_sid *id, uint64_t missing_seq, int strict, int *seq_given)
{
    char buf[128];
    if (a->len > sizeof buf - 1)
        return 0;
    /* Redis reads the argument as a C string: it ends at a NUL byte */
    memcpy(buf, a->p, a->len);
    buf[a->len] = '\0';
    if (strict && (buf[0] == '-' || buf[0] == '+') && buf[1] == '\0')
        return 0;
    if (seq_given)
        *seq_given = 1;
    if (buf[0] == '-' && buf[1] == '\0') {
        *id = (fr_sid){0, 0};
        return 1;
    }
    if (buf[0] == '+' && buf[1] == '\0') {
        *id = (fr_sid){UINT64_MAX, UINT64_MAX};
        return 1;
    }
    char *dash = strchr(buf, '-');
    if (dash)
        *dash = '\0';
    uint64_t ms, seq = missing_seq;
    if (!parse_ull(buf, &ms))
        return 0;
    if (dash) {
        if (seq_given && dash[1] == '*' && dash[2] == '\0') {
            seq = 0;
            *seq_given = 0;
        } else if (!parse_ull(dash + 1, &seq)) {
            return 0;
        }
    }
    id->ms = ms;
    id->seq = seq;
    return 1;
}

int fr__sid_parse_or_reply(fr_conn *c, const fr_arg *a, fr_sid *id, uint64_t missing_seq,
                           int strict)
{
    if (fr__sid_parse(a, id, missing_seq, strict, NULL))
        return 1;
    fr__add_error(c, fr__err_bad_sid);
    return 0;
}

int fr__sid_interval_or_reply(fr_conn *c, const fr_arg *a, fr_sid *id, int *excl,
                              uint64_t missing_seq)
{
    *excl = a->len > 1 && a->p[0] == '(';
    if (!*excl)
        return fr__sid_parse_or_reply(c, a, id, missing_seq, 0);
    fr_arg rest = {a->p + 1, a->len - 1};
    return fr__sid_parse_or_reply(c, &rest, id, missing_seq, 1);
}

int fr__sid_range_or_reply(fr_conn *c, const fr_arg *start, const fr_arg *end, fr_sid *from,
                           fr_sid *to)
{
    int ex;
    if (!fr__sid_interval_or_reply(c, start, from, &ex, 0))
        return 0;
    if (ex && !fr__sid_incr(from)) {
        fr__add_error(c, "invalid start ID for the interval");
        return 0;
    }
    if (!fr__sid_interval_or_reply(c, end, to, &ex, UINT64_MAX))
        return 0;
    if (ex && !fr__sid_decr(to)) {
        fr__add_error(c, "invalid end ID for the interval");
        return 0;
    }
    return 1;
}

void fr__add_sid(fr_conn *c, const fr_sid *id)
{
    char buf[FR_SID_STR_MAX];
    int n = fr__sid_format(buf, id);
    fr__add_bulk(c, buf, (size_t)n);
}

int fr__arg_cstr_len(const fr_arg *a)
{
    const char *nul = memchr(a->p, '\0', a->len);
    return (int)(nul ? (size_t)(nul - a->p) : a->len);
}

void fr__stream_notify(fr_conn *c, const char *event, const fr_arg *key)
{
    fr__keyspace_notify(c->srv->ks, FR_NOTIFY_STREAM, event, key->p, key->len, c->db);
}

fr_sconsumer *fr__sconsumer_get(fr_conn *c, fr_sgroup *g, const fr_arg *key, const fr_arg *name)
{
    int64_t now = fr__now_ms(c->srv);
    fr_sconsumer *cons = fr__sconsumer_find(g, name->p, name->len);
    if (cons) {
        cons->seen_time = now;
        return cons;
    }
    cons = fr__sconsumer_create(g, name->p, name->len, now);
    fr__stream_notify(c, "xgroup-createconsumer", key);
    return cons;
}

/* One entry: [id, [field, value, ...]]. */
static void add_entry(fr_conn *c, fr_stream_iter *it, const fr_sid *id, uint64_t nf)
{
    fr__add_array(c, 2);
    fr__add_sid(c, id);
    fr__add_array(c, (long long)(nf * 2));
    for (uint64_t i = 0; i < nf; i++) {
        const char *f, *v;
        size_t fl, vl;
        fr__stream_iter_field(it, &f, &fl, &v, &vl);
        fr__add_bulk(c, f, fl);
        fr__add_bulk(c, v, vl);
    }
}

int fr__stream_add_entry(fr_conn *c, const fr_stream *s, const fr_sid *id)
{
    fr_stream_iter it;
    fr_sid got;
    uint64_t nf;
    fr__stream_iter_start(&it, s, id, id, 0);
    int found = fr__stream_iter_next(&it, &got, &nf);
    if (found)
        add_entry(c, &it, &got, nf);
    fr__stream_iter_end(&it);
    return found;
}

/* XREADGROUP with an ID: the consumer's own pending entries from start,
 * each delivered once more; an entry deleted since shows as [id, nil]. */
static size_t reply_history(fr_conn *c, fr_stream *s, const fr_sid *start, size_t count,
                            fr_sconsumer *cons)
{
    int64_t now = fr__now_ms(c->srv);
    size_t h = fr__add_deferred(c), n = 0;
    fr_sid at = *start, id;
    void *v;
    while ((!count || n < count) && fr__sidtree_seek(&cons->pel, &at, &id, &v)) {
        if (fr__stream_add_entry(c, s, &id)) {
            fr_snack *nack = v;
            nack->delivery_time = now;
            nack->delivery_count++;
        } else {
            fr__add_array(c, 2);
            fr__add_sid(c, &id);
            fr__add_null_array(c);
        }
        n++;
        at = id;
        if (!fr__sid_incr(&at))
            break;
    }
    fr__set_deferred(c, h, '*', (long long)n);
    return n;
}

size_t fr__stream_reply_range(fr_conn *c, fr_stream *s, const fr_sid *start, const fr_sid *end,
                              size_t count, int rev, fr_sgroup *g, fr_sconsumer *cons, int flags)
{
    if (g && (flags & FR_SRANGE_HISTORY))
        return reply_history(c, s, start, count, cons);
    int64_t now = g ? fr__now_ms(c->srv) : 0;
    size_t h = (flags & FR_SRANGE_RAW) ? 0 : fr__add_deferred(c), n = 0;
    fr_stream_iter it;
    fr_sid id;
    uint64_t nf;
    fr__stream_iter_start(&it, s, start, end, rev);
    while (fr__stream_iter_next(&it, &id, &nf)) {
        if (g)
            fr__sgroup_advance(s, g, &id);
        add_entry(c, &it, &id, nf);
        if (g && !(flags & FR_SRANGE_NOACK))
            fr__sgroup_deliver(g, cons, &id, now);
        if (++n == count)
            break;
    }
    fr__stream_iter_end(&it);
    if (!(flags & FR_SRANGE_RAW))
        fr__set_deferred(c, h, '*', (long long)n);
    return n;
}
