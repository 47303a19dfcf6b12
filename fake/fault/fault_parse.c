/* The one parser of the fault rule text form, and its printer.
 *
 * A rule is words separated by blanks; a word is key=value or a bare
 * limit (once, forever). A value may be double-quoted (\" and \\ inside).
 * Every error names the word it is about, by position and text, so a
 * rule that does not parse is never half-applied or silently ignored.
 * The grammar is documented in include/fakeredis/fault.h and README.md. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fault_engine.h"

enum key {
    K_ON,
    K_CMD,
    K_KEY,
    K_CHANNEL,
    K_ARG,
    K_CLIENT,
    K_ID,
    K_ADDR,
    K_NTH,
    K_AFTER_CMDS,
    K_AFTER_BYTES,
    K_PROB,
    K_SEED,
    K_ACTION,
    K_WHEN,
    K_MS,
    K_JITTER,
    K_SIZE,
    K_GAP,
    K_BPS,
    K_AT,
    K_THEN,
    K_HOW,
    K_POS,
    K_BYTE,
    K_ERR,
    K_TEXT,
    K_TIMES,
    K_FOR,
    K_SCRIPT,
    K_NKEYS
};

static const char *const key_names[K_NKEYS] = {
    "on",     "cmd",        "key",         "channel", "arg",  "client", "id",   "addr",
    "nth",    "after-cmds", "after-bytes", "prob",    "seed", "action", "when", "ms",
    "jitter", "size",       "gap",         "bps",     "at",   "then",   "how",  "pos",
    "byte",   "err",        "text",        "times",   "for",    "script",
};

static const char *const action_names[] = {
    "none",  "error", "drop",    "stall", "close",  "reset", "halfclose", "delay",
    "slice", "cut",   "corrupt", "dup",   "insert", "rate",  "hang",      "refuse",
};
#define NACTIONS (sizeof action_names / sizeof action_names[0])

static const char *const on_names[] = {"command", "accept", "push", "read"};

#define A(x) (1u << (x))
/* The parameters each action takes. */
static unsigned key_actions(int k)
{
    switch (k) {
    case K_MS:
    case K_JITTER:
        return A(FR_FAULT_DELAY);
    case K_SIZE:
    case K_GAP:
        return A(FR_FAULT_SLICE);
    case K_BPS:
        return A(FR_FAULT_RATE);
    case K_AT:
    case K_THEN:
        return A(FR_FAULT_CUT);
    case K_HOW:
    case K_POS:
    case K_BYTE:
        return A(FR_FAULT_CORRUPT);
    case K_ERR:
        return A(FR_FAULT_ERROR);
    case K_TEXT:
        return A(FR_FAULT_INSERT);
    case K_WHEN:
        return A(FR_FAULT_ERROR) | A(FR_FAULT_DROP) | A(FR_FAULT_CLOSE) | A(FR_FAULT_RESET) |
               A(FR_FAULT_HALFCLOSE) | A(FR_FAULT_DELAY);
    default:
        return ~0u;
    }
}

/* Actions and match keys each kind of rule accepts. */
static unsigned on_actions(fr_fault_on on)
{
    switch (on) {
    case FR_FAULT_ON_ACCEPT:
        return A(FR_FAULT_CLOSE) | A(FR_FAULT_RESET) | A(FR_FAULT_HANG) | A(FR_FAULT_DELAY) |
               A(FR_FAULT_ERROR) | A(FR_FAULT_REFUSE);
    case FR_FAULT_ON_READ:
        return A(FR_FAULT_CLOSE) | A(FR_FAULT_RESET) | A(FR_FAULT_HALFCLOSE) | A(FR_FAULT_STALL) |
               A(FR_FAULT_DELAY);
    case FR_FAULT_ON_PUSH:
        return ~(A(FR_FAULT_HANG) | A(FR_FAULT_STALL) | A(FR_FAULT_NONE) | A(FR_FAULT_REFUSE));
    default:
        return ~(A(FR_FAULT_HANG) | A(FR_FAULT_NONE) | A(FR_FAULT_REFUSE));
    }
}

