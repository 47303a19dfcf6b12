/* The stage table: where subsystems plug into the path of a request
 * without core knowing them. A subsystem (faults, the recorder, blocking,
 * pub/sub) describes the stages it takes part in with one static
 * fr_stage_ops and registers it on a server when it is first used there
 * (the first rule, the first recording, the first blocked client, the
 * first subscription). Core calls the registered stages, in the order of
 * their `order` field, at fixed points:
 *
 *   accept -> open -> read (hold_input, bytes_in) -> before_command ->
 *   [admit -> calling -> command -> called] -> after_command -> output
 *   (-> output_taken) ->
 *   wire -> close;   cron every 100 ms and after the clock moved;   event when a
 *   subsystem reports something worth recording;   stop at teardown.
 *
 * A point that no registered stage takes part in costs one compare (the
 * table keeps, per callback, the stages that have it).
 * Every callback may be NULL. Loop thread only. */
#ifndef FR_STAGE_H
#define FR_STAGE_H

#include <stddef.h>
#include <stdint.h>

#include "types.h"

/* What a running script's key accesses so far say, for script_permit:
 * whether it may touch keys of several slots (an EVAL script without a
 * shebang, or the allow-cross-slot-keys flag) and the slot of its keys
 * (its declared keys', else the first it touched; -1: none yet), which
 * a stage that keeps scripts to one slot sets. */
typedef struct fr_script_keys {
    int cross_slot_ok;
    int slot;
} fr_script_keys;

typedef struct fr_stage_ops {
    const char *name;
    /* Lower runs first. The recorder sees a command and a reply before
     * the fault stage can change them, so it orders itself lower. */
    int order;

    /* A TCP/unix connection was accepted. Return 1 if the stage took the
     * socket (refused, reset, delayed): nothing else happens to it. */
    int (*accept)(fr_server *srv, int fd);
    /* A connection was created. */
    void (*open)(fr_conn *c);
    /* Return 1 to leave the buffered input unprocessed for now. */
    int (*hold_input)(fr_conn *c);
    /* n bytes were read from the socket. */
    void (*bytes_in)(fr_conn *c, size_t n);
    /* A parsed command, before any check (cmd is NULL when unknown).
     * Return 1 when the stage answered, dropped or held it: the
     * dispatcher then does nothing more with it. */
    int (*before_command)(fr_conn *c, const fr_cmd *cmd, int argc, const fr_arg *argv);
    /* After the dispatcher's arity and AUTH checks, before MULTI queueing
     * (Redis' ACL check), and again for each command EXEC runs (then
     * FR_CONN_EXECUTING is set). Return 1 when the stage refused the
     * command: it answered (through fr__reject when dispatching). */
    int (*permit)(fr_conn *c, const fr_cmd *cmd, int argc, const fr_arg *argv);
    /* A command's handler is about to run (dispatched, or inside EXEC):
     * calling and called pair up, nested for EXEC. */
    void (*calling)(fr_conn *c, const fr_cmd *cmd);
    /* An error reply was added to c's reply (msg as fr__add_error got it:
     * with or without the leading '-'); inside a command's call or not. */
    void (*error)(fr_conn *c, const char *msg);
    /* A command's handler ran (cmd is known and passed every check): a
     * dispatched command, and each command EXEC runs. Its reply is in
     * c->reply, not yet committed; c->db is the database after it ran. */
    void (*called)(fr_conn *c, const fr_cmd *cmd, int argc, const fr_arg *argv);
    /* After every dispatched command (and after EXEC as a whole). */
    void (*after_command)(fr_server *srv);
    /* Reply or push bytes on their way out. Return 1 when the stage took
     * them (it then queues what it wants, when it wants, with
     * fr__conn_enqueue); 0 to pass them on. */
    int (*output)(fr_conn *c, const void *p, size_t n);
    /* A later stage took the bytes this stage saw in output. */
    void (*output_taken)(fr_conn *c);
    /* Bytes queued for the socket, after every output stage. */
    void (*wire)(fr_conn *c, const void *p, size_t n);
    /* A connection is about to be freed. */
    void (*close)(fr_conn *c);
    /* Every 100 ms, and after the clock was moved. */
    void (*cron)(fr_server *srv);
    /* Something happened that a stage reported through fr__stage_event
     * (a fault rule fired: id and its text form). */
    void (*event)(fr_server *srv, uint64_t conn_id, uint64_t id, const char *text);
    /* The server is being freed, after every connection: release state. */
    void (*stop)(fr_server *srv);
    /* The server started (on != 0) or stopped (0) accepting connections. */
    void (*listen)(fr_server *srv, int on);
    /* A known command passed the checks Redis makes first (arity, auth, a
     * command refused in MULTI): may it run here? Return 1 when the stage
     * refused it with fr__reject (a read-only replica's -READONLY, a
     * cluster's -MOVED, maxmemory's -OOM), at Redis' place for those
     * checks. */
    int (*admit)(fr_conn *c, const fr_cmd *cmd, int argc, const fr_arg *argv);
    /* A script that c runs calls cmd (redis.call/pcall): may c's user run
     * it? Return 0, or the FR_DENIED_* reason of a refusal, which the
     * stage logged (ACL LOG context "lua"); nothing is answered to c: the
     * script turns the reason into its error. */
    int (*script_permit)(fr_conn *c, const fr_cmd *cmd, int argc, const fr_arg *argv);
    /* The same command passed every other check of the script's (after
     * script_permit and the write checks, Redis' order): can it run here,
     * on its keys? (A cluster node: are they its own, in one slot, in the
     * script's slot?) Return 0, or the FR_DENIED_* reason; sk is the
     * script's key state, which the stage may update. */
    int (*script_route)(fr_conn *c, const fr_cmd *cmd, int argc, const fr_arg *argv,
                        fr_script_keys *sk);
} fr_stage_ops;

