#include "buf.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The library's one answer to running out of memory (README.md,
 * "Allocation"): abort, as Redis does, since a test double that limps on
 * with half-built state is worse than a crash a core dump explains. No
 * message: the library never prints, and printing may need memory too. */
static void oom(size_t n)
{
    (void)n;
    abort();
}

void *fr__xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *fr__xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom(n * size);
    return p;
}

void *fr__xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *fr__xstrdup(const char *s)
{
    return fr__xmemdup(s, strlen(s));
}

char *fr__xmemdup(const void *p, size_t n)
{
    char *q = fr__xmalloc(n + 1);
    if (n)
        memcpy(q, p, n);
    q[n] = '\0';
    return q;
}

void fr__buf_reserve(fr_buf *b, size_t n)
{
    if (b->cap - b->len >= n && b->p)
        return;
    size_t need = b->len + n;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap < (1u << 30) ? cap * 2 : cap + (1u << 30);
    b->p = fr__xrealloc(b->p, cap + 1);
    b->cap = cap;
    b->p[b->len] = '\0';
}

void fr__buf_append(fr_buf *b, const void *p, size_t n)
{
    fr__buf_reserve(b, n);
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void fr__buf_putc(fr_buf *b, char c)
{
    fr__buf_reserve(b, 1);
    b->p[b->len++] = c;
    b->p[b->len] = '\0';
}

void fr__buf_puts(fr_buf *b, const char *s)
{
    fr__buf_append(b, s, strlen(s));
}

void fr__buf_vprintf(fr_buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, cp);
    va_end(cp);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        fr__buf_append(b, small, (size_t)n);
        return;
    }
    fr__buf_reserve(b, (size_t)n + 1);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void fr__buf_printf(fr_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fr__buf_vprintf(b, fmt, ap);
    va_end(ap);
}

int fr__ll2str(char *dst, long long v)
{
    char tmp[24];
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    int n = 0;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    int len = 0;
    if (v < 0)
        dst[len++] = '-';
    while (n)
        dst[len++] = tmp[--n];
    dst[len] = '\0';
    return len;
}

void fr__buf_put_ll(fr_buf *b, long long v)
{
    fr__buf_reserve(b, 24);
    b->len += (size_t)fr__ll2str(b->p + b->len, v);
}

void fr__buf_consume(fr_buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
    } else {
        memmove(b->p, b->p + n, b->len - n);
        b->len -= n;
    }
    if (b->p)
        b->p[b->len] = '\0';
}

void fr__buf_clear(fr_buf *b)
{
    b->len = 0;
    if (b->p)
        b->p[0] = '\0';
}

void fr__buf_free(fr_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

char *fr__buf_steal(fr_buf *b)
{
    if (!b->p)
        fr__buf_reserve(b, 0);
    char *p = b->p;
    b->p = NULL;
    b->len = b->cap = 0;
    return p;
}

int fr__str2ll(const char *s, size_t len, long long *out)
{
    /* the common case (every length in a request): positive, at most 18
     * digits, so no overflow check per digit */
    if (len - 1 < 18 && s[0] >= '1' && s[0] <= '9') {
        unsigned long long v = 0;
        for (size_t i = 0; i < len; i++) {
            unsigned d = (unsigned)(unsigned char)s[i] - '0';
            if (d > 9)
                return 0;
            v = v * 10 + d;
        }
        *out = (long long)v;
        return 1;
    }
    if (len == 0 || len > 20)
        return 0;
    size_t i = 0;
    int neg = 0;
    if (len == 1 && s[0] == '0') {
        *out = 0;
        return 1;
    }
    if (s[0] == '-') {
        neg = 1;
        i = 1;
        if (len == 1)
            return 0;
    }
    if (s[i] < '1' || s[i] > '9')
        return 0;
    unsigned long long v = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (ULLONG_MAX - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    if (neg) {
        if (v > (unsigned long long)LLONG_MAX + 1)
            return 0;
        *out = v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)v;
    } else {
        if (v > (unsigned long long)LLONG_MAX)
            return 0;
        *out = (long long)v;
    }
    return 1;
}

int fr__fmt_double(char *dst, size_t cap, double d)
{
    if (isinf(d))
        return snprintf(dst, cap, "%s", d > 0 ? "inf" : "-inf");
    if (isnan(d))
        return snprintf(dst, cap, "nan");
    return snprintf(dst, cap, "%.17g", d);
}

double fr__strtod_n(const char *p, size_t len, size_t *used, int *erange)
{
    char small[128];
    char *tmp = len < sizeof small ? small : fr__xmalloc(len + 1);
    memcpy(tmp, p, len);
    tmp[len] = '\0';
    char *end;
    errno = 0;
    double v = strtod(tmp, &end);
    *erange = errno == ERANGE;
    *used = (size_t)(end - tmp);
    if (tmp != small)
        free(tmp);
    return v;
}
