/* Users and selectors: the rules of ACL SETUSER applied one by one, and
 * their description as ACL LIST and ACL GETUSER print it (Redis 7.0's
 * rules, its texts, its order). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acl_private.h"
#include "sha256.h"

/* Redis' category order: ACL CAT lists them so, and the description tries
 * them in this order. */
const char *const fr__acl_cat_names[ACL_NCATS] = {
    "keyspace", "read",   "write",       "set",       "sortedset",  "list",        "hash",
    "string",   "bitmap", "hyperloglog", "geo",       "stream",     "pubsub",      "admin",
    "fast",     "slow",   "blocking",    "dangerous", "connection", "transaction", "scripting"};

int fr__acl_cat_by_name(const char *name, size_t len)
{
    for (int i = 0; i < ACL_NCATS; i++)
        if (strlen(fr__acl_cat_names[i]) == len && !strncasecmp(fr__acl_cat_names[i], name, len))
            return i;
    return -1;
}

int fr__acl_listed(const fr_cmd *cmd)
{
    if (cmd->flags & FR_CMD_CONTROL)
        return 0;
    int major = 0, minor = 0;
    if (cmd->since && sscanf(cmd->since, "%d.%d", &major, &minor) == 2)
        return major < 7 || (major == 7 && minor == 0);
    return 1;
}

acl_sel *fr__acl_sel_new(fr_acl *a)
{
    acl_sel *s = fr__xcalloc(1, sizeof *s);
    s->bits = fr__xcalloc(a->ncmds, 1);
    if (!strcmp(a->srv->cfg.acl_pubsub_default, "allchannels"))
        s->flags |= SEL_ALLCHANNELS;
    return s;
}

static void pats_free(acl_pat *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(p[i].s);
    free(p);
}

static void fa_reset(acl_sel *s)
{
    for (size_t i = 0; i < s->nfa; i++)
        free(s->fa[i].arg);
    free(s->fa);
    s->fa = NULL;
    s->nfa = 0;
}

void fr__acl_sel_free(acl_sel *s)
{
    if (!s)
        return;
    free(s->bits);
    fa_reset(s);
    pats_free(s->keys, s->nkeys);
    pats_free(s->chans, s->nchans);
    free(s);
}

static acl_pat *pats_dup(const acl_pat *p, size_t n)
{
    if (!n)
        return NULL;
    acl_pat *d = fr__xcalloc(n, sizeof *d);
    for (size_t i = 0; i < n; i++) {
        d[i] = p[i];
        d[i].s = fr__xmemdup(p[i].s, p[i].len);
    }
    return d;
}

static acl_sel *sel_dup(fr_acl *a, const acl_sel *s)
{
    acl_sel *d = fr__xcalloc(1, sizeof *d);
    *d = *s;
    d->bits = fr__xmalloc(a->ncmds);
    memcpy(d->bits, s->bits, a->ncmds);
    d->keys = pats_dup(s->keys, s->nkeys);
    d->chans = pats_dup(s->chans, s->nchans);
    d->fa = s->nfa ? fr__xcalloc(s->nfa, sizeof *d->fa) : NULL;
    for (size_t i = 0; i < s->nfa; i++) {
        d->fa[i].cmd = s->fa[i].cmd;
        d->fa[i].arg = fr__xstrdup(s->fa[i].arg);
    }
    return d;
}

fr_acl_user *fr__acl_user_new(fr_acl *a, const char *name, size_t len)
{
    fr_acl_user *u = fr__xcalloc(1, sizeof *u);
    u->name = fr__xmemdup(name, len);
    u->nlen = len;
    u->flags = USER_OFF;
    u->sels = fr__xcalloc(1, sizeof *u->sels);
    u->sels[0] = fr__acl_sel_new(a);
    u->nsels = 1;
    return u;
}

void fr__acl_user_free(fr_acl *a, fr_acl_user *u)
{
    (void)a;
    if (!u)
        return;
    for (size_t i = 0; i < u->nsels; i++)
        fr__acl_sel_free(u->sels[i]);
    free(u->sels);
    free(u->pass);
    free(u->name);
    free(u);
}

fr_acl_user *fr__acl_user_dup(fr_acl *a, const fr_acl_user *u)
{
    fr_acl_user *d = fr__xcalloc(1, sizeof *d);
    *d = *u;
    d->name = fr__xmemdup(u->name, u->nlen);
    d->pass = u->npass ? fr__xmalloc(u->npass * sizeof *d->pass) : NULL;
    if (u->npass)
        memcpy(d->pass, u->pass, u->npass * sizeof *d->pass);
    d->sels = fr__xcalloc(u->nsels, sizeof *d->sels);
    for (size_t i = 0; i < u->nsels; i++)
        d->sels[i] = sel_dup(a, u->sels[i]);
    return d;
}

