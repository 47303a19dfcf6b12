/* See randpick.h. */
#include "commands_private.h"
#include "core.h"

#include <limits.h>

#include "base.h"

int fr__randpick_count(fr_conn *c, long long *count)
{
    if (!fr__arg_ll(c, &c->argv[2], count))
        return 0;
    if (*count == LLONG_MIN) {
        fr__add_errorf(c, "value is out of range, value must between %lld and %lld", -LLONG_MAX,
                       LLONG_MAX);
        return 0;
    }
    return 1;
}

int fr__randpick_args(fr_conn *c, const char *with_kw, long long *count, int *with)
{
    if (!fr__randpick_count(c, count))
        return 0;
    if (c->argc > 4 || (c->argc == 4 && !fr__arg_is(&c->argv[3], with_kw))) {
        fr__add_error(c, fr__err_syntax);
        return 0;
    }
    *with = c->argc == 4;
    if (*with && (*count < -LLONG_MAX / 2 || *count > LLONG_MAX / 2)) {
        fr__add_error(c, "value is out of range");
        return 0;
    }
    return 1;
}

enum fr_randpick_case fr__randpick_case(long long count, size_t size, unsigned long long *n)
{
    *n = count >= 0 ? (unsigned long long)count : (unsigned long long)-count;
    if (*n == 0)
        return FR_RANDPICK_EMPTY;
    if (count < 0 || *n == 1)
        return FR_RANDPICK_REPEAT;
    if (*n >= size) {
        *n = size;
        return FR_RANDPICK_ALL;
    }
    return FR_RANDPICK_DISTINCT;
}

void fr__randpick_header(fr_conn *c, unsigned long long n, int pairs)
{
    fr__add_array(c, (long long)(pairs && c->resp == 2 ? n * 2 : n));
}

size_t *fr__randpick_shuffle(size_t size, size_t n, uint64_t (*rand)(fr_obj *), fr_obj *o)
{
    size_t *idx = fr__xmalloc((size ? size : 1) * sizeof *idx);
    for (size_t i = 0; i < size; i++)
        idx[i] = i;
    for (size_t i = 0; i < n; i++) {
        size_t j = i + (size_t)(rand(o) % (size - i));
        size_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
    return idx;
}
