/* Keyspace notifications: the keyspace publishes every event (class and
 * name, data/db.h); this listener filters them by notify-keyspace-events
 * (srv->cfg.notify_flags) and delivers them as ordinary PUBLISHes on
 * __keyspace@<db>__:<key> and __keyevent@<db>__:<event>. */
#ifndef FR_NOTIFY_H
#define FR_NOTIFY_H

#include "core.h"


/* Listen to srv's keyspace (again: no-op). Pub/sub calls it when its
 * state is first created. */
void fr__notify_listen(fr_server *srv);

#endif
