"""The python client tests' shared harness: run fakeredis-server with
some arguments on ephemeral loopback ports, hand the ports it wrote (one
per server, in order) to a test function, and stop it; a server that does
not exit cleanly (a sanitizer build reports leaks and errors through the
exit status) fails the test."""
import os
import subprocess
import tempfile
import time


def run_with_server(binary, args, test):
    with tempfile.TemporaryDirectory() as tmp:
        port_file = os.path.join(tmp, "ports")
        srv = subprocess.Popen([binary, "--port", "0", "--port-file", port_file] + args,
                               stdout=subprocess.DEVNULL)
        try:
            for _ in range(500):
                if os.path.exists(port_file):
                    break
                time.sleep(0.01)
            ports = [int(l) for l in open(port_file).read().split()]
            test(ports)
        finally:
            srv.terminate()
            rc = srv.wait(10)
        assert rc == 0, f"fakeredis-server exited with {rc}"
