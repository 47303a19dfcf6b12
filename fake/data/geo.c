/* Geohash scores, distances and search areas: see geo.h. The floating
 * point steps are done in the order Redis documents them, since the
 * results are compared to the last bit (GEOPOS, WITHDIST, cell edges). */
#include "geo.h"

#include <math.h>
#include <stdio.h>

#define EARTH_RADIUS_M 6372797.560856 /* Redis' constant */
#define MERCATOR_MAX 20037726.37

static const double d_r = M_PI / 180.0;

static double deg_rad(double a)
{
    return a * d_r;
}

static double rad_deg(double a)
{
    return a / d_r;
}

/* ---- bit interleaving --------------------------------------------------- */

/* The 32 bits of v on the even bits of the result. */
static uint64_t spread(uint32_t v)
{
    uint64_t x = v;
    x = (x | (x << 16)) & 0x0000FFFF0000FFFFULL;
    x = (x | (x << 8)) & 0x00FF00FF00FF00FFULL;
    x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0FULL;
    x = (x | (x << 2)) & 0x3333333333333333ULL;
    x = (x | (x << 1)) & 0x5555555555555555ULL;
    return x;
}

/* The even bits of x, packed. */
static uint32_t squeeze(uint64_t x)
{
    x &= 0x5555555555555555ULL;
    x = (x | (x >> 1)) & 0x3333333333333333ULL;
    x = (x | (x >> 2)) & 0x0F0F0F0F0F0F0F0FULL;
    x = (x | (x >> 4)) & 0x00FF00FF00FF00FFULL;
    x = (x | (x >> 8)) & 0x0000FFFF0000FFFFULL;
    x = (x | (x >> 16)) & 0x00000000FFFFFFFFULL;
    return (uint32_t)x;
}

/* ---- cells --------------------------------------------------------------- */

int fr__geohash_encode(double lon_min, double lon_max, double lat_min, double lat_max, double lon,
                       double lat, int step, fr_geohash *h)
{
    h->bits = 0;
    h->step = 0;
    if (step <= 0 || step > 32)
        return 0;
    if (lon > FR_GEO_LONG_MAX || lon < FR_GEO_LONG_MIN || lat > FR_GEO_LAT_MAX ||
        lat < FR_GEO_LAT_MIN)
        return 0;
    h->step = (uint8_t)step;
    if (lat < lat_min || lat > lat_max || lon < lon_min || lon > lon_max)
        return 0;
    double lat_off = (lat - lat_min) / (lat_max - lat_min);
    double lon_off = (lon - lon_min) / (lon_max - lon_min);
    lat_off *= (double)(1ULL << step);
    lon_off *= (double)(1ULL << step);
    /* the top edge gives 2^step: one bit above the cell, kept as Redis
     * keeps it */
    h->bits = spread((uint32_t)lat_off) | (spread((uint32_t)lon_off) << 1);
    return 1;
}

uint64_t fr__geo_score(double lon, double lat)
{
    fr_geohash h;
    fr__geohash_encode(FR_GEO_LONG_MIN, FR_GEO_LONG_MAX, FR_GEO_LAT_MIN, FR_GEO_LAT_MAX, lon, lat,
                       FR_GEO_STEP_MAX, &h);
    return h.bits << (52 - 2 * FR_GEO_STEP_MAX);
}

void fr__geohash_area(fr_geohash h, fr_geo_area *a)
{
    uint32_t ilat = squeeze(h.bits), ilon = squeeze(h.bits >> 1);
    double cells = (double)(1ULL << h.step);
    double lat_scale = FR_GEO_LAT_MAX - FR_GEO_LAT_MIN;
    double lon_scale = FR_GEO_LONG_MAX - FR_GEO_LONG_MIN;
    a->lat_min = FR_GEO_LAT_MIN + (ilat * 1.0 / cells) * lat_scale;
    a->lat_max = FR_GEO_LAT_MIN + ((ilat + 1) * 1.0 / cells) * lat_scale;
    a->lon_min = FR_GEO_LONG_MIN + (ilon * 1.0 / cells) * lon_scale;
    a->lon_max = FR_GEO_LONG_MIN + ((ilon + 1) * 1.0 / cells) * lon_scale;
}

/* A double score to the integer bits, as an x86-64 conversion does it
 * (negative scores wrap through a signed conversion). */
