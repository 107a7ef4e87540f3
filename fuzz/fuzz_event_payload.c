/*
 * fuzz_event_payload.c — the Event parser and accessors on unframed payloads:
 * the input is split at each "\n--\n" into Event payloads, and each is framed
 * (length, CRCs) after a file_version event, so every input passes the
 * checksums that stop fuzz_events' raw mutations.
 */
#include "fuzz_events_read.h"

static const uint8_t sep[] = "\n--\n";

static void put_record(FILE *f, const uint8_t *p, size_t n) {
    uint8_t h[12], c[4];
    fuzz_put_le(h, n, 8);
    fuzz_put_le(h + 8, nb_crc32c_mask(nb_crc32c(h, 8)), 4);
    fuzz_put_le(c, nb_crc32c_mask(nb_crc32c(p, n)), 4);
    fwrite(h, 1, 12, f);
    if (n) fwrite(p, 1, n, f);
    fwrite(c, 1, 4, f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_tmp_path(".tfevents");
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    static const uint8_t first[] = {0x1a, 13, 'b', 'r', 'a', 'i', 'n', '.', 'E', 'v', 'e', 'n', 't', ':', '2'};
    put_record(f, first, sizeof first);
    size_t at = 0;
    for (int k = 0; k < 64; k++) {
        const uint8_t *end = memmem(data + at, size - at, sep, 4);
        size_t n = end ? (size_t)(end - (data + at)) : size - at;
        put_record(f, data + at, n);
        if (!end) break;
        at += n + 4;
    }
    if (fclose(f) != 0) return 0;
    fuzz_read_events(path);
    return 0;
}
