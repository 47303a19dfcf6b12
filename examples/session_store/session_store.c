#include "session_store.h"

#include <stdlib.h>
#include <string.h>

int session_create(redisContext *c, const char *token, const char *user, int ttl_s)
{
    redisReply *r = redisCommand(c, "SET session:%s %s EX %d", token, user, ttl_s);
    int ok = r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "OK") == 0;
    if (r)
        freeReplyObject(r);
    return ok ? 0 : -1;
}

char *session_touch(redisContext *c, const char *token, int ttl_s)
{
    /* GETEX reads and renews in one round trip */
    redisReply *r = redisCommand(c, "GETEX session:%s EX %d", token, ttl_s);
    char *user = NULL;
    if (r && r->type == REDIS_REPLY_STRING)
        user = strdup(r->str);
    if (r)
        freeReplyObject(r);
    return user;
}
