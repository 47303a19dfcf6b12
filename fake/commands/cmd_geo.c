/* Geo commands that read or write single members (GEOADD, GEODIST,
 * GEOHASH, GEOPOS) on geo.h; the searches are in geo_search.c. A geo
 * index is a plain sorted set whose scores are 52-bit geohashes, so
 * GEOADD is ZADD with computed scores, as in Redis. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands_private.h"
#include "core.h"
#include "commands.h"
#include "data.h"
#include "geo.h"
#include "geo_private.h"

/* Redis' getDoubleFromObject: the whole argument, no leading space, no
 * NaN, no overflow (nor underflow to zero). */
int fr__geo_arg_double(fr_conn *c, const fr_arg *a, double *out, const char *msg)
{
    size_t used = 0;
    int erange = 0;
    double v = 0;
    int ok = a->len > 0 && a->p[0] != ' ' && (a->p[0] < '\t' || a->p[0] > '\r');
    if (ok) {
        v = fr__strtod_n(a->p, a->len, &used, &erange);
        ok =
            used == a->len && !isnan(v) && !(erange && (v == HUGE_VAL || v == -HUGE_VAL || v == 0));
    }
    if (!ok) {
        fr__add_error(c, msg ? msg : fr__err_not_float);
        return 0;
    }
    *out = v;
    return 1;
}

int fr__geo_lonlat_or_reply(fr_conn *c, const fr_arg *argv, double xy[2])
{
    for (int i = 0; i < 2; i++)
        if (!fr__geo_arg_double(c, &argv[i], &xy[i], NULL))
            return 0;
    if (xy[0] < FR_GEO_LONG_MIN || xy[0] > FR_GEO_LONG_MAX || xy[1] < FR_GEO_LAT_MIN ||
        xy[1] > FR_GEO_LAT_MAX) {
        fr__add_errorf(c, "invalid longitude,latitude pair %f,%f", xy[0], xy[1]);
        return 0;
    }
    return 1;
}

double fr__geo_unit_or_reply(fr_conn *c, const fr_arg *u)
{
    if (fr__arg_is(u, "m"))
        return 1;
    if (fr__arg_is(u, "km"))
        return 1000;
    if (fr__arg_is(u, "ft"))
        return 0.3048;
    if (fr__arg_is(u, "mi"))
        return 1609.34;
    fr__add_error(c, "unsupported unit provided. please use M, KM, FT, MI");
    return -1;
}

void fr__geo_add_distance(fr_conn *c, double d)
{
    /* Redis scales by 10^4 and rounds with llrint (to even), which
     * differs from "%.4f" on ties such as ...9429.5 */
    long long v = llrint(d * 10000.0);
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    char buf[64];
    int n = snprintf(buf, sizeof buf, "%s%llu.%04llu", v < 0 ? "-" : "", u / 10000, u % 10000);
    fr__add_bulk(c, buf, (size_t)n);
}

void fr__geo_add_coord(fr_conn *c, double v)
{
    char buf[64];
    int n = fr__ld_format_human(buf, sizeof buf, (long double)v);
    if (c->resp == 3) {
        fr_buf *b = &c->reply;
        fr__buf_putc(b, ',');
        fr__buf_append(b, buf, (size_t)n);
        fr__buf_append(b, "\r\n", 2);
    } else {
        fr__add_bulk(c, buf, (size_t)n);
    }
}

/* ---- GEOADD -------------------------------------------------------------- */

