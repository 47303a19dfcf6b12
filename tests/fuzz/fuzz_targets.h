/* The fuzz targets: each takes any bytes and must not crash. libFuzzer
 * drives them when clang is there (FR_FUZZ=ON, fuzz_main_libfuzzer.c);
 * fuzz_smoke.c drives them in every build, over seeds and their
 * deterministic mutations. */
#ifndef FR_FUZZ_TARGETS_H
#define FR_FUZZ_TARGETS_H

#include <stddef.h>
#include <stdint.h>

int fr_fuzz_recording(const uint8_t *data, size_t size);
int fr_fuzz_pcap(const uint8_t *data, size_t size);

#endif
