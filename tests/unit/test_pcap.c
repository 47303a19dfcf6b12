/* The pcap import on captures built here, byte by byte: the containers
 * (pcap in both byte orders and time precisions, pcapng with its
 * interfaces and resolutions), the link types (Ethernet with a VLAN tag,
 * BSD loopback, Linux cooked v1 and v2, raw IP), IPv4 and IPv6, and TCP
 * put back together: retransmitted, out-of-order and overlapping
 * segments, a pipeline, a connection caught mid-way, a gap never filled,
 * a reset, pub/sub pushes. Also: a capture cut at every byte of its last
 * record imports everything before it, and so does a recording cut at
 * every byte of its last record. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fakeredis/recording.h"

/* ---- a growable byte buffer ---------------------------------------------- */

typedef struct bytes {
    uint8_t *p;
    size_t n, cap;
} bytes;

static void add(bytes *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    if (n)
        memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void u8(bytes *b, unsigned v)
{
    uint8_t x = (uint8_t)v;
    add(b, &x, 1);
}

static void be16(bytes *b, unsigned v)
{
    u8(b, v >> 8);
    u8(b, v);
}

static void be32(bytes *b, uint32_t v)
{
    be16(b, v >> 16);
    be16(b, v & 0xffff);
}

/* In the file's byte order: little-endian, or big when big is set. */
static void f16(bytes *b, unsigned v, int big)
{
    if (big) {
        be16(b, v);
    } else {
        u8(b, v);
        u8(b, v >> 8);
    }
}

static void f32(bytes *b, uint32_t v, int big)
{
    if (big) {
        be32(b, v);
    } else {
        f16(b, v & 0xffff, 0);
        f16(b, v >> 16, 0);
    }
}

/* ---- packets ---------------------------------------------------------------- */

enum { FIN = 1, SYN = 2, RST = 4, ACK = 16 };

typedef struct pkt {
    int64_t t_us;
    bytes frame; /* the link layer and all */
} pkt;

typedef struct session {
    pkt *p;
    size_t n;
    uint32_t linktype;
    int v6;
} session;

static void tcp_hdr(bytes *b, unsigned sport, unsigned dport, uint32_t seq, unsigned flags)
{
    be16(b, sport);
    be16(b, dport);
    be32(b, seq);
    be32(b, 0);    /* ack */
    u8(b, 5 << 4); /* 20 bytes */
    u8(b, flags | ACK);
    be16(b, 65535); /* window */
    be32(b, 0);     /* checksum, urgent: not checked */
}

/* The IP packet: from client c (host 1) or the server (host 2). */
static void ip_packet(bytes *b, int v6, int from_client, const bytes *tcp)
{
    if (!v6) {
        u8(b, 0x45);
        u8(b, 0);
        be16(b, (unsigned)(20 + tcp->n));
        be32(b, 0x40000000u); /* id 0, DF */
        u8(b, 64);
        u8(b, 6);
        be16(b, 0);
        be32(b, from_client ? 0x0a000001u : 0x0a000002u);
        be32(b, from_client ? 0x0a000002u : 0x0a000001u);
    } else {
        be32(b, 0x60000000u);
        be16(b, (unsigned)(8 + tcp->n)); /* a destination-options header first */
        u8(b, 60);
        u8(b, 64);
        uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8}, z[16] = {0x20, 0x01, 0x0d, 0xb8};
        a[15] = from_client ? 1 : 2;
        z[15] = from_client ? 2 : 1;
        add(b, a, 16);
        add(b, z, 16);
        uint8_t opts[8] = {6, 0, 1, 4, 0, 0, 0, 0}; /* next TCP, PadN */
        add(b, opts, 8);
    }
    add(b, tcp->p, tcp->n);
}

