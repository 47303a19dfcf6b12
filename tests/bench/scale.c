/*
 * scale: does an operation's cost grow with the size of what it works on
 * as it should? For each operation below it times the same work on a small
 * and a large structure (default 1,000 and 1,000,000 elements) and prints
 * the cost ratio large/small, for redis-server and the fake side by side.
 * The cost is per call for the operations that should not depend on the
 * size (1 means no growth; cache and TLB misses make it a little more),
 * per key or member for those that must touch every element (1 means
 * linear; more means worse than linear):
 *
 *   ZRANK random member, ZRANGE r r+9 of a random rank, ZSCORE (a hash
 *   lookup, for scale)                                        per call
 *   LINDEX and LRANGE i i+9 in the middle of a list           per call
 *   KEYS * in a database of SMALL and of LARGE keys           per key
 *   a full SCAN (COUNT 100) of the same databases             per key
 *   SUNION of two sets (half of each in the other)            per member
 *   ZUNIONSTORE of two sorted sets (same shape), then DEL     per member
 *
 * Each measurement repeats the operation (pipelined in batches that double
 * from 1 to 1,000, except SCAN, whose next call needs the cursor) until it
 * has run for the time budget (default 100 ms) or once if once takes
 * longer, so that an operation that is unexpectedly O(n) at 1M costs
 * seconds, not hours. Rounds (default 3) alternate the servers and the
 * sizes; the figures are medians of per-round values. Replies are skipped
 * by a raw RESP reader: the client's cost per reply byte is small and the
 * same for both servers.
 *
 * The data lives in db 0 (keys fr:scale:*) and, for KEYS and SCAN, in
 * dbs 1 and 2, which must be empty; everything is deleted at the end.
 *
 * usage: scale [-r REDIS_PORT] [-f FAKE_PORT] [-R ROUNDS] [-s SMALL]
 *              [-l LARGE] [-t BUDGET_MS]
 *   without -r and -f an in-process fake (fr_server_start) is measured.
 */
#ifndef _GNU_SOURCE /* the build defines it too */
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benchutil.h"
#include "fakeredis/fakeredis.h"

#define PFX "fr:scale:"
/* Replies are awaited at most this long: a 1M-element union may take
 * seconds, one that takes minutes is a finding, not a wait. */
#define TIMEOUT_S 300
#define MAXR 50
#define MAXBATCH 1000

enum op {
    OP_ZRANK,
    OP_ZRANGE,
    OP_ZSCORE,
    OP_LINDEX,
    OP_LRANGE,
    OP_KEYS,
    OP_SCAN,
    OP_SUNION,
    OP_ZUNION,
    NOPS
};

static const struct {
    const char *name, *unit;
} ops[NOPS] = {
    [OP_ZRANK] = {"ZRANK random member", "call"},
    [OP_ZRANGE] = {"ZRANGE r r+9, random rank", "call"},
    [OP_ZSCORE] = {"ZSCORE (hash lookup, for scale)", "call"},
    [OP_LINDEX] = {"LINDEX middle", "call"},
    [OP_LRANGE] = {"LRANGE middle, 10 elements", "call"},
    [OP_KEYS] = {"KEYS *", "key"},
    [OP_SCAN] = {"full SCAN, COUNT 100", "key"},
    [OP_SUNION] = {"SUNION of 2 sets", "member"},
    [OP_ZUNION] = {"ZUNIONSTORE of 2 zsets + DEL", "member"},
};

static uint64_t seed = 0x9E3779B97F4A7C15ULL;

static uint64_t rnd(void)
{
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
}

/* Send b and read n replies; exits on failure (a lost reply leaves
 * nothing worth measuring). */
static void roundtrip(bu_conn *c, bu_buf *b, long n)
{
    if (bu_roundtrip(c, b, n) < 0)
        exit(1);
}

/* Send the one command in b; its integer reply. */
static long long ask_int(bu_conn *c, bu_buf *b)
{
    bu_reply r;
    if (bu_write_all(c->fd, b->p, b->len) < 0 || bu_read_reply(c, &r) < 0)
        exit(1);
    b->len = 0;
    return r.integer;
}

/* Append one variadic command holding `count` generated arguments after
 * its name and key: kind 'z' (score member pairs), 'm' (members), 'k'
 * (key value pairs, no key argument). */
