/* XINFO STREAM [FULL [COUNT n]], GROUPS, CONSUMERS and HELP, with Redis
 * 7.0's fields (entries-read, lag, max-deleted-entry-id, entries-added,
 * recorded-first-entry-id) and their order. */
#include <stdlib.h>

#include "commands_private.h"
#include "commands.h"

static void no_such_key(fr_conn *c)
{
    fr__add_error(c, fr__err_no_such_key);
}

static fr_stream *lookup(fr_conn *c)
{
    fr_obj *o = fr__lookup_read_or_reply(c, &c->argv[2], FR_TYPE_STREAM, no_such_key);
    return o ? o->v.ptr : NULL;
}

static void subcommand_syntax(fr_conn *c)
{
    int n = fr__arg_cstr_len(&c->argv[1]);
    fr__add_errorf(c,
                   "unknown subcommand or wrong number of arguments for '%.*s'. Try XINFO "
                   "HELP.",
                   n > 128 ? 128 : n, c->argv[1].p);
}

static void add_key(fr_conn *c, const char *k)
{
    fr__add_bulk_cstr(c, k);
}

static void add_entries_read(fr_conn *c, const fr_sgroup *g)
{
    if (g->entries_read != FR_SG_READ_UNKNOWN)
        fr__add_ll(c, g->entries_read);
    else
        fr__add_null(c);
}

static void add_lag(fr_conn *c, const fr_stream *s, const fr_sgroup *g)
{
    long long lag;
    if (fr__sgroup_lag(s, g, &lag))
        fr__add_ll(c, lag);
    else
        fr__add_null(c);
}

/* An edge entry, or nil for an empty stream. */
static void add_edge(fr_conn *c, const fr_stream *s, int last)
{
    fr_sid id;
    if ((last ? fr__stream_last_live : fr__stream_first_live)(s, &id))
        fr__stream_add_entry(c, s, &id);
    else
        fr__add_null(c);
}

/* XINFO STREAM FULL's group: its PEL and consumers, count of each at
 * most (0: all). */
static void add_full_group(fr_conn *c, const fr_stream *s, fr_sgroup *g, long long count)
{
    fr__add_map(c, 7);
    add_key(c, "name");
    fr__add_bulk(c, g->name, g->nlen);
    add_key(c, "last-delivered-id");
    fr__add_sid(c, &g->last_id);
    add_key(c, "entries-read");
    add_entries_read(c, g);
    add_key(c, "lag");
    add_lag(c, s, g);
    add_key(c, "pel-count");
    fr__add_ll(c, (long long)g->pel.n);
    add_key(c, "pending");
    size_t h = fr__add_deferred(c);
    long long n = 0;
    fr_sid at = {0, 0}, id;
    void *v;
    while ((!count || n < count) && fr__sidtree_seek(&g->pel, &at, &id, &v)) {
        const fr_snack *nack = v;
        fr__add_array(c, 4);
        fr__add_sid(c, &id);
        fr__add_bulk(c, nack->consumer->name, nack->consumer->nlen);
        fr__add_ll(c, nack->delivery_time);
        fr__add_ll(c, (long long)nack->delivery_count);
        n++;
        at = id;
        if (!fr__sid_incr(&at))
            break;
    }
    fr__set_deferred(c, h, '*', n);
    add_key(c, "consumers");
    size_t nc;
    fr_sconsumer **cs = fr__sconsumers_sorted(g, &nc);
    fr__add_array(c, (long long)nc);
    for (size_t i = 0; i < nc; i++) {
        fr__add_map(c, 4);
        add_key(c, "name");
        fr__add_bulk(c, cs[i]->name, cs[i]->nlen);
        add_key(c, "seen-time");
        fr__add_ll(c, cs[i]->seen_time);
        add_key(c, "pel-count");
        fr__add_ll(c, (long long)cs[i]->pel.n);
        add_key(c, "pending");
        h = fr__add_deferred(c);
        n = 0;
        at = (fr_sid){0, 0};
        while ((!count || n < count) && fr__sidtree_seek(&cs[i]->pel, &at, &id, &v)) {
            const fr_snack *nack = v;
            fr__add_array(c, 3);
            fr__add_sid(c, &id);
            fr__add_ll(c, nack->delivery_time);
            fr__add_ll(c, (long long)nack->delivery_count);
            n++;
            at = id;
            if (!fr__sid_incr(&at))
                break;
        }
        fr__set_deferred(c, h, '*', n);
    }
    free(cs);
}