/* Why script_permit (the user may not: ACL) or script_route (the keys
 * span slots or are not served here, the cluster is down, they are not in
 * the slot of the script's other keys) refused a command. */
enum {
    FR_DENIED_CMD = 1,
    FR_DENIED_KEY,
    FR_DENIED_CHANNEL,
    FR_DENIED_NOT_LOCAL,
    FR_DENIED_CLUSTER_DOWN,
    FR_DENIED_CLUSTER_DOWN_RO,
    FR_DENIED_CROSS_SLOT,
    FR_DENIED_NOREPLICAS /* a write, too few good replicas (replication/) */
};

/* Register ops (static storage) on srv; again is a no-op. Returns 0, or -1
 * when the table is full. A subsystem registers when it creates its state
 * and unregisters when it frees it, so its stages never run without it. */
int fr__stage_register(fr_server *srv, const fr_stage_ops *ops);
void fr__stage_unregister(fr_server *srv, const fr_stage_ops *ops);

/* The stage points, called by core. */
int fr__stage_accept(fr_server *srv, int fd);
void fr__stage_open(fr_conn *c);
int fr__stage_hold_input(fr_conn *c);
void fr__stage_bytes_in(fr_conn *c, size_t n);
int fr__stage_before_command(fr_conn *c, const fr_cmd *cmd, int argc, const fr_arg *argv);
int fr__stage_admit(fr_conn *c, const fr_cmd *cmd, int argc, const fr_arg *argv);
int fr__stage_permit(fr_conn *c, const fr_cmd *cmd, int argc, const fr_arg *argv);
/* The first refusal of a script_permit stage (FR_DENIED_*), or 0. */
int fr__stage_script_permit(fr_conn *c, const fr_cmd *cmd, int argc, const fr_arg *argv);
/* The first refusal of a script_route stage (FR_DENIED_*), or 0. */
int fr__stage_script_route(fr_conn *c, const fr_cmd *cmd, int argc, const fr_arg *argv,
                           fr_script_keys *sk);
void fr__stage_calling(fr_conn *c, const fr_cmd *cmd);
void fr__stage_error(fr_conn *c, const char *msg);
void fr__stage_called(fr_conn *c, const fr_cmd *cmd, int argc, const fr_arg *argv);
void fr__stage_after_command(fr_server *srv);
int fr__stage_output(fr_conn *c, const void *p, size_t n);
void fr__stage_wire(fr_conn *c, const void *p, size_t n);
void fr__stage_close(fr_conn *c);
void fr__stage_cron(fr_server *srv);
void fr__stage_stop(fr_server *srv);
void fr__stage_listen(fr_server *srv, int on);
/* Something a watcher (fr_server_watch, server.c) may care about changed: its callbacks run once,
 * after the callbacks of this loop iteration. One compare when nobody
 * watches. */
static inline void fr__notify(fr_server *srv)
{
    if (srv->watchers && !srv->notify_pending) {
        srv->notify_pending = 1;
        event_active(srv->notify_ev, EV_TIMEOUT, 0);
    }
}

/* Report an event to every stage that listens (see fr_stage_ops.event). */
void fr__stage_event(fr_server *srv, uint64_t conn_id, uint64_t id, const char *text);

#endif
