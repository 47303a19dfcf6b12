/* Packet captures down to TCP segments. See pcap_read.h. The formats are
 * the ones libpcap documents (pcap-savefile(5), the pcapng draft); every
 * length read from the file is a claim checked against what is there. */
#include "pcap_read.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define PCAPNG_SHB 0x0A0D0D0Au
#define PCAPNG_BOM 0x1A2B3C4Du
#define MAX_IFS 256

typedef struct iface {
    uint32_t linktype;
    int pow2;      /* the resolution is 2^-res (else 10^-res) */
    unsigned res;  /* of a second */
    int64_t off_s; /* if_tsoffset */
} iface;

struct fr_pcap {
    uint8_t *buf;
    size_t n, off;
    int ng;   /* pcapng */
    int swap; /* the file's (section's) byte order is not ours */
    int nano; /* pcap: nanosecond times */
    uint32_t linktype;
    iface ifs[MAX_IFS];
    size_t nifs;
    uint64_t packets, skipped;
    int torn;
};

static uint16_t rd16(const uint8_t *p, int swap)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return swap ? (uint16_t)((v >> 8) | (v << 8)) : v;
}

static uint32_t rd32(const uint8_t *p, int swap)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return swap ? __builtin_bswap32(v) : v;
}

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void set_err(char *err, size_t cap, const char *why)
{
    if (err && cap)
        snprintf(err, cap, "%s", why);
}

int fr__pcap_open_mem(const void *p, size_t n, fr_pcap **out, char *err, size_t cap)
{
    *out = NULL;
    if (n < 4) {
        set_err(err, cap, "too short for a capture");
        return -1;
    }
    fr_pcap *pc = fr__xcalloc(1, sizeof *pc);
    pc->buf = (uint8_t *)fr__xmemdup(p, n);
    pc->n = n;
    uint32_t magic = rd32(pc->buf, 0);
    if (magic == PCAPNG_SHB) {
        pc->ng = 1; /* sections are read as blocks */
        *out = pc;
        return 0;
    }
    static const uint32_t magics[2] = {0xa1b2c3d4u, 0xa1b23c4du}; /* us, ns */
    for (int k = 0; k < 2; k++) {
        if (magic == magics[k] || magic == __builtin_bswap32(magics[k])) {
            pc->swap = magic != magics[k];
            pc->nano = k;
        }
    }
    if (magic != magics[0] && magic != magics[1] && !pc->swap) {
        fr__pcap_close(pc);
        set_err(err, cap, "not a pcap or pcapng capture");
        return -1;
    }
    if (n < 24) {
        fr__pcap_close(pc);
        set_err(err, cap, "the pcap header is cut short");
        return -1;
    }
    pc->linktype = rd32(pc->buf + 20, pc->swap) & 0x0fffffffu; /* high bits: FCS info */
    pc->off = 24;
    *out = pc;
    return 0;
}

void fr__pcap_close(fr_pcap *pc)
{
    if (!pc)
        return;
    free(pc->buf);
    free(pc);
}

void fr__pcap_counts(const fr_pcap *pc, uint64_t *packets, uint64_t *skipped, int *torn)
{
    if (packets)
        *packets = pc->packets;
    if (skipped)
        *skipped = pc->skipped;
    if (torn)
        *torn = pc->torn;
}

/* ---- link, IP, TCP --------------------------------------------------- */

static void map4(uint8_t out[16], const uint8_t *a)
{
    memset(out, 0, 10);
    out[10] = out[11] = 0xff;
    memcpy(out + 12, a, 4);
}

/* TCP at p[0..n) (the IP payload); 1 with seg filled, 0 if unusable. */
static int tcp(const uint8_t *p, size_t n, fr_tcp_seg *seg)
{
    if (n < 20)
        return 0;
    size_t doff = (size_t)(p[12] >> 4) * 4;
    if (doff < 20 || doff > n)
        return 0;
    seg->sport = be16(p);
    seg->dport = be16(p + 2);
    seg->seq = be32(p + 4);
    seg->flags = p[13] & (FR_TCP_FIN | FR_TCP_SYN | FR_TCP_RST);
    seg->data = p + doff;
    seg->len = n - doff;
    return 1;
}

static int ipv4(const uint8_t *p, size_t n, fr_tcp_seg *seg)
{
    if (n < 20 || p[0] >> 4 != 4)
        return 0;
    size_t ihl = (size_t)(p[0] & 15) * 4, tot = be16(p + 2);
    /* a fragment, a header cut by the snap length, not TCP: unusable */
    if (ihl < 20 || tot < ihl || tot > n || p[9] != 6 || (be16(p + 6) & 0x3fff))
        return 0;
    map4(seg->src, p + 12);
    map4(seg->dst, p + 16);
    return tcp(p + ihl, tot - ihl, seg);
}

