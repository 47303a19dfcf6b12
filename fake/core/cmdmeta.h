/* Command metadata as the reference Redis reports it (COMMAND INFO and
 * COMMAND DOCS), and the key finder that reads its key specs.
 *
 * The metadata of every Redis command, implemented or not, is generated
 * static const data (commands/meta_data.c, by scripts/gen-command-meta.py);
 * the command index pairs each command of the fake's own table with its
 * entry once per process. Key positions come from the key specs, the way
 * Redis finds them: COMMAND GETKEYS, fault rules and ACL key checks all use
 * fr__command_keys. */
#ifndef FR_CMDMETA_H
#define FR_CMDMETA_H

#include <stddef.h>
#include <stdint.h>

#include "types.h"

/* Key spec flags, in the order Redis names them. */
enum fr_ks_flag {
    FR_KS_RO = 1u << 0,
    FR_KS_RW = 1u << 1,
    FR_KS_OW = 1u << 2,
    FR_KS_RM = 1u << 3,
    FR_KS_ACCESS = 1u << 4,
    FR_KS_UPDATE = 1u << 5,
    FR_KS_INSERT = 1u << 6,
    FR_KS_DELETE = 1u << 7,
    FR_KS_NOT_KEY = 1u << 8,
    FR_KS_INCOMPLETE = 1u << 9,
    FR_KS_VARIABLE_FLAGS = 1u << 10
};

enum fr_bs_type { FR_BS_UNKNOWN, FR_BS_INDEX, FR_BS_KEYWORD };
enum fr_fk_type { FR_FK_UNKNOWN, FR_FK_RANGE, FR_FK_KEYNUM };

typedef struct fr_keyspec {
    uint32_t flags;      /* FR_KS_* */
    uint8_t bs;          /* enum fr_bs_type */
    uint8_t fk;          /* enum fr_fk_type */
    int index;           /* index: the position; keyword: startfrom */
    const char *keyword; /* keyword only */
    /* range: lastkey, keystep, limit; keynum: keynumidx, firstkey, keystep */
    int a, b, c;
} fr_keyspec;

typedef struct fr_cmd_meta {
    const char *name; /* "get", "client|kill" */
    int arity;
    const char *flags; /* as COMMAND INFO lists them: "write denyoom" */
    int first_key, last_key, key_step;
    const char *acl; /* "@write @string @slow" */
    const fr_keyspec *specs;
    int nspecs;
    /* COMMAND INFO elements 3 to 9 (flags .. key specs) as RESP3 bytes */
    const char *info;
    const char *tips; /* space separated, "" for none */
    /* COMMAND DOCS: the map's pairs without "subcommands", RESP3 bytes */
    int ndocs;
    const char *docs;
} fr_cmd_meta;

/* The generated table (sorted by name, strcmp order) and a lookup in it:
 * NULL when the reference server has no such command. */
typedef const fr_cmd_meta *fr_meta_table_fn(size_t *n);
const fr_cmd_meta *fr__meta_find(const fr_cmd_meta *t, size_t n, const char *name);

/* cmd's metadata as the index paired it, or NULL (a command of the fake's
 * own, or one newer than the reference). */
const fr_cmd_meta *fr__cmd_meta(const fr_cmd_index *ix, const fr_cmd *cmd);

/* A key found in a command's arguments: its argv position and FR_KS_*. */
typedef struct fr_keyref {
    int pos;
    uint32_t flags;
} fr_keyref;

typedef struct fr_keylist {
    int n;
    int cap;
    fr_keyref *v; /* inline below until it grows */
    fr_keyref inline_v[8];
} fr_keylist;

void fr__keys_init(fr_keylist *k);
void fr__keys_free(fr_keylist *k);

/* The keys of cmd run as argv[0..argc) (argv[0] the command's name, for a
 * subcommand argv[1] its name), found as Redis finds them: from the key
 * specs, or, for the commands whose specs cannot tell (variable flags,
 * incomplete or invalid for these arguments), by the command's own rule.
 * Fills out (fr__keys_init first, fr__keys_free after) and returns the
 * number of keys. */
int fr__command_keys(const fr_cmd_index *ix, const fr_cmd *cmd, int argc, const fr_arg *argv,
                     fr_keylist *out);
/* Whether cmd takes keys at all (COMMAND GETKEYS: "The command has no key
 * arguments"). */
int fr__command_has_keys(const fr_cmd_index *ix, const fr_cmd *cmd);
/* The names of the FR_KS_* set in flags, space separated, into buf. */
void fr__ks_flag_names(uint32_t flags, char *buf, size_t len);

#endif
