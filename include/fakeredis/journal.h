/*
 * fakeredis journal: what the clients did, for a test to check.
 *
 * Every server keeps a bounded log (fr_options.journal_size entries, 4096
 * by default, the oldest leaving first; on unless journal_size < 0) of
 *
 *   - each command a client sent: when, which connection (CLIENT ID) and
 *     client name, its arguments, what it got back (the reply's RESP type,
 *     the error text for an error) and the fault rules that fired on it;
 *   - each connect (with the peer address) and disconnect;
 *   - fault rules that fired outside a command (at accept, on a push, on
 *     read) and the moments the server stopped or started listening.
 *
 * Not journaled: fr_exec() (the test's own commands, no socket) and the
 * FAKE.* control commands. A command held and run again (CLIENT PAUSE, a
 * stall or delay rule) is one entry. Each entry has a sequence number
 * (seq, from 1, never reused), so a test takes a mark (fr_journal_mark)
 * and later asks only about what came after it.
 *
 *   uint64_t mark;
 *   fr_journal_mark(srv, &mark);
 *   ... the client does its thing ...
 *   fr_journal_query q = {.command = "GET user:*", .since = mark};
 *   assert_int_equal(fr_journal_count(srv, &q), 1);
 *
 * Matching (fr_journal_query.command) is word by word: the first word is
 * a glob on the command name in any case ("get", "GET", "*"), each next
 * word a glob (case-sensitive, as keys are) on the argument at that place;
 * arguments past the last word are free. Words are separated by blanks;
 * a word with blanks goes in double quotes (\" and \\ inside). So "SET
 * user:* *" matches every SET of a user key, "CLIENT SETNAME worker" one
 * name, "*" every command.
 *
 * Arguments are kept up to FR_JOURNAL_ARG_MAX bytes each and
 * FR_JOURNAL_MAX_ARGS per command (argc still counts them all; `truncated`
 * says when something was cut): a 1 MB value costs the journal 512 bytes.
 *
 * The same from the wire, for tests in other languages: FAKE.JOURNAL MARK,
 * COUNT, GET, PRINT, CLEAR (README.md, "The journal").
 *
 * Threads: as every call taking an fr_server (marshalled onto the loop
 * thread for a threaded server; the base's thread for an attached one).
 * Snapshots are plain data owned by the caller.
 */
#ifndef FAKEREDIS_JOURNAL_H
#define FAKEREDIS_JOURNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fakeredis/export.h"
#include "fakeredis/fakeredis.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FR_JOURNAL_DEFAULT_SIZE 4096
#define FR_JOURNAL_ARG_MAX 512 /**< bytes kept per argument */
#define FR_JOURNAL_MAX_ARGS 64 /**< arguments kept per command */

/** What an entry records. */
typedef enum fr_journal_kind {
    FR_J_COMMAND = 1, /**< a command a client sent */
    FR_J_CONNECT,     /**< a client connected (addr) */
    FR_J_DISCONNECT,  /**< a client is gone (freed with its state) */
    FR_J_FAULT,       /**< a fault rule fired outside a command: at accept
                           (client_id 0), on a push, on read */
    FR_J_LISTEN_ON,   /**< the server started accepting connections */
    FR_J_LISTEN_OFF   /**< it stopped (restart, FAKE.LISTEN OFF, a refuse
                           rule, shutdown) */
} fr_journal_kind;

/** fr_journal_query.kinds: a set of kinds. */
#define FR_JK(kind) (1u << (kind))
#define FR_JK_ALL 0xffffu

/** One entry of a snapshot. Strings are NUL-terminated; arguments may hold
 *  NUL bytes (use argvlen). */
