/* MODULE and LOLWUT: answers a Redis without modules gives. The fake
 * loads no module: MODULE LIST is empty, MODULE LOAD is refused as Redis
 * refuses a module it cannot load (or, with enable-module-command at its
 * default "no", refused outright, as Redis does). */
#include <string.h>

#include "commands.h"
#include "commands_private.h"
#include "core.h"

static int module_allowed(fr_conn *c)
{
    const char *mode = c->srv->cfg.enable_module_command;
    if (!strcmp(mode, "yes") || (c->flags & FR_CONN_PSEUDO))
        return 1;
    if (!strcmp(mode, "local") &&
        ((c->flags & FR_CONN_UNIX) || !strncmp(fr__conn_addr(c), "127.", 4) ||
         !strncmp(fr__conn_addr(c), "[::1]:", 6)))
        return 1;
    fr__add_error(c, "MODULE command not allowed. If the enable-module-command option is set to "
                     "\"local\", you can run it from a local connection, otherwise you need to "
                     "set this option in the configuration file, and then restart the server.");
    return 0;
}

void fr__cmd_module_list(fr_conn *c)
{
    fr__add_array(c, 0);
}

void fr__cmd_module_load(fr_conn *c)
{
    if (module_allowed(c))
        fr__add_error(c, "Error loading the extension. Please check the server logs.");
}

void fr__cmd_module_unload(fr_conn *c)
{
    if (module_allowed(c))
        fr__add_error(c, "Error unloading module: no such module with that name");
}

void fr__cmd_module_help(fr_conn *c)
{
    static const char *const lines[] = {
        "LIST",
        "    Return a list of loaded modules.",
        "LOAD <path> [<arg> ...]",
        "    Load a module library from <path>, passing to it any optional arguments.",
        "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
        "    Load a module library from <path>, while passing it module configurations and "
        "optional arguments.",
        "UNLOAD <name>",
        "    Unload a module.",
        NULL};
    fr__add_help(c, "MODULE", lines);
}

/* LOLWUT [VERSION n [args...]]: Redis draws generative art for versions 5
 * and 6 from rand(), so no two servers agree on it; the fake answers the
 * art's caption alone (an empty canvas), and the version line otherwise,
 * which is what Redis gives for any other version. */
void fr__cmd_lolwut(fr_conn *c)
{
    long long version = 7;
    int first = 1;
    if (c->argc >= 3 && fr__arg_is(&c->argv[1], "version")) {
        if (!fr__arg_ll(c, &c->argv[2], &version))
            return;
        first = 3;
    }
    long long v;
    if (version == 5 || version == 6)
        for (int j = first; j < c->argc && j < first + (version == 5 ? 3 : 2); j++)
            if (!fr__arg_ll(c, &c->argv[j], &v))
                return;
    const char *text;
    if (version == 5)
        text = "\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. 7.0.15\n";
    else if (version == 6)
        text = "\nDedicated to the 8 bit game developers of past and present.\n"
               "Original 8 bit image from Plaguemon by hikikomori. Redis ver. 7.0.15\n";
    else
        text = "Redis ver. 7.0.15\n";
    fr__add_verbatim(c, text, strlen(text), "txt");
}
