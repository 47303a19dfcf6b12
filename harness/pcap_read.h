/* Reading packet captures (tcpdump's files) down to TCP segments, for
 * the pcap import (pcap_import.c). Internal to the harness; the fuzz
 * target drives it too.
 *
 * Containers: pcap (either byte order, microsecond or nanosecond times)
 * and pcapng (sections of either byte order, interfaces with their own
 * link type and time resolution; enhanced, simple and obsolete packet
 * blocks; other blocks skipped). Link types: Ethernet (with VLAN tags),
 * BSD loopback (NULL, LOOP), Linux cooked (SLL, SLL2), raw IP. Network:
 * IPv4 (not fragmented) and IPv6 (extension headers skipped), TCP.
 *
 * Every length in the file is checked against the bytes really there; a
 * record cut short at the end is reported as torn and reading stops
 * there, after everything before it. */
#ifndef FR_PCAP_READ_H
#define FR_PCAP_READ_H

#include <stddef.h>
#include <stdint.h>

typedef struct fr_pcap fr_pcap;

/* One TCP segment. Addresses are 16 bytes (IPv4 as ::ffff:a.b.c.d). */
typedef struct fr_tcp_seg {
    int64_t time_us; /* capture time, unix microseconds */
    uint8_t src[16], dst[16];
    uint16_t sport, dport;
    uint32_t seq;
    uint8_t flags; /* FR_TCP_* */
    const uint8_t *data;
    size_t len;
} fr_tcp_seg;

enum { FR_TCP_FIN = 0x01, FR_TCP_SYN = 0x02, FR_TCP_RST = 0x04 };

/* Open the capture in p[0..n) (copied). Returns 0, or -1 with the reason
 * in err (cap bytes): not a capture this reader knows. */
int fr__pcap_open_mem(const void *p, size_t n, fr_pcap **out, char *err, size_t cap);
/* The next TCP segment: 1, 0 at the end (or at a torn record), -1 when
 * the file is damaged past repair (err says why). Packets that are not
 * TCP over IP on a known link type are skipped (and counted). */
int fr__pcap_next(fr_pcap *pc, fr_tcp_seg *seg, char *err, size_t cap);
/* Counters: packets read, packets skipped (not TCP, unknown link type,
 * IP fragments, cut short by the snap length); 1 when the file ended in a
 * torn record. */
void fr__pcap_counts(const fr_pcap *pc, uint64_t *packets, uint64_t *skipped, int *torn);
void fr__pcap_close(fr_pcap *pc);

#endif
