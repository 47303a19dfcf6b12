/* The command journal: a ring of entries filled from the stage table.
 *
 * Cost per command: a slot of the ring (reused, so no allocation once the
 * ring went round), the arguments copied into the slot's buffer (bounded),
 * no clock read (the time is the connection's last read, stamped once per
 * read). The reply is looked at for its first byte, and for an error its
 * first line. See journal_engine.h and include/fakeredis/journal.h. */
#include "journal_engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "core.h"

/* An entry's bytes stop growing at this (arguments past it are dropped,
 * marked truncated), so a ring of N entries holds at most about N * 2 KB
 * however big the commands are. */
#define ENTRY_BYTES_MAX 2048
#define TEXT_MAX 256

/* two slots a 256-byte block, and every length of an entry in 16 bits */
_Static_assert(sizeof(fr_jslot) == 128, "a journal slot is 128 bytes");
_Static_assert(ENTRY_BYTES_MAX + FR_JOURNAL_ARG_MAX + 2 * TEXT_MAX < 65536,
               "an entry's lengths fit 16 bits");

/* ---- the ring ----------------------------------------------------------- */

static fr_jslot *slot_at(struct fr_jring *j, size_t i)
{
    return &j->chunks[i >> JCHUNK_SHIFT][i & (JCHUNK - 1)];
}

static fr_jslot *slot_of(struct fr_jring *j, uint64_t seq)
{
    return slot_at(j, (seq - 1) % j->cap);
}

/* The slot for a new entry: the oldest one's, cleared. No division on
 * this path: the ring's next index wraps by compare. */
static fr_jslot *new_entry(struct fr_jring *j, int kind, uint64_t conn, int64_t t_us)
{
    uint64_t seq = j->seq + 1;
    __atomic_store_n(&j->seq, seq, __ATOMIC_RELEASE); /* fr_journal_mark reads it */
    fr_jslot **chunk = &j->chunks[j->next >> JCHUNK_SHIFT];
    if (!*chunk) /* the ring's first round: zeroed slots (data NULL: inline) */
        *chunk = fr__xcalloc(JCHUNK, sizeof **chunk);
    fr_jslot *s = slot_at(j, j->next);
    j->next = j->next + 1 == j->cap ? 0 : j->next + 1;
    s->seq = seq;
    s->t_us = t_us;
    s->conn = conn;
    s->kind = (uint8_t)kind;
    s->reply = 0;
    s->truncated = 0;
    s->nfaults = 0;
    s->argc = s->nargv = 0;
    s->name_len = s->text_off = s->text_len = 0;
    s->len = 0;
    if (!s->data) { /* a slot of a fresh chunk */
        s->data = s->inl;
        s->cap = JSLOT_INLINE;
    }
    return s;
}

/* A heap block for n bytes: up to what malloc gives anyway (glibc: 16-byte
 * steps with an 8-byte header), not the next power of two: a ring of
 * batch commands' entries would hold up to twice their size idle. */
static size_t block_size(size_t n)
{
    return ((n + 8 + 15) & ~(size_t)15) - 8;
}

/* A command's slot before its bytes go in (need: all of them, about): a
 * heap block left by an earlier, bigger entry goes back or shrinks, so
 * the ring holds about what its entries need, not the most each slot
 * ever held. */
static void slot_fit(fr_jslot *s, size_t need)
{
    if (s->data == s->inl)
        return;
    if (need <= JSLOT_INLINE) {
        free(s->data);
        s->data = s->inl;
        s->cap = JSLOT_INLINE;
    } else if (s->cap > 2 * need + 64) {
        size_t cap = block_size(need);
        s->data = fr__xrealloc(s->data, cap);
        s->cap = (uint16_t)cap;
    }
}

static void slot_reserve(fr_jslot *s, size_t n)
{
    if (s->len + n <= s->cap)
        return;
    /* a command's arguments are reserved at once (st_before) */
    size_t cap = block_size(s->len + n);
    if (s->data == s->inl) {
        char *d = fr__xmalloc(cap);
        memcpy(d, s->inl, s->len);
        s->data = d;
    } else {
        s->data = fr__xrealloc(s->data, cap);
    }
    s->cap = (uint16_t)cap;
}

