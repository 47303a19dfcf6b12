/* The recorder: events appended to a buffer as records, the buffer written
 * to the file once per loop iteration (an event made active when the
 * buffer goes non-empty runs after the callbacks of this iteration), or
 * at once past FLUSH_BYTES. The format is in include/fakeredis/record.h,
 * its encoder in record_format.c. */
#include "record_engine.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base.h"
#include "core.h"
#include "record_format.h"

#define FLUSH_BYTES (256 * 1024)

/* ---- writing ---------------------------------------------------------- */

static int recording(const fr_rec *r)
{
    return r && r->fd >= 0;
}

static void flush(fr_rec *r)
{
    size_t off = 0;
    while (r->fd >= 0 && off < r->out.len) {
        ssize_t n = write(r->fd, r->out.p + off, r->out.len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            /* stop here: later records would follow a hole */
            r->write_errno = n < 0 ? errno : EIO;
            close(r->fd);
            r->fd = -1;
            break;
        }
        off += (size_t)n;
    }
    fr__buf_clear(&r->out);
    if (r->out.cap > 4 * FLUSH_BYTES)
        fr__buf_free(&r->out);
    r->pass_rec = (size_t)-1;
    r->hold_flush = 0;
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    flush(arg);
}

/* Start a record: length and CRC are filled in by end_record(). Returns
 * the record's offset in the buffer. */
static size_t begin_record(fr_rec *r, int type, int flags, uint64_t conn_id)
{
    if (!r->out.len)
        event_active(r->flush_ev, EV_TIMEOUT, 0);
    return fr__rec_begin(&r->out, (fr_rec_type)type, (unsigned)flags, fr__mono_us() - r->t0_us,
                         conn_id);
}

static void seal(fr_rec *r, size_t at)
{
    fr__rec_seal(&r->out, at, r->out.len);
}

static void end_record(fr_rec *r, size_t at)
{
    seal(r, at);
    if (r->out.len >= FLUSH_BYTES && !r->hold_flush)
        flush(r);
}

static void record_bytes(fr_rec *r, int type, int flags, uint64_t id, const void *p, size_t n)
{
    size_t at = begin_record(r, type, flags, id);
    fr__buf_append(&r->out, p, n);
    end_record(r, at);
}

/* ---- per-connection state ---------------------------------------------- */

static void conn_state_free(fr_dict_val v, void *ctx)
{
    (void)ctx;
    fr__playback_conn_free(v.p);
    free(v.p);
}

static const fr_dict_type conn_state_type = {conn_state_free};

fr_rec_conn *fr__rec_conn_state(fr_rec *r, const fr_conn *c)
{
    /* a pipeline runs many commands of one connection in a row */
    if (r->last_conn == c)
        return r->last_state;
    fr_dict_entry *e = fr__dict_find(r->conns, &c->id, sizeof c->id);
    fr_rec_conn *st;
    if (e) {
        st = e->v.p;
    } else {
        e = fr__dict_add(r->conns, &c->id, sizeof c->id, NULL);
        st = fr__xcalloc(1, sizeof *st);
        st->pb_index = -1;
        e->v.p = st;
    }
    r->last_conn = c;
    r->last_state = st;
    return st;
}

/* The recorder's (and playback's) place on the request path: registered
 * with the state (a recording or a playback starting), unregistered when
 * the state goes. Lower order than the faults: it sees commands and
 * replies before a rule changes them. Defined with the taps below. */
static const fr_stage_ops record_stage;

fr_rec *fr__rec_get(fr_server *srv)
{
    if (srv->rec)
        return srv->rec;
    if (fr__stage_register(srv, &record_stage) < 0)
        return NULL;
    fr_rec *r = fr__xcalloc(1, sizeof *r);
    r->srv = srv;
    r->fd = -1;
    r->pass_rec = (size_t)-1;
    r->flush_ev = event_new(srv->base, -1, 0, on_flush, r);
    r->conns = fr__dict_new(&conn_state_type, NULL);
    if (!r->flush_ev) {
        fr__dict_free(r->conns);
        free(r);
        return NULL;
    }
    srv->rec = r;
    return r;
}

void fr__rec_maybe_free(fr_server *srv)
{
    fr_rec *r = srv->rec;
    if (!r || r->fd >= 0 || r->pb)
        return;
    fr__stage_unregister(srv, &record_stage);
    event_free(r->flush_ev);
    fr__dict_free(r->conns);
    fr__buf_free(&r->out);
    free(r);
    srv->rec = NULL;
}

