/* HSCAN, SSCAN and ZSCAN share Redis' scanGenericCommand: the cursor
 * parse, the MATCH/COUNT options, and the reply shape. */
#ifndef FR_T_SCAN_H
#define FR_T_SCAN_H

#include <stdint.h>

#include "server.h"

/* Redis' cursor rules (strtoull: decimal, no leading space, 64 bits).
 * Answers "invalid cursor" and returns 0 on error. */
int fr__scan_cursor(fr_conn *c, const fr_arg *a, uint64_t *out);

typedef struct fr_scan_opts {
    long long count;   /* COUNT, default 10 */
    const fr_arg *pat; /* MATCH, NULL for none or "*" */
} fr_scan_opts;
/* Options from c->argv[first..argc). Answers the error and returns 0. */
int fr__scan_opts(fr_conn *c, int first, fr_scan_opts *o);

/* Does the element pass MATCH? */
int fr__scan_match(const fr_scan_opts *o, const char *p, size_t len);

/* The empty answer for a missing key: cursor 0, no elements. */
void fr__scan_empty(fr_conn *c);

#endif
