/* GEOSEARCH, GEOSEARCHSTORE, GEORADIUS, GEORADIUSBYMEMBER and the _RO
 * forms: one generic search, as Redis' georadiusGeneric. Arguments are
 * read in Redis' order (so the first bad one gives the same error), the
 * members are collected from the same 9 geohash cells in the same order
 * (the reply without ASC/DESC is in that order), then sorted by distance
 * as Redis sorts them: the C library's qsort for all, its partial
 * quicksort (pqsort.h) for the first COUNT. */
#include <stdlib.h>
#include <string.h>

#include "commands_private.h"
#include "core.h"
#include "commands.h"
#include "data.h"
#include "geo.h"
#include "geo_private.h"

enum {
    BY_COORDS = 1 << 0, /* GEORADIUS: longitude latitude radius unit */
    BY_MEMBER = 1 << 1, /* GEORADIUSBYMEMBER: member radius unit */
    NO_STORE = 1 << 2,  /* the _RO forms */
    SEARCH = 1 << 3,    /* GEOSEARCH: FROM... BY... */
    SEARCH_STORE = 1 << 4
};

enum { SORT_NONE, SORT_ASC, SORT_DESC };

typedef struct point {
    double lon, lat, dist, score;
    char *member;
    size_t len;
} point;

typedef struct points {
    point *a;
    size_t n, cap;
} points;

static void points_free(points *ps)
{
    for (size_t i = 0; i < ps->n; i++)
        free(ps->a[i].member);
    free(ps->a);
}

/* The members of one cell inside the shape, in score order, until limit
 * (0: none) points were found. */
static void collect_cell(fr_obj *o, fr_geohash cell, const fr_geo_shape *s, points *ps,
                         size_t limit)
{
    uint64_t min, max;
    fr__geohash_score_range(cell, &min, &max);
    fr_zrange r = {.min = (double)min, .max = (double)max, .minex = 0, .maxex = 1};
    size_t first, end;
    fr__zset_score_span(o, &r, &first, &end);
    fr_zit it;
    fr__zit_init(&it, o, first, 0);
    fr_zelem e;
    for (size_t k = first; k < end && fr__zit_next(&it, &e); k++) {
        double xy[2], dist = 0;
        if (fr__geo_in_shape(s, e.score, xy, &dist)) {
            if (ps->n == ps->cap) {
                ps->cap = ps->cap ? ps->cap * 2 : 16;
                ps->a = fr__xrealloc(ps->a, ps->cap * sizeof *ps->a);
            }
            point *p = &ps->a[ps->n++];
            *p = (point){xy[0], xy[1], dist, e.score, fr__xmalloc(e.len + 1), e.len};
            memcpy(p->member, e.p, e.len);
        }
        if (limit && ps->n >= limit)
            break;
    }
}

/* Every cell's members. A huge radius can make neighbours the same cell:
 * like Redis, skip a cell equal to the one processed just before (only
 * that one, and never right after the centre). */
static void collect(fr_obj *o, const fr_geo_shape *s, points *ps, size_t limit)
{
    fr_geohash cells[9];
    fr__geo_search_cells(s, cells);
    int last = 0;
    for (int i = 0; i < 9; i++) {
        if (!cells[i].bits && !cells[i].step)
            continue;
        if (last && cells[i].bits == cells[last].bits && cells[i].step == cells[last].step)
            continue;
        if (ps->n && limit && ps->n >= limit)
            break;
        collect_cell(o, cells[i], s, ps, limit);
        last = i;
    }
}

static int by_dist_asc(const void *x, const void *y)
{
    const point *a = x, *b = y;
    return a->dist == b->dist ? 0 : a->dist > b->dist ? 1 : -1;
}

static int by_dist_desc(const void *x, const void *y)
{
    return by_dist_asc(y, x);
}

/* The parsed request. */
typedef struct req {
    fr_geo_shape shape;
    const fr_arg *store;
    int storedist, withdist, withhash, withcoord, any, sort;
    long long count;
    int frommember, fromloc, byradius, bybox;
} req;

/* The centre at a member's position; answers the error when missing. */
static int member_xy(fr_conn *c, fr_obj *o, const fr_arg *m, double xy[2])
{
    double score;
    if (!fr__zset_score(o, m->p, m->len, &score)) {
        fr__add_error(c, "could not decode requested zset member");
        return 0;
    }
    fr__geo_decode_score(score, xy);
    return 1;
}

/* radius unit at argv. */
static int radius_or_reply(fr_conn *c, const fr_arg *argv, req *r)
{
    double d;
    if (!fr__geo_arg_double(c, &argv[0], &d, "need numeric radius"))
        return 0;
    if (d < 0) {
        fr__add_error(c, "radius cannot be negative");
        return 0;
    }
    r->shape.radius = d;
    r->shape.box = 0;
    r->shape.conversion = fr__geo_unit_or_reply(c, &argv[1]);
    return r->shape.conversion >= 0;
}