/* ---- the taps ---------------------------------------------------------- */

static void record_connect(fr_rec *r, const fr_conn *c)
{
    const char *addr = fr__conn_addr(c);
    record_bytes(r, FR_REC_CONNECT, 0, c->id, addr, strlen(addr));
}

static void tap_open(fr_conn *c)
{
    fr_rec *r = c->srv->rec;
    if (c->flags & FR_CONN_PSEUDO)
        return;
    fr_rec_conn *st = fr__rec_conn_state(r, c);
    if (recording(r))
        record_connect(r, c);
    if (r->pb)
        fr__playback_conn_open(c, st);
}

static void tap_close(fr_conn *c)
{
    fr_rec *r = c->srv->rec;
    if (c->flags & FR_CONN_PSEUDO)
        return;
    if (recording(r))
        record_bytes(r, FR_REC_DISCONNECT, 0, c->id, NULL, 0);
    if (r->pass_c == c)
        r->pass_c = NULL;
    if (r->last_conn == c)
        r->last_conn = NULL;
    fr__dict_delete(r->conns, &c->id, sizeof c->id);
}

static void record_argv(fr_rec *r, int type, uint64_t conn, int argc, const fr_arg *argv)
{
    size_t at = begin_record(r, type, 0, conn);
    fr__rec_put_u32(&r->out, (uint32_t)argc);
    for (int i = 0; i < argc; i++)
        fr__rec_put_arg(&r->out, argv[i].p, argv[i].len);
    end_record(r, at);
}

void fr__rec_action(fr_server *srv, int argc, const fr_arg *argv)
{
    if (recording(srv->rec))
        record_argv(srv->rec, FR_REC_ACTION, 0, argc, argv);
}

/* fr_exec's command: the test's action, in the database it ran in. */
static void record_exec(fr_rec *r, const fr_conn *c, int argc, const fr_arg *argv)
{
    if (c->db != r->action_db && !(r->action_db < 0 && c->db == 0)) {
        char db[24];
        fr_arg sel[2] = {{"SELECT", 6}, {db, (size_t)snprintf(db, sizeof db, "%d", c->db)}};
        record_argv(r, FR_REC_ACTION, 0, 2, sel);
    }
    r->action_db = c->db;
    record_argv(r, FR_REC_ACTION, 0, argc, argv);
}

static int tap_command(fr_conn *c, const fr_cmd *cmd, int argc, const fr_arg *argv)
{
    (void)cmd;
    fr_rec *r = c->srv->rec;
    if (c->flags & FR_CONN_PSEUDO) {
        if (recording(r))
            record_exec(r, c, argc, argv);
        return 0;
    }
    fr_rec_conn *st = fr__rec_conn_state(r, c);
    /* where the command starts in the connection's input: the same for a
     * command held (CLIENT PAUSE, a stall rule) and dispatched again */
    uint64_t start = c->tot_in - (uint64_t)(c->in.len - c->in_off) + 1;
    if (st->last_start == start)
        return 0;
    st->last_start = start;
    if (recording(r))
        record_argv(r, FR_REC_COMMAND, c->id, argc, argv);
    if (!r->pb || !fr__playback_command(c, st, argc, argv))
        return 0;
    c->argv = NULL;
    c->argc = 0;
    return 1;
}

/* Reply or push bytes entering the output stage (recorded as sent
 * untouched until tap_output_taken says otherwise). It only looks: 0. */
static int tap_output(fr_conn *c, const void *p, size_t n)
{
    fr_rec *r = c->srv->rec;
    if (!recording(r) || (c->flags & FR_CONN_PSEUDO))
        return 0;
    /* the dispatcher commits a reply from c->reply; pushes come from
     * elsewhere (the fault engine tells them apart the same way) */
    int type = p == c->reply.p ? FR_REC_REPLY : FR_REC_PUSH;
    r->hold_flush = 0;
    size_t at = begin_record(r, type, FR_REC_SENT, c->id);
    fr__buf_append(&r->out, p, n);
    seal(r, at);
    /* until the bytes reach the socket queue untouched (tap_wire) or
     * the fault stage takes them, the flag may have to change */
    r->pass_c = c;
    r->pass_p = p;
    r->pass_n = n;
    r->pass_rec = at;
    r->pass_end = r->out.len;
    r->hold_flush = 1;
    return 0;
}