static void link_frame(bytes *f, uint32_t lt, int v6, const bytes *ip)
{
    unsigned type = v6 ? 0x86DD : 0x0800;
    switch (lt) {
    case 1: { /* Ethernet with one VLAN tag */
        uint8_t mac[12] = {0};
        add(f, mac, 12);
        be16(f, 0x8100);
        be16(f, 7);
        be16(f, type);
        break;
    }
    case 0: /* BSD loopback: the family, little-endian here */
        f32(f, v6 ? 30 : 2, 0);
        break;
    case 113: { /* SLL */
        uint8_t h[14] = {0};
        add(f, h, 14);
        be16(f, type);
        break;
    }
    case 276: { /* SLL2 */
        be16(f, type);
        uint8_t h[18] = {0};
        add(f, h, 18);
        break;
    }
    default: /* raw IP */
        break;
    }
    add(f, ip->p, ip->n);
    if (lt == 1 && f->n < 60) { /* Ethernet pads short frames */
        uint8_t pad[60] = {0};
        add(f, pad, 60 - f->n);
    }
}

static void seg(session *s, int64_t t_us, unsigned cport, int from_client, uint32_t seq,
                unsigned flags, const char *data, size_t len)
{
    bytes tcp = {0}, ip = {0};
    tcp_hdr(&tcp, from_client ? cport : 6379, from_client ? 6379 : cport, seq, flags);
    add(&tcp, data, len);
    ip_packet(&ip, s->v6, from_client, &tcp);
    s->p = realloc(s->p, (s->n + 1) * sizeof *s->p);
    pkt *p = &s->p[s->n++];
    memset(p, 0, sizeof *p);
    p->t_us = t_us;
    link_frame(&p->frame, s->linktype, s->v6, &ip);
    free(tcp.p);
    free(ip.p);
}

#define S(str) str, sizeof str - 1
#define PING "*1\r\n$4\r\nPING\r\n"

/* The traffic every container and link type carries. */
static void build_session(session *s)
{
    int64_t t = 1700000000000000LL;
    /* c1: opened, retransmission, reordering, overlap, pipeline, FIN */
    seg(s, t, 5000, 1, 999, SYN, NULL, 0);
    seg(s, t + 1, 5000, 0, 4999, SYN, NULL, 0);
    seg(s, t + 10, 5000, 1, 1000, 0, S(PING));
    seg(s, t + 11, 5000, 1, 1000, 0, S(PING)); /* retransmitted */
    seg(s, t + 20, 5000, 0, 5000, 0, S("+PONG\r\n"));
    /* "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n" (27 bytes) from byte 1014 */
    seg(s, t + 30, 5000, 1, 1014 + 18, 0, S("\r\n$1\r\nv\r\n"));   /* its end, early */
    seg(s, t + 31, 5000, 1, 1014, 0, S("*3\r\n$3\r\nSET\r\n$1"));  /* its start */
    seg(s, t + 32, 5000, 1, 1014 + 10, 0, S("T\r\n$1\r\nk\r\n$")); /* overlaps both */
    seg(s, t + 40, 5000, 0, 5007, 0, S("+OK\r\n"));
    seg(s, t + 50, 5000, 1, 1041, 0,
        S("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"));
    seg(s, t + 60, 5000, 0, 5012, 0, S("$1\r\nv\r\n$1\r\nv\r\n"));
    seg(s, t + 70, 5000, 1, 1081, FIN, NULL, 0);
    seg(s, t + 71, 5000, 0, 5026, FIN, NULL, 0);
    /* c2: caught mid-way, then a subscriber's push */
    seg(s, t + 99, 5001, 0, 8000, 0, S(":1\r\n")); /* answers a command we did not see */
    seg(s, t + 100, 5001, 1, 7000, 0, S("k\r\n*2\r\n$9\r\nSUBSCRIBE\r\n$2\r\nch\r\n"));
    seg(s, t + 110, 5001, 0, 8004, 0, S("*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"));
    seg(s, t + 120, 5001, 0, 8035, 0, S("*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"));
    /* c3: a gap that is never filled, then a reset */
    seg(s, t + 200, 5002, 1, 99, SYN, NULL, 0);
    seg(s, t + 201, 5002, 1, 100, 0, S(PING));
    seg(s, t + 202, 5002, 1, 200, 0, S("ECHO x\r\n")); /* after 86 lost bytes: inline,
                                                          so no place to pick up from */
    seg(s, t + 900000, 5002, 1, 208, 0, S("*2\r\n$4\r\nECHO\r\n$1\r\ny\r\n")); /* much later */
    seg(s, t + 900001, 5002, 1, 229, RST, NULL, 0);
}

