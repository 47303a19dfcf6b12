/*
 * fakeredis playback: a fake that answers from a recording instead of
 * running commands, so a client can be tested against a session captured
 * once (from a fake, or imported from MONITOR; see fakeredis/record.h and
 * fakeredis/recording.h).
 *
 * Two levels:
 *   - fr_playback_load() reads a recording file and does everything; it is
 *     in the harness library (fakeredis::harness, which reads recordings);
 *   - the steps underneath, in libfakeredis (fakeredis::fakeredis), for a
 *     script built by hand: fr_playback_add() each step, then
 *     fr_playback_begin(); fr_playback_result() and fr_playback_end().
 *
 * Connections are matched by order: the k-th connection the server
 * accepts after fr_playback_begin() (k from 0) plays script connection k.
 * Each step is the argv the client must send next on that connection and
 * the bytes to answer, delay_us after the command arrived when timing is
 * on. A command that differs from the expected step, or comes when the
 * script connection has no step left (or there is none), is a mismatch:
 * the client gets "-ERR fakeredis playback: connection N step M: expected
 * '...', got '...'" (strict, the default) or the command runs on the fake
 * (lenient, fr_playback_options); the mismatch is counted and the
 * connection's script does not advance. Strict, commands are never run
 * against the keyspace while playback is on.
 *
 * Threads: like every call taking an fr_server, any thread for a threaded
 * server (marshalled onto the loop thread), the base's thread for an
 * attached one. Errors: FR_OK or a negative fr_status (FR_ERR_ARG for a
 * NULL server or bad argument, others as noted).
 */
#ifndef FAKEREDIS_PLAYBACK_H
#define FAKEREDIS_PLAYBACK_H

#include <stddef.h>
#include <stdint.h>

#include "fakeredis/export.h"
#include "fakeredis/fakeredis.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Make srv answer with the replies of the recording at path (harness
 * library). Builds the script from it: each recorded connection is one
 * script connection, in order of CONNECT; each of its commands is a step
 * whose answer is everything the recorded client received after that
 * command and before its next one (FR_REC_SENT events: replies, and pushes
 * that arrived in between), delayed by the recorded time from the command
 * to the first of those bytes when with_timing is nonzero. FAKE.* commands
 * are left out. Then starts answering (fr_playback_begin()).
 * Returns FR_OK; FR_ERR_IO (the file cannot be read), FR_ERR_PARSE (not a
 * recording, or damaged in the middle), FR_ERR_STATE (a playback is
 * already running), FR_ERR_ARG, FR_ERR_STOPPED.
 * Limits: connections are matched by accept order, not by address; output
 * a connection received before its first command is not played; pushes
 * caused by other connections are sent with the preceding command's
 * answer, not at their own time.
 */
FR_API int fr_playback_load(fr_server *srv, const char *path, int with_timing);

/** How a playback answers. All-zero: no timing, strict, no callback. */
typedef struct fr_playback_options {
    int timing; /**< answer each step after its recorded delay */
    /** a command off the script: 0 (strict) answers it with the playback
     *  error; nonzero (lenient) runs it on the fake's own keyspace as any
     *  command. Either way it is counted as a mismatch and the script
     *  stays where it was */
    int lenient;
    /** called on the loop thread for each mismatch with its text (the
     *  error's, without the leading '-': "fakeredis playback: connection N
     *  step M: expected '...', got '...'"); NULL: nothing is called. It
     *  must not call into the server. */
    void (*on_mismatch)(void *ctx, const char *text);
    void *ctx;
} fr_playback_options;

/** fr_playback_load() with options (harness library): opts NULL means
 *  all-zero. Statuses as fr_playback_load(). */
FR_API int fr_playback_load_opts(fr_server *srv, const char *path,
                                 const fr_playback_options *opts);

/**
 * Add a step to script connection conn_index: the command argv[0..argc)
 * (argv[i] has lens[i] bytes) the client must send, and the reply bytes to
 * answer it with, delay_us after it arrived when timing is on. Strings are
 * copied. FR_ERR_STATE once the playback has begun.
 */
FR_API int fr_playback_add(fr_server *srv, uint32_t conn_index, int argc, const char *const *argv,
                           const size_t *lens, const void *reply, size_t reply_len,
                           int64_t delay_us);

/** Start answering from the script added so far. with_timing: wait each
 *  step's delay_us before answering. FR_ERR_STATE when a playback is
 *  already running. */
FR_API int fr_playback_begin(fr_server *srv, int with_timing);
/** The same with options (NULL: all-zero, as fr_playback_begin(srv, 0)). */
FR_API int fr_playback_begin_opts(fr_server *srv, const fr_playback_options *opts);

/** Counters of the playback (running, or loaded and not yet ended): steps
 *  served, mismatches,
 *  and the first mismatch's text (copied into first, cap bytes, may be
 *  NULL; "" when none). Any pointer may be NULL. FR_ERR_STATE when there
 *  is no playback. */
FR_API int fr_playback_result(fr_server *srv, uint64_t *served, uint64_t *mismatches, char *first,
                              size_t cap);

/** Stop playback and drop the script: the server runs commands again.
 *  Replies still waiting for their time are dropped. FR_ERR_STATE when
 *  there is no playback. */
FR_API int fr_playback_end(fr_server *srv);

#ifdef __cplusplus
}
#endif

#endif /* FAKEREDIS_PLAYBACK_H */
