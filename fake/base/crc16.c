/* CRC16/XMODEM bit by bit, from its definition: shift each data bit into
 * the top of the register and subtract (xor) the polynomial when a one
 * falls out. Eight steps a byte is fast enough for a test double. */
#include "crc16.h"

#include <string.h>

uint16_t fr__crc16(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint16_t crc = 0;
    for (size_t i = 0; i < n; i++) {
        crc ^= (uint16_t)(b[i] << 8);
        for (int k = 0; k < 8; k++)
            crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
    }
    return crc;
}

int fr__keyslot(const char *k, size_t n)
{
    const char *open = memchr(k, '{', n);
    if (open) {
        size_t rest = n - (size_t)(open - k) - 1;
        const char *close = memchr(open + 1, '}', rest);
        if (close && close > open + 1)
            return fr__crc16(open + 1, (size_t)(close - open - 1)) & (FR_CLUSTER_SLOTS - 1);
    }
    return fr__crc16(k, n) & (FR_CLUSTER_SLOTS - 1);
}
