/* Private to acl/: users, selectors and the log. */
#ifndef FR_ACL_PRIVATE_H
#define FR_ACL_PRIVATE_H

#include <stdint.h>

#include "acl_engine.h"

enum { ACL_READ = 1, ACL_WRITE = 2, ACL_RW = 3 };

/* selector flags */
enum {
    SEL_ALLKEYS = 1,
    SEL_ALLCHANNELS = 2,
    SEL_ALLCOMMANDS = 4, /* every bit set: the bits need no look */
    SEL_FUTURE = 8       /* +@all was given: commands to come are allowed */
};

/* user flags, in the order ACL LIST and GETUSER show them */
enum { USER_ON = 1, USER_OFF = 2, USER_NOPASS = 4, USER_SKIP_SANITIZE = 8, USER_SANITIZE = 16 };

/* The outcomes of a check, in the order Redis ranks them when no
 * selector allows a command (the highest is reported). */
enum { ACL_OK = 0, ACL_DENIED_CMD, ACL_DENIED_KEY, ACL_DENIED_AUTH, ACL_DENIED_CHANNEL };

typedef struct acl_pat {
    char *s;
    size_t len;
    int flags; /* keys: ACL_READ | ACL_WRITE */
} acl_pat;

typedef struct acl_firstarg {
    size_t cmd; /* table index */
    char *arg;
} acl_firstarg;

typedef struct acl_sel {
    unsigned flags;
    unsigned char *bits; /* allowed, by table index */
    acl_firstarg *fa;    /* +cmd|arg of commands otherwise denied */
    size_t nfa;
    acl_pat *keys, *chans;
    size_t nkeys, nchans;
} acl_sel;

struct fr_acl_user {
    char *name;
    size_t nlen;
    unsigned flags;
    char (*pass)[65]; /* sha256 hex */
    size_t npass;
    acl_sel **sels; /* [0] the root selector */
    size_t nsels;
    int open; /* one selector allowing everything: no check needed */
};

typedef struct acl_log_entry acl_log_entry;

struct fr_acl {
    fr_server *srv;
    const fr_cmd *table;
    size_t ncmds;
    uint32_t *cats;      /* by table index: category bits */
    fr_acl_user **users; /* sorted by name */
    size_t nusers;
    fr_acl_user *def;
    acl_log_entry *log; /* newest first */
    size_t nlog;
    fr_acl_client_info_fn *info;
};

#define ACL_NCATS 21
extern const char *const fr__acl_cat_names[ACL_NCATS];

/* acl_user.c */
acl_sel *fr__acl_sel_new(fr_acl *a);
void fr__acl_sel_free(acl_sel *s);
/* +@all (allow) or -@all */
void fr__acl_sel_all(fr_acl *a, acl_sel *s, int allow);
/* +@cat or -@cat */
void fr__acl_sel_category(fr_acl *a, acl_sel *s, int cat, int allow);
/* +cmd or -cmd by table index; a container takes its subcommands along */
void fr__acl_sel_perm(fr_acl *a, acl_sel *s, size_t i, int allow);
fr_acl_user *fr__acl_user_new(fr_acl *a, const char *name, size_t len);
void fr__acl_user_free(fr_acl *a, fr_acl_user *u);
fr_acl_user *fr__acl_user_dup(fr_acl *a, const fr_acl_user *u);
fr_acl_user *fr__acl_find(fr_acl *a, const char *name, size_t len);
/* Apply one rule; 0, or -1 with *err set to Redis' reason text. */
int fr__acl_user_op(fr_acl *a, fr_acl_user *u, const char *op, size_t len, const char **err);
void fr__acl_user_refresh(fr_acl *a, fr_acl_user *u);

/* acl_describe.c: the texts of ACL LIST ("user NAME " + describe) and
 * of GETUSER's commands, keys and channels fields */
void fr__acl_user_describe(fr_acl *a, const fr_acl_user *u, fr_buf *out);
void fr__acl_sel_describe_cmds(fr_acl *a, const acl_sel *s, fr_buf *out);
void fr__acl_sel_describe_keys(const acl_sel *s, fr_buf *out);
void fr__acl_sel_describe_chans(const acl_sel *s, fr_buf *out);
int fr__acl_cat_by_name(const char *name, size_t len);
/* Whether Redis 7.0 would list the command in its categories: not a
 * FAKE.* control command, nor one of the later versions' commands the
 * fake accepts (CLIENT SETINFO). */
int fr__acl_listed(const fr_cmd *cmd);

/* acl_keys.c */
/* Whether the selector's patterns allow key for need (ACL_READ/WRITE). */
int fr__acl_key_ok(const acl_sel *s, const fr_arg *key, int need);
/* A command's keys (fr__command_keys of argv) against the selector:
 * ACL_OK, or ACL_DENIED_KEY with *idx the refused key's argument index. */
int fr__acl_sel_keys(const acl_sel *s, const fr_keylist *keys, const fr_arg *argv, int *idx);

/* acl_check.c */
/* The check of cmd with argv for u: ACL_OK or a denial, with *idx the
 * argument index of the key or channel refused. */
int fr__acl_check(fr_acl *a, const fr_acl_user *u, const fr_cmd *cmd, int argc, const fr_arg *argv,
                  int *idx);

/* acl_log.c */
/* Where a refusal happened, as ACL LOG's context says. */
enum { ACL_CTX_TOPLEVEL, ACL_CTX_MULTI, ACL_CTX_LUA };
/* Log a refusal of c (whose CLIENT INFO the entry keeps) in context ctx. */
void fr__acl_log_add(fr_acl *a, fr_conn *c, int ctx, int reason, const char *object, size_t olen,
                     const char *user, size_t ulen);
void fr__acl_log_free(fr_acl *a);

#endif
