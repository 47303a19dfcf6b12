/* Writes to a peer that closed raise SIGPIPE, which by default kills the
 * process: the test's, when the fake runs inside it. The fake's own
 * writes on client connections use MSG_NOSIGNAL; the links libevent
 * writes for it (a replica's link to its master, the Sentinel's links)
 * cannot, so the threads the fake starts block SIGPIPE for themselves:
 * a write there fails with EPIPE instead. */
#ifndef FR_BASE_SIGPIPE_H
#define FR_BASE_SIGPIPE_H

/* Block SIGPIPE in the calling thread (only). Call first thing in a
 * thread the fake owns. */
void fr__thread_block_sigpipe(void);

#endif
