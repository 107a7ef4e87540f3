/*
 * fuzz_events.c — the event-file reader on arbitrary bytes: every accessor of
 * every event. The custom mutator keeps the TFRecord framing valid (it mutates
 * one record's payload, or adds, copies or drops a record, then writes every
 * length and CRC again), so the Event parser behind the CRCs is reached; one
 * mutation in ten is raw, for the framing checks themselves.
 */
#include "fuzz_events_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_tmp_path(".tfevents");
    if (fuzz_write(path, data, size)) return 0;
    fuzz_read_events(path);
    return 0;
}

/* Writes one record's framing around the payload already at out + 12. */
static void frame(uint8_t *out, size_t len) {
    fuzz_put_le(out, len, 8);
    fuzz_put_le(out + 8, nb_crc32c_mask(nb_crc32c(out, 8)), 4);
    fuzz_put_le(out + 12 + len, nb_crc32c_mask(nb_crc32c(out + 12, len)), 4);
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max, unsigned int seed) {
    uint32_t rs = seed | 1;
    if (fuzz_rand(&rs) % 10 == 0) return LLVMFuzzerMutate(data, size, max);
    /* The records that frame correctly by length (CRCs are rewritten anyway). */
    enum { MAXREC = 256 };
    size_t off[MAXREC], len[MAXREC];
    int n = 0;
    size_t at = 0;
    while (n < MAXREC && size - at >= 16) {
        uint64_t l = fuzz_le64(data + at);
        if (l > size - at - 16) break;
        off[n] = at + 12;
        len[n++] = (size_t)l;
        at += 16 + (size_t)l;
    }
    uint8_t *out = malloc(max + 16);
    if (!out) return size;
    size_t o = 0;
    if (n == 0) {
        /* Not framed: the whole input becomes one payload. */
        if (max < 16) {
            free(out);
            return LLVMFuzzerMutate(data, size, max);
        }
        size_t l = size < max - 16 ? size : max - 16;
        memcpy(out + 12, data, l);
        l = LLVMFuzzerMutate(out + 12, l, max - 16);
        frame(out, l);
        o = 16 + l;
    } else {
        int k = (int)(fuzz_rand(&rs) % (uint32_t)n);
        unsigned action = fuzz_rand(&rs) % 10; /* 0-6 mutate k, 7 copy k, 8 drop k, 9 swap k, k+1 */
        size_t total = 0;
        for (int i = 0; i < n; i++) total += 16 + len[i];
        for (int i = 0; i < n; i++) {
            int src = (action == 9 && i == k && k + 1 < n) ? k + 1 : (action == 9 && i == k + 1) ? k : i;
            if (action == 8 && i == k && n > 1) continue;
            size_t l = len[src];
            if (o + 16 + l > max) break;
            memcpy(out + o + 12, data + off[src], l);
            if (i == k && action <= 6) {
                /* room: max less the other records (o counts those before k) */
                size_t rest = total - (16 + len[k]);
                size_t cap = max >= rest + 16 ? max - rest - 16 : 0;
                if (cap >= l) l = LLVMFuzzerMutate(out + o + 12, l, cap);
            }
            frame(out + o, l);
            o += 16 + l;
            if (i == k && action == 7 && o + 16 + l <= max) {
                memcpy(out + o + 12, data + off[k], l);
                frame(out + o, l);
                o += 16 + l;
            }
        }
    }
    if (o > max) o = max; /* cannot happen; keeps libFuzzer's contract */
    memcpy(data, out, o);
    free(out);
    return o;
}
