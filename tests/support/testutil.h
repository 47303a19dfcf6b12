/* Helpers the integration tests share: hiredis clients against a live
 * fake, commands whose reply type is asserted, replies awaited with a
 * deadline, and a monotonic clock. Every helper fails the current cmocka
 * test (never returns) when what it asserts does not hold. */
#ifndef FR_TESTUTIL_H
#define FR_TESTUTIL_H

#include <stddef.h>

#include <hiredis/hiredis.h>

#include "fakeredis/fakeredis.h"

/* How long a test waits for something that should happen at once. */
#define TU_WAIT_MS 2000

/* A fake with the default options (port 0); the caller stops it. */
fr_server *tu_start(void);

/* A blocking hiredis client on srv's port, with a 10 s I/O timeout so a
 * reply that never comes fails the test instead of hanging it. The
 * caller redisFree()s it. */
redisContext *tu_connect(fr_server *srv);
/* The same on 127.0.0.1:port. */
redisContext *tu_connect_port(int port);

/* Run a command; the reply (never NULL) is the caller's to free. */
redisReply *tu_cmd(redisContext *c, const char *fmt, ...);
/* Run a command that must answer an integer; returns it. */
long long tu_cmd_int(redisContext *c, const char *fmt, ...);
/* Run a command that must answer a reply of this type (status, error or
 * bulk string) with exactly the text want. */
void tu_cmd_str(redisContext *c, int type, const char *want, const char *fmt, ...);
/* Run a command that must answer an error whose text starts with prefix
 * (a script's error, which goes on with the script's name and line). */
void tu_cmd_err_starts(redisContext *c, const char *prefix, const char *fmt, ...);
/* Run a command that must answer +OK. */
void tu_cmd_ok(redisContext *c, const char *fmt, ...);
/* Run a command that must answer nil (a null bulk or a null array). */
void tu_cmd_nil(redisContext *c, const char *fmt, ...);
/* Read n replies of commands already appended (pipelined), and drop them. */
void tu_drain(redisContext *c, int n);

/* 1 if bytes arrive on c's socket within ms, else 0. */
int tu_readable_within(redisContext *c, int ms);
/* The next reply on c (for commands sent without reading): one already in
 * hiredis' buffer, or one that arrives within TU_WAIT_MS. The caller
 * frees it. */
redisReply *tu_next_reply(redisContext *c);
/* The next reply is a nil. */
void tu_expect_nil(redisContext *c);

/* Send a blocking command on c without reading its reply, then wait until
 * srv has want clients blocked (so clients block in a known order without
 * sleeping). */
void tu_block(fr_server *srv, redisContext *c, size_t want, const char *fmt, ...);
/* The next reply on c is a BZPOPMIN/BZPOPMAX-style [key, member, score]
 * with these values; fails the test otherwise. */
void tu_expect_pop(redisContext *c, const char *key, const char *member, const char *score);
/* For fr_wait_until: no client is blocked on ctx (an fr_server). */
int tu_none_blocked(void *ctx);

/* Milliseconds on the monotonic clock. */
long long tu_mono_ms(void);

#endif