static const char want_events[] =
    "+0.000000 c1 CONNECT \"10.0.0.1:5000\"\n"
    "+0.000010 c1 COMMAND \"PING\"\n"
    "+0.000020 c1 REPLY sent \"+PONG\\r\\n\"\n"
    "+0.000032 c1 COMMAND \"SET\" \"k\" \"v\"\n"
    "+0.000040 c1 REPLY sent \"+OK\\r\\n\"\n"
    "+0.000050 c1 COMMAND \"GET\" \"k\"\n"
    "+0.000060 c1 REPLY sent \"$1\\r\\nv\\r\\n\"\n"
    "+0.000050 c1 COMMAND \"GET\" \"k\"\n"
    "+0.000060 c1 REPLY sent \"$1\\r\\nv\\r\\n\"\n"
    "+0.000071 c1 DISCONNECT\n"
    "+0.000099 c2 CONNECT \"10.0.0.1:5001\"\n"
    "+0.000100 c2 COMMAND \"SUBSCRIBE\" \"ch\"\n"
    "+0.000110 c2 REPLY sent \"*3\\r\\n$9\\r\\nsubscribe\\r\\n$2\\r\\nch\\r\\n:1\\r\\n\"\n"
    "+0.000120 c2 PUSH sent \"*3\\r\\n$7\\r\\nmessage\\r\\n$2\\r\\nch\\r\\n$2\\r\\nhi\\r\\n\"\n"
    "+0.000200 c3 CONNECT \"10.0.0.1:5002\"\n"
    "+0.000201 c3 COMMAND \"PING\"\n"
    "+0.900000 c3 COMMAND \"ECHO\" \"y\"\n"
    "+0.900001 c3 DISCONNECT\n";

/* ---- containers ---------------------------------------------------------------- */

enum { PCAP_LE_US, PCAP_BE_NS, PCAPNG };

