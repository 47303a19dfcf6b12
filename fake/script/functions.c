/* FUNCTION libraries (Redis 7.0): a library is Lua code with a
 * "#!lua name=<lib>" line that registers its functions through
 * redis.register_function while it loads. Library code runs with its own
 * global table: while loading, names resolve to the load-time API only
 * (redis.register_function, redis.log, ...); afterwards to the same
 * globals EVAL scripts see. FCALL calls a function with (keys, args). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "script_int.h"

#define FUNC_ENV "fr_fenv"    /* registry: the libraries' global table */
#define LOAD_API "fr_loadapi" /* registry: what it resolves to while loading */

static int valid_name(const char *p, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)p[i]) && p[i] != '_')
            return 0;
    return 1;
}

static const char name_err[] = "ERR Library names can only contain letters, numbers, or "
                               "underscores(_) and must be at least one character long";

/* While a library loads: its name and the functions it registered. */
typedef struct loading {
    fr_lib *lib;
} loading;

static void lib_free(fr_scripting *s, fr_lib *lib)
{
    for (fr_func *f = lib->funcs, *next; f; f = next) {
        next = f->next;
        if (s->L)
            luaL_unref(s->L, LUA_REGISTRYINDEX, f->ref);
        free(f->name);
        free(f->desc);
        free(f);
    }
    free(lib->name);
    free(lib->code);
    free(lib);
}

static int l_register(lua_State *L)
{
    loading *ld = lua_touserdata(L, lua_upvalueindex(1));
    if (!ld->lib)
        return fr__lua_raise(L, "ERR redis.register_function can only be called on FUNCTION LOAD "
                                "command");
    int argc = lua_gettop(L);
    const char *name = NULL, *desc = NULL;
    size_t nlen = 0;
    unsigned flags = 0;
    int cb = 0;
    if (argc == 2) {
        name = lua_type(L, 1) == LUA_TSTRING ? lua_tolstring(L, 1, &nlen) : NULL;
        if (!name)
            return fr__lua_raise(L, "ERR first argument to redis.register_function must be a "
                                    "string");
        if (!lua_isfunction(L, 2))
            return fr__lua_raise(L, "ERR second argument to redis.register_function must be a "
                                    "function");
        cb = 2;
    } else if (argc == 1 && lua_istable(L, 1)) {
        lua_pushnil(L);
        while (lua_next(L, 1)) {
            const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "";
            if (!strcmp(k, "function_name")) {
                if (lua_type(L, -1) != LUA_TSTRING)
                    return fr__lua_raise(L, "ERR function_name argument given to "
                                            "redis.register_function must be a string");
                name = lua_tolstring(L, -1, &nlen);
            } else if (!strcmp(k, "description")) {
                if (lua_type(L, -1) != LUA_TSTRING)
                    return fr__lua_raise(L, "ERR description argument given to "
                                            "redis.register_function must be a string");
                desc = lua_tostring(L, -1);
            } else if (!strcmp(k, "callback")) {
                if (!lua_isfunction(L, -1))
                    return fr__lua_raise(L, "ERR callback argument given to "
                                            "redis.register_function must be a function");
                lua_pushvalue(L, -1);
                lua_setfield(L, LUA_REGISTRYINDEX, "fr_cb");
                cb = -1;
            } else if (!strcmp(k, "flags")) {
                if (!lua_istable(L, -1))
                    return fr__lua_raise(L, "ERR flags argument to redis.register_function must "
                                            "be a table representing function flags");
                for (int j = 1;; j++) {
                    lua_rawgeti(L, -1, j);
                    if (lua_isnil(L, -1)) {
                        lua_pop(L, 1);
                        break;
                    }
                    size_t fl;
                    const char *fw =
                        lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &fl) : NULL;
                    if (!fw || fr__parse_flag_word(fw, fl, &flags) < 0)
                        return fr__lua_raise(L, "ERR unknown flag given");
                    lua_pop(L, 1);
                }
            } else {
                return fr__lua_raise(L, "ERR unknown argument given to redis.register_function");
            }
            lua_pop(L, 1);
        }
        if (!name)
            return fr__lua_raise(L, "ERR redis.register_function must get a function name "
                                    "argument");
        if (!cb)
            return fr__lua_raise(L, "ERR redis.register_function must get a callback argument");
    } else {
        return fr__lua_raise(L, "ERR wrong number of arguments to redis.register_function");
    }
    if (!valid_name(name, nlen))
        return fr__lua_raise(L, name_err);
    for (fr_func *f = ld->lib->funcs; f; f = f->next)
        if (!strcmp(f->name, name))
            return fr__lua_raise(L, "ERR Function already exists in the library");
    fr_func *f = fr__xcalloc(1, sizeof *f);
    f->name = fr__xmemdup(name, nlen);
    f->desc = desc ? fr__xstrdup(desc) : NULL;
    f->flags = flags;
    f->lib = ld->lib;
    if (cb > 0)
        lua_pushvalue(L, cb);
    else
        lua_getfield(L, LUA_REGISTRYINDEX, "fr_cb");
    f->ref = luaL_ref(L, LUA_REGISTRYINDEX);
    /* kept in registration order: FUNCTION LIST shows the newest first */
    f->next = ld->lib->funcs;
    ld->lib->funcs = f;
    ld->lib->nfuncs++;
    return 0;
}

