/* The configuration's ACL users, shared by api/'s start (server_api.c)
 * and fr_acl_reset (acl_api.c). Private to api/. */
#ifndef FR_ACL_API_H
#define FR_ACL_API_H

#include "core.h"

/* Run the configuration's "user NAME RULES..." lines (fr_config's
 * user_lines) as ACL SETUSER would: on the loop thread, or at start
 * before the server has one (fr_exec runs at once then). FR_OK, or
 * FR_ERR_PARSE with "Error in user declaration '...': why" in
 * fr_server_errstr: a bad line fails the start, as it stops Redis. */
int fr__acl_load_config_users(fr_server *srv);

#endif
