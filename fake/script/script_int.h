/* Inside script/: the per-server scripting state and what its files share.
 * Never included above this folder (script_engine.h is the interface). */
#ifndef FR_SCRIPT_INT_H
#define FR_SCRIPT_INT_H

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdint.h>

#include "core.h"
#include "script_engine.h"

/* Script flags, from a shebang line or register_function's flags. */
enum {
    FR_SF_NO_WRITES = 1u << 0,
    FR_SF_ALLOW_OOM = 1u << 1,
    FR_SF_ALLOW_STALE = 1u << 2,
    FR_SF_NO_CLUSTER = 1u << 3,
    FR_SF_ALLOW_CROSS_SLOT = 1u << 4,
    FR_SF_EVAL_COMPAT = 1u << 8 /* an EVAL script without a shebang */
};

/* One EVAL script of the cache: its function lives in the Lua registry
 * (ref); its body follows it in the same block (a cache of many small
 * scripts pays one allocation each, not two). */
typedef struct fr_script {
    char sha[41];
    unsigned flags;
    int ref;
    size_t len;
    char body[]; /* len bytes + NUL */
} fr_script;

typedef struct fr_func fr_func;
typedef struct fr_lib {
    char *name;
    char *code;
    size_t code_len;
    fr_func *funcs; /* a list */
    int nfuncs;
} fr_lib;

struct fr_func {
    char *name;
    char *desc; /* NULL: none */
    unsigned flags;
    int ref; /* the Lua function in the registry */
    fr_lib *lib;
    fr_func *next;
};

/* The script being run, while one runs. */
typedef struct fr_run {
    int active;
    fr_conn *caller;
    const char *name; /* the SHA, or the function's name */
    int is_function;
    int ro; /* no writes: _RO command or the no-writes flag */
    unsigned flags;
    int resp;   /* redis.setresp: what redis.call replies convert from */
    int wrote;  /* a write command ran: SCRIPT KILL can't stop it */
    int killed; /* SCRIPT KILL / FUNCTION KILL / SHUTDOWN asked */
    int busy;   /* past busy-reply-threshold: others get -BUSY */
    int64_t start_ms;
    fr_script_keys keys; /* the slot its keys keep to (script_route) */
} fr_run;

typedef struct fr_scripting {
    fr_server *srv;
    lua_State *L;
    fr_conn *lc;     /* the pseudo client scripts run commands as */
    fr_dict scripts; /* sha -> fr_script */
    size_t scripts_bytes;
    fr_dict libs;  /* name -> fr_lib */
    fr_dict funcs; /* name -> fr_func */
    size_t libs_bytes;
    fr_run run;
    int64_t fake_busy_until; /* mono ms: a fault makes it look busy */
    int fake_busy_function;
    int stage_on;
    int errh_ref;          /* the registry's reference to __redis__err__handler */
    int64_t load_start_ms; /* FUNCTION LOAD running the library's code */
} fr_scripting;

/* The state (and the Lua state) of srv, made on first use. */
fr_scripting *fr__scripting(fr_server *srv);
/* EVAL's and FCALL's numkeys (argv[2]) checked against the arguments, with
 * Redis' errors answered: 1 with *out, or 0. bad_number: the error for a
 * non-number (NULL: the usual "value is not an integer"). */
int fr__script_numkeys(fr_conn *c, const char *bad_number, long long *out);
/* Make the function on top of the stack see the globals read-only, as
 * Redis 7.0 scripts do (lua_setup.c). */
void fr__lua_protect_env(lua_State *L);
/* Set up a fresh Lua state with the sandbox and the redis library. */
lua_State *fr__lua_new(fr_scripting *s);

/* Conversions. Push the RESP reply in p[0..n) (one frame) as Lua sees
 * it with the given setresp version; returns the bytes used. */
size_t fr__lua_push_reply(lua_State *L, const char *p, size_t n, int resp);
/* Answer the Lua value at the top of the stack to c (popped); lresp is
 * the script's redis.setresp version. */
void fr__lua_to_reply(fr_conn *c, lua_State *L, int depth, int lresp);

/* Raise a Redis error table {err=msg} (never returns). */
int fr__lua_raise(lua_State *L, const char *msg);
void fr__lua_push_err(lua_State *L, const char *msg);

/* The checks of a script's flags before it runs (no-cluster, a write
 * script called by EVAL_RO/FCALL_RO), Redis' error answered to c: 1 when
 * it may run. */
int fr__script_may_run(fr_conn *c, unsigned flags, int ro);
/* Run the function at the top of L's stack (args below it are nargs) as
 * the script `name` for caller; answers its result or error to caller.
 * first_key: its first declared key, or NULL. */
void fr__script_run(fr_scripting *s, fr_conn *caller, int nargs, const char *name, int is_function,
                    unsigned flags, int ro, const fr_arg *first_key);
/* cmsgpack (lua_cmsgpack.c), as a global table. */
void fr__lua_open_cmsgpack(lua_State *L);
/* struct (lua_struct.c), as a global table. */
void fr__lua_open_struct(lua_State *L);
/* The redis library functions (lua_redis.c). */
void fr__lua_register_redis(lua_State *L, fr_scripting *s, int for_functions);

/* Shebang parsing: flags, and the offset of the body's first line. 0, or
 * -1 with the error text in err. */
int fr__parse_shebang(const char *body, size_t len, unsigned *flags, char *err, size_t errlen);
int fr__parse_flag_word(const char *w, size_t n, unsigned *flags);

/* Busy mode: make sure other clients are answered while a long script
 * runs (busy.c). */
void fr__busy_enter(fr_scripting *s);
/* The -BUSY text naming SCRIPT KILL or FUNCTION KILL. */
const char *fr__busy_text(int function);
void fr__busy_pump(fr_scripting *s);
void fr__busy_stage(fr_scripting *s);
void fr__functions_init(fr_scripting *s);
void fr__functions_free(fr_scripting *s);
/* Delete one library by name (no-op when missing). */
void fr__function_drop(fr_scripting *s, const char *name);

#endif
