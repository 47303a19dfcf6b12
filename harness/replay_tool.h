/* The subcommands of fakeredis-replay that live in files of their own
 * (replay_main.c has the others). Each returns the program's exit status:
 * 0 fine, 1 the input is damaged, 2 usage or I/O error. */
#ifndef FR_REPLAY_TOOL_H
#define FR_REPLAY_TOOL_H

#include <stdio.h>

/* stats FILE: commands per type, connections, duration, bytes, to out. */
int fr__tool_stats(const char *path, FILE *out);

#endif
