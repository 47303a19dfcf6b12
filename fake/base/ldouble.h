/* Long doubles as Redis reads and writes them for INCRBYFLOAT and
 * HINCRBYFLOAT (string2ld and ld2string's "human" mode), so both commands
 * accept and store exactly the same texts. */
#ifndef FR_LDOUBLE_H
#define FR_LDOUBLE_H

#include <stddef.h>


/* Redis' MAX_LONG_DOUBLE_CHARS: the longest text either side handles. */
#define FR_LD_MAX_CHARS (5 * 1024)

/* Parse the whole of [p, p+len) as strtold does, refusing what Redis
 * refuses: empty, too long, a leading space, trailing bytes, NaN, and
 * overflow or underflow (ERANGE). Returns 1 and sets *out, else 0. */
int fr__ld_parse(const char *p, size_t len, long double *out);

/* Format v as "%.17Lf" without trailing zeros or a bare point, "-0" as
 * "0". Writes a NUL-terminated text into buf and returns its length, or
 * -1 when it does not fit in cap (FR_LD_MAX_CHARS + 64 always fits a
 * finite value). */
int fr__ld_format_human(char *buf, size_t cap, long double v);

#endif