static void slot_put(fr_jslot *s, const void *p, size_t n)
{
    slot_reserve(s, n);
    memcpy(s->data + s->len, p, n);
    s->len = (uint16_t)(s->len + n);
}

static void slot_text(fr_jslot *s, const char *p, size_t n)
{
    if (n > TEXT_MAX)
        n = TEXT_MAX;
    s->text_off = s->len;
    s->text_len = (uint16_t)n;
    slot_put(s, p, n);
}

/* The bytes of c's name an entry keeps. */
static size_t name_bytes(const fr_conn *c)
{
    size_t n = c && c->name ? strlen(c->name) : 0;
    return n > TEXT_MAX ? TEXT_MAX : n;
}

static void slot_name_n(fr_jslot *s, const fr_conn *c, size_t n)
{
    if (n) {
        slot_put(s, c->name, n);
        s->name_len = (uint16_t)n;
    }
}

static void slot_name(fr_jslot *s, const fr_conn *c)
{
    slot_name_n(s, c, name_bytes(c));
}

static int64_t now_us(struct fr_jring *j)
{
    return fr__mono_us() - j->t0_us;
}

/* ---- the stage ------------------------------------------------------------ */

static struct fr_journal_conn *jconn(fr_conn *c)
{
    return c->jconn;
}

static void st_open(fr_conn *c)
{
    struct fr_jring *j = c->srv->journal;
    if (!j || (c->flags & FR_CONN_PSEUDO))
        return;
    c->jconn = fr__xcalloc(1, sizeof *c->jconn);
    int64_t t = now_us(j);
    c->jconn->read_us = t;
    fr_jslot *s = new_entry(j, FR_J_CONNECT, c->id, t);
    const char *addr = fr__conn_addr(c);
    slot_text(s, addr, strlen(addr));
}

static void st_close(fr_conn *c)
{
    struct fr_jring *j = c->srv->journal;
    if (!j || !c->jconn)
        return;
    fr_jslot *s = new_entry(j, FR_J_DISCONNECT, c->id, now_us(j));
    slot_name(s, c);
    free(c->jconn);
    c->jconn = NULL;
}

static void st_bytes_in(fr_conn *c, size_t n)
{
    (void)n;
    if (c->jconn) /* core's reading of this read: no clock read here */
        c->jconn->read_us = c->read_us - c->srv->journal->t0_us;
}

static int st_before(fr_conn *c, const fr_cmd *cmd, int argc, const fr_arg *argv)
{
    struct fr_journal_conn *jc = jconn(c);
    if (!jc || (cmd && (cmd->flags & FR_CMD_CONTROL)))
        return 0;
    struct fr_jring *j = c->srv->journal;
    /* where the command starts in the connection's input: the same when a
     * held command (CLIENT PAUSE, a stall rule) is dispatched again */
    uint64_t start = c->tot_in - (uint64_t)(c->in.len - c->in_off) + 1;
    if (jc->last_start == start)
        return 0;
    jc->last_start = start;
    fr_jslot *s = new_entry(j, FR_J_COMMAND, c->id, jc->read_us);
    s->argc = argc;
    int keep = argc < FR_JOURNAL_MAX_ARGS ? argc : FR_JOURNAL_MAX_ARGS;
    s->truncated = keep < argc;
    /* what it will take, made room for once */
    size_t name_n = name_bytes(c), need = name_n;
    for (int i = 0; i < keep; i++)
        need += 2 + (argv[i].len < FR_JOURNAL_ARG_MAX ? argv[i].len : FR_JOURNAL_ARG_MAX);
    if (need > ENTRY_BYTES_MAX)
        need = ENTRY_BYTES_MAX;
    slot_fit(s, need);
    slot_name_n(s, c, name_n);
    slot_reserve(s, need - s->len);
    for (int i = 0; i < keep; i++) {
        size_t n = argv[i].len < FR_JOURNAL_ARG_MAX ? argv[i].len : FR_JOURNAL_ARG_MAX;
        size_t hdr = n < 128 ? 1 : 2;
        if (s->len + hdr + n > ENTRY_BYTES_MAX && i > 0) {
            s->truncated = 1;
            break;
        }
        if (n < argv[i].len)
            s->truncated = 1;
        slot_reserve(s, hdr + n);
        unsigned char *d = (unsigned char *)s->data + s->len;
        if (hdr == 1) {
            d[0] = (unsigned char)n;
        } else {
            d[0] = (unsigned char)(0x80 | (n & 0x7f));
            d[1] = (unsigned char)(n >> 7);
        }
        memcpy(d + hdr, argv[i].p, n);
        s->len = (uint16_t)(s->len + hdr + n);
        s->nargv++;
    }
    jc->open_seq = jc->cmd_seq = s->seq;
    jc->open_slot = s;
    return 0;
}

