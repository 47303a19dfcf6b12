/* The command table against the reference server's metadata (arity, flags,
 * key positions and ACL categories of commands.def must say what Redis
 * says, so that drift is caught here), and the key finder on commands the
 * fake does not run yet (MIGRATE, GEORADIUS, EVAL): positions and flags as
 * redis-server 7.0.15's COMMAND GETKEYSANDFLAGS gives them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "commands.h"
#include "core.h"

/* COMMAND INFO's flag words the table has a bit for (command.h). */
static const struct {
    const char *word;
    uint32_t bit;
} flag_bits[] = {{"write", FR_CMD_WRITE},
                 {"readonly", FR_CMD_READONLY},
                 {"denyoom", FR_CMD_DENYOOM},
                 {"admin", FR_CMD_ADMIN},
                 {"pubsub", FR_CMD_PUBSUB},
                 {"noscript", FR_CMD_NOSCRIPT},
                 {"blocking", FR_CMD_BLOCKING},
                 {"loading", FR_CMD_LOADING},
                 {"stale", FR_CMD_STALE},
                 {"skip_monitor", FR_CMD_SKIP_MONITOR},
                 {"skip_slowlog", FR_CMD_SKIP_SLOWLOG},
                 {"fast", FR_CMD_FAST},
                 {"no_auth", FR_CMD_NO_AUTH},
                 {"no_multi", FR_CMD_NO_MULTI},
                 {"allow_busy", FR_CMD_ALLOW_BUSY}};

/* Newer than 7.0.15, kept on purpose (clients send them and ignore the
 * error); SENTINEL is Sentinel mode's own (a data server answers it as
 * unknown, as Redis); the FAKE.* family is the fake's own. */
static const char *const not_in_reference[] = {"client|setinfo", "client|no-touch", "sentinel"};

static int has_word(const char *words, const char *w, size_t wl)
{
    for (const char *p = words; *p;) {
        while (*p == ' ')
            p++;
        size_t len = strcspn(p, " ");
        if (len == wl && !strncmp(p, w, wl))
            return 1;
        p += len;
    }
    return 0;
}

/* Every word of a (optionally after '@') is a word of b, and back. */
static int same_categories(const char *table_acl, const char *meta_acl)
{
    size_t nt = 0, nm = 0;
    char at[64];
    for (const char *p = table_acl; *p;) {
        while (*p == ' ')
            p++;
        size_t len = strcspn(p, " ");
        if (!len)
            break;
        snprintf(at, sizeof at, "@%.*s", (int)len, p);
        if (!has_word(meta_acl, at, len + 1))
            return 0;
        nt++;
        p += len;
    }
    for (const char *p = meta_acl; *p;) {
        while (*p == ' ')
            p++;
        size_t len = strcspn(p, " ");
        if (!len)
            break;
        nm++;
        p += len;
    }
    return nt == nm;
}

static void test_table_matches_reference(void **state)
{
    (void)state;
    size_t n, nm;
    const fr_cmd *t = fr__cmd_table(&n);
    const fr_cmd_meta *metas = fr__meta_table(&nm);
    int bad = 0, paired = 0;
    for (size_t i = 0; i < n; i++) {
        const fr_cmd *c = &t[i];
        const fr_cmd_meta *m = fr__meta_find(metas, nm, c->name);
        if (!m) {
            int known = (c->flags & FR_CMD_CONTROL) != 0;
            for (size_t j = 0; j < sizeof not_in_reference / sizeof *not_in_reference; j++)
                known |= !strcmp(c->name, not_in_reference[j]);
            if (!known) {
                printf("%s: not a command of the reference server\n", c->name);
                bad++;
            }
            continue;
        }
        paired++;
        if (c->arity != m->arity) {
            printf("%s: arity %d, Redis %d\n", c->name, c->arity, m->arity);
            bad++;
        }
        if (c->first_key != m->first_key || c->last_key != m->last_key ||
            c->key_step != m->key_step) {
            printf("%s: keys %d %d %d, Redis %d %d %d\n", c->name, c->first_key, c->last_key,
                   c->key_step, m->first_key, m->last_key, m->key_step);
            bad++;
        }
        for (size_t j = 0; j < sizeof flag_bits / sizeof *flag_bits; j++) {
            int mine = (c->flags & flag_bits[j].bit) != 0;
            int theirs = has_word(m->flags, flag_bits[j].word, strlen(flag_bits[j].word));
            if (mine != theirs) {
                printf("%s: flag %s %s, Redis %s\n", c->name, flag_bits[j].word,
                       mine ? "set" : "unset", theirs ? "set" : "unset");
                bad++;
            }
        }
        if (!same_categories(c->acl, m->acl)) {
            printf("%s: ACL categories '%s', Redis '%s'\n", c->name, c->acl, m->acl);
            bad++;
        }
    }
    assert_int_equal(bad, 0);
    assert_true(paired > 200);
}

static void test_meta_sorted(void **state)
{
    (void)state;
    size_t nm;
    const fr_cmd_meta *metas = fr__meta_table(&nm);
    assert_true(nm >= 366);
    for (size_t i = 1; i < nm; i++)
        assert_true(strcmp(metas[i - 1].name, metas[i].name) < 0);
    assert_non_null(fr__meta_find(metas, nm, "xread"));
    assert_non_null(fr__meta_find(metas, nm, "config|get"));
    assert_null(fr__meta_find(metas, nm, "fake.clock"));
}

