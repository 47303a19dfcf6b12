/* Child processes the integration tests start: fakeredis-server (the
 * program) and Debian's redis-server. Every child is tracked from fork to
 * tu_child_stop, so a test that fails (cmocka longjmps out of it) cannot
 * leave one running: tu_children_teardown (a cmocka teardown) and an
 * atexit handler kill what is left, and a child is killed when the test
 * process dies (PR_SET_PDEATHSIG). Children never keep the test's stdout;
 * redis-server does not keep its stderr either (ctest waits on both). */
#ifndef FR_TESTS_CHILD_H
#define FR_TESTS_CHILD_H

#include <sys/types.h>

/* Fork and exec argv (argv[0] is looked up in PATH), tracked. stdout goes
 * to /dev/null, stderr too when quiet. Fails the test if fork fails. */
pid_t tu_spawn(char *const argv[], int quiet);

/* fakeredis-server at bin with --port 0 --port-file and the NULL-ended
 * extra arguments; returns its pid once it listens, its port in *port.
 * Fails the test if it exits or writes no port within 10 s. */
pid_t tu_fakeredis_start(const char *bin, const char *const *extra, int *port);
/* The same with a config file as the first argument (NULL: none). */
pid_t tu_fakeredis_start_config(const char *bin, const char *config, const char *const *extra,
                                int *port);

/* redis-server (from PATH) on a free loopback port, no persistence;
 * returns its pid once it accepts connections, its port in *port, or -1
 * when redis-server is not installed. */
pid_t tu_redis_start(int *port);

/* Send sig to a tracked child (0: none, it is expected to exit by
 * itself), wait up to 10 s (then SIGKILL), untrack it. Returns its exit
 * status, or -1 if a signal ended it. */
int tu_child_stop(pid_t pid, int sig);

/* Run a shell command; returns its whole stdout (the caller frees it) and
 * its exit status in *status (-1 if a signal ended it; status may be
 * NULL). */
char *tu_run(const char *cmd, int *status);

/* SIGKILL and reap every child still tracked; a cmocka teardown
 * (state is unused), always 0. */
int tu_children_teardown(void **state);

#endif
