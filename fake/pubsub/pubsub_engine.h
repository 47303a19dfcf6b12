/* Pub/Sub: who is subscribed to what, and the fan-out of messages.
 *
 * Three kinds of subscription, each with its own namespace: channels
 * (SUBSCRIBE, PUBLISH), patterns (PSUBSCRIBE, matched by PUBLISH with
 * fr__glob_match) and shard channels (SSUBSCRIBE, SPUBLISH).
 *
 * State: srv->pubsub maps, per kind, a name to the dict of its subscribers
 * (keyed by the 8 bytes of the client id, value the fr_conn); c->subs holds
 * the names a connection is subscribed to, per kind. Both exist only while
 * there is at least one subscription (srv->pubsub is freed with the last
 * one, so a server that never used pub/sub pays nothing and one that
 * stops frees everything through its connections' close hooks).
 * c->subs != NULL exactly when FR_CONN_PUBSUB is set.
 *
 * A message is encoded once per protocol (RESP2 array, RESP3 push) into a
 * refcounted frame that every subscriber's output queue references
 * (fr__conn_add_shared); the last reference frees it. Frames under 1 KB
 * are copied into the queues instead: a reference costs more than that
 * (see deliver() in pubsub.c). Channel subscribers get a message first,
 * then pattern subscribers, pattern by pattern, as Redis does: a client
 * matched by both gets both.
 *
 * Slow subscribers: after each frame queued on a subscribed client, the
 * bytes waiting in c->out are checked against client-output-buffer-limit
 * pubsub (hard: at once; soft: when still over it soft_seconds after it
 * was first crossed); a breach closes the client asynchronously and counts
 * in INFO's client_output_buffer_limit_disconnections.
 *
 * Everything runs on the loop thread. */
#ifndef FR_PUBSUB_H
#define FR_PUBSUB_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "base.h"

enum fr_sub_kind_int { FR_PS_CHANNEL = 0, FR_PS_PATTERN = 1, FR_PS_SHARD = 2, FR_PS_KINDS = 3 };

struct fr_pubsub {
    fr_dict by_name[FR_PS_KINDS]; /* name -> fr_dict* of subscribers (owned) */
};

struct fr_pubsub_conn {
    fr_dict names[FR_PS_KINDS]; /* what this client is subscribed to */
    int64_t soft_since_ms;      /* over the soft obuf limit since; 0: not */
};

/* Subscribe c to name; returns 1 if it was new, 0 if already there. */
int fr__pubsub_subscribe(fr_conn *c, int kind, const char *name, size_t len);
/* Unsubscribe c from name; returns 1 if it was subscribed. */
int fr__pubsub_unsubscribe(fr_conn *c, int kind, const char *name, size_t len);
/* Unsubscribe from everything of one kind; when reply is set, answer one
 * confirmation per name (or the null-channel one when there was none),
 * prefixed by verb ("unsubscribe"...). */
void fr__pubsub_unsubscribe_all(fr_conn *c, int kind, const char *verb, int reply);
/* Drop every subscription quietly (close, RESET). */
void fr__pubsub_drop_conn(fr_conn *c);

/* The count a confirmation shows: channels + patterns for the channel and
 * pattern commands, shard channels for the shard ones (Redis 7.0). */
long long fr__pubsub_conn_count(const fr_conn *c, int kind);
/* Per kind, for CLIENT LIST's sub/psub/ssub. */
void fr__pubsub_conn_counts(const fr_conn *c, int counts[3]);
/* Names with at least one subscriber, per kind, for INFO. */
void fr__pubsub_server_counts(fr_server *srv, long long counts[3]);
/* Subscribers of exactly this channel / pattern / shard channel. */
long long fr__pubsub_numsub(fr_server *srv, int kind, const char *name, size_t len);
/* The dict of names of one kind (NULL when nobody subscribed to anything). */
fr_dict *fr__pubsub_names(fr_server *srv, int kind);

/* Deliver msg on channel: kind FR_PS_CHANNEL (PUBLISH: channel then pattern
 * subscribers) or FR_PS_SHARD (SPUBLISH). Returns the number of receivers,
 * counting a client once per subscription that matched. */
long long fr__pubsub_publish(fr_server *srv, int kind, const char *ch, size_t chlen,
                             const char *msg, size_t mlen);

/* A slot this cluster node served moved away: every subscriber of a shard
 * channel in it is unsubscribed with a sunsubscribe push, as Redis 7.0's
 * node does when it loses a slot. */
void fr__pubsub_end_shard_slot(fr_server *srv, int slot);

/* A (un)subscribe confirmation [verb, name (NULL: null), count] as a push
 * (an array in RESP2). Sent even when c's replies are off (CLIENT REPLY
 * OFF/SKIP), as Redis does. */
void fr__pubsub_confirm(fr_conn *c, const char *verb, const char *name, size_t len,
                        long long count);

#endif