static int on_allows_key(fr_fault_on on, int k)
{
    switch (on) {
    case FR_FAULT_ON_ACCEPT:
        return k != K_CMD && k != K_KEY && k != K_CHANNEL && k != K_ARG && k != K_CLIENT &&
               k != K_ID && k != K_AFTER_CMDS && k != K_AFTER_BYTES && k != K_WHEN &&
               k != K_SCRIPT;
    case FR_FAULT_ON_READ:
        return k != K_CMD && k != K_KEY && k != K_CHANNEL && k != K_ARG && k != K_AFTER_CMDS &&
               k != K_WHEN && k != K_SCRIPT;
    case FR_FAULT_ON_PUSH:
        return k != K_KEY && k != K_AFTER_CMDS && k != K_AFTER_BYTES && k != K_SCRIPT;
    default:
        return 1;
    }
}

/* ---- error texts of the presets (Redis 7.0's own) ---------------------- */

static const struct {
    const char *name, *text;
} presets[] = {
    {"loading", "LOADING Redis is loading the dataset in memory"},
    {"readonly", "READONLY You can't write against a read only replica."},
    {"busy", "BUSY Redis is busy running a script. You can only call SCRIPT KILL or "
             "SHUTDOWN NOSAVE."},
    {"masterdown", "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set "
                   "to 'no'."},
    {"tryagain", "TRYAGAIN Multiple keys request during rehashing of slot"},
    {"oom", "OOM command not allowed when used memory > 'maxmemory'."},
    {"noreplicas", "NOREPLICAS Not enough good replicas to write."},
    {"misconf", "MISCONF Redis is configured to save RDB snapshots, but it's currently "
                "unable to persist to disk. Commands that may modify the data set are "
                "disabled, because this instance is configured to report errors during "
                "writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). "
                "Please check the Redis logs for details about the RDB error."},
    {"clusterdown", "CLUSTERDOWN The cluster is down"},
};

const char *fr__fault_err_text(const char *err)
{
    if (!err || !*err)
        return "ERR injected fault";
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
        if (!strcasecmp(err, presets[i].name))
            return presets[i].text;
    return err[0] == '-' ? err + 1 : err;
}

/* ---- values ------------------------------------------------------------ */

static int parse_u64(const char *s, uint64_t *out)
{
    if (!isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || errno)
        return -1;
    *out = v;
    return 0;
}

int fr__fault_parse_ms(const char *s, int64_t *out)
{
    if (!isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    long long mul = 1;
    if (!strcmp(end, "s"))
        mul = 1000;
    else if (*end && strcmp(end, "ms") != 0)
        return -1;
    /* One bound in milliseconds whatever the unit, so a rule's canonical
     * form (always in ms) parses wherever its input did; and small enough
     * that the engine may add a duration, a jitter and a clock reading
     * without overflowing. */
    if (errno == ERANGE || v > FR_FAULT_MAX_MS / mul)
        return -2;
    if (errno || v < 0)
        return -1;
    *out = (int64_t)(v * mul);
    return 0;
}

static int parse_pos(const char *s, fr_fault_pos *out)
{
    if (!strcasecmp(s, "half")) {
        out->kind = FR_FAULT_POS_HALF;
        out->n = 0;
        return 0;
    }
    if (!strcasecmp(s, "last")) {
        out->kind = FR_FAULT_POS_LAST;
        out->n = 0;
        return 0;
    }
    if (!strncasecmp(s, "frame:", 6)) {
        out->kind = FR_FAULT_POS_FRAME;
        return parse_u64(s + 6, &out->n);
    }
    if (!strncasecmp(s, "elem:", 5)) {
        out->kind = FR_FAULT_POS_ELEM;
        return parse_u64(s + 5, &out->n) < 0 || out->n == 0 ? -1 : 0;
    }
    out->kind = FR_FAULT_POS_BYTE;
    return parse_u64(s, &out->n);
}

static int lookup(const char *s, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcasecmp(s, names[i]))
            return (int)i;
    return -1;
}

