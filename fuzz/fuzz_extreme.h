/*
 * fuzz_extreme.h — shared by fuzz_graph.c and fuzz_graphdef.c: a byte reader,
 * integers drawn from the values where sizes break (0, -1, 2^31-1, 2^31,
 * 2^53+1, 2^62, 2^63-1, INT64_MIN, ...) or small ones, and a run of a graph
 * that checks every fetched tensor against its op's static shape.
 *
 * Sizes that are legal but huge (a [2^31] float tensor) must not take the
 * fuzzer's memory: ASan returns NULL for any allocation above 64 MiB (see
 * __asan_default_options below), which the library reports as out of memory.
 */
#ifndef NB_FUZZ_EXTREME_H
#define NB_FUZZ_EXTREME_H

#include "fuzz_common.h"
#include "ops/ops_impl.h"

/* Read by ASan at start-up; ASAN_OPTIONS from the environment still apply on top. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) {
    return "max_allocation_size_mb=64:allocator_may_return_null=1";
}

typedef struct {
    const uint8_t *p;
    size_t n;
} reader;

static unsigned take(reader *r) {
    if (!r->n) return 0;
    r->n--;
    return *r->p++;
}

static const int64_t fuzz_extremes[] = {
    0, -1, 1, 2, INT32_MAX, (int64_t)INT32_MAX + 1, (int64_t)UINT32_MAX, (int64_t)1 << 32,
    ((int64_t)1 << 53) + 1, (int64_t)1 << 62, INT64_MAX, INT64_MAX - 1, INT64_MIN, INT64_MIN + 1,
    INT32_MIN, -2, 3, 65536,
};
#define FUZZ_N_EXTREMES (sizeof fuzz_extremes / sizeof *fuzz_extremes)

/* One byte: high bit set -> an extreme value; else a small value in [-1, 6]. */
static int64_t draw(reader *r) {
    unsigned b = take(r);
    if (b & 0x80) return fuzz_extremes[(b & 0x7f) % FUZZ_N_EXTREMES];
    return (int64_t)(b & 7) - 1;
}

/* A value must match its op's static shape (unknown parts match anything). */
static void fuzz_check_static_shape(nb_output o, const nb_tensor *t) {
    nb_shape s = nb_output_shape(o);
    if (!nbi_shape_compatible(&s, nb_tensor_rank(t), nb_tensor_dims(t)) ||
        nb_tensor_dtype(t) != nb_output_dtype(o)) {
        char a[256], b[256];
        fprintf(stderr, "fuzz: '%s' (op %s) has static shape %s but ran to %s\n", nb_op_name(o.op),
                nb_op_type(o.op), nb_shape_string(s, a, sizeof a),
                nb_shape_string(nb_tensor_shape(t), b, sizeof b));
        abort();
    }
}

#endif