/* The reply a command's entry waits for: its type and, for an error, its
 * first line. Pushes are not replies. */
static int st_output(fr_conn *c, const void *p, size_t n)
{
    struct fr_journal_conn *jc = jconn(c);
    if (!jc)
        return 0;
    struct fr_jring *j = c->srv->journal;
    if (p != c->reply.p || !jc->open_seq || n == 0)
        return 0; /* a push is not a reply */
    uint64_t seq = jc->open_seq;
    fr_jslot *s = jc->open_slot;
    jc->open_seq = 0;
    if (seq <= j->cleared || s->seq != seq)
        return 0; /* the entry already left the ring */
    const char *b = p;
    s->reply = b[0];
    if (b[0] == '-' || b[0] == '!') {
        const char *line = b + 1;
        size_t len = n - 1;
        if (b[0] == '!') { /* RESP3 blob error: !len\r\ntext\r\n */
            const char *nl = memchr(b, '\n', n);
            line = nl ? nl + 1 : b + n;
            len = (size_t)(b + n - line);
        }
        const char *cr = memchr(line, '\r', len);
        slot_text(s, line, cr ? (size_t)(cr - line) : len);
    }
    return 0;
}

static void st_event(fr_server *srv, uint64_t conn_id, uint64_t id, const char *text)
{
    struct fr_jring *j = srv->journal;
    if (!j)
        return;
    /* a rule that fired while its connection's command is being
     * dispatched (c->argv is set from the start of the dispatch to its end)
     * belongs to that command's entry; one on a push or a read, not */
    fr_conn *c = conn_id ? fr__conn_by_id(srv, conn_id) : NULL;
    if (c && c->argv && c->jconn) {
        uint64_t seq = c->jconn->cmd_seq;
        if (seq && seq > j->cleared && j->seq - seq < j->cap) {
            fr_jslot *s = slot_of(j, seq);
            if (s->nfaults < 4)
                s->faults[s->nfaults++] = id;
            return;
        }
    }
    fr_jslot *s = new_entry(j, FR_J_FAULT, conn_id, now_us(j));
    slot_name(s, c);
    s->faults[0] = id;
    s->nfaults = 1;
    slot_text(s, text, strlen(text));
}

static void st_listen(fr_server *srv, int on)
{
    struct fr_jring *j = srv->journal;
    if (j)
        new_entry(j, on ? FR_J_LISTEN_ON : FR_J_LISTEN_OFF, 0, now_us(j));
}

static void st_stop(fr_server *srv)
{
    struct fr_jring *j = srv->journal;
    if (!j)
        return;
    size_t used = j->seq < j->cap ? (size_t)j->seq : j->cap;
    for (size_t i = 0; i < used; i++) {
        fr_jslot *s = slot_at(j, i);
        if (s->data != s->inl)
            free(s->data);
    }
    for (size_t i = 0; i <= (j->cap - 1) >> JCHUNK_SHIFT; i++)
        free(j->chunks[i]);
    free(j->chunks);
    free(j);
    srv->journal = NULL;
}

/* First of all stages: it sees a command before a rule or playback can
 * answer it, and a reply before a rule changes it. */
