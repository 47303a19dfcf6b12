/* SHA-256 as FIPS 180-4 defines it, for ACL password hashes. */
#ifndef FR_SHA256_H
#define FR_SHA256_H

#include <stddef.h>
#include <stdint.h>

/* The digest of p[0..n) into out. */
void fr__sha256(const void *p, size_t n, uint8_t out[32]);
/* The same as 64 lower-case hex digits and a NUL. */
void fr__sha256_hex(const void *p, size_t n, char out[65]);

#endif
