/* See ldouble.h. */
#include "ldouble.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


int fr__ld_parse(const char *p, size_t len, long double *out)
{
    char buf[FR_LD_MAX_CHARS + 1];
    if (len == 0 || len >= sizeof buf || isspace((unsigned char)p[0]))
        return 0;
    memcpy(buf, p, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    long double v = strtold(buf, &end);
    if ((size_t)(end - buf) != len || isnan(v) ||
        (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || v == 0)))
        return 0;
    *out = v;
    return 1;
}

int fr__ld_format_human(char *buf, size_t cap, long double v)
{
    int l = snprintf(buf, cap, "%.17Lf", v);
    if (l < 0 || (size_t)l >= cap)
        return -1;
    if (strchr(buf, '.')) {
        while (buf[l - 1] == '0')
            l--;
        if (buf[l - 1] == '.')
            l--;
    }
    if (l == 2 && buf[0] == '-' && buf[1] == '0') {
        buf[0] = '0';
        l = 1;
    }
    buf[l] = '\0';
    return l;
}
