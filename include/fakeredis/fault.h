/*
 * fakeredis fault injection: rules that make a server misbehave on purpose,
 * deterministically. Server-wide events that a test triggers itself (kill
 * clients, restart, stop listening, pause) are in fakeredis/events.h.
 *
 * A rule is MATCH + ACTION + LIMITS. It has one text form, parsed in one
 * place and accepted by fr_fault_add_text(), by `fakeredis-server --fault
 * RULE` and by the wire command `FAKE.FAULT ADD RULE`; fr_fault_add() takes
 * the same rule as a struct (all-zero fields mean "not given"). The full
 * grammar, with examples, is in README.md ("Faults"); in short:
 *
 *   rule   = word { " " word }        word = key "=" value | "once" | "forever"
 *   value  = bare-word | '"' text '"' (\" and \\ escape inside quotes)
 *
 *   on=command|accept|push|read        what the rule looks at (default command)
 *   cmd=GET,SET   key=GLOB  channel=GLOB  arg=GLOB
 *   client=GLOB (name)  id=N  addr=GLOB (peer "ip:port")
 *   nth=N  after-cmds=N  after-bytes=N  prob=P seed=S
 *   action=error|drop|stall|close|reset|halfclose|delay|slice|cut|corrupt|
 *          dup|insert|rate|hang|refuse    (refuse: on=accept only, the port
 *                                          refuses connects: ECONNREFUSED)
 *   when=before|after   ms=D jitter=J   size=K gap=D   bps=N
 *   at=POS then=stall|close|reset|halfclose   how=flip|replace|nolf pos=POS byte=C
 *   err=TEXT|loading|readonly|busy|masterdown|tryagain|oom|...   text=TEXT
 *   times=N  once  forever  for=T
 *   POS = N (byte offset) | half | last | frame:K | elem:K; durations in ms,
 *   or with a suffix: 250ms, 2s; at most FR_FAULT_MAX_MS in any unit.
 *
 * Examples:
 *   cmd=GET action=error err="LOADING Redis is loading the dataset in memory"
 *   cmd=SUBSCRIBE nth=2 client=worker action=cut at=half then=reset
 *   cmd=* action=slice size=1 gap=2
 *   on=accept action=close times=3       (accepted, then closed at once)
 *   on=accept action=refuse for=300ms    (connect() gets ECONNREFUSED)
 *   cmd=SET prob=0.25 seed=7 action=reset
 *
 * Determinism: the nth count, hit counters and the pseudo-random draws
 * (probability, jitter) belong to the rule, seeded by seed= (default 1), so
 * the same traffic gives the same faults on every run. Times (delays,
 * gaps, for=) are real milliseconds, not the server's (freezable) clock.
 *
 * In force: a rule applies to every byte the server handles after the call
 * that added it returns, on connections already open as well as new ones.
 * Control commands (FAKE.*) and fr_exec() are never faulted.
 *
 * Threads: every function taking an fr_server may be called from any thread
 * (it runs on the server's loop thread and waits), like the rest of the
 * API; for an attached server, call from the base's thread. Errors are
 * FR_OK or a negative fr_status; the detail is in fr_server_errstr().
 */
#ifndef FAKEREDIS_FAULT_H
#define FAKEREDIS_FAULT_H

#include <stddef.h>
#include <stdint.h>

#include "fakeredis/export.h"
#include "fakeredis/fakeredis.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The longest duration a rule may give (ms=, jitter=, gap=, for=), in
 *  milliseconds: 10^12 ms, about 31 years. Longer ones are refused when the
 *  rule is parsed, whatever the unit, so the engine can add a delay, its
 *  jitter and the clock without overflow. */
#define FR_FAULT_MAX_MS 1000000000000LL

/** What a rule looks at. */
typedef enum fr_fault_on {
    FR_FAULT_ON_COMMAND = 0, /**< each command (and its reply) */
    FR_FAULT_ON_ACCEPT,      /**< each accepted connection */
    FR_FAULT_ON_PUSH,        /**< output that is not a command's reply:
                                  pub/sub messages, keyspace events */
    FR_FAULT_ON_READ         /**< the byte count read on a connection
                                  crossing after_bytes */
} fr_fault_on;

