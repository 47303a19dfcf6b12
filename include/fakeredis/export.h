/* Symbol visibility for the public API: the library is built with hidden
 * visibility and exports only what carries FR_API. */
#ifndef FAKEREDIS_EXPORT_H
#define FAKEREDIS_EXPORT_H

#if defined(FR_STATIC)
#define FR_API
#elif defined(__GNUC__)
#define FR_API __attribute__((visibility("default")))
#else
#define FR_API
#endif

#endif /* FAKEREDIS_EXPORT_H */
