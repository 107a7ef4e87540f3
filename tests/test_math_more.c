/*
 * test_math_more.c — Floor, Ceil, Round (half to even), the trigonometric and
 * hyperbolic ops, Erf, Expm1 and the float classes: values against the C
 * library and hand-made tables, in float32 and float64, on scalars, empty
 * tensors and unknown dims; bad dtypes with TF1's message. Gradients are in
 * tests/grad_cases_math_more.inc (test_grad).
 */
#include "harness.h"

typedef nb_output (*un_ctor)(nb_graph *, nb_output, const char *);

static const struct {
    const char *type;
    un_ctor f;
    double (*ref)(double);
    double lo, hi;
} unary[] = {
    {"Floor", nb_floor, floor, -5, 5},   {"Ceil", nb_ceil, ceil, -5, 5},   {"Round", nb_round, nearbyint, -5, 5},
    {"Sin", nb_sin, sin, -4, 4},         {"Cos", nb_cos, cos, -4, 4},      {"Tan", nb_tan, tan, -1.4, 1.4},
    {"Asin", nb_asin, asin, -1, 1},      {"Acos", nb_acos, acos, -1, 1},   {"Atan", nb_atan, atan, -9, 9},
    {"Sinh", nb_sinh, sinh, -3, 3},      {"Cosh", nb_cosh, cosh, -3, 3},   {"Erf", nb_erf, erf, -3, 3},
    {"Expm1", nb_expm1, expm1, -3, 3},
};
#define N_UNARY (int)(sizeof unary / sizeof unary[0])

TEST(unary_values_match_libm) {
    static const nb_dtype dts[2] = {NB_FLOAT32, NB_FLOAT64};
    for (int u = 0; u < N_UNARY; u++)
        for (int di = 0; di < 2; di++)
            for (int dyn = 0; dyn < 2; dyn++) {
                nb_graph *g = nb_graph_new();
                nb_output x = nb_placeholder(g, dts[di], dyn ? NB_SHAPE(NB_DIM_UNKNOWN, NB_DIM_UNKNOWN) : NB_SHAPE(3, 7), "x");
                nb_output y = unary[u].f(g, x, NULL);
                CHECK_GRAPH_OK(g);
                CHECK(!strcmp(nb_op_type(y.op), unary[u].type) && !strcmp(nb_op_name(y.op), unary[u].type));
                CHECK(nb_output_dtype(y) == dts[di]);
                nb_shape ys = nb_output_shape(y);
                CHECK(ys.rank == 2 && ys.dims[1] == (dyn ? NB_DIM_UNKNOWN : 7));
                nb_tensor *xv = nb_tensor_new(dts[di], 2, (int64_t[]){3, 7}, NULL);
                for (int i = 0; i < 21; i++)
                    nb_tensor_set_flat(xv, i, unary[u].lo + (unary[u].hi - unary[u].lo) * i / 20.0 + (i % 3 ? 0.013 : 0));
                /* Asin/Acos at |x| > 1 would be NaN: keep inside */
                if (unary[u].lo == -1)
                    for (int i = 0; i < 21; i++) nb_tensor_set_flat(xv, i, fmin(1, fmax(-1, nb_tensor_get_flat(xv, i))));
                nb_tensor *yv = eval1(g, y, &(nb_feed){x, xv}, 1);
                CHECK(yv && nb_tensor_size(yv) == 21);
                for (int i = 0; yv && i < 21; i++) {
                    double xi = nb_tensor_get_flat(xv, i), want = unary[u].ref(xi);
                    checks_++;
                    if (!(fabs(nb_tensor_get_flat(yv, i) - want) <= (di ? 1e-14 : 2e-6) * (1 + fabs(want)))) {
                        FAILF("%s(%.9g) = %.17g, libm says %.17g", unary[u].type, xi, nb_tensor_get_flat(yv, i), want);
                        break;
                    }
                }
                nb_tensor_unref(yv);
                nb_tensor_unref(xv);
                nb_graph_free(g);
            }
}