fr_acl_user *fr__acl_find(fr_acl *a, const char *name, size_t len)
{
    for (size_t i = 0; i < a->nusers; i++)
        if (a->users[i]->nlen == len && !memcmp(a->users[i]->name, name, len))
            return a->users[i];
    return NULL;
}

/* ---- command bits ---- */

static void set_bit(acl_sel *s, size_t i, int allow)
{
    s->bits[i] = (unsigned char)allow;
    if (!allow)
        s->flags &= ~(unsigned)SEL_ALLCOMMANDS;
}

static void fa_reset_cmd(acl_sel *s, size_t cmd)
{
    size_t k = 0;
    for (size_t i = 0; i < s->nfa; i++) {
        if (s->fa[i].cmd == cmd)
            free(s->fa[i].arg);
        else
            s->fa[k++] = s->fa[i];
    }
    s->nfa = k;
}

/* A command allowed or denied; a container takes its subcommands along. */
void fr__acl_sel_perm(fr_acl *a, acl_sel *s, size_t i, int allow)
{
    set_bit(s, i, allow);
    fa_reset_cmd(s, i);
    if (a->table[i].parent)
        return;
    for (size_t j = 0; j < a->ncmds; j++)
        if (a->table[j].parent && !strcmp(a->table[j].parent, a->table[i].name))
            set_bit(s, j, allow);
}

void fr__acl_sel_category(fr_acl *a, acl_sel *s, int cat, int allow)
{
    for (size_t i = 0; i < a->ncmds; i++)
        if (a->cats[i] & (1u << cat))
            fr__acl_sel_perm(a, s, i, allow);
}

void fr__acl_sel_all(fr_acl *a, acl_sel *s, int allow)
{
    memset(s->bits, allow, a->ncmds);
    if (allow)
        s->flags |= SEL_ALLCOMMANDS | SEL_FUTURE;
    else
        s->flags &= ~(unsigned)(SEL_ALLCOMMANDS | SEL_FUTURE);
    fa_reset(s);
}

static const fr_cmd *lookup(fr_acl *a, const char *name, size_t len)
{
    return fr__cmd_find(a->srv, name, len);
}

static void fa_add(acl_sel *s, size_t cmd, const char *arg, size_t len)
{
    for (size_t i = 0; i < s->nfa; i++)
        if (s->fa[i].cmd == cmd && strlen(s->fa[i].arg) == len &&
            !strncasecmp(s->fa[i].arg, arg, len))
            return;
    s->fa = fr__xrealloc(s->fa, (s->nfa + 1) * sizeof *s->fa);
    s->fa[s->nfa].cmd = cmd;
    s->fa[s->nfa].arg = fr__xmemdup(arg, len);
    s->nfa++;
}

static const char e_syntax[] = "Syntax error";
static const char e_unknown[] = "Unknown command or category name in ACL";

static int has_spaces(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (isspace((unsigned char)p[i]) || p[i] == 0)
            return 1;
    return 0;
}

static int add_pat(acl_pat **ps, size_t *n, const char *p, size_t len, int flags)
{
    for (size_t i = 0; i < *n; i++) {
        if ((*ps)[i].len == len && !memcmp((*ps)[i].s, p, len)) {
            (*ps)[i].flags |= flags;
            return 0;
        }
    }
    *ps = fr__xrealloc(*ps, (*n + 1) * sizeof **ps);
    (*ps)[*n] = (acl_pat){fr__xmemdup(p, len), len, flags};
    (*n)++;
    return 0;
}

static int is(const char *op, size_t len, const char *word)
{
    return strlen(word) == len && !strncasecmp(op, word, len);
}

static int key_op(acl_sel *s, const char *op, size_t len, const char **err)
{
    if (s->flags & SEL_ALLKEYS) {
        *err = "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and "
               "does not have any effect. Try 'resetkeys' to start with an empty list of "
               "patterns";
        return -1;
    }
    int flags = 0;
    size_t off = 1;
    if (op[0] == '%') {
        for (; off < len; off++) {
            char ch = (char)toupper((unsigned char)op[off]);
            if (ch == 'R' && !(flags & ACL_READ)) {
                flags |= ACL_READ;
            } else if (ch == 'W' && !(flags & ACL_WRITE)) {
                flags |= ACL_WRITE;
            } else if (op[off] == '~') {
                off++;
                break;
            } else {
                *err = e_syntax;
                return -1;
            }
        }
        if (!flags) { /* "%~x": no permission named */
            *err = e_syntax;
            return -1;
        }
    } else {
        flags = ACL_RW;
    }
    if (has_spaces(op + off, len - off)) {
        *err = e_syntax;
        return -1;
    }
    return add_pat(&s->keys, &s->nkeys, op + off, len - off, flags);
}

