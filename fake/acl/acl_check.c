/* The ACL state of a server, the permission check run before each
 * command (a stage), logging in, and the end of a deleted user's
 * connections. */
#include <stdlib.h>
#include <string.h>

#include <strings.h>

#include "acl_private.h"
#include "sha256.h"

/* A pattern subscription must name an allowed pattern exactly; a channel
 * must match one. */
static int chan_ok(const acl_sel *s, const fr_arg *ch, int is_pattern)
{
    if (s->flags & SEL_ALLCHANNELS)
        return 1;
    for (size_t i = 0; i < s->nchans; i++) {
        const acl_pat *p = &s->chans[i];
        if (is_pattern ? (p->len == ch->len && !memcmp(p->s, ch->p, ch->len))
                       : fr__glob_match(p->s, p->len, ch->p, ch->len, 0))
            return 1;
    }
    return 0;
}

/* The arguments that are channels: PUBLISH's one, every (S|P)SUBSCRIBE
 * argument (unsubscribing is never refused). */
static int channel_args(const fr_cmd *cmd, int argc, int *first, int *last, int *pattern)
{
    *pattern = !strcmp(cmd->name, "psubscribe");
    if (!strcmp(cmd->name, "publish") || !strcmp(cmd->name, "spublish")) {
        *first = *last = 1;
        return 1;
    }
    if (*pattern || !strcmp(cmd->name, "subscribe") || !strcmp(cmd->name, "ssubscribe")) {
        *first = 1;
        *last = argc - 1;
        return 1;
    }
    return 0;
}

/* The command's keys, found once per check (as Redis caches them) and
 * only when a selector restricts keys. */
typedef struct {
    int found;
    fr_keylist list;
} keys_cache;

static const fr_keylist *keys_of(fr_acl *a, keys_cache *kc, const fr_cmd *cmd, int argc,
                                 const fr_arg *argv)
{
    if (!kc->found) {
        fr__command_keys(a->srv->cmds, cmd, argc, argv, &kc->list);
        kc->found = 1;
    }
    return &kc->list;
}

static int sel_check(fr_acl *a, const acl_sel *s, const fr_cmd *cmd, int argc, const fr_arg *argv,
                     keys_cache *kc, int *idx)
{
    size_t ci = (size_t)(cmd - a->table);
    if (!(s->flags & SEL_ALLCOMMANDS) && !(cmd->flags & FR_CMD_NO_AUTH) && !s->bits[ci]) {
        int ok = 0;
        for (size_t i = 0; argc > 1 && i < s->nfa && !ok; i++)
            ok = s->fa[i].cmd == ci && strlen(s->fa[i].arg) == argv[1].len &&
                 !strncasecmp(s->fa[i].arg, argv[1].p, argv[1].len);
        if (!ok)
            return ACL_DENIED_CMD;
    }
    if (!(s->flags & SEL_ALLKEYS) &&
        fr__acl_sel_keys(s, keys_of(a, kc, cmd, argc, argv), argv, idx) != ACL_OK)
        return ACL_DENIED_KEY;
    int first, last, pattern;
    if (!(s->flags & SEL_ALLCHANNELS) && channel_args(cmd, argc, &first, &last, &pattern)) {
        for (int i = first; i <= last && i < argc; i++) {
            if (!chan_ok(s, &argv[i], pattern)) {
                *idx = i;
                return ACL_DENIED_CHANNEL;
            }
        }
    }
    return ACL_OK;
}

int fr__acl_check(fr_acl *a, const fr_acl_user *u, const fr_cmd *cmd, int argc, const fr_arg *argv,
                  int *idx)
{
    if (u->open)
        return ACL_OK;
    int worst = ACL_DENIED_CMD, worst_idx = 0, r = ACL_DENIED_CMD;
    keys_cache kc = {0};
    fr__keys_init(&kc.list);
    for (size_t i = 0; i < u->nsels; i++) {
        int at = 0;
        r = sel_check(a, u->sels[i], cmd, argc, argv, &kc, &at);
        if (r == ACL_OK)
            break;
        /* the most specific refusal is the one reported */
        if (r > worst || (r == worst && at > worst_idx)) {
            worst = r;
            worst_idx = at;
        }
    }
    fr__keys_free(&kc.list);
    if (r == ACL_OK)
        return ACL_OK;
    *idx = worst_idx;
    return worst;
}

/* Redis' test for "full key access": "*" as a key, readable through a
 * pattern of any selector. */
