/* SHA-1 (FIPS 180-4), for script names: EVAL scripts are known by the hex
 * digest of their body, and redis.sha1hex exposes it to Lua. */
#ifndef FR_SHA1_H
#define FR_SHA1_H

#include <stddef.h>
#include <stdint.h>

/* The 20-byte digest of p[0..n). */
void fr__sha1(const void *p, size_t n, uint8_t out[20]);
/* The same as 40 lower-case hex digits and a NUL (41 bytes). */
void fr__sha1_hex(const void *p, size_t n, char out[41]);

#endif
