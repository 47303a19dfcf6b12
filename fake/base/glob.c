#include "glob.h"

#include <ctype.h>

static int lower(int c)
{
    return tolower((unsigned char)c);
}

/* Match one class starting after "[", advancing the pattern cursor to the closing
 * ']' (or to the last pattern byte when the class is unclosed). */
static int class_match(const char **pp, size_t *pl, char c, int nocase)
{
    const char *p = *pp;
    size_t l = *pl;
    int neg = l > 0 && p[0] == '^';
    int hit = 0;
    if (neg) {
        p++;
        l--;
    }
    for (;;) {
        if (l >= 2 && p[0] == '\\') {
            p++;
            l--;
            if (p[0] == c)
                hit = 1;
        } else if (l > 0 && p[0] == ']') {
            break;
        } else if (l == 0) {
            /* unclosed: step back so the caller's advance ends the pattern */
            p--;
            l++;
            break;
        } else if (l >= 3 && p[1] == '-') {
            int lo = (signed char)p[0], hi = (signed char)p[2];
            int ch = (signed char)c;
            if (lo > hi) {
                int t = lo;
                lo = hi;
                hi = t;
            }
            if (nocase) {
                lo = lower(lo);
                hi = lower(hi);
                ch = lower(ch);
            }
            p += 2;
            l -= 2;
            if (ch >= lo && ch <= hi)
                hit = 1;
        } else if (nocase ? lower(p[0]) == lower(c) : p[0] == c) {
            hit = 1;
        }
        p++;
        l--;
    }
    *pp = p;
    *pl = l;
    return neg ? !hit : hit;
}

/* *give_up is set once a star failed against every suffix: a star further
 * left can only offer longer prefixes, which cannot help, so all unwind. */
static int match(const char *p, size_t pl, const char *s, size_t sl, int nocase,
                 int *give_up, int depth)
{
    if (depth > 1000)
        return 0;
    while (pl && sl) {
        switch (p[0]) {
        case '*':
            while (pl > 1 && p[1] == '*') {
                p++;
                pl--;
            }
            if (pl == 1)
                return 1;
            while (sl) {
                if (match(p + 1, pl - 1, s, sl, nocase, give_up, depth + 1))
                    return 1;
                if (*give_up)
                    return 0;
                s++;
                sl--;
            }
            *give_up = 1;
            return 0;
        case '?':
            s++;
            sl--;
            break;
        case '[':
            p++;
            pl--;
            if (!class_match(&p, &pl, s[0], nocase))
                return 0;
            s++;
            sl--;
            break;
        case '\\':
            if (pl >= 2) {
                p++;
                pl--;
            }
            /* fall through */
        default:
            if (nocase ? lower(p[0]) != lower(s[0]) : p[0] != s[0])
                return 0;
            s++;
            sl--;
            break;
        }
        p++;
        pl--;
        if (sl == 0) {
            while (pl && p[0] == '*') {
                p++;
                pl--;
            }
            break;
        }
    }
    return pl == 0 && sl == 0;
}

int fr__glob_match(const char *pat, size_t plen, const char *str, size_t slen,
                   int nocase)
{
    int give_up = 0;
    return match(pat, plen, str, slen, nocase, &give_up, 0);
}