static int ipv6(const uint8_t *p, size_t n, fr_tcp_seg *seg)
{
    if (n < 40 || p[0] >> 4 != 6)
        return 0;
    size_t len = be16(p + 4);
    if (40 + len > n)
        return 0;
    memcpy(seg->src, p + 8, 16);
    memcpy(seg->dst, p + 24, 16);
    uint8_t nh = p[6];
    size_t off = 40, end = 40 + len;
    for (int hops = 0; nh != 6; hops++) {
        /* hop-by-hop, routing, destination options, AH; a fragment or
         * anything else: not a whole TCP segment */
        if (hops > 8 || off + 8 > end || (nh != 0 && nh != 43 && nh != 60 && nh != 51))
            return 0;
        size_t hl = nh == 51 ? ((size_t)p[off + 1] + 2) * 4 : ((size_t)p[off + 1] + 1) * 8;
        nh = p[off];
        off += hl;
    }
    return off <= end && tcp(p + off, end - off, seg);
}

static int by_ethertype(uint16_t type, const uint8_t *p, size_t n, fr_tcp_seg *seg)
{
    if (type == 0x0800)
        return ipv4(p, n, seg);
    if (type == 0x86DD)
        return ipv6(p, n, seg);
    return 0;
}

static int by_version(const uint8_t *p, size_t n, fr_tcp_seg *seg)
{
    return n && (p[0] >> 4 == 4 ? ipv4(p, n, seg) : ipv6(p, n, seg));
}

/* A BSD address family: 2 is IPv4; IPv6 is 10 (Linux), 24, 28 or 30. */
static int by_family(uint32_t af, const uint8_t *p, size_t n, fr_tcp_seg *seg)
{
    if (af == 2)
        return ipv4(p, n, seg);
    if (af == 10 || af == 24 || af == 28 || af == 30)
        return ipv6(p, n, seg);
    return 0;
}

static int link_layer(uint32_t lt, const uint8_t *p, size_t n, fr_tcp_seg *seg)
{
    switch (lt) {
    case 0: { /* NULL: the family in the capturing host's byte order */
        if (n < 4)
            return 0;
        uint32_t af = rd32(p, 0);
        if (af > 0xffff)
            af = __builtin_bswap32(af);
        return by_family(af, p + 4, n - 4, seg);
    }
    case 108: /* LOOP: the family in network order */
        return n >= 4 && by_family(be32(p), p + 4, n - 4, seg);
    case 1: { /* Ethernet, with up to two VLAN tags */
        size_t off = 12;
        if (n < 14)
            return 0;
        uint16_t type = be16(p + off);
        for (int tags = 0; (type == 0x8100 || type == 0x88a8 || type == 0x9100) && tags < 2;
             tags++) {
            off += 4;
            if (off + 2 > n)
                return 0;
            type = be16(p + off);
        }
        return by_ethertype(type, p + off + 2, n - off - 2, seg);
    }
    case 113: /* Linux cooked (SLL) */
        return n >= 16 && by_ethertype(be16(p + 14), p + 16, n - 16, seg);
    case 276: /* Linux cooked v2 (SLL2) */
        return n >= 20 && by_ethertype(be16(p), p + 20, n - 20, seg);
    case 12:
    case 14:
    case 101: /* raw IP */
        return by_version(p, n, seg);
    case 228:
        return ipv4(p, n, seg);
    case 229:
        return ipv6(p, n, seg);
    default:
        return 0;
    }
}

/* One captured packet: counted, and a segment when it is TCP. */
static int packet(fr_pcap *pc, uint32_t lt, const uint8_t *p, size_t caplen, int64_t t,
                  fr_tcp_seg *seg)
{
    pc->packets++;
    memset(seg, 0, sizeof *seg);
    seg->time_us = t;
    if (link_layer(lt, p, caplen, seg))
        return 1;
    pc->skipped++;
    return 0;
}

/* ---- pcap ------------------------------------------------------------- */

static int next_pcap(fr_pcap *pc, fr_tcp_seg *seg)
{
    while (pc->off < pc->n) {
        if (pc->n - pc->off < 16) {
            pc->torn = 1;
            return 0;
        }
        const uint8_t *h = pc->buf + pc->off;
        uint32_t sec = rd32(h, pc->swap), frac = rd32(h + 4, pc->swap);
        uint32_t caplen = rd32(h + 8, pc->swap);
        if (caplen > pc->n - pc->off - 16) {
            pc->torn = 1;
            return 0;
        }
        pc->off += 16 + (size_t)caplen;
        int64_t t = (int64_t)sec * 1000000 + (pc->nano ? frac / 1000 : frac);
        if (packet(pc, pc->linktype, h + 16, caplen, t, seg))
            return 1;
    }
    return 0;
}