void fr__cmd_xinfo_stream(fr_conn *c)
{
    int full = 0;
    long long count = 10; /* FULL's default, to keep the reply bounded */
    int optc = c->argc - 3;
    const fr_arg *optv = c->argv + 3;
    fr_stream *s = lookup(c);
    if (!s)
        return;
    if (optc) {
        if ((optc != 1 && optc != 3) || !fr__arg_is(&optv[0], "full") ||
            (optc == 3 && !fr__arg_is(&optv[1], "count"))) {
            subcommand_syntax(c);
            return;
        }
        if (optc == 3) {
            if (!fr__arg_ll(c, &optv[2], &count))
                return;
            if (count < 0)
                count = 10;
        }
        full = 1;
    }
    fr__add_map(c, full ? 9 : 10);
    add_key(c, "length");
    fr__add_ll(c, (long long)s->length);
    add_key(c, "radix-tree-keys");
    fr__add_ll(c, (long long)fr__stream_node_count(s));
    add_key(c, "radix-tree-nodes");
    fr__add_ll(c, (long long)fr__stream_rax_nodes(s));
    add_key(c, "last-generated-id");
    fr__add_sid(c, &s->last_id);
    add_key(c, "max-deleted-entry-id");
    fr__add_sid(c, &s->max_deleted);
    add_key(c, "entries-added");
    fr__add_ll(c, (long long)s->entries_added);
    add_key(c, "recorded-first-entry-id");
    fr__add_sid(c, &s->first_id);
    if (!full) {
        add_key(c, "groups");
        fr__add_ll(c, (long long)fr__sgroup_count(s));
        add_key(c, "first-entry");
        add_edge(c, s, 0);
        add_key(c, "last-entry");
        add_edge(c, s, 1);
        return;
    }
    add_key(c, "entries");
    fr__stream_reply_range(c, s, NULL, NULL, (size_t)count, 0, NULL, NULL, 0);
    add_key(c, "groups");
    size_t ng;
    fr_sgroup **gs = fr__sgroups_sorted(s, &ng);
    fr__add_array(c, (long long)ng);
    for (size_t i = 0; i < ng; i++)
        add_full_group(c, s, gs[i], count);
    free(gs);
}

void fr__cmd_xinfo_groups(fr_conn *c)
{
    fr_stream *s = lookup(c);
    if (!s)
        return;
    size_t ng;
    fr_sgroup **gs = fr__sgroups_sorted(s, &ng);
    fr__add_array(c, (long long)ng);
    for (size_t i = 0; i < ng; i++) {
        fr_sgroup *g = gs[i];
        fr__add_map(c, 6);
        add_key(c, "name");
        fr__add_bulk(c, g->name, g->nlen);
        add_key(c, "consumers");
        fr__add_ll(c, (long long)fr__dict_size(&g->consumers));
        add_key(c, "pending");
        fr__add_ll(c, (long long)g->pel.n);
        add_key(c, "last-delivered-id");
        fr__add_sid(c, &g->last_id);
        add_key(c, "entries-read");
        add_entries_read(c, g);
        add_key(c, "lag");
        add_lag(c, s, g);
    }
    free(gs);
}

void fr__cmd_xinfo_consumers(fr_conn *c)
{
    fr_stream *s = lookup(c);
    if (!s)
        return;
    const fr_arg *group = &c->argv[3], *key = &c->argv[2];
    fr_sgroup *g = fr__sgroup_find(s, group->p, group->len);
    if (!g) {
        fr__add_errorf(c, "-NOGROUP No such consumer group '%.*s' for key name '%.*s'",
                       fr__arg_cstr_len(group), group->p, fr__arg_cstr_len(key), key->p);
        return;
    }
    int64_t now = fr__now_ms(c->srv);
    size_t nc;
    fr_sconsumer **cs = fr__sconsumers_sorted(g, &nc);
    fr__add_array(c, (long long)nc);
    for (size_t i = 0; i < nc; i++) {
        int64_t idle = now - cs[i]->seen_time;
        fr__add_map(c, 3);
        add_key(c, "name");
        fr__add_bulk(c, cs[i]->name, cs[i]->nlen);
        add_key(c, "pending");
        fr__add_ll(c, (long long)cs[i]->pel.n);
        add_key(c, "idle");
        fr__add_ll(c, idle < 0 ? 0 : idle);
    }
    free(cs);
}

void fr__cmd_xinfo_help(fr_conn *c)
{
    static const char *const help[] = {
        "CONSUMERS <key> <groupname>",
        "    Show consumers of <groupname>.",
        "GROUPS <key>",
        "    Show the stream consumer groups.",
        "STREAM <key> [FULL [COUNT <count>]",
        "    Show information about the stream.",
        NULL,
    };
    fr__add_help(c, "XINFO", help);
}