static int l_missing_global(lua_State *L)
{
    const char *k = lua_tostring(L, 2);
    return luaL_error(L, "Script attempted to access nonexistent global variable '%s'",
                      k ? k : "?");
}

/* A function's globals at run time: what EVAL scripts see, but for the
 * KEYS and ARGV an EVAL left behind (functions get theirs as arguments). */
static int l_runtime_global(lua_State *L)
{
    const char *k = lua_tostring(L, 2);
    if (k && strcmp(k, "KEYS") && strcmp(k, "ARGV")) {
        lua_pushvalue(L, 2);
        lua_rawget(L, LUA_GLOBALSINDEX);
        if (!lua_isnil(L, -1))
            return 1;
    }
    return luaL_error(L, "Script attempted to access nonexistent global variable '%s'",
                      k ? k : "?");
}

static int l_readonly(lua_State *L)
{
    return luaL_error(L, "Attempt to modify a readonly table");
}

static int l_log_load(lua_State *L)
{
    if (lua_gettop(L) < 2)
        return fr__lua_raise(L, "ERR redis.log() requires two arguments or more.");
    return 0;
}

static loading *loader(fr_scripting *s)
{
    lua_getfield(s->L, LUA_REGISTRYINDEX, "fr_loading");
    loading *ld = lua_touserdata(s->L, -1);
    lua_pop(s->L, 1);
    return ld;
}

static void protect(lua_State *L)
{
    lua_newtable(L);
    lua_pushcfunction(L, l_missing_global);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, l_readonly);
    lua_setfield(L, -2, "__newindex");
    lua_setmetatable(L, -2);
}

static void void_state_free(fr_dict_val v, void *ctx)
{
    (void)v;
    (void)ctx;
}

static const fr_dict_type plain = {void_state_free};

void fr__functions_init(fr_scripting *s)
{
    fr__dict_init(&s->libs, &plain, NULL);
    fr__dict_init(&s->funcs, &plain, NULL);
}

static void setup_env(fr_scripting *s)
{
    lua_State *L = s->L;
    lua_getfield(L, LUA_REGISTRYINDEX, FUNC_ENV);
    int have = !lua_isnil(L, -1);
    lua_pop(L, 1);
    if (have)
        return;
    loading *ld = lua_newuserdata(L, sizeof *ld);
    ld->lib = NULL;
    lua_setfield(L, LUA_REGISTRYINDEX, "fr_loading");
    /* the load-time API: redis.register_function, redis.log, constants */
    lua_newtable(L); /* api */
    lua_newtable(L); /* api.redis */
    lua_getfield(L, LUA_REGISTRYINDEX, "fr_loading");
    lua_pushcclosure(L, l_register, 1);
    lua_setfield(L, -2, "register_function");
    lua_pushcfunction(L, l_log_load);
    lua_setfield(L, -2, "log");
    lua_getglobal(L, "redis");
    static const char *const copied[] = {
        "LOG_DEBUG",     "LOG_VERBOSE",       "LOG_NOTICE", "LOG_WARNING",
        "REDIS_VERSION", "REDIS_VERSION_NUM", "setresp",    NULL};
    for (int i = 0; copied[i]; i++) {
        lua_getfield(L, -1, copied[i]);
        lua_setfield(L, -3, copied[i]);
    }
    lua_pop(L, 1);
    protect(L);
    lua_setfield(L, -2, "redis");
    static const char *const libs[] = {"string", "math",     "table",  "bit",
                                       "cjson",  "cmsgpack", "struct", NULL};
    for (int i = 0; libs[i]; i++) {
        lua_getglobal(L, libs[i]);
        lua_setfield(L, -2, libs[i]);
    }
    protect(L);
    lua_setfield(L, LUA_REGISTRYINDEX, LOAD_API);
    /* the libraries' globals: empty, reads go through __index */
    lua_newtable(L);
    lua_newtable(L);
    lua_pushcfunction(L, l_readonly);
    lua_setfield(L, -2, "__newindex");
    lua_setmetatable(L, -2);
    lua_setfield(L, LUA_REGISTRYINDEX, FUNC_ENV);
}

