/* In-process commands: fr_exec runs a command as the server's pseudo
 * client (RESP3, no socket) on the loop thread and parses its reply. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

typedef struct exec_job {
    int argc;
    fr_arg *argv;
    fr_reply *reply;
    int db; /* for select jobs */
    int status;
} exec_job;

static void run_exec(fr_server *srv, void *arg)
{
    exec_job *j = arg;
    fr_conn *c = fr__exec_client(srv);
    if (srv->shut_down || !c)
        return;
    fr__dispatch(c, j->argc, j->argv);
    c->flags &= ~(unsigned)(FR_CONN_REPLY_OFF | FR_CONN_REPLY_SKIP | FR_CONN_REPLY_SKIP_NEXT |
                            FR_CONN_POSTPONED | FR_CONN_CLOSE_AFTER_REPLY);
    /* fr_exec promises RESP3 replies: RESET or HELLO 2 must not change the
     * protocol of later calls (their own reply is already encoded) */
    c->resp = 3;
    size_t len = evbuffer_get_length(c->out);
    if (len == 0)
        return;
    const char *bytes = (const char *)evbuffer_pullup(c->out, -1);
    size_t used = 0;
    if (fr_reply_parse(bytes, len, &used, &j->reply) != 1)
        j->reply = NULL;
    /* the text behind FR_ERR_REPLY for the helpers of inspect.h; set here,
     * on the loop thread, where every other detail is set */
    if (j->reply && j->reply->type == FR_REPLY_ERROR)
        fr__server_set_err(srv, "%s", j->reply->str);
    /* anything after the first reply (pushes) is not for this call */
    evbuffer_drain(c->out, len);
}

fr_reply *fr_exec(fr_server *srv, int argc, const char *const *argv, const size_t *lens)
{
    if (!srv || argc < 1 || !argv)
        return NULL;
    fr_arg stack[16];
    fr_arg *args = argc <= 16 ? stack : fr__xmalloc((size_t)argc * sizeof *args);
    for (int i = 0; i < argc; i++) {
        args[i].p = argv[i] ? argv[i] : "";
        args[i].len = lens ? lens[i] : strlen(args[i].p);
    }
    exec_job j = {argc, args, NULL, 0, 0};
    fr__run_on_loop(srv, run_exec, &j);
    if (args != stack)
        free(args);
    return j.reply;
}

/* Split fmt into words like hiredis' redisCommand: spaces separate
 * arguments, each %-directive expands inside its word. */
fr_reply *fr_execf(fr_server *srv, const char *fmt, ...)
{
    if (!srv || !fmt)
        return NULL;
    fr_buf words = {0};
    size_t *ends = NULL, n = 0, cap = 0;
    int in_word = 0;
    va_list ap;
    va_start(ap, fmt);
    for (const char *p = fmt; *p; p++) {
        if (*p == ' ') {
            if (in_word) {
                if (n == cap) {
                    cap = cap ? cap * 2 : 8;
                    ends = fr__xrealloc(ends, cap * sizeof *ends);
                }
                ends[n++] = words.len;
                in_word = 0;
            }
            continue;
        }
        in_word = 1;
        if (*p != '%' || !p[1]) {
            fr__buf_putc(&words, *p);
            continue;
        }
        p++;
        switch (*p) {
        case 's':
            fr__buf_puts(&words, va_arg(ap, const char *));
            break;
        case 'b': {
            const char *b = va_arg(ap, const char *);
            size_t bl = va_arg(ap, size_t);
            fr__buf_append(&words, b, bl);
            break;
        }
        case 'd':
        case 'i':
            fr__buf_put_ll(&words, va_arg(ap, int));
            break;
        case 'u':
            fr__buf_printf(&words, "%u", va_arg(ap, unsigned));
            break;
        case 'f':
        case 'g':
            fr__buf_printf(&words, "%.17g", va_arg(ap, double));
            break;
        case 'l':
            if (p[1] == 'l' && p[2] == 'd') {
                fr__buf_put_ll(&words, va_arg(ap, long long));
                p += 2;
            } else if (p[1] == 'l' && p[2] == 'u') {
                fr__buf_printf(&words, "%llu", va_arg(ap, unsigned long long));
                p += 2;
            } else if (p[1] == 'd') {
                fr__buf_put_ll(&words, va_arg(ap, long));
                p += 1;
            } else {
                fr__buf_putc(&words, 'l');
            }
            break;
        case '%':
            fr__buf_putc(&words, '%');
            break;
        default:
            fr__buf_putc(&words, '%');
            fr__buf_putc(&words, *p);
            break;
        }
    }
    va_end(ap);
    if (in_word) {
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            ends = fr__xrealloc(ends, cap * sizeof *ends);
        }
        ends[n++] = words.len;
    }
    fr_reply *r = NULL;
    if (n > 0) {
        const char **argv = fr__xmalloc(n * sizeof *argv);
        size_t *lens = fr__xmalloc(n * sizeof *lens);
        size_t start = 0;
        for (size_t i = 0; i < n; i++) {
            argv[i] = words.p + start;
            lens[i] = ends[i] - start;
            start = ends[i];
        }
        r = fr_exec(srv, (int)n, argv, lens);
        free(argv);
        free(lens);
    }
    free(ends);
    fr__buf_free(&words);
    return r;
}

static void run_select(fr_server *srv, void *arg)
{
    exec_job *j = arg;
    if (j->db < 0 || j->db >= srv->cfg.databases) {
        j->status = FR_ERR_ARG;
        return;
    }
    fr__exec_client(srv)->db = j->db;
}

int fr_exec_select(fr_server *srv, int db)
{
    if (!srv)
        return FR_ERR_ARG;
    exec_job j = {0, NULL, NULL, db, FR_OK};
    int rc = fr__run_on_loop(srv, run_select, &j);
    return rc ? rc : j.status;
}
