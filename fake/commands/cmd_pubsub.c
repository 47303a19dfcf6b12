/* SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, SSUBSCRIBE, SUNSUBSCRIBE,
 * PUBLISH, SPUBLISH and PUBSUB. The state and the fan-out are pubsub.c's;
 * here are the replies, in Redis 7.0's shapes: one confirmation per
 * argument, in argument order, each with the running count. */
#include <string.h>

#include "commands_private.h"
#include "core.h"
#include "commands.h"
#include "base.h"
#include "pubsub_engine.h"
#include "cluster_engine.h"

/* fr_exec's pseudo client has no socket: a subscription would pile its
 * messages up in a queue that nobody reads. Scripts can't subscribe in
 * Redis either. */
static int refuse_pseudo(fr_conn *c)
{
    if (!(c->flags & FR_CONN_PSEUDO))
        return 0;
    fr__add_errorf(c, "'%s' needs a real connection: it is not available through fr_exec",
                   c->cmd->name);
    return 1;
}

static void subscribe(fr_conn *c, int kind, const char *verb)
{
    if (refuse_pseudo(c))
        return;
    for (int i = 1; i < c->argc; i++) {
        fr__pubsub_subscribe(c, kind, c->argv[i].p, c->argv[i].len);
        fr__pubsub_confirm(c, verb, c->argv[i].p, c->argv[i].len, fr__pubsub_conn_count(c, kind));
    }
}

static void unsubscribe(fr_conn *c, int kind, const char *verb)
{
    if (c->argc == 1) {
        fr__pubsub_unsubscribe_all(c, kind, verb, 1);
        return;
    }
    for (int i = 1; i < c->argc; i++) {
        fr__pubsub_unsubscribe(c, kind, c->argv[i].p, c->argv[i].len);
        fr__pubsub_confirm(c, verb, c->argv[i].p, c->argv[i].len, fr__pubsub_conn_count(c, kind));
    }
}

void fr__cmd_subscribe(fr_conn *c)
{
    subscribe(c, FR_PS_CHANNEL, "subscribe");
}

void fr__cmd_unsubscribe(fr_conn *c)
{
    unsubscribe(c, FR_PS_CHANNEL, "unsubscribe");
}

void fr__cmd_psubscribe(fr_conn *c)
{
    subscribe(c, FR_PS_PATTERN, "psubscribe");
}

void fr__cmd_punsubscribe(fr_conn *c)
{
    unsubscribe(c, FR_PS_PATTERN, "punsubscribe");
}

void fr__cmd_ssubscribe(fr_conn *c)
{
    /* a node that loses a slot ends its shard channels (7.0) */
    fr__cluster_on_slot_lost(c->srv, fr__pubsub_end_shard_slot);
    subscribe(c, FR_PS_SHARD, "ssubscribe");
}

void fr__cmd_sunsubscribe(fr_conn *c)
{
    unsubscribe(c, FR_PS_SHARD, "sunsubscribe");
}

/* A PUBLISH another node of the cluster got: [channel length][channel][message]. */
static void publish_from_bus(fr_server *srv, const char *data, size_t len)
{
    size_t chlen;
    memcpy(&chlen, data, sizeof chlen);
    const char *ch = data + sizeof chlen;
    fr__pubsub_publish(srv, FR_PS_CHANNEL, ch, chlen, ch + chlen, len - sizeof chlen - chlen);
}

/* In cluster mode every node's subscribers see a PUBLISH (the cluster bus
 * carries it); the reply counts this node's receivers only, as Redis'. */
void fr__cmd_publish(fr_conn *c)
{
    if (fr__cluster_enabled(c->srv)) {
        const fr_arg *ch = &c->argv[1], *msg = &c->argv[2];
        fr_buf b = {0};
        fr__buf_append(&b, &ch->len, sizeof ch->len);
        fr__buf_append(&b, ch->p, ch->len);
        fr__buf_append(&b, msg->p, msg->len);
        fr__cluster_broadcast(c->srv, publish_from_bus, b.p, b.len);
        fr__buf_free(&b);
    }
    fr__add_ll(c, fr__pubsub_publish(c->srv, FR_PS_CHANNEL, c->argv[1].p, c->argv[1].len,
                                     c->argv[2].p, c->argv[2].len));
}

void fr__cmd_spublish(fr_conn *c)
{
    fr__add_ll(c, fr__pubsub_publish(c->srv, FR_PS_SHARD, c->argv[1].p, c->argv[1].len,
                                     c->argv[2].p, c->argv[2].len));
}

/* ---- PUBSUB ------------------------------------------------------------ */

/* CHANNELS and SHARDCHANNELS take one optional pattern; the table's arity
 * only says "at least 2", so more is caught here, with Redis' text. */
static void list_names(fr_conn *c, int kind)
{
    if (c->argc > 3) {
        fr__add_errorf(c,
                       "unknown subcommand or wrong number of arguments for '%.*s'. Try "
                       "PUBSUB HELP.",
                       (int)(c->argv[1].len > 128 ? 128 : c->argv[1].len), c->argv[1].p);
        return;
    }
    const fr_arg *pat = c->argc == 3 ? &c->argv[2] : NULL;
    fr_dict *names = fr__pubsub_names(c->srv, kind);
    size_t h = fr__add_deferred(c);
    long long n = 0;
    if (names) {
        fr_dict_iter it;
        fr_dict_entry *e;
        fr__dict_iter_start(&it, names);
        while ((e = fr__dict_iter_next(&it))) {
            if (pat && !fr__glob_match(pat->p, pat->len, e->key, e->klen, 0))
                continue;
            fr__add_bulk(c, e->key, e->klen);
            n++;
        }
        fr__dict_iter_end(&it);
    }
    fr__set_deferred(c, h, '*', n);
}

/* NUMSUB and SHARDNUMSUB: name, count pairs as a flat array (also in
 * RESP3, as Redis 7.0 answers). */
static void count_names(fr_conn *c, int kind)
{
    fr__add_array(c, (long long)(c->argc - 2) * 2);
    for (int i = 2; i < c->argc; i++) {
        fr__add_bulk(c, c->argv[i].p, c->argv[i].len);
        fr__add_ll(c, fr__pubsub_numsub(c->srv, kind, c->argv[i].p, c->argv[i].len));
    }
}

void fr__cmd_pubsub_channels(fr_conn *c)
{
    list_names(c, FR_PS_CHANNEL);
}

void fr__cmd_pubsub_shardchannels(fr_conn *c)
{
    list_names(c, FR_PS_SHARD);
}

void fr__cmd_pubsub_numsub(fr_conn *c)
{
    count_names(c, FR_PS_CHANNEL);
}

void fr__cmd_pubsub_shardnumsub(fr_conn *c)
{
    count_names(c, FR_PS_SHARD);
}

/* Unique patterns, not pattern subscriptions (Redis 7.0). */
void fr__cmd_pubsub_numpat(fr_conn *c)
{
    fr_dict *pats = fr__pubsub_names(c->srv, FR_PS_PATTERN);
    fr__add_ll(c, pats ? (long long)fr__dict_size(pats) : 0);
}

void fr__cmd_pubsub_help(fr_conn *c)
{
    static const char *const lines[] = {
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> "
        "(default: '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
        NULL};
    fr__add_help(c, "PUBSUB", lines);
}