static int key_all(const fr_acl_user *u)
{
    static const fr_arg star = {"*", 1};
    for (size_t i = 0; i < u->nsels; i++)
        if (fr__acl_key_ok(u->sels[i], &star, ACL_READ))
            return 1;
    return 0;
}

static fr_acl_user *conn_user(fr_acl *a, const fr_conn *c)
{
    return c->user ? c->user : a->def;
}

/* Log a refusal: the command's name, or the key or channel refused. */
static void log_refusal(fr_acl *a, fr_conn *c, int ctx, int r, const fr_acl_user *u,
                        const fr_cmd *cmd, const fr_arg *argv, int idx)
{
    if (r == ACL_DENIED_CMD)
        fr__acl_log_add(a, c, ctx, r, cmd->name, strlen(cmd->name), u->name, u->nlen);
    else
        fr__acl_log_add(a, c, ctx, r, argv[idx].p, argv[idx].len, u->name, u->nlen);
}

/* The check of c's user, logged when refused: ACL_OK or the denial. */
static int check_conn(fr_conn *c, int ctx, const fr_cmd *cmd, int argc, const fr_arg *argv)
{
    fr_acl *a = c->srv->acl;
    fr_acl_user *u = conn_user(a, c);
    if (u->open || (c->flags & FR_CONN_PSEUDO))
        return ACL_OK;
    int idx = 0;
    int r = fr__acl_check(a, u, cmd, argc, argv, &idx);
    if (r != ACL_OK)
        log_refusal(a, c, ctx, r, u, cmd, argv, idx);
    return r;
}

/* The permit stage: after the dispatcher's AUTH check. */
static int permit(fr_conn *c, const fr_cmd *cmd, int argc, const fr_arg *argv)
{
    int in_multi = (c->flags & (FR_CONN_MULTI | FR_CONN_EXECUTING)) != 0;
    int r = check_conn(c, in_multi ? ACL_CTX_MULTI : ACL_CTX_TOPLEVEL, cmd, argc, argv);
    if (r == ACL_OK)
        return 0;
    if (c->flags & FR_CONN_EXECUTING) {
        static const char *const why[] = {
            "", "no permission to execute the command or subcommand",
            "no permission to touch the specified keys", "",
            "no permission to access one of the channels used as arguments"};
        fr__add_errorf(c,
                       "-NOPERM ACLs rules changed between the moment the transaction was "
                       "accumulated and the EXEC call. This command is no longer allowed for "
                       "the following reason: %s",
                       why[r]);
        return 1;
    }
    if (r == ACL_DENIED_CMD) {
        fr_buf b = {0};
        fr__buf_printf(&b, "-NOPERM this user has no permissions to run the '%s' command",
                       cmd->name);
        fr__reject(c, b.p);
        fr__buf_free(&b);
        return 1;
    }
    fr__reject(c, r == ACL_DENIED_KEY ? "-NOPERM this user has no permissions to access one of "
                                        "the keys used as arguments"
                                      : "-NOPERM this user has no permissions to access one of "
                                        "the channels used as arguments");
    return 1;
}

/* The check of a command a script of c calls: c's user, logged as "lua";
 * the script words the error. */
static int script_permit(fr_conn *c, const fr_cmd *cmd, int argc, const fr_arg *argv)
{
    switch (check_conn(c, ACL_CTX_LUA, cmd, argc, argv)) {
    case ACL_OK:
        return 0;
    case ACL_DENIED_CMD:
        return FR_DENIED_CMD;
    case ACL_DENIED_KEY:
        return FR_DENIED_KEY;
    default:
        return FR_DENIED_CHANNEL;
    }
}

static void stop(fr_server *srv);

static const fr_stage_ops acl_stage = {
    .name = "acl",
    .order = 50,
    .permit = permit,
    .script_permit = script_permit,
    .stop = stop,
};

void fr__acl_reset(fr_server *srv)
{
    if (!srv->acl)
        return;
    for (fr_conn *c = srv->conns; c; c = c->next)
        c->user = NULL;
    if (srv->exec_client)
        srv->exec_client->user = NULL;
    stop(srv);
    fr__stage_unregister(srv, &acl_stage);
}

static void stop(fr_server *srv)
{
    fr_acl *a = srv->acl;
    if (!a)
        return;
    for (size_t i = 0; i < a->nusers; i++)
        fr__acl_user_free(a, a->users[i]);
    free(a->users);
    free(a->cats);
    fr__acl_log_free(a);
    free(a);
    srv->acl = NULL;
}