/* Point the libraries' globals at the load API (loading) or at the
 * globals scripts see. */
static void env_index(lua_State *L, int loading_now)
{
    lua_getfield(L, LUA_REGISTRYINDEX, FUNC_ENV);
    lua_getmetatable(L, -1);
    if (loading_now)
        lua_getfield(L, LUA_REGISTRYINDEX, LOAD_API);
    else
        lua_pushcfunction(L, l_runtime_global);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 2);
}

static fr_lib *find_lib(fr_scripting *s, const char *name, size_t n)
{
    fr_dict_entry *e = fr__dict_find(&s->libs, name, n);
    return e ? e->v.p : NULL;
}

static fr_func *find_func(fr_scripting *s, const char *name, size_t n)
{
    fr_dict_entry *e = fr__dict_find(&s->funcs, name, n);
    return e ? e->v.p : NULL;
}

static void unlink_lib(fr_scripting *s, fr_lib *lib)
{
    for (fr_func *f = lib->funcs; f; f = f->next)
        fr__dict_delete(&s->funcs, f->name, strlen(f->name));
    fr__dict_delete(&s->libs, lib->name, strlen(lib->name));
    s->libs_bytes -= lib->code_len;
}

static void link_lib(fr_scripting *s, fr_lib *lib)
{
    for (fr_func *f = lib->funcs; f; f = f->next)
        fr__dict_set(&s->funcs, f->name, strlen(f->name), (fr_dict_val){.p = f});
    fr__dict_set(&s->libs, lib->name, strlen(lib->name), (fr_dict_val){.p = lib});
    s->libs_bytes += lib->code_len;
}

/* Parse "#!lua name=<lib>": the name, or -1 with the error. */
static int parse_meta(const char *code, size_t len, char *name, size_t cap, char *err,
                      size_t errlen)
{
    if (len < 2 || code[0] != '#' || code[1] != '!') {
        snprintf(err, errlen, "ERR Missing library metadata");
        return -1;
    }
    const char *nl = memchr(code, '\n', len);
    const char *end = nl ? nl : code + len;
    const char *p = code + 2;
    const char *w = p;
    while (p < end && *p != ' ')
        p++;
    if ((size_t)(p - w) != 3 || memcmp(w, "lua", 3)) {
        snprintf(err, errlen, "ERR Engine '%.*s' not found", (int)(p - w), w);
        return -1;
    }
    name[0] = '\0';
    int have = 0;
    while (p < end) {
        while (p < end && *p == ' ')
            p++;
        if (p >= end)
            break;
        w = p;
        while (p < end && *p != ' ')
            p++;
        size_t wl = (size_t)(p - w);
        if (wl >= 5 && !memcmp(w, "name=", 5)) {
            size_t nl2 = wl - 5 < cap - 1 ? wl - 5 : cap - 1;
            memcpy(name, w + 5, nl2);
            name[nl2] = '\0';
            have = 1;
        } else {
            snprintf(err, errlen, "ERR Invalid metadata value given: %.*s", (int)wl, w);
            return -1;
        }
    }
    if (!have) {
        snprintf(err, errlen, "ERR Library name was not given");
        return -1;
    }
    if (!valid_name(name, strlen(name))) {
        snprintf(err, errlen, "%s", name_err);
        return -1;
    }
    return 0;
}

