/* Pub/sub in a 3-master cluster (fr_cluster_start), on raw sockets:
 * shard channels routed like keys (-MOVED, -CROSSSLOT, served by the
 * source while their slot migrates, ASKING on the target), SPUBLISH seen
 * on the shard's node only, PUBLISH seen on every node, and the 7.0
 * sunsubscribe push (RESP2 and RESP3) when a slot moves away. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fakeredis/cluster.h"
#include "fakeredis/fakeredis.h"
#include "support/clusterutil.h"
#include "support/rawsock.h"

/* "foo" hashes to slot 12182 (node 2 of 3), "a" to 15495, "b" to 3300. */
#define FOO_SLOT 12182

static int sub(fr_cluster *cl, int node, const char *req, const char *want)
{
    int fd = rs_must_connect(tu_cluster_port(cl, node));
    rs_send(fd, req);
    rs_expect(fd, want);
    return fd;
}

#define SSUB_FOO "*2\r\n$10\r\nSSUBSCRIBE\r\n$3\r\nfoo\r\n"
#define SSUB_FOO_OK "*3\r\n$10\r\nssubscribe\r\n$3\r\nfoo\r\n:1\r\n"
#define SPUB_FOO "*3\r\n$8\r\nSPUBLISH\r\n$3\r\nfoo\r\n$2\r\nhi\r\n"

static void test_shard_channels_route_like_keys(void **state)
{
    fr_cluster *cl = *state;
    char moved[64];
    snprintf(moved, sizeof moved, "-MOVED %d 127.0.0.1:%d\r\n", FOO_SLOT, tu_cluster_port(cl, 2));
    int fd = rs_must_connect(tu_cluster_port(cl, 0));
    assert_true(rs_roundtrip(fd, SSUB_FOO, moved));
    assert_true(rs_roundtrip(fd, SPUB_FOO, moved));
    assert_true(rs_roundtrip(fd, "*2\r\n$12\r\nSUNSUBSCRIBE\r\n$3\r\nfoo\r\n", moved));
    assert_true(rs_roundtrip(fd, "*3\r\n$10\r\nSSUBSCRIBE\r\n$1\r\na\r\n$1\r\nb\r\n",
                             "-CROSSSLOT Keys in request don't hash to the same slot\r\n"));
    /* still not subscribed: a plain PING answers +PONG */
    assert_true(rs_roundtrip(fd, "*1\r\n$4\r\nPING\r\n", "+PONG\r\n"));
    close(fd);
    /* one hash tag, one slot: several channels in one SSUBSCRIBE */
    fd = sub(cl, 2, "*3\r\n$10\r\nSSUBSCRIBE\r\n$3\r\nfoo\r\n$6\r\n{foo}x\r\n",
             SSUB_FOO_OK "*3\r\n$10\r\nssubscribe\r\n$6\r\n{foo}x\r\n:2\r\n");
    close(fd);
}

static void test_spublish_stays_in_its_shard(void **state)
{
    fr_cluster *cl = *state;
    int s2 = sub(cl, 2, SSUB_FOO, SSUB_FOO_OK);
    /* a plain subscriber of the same name on another node hears nothing */
    int s1 = sub(cl, 1, "*2\r\n$9\r\nSUBSCRIBE\r\n$3\r\nfoo\r\n",
                 "*3\r\n$9\r\nsubscribe\r\n$3\r\nfoo\r\n:1\r\n");
    int p = rs_must_connect(tu_cluster_port(cl, 2));
    assert_true(rs_roundtrip(p, SPUB_FOO, ":1\r\n"));
    rs_expect(s2, "*3\r\n$8\r\nsmessage\r\n$3\r\nfoo\r\n$2\r\nhi\r\n");
    assert_true(rs_quiet_for(s1, 100));
    /* PUBSUB SHARDCHANNELS and SHARDNUMSUB answer for their node only */
    assert_true(
        rs_roundtrip(p, "*2\r\n$6\r\nPUBSUB\r\n$13\r\nSHARDCHANNELS\r\n", "*1\r\n$3\r\nfoo\r\n"));
    int p0 = rs_must_connect(tu_cluster_port(cl, 0));
    assert_true(rs_roundtrip(p0, "*2\r\n$6\r\nPUBSUB\r\n$13\r\nSHARDCHANNELS\r\n", "*0\r\n"));
    assert_true(rs_roundtrip(p0, "*3\r\n$6\r\nPUBSUB\r\n$11\r\nSHARDNUMSUB\r\n$3\r\nfoo\r\n",
                             "*2\r\n$3\r\nfoo\r\n:0\r\n"));
    assert_true(rs_roundtrip(p, "*3\r\n$6\r\nPUBSUB\r\n$11\r\nSHARDNUMSUB\r\n$3\r\nfoo\r\n",
                             "*2\r\n$3\r\nfoo\r\n:1\r\n"));
    close(p0);
    close(p);
    close(s1);
    close(s2);
}

