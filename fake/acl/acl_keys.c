/* Which keys a command uses and what it does with them, for the ACL
 * check: positions from the command table (first, last, step), the keys
 * counted by a numkeys argument or following STREAMS, SORT's STORE; read
 * or write as Redis 7.0's key specs say. */
#include <string.h>

#include "acl_private.h"

/* What a command does with its keys, as Redis 7.0's key specs say
 * (ACCESS asks for read permission; INSERT, DELETE, UPDATE for write).
 * Without an entry: a read-only command reads, any other reads and
 * writes. These only write: */
static const char *const write_only[] = {"append",
                                         "del",
                                         "expire",
                                         "expireat",
                                         "geoadd",
                                         "hdel",
                                         "hmset",
                                         "hset",
                                         "hsetnx",
                                         "linsert",
                                         "lpush",
                                         "lpushx",
                                         "lrem",
                                         "lset",
                                         "ltrim",
                                         "mset",
                                         "msetnx",
                                         "persist",
                                         "pexpire",
                                         "pexpireat",
                                         "pfadd",
                                         "psetex",
                                         "restore",
                                         "restore-asking",
                                         "rpush",
                                         "rpushx",
                                         "sadd",
                                         "setex",
                                         "setnx",
                                         "setrange",
                                         "srem",
                                         "unlink",
                                         "xack",
                                         "xadd",
                                         "xautoclaim",
                                         "xclaim",
                                         "xdel",
                                         "xgroup|create",
                                         "xgroup|createconsumer",
                                         "xgroup|delconsumer",
                                         "xgroup|destroy",
                                         "xgroup|setid",
                                         "xsetid",
                                         "xtrim",
                                         "zadd",
                                         "zrem",
                                         "zremrangebylex",
                                         "zremrangebyrank",
                                         "zremrangebyscore",
                                         NULL};
/* ...these touch no value (any pattern allows them)... */
static const char *const no_access[] = {"exists",
                                        "hexists",
                                        "hlen",
                                        "hstrlen",
                                        "llen",
                                        "memory|usage",
                                        "object|encoding",
                                        "object|freq",
                                        "object|idletime",
                                        "object|refcount",
                                        "scard",
                                        "sismember",
                                        "strlen",
                                        "touch",
                                        "type",
                                        "watch",
                                        "xlen",
                                        "zcard",
                                        NULL};
/* ...and these write commands only read their keys. */
static const char *const read_only[] = {"xreadgroup", "sort", NULL};

static int in_list(const char *const *l, const char *name)
{
    for (; *l; l++)
        if (!strcmp(*l, name))
            return 1;
    return 0;
}

/* Commands whose first key is used otherwise than the others (a
 * destination and its sources). */
static const struct {
    const char *name;
    int first, rest;
} two_kinds[] = {{"zinterstore", ACL_WRITE, ACL_READ}, {"zunionstore", ACL_WRITE, ACL_READ},
                 {"zdiffstore", ACL_WRITE, ACL_READ},  {"zrangestore", ACL_WRITE, ACL_READ},
                 {"sinterstore", ACL_WRITE, ACL_READ}, {"sunionstore", ACL_WRITE, ACL_READ},
                 {"sdiffstore", ACL_WRITE, ACL_READ},  {"geosearchstore", ACL_WRITE, ACL_READ},
                 {"bitop", ACL_WRITE, ACL_READ},       {"copy", ACL_READ, ACL_WRITE},
                 {"rename", ACL_RW, ACL_WRITE},        {"renamenx", ACL_RW, ACL_WRITE},
                 {"rpoplpush", ACL_RW, ACL_WRITE},     {"brpoplpush", ACL_RW, ACL_WRITE},
                 {"lmove", ACL_RW, ACL_WRITE},         {"blmove", ACL_RW, ACL_WRITE},
                 {"smove", ACL_RW, ACL_WRITE},         {"pfmerge", ACL_RW, ACL_READ}};

