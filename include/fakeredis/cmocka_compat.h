/*
 * What differs between Debian's cmocka 1.1 and cmocka 2.x, as far as the
 * fakeredis assertions care. Include after <cmocka.h> (fakeredis/cmocka.h
 * does).
 *
 *   FR_CMOCKA_MAJOR       1 or 2
 *   FR_CMOCKA_FAIL(msg)   report msg (any length) and fail the running test
 *                         at the caller's file and line
 *   FR_CMOCKA_SKIP(msg)   say why, then skip the running test (from the
 *                         test itself: cmocka 1.1 reports a skip() in a
 *                         setup function as a failed setup)
 *
 * cmocka 1.1 has no version header; 2.x installs cmocka_version.h.
 */
#ifndef FAKEREDIS_CMOCKA_COMPAT_H
#define FAKEREDIS_CMOCKA_COMPAT_H

#if defined(__has_include)
#if __has_include(<cmocka_version.h>)
#include <cmocka_version.h>
#endif
#endif

#if defined(CMOCKA_VERSION_MAJOR)
#define FR_CMOCKA_MAJOR CMOCKA_VERSION_MAJOR
#else
#define FR_CMOCKA_MAJOR 1
#endif

/* print_error() and _fail() exist under these names in both; the message
 * goes through print_error so cmocka's output formats keep it. */
#define FR_CMOCKA_FAIL(msg)                                                              \
    do {                                                                                 \
        print_error("%s\n", (msg));                                                      \
        _fail(__FILE__, __LINE__);                                                       \
    } while (0)

#define FR_CMOCKA_SKIP(msg)                                                              \
    do {                                                                                 \
        print_message("%s\n", (msg));                                                    \
        skip();                                                                          \
    } while (0)

#endif /* FAKEREDIS_CMOCKA_COMPAT_H */
