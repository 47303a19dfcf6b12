/* Finding a command's keys in its arguments, as Redis does: the key specs
 * first (begin_search: index or keyword; find_keys: range or keynum), and
 * a command's own rule where its specs cannot tell: flags that depend on
 * the arguments (SET, BITFIELD), keys Redis marks unknown or incomplete
 * (SORT, MIGRATE), or specs these arguments make invalid (GEORADIUS with a
 * trailing STORE). Every other command whose specs fail for the given
 * arguments has no keys, as Redis' own rules then find none. */
#include "cmdmeta.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "command.h"

static const char *const ks_names[] = {
    "RO",     "RW",     "OW",      "RM",         "access",        "update",
    "insert", "delete", "not_key", "incomplete", "variable_flags"};

void fr__ks_flag_names(uint32_t flags, char *buf, size_t len)
{
    size_t used = 0;
    if (len)
        buf[0] = '\0';
    for (size_t i = 0; i < sizeof ks_names / sizeof ks_names[0]; i++) {
        if (!(flags & (1u << i)))
            continue;
        size_t wl = strlen(ks_names[i]);
        if (used + wl + 2 > len)
            break;
        if (used)
            buf[used++] = ' ';
        memcpy(buf + used, ks_names[i], wl + 1);
        used += wl;
    }
}

void fr__keys_init(fr_keylist *k)
{
    k->n = 0;
    k->cap = (int)(sizeof k->inline_v / sizeof k->inline_v[0]);
    k->v = k->inline_v;
}

void fr__keys_free(fr_keylist *k)
{
    if (k->v != k->inline_v)
        free(k->v);
    fr__keys_init(k);
}

static void keys_add(fr_keylist *k, int pos, uint32_t flags)
{
    if (k->n == k->cap) {
        int cap = k->cap * 2;
        fr_keyref *v = fr__xmalloc((size_t)cap * sizeof *v);
        memcpy(v, k->v, (size_t)k->n * sizeof *v);
        if (k->v != k->inline_v)
            free(k->v);
        k->v = v;
        k->cap = cap;
    }
    k->v[k->n].pos = pos;
    k->v[k->n].flags = flags;
    k->n++;
}

static int arg_is(const fr_arg *a, const char *word)
{
    size_t n = strlen(word);
    return a->len == n && !strncasecmp(a->p, word, n);
}

/* A whole signed decimal number, as Redis' string2ll takes it. */
static int arg_ll(const fr_arg *a, long long *out)
{
    if (a->len == 0 || a->len > 20)
        return 0;
    char tmp[24];
    memcpy(tmp, a->p, a->len);
    tmp[a->len] = '\0';
    if (!(tmp[0] == '-' || (tmp[0] >= '0' && tmp[0] <= '9')) || (tmp[0] == '0' && a->len > 1) ||
        (tmp[0] == '-' && !(tmp[1] >= '1' && tmp[1] <= '9')))
        return 0;
    char *end;
    long long v = strtoll(tmp, &end, 10);
    if (*end || end == tmp)
        return 0;
    *out = v;
    return 1;
}

/* One spec's keys; 0 when they are found or the spec does not apply to
 * these arguments (its keyword is absent), -1 when it cannot tell. */
