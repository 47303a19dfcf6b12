/* The fuzz targets in every build (gcc or clang, with or without
 * sanitizers): each seed as it is, cut at every byte, and mutated N times
 * (bytes flipped, set to boundary values, runs deleted or duplicated)
 * by a fixed-seed generator, so a run is the same every time.
 *
 *   fuzz_smoke [N]          N mutations per seed (default 3000)
 *   fuzz_smoke FILE...      run the files once each (a crash to reproduce) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fakeredis/recording.h"
#include "fuzz_targets.h"

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *b = NULL;
    size_t cap = 0;
    *n = 0;
    for (;;) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 4096;
            b = realloc(b, cap);
            if (!b)
                abort();
        }
        size_t k = fread(b + *n, 1, cap - *n, f);
        if (!k)
            break;
        *n += k;
    }
    fclose(f);
    return b;
}

/* A recording with every kind of event in it. */
static uint8_t *recording_seed(size_t *n)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/fr_fuzz_seed_%ld.rec", (long)getpid());
    fr_rec_writer *w;
    if (fr_rec_writer_open(path, 1700000000000000LL, &w) != FR_OK)
        abort();
    const char *argv[] = {"SET", "k", "v\r\n\x00"};
    size_t lens[] = {3, 1, 4};
    fr_rec_event evs[] = {
        {.type = FR_REC_CONNECT, .conn = 1, .data = "127.0.0.1:1", .len = 11},
        {.type = FR_REC_COMMAND, .conn = 1, .time_us = 5, .argc = 3, .argv = argv, .argvlen = lens},
        {.type = FR_REC_ACTION, .time_us = 6, .argc = 3, .argv = argv, .argvlen = lens},
        {.type = FR_REC_FAULT, .conn = 1, .time_us = 7, .rule = 3, .data = "cmd=x", .len = 5},
        {.type = FR_REC_REPLY, .conn = 1, .time_us = 8, .data = "+OK\r\n", .len = 5},
        {.type = FR_REC_WIRE, .conn = 1, .flags = FR_REC_SENT, .data = "+O", .len = 2},
        {.type = FR_REC_PUSH, .conn = 1, .flags = FR_REC_SENT, .data = ">1\r\n:1\r\n", .len = 8},
        {.type = FR_REC_DISCONNECT, .conn = 1, .time_us = 9},
    };
    for (size_t i = 0; i < sizeof evs / sizeof *evs; i++)
        if (fr_rec_writer_add(w, &evs[i]) != FR_OK)
            abort();
    if (fr_rec_writer_close(w) != FR_OK)
        abort();
    uint8_t *b = slurp(path, n);
    unlink(path);
    return b;
}

static void mutate(uint8_t **b, size_t *n, const uint8_t *seed, size_t sn)
{
    *b = realloc(*b, sn * 2 + 64);
    memcpy(*b, seed, sn);
    *n = sn;
    int ops = 1 + (int)(next() % 4);
    for (int k = 0; k < ops && *n; k++) {
        size_t at = next() % *n;
        switch (next() % 5) {
        case 0: /* flip a bit */
            (*b)[at] ^= (uint8_t)(1u << (next() % 8));
            break;
        case 1: { /* a boundary value, in a length field most likely */
            static const uint8_t vals[] = {0, 1, 0x7f, 0x80, 0xfe, 0xff};
            (*b)[at] = vals[next() % sizeof vals];
            break;
        }
        case 2: { /* delete a run */
            size_t len = 1 + next() % 16;
            if (len > *n - at)
                len = *n - at;
            memmove(*b + at, *b + at + len, *n - at - len);
            *n -= len;
            break;
        }
        case 3: { /* duplicate a run */
            size_t len = 1 + next() % 32;
            if (len > *n - at)
                len = *n - at;
            if (*n + len <= sn * 2 + 64) {
                memmove(*b + at + len, *b + at, *n - at);
                *n += len;
            }
            break;
        }
        default: /* cut */
            *n = at;
            break;
        }
    }
}

static void run_seed(int (*target)(const uint8_t *, size_t), const uint8_t *seed, size_t n,
                     long mutations)
{
    target(seed, n);
    for (size_t cut = 0; cut < n; cut++) { /* every truncation */
        uint8_t *copy = malloc(cut ? cut : 1); /* exactly cut bytes: ASan sees past them */
        memcpy(copy, seed, cut);
        target(copy, cut);
        free(copy);
    }
    uint8_t *b = NULL;
    size_t bn;
    for (long i = 0; i < mutations; i++) {
        mutate(&b, &bn, seed, n);
        uint8_t *exact = malloc(bn ? bn : 1);
        memcpy(exact, b, bn);
        target(exact, bn);
        free(exact);
    }
    free(b);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !(argv[1][0] >= '0' && argv[1][0] <= '9')) {
        for (int i = 1; i < argc; i++) {
            size_t n;
            uint8_t *b = slurp(argv[i], &n);
            if (!b) {
                perror(argv[i]);
                return 2;
            }
            fr_fuzz_recording(b, n);
            fr_fuzz_pcap(b, n);
            free(b);
        }
        return 0;
    }
    long mutations = argc > 1 ? atol(argv[1]) : 3000;
    size_t n;
    uint8_t *rec = recording_seed(&n);
    run_seed(fr_fuzz_recording, rec, n, mutations);
    free(rec);
    uint8_t *cap = slurp(FR_CAPTURES_DIR "/redis_session.pcap", &n);
    if (!cap) {
        perror(FR_CAPTURES_DIR "/redis_session.pcap");
        return 2;
    }
    run_seed(fr_fuzz_pcap, cap, n, mutations);
    free(cap);
    printf("fuzz_smoke: every seed, every cut, %ld mutations each: no crash\n", mutations);
    return 0;
}