static int allow_cmd_op(fr_acl *a, acl_sel *s, const char *op, size_t len, const char **err)
{
    const char *bar = NULL;
    for (size_t i = len; i > 1; i--)
        if (op[i - 1] == '|') {
            bar = op + i - 1;
            break;
        }
    if (!bar) {
        const fr_cmd *cmd = lookup(a, op + 1, len - 1);
        if (!cmd) {
            *err = e_unknown;
            return -1;
        }
        fr__acl_sel_perm(a, s, (size_t)(cmd - a->table), 1);
        return 0;
    }
    const fr_cmd *cmd = lookup(a, op + 1, (size_t)(bar - op - 1));
    if (!cmd) {
        *err = e_unknown;
        return -1;
    }
    if (cmd->parent) {
        *err = "Allowing first-arg of a subcommand is not supported";
        return -1;
    }
    size_t sublen = len - (size_t)(bar + 1 - op);
    if (!sublen) {
        *err = e_syntax;
        return -1;
    }
    int container = 0;
    for (size_t j = 0; j < a->ncmds && !container; j++)
        container = a->table[j].parent && !strcmp(a->table[j].parent, cmd->name);
    if (container) {
        const fr_cmd *sub = lookup(a, op + 1, len - 1);
        if (!sub) {
            *err = e_unknown;
            return -1;
        }
        fr__acl_sel_perm(a, s, (size_t)(sub - a->table), 1);
    } else {
        fa_add(s, (size_t)(cmd - a->table), bar + 1, sublen);
    }
    return 0;
}

/* allkeys/resetkeys, allchannels/resetchannels: the patterns of that
 * kind go, and "all" is set or cleared. */
static void reset_pats(acl_sel *s, unsigned all_flag, int all)
{
    int keys = all_flag == SEL_ALLKEYS;
    acl_pat **pats = keys ? &s->keys : &s->chans;
    size_t *n = keys ? &s->nkeys : &s->nchans;
    if (all)
        s->flags |= all_flag;
    else
        s->flags &= ~all_flag;
    pats_free(*pats, *n);
    *pats = NULL;
    *n = 0;
}

static int sel_op(fr_acl *a, acl_sel *s, const char *op, size_t len, const char **err)
{
    if (is(op, len, "allkeys") || is(op, len, "~*")) {
        reset_pats(s, SEL_ALLKEYS, 1);
    } else if (is(op, len, "resetkeys")) {
        reset_pats(s, SEL_ALLKEYS, 0);
    } else if (is(op, len, "allchannels") || is(op, len, "&*")) {
        reset_pats(s, SEL_ALLCHANNELS, 1);
    } else if (is(op, len, "resetchannels")) {
        reset_pats(s, SEL_ALLCHANNELS, 0);
    } else if (is(op, len, "allcommands") || is(op, len, "+@all")) {
        fr__acl_sel_all(a, s, 1);
    } else if (is(op, len, "nocommands") || is(op, len, "-@all")) {
        fr__acl_sel_all(a, s, 0);
    } else if (op[0] == '~' || op[0] == '%') {
        return key_op(s, op, len, err);
    } else if (op[0] == '&') {
        if (s->flags & SEL_ALLCHANNELS) {
            *err = "Adding a pattern after the * pattern (or the 'allchannels' flag) is not "
                   "valid and does not have any effect. Try 'resetchannels' to start with an "
                   "empty list of channels";
            return -1;
        }
        if (has_spaces(op + 1, len - 1)) {
            *err = e_syntax;
            return -1;
        }
        return add_pat(&s->chans, &s->nchans, op + 1, len - 1, 0);
    } else if (op[0] == '+' && (len < 2 || op[1] != '@')) {
        return allow_cmd_op(a, s, op, len, err);
    } else if (op[0] == '-' && (len < 2 || op[1] != '@')) {
        const fr_cmd *cmd = lookup(a, op + 1, len - 1);
        if (!cmd) {
            *err = e_unknown;
            return -1;
        }
        fr__acl_sel_perm(a, s, (size_t)(cmd - a->table), 0);
    } else if (op[0] == '+' || op[0] == '-') {
        int cat = fr__acl_cat_by_name(op + 2, len - 2);
        if (cat < 0) {
            *err = e_unknown;
            return -1;
        }
        fr__acl_sel_category(a, s, cat, op[0] == '+');
    } else {
        *err = e_syntax;
        return -1;
    }
    return 0;
}