static void container(bytes *out, const session *s, int kind)
{
    int big = kind == PCAP_BE_NS;
    if (kind == PCAPNG) {
        /* a section, an interface that is not ours, then ours at 10^-9 */
        f32(out, 0x0A0D0D0Au, 0);
        f32(out, 28, 0);
        f32(out, 0x1A2B3C4Du, 0);
        f16(out, 1, 0);
        f16(out, 0, 0);
        f32(out, 0xffffffffu, 0);
        f32(out, 0xffffffffu, 0);
        f32(out, 28, 0);
        for (int i = 0; i < 2; i++) {
            f32(out, 1, 0);
            f32(out, i ? 32 : 20, 0);
            f16(out, i ? s->linktype : 147, 0);
            f16(out, 0, 0);
            f32(out, 65535, 0);
            if (i) { /* if_tsresol 9, end of options */
                f16(out, 9, 0);
                f16(out, 1, 0);
                u8(out, 9);
                u8(out, 0);
                u8(out, 0);
                u8(out, 0);
                f32(out, 0, 0);
            }
            f32(out, i ? 32 : 20, 0);
        }
        f32(out, 0xdeadbeefu, 0); /* an unknown block: skipped */
        f32(out, 16, 0);
        f32(out, 0, 0);
        f32(out, 16, 0);
    } else {
        f32(out, kind == PCAP_BE_NS ? 0xa1b23c4du : 0xa1b2c3d4u, big);
        f16(out, 2, big);
        f16(out, 4, big);
        f32(out, 0, big);
        f32(out, 0, big);
        f32(out, 262144, big);
        f32(out, s->linktype, big);
    }
    for (size_t i = 0; i < s->n; i++) {
        const pkt *p = &s->p[i];
        uint32_t len = (uint32_t)p->frame.n;
        if (kind == PCAPNG) {
            uint64_t ns = (uint64_t)p->t_us * 1000;
            uint32_t padded = (len + 3) & ~3u;
            f32(out, 6, 0);
            f32(out, 32 + padded, 0);
            f32(out, 1, 0);
            f32(out, (uint32_t)(ns >> 32), 0);
            f32(out, (uint32_t)ns, 0);
            f32(out, len, 0);
            f32(out, len, 0);
            add(out, p->frame.p, len);
            uint8_t pad[4] = {0};
            add(out, pad, padded - len);
            f32(out, 32 + padded, 0);
        } else {
            f32(out, (uint32_t)(p->t_us / 1000000), big);
            uint32_t frac = (uint32_t)(p->t_us % 1000000);
            f32(out, kind == PCAP_BE_NS ? frac * 1000 : frac, big);
            f32(out, len, big);
            f32(out, len, big);
            add(out, p->frame.p, len);
        }
    }
}

static void session_free(session *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->p[i].frame.p);
    free(s->p);
}

/* The events of a recording as fakeredis-replay prints them. */
static char *events_text(const char *path)
{
    fr_recording *r;
    assert_int_equal(fr_recording_open(path, &r, NULL, 0), FR_OK);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    const fr_rec_event *ev;
    while (fr_recording_next(r, &ev) == 1)
        fr_rec_event_print(f, ev);
    fclose(f);
    fr_recording_close(r);
    return text;
}

static char out_path[64];

static void import_and_check(uint32_t linktype, int v6, int kind)
{
    session s = {.linktype = linktype, .v6 = v6};
    build_session(&s);
    bytes cap = {0};
    container(&cap, &s, kind);
    fr_pcap_import_result res;
    assert_int_equal(fr_pcap_import_mem(cap.p, cap.n, out_path, 6379, &res), FR_OK);
    assert_int_equal(res.packets, s.n);
    assert_int_equal(res.packets_skipped, 0);
    assert_int_equal(res.connections, 3);
    char *text = events_text(out_path);
    /* IPv6 gives the same, with the client's IPv6 address */
    bytes same = {0};
    for (const char *p = text; *p;) {
        if (v6 && !strncmp(p, "[2001:db8::1]:", 14)) {
            add(&same, "10.0.0.1:", 9);
            p += 14;
        } else {
            add(&same, p++, 1);
        }
    }
    add(&same, "", 1);
    assert_string_equal((char *)same.p, want_events);
    free(same.p);
    free(text);
    assert_int_equal(res.commands, 7);
    assert_int_equal(res.pushes, 1);
    assert_int_equal(res.truncated, 0);
    assert_true(res.skipped_bytes > 0);
    free(cap.p);
    session_free(&s);
}

static void test_pcap_ethernet_ipv4(void **state)
{
    (void)state;
    import_and_check(1, 0, PCAP_LE_US);
}

static void test_pcap_big_endian_nanoseconds_sll(void **state)
{
    (void)state;
    import_and_check(113, 0, PCAP_BE_NS);
}

static void test_pcapng_loopback_ipv6(void **state)
{
    (void)state;
    import_and_check(0, 1, PCAPNG);
}

static void test_pcapng_sll2_and_raw(void **state)
{
    (void)state;
    import_and_check(276, 1, PCAPNG);
    import_and_check(101, 0, PCAP_LE_US);
}

