/* The command table, built from commands.def. */
#include "commands_private.h"
#include "commands.h"

static const fr_cmd table[] = {
#define FR_CMD(name, proc, arity, flags, acl, fk, lk, step, group, since, summary) \
    {name, proc, arity, flags, acl, fk, lk, step, NULL, group, since, summary},
#define FR_SUB(parent, name, proc, arity, flags, acl, fk, lk, step, since, summary) \
    {name, proc, arity, flags, acl, fk, lk, step, parent, NULL, since, summary},
#define FR_CONTAINER(name, arity, flags, acl, group, since, summary) \
    {name, NULL, arity, flags, acl, 0, 0, 0, NULL, group, since, summary},
#include "commands.def"
#undef FR_CMD
#undef FR_SUB
#undef FR_CONTAINER
};

const fr_cmd *fr__cmd_table(size_t *n)
{
    *n = sizeof table / sizeof table[0];
    return table;
}
