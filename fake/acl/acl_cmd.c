/* The ACL subcommands that read or change users: SETUSER, GETUSER,
 * DELUSER, LIST, USERS, CAT, DRYRUN (commands/cmd_acl.c dispatches to
 * them; LOG is in acl_log.c). */
#include <stdlib.h>
#include <string.h>

#include "acl_private.h"

static fr_acl *state(fr_conn *c)
{
    return fr__acl_get(c->srv, NULL);
}

static int has_space_or_nul(const fr_arg *a)
{
    for (size_t i = 0; i < a->len; i++)
        if (a->p[i] == ' ' || a->p[i] == '\t' || a->p[i] == '\n' || a->p[i] == '\r' ||
            a->p[i] == '\v' || a->p[i] == '\f' || a->p[i] == 0)
            return 1;
    return 0;
}

static void insert_user(fr_acl *a, fr_acl_user *u)
{
    size_t at = 0;
    while (at < a->nusers) {
        const fr_acl_user *x = a->users[at];
        size_t n = x->nlen < u->nlen ? x->nlen : u->nlen;
        int cmp = memcmp(x->name, u->name, n);
        if (cmp > 0 || (cmp == 0 && x->nlen > u->nlen))
            break;
        at++;
    }
    a->users = fr__xrealloc(a->users, (a->nusers + 1) * sizeof *a->users);
    memmove(a->users + at + 1, a->users + at, (a->nusers - at) * sizeof *a->users);
    a->users[at] = u;
    a->nusers++;
}

/* Rules as ACL SETUSER takes them: a selector may span several arguments,
 * from one that opens with "(" to one that ends with ")", joined with
 * blanks; an opening argument inside one starts it again (as Redis
 * does). Returns the count, or -1 - count with *bad the argument that
 * opens an unclosed one. */
static int merge_args(fr_conn *c, fr_buf **out, int *bad)
{
    int n = 0, open = -1; /* open: the argument that opened the selector */
    fr_buf sel = {0};
    *out = fr__xcalloc((size_t)c->argc, sizeof **out);
    for (int j = 3; j < c->argc; j++) {
        const fr_arg *a = &c->argv[j];
        int closes = a->len && a->p[a->len - 1] == ')';
        if (a->len && a->p[0] == '(' && !closes) {
            fr__buf_clear(&sel);
            fr__buf_append(&sel, a->p, a->len);
            open = j;
        } else if (open >= 0) {
            fr__buf_putc(&sel, ' ');
            fr__buf_append(&sel, a->p, a->len);
            if (closes) {
                (*out)[n++] = sel;
                sel = (fr_buf){0};
                open = -1;
            }
        } else {
            fr__buf_append(&(*out)[n++], a->p, a->len);
        }
    }
    fr__buf_free(&sel);
    if (open >= 0) {
        *bad = open;
        return -1 - n;
    }
    return n;
}

static void free_args(fr_buf *b, int n)
{
    for (int i = 0; i < n; i++)
        fr__buf_free(&b[i]);
    free(b);
}

/* Swap the contents, so that connections pointing at dst keep pointing at
 * the user, now changed. */
static void swap_user(fr_acl_user *dst, fr_acl_user *src)
{
    fr_acl_user t = *dst;
    *dst = *src;
    *src = t;
}