static int spec_keys(const fr_cmd_meta *m, const fr_keyspec *s, int argc, const fr_arg *argv,
                     fr_keylist *out)
{
    int first = 0, last, step;
    if (s->bs == FR_BS_INDEX) {
        first = s->index;
    } else if (s->bs == FR_BS_KEYWORD) {
        /* forward from startfrom to the one before last (a keyword last
         * has no key after it), or backward from argc+startfrom to 1 */
        int fwd = s->index > 0;
        int start = fwd ? s->index : argc + s->index;
        int end = fwd ? argc - 1 : 0; /* exclusive */
        for (int i = start; i != end; i += fwd ? 1 : -1) {
            if (i >= argc || i < 1)
                break;
            if (arg_is(&argv[i], s->keyword)) {
                first = i + 1;
                break;
            }
        }
        if (!first)
            return 0;
    } else {
        return -1;
    }
    if (s->fk == FR_FK_RANGE) {
        if (s->a >= 0)
            last = first + s->a;
        else if (!s->c)
            last = argc + s->a;
        else
            last = first + ((argc - first) / s->c + s->a);
        step = s->b;
    } else if (s->fk == FR_FK_KEYNUM) {
        long long nk;
        if (first + s->a >= argc || !arg_ll(&argv[first + s->a], &nk) || nk < 0)
            return -1;
        first += s->b;
        /* Redis takes the count as an int: 2^32+1 keys are 1 */
        last = first + (int)(int32_t)(uint32_t)(unsigned long long)nk - 1;
        step = s->c;
    } else {
        return -1;
    }
    if (last >= argc || last < first || first >= argc)
        return -1;
    for (int i = first; i <= last; i += step) {
        if (i >= argc || i < first) {
            if (m->arity < 0)
                continue;
            return -1;
        }
        keys_add(out, i, s->flags);
    }
    return (s->flags & FR_KS_INCOMPLETE) ? -1 : 0;
}

static int from_specs(const fr_cmd_meta *m, int argc, const fr_arg *argv, fr_keylist *out)
{
    for (int i = 0; i < m->nspecs; i++) {
        if (m->specs[i].flags & FR_KS_NOT_KEY)
            continue; /* a channel (SPUBLISH), not a key */
        if (spec_keys(m, &m->specs[i], argc, argv, out) < 0) {
            out->n = 0;
            return -1;
        }
    }
    return out->n;
}

/* ---- the commands' own rules ---- */

static int keys_set(int argc, const fr_arg *argv, fr_keylist *out)
{
    uint32_t f = FR_KS_OW | FR_KS_UPDATE;
    for (int i = 3; i < argc; i++)
        if (arg_is(&argv[i], "get"))
            f = FR_KS_RW | FR_KS_ACCESS | FR_KS_UPDATE;
    keys_add(out, 1, f);
    return 1;
}

/* Read-only unless a SET or INCRBY (or anything it does not understand)
 * comes before the end. */
static int keys_bitfield(int argc, const fr_arg *argv, fr_keylist *out)
{
    int ro = 1;
    for (int i = 2; i < argc && ro; i++) {
        int rem = argc - i - 1;
        if (arg_is(&argv[i], "get") && rem >= 2)
            i += 2;
        else if (arg_is(&argv[i], "overflow") && rem >= 1)
            i += 1;
        else
            ro = 0; /* SET, INCRBY or a syntax error: assume it writes */
    }
    keys_add(out, 1, ro ? FR_KS_RO | FR_KS_ACCESS : FR_KS_RW | FR_KS_ACCESS | FR_KS_UPDATE);
    return 1;
}

/* The sorted key, and the target of the last STORE; LIMIT, GET and BY
 * skip their arguments, STORE does not (STORE STORE x stores to x). */
static int keys_sort(int argc, const fr_arg *argv, fr_keylist *out, int ro)
{
    int store = 0;
    for (int i = 2; i < argc && !ro; i++) {
        if (arg_is(&argv[i], "limit"))
            i += 2;
        else if (arg_is(&argv[i], "get") || arg_is(&argv[i], "by"))
            i += 1;
        else if (arg_is(&argv[i], "store") && i + 1 < argc)
            store = i + 1; /* its argument is looked at again, as Redis does */
    }
    keys_add(out, 1, FR_KS_RO | FR_KS_ACCESS);
    if (store)
        keys_add(out, store, FR_KS_OW | FR_KS_UPDATE);
    return out->n;
}

