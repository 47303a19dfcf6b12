/* A growable byte buffer: the one container for bytes in the server. */
#ifndef FR_BUF_H
#define FR_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct fr_buf {
    char *p;    /* NULL until the first append; always NUL-terminated after */
    size_t len; /* bytes in use */
    size_t cap; /* bytes allocated, excluding the terminator */
} fr_buf;

/* Make room for n more bytes. Aborts on out of memory, like every
 * allocation in the library (README.md, "Allocation"). */
void fr__buf_reserve(fr_buf *b, size_t n);
void fr__buf_append(fr_buf *b, const void *p, size_t n);
void fr__buf_putc(fr_buf *b, char c);
void fr__buf_puts(fr_buf *b, const char *s);
void fr__buf_printf(fr_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void fr__buf_vprintf(fr_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Append a decimal integer without going through printf (hot path). */
void fr__buf_put_ll(fr_buf *b, long long v);
/* Drop the first n bytes. */
void fr__buf_consume(fr_buf *b, size_t n);
void fr__buf_clear(fr_buf *b);
void fr__buf_free(fr_buf *b);
/* Give up the bytes: returns the heap block (caller frees), resets b. */
char *fr__buf_steal(fr_buf *b);

/* Allocation that aborts (without a word: the library never prints)
 * instead of returning NULL. */
void *fr__xmalloc(size_t n);
void *fr__xcalloc(size_t n, size_t size);
void *fr__xrealloc(void *p, size_t n);
char *fr__xstrdup(const char *s);
char *fr__xmemdup(const void *p, size_t n); /* adds a NUL terminator */

/* Number formatting shared by replies, INFO and the data layer. */
int fr__ll2str(char *dst, long long v); /* returns length; dst >= 21 bytes */
/* Format a double as Redis does for replies ("%.17g", inf, -inf, nan).
 * Returns what snprintf returns. */
int fr__fmt_double(char *dst, size_t cap, double d);
/* Strict decimal parse as Redis' string2ll: no spaces, no '+', no leading
 * zeros, fits a long long. Returns 1 on success. */
int fr__str2ll(const char *s, size_t len, long long *out);
/* strtod over exactly [p, p+len), which need not be NUL-terminated, of any
 * length (Redis parses a 400-digit score as readily as "1.5"). Returns the
 * value; *used is how many bytes strtod took and *erange whether it set
 * ERANGE. */
double fr__strtod_n(const char *p, size_t len, size_t *used, int *erange);

#endif