static void set_default_password(fr_acl *a)
{
    const char *pw = a->srv->cfg.requirepass;
    const char *err;
    fr__acl_user_op(a, a->def, "resetpass", 9, &err);
    if (pw && pw[0]) {
        fr_buf b = {0};
        fr__buf_putc(&b, '>');
        fr__buf_puts(&b, pw);
        fr__acl_user_op(a, a->def, b.p, b.len, &err);
        fr__buf_free(&b);
    } else {
        fr__acl_user_op(a, a->def, "nopass", 6, &err);
    }
    fr__acl_user_refresh(a, a->def);
}

fr_acl *fr__acl_get(fr_server *srv, fr_acl_client_info_fn *info)
{
    if (srv->acl) {
        if (info)
            srv->acl->info = info;
        return srv->acl;
    }
    fr_acl *a = fr__xcalloc(1, sizeof *a);
    a->srv = srv;
    a->table = fr__cmd_index_table(srv->cmds, &a->ncmds);
    a->cats = fr__xcalloc(a->ncmds, sizeof *a->cats);
    for (size_t i = 0; i < a->ncmds; i++) {
        const char *p = a->table[i].acl;
        while (p && *p) {
            size_t n = strcspn(p, " ");
            int cat = fr__acl_cat_by_name(p, n);
            if (cat >= 0)
                a->cats[i] |= 1u << cat;
            p += n;
            p += strspn(p, " ");
        }
    }
    a->def = fr__acl_user_new(a, "default", 7);
    const char *err;
    static const char *const init[] = {"+@all", "~*", "&*", "on"};
    for (size_t i = 0; i < sizeof init / sizeof init[0]; i++)
        fr__acl_user_op(a, a->def, init[i], strlen(init[i]), &err);
    a->users = fr__xcalloc(1, sizeof *a->users);
    a->users[0] = a->def;
    a->nusers = 1;
    a->info = info;
    srv->acl = a;
    set_default_password(a);
    fr__stage_register(srv, &acl_stage);
    return a;
}

void fr__acl_requirepass_changed(fr_server *srv)
{
    if (srv->acl)
        set_default_password(srv->acl);
}

int fr__acl_default_nopass(fr_server *srv)
{
    return (fr__acl_get(srv, NULL)->def->flags & USER_NOPASS) != 0;
}

static int pass_matches(const fr_acl_user *u, const fr_arg *pass)
{
    if (u->flags & USER_NOPASS)
        return 1;
    char h[65];
    fr__sha256_hex(pass->p, pass->len, h);
    int ok = 0;
    /* every stored hash is compared, whatever matched: the time taken
     * says nothing about which */
    for (size_t i = 0; i < u->npass; i++) {
        unsigned diff = 0;
        for (int k = 0; k < 64; k++)
            diff |= (unsigned)(h[k] ^ u->pass[i][k]);
        ok |= diff == 0;
    }
    return ok;
}

int fr__acl_auth(fr_conn *c, const fr_arg *user, const fr_arg *pass)
{
    fr_acl *a = fr__acl_get(c->srv, NULL);
    fr_acl_user *u = user ? fr__acl_find(a, user->p, user->len) : a->def;
    if (u && !(u->flags & USER_OFF) && pass_matches(u, pass)) {
        c->user = u == a->def ? NULL : u;
        c->flags |= FR_CONN_AUTHED;
        return 1;
    }
    const fr_arg *cmd = &c->argv[0];
    int ctx = (c->flags & (FR_CONN_MULTI | FR_CONN_EXECUTING)) ? ACL_CTX_MULTI : ACL_CTX_TOPLEVEL;
    fr__acl_log_add(a, c, ctx, ACL_DENIED_AUTH, cmd->p, cmd->len, user ? user->p : "default",
                    user ? user->len : 7);
    return 0;
}

int fr__acl_all_keys(const fr_conn *c)
{
    fr_acl *a = c->srv->acl;
    if (!a || (c->flags & FR_CONN_PSEUDO))
        return 1;
    const fr_acl_user *u = c->user ? c->user : a->def;
    return u->open || key_all(u);
}

const char *fr__acl_conn_user(const fr_conn *c)
{
    return c->user ? c->user->name : "default";
}

int fr__acl_user_exists(fr_server *srv, const char *name, size_t len)
{
    if (!srv->acl)
        return len == 7 && !memcmp(name, "default", 7);
    return fr__acl_find(srv->acl, name, len) != NULL;
}
