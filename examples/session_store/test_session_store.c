/* The session store against a fake with a frozen clock: expiry is tested
 * in microseconds of wall time, not by sleeping for the TTL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "fakeredis/harness.h"
#include "session_store.h"

static redisContext *connect_to(fr_server *srv)
{
    redisContext *c = redisConnect("127.0.0.1", fr_server_port(srv));
    assert_non_null(c);
    assert_int_equal(c->err, 0);
    return c;
}

static void test_session_expires_after_ttl(void **state)
{
    fr_server *srv = *state;
    redisContext *c = connect_to(srv);
    assert_int_equal(session_create(c, "t1", "alice", 30), 0);

    fr_clock_advance(srv, 29 * 1000);
    char *user = session_touch(c, "t1", 30); /* renews: 30 s from now */
    assert_non_null(user);
    assert_string_equal(user, "alice");
    free(user);

    fr_clock_advance(srv, 29 * 1000);
    user = session_touch(c, "t1", 30);
    assert_non_null(user); /* alive: the touch renewed it */
    free(user);

    fr_clock_advance(srv, 31 * 1000);
    assert_null(session_touch(c, "t1", 30));
    redisFree(c);
}

static void test_unknown_session(void **state)
{
    redisContext *c = connect_to(*state);
    assert_null(session_touch(c, "nope", 30));
    redisFree(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_session_expires_after_ttl, fr_fixture_setup_frozen,
                                        fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_unknown_session, fr_fixture_setup,
                                        fr_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
