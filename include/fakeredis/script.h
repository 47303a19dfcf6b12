/*
 * fakeredis Lua scripting: what a test can see and do to the scripts and
 * functions of a server without going through a client. Load an EVAL
 * script or a FUNCTION library as SCRIPT LOAD / FUNCTION LOAD would, list
 * what is loaded, and make the server behave as if a script were busy
 * (other clients get -BUSY until the time is up or SCRIPT KILL ends it),
 * to test a client's BUSY handling without writing a slow script.
 *
 * Threads: every function may be called from any thread for a threaded
 * server (it runs on the server's loop thread and waits), and only from the
 * base's thread for an attached one. Errors are FR_OK or a negative
 * fr_status: FR_ERR_ARG for a NULL argument, FR_ERR_STOPPED once the
 * server has shut down, FR_ERR_REPLY when Redis would have answered an
 * error (the text is in fr_server_errstr()).
 */
#ifndef FAKEREDIS_SCRIPT_H
#define FAKEREDIS_SCRIPT_H

#include <stddef.h>

#include "fakeredis/export.h"
#include "fakeredis/fakeredis.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One cached EVAL script (fr_script_list). */
typedef struct fr_script_info {
    char sha[41]; /**< its SHA1, lower-case hex */
    char *body;   /**< its source, NUL-terminated (body_len bytes before it) */
    size_t body_len;
} fr_script_info;

/** One function of a loaded library (fr_function_list). */
typedef struct fr_function_info {
    char *library; /**< the library's name */
    char *name;    /**< the function's name, as FCALL takes it */
} fr_function_info;

/** Cache a script as SCRIPT LOAD would; sha_out (41 bytes, may be NULL)
 *  gets its SHA1. FR_ERR_REPLY with Redis' text on a compile error or a
 *  bad shebang. */
FR_API int fr_script_load(fr_server *srv, const char *body, size_t len, char *sha_out);
/** Load a library as FUNCTION LOAD [REPLACE] would. FR_ERR_REPLY with
 *  Redis' text when it does not load. */
FR_API int fr_function_load(fr_server *srv, const char *code, size_t len, int replace);
/** The cached scripts, in no particular order: *out is a new array of *n
 *  entries (NULL when none) that the caller frees with
 *  fr_script_list_free. */
FR_API int fr_script_list(fr_server *srv, fr_script_info **out, size_t *n);
FR_API void fr_script_list_free(fr_script_info *list, size_t n);
/** The functions of every loaded library, in no particular order; freed
 *  with fr_function_list_free. */
FR_API int fr_function_list(fr_server *srv, fr_function_info **out, size_t *n);
FR_API void fr_function_list_free(fr_function_info *list, size_t n);
/** Server event: for ms milliseconds behave as if a script were running
 *  past busy-reply-threshold: every other command but the allow-busy ones
 *  (SCRIPT KILL, FUNCTION KILL, SHUTDOWN, ...) answers -BUSY; SCRIPT KILL
 *  ends it at once (+OK). ms <= 0 ends it. Also on the wire as
 *  FAKE.SCRIPTBUSY ms. */
FR_API int fr_server_script_busy(fr_server *srv, long long ms);

#ifdef __cplusplus
}
#endif

#endif /* FAKEREDIS_SCRIPT_H */