/* The key at 3, or (with it empty) the ones after KEYS. */
static int keys_migrate(int argc, const fr_arg *argv, fr_keylist *out)
{
    const uint32_t f = FR_KS_RW | FR_KS_ACCESS | FR_KS_DELETE;
    int first = 3, num = 1;
    for (int i = 6; i < argc; i++) {
        if (arg_is(&argv[i], "auth")) {
            i += 1;
        } else if (arg_is(&argv[i], "auth2")) {
            i += 2;
        } else if (arg_is(&argv[i], "keys") && i + 1 < argc) {
            if (argv[3].len > 0)
                return 0;
            first = i + 1;
            num = argc - first;
            break;
        }
    }
    for (int i = 0; i < num && first + i < argc; i++)
        keys_add(out, first + i, f);
    return out->n;
}

/* The source, and the last STORE or STOREDIST target that has a value. */
static int keys_georadius(int argc, const fr_arg *argv, fr_keylist *out)
{
    int store = 0;
    for (int i = 5; i < argc; i++) {
        if ((arg_is(&argv[i], "store") || arg_is(&argv[i], "storedist")) && i + 1 < argc)
            store = ++i;
    }
    keys_add(out, 1, FR_KS_RO | FR_KS_ACCESS);
    if (store)
        keys_add(out, store, FR_KS_OW | FR_KS_UPDATE);
    return out->n;
}

/* The commands that give a count of keys, where their specs fail (a count
 * that is not a plain number): the count as atoi reads it ("01", "1x"),
 * at least 1 and no more than the arguments after it; the keys come
 * without flags, a destination after the others. */
static const struct keynum_rule {
    const char *name;
    int numidx; /* where the count is */
    int dest;   /* 1: a destination key at 1 */
} keynum_rules[] = {{"zunionstore", 2, 1}, {"zinterstore", 2, 1}, {"zdiffstore", 2, 1},
                    {"zunion", 1, 0},      {"zinter", 1, 0},      {"zdiff", 1, 0},
                    {"zintercard", 1, 0},  {"sintercard", 1, 0},  {"lmpop", 1, 0},
                    {"zmpop", 1, 0},       {"blmpop", 2, 0},      {"bzmpop", 2, 0},
                    {"eval", 2, 0},        {"evalsha", 2, 0},     {"eval_ro", 2, 0},
                    {"evalsha_ro", 2, 0},  {"fcall", 2, 0},       {"fcall_ro", 2, 0}};

static const struct keynum_rule *keynum_rule_of(const char *name)
{
    for (size_t i = 0; i < sizeof keynum_rules / sizeof keynum_rules[0]; i++)
        if (!strcmp(name, keynum_rules[i].name))
            return &keynum_rules[i];
    return NULL;
}

static int keys_keynum(const struct keynum_rule *r, int argc, const fr_arg *argv, fr_keylist *out)
{
    if (r->numidx >= argc)
        return 0;
    char tmp[32];
    size_t len = argv[r->numidx].len < sizeof tmp - 1 ? argv[r->numidx].len : sizeof tmp - 1;
    memcpy(tmp, argv[r->numidx].p, len);
    tmp[len] = '\0';
    int num = (int)(int32_t)(uint32_t)(unsigned long)strtol(tmp, NULL, 10); /* atoi */
    if (num < 1 || num > argc - r->numidx - 1)
        return 0;
    for (int i = 0; i < num; i++)
        keys_add(out, r->numidx + 1 + i, 0);
    if (r->dest)
        keys_add(out, 1, 0);
    return out->n;
}

/* XREAD and XREADGROUP where the spec fails: STREAMS found by walking
 * the options (BLOCK and COUNT take one argument, GROUP two, NOACK none;
 * anything else ends the walk), then half of what follows, without
 * flags. */
