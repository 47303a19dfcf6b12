/* The fault engine, inside the server. The public side is
 * include/fakeredis/fault.h; this is how conn_hooks.c, the dispatcher and
 * cmd_fake.c reach it.
 *
 * fault_parse.c  the one parser (and printer) of the rule text form
 * fault.c        rules, matching, the hooks before a command, at accept,
 *                on read and on output
 * fault_api.c    the public rule API
 * fault_out.c    the per-connection output queue: replies and pushes the
 *                rules delay, slice, cut, corrupt... and FIN/RST/shutdown
 *                in order with them
 * fault_events.c server events: kill, restart, listen, pause
 *
 * srv->faults is NULL until the first rule or event: every hook checks
 * that pointer first, so a server that never uses faults pays nothing. */
#ifndef FR_FAULT_INTERNAL_H
#define FR_FAULT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "fakeredis/events.h"
#include "fakeredis/fault.h"
#include "resp.h"

/* --- fault_parse.c ----------------------------------------------------- */

/* A parsed rule: the public struct plus the strings it points to, owned. */
typedef struct fr_fault_spec {
    fr_fault_rule r;
    char *strings[9]; /* cmd key channel arg client addr err text script */
} fr_fault_spec;

/* Parse the text form. Returns 0, or -1 with err naming the bad word:
 * "word 3 'nth=x': expected a positive integer". */
int fr__fault_parse(const char *text, fr_fault_spec *out, char *err, size_t cap);
/* The same over words already split (the wire command's arguments). */
int fr__fault_parse_words(const fr_arg *words, size_t n, fr_fault_spec *out, char *err, size_t cap);
void fr__fault_spec_free(fr_fault_spec *s);
/* The canonical text form: keys in a fixed order, defaults left out,
 * values quoted when needed. Parsing it gives the same rule back. */
void fr__fault_format(const fr_fault_rule *r, fr_buf *out);
/* The error line (without '-' and CRLF) of err= ("LOADING Redis is..."). */
const char *fr__fault_err_text(const char *err);
/* "250", "250ms", "2s" -> ms. Returns 0 on success, -2 above
 * FR_FAULT_MAX_MS, -1 when it is not a duration. */
int fr__fault_parse_ms(const char *s, int64_t *out);

/* --- fault.c ----------------------------------------------------------- */

typedef struct fr_fault {
    uint64_t id;
    fr_fault_spec spec;
    char **cmds; /* cmd= split and lower-cased */
    size_t ncmds;
    uint64_t hits, matched;
    uint64_t rng;
    struct event *expire_ev; /* for= */
    char *text;              /* canonical form */
} fr_fault;

/* An accepted socket the rules hold back (action=hang or delay at accept). */
typedef struct fr_fault_held {
    int fd;
    uint64_t rule;
    int64_t due_ms; /* monotonic; 0: until the rule is cleared */
    struct fr_fault_held *next;
} fr_fault_held;

struct fr_faults {
    fr_server *srv;
    fr_fault **rules; /* by id, ascending */
    size_t n, cap;
    uint64_t next_id;
    size_t n_on[4]; /* rules per fr_fault_on, to skip whole stages */

    fr_fault_held *held;
    struct event *held_ev;

    int paused;             /* processing paused (server event) */
    uint64_t pause_exempt;  /* the conn that asked for it over the wire */
    struct event *pause_ev; /* FAKE.PAUSE ms: resumes by itself */

    int down;          /* restarting: listeners closed */
    int listen_off;    /* fr_server_set_listening(0) / FAKE.LISTEN OFF */
    size_t n_refuse;   /* on=accept action=refuse rules: the port is closed */
    int restart_stage; /* 1: go down when restart_ev fires, 2: come back */
    int restart_flush;
    int64_t restart_down_ms;
    struct event *restart_ev;
};

/* A segment of a connection's fault output queue. */
enum { FR_SEG_DATA, FR_SEG_STALL, FR_SEG_FIN, FR_SEG_RST, FR_SEG_SHUT };

typedef struct fr_fault_seg {
    struct fr_fault_seg *next;
    int op;
    int64_t due_ms; /* not before (monotonic) */
    int64_t gap_ms; /* not before the previous release + gap */
    uint64_t rule;  /* STALL: until this rule is cleared */
    size_t len;
    char data[];
} fr_fault_seg;