/* width height unit at argv. */
static int box_or_reply(fr_conn *c, const fr_arg *argv, req *r)
{
    double w, h;
    if (!fr__geo_arg_double(c, &argv[0], &w, "need numeric width") ||
        !fr__geo_arg_double(c, &argv[1], &h, "need numeric height"))
        return 0;
    if (h < 0 || w < 0) {
        fr__add_error(c, "height or width cannot be negative");
        return 0;
    }
    r->shape.width = w;
    r->shape.height = h;
    r->shape.box = 1;
    r->shape.conversion = fr__geo_unit_or_reply(c, &argv[2]);
    return r->shape.conversion >= 0;
}

/* The options from argv[base] on, in Redis' order of checks. */
static int options_or_reply(fr_conn *c, fr_obj *o, int base, int flags, req *r)
{
    int rem = c->argc - base;
    for (int i = 0; i < rem; i++) {
        const fr_arg *a = &c->argv[base + i], *next = a + 1;
        if (fr__arg_is(a, "withdist")) {
            r->withdist = 1;
        } else if (fr__arg_is(a, "withhash")) {
            r->withhash = 1;
        } else if (fr__arg_is(a, "withcoord")) {
            r->withcoord = 1;
        } else if (fr__arg_is(a, "any")) {
            r->any = 1;
        } else if (fr__arg_is(a, "asc")) {
            r->sort = SORT_ASC;
        } else if (fr__arg_is(a, "desc")) {
            r->sort = SORT_DESC;
        } else if (fr__arg_is(a, "count") && i + 1 < rem) {
            if (!fr__arg_ll(c, next, &r->count))
                return 0;
            if (r->count <= 0) {
                fr__add_error(c, "COUNT must be > 0");
                return 0;
            }
            i++;
        } else if ((fr__arg_is(a, "store") || fr__arg_is(a, "storedist")) && i + 1 < rem &&
                   !(flags & (NO_STORE | SEARCH))) {
            r->store = next;
            r->storedist = fr__arg_is(a, "storedist");
            i++;
        } else if (fr__arg_is(a, "storedist") && (flags & SEARCH_STORE)) {
            r->storedist = 1;
        } else if (fr__arg_is(a, "frommember") && i + 1 < rem && (flags & SEARCH) && !r->fromloc) {
            /* without a key the member is not looked up: the reply is
             * empty whatever it is */
            if (o && !member_xy(c, o, next, r->shape.xy))
                return 0;
            r->frommember = 1;
            i++;
        } else if (fr__arg_is(a, "fromlonlat") && i + 2 < rem && (flags & SEARCH) &&
                   !r->frommember) {
            if (!fr__geo_lonlat_or_reply(c, next, r->shape.xy))
                return 0;
            r->fromloc = 1;
            i += 2;
        } else if (fr__arg_is(a, "byradius") && i + 2 < rem && (flags & SEARCH) && !r->bybox) {
            if (!radius_or_reply(c, next, r))
                return 0;
            r->byradius = 1;
            i += 2;
        } else if (fr__arg_is(a, "bybox") && i + 3 < rem && (flags & SEARCH) && !r->byradius) {
            if (!box_or_reply(c, next, r))
                return 0;
            r->bybox = 1;
            i += 3;
        } else {
            fr__add_error(c, fr__err_syntax);
            return 0;
        }
    }
    return 1;
}

