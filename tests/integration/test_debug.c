/* DEBUG PROTOCOL in RESP3 where a reply is more than one frame (the push
 * before its reply, the attribute before its reply), which the
 * differential runner, reading one frame per line, can't compare; and
 * DEBUG ERROR's error line as it is. Bytes checked against Debian's
 * redis-server 7.0.15 (with enable-debug-command yes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fakeredis/fakeredis.h"
#include "fakeredis/harness.h"
#include "support/rawsock.h"

static void test_protocol_resp3_frames(void **state)
{
    fr_server *srv = *state;
    int fd = rs_connect_srv(srv);
    rs_send(fd, "HELLO 3\r\n");
    /* the map's last field, then nothing else */
    char buf[512];
    size_t n = rs_read_n(fd, buf, sizeof buf, 200, NULL);
    assert_true(n > 20 && !memcmp(buf + n - 13, "modules\r\n*0\r\n", 13));
    rs_send(fd, "DEBUG PROTOCOL push\r\n");
    rs_expect(fd, ">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n"
                  "$40\r\nSome real reply following the push reply\r\n");
    rs_send(fd, "DEBUG PROTOCOL attrib\r\n");
    rs_expect(fd, "|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n"
                  "$39\r\nSome real reply following the attribute\r\n");
    rs_send(fd, "DEBUG PROTOCOL map\r\nDEBUG PROTOCOL bignum\r\nDEBUG PROTOCOL verbatim\r\n");
    rs_expect(fd, "%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n"
                  "(1234567999999999999999999999999999999\r\n"
                  "=29\r\ntxt:This is a verbatim\nstring\r\n");
    rs_send(fd, "DEBUG ERROR \"BUSY not really\"\r\n");
    rs_expect(fd, "-BUSY not really\r\n");
    assert_true(rs_quiet_for(fd, 50));
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_protocol_resp3_frames, fr_fixture_setup,
                                        fr_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