/* Library code that loops: Redis gives it 500 ms. */
#define LOAD_TIMEOUT_MS 500

static void load_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    lua_getfield(L, LUA_REGISTRYINDEX, "fr_scripting");
    fr_scripting *s = lua_touserdata(L, -1);
    lua_pop(L, 1);
    if (fr__mono_ms() - s->load_start_ms > LOAD_TIMEOUT_MS) {
        lua_sethook(L, load_hook, LUA_MASKLINE, 0);
        fr__lua_raise(L, "ERR FUNCTION LOAD timeout");
    }
}

/* Compile and run the library's code; on success the new library (not
 * yet linked), else NULL with the error. */
static fr_lib *build(fr_scripting *s, const char *code, size_t len, const char *name, char *err,
                     size_t errlen)
{
    lua_State *L = s->L;
    setup_env(s);
    char *copy = fr__xmemdup(code, len);
    copy[0] = copy[1] = '-'; /* the metadata line: a comment, line numbers kept */
    int rc = luaL_loadbuffer(L, copy, len, "@user_function");
    free(copy);
    if (rc) {
        snprintf(err, errlen, "ERR Error compiling function: %s", lua_tostring(L, -1));
        lua_pop(L, 1);
        return NULL;
    }
    lua_getfield(L, LUA_REGISTRYINDEX, FUNC_ENV);
    lua_setfenv(L, -2);
    fr_lib *lib = fr__xcalloc(1, sizeof *lib);
    lib->name = fr__xstrdup(name);
    lib->code = fr__xmemdup(code, len);
    lib->code_len = len;
    loading *ld = loader(s);
    ld->lib = lib;
    env_index(L, 1);
    int base = lua_gettop(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, s->errh_ref);
    lua_insert(L, base);
    s->load_start_ms = fr__mono_ms();
    lua_sethook(L, load_hook, LUA_MASKCOUNT, 100000);
    rc = lua_pcall(L, 0, 0, base);
    lua_sethook(L, NULL, 0, 0);
    env_index(L, 0);
    ld->lib = NULL;
    if (rc) {
        const char *m = NULL;
        if (lua_istable(L, -1)) {
            lua_getfield(L, -1, "err");
            m = lua_tostring(L, -1);
        }
        snprintf(err, errlen, "ERR Error registering functions: %s", m ? m : "unknown error");
        lua_settop(L, base - 1);
        lib_free(s, lib);
        return NULL;
    }
    lua_settop(L, base - 1);
    if (!lib->funcs) {
        snprintf(err, errlen, "ERR No functions registered");
        lib_free(s, lib);
        return NULL;
    }
    return lib;
}

static int install(fr_scripting *s, fr_lib *lib, int replace, char *err, size_t errlen)
{
    fr_lib *old = find_lib(s, lib->name, strlen(lib->name));
    if (old && !replace) {
        snprintf(err, errlen, "ERR Library '%s' already exists", lib->name);
        return -1;
    }
    for (fr_func *f = lib->funcs; f; f = f->next) {
        fr_func *other = find_func(s, f->name, strlen(f->name));
        if (other && other->lib != old) {
            snprintf(err, errlen, "ERR Function %s already exists", f->name);
            return -1;
        }
    }
    if (old) {
        unlink_lib(s, old);
        lib_free(s, old);
    }
    link_lib(s, lib);
    return 0;
}

int fr__function_load(fr_server *srv, const char *code, size_t len, int replace, char *err,
                      size_t errlen)
{
    fr_scripting *s = fr__scripting(srv);
    char name[256];
    if (!s->L) {
        snprintf(err, errlen, "ERR could not create the Lua state");
        return -1;
    }
    if (parse_meta(code, len, name, sizeof name, err, errlen) < 0)
        return -1;
    fr_lib *lib = build(s, code, len, name, err, errlen);
    if (!lib)
        return -1;
    if (install(s, lib, replace, err, errlen) < 0) {
        lib_free(s, lib);
        return -1;
    }
    return 0;
}

static int arg_is(const fr_arg *a, const char *s)
{
    return a->len == strlen(s) && !strncasecmp(a->p, s, a->len);
}

