/* The recorder: every event a server sees (connect, command, reply, push,
 * bytes the fault stage let out, disconnect, fault fired) appended to a
 * recording file. The public side is include/fakeredis/record.h; the file
 * format is described there and in README.md ("Recording and replay").
 *
 * srv->rec is NULL unless a recording (or a playback script) is active, so
 * each tap costs the server one pointer check when nothing records. The
 * taps are called from conn_hooks.c, conn.c (bytes reaching the socket
 * queue), command.c (the command, before the fault stage) and fault.c
 * (a rule fired). */
#ifndef FR_RECORD_INTERNAL_H
#define FR_RECORD_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "resp.h"

#include "fakeredis/playback.h"
#include "fakeredis/record.h"

struct fr_dict;
struct fr_playback;

/* Per connection: where its last recorded command started in its input
 * (to record a command dispatched twice only once) and its playback
 * position. */
typedef struct fr_rec_conn {
    uint64_t last_start;      /* input offset + 1; 0: none yet */
    int64_t pb_index;         /* script connection; -1: none */
    size_t pb_step;           /* next step of it */
    struct fr_pb_due *pb_due; /* replies waiting for their time */
    struct event *pb_ev;
} fr_rec_conn;

/* srv->rec: a recording, a playback, or both. */
typedef struct fr_rec {
    fr_server *srv;
    int fd;          /* the recording file; -1: not recording */
    fr_buf out;      /* records not written yet */
    int write_errno; /* a write failed: the recording stopped */
    int64_t t0_us;   /* monotonic start */
    struct event *flush_ev;
    struct fr_dict *conns;    /* conn id -> fr_rec_conn */
    const fr_conn *last_conn; /* the last lookup in conns, cached */
    fr_rec_conn *last_state;
    /* the reply/push fr__rec_output just recorded as sent untouched */
    const fr_conn *pass_c;
    const void *pass_p;
    size_t pass_n;
    size_t pass_rec; /* its record's offset in out (flags to patch) */
    size_t pass_end; /* and where it ends (records may follow it) */
    int hold_flush;  /* pass_rec must stay in the buffer */
    int action_db;   /* the db of the last ACTION recorded; -1: none yet */
    struct fr_playback *pb;
} fr_rec;

fr_rec_conn *fr__rec_conn_state(fr_rec *r, const fr_conn *c);
/* srv->rec, created if needed (connection states are made on first
 * use). NULL on failure. */
fr_rec *fr__rec_get(fr_server *srv);
/* Free srv->rec when it holds neither a recording nor a playback. */
void fr__rec_maybe_free(fr_server *srv);

/* playback.c: answer a command from the script. Returns 1 when it
 * answered (always, once fr_playback_begin ran), 0 to run it normally. */
int fr__playback_command(fr_conn *c, fr_rec_conn *st, int argc, const fr_arg *argv);
void fr__playback_conn_open(fr_conn *c, fr_rec_conn *st);
void fr__playback_conn_free(fr_rec_conn *st);
void fr__playback_free(struct fr_playback *pb);

/* The test acted through the API (a publish, a clock move): recorded as
 * an ACTION when a recording runs. fr_exec's commands are recorded by the
 * before-command tap. */
void fr__rec_action(fr_server *srv, int argc, const fr_arg *argv);
/* Stop and free everything (server teardown). */
void fr__rec_free(fr_server *srv);

/* Start/stop on the loop thread (the wire command and the API). Start
 * returns 0, or -1 with a message in err; stop returns FR_OK,
 * FR_ERR_STATE (none running) or FR_ERR_IO (a write had failed). */
int fr__rec_start(fr_server *srv, const char *path, char *err, size_t cap);
/* FAKE.RECORD START: name[0..len) inside the record directory chosen at
 * start (srv->cfg.record_dir; none: refused), a plain file name that must
 * be or become a regular file. err never holds a path or strerror(): it
 * goes to a network client. */
int fr__rec_start_in_dir(fr_server *srv, const char *name, size_t len, char *err, size_t cap);
int fr__rec_stop(fr_server *srv);

/* monitor.c: MONITOR. Start returns 0 (now monitoring: answer +OK), 1 (it
 * already was: Redis answers nothing), -1 (not allowed for this client:
 * inside EXEC, or fr_exec's client), -2 (the stage table is full). */
int fr__monitor_start(fr_conn *c);
/* RESET: a normal client again. */
void fr__monitor_stop(fr_conn *c);

#endif
