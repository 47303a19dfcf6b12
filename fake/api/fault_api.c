/* The public rule API (include/fakeredis/fault.h): each call runs on the
 * loop thread and waits; the rule text is parsed there, by the one parser. */
#include <stdlib.h>
#include <string.h>

#include "fault_engine.h"

typedef struct add_job {
    const char *text;
    uint64_t id;
    int status;
} add_job;

static void add_on_loop(fr_server *srv, void *arg)
{
    add_job *j = arg;
    fr_fault_spec spec;
    char err[256];
    if (fr__fault_parse(j->text, &spec, err, sizeof err) < 0) {
        fr__server_set_err(srv, "fault rule: %s", err);
        j->status = FR_ERR_PARSE;
        return;
    }
    if (!fr__faults_get(srv)) {
        fr__fault_spec_free(&spec);
        j->status = FR_ERR_EVENT; /* event_new failed */
        return;
    }
    j->id = fr__fault_insert(srv, &spec);
    j->status = FR_OK;
}

int fr_fault_add_text(fr_server *srv, const char *text, uint64_t *id)
{
    if (!srv || !text)
        return FR_ERR_ARG;
    add_job j = {text, 0, FR_ERR_STOPPED};
    int rc = fr__run_on_loop(srv, add_on_loop, &j);
    if (rc != FR_OK)
        return rc;
    if (id && j.status == FR_OK)
        *id = j.id;
    return j.status;
}

int fr_fault_add(fr_server *srv, const fr_fault_rule *rule, uint64_t *id)
{
    if (!srv || !rule)
        return FR_ERR_ARG;
    /* through the text form: one parser, one set of checks, one meaning */
    fr_buf t = {0};
    fr__fault_format(rule, &t);
    int rc = fr_fault_add_text(srv, t.p ? t.p : "", id);
    fr__buf_free(&t);
    return rc;
}

typedef struct id_job {
    uint64_t id, hits, matched;
    int status;
} id_job;

static void clear_on_loop(fr_server *srv, void *arg)
{
    id_job *j = arg;
    size_t n = fr__fault_remove(srv, j->id);
    j->status = n || j->id == 0 ? FR_OK : FR_ERR_ARG;
    if (j->status != FR_OK)
        fr__server_set_err(srv, "no fault rule with id %llu", (unsigned long long)j->id);
}

int fr_fault_clear(fr_server *srv, uint64_t id)
{
    if (!srv)
        return FR_ERR_ARG;
    id_job j = {id, 0, 0, FR_ERR_STOPPED};
    int rc = fr__run_on_loop(srv, clear_on_loop, &j);
    return rc != FR_OK ? rc : j.status;
}

static void hits_on_loop(fr_server *srv, void *arg)
{
    id_job *j = arg;
    fr_fault *f = srv->faults ? fr__fault_find(srv->faults, j->id) : NULL;
    if (!f) {
        j->status = FR_ERR_ARG;
        return;
    }
    j->hits = f->hits;
    j->matched = f->matched;
    j->status = FR_OK;
}

int fr_fault_hits(fr_server *srv, uint64_t id, uint64_t *hits, uint64_t *matched)
{
    if (!srv)
        return FR_ERR_ARG;
    id_job j = {id, 0, 0, FR_ERR_STOPPED};
    int rc = fr__run_on_loop(srv, hits_on_loop, &j);
    if (rc != FR_OK)
        return rc;
    if (j.status == FR_OK) {
        if (hits)
            *hits = j.hits;
        if (matched)
            *matched = j.matched;
    }
    return j.status;
}

typedef struct list_job {
    fr_fault_info *list;
    size_t n;
} list_job;

static void list_on_loop(fr_server *srv, void *arg)
{
    list_job *j = arg;
    struct fr_faults *fs = srv->faults;
    if (!fs || !fs->n)
        return;
    j->list = fr__xcalloc(fs->n, sizeof *j->list);
    for (size_t i = 0; i < fs->n; i++) {
        fr_fault *f = fs->rules[i];
        j->list[i].id = f->id;
        j->list[i].hits = f->hits;
        j->list[i].matched = f->matched;
        j->list[i].active = !(f->spec.r.times && f->hits >= f->spec.r.times);
        j->list[i].text = fr__xstrdup(f->text);
    }
    j->n = fs->n;
}

int fr_fault_list(fr_server *srv, fr_fault_info **out, size_t *n)
{
    if (!srv || !out || !n)
        return FR_ERR_ARG;
    list_job j = {NULL, 0};
    int rc = fr__run_on_loop(srv, list_on_loop, &j);
    *out = j.list;
    *n = j.n;
    return rc;
}

void fr_fault_list_free(fr_fault_info *list, size_t n)
{
    if (!list)
        return;
    for (size_t i = 0; i < n; i++)
        free(list[i].text);
    free(list);
}