typedef struct fr_journal_entry {
    uint64_t seq;            /**< from 1, never reused: a mark */
    int64_t time_us;         /**< when (for a command: when its bytes were
                                  read), microseconds since the server
                                  started, monotonic */
    fr_journal_kind kind;
    uint64_t client_id;      /**< CLIENT ID; 0 for server-wide entries */
    const char *client_name; /**< the client's name then; "" if none */
    const char *addr;        /**< CONNECT: the peer ("127.0.0.1:5555" or the
                                  unix socket path); "" otherwise */
    int argc;                /**< COMMAND: the arguments sent, name included */
    int nargv;               /**< how many of them are kept in argv */
    const char *const *argv; /**< argv[0] is the command name as sent */
    const size_t *argvlen;   /**< bytes kept of each */
    int truncated;           /**< 1 when an argument or argc was cut */
    char reply;              /**< the reply's RESP type byte ('+', '-', ':',
                                  '$', '*', '%', '~', '_', ...); 0: no reply
                                  (dropped by a rule, CLIENT REPLY OFF, the
                                  connection closed first, or still pending:
                                  a blocked command) */
    const char *error;       /**< an error reply's first line without the
                                  '-' ("ERR wrong number..."), else NULL */
    size_t nfaults;          /**< fault rules that fired on it */
    const uint64_t *faults;  /**< their ids (FR_J_FAULT: the one rule) */
    const char *fault_text;  /**< FR_J_FAULT: the rule's text; else NULL */
} fr_journal_entry;

/** A snapshot: the entries a query selected, oldest first. */
typedef struct fr_journal {
    size_t n;
    fr_journal_entry *entries;
    uint64_t last;   /**< the newest seq when it was taken: a mark */
    uint64_t lost;   /**< entries after `since` that had already left the
                          journal (it is bounded): a count may be low */
} fr_journal;

/** What to select. All-zero: every command. */
typedef struct fr_journal_query {
    const char *command; /**< "GET user:*": see the top of this file;
                              NULL or "": any command */
    uint64_t client_id;  /**< only this client; 0: any */
    const char *client;  /**< glob on the client name; NULL: any */
    uint64_t since;      /**< only entries after this mark; 0: all */
    unsigned kinds;      /**< FR_JK() set; 0: FR_JK(FR_J_COMMAND). A
                              command pattern only filters commands */
    size_t limit;        /**< at most this many (the oldest); 0: all */
} fr_journal_query;

/** The newest seq so far (0: none yet): later entries have larger ones.
 *  FR_OK, FR_ERR_ARG, FR_ERR_STOPPED, FR_ERR_STATE (no journal). */
FR_API int fr_journal_mark(fr_server *srv, uint64_t *mark);

/** How many entries match q (NULL: every command), >= 0, or a negative
 *  fr_status: FR_ERR_PARSE (an unterminated quote in q->command),
 *  FR_ERR_ARG, FR_ERR_STOPPED, FR_ERR_STATE (no journal). */
FR_API long long fr_journal_count(fr_server *srv, const fr_journal_query *q);

/** A snapshot of the entries matching q (NULL: every command). *out is
 *  the caller's, freed with fr_journal_free(). Statuses as
 *  fr_journal_count(). */
FR_API int fr_journal_get(fr_server *srv, const fr_journal_query *q, fr_journal **out);
FR_API void fr_journal_free(fr_journal *j);

/** Forget every entry (seq numbers go on). FR_OK, FR_ERR_ARG,
 *  FR_ERR_STOPPED, FR_ERR_STATE (no journal). */
FR_API int fr_journal_clear(fr_server *srv);

/** 1 if entry e matches q, as fr_journal_count() counts (q->since and
 *  q->limit aside), 0 if not, FR_ERR_PARSE for a bad pattern. Any thread. */
FR_API int fr_journal_match(const fr_journal_entry *e, const fr_journal_query *q);

/**
 * A snapshot as readable text, one entry a line, into *text (malloc'd,
 * the caller frees it):
 *
 *   #7 +0.004120 c3 worker GET "user:1" -> $
 *   #8 +0.004311 c3 worker GET "user:2" -> -LOADING Redis is loading... [fault 2]
 *   #9 +0.005002 c4 connect 127.0.0.1:41512
 *
 * Bytes outside printable ASCII are escaped (\xNN, \r, \n). FR_OK or
 * FR_ERR_ARG. Any thread.
 */
FR_API int fr_journal_format(const fr_journal *j, char **text);
/** fr_journal_format() to a stdio stream. */
FR_API int fr_journal_print(FILE *f, const fr_journal *j);

#ifdef __cplusplus
}
#endif

#endif /* FAKEREDIS_JOURNAL_H */