static int keys_xread(int argc, const fr_arg *argv, fr_keylist *out)
{
    int pos = -1;
    for (int i = 1; i < argc; i++) {
        if (arg_is(&argv[i], "block") || arg_is(&argv[i], "count")) {
            i++;
        } else if (arg_is(&argv[i], "group")) {
            i += 2;
        } else if (arg_is(&argv[i], "streams")) {
            pos = i;
            break;
        } else if (!arg_is(&argv[i], "noack")) {
            break;
        }
    }
    int num = argc - pos - 1;
    if (pos < 0 || num == 0 || num % 2)
        return 0;
    for (int i = 0; i < num / 2; i++)
        keys_add(out, pos + 1 + i, 0);
    return out->n;
}

static int own_rule(const char *name, int argc, const fr_arg *argv, fr_keylist *out)
{
    if (argc < 2)
        return -1;
    const struct keynum_rule *kr = keynum_rule_of(name);
    if (kr)
        return keys_keynum(kr, argc, argv, out);
    if (!strcmp(name, "xread") || !strcmp(name, "xreadgroup"))
        return keys_xread(argc, argv, out);
    if (!strcmp(name, "set"))
        return keys_set(argc, argv, out);
    if (!strcmp(name, "bitfield"))
        return keys_bitfield(argc, argv, out);
    if (!strcmp(name, "sort") || !strcmp(name, "sort_ro"))
        return keys_sort(argc, argv, out, name[4] == '_');
    if (!strcmp(name, "migrate"))
        return argc > 5 ? keys_migrate(argc, argv, out) : -1;
    if (!strcmp(name, "georadius") || !strcmp(name, "georadiusbymember"))
        return keys_georadius(argc, argv, out);
    return -1;
}

static int has_own_rule(const char *name)
{
    static const char *const names[] = {
        "set", "bitfield", "sort", "sort_ro", "migrate", "georadius", "georadiusbymember"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(name, names[i]))
            return 1;
    return 0;
}

static uint32_t all_spec_flags(const fr_cmd_meta *m, int inverted)
{
    uint32_t f = 0;
    for (int i = 0; i < m->nspecs; i++)
        f |= inverted ? ~m->specs[i].flags : m->specs[i].flags;
    return f;
}

int fr__command_has_keys(const fr_cmd_index *ix, const fr_cmd *cmd)
{
    const fr_cmd_meta *m = fr__cmd_meta(ix, cmd);
    if (!m)
        return cmd->first_key > 0;
    return strstr(m->flags, "movablekeys") || has_own_rule(m->name) ||
           (all_spec_flags(m, 1) & FR_KS_NOT_KEY);
}

/* The fake's own commands, which Redis does not know: the table's
 * first/last/step. */
static int legacy_keys(const fr_cmd *cmd, int argc, fr_keylist *out)
{
    if (cmd->first_key <= 0)
        return 0;
    int last = cmd->last_key < 0 ? argc + cmd->last_key : cmd->last_key;
    int step = cmd->key_step > 0 ? cmd->key_step : 1;
    for (int i = cmd->first_key; i <= last && i < argc; i += step)
        keys_add(out, i,
                 (cmd->flags & FR_CMD_WRITE) ? FR_KS_RW | FR_KS_UPDATE : FR_KS_RO | FR_KS_ACCESS);
    return out->n;
}

int fr__command_keys(const fr_cmd_index *ix, const fr_cmd *cmd, int argc, const fr_arg *argv,
                     fr_keylist *out)
{
    out->n = 0;
    const fr_cmd_meta *m = fr__cmd_meta(ix, cmd);
    if (!m)
        return legacy_keys(cmd, argc, out);
    int has_spec = (all_spec_flags(m, 1) & FR_KS_NOT_KEY) != 0;
    int varflags = (all_spec_flags(m, 0) & FR_KS_VARIABLE_FLAGS) != 0;
    if (has_spec && !varflags) {
        int r = from_specs(m, argc, argv, out);
        if (r >= 0)
            return r;
    }
    int r = own_rule(m->name, argc, argv, out);
    if (r < 0)
        out->n = 0;
    return out->n;
}