static void test_publish_reaches_every_node(void **state)
{
    fr_cluster *cl = *state;
    const char *req = "*2\r\n$9\r\nSUBSCRIBE\r\n$4\r\nnews\r\n";
    const char *ok = "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n";
    int s0 = sub(cl, 0, req, ok), s1 = sub(cl, 1, req, ok);
    int ps = sub(cl, 1, "*2\r\n$10\r\nPSUBSCRIBE\r\n$2\r\nn*\r\n",
                 "*3\r\n$10\r\npsubscribe\r\n$2\r\nn*\r\n:1\r\n");
    int p = rs_must_connect(tu_cluster_port(cl, 2));
    /* the count is this node's receivers, as in Redis */
    assert_true(rs_roundtrip(p, "*3\r\n$7\r\nPUBLISH\r\n$4\r\nnews\r\n$2\r\nhi\r\n", ":0\r\n"));
    const char *msg = "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n";
    rs_expect(s0, msg);
    rs_expect(s1, msg);
    rs_expect(ps, "*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$2\r\nhi\r\n");
    close(p);
    close(ps);
    close(s1);
    close(s0);
}

static void test_migrating_slot_keeps_channels_on_source(void **state)
{
    fr_cluster *cl = *state;
    assert_int_equal(fr_cluster_migrate_begin(cl, FOO_SLOT, 0), FR_OK);
    /* the source still serves the channel: no -ASK for shard channels */
    int s = sub(cl, 2, SSUB_FOO, SSUB_FOO_OK);
    /* the target sends it back without ASKING, serves it after */
    char moved[64];
    snprintf(moved, sizeof moved, "-MOVED %d 127.0.0.1:%d\r\n", FOO_SLOT, tu_cluster_port(cl, 2));
    int t = rs_must_connect(tu_cluster_port(cl, 0));
    assert_true(rs_roundtrip(t, SPUB_FOO, moved));
    assert_true(rs_roundtrip(t, "*1\r\n$6\r\nASKING\r\n", "+OK\r\n"));
    assert_true(rs_roundtrip(t, SPUB_FOO, ":0\r\n"));
    close(t);
    int p = rs_must_connect(tu_cluster_port(cl, 2));
    assert_true(rs_roundtrip(p, SPUB_FOO, ":1\r\n"));
    rs_expect(s, "*3\r\n$8\r\nsmessage\r\n$3\r\nfoo\r\n$2\r\nhi\r\n");
    close(p);
    close(s);
    assert_int_equal(fr_cluster_migrate_end(cl, FOO_SLOT), FR_OK);
    assert_int_equal(fr_cluster_move_slot(cl, FOO_SLOT, 2), FR_OK); /* back home */
}

static void test_slot_moving_away_ends_shard_channels(void **state)
{
    fr_cluster *cl = *state;
    int r2 = sub(cl, 2, SSUB_FOO, SSUB_FOO_OK);
    int r3 = rs_must_connect(tu_cluster_port(cl, 2));
    rs_send(r3, "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n");
    assert_true(rs_wait_readable(r3, RS_WAIT_MS));
    char junk[4096];
    rs_read_n(r3, junk, sizeof junk, 200, NULL); /* the HELLO map */
    rs_send(r3, SSUB_FOO);
    rs_expect(r3, ">3\r\n$10\r\nssubscribe\r\n$3\r\nfoo\r\n:1\r\n");
    char moved[64];
    assert_int_equal(fr_cluster_move_slot(cl, FOO_SLOT, 0), FR_OK);
    rs_expect(r2, "*3\r\n$12\r\nsunsubscribe\r\n$3\r\nfoo\r\n:0\r\n");
    rs_expect(r3, ">3\r\n$12\r\nsunsubscribe\r\n$3\r\nfoo\r\n:0\r\n");
    /* out of subscribed mode: a RESP2 PING is a plain +PONG again */
    assert_true(rs_roundtrip(r2, "*1\r\n$4\r\nPING\r\n", "+PONG\r\n"));
    snprintf(moved, sizeof moved, "-MOVED %d 127.0.0.1:%d\r\n", FOO_SLOT, tu_cluster_port(cl, 0));
    assert_true(rs_roundtrip(r2, SSUB_FOO, moved));
    int p = rs_must_connect(tu_cluster_port(cl, 0));
    assert_true(rs_roundtrip(p, SPUB_FOO, ":0\r\n"));
    close(p);
    close(r3);
    close(r2);
    /* put it back for the next tests */
    assert_int_equal(fr_cluster_move_slot(cl, FOO_SLOT, 2), FR_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shard_channels_route_like_keys),
        cmocka_unit_test(test_spublish_stays_in_its_shard),
        cmocka_unit_test(test_publish_reaches_every_node),
        cmocka_unit_test(test_migrating_slot_keeps_channels_on_source),
        cmocka_unit_test(test_slot_moving_away_ends_shard_channels),
    };
    return cmocka_run_group_tests(tests, tu_cluster_setup, tu_cluster_teardown);
}
