/*
 * fakeredis recording: write every event a server sees to a file, to read
 * back, print or replay against another server (fakeredis/recording.h) or
 * serve again from a fake (fakeredis/playback.h). This header has the
 * writing side, in libfakeredis, and the file format every side shares.
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
 *   ACTION      the test acted on the server through the API (connection
 *               0): argv of a command fr_exec() or a helper of inspect.h
 *               ran (a "SELECT db" first when its database changed), a
 *               PUBLISH/SPUBLISH of fr_pubsub_publish(), a "FAKE.CLOCK
 *               FREEZE|RESUME|SET ms|ADVANCE ms" of the clock API; replay
 *               re-enacts them
 * REPLY and PUSH carry FR_REC_SENT when the fault stage let them through
 * untouched. So the bytes a client really received are exactly the
 * concatenation, in order, of that connection's events flagged
 * FR_REC_SENT (REPLY and PUSH with the flag, and every WIRE).
 *
 * fr_exec()'s pseudo client has no connection: what it runs is recorded
 * as ACTION events, the test's own doing, not as a client's traffic.
 *
 * File format (all integers little-endian), version 1:
 *   header  8 bytes magic "\x89" "FRREC\r\n"  (the \x89 and CRLF catch
 *           7-bit and text-mode mangling), u32 version, u32 flags (0),
 *           u64 wall-clock start (unix microseconds)          = 24 bytes
 *   record  u32 length L of the body, u32 CRC-32 of the body, body:
 *           u8 type, u8 flags, u16 zero, u64 time (us), u64 connection id,
 *           then per type:
 *             CONNECT     the peer address (the rest of the body)
 *             COMMAND, ACTION   u32 argc, then argc times (u32 length, bytes)
 *             REPLY/PUSH/WIRE   the bytes (the rest of the body)
 *             FAULT       u64 rule id, then the rule's text
 *             DISCONNECT  nothing
 *   CRC-32 is the IEEE one (zlib's crc32()); a body is at least 20 and at
 *   most 2^30 bytes (a longer length is garbage).
 * A record is written whole or not at all as far as a reader can tell: a
 * torn last record (short, or a CRC that fails at the end of the file) is
 * skipped and reported; a bad record followed by more data is an error.
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

/** Event types. */
typedef enum fr_rec_type {
    FR_REC_CONNECT = 1,
    FR_REC_COMMAND = 2,
    FR_REC_REPLY = 3,
    FR_REC_PUSH = 4,
    FR_REC_WIRE = 5,
    FR_REC_FAULT = 6,
    FR_REC_DISCONNECT = 7,
    FR_REC_ACTION = 8
} fr_rec_type;

/** Event flags. */
enum {
    /** the bytes reached the client as they are (REPLY, PUSH, WIRE) */
    FR_REC_SENT = 1u << 0,
    /** imported (MONITOR): times and addresses come from the text */
    FR_REC_IMPORTED = 1u << 1
};

/** Largest time (either sign) a record may carry, in microseconds: 2^61,
 *  about 73,000 years. Writers refuse more, readers take it for damage, so
 *  tools may add and subtract any two times without overflow. */
#define FR_REC_MAX_TIME_US (1LL << 61)

/**
 * Start recording every event of srv to path (created or truncated).
 * Connections already open are recorded from now on (a CONNECT event is
 * written for each of them first). Fails with FR_ERR_STATE if a recording
 * is already running, FR_ERR_IO if path cannot be opened or written (the
 * detail is in fr_server_errstr()), FR_ERR_ARG for a NULL server, or a
 * NULL or empty path (fr_server_errstr() says so). Any thread (marshalled
 * onto the loop).
 */
FR_API int fr_record_start(fr_server *srv, const char *path);

/**
 * Stop recording: flush and close the file. FR_OK; FR_ERR_STATE if none
 * was running; FR_ERR_IO if a write had failed (the recording then stopped
 * at the failure; the file holds what was written before it). Any thread.
 * Stopping the server stops its recording too.
 */
FR_API int fr_record_stop(fr_server *srv);

#ifdef __cplusplus
}
#endif

#endif /* FAKEREDIS_RECORD_H */