static void bulk_cmd(bu_buf *b, const char *cmd, const char *key, char kind, long from, long count)
{
    const char *argv[2 + 2 * 1000];
    static char tmp[2 * 1000][32];
    int argc = 0, t = 0;
    argv[argc++] = cmd;
    if (key)
        argv[argc++] = key;
    for (long i = from; i < from + count; i++) {
        if (kind == 'z') {
            snprintf(tmp[t], 32, "%.3f", (double)(rnd() % 100000000) / 1000.0);
            argv[argc++] = tmp[t++];
        }
        if (kind == 'k')
            snprintf(tmp[t], 32, PFX "k:%ld", i);
        else
            snprintf(tmp[t], 32, "m:%ld", i);
        argv[argc++] = tmp[t++];
        if (kind == 'k') {
            snprintf(tmp[t], 32, "v:%ld", i);
            argv[argc++] = tmp[t++];
        }
    }
    bu_cmdv(b, argc, argv);
}

/* Fill key (or, with key NULL, the current db) with members from..from+n-1,
 * 1,000 per command, 50 commands per round trip. */
static void fill(bu_conn *c, const char *cmd, const char *key, char kind, long from, long n)
{
    bu_buf b = {0};
    long pending = 0;
    for (long i = 0; i < n; i += 1000) {
        bulk_cmd(&b, cmd, key, kind, from + i, n - i < 1000 ? n - i : 1000);
        if (++pending == 50) {
            roundtrip(c, &b, pending);
            pending = 0;
        }
    }
    if (pending)
        roundtrip(c, &b, pending);
    bu_buf_free(&b);
}

static void check(const char *what, long long got, long want)
{
    if (got != want) {
        fprintf(stderr, "scale: %s holds %lld, expected %ld\n", what, got, want);
        exit(1);
    }
}

/* Load the structures for size n; db 1 holds the small keyspace, db 2 the
 * large one (big says which). */
static void load(bu_conn *c, long n, int big)
{
    char key[64];
    bu_buf b = {0};
    bu_cmdf(&b, "SELECT 0");
    roundtrip(c, &b, 1);
    snprintf(key, sizeof key, PFX "z:%ld", n);
    fill(c, "ZADD", key, 'z', 0, n);
    bu_cmdf(&b, "ZCARD %s", key);
    check(key, ask_int(c, &b), n);
    snprintf(key, sizeof key, PFX "zb:%ld", n);
    fill(c, "ZADD", key, 'z', n / 2, n);
    snprintf(key, sizeof key, PFX "l:%ld", n);
    fill(c, "RPUSH", key, 'm', 0, n);
    bu_cmdf(&b, "LLEN %s", key);
    check(key, ask_int(c, &b), n);
    snprintf(key, sizeof key, PFX "s:%ld", n);
    fill(c, "SADD", key, 'm', 0, n);
    bu_cmdf(&b, "SCARD %s", key);
    check(key, ask_int(c, &b), n);
    snprintf(key, sizeof key, PFX "sb:%ld", n);
    fill(c, "SADD", key, 'm', n / 2, n);
    bu_cmdf(&b, "SELECT %d", big ? 2 : 1);
    roundtrip(c, &b, 1);
    fill(c, "MSET", NULL, 'k', 0, n);
    bu_cmdf(&b, "DBSIZE");
    check("the keyspace", ask_int(c, &b), n);
    bu_cmdf(&b, "SELECT 0");
    roundtrip(c, &b, 1);
    bu_buf_free(&b);
}

/* Append one operation on size n. */
static void append_op(bu_buf *b, enum op op, long n)
{
    long r;
    switch (op) {
    case OP_ZRANK:
        bu_cmdf(b, "ZRANK " PFX "z:%ld m:%ld", n, (long)(rnd() % (uint64_t)n));
        break;
    case OP_ZRANGE:
        r = (long)(rnd() % (uint64_t)(n - 9));
        bu_cmdf(b, "ZRANGE " PFX "z:%ld %ld %ld", n, r, r + 9);
        break;
    case OP_ZSCORE:
        bu_cmdf(b, "ZSCORE " PFX "z:%ld m:%ld", n, (long)(rnd() % (uint64_t)n));
        break;
    case OP_LINDEX:
        bu_cmdf(b, "LINDEX " PFX "l:%ld %ld", n, n / 2);
        break;
    case OP_LRANGE:
        bu_cmdf(b, "LRANGE " PFX "l:%ld %ld %ld", n, n / 2, n / 2 + 9);
        break;
    case OP_KEYS:
        bu_cmdf(b, "KEYS *");
        break;
    case OP_SUNION:
        bu_cmdf(b, "SUNION " PFX "s:%ld " PFX "sb:%ld", n, n);
        break;
    case OP_ZUNION:
        bu_cmdf(b, "ZUNIONSTORE " PFX "zdst 2 " PFX "z:%ld " PFX "zb:%ld", n, n);
        bu_cmdf(b, "DEL " PFX "zdst");
        break;
    default:
        break;
    }
}

