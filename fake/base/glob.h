/* Redis' glob dialect, the one matcher for KEYS, SCAN, CONFIG GET,
 * PSUBSCRIBE, PUBSUB CHANNELS and fault rules.
 *   *      any run of bytes      ?   any one byte
 *   [abc]  a class; [^a] negated; [a-z] a range (ends may be swapped)
 *   \x     the byte x literally (also inside a class)
 * Quirks kept on purpose because Redis has them: an empty subject never
 * matches a non-empty pattern (not even "*"), an unclosed class runs to the
 * end of the pattern, and nesting deeper than 1000 stars fails the match. */
#ifndef FR_GLOB_H
#define FR_GLOB_H

#include <stddef.h>

int fr__glob_match(const char *pat, size_t plen, const char *str, size_t slen,
                   int nocase);

#endif
