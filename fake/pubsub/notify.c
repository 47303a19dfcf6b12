/* Keyspace notifications, delivered as ordinary PUBLISHes: first
 * __keyspace@<db>__:<key> carrying the event name (class K), then
 * __keyevent@<db>__:<event> carrying the key (class E), as Redis does. */
#include "notify.h"

#include <string.h>

#include "pubsub_engine.h"

static void publish_to(fr_server *srv, const char *prefix, int db, const char *suffix, size_t slen,
                       const char *msg, size_t mlen)
{
    fr_buf ch = {0};
    fr__buf_puts(&ch, prefix);
    fr__buf_put_ll(&ch, db);
    fr__buf_append(&ch, "__:", 3);
    fr__buf_append(&ch, suffix, slen);
    fr__pubsub_publish(srv, FR_PS_CHANNEL, ch.p, ch.len, msg, mlen);
    fr__buf_free(&ch);
}

/* The keyspace's notify listener (registered with the first subscription:
 * with nobody subscribed there is nobody to tell). */
static void on_notify(void *ctx, int type, const char *event, const char *key, size_t klen,
                      int db)
{
    fr_server *srv = ctx;
    int flags = srv->cfg.notify_flags;
    if (!(flags & type) || !(flags & (FR_NOTIFY_KEYSPACE | FR_NOTIFY_KEYEVENT)))
        return;
    if (!srv->pubsub)
        return; /* nobody is subscribed to anything: no names to build */
    size_t elen = strlen(event);
    if (flags & FR_NOTIFY_KEYSPACE)
        publish_to(srv, "__keyspace@", db, key, klen, event, elen);
    if (flags & FR_NOTIFY_KEYEVENT)
        publish_to(srv, "__keyevent@", db, event, elen, key, klen);
}

void fr__notify_listen(fr_server *srv)
{
    fr_keyspace_listener l = {.notify = on_notify, .ctx = srv};
    fr__keyspace_listen(srv->ks, &l);
}
