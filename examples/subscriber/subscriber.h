/* A resilient subscriber on hiredis' async API and libevent: the kind of
 * client logic fakeredis exists to test. It subscribes to channels and
 * patterns and, whenever the connection drops or a connect is refused,
 * reconnects with a capped exponential backoff and subscribes again to the
 * same set. Messages carry a sequence number ("<seq>:<text>"); a gap in
 * the numbers is counted as messages it could not receive while down.
 *
 * Compile flags that break it on purpose (its tests must then fail):
 *   SUBSCRIBER_NO_RESUBSCRIBE  subscribe on the first connection only
 *   SUBSCRIBER_NO_RECONNECT    give up once the connection drops */
#ifndef SUBSCRIBER_H
#define SUBSCRIBER_H

#include <stddef.h>
#include <stdint.h>

struct event_base;

typedef struct subscriber subscriber;

/* channel is the channel the message came on; pattern the pattern that
 * matched it, or NULL for a channel subscription. */
typedef void sub_on_message(const char *channel, const char *pattern, const char *payload,
                            size_t len, void *ctx);

typedef struct sub_config {
    const char *host;
    int port;
    const char *name;                /* CLIENT SETNAME */
    const char *const *channels;     /* NULL-terminated; NULL: none */
    const char *const *patterns;     /* NULL-terminated; NULL: none */
    int backoff_min_ms, backoff_max_ms; /* 0: 10 and 200 */
    sub_on_message *cb;
    void *ctx;
} sub_config;

/* Start on base (strings are copied). NULL on allocation failure. */
subscriber *subscriber_start(struct event_base *base, const sub_config *cfg);
/* Stop and free (disconnects if connected). */
void subscriber_stop(subscriber *s);

/* Connections made, connects that failed (refused, reset before ready). */
int subscriber_connects(const subscriber *s);
int subscriber_failures(const subscriber *s);
/* 1 while connected and every subscription is confirmed. */
int subscriber_ready(const subscriber *s);
/* Messages received, and messages known missing (sequence gaps). */
uint64_t subscriber_received(const subscriber *s);
uint64_t subscriber_lost(const subscriber *s);

#endif
