/* fakeredis-replay: look at, replay and import recordings.
 *
 *   fakeredis-replay print FILE
 *   fakeredis-replay stats FILE
 *   fakeredis-replay replay FILE --port P [--host H] [--timing original|fast|xN]
 *                    [--flush [DB]] [--compare] [--max-diffs N] [--timeout MS]
 *   fakeredis-replay import-monitor IN OUT       (IN "-": standard input)
 *   fakeredis-replay import-pcap CAPTURE OUT [--port P]
 *
 * Exit status: 0 fine, 1 replay found differences (or print met a damaged
 * recording), 2 usage or I/O error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakeredis/recording.h"
#include "record_format.h"
#include "replay_tool.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage:\n"
               "  fakeredis-replay print FILE\n"
               "      print the events, one per line (bytes escaped as redis-cli does)\n"
               "  fakeredis-replay stats FILE\n"
               "      commands per type, connections, duration, bytes\n"
               "  fakeredis-replay replay FILE --port P [--host H] [--timing original|fast|xN]\n"
               "                   [--flush [DB]] [--compare] [--max-diffs N] [--timeout MS]\n"
               "      send the recorded commands to H:P and compare the replies (--compare,\n"
               "      the default); --flush empties the target first (FLUSHALL, or one DB);\n"
               "      --timing original keeps the recorded pace, xN is N times as fast,\n"
               "      fast (the default) does not wait; exit 1 when some differ\n"
               "  fakeredis-replay import-monitor IN OUT\n"
               "      turn MONITOR output (IN, or - for stdin) into a recording OUT\n"
               "  fakeredis-replay import-pcap CAPTURE OUT [--port P]\n"
               "      turn a tcpdump capture (pcap or pcapng) of clients talking to a\n"
               "      Redis server on port P (default 6379) into a recording OUT\n");
}

static int cmd_print(const char *path)
{
    fr_recording *r = NULL;
    char err[256];
    if (fr_recording_open(path, &r, err, sizeof err) != FR_OK) {
        fprintf(stderr, "fakeredis-replay: %s\n", err);
        return 2;
    }
    const fr_rec_event *ev;
    int rc;
    while ((rc = fr_recording_next(r, &ev)) == 1) {
        if (fr_rec_event_print(stdout, ev) < 0) {
            fprintf(stderr, "fakeredis-replay: cannot write\n");
            fr_recording_close(r);
            return 2;
        }
    }
    int status = 0;
    size_t dropped = 0;
    if (rc < 0) {
        fprintf(stderr, "fakeredis-replay: %s\n", fr_recording_errstr(r));
        status = 1;
    } else if (fr_recording_torn(r, &dropped)) {
        fprintf(stderr, "fakeredis-replay: the last record is torn (%zu bytes skipped)\n", dropped);
    }
    fr_recording_close(r);
    if (fflush(stdout) != 0)
        return 2;
    return status;
}

static void print_diff(const fr_replay_diff *d)
{
    printf("connection %llu: ", (unsigned long long)d->conn);
    fputs(d->command[0] ? d->command : "(no command)", stdout);
    fputs("\n  expected ", stdout);
    fr__rec_fputs_quoted(stdout, d->expected, d->expected_len);
    fputs("\n  got      ", stdout);
    fr__rec_fputs_quoted(stdout, d->got, d->got_len);
    fputc('\n', stdout);
}

/* "original", "fast" or "xN" (N > 0, a decimal). */
static int parse_timing(const char *v, fr_replay_options *o)
{
    if (!strcmp(v, "original")) {
        o->timing = 1;
        o->speed = 1;
        return 0;
    }
    if (!strcmp(v, "fast")) {
        o->timing = 0;
        return 0;
    }
    char *end;
    double x = v[0] == 'x' ? strtod(v + 1, &end) : 0;
    if (x <= 0 || x > 1e6 || *end)
        return -1;
    o->timing = 1;
    o->speed = x;
    return 0;
}

static int is_number(const char *v)
{
    if (!*v)
        return 0;
    for (; *v; v++)
        if (*v < '0' || *v > '9')
            return 0;
    return 1;
}

static void print_summary(const fr_replay_result *res)
{
    printf("%llu commands sent, %llu replies compared, %llu differ, %llu skipped",
           (unsigned long long)res->commands, (unsigned long long)res->compared,
           (unsigned long long)res->differences, (unsigned long long)res->skipped);
    if (res->skipped) {
        const char *sep = " (";
        for (int k = 0; k < FR_REPLAY_SKIP_REASONS; k++) {
            if (!res->skipped_by[k])
                continue;
            printf("%s%s %llu", sep, fr_replay_skip_name(k),
                   (unsigned long long)res->skipped_by[k]);
            sep = ", ";
        }
        putchar(')');
    }
    if (res->commands_skipped)
        printf(", %llu commands not sent", (unsigned long long)res->commands_skipped);
    if (res->actions || res->actions_skipped)
        printf(", %llu test actions re-enacted", (unsigned long long)res->actions);
    if (res->actions_skipped)
        printf(" (%llu not: the target is no fake)", (unsigned long long)res->actions_skipped);
    printf("%s\n", res->truncated ? " (the recording ends in a torn record)" : "");
}

