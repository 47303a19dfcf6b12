/* The recording file format in one place: its constants, the encoder that
 * both the server's recorder (record.c) and the harness' writer use, the
 * decoder of the harness' reader, the CRC-32 of a record body, and the
 * escaped text form of bytes (MONITOR's and redis-cli's) that prints
 * events, replay reports, fr_dump() and the diff runner's messages.
 * The format is described in include/fakeredis/record.h.
 *
 * Internal: part of libfakeredis, and built from this same source into the
 * harness' private object library (fr_format in harness/CMakeLists.txt),
 * hidden in both shared libraries, never installed. It allocates through
 * fr_buf: out of memory aborts (README, "Allocation"). */
#ifndef FR_RECORD_FORMAT_H
#define FR_RECORD_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "fakeredis/recording.h"

#define FR_REC_MAGIC                                                                               \
    "\x89"                                                                                         \
    "FRREC\r\n"
#define FR_REC_MAGIC_LEN 8
#define FR_REC_VERSION 1
/* File header: magic, u32 version, u32 flags, u64 wall-clock start. */
#define FR_REC_HEADER_LEN 24
/* Before each body: u32 body length, u32 CRC-32 of the body. */
#define FR_REC_PREFIX 8
/* Fixed part of a body: type, flags, zero, time, connection id. */
#define FR_REC_BODY_FIXED 20
/* Largest body a reader accepts: a longer length is garbage. */
#define FR_REC_MAX_BODY (1u << 30)

/* CRC-32 (IEEE, as zlib's crc32()) of p[0..n), continuing from crc (0 to
 * start). */
uint32_t fr__rec_crc32(uint32_t crc, const void *p, size_t n);

/* Little-endian integers, as every field of the format. */
void fr__rec_put_u32(fr_buf *b, uint32_t v);
void fr__rec_put_u64(fr_buf *b, uint64_t v);
uint32_t fr__rec_get_u32(const void *p);
uint64_t fr__rec_get_u64(const void *p);

/* ---- encoding: header, then records (begin, payload, seal) -------------- */

/* Append the file header of a recording started at start_us (wall-clock
 * unix microseconds). */
void fr__rec_put_file_header(fr_buf *b, int64_t start_us);

/* Start a record: the prefix (filled by fr__rec_seal) and the fixed body.
 * Returns the record's offset in b. The payload follows: the bytes for
 * CONNECT, REPLY, PUSH and WIRE (nothing for DISCONNECT); for COMMAND,
 * fr__rec_put_u32(argc) then fr__rec_put_arg() for each argument; for
 * FAULT, fr__rec_put_u64(rule id) then the rule's text. */
size_t fr__rec_begin(fr_buf *b, fr_rec_type type, unsigned flags, int64_t time_us, uint64_t conn);
/* One COMMAND argument: u32 length, the bytes. */
void fr__rec_put_arg(fr_buf *b, const void *p, size_t n);
/* Fill in the length and CRC of the record that starts at `at` and ends
 * at `end` (records may follow it in b). */
void fr__rec_seal(fr_buf *b, size_t at, size_t end);
/* Change the flags of the sealed record [at, end) and seal it again. */
void fr__rec_set_flags(fr_buf *b, size_t at, size_t end, unsigned flags);
/* A whole record from an event (the fields its type uses), appended to b.
 * -1 (nothing appended) for a type outside fr_rec_type or a COMMAND
 * without arguments. ev->argvlen may be NULL for NUL-terminated argv. */
int fr__rec_put_event(fr_buf *b, const fr_rec_event *ev);

/* ---- decoding ------------------------------------------------------------ */

/* Check a file header of `got` bytes (FR_REC_HEADER_LEN when whole).
 * Returns FR_OK and sets *start_us, or FR_ERR_PARSE with the reason in
 * err (cap bytes, may be NULL). */
int fr__rec_check_file_header(const void *h, size_t got, int64_t *start_us, char *err,
                              size_t cap);

/* Where a decoded COMMAND's arguments live: copies, each NUL-terminated,
 * reused from one record to the next. Zero-initialise; free with
 * fr__rec_args_free(). */
typedef struct fr_rec_args {
    fr_buf bytes;
    const char **argv;
    size_t *lens;
    size_t cap;
} fr_rec_args;
void fr__rec_args_free(fr_rec_args *a);

/* Fill *ev from a record body whose CRC matched (body[len] must be
 * readable: the reader keeps a NUL there). Pointers in *ev point into body
 * and args. Returns 1, 0 for a type this version does not know (skip it),
 * or -1 with the reason in *why for a body that does not hold together. */
int fr__rec_decode(const char *body, size_t len, fr_rec_event *ev, fr_rec_args *args,
                   const char **why);

/* ---- text form ------------------------------------------------------------ */

/* p[0..n) escaped as MONITOR and redis-cli do: \\ \" \n \r \t \a \b as
 * such, other bytes outside printable ASCII as \xHH; with quoted, inside
 * double quotes. */
void fr__rec_escape(fr_buf *out, const char *p, size_t n, int quoted);
/* The same written to f. Returns -1 on a write error. */
int fr__rec_fputs_escaped(FILE *f, const char *p, size_t n);
int fr__rec_fputs_quoted(FILE *f, const char *p, size_t n);
/* Decode one escape of that form (and of redis-cli's quoted words):
 * s[0..n), n >= 1, is what follows the backslash. Writes the byte to *out
 * and returns how many bytes of s it used: 3 for \xHH, else 1 (\n \r \t
 * \a \b, and any other \c is c, \x without two hex digits included). */
size_t fr__rec_unescape(const char *s, size_t n, char *out);

#endif
