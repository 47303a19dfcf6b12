/* The public ACL call: users forgotten on the loop thread. */
#include "acl_engine.h"
#include "core.h"
#include "fakeredis/events.h"

static void reset_on_loop(fr_server *srv, void *arg)
{
    (void)arg;
    fr__acl_reset(srv);
}

int fr_acl_reset(fr_server *srv)
{
    if (!srv)
        return FR_ERR_ARG;
    return fr__run_on_loop(srv, reset_on_loop, NULL);
}