static void tap_output_taken(fr_conn *c)
{
    fr_rec *r = c->srv->rec;
    if (!recording(r))
        return;
    if (r->pass_c == c && r->pass_rec != (size_t)-1) {
        /* the fault stage kept them: what leaves is recorded as WIRE */
        fr__rec_set_flags(&r->out, r->pass_rec, r->pass_end, 0);
    }
    r->pass_c = NULL;
    r->pass_rec = (size_t)-1;
    r->hold_flush = 0;
}

static void tap_wire(fr_conn *c, const void *p, size_t n)
{
    fr_rec *r = c->srv->rec;
    if (!recording(r) || (c->flags & FR_CONN_PSEUDO))
        return;
    if (r->pass_c == c && r->pass_p == p && r->pass_n == n) {
        r->pass_c = NULL; /* the untouched copy: already recorded */
        r->pass_rec = (size_t)-1;
        r->hold_flush = 0;
        return;
    }
    record_bytes(r, FR_REC_WIRE, FR_REC_SENT, c->id, p, n);
}

/* A fault rule fired (reported through the stage table): its id and
 * text form. */
static void record_event(fr_server *srv, uint64_t conn_id, uint64_t id, const char *text)
{
    fr_rec *r = srv->rec;
    if (!recording(r))
        return;
    size_t at = begin_record(r, FR_REC_FAULT, 0, conn_id);
    fr__rec_put_u64(&r->out, id);
    fr__buf_puts(&r->out, text);
    end_record(r, at);
}

static const fr_stage_ops record_stage = {
    .name = "record",
    .order = 10,
    .open = tap_open,
    .before_command = tap_command,
    .output = tap_output,
    .output_taken = tap_output_taken,
    .wire = tap_wire,
    .close = tap_close,
    .event = record_event,
    .stop = fr__rec_free,
};

/* ---- start and stop ---------------------------------------------------- */

/* Start recording into fd, which is owned from here on. Returns 0; -1
 * when out of memory; -2 when the header could not be written, with the
 * cause in *werr. */
static int start_fd(fr_server *srv, int fd, int *werr)
{
    fr_rec *r = fr__rec_get(srv);
    if (!r) {
        close(fd);
        return -1;
    }
    r->fd = fd;
    r->write_errno = 0;
    r->action_db = -1;
    r->t0_us = fr__mono_us();
    fr__rec_put_file_header(&r->out, fr__real_us());
    /* connections already open: say who they are, oldest first */
    fr_conn *last = srv->conns;
    while (last && last->next)
        last = last->next;
    for (fr_conn *c = last; c; c = c->prev) {
        if (c->flags & (FR_CONN_PSEUDO | FR_CONN_CLOSE_ASAP))
            continue;
        fr__rec_conn_state(r, c);
        record_connect(r, c);
    }
    flush(r);
    if (r->fd < 0) {
        *werr = r->write_errno;
        fr__rec_maybe_free(srv);
        return -2;
    }
    return 0;
}

static int running(const fr_server *srv)
{
    return srv->rec && srv->rec->fd >= 0;
}

int fr__rec_start(fr_server *srv, const char *path, char *err, size_t cap)
{
    if (running(srv)) {
        snprintf(err, cap, "a recording is already running");
        return -1;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, cap, "cannot open '%s': %s", path, strerror(errno));
        return -1;
    }
    int werr = 0, rc = start_fd(srv, fd, &werr);
    if (rc == -1)
        snprintf(err, cap, "out of memory");
    else if (rc == -2)
        snprintf(err, cap, "cannot write '%s': %s", path, strerror(werr));
    return rc < 0 ? -1 : 0;
}

/* A name FAKE.RECORD START may use: one path component, printable, not
 * "." or "..". */
