/*
 * fakeredis recordings as files (library fakeredis::harness): iterate the
 * events of a recording (written by fr_record_start(), `fakeredis-server
 * --record`, `FAKE.RECORD START` or imported from MONITOR output), print
 * them, write recordings from a tool, import MONITOR output, and replay a
 * recording's commands against any server, reporting the replies that
 * differ. The file format and what each event means are described in
 * fakeredis/record.h; making a fake answer from a recording (playback) is
 * fakeredis/playback.h.
 *
 * Threads: a fr_recording or fr_rec_writer handle belongs to one thread at
 * a time. The other functions may be called from any thread; they block
 * the caller. Memory: running out aborts, as in the whole library.
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
 * FR_ERR_IO (cannot open), FR_ERR_PARSE (not a recording, or a version
 * this library does not know) or FR_ERR_ARG (NULL path or out); err (may
 * be NULL, errcap bytes) gets the detail.
 */
FR_API int fr_recording_open(const char *path, fr_recording **out, char *err, size_t errcap);
/** The same over bytes in memory (copied): FR_ERR_PARSE or FR_ERR_ARG. */
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
/** 1 when the last record was torn and skipped, else 0; *bytes (may be
 *  NULL) gets how many bytes were dropped. */
FR_API int fr_recording_torn(const fr_recording *r, size_t *bytes);
/** When the recording started, as wall-clock unix microseconds. */
FR_API int64_t fr_recording_start_us(const fr_recording *r);
/** The detail of the last error (owned by the handle). */
FR_API const char *fr_recording_errstr(const fr_recording *r);
/** Close the handle. NULL is a no-op. */
FR_API void fr_recording_close(fr_recording *r);

/** Print one event as one line of text to f, the format of
 *  `fakeredis-replay print`: bytes escaped as MONITOR and redis-cli do
 *  (\\ \" \n \r \t \a \b, other bytes outside printable ASCII as
 *  \xHH) inside double quotes, so no newline but the final one:
 *    +0.001234 c1 COMMAND "SET" "k" "v"
 *    +0.001240 c1 REPLY sent "+OK\r\n"
 *  Returns 0, or -1 on a write error. */
FR_API int fr_rec_event_print(FILE *f, const fr_rec_event *ev);

/* ------------------------------------------------------------------------
 * Writing recordings outside a server (imports, tools, tests).
 * ------------------------------------------------------------------------ */

typedef struct fr_rec_writer fr_rec_writer;

/** Create path (truncated) with a header saying the recording started at
 *  start_us (wall-clock unix microseconds). FR_ERR_IO if it cannot be
 *  created, FR_ERR_ARG for a NULL argument. *out is owned by the caller:
 *  fr_rec_writer_close(). Records go out through stdio's buffer. */
FR_API int fr_rec_writer_open(const char *path, int64_t start_us, fr_rec_writer **out);
/** Append one event (ev->type decides which fields are used; argvlen may
 *  be NULL for NUL-terminated arguments). Returns FR_OK, FR_ERR_ARG for a
 *  bad event (unknown type, COMMAND without arguments, a time beyond
 *  FR_REC_MAX_TIME_US either way), FR_ERR_IO once a write failed. */
FR_API int fr_rec_writer_add(fr_rec_writer *w, const fr_rec_event *ev);
/** Flush and close; NULL is a no-op. FR_OK, or FR_ERR_IO if any write
 *  failed. */
FR_API int fr_rec_writer_close(fr_rec_writer *w);

/* ------------------------------------------------------------------------
 * MONITOR import.
 * ------------------------------------------------------------------------ */

/** One parsed MONITOR line. Strings are owned by the struct:
 *  fr_monitor_line_clear() frees them (and zeroes the struct). */
typedef struct fr_monitor_line {
    int64_t time_us; /**< unix microseconds */
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
 * in *bad_line, may be NULL; lines before it are written), FR_ERR_IO
 * (out_path cannot be written) or FR_ERR_ARG (NULL in or out_path).
 * *commands (may be NULL) gets the count.
 */