static const fr_stage_ops journal_stage = {
    .name = "journal",
    .order = 5,
    .open = st_open,
    .bytes_in = st_bytes_in,
    .before_command = st_before,
    .output = st_output,
    .close = st_close,
    .event = st_event,
    .listen = st_listen,
    .stop = st_stop,
};

void fr__journal_enable(fr_server *srv, long size)
{
    if (srv->journal)
        return;
    if (fr__stage_register(srv, &journal_stage) < 0)
        return;
    struct fr_jring *j = fr__xcalloc(1, sizeof *j);
    j->srv = srv;
    j->cap = size > 0 ? (size_t)size : FR_JOURNAL_DEFAULT_SIZE;
    j->chunks = fr__xcalloc(((j->cap - 1) >> JCHUNK_SHIFT) + 1, sizeof *j->chunks);
    j->t0_us = fr__mono_us();
    srv->journal = j;
}

void fr__journal_clear(struct fr_jring *j)
{
    j->cleared = j->seq;
}

/* ---- queries ---------------------------------------------------------------- */

/* A command pattern split into words. */
typedef struct jpat {
    fr_buf store;
    size_t *starts, *lens;
    size_t n;
} jpat;

static void jpat_free(jpat *p)
{
    fr__buf_free(&p->store);
    free(p->starts);
    free(p->lens);
}

static int jpat_compile(const char *text, jpat *out)
{
    memset(out, 0, sizeof *out);
    size_t cap = 0;
    const char *p = text ? text : "";
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            return 0;
        if (out->n == cap) {
            cap = cap ? cap * 2 : 8;
            out->starts = fr__xrealloc(out->starts, cap * sizeof *out->starts);
            out->lens = fr__xrealloc(out->lens, cap * sizeof *out->lens);
        }
        size_t at = out->store.len;
        while (*p && *p != ' ' && *p != '\t') {
            if (*p != '"') {
                fr__buf_putc(&out->store, *p++);
                continue;
            }
            p++;
            while (*p && *p != '"') {
                if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
                    p++;
                fr__buf_putc(&out->store, *p++);
            }
            if (!*p) {
                jpat_free(out);
                return -1;
            }
            p++;
        }
        out->starts[out->n] = at;
        out->lens[out->n] = out->store.len - at;
        out->n++;
        fr__buf_putc(&out->store, '\0');
    }
}

static int glob_nonempty(const char *pat, size_t plen, const char *s, size_t n, int nocase)
{
    /* Redis' glob never matches an empty subject; a "*" word should */
    if (n == 0)
        return plen == 1 && pat[0] == '*';
    return fr__glob_match(pat, plen, s, n, nocase);
}

/* Match the arguments argv[0..nargv) (argc sent) against the words. */
static int jpat_match(const jpat *p, int argc, int nargv, const char *const *argv,
                      const size_t *lens)
{
    if (p->n == 0)
        return 1;
    if ((size_t)argc < p->n)
        return 0;
    for (size_t i = 0; i < p->n; i++) {
        const char *w = p->store.p + p->starts[i];
        if ((int)i >= nargv) /* not kept: only a bare * can match it */
            return p->lens[i] == 1 && w[0] == '*';
        if (!glob_nonempty(w, p->lens[i], argv[i], lens[i], i == 0))
            return 0;
    }
    return 1;
}

static unsigned kinds_of(const fr_journal_query *q)
{
    return q && q->kinds ? q->kinds : FR_JK(FR_J_COMMAND);
}

/* The slot's arguments as pointers into its data (see fr_jslot). */
static void slot_args(const fr_jslot *s, const char **argv, size_t *lens)
{
    const unsigned char *d = (const unsigned char *)s->data + s->name_len;
    for (int i = 0; i < s->nargv; i++) {
        size_t n = d[0];
        d++;
        if (n & 0x80) {
            n = (n & 0x7f) | (size_t)d[0] << 7;
            d++;
        }
        argv[i] = (const char *)d;
        lens[i] = n;
        d += n;
    }
}

