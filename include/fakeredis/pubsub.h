/*
 * fakeredis pub/sub from the test's side: publish without a client, and
 * look at who is subscribed to what.
 *
 * The typical use is checking a client's resubscribe-after-reconnect logic:
 * snapshot its subscriptions (by client name, or by id), make the fake drop
 * the connection, wait for the client to come back, snapshot again and
 * compare with fr_sub_list_equal().
 *
 * Threads: like every call taking an fr_server, each function may be
 * called from any thread for a threaded server (it is marshalled onto the
 * loop thread and waits), and only from the base's thread for an attached
 * one. Results are plain data owned by the caller.
 */
#ifndef FAKEREDIS_PUBSUB_H
#define FAKEREDIS_PUBSUB_H

#include <stddef.h>
#include <stdint.h>

#include "fakeredis/fakeredis.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The three kinds of subscription, each its own namespace. */
typedef enum fr_sub_kind {
    FR_SUB_CHANNEL = 0, /**< SUBSCRIBE: an exact channel name */
    FR_SUB_PATTERN = 1, /**< PSUBSCRIBE: a glob pattern, as given */
    FR_SUB_SHARD = 2    /**< SSUBSCRIBE: a shard channel name */
} fr_sub_kind;

/**
 * Publish msg (mlen bytes) on channel (chlen bytes), exactly as a client's
 * PUBLISH would (or SPUBLISH when kind is FR_SUB_SHARD): channel
 * subscribers, then pattern subscribers, RESP2 or RESP3 per receiver,
 * through the output stage (faults and recording see the messages).
 * Returns the number of receivers (>= 0), or a negative fr_status:
 * FR_ERR_ARG (NULL server or channel, or kind FR_SUB_PATTERN),
 * FR_ERR_STOPPED. The bytes are copied before the call returns.
 */
FR_API long long fr_pubsub_publish(fr_server *srv, fr_sub_kind kind, const char *channel,
                                   size_t chlen, const char *msg, size_t mlen);

/**
 * The number of clients subscribed to exactly this name of this kind: a
 * channel, a pattern (the pattern string itself, not the channels it
 * matches) or a shard channel. Returns >= 0, or a negative fr_status
 * (FR_ERR_ARG, FR_ERR_STOPPED).
 */
FR_API long long fr_pubsub_numsub(fr_server *srv, fr_sub_kind kind, const char *name, size_t len);

/**
 * One client's subscriptions at the moment of the call. Names of each kind
 * are sorted bytewise (memcmp, shorter first on a tie) so two snapshots
 * compare element by element; each name is NUL-terminated and may hold
 * NUL bytes (use the length). The whole structure is one allocation owned
 * by the caller: free it with fr_sub_list_free().
 */
typedef struct fr_sub_list {
    uint64_t client_id;          /**< the CLIENT ID of the client */
    size_t count[3];             /**< names per fr_sub_kind */
    const char *const *names[3]; /**< names[kind][0..count[kind]) */
    const size_t *lens[3];       /**< lens[kind][i]: bytes in names[kind][i] */
} fr_sub_list;

/**
 * Snapshot the subscriptions of the client whose CLIENT ID is id (a client
 * being closed counts as gone). On success *out is the caller's; a client
 * with no subscriptions gives a list with every count 0. Returns FR_OK,
 * FR_ERR_ARG (NULL argument, or no such client: *out is then NULL),
 * FR_ERR_STOPPED.
 */
FR_API int fr_pubsub_client_subs(fr_server *srv, uint64_t id, fr_sub_list **out);

/**
 * The same for the client named name (CLIENT SETNAME / HELLO SETNAME).
 * When several live clients have the name, the newest (highest id) is
 * taken: after a reconnect, that is the new connection.
 */
FR_API int fr_pubsub_client_subs_by_name(fr_server *srv, const char *name, fr_sub_list **out);

/** Free a list from fr_pubsub_client_subs*(). NULL is a no-op. Any thread. */
FR_API void fr_sub_list_free(fr_sub_list *l);

/** 1 if a and b hold the same names of every kind (client ids aside),
 *  0 otherwise (also when either is NULL). Any thread. */
FR_API int fr_sub_list_equal(const fr_sub_list *a, const fr_sub_list *b);

/** 1 if l holds name (len bytes) of that kind, 0 otherwise. Any thread. */
FR_API int fr_sub_list_has(const fr_sub_list *l, fr_sub_kind kind, const char *name, size_t len);

/** l as one readable line, for a failure message:
 *  client 7: channels ["alerts", "news"] patterns ["user:*"]
 *  (shard channels only when there are some; bytes outside printable
 *  ASCII escaped). *text is malloc'd, the caller frees it. FR_OK or
 *  FR_ERR_ARG (NULL text). A NULL l gives "(no list)". Any thread. */
FR_API int fr_sub_list_format(const fr_sub_list *l, char **text);

#ifdef __cplusplus
}
#endif

#endif /* FAKEREDIS_PUBSUB_H */
