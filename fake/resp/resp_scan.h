/*
 * Internal: find where one RESP2/RESP3 reply frame ends in a byte buffer.
 * Shares its scanner with fr_reply_parse() (reply_parse.c), so "is this a
 * complete, valid frame" has one answer everywhere: the differential
 * runner and tests that compare raw reply bytes use it.
 */
#ifndef FAKEREDIS_RESP_SCAN_H
#define FAKEREDIS_RESP_SCAN_H

#include <stddef.h>

/** Aggregates (* % ~ > |) may be nested this deep; one more is invalid.
 *  Bounds the parser's stack and fr_reply_free()'s recursion. */
#define FR__RESP_MAX_DEPTH 64

/**
 * The byte length of the first complete frame in buf[0..len), 0 if more
 * bytes are needed, -1 if the bytes are not valid RESP (or nest deeper
 * than FR__RESP_MAX_DEPTH). An attribute (|) and the reply it annotates
 * count as one frame. O(len), no allocation. Any thread.
 */
long fr__resp_frame_len(const char *buf, size_t len);

#endif /* FAKEREDIS_RESP_SCAN_H */