static int slot_matches(const fr_jslot *s, const fr_journal_query *q, const jpat *pat)
{
    if (!(kinds_of(q) & FR_JK(s->kind)))
        return 0;
    if (q && q->client_id && s->conn != q->client_id)
        return 0;
    if (q && q->client) {
        if (!glob_nonempty(q->client, strlen(q->client), s->data ? s->data : "", s->name_len, 0))
            return 0;
    }
    if (s->kind == FR_J_COMMAND && pat->n) {
        const char *argv[FR_JOURNAL_MAX_ARGS];
        size_t lens[FR_JOURNAL_MAX_ARGS];
        slot_args(s, argv, lens);
        return jpat_match(pat, s->argc, s->nargv, argv, lens);
    }
    return 1;
}

/* One public entry in one allocation: argv pointers, lengths, faults, then
 * the strings. argv always points at the allocation (fr_journal_free). */
static void entry_fill(fr_journal_entry *e, const fr_jslot *s)
{
    const char *argv[FR_JOURNAL_MAX_ARGS];
    size_t lens[FR_JOURNAL_MAX_ARGS];
    slot_args(s, argv, lens);
    size_t na = (size_t)s->nargv + 1;
    size_t bytes = na * sizeof(char *) + na * sizeof(size_t) + 4 * sizeof(uint64_t);
    size_t str = s->len + (size_t)s->nargv + 3 + 1; /* NULs */
    char *block = fr__xmalloc(bytes + str);
    const char **pv = (const char **)(void *)block;
    size_t *pl = (size_t *)(void *)(block + na * sizeof(char *));
    uint64_t *pf = (uint64_t *)(void *)(block + na * sizeof(char *) + na * sizeof(size_t));
    char *sp = block + bytes;
    memset(e, 0, sizeof *e);
    e->seq = s->seq;
    e->time_us = s->t_us;
    e->kind = (fr_journal_kind)s->kind;
    e->client_id = s->conn;
    e->argc = s->argc;
    e->nargv = s->nargv;
    e->truncated = s->truncated;
    e->reply = s->reply;
    e->nfaults = s->nfaults;
    memcpy(pf, s->faults, sizeof s->faults);
    e->faults = pf;
    /* name */
    memcpy(sp, s->data ? s->data : "", s->name_len);
    sp[s->name_len] = '\0';
    e->client_name = sp;
    sp += s->name_len + 1;
    for (int i = 0; i < s->nargv; i++) {
        memcpy(sp, argv[i], lens[i]);
        sp[lens[i]] = '\0';
        pv[i] = sp;
        pl[i] = lens[i];
        sp += lens[i] + 1;
    }
    pv[s->nargv] = NULL;
    e->argv = pv;
    e->argvlen = pl;
    /* text */
    memcpy(sp, s->data ? s->data + s->text_off : "", s->text_len);
    sp[s->text_len] = '\0';
    e->addr = "";
    if (s->kind == FR_J_CONNECT)
        e->addr = sp;
    else if (s->kind == FR_J_FAULT)
        e->fault_text = sp;
    else if (s->kind == FR_J_COMMAND && (s->reply == '-' || s->reply == '!'))
        e->error = sp;
}

int fr__journal_select(struct fr_jring *j, const fr_journal_query *q, long long *count,
                       fr_journal **out)
{
    jpat pat;
    if (jpat_compile(q ? q->command : NULL, &pat) < 0)
        return FR_ERR_PARSE;
    uint64_t since = q ? q->since : 0;
    /* the oldest entry the ring still holds; before it, entries asked for
     * (after since) and not cleared were lost to the bound */
    uint64_t ring_first = j->seq > j->cap ? j->seq - j->cap + 1 : 1;
    uint64_t wanted_from = since + 1 > j->cleared + 1 ? since + 1 : j->cleared + 1;
    uint64_t lost = wanted_from < ring_first ? ring_first - wanted_from : 0;
    uint64_t first = ring_first > wanted_from ? ring_first : wanted_from;
    size_t limit = q && q->limit ? q->limit : SIZE_MAX;
    fr_journal *jr = NULL;
    if (out) {
        jr = fr__xcalloc(1, sizeof *jr);
        jr->last = j->seq;
        jr->lost = lost;
    }
    size_t cap = 0;
    long long n = 0;
    for (uint64_t seq = first; seq <= j->seq && (size_t)n < limit; seq++) {
        const fr_jslot *s = slot_of(j, seq);
        if (!slot_matches(s, q, &pat))
            continue;
        n++;
        if (!jr)
            continue;
        if (jr->n == cap) {
            cap = cap ? cap * 2 : 16;
            jr->entries = fr__xrealloc(jr->entries, cap * sizeof *jr->entries);
        }
        entry_fill(&jr->entries[jr->n++], s);
    }
    jpat_free(&pat);
    *count = n;
    if (out)
        *out = jr;
    return FR_OK;
}