/* One full SCAN of the current db; the number of keys it returned. */
static long full_scan(bu_conn *c)
{
    bu_buf b = {0};
    char cursor[64] = "0";
    long keys = 0;
    do {
        bu_cmdf(&b, "SCAN %s COUNT 100", cursor);
        if (bu_write_all(c->fd, b.p, b.len) < 0)
            exit(1);
        b.len = 0;
        /* [cursor, [keys...]]: the first bulk is the cursor */
        bu_reply r;
        if (bu_read_reply(c, &r) < 0)
            exit(1);
        snprintf(cursor, sizeof cursor, "%s", r.first_bulk);
        keys += r.bulks - 1;
    } while (strcmp(cursor, "0") != 0);
    bu_buf_free(&b);
    return keys;
}

/* Time op on size n for at least budget_ns; ns per unit of work (call,
 * key or member). */
static double measure(bu_conn *c, enum op op, long n, int big, int64_t budget_ns)
{
    bu_buf b = {0};
    if (op == OP_KEYS || op == OP_SCAN) {
        bu_cmdf(&b, "SELECT %d", big ? 2 : 1);
        roundtrip(c, &b, 1);
    }
    long calls = 0, batch = 1;
    int per_cmd = op == OP_ZUNION ? 2 : 1;
    int64_t t0 = bu_now_ns(), dt;
    do {
        if (op == OP_SCAN) {
            /* Redis may return a key twice while it rehashes */
            long got = full_scan(c);
            if (got < n)
                check("SCAN", got, n);
            calls++;
        } else {
            for (long i = 0; i < batch; i++)
                append_op(&b, op, n);
            roundtrip(c, &b, batch * per_cmd);
            calls += batch;
            if (batch < MAXBATCH)
                batch *= 2;
        }
        dt = bu_now_ns() - t0;
    } while (dt < budget_ns);
    if (op == OP_KEYS || op == OP_SCAN) {
        bu_cmdf(&b, "SELECT 0");
        roundtrip(c, &b, 1);
    }
    bu_buf_free(&b);
    double units = (double)calls;
    if (op == OP_KEYS || op == OP_SCAN)
        units *= (double)n;
    else if (op == OP_SUNION || op == OP_ZUNION)
        units *= 2.0 * (double)n;
    return (double)dt / units;
}

static void cleanup(bu_conn *c, const long *sizes)
{
    bu_buf b = {0};
    for (int d = 1; d <= 2; d++) {
        bu_cmdf(&b, "SELECT %d", d);
        bu_cmdf(&b, "FLUSHDB");
    }
    bu_cmdf(&b, "SELECT 0");
    long n = 5;
    for (int s = 0; s < 2; s++) {
        const char *kinds[] = {"z", "zb", "l", "s", "sb"};
        for (int k = 0; k < 5; k++, n++)
            bu_cmdf(&b, "DEL " PFX "%s:%ld", kinds[k], sizes[s]);
    }
    bu_cmdf(&b, "DEL " PFX "zdst");
    n++;
    roundtrip(c, &b, n);
    bu_buf_free(&b);
}