static int parse_action(const char *s)
{
    int a = lookup(s, action_names, NACTIONS);
    return a > 0 ? a : -1;
}

/* ---- the word parser ---------------------------------------------------- */

typedef struct pstate {
    fr_fault_spec *out;
    char **words;
    size_t nwords;
    size_t at[K_NKEYS]; /* 1-based word index that set each key; 0: unset */
    char *err;
    size_t cap;
} pstate;

static int fail(pstate *ps, size_t word, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(pstate *ps, size_t word, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!ps->cap)
        return -1;
    if (word)
        snprintf(ps->err, ps->cap, "word %zu '%.100s': %s", word, ps->words[word - 1], msg);
    else
        snprintf(ps->err, ps->cap, "%s", msg);
    return -1;
}

static int bad_string(const char *v)
{
    for (; *v; v++)
        if (*v == '\r' || *v == '\n')
            return 1;
    return 0;
}

/* Keep a string value: the spec owns it. */
static const char *keep(pstate *ps, int slot, const char *v)
{
    free(ps->out->strings[slot]);
    ps->out->strings[slot] = fr__xstrdup(v);
    return ps->out->strings[slot];
}

static int set_word(pstate *ps, size_t wi, const char *w)
{
    fr_fault_rule *r = &ps->out->r;
    const char *eq = strchr(w, '=');
    char key[32];
    size_t kl = eq ? (size_t)(eq - w) : strlen(w);
    if (kl == 0 || kl >= sizeof key)
        return fail(ps, wi, "expected key=value");
    memcpy(key, w, kl);
    key[kl] = '\0';
    const char *v = eq ? eq + 1 : NULL;

    int k;
    if (!strcasecmp(key, "once") || !strcasecmp(key, "forever")) {
        if (v)
            return fail(ps, wi, "'%s' takes no value", key);
        k = K_TIMES;
    } else {
        k = lookup(key, key_names, K_NKEYS);
        if (k < 0)
            return fail(ps, wi, "unknown key '%s'", key);
        if (!v)
            return fail(ps, wi, "'%s' needs a value (%s=...)", key, key);
    }
    if (ps->at[k])
        return fail(ps, wi, "'%s' given twice (also word %zu)", key_names[k], ps->at[k]);
    ps->at[k] = wi;
    if (v && !*v && k != K_TEXT && k != K_ERR)
        return fail(ps, wi, "empty value");
    if (v && bad_string(v))
        return fail(ps, wi, "values cannot hold CR or LF");

    uint64_t u;
    int64_t ms;
    int i;
    switch (k) {
    case K_ON:
        if ((i = lookup(v, on_names, 4)) < 0)
            return fail(ps, wi, "expected command, accept, push or read");
        r->on = (fr_fault_on)i;
        break;
    case K_CMD:
        r->cmd = keep(ps, 0, v);
        break;
    case K_KEY:
        r->key = keep(ps, 1, v);
        break;
    case K_CHANNEL:
        r->channel = keep(ps, 2, v);
        break;
    case K_ARG:
        r->arg = keep(ps, 3, v);
        break;
    case K_CLIENT:
        r->client = keep(ps, 4, v);
        break;
    case K_ADDR:
        r->addr = keep(ps, 5, v);
        break;
    case K_ERR:
        r->err = keep(ps, 6, v);
        break;
    case K_TEXT:
        r->text = keep(ps, 7, v);
        break;
    case K_SCRIPT:
        r->script = keep(ps, 8, v);
        break;
    case K_ID:
    case K_NTH:
    case K_SIZE:
    case K_BPS:
        if (parse_u64(v, &u) < 0 || u == 0)
            return fail(ps, wi, "expected a positive integer");
        if (k == K_ID)
            r->client_id = u;
        else if (k == K_NTH)
            r->nth = u;
        else if (k == K_SIZE)
            r->size = u;
        else
            r->bps = u;
        break;
    case K_AFTER_CMDS:
    case K_AFTER_BYTES:
    case K_SEED:
        if (parse_u64(v, &u) < 0)
            return fail(ps, wi, "expected a non-negative integer");
        if (k == K_AFTER_CMDS)
            r->after_cmds = u;
        else if (k == K_AFTER_BYTES)
            r->after_bytes = u;
        else
            r->seed = u;
        break;
    case K_PROB: {
        char *end;
        errno = 0;
        double p = strtod(v, &end);
        if (*end || errno || !(p > 0 && p <= 1))
            return fail(ps, wi, "expected a probability in (0, 1]");
        r->prob = p;
        break;
    }
    case K_ACTION:
        if ((i = parse_action(v)) < 0)
            return fail(ps, wi, "unknown action '%s'", v);
        r->action = (fr_fault_action)i;
        break;
    case K_WHEN:
        if (!strcasecmp(v, "before"))
            r->when = FR_FAULT_BEFORE;
        else if (!strcasecmp(v, "after"))
            r->when = FR_FAULT_AFTER;
        else
            return fail(ps, wi, "expected before or after");
        break;
    case K_MS:
    case K_JITTER:
    case K_GAP:
    case K_FOR:
        if ((i = fr__fault_parse_ms(v, &ms)) == -2)
            return fail(ps, wi, "a duration is at most %lld ms (%llds)", (long long)FR_FAULT_MAX_MS,
                        (long long)FR_FAULT_MAX_MS / 1000);
        if (i < 0)
            return fail(ps, wi, "expected a duration (250, 250ms, 2s)");
        if (k == K_FOR && ms == 0)
            return fail(ps, wi, "expected a duration above 0");
        if (k == K_MS)
            r->ms = ms;
        else if (k == K_JITTER)
            r->jitter_ms = ms;
        else if (k == K_GAP)
            r->gap_ms = ms;
        else
            r->for_ms = ms;
        break;
    case K_AT:
    case K_POS: {
        fr_fault_pos pos;
        if (parse_pos(v, &pos) < 0)
            return fail(ps, wi, "expected N, half, last, frame:K or elem:K");
        if (k == K_AT)
            r->at = pos;
        else
            r->pos = pos;
        break;
    }
    case K_THEN:
        i = parse_action(v);
        if (i != FR_FAULT_STALL && i != FR_FAULT_CLOSE && i != FR_FAULT_RESET &&
            i != FR_FAULT_HALFCLOSE)
            return fail(ps, wi, "expected stall, close, reset or halfclose");
        r->then = (fr_fault_action)i;
        break;
    case K_HOW:
        if (!strcasecmp(v, "flip"))
            r->how = FR_FAULT_FLIP;
        else if (!strcasecmp(v, "replace"))
            r->how = FR_FAULT_REPLACE;
        else if (!strcasecmp(v, "nolf"))
            r->how = FR_FAULT_NOLF;
        else
            return fail(ps, wi, "expected flip, replace or nolf");
        break;
    case K_BYTE:
        if (v[0] && !v[1]) {
            r->byte = (unsigned char)v[0];
        } else if (v[0] == '0' && (v[1] == 'x' || v[1] == 'X') && isxdigit((unsigned char)v[2]) &&
                   (!v[3] || (isxdigit((unsigned char)v[3]) && !v[4]))) {
            r->byte = (int)strtol(v + 2, NULL, 16);
        } else {
            return fail(ps, wi, "expected one character or 0xHH");
        }
        break;
    case K_TIMES:
        if (!strcasecmp(key, "once")) {
            r->times = 1;
        } else if (!strcasecmp(key, "forever")) {
            r->times = 0;
        } else if (!strcasecmp(v, "forever")) {
            r->times = 0;
        } else if (parse_u64(v, &u) < 0 || u == 0) {
            return fail(ps, wi, "expected a positive integer or forever");
        } else {
            r->times = u;
        }
        break;
    }
    return 0;
}

