/* A tiny session store on Redis: the kind of client code fakeredis tests.
 * Sessions are keys "session:<token>" holding a user name, with a TTL that
 * every touch renews. */
#ifndef SESSION_STORE_H
#define SESSION_STORE_H

#include <hiredis/hiredis.h>

/* Store a session for ttl_s seconds. Returns 0, or -1 on error. */
int session_create(redisContext *c, const char *token, const char *user, int ttl_s);
/* The user of a live session, renewing its TTL; malloc'd, or NULL when the
 * session is unknown or expired (or on error). */
char *session_touch(redisContext *c, const char *token, int ttl_s);

#endif
