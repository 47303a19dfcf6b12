/* The command journal, inside the server: a ring of entries filled from
 * the stage table (connect, command, reply, fault, disconnect, listening)
 * and read by snapshot. The public side is include/fakeredis/journal.h;
 * FAKE.JOURNAL (cmd_fake.c) reaches it through these.
 *
 * srv->journal is NULL when the server runs without one
 * (fr_options.journal_size < 0). Otherwise it is made at start, before the
 * server listens (fr__journal_enable, called by api/ through the server's
 * init hook), so no connection is ever missed. Loop thread only. */
#ifndef FR_JOURNAL_ENGINE_H
#define FR_JOURNAL_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "fakeredis/journal.h"

/* One ring slot, 128 bytes. data holds the client name, then the kept
 * arguments (each after its length: one byte below 128, else two, low 7
 * bits first with the top bit set), then the text: an error reply's line,
 * a connect's address, a fault's rule. Every length fits 16 bits: an
 * entry keeps at most ENTRY_BYTES_MAX of arguments and TEXT_MAX each of
 * name and text (journal.c). */
#define JSLOT_INLINE 45 /* bytes of an entry kept in its slot */
typedef struct fr_jslot fr_jslot;
struct fr_jslot {
    uint64_t seq; /* 0: empty */
    int64_t t_us;
    uint64_t conn;
    char *data; /* inl, or the heap once an entry outgrew it */
    uint64_t faults[4];
    int32_t argc;
    uint16_t name_len, text_off, text_len;
    uint16_t len, cap;
    uint8_t kind;
    char reply;
    uint8_t truncated;
    uint8_t nfaults;
    uint8_t nargv; /* at most FR_JOURNAL_MAX_ARGS */
    /* most commands fit here: the ring is one sequential block of memory
     * (a miss per command for a separate buffer would cost more than the
     * rest of the journal) */
    char inl[JSLOT_INLINE];
};

/* Per connection: when its last bytes were read (one clock read per read,
 * not per command), where its last journaled command started in its input
 * (a command dispatched twice is one entry) and the entry awaiting its
 * reply. */
struct fr_journal_conn {
    int64_t read_us;
    uint64_t last_start;
    uint64_t open_seq; /* the entry awaiting its reply; 0: none */
    struct fr_jslot *open_slot; /* its slot (check its seq: it may be reused) */
    uint64_t cmd_seq;  /* the entry of the command running or last run */
};

/* The ring's slots come in chunks, each made when the ring first reaches
 * it: a server that sees ten commands never pays for (clearing, touching,
 * freeing) the 640 KB of a full default ring. A slot never moves. */
#define JCHUNK_SHIFT 6
#define JCHUNK (1u << JCHUNK_SHIFT) /* slots per chunk */

struct fr_jring {
    fr_server *srv;
    fr_jslot **chunks; /* cap / JCHUNK of them (rounded up), NULL until used */
    size_t cap;
    size_t next;       /* the slot the next entry takes */
    uint64_t seq;      /* the newest entry's */
    uint64_t cleared;  /* entries up to this seq were cleared */
    int64_t t0_us;
};

/* Make srv->journal with room for size entries (0: the default). */
void fr__journal_enable(fr_server *srv, long size);
/* Select by q: *count gets the number; with out, a snapshot too.
 * Returns FR_OK or FR_ERR_PARSE. */
int fr__journal_select(struct fr_jring *j, const fr_journal_query *q, long long *count,
                       fr_journal **out);
void fr__journal_clear(struct fr_jring *j);

#endif
