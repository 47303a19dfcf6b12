/* libFuzzer target: the recording reader (fr_recording_open_mem, then
 * fr_recording_next to the end).
 *
 * Any bytes: an error with a reason, or events, then the end (torn or
 * not), with memory that follows the bytes really there, no crash, no
 * leak. Random bytes rarely carry a record whose CRC matches, so the input
 * is read twice: as it is, and with every record's CRC set right, which
 * takes the fuzzer past the checksum into the decoder. Every event the
 * reader returns can be printed and written again (the format's encoder),
 * and what is written reads back to the same bytes once more. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakeredis/recording.h"
#include "record_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull(void)
{
    static FILE *f;
    if (!f)
        f = fopen("/dev/null", "w");
    if (!f)
        abort();
    return f;
}

/* Read p[0..n) to its end; with out, encode each event into it (after a
 * header). Returns the number of events, or -1 when reading failed. */
static long read_all(const void *p, size_t n, fr_buf *out)
{
    fr_recording *r = NULL;
    char err[256];
    memset(err, 'x', sizeof err);
    int rc = fr_recording_open_mem(p, n, &r, err, sizeof err);
    if (rc != FR_OK) {
        if (r || (rc != FR_ERR_PARSE) || !memchr(err, '\0', sizeof err) || !err[0])
            abort(); /* a refusal without a reason */
        return -1;
    }
    if (out)
        fr__rec_put_file_header(out, fr_recording_start_us(r));
    long events = 0;
    const fr_rec_event *ev;
    while ((rc = fr_recording_next(r, &ev)) == 1) {
        events++;
        if (ev->time_us > FR_REC_MAX_TIME_US || ev->time_us < -FR_REC_MAX_TIME_US)
            abort();
        if (ev->type == FR_REC_COMMAND && (ev->argc < 1 || !ev->argv || !ev->argvlen))
            abort(); /* a COMMAND a replay could not send */
        if (fr_rec_event_print(devnull(), ev) != 0)
            abort();
        if (out && fr__rec_put_event(out, ev) != 0)
            abort(); /* read, but cannot be written */
    }
    const char *why = fr_recording_errstr(r);
    if (rc != 0 && (rc != FR_ERR_PARSE || !why || !why[0]))
        abort(); /* an error without a reason */
    fr_recording_torn(r, NULL);
    fr_recording_close(r);
    return rc == 0 ? events : -1;
}

/* A copy of the input with the CRC of every record recomputed. */
static uint8_t *fix_crcs(const uint8_t *data, size_t size)
{
    uint8_t *p = malloc(size ? size : 1);
    if (!p)
        abort();
    if (size)
        memcpy(p, data, size);
    size_t at = FR_REC_HEADER_LEN;
    while (at + FR_REC_PREFIX <= size) {
        uint32_t len = fr__rec_get_u32(p + at);
        if (len > size - at - FR_REC_PREFIX)
            break;
        uint32_t crc = fr__rec_crc32(0, p + at + FR_REC_PREFIX, len);
        for (int i = 0; i < 4; i++)
            p[at + 4 + (size_t)i] = (uint8_t)(crc >> (8 * i));
        at += FR_REC_PREFIX + len;
    }
    return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    read_all(data, size, NULL);
    uint8_t *fixed = fix_crcs(data, size);
    fr_buf a = {0}, b = {0};
    long na = read_all(fixed, size, &a);
    if (na >= 0) {
        /* what was written reads back whole, and writes the same bytes */
        long nb = read_all(a.p, a.len, &b);
        if (nb != na || b.len != a.len || memcmp(a.p, b.p, a.len) != 0)
            abort();
    }
    fr__buf_free(&a);
    fr__buf_free(&b);
    free(fixed);
    return 0;
}
