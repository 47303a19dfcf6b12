#!/usr/bin/env bash
# The package as a user gets it: install the build into a scratch prefix,
# then compile with nothing but pkg-config
#   - the README's quick-start test (the block between its quickstart
#     markers), against fakeredis-harness, cmocka and hiredis, and run it;
#   - a program using the fake alone, against plain `fakeredis`
# so a copied README test works and `pkg-config --libs fakeredis` links
# (static or shared).
#
# usage: check.sh BUILD_DIR SOURCE_DIR [EXTRA_CFLAGS]   (a sanitizer build's
#        libraries need the programs built with the same -fsanitize)
set -euo pipefail
build=$1 src=$2 extra=${3:-}
work=$(mktemp -d "${TMPDIR:-/tmp}/fr-package-XXXXXX")
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
libdir=$(ls -d "$work"/prefix/lib*/pkgconfig | head -1)
export PKG_CONFIG_PATH="$libdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export FAKEREDIS_SERVER="$work/prefix/bin/fakeredis-server"
export LD_LIBRARY_PATH="$work/prefix/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

sed -n '/<!-- quickstart:begin -->/,/<!-- quickstart:end -->/p' "$src/README.md" |
    sed '1,2d;$d' | sed '$d' > "$work/test_loading.c"
lines=$(wc -l < "$work/test_loading.c")
echo "package: README quick start, $lines lines"
# shellcheck disable=SC2046
cc $extra -o "$work/test_loading" "$work/test_loading.c" $(pkg-config --cflags --libs fakeredis-harness cmocka hiredis)
"$work/test_loading"

cat > "$work/alone.c" <<'C'
#include <stdio.h>
#include <fakeredis/fakeredis.h>
int main(void)
{
    fr_server *srv;
    if (fr_server_start(NULL, &srv) != FR_OK)
        return 1;
    fr_reply *r = fr_execf(srv, "PING");
    int ok = r && r->type == FR_REPLY_STATUS;
    fr_reply_free(r);
    fr_server_stop(srv);
    printf("package: pkg-config fakeredis: %s\n", ok ? "ok" : "FAILED");
    return !ok;
}
C
# shellcheck disable=SC2046
cc $extra -o "$work/alone" "$work/alone.c" $(pkg-config --cflags --libs fakeredis)
"$work/alone"
