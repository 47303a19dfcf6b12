/* Keyspace notifications: the one call every write command makes after it
 * changed a key. The classes (K E g $ l s h z x e t m d n, and A) are
 * FR_NOTIFY_* in config.h, with Redis' bits; notify-keyspace-events holds
 * the enabled set in srv->cfg.notify_flags.
 *
 * The delivery (publishing __keyspace@<db>__:<key> and
 * __keyevent@<db>__:<event> messages) belongs to pub/sub; notify.c is its
 * seam and does nothing but filter until pub/sub implements it. */
#ifndef FR_NOTIFY_H
#define FR_NOTIFY_H

#include <stddef.h>

#include "config.h"
#include "server.h"

/* type: the event's class (FR_NOTIFY_STRING, FR_NOTIFY_GENERIC...);
 * event: its name as Redis spells it ("set", "expired", "del"...). */
void fr__notify_keyspace_event(fr_server *srv, int type, const char *event,
                               const char *key, size_t klen, int db);

#endif
