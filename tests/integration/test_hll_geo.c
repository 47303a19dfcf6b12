/* HyperLogLog and geo over the wire, for what the differential cases
 * cannot show: PFSELFTEST (Redis' own takes seconds, longer than the diff
 * runner waits), and a geo STORE waking a client blocked on its
 * destination, as setKey does in Redis. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "fakeredis/blocking.h"
#include "fakeredis/fakeredis.h"
#include "fakeredis/harness.h"
#include "support/testutil.h"

static void test_pfselftest(void **state)
{
    fr_server *srv = *state;
    redisContext *c = tu_connect(srv);
    long long t0 = tu_mono_ms();
    tu_cmd_ok(c, "PFSELFTEST");
    assert_true(tu_mono_ms() - t0 < 5000);
    /* the server is still usable and HLLs still count */
    assert_int_equal(tu_cmd_int(c, "PFADD h a b c d"), 1);
    assert_int_equal(tu_cmd_int(c, "PFCOUNT h"), 4);
    redisFree(c);
}

static void test_geo_store_wakes_blocked(void **state)
{
    fr_server *srv = *state;
    redisContext *a = tu_connect(srv), *p = tu_connect(srv);
    assert_int_equal(tu_cmd_int(p, "GEOADD src 13.361389 38.115556 Palermo 15.087269 37.502669 "
                                   "Catania"),
                     2);
    tu_block(srv, a, 1, "BZPOPMIN dst 0");
    /* nothing found: the destination stays missing, nobody is served */
    assert_int_equal(tu_cmd_int(p, "GEOSEARCHSTORE dst src FROMLONLAT 0 0 BYRADIUS 1 km"), 0);
    assert_false(tu_readable_within(a, 20));
    /* the nearest by distance, with the score redis-server 7.0.15 gives */
    assert_int_equal(
        tu_cmd_int(p, "GEOSEARCHSTORE dst src FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST"), 2);
    tu_expect_pop(a, "dst", "Catania", "56.441257870158204");
    /* GEORADIUS ... STORE serves too, lowest geohash first */
    tu_block(srv, a, 1, "BZPOPMIN dst2 0");
    assert_int_equal(tu_cmd_int(p, "GEORADIUS src 15 37 200 km STORE dst2"), 2);
    tu_expect_pop(a, "dst2", "Palermo", "3479099956230698");
    assert_int_equal(fr_blocked_count(srv), 0);
    redisFree(a);
    redisFree(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pfselftest, fr_fixture_setup, fr_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_geo_store_wakes_blocked, fr_fixture_setup,
                                        fr_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
