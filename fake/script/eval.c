/* EVAL and the script cache: scripts are compiled once, known by the SHA1
 * of their body, and kept until SCRIPT FLUSH (as Redis 7.0 keeps every
 * EVAL'd script). Also the scripting state itself, made on first use. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "script_int.h"

static void script_free(fr_dict_val v, void *ctx)
{
    (void)ctx;
    free(v.p);
}

static const fr_dict_type scripts_type = {script_free};

fr_scripting *fr__scripting(fr_server *srv)
{
    if (srv->scripting)
        return srv->scripting;
    fr_scripting *s = fr__xcalloc(1, sizeof *s);
    s->srv = srv;
    srv->scripting = s;
    fr__dict_init(&s->scripts, &scripts_type, NULL);
    fr__functions_init(s);
    /* the client scripts run commands as: never listed, never counted */
    fr_conn *lc = fr__xcalloc(1, sizeof *lc);
    lc->srv = srv;
    lc->fd = -1;
    /* PSEUDO: blocking commands act non-blocking; not EXECUTING, which
     * replication would take for a transaction that never ends */
    lc->flags = FR_CONN_PSEUDO | FR_CONN_AUTHED | FR_CONN_SCRIPT;
    lc->resp = 2;
    lc->out = evbuffer_new();
    s->lc = lc;
    s->L = fr__lua_new(s);
    if (s->L) {
        lua_pushlightuserdata(s->L, s);
        lua_setfield(s->L, LUA_REGISTRYINDEX, "fr_scripting");
        lua_pushstring(s->L, "__redis__err__handler");
        lua_rawget(s->L, LUA_GLOBALSINDEX);
        s->errh_ref = luaL_ref(s->L, LUA_REGISTRYINDEX);
    }
    fr__busy_stage(s);
    return s;
}

int fr__parse_flag_word(const char *w, size_t n, unsigned *flags)
{
    static const struct {
        const char *name;
        unsigned flag;
    } names[] = {{"no-writes", FR_SF_NO_WRITES},
                 {"allow-oom", FR_SF_ALLOW_OOM},
                 {"allow-stale", FR_SF_ALLOW_STALE},
                 {"no-cluster", FR_SF_NO_CLUSTER},
                 {"allow-cross-slot-keys", FR_SF_ALLOW_CROSS_SLOT}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strlen(names[i].name) == n && !memcmp(names[i].name, w, n)) {
            *flags |= names[i].flag;
            return 0;
        }
    }
    return -1;
}

int fr__parse_shebang(const char *body, size_t len, unsigned *flags, char *err, size_t errlen)
{
    *flags = 0;
    if (len < 2 || body[0] != '#' || body[1] != '!') {
        *flags = FR_SF_EVAL_COMPAT;
        return 0;
    }
    const char *nl = memchr(body, '\n', len);
    if (!nl) {
        snprintf(err, errlen, "Invalid script shebang");
        return -1;
    }
    const char *p = body, *end = nl;
    int first = 1;
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
            p++;
        if (p >= end)
            break;
        const char *w = p;
        while (p < end && *p != ' ' && *p != '\t' && *p != '\r')
            p++;
        size_t wl = (size_t)(p - w);
        if (first) {
            first = 0;
            if (wl != 5 || memcmp(w, "#!lua", 5)) {
                snprintf(err, errlen, "Unexpected engine in script shebang: %.*s", (int)wl, w);
                return -1;
            }
            continue;
        }
        if (wl >= 6 && !memcmp(w, "flags=", 6)) {
            const char *f = w + 6, *fe = w + wl;
            while (f < fe) {
                const char *c = memchr(f, ',', (size_t)(fe - f));
                const char *e = c ? c : fe;
                if (fr__parse_flag_word(f, (size_t)(e - f), flags) < 0) {
                    snprintf(err, errlen, "Unexpected flag in script shebang: %.*s", (int)(e - f),
                             f);
                    return -1;
                }
                f = c ? c + 1 : fe;
            }
            continue;
        }
        snprintf(err, errlen, "Unknown lua shebang option: %.*s", (int)wl, w);
        return -1;
    }
    return 0;
}

/* Compile body into the registry (a reference: no name to intern per call). 0, or -1 with the
 * reply's error text in err. */
