/* acl/'s interface: users, their passwords and permissions, as Redis 7.0
 * has them (ACL SETUSER rules, selectors, the ACL log), per server.
 *
 * The state (srv->acl) is made at first use: an ACL command, AUTH or
 * HELLO AUTH, CONFIG SET requirepass. Until then the server has only the
 * default user, with requirepass as its password and every permission,
 * which is what core assumes without it. Once made, it registers a stage
 * that checks each command's permissions after the dispatcher's AUTH check
 * (stage.h, permit) and keeps srv->default_locked (the default user has a
 * password or is off) for core. A connection's user is c->user (NULL: the
 * default user). Loop thread only. */
#ifndef FR_ACL_ENGINE_H
#define FR_ACL_ENGINE_H

#include <stddef.h>

#include "core.h"

typedef struct fr_acl fr_acl;
typedef struct fr_acl_user fr_acl_user;

/* How a client is described in the ACL log's client-info (CLIENT LIST's
 * line, which commands/ owns). */
typedef void fr_acl_client_info_fn(fr_conn *c, fr_buf *out);

/* The server's ACL state, made on first use (never NULL). info, when not
 * NULL, becomes the log's client describer. */
fr_acl *fr__acl_get(fr_server *srv, fr_acl_client_info_fn *info);

/* Log c in as user (NULL: default) with pass. 1 on success (c->user and
 * FR_CONN_AUTHED set); 0 when the user does not exist, is off or the
 * password is wrong: then an ACL log entry is made and the caller answers
 * WRONGPASS. */
int fr__acl_auth(fr_conn *c, const fr_arg *user, const fr_arg *pass);
/* Whether the default user has the nopass flag (AUTH <pass> refuses). */
int fr__acl_default_nopass(fr_server *srv);
/* requirepass changed (CONFIG SET): it becomes the default user's only
 * password, "" meaning nopass, as Redis does. */
void fr__acl_requirepass_changed(fr_server *srv);

/* Forget every user and the log: the server is back to the default user
 * alone, requirepass its password, every permission (no state, no stage).
 * Connections logged in as another user become the default user's. */
void fr__acl_reset(fr_server *srv);

/* The name of the user c is logged in as ("default" without ACL state). */
const char *fr__acl_conn_user(const fr_conn *c);
/* Whether c's user may read any key (SORT's BY and GET patterns need
 * it): the key "*" matches one of its read patterns. */
int fr__acl_all_keys(const fr_conn *c);
/* Whether a user by that name exists. */
int fr__acl_user_exists(fr_server *srv, const char *name, size_t len);

/* The ACL subcommands (commands/cmd_acl.c calls these; each answers c). */
void fr__acl_setuser(fr_conn *c);
void fr__acl_getuser(fr_conn *c);
void fr__acl_deluser(fr_conn *c);
void fr__acl_list(fr_conn *c);
void fr__acl_users(fr_conn *c);
void fr__acl_cat(fr_conn *c);
void fr__acl_log(fr_conn *c);
void fr__acl_dryrun(fr_conn *c);
/* ACL DELUSER's end of a user: its connections are closed (c itself after
 * its reply). */
void fr__acl_kill_user_conns(fr_conn *c, fr_acl_user *u);

#endif