FR_API int fr_monitor_import(FILE *in, const char *out_path, size_t *commands, size_t *bad_line);

/* ------------------------------------------------------------------------
 * Packet capture import.
 * ------------------------------------------------------------------------ */

typedef struct fr_pcap_import_result {
    uint64_t packets;         /**< packets in the capture */
    uint64_t packets_skipped; /**< not TCP over IPv4/IPv6 on a known link
                                   type, IP fragments, cut by the snap length */
    uint64_t connections;     /**< TCP connections to the server port */
    uint64_t commands, replies, pushes; /**< events written */
    /** bytes left out: before the first whole command of a connection
     *  caught mid-way, lost segments, bytes that do not parse */
    uint64_t skipped_bytes;
    int truncated; /**< the capture file ends in a record cut short */
    char err[256]; /**< why the import failed, or "" */
} fr_pcap_import_result;

/**
 * Turn a packet capture (tcpdump's pcap or pcapng file, `tcpdump -i lo -w
 * F port 6379`) of clients talking to a Redis server on `port` into a
 * recording at out_path: one connection per TCP connection to that port
 * (CONNECT with the client's address, DISCONNECT when both sides closed or
 * one reset), its commands as COMMAND events and the server's replies as
 * REPLY (and pub/sub messages, MONITOR lines as PUSH) events, each
 * command followed by its whole reply as the fake records them (a
 * pipeline is laid out command by command; times are capture times).
 * Link types: Ethernet, BSD loopback, Linux cooked (SLL, SLL2), raw IP;
 * IPv4 and IPv6. Each direction is reassembled by sequence number:
 * retransmitted and overlapping bytes are taken once, early segments wait
 * for the gap before them, a gap still open 200 ms of capture time later
 * is taken as lost (the stream picks up at the next message). A
 * connection caught mid-way starts at the first whole command its client
 * sends. Returns FR_OK (res says what was found), FR_ERR_IO (the capture
 * cannot be read or out_path written), FR_ERR_PARSE (not a capture this
 * reader knows, or damaged: res->err says why; what came before is
 * written), FR_ERR_ARG (NULL arguments, a port out of 1..65535). Any
 * thread; res is filled either way.
 */
FR_API int fr_pcap_import(const char *capture, const char *out_path, int port,
                          fr_pcap_import_result *res);
/** The same over a capture in memory. */
FR_API int fr_pcap_import_mem(const void *capture, size_t len, const char *out_path, int port,
                              fr_pcap_import_result *res);

/* ------------------------------------------------------------------------
 * Replay: send a recording's commands to a server and compare replies.
 * ------------------------------------------------------------------------ */

/** What fr_replay_options.flush empties before the replay starts. */
enum {
    FR_REPLAY_FLUSH_NONE = 0, /**< nothing: the target keeps its data */
    FR_REPLAY_FLUSH_ALL = 1,  /**< FLUSHALL */
    FR_REPLAY_FLUSH_DB = 2    /**< FLUSHDB of database flush_db only */
};

typedef struct fr_replay_options {
    const char *host; /**< NULL: 127.0.0.1 */
    int port;         /**< required */
    int timing;       /**< wait for each command's recorded time */
    size_t max_diffs; /**< differences kept in detail; 0: 10 */
    int timeout_ms;   /**< per awaited reply; 0: 5000 */
    /** with timing: how much faster than recorded (2: twice as fast, 0.5:
     *  half speed); 0 or less: 1, the original pace */
    double speed;
    int flush;    /**< FR_REPLAY_FLUSH_*: empty the target first */
    int flush_db; /**< the database FR_REPLAY_FLUSH_DB empties */
} fr_replay_options;

