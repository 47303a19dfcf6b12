/*
 * fakeredis recording: write every event a server sees to a file, to read
 * back (include/fakeredis/recording.h), print, replay against another
 * server or serve again (playback).
 *
 * What is recorded, per connection, with a monotonic timestamp in
 * microseconds since the recording started:
 *   CONNECT     the peer address ("127.0.0.1:5555", or the unix path)
 *   COMMAND     argv, binary-safe, as the server parsed it, before the
 *               fault stage (so a command a rule refuses is still there)
 *   REPLY       the bytes the server produced for a command, before the
 *               fault stage: what replay compares against
 *   PUSH        the same for a pub/sub message or other push
 *   WIRE        bytes the fault stage let out (sliced, delayed, cut,
 *               corrupted...): only when a rule took the reply or push
 *   FAULT       a rule fired: its id and canonical text
 *   DISCONNECT  the connection went away
 * REPLY and PUSH carry FR_REC_SENT when the fault stage let them through
 * untouched. So the bytes a client really received are exactly the
 * concatenation, in order, of that connection's events flagged
 * FR_REC_SENT (REPLY and PUSH with the flag, and every WIRE).
 *
 * fr_exec()'s pseudo client is not recorded: it has no socket, and a
 * recording is about what went over the wire.
 *
 * File format (all integers little-endian), version 1:
 *   header  8 bytes magic "\x89" "FRREC\r\n"  (the \x89 and CRLF catch
 *           7-bit and text-mode mangling), u32 version, u32 flags (0),
 *           u64 wall-clock start (unix microseconds)          = 24 bytes
 *   record  u32 length L of the body, u32 CRC-32 of the body, body:
 *           u8 type, u8 flags, u16 zero, u64 time (us), u64 connection id,
 *           then per type:
 *             CONNECT     the peer address (the rest of the body)
 *             COMMAND     u32 argc, then argc times (u32 length, bytes)
 *             REPLY/PUSH/WIRE   the bytes (the rest of the body)
 *             FAULT       u64 rule id, then the rule's text
 *             DISCONNECT  nothing
 * A record is written whole or not at all as far as a reader can tell:
 * a torn last record (short, or a CRC that fails at the end of the file)
 * is skipped and reported; a bad record followed by more data is an error.
 * Readers skip types they do not know (the body is length-prefixed).
 *
 * Writes are buffered and flushed once per event loop iteration and on
 * stop; the recorder never calls fsync(). A failed write stops the
 * recording (fr_record_stop() then reports it).
 */
#ifndef FAKEREDIS_RECORD_H
#define FAKEREDIS_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "fakeredis/fakeredis.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FR_REC_MAGIC                                                                               \
    "\x89"                                                                                         \
    "FRREC\r\n"
#define FR_REC_MAGIC_LEN 8
#define FR_REC_VERSION 1
#define FR_REC_HEADER_LEN 24
/** Fixed part of a record body: type, flags, zero, time, connection id. */
#define FR_REC_BODY_FIXED 20
/** Largest body a reader accepts: a longer length is garbage. A reader
 *  never allocates for a length before the bytes are there. */
#define FR_REC_MAX_BODY (1u << 30)
/** Largest time (either sign) a record may carry, in microseconds: 2^61,
 *  about 73,000 years. Writers refuse more, readers take it for damage, so
 *  tools may add and subtract any two times without overflow. */
#define FR_REC_MAX_TIME_US (1LL << 61)

/** CRC-32 (IEEE, as zlib's crc32()) of p[0..n), continuing from crc (0 to
 *  start): the checksum of a record body. Any thread. */
FR_API uint32_t fr_record_crc32(uint32_t crc, const void *p, size_t n);

/** Event types. */
typedef enum fr_rec_type {
    FR_REC_CONNECT = 1,
    FR_REC_COMMAND = 2,
    FR_REC_REPLY = 3,
    FR_REC_PUSH = 4,
    FR_REC_WIRE = 5,
    FR_REC_FAULT = 6,
    FR_REC_DISCONNECT = 7
} fr_rec_type;

/** Event flags. */
enum {
    /** the bytes reached the client as they are (REPLY, PUSH, WIRE) */
    FR_REC_SENT = 1u << 0,
    /** imported (MONITOR): times and addresses come from the text */
    FR_REC_IMPORTED = 1u << 1
};

/**
 * Start recording every event of srv to path (created or truncated).
 * Connections already open are recorded from now on (a CONNECT event is
 * written for each of them first). Fails with FR_ERR_STATE if a recording
 * is already running, FR_ERR_ARG if path cannot be opened (the detail is
 * in fr_server_errstr()). Any thread (marshalled onto the loop).
 */
FR_API int fr_record_start(fr_server *srv, const char *path);

/**
 * Stop recording: flush and close the file. FR_ERR_STATE if none was
 * running; FR_ERR_SOCKET if a write had failed (the recording then stopped
 * at the failure; the file holds what was written before it). Any thread.
 * Stopping the server stops its recording too.
 */
FR_API int fr_record_stop(fr_server *srv);

/**
 * Serve scripted replies (playback), one step at a time: harness'
 * fr_playback_load() builds the script from a recording, so most callers
 * never use these directly.
 *
 * Connections are matched by order: the k-th connection the server
 * accepts after fr_playback_begin() (k from 0) plays script connection k.
 * Each step is the argv the client must send next on that connection and
 * the bytes to answer, delay_us after the command arrived when timing is
 * on. A command that differs from the expected step, or comes when the
 * script connection has no step left (or there is none), is a mismatch:
 * the client gets "-ERR fakeredis playback: ..." and the mismatch is
 * counted; the connection's script does not advance. Commands are never
 * run against the keyspace while playback is on. Strings are copied.
 * Any thread; FR_ERR_STATE when a playback is already running (begin).
 */
FR_API int fr_playback_add(fr_server *srv, uint32_t conn_index, int argc, const char *const *argv,
                           const size_t *lens, const void *reply, size_t reply_len,
                           int64_t delay_us);
/** Start answering from the script added so far. with_timing: wait each
 *  step's delay_us before answering. Any thread. */
FR_API int fr_playback_begin(fr_server *srv, int with_timing);
/** Counters of the running (or last) playback: steps served, mismatches,
 *  and the first mismatch's text (copied into first, cap bytes, may be
 *  NULL). Any thread. */
FR_API int fr_playback_result(fr_server *srv, uint64_t *served, uint64_t *mismatches, char *first,
                              size_t cap);
/** Stop playback and drop the script: the server runs commands again. */
FR_API int fr_playback_end(fr_server *srv);

#ifdef __cplusplus
}
#endif

#endif /* FAKEREDIS_RECORD_H */