/* ---- pcapng ----------------------------------------------------------- */

static int64_t ng_time(const iface *ifc, uint64_t ts)
{
    unsigned r = ifc->res > 60 ? 60 : ifc->res;
    int64_t us;
    if (ifc->pow2) {
        us = (int64_t)(((unsigned __int128)ts * 1000000u) >> r);
    } else if (r >= 6) {
        uint64_t div = 1;
        for (unsigned i = 6; i < r && div < UINT64_MAX / 10; i++)
            div *= 10;
        us = (int64_t)(ts / div);
    } else {
        uint64_t mul = 1;
        for (unsigned i = r; i < 6; i++)
            mul *= 10;
        us = (int64_t)(ts * mul);
    }
    return us + ifc->off_s * 1000000;
}

/* An interface description block's body. */
static void ng_iface(fr_pcap *pc, const uint8_t *b, size_t n)
{
    if (n < 8 || pc->nifs == MAX_IFS)
        return;
    iface *ifc = &pc->ifs[pc->nifs++];
    memset(ifc, 0, sizeof *ifc);
    ifc->linktype = rd16(b, pc->swap);
    ifc->res = 6;
    for (size_t off = 8; off + 4 <= n;) {
        uint16_t code = rd16(b + off, pc->swap), len = rd16(b + off + 2, pc->swap);
        if (code == 0 || off + 4 + len > n)
            break;
        if (code == 9 && len >= 1) { /* if_tsresol */
            ifc->pow2 = b[off + 4] >> 7;
            ifc->res = b[off + 4] & 0x7f;
        } else if (code == 14 && len >= 8) { /* if_tsoffset, seconds */
            uint64_t v = (uint64_t)rd32(b + off + 4 + (pc->swap ? 0 : 4), pc->swap) << 32 |
                         rd32(b + off + 4 + (pc->swap ? 4 : 0), pc->swap);
            ifc->off_s = (int64_t)v;
        }
        off += 4 + ((len + 3u) & ~3u);
    }
}

static int next_ng(fr_pcap *pc, fr_tcp_seg *seg, char *err, size_t cap)
{
    while (pc->off < pc->n) {
        if (pc->n - pc->off < 12) {
            pc->torn = 1;
            return 0;
        }
        const uint8_t *h = pc->buf + pc->off;
        uint32_t type = rd32(h, 0);
        if (type == PCAPNG_SHB) { /* a section: its own byte order */
            uint32_t bom = rd32(h + 8, 0);
            if (bom != PCAPNG_BOM && bom != __builtin_bswap32(PCAPNG_BOM)) {
                set_err(err, cap, "pcapng section header with a bad byte-order magic");
                return -1;
            }
            pc->swap = bom != PCAPNG_BOM;
            pc->nifs = 0;
        } else {
            type = rd32(h, pc->swap);
        }
        uint32_t len = rd32(h + 4, pc->swap);
        if (len < 12 || len % 4) {
            set_err(err, cap, "pcapng block with an impossible length");
            return -1;
        }
        if (len > pc->n - pc->off) {
            pc->torn = 1;
            return 0;
        }
        pc->off += len;
        const uint8_t *b = h + 8;
        size_t bn = len - 12;
        if (type == 1) {
            ng_iface(pc, b, bn);
        } else if (type == 6 || type == 2) { /* enhanced / obsolete packet */
            if (bn < 20)
                continue;
            uint32_t id = type == 6 ? rd32(b, pc->swap) : rd16(b, pc->swap);
            uint64_t ts = (uint64_t)rd32(b + 4, pc->swap) << 32 | rd32(b + 8, pc->swap);
            uint32_t caplen = rd32(b + 12, pc->swap);
            if (id >= pc->nifs || caplen > bn - 20) {
                pc->packets++;
                pc->skipped++;
                continue;
            }
            if (packet(pc, pc->ifs[id].linktype, b + 20, caplen, ng_time(&pc->ifs[id], ts), seg))
                return 1;
        } else if (type == 3) { /* simple packet: interface 0, no time */
            if (bn < 4 || !pc->nifs)
                continue;
            uint32_t orig = rd32(b, pc->swap);
            size_t caplen = orig < bn - 4 ? orig : bn - 4;
            if (packet(pc, pc->ifs[0].linktype, b + 4, caplen, 0, seg))
                return 1;
        }
    }
    return 0;
}

int fr__pcap_next(fr_pcap *pc, fr_tcp_seg *seg, char *err, size_t cap)
{
    return pc->ng ? next_ng(pc, seg, err, cap) : next_pcap(pc, seg);
}