void fr__acl_setuser(fr_conn *c)
{
    fr_acl *a = state(c);
    const fr_arg *name = &c->argv[2];
    if (has_space_or_nul(name)) {
        fr__add_error(c, "Usernames can't contain spaces or null characters");
        return;
    }
    fr_buf *ops;
    int bad = 0, n = merge_args(c, &ops, &bad);
    if (n < 0) {
        fr__add_errorf(c, "Unmatched parenthesis in acl selector starting at '%.*s'.",
                       (int)c->argv[bad].len, c->argv[bad].p);
        free_args(ops, -1 - n);
        return;
    }
    fr_acl_user *old = fr__acl_find(a, name->p, name->len);
    fr_acl_user *u = old ? fr__acl_user_dup(a, old) : fr__acl_user_new(a, name->p, name->len);
    for (int i = 0; i < n; i++) {
        const char *err = "Syntax error";
        if (fr__acl_user_op(a, u, ops[i].p ? ops[i].p : "", ops[i].len, &err) < 0) {
            fr__add_errorf(c, "Error in ACL SETUSER modifier '%.*s': %s", (int)ops[i].len, ops[i].p,
                           err);
            fr__acl_user_free(a, u);
            free_args(ops, n);
            return;
        }
    }
    free_args(ops, n);
    if (old) {
        swap_user(old, u);
        fr__acl_user_free(a, u);
        u = old;
    } else {
        insert_user(a, u);
    }
    fr__acl_user_refresh(a, u);
    fr__add_ok(c);
}

static void add_sel_fields(fr_conn *c, fr_acl *a, const acl_sel *s)
{
    fr_buf b = {0};
    fr__add_bulk_cstr(c, "commands");
    fr__acl_sel_describe_cmds(a, s, &b);
    fr__add_bulk(c, b.p, b.len);
    fr__buf_clear(&b);
    fr__add_bulk_cstr(c, "keys");
    fr__acl_sel_describe_keys(s, &b);
    fr__add_bulk(c, b.p ? b.p : "", b.len);
    fr__buf_clear(&b);
    fr__add_bulk_cstr(c, "channels");
    fr__acl_sel_describe_chans(s, &b);
    fr__add_bulk(c, b.p ? b.p : "", b.len);
    fr__buf_free(&b);
}

void fr__acl_getuser(fr_conn *c)
{
    fr_acl *a = state(c);
    const fr_acl_user *u = fr__acl_find(a, c->argv[2].p, c->argv[2].len);
    if (!u) {
        fr__add_null(c);
        return;
    }
    static const char *const names[] = {"on", "off", "nopass", "skip-sanitize-payload",
                                        "sanitize-payload"};
    int nf = 0;
    for (int i = 0; i < 5; i++)
        nf += (u->flags >> i) & 1;
    fr__add_map(c, 6);
    fr__add_bulk_cstr(c, "flags");
    fr__add_set(c, nf);
    for (int i = 0; i < 5; i++)
        if (u->flags & (1u << i))
            fr__add_bulk_cstr(c, names[i]);
    fr__add_bulk_cstr(c, "passwords");
    fr__add_array(c, (long long)u->npass);
    for (size_t i = 0; i < u->npass; i++)
        fr__add_bulk(c, u->pass[i], 64);
    add_sel_fields(c, a, u->sels[0]);
    fr__add_bulk_cstr(c, "selectors");
    fr__add_array(c, (long long)u->nsels - 1);
    for (size_t i = 1; i < u->nsels; i++) {
        fr__add_map(c, 3);
        add_sel_fields(c, a, u->sels[i]);
    }
}

void fr__acl_kill_user_conns(fr_conn *c, fr_acl_user *u)
{
    for (fr_conn *t = c->srv->conns; t; t = t->next) {
        if (t->user != u)
            continue;
        t->user = NULL;
        t->flags &= ~(unsigned)FR_CONN_AUTHED;
        if (t == c)
            t->flags |= FR_CONN_CLOSE_AFTER_REPLY;
        else
            fr__conn_close_async(t);
    }
}

void fr__acl_deluser(fr_conn *c)
{
    fr_acl *a = state(c);
    for (int j = 2; j < c->argc; j++) {
        if (c->argv[j].len == 7 && !memcmp(c->argv[j].p, "default", 7)) { /* exact case */
            fr__add_error(c, "The 'default' user cannot be removed");
            return;
        }
    }
    long long deleted = 0;
    for (int j = 2; j < c->argc; j++) {
        fr_acl_user *u = fr__acl_find(a, c->argv[j].p, c->argv[j].len);
        if (!u)
            continue;
        for (size_t i = 0; i < a->nusers; i++) {
            if (a->users[i] == u) {
                memmove(a->users + i, a->users + i + 1, (a->nusers - i - 1) * sizeof *a->users);
                a->nusers--;
                break;
            }
        }
        fr__acl_kill_user_conns(c, u);
        fr__acl_user_free(a, u);
        deleted++;
    }
    fr__add_ll(c, deleted);
}