TEST(round_is_half_to_even) {
    static const double in[] = {0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999, 2.5001, -3.7, 1e15 + 0.5, 0};
    static const double want[] = {0, 2, 2, -0.0, -2, -2, 2, 3, -4, 1e15, 0};
    int n = (int)(sizeof in / sizeof in[0]);
    nb_graph *g = nb_graph_new();
    nb_output x = nb_constant_array(g, NB_FLOAT64, 1, (int64_t[]){n}, in, NULL);
    nb_output xf = nb_constant_array(g, NB_FLOAT32, 1, (int64_t[]){4}, (float[]){0.5f, 1.5f, 2.5f, -2.5f}, NULL);
    nb_output xi = nb_constant_array(g, NB_INT64, 1, (int64_t[]){2}, (int64_t[]){-7, 9}, NULL);
    nb_output y = nb_round(g, x, NULL), yf = nb_round(g, xf, NULL), yi = nb_round(g, xi, NULL);
    CHECK_GRAPH_OK(g);
    CHECK(nb_output_dtype(yi) == NB_INT64);
    nb_tensor *v = eval1(g, y, NULL, 0), *vf = eval1(g, yf, NULL, 0), *vi = eval1(g, yi, NULL, 0);
    for (int i = 0; v && i < n; i++) {
        CHECK(nb_tensor_get_flat(v, i) == want[i]);
        CHECK(signbit(nb_tensor_get_flat(v, i)) == signbit(want[i]));
    }
    double wf[4] = {0, 2, 2, -2};
    for (int i = 0; vf && i < 4; i++) CHECK(nb_tensor_get_flat(vf, i) == wf[i]);
    CHECK(vi && nb_tensor_get_flat(vi, 0) == -7 && nb_tensor_get_flat(vi, 1) == 9);
    nb_tensor_unref(v);
    nb_tensor_unref(vf);
    nb_tensor_unref(vi);
    nb_graph_free(g);
}

TEST(float_classes) {
    double in[6] = {1.0, NAN, INFINITY, -INFINITY, -0.0, 1e308};
    nb_graph *g = nb_graph_new();
    nb_output x = nb_constant_array(g, NB_FLOAT64, 2, (int64_t[]){2, 3}, in, NULL);
    nb_output xf = nb_cast(g, x, NB_FLOAT32, NULL); /* 1e308 becomes inf in float32 */
    nb_output o[6] = {nb_is_nan(g, x, NULL), nb_is_inf(g, x, NULL), nb_is_finite(g, x, NULL),
                      nb_is_nan(g, xf, NULL), nb_is_inf(g, xf, NULL), nb_is_finite(g, xf, NULL)};
    CHECK_GRAPH_OK(g);
    CHECK(!strcmp(nb_op_type(o[0].op), "IsNan") && !strcmp(nb_op_type(o[1].op), "IsInf") &&
          !strcmp(nb_op_type(o[2].op), "IsFinite"));
    static const int want[6][6] = {{0, 1, 0, 0, 0, 0}, {0, 0, 1, 1, 0, 0}, {1, 0, 0, 0, 1, 1},
                                   {0, 1, 0, 0, 0, 0}, {0, 0, 1, 1, 0, 1}, {1, 0, 0, 0, 1, 0}};
    for (int k = 0; k < 6; k++) {
        CHECK(nb_output_dtype(o[k]) == NB_BOOL);
        nb_shape s = nb_output_shape(o[k]);
        CHECK(s.rank == 2 && s.dims[0] == 2 && s.dims[1] == 3);
        nb_tensor *v = eval1(g, o[k], NULL, 0);
        for (int i = 0; v && i < 6; i++) CHECK(nb_tensor_get_flat(v, i) == want[k][i]);
        nb_tensor_unref(v);
    }
    nb_graph_free(g);
}

TEST(scalars_and_empty_tensors) {
    nb_graph *g = nb_graph_new();
    nb_output s = nb_constant_f32(g, 0.25f, NULL);
    nb_output e = nb_placeholder(g, NB_FLOAT64, NB_SHAPE(0, 3), "e");
    nb_output u = nb_placeholder(g, NB_FLOAT32, NB_SHAPE_UNKNOWN_RANK, "u");
    nb_output ys = nb_sin(g, s, NULL), ye = nb_ceil(g, e, NULL), yc = nb_is_nan(g, e, NULL), yu = nb_tan(g, u, NULL);
    CHECK_GRAPH_OK(g);
    CHECK(nb_output_shape(ys).rank == 0 && nb_output_shape(yu).rank == -1);
    nb_tensor *v = eval1(g, ys, NULL, 0);
    CHECK(v && nb_tensor_rank(v) == 0 && fabs(nb_tensor_get_flat(v, 0) - sin(0.25)) < 1e-7);
    nb_tensor_unref(v);
    nb_tensor *ev = nb_tensor_new(NB_FLOAT64, 2, (int64_t[]){0, 3}, NULL);
    v = eval1(g, ye, &(nb_feed){e, ev}, 1);
    CHECK(v && nb_tensor_size(v) == 0 && nb_tensor_rank(v) == 2 && nb_tensor_dims(v)[1] == 3);
    nb_tensor_unref(v);
    v = eval1(g, yc, &(nb_feed){e, ev}, 1);
    CHECK(v && nb_tensor_size(v) == 0);
    nb_tensor_unref(v);
    nb_tensor *uv = nb_tensor_new(NB_FLOAT32, 3, (int64_t[]){1, 2, 1}, (float[]){0.5f, -0.5f});
    v = eval1(g, yu, &(nb_feed){u, uv}, 1);
    CHECK(v && nb_tensor_rank(v) == 3 && fabs(nb_tensor_get_flat(v, 1) - tan(-0.5)) < 1e-6);
    nb_tensor_unref(v);
    nb_tensor_unref(uv);
    nb_tensor_unref(ev);
    nb_graph_free(g);
}