void fr__function_load_cmd(fr_conn *c)
{
    int replace = 0, i = 2;
    for (; i < c->argc - 1; i++) {
        if (arg_is(&c->argv[i], "replace")) {
            replace = 1;
        } else {
            fr__add_errorf(c, "Unknown option given: %.*s", (int)c->argv[i].len, c->argv[i].p);
            return;
        }
    }
    if (i != c->argc - 1) {
        fr__add_error(c, "Function code is missing");
        return;
    }
    char err[600];
    const fr_arg *code = &c->argv[c->argc - 1];
    if (fr__function_load(c->srv, code->p, code->len, replace, err, sizeof err) < 0) {
        fr__add_errorf(c, "-%s", err);
        return;
    }
    char name[256];
    parse_meta(code->p, code->len, name, sizeof name, err, sizeof err);
    fr__add_bulk_cstr(c, name);
}

void fr__function_drop(fr_scripting *s, const char *name)
{
    fr_lib *lib = find_lib(s, name, strlen(name));
    if (lib) {
        unlink_lib(s, lib);
        lib_free(s, lib);
    }
}

void fr__function_delete_cmd(fr_conn *c)
{
    fr_scripting *s = fr__scripting(c->srv);
    fr_lib *lib = find_lib(s, c->argv[2].p, c->argv[2].len);
    if (!lib) {
        fr__add_error(c, "Library not found");
        return;
    }
    unlink_lib(s, lib);
    lib_free(s, lib);
    fr__add_ok(c);
}

static void flush_all(fr_scripting *s)
{
    fr_dict_iter it;
    fr__dict_iter_start(&it, &s->libs);
    fr_lib **all = fr__xcalloc(fr__dict_size(&s->libs) + 1, sizeof *all);
    size_t n = 0;
    for (fr_dict_entry *e; (e = fr__dict_iter_next(&it));)
        all[n++] = e->v.p;
    fr__dict_iter_end(&it);
    fr__dict_clear(&s->libs);
    fr__dict_clear(&s->funcs);
    for (size_t i = 0; i < n; i++)
        lib_free(s, all[i]);
    free(all);
    s->libs_bytes = 0;
}

void fr__functions_free(fr_scripting *s)
{
    flush_all(s);
    fr__dict_clear(&s->libs);
    fr__dict_clear(&s->funcs);
}

void fr__function_flush_cmd(fr_conn *c)
{
    if (c->argc > 3 ||
        (c->argc == 3 && !arg_is(&c->argv[2], "sync") && !arg_is(&c->argv[2], "async"))) {
        fr__add_error(c, "FUNCTION FLUSH only supports SYNC|ASYNC option");
        return;
    }
    flush_all(fr__scripting(c->srv));
    fr__add_ok(c);
}

static void add_flags(fr_conn *c, unsigned flags)
{
    static const struct {
        unsigned f;
        const char *name;
    } names[] = {{FR_SF_NO_WRITES, "no-writes"},
                 {FR_SF_ALLOW_OOM, "allow-oom"},
                 {FR_SF_ALLOW_STALE, "allow-stale"},
                 {FR_SF_NO_CLUSTER, "no-cluster"},
                 {FR_SF_ALLOW_CROSS_SLOT, "allow-cross-slot-keys"}};
    int n = 0;
    for (size_t i = 0; i < 5; i++)
        n += (flags & names[i].f) != 0;
    fr__add_set(c, n);
    for (size_t i = 0; i < 5; i++)
        if (flags & names[i].f)
            fr__add_status(c, names[i].name);
}