/* The checks that need the whole rule. */
static int validate(pstate *ps)
{
    fr_fault_rule *r = &ps->out->r;
    if (!r->action)
        return fail(ps, 0,
                    "missing action= (error, drop, stall, close, reset, halfclose, "
                    "delay, slice, cut, corrupt, dup, insert, rate, hang, refuse)");
    size_t aw = ps->at[K_ACTION];
    if (r->action == FR_FAULT_REFUSE && r->on != FR_FAULT_ON_ACCEPT)
        return fail(ps, aw,
                    "refuse is for on=accept (the port refuses connects); to end a "
                    "connection use action=close or reset");
    if (r->action == FR_FAULT_REFUSE) {
        /* the kernel refuses the connects: the server never sees them, so
         * nothing can be counted, drawn or matched per connect */
        static const int per_connect[] = {K_NTH, K_PROB, K_SEED, K_ADDR, K_TIMES};
        for (size_t i = 0; i < sizeof per_connect / sizeof per_connect[0]; i++)
            if (ps->at[per_connect[i]] && (per_connect[i] != K_TIMES || r->times))
                return fail(ps, ps->at[per_connect[i]],
                            "action=refuse closes the port: refused connects are never seen, "
                            "so it takes no nth=, prob=, seed=, addr= or times=; bound it "
                            "with for= (accept-then-close is action=close)");
    }
    if (!(on_actions(r->on) & A(r->action)))
        return fail(ps, aw, "not an action for on=%s", on_names[r->on]);
    for (int k = 0; k < K_NKEYS; k++) {
        if (!ps->at[k])
            continue;
        if (!on_allows_key(r->on, k))
            return fail(ps, ps->at[k], "not a key for on=%s", on_names[r->on]);
        if (!(key_actions(k) & A(r->action)))
            return fail(ps, ps->at[k], "not a parameter of action=%s", action_names[r->action]);
    }
    if (r->on == FR_FAULT_ON_READ && !ps->at[K_AFTER_BYTES])
        return fail(ps, ps->at[K_ON], "on=read needs after-bytes=N");
    if (r->action == FR_FAULT_DELAY && !ps->at[K_MS])
        return fail(ps, aw, "action=delay needs ms=");
    if (r->action == FR_FAULT_RATE && !ps->at[K_BPS])
        return fail(ps, aw, "action=rate needs bps=");
    if (r->on == FR_FAULT_ON_PUSH && r->action == FR_FAULT_ERROR && r->when != FR_FAULT_AFTER)
        return fail(ps, aw, "on=push: an error can only replace the push (when=after)");
    if (r->how == FR_FAULT_NOLF && (ps->at[K_POS] || ps->at[K_BYTE]))
        return fail(ps, ps->at[K_POS] ? ps->at[K_POS] : ps->at[K_BYTE],
                    "how=nolf takes no pos= or byte=");
    if (r->how != FR_FAULT_REPLACE && ps->at[K_BYTE])
        return fail(ps, ps->at[K_BYTE], "byte= is for how=replace");
    if (r->action == FR_FAULT_CUT && r->at.kind == FR_FAULT_POS_LAST)
        return fail(ps, ps->at[K_AT], "expected N, half, frame:K or elem:K");
    return 0;
}

