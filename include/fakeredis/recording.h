/*
 * fakeredis recordings, the reading side (library fakeredis::harness):
 * iterate the events of a recording file (written by fr_record_start(),
 * `fakeredis-server --record`, `FAKE.RECORD START` or imported from MONITOR
 * output), replay a recording's commands against any server and report the
 * replies that differ, or make a fake answer with the recorded replies
 * (playback). The file format and what each event means are described in
 * include/fakeredis/record.h.
 *
 * Threads: a fr_recording handle belongs to one thread at a time. The
 * other functions may be called from any thread; they block the caller.
 */
#ifndef FAKEREDIS_RECORDING_H
#define FAKEREDIS_RECORDING_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fakeredis/fakeredis.h"
#include "fakeredis/record.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One event. Every pointer points into the handle (or the writer's
 *  caller) and stays valid until the next fr_recording_next() call. */
typedef struct fr_rec_event {
    fr_rec_type type;
    unsigned flags;  /**< FR_REC_SENT, FR_REC_IMPORTED */
    int64_t time_us; /**< microseconds since the recording started */
    uint64_t conn;   /**< connection id (0 for a fault at accept) */
    /** CONNECT: the peer address; REPLY, PUSH, WIRE: the bytes; FAULT: the
     *  rule's text. Not NUL-terminated (a NUL follows it when read back). */
    const char *data;
    size_t len;
    int argc;                /**< COMMAND: the arguments */
    const char *const *argv; /**< COMMAND: argv[i] has argvlen[i] bytes */
    const size_t *argvlen;
    uint64_t rule; /**< FAULT: the rule's id */
} fr_rec_event;

/** An open recording being read. */
typedef struct fr_recording fr_recording;

/**
 * Open a recording file ("-" reads standard input) and check its header.
 * Reading is sequential (a pipe works). On success *out is owned by the
 * caller: fr_recording_close(). On failure *out is NULL and the status is
 * FR_ERR_ARG (cannot open), FR_ERR_PARSE (not a recording, or a version
 * this library does not know); err (may be NULL) gets the detail.
 */
FR_API int fr_recording_open(const char *path, fr_recording **out, char *err, size_t errcap);
/** The same over bytes in memory (copied). */
FR_API int fr_recording_open_mem(const void *p, size_t n, fr_recording **out, char *err,
                                 size_t errcap);

/**
 * The next event: returns 1 and sets *ev, 0 at the end, or FR_ERR_PARSE
 * when a record in the middle is damaged (a bad length or CRC with more
 * data after it): reading cannot go on, fr_recording_errstr() says where.
 * A torn last record (cut short, or damaged at the very end: a crash
 * mid-write) is skipped: next() returns 0 and fr_recording_torn() says so.
 * Records of a type this library does not know are skipped.
 */
FR_API int fr_recording_next(fr_recording *r, const fr_rec_event **ev);
/** Nonzero when the last record was torn and skipped; *bytes (may be
 *  NULL) gets how many bytes were dropped. */
FR_API int fr_recording_torn(const fr_recording *r, size_t *bytes);
/** When the recording started, as wall-clock unix microseconds. */
FR_API int64_t fr_recording_start_us(const fr_recording *r);
/** The detail of the last error (owned by the handle). */
FR_API const char *fr_recording_errstr(const fr_recording *r);
/** Close the handle. NULL is a no-op. */
FR_API void fr_recording_close(fr_recording *r);

/** Write a byte string escaped as MONITOR and redis-cli do ("a\r\n" ->
 *  "\"a\\r\\n\""), quotes included, to f. Returns -1 on a write error. */
FR_API int fr_rec_fputs_quoted(FILE *f, const char *p, size_t n);
/** The same without the quotes: \\ \" \n \r \t \a \b as such, other
 *  bytes outside printable ASCII as \xHH. For showing wire bytes in
 *  reports. Returns -1 on a write error. Any thread. */
FR_API int fr_rec_fputs_escaped(FILE *f, const char *p, size_t n);
/** Decode one escape of that text form (and of redis-cli's quoted
 *  words): s[0..n), n >= 1, is what follows the backslash. Writes the byte
 *  to *out and returns how many bytes of s it used: 3 for \xHH, else 1
 *  (\n \r \t \a \b, and any other \c is c, \x without two hex digits
 *  included). Any thread. */
FR_API size_t fr_rec_unescape(const char *s, size_t n, char *out);
/** Print one event as one line of text (no newline inside: bytes are
 *  escaped), the format of `fakeredis-replay print`:
 *    "+0.001234 c1 COMMAND \"SET\" \"k\" \"v\""
 *    "+0.001240 c1 REPLY sent \"+OK\\r\\n\"" */
FR_API int fr_rec_event_print(FILE *f, const fr_rec_event *ev);

/* ------------------------------------------------------------------------
 * Writing recordings outside a server (imports, tools, tests).
 * ------------------------------------------------------------------------ */

typedef struct fr_rec_writer fr_rec_writer;

/** Create path (truncated) with a header saying the recording started at
 *  start_us (wall-clock unix microseconds). FR_ERR_ARG if it cannot be
 *  created. *out is owned by the caller: fr_rec_writer_close(). */
FR_API int fr_rec_writer_open(const char *path, int64_t start_us, fr_rec_writer **out);
/** Append one event (ev->type decides which fields are used). Returns
 *  FR_OK, FR_ERR_ARG for a bad event (including a time beyond
 *  FR_REC_MAX_TIME_US either way), FR_ERR_SOCKET on a write error. */
