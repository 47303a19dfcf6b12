/* EVAL, EVALSHA, FCALL and the SCRIPT / FUNCTION containers: thin handlers
 * over the scripting subsystem (script/script_engine.h). */
#include "commands_private.h"
#include "core.h"
#include "commands.h"
#include "script_engine.h"

void fr__cmd_eval(fr_conn *c)
{
    fr__script_eval(c, 0, 0);
}

void fr__cmd_evalsha(fr_conn *c)
{
    fr__script_eval(c, 1, 0);
}

void fr__cmd_eval_ro(fr_conn *c)
{
    fr__script_eval(c, 0, 1);
}

void fr__cmd_evalsha_ro(fr_conn *c)
{
    fr__script_eval(c, 1, 1);
}

void fr__cmd_fcall(fr_conn *c)
{
    fr__fcall(c, 0);
}

void fr__cmd_fcall_ro(fr_conn *c)
{
    fr__fcall(c, 1);
}

void fr__cmd_script_load(fr_conn *c)
{
    fr__script_load_cmd(c);
}

void fr__cmd_script_exists(fr_conn *c)
{
    fr__script_exists_cmd(c);
}

void fr__cmd_script_flush(fr_conn *c)
{
    fr__script_flush_cmd(c);
}

void fr__cmd_script_kill(fr_conn *c)
{
    fr__script_kill_cmd(c, 0);
}

void fr__cmd_script_debug(fr_conn *c)
{
    fr__script_debug_cmd(c);
}

void fr__cmd_script_help(fr_conn *c)
{
    static const char *const lines[] = {
        "DEBUG (YES|SYNC|NO)",
        "    Set the debug mode for subsequent scripts executed.",
        "EXISTS <sha1> [<sha1> ...]",
        "    Return information about the existence of the scripts in the script cache.",
        "FLUSH [ASYNC|SYNC]",
        "    Flush the Lua scripts cache. Very dangerous on replicas.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the scripts cache.",
        "    * SYNC: Synchronously flush the scripts cache.",
        "KILL",
        "    Kill the currently executing Lua script.",
        "LOAD <script>",
        "    Load a script into the scripts cache without executing it.",
        NULL};
    fr__add_help(c, "SCRIPT", lines);
}

void fr__cmd_function_load(fr_conn *c)
{
    fr__function_load_cmd(c);
}

void fr__cmd_function_delete(fr_conn *c)
{
    fr__function_delete_cmd(c);
}

void fr__cmd_function_flush(fr_conn *c)
{
    fr__function_flush_cmd(c);
}

void fr__cmd_function_list(fr_conn *c)
{
    fr__function_list_cmd(c);
}

void fr__cmd_function_dump(fr_conn *c)
{
    fr__function_dump_cmd(c);
}

void fr__cmd_function_restore(fr_conn *c)
{
    fr__function_restore_cmd(c);
}

void fr__cmd_function_stats(fr_conn *c)
{
    fr__function_stats_cmd(c);
}

void fr__cmd_function_kill(fr_conn *c)
{
    fr__script_kill_cmd(c, 1);
}

void fr__cmd_function_help(fr_conn *c)
{
    static const char *const lines[] = {
        "LOAD [REPLACE] <FUNCTION CODE>",
        "    Create a new library with the given library name and code.",
        "DELETE <LIBRARY NAME>",
        "    Delete the given library.",
        "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
        "    Return general information on all the libraries:",
        "    * Library name",
        "    * The engine used to run the Library",
        "    * Library description",
        "    * Functions list",
        "    * Library code (if WITHCODE is given)",
        "    It also possible to get only function that matches a pattern using LIBRARYNAME "
        "argument.",
        "STATS",
        "    Return information about the current function running:",
        "    * Function name",
        "    * Command used to run the function",
        "    * Duration in MS that the function is running",
        "    If no function is running, return nil",
        "    In addition, returns a list of available engines.",
        "KILL",
        "    Kill the current running function.",
        "FLUSH [ASYNC|SYNC]",
        "    Delete all the libraries.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the libraries.",
        "    * SYNC: Synchronously flush the libraries.",
        "DUMP",
        "    Return a serialized payload representing the current libraries, can be restored "
        "using FUNCTION RESTORE command",
        "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
        "    Restore the libraries represented by the given payload, it is possible to give a "
        "restore policy to",
        "    control how to handle existing libraries (default APPEND):",
        "    * FLUSH: delete all existing libraries.",
        "    * APPEND: appends the restored libraries to the existing libraries. On collision, "
        "abort.",
        "    * REPLACE: appends the restored libraries to the existing libraries, On collision, "
        "replace the old",
        "      libraries with the new libraries (notice that even on this option there is a "
        "chance of failure",
        "      in case of functions name collision with another library).",
        NULL};
    fr__add_help(c, "FUNCTION", lines);
}

void fr__cmd_fake_scriptbusy(fr_conn *c)
{
    long long ms;
    if (!fr__arg_ll(c, &c->argv[1], &ms))
        return;
    fr__script_fake_busy(c->srv, ms);
    fr__add_ok(c);
}
