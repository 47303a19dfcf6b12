#!/usr/bin/env python3
"""Random ACL SETUSER sequences against a redis-server and a fakeredis-server,
then ACL DRYRUN of a list of key commands for a user with read, write and
read-write key patterns.

Usage: scripts/acl-rules-fuzz.py REDIS_PORT FAKE_PORT [SEED] [ROUNDS]

Each round sends the same ACL SETUSER (0 to 5 rules from a vocabulary of
valid and invalid ones) to both servers, then compares the replies and ACL
GETUSER. Redis prints the single commands of a rule in its dict order,
random per process, so those are compared as a set; everything else
(categories chosen, keys, channels, flags, passwords, selectors, errors)
byte for byte. Prints each mismatch and the count; exits 1 if any.
Loopback only; the user "fz" is created and deleted on both servers.
"""
import random
import socket
import sys

VOCAB = [
    'on', 'off', 'nopass', 'resetpass', '>a', '>b', '<a', '#' + 'a' * 64, '!' + 'a' * 64,
    '~k*', '%R~r*', '%W~w*', '%RW~x', '~*', 'allkeys', 'resetkeys', '&c*', '&*',
    'allchannels', 'resetchannels', '+@hash', '-@hash', '+@list', '-@list', '+@set',
    '+@string', '-@string', '+@all', '-@all', 'allcommands', 'nocommands', '+get', '-get',
    '+hset', '-lpush', '+client|list', '-client', '+config|get', '+select|1', '+get|x',
    '(~a +get)', '(+@list', '-lpush)', 'clearselectors', 'reset', 'sanitize-payload',
    'skip-sanitize-payload', '%~x', '+nosuch', 'foo', '~a b', '&x', '', '%', '(', '()', ')',
]


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(('127.0.0.1', port))
        self.f = self.sock.makefile('rb')

    def cmd(self, *parts):
        req = '*%d\r\n' % len(parts)
        for p in parts:
            req += '$%d\r\n%s\r\n' % (len(p.encode()), p)
        self.sock.sendall(req.encode())
        return self.read()

    def read(self):
        line = self.f.readline()[:-2]
        t, rest = line[:1], line[1:]
        if t in (b'+', b'-'):
            return (t + rest).decode()
        if t == b':':
            return int(rest)
        if t == b'$':
            n = int(rest)
            return None if n < 0 else self.f.read(n + 2)[:-2].decode()
        if t in (b'*', b'~', b'%'):
            n = int(rest) * (2 if t == b'%' else 1)
            return [self.read() for _ in range(n)]
        raise ValueError(line)


def rules(s):
    toks = s.split()
    cats = [t for t in toks if t.startswith(('+@', '-@'))]
    return cats, sorted(t for t in toks if not t.startswith(('+@', '-@')))


def normal(user):
    if user is None:
        return None
    d = dict(zip(user[0::2], user[1::2]))
    d['commands'] = rules(d['commands'])
    d['flags'] = sorted(d['flags'])
    sels = []
    for s in d['selectors']:
        m = dict(zip(s[0::2], s[1::2]))
        sels.append((rules(m['commands']), m['keys'], m['channels']))
    d['selectors'] = sels
    return d


# key commands, K a key: each is tried with every combination of keys
KEY_COMMANDS = [
    'get K', 'set K v', 'set K v GET', 'getdel K', 'incr K', 'append K x', 'strlen K',
    'exists K K', 'del K K', 'type K', 'expire K 10', 'mget K K', 'mset K v K v', 'lpush K a',
    'lpop K', 'lrange K 0 -1', 'lmove K K LEFT RIGHT', 'lmpop 2 K K LEFT',
    'blmpop 0 2 K K LEFT', 'hset K f v', 'hget K f', 'hincrby K f 1', 'sadd K m', 'scard K',
    'smove K K m', 'sinterstore K K K', 'sintercard 2 K K', 'zadd K 1 m', 'zunionstore K 2 K K',
    'zrangestore K K 0 -1', 'zmpop 2 K K MIN', 'zdiff 2 K K', 'xadd K * f v',
    'xread STREAMS K K 0 0', 'xreadgroup GROUP g c STREAMS K 0', 'xgroup create K g $',
    'copy K K', 'rename K K', 'bitop AND K K K', 'sort K', 'sort K STORE K', 'sort_ro K',
    'object encoding K', 'touch K K', 'watch K K', 'lcs K K', 'restore K 0 x', 'publish K m',
]


def key_round(redis, fake):
    import itertools
    bad = 0
    for c in (redis, fake):
        c.cmd('ACL', 'SETUSER', 'fz', 'reset', 'on', 'nopass', '~k*', '%R~r*', '%W~w*', '+@all')
    for t in KEY_COMMANDS:
        words = t.split()
        for keys in itertools.product(['k1', 'r1', 'w1', 'z1'], repeat=words.count('K')):
            it = iter(keys)
            args = [next(it) if w == 'K' else w for w in words]
            a = redis.cmd('ACL', 'DRYRUN', 'fz', *args)
            b = fake.cmd('ACL', 'DRYRUN', 'fz', *args)
            if a != b:
                print('DRYRUN', args, '\n  redis', a, '\n  fake ', b)
                bad += 1
    return bad


def main():
    redis, fake = Conn(int(sys.argv[1])), Conn(int(sys.argv[2]))
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
    bad = 0
    for c in (redis, fake):
        c.cmd('ACL', 'DELUSER', 'fz')
    for _ in range(rounds):
        args = ['ACL', 'SETUSER', 'fz'] + [rng.choice(VOCAB) for _ in range(rng.randint(0, 5))]
        a, b = redis.cmd(*args), fake.cmd(*args)
        if a != b:
            print('REPLY', args, a, b)
            bad += 1
        ga, gb = redis.cmd('ACL', 'GETUSER', 'fz'), fake.cmd('ACL', 'GETUSER', 'fz')
        if normal(ga) != normal(gb):
            print('GETUSER', args, '\n  redis', ga, '\n  fake ', gb)
            bad += 1
        if rng.random() < 0.2:
            for c in (redis, fake):
                c.cmd('ACL', 'DELUSER', 'fz')
    bad += key_round(redis, fake)
    for c in (redis, fake):
        c.cmd('ACL', 'DELUSER', 'fz')
    print('acl-rules-fuzz: %d rounds, %d mismatches' % (rounds, bad))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
