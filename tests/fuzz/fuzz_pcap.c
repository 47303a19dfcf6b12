/* Fuzz target: the pcap import (container, link, IP and TCP parsing,
 * reassembly, request and reply parsing). Whatever the bytes, it never
 * crashes and ends with a status. */
#include <stddef.h>
#include <stdint.h>

#include "fakeredis/recording.h"
#include "fuzz_targets.h"

int fr_fuzz_pcap(const uint8_t *data, size_t size)
{
    fr_pcap_import_result res;
    /* every server port a segment may use: the first two bytes choose */
    int port = size >= 2 ? (data[0] << 8 | data[1]) : 6379;
    fr_pcap_import_mem(data, size, "/dev/null", port ? port : 6379, &res);
    return 0;
}
