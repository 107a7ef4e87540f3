/*
 * fuzz_graph.c — the graph builder fed a random op sequence (random shapes and
 * dtypes, from the input bytes), then nb_gradients of the last value and a session
 * run on random feeds. Every failure must be a status (sticky on the graph, or the
 * run's), never a crash, a leak or undefined behaviour; every value fetched must
 * match its static shape. Sizes (reshape dims, multiples, paddings, slices, depth,
 * range bounds, fill dims, num_segments, axes, placeholder dims) are drawn from
 * extreme values too (fuzz_extreme.h).
 */
#include "fuzz_extreme.h"

#define MAXV 24
#define NPH 3

static nb_dtype pick_dtype(unsigned b) {
    static const nb_dtype dts[] = {NB_FLOAT32, NB_FLOAT32, NB_FLOAT64, NB_INT32};
    return dts[b & 3];
}

/* An int64 vector (or scalar, n < 0) Const of drawn values. */
static nb_output drawn_ints(nb_graph *g, reader *r, int n) {
    int64_t v[2 * NB_MAX_RANK];
    int k = n < 0 ? 1 : n;
    for (int i = 0; i < k; i++) v[i] = draw(r);
    int64_t d = k;
    return nb_constant_array(g, NB_INT64, n < 0 ? 0 : 1, &d, v, NULL);
}

/* Ops whose sizes come from drawn (often extreme) values. */
static nb_output build_extreme(nb_graph *g, reader *r, nb_output x, nb_output y, unsigned a) {
    int n = (int)(a >> 5) % 4;
    int64_t v[2 * NB_MAX_RANK];
    /* v[0] is one_hot's depth and stack's axis even when n == 0: always drawn
     * (it was read uninitialized, so a depth was whatever an earlier call left
     * on the stack, e.g. the bytes of an op name, and runs did not replay) */
    for (int i = 0; i < (n ? 2 * n : 1); i++) v[i] = draw(r);
    nb_output in[4];
    switch (a % 16) {
    case 0: return nb_reshape(g, x, n, v, NULL);
    case 1: return nb_tile(g, x, v, n, NULL);
    case 2: return nb_pad(g, x, v, n, NULL);
    case 3: return nb_slice(g, x, v, v + n, n, NULL);
    case 4: return nb_one_hot(g, nb_cast(g, x, NB_INT32, NULL), v[0], 1.0, 0.0, NB_FLOAT32, NULL);
    case 5: return nb_range(g, drawn_ints(g, r, -1), drawn_ints(g, r, -1), drawn_ints(g, r, -1), NULL);
    case 6: return nb_fill(g, drawn_ints(g, r, n), nb_constant_f32(g, 1.5f, NULL), NULL);
    case 7:
        in[0] = x, in[1] = y, in[2] = drawn_ints(g, r, -1);
        return nbi_op_finish(nbi_op_new(g, NBI_OP_CONCAT, NULL, NULL, in, 3));
    case 8: {
        nb_output xs[2] = {x, y};
        return nb_stack(g, xs, 2, (int)v[0], NULL);
    }
    case 9: return nbi_binary(g, NBI_OP_EXPAND_DIMS, x, drawn_ints(g, r, -1), NULL, NULL);
    case 10:
        return nb_unsorted_segment_sum(g, x, nb_cast(g, y, NB_INT32, NULL), drawn_ints(g, r, -1), NULL);
    case 11: return (a & 0x80) ? nb_shape_of_ex(g, x, (a & 0x40) ? NB_INT64 : NB_INT32, NULL)
                               : nb_size_ex(g, x, (a & 0x40) ? NB_INT64 : NB_INT32, NULL);
    case 12:
        in[0] = x, in[1] = nb_cast(g, y, NB_INT64, NULL), in[2] = drawn_ints(g, r, -1);
        return nbi_op_finish(nbi_op_new(g, NBI_OP_GATHER, NULL, NULL, in, 3));
    case 13: return nbi_binary(g, NBI_OP_TRANSPOSE, x, drawn_ints(g, r, n), NULL, NULL);
    case 14: {
        int ax[NB_MAX_RANK];
        for (int i = 0; i < n; i++) ax[i] = (int)v[i];
        return nb_squeeze(g, x, ax, n, NULL);
    }
    default: {
        nb_shape s = nb_shape_make(n, v);
        return (a & 0x80) ? nb_zeros(g, NB_FLOAT32, s, NULL)
                          : nb_random_uniform(g, NB_FLOAT32, s, 0, 1, 7, NULL);
    }
    }
}

