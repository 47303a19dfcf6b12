/* cmocka-style fixtures around fr_server_start / fr_server_stop. */
#include <stdio.h>

#include "fakeredis/harness.h"

static int start(void **state, int frozen)
{
    fr_options opts = {.frozen_clock = frozen};
    fr_server *srv = NULL;
    int rc = fr_server_start(&opts, &srv);
    if (rc != FR_OK) {
        fprintf(stderr, "fr_fixture_setup: %s\n", fr_strerror(rc));
        return -1;
    }
    *state = srv;
    return 0;
}

int fr_fixture_setup(void **state)
{
    return start(state, 0);
}

int fr_fixture_setup_frozen(void **state)
{
    return start(state, 1);
}

int fr_fixture_teardown(void **state)
{
    fr_server_stop(*state);
    *state = NULL;
    return 0;
}
