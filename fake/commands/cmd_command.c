/* COMMAND and its subcommands. Which commands exist is the fake's own
 * table; what COMMAND INFO and COMMAND DOCS say about each is the
 * reference server's metadata (meta_data.c, generated), whose RESP3 bytes
 * are re-encoded for the connection's protocol. The fake's own commands
 * (FAKE.*), which Redis does not know, are described from the table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands_private.h"
#include "core.h"
#include "commands.h"
#include "base.h"

/* What the dispatcher refuses as unknown (FAKE.* with control off,
 * SENTINEL on a data server) does not exist for COMMAND either. */
static int visible(const fr_conn *c, const fr_cmd *cmd)
{
    return fr__cmd_visible(c->srv, cmd);
}

static const fr_cmd_meta *meta_of(const fr_conn *c, const fr_cmd *cmd)
{
    return fr__cmd_meta(c->srv->cmds, cmd);
}

/* One frame of generated RESP3 (the types the generator allows: map,
 * array, set, bulk, status, integer), written for c's protocol. Returns
 * the byte after it. */
static const char *emit_frame(fr_conn *c, const char *p)
{
    char t = *p++;
    const char *eol = strchr(p, '\r');
    if (t == '+') {
        char word[128];
        snprintf(word, sizeof word, "%.*s", (int)(eol - p), p);
        fr__add_status(c, word);
        return eol + 2;
    }
    long long n = strtoll(p, NULL, 10);
    p = eol + 2;
    switch (t) {
    case '$':
        fr__add_bulk(c, p, (size_t)n);
        return p + n + 2;
    case ':':
        fr__add_ll(c, n);
        return p;
    case '%':
        fr__add_map(c, n);
        n *= 2;
        break;
    case '~':
        fr__add_set(c, n);
        break;
    default:
        fr__add_array(c, n);
        break;
    }
    for (long long i = 0; i < n; i++)
        p = emit_frame(c, p);
    return p;
}

static void add_words(fr_conn *c, const char *words, const char *prefix)
{
    size_t n = 0;
    for (const char *p = words; p && *p;) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        n++;
        while (*p && *p != ' ')
            p++;
    }
    fr__add_set(c, (long long)n);
    for (const char *p = words; p && *p;) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        const char *e = strchr(p, ' ');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        fr_buf w = {0};
        fr__buf_printf(&w, "%s%.*s", prefix, (int)len, p);
        fr__add_status(c, w.p);
        fr__buf_free(&w);
        p += len;
    }
}

static size_t count_subcommands(const fr_cmd *container)
{
    size_t n, count = 0;
    const fr_cmd *t = fr__cmd_table(&n);
    for (size_t i = 0; i < n; i++)
        if (t[i].parent && !strcmp(t[i].parent, container->name))
            count++;
    return count;
}

static void add_command_info(fr_conn *c, const fr_cmd *cmd);
static void add_command_docs(fr_conn *c, const fr_cmd *cmd);

static void add_subcommands(fr_conn *c, const fr_cmd *container, int docs)
{
    size_t n, count = count_subcommands(container);
    const fr_cmd *t = fr__cmd_table(&n);
    if (docs)
        fr__add_map(c, (long long)count);
    else
        /* Redis: an empty set when there are none, else an array */
        count ? fr__add_array(c, (long long)count) : fr__add_set(c, 0);
    for (size_t i = 0; i < n; i++) {
        if (!t[i].parent || strcmp(t[i].parent, container->name))
            continue;
        if (docs)
            add_command_docs(c, &t[i]);
        else
            add_command_info(c, &t[i]);
    }
}

/* ---- the fake's own commands: described from the table ---- */

static const char *const flag_names[] = {
    "write",        "readonly",
    "denyoom",      "admin",
    "pubsub",       "noscript",
    "blocking",     "loading",
    "stale",        "skip_monitor",
    "skip_slowlog", "fast",
    "no_auth",      NULL /* may_replicate: Redis hides it on purpose */,
    "no_multi",     "allow_busy"};

static void add_table_key_specs(fr_conn *c, const fr_cmd *cmd)
{
    if (cmd->first_key <= 0) {
        fr__add_set(c, 0); /* Redis sends key specs as a set */
        return;
    }
    fr__add_set(c, 1);
    fr__add_map(c, 3);
    fr__add_bulk_cstr(c, "flags");
    add_words(c, (cmd->flags & FR_CMD_WRITE) ? "RW update" : "RO access", "");
    fr__add_bulk_cstr(c, "begin_search");
    fr__add_map(c, 2);
    fr__add_bulk_cstr(c, "type");
    fr__add_bulk_cstr(c, "index");
    fr__add_bulk_cstr(c, "spec");
    fr__add_map(c, 1);
    fr__add_bulk_cstr(c, "index");
    fr__add_ll(c, cmd->first_key);
    fr__add_bulk_cstr(c, "find_keys");
    fr__add_map(c, 2);
    fr__add_bulk_cstr(c, "type");
    fr__add_bulk_cstr(c, "range");
    fr__add_bulk_cstr(c, "spec");
    fr__add_map(c, 3);
    fr__add_bulk_cstr(c, "lastkey");
    fr__add_ll(c, cmd->last_key < 0 ? cmd->last_key : cmd->last_key - cmd->first_key);
    fr__add_bulk_cstr(c, "keystep");
    fr__add_ll(c, cmd->key_step);
    fr__add_bulk_cstr(c, "limit");
    fr__add_ll(c, 0);
}

