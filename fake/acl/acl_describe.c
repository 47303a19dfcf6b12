/* How ACL LIST and ACL GETUSER print a user and its selectors, as Redis
 * 7.0 does. */
#include <string.h>

#include "acl_private.h"

static void count_cat(fr_acl *a, const acl_sel *s, int cat, size_t *on, size_t *off)
{
    *on = *off = 0;
    for (size_t i = 0; i < a->ncmds; i++) {
        if (!(a->cats[i] & (1u << cat)) || !fr__acl_listed(&a->table[i]))
            continue;
        if (s->bits[i])
            (*on)++;
        else
            (*off)++;
    }
}

static void describe_single(fr_acl *a, const acl_sel *s, acl_sel *fake, size_t i, fr_buf *out)
{
    if (s->bits[i] != fake->bits[i]) {
        fr__buf_printf(out, "%c%s ", s->bits[i] ? '+' : '-', a->table[i].name);
        fr__acl_sel_perm(a, fake, i, s->bits[i]);
    }
    if (!a->table[i].parent) {
        for (size_t j = 0; j < a->ncmds; j++)
            if (a->table[j].parent && !strcmp(a->table[j].parent, a->table[i].name))
                describe_single(a, s, fake, j, out);
    }
    if (!s->bits[i])
        for (size_t k = 0; k < s->nfa; k++)
            if (s->fa[k].cmd == i)
                fr__buf_printf(out, "+%s|%s ", a->table[i].name, s->fa[k].arg);
}

/* As Redis 7.0: start from +@all or -@all, add (or take away) the
 * categories that are mostly right, the best fit first, then the single
 * commands that still differ. */
void fr__acl_sel_describe_cmds(fr_acl *a, const acl_sel *s, fr_buf *out)
{
    int additive = !(s->flags & SEL_FUTURE);
    size_t start = out->len;
    fr__buf_puts(out, additive ? "-@all " : "+@all ");
    acl_sel *fake = fr__acl_sel_new(a), *temp = fr__acl_sel_new(a);
    fr__acl_sel_all(a, fake, !additive);
    memcpy(temp->bits, s->bits, a->ncmds);
    int applied[ACL_NCATS] = {0};
    for (;;) {
        int best = -1;
        size_t mindiff = (size_t)-1, maxsame = 0;
        for (int j = 0; j < ACL_NCATS; j++) {
            if (applied[j])
                continue;
            size_t on, off;
            count_cat(a, temp, j, &on, &off);
            size_t diff = additive ? off : on, same = additive ? on : off;
            if (same > diff && (diff < mindiff || (diff == mindiff && same > maxsame))) {
                best = j;
                mindiff = diff;
                maxsame = same;
            }
        }
        if (best < 0)
            break;
        fr__acl_sel_category(a, fake, best, additive);
        fr__acl_sel_category(a, temp, best, !additive);
        fr__buf_printf(out, "%c@%s ", additive ? '+' : '-', fr__acl_cat_names[best]);
        applied[best] = 1;
    }
    for (size_t i = 0; i < a->ncmds; i++)
        if (!a->table[i].parent)
            describe_single(a, s, fake, i, out);
    if (out->len > start)
        out->len--; /* the last blank */
    out->p[out->len] = '\0';
    fr__acl_sel_free(fake);
    fr__acl_sel_free(temp);
}

static void cat_key(fr_buf *out, const acl_pat *p)
{
    if (p->flags == ACL_READ)
        fr__buf_puts(out, "%R");
    else if (p->flags == ACL_WRITE)
        fr__buf_puts(out, "%W");
    fr__buf_putc(out, '~');
    fr__buf_append(out, p->s, p->len);
}

void fr__acl_sel_describe_keys(const acl_sel *s, fr_buf *out)
{
    if (s->flags & SEL_ALLKEYS) {
        fr__buf_puts(out, "~*");
        return;
    }
    for (size_t i = 0; i < s->nkeys; i++) {
        if (i)
            fr__buf_putc(out, ' ');
        cat_key(out, &s->keys[i]);
    }
}

void fr__acl_sel_describe_chans(const acl_sel *s, fr_buf *out)
{
    if (s->flags & SEL_ALLCHANNELS) {
        fr__buf_puts(out, "&*");
        return;
    }
    for (size_t i = 0; i < s->nchans; i++) {
        if (i)
            fr__buf_putc(out, ' ');
        fr__buf_putc(out, '&');
        fr__buf_append(out, s->chans[i].s, s->chans[i].len);
    }
}

static void describe_sel(fr_acl *a, const acl_sel *s, fr_buf *out)
{
    if (s->flags & SEL_ALLKEYS) {
        fr__buf_puts(out, "~* ");
    } else {
        for (size_t i = 0; i < s->nkeys; i++) {
            cat_key(out, &s->keys[i]);
            fr__buf_putc(out, ' ');
        }
    }
    if (s->flags & SEL_ALLCHANNELS) {
        fr__buf_puts(out, "&* ");
    } else {
        fr__buf_puts(out, "resetchannels ");
        for (size_t i = 0; i < s->nchans; i++) {
            fr__buf_putc(out, '&');
            fr__buf_append(out, s->chans[i].s, s->chans[i].len);
            fr__buf_putc(out, ' ');
        }
    }
    fr__acl_sel_describe_cmds(a, s, out);
}

static const char *const flag_names[] = {"on", "off", "nopass", "skip-sanitize-payload",
                                         "sanitize-payload"};

void fr__acl_user_describe(fr_acl *a, const fr_acl_user *u, fr_buf *out)
{
    for (int i = 0; i < 5; i++)
        if (u->flags & (1u << i))
            fr__buf_printf(out, "%s ", flag_names[i]);
    for (size_t i = 0; i < u->npass; i++)
        fr__buf_printf(out, "#%s ", u->pass[i]);
    describe_sel(a, u->sels[0], out);
    for (size_t i = 1; i < u->nsels; i++) {
        fr__buf_puts(out, " (");
        describe_sel(a, u->sels[i], out);
        fr__buf_putc(out, ')');
    }
}
