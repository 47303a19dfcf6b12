/* See mpop.h. */
#include "commands_private.h"
#include "core.h"

#include <limits.h>


int fr__mpop_args(fr_conn *c, int argc, const fr_arg *argv, int at, const char *const ends[2],
                  long long *numkeys, int *end, long long *count)
{
    if (!fr__arg_ll_range(c, &argv[at], 1, LLONG_MAX, numkeys, "numkeys should be greater than 0"))
        return 0;
    /* at least the end keyword must follow the keys */
    if (*numkeys > argc - at - 2) {
        fr__add_error(c, fr__err_syntax);
        return 0;
    }
    int where = at + (int)*numkeys + 1;
    if (fr__arg_is(&argv[where], ends[0])) {
        *end = 0;
    } else if (fr__arg_is(&argv[where], ends[1])) {
        *end = 1;
    } else {
        fr__add_error(c, fr__err_syntax);
        return 0;
    }
    *count = -1;
    for (int j = where + 1; j < argc; j++) {
        if (*count == -1 && fr__arg_is(&argv[j], "count") && j + 1 < argc) {
            if (!fr__arg_ll_range(c, &argv[++j], 1, LLONG_MAX, count,
                                  "count should be greater than 0"))
                return 0;
        } else {
            fr__add_error(c, fr__err_syntax);
            return 0;
        }
    }
    if (*count == -1)
        *count = 1;
    return 1;
}