/* "(rule rule ...)": a new selector, the words split on blanks */
static int selector_op(fr_acl *a, fr_acl_user *u, const char *op, size_t len, const char **err)
{
    acl_sel *s = fr__acl_sel_new(a);
    size_t i = 1, end = len - 1;
    while (i < end) {
        while (i < end && isspace((unsigned char)op[i]))
            i++;
        size_t j = i;
        while (j < end && !isspace((unsigned char)op[j]))
            j++;
        if (j > i && sel_op(a, s, op + i, j - i, err) < 0) {
            fr__acl_sel_free(s);
            return -1;
        }
        i = j;
    }
    u->sels = fr__xrealloc(u->sels, (u->nsels + 1) * sizeof *u->sels);
    u->sels[u->nsels++] = s;
    return 0;
}

static int valid_hash(const char *p, size_t n)
{
    if (n != 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
            return 0;
    return 1;
}

static const char e_hash[] = "The password hash must be exactly 64 characters and contain only "
                             "lowercase hexadecimal characters";

static int pass_op(fr_acl_user *u, const char *op, size_t len, const char **err)
{
    char h[65];
    if (op[0] == '>' || op[0] == '<') {
        fr__sha256_hex(op + 1, len - 1, h);
    } else {
        if (!valid_hash(op + 1, len - 1)) {
            *err = e_hash;
            return -1;
        }
        memcpy(h, op + 1, 64);
        h[64] = '\0';
    }
    size_t at = u->npass;
    for (size_t i = 0; i < u->npass; i++)
        if (!memcmp(u->pass[i], h, 64))
            at = i;
    if (op[0] == '>' || op[0] == '#') {
        if (at == u->npass) {
            u->pass = fr__xrealloc(u->pass, (u->npass + 1) * sizeof *u->pass);
            memcpy(u->pass[u->npass++], h, 65);
        }
        u->flags &= ~(unsigned)USER_NOPASS;
        return 0;
    }
    if (at == u->npass) {
        *err = "The password you are trying to remove from the user does not exist";
        return -1;
    }
    memmove(u->pass[at], u->pass[at + 1], (u->npass - at - 1) * sizeof *u->pass);
    u->npass--;
    return 0;
}

static void clear_selectors(fr_acl_user *u)
{
    for (size_t i = 1; i < u->nsels; i++)
        fr__acl_sel_free(u->sels[i]);
    u->nsels = 1;
}

int fr__acl_user_op(fr_acl *a, fr_acl_user *u, const char *op, size_t len, const char **err)
{
    if (!len)
        return 0;
    if (is(op, len, "on")) {
        u->flags = (u->flags | USER_ON) & ~(unsigned)USER_OFF;
    } else if (is(op, len, "off")) {
        u->flags = (u->flags | USER_OFF) & ~(unsigned)USER_ON;
    } else if (is(op, len, "skip-sanitize-payload")) {
        u->flags = (u->flags | USER_SKIP_SANITIZE) & ~(unsigned)USER_SANITIZE;
    } else if (is(op, len, "sanitize-payload")) {
        u->flags = (u->flags | USER_SANITIZE) & ~(unsigned)USER_SKIP_SANITIZE;
    } else if (is(op, len, "nopass") || is(op, len, "resetpass")) {
        if (is(op, len, "nopass"))
            u->flags |= USER_NOPASS;
        else
            u->flags &= ~(unsigned)USER_NOPASS;
        free(u->pass);
        u->pass = NULL;
        u->npass = 0;
    } else if (op[0] == '>' || op[0] == '#' || op[0] == '<' || op[0] == '!') {
        return pass_op(u, op, len, err);
    } else if (op[0] == '(' && op[len - 1] == ')') {
        return selector_op(a, u, op, len, err);
    } else if (is(op, len, "clearselectors")) {
        clear_selectors(u);
    } else if (is(op, len, "reset")) {
        static const char *const steps[] = {"resetpass", "resetkeys",        "resetchannels",
                                            "off",       "sanitize-payload", "clearselectors",
                                            "-@all"};
        for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
            fr__acl_user_op(a, u, steps[i], strlen(steps[i]), err);
            if (i == 2 && !strcmp(a->srv->cfg.acl_pubsub_default, "allchannels"))
                fr__acl_user_op(a, u, "allchannels", 11, err);
        }
    } else {
        return sel_op(a, u->sels[0], op, len, err);
    }
    return 0;
}

/* After a change: the fast path flag, and core's view of the default
 * user. */
void fr__acl_user_refresh(fr_acl *a, fr_acl_user *u)
{
    const acl_sel *r = u->sels[0];
    unsigned all = SEL_ALLKEYS | SEL_ALLCHANNELS | SEL_ALLCOMMANDS;
    u->open = (r->flags & all) == all;
    if (u == a->def) {
        a->srv->default_locked = !(u->flags & USER_NOPASS) || (u->flags & USER_OFF);
        a->srv->default_nopass = (u->flags & USER_NOPASS) != 0;
    }
}