void fr__acl_list(fr_conn *c)
{
    fr_acl *a = state(c);
    fr__add_array(c, (long long)a->nusers);
    fr_buf b = {0};
    for (size_t i = 0; i < a->nusers; i++) {
        fr__buf_clear(&b);
        fr__buf_puts(&b, "user ");
        fr__buf_append(&b, a->users[i]->name, a->users[i]->nlen);
        fr__buf_putc(&b, ' ');
        fr__acl_user_describe(a, a->users[i], &b);
        fr__add_bulk(c, b.p, b.len);
    }
    fr__buf_free(&b);
}

void fr__acl_users(fr_conn *c)
{
    fr_acl *a = state(c);
    fr__add_array(c, (long long)a->nusers);
    for (size_t i = 0; i < a->nusers; i++)
        fr__add_bulk(c, a->users[i]->name, a->users[i]->nlen);
}

void fr__acl_cat(fr_conn *c)
{
    fr_acl *a = state(c);
    if (c->argc == 2) {
        fr__add_array(c, ACL_NCATS);
        for (int i = 0; i < ACL_NCATS; i++)
            fr__add_bulk_cstr(c, fr__acl_cat_names[i]);
        return;
    }
    int cat = fr__acl_cat_by_name(c->argv[2].p, c->argv[2].len);
    if (cat < 0) {
        fr__add_errorf(c, "Unknown category '%.*s'", (int)c->argv[2].len, c->argv[2].p);
        return;
    }
    size_t h = fr__add_deferred(c);
    long long n = 0;
    for (size_t i = 0; i < a->ncmds; i++) {
        if ((a->cats[i] & (1u << cat)) && fr__acl_listed(&a->table[i])) {
            fr__add_bulk_cstr(c, a->table[i].name);
            n++;
        }
    }
    fr__set_deferred(c, h, '*', n);
}

void fr__acl_dryrun(fr_conn *c)
{
    fr_acl *a = state(c);
    const fr_acl_user *u = fr__acl_find(a, c->argv[2].p, c->argv[2].len);
    if (!u) {
        fr__add_errorf(c, "User '%.*s' not found", (int)c->argv[2].len, c->argv[2].p);
        return;
    }
    int argc = c->argc - 3;
    const fr_arg *argv = c->argv + 3;
    const fr_cmd *cmd = fr__cmd_resolve(c->srv->cmds, argc, argv);
    if (cmd && (cmd->flags & FR_CMD_CONTROL) && !c->srv->cfg.control)
        cmd = NULL;
    if (!cmd || !cmd->proc) {
        fr__add_errorf(c, "Command '%.*s' not found", (int)argv[0].len, argv[0].p);
        return;
    }
    if ((cmd->arity > 0 && argc != cmd->arity) || argc < -cmd->arity) {
        fr__add_errorf(c, "wrong number of arguments for '%s' command", cmd->name);
        return;
    }
    int idx = 0;
    int r = fr__acl_check(a, u, cmd, argc, argv, &idx);
    if (r == ACL_OK) {
        fr__add_ok(c);
        return;
    }
    fr_buf b = {0};
    if (r == ACL_DENIED_CMD)
        fr__buf_printf(&b, "This user has no permissions to run the '%s' command", cmd->name);
    else
        fr__buf_printf(&b, "This user has no permissions to access the '%.*s' %s",
                       (int)argv[idx].len, argv[idx].p, r == ACL_DENIED_KEY ? "key" : "channel");
    fr__add_bulk(c, b.p, b.len);
    fr__buf_free(&b);
}
