/* Lua scripting and functions: EVAL's script cache, FUNCTION's libraries,
 * the one Lua state per server they run in, and the busy-script mode.
 * The commands (commands/cmd_script.c) are thin handlers over these; the
 * state is made on first use (srv->scripting) and freed with the server.
 * Lua itself stays behind this header: callers never see a lua_State.
 * Loop thread only. */
#ifndef FR_SCRIPT_ENGINE_H
#define FR_SCRIPT_ENGINE_H

#include <stddef.h>

#include "core.h"

/* EVAL, EVALSHA and their _RO forms (by_sha: the first argument is a SHA;
 * ro: a read-only command). */
void fr__script_eval(fr_conn *c, int by_sha, int ro);
/* SCRIPT LOAD / EXISTS / FLUSH / KILL / DEBUG. */
void fr__script_load_cmd(fr_conn *c);
void fr__script_exists_cmd(fr_conn *c);
void fr__script_flush_cmd(fr_conn *c);
void fr__script_kill_cmd(fr_conn *c, int function);
void fr__script_debug_cmd(fr_conn *c);

/* FUNCTION subcommands and FCALL/FCALL_RO. */
void fr__function_load_cmd(fr_conn *c);
void fr__function_delete_cmd(fr_conn *c);
void fr__function_flush_cmd(fr_conn *c);
void fr__function_list_cmd(fr_conn *c);
void fr__function_dump_cmd(fr_conn *c);
void fr__function_restore_cmd(fr_conn *c);
void fr__function_stats_cmd(fr_conn *c);
void fr__fcall(fr_conn *c, int ro);

/* INFO's scripting fields of the Memory section, appended to o. */
void fr__script_info_memory(fr_server *srv, fr_buf *o);

/* Inspection for the public API (fr_script_*): calls fn once per cached
 * script (sha, body, body length) or, with functions, per function
 * (library, name, name length). */
typedef void fr_script_visit_fn(void *ctx, const char *a, const char *b, size_t blen);
void fr__script_each(fr_server *srv, int functions, fr_script_visit_fn *fn, void *ctx);
/* Cache a script as SCRIPT LOAD would; sha_out gets its SHA. 0, or -1
 * with Redis' error text in err. */
int fr__script_load(fr_server *srv, const char *body, size_t len, char sha_out[41], char *err,
                    size_t errlen);
/* Load a library as FUNCTION LOAD [REPLACE] would. 0, or -1 with the
 * error text in err. */
int fr__function_load(fr_server *srv, const char *code, size_t len, int replace, char *err,
                      size_t errlen);
/* Behave as if a script were running for ms milliseconds: other clients
 * get -BUSY until it ends or SCRIPT KILL stops it. */
void fr__script_fake_busy(fr_server *srv, long long ms);

#endif