FR_API int fr_rec_writer_add(fr_rec_writer *w, const fr_rec_event *ev);
/** Flush and close. Returns FR_ERR_SOCKET if any write failed. */
FR_API int fr_rec_writer_close(fr_rec_writer *w);

/* ------------------------------------------------------------------------
 * MONITOR import.
 * ------------------------------------------------------------------------ */

/** One parsed MONITOR line. Strings are owned by the struct:
 *  fr_monitor_line_clear() frees them. */
typedef struct fr_monitor_line {
    int64_t time_us; /**< unix microseconds, at most FR_REC_MAX_TIME_US
                          (a later time makes the line malformed) */
    int db;
    char *addr; /**< "127.0.0.1:5555", "unix:/tmp/s", "lua" */
    int argc;
    char **argv; /**< unescaped, NUL-terminated, may hold NULs */
    size_t *argvlen;
} fr_monitor_line;

/**
 * Parse one line of MONITOR output:
 *   1700000000.123456 [0 127.0.0.1:5555] "SET" "k" "v\r\n"
 * with Redis' escapes inside the quotes (\\ \" \n \r \t \a \b \xHH).
 * Returns 1 on success, 0 for a line that is not a command (empty, "OK"),
 * -1 for a malformed one. out is cleared first either way.
 */
FR_API int fr_monitor_parse_line(const char *line, size_t len, fr_monitor_line *out);
FR_API void fr_monitor_line_clear(fr_monitor_line *l);

/**
 * Turn MONITOR output (one line per command, as `redis-cli monitor`
 * prints it) into a recording: each distinct client address becomes a
 * connection (CONNECT at its first command, ids 1, 2, ... in order of
 * appearance), each line a COMMAND event flagged FR_REC_IMPORTED, times
 * relative to the first line. MONITOR shows no replies, so the recording
 * has none (replay then only sends; there is nothing to compare). Lines
 * from "lua" are skipped (a script's own calls, not client commands).
 * Returns FR_OK, FR_ERR_PARSE (the first malformed line's number is put
 * in *bad_line, may be NULL; lines before it are written), or FR_ERR_ARG
 * / FR_ERR_SOCKET for I/O errors. *commands (may be NULL) gets the count.
 */
FR_API int fr_monitor_import(FILE *in, const char *out_path, size_t *commands, size_t *bad_line);

/* ------------------------------------------------------------------------
 * Replay: send a recording's commands to a server and compare replies.
 * ------------------------------------------------------------------------ */

typedef struct fr_replay_options {
    const char *host; /**< NULL: 127.0.0.1 */
    int port;         /**< required */
    int timing;       /**< wait for each command's recorded time */
    size_t max_diffs; /**< differences kept in detail; 0: 10 */
    int timeout_ms;   /**< per awaited reply; 0: 5000 */
} fr_replay_options;

typedef struct fr_replay_diff {
    uint64_t conn;  /**< recorded connection id */
    char *command;  /**< the command the reply answers, as text; "(push)" */
    char *expected; /**< recorded bytes (NUL-terminated, may hold NULs) */
    size_t expected_len;
    char *got; /**< what the target sent ("" on a timeout/close) */
    size_t got_len;
} fr_replay_diff;

typedef struct fr_replay_result {
    uint64_t commands;    /**< commands sent */
    uint64_t compared;    /**< replies and pushes compared */
    uint64_t differences; /**< how many of those differed */
    uint64_t skipped;     /**< not compared: a fault fired on the
                               connection, or FAKE.* control commands */
    size_t ndiffs;        /**< first differences, in order */
    fr_replay_diff *diffs;
    int truncated; /**< the recording ended in a torn record */
    char err[256]; /**< why replay stopped early, or "" */
} fr_replay_result;

/**
 * Replay the recording at path against host:port. Connections are opened
 * as the recording opened them and commands are sent in the recorded
 * order across all connections (which keeps cross-connection effects such
 * as PUBLISH -> message in order). Each recorded REPLY or PUSH is awaited
 * on its connection (the same number of RESP frames) and compared byte for
 * byte. FAKE.* control commands are not sent. After a FAULT event on a
 * connection, nothing more is compared on it (the fault changed what the
 * client saw). Returns FR_OK when the replay ran to the end (differences
 * or not: see res), or an error (FR_ERR_ARG: cannot read the recording,
 * FR_ERR_SOCKET: cannot connect or a connection failed; res->err says
 * why). res is filled either way; free it with fr_replay_result_free().
 */
FR_API int fr_replay(const char *path, const fr_replay_options *opts, fr_replay_result *res);
FR_API void fr_replay_result_free(fr_replay_result *res);

/**
 * Playback: make srv answer with the recording's replies. Builds the
 * script (fr_playback_add(), record.h) from the recording: each recorded
 * connection is one script connection, in order of CONNECT; each of its
 * commands is a step whose answer is everything the recorded client
 * received after that command and before its next one (FR_REC_SENT
 * events: replies, and pushes that arrived in between), delayed by the
 * recorded time from the command to the first of those bytes. Then starts
 * answering (fr_playback_begin()). FAKE.* commands are left out.
 * Limits: connections are matched by accept order, not by address; output
 * a connection received before its first command is not played; pushes
 * caused by other connections are sent with the preceding command's
 * answer, not at their own time.
 */
FR_API int fr_playback_load(fr_server *srv, const char *path, int with_timing);

#ifdef __cplusplus
}
#endif

#endif /* FAKEREDIS_RECORDING_H */