static int parse_split(char **words, size_t n, fr_fault_spec *out, char *err, size_t cap)
{
    memset(out, 0, sizeof *out);
    pstate ps;
    memset(&ps, 0, sizeof ps);
    ps.out = out;
    ps.words = words;
    ps.nwords = n;
    ps.err = err;
    ps.cap = cap;
    if (cap)
        err[0] = '\0';
    int rc = 0;
    if (n == 0)
        rc = fail(&ps, 0, "empty rule");
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = set_word(&ps, i + 1, words[i]);
    if (rc == 0)
        rc = validate(&ps);
    if (rc < 0)
        fr__fault_spec_free(out);
    return rc;
}

/* Split text into words (unquoted copies, back to back in *store). */
static int tokenize(const char *text, fr_buf *store, size_t **starts, size_t *n, char *err,
                    size_t cap)
{
    size_t scap = 0;
    const char *p = text;
    *n = 0;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            p++;
        if (!*p)
            return 0;
        if (*n == scap) {
            scap = scap ? scap * 2 : 16;
            *starts = fr__xrealloc(*starts, scap * sizeof **starts);
        }
        (*starts)[(*n)++] = store->len;
        const char *wstart = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
            if (*p != '"') {
                fr__buf_putc(store, *p++);
                continue;
            }
            p++;
            while (*p && *p != '"') {
                if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
                    p++;
                fr__buf_putc(store, *p++);
            }
            if (!*p) {
                if (cap)
                    snprintf(err, cap, "word %zu '%.100s': unterminated quote", *n, wstart);
                return -1;
            }
            p++;
        }
        fr__buf_putc(store, '\0');
    }
}

