/* libFuzzer target: the fault rule text form (fault_parse.c).
 *
 * Any text either parses or is refused with a reason. A rule that parses
 * has a canonical form (fr__fault_format) that parses back to the same
 * rule, field by field, and prints the same again; sent as separate
 * words (FAKE.FAULT ADD w1 w2...), the canonical form gives the same rule
 * through the wire's parser too. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fault_engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int pos_eq(const fr_fault_pos *a, const fr_fault_pos *b)
{
    return a->kind == b->kind && a->n == b->n;
}

static int rule_eq(const fr_fault_rule *a, const fr_fault_rule *b)
{
    return a->on == b->on && str_eq(a->cmd, b->cmd) && str_eq(a->key, b->key) &&
           str_eq(a->channel, b->channel) && str_eq(a->arg, b->arg) &&
           str_eq(a->client, b->client) && a->client_id == b->client_id &&
           str_eq(a->addr, b->addr) && a->nth == b->nth && a->after_cmds == b->after_cmds &&
           a->after_bytes == b->after_bytes && a->prob == b->prob && a->seed == b->seed &&
           a->action == b->action && a->when == b->when && a->ms == b->ms &&
           a->jitter_ms == b->jitter_ms && a->size == b->size && a->gap_ms == b->gap_ms &&
           a->bps == b->bps && pos_eq(&a->at, &b->at) && a->then == b->then && a->how == b->how &&
           pos_eq(&a->pos, &b->pos) && a->byte == b->byte && str_eq(a->err, b->err) &&
           str_eq(a->text, b->text) && a->times == b->times && a->for_ms == b->for_ms;
}

/* The words of a canonical form, as a client sends them one argument
 * each: the form is words joined by one space, a value with a blank, a
 * quote or a backslash in double quotes with \" and \\ escaped (its
 * documented grammar, not the parser's code). Returns the count. */
static size_t split_canonical(const char *s, fr_buf *words, size_t **lens)
{
    size_t n = 0, cap = 0;
    fr__buf_reserve(words, 0);
    while (*s) {
        size_t start = words->len;
        int inq = 0;
        for (; *s && (inq || *s != ' '); s++) {
            if (*s == '"') {
                inq = !inq;
                continue;
            }
            if (inq && *s == '\\' && s[1])
                s++;
            fr__buf_putc(words, *s);
        }
        if (inq)
            abort(); /* an unterminated quote in the canonical form */
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            *lens = realloc(*lens, cap * sizeof **lens);
            if (!*lens)
                abort();
        }
        (*lens)[n++] = words->len - start;
        if (*s == ' ')
            s++;
    }
    return n;
}

static void check_refusal(int rc, const char *err)
{
    if (rc != -1 || !memchr(err, '\0', 256) || !err[0])
        abort(); /* refused without a reason */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        abort();
    memcpy(text, data, size);
    text[size] = '\0';
    char err[256];
    memset(err, 'x', sizeof err);
    fr_fault_spec a;
    int rc = fr__fault_parse(text, &a, err, sizeof err);
    free(text);
    if (rc != 0) {
        check_refusal(rc, err);
        fr__fault_spec_free(&a);
        return 0;
    }

    fr_buf canon = {0}, again = {0};
    fr__fault_format(&a.r, &canon);
    fr__buf_reserve(&canon, 0);
    fr_fault_spec b;
    if (fr__fault_parse(canon.p, &b, err, sizeof err) != 0)
        abort(); /* the canonical form does not parse */
    if (!rule_eq(&a.r, &b.r))
        abort(); /* it parses to another rule */
    fr__fault_format(&b.r, &again);
    if (again.len != canon.len || memcmp(again.p, canon.p, canon.len) != 0)
        abort(); /* printing is not stable */

    /* the same words through the wire's parser */
    fr_buf words = {0};
    size_t *lens = NULL;
    size_t n = split_canonical(canon.p, &words, &lens);
    fr_arg *args = calloc(n + 1, sizeof *args);
    if (!args)
        abort();
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        args[i] = (fr_arg){words.p + off, lens[i]};
        off += lens[i];
    }
    fr_fault_spec c;
    if (fr__fault_parse_words(args, n, &c, err, sizeof err) != 0 || !rule_eq(&a.r, &c.r))
        abort(); /* the wire's words give another rule */
    free(args);
    free(lens);
    fr__buf_free(&words);
    fr__fault_spec_free(&c);

    fr__buf_free(&canon);
    fr__buf_free(&again);
    fr__fault_spec_free(&a);
    fr__fault_spec_free(&b);
    return 0;
}