static int plain_name(const char *name, size_t len)
{
    if (len == 0 || len > NAME_MAX || (len == 1 && name[0] == '.') ||
        (len == 2 && name[0] == '.' && name[1] == '.'))
        return 0;
    for (size_t i = 0; i < len; i++)
        if (name[i] == '/' || (unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            return 0;
    return 1;
}

/* Open name inside the record directory for writing, without following a
 * symlink, without blocking (a FIFO would hang the loop in open()), and
 * only if it is (or becomes) a regular file with no other link: the file
 * is truncated only once that is checked on the open descriptor. Returns
 * the fd, or -1 with the client-safe reason in *why. */
static int open_in_dir(const char *dir, const char *name, const char **why)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        *why = "the record directory cannot be opened";
        return -1;
    }
    struct stat st;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        (!S_ISREG(st.st_mode) || st.st_nlink != 1)) {
        close(dfd);
        *why = "the name exists and is not a regular file";
        return -1;
    }
    int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
                    0644);
    int e = errno;
    close(dfd);
    if (fd < 0) {
        *why = e == ELOOP || e == ENXIO || e == EISDIR
                   ? "the name exists and is not a regular file"
                   : "cannot create the file in the record directory";
        return -1;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
        close(fd);
        *why = "the name exists and is not a regular file";
        return -1;
    }
    int fl = fcntl(fd, F_GETFL);
    if (ftruncate(fd, 0) < 0 || fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
        close(fd);
        *why = "cannot create the file in the record directory";
        return -1;
    }
    return fd;
}

int fr__rec_start_in_dir(fr_server *srv, const char *name, size_t len, char *err, size_t cap)
{
    const char *dir = srv->cfg.record_dir;
    if (running(srv)) {
        snprintf(err, cap, "a recording is already running");
        return -1;
    }
    if (!dir) {
        snprintf(err, cap, "no record directory: start the server with --record-dir "
                           "(fr_options.record_dir) to record over the wire");
        return -1;
    }
    if (!plain_name(name, len)) {
        snprintf(err, cap, "expected a file name inside the record directory (no '/', not "
                           "'.' or '..')");
        return -1;
    }
    char *nm = fr__xmemdup(name, len);
    const char *why = NULL;
    int fd = open_in_dir(dir, nm, &why);
    free(nm);
    if (fd < 0) {
        snprintf(err, cap, "%s", why);
        return -1;
    }
    int werr = 0, rc = start_fd(srv, fd, &werr);
    if (rc == -1)
        snprintf(err, cap, "out of memory");
    else if (rc == -2)
        snprintf(err, cap, "cannot write the file");
    return rc < 0 ? -1 : 0;
}

int fr__rec_stop(fr_server *srv)
{
    fr_rec *r = srv->rec;
    if (!r || (r->fd < 0 && !r->write_errno))
        return FR_ERR_STATE;
    flush(r);
    int rc = r->write_errno ? FR_ERR_IO : FR_OK;
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
    r->write_errno = 0;
    r->pass_c = NULL;
    r->hold_flush = 0;
    fr__rec_maybe_free(srv);
    return rc;
}

void fr__rec_free(fr_server *srv)
{
    if (!srv->rec)
        return;
    if (srv->rec->fd >= 0 || srv->rec->write_errno)
        fr__rec_stop(srv);
    if (srv->rec) {
        fr__playback_free(srv->rec->pb);
        srv->rec->pb = NULL;
        fr__rec_maybe_free(srv);
    }
}

/* ---- the public API ---------------------------------------------------- */

typedef struct start_job {
    const char *path;
    int rc;
} start_job;

static void start_on_loop(fr_server *srv, void *arg)
{
    start_job *j = arg;
    char err[512];
    if (!*j->path) {
        /* on the loop, where errstr is written: the caller reads why */
        fr__server_set_err(srv, "fr_record_start: the path is empty");
        j->rc = FR_ERR_ARG;
        return;
    }
    if (srv->rec && srv->rec->fd >= 0) {
        fr__server_set_err(srv, "a recording is already running");
        j->rc = FR_ERR_STATE;
        return;
    }
    if (fr__rec_start(srv, j->path, err, sizeof err) < 0) {
        fr__server_set_err(srv, "%s", err);
        j->rc = FR_ERR_IO;
        return;
    }
    j->rc = FR_OK;
}

int fr_record_start(fr_server *srv, const char *path)
{
    if (!srv)
        return FR_ERR_ARG;
    if (!path)
        path = ""; /* refused on the loop, with the reason */
    start_job j = {path, FR_OK};
    int rc = fr__run_on_loop(srv, start_on_loop, &j);
    return rc != FR_OK ? rc : j.rc;
}

static void stop_on_loop(fr_server *srv, void *arg)
{
    *(int *)arg = fr__rec_stop(srv);
}

int fr_record_stop(fr_server *srv)
{
    if (!srv)
        return FR_ERR_ARG;
    int j = FR_OK;
    int rc = fr__run_on_loop(srv, stop_on_loop, &j);
    return rc != FR_OK ? rc : j;
}