static void add_table_info(fr_conn *c, const fr_cmd *cmd)
{
    size_t nf = 0;
    for (size_t i = 0; i < sizeof flag_names / sizeof flag_names[0]; i++)
        if ((cmd->flags & (1u << i)) && flag_names[i])
            nf++;
    fr__add_set(c, (long long)nf);
    for (size_t i = 0; i < sizeof flag_names / sizeof flag_names[0]; i++)
        if ((cmd->flags & (1u << i)) && flag_names[i])
            fr__add_status(c, flag_names[i]);
    fr__add_ll(c, cmd->first_key);
    fr__add_ll(c, cmd->last_key);
    fr__add_ll(c, cmd->key_step);
    add_words(c, cmd->acl, "@");
    fr__add_set(c, 0); /* tips */
    add_table_key_specs(c, cmd);
}

/* ---- COMMAND INFO and COMMAND DOCS entries ---- */

static void add_command_info(fr_conn *c, const fr_cmd *cmd)
{
    const fr_cmd_meta *m = meta_of(c, cmd);
    fr__add_array(c, 10);
    fr__add_bulk_cstr(c, cmd->name);
    fr__add_ll(c, cmd->arity);
    if (m) {
        const char *p = m->info;
        for (int i = 0; i < 7; i++) /* flags .. key specs */
            p = emit_frame(c, p);
    } else {
        add_table_info(c, cmd);
    }
    add_subcommands(c, cmd, 0);
}

static void add_command_docs(fr_conn *c, const fr_cmd *cmd)
{
    const fr_cmd_meta *m = meta_of(c, cmd);
    int has_subs = count_subcommands(cmd) > 0;
    fr__add_bulk_cstr(c, cmd->name);
    if (m) {
        fr__add_map(c, m->ndocs + has_subs);
        const char *p = m->docs;
        for (int i = 0; i < 2 * m->ndocs; i++)
            p = emit_frame(c, p);
    } else {
        fr__add_map(c, 3 + has_subs);
        fr__add_bulk_cstr(c, "summary");
        fr__add_bulk_cstr(c, cmd->summary);
        fr__add_bulk_cstr(c, "since");
        fr__add_bulk_cstr(c, cmd->since);
        fr__add_bulk_cstr(c, "group");
        fr__add_bulk_cstr(c, cmd->group ? cmd->group : "server");
    }
    if (has_subs) {
        fr__add_bulk_cstr(c, "subcommands");
        add_subcommands(c, cmd, 1);
    }
}

static size_t top_level_count(const fr_conn *c)
{
    size_t n, count = 0;
    const fr_cmd *t = fr__cmd_table(&n);
    for (size_t i = 0; i < n; i++)
        if (!t[i].parent && visible(c, &t[i]))
            count++;
    return count;
}

void fr__cmd_command(fr_conn *c)
{
    size_t n;
    const fr_cmd *t = fr__cmd_table(&n);
    fr__add_array(c, (long long)top_level_count(c));
    for (size_t i = 0; i < n; i++)
        if (!t[i].parent && visible(c, &t[i]))
            add_command_info(c, &t[i]);
}

/* As Redis counts: top-level commands, a container once. */
void fr__cmd_command_count(fr_conn *c)
{
    fr__add_ll(c, (long long)top_level_count(c));
}

/* Whether the command is in ACL category cat (without '@'). */
static int in_category(const fr_conn *c, const fr_cmd *cmd, const fr_arg *cat)
{
    const fr_cmd_meta *m = meta_of(c, cmd);
    const char *words = m ? m->acl : cmd->acl;
    for (const char *p = words; *p;) {
        while (*p == ' ' || *p == '@')
            p++;
        size_t len = strcspn(p, " ");
        if (len == cat->len && !strncasecmp(p, cat->p, len))
            return 1;
        p += len;
    }
    return 0;
}