/* ---- keys of commands the fake does not run yet ---- */

static const fr_cmd mini[] = {
    {"migrate", NULL, -6, FR_CMD_WRITE, "", 3, 3, 1, NULL, "generic", "2.6.0", ""},
    {"georadius", NULL, -6, FR_CMD_WRITE, "", 1, 1, 1, NULL, "geo", "3.2.0", ""},
    {"georadiusbymember", NULL, -5, FR_CMD_WRITE, "", 1, 1, 1, NULL, "geo", "3.2.0", ""},
    {"eval", NULL, -3, 0, "", 0, 0, 0, NULL, "scripting", "2.6.0", ""},
    {"spublish", NULL, 3, 0, "", 1, 1, 1, NULL, "pubsub", "7.0.0", ""},
};

/* The keys of the command line (words separated by blanks; '' for an
 * empty word) as "pos:FLAGS pos:FLAGS" ("-" for none). */
static char *keys_of(const fr_cmd_index *ix, const char *line)
{
    static char out[512];
    char buf[256];
    fr_arg argv[32];
    int argc = 0;
    snprintf(buf, sizeof buf, "%s", line);
    for (char *tok = strtok(buf, " "); tok && argc < 32; tok = strtok(NULL, " ")) {
        int empty = !strcmp(tok, "''");
        argv[argc].p = empty ? "" : tok;
        argv[argc].len = empty ? 0 : strlen(tok);
        argc++;
    }
    const fr_cmd *cmd = fr__cmd_resolve(ix, argc, argv);
    assert_non_null(cmd);
    fr_keylist k;
    fr__keys_init(&k);
    int n = fr__command_keys(ix, cmd, argc, argv, &k);
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        char names[128];
        fr__ks_flag_names(k.v[i].flags, names, sizeof names);
        size_t used = strlen(out);
        snprintf(out + used, sizeof out - used, "%s%d:%s", i ? " " : "", k.v[i].pos, names);
    }
    fr__keys_free(&k);
    return n ? out : strcpy(out, "-");
}

static void test_keys_of_commands_to_come(void **state)
{
    (void)state;
    fr_cmd_index *ix = fr__cmd_index_new(mini, sizeof mini / sizeof *mini, fr__meta_table);
    /* MIGRATE: the key, or with it empty the ones after the first KEYS */
    assert_string_equal(keys_of(ix, "migrate h 1 k 0 10"), "3:RW access delete");
    assert_string_equal(keys_of(ix, "migrate h 1 k 0 10 keys a b"), "-");
    assert_string_equal(keys_of(ix, "migrate h 1 '' 0 10 keys a b"),
                        "7:RW access delete 8:RW access delete");
    assert_string_equal(keys_of(ix, "migrate h 1 k 0 10 keys"), "3:RW access delete");
    assert_string_equal(keys_of(ix, "migrate h 1 '' 0 10 KEYS a keys b"),
                        "7:RW access delete 8:RW access delete 9:RW access delete");
    assert_string_equal(keys_of(ix, "migrate h 1 '' 0 10 auth keys x a"), "3:RW access delete");
    assert_string_equal(keys_of(ix, "migrate h 1 '' 0 10 auth2 u keys x a"), "3:RW access delete");
    assert_string_equal(keys_of(ix, "migrate h 1 '' 0 10 auth p keys a"), "9:RW access delete");
    /* GEORADIUS: STORE/STOREDIST specs, and its own rule for a trailing one */
    assert_string_equal(keys_of(ix, "georadius k 0 0 1 km store d"), "1:RO access 7:OW update");
    assert_string_equal(keys_of(ix, "georadius k 0 0 1 km store"), "1:RO access");
    assert_string_equal(keys_of(ix, "georadius k 0 0 1 km store a storedist b"),
                        "1:RO access 7:OW update 9:OW update");
    assert_string_equal(keys_of(ix, "georadius k 0 0 1 km storedist b store"),
                        "1:RO access 7:OW update");
    assert_string_equal(keys_of(ix, "georadiusbymember k m 1 km store d"),
                        "1:RO access 6:OW update");
    assert_string_equal(keys_of(ix, "georadiusbymember k m 1 store km"), "1:RO access");
    assert_string_equal(keys_of(ix, "georadius k 0 0 1 km storedist storedist store"),
                        "1:RO access 7:OW update");
    /* EVAL: numkeys; a count the spec refuses is read as atoi does */
    assert_string_equal(keys_of(ix, "eval s 2 a b"), "3:RW access update 4:RW access update");
    assert_string_equal(keys_of(ix, "eval s 0"), "-");
    assert_string_equal(keys_of(ix, "eval s 3 a b"), "-");
    assert_string_equal(keys_of(ix, "eval s 1x a"), "3:");
    /* a channel is no key */
    assert_string_equal(keys_of(ix, "spublish c m"), "-");
    assert_false(fr__command_has_keys(ix, fr__cmd_lookup(ix, "spublish", 8)));
    assert_true(fr__command_has_keys(ix, fr__cmd_lookup(ix, "eval", 4)));
    fr__cmd_index_free(ix);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_matches_reference),
        cmocka_unit_test(test_meta_sorted),
        cmocka_unit_test(test_keys_of_commands_to_come),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