static nb_output build_op(nb_graph *g, reader *r, nb_output *v, int nv) {
    unsigned op = take(r);
    nb_output x = v[take(r) % nv], y = v[take(r) % nv];
    unsigned a = take(r);
    int axis = (int)(a % 5) - 2;
    if (op % 56 >= 40) return build_extreme(g, r, x, y, a);
    switch (op % 40) {
    case 0: return nb_add(g, x, y, NULL);
    case 1: return nb_subtract(g, x, y, NULL);
    case 2: return nb_multiply(g, x, y, NULL);
    case 3: return nb_divide(g, x, y, NULL);
    case 4: return nb_maximum(g, x, y, NULL);
    case 5: return nb_squared_difference(g, x, y, NULL);
    case 6: return nb_matmul(g, x, y, a & 1, (a >> 1) & 1, NULL);
    case 7: return nb_exp(g, x, NULL);
    case 8: return nb_log(g, x, NULL);
    case 9: return nb_sqrt(g, x, NULL);
    case 10: return nb_tanh(g, x, NULL);
    case 11: return nb_sigmoid(g, x, NULL);
    case 12: return nb_relu(g, x, NULL);
    case 13: return nb_square(g, x, NULL);
    case 14: return nb_reduce_sum(g, x, &axis, (int)(a >> 7), (a >> 6) & 1, NULL);
    case 15: return nb_reduce_mean(g, x, &axis, (int)(a >> 7), (a >> 6) & 1, NULL);
    case 16: return nb_reduce_max(g, x, &axis, 1, (a >> 6) & 1, NULL);
    case 17: {
        int64_t dims[3] = {(int64_t)(a & 3) - 1, (int64_t)((a >> 2) & 3) + 1, (int64_t)((a >> 4) & 3)};
        return nb_reshape(g, x, (int)(a >> 6) % 4, dims, NULL);
    }
    case 18: {
        int perm[3] = {(int)(a & 3), (int)((a >> 2) & 3), (int)((a >> 4) & 3)};
        return nb_transpose(g, x, perm, (int)(a >> 6) % 4, NULL);
    }
    case 19: {
        nb_output xs[2] = {x, y};
        return nb_concat(g, xs, 2, axis, NULL);
    }
    case 20: {
        nb_output xs[2] = {x, y};
        return nb_stack(g, xs, 2, axis, NULL);
    }
    case 21: return nb_nn_softmax(g, x, NULL);
    case 22: return nb_nn_log_softmax(g, x, NULL);
    case 23: return nb_cast(g, x, pick_dtype(a), NULL);
    case 24: return nb_expand_dims(g, x, axis, NULL);
    case 25: return nb_squeeze(g, x, NULL, 0, NULL);
    case 26: return nb_nn_softmax_cross_entropy_with_logits(g, x, y, NULL);
    case 27: return nb_nn_sigmoid_cross_entropy_with_logits(g, x, y, NULL);
    case 28: return nb_where(g, nb_less(g, x, y, NULL), x, y, NULL);
    case 29: {
        int64_t m[3] = {(int64_t)(a & 3), (int64_t)((a >> 2) & 3), (int64_t)((a >> 4) & 1) + 1};
        return nb_tile(g, x, m, (int)(a >> 6) % 4, NULL);
    }
    case 30: {
        int64_t b[3] = {(int64_t)(a & 1), (int64_t)((a >> 1) & 1), 0};
        int64_t s[3] = {(int64_t)((a >> 2) & 3) - 1, (int64_t)((a >> 4) & 3) - 1, -1};
        return nb_slice(g, x, b, s, (int)(a >> 6) % 4, NULL);
    }
    case 31: {
        int64_t p[6] = {a & 1, (a >> 1) & 1, (a >> 2) & 1, (a >> 3) & 1, 0, 1};
        return nb_pad(g, x, p, (int)(a >> 6) % 4, NULL);
    }
    case 32: return nb_argmax(g, x, axis, NULL);
    case 33: return nb_gather(g, x, nb_cast(g, y, NB_INT32, NULL), 0, NULL);
    case 34: return nb_one_hot(g, nb_cast(g, x, NB_INT32, NULL), (int64_t)(a & 7), 1.0, 0.0, NB_FLOAT32, NULL);
    case 35: return nb_nn_l2_loss(g, x, NULL);
    case 36: return nb_pow(g, x, y, NULL);
    case 37: return nb_nn_bias_add(g, x, y, NULL);
    case 38: return nb_shape_of(g, x, NULL);
    default: return nb_identity(g, x, NULL);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    reader r = {data, size};
    nb_graph *g = nb_graph_new();
    if (!g) return 0;
    nb_graph_set_seed(g, 1);
    nb_output v[MAXV];
    int nv = 0;
    nb_shape shapes[NPH];
    nb_dtype dts[NPH];
    for (int i = 0; i < NPH; i++) {
        unsigned b = take(&r);
        int rank = (int)(b % 4);
        int64_t dims[3];
        for (int d = 0; d < rank; d++) {
            unsigned c = take(&r);
            if ((c & 0xf0) == 0xf0) dims[d] = draw(&r); /* extreme (a feed may then fail) */
            else dims[d] = (c & 7) == 7 ? NB_DIM_UNKNOWN : (int64_t)(c & 3) + ((c >> 3) & 1);
        }
        shapes[i] = (b & 0x80) ? NB_SHAPE_UNKNOWN_RANK : nb_shape_make(rank, dims);
        dts[i] = pick_dtype(b >> 4);
        v[nv++] = nb_placeholder(g, dts[i], shapes[i], NULL);
    }
    nb_output var = nb_variable(g, nb_constant_f32(g, 0.5f, NULL), "w");
    v[nv++] = var;
    int n_ops = (int)(take(&r) % 16);
    for (int i = 0; i < n_ops && nv < MAXV; i++) {
        nb_output o = build_op(g, &r, v, nv);
        v[nv++] = o;
    }
    nb_output y = v[nv - 1];
    nb_output xs[NPH + 1];
    nb_output dxs[NPH + 1];
    for (int i = 0; i < NPH; i++) xs[i] = v[i];
    xs[NPH] = var;
    if (nb_graph_status(g) == NB_OK && nb_output_dtype(y) != NB_INT32 && (take(&r) & 1))
        nb_gradients(g, &y, 1, xs, NPH + 1, NULL, dxs);
    else
        for (int i = 0; i <= NPH; i++) dxs[i] = (nb_output){0};
    nb_output init = nb_global_variables_initializer(g);
    if (nb_graph_status(g) != NB_OK) {
        if (!nb_graph_errmsg(g)[0]) abort();
        nb_graph_free(g);
        return 0;
    }
    nb_session *s = nb_session_new(g);
    if (!s) {
        nb_graph_free(g);
        return 0;
    }
    nb_tensor *feedv[NPH] = {0};
    nb_feed feeds[NPH];
    int nfeeds = 0;
    for (int i = 0; i < NPH; i++) {
        int rank = shapes[i].rank >= 0 ? shapes[i].rank : (int)(take(&r) % 3);
        int64_t dims[3];
        for (int d = 0; d < rank; d++) {
            int64_t k = shapes[i].rank >= 0 ? shapes[i].dims[d] : NB_DIM_UNKNOWN;
            dims[d] = k >= 0 ? k : (int64_t)(take(&r) % 4);
        }
        if (take(&r) == 0xff && rank && dims[0] < INT64_MAX) dims[0]++; /* sometimes a wrong feed */
        feedv[i] = nb_tensor_random_uniform(dts[i], rank, dims, -2, 2, (uint64_t)i);
        if (!feedv[i]) feedv[i] = nb_tensor_zeros(dts[i], rank, dims);
        if (feedv[i]) feeds[nfeeds++] = (nb_feed){v[i], feedv[i]}; /* else: huge dims, left unfed */
    }
    nb_status st = nb_session_run(s, NULL, 0, &init, 1, NULL);
    if (st == NB_OK) {
        nb_output fetch[NPH + 2];
        int nf = 0;
        fetch[nf++] = y;
        for (int i = 0; i <= NPH; i++)
            if (!nb_output_is_nil(dxs[i])) fetch[nf++] = dxs[i];
        nb_tensor *out[NPH + 2] = {0};
        for (int rep = 0; rep < 2; rep++) { /* twice: the cached plan and its pool */
            st = nb_session_run(s, feeds, nfeeds, fetch, nf, out);
            for (int i = 0; i < nf; i++) {
                if (st != NB_OK && out[i]) abort();
                if (st == NB_OK) fuzz_check_static_shape(fetch[i], out[i]);
                nb_tensor_unref(out[i]);
                out[i] = NULL;
            }
            if (st != NB_OK && !nb_session_errmsg(s)[0]) abort();
        }
    } else if (!nb_session_errmsg(s)[0]) {
        abort();
    }
    for (int i = 0; i < NPH; i++) nb_tensor_unref(feedv[i]);
    nb_session_free(s);
    nb_graph_free(g);
    return 0;
}