static int cmd_replay(int argc, char **argv)
{
    const char *path = NULL;
    fr_replay_options o;
    memset(&o, 0, sizeof o);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--timing")) {
            /* a bare --timing (older usage) is the original pace */
            if (v && v[0] != '-' && (!path || strcmp(v, path))) {
                if (parse_timing(v, &o) < 0) {
                    fprintf(stderr, "fakeredis-replay: --timing takes original, fast or xN\n");
                    return 2;
                }
                i++;
            } else {
                o.timing = 1;
            }
        } else if (!strcmp(a, "--flush")) {
            o.flush = FR_REPLAY_FLUSH_ALL;
            if (v && is_number(v)) {
                o.flush = FR_REPLAY_FLUSH_DB;
                o.flush_db = atoi(v);
                i++;
            }
        } else if (!strcmp(a, "--compare")) {
            /* the default: said out loud */
        } else if (!strcmp(a, "--host") && v) {
            o.host = v;
            i++;
        } else if (!strcmp(a, "--port") && v) {
            o.port = atoi(v);
            i++;
        } else if (!strcmp(a, "--max-diffs") && v) {
            o.max_diffs = (size_t)strtoul(v, NULL, 10);
            i++;
        } else if (!strcmp(a, "--timeout") && v && is_number(v)) {
            o.timeout_ms = atoi(v);
            i++;
        } else if (a[0] != '-' && !path) {
            path = a;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (!path || o.port <= 0) {
        usage(stderr);
        return 2;
    }
    fr_replay_result res;
    int rc = fr_replay(path, &o, &res);
    for (size_t i = 0; i < res.ndiffs; i++)
        print_diff(&res.diffs[i]);
    print_summary(&res);
    int status = res.differences ? 1 : 0;
    if (rc != FR_OK) {
        fprintf(stderr, "fakeredis-replay: %s\n", res.err);
        status = 2;
    }
    fr_replay_result_free(&res);
    return status;
}

static int cmd_import(const char *in_path, const char *out_path)
{
    FILE *in = strcmp(in_path, "-") ? fopen(in_path, "r") : stdin;
    if (!in) {
        perror(in_path);
        return 2;
    }
    size_t n = 0, bad = 0;
    int rc = fr_monitor_import(in, out_path, &n, &bad);
    if (in != stdin)
        fclose(in);
    if (rc == FR_ERR_PARSE) {
        fprintf(stderr, "fakeredis-replay: %s line %zu: not a MONITOR line\n", in_path, bad);
        return 2;
    }
    if (rc != FR_OK) {
        fprintf(stderr, "fakeredis-replay: cannot write %s: %s\n", out_path, fr_strerror(rc));
        return 2;
    }
    fprintf(stderr, "%zu commands imported\n", n);
    return 0;
}

static int cmd_import_pcap(int argc, char **argv)
{
    int port = 6379;
    if (argc == 4 && !strcmp(argv[2], "--port") && is_number(argv[3]))
        port = atoi(argv[3]);
    else if (argc != 2) {
        usage(stderr);
        return 2;
    }
    fr_pcap_import_result res;
    int rc = fr_pcap_import(argv[0], argv[1], port, &res);
    if (rc == FR_ERR_ARG) {
        fprintf(stderr, "fakeredis-replay: %s\n", res.err);
        return 2;
    }
    fprintf(stderr,
            "%llu packets (%llu not TCP to port %d or unusable), %llu connections, %llu commands, "
            "%llu replies, %llu pushes, %llu bytes left out%s\n",
            (unsigned long long)res.packets, (unsigned long long)res.packets_skipped, port,
            (unsigned long long)res.connections, (unsigned long long)res.commands,
            (unsigned long long)res.replies, (unsigned long long)res.pushes,
            (unsigned long long)res.skipped_bytes,
            res.truncated ? " (the capture ends in a record cut short)" : "");
    if (rc != FR_OK) {
        fprintf(stderr, "fakeredis-replay: %s: %s\n", argv[0], res.err);
        return 2;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && !strcmp(argv[1], "print") && argc == 3)
        return cmd_print(argv[2]);
    if (argc >= 3 && !strcmp(argv[1], "replay"))
        return cmd_replay(argc - 2, argv + 2);
    if (argc == 4 && !strcmp(argv[1], "import-monitor"))
        return cmd_import(argv[2], argv[3]);
    if (argc == 3 && !strcmp(argv[1], "stats"))
        return fr__tool_stats(argv[2], stdout);
    if (argc >= 4 && !strcmp(argv[1], "import-pcap"))
        return cmd_import_pcap(argc - 2, argv + 2);

    if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        usage(stdout);
        return 0;
    }
    usage(stderr);
    return 2;
}
