#include "sigpipe.h"

#include <pthread.h>
#include <signal.h>

void fr__thread_block_sigpipe(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}
