/*
 * Protected mode's two decisions (fake/core/config.c): refusing to start
 * on an address other hosts can reach with no password, and denying a
 * peer that is not local. Tested as functions: the tests never bind to or
 * dial a non-loopback address.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cmocka.h>

#include "config.h"
#include "types.h"

static void refuses_bind(void **state)
{
    (void)state;
    static const struct {
        const char *bind;
        int refused;
    } cases[] = {
        {NULL, 0},
        {"127.0.0.1", 0},
        {"127.1.2.3", 0},
        {"::1", 0},
        {"::ffff:127.0.0.1", 0},
        {"0.0.0.0", 1},
        {"::", 1},
        {"192.0.2.1", 1},
        {"10.0.0.1", 1},
        {"2001:db8::1", 1},
        {"::ffff:10.0.0.1", 1},
        {"128.0.0.1", 1},
        /* not an address: listening refuses it with its own error */
        {"not-an-address", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = fr__protected_refuses_bind(cases[i].bind, 0, "", 1);
        if (got != cases[i].refused)
            fail_msg("bind %s: refused %d, want %d", cases[i].bind ? cases[i].bind : "NULL", got,
                     cases[i].refused);
    }
    /* a password, protected mode off, or no TCP listener: allowed */
    assert_int_equal(fr__protected_refuses_bind("0.0.0.0", 0, "pw", 1), 0);
    assert_int_equal(fr__protected_refuses_bind("0.0.0.0", 0, NULL, 1), 1);
    assert_int_equal(fr__protected_refuses_bind("0.0.0.0", 0, "", 0), 0);
    assert_int_equal(fr__protected_refuses_bind("0.0.0.0", -1, "", 1), 0);
    assert_int_equal(fr__protected_refuses_bind("0.0.0.0", 6379, "", 1), 1);
}

static int denies4(const char *ip, int protected_mode, const char *pass)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    assert_int_equal(inet_pton(AF_INET, ip, &a.sin_addr), 1);
    return fr__protected_denies_peer(protected_mode, pass, (struct sockaddr *)&a);
}

static int denies6(const char *ip)
{
    struct sockaddr_in6 a;
    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    assert_int_equal(inet_pton(AF_INET6, ip, &a.sin6_addr), 1);
    return fr__protected_denies_peer(1, "", (struct sockaddr *)&a);
}

static void denies_peer(void **state)
{
    (void)state;
    assert_int_equal(denies4("127.0.0.1", 1, ""), 0);
    assert_int_equal(denies4("192.0.2.7", 1, ""), 1);
    assert_int_equal(denies4("192.0.2.7", 1, NULL), 1);
    assert_int_equal(denies4("192.0.2.7", 1, "pw"), 0); /* a password was set */
    assert_int_equal(denies4("192.0.2.7", 0, ""), 0);   /* protected mode off */
    assert_int_equal(denies6("::1"), 0);
    assert_int_equal(denies6("::ffff:127.0.0.1"), 0);
    assert_int_equal(denies6("2001:db8::1"), 1);
    assert_int_equal(denies6("::ffff:192.0.2.7"), 1);
    struct sockaddr_un u;
    memset(&u, 0, sizeof u);
    u.sun_family = AF_UNIX;
    assert_int_equal(fr__protected_denies_peer(1, "", (struct sockaddr *)&u), 0);
    /* the reply is redis 7.0.15's, one line */
    assert_memory_equal(fr__err_denied, "-DENIED Redis is running in protected mode because ", 51);
    size_t n = strlen(fr__err_denied);
    assert_string_equal(fr__err_denied + n - 10, "outside.\r\n");
    assert_null(memchr(fr__err_denied, '\n', n - 1));
}

/* At run time the question is whether the default user is nopass: a
 * password given by ACL SETUSER default >pw (acl/ keeps default_nopass)
 * counts as much as requirepass. An accepted socket whose peer can't be
 * known (fd -1) on a reachable listener is denied only then. */
static void default_user_password(void **state)
{
    (void)state;
    static fr_server srv;
    static int acl_state;
    char none[] = "", pw[] = "pw", any[] = "0.0.0.0";
    srv.cfg.protected_mode = 1;
    srv.cfg.requirepass = none;
    srv.bind_addr = any;
    srv.port = 6379;
    assert_int_equal(fr__protected_active(&srv), 1);
    assert_int_equal(fr__protected_denies_fd(&srv, -1), 1);
    srv.cfg.requirepass = pw;
    assert_int_equal(fr__protected_active(&srv), 0);
    /* with users: the default user's own flag, whatever requirepass says */
    srv.acl = (struct fr_acl *)(void *)&acl_state;
    srv.cfg.requirepass = none;
    srv.default_nopass = 0; /* ACL SETUSER default >pw */
    assert_int_equal(fr__protected_active(&srv), 0);
    assert_int_equal(fr__protected_denies_fd(&srv, -1), 0);
    srv.cfg.requirepass = pw;
    srv.default_nopass = 1; /* ACL SETUSER default nopass */
    assert_int_equal(fr__protected_active(&srv), 1);
    assert_int_equal(fr__protected_denies_fd(&srv, -1), 1);
    srv.cfg.protected_mode = 0;
    assert_int_equal(fr__protected_active(&srv), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(refuses_bind),
        cmocka_unit_test(denies_peer),
        cmocka_unit_test(default_user_password),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
