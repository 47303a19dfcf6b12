/* libFuzzer target: one line of MONITOR output (fr_monitor_parse_line).
 *
 * Any line parses (1), is skipped (0) or is refused (-1), with no crash or
 * leak, and a parsed time stays within what a recording holds. A parsed
 * line printed back as MONITOR prints it (the arguments escaped the way
 * fr_rec_event_print escapes them) parses to the same time, db, address
 * and arguments. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakeredis/recording.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The arguments of m, quoted and escaped, as one COMMAND event prints. */
static char *print_args(const fr_monitor_line *m, size_t *len)
{
    char *out = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&out, &n);
    if (!f)
        abort();
    fr_rec_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = FR_REC_COMMAND;
    ev.conn = 1;
    ev.argc = m->argc;
    ev.argv = (const char *const *)m->argv;
    ev.argvlen = m->argvlen;
    if (fr_rec_event_print(f, &ev) != 0)
        abort();
    fclose(f);
    /* "+0.000000 c1 COMMAND "a" "b"\n": keep what follows "COMMAND " */
    const char *p = strstr(out, " COMMAND ");
    if (!p || n == 0 || out[n - 1] != '\n')
        abort();
    p += strlen(" COMMAND ");
    *len = (size_t)(out + n - 1 - p);
    char *args = malloc(*len + 1);
    if (!args)
        abort();
    memcpy(args, p, *len);
    args[*len] = '\0';
    free(out);
    return args;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fr_monitor_line a;
    int rc = fr_monitor_parse_line((const char *)data, size, &a);
    if (rc != 1) {
        if (rc != 0 && rc != -1)
            abort();
        if (a.argc || a.argv || a.addr)
            abort(); /* not cleared */
        return 0;
    }
    if (a.argc < 1 || !a.addr || a.time_us < 0 || a.time_us > FR_REC_MAX_TIME_US || a.db < 0)
        abort();
    /* an address holding a NUL cannot be printed back as text */
    const char *end = memmem(data, size, "] \"", 3);
    if (end && memchr(data, '\0', (size_t)(end - (const char *)data))) {
        fr_monitor_line_clear(&a);
        return 0;
    }

    size_t alen;
    char *args = print_args(&a, &alen);
    char *line = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&line, &n);
    if (!f)
        abort();
    fprintf(f, "%lld.%06lld [%d ", (long long)(a.time_us / 1000000),
            (long long)(a.time_us % 1000000), a.db);
    fputs(a.addr, f);
    fputs("] ", f);
    fwrite(args, 1, alen, f);
    fputc('\n', f);
    fclose(f);
    free(args);

    fr_monitor_line b;
    if (fr_monitor_parse_line(line, n, &b) != 1)
        abort(); /* the printed line does not parse */
    if (b.time_us != a.time_us || b.db != a.db || strcmp(b.addr, a.addr) != 0 || b.argc != a.argc)
        abort();
    for (int i = 0; i < a.argc; i++)
        if (b.argvlen[i] != a.argvlen[i] || memcmp(b.argv[i], a.argv[i], a.argvlen[i]) != 0)
            abort(); /* an argument came back different */
    free(line);
    fr_monitor_line_clear(&a);
    fr_monitor_line_clear(&b);
    return 0;
}
