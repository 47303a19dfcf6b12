/* Commands as core sees them: one entry per command, looked up
 * case-insensitively in O(1), with arity (negative: at least -arity), flags
 * and key positions. The table itself lives with the handlers
 * (commands/commands.def) and is handed to the server at creation. A container command (CLIENT, CONFIG)
 * has no handler; its subcommands are entries of their own whose name is
 * the full name Redis reports ("client|kill") and whose parent is the
 * container. */
#ifndef FR_COMMAND_H
#define FR_COMMAND_H

#include <stdint.h>

#include "types.h"


typedef void fr_cmd_fn(fr_conn *c);
struct fr_cmd_meta; /* cmdmeta.h */

/* Flags in the order Redis lists them in COMMAND INFO. */
enum fr_cmd_flag {
    FR_CMD_WRITE = 1u << 0,
    FR_CMD_READONLY = 1u << 1,
    FR_CMD_DENYOOM = 1u << 2,
    FR_CMD_ADMIN = 1u << 3,
    FR_CMD_PUBSUB = 1u << 4,
    FR_CMD_NOSCRIPT = 1u << 5,
    FR_CMD_BLOCKING = 1u << 6,
    FR_CMD_LOADING = 1u << 7,
    FR_CMD_STALE = 1u << 8,
    FR_CMD_SKIP_MONITOR = 1u << 9,
    FR_CMD_SKIP_SLOWLOG = 1u << 10,
    FR_CMD_FAST = 1u << 11,
    FR_CMD_NO_AUTH = 1u << 12,
    FR_CMD_MAY_REPLICATE = 1u << 13,
    FR_CMD_NO_MULTI = 1u << 14,
    FR_CMD_ALLOW_BUSY = 1u << 15,
    /* our own, not shown by COMMAND */
    FR_CMD_SUBSCRIBED_OK = 1u << 24, /* allowed in RESP2 subscribed mode */
    FR_CMD_NOT_QUEUED = 1u << 25,    /* runs at once inside MULTI */
    FR_CMD_CONTROL = 1u << 26,       /* FAKE.*: never faulted, can be off */
    FR_CMD_EXEC = 1u << 27,          /* EXEC: refusing it discards the queue */
    FR_CMD_SENTINEL = 1u << 28       /* SENTINEL: only a Sentinel has it */
};

struct fr_cmd {
    const char *name;   /* lower case full name: "get", "client|kill" */
    fr_cmd_fn *proc;    /* NULL for a container */
    int arity;
    uint32_t flags;
    const char *acl;    /* ACL categories, space separated, without '@' */
    int first_key, last_key, key_step;
    const char *parent; /* the container's name for a subcommand, or NULL */
    const char *group;  /* "string", "connection", ... for COMMAND DOCS */
    const char *since;
    const char *summary;
};

/* Build a name index over table[0..n), which must outlive it (out of
 * memory aborts), pairing each command with its entry of the metadata
 * table metas returns (cmdmeta.h; NULL: none). */
fr_cmd_index *fr__cmd_index_new(const fr_cmd *table, size_t n,
                                const struct fr_cmd_meta *(*metas)(size_t *n));
void fr__cmd_index_free(fr_cmd_index *ix);
const fr_cmd *fr__cmd_lookup(const fr_cmd_index *ix, const char *name, size_t len);
/* A command by name as srv sees it: NULL if unknown, or a FAKE.* command
 * on a server with control off. */
const fr_cmd *fr__cmd_find(const fr_server *srv, const char *name, size_t len);
/* Whether cmd exists for srv's clients: FAKE.* not with control off, and
 * SENTINEL only on a Sentinel. The one rule for the dispatcher and COMMAND. */
int fr__cmd_visible(const fr_server *srv, const fr_cmd *cmd);
/* Resolve argv to a command or subcommand; NULL if unknown. */
const fr_cmd *fr__cmd_resolve(const fr_cmd_index *ix, int argc, const fr_arg *argv);
/* The table the index was built over, in its order (subcommands
 * included). */
const fr_cmd *fr__cmd_index_table(const fr_cmd_index *ix, size_t *n);

/* An error for a command that was not run (Redis' rejectCommand): inside
 * MULTI it also dooms EXEC; EXEC itself refused discards the transaction
 * and answers -EXECABORT with the reason. msg as fr__add_error takes it. */
void fr__reject(fr_conn *c, const char *msg);
/* Run one parsed command for c: the checks Redis makes before a command
 * (unknown, arity, auth, subscribed mode, pause, MULTI queueing), then the
 * handler, then the output stage. */
void fr__dispatch(fr_conn *c, int argc, fr_arg *argv);
/* Call a command's handler with the usual bookkeeping (stats, keyspace
 * wake-ups), without the checks: used by EXEC and by unblocking. */
void fr__call(fr_conn *c, const fr_cmd *cmd, int argc, fr_arg *argv);

#endif