static uint64_t score_bits(double score)
{
    if (isnan(score))
        return 1ULL << 63;
    if (score < 0)
        return score <= -9223372036854775808.0 ? 1ULL << 63 : (uint64_t)(int64_t)score;
    if (score >= 18446744073709551616.0)
        return 1ULL << 63;
    return (uint64_t)score;
}

void fr__geo_decode_score(double score, double xy[2])
{
    fr_geohash h = {score_bits(score), FR_GEO_STEP_MAX};
    fr_geo_area a;
    fr__geohash_area(h, &a);
    xy[0] = (a.lon_min + a.lon_max) / 2;
    if (xy[0] > FR_GEO_LONG_MAX)
        xy[0] = FR_GEO_LONG_MAX;
    if (xy[0] < FR_GEO_LONG_MIN)
        xy[0] = FR_GEO_LONG_MIN;
    xy[1] = (a.lat_min + a.lat_max) / 2;
    if (xy[1] > FR_GEO_LAT_MAX)
        xy[1] = FR_GEO_LAT_MAX;
    if (xy[1] < FR_GEO_LAT_MIN)
        xy[1] = FR_GEO_LAT_MIN;
}

/* ---- distances ------------------------------------------------------------ */

double fr__geo_lat_distance(double lat1, double lat2)
{
    return EARTH_RADIUS_M * fabs(deg_rad(lat2) - deg_rad(lat1));
}

double fr__geo_distance(double lon1, double lat1, double lon2, double lat2)
{
    double v = sin((deg_rad(lon2) - deg_rad(lon1)) / 2);
    if (v == 0.0) /* same meridian: the latitude difference is enough */
        return fr__geo_lat_distance(lat1, lat2);
    double lat1r = deg_rad(lat1), lat2r = deg_rad(lat2);
    double u = sin((lat2r - lat1r) / 2);
    double a = u * u + cos(lat1r) * cos(lat2r) * v * v;
    return 2.0 * EARTH_RADIUS_M * asin(sqrt(a));
}

void fr__geo_hash_string(double score, char out[12])
{
    static const char alphabet[] = "0123456789bcdefghjkmnpqrstuvwxyz";
    double xy[2];
    fr__geo_decode_score(score, xy);
    fr_geohash h;
    fr__geohash_encode(-180, 180, -90, 90, xy[0], xy[1], FR_GEO_STEP_MAX, &h);
    for (int i = 0; i < 11; i++) {
        /* 52 bits make 10 characters and 2 bits; the 11th is always '0' */
        unsigned idx = i == 10 ? 0 : (unsigned)((h.bits >> (52 - (i + 1) * 5)) & 0x1f);
        out[i] = alphabet[idx];
    }
    out[11] = '\0';
}

/* ---- search areas ---------------------------------------------------------- */

/* Move a cell by one along longitude (odd bits) or latitude (even bits),
 * wrapping around at the edges. */
static void move(fr_geohash *h, int d, int lon)
{
    const uint64_t odd = 0xaaaaaaaaaaaaaaaaULL, even = 0x5555555555555555ULL;
    uint64_t mine = h->bits & (lon ? odd : even), other = h->bits & (lon ? even : odd);
    uint64_t fill = (lon ? even : odd) >> (64 - h->step * 2);
    if (d > 0)
        mine = mine + (fill + 1);
    else
        mine = (mine | fill) - (fill + 1);
    mine &= (lon ? odd : even) >> (64 - h->step * 2);
    h->bits = mine | other;
}

static fr_geohash moved(fr_geohash h, int dlon, int dlat)
{
    if (dlon)
        move(&h, dlon, 1);
    if (dlat)
        move(&h, dlat, 0);
    return h;
}

/* Redis' precision for a radius: halve the world until the radius fits,
 * then two steps coarser, and coarser again near the poles. */
static int steps_for_radius(double meters, double lat)
{
    if (meters == 0)
        return 26;
    int step = 1;
    while (meters < MERCATOR_MAX) {
        meters *= 2;
        step++;
    }
    step -= 2;
    if (lat > 66 || lat < -66) {
        step--;
        if (lat > 80 || lat < -80)
            step--;
    }
    if (step < 1)
        step = 1;
    if (step > 26)
        step = 26;
    return step;
}

/* The bounding box of the shape: [0] min lon, [1] min lat, [2] max lon,
 * [3] max lat. */