/** Why a recorded reply or push was not compared (skipped_by[]). */
typedef enum fr_replay_skip {
    /** a fault rule had fired on its connection: the client saw what the
     *  rule made of the traffic, not the server's replies */
    FR_REPLAY_SKIP_FAULT = 0,
    /** the reply of a FAKE.* command replay does not re-enact (all but
     *  FAKE.CLOCK's moves: rules, kills, restarts, pauses, recordings,
     *  and FAKE.CLOCK GET, whose reading is the recording's own) */
    FR_REPLAY_SKIP_CONTROL,
    /** the reply of a FAKE.CLOCK move: the target has no FAKE.* (a real
     *  Redis, or a fake with control off) */
    FR_REPLAY_SKIP_NOT_FAKE,
    /** its connection was out of step: an earlier reply did not come in
     *  time, the target closed it, or it could not be reopened */
    FR_REPLAY_SKIP_BROKEN,
    /** no recorded command asked for it: a reply to a command sent before
     *  the recording started, or one nobody asked for */
    FR_REPLAY_SKIP_NO_COMMAND,
    FR_REPLAY_SKIP_REASONS
} fr_replay_skip;

/** A short name for a skip reason ("fault", "control", "not a fake",
 *  "out of step", "no command"), "?" for another number. Any thread. */
FR_API const char *fr_replay_skip_name(int reason);

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
    uint64_t skipped;     /**< replies and pushes not compared (the sum of
                               skipped_by) */
    size_t ndiffs;        /**< first differences, in order */
    fr_replay_diff *diffs;
    int truncated; /**< the recording ended in a torn record */
    char err[256]; /**< why replay stopped early, or "" */
    /** every REPLY and PUSH event read: compared + skipped == outputs */
    uint64_t outputs;
    uint64_t skipped_by[FR_REPLAY_SKIP_REASONS]; /**< skipped, per reason */
    /** recorded commands not sent: FAKE.* that replay does not re-enact,
     *  FAKE.CLOCK to a target without it, commands of a connection out of
     *  step */
    uint64_t commands_skipped;
    uint64_t actions;         /**< ACTION events re-enacted */
    uint64_t actions_skipped; /**< FAKE.CLOCK actions the target cannot run */
} fr_replay_result;

/**
 * Replay the recording at path against host:port. First, when opts->flush
 * says so, the target is emptied (FLUSHALL, or FLUSHDB of one database).
 * Connections are opened as the recording opened them and commands are
 * sent in the recorded order across all connections (which keeps
 * cross-connection effects such as PUBLISH -> message in order), as fast
 * as possible or, with timing, at the recorded pace (scaled by speed).
 * Each recorded REPLY or PUSH is awaited on its connection (the same
 * number of RESP frames) and compared byte for byte (but for HELLO's "id",
 * which numbers connections as no two servers do alike), or counted as
 * skipped with a reason (fr_replay_skip): every one is accounted for.
 * What the test did through the API (ACTION events: fr_exec() and the
 * inspect.h helpers, fr_pubsub_publish(), the clock) is re-enacted on a
 * connection of replay's own, in order, each awaited before going on;
 * clock moves only when the target is a fake (it answers FAKE.CLOCK), as
 * are FAKE.CLOCK moves a client sent (compared like any command). Other
 * FAKE.* commands are not sent. After a FAULT event on a connection,
 * nothing more is compared on it (the fault changed what the client saw).
 * A reply that does not come within opts->timeout_ms is a difference (got
 * is what had arrived), and that connection is compared no further.
 * Returns FR_OK when the replay ran to the end (differences or not: see
 * res), or why it stopped early, with res->err saying more: FR_ERR_IO (the
 * recording cannot be read, a connect or send failed), FR_ERR_REPLY (the
 * flush was refused: its error is in res->err), FR_ERR_PARSE (not a
 * recording, or damaged in the middle), FR_ERR_ARG (NULL path, opts or
 * res, no valid port, a bad flush). res is filled either way; free it
 * with fr_replay_result_free().
 */
FR_API int fr_replay(const char *path, const fr_replay_options *opts, fr_replay_result *res);
/** Free what fr_replay() put in res (not res itself). NULL is a no-op. */
FR_API void fr_replay_result_free(fr_replay_result *res);

#ifdef __cplusplus
}
#endif

#endif /* FAKEREDIS_RECORDING_H */
