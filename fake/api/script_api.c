/* The public scripting API (include/fakeredis/script.h): each call runs on
 * the loop thread and waits. */
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "fakeredis/script.h"
#include "script_engine.h"

typedef struct load_job {
    const char *text;
    size_t len;
    int replace, function;
    char *sha_out;
    int status;
} load_job;

static void load_on_loop(fr_server *srv, void *arg)
{
    load_job *j = arg;
    char err[600], sha[41];
    int rc = j->function ? fr__function_load(srv, j->text, j->len, j->replace, err, sizeof err)
                         : fr__script_load(srv, j->text, j->len, sha, err, sizeof err);
    if (rc < 0) {
        fr__server_set_err(srv, "%s", err);
        j->status = FR_ERR_REPLY;
        return;
    }
    if (!j->function && j->sha_out)
        memcpy(j->sha_out, sha, 41);
    j->status = FR_OK;
}

static int run_load(fr_server *srv, load_job *j)
{
    if (!srv || !j->text)
        return FR_ERR_ARG;
    int rc = fr__run_on_loop(srv, load_on_loop, j);
    return rc != FR_OK ? rc : j->status;
}

int fr_script_load(fr_server *srv, const char *body, size_t len, char *sha_out)
{
    load_job j = {body, len, 0, 0, sha_out, FR_ERR_STOPPED};
    return run_load(srv, &j);
}

int fr_function_load(fr_server *srv, const char *code, size_t len, int replace)
{
    load_job j = {code, len, replace, 1, NULL, FR_ERR_STOPPED};
    return run_load(srv, &j);
}

typedef struct list_job {
    int functions;
    void *items;
    size_t n, cap;
} list_job;

static void *grow(list_job *j, size_t size)
{
    if (j->n == j->cap) {
        j->cap = j->cap ? 2 * j->cap : 8;
        j->items = fr__xrealloc(j->items, j->cap * size);
    }
    return (char *)j->items + j->n++ * size;
}

static void add_script(void *ctx, const char *sha, const char *body, size_t len)
{
    fr_script_info *e = grow(ctx, sizeof *e);
    memcpy(e->sha, sha, 41);
    e->body = fr__xmemdup(body, len);
    e->body_len = len;
}

static void add_function(void *ctx, const char *lib, const char *name, size_t len)
{
    fr_function_info *e = grow(ctx, sizeof *e);
    e->library = fr__xstrdup(lib);
    e->name = fr__xmemdup(name, len);
}

static void list_on_loop(fr_server *srv, void *arg)
{
    list_job *j = arg;
    fr__script_each(srv, j->functions, j->functions ? add_function : add_script, j);
}

static int run_list(fr_server *srv, list_job *j, void **out, size_t *n)
{
    if (!srv || !out || !n)
        return FR_ERR_ARG;
    *out = NULL;
    *n = 0;
    int rc = fr__run_on_loop(srv, list_on_loop, j);
    if (rc != FR_OK) {
        free(j->items);
        return rc;
    }
    *out = j->items;
    *n = j->n;
    return FR_OK;
}

int fr_script_list(fr_server *srv, fr_script_info **out, size_t *n)
{
    list_job j = {0, NULL, 0, 0};
    return run_list(srv, &j, (void **)out, n);
}

void fr_script_list_free(fr_script_info *list, size_t n)
{
    for (size_t i = 0; list && i < n; i++)
        free(list[i].body);
    free(list);
}

int fr_function_list(fr_server *srv, fr_function_info **out, size_t *n)
{
    list_job j = {1, NULL, 0, 0};
    return run_list(srv, &j, (void **)out, n);
}

void fr_function_list_free(fr_function_info *list, size_t n)
{
    for (size_t i = 0; list && i < n; i++) {
        free(list[i].library);
        free(list[i].name);
    }
    free(list);
}

static void busy_on_loop(fr_server *srv, void *arg)
{
    fr__script_fake_busy(srv, *(long long *)arg);
}

int fr_server_script_busy(fr_server *srv, long long ms)
{
    if (!srv)
        return FR_ERR_ARG;
    return fr__run_on_loop(srv, busy_on_loop, &ms);
}