void fr__function_list_cmd(fr_conn *c)
{
    int withcode = 0;
    const fr_arg *pat = NULL;
    for (int i = 2; i < c->argc; i++) {
        if (arg_is(&c->argv[i], "withcode")) {
            if (withcode) {
                fr__add_errorf(c, "Unknown argument %.*s", (int)c->argv[i].len, c->argv[i].p);
                return;
            }
            withcode = 1;
        } else if (arg_is(&c->argv[i], "libraryname") && !pat) {
            if (i + 1 >= c->argc) {
                fr__add_error(c, "library name argument was not given");
                return;
            }
            pat = &c->argv[++i];
        } else {
            fr__add_errorf(c, "Unknown argument %.*s", (int)c->argv[i].len, c->argv[i].p);
            return;
        }
    }
    fr_scripting *s = fr__scripting(c->srv);
    size_t h = fr__add_deferred(c);
    long long n = 0;
    fr_dict_iter it;
    fr__dict_iter_start(&it, &s->libs);
    for (fr_dict_entry *e; (e = fr__dict_iter_next(&it));) {
        fr_lib *lib = e->v.p;
        if (pat && !fr__glob_match(pat->p, pat->len, lib->name, strlen(lib->name), 0))
            continue;
        n++;
        fr__add_map(c, withcode ? 4 : 3);
        fr__add_bulk_cstr(c, "library_name");
        fr__add_bulk_cstr(c, lib->name);
        fr__add_bulk_cstr(c, "engine");
        fr__add_bulk_cstr(c, "LUA");
        fr__add_bulk_cstr(c, "functions");
        fr__add_array(c, lib->nfuncs);
        for (fr_func *f = lib->funcs; f; f = f->next) {
            fr__add_map(c, 3);
            fr__add_bulk_cstr(c, "name");
            fr__add_bulk_cstr(c, f->name);
            fr__add_bulk_cstr(c, "description");
            fr__add_bulk_cstr(c, f->desc);
            fr__add_bulk_cstr(c, "flags");
            add_flags(c, f->flags);
        }
        if (withcode) {
            fr__add_bulk_cstr(c, "library_code");
            fr__add_bulk(c, lib->code, lib->code_len);
        }
    }
    fr__dict_iter_end(&it);
    fr__set_deferred(c, h, '*', n);
}

void fr__function_stats_cmd(fr_conn *c)
{
    fr_scripting *s = fr__scripting(c->srv);
    if (s->run.busy && !s->run.is_function) {
        fr__add_error(c, fr__busy_text(0)); /* as Redis: not while an EVAL runs */
        return;
    }
    fr__add_map(c, 2);
    fr__add_bulk_cstr(c, "running_script");
    if (s->run.active && s->run.is_function) {
        fr__add_map(c, 3);
        fr__add_bulk_cstr(c, "name");
        fr__add_bulk_cstr(c, s->run.name);
        fr__add_bulk_cstr(c, "command");
        fr__add_array(c, s->run.caller->argc);
        for (int i = 0; i < s->run.caller->argc; i++)
            fr__add_bulk(c, s->run.caller->argv[i].p, s->run.caller->argv[i].len);
        fr__add_bulk_cstr(c, "duration_ms");
        fr__add_ll(c, fr__mono_ms() - s->run.start_ms);
    } else {
        fr__add_null(c);
    }
    fr__add_bulk_cstr(c, "engines");
    fr__add_map(c, 1);
    fr__add_bulk_cstr(c, "LUA");
    fr__add_map(c, 2);
    fr__add_bulk_cstr(c, "libraries_count");
    fr__add_ll(c, (long long)fr__dict_size(&s->libs));
    fr__add_bulk_cstr(c, "functions_count");
    fr__add_ll(c, (long long)fr__dict_size(&s->funcs));
}

void fr__fcall(fr_conn *c, int ro)
{
    fr_scripting *s = fr__scripting(c->srv);
    if (!s->L) {
        fr__add_error(c, "could not create the Lua state");
        return;
    }
    long long numkeys;
    if (!fr__script_numkeys(c, "Bad number of keys provided", &numkeys))
        return;
    fr_func *f = find_func(s, c->argv[1].p, c->argv[1].len);
    if (!f) {
        fr__add_error(c, "Function not found");
        return;
    }
    if (!fr__script_may_run(c, f->flags, ro))
        return;
    lua_State *L = s->L;
    lua_rawgeti(L, LUA_REGISTRYINDEX, f->ref);
    for (int part = 0; part < 2; part++) {
        int from = part ? 3 + (int)numkeys : 3, to = part ? c->argc : 3 + (int)numkeys;
        lua_createtable(L, to - from, 0);
        for (int i = from; i < to; i++) {
            lua_pushlstring(L, c->argv[i].p, c->argv[i].len);
            lua_rawseti(L, -2, i - from + 1);
        }
    }
    char name[256];
    snprintf(name, sizeof name, "%s", f->name);
    fr__script_run(s, c, 2, name, 1, f->flags, ro, numkeys ? &c->argv[3] : NULL);
}
