/* The command groups: every handler, declared once from commands.def, and
 * the table core dispatches from. Loop thread only. */
#ifndef FR_COMMANDS_H
#define FR_COMMANDS_H

#include <stddef.h>

#include "core.h"

/* The whole table, in commands.def order (subcommands included). Static
 * and read-only: every server indexes the same one. */
const fr_cmd *fr__cmd_table(size_t *n);
/* The reference server's metadata of every command (meta_data.c,
 * generated), sorted by name. */
const fr_cmd_meta *fr__meta_table(size_t *n);

/* Every handler, declared once (defined in its group's cmd_*.c). */
#define FR_CMD(name, proc, arity, flags, acl, fk, lk, step, group, since, summary) \
    fr_cmd_fn proc;
#define FR_SUB(parent, name, proc, arity, flags, acl, fk, lk, step, since, summary) \
    fr_cmd_fn proc;
#define FR_CONTAINER(name, arity, flags, acl, group, since, summary)
#include "commands.def"
#undef FR_CMD
#undef FR_SUB
#undef FR_CONTAINER

#endif
