/* Transactions: the queue of a client inside MULTI. */
#ifndef FR_MULTI_H
#define FR_MULTI_H

#include "command.h"

/* Queue a copy of the command for EXEC (argv is copied: the input buffer
 * moves on). */
void fr__multi_queue(fr_conn *c, const fr_cmd *cmd, int argc, const fr_arg *argv);
/* Leave MULTI state, drop the queue and every WATCH (DISCARD, RESET, EXEC,
 * disconnect). */
void fr__multi_discard(fr_conn *c);

#endif
