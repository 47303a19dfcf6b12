/* libFuzzer's entry point for one target, chosen at build time
 * (FR_FUZZ_TARGET is fr_fuzz_recording or fr_fuzz_pcap). */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return FR_FUZZ_TARGET(data, size);
}