int main(int argc, char **argv)
{
    bu_prog = "scale";
    int ports[2] = {0, 0}, rounds = 3, budget_ms = 100;
    long sizes[2] = {1000, 1000000};
    int opt;
    while ((opt = getopt(argc, argv, "r:f:R:s:l:t:")) != -1) {
        switch (opt) {
        case 'r':
            ports[0] = atoi(optarg);
            break;
        case 'f':
            ports[1] = atoi(optarg);
            break;
        case 'R':
            rounds = atoi(optarg);
            break;
        case 's':
            sizes[0] = atol(optarg);
            break;
        case 'l':
            sizes[1] = atol(optarg);
            break;
        case 't':
            budget_ms = atoi(optarg);
            break;
        default:
            fprintf(stderr, "usage: scale [-r REDIS_PORT] [-f FAKE_PORT] [-R ROUNDS] [-s SMALL]"
                            " [-l LARGE] [-t BUDGET_MS]\n");
            return 2;
        }
    }
    if (rounds < 1 || rounds > MAXR || sizes[0] < 10 || sizes[1] <= sizes[0] || budget_ms < 1) {
        fprintf(stderr, "scale: bad arguments\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    fr_server *srv = NULL;
    if (!ports[0] && !ports[1]) {
        int rc = fr_server_start(NULL, &srv);
        if (rc != FR_OK) {
            fprintf(stderr, "scale: fr_server_start: %s\n", fr_strerror(rc));
            return 1;
        }
        ports[1] = fr_server_port(srv);
    }
    const char *names[2] = {"redis", "fake"};
    bu_conn conn[2];
    for (int s = 0; s < 2; s++) {
        if (!ports[s])
            continue;
        if (bu_conn_open(&conn[s], ports[s], TIMEOUT_S) < 0)
            return 1;
        for (int d = 1; d <= 2; d++) {
            bu_buf b = {0};
            bu_cmdf(&b, "SELECT %d", d);
            roundtrip(&conn[s], &b, 1);
            bu_cmdf(&b, "DBSIZE");
            long long keys = ask_int(&conn[s], &b);
            bu_buf_free(&b);
            if (keys != 0) {
                fprintf(stderr, "scale: db %d of the %s server on port %d is not empty\n", d,
                        names[s], ports[s]);
                return 1;
            }
        }
        int64_t t0 = bu_now_ns();
        for (int z = 0; z < 2; z++)
            load(&conn[s], sizes[z], z);
        fprintf(stderr, "scale: %s loaded in %.1f s\n", names[s], (bu_now_ns() - t0) / 1e9);
    }
    /* cost[server][op][size][round] in ns per unit */
    static double cost[2][NOPS][2][MAXR];
    int64_t budget = (int64_t)budget_ms * 1000000;
    for (int r = 0; r < rounds; r++) {
        for (int op = 0; op < NOPS; op++) {
            /* alternate who goes first and which size goes first, so that
             * the machine's drift falls on all four alike */
            for (int k = 0; k < 2; k++) {
                int s = (r + op) % 2 ? 1 - k : k;
                if (!ports[s])
                    continue;
                for (int j = 0; j < 2; j++) {
                    int z = r % 2 ? 1 - j : j;
                    cost[s][op][z][r] = measure(&conn[s], (enum op)op, sizes[z], z, budget);
                }
            }
        }
        fprintf(stderr, "scale: round %d/%d done\n", r + 1, rounds);
    }
    printf("scaling, %ld vs %ld elements, median of %d rounds: ns per unit at each size and"
           " the cost ratio large/small (1: no growth per unit); last column: cost ratio"
           " redis/fake at the large size (> 1: the fake is faster)\n",
           sizes[0], sizes[1], rounds);
    printf("%-32s %-6s %11s %11s %8s %11s %11s %8s %8s\n", "operation", "per", "redis small",
           "redis large", "L/S", "fake small", "fake large", "L/S", "r/f@L");
    for (int op = 0; op < NOPS; op++) {
        double m[2][3] = {{0}}, cmp[MAXR];
        for (int s = 0; s < 2; s++) {
            if (!ports[s])
                continue;
            double v[MAXR], ratio[MAXR];
            for (int z = 0; z < 2; z++) {
                memcpy(v, cost[s][op][z], sizeof v);
                m[s][z] = bu_median(v, rounds);
            }
            for (int r = 0; r < rounds; r++)
                ratio[r] = cost[s][op][1][r] / cost[s][op][0][r];
            m[s][2] = bu_median(ratio, rounds);
        }
        printf("%-32s %-6s", ops[op].name, ops[op].unit);
        for (int s = 0; s < 2; s++) {
            if (ports[s])
                printf(" %11.1f %11.1f %8.2f", m[s][0], m[s][1], m[s][2]);
            else
                printf(" %11s %11s %8s", "-", "-", "-");
        }
        if (ports[0] && ports[1]) {
            for (int r = 0; r < rounds; r++)
                cmp[r] = cost[0][op][1][r] / cost[1][op][1][r];
            printf(" %8.2f\n", bu_median(cmp, rounds));
        } else {
            printf(" %8s\n", "-");
        }
    }
    for (int s = 0; s < 2; s++) {
        if (!ports[s])
            continue;
        cleanup(&conn[s], sizes);
        bu_conn_close(&conn[s]);
    }
    fr_server_stop(srv);
    return 0;
}
