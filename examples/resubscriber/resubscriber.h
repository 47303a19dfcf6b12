/* A resilient subscriber on hiredis' async API and libevent: the kind of
 * client logic fakeredis exists to test. It subscribes to a fixed set of
 * channels and, whenever the connection drops or a connect is refused,
 * reconnects with a capped backoff and subscribes again to the same set. */
#ifndef RESUBSCRIBER_H
#define RESUBSCRIBER_H

#include <stddef.h>

struct event_base;

typedef struct resub resub;

typedef void resub_on_message(const char *channel, const char *payload, size_t len, void *ctx);

/* Start subscribing to channels[0..n) on host:port, as client `name`.
 * Strings are copied. Runs on base; returns NULL on allocation failure. */
resub *resub_start(struct event_base *base, const char *host, int port, const char *name,
                   const char *const *channels, size_t n, resub_on_message *cb, void *ctx);
/* Stop and free (disconnects if connected). */
void resub_stop(resub *r);

/* How many times it connected, and how many connects failed. */
int resub_connects(const resub *r);
int resub_failures(const resub *r);
/* 1 while connected and subscribed to every channel. */
int resub_ready(const resub *r);

#endif
