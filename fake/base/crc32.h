/* CRC-32 (IEEE 802.3, reflected: zlib's), which recordings use to detect
 * torn and damaged records. */
#ifndef FR_CRC32_H
#define FR_CRC32_H

#include "fakeredis/record.h" /* fr_record_crc32: the public name of it */

#endif
