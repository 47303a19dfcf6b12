/* Which keys a command uses and what it does with them, for the ACL
 * check: the shared key finder (key specs, or a command's own rule), as
 * Redis 7.0 checks a selector's key patterns against them. */
#include <string.h>

#include "acl_private.h"

/* The permission a key spec's flags ask for: ACCESS reads; INSERT,
 * DELETE and UPDATE write; none of them (EXISTS, TYPE...) any pattern
 * that matches the name allows. */
static int key_need(uint32_t ks)
{
    int need = 0;
    if (ks & FR_KS_ACCESS)
        need |= ACL_READ;
    if (ks & (FR_KS_INSERT | FR_KS_DELETE | FR_KS_UPDATE))
        need |= ACL_WRITE;
    return need;
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

int fr__acl_sel_keys(const acl_sel *s, const fr_keylist *keys, const fr_arg *argv, int *idx)
{
    if (s->flags & SEL_ALLKEYS)
        return ACL_OK;
    for (int i = 0; i < keys->n; i++) {
        const fr_keyref *k = &keys->v[i];
        if (!fr__acl_key_ok(s, &argv[k->pos], key_need(k->flags))) {
            *idx = k->pos;
            return ACL_DENIED_KEY;
        }
    }
    return ACL_OK;
}