static fr_script *create(fr_scripting *s, const char *body, size_t len, const char *sha, char *err,
                         size_t errlen)
{
    unsigned flags;
    if (fr__parse_shebang(body, len, &flags, err, errlen) < 0)
        return NULL;
    lua_State *L = s->L;
    int rc;
    if (!(flags & FR_SF_EVAL_COMPAT)) {
        /* the shebang line becomes a comment: line numbers stay right */
        char *copy = fr__xmemdup(body, len);
        copy[0] = copy[1] = '-';
        rc = luaL_loadbuffer(L, copy, len, "@user_script");
        free(copy);
    } else {
        rc = luaL_loadbuffer(L, body, len, "@user_script");
    }
    if (rc) {
        snprintf(err, errlen, "Error compiling script (new function): %s",
                 lua_tostring(L, -1) ? lua_tostring(L, -1) : "?");
        lua_pop(L, 1);
        return NULL;
    }
    fr__lua_protect_env(L);
    int ref = luaL_ref(L, LUA_REGISTRYINDEX);
    fr_script *sc = fr__xmalloc(sizeof *sc + len + 1);
    sc->ref = ref;
    memcpy(sc->sha, sha, 41);
    memcpy(sc->body, body, len);
    sc->body[len] = '\0';
    sc->len = len;
    sc->flags = flags;
    fr__dict_set(&s->scripts, sha, 40, (fr_dict_val){.p = sc});
    s->scripts_bytes += len;
    return sc;
}

static fr_script *find(fr_scripting *s, const char *sha, size_t n)
{
    if (n != 40)
        return NULL;
    char low[41];
    for (int i = 0; i < 40; i++)
        low[i] = (char)tolower((unsigned char)sha[i]);
    low[40] = '\0';
    fr_dict_entry *e = fr__dict_find(&s->scripts, low, 40);
    return e ? e->v.p : NULL;
}

static fr_script *get_or_create(fr_scripting *s, const char *body, size_t len, char *err,
                                size_t errlen)
{
    char sha[41];
    fr__sha1_hex(body, len, sha);
    fr_script *sc = find(s, sha, 40);
    return sc ? sc : create(s, body, len, sha, err, errlen);
}

int fr__script_load(fr_server *srv, const char *body, size_t len, char sha_out[41], char *err,
                    size_t errlen)
{
    fr_scripting *s = fr__scripting(srv);
    if (!s->L) {
        snprintf(err, errlen, "ERR could not create the Lua state");
        return -1;
    }
    char tmp[512];
    fr_script *sc = get_or_create(s, body, len, tmp, sizeof tmp);
    if (!sc) {
        snprintf(err, errlen, "ERR %s", tmp);
        return -1;
    }
    memcpy(sha_out, sc->sha, 41);
    return 0;
}

/* KEYS or ARGV as a fresh global table. */
static void set_array(lua_State *L, const char *name, const fr_arg *a, int n)
{
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        lua_pushlstring(L, a[i].p, a[i].len);
        lua_rawseti(L, -2, i + 1);
    }
    lua_pushstring(L, name);
    lua_insert(L, -2);
    lua_rawset(L, LUA_GLOBALSINDEX);
}

void fr__script_eval(fr_conn *c, int by_sha, int ro)
{
    fr_scripting *s = fr__scripting(c->srv);
    if (!s->L) {
        fr__add_error(c, "could not create the Lua state");
        return;
    }
    if (s->run.active) {
        /* EVAL from inside a script is refused before it gets here
         * (noscript); a busy pump never runs the caller's commands */
        fr__add_error(c, "-BUSY Redis is busy running a script. You can only call SCRIPT KILL "
                         "or SHUTDOWN NOSAVE.");
        return;
    }
    fr_script *sc = NULL;
    if (by_sha) {
        sc = find(s, c->argv[1].p, c->argv[1].len);
        if (!sc) {
            fr__add_error(c, "-NOSCRIPT No matching script. Please use EVAL.");
            return;
        }
    }
    long long numkeys;
    if (!fr__script_numkeys(c, NULL, &numkeys))
        return;
    if (!sc) {
        char err[512];
        sc = get_or_create(s, c->argv[1].p, c->argv[1].len, err, sizeof err);
        if (!sc) {
            fr__add_error(c, err);
            return;
        }
    }
    if (!fr__script_may_run(c, sc->flags, ro))
        return;
    lua_State *L = s->L;
    set_array(L, "KEYS", c->argv + 3, (int)numkeys);
    set_array(L, "ARGV", c->argv + 3 + numkeys, c->argc - 3 - (int)numkeys);
    lua_rawgeti(L, LUA_REGISTRYINDEX, sc->ref);
    char name[41];
    memcpy(name, sc->sha, 41); /* a SCRIPT FLUSH inside can't free it */
    fr__script_run(s, c, 0, name, 0, sc->flags, ro, numkeys ? &c->argv[3] : NULL);
}

void fr__script_load_cmd(fr_conn *c)
{
    char sha[41], err[600];
    if (fr__script_load(c->srv, c->argv[2].p, c->argv[2].len, sha, err, sizeof err) < 0) {
        fr__add_errorf(c, "-%s", err);
        return;
    }
    fr__add_bulk(c, sha, 40);
}

void fr__script_exists_cmd(fr_conn *c)
{
    fr_scripting *s = c->srv->scripting;
    fr__add_array(c, c->argc - 2);
    for (int i = 2; i < c->argc; i++)
        fr__add_ll(c, s && find(s, c->argv[i].p, c->argv[i].len) ? 1 : 0);
}