void fr__cmd_command_list(fr_conn *c)
{
    const fr_arg *pattern = NULL, *aclcat = NULL;
    if (c->argc == 5 && fr__arg_is(&c->argv[2], "filterby")) {
        if (fr__arg_is(&c->argv[3], "pattern"))
            pattern = &c->argv[4];
        else if (fr__arg_is(&c->argv[3], "aclcat"))
            aclcat = &c->argv[4];
        else if (!fr__arg_is(&c->argv[3], "module")) {
            fr__add_error(c, fr__err_syntax);
            return;
        } else {
            fr__add_array(c, 0); /* no modules */
            return;
        }
    } else if (c->argc != 2) {
        fr__add_error(c, fr__err_syntax);
        return;
    }
    size_t n;
    const fr_cmd *t = fr__cmd_table(&n);
    size_t h = fr__add_deferred(c);
    long long count = 0;
    for (size_t i = 0; i < n; i++) {
        if (!visible(c, &t[i]))
            continue;
        if (pattern && !fr__glob_match(pattern->p, pattern->len, t[i].name, strlen(t[i].name), 1))
            continue;
        if (aclcat && !in_category(c, &t[i], aclcat))
            continue;
        fr__add_bulk_cstr(c, t[i].name);
        count++;
    }
    fr__set_deferred(c, h, '*', count);
}

void fr__cmd_command_info(fr_conn *c)
{
    if (c->argc == 2) {
        fr__cmd_command(c);
        return;
    }
    fr__add_array(c, c->argc - 2);
    for (int i = 2; i < c->argc; i++) {
        const fr_cmd *cmd = fr__cmd_find(c->srv, c->argv[i].p, c->argv[i].len);
        if (cmd && visible(c, cmd))
            add_command_info(c, cmd);
        else
            fr__add_null(c); /* RESP2: $-1, as Redis */
    }
}

void fr__cmd_command_docs(fr_conn *c)
{
    size_t n;
    const fr_cmd *t = fr__cmd_table(&n);
    if (c->argc == 2) {
        fr__add_map(c, (long long)top_level_count(c));
        for (size_t i = 0; i < n; i++)
            if (!t[i].parent && visible(c, &t[i]))
                add_command_docs(c, &t[i]);
        return;
    }
    size_t h = fr__add_deferred(c);
    long long found = 0;
    for (int i = 2; i < c->argc; i++) {
        const fr_cmd *cmd = fr__cmd_find(c->srv, c->argv[i].p, c->argv[i].len);
        if (cmd && visible(c, cmd)) {
            add_command_docs(c, cmd);
            found++;
        }
    }
    fr__set_deferred(c, h, '%', found);
}

/* COMMAND GETKEYS / GETKEYSANDFLAGS <full command>: Redis' checks in
 * Redis' order, then the keys as fr__command_keys finds them. */
static void getkeys(fr_conn *c, int with_flags)
{
    int argc = c->argc - 2;
    const fr_arg *argv = c->argv + 2;
    const fr_cmd *cmd = fr__cmd_resolve(c->srv->cmds, argc, argv);
    if (cmd && !visible(c, cmd))
        cmd = NULL;
    if (!cmd) {
        fr__add_error(c, "Invalid command specified");
        return;
    }
    if (!fr__command_has_keys(c->srv->cmds, cmd)) {
        fr__add_error(c, "The command has no key arguments");
        return;
    }
    if ((cmd->arity > 0 && cmd->arity != argc) || argc < -cmd->arity) {
        fr__add_error(c, "Invalid number of arguments specified for command");
        return;
    }
    fr_keylist keys;
    fr__keys_init(&keys);
    int nk = fr__command_keys(c->srv->cmds, cmd, argc, argv, &keys);
    if (nk == 0) {
        const fr_cmd_meta *m = meta_of(c, cmd);
        if (m && strstr(m->flags, "no_mandatory_keys"))
            fr__add_array(c, 0);
        else
            fr__add_error(c, "Invalid arguments specified for command");
        fr__keys_free(&keys);
        return;
    }
    fr__add_array(c, nk);
    for (int i = 0; i < nk; i++) {
        const fr_arg *k = &argv[keys.v[i].pos];
        if (with_flags) {
            char names[128];
            fr__add_array(c, 2);
            fr__add_bulk(c, k->p, k->len);
            fr__ks_flag_names(keys.v[i].flags, names, sizeof names);
            add_words(c, names, "");
        } else {
            fr__add_bulk(c, k->p, k->len);
        }
    }
    fr__keys_free(&keys);
}

void fr__cmd_command_getkeys(fr_conn *c)
{
    getkeys(c, 0);
}

void fr__cmd_command_getkeysandflags(fr_conn *c)
{
    getkeys(c, 1);
}

void fr__cmd_command_help(fr_conn *c)
{
    static const char *const lines[] = {
        "(no subcommand)",
        "    Return details about all Redis commands.",
        "COUNT",
        "    Return the total number of commands in this Redis server.",
        "LIST",
        "    Return a list of all commands in this Redis server.",
        "INFO [<command-name> ...]",
        "    Return details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "DOCS [<command-name> ...]",
        "    Return documentation details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "GETKEYS <full-command>",
        "    Return the keys from a full Redis command.",
        "GETKEYSANDFLAGS <full-command>",
        "    Return the keys and the access flags from a full Redis command.",
        NULL};
    fr__add_help(c, "COMMAND", lines);
}