int fr__fault_parse(const char *text, fr_fault_spec *out, char *err, size_t cap)
{
    memset(out, 0, sizeof *out);
    fr_buf store = {0};
    size_t *starts = NULL, n = 0;
    int rc = tokenize(text ? text : "", &store, &starts, &n, err, cap);
    if (rc == 0) {
        char **words = fr__xcalloc(n ? n : 1, sizeof *words);
        for (size_t i = 0; i < n; i++)
            words[i] = store.p + starts[i];
        rc = parse_split(words, n, out, err, cap);
        free(words);
    }
    free(starts);
    fr__buf_free(&store);
    return rc;
}

int fr__fault_parse_words(const fr_arg *args, size_t n, fr_fault_spec *out, char *err, size_t cap)
{
    char **words = fr__xcalloc(n ? n : 1, sizeof *words);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (memchr(args[i].p, '\0', args[i].len)) {
            if (cap)
                snprintf(err, cap, "word %zu: values cannot hold NUL bytes", i + 1);
            rc = -1;
        }
        words[i] = fr__xmemdup(args[i].p, args[i].len);
    }
    if (rc == 0)
        rc = parse_split(words, n, out, err, cap);
    else
        memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++)
        free(words[i]);
    free(words);
    return rc;
}

void fr__fault_spec_free(fr_fault_spec *s)
{
    for (size_t i = 0; i < sizeof s->strings / sizeof s->strings[0]; i++)
        free(s->strings[i]);
    memset(s, 0, sizeof *s);
}

/* ---- the printer -------------------------------------------------------- */

static void put_str(fr_buf *b, const char *key, const char *v)
{
    if (!v)
        return;
    if (b->len)
        fr__buf_putc(b, ' ');
    fr__buf_puts(b, key);
    fr__buf_putc(b, '=');
    int quote = !*v || strpbrk(v, " \t\"\\") != NULL;
    if (!quote) {
        fr__buf_puts(b, v);
        return;
    }
    fr__buf_putc(b, '"');
    for (; *v; v++) {
        if (*v == '"' || *v == '\\')
            fr__buf_putc(b, '\\');
        fr__buf_putc(b, *v);
    }
    fr__buf_putc(b, '"');
}

static void put_u(fr_buf *b, const char *key, uint64_t v)
{
    if (b->len)
        fr__buf_putc(b, ' ');
    fr__buf_printf(b, "%s=%llu", key, (unsigned long long)v);
}

/* A double in the fewest digits that read back as the same double: 15
 * keep prob=0.1 as it was written, but some values need up to 17, or the
 * canonical form would parse to another rule. */