/* ---- the public API ------------------------------------------------------------ */

typedef struct select_job {
    const fr_journal_query *q;
    fr_journal **out;
    long long count;
    uint64_t mark;
    int status;
} select_job;

static void select_on_loop(fr_server *srv, void *arg)
{
    select_job *x = arg;
    if (srv->shut_down) {
        x->status = FR_ERR_STOPPED;
        return;
    }
    if (!srv->journal) {
        x->status = FR_ERR_STATE;
        return;
    }
    x->status = fr__journal_select(srv->journal, x->q, &x->count, x->out);
}

long long fr_journal_count(fr_server *srv, const fr_journal_query *q)
{
    if (!srv)
        return FR_ERR_ARG;
    select_job x = {q, NULL, 0, 0, FR_ERR_STOPPED};
    int rc = fr__run_on_loop(srv, select_on_loop, &x);
    if (rc != FR_OK)
        return rc;
    return x.status != FR_OK ? x.status : x.count;
}

int fr_journal_get(fr_server *srv, const fr_journal_query *q, fr_journal **out)
{
    if (!srv || !out)
        return FR_ERR_ARG;
    *out = NULL;
    select_job x = {q, out, 0, 0, FR_ERR_STOPPED};
    int rc = fr__run_on_loop(srv, select_on_loop, &x);
    return rc != FR_OK ? rc : x.status;
}

void fr_journal_free(fr_journal *j)
{
    if (!j)
        return;
    for (size_t i = 0; i < j->n; i++)
        free((void *)j->entries[i].argv);
    free(j->entries);
    free(j);
}

int fr_journal_mark(fr_server *srv, uint64_t *mark)
{
    if (!srv || !mark)
        return FR_ERR_ARG;
    /* No hand-over to the loop thread (a fixture takes a mark per test):
     * the newest seq is published atomically by new_entry, and the journal
     * is made before the loop runs and freed only by fr_server_stop. */
    if (fr_server_is_shut_down(srv))
        return FR_ERR_STOPPED;
    if (!srv->journal)
        return FR_ERR_STATE;
    *mark = __atomic_load_n(&srv->journal->seq, __ATOMIC_ACQUIRE);
    return FR_OK;
}

static void clear_on_loop(fr_server *srv, void *arg)
{
    select_job *x = arg;
    if (srv->shut_down) {
        x->status = FR_ERR_STOPPED;
    } else if (!srv->journal) {
        x->status = FR_ERR_STATE;
    } else {
        fr__journal_clear(srv->journal);
        x->status = FR_OK;
    }
}

int fr_journal_clear(fr_server *srv)
{
    if (!srv)
        return FR_ERR_ARG;
    select_job x = {NULL, NULL, 0, 0, FR_ERR_STOPPED};
    int rc = fr__run_on_loop(srv, clear_on_loop, &x);
    return rc != FR_OK ? rc : x.status;
}

int fr_journal_match(const fr_journal_entry *e, const fr_journal_query *q)
{
    if (!e)
        return 0;
    if (!(kinds_of(q) & FR_JK(e->kind)))
        return 0;
    if (q && q->client_id && e->client_id != q->client_id)
        return 0;
    if (q && q->client &&
        !glob_nonempty(q->client, strlen(q->client), e->client_name, strlen(e->client_name), 0))
        return 0;
    if (e->kind != FR_J_COMMAND || !q || !q->command)
        return 1;
    jpat pat;
    if (jpat_compile(q->command, &pat) < 0)
        return FR_ERR_PARSE;
    int m = jpat_match(&pat, e->argc, e->nargv, e->argv, e->argvlen);
    jpat_free(&pat);
    return m;
}

