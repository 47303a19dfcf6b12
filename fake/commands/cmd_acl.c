/* ACL and its subcommands. Users and permissions live in acl/; the
 * subcommands that need no user state are here. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "acl_engine.h"
#include "commands.h"
#include "commands_private.h"
#include "core.h"

fr_acl *fr__acl_here(fr_server *srv)
{
    return fr__acl_get(srv, fr__client_describe);
}

/* The subcommands whose work is in acl/: the state, made on first use
 * (with the describer ACL LOG's client-info needs), then acl/'s handler. */
#define ACL_FORWARD(sub)                                                                           \
    void fr__cmd_acl_##sub(fr_conn *c)                                                             \
    {                                                                                              \
        fr__acl_here(c->srv);                                                                      \
        fr__acl_##sub(c);                                                                          \
    }

ACL_FORWARD(setuser)
ACL_FORWARD(getuser)
ACL_FORWARD(deluser)
ACL_FORWARD(list)
ACL_FORWARD(users)
ACL_FORWARD(dryrun)

/* Redis answers these forms of CAT, GENPASS and LOG as a bad subcommand */
static int too_many(fr_conn *c, int max)
{
    if (c->argc <= max)
        return 0;
    fr__add_errorf(c, "unknown subcommand or wrong number of arguments for '%.*s'. Try ACL HELP.",
                   (int)c->argv[1].len, c->argv[1].p);
    return 1;
}

void fr__cmd_acl_cat(fr_conn *c)
{
    if (too_many(c, 3))
        return;
    fr__acl_here(c->srv);
    fr__acl_cat(c);
}

void fr__cmd_acl_log(fr_conn *c)
{
    if (too_many(c, 3))
        return;
    fr__acl_here(c->srv);
    fr__acl_log(c);
}

void fr__cmd_acl_whoami(fr_conn *c)
{
    fr__add_bulk_cstr(c, fr__acl_conn_user(c));
}

static const char no_file[] =
    "This Redis instance is not configured to use an ACL file. You may want to specify users "
    "via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis "
    "configuration file set) in order to store users in the Redis configuration.";

void fr__cmd_acl_load(fr_conn *c)
{
    fr__add_error(c, no_file);
}

void fr__cmd_acl_save(fr_conn *c)
{
    fr__add_error(c, no_file);
}

/* bits of randomness as hex digits, bits rounded up to a whole digit */
void fr__cmd_acl_genpass(fr_conn *c)
{
    if (too_many(c, 3))
        return;
    long long bits = 256;
    if (c->argc == 3) {
        if (!fr__arg_ll(c, &c->argv[2], &bits))
            return;
        if (bits <= 0 || bits > 4096) {
            fr__add_error(c, "ACL GENPASS argument must be the number of bits for the output "
                             "password, a positive number up to 4096");
            return;
        }
    }
    size_t chars = (size_t)(bits + 3) / 4;
    unsigned char raw[1024];
    char hex[1025];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    ssize_t got = fd >= 0 ? read(fd, raw, chars) : -1;
    if (fd >= 0)
        close(fd);
    if (got != (ssize_t)chars) {
        /* no urandom: the server's own generator, still unpredictable
         * enough for a test double */
        uint64_t s = fr__rng_seed(c);
        for (size_t i = 0; i < chars; i++)
            raw[i] = (unsigned char)fr__rng_next(&s);
    }
    for (size_t i = 0; i < chars; i++)
        hex[i] = "0123456789abcdef"[raw[i] & 15];
    fr__add_bulk(c, hex, chars);
}

void fr__cmd_acl_help(fr_conn *c)
{
    static const char *const lines[] = {
        "CAT [<category>]",
        "    List all commands that belong to <category>, or all command categories",
        "    when no category is specified.",
        "DELUSER <username> [<username> ...]",
        "    Delete a list of users.",
        "DRYRUN <username> <command> [<arg> ...]",
        "    Returns whether the user can execute the given command without executing the "
        "command.",
        "GETUSER <username>",
        "    Get the user's details.",
        "GENPASS [<bits>]",
        "    Generate a secure 256-bit user password. The optional `bits` argument can",
        "    be used to specify a different size.",
        "LIST",
        "    Show users details in config file format.",
        "LOAD",
        "    Reload users from the ACL file.",
        "LOG [<count> | RESET]",
        "    Show the ACL log entries.",
        "SAVE",
        "    Save the current config to the ACL file.",
        "SETUSER <username> <attribute> [<attribute> ...]",
        "    Create or modify a user with the specified attributes.",
        "USERS",
        "    List all the registered usernames.",
        "WHOAMI",
        "    Return the current connection username.",
        NULL};
    fr__add_help(c, "ACL", lines);
}
