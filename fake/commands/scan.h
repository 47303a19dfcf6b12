/* SCAN, HSCAN, SSCAN and ZSCAN share Redis' scanGenericCommand: the cursor
 * parse, the MATCH/COUNT(/TYPE) options, the dict walk bounded by COUNT,
 * and the reply shape. Each command only says how to collect its
 * elements. */
#ifndef FR_T_SCAN_H
#define FR_T_SCAN_H

#include <stdint.h>

#include "buf.h"
#include "dict.h"
#include "object.h"
#include "server.h"

/* Redis' cursor rules (strtoull: decimal, no leading space, 64 bits).
 * Answers "invalid cursor" and returns 0 on error. */
int fr__scan_cursor(fr_conn *c, const fr_arg *a, uint64_t *out);

typedef struct fr_scan_opts {
    long long count;    /* COUNT, default 10 */
    const fr_arg *pat;  /* MATCH, NULL for none or "*" */
    const fr_arg *type; /* TYPE (keyspace SCAN only), NULL for none */
} fr_scan_opts;
/* Options from c->argv[first..argc); TYPE is an option only when
 * allow_type (as in Redis, where only SCAN itself takes it). Answers the
 * error and returns 0. */
int fr__scan_opts(fr_conn *c, int first, int allow_type, fr_scan_opts *o);

/* Does the element pass MATCH? */
int fr__scan_match(const fr_scan_opts *o, const char *p, size_t len);

/* The start of HSCAN/SSCAN/ZSCAN key cursor [options]: parse the cursor,
 * look the key up, check its type, parse the options, in Redis' order.
 * Returns the object, or NULL once it answered (the error, or the empty
 * scan for a missing key). */
fr_obj *fr__scan_begin(fr_conn *c, int type, uint64_t *cursor, fr_scan_opts *o);

/* What one call collected, copied so that the reply does not depend on
 * the collection (SCAN's expiry checks may delete keys meanwhile). Items
 * come in groups of `per`: 1 for members and keys, 2 for field/value or
 * member/score. Zero-initialise; free with fr__scan_acc_free. */
typedef struct fr_scan_acc {
    fr_buf bytes;
    size_t *lens;
    size_t n, cap;
} fr_scan_acc;
void fr__scan_acc_add(fr_scan_acc *a, const char *p, size_t len);
void fr__scan_acc_free(fr_scan_acc *a);

/* Walk d from cursor as Redis does: until COUNT groups of per items were
 * collected, at most ten times COUNT calls of the dict scan, or the end.
 * fn adds to acc (its priv). Returns the next cursor. */
uint64_t fr__scan_dict(fr_dict *d, uint64_t cursor, fr_dict_scan_fn *fn, fr_scan_acc *acc,
                       const fr_scan_opts *o, size_t per);

/* Reply [cursor, elements]: each group whose first item passes MATCH and,
 * when keep is given, keep(c, item, priv). */
typedef int fr_scan_keep_fn(fr_conn *c, const char *p, size_t len, const void *priv);
void fr__scan_reply(fr_conn *c, uint64_t cursor, const fr_scan_acc *acc, const fr_scan_opts *o,
                    size_t per, fr_scan_keep_fn *keep, const void *priv);

#endif
