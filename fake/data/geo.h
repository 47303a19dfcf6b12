/* Geo positions as Redis keeps them in a sorted set: the score of a
 * member is a 52-bit geohash, longitude and latitude (the latitude range
 * clipped to Web Mercator's +/-85.05112878) each cut into 2^26 steps and
 * interleaved, latitude on the even bits. Positions read back are the
 * centre of the cell, so they differ a little from what was added.
 *
 * Also the search areas of GEOSEARCH/GEORADIUS: a geohash cell with its 8
 * neighbours at a precision chosen from the radius, as Redis computes
 * them, so that the members come back in the same order. And distances:
 * haversine on Redis' earth radius. Pure functions, any thread. */
#ifndef FR_GEO_H
#define FR_GEO_H

#include <stdint.h>

#define FR_GEO_STEP_MAX 26
#define FR_GEO_LAT_MIN -85.05112878
#define FR_GEO_LAT_MAX 85.05112878
#define FR_GEO_LONG_MIN -180.0
#define FR_GEO_LONG_MAX 180.0

typedef struct fr_geohash {
    uint64_t bits;
    uint8_t step; /* 0 with bits 0: no cell (a search area left out) */
} fr_geohash;

typedef struct fr_geo_area {
    double lon_min, lon_max, lat_min, lat_max;
} fr_geo_area;

/* Encode at step bits per coordinate within [lon_min,lon_max] x
 * [lat_min,lat_max]. 0 when the point is outside the Mercator range or
 * the given one. */
int fr__geohash_encode(double lon_min, double lon_max, double lat_min, double lat_max, double lon,
                       double lat, int step, fr_geohash *h);
/* The score GEOADD stores for a point (the point must be valid). */
uint64_t fr__geo_score(double lon, double lat);
/* The cell of h in the Mercator ranges. */
void fr__geohash_area(fr_geohash h, fr_geo_area *a);
/* The position a score stands for: its cell's centre, clamped to the
 * valid ranges. xy[0] longitude, xy[1] latitude. */
void fr__geo_decode_score(double score, double xy[2]);

/* Great-circle distance in metres between two (lon, lat) points. */
double fr__geo_distance(double lon1, double lat1, double lon2, double lat2);
/* The distance along a meridian between two latitudes. */
double fr__geo_lat_distance(double lat1, double lat2);

/* GEOHASH's 11-character standard geohash (latitude range +/-90) of the
 * position a score stands for. */
void fr__geo_hash_string(double score, char out[12]);

/* A search shape: a circle of radius, or a box width x height, around
 * xy, all lengths in the unit whose size in metres is `conversion`. */
typedef struct fr_geo_shape {
    int box;
    double xy[2];
    double conversion;
    double radius, width, height;
} fr_geo_shape;

/* The 9 score ranges to look in, in Redis' order (the centre cell,
 * north, south, east, west, north-east, north-west, south-east,
 * south-west); a cell of step 0 is left out. */
void fr__geo_search_cells(const fr_geo_shape *s, fr_geohash cells[9]);
/* [*min, *max): the scores inside a cell. */
void fr__geohash_score_range(fr_geohash h, uint64_t *min, uint64_t *max);
/* Is the point at score inside the shape? Sets xy (its position) and
 * *dist (from the centre, in metres). */
int fr__geo_in_shape(const fr_geo_shape *s, double score, double xy[2], double *dist);

#endif
