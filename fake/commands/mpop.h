/* The arguments LMPOP, BLMPOP, ZMPOP and BZMPOP share:
 * numkeys key [key ...] <end> [COUNT count], read as Redis reads them. */
#ifndef FR_MPOP_H
#define FR_MPOP_H

#include "server.h"

/* numkeys at argv[at] (of argc), then the keys, then one of the two end
 * keywords ends[0] / ends[1] (LEFT/RIGHT, MIN/MAX; any case), then an
 * optional COUNT. Sets *numkeys, *end (0 or 1) and *count (1 when not
 * given). Answers the error (on c) and returns 0. */
int fr__mpop_args(fr_conn *c, int argc, const fr_arg *argv, int at, const char *const ends[2],
                  long long *numkeys, int *end, long long *count);

#endif