void fr__cmd_geoadd(fr_conn *c)
{
    int longidx = 2, xx = 0, nx = 0;
    for (; longidx < c->argc; longidx++) {
        const fr_arg *a = &c->argv[longidx];
        if (fr__arg_is(a, "nx"))
            nx = 1;
        else if (fr__arg_is(a, "xx"))
            xx = 1;
        else if (!fr__arg_is(a, "ch"))
            break;
    }
    if ((c->argc - longidx) % 3 || (xx && nx)) {
        fr__add_error(c, fr__err_syntax);
        return;
    }
    /* ZADD key [options] score member ..., the scores as decimal text */
    int elements = (c->argc - longidx) / 3;
    int argc = longidx + elements * 2;
    fr_arg *argv = fr__xcalloc((size_t)argc, sizeof *argv);
    char(*scores)[24] = fr__xcalloc((size_t)elements + 1, sizeof *scores);
    for (int i = 0; i < longidx; i++)
        argv[i] = c->argv[i];
    for (int i = 0; i < elements; i++) {
        double xy[2];
        if (!fr__geo_lonlat_or_reply(c, &c->argv[longidx + i * 3], xy))
            goto done;
        int n = snprintf(scores[i], sizeof scores[i], "%llu",
                         (unsigned long long)fr__geo_score(xy[0], xy[1]));
        argv[longidx + i * 2] = (fr_arg){.p = scores[i], .len = (size_t)n};
        argv[longidx + i * 2 + 1] = c->argv[longidx + i * 3 + 2];
    }
    fr_arg *saved = c->argv;
    int saved_argc = c->argc;
    c->argv = argv;
    c->argc = argc;
    fr__cmd_zadd(c);
    c->argv = saved;
    c->argc = saved_argc;
done:
    free(scores);
    free(argv);
}

/* ---- GEODIST, GEOHASH, GEOPOS -------------------------------------------- */

/* The zset at argv[1] for a read, or NULL with *missing set; NULL after
 * a WRONGTYPE. */
static fr_obj *read_zset(fr_conn *c, int *missing)
{
    fr_obj *o = fr__lookup_read(c, &c->argv[1]);
    *missing = !o;
    if (fr__check_type(c, o, FR_TYPE_ZSET))
        return NULL;
    return o;
}

void fr__cmd_geodist(fr_conn *c)
{
    double to_meter = 1;
    if (c->argc == 5) {
        to_meter = fr__geo_unit_or_reply(c, &c->argv[4]);
        if (to_meter < 0)
            return;
    } else if (c->argc > 5) {
        fr__add_error(c, fr__err_syntax);
        return;
    }
    int missing;
    fr_obj *o = read_zset(c, &missing);
    if (!o) {
        if (missing)
            fr__add_null(c);
        return;
    }
    double s1, s2, a[2], b[2];
    if (!fr__zset_score(o, c->argv[2].p, c->argv[2].len, &s1) ||
        !fr__zset_score(o, c->argv[3].p, c->argv[3].len, &s2)) {
        fr__add_null(c);
        return;
    }
    fr__geo_decode_score(s1, a);
    fr__geo_decode_score(s2, b);
    fr__geo_add_distance(c, fr__geo_distance(a[0], a[1], b[0], b[1]) / to_meter);
}

void fr__cmd_geohash(fr_conn *c)
{
    int missing;
    fr_obj *o = read_zset(c, &missing);
    if (!o && !missing)
        return;
    fr__add_array(c, c->argc - 2);
    for (int j = 2; j < c->argc; j++) {
        double score;
        if (!o || !fr__zset_score(o, c->argv[j].p, c->argv[j].len, &score)) {
            fr__add_null(c);
            continue;
        }
        char buf[12];
        fr__geo_hash_string(score, buf);
        fr__add_bulk(c, buf, 11);
    }
}

void fr__cmd_geopos(fr_conn *c)
{
    int missing;
    fr_obj *o = read_zset(c, &missing);
    if (!o && !missing)
        return;
    fr__add_array(c, c->argc - 2);
    for (int j = 2; j < c->argc; j++) {
        double score, xy[2];
        if (!o || !fr__zset_score(o, c->argv[j].p, c->argv[j].len, &score)) {
            fr__add_null_array(c);
            continue;
        }
        fr__geo_decode_score(score, xy);
        fr__add_array(c, 2);
        fr__geo_add_coord(c, xy[0]);
        fr__geo_add_coord(c, xy[1]);
    }
}