static void put_double(fr_buf *b, const char *key, double v)
{
    char tmp[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    fr__buf_printf(b, "%s%s=%s", b->len ? " " : "", key, tmp);
}

static void put_pos(fr_buf *b, const char *key, const fr_fault_pos *p)
{
    switch (p->kind) {
    case FR_FAULT_POS_DEFAULT:
        return;
    case FR_FAULT_POS_BYTE:
        put_u(b, key, p->n);
        return;
    case FR_FAULT_POS_HALF:
        put_str(b, key, "half");
        return;
    case FR_FAULT_POS_LAST:
        put_str(b, key, "last");
        return;
    case FR_FAULT_POS_FRAME:
        fr__buf_printf(b, "%s%s=frame:%llu", b->len ? " " : "", key, (unsigned long long)p->n);
        return;
    case FR_FAULT_POS_ELEM:
        fr__buf_printf(b, "%s%s=elem:%llu", b->len ? " " : "", key, (unsigned long long)p->n);
        return;
    }
}

void fr__fault_format(const fr_fault_rule *r, fr_buf *b)
{
    fr_buf w = {0}; /* words only: b may already hold text */
    if (r->on && (unsigned)r->on < 4)
        put_str(&w, "on", on_names[r->on]);
    put_str(&w, "cmd", r->cmd);
    put_str(&w, "key", r->key);
    put_str(&w, "channel", r->channel);
    put_str(&w, "arg", r->arg);
    put_str(&w, "script", r->script);
    put_str(&w, "client", r->client);
    if (r->client_id)
        put_u(&w, "id", r->client_id);
    put_str(&w, "addr", r->addr);
    if (r->nth)
        put_u(&w, "nth", r->nth);
    if (r->after_cmds)
        put_u(&w, "after-cmds", r->after_cmds);
    if (r->after_bytes || r->on == FR_FAULT_ON_READ)
        put_u(&w, "after-bytes", r->after_bytes);
    if (r->prob > 0)
        put_double(&w, "prob", r->prob);
    if (r->seed)
        put_u(&w, "seed", r->seed);
    if ((unsigned)r->action < NACTIONS && r->action)
        put_str(&w, "action", action_names[r->action]);
    if (r->when)
        put_str(&w, "when", r->when == FR_FAULT_BEFORE ? "before" : "after");
    if (r->ms || r->action == FR_FAULT_DELAY)
        put_u(&w, "ms", (uint64_t)r->ms);
    if (r->jitter_ms)
        put_u(&w, "jitter", (uint64_t)r->jitter_ms);
    if (r->size)
        put_u(&w, "size", r->size);
    if (r->gap_ms)
        put_u(&w, "gap", (uint64_t)r->gap_ms);
    if (r->bps)
        put_u(&w, "bps", r->bps);
    put_pos(&w, "at", &r->at);
    if (r->then && (unsigned)r->then < NACTIONS)
        put_str(&w, "then", action_names[r->then]);
    if (r->how)
        put_str(&w, "how",
                r->how == FR_FAULT_FLIP      ? "flip"
                : r->how == FR_FAULT_REPLACE ? "replace"
                                             : "nolf");
    put_pos(&w, "pos", &r->pos);
    if (r->byte) {
        if (isgraph(r->byte) && r->byte != '"' && r->byte != '\\')
            fr__buf_printf(&w, "%sbyte=%c", w.len ? " " : "", r->byte);
        else
            fr__buf_printf(&w, "%sbyte=0x%02x", w.len ? " " : "", r->byte & 0xff);
    }
    put_str(&w, "err", r->err);
    put_str(&w, "text", r->text);
    if (r->times == 1)
        fr__buf_puts(&w, w.len ? " once" : "once");
    else if (r->times)
        put_u(&w, "times", r->times);
    if (r->for_ms)
        put_u(&w, "for", (uint64_t)r->for_ms);
    if (w.len)
        fr__buf_append(b, w.p, w.len);
    fr__buf_free(&w);
}

size_t fr_fault_format(const fr_fault_rule *rule, char *buf, size_t cap)
{
    fr_buf b = {0};
    if (rule)
        fr__fault_format(rule, &b);
    if (cap) {
        size_t n = b.len < cap - 1 ? b.len : cap - 1;
        if (n)
            memcpy(buf, b.p, n);
        buf[n] = '\0';
    }
    size_t len = b.len;
    fr__buf_free(&b);
    return len;
}