struct fr_fault_conn {
    fr_conn *c;
    uint64_t armed;      /* rule whose after-action takes the next reply */
    int64_t armed_ms;    /* its delay, drawn when it fired */
    int pass_next;       /* a held command comes again: don't re-fault */
    uint64_t stall_rule; /* input held until this rule is cleared */
    int64_t hold_until;  /* input held until (monotonic ms) */
    int ending;          /* a FIN/RST is queued: read nothing more */
    int wr_shut;         /* half-closed: output is discarded */
    struct event *in_ev; /* ends hold_until */
    fr_fault_seg *head, *tail;
    int64_t last_release;
    int waits; /* polls for the socket to drain before RST */
    struct event *out_ev;
};

/* Create srv->faults if needed. Returns NULL on failure. */
struct fr_faults *fr__faults_get(fr_server *srv);
void fr__faults_free(fr_server *srv);
struct fr_fault_conn *fr__fault_conn_get(fr_conn *c);
fr_fault *fr__fault_find(struct fr_faults *fs, uint64_t id);
/* Add a parsed rule (takes spec). Returns its id. */
uint64_t fr__fault_insert(fr_server *srv, fr_fault_spec *spec);
/* Remove rule id (0: all). Returns how many were removed. */
size_t fr__fault_remove(fr_server *srv, uint64_t id);
/* A rule's draw from its PRNG, in [0, 1). */
double fr__fault_rand(fr_fault *f);

/* The hooks. fr__fault_before returns 1 when the dispatcher must not run
 * the command (refused, dropped, held, closing). */
int fr__fault_before(fr_conn *c, const struct fr_cmd *cmd, int argc, const fr_arg *argv);
int fr__fault_accept(fr_server *srv, int fd);
void fr__fault_conn_open(fr_conn *c);
void fr__fault_conn_close(fr_conn *c);
int fr__fault_hold_input(fr_conn *c);
void fr__fault_bytes_in(fr_conn *c, size_t n);
int fr__fault_output(fr_conn *c, const void *p, size_t n);
/* Close every socket held at accept (restart). */
void fr__fault_drop_held(fr_server *srv);
/* The output queue's timer fired (fault_out.c). */
void fr__fault_out_timer(fr_conn *c);

/* --- fault_out.c ------------------------------------------------------- */

/* Apply rule f's output action to one reply or push. */
void fr__fault_apply_output(fr_conn *c, fr_fault *f, int64_t delay_ms, const char *p, size_t n);
/* Append to the queue (copying), then make sure it drains in time. */
void fr__fault_queue_data(fr_conn *c, const void *p, size_t n, int64_t due_ms, int64_t gap_ms);
void fr__fault_queue_op(fr_conn *c, int op, uint64_t rule);
/* Re-examine the queue's head soon (a stall may have been cleared). */
void fr__fault_kick(fr_conn *c);
void fr__fault_queue_free(struct fr_fault_conn *fc);
/* Send FIN and free the conn (after the queued output). */
void fr__fault_fin_now(fr_conn *c);
void fr__fault_rst_now(fr_conn *c);
/* Where POS falls in reply p[0..n): a byte offset in [0, n]. */
size_t fr__fault_resolve_pos(const fr_fault_pos *pos, int cut, const char *p, size_t n);

/* --- fault_events.c ---------------------------------------------------- */

typedef struct fr_kill_spec {
    fr_kill_filter f;
    uint64_t skip_id; /* FAKE.KILL's own connection (SKIPME yes) */
} fr_kill_spec;

size_t fr__fault_kill(fr_server *srv, const fr_kill_spec *k);
/* Go down now (or, deferred, once the current reply is out) and come back
 * after down_ms. */
void fr__fault_restart(fr_server *srv, int64_t down_ms, int flush, int deferred);
int fr__fault_set_listening(fr_server *srv, int on);
/* Listen or not, as the state asks: not while restarting, turned off, or
 * while a refuse rule is in force. Returns FR_OK or FR_ERR_SOCKET. */
int fr__fault_update_listening(fr_server *srv);
void fr__fault_pause(fr_server *srv, uint64_t exempt, int64_t ms);
void fr__fault_resume(fr_server *srv);

#endif