static void bounding_box(const fr_geo_shape *s, double b[4])
{
    double lon = s->xy[0], lat = s->xy[1];
    double height = s->conversion * (s->box ? s->height / 2 : s->radius);
    double width = s->conversion * (s->box ? s->width / 2 : s->radius);
    double lat_delta = rad_deg(height / EARTH_RADIUS_M);
    double lon_top = rad_deg(width / EARTH_RADIUS_M / cos(deg_rad(lat + lat_delta)));
    double lon_bottom = rad_deg(width / EARTH_RADIUS_M / cos(deg_rad(lat - lat_delta)));
    /* the wider edge is the one nearer the equator */
    int south = lat < 0;
    b[0] = south ? lon - lon_bottom : lon - lon_top;
    b[2] = south ? lon + lon_bottom : lon + lon_top;
    b[1] = lat - lat_delta;
    b[3] = lat + lat_delta;
}

enum { C_CENTRE, C_N, C_S, C_E, C_W, C_NE, C_NW, C_SE, C_SW };

static void neighbours(fr_geohash h, fr_geohash c[9])
{
    c[C_CENTRE] = h;
    c[C_N] = moved(h, 0, 1);
    c[C_S] = moved(h, 0, -1);
    c[C_E] = moved(h, 1, 0);
    c[C_W] = moved(h, -1, 0);
    c[C_NE] = moved(h, 1, 1);
    c[C_NW] = moved(h, -1, 1);
    c[C_SE] = moved(h, 1, -1);
    c[C_SW] = moved(h, -1, -1);
}

static void cell_at(const fr_geo_shape *s, int step, fr_geohash c[9], fr_geo_area *area)
{
    fr_geohash h;
    fr__geohash_encode(FR_GEO_LONG_MIN, FR_GEO_LONG_MAX, FR_GEO_LAT_MIN, FR_GEO_LAT_MAX, s->xy[0],
                       s->xy[1], step, &h);
    neighbours(h, c);
    fr__geohash_area(h, area);
}

void fr__geo_search_cells(const fr_geo_shape *s, fr_geohash c[9])
{
    double b[4];
    bounding_box(s, b);
    double radius = s->box
                        ? sqrt((s->width / 2) * (s->width / 2) + (s->height / 2) * (s->height / 2))
                        : s->radius;
    radius *= s->conversion;
    int steps = steps_for_radius(radius, s->xy[1]);
    fr_geo_area area, n, so, e, w;
    cell_at(s, steps, c, &area);
    /* one step coarser when a neighbour does not reach the box's edge */
    fr__geohash_area(c[C_N], &n);
    fr__geohash_area(c[C_S], &so);
    fr__geohash_area(c[C_E], &e);
    fr__geohash_area(c[C_W], &w);
    int coarser = n.lat_max < b[3] || so.lat_min > b[1] || e.lon_max < b[2] || w.lon_min > b[0];
    if (steps > 1 && coarser) {
        steps--;
        cell_at(s, steps, c, &area);
    }
    if (steps >= 2) { /* leave out the neighbours the box does not reach */
        static const fr_geohash none = {0, 0};
        if (area.lat_min < b[1])
            c[C_S] = c[C_SW] = c[C_SE] = none;
        if (area.lat_max > b[3])
            c[C_N] = c[C_NE] = c[C_NW] = none;
        if (area.lon_min < b[0])
            c[C_W] = c[C_SW] = c[C_NW] = none;
        if (area.lon_max > b[2])
            c[C_E] = c[C_SE] = c[C_NE] = none;
    }
}

void fr__geohash_score_range(fr_geohash h, uint64_t *min, uint64_t *max)
{
    int shift = 52 - h.step * 2;
    *min = h.bits << shift;
    *max = (h.bits + 1) << shift;
}

int fr__geo_in_shape(const fr_geo_shape *s, double score, double xy[2], double *dist)
{
    fr__geo_decode_score(score, xy);
    if (!s->box) {
        *dist = fr__geo_distance(s->xy[0], s->xy[1], xy[0], xy[1]);
        return *dist <= s->radius * s->conversion;
    }
    if (fr__geo_lat_distance(xy[1], s->xy[1]) > s->height * s->conversion / 2)
        return 0;
    if (fr__geo_distance(xy[0], xy[1], s->xy[0], xy[1]) > s->width * s->conversion / 2)
        return 0;
    *dist = fr__geo_distance(s->xy[0], s->xy[1], xy[0], xy[1]);
    return 1;
}