TEST(atan2_broadcasts_and_matches_libm) {
    nb_graph *g = nb_graph_new();
    nb_output y = nb_placeholder(g, NB_FLOAT64, NB_SHAPE(3, 1), "y");
    nb_output x = nb_placeholder(g, NB_FLOAT64, NB_SHAPE(NB_DIM_UNKNOWN), "x");
    nb_output a = nb_atan2(g, y, x, NULL);
    CHECK_GRAPH_OK(g);
    CHECK(!strcmp(nb_op_type(a.op), "Atan2"));
    nb_shape s = nb_output_shape(a);
    CHECK(s.rank == 2 && s.dims[0] == 3 && s.dims[1] == NB_DIM_UNKNOWN);
    double yv_[3] = {1, -1, 0}, xv_[4] = {1, -2, 0, -0.5};
    nb_tensor *yv = nb_tensor_new(NB_FLOAT64, 2, (int64_t[]){3, 1}, yv_), *xv = nb_tensor_new(NB_FLOAT64, 1, (int64_t[]){4}, xv_);
    nb_tensor *v = eval1(g, a, (nb_feed[]){{y, yv}, {x, xv}}, 2);
    CHECK(v && nb_tensor_size(v) == 12);
    for (int i = 0; v && i < 3; i++)
        for (int j = 0; j < 4; j++) CHECK(nb_tensor_get_flat(v, i * 4 + j) == atan2(yv_[i], xv_[j]));
    /* quadrants by hand: atan2(1, 1) = pi/4, atan2(-1, -2) in (-pi, -pi/2), atan2(0, -0.5) = pi */
    if (v) {
        CHECK_NEAR(nb_tensor_get_flat(v, 0), 0.7853981633974483, 1e-15);
        CHECK(nb_tensor_get_flat(v, 5) < -1.5707963 && nb_tensor_get_flat(v, 5) > -3.1415927);
        CHECK_NEAR(nb_tensor_get_flat(v, 11), 3.141592653589793, 1e-15);
    }
    nb_tensor_unref(v);
    nb_tensor_unref(yv);
    nb_tensor_unref(xv);
    nb_graph_free(g);
    g = nb_graph_new();
    y = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2), "y");
    x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(3), "x");
    CHECK(nb_output_is_nil(nb_atan2(g, y, x, NULL)));
    CHECK(!strcmp(nb_graph_errmsg(g), "Dimensions must be equal, but are 2 and 3 for 'Atan2' (op: 'Atan2') with input shapes: [2], [3]."));
    nb_graph_free(g);
}

TEST(bad_dtypes_are_tf_errors) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_INT32, NB_SHAPE(2), "x");
    CHECK(nb_output_is_nil(nb_sin(g, x, NULL)));
    CHECK_STATUS(nb_graph_status(g), NB_ERR_DTYPE);
    CHECK(!strcmp(nb_graph_errmsg(g), "Value for attr 'T' of int32 is not in the list of allowed values: float, "
                                      "double for 'Sin' (op: 'Sin') with input shapes: [2]."));
    nb_graph_free(g);
    g = nb_graph_new();
    x = nb_placeholder(g, NB_BOOL, NB_SHAPE(2), "x");
    CHECK(nb_output_is_nil(nb_round(g, x, "r")));
    CHECK(!strcmp(nb_graph_errmsg(g), "Value for attr 'T' of bool is not in the list of allowed values: float, "
                                      "double, int32, int64 for 'r' (op: 'Round') with input shapes: [2]."));
    nb_graph_free(g);
}

int main(int argc, char **argv) { return run_tests(argc, argv); }
