/* The parts of HSCAN/SSCAN/ZSCAN that do not depend on the type. */
#include "t_scan.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "glob.h"
#include "reply.h"

int fr__scan_cursor(fr_conn *c, const fr_arg *a, uint64_t *out)
{
    char buf[32];
    if (a->len == 0 || a->len >= sizeof buf || isspace((unsigned char)a->p[0]))
        goto bad;
    memcpy(buf, a->p, a->len);
    buf[a->len] = '\0';
    char *end;
    errno = 0;
    unsigned long long v = strtoull(buf, &end, 10);
    if (*end || errno == ERANGE)
        goto bad;
    *out = v;
    return 1;
bad:
    fr__add_error(c, "invalid cursor");
    return 0;
}

int fr__scan_opts(fr_conn *c, int first, fr_scan_opts *o)
{
    o->count = 10;
    o->pat = NULL;
    for (int i = first; i < c->argc;) {
        int left = c->argc - i;
        const fr_arg *a = &c->argv[i];
        if (fr__arg_is(a, "count") && left >= 2) {
            if (!fr__arg_ll(c, &c->argv[i + 1], &o->count))
                return 0;
            if (o->count < 1) {
                fr__add_error(c, fr__err_syntax);
                return 0;
            }
            i += 2;
        } else if (fr__arg_is(a, "match") && left >= 2) {
            o->pat = &c->argv[i + 1];
            if (o->pat->len == 1 && o->pat->p[0] == '*')
                o->pat = NULL;
            i += 2;
        } else {
            fr__add_error(c, fr__err_syntax);
            return 0;
        }
    }
    return 1;
}

int fr__scan_match(const fr_scan_opts *o, const char *p, size_t len)
{
    return !o->pat || fr__glob_match(o->pat->p, o->pat->len, p, len, 0);
}

void fr__scan_empty(fr_conn *c)
{
    fr__add_array(c, 2);
    fr__add_bulk(c, "0", 1);
    fr__add_array(c, 0);
}
