# libevent (core + pthreads) and cmocka come from pkg-config; hiredis from its
# CMake package when one is installed (hiredis 1.x), else pkg-config (0.14).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
pkg_check_modules(LIBEVENT_CORE REQUIRED IMPORTED_TARGET libevent_core)
# Lua scripting (fake/script): Debian's Lua 5.1 with its cjson and bitop
# modules, linked in (their luaopen_ functions are opened into each server's
# own state).
pkg_check_modules(LUA REQUIRED IMPORTED_TARGET lua5.1 lua5.1-cjson lua5.1-bitop)

if(FR_BUILD_TESTS OR FR_BUILD_EXAMPLES)
  find_package(hiredis CONFIG QUIET)
  if(TARGET hiredis::hiredis)
    set(FR_HIREDIS_TARGET hiredis::hiredis)
  else()
    pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)
    set(FR_HIREDIS_TARGET PkgConfig::HIREDIS)
  endif()
  pkg_check_modules(LIBEVENT_FULL REQUIRED IMPORTED_TARGET libevent)
endif()

pkg_check_modules(CMOCKA IMPORTED_TARGET cmocka)
