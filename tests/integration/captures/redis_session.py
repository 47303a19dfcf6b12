# The session of tests/integration/captures/redis_session.pcap (see its README).
import socket
import sys


def conn(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(0.3)
    return s


def enc(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode("latin1") if isinstance(a, str) else a
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def rd(s):
    """Everything until the server is quiet for 300 ms."""
    data = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
    except socket.timeout:
        pass
    return data


P = int(sys.argv[1])
a = conn(P); a.sendall(enc("FLUSHALL")); rd(a)
a.sendall(enc("SET","cap:k","v\x00\r\n")+enc("GET","cap:k")+enc("INCR","cap:n")*3); rd(a)   # a pipeline
b = conn(P); b.sendall(enc("HELLO","3")); rd(b)
b.sendall(enc("SUBSCRIBE","cap:ch","cap:ch2")); rd(b)
a.sendall(enc("PUBLISH","cap:ch","hello")); rd(a)
a.sendall(enc("RPUSH","cap:l","a","b","c")+enc("LRANGE","cap:l","0","-1")); rd(a)
a.sendall(b"PING inline\r\n"); rd(a)
a.sendall(enc("MULTI")+enc("INCR","cap:n")+enc("GET","cap:n")+enc("EXEC")); rd(a)
rd(b); b.sendall(enc("UNSUBSCRIBE", "cap:ch", "cap:ch2")); rd(b)
a.sendall(enc("NOSUCH","x")); rd(a)
a.sendall(enc("QUIT")); rd(a); b.close()