/* The permission the ord-th key (from 0) of the command needs. */
static int key_need(const fr_cmd *cmd, int argc, const fr_arg *argv, int ord)
{
    for (size_t i = 0; i < sizeof two_kinds / sizeof two_kinds[0]; i++)
        if (!strcmp(two_kinds[i].name, cmd->name))
            return ord ? two_kinds[i].rest : two_kinds[i].first;
    if (in_list(write_only, cmd->name))
        return ACL_WRITE;
    if (in_list(no_access, cmd->name))
        return 0;
    if (in_list(read_only, cmd->name) || (cmd->flags & FR_CMD_READONLY))
        return ACL_READ;
    if (!strcmp(cmd->name, "set")) { /* SET reads only with GET */
        for (int i = 3; i < argc; i++)
            if (fr__arg_is(&argv[i], "get"))
                return ACL_RW;
        return ACL_WRITE;
    }
    return ACL_RW;
}

/* Keys counted by a numkeys argument at argv[at], following it; for the
 * commands whose table entry has no fixed key positions (or only the
 * destination). Returns the count of keys from *first, 0 if none. */
static int numkeys_range(const fr_cmd *cmd, int argc, const fr_arg *argv, int *first)
{
    static const struct {
        const char *name;
        int at;
    } forms[] = {{"lmpop", 1},  {"zmpop", 1},       {"sintercard", 1},  {"zunion", 1},
                 {"zinter", 1}, {"zdiff", 1},       {"zintercard", 1},  {"blmpop", 2},
                 {"bzmpop", 2}, {"zunionstore", 2}, {"zinterstore", 2}, {"zdiffstore", 2},
                 {"eval", 2},   {"evalsha", 2},     {"eval_ro", 2},     {"evalsha_ro", 2},
                 {"fcall", 2},  {"fcall_ro", 2}};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        if (strcmp(forms[i].name, cmd->name) != 0)
            continue;
        long long n;
        int at = forms[i].at;
        if (at >= argc || !fr__str2ll(argv[at].p, argv[at].len, &n) || n <= 0)
            return 0;
        *first = at + 1;
        return n > argc - at - 1 ? 0 : (int)n; /* Redis finds no keys then */
    }
    if (!strcmp(cmd->name, "xread") || !strcmp(cmd->name, "xreadgroup")) {
        for (int i = 1; i < argc; i++) {
            if (fr__arg_is(&argv[i], "streams")) {
                *first = i + 1;
                return (argc - i - 1) / 2;
            }
        }
    }
    return 0;
}

int fr__acl_key_ok(const acl_sel *s, const fr_arg *key, int need)
{
    if (s->flags & SEL_ALLKEYS)
        return 1;
    for (size_t i = 0; i < s->nkeys; i++) {
        const acl_pat *p = &s->keys[i];
        if ((p->flags & need) == need && fr__glob_match(p->s, p->len, key->p, key->len, 0))
            return 1;
    }
    return 0;
}

int fr__acl_sel_keys(const acl_sel *s, const fr_cmd *cmd, int argc, const fr_arg *argv, int *idx)
{
    if (s->flags & SEL_ALLKEYS)
        return ACL_OK;
    int ord = 0; /* keys seen */
    /* a pub/sub command's "keys" are channels (the shard ones' slots) */
    if (cmd->first_key > 0 && !(cmd->flags & FR_CMD_PUBSUB)) {
        int last = cmd->last_key < 0 ? argc + cmd->last_key : cmd->last_key;
        int step = cmd->key_step > 0 ? cmd->key_step : 1;
        for (int i = cmd->first_key; i <= last && i < argc; i += step, ord++) {
            if (!fr__acl_key_ok(s, &argv[i], key_need(cmd, argc, argv, ord))) {
                *idx = i;
                return ACL_DENIED_KEY;
            }
        }
    }
    int from = 0, nk = numkeys_range(cmd, argc, argv, &from);
    for (int i = from; i < from + nk; i++, ord++) {
        if (!fr__acl_key_ok(s, &argv[i], key_need(cmd, argc, argv, ord))) {
            *idx = i;
            return ACL_DENIED_KEY;
        }
    }
    /* SORT ... STORE dest: the destination is written */
    for (int i = 2; !strcmp(cmd->name, "sort") && i + 1 < argc; i++) {
        if (fr__arg_is(&argv[i], "store") && !fr__acl_key_ok(s, &argv[++i], ACL_WRITE)) {
            *idx = i;
            return ACL_DENIED_KEY;
        }
    }
    return ACL_OK;
}
