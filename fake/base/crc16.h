/* CRC16 as Redis Cluster uses it to place keys in slots: CCITT/XMODEM
 * (polynomial 0x1021, initial value 0, no reflection, no final xor), so
 * crc16("123456789") is 0x31C3. Any thread. */
#ifndef FR_CRC16_H
#define FR_CRC16_H

#include <stddef.h>
#include <stdint.h>

#define FR_CLUSTER_SLOTS 16384

uint16_t fr__crc16(const void *p, size_t n);
/* The slot of a key: the crc16 of its hash tag (the bytes between the
 * first '{' and the next '}', when there is at least one) or of the whole
 * key, modulo 16384. */
int fr__keyslot(const char *k, size_t n);

#endif
