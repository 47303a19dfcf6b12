/* base/'s interface: the toolkit every layer above uses. Buffers and
 * allocation (buf.h), the hash table (dict.h), glob matching (glob.h),
 * long doubles as Redis reads and writes them (ldouble.h), the partial
 * sort Redis uses (pqsort.h), the PRNG
 * (rng.h) and the one clock module (clock.h). None of it
 * knows Redis' protocol, a key or a server. */
#ifndef FR_BASE_H
#define FR_BASE_H

#include "buf.h"
#include "clock.h"
#include "crc16.h"
#include "dict.h"
#include "glob.h"
#include "ldouble.h"
#include "pqsort.h"
#include "rng.h"

#endif