/** What a rule does when it fires. */
typedef enum fr_fault_action {
    FR_FAULT_NONE = 0,
    FR_FAULT_ERROR,     /**< answer err instead (before) or replace the
                             reply (after); at accept: write it, close */
    FR_FAULT_DROP,      /**< before: don't run, no reply; after: run,
                             discard the reply */
    FR_FAULT_STALL,     /**< hold the command (and the connection's input)
                             until the rule is cleared, then run it */
    FR_FAULT_CLOSE,     /**< FIN: before the command, or after its reply;
                             at accept: close at once ("refuse") */
    FR_FAULT_RESET,     /**< RST (SO_LINGER 0), before or after the reply */
    FR_FAULT_HALFCLOSE, /**< shutdown(SHUT_WR): output ends, input goes on */
    FR_FAULT_DELAY,     /**< ms (+ up to jitter): the processing (before) or
                             the reply (after, default); at accept: the
                             connection is served only after the delay */
    FR_FAULT_SLICE,     /**< the reply in fragments of size bytes, gap ms
                             apart */
    FR_FAULT_CUT,       /**< send the reply up to at, then do `then` */
    FR_FAULT_CORRUPT,   /**< flip/replace the byte at pos, or drop the final
                             newline */
    FR_FAULT_DUP,       /**< send the reply twice */
    FR_FAULT_INSERT,    /**< send a pub/sub message push (payload text)
                             before the reply */
    FR_FAULT_RATE,      /**< send the reply at bps bytes per second */
    FR_FAULT_HANG,      /**< at accept: accept, then never read or answer
                             (until the rule is cleared) */
    FR_FAULT_REFUSE     /**< at accept: the port refuses connects (the
                             listener is closed) while the rule is in force,
                             so connect() fails with ECONNREFUSED. The
                             server never sees a refused connect: bound the
                             window with for= or fr_fault_clear(); nth=,
                             prob=, addr= and times= do not apply.
                             Accept-then-close is FR_FAULT_CLOSE. */
} fr_fault_action;

/** Before the command runs, or on its reply. 0: the action's default
 *  (delay: after; drop, close, reset, halfclose, error: before). */
typedef enum fr_fault_when {
    FR_FAULT_WHEN_DEFAULT = 0,
    FR_FAULT_BEFORE,
    FR_FAULT_AFTER
} fr_fault_when;

/** A position inside one reply (cut at=, corrupt pos=). */
typedef enum fr_fault_pos_kind {
    FR_FAULT_POS_DEFAULT = 0, /**< cut: half; corrupt: byte 0 */
    FR_FAULT_POS_BYTE,        /**< byte offset n (0-based) */
    FR_FAULT_POS_HALF,        /**< the middle */
    FR_FAULT_POS_LAST,        /**< the last byte */
    FR_FAULT_POS_FRAME,       /**< after n complete RESP frames (cut) /
                                   the first byte of frame n+1 (corrupt) */
    FR_FAULT_POS_ELEM         /**< inside the nth (1-based) element of the
                                   top-level aggregate: its middle (cut) /
                                   its first byte (corrupt) */
} fr_fault_pos_kind;

typedef struct fr_fault_pos {
    fr_fault_pos_kind kind;
    uint64_t n;
} fr_fault_pos;

/** How corrupt changes the reply. 0: flip. */
typedef enum fr_fault_corrupt {
    FR_FAULT_CORRUPT_DEFAULT = 0,
    FR_FAULT_FLIP,    /**< invert every bit of the byte at pos */
    FR_FAULT_REPLACE, /**< put byte at pos */
    FR_FAULT_NOLF     /**< drop the reply's final '\n' */
} fr_fault_corrupt;

/**
 * A rule as a struct: the text form's keys, one field each. All-zero
 * means "not given" (strings NULL, numbers 0). Strings are copied by
 * fr_fault_add(); they must not contain NUL, CR or LF.
 */