static int check_combination(fr_conn *c, int flags, const req *r)
{
    const fr_arg *cmd = &c->argv[0];
    if (r->store && (r->withdist || r->withhash || r->withcoord)) {
        fr__add_errorf(c, "%s is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
                       (flags & SEARCH_STORE) ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS");
        return 0;
    }
    if ((flags & SEARCH) && !(r->frommember || r->fromloc)) {
        fr__add_errorf(c, "exactly one of FROMMEMBER or FROMLONLAT can be specified for %.*s",
                       (int)cmd->len, cmd->p);
        return 0;
    }
    if ((flags & SEARCH) && !(r->byradius || r->bybox)) {
        fr__add_errorf(c, "exactly one of BYRADIUS and BYBOX can be specified for %.*s",
                       (int)cmd->len, cmd->p);
        return 0;
    }
    if (r->any && !r->count) {
        fr__add_error(c, "the ANY argument requires COUNT argument");
        return 0;
    }
    return 1;
}

static void reply_points(fr_conn *c, const req *r, points *ps, size_t n)
{
    int extra = r->withdist + r->withcoord + r->withhash;
    fr__add_array(c, (long long)n);
    for (size_t i = 0; i < n; i++) {
        point *p = &ps->a[i];
        if (extra)
            fr__add_array(c, extra + 1);
        fr__add_bulk(c, p->member, p->len);
        if (r->withdist)
            fr__geo_add_distance(c, p->dist / r->shape.conversion);
        if (r->withhash)
            fr__add_ll(c, (long long)p->score);
        if (r->withcoord) {
            fr__add_array(c, 2);
            fr__geo_add_coord(c, p->lon);
            fr__geo_add_coord(c, p->lat);
        }
    }
}

static void store_points(fr_conn *c, int flags, const req *r, points *ps, size_t n)
{
    const fr_enc_limits *cfg = &c->srv->cfg.enc;
    fr_obj *res = NULL;
    size_t maxlen = 0;
    if (n) {
        res = fr__zset_new(cfg, SIZE_MAX, 0);
        for (size_t i = 0; i < n; i++) {
            point *p = &ps->a[i];
            double score = r->storedist ? p->dist / r->shape.conversion : p->score;
            int out;
            fr__zset_add(cfg, res, score, p->member, p->len, 0, &out, NULL);
            if (p->len > maxlen)
                maxlen = p->len;
        }
        fr__zset_shrink_if_small(cfg, res, maxlen);
    }
    fr__store_result(c, r->store, res, n, FR_NOTIFY_ZSET,
                     (flags & SEARCH) ? "geosearchstore" : "georadiusstore", 1);
}

static void search(fr_conn *c, int src, int flags)
{
    fr_obj *o = fr__lookup_read(c, &c->argv[src]);
    if (fr__check_type(c, o, FR_TYPE_ZSET))
        return;
    req r = {0};
    int base;
    if (flags & BY_COORDS) {
        base = 6;
        if (!fr__geo_lonlat_or_reply(c, &c->argv[2], r.shape.xy) ||
            !radius_or_reply(c, &c->argv[4], &r))
            return;
    } else if (flags & BY_MEMBER) {
        base = 5;
        /* without a key nothing is looked up or parsed before the options */
        if (o &&
            (!member_xy(c, o, &c->argv[2], r.shape.xy) || !radius_or_reply(c, &c->argv[3], &r)))
            return;
    } else {
        base = 2;
        if (flags & SEARCH_STORE) {
            base = 3;
            r.store = &c->argv[1];
        }
    }
    if (!options_or_reply(c, o, base, flags, &r) || !check_combination(c, flags, &r))
        return;
    if (!o) {
        if (r.store)
            fr__store_result(c, r.store, NULL, 0, FR_NOTIFY_ZSET, NULL, 0);
        else
            fr__add_array(c, 0);
        return;
    }
    /* COUNT means the nearest ones, unless ANY */
    if (r.count && r.sort == SORT_NONE && !r.any)
        r.sort = SORT_ASC;
    points ps = {0};
    collect(o, &r.shape, &ps, r.any ? (size_t)r.count : 0);
    if (ps.n == 0 && !r.store) {
        fr__add_array(c, 0);
        points_free(&ps);
        return;
    }
    size_t n = r.count == 0 || ps.n < (size_t)r.count ? ps.n : (size_t)r.count;
    if (r.sort != SORT_NONE && ps.n > 1) {
        int (*cmp)(const void *, const void *) = r.sort == SORT_ASC ? by_dist_asc : by_dist_desc;
        /* Redis sorts all with qsort, or only the first n with its
         * partial quicksort: equal distances come out in that order */
        if (n == ps.n)
            qsort(ps.a, ps.n, sizeof *ps.a, cmp);
        else
            fr__pqsort(ps.a, ps.n, sizeof *ps.a, cmp, 0, n - 1);
    }
    if (r.store)
        store_points(c, flags, &r, &ps, n);
    else
        reply_points(c, &r, &ps, n);
    points_free(&ps);
}

void fr__cmd_georadius(fr_conn *c)
{
    search(c, 1, BY_COORDS);
}

void fr__cmd_georadius_ro(fr_conn *c)
{
    search(c, 1, BY_COORDS | NO_STORE);
}

void fr__cmd_georadiusbymember(fr_conn *c)
{
    search(c, 1, BY_MEMBER);
}

void fr__cmd_georadiusbymember_ro(fr_conn *c)
{
    search(c, 1, BY_MEMBER | NO_STORE);
}

void fr__cmd_geosearch(fr_conn *c)
{
    search(c, 1, SEARCH);
}

void fr__cmd_geosearchstore(fr_conn *c)
{
    search(c, 2, SEARCH | SEARCH_STORE);
}
