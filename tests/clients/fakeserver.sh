# shellcheck shell=bash disable=SC2034 # FAKE_PID is for the sourcing script
# Sourced by the shell client tests: start a fakeredis-server and wait for
# its port file (the shell twin of fakeserver.py).
#   fake_start SERVER PORTFILE [ARGS...]  starts SERVER --port 0 --port-file
#   PORTFILE ARGS in the background, sets FAKE_PID, and returns once the
#   port file has content (at most 5 s; 1 when it never came).

fake_start() {
    local server=$1 portfile=$2
    shift 2
    "$server" --port 0 --port-file "$portfile" "$@" >/dev/null &
    FAKE_PID=$!
    for _ in $(seq 500); do
        [ -s "$portfile" ] && return 0
        sleep 0.01
    done
    return 1
}
