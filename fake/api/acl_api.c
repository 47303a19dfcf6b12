/* The public ACL call: users forgotten on the loop thread; and the users
 * of the configuration's "user" lines. */
#include <stdlib.h>
#include <string.h>

#include "acl_api.h"
#include "acl_engine.h"
#include "core.h"
#include "fakeredis/events.h"

int fr__acl_load_config_users(fr_server *srv)
{
    for (int i = 0; i < srv->cfg.n_user_lines; i++) {
        const char *line = srv->cfg.user_lines[i];
        fr_buf words = {0};
        size_t *lens = NULL, cap = 0;
        int n = fr__split_args(line, strlen(line), &words, &lens, &cap);
        int ok = n >= 2;
        fr_reply *r = NULL;
        if (ok) {
            /* "user NAME RULES..." is "ACL SETUSER NAME RULES..." */
            const char **argv = fr__xcalloc((size_t)n + 1, sizeof *argv);
            size_t *alens = fr__xcalloc((size_t)n + 1, sizeof *alens);
            argv[0] = "ACL";
            alens[0] = 3;
            size_t off = 0;
            for (int k = 0; k < n; k++) {
                argv[k + 1] = k ? words.p + off : "SETUSER";
                alens[k + 1] = k ? lens[k] : 7;
                off += lens[k];
            }
            r = fr_exec(srv, n + 1, argv, alens);
            ok = r && r->type == FR_REPLY_STATUS;
            free(argv);
            free(alens);
        }
        if (!ok)
            fr__server_set_err(srv, "Error in user declaration '%s': %s", line,
                               r && r->type == FR_REPLY_ERROR ? r->str
                                                              : "wrong number of arguments");
        fr_reply_free(r);
        free(lens);
        fr__buf_free(&words);
        if (!ok)
            return FR_ERR_PARSE;
    }
    return FR_OK;
}

static void reset_on_loop(fr_server *srv, void *arg)
{
    (void)arg;
    fr__acl_reset(srv);
    fr__acl_load_config_users(srv); /* as at start: they loaded then */
}

int fr_acl_reset(fr_server *srv)
{
    if (!srv)
        return FR_ERR_ARG;
    return fr__run_on_loop(srv, reset_on_loop, NULL);
}
