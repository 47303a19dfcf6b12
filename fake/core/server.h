/* Server lifecycle: creation over a command table, listeners, CLIENT
 * PAUSE, the clock seen by commands. Loop thread only, except
 * fr__server_start. */
#ifndef FR_SERVER_H
#define FR_SERVER_H

#include "types.h"

/* What the layers above set up on a new server before it listens (the
 * journal): called on the loop thread (before it runs). Returns FR_OK or
 * an FR_ERR_* code, which fails the start. */
typedef int fr_server_init_fn(fr_server *srv, const fr_options *opts);

/* Create a server that dispatches through cmds (an index built once and
 * shared read-only by every server; it must outlive them): on base when given (attached: the caller
 * runs the loop), else on a loop thread of its own, listening before this
 * returns. The public fr_server_start/attach are this with the table of
 * every command group (api/). Returns FR_OK or an FR_ERR_* code. */
int fr__server_start(struct event_base *base, const fr_options *opts, const fr_cmd_index *cmds,
                     fr_server_init_fn *init, fr_server **out);
/* The pseudo client behind fr_exec (RESP3, no socket), made on first use. */
fr_conn *fr__exec_client(fr_server *srv);
/* Stop serving: close listeners and clients; the loop exits if we own it. */
void fr__server_shutdown(fr_server *srv);
void fr__server_set_err(fr_server *srv, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Stop/start accepting (server events, faults). */
int fr__server_listen(fr_server *srv);
void fr__server_unlisten(fr_server *srv);
/* The server clock in ms: what TTLs are measured against. */
int64_t fr__now_ms(fr_server *srv);
/* The test moved the clock: expire every key now due, then run the cron
 * stages (blocking timeouts), as a real wait would have. */
void fr__clock_changed(fr_server *srv);
/* CLIENT PAUSE and its end. */
void fr__server_pause(fr_server *srv, int64_t until_ms, int all);
void fr__server_unpause(fr_server *srv);

#endif
