/* Small helpers every command group shares (Redis' xxxOrReply style):
 * key lookups for a client's database that count hits and answer WRONGTYPE
 * themselves, and the float increment both INCRBYFLOAT and HINCRBYFLOAT
 * store. A helper that answers returns NULL or -1 and the handler just
 * returns. Loop thread only. */
#ifndef FR_CMDUTIL_H
#define FR_CMDUTIL_H

#include <stddef.h>

#include "db.h"
#include "server.h"

/* Find a key of c's database, counting hits and misses (read) or not
 * (write); NULL if missing. */
fr_obj *fr__lookup_read(fr_conn *c, const fr_arg *key);
fr_obj *fr__lookup_write(fr_conn *c, const fr_arg *key);
/* If o is not NULL and not of type, answer WRONGTYPE and return 1. */
int fr__check_type(fr_conn *c, const fr_obj *o, int type);
/* Read lookup that answers for itself: when the key is missing it calls
 * on_missing(c) (e.g. fr__add_null) and returns NULL; when the type is
 * wrong it answers WRONGTYPE and returns NULL. */
fr_obj *fr__lookup_read_or_reply(fr_conn *c, const fr_arg *key, int type,
                                 void (*on_missing)(fr_conn *c));
/* The same for a write: no hit/miss counting. */
fr_obj *fr__lookup_write_or_reply(fr_conn *c, const fr_arg *key, int type,
                                  void (*on_missing)(fr_conn *c));

/* The text INCRBYFLOAT and HINCRBYFLOAT store: value + incr formatted as
 * fr__ld_format_human does. Returns its length; when the sum is NaN or
 * infinite (or does not fit), answers Redis' error on c and returns -1. */
int fr__ld_incr_or_reply(fr_conn *c, char *buf, size_t cap, long double value, long double incr);

/* DEBUG POPULATE count [prefix] [size], from c->argv (argv[0] is DEBUG). */
void fr__debug_populate(fr_conn *c);
/* DEBUG OBJECT key (argc must be 3): "+Value at:... refcount:1
 * encoding:embstr serializedlength:4 lru:... lru_seconds_idle:0", or
 * "no such key". Defined in cmd_keys.c. */
void fr__debug_object(fr_conn *c);

#endif