/* ---- printing -------------------------------------------------------------------- */

static void put_escaped(fr_buf *b, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)p[i];
        if (ch == '"' || ch == '\\') {
            fr__buf_putc(b, '\\');
            fr__buf_putc(b, (char)ch);
        } else if (ch == '\r') {
            fr__buf_puts(b, "\\r");
        } else if (ch == '\n') {
            fr__buf_puts(b, "\\n");
        } else if (ch < 0x20 || ch >= 0x7f) {
            fr__buf_printf(b, "\\x%02x", ch);
        } else {
            fr__buf_putc(b, (char)ch);
        }
    }
}

static void format_entry(fr_buf *b, const fr_journal_entry *e)
{
    fr__buf_printf(b, "#%llu +%lld.%06lld ", (unsigned long long)e->seq,
                   (long long)(e->time_us / 1000000), (long long)(e->time_us % 1000000));
    if (e->client_id) {
        fr__buf_printf(b, "c%llu ", (unsigned long long)e->client_id);
        if (e->client_name[0]) {
            put_escaped(b, e->client_name, strlen(e->client_name));
            fr__buf_putc(b, ' ');
        }
    }
    switch (e->kind) {
    case FR_J_COMMAND:
        for (int i = 0; i < e->nargv; i++) {
            if (i == 0) {
                put_escaped(b, e->argv[0], e->argvlen[0]);
                continue;
            }
            fr__buf_puts(b, " \"");
            put_escaped(b, e->argv[i], e->argvlen[i]);
            fr__buf_putc(b, '"');
        }
        if (e->truncated)
            fr__buf_printf(b, " ...(%d args)", e->argc);
        if (e->error) {
            fr__buf_puts(b, " -> -");
            put_escaped(b, e->error, strlen(e->error));
        } else if (e->reply) {
            fr__buf_printf(b, " -> %c", e->reply);
        } else {
            fr__buf_puts(b, " -> (no reply)");
        }
        for (size_t i = 0; i < e->nfaults; i++)
            fr__buf_printf(b, " [fault %llu]", (unsigned long long)e->faults[i]);
        break;
    case FR_J_CONNECT:
        fr__buf_puts(b, "connect ");
        put_escaped(b, e->addr, strlen(e->addr));
        break;
    case FR_J_DISCONNECT:
        fr__buf_puts(b, "disconnect");
        break;
    case FR_J_FAULT:
        fr__buf_printf(b, "fault %llu \"", (unsigned long long)(e->nfaults ? e->faults[0] : 0));
        put_escaped(b, e->fault_text ? e->fault_text : "", e->fault_text ? strlen(e->fault_text) : 0);
        fr__buf_putc(b, '"');
        break;
    case FR_J_LISTEN_ON:
        fr__buf_puts(b, "server listening");
        break;
    case FR_J_LISTEN_OFF:
        fr__buf_puts(b, "server not listening");
        break;
    }
    fr__buf_putc(b, '\n');
}

int fr_journal_format(const fr_journal *j, char **text)
{
    if (!j || !text)
        return FR_ERR_ARG;
    fr_buf b = {0};
    if (j->lost)
        fr__buf_printf(&b, "(%llu earlier entries left the journal)\n",
                       (unsigned long long)j->lost);
    for (size_t i = 0; i < j->n; i++)
        format_entry(&b, &j->entries[i]);
    if (!b.p)
        fr__buf_puts(&b, "");
    *text = fr__buf_steal(&b);
    return FR_OK;
}

int fr_journal_print(FILE *f, const fr_journal *j)
{
    char *t;
    int rc = fr_journal_format(j, &t);
    if (rc != FR_OK)
        return rc;
    if (f)
        fputs(t, f);
    free(t);
    return FR_OK;
}