typedef struct fr_fault_rule {
    fr_fault_on on;
    /* match */
    const char *cmd;      /**< comma-separated names ("get,set"); a
                               container matches its subcommands,
                               "client|kill" one of them; NULL/"*": any */
    const char *key;      /**< glob on the command's key arguments */
    const char *channel;  /**< glob on pub/sub channels (SUBSCRIBE's and
                               PUBLISH's arguments, a push's channel) */
    const char *arg;      /**< glob on any argument after the name */
    const char *client;   /**< glob on the client name (CLIENT SETNAME) */
    uint64_t client_id;   /**< the client id (CLIENT ID); 0: any */
    const char *addr;     /**< glob on the peer address "ip:port" */
    uint64_t nth;         /**< only the nth matching event fires; 0: all */
    uint64_t after_cmds;  /**< the connection already ran this many
                               commands, counted from its start (every
                               command it sent, FAKE.* included; a command
                               held and run again counts once) */
    uint64_t after_bytes; /**< the command starts after the connection's
                               first after_bytes input bytes; on=read:
                               fires when the count read goes past it */
    double prob;          /**< fire with this probability (0 < p <= 1);
                               0: always */
    uint64_t seed;        /**< the rule's PRNG seed; 0: 1 */
    /* action */
    fr_fault_action action; /**< required */
    fr_fault_when when;
    int64_t ms, jitter_ms; /**< delay */
    uint64_t size;         /**< slice: fragment size, default 1 */
    int64_t gap_ms;        /**< slice: between fragments, default 1 */
    uint64_t bps;          /**< rate */
    fr_fault_pos at;       /**< cut */
    fr_fault_action then;  /**< cut: STALL, CLOSE (default), RESET or
                                HALFCLOSE */
    fr_fault_corrupt how;
    fr_fault_pos pos; /**< corrupt */
    int byte;         /**< corrupt how=replace: the byte (default '?') */
    const char *err;  /**< error: the error line without '-', or a
                           preset name: loading, readonly, busy,
                           masterdown, tryagain, oom, noreplicas,
                           misconf, clusterdown. Default
                           "ERR injected fault" */
    const char *text; /**< insert: the message payload ("injected") */
    /* limits */
    uint64_t times; /**< fire at most this many times; 0: forever */
    int64_t for_ms; /**< remove the rule this long after adding it;
                         0: until cleared */
    const char *script; /**< glob on the script a command runs: the SHA1
                             of EVAL's body or EVALSHA's argument (and
                             their _RO forms), FCALL's function name */
} fr_fault_rule;

/**
 * Add a rule given as a struct. On success *id (if not NULL) is the rule's
 * id (ids start at 1 and are never reused on a server). FR_ERR_PARSE if
 * the rule is invalid (fr_server_errstr() names the offending word of the
 * rule's text form). The rule is in force when this returns.
 */
FR_API int fr_fault_add(fr_server *srv, const fr_fault_rule *rule, uint64_t *id);

/** Add a rule given in the text form. As fr_fault_add(). */
FR_API int fr_fault_add_text(fr_server *srv, const char *text, uint64_t *id);

/**
 * Remove rule id, or every rule when id is 0. Connections it stalls or
 * holds resume. FR_ERR_ARG if no rule has that id.
 */
FR_API int fr_fault_clear(fr_server *srv, uint64_t id);

/** The rule's counters: hits (times it fired) and matched (events that
 *  matched its criteria while it was active). Either pointer may be NULL.
 *  FR_ERR_ARG if no rule has that id. */
FR_API int fr_fault_hits(fr_server *srv, uint64_t id, uint64_t *hits, uint64_t *matched);

/** One rule, as fr_fault_list() reports it. */
typedef struct fr_fault_info {
    uint64_t id, hits, matched;
    int active; /**< 0 once its times= are used up (it still holds what it
                     stalls until cleared) */
    char *text; /**< the canonical text form, NUL-terminated */
} fr_fault_info;

/** The rules in id order. *out is owned by the caller: release it with
 *  fr_fault_list_free(*out, *n). *out is NULL when there are none. */
FR_API int fr_fault_list(fr_server *srv, fr_fault_info **out, size_t *n);
FR_API void fr_fault_list_free(fr_fault_info *list, size_t n);

/**
 * The canonical text form of a rule struct into buf (always
 * NUL-terminated when cap > 0). Returns the length it needs, excluding the
 * NUL (as snprintf). Does not validate. Any thread.
 */
FR_API size_t fr_fault_format(const fr_fault_rule *rule, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif

#endif /* FAKEREDIS_FAULT_H */
