/* libFuzzer target: fr_reply_parse (RESP2 and RESP3 replies).
 *
 * Whatever the bytes: 1 with a tree and 0 < consumed <= len, 0 (more
 * needed) or -1 (invalid), never anything else, and no crash or leak.
 * When a whole reply is there, no proper prefix of it parses as complete
 * or as invalid: a prefix of a valid reply is "more needed" (every prefix
 * for short replies, a sample for long ones). Parsing exactly the bytes
 * consumed gives the same answer. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fakeredis/fakeredis.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int parse(const uint8_t *p, size_t n, size_t *consumed)
{
    /* a copy of exactly n bytes: ASan catches a read past the end */
    char *copy = malloc(n ? n : 1);
    if (!copy)
        abort();
    if (n)
        memcpy(copy, p, n);
    fr_reply *r = NULL;
    *consumed = 0;
    int rc = fr_reply_parse(copy, n, consumed, &r);
    if (rc == 1) {
        if (!r || *consumed == 0 || *consumed > n)
            abort();
        fr_reply_free(r);
    } else if (rc != 0 && rc != -1) {
        abort();
    }
    free(copy);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t k = 0;
    if (parse(data, size, &k) != 1)
        return 0;
    size_t again = 0;
    if (parse(data, k, &again) != 1 || again != k)
        abort(); /* the reply alone is not the same reply */
    /* every proper prefix up to 256 bytes, then about 64 more */
    size_t step = k <= 256 ? 1 : k / 64;
    for (size_t j = 0; j < k; j += (j < 256 ? 1 : step)) {
        size_t c = 0;
        if (parse(data, j, &c) != 0)
            abort(); /* a prefix of a reply is complete, or invalid */
    }
    size_t c = 0;
    if (k > 0 && parse(data, k - 1, &c) != 0)
        abort();
    return 0;
}