/* Cut at every byte of its last record: everything before it is there. */
static void test_pcap_cut_anywhere_in_last_record(void **state)
{
    (void)state;
    session s = {.linktype = 1};
    build_session(&s);
    for (int kind = 0; kind <= PCAPNG; kind++) {
        bytes cap = {0};
        container(&cap, &s, kind);
        size_t last = s.p[s.n - 1].frame.n + (kind == PCAPNG ? 32 : 16);
        if (kind == PCAPNG)
            last = (last + 3) & ~(size_t)3;
        for (size_t cut = cap.n - last + 1; cut < cap.n; cut++) {
            fr_pcap_import_result res;
            assert_int_equal(fr_pcap_import_mem(cap.p, cut, out_path, 6379, &res), FR_OK);
            assert_int_equal(res.truncated, 1);
            assert_int_equal(res.packets, s.n - 1);
            assert_int_equal(res.commands, 7);
        }
        free(cap.p);
    }
    session_free(&s);
}

static void test_not_a_capture(void **state)
{
    (void)state;
    fr_pcap_import_result res;
    assert_int_equal(fr_pcap_import_mem("hello world", 11, out_path, 6379, &res), FR_ERR_PARSE);
    assert_non_null(strstr(res.err, "not a pcap"));
    assert_int_equal(fr_pcap_import_mem("x", 1, out_path, 0, &res), FR_ERR_ARG);
    assert_int_equal(fr_pcap_import("/nonexistent/c.pcap", out_path, 6379, &res), FR_ERR_IO);
}

/* A recording cut at every byte of its last record: the reader returns
 * every event before it, says the end is torn, and never fails. */
static void test_recording_cut_anywhere_in_last_record(void **state)
{
    (void)state;
    fr_rec_writer *w;
    assert_int_equal(fr_rec_writer_open(out_path, 0, &w), FR_OK);
    const char *argv[] = {"SET", "k", "v"};
    fr_rec_event evs[] = {
        {.type = FR_REC_CONNECT, .conn = 1, .data = "a", .len = 1},
        {.type = FR_REC_COMMAND, .conn = 1, .argc = 3, .argv = argv},
        {.type = FR_REC_ACTION, .conn = 0, .argc = 3, .argv = argv},
        {.type = FR_REC_REPLY, .conn = 1, .flags = FR_REC_SENT, .data = "+OK\r\n", .len = 5},
    };
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(fr_rec_writer_add(w, &evs[i]), FR_OK);
    assert_int_equal(fr_rec_writer_close(w), FR_OK);
    FILE *f = fopen(out_path, "rb");
    assert_non_null(f);
    char buf[512];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    size_t last = 8 + 20 + 5; /* prefix, fixed body, "+OK\r\n" */
    for (size_t cut = n - last; cut < n; cut++) {
        fr_recording *r;
        assert_int_equal(fr_recording_open_mem(buf, cut, &r, NULL, 0), FR_OK);
        const fr_rec_event *ev;
        int k = 0, rc;
        while ((rc = fr_recording_next(r, &ev)) == 1)
            assert_int_equal(ev->type, evs[k++].type);
        assert_int_equal(rc, 0);
        assert_int_equal(k, 3);
        assert_int_equal(fr_recording_torn(r, NULL), cut != n - last);
        fr_recording_close(r);
    }
}

int main(void)
{
    snprintf(out_path, sizeof out_path, "/tmp/fr_unit_pcap_%ld.rec", (long)getpid());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pcap_ethernet_ipv4),
        cmocka_unit_test(test_pcap_big_endian_nanoseconds_sll),
        cmocka_unit_test(test_pcapng_loopback_ipv6),
        cmocka_unit_test(test_pcapng_sll2_and_raw),
        cmocka_unit_test(test_pcap_cut_anywhere_in_last_record),
        cmocka_unit_test(test_not_a_capture),
        cmocka_unit_test(test_recording_cut_anywhere_in_last_record),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    unlink(out_path);
    return rc;
}
