/* Fuzz target: the recording reader. Whatever the bytes, reading never
 * crashes, never reads outside them, and ends (0, or FR_ERR_PARSE). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fakeredis/recording.h"
#include "fuzz_targets.h"

int fr_fuzz_recording(const uint8_t *data, size_t size)
{
    fr_recording *r;
    if (fr_recording_open_mem(data, size, &r, NULL, 0) != FR_OK)
        return 0;
    FILE *sink = fopen("/dev/null", "w");
    const fr_rec_event *ev;
    while (fr_recording_next(r, &ev) == 1)
        if (sink)
            fr_rec_event_print(sink, ev); /* touches every byte it was given */
    if (sink)
        fclose(sink);
    fr_recording_close(r);
    return 0;
}
