/* Partial quicksort: see pqsort.h. */
#include "pqsort.h"

#include <stdint.h>

typedef int cmp_fn(const void *, const void *);

static void swap_n(unsigned char *a, unsigned char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char t = a[i];
        a[i] = b[i];
        b[i] = t;
    }
}

static unsigned char *med3(unsigned char *a, unsigned char *b, unsigned char *c, cmp_fn *cmp)
{
    if (cmp(a, b) < 0)
        return cmp(b, c) < 0 ? b : (cmp(a, c) < 0 ? c : a);
    return cmp(b, c) > 0 ? b : (cmp(a, c) < 0 ? a : c);
}

static void insertion(unsigned char *a, size_t n, size_t es, cmp_fn *cmp)
{
    for (unsigned char *pm = a + es; pm < a + n * es; pm += es)
        for (unsigned char *pl = pm; pl > a && cmp(pl - es, pl) > 0; pl -= es)
            swap_n(pl, pl - es, es);
}

/* Does [l, l + bytes) reach into [lr, rr]? */
static int overlaps(const unsigned char *l, size_t bytes, const unsigned char *lr,
                    const unsigned char *rr)
{
    const unsigned char *r = l + bytes - 1;
    return !((lr < l && rr < l) || (lr > r && rr > r));
}

static void sort(unsigned char *a, size_t n, size_t es, cmp_fn *cmp, const unsigned char *lr,
                 const unsigned char *rr)
{
    for (;;) {
        if (n < 7) {
            insertion(a, n, es, cmp);
            return;
        }
        unsigned char *pm = a + (n / 2) * es;
        if (n > 7) {
            unsigned char *pl = a, *pn = a + (n - 1) * es;
            if (n > 40) { /* the ninther */
                size_t d = (n / 8) * es;
                pl = med3(pl, pl + d, pl + 2 * d, cmp);
                pm = med3(pm - d, pm, pm + d, cmp);
                pn = med3(pn - 2 * d, pn - d, pn, cmp);
            }
            pm = med3(pl, pm, pn, cmp);
        }
        swap_n(a, pm, es);
        /* [a, pa) and (pd, end) hold keys equal to the pivot, [pa, pb)
         * smaller ones and (pc, pd] larger ones */
        unsigned char *pa = a + es, *pb = pa, *pc = a + (n - 1) * es, *pd = pc;
        for (;;) {
            int r;
            while (pb <= pc && (r = cmp(pb, a)) <= 0) {
                if (r == 0) {
                    swap_n(pa, pb, es);
                    pa += es;
                }
                pb += es;
            }
            while (pb <= pc && (r = cmp(pc, a)) >= 0) {
                if (r == 0) {
                    swap_n(pc, pd, es);
                    pd -= es;
                }
                pc -= es;
            }
            if (pb > pc)
                break;
            swap_n(pb, pc, es);
            pb += es;
            pc -= es;
        }
        unsigned char *pn = a + n * es;
        size_t r = (size_t)(pa - a) < (size_t)(pb - pa) ? (size_t)(pa - a) : (size_t)(pb - pa);
        swap_n(a, pb - r, r);
        size_t r2 =
            (size_t)(pd - pc) < (size_t)(pn - pd) - es ? (size_t)(pd - pc) : (size_t)(pn - pd) - es;
        swap_n(pb, pn - r2, r2);
        size_t lo = (size_t)(pb - pa);
        if (lo > es && overlaps(a, lo, lr, rr))
            sort(a, lo / es, es, cmp, lr, rr);
        size_t hi = (size_t)(pd - pc);
        if (hi <= es || !overlaps(pn - hi, hi, lr, rr))
            return;
        a = pn - hi;
        n = hi / es;
    }
}

void fr__pqsort(void *a, size_t n, size_t es, int (*cmp)(const void *, const void *), size_t lo,
                size_t hi)
{
    unsigned char *b = a;
    sort(b, n, es, cmp, b + lo * es, b + hi * es);
}