static int arg_is(const fr_arg *a, const char *s)
{
    return a->len == strlen(s) && !strncasecmp(a->p, s, a->len);
}

void fr__script_flush_cmd(fr_conn *c)
{
    if (c->argc > 3 ||
        (c->argc == 3 && !arg_is(&c->argv[2], "sync") && !arg_is(&c->argv[2], "async"))) {
        fr__add_error(c, "SCRIPT FLUSH only support SYNC|ASYNC option");
        return;
    }
    fr_scripting *s = c->srv->scripting;
    if (s && s->L) {
        fr_dict_iter it;
        fr__dict_iter_start(&it, &s->scripts);
        for (fr_dict_entry *e; (e = fr__dict_iter_next(&it));)
            luaL_unref(s->L, LUA_REGISTRYINDEX, ((fr_script *)e->v.p)->ref);
        fr__dict_iter_end(&it);
        fr__dict_clear(&s->scripts);
        s->scripts_bytes = 0;
        lua_gc(s->L, LUA_GCCOLLECT, 0);
    }
    fr__add_ok(c);
}

void fr__script_kill_cmd(fr_conn *c, int function)
{
    fr_scripting *s = c->srv->scripting;
    if (s && !s->run.busy && s->fake_busy_until) {
        s->fake_busy_until = 0; /* a fault's pretend script: it just ends */
        fr__add_ok(c);
        return;
    }
    if (!s || !s->run.active || !s->run.busy) {
        fr__add_error(c, "-NOTBUSY No scripts in execution right now.");
        return;
    }
    if (s->run.wrote) {
        fr__add_error(c, "-UNKILLABLE Sorry the script already executed write commands against "
                         "the dataset. You can either wait the script termination or kill the "
                         "server in a hard way using the SHUTDOWN NOSAVE command.");
        return;
    }
    if (function != s->run.is_function) {
        /* the other kind of KILL: Redis answers with the busy text that
         * names the right one */
        fr__add_error(c, fr__busy_text(s->run.is_function));
        return;
    }
    s->run.killed = 1;
    fr__add_ok(c);
}

void fr__script_debug_cmd(fr_conn *c)
{
    const fr_arg *a = &c->argv[2];
    if (arg_is(a, "no")) {
        fr__add_ok(c);
    } else if (arg_is(a, "yes") || arg_is(a, "sync")) {
        fr__add_error(c, "SCRIPT DEBUG is not supported by fakeredis");
    } else {
        fr__add_error(c, "Use SCRIPT DEBUG YES/SYNC/NO");
    }
}

void fr__script_each(fr_server *srv, int functions, fr_script_visit_fn *fn, void *ctx)
{
    fr_scripting *s = srv->scripting;
    if (!s)
        return;
    fr_dict_iter it;
    fr__dict_iter_start(&it, functions ? &s->funcs : &s->scripts);
    for (fr_dict_entry *e; (e = fr__dict_iter_next(&it));) {
        if (functions) {
            const fr_func *f = e->v.p;
            fn(ctx, f->lib->name, f->name, strlen(f->name));
        } else {
            const fr_script *sc = e->v.p;
            fn(ctx, sc->sha, sc->body, sc->len);
        }
    }
    fr__dict_iter_end(&it);
}

void fr__script_info_memory(fr_server *srv, fr_buf *o)
{
    fr_scripting *s = srv->scripting;
    long long vm_eval = s && s->L ? (long long)lua_gc(s->L, LUA_GCCOUNT, 0) * 1024 : 31744;
    long long scripts = s ? (long long)fr__dict_size(&s->scripts) : 0;
    long long eval_bytes =
        s ? (long long)(s->scripts_bytes + scripts * (sizeof(fr_script) + 64)) : 0;
    long long nfuncs = s ? (long long)fr__dict_size(&s->funcs) : 0;
    long long nlibs = s ? (long long)fr__dict_size(&s->libs) : 0;
    long long fn_bytes = s ? (long long)s->libs_bytes : 0;
    long long vm_fn = 32768;
    fr__buf_printf(o,
                   "used_memory_lua:%lld\r\nused_memory_vm_eval:%lld\r\n"
                   "used_memory_scripts_eval:%lld\r\nnumber_of_cached_scripts:%lld\r\n"
                   "number_of_functions:%lld\r\nnumber_of_libraries:%lld\r\n"
                   "used_memory_vm_functions:%lld\r\nused_memory_vm_total:%lld\r\n"
                   "used_memory_functions:%lld\r\nused_memory_scripts:%lld\r\n",
                   vm_eval, vm_eval, eval_bytes, scripts, nfuncs, nlibs, vm_fn, vm_eval + vm_fn,
                   fn_bytes, eval_bytes + fn_bytes);
}
