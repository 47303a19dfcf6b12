/* An AVL tree of stream IDs. See sidtree.h. */
#include "sidtree.h"

#include <stdlib.h>

struct fr_sidtree_node {
    fr_sidtree_node *l, *r;
    fr_sid id;
    void *v;
    int h;
};

static int height(const fr_sidtree_node *n)
{
    return n ? n->h : 0;
}

static void fix(fr_sidtree_node *n)
{
    int a = height(n->l), b = height(n->r);
    n->h = (a > b ? a : b) + 1;
}

static fr_sidtree_node *rotate_right(fr_sidtree_node *n)
{
    fr_sidtree_node *l = n->l;
    n->l = l->r;
    l->r = n;
    fix(n);
    fix(l);
    return l;
}

static fr_sidtree_node *rotate_left(fr_sidtree_node *n)
{
    fr_sidtree_node *r = n->r;
    n->r = r->l;
    r->l = n;
    fix(n);
    fix(r);
    return r;
}

static fr_sidtree_node *balance(fr_sidtree_node *n)
{
    fix(n);
    int b = height(n->l) - height(n->r);
    if (b > 1) {
        if (height(n->l->l) < height(n->l->r))
            n->l = rotate_left(n->l);
        return rotate_right(n);
    }
    if (b < -1) {
        if (height(n->r->r) < height(n->r->l))
            n->r = rotate_right(n->r);
        return rotate_left(n);
    }
    return n;
}

void *fr__sidtree_find(const fr_sidtree *t, const fr_sid *id)
{
    const fr_sidtree_node *n = t->root;
    while (n) {
        int c = fr__sid_cmp(id, &n->id);
        if (!c)
            return n->v;
        n = c < 0 ? n->l : n->r;
    }
    return NULL;
}

static fr_sidtree_node *insert(fr_sidtree_node *n, const fr_sid *id, void *v, int *added)
{
    if (!n) {
        n = fr__xcalloc(1, sizeof *n);
        n->id = *id;
        n->v = v;
        n->h = 1;
        *added = 1;
        return n;
    }
    int c = fr__sid_cmp(id, &n->id);
    if (!c)
        return n;
    if (c < 0)
        n->l = insert(n->l, id, v, added);
    else
        n->r = insert(n->r, id, v, added);
    return balance(n);
}

int fr__sidtree_insert(fr_sidtree *t, const fr_sid *id, void *v)
{
    int added = 0;
    t->root = insert(t->root, id, v, &added);
    t->n += (size_t)added;
    return added;
}

/* Detach the smallest node of n into *min; returns the rest. */
static fr_sidtree_node *take_min(fr_sidtree_node *n, fr_sidtree_node **min)
{
    if (!n->l) {
        *min = n;
        return n->r;
    }
    n->l = take_min(n->l, min);
    return balance(n);
}

static fr_sidtree_node *remove_node(fr_sidtree_node *n, const fr_sid *id, void **out)
{
    if (!n)
        return NULL;
    int c = fr__sid_cmp(id, &n->id);
    if (c < 0) {
        n->l = remove_node(n->l, id, out);
    } else if (c > 0) {
        n->r = remove_node(n->r, id, out);
    } else {
        *out = n->v;
        fr_sidtree_node *l = n->l, *r = n->r;
        free(n);
        if (!r)
            return l;
        fr_sidtree_node *m;
        r = take_min(r, &m);
        m->l = l;
        m->r = r;
        return balance(m);
    }
    return balance(n);
}

void *fr__sidtree_remove(fr_sidtree *t, const fr_sid *id)
{
    void *v = NULL;
    t->root = remove_node(t->root, id, &v);
    if (v)
        t->n--;
    return v;
}

int fr__sidtree_seek(const fr_sidtree *t, const fr_sid *id, fr_sid *found, void **v)
{
    const fr_sidtree_node *n = t->root, *best = NULL;
    while (n) {
        int c = fr__sid_cmp(&n->id, id);
        if (c >= 0) {
            best = n;
            if (!c)
                break;
            n = n->l;
        } else {
            n = n->r;
        }
    }
    if (!best)
        return 0;
    if (found)
        *found = best->id;
    if (v)
        *v = best->v;
    return 1;
}

int fr__sidtree_last(const fr_sidtree *t, fr_sid *found)
{
    const fr_sidtree_node *n = t->root;
    if (!n)
        return 0;
    while (n->r)
        n = n->r;
    *found = n->id;
    return 1;
}

static void clear(fr_sidtree_node *n, void (*fn)(void *v))
{
    while (n) {
        clear(n->l, fn);
        fr_sidtree_node *r = n->r;
        if (fn)
            fn(n->v);
        free(n);
        n = r;
    }
}

void fr__sidtree_clear(fr_sidtree *t, void (*fn)(void *v))
{
    clear(t->root, fn);
    t->root = NULL;
    t->n = 0;
}
