/* What the geo command files (cmd_geo.c, geo_search.c) share: argument
 * parsing and reply pieces with Redis' texts. Loop thread only. */
#ifndef FR_GEO_PRIVATE_H
#define FR_GEO_PRIVATE_H

#include "core.h"

/* A double as Redis' getDoubleFromObjectOrReply reads it; answers msg
 * (NULL: "value is not a valid float") and returns 0 on failure. */
int fr__geo_arg_double(fr_conn *c, const fr_arg *a, double *out, const char *msg);
/* argv[0] longitude, argv[1] latitude, within the Mercator ranges. */
int fr__geo_lonlat_or_reply(fr_conn *c, const fr_arg *argv, double xy[2]);
/* The size of a unit (m, km, ft, mi) in metres, or -1 after answering. */
double fr__geo_unit_or_reply(fr_conn *c, const fr_arg *u);
/* A distance as Redis answers it: a bulk with 4 decimals, in RESP3 too. */
void fr__geo_add_distance(fr_conn *c, double d);
/* A coordinate: "human" long double text, a bulk (RESP2) or double (RESP3). */
void fr__geo_add_coord(fr_conn *c, double v);

#endif
