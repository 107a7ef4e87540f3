/*
 * layers.c — tf.layers helpers (dense, conv2d, flatten) and the variance-scaling
 * initializers (He normal/uniform) they and users draw weights from.
 *
 * A layer is a name scope holding its variables and ops with TensorFlow 1.x's
 * names: tf.layers.dense(x, 3) makes "dense/kernel" (initialized by
 * "dense/kernel/Initializer/random_uniform"), "dense/bias" ("dense/bias/
 * Initializer/zeros"), "dense/MatMul", "dense/BiasAdd" and the activation
 * ("dense/Relu"); the next unnamed dense layer is "dense_1". The scope's
 * uniqueness comes from nb_name_scope_push, which follows TF's name rules.
 *
 * References: Glorot & Bengio 2010 (uniform limit sqrt(6/(fan_in+fan_out)));
 * He et al. 2015 (variance 2/fan_in); TF's VarianceScaling initializer, whose
 * truncated-normal form divides the stddev by 0.87962566103423978, the stddev
 * of a standard normal truncated at two standard deviations.
 */
#include "ops/ops_impl.h"

#include <math.h>

/*** Variance-scaling initializers ***/

/* fan_in and fan_out as TF's _compute_fans: rank 1 both = dim; rank >= 2 the
 * last two dims times the receptive field (the product of the leading dims). */
static void compute_fans(const nb_shape *s, double *fan_in, double *fan_out) {
    if (s->rank == 1) {
        *fan_in = *fan_out = (double)s->dims[0];
        return;
    }
    double receptive = 1;
    for (int i = 0; i < s->rank - 2; i++) receptive *= (double)s->dims[i];
    *fan_in = (double)s->dims[s->rank - 2] * receptive;
    *fan_out = (double)s->dims[s->rank - 1] * receptive;
}

static bool check_init_shape(nb_graph *g, nb_shape shape, const char *what) {
    if (!nbi_graph_ok(g)) return false;
    if (!nbi_shape_known(&shape) || shape.rank < 1) {
        char buf[128];
        nbi_graph_error(g, NB_ERR_SHAPE, "%s: needs a fully known shape of rank >= 1, got %s", what,
                        nb_shape_string(shape, buf, sizeof buf));
        return false;
    }
    return true;
}

nb_output nb_variance_scaling(nb_graph *g, nb_dtype dtype, nb_shape shape, double scale,
                              nb_fan_mode mode, bool uniform, int64_t seed, const char *name) {
    if (!check_init_shape(g, shape, "variance_scaling")) return nb_nil;
    if (!(scale > 0) || (mode != NB_FAN_IN && mode != NB_FAN_OUT && mode != NB_FAN_AVG)) {
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT,
                        "variance_scaling: scale must be positive and mode NB_FAN_IN, NB_FAN_OUT or NB_FAN_AVG");
        return nb_nil;
    }
    double fan_in, fan_out;
    compute_fans(&shape, &fan_in, &fan_out);
    double n = mode == NB_FAN_IN ? fan_in : mode == NB_FAN_OUT ? fan_out : (fan_in + fan_out) / 2;
    if (n < 1) n = 1; /* TF: max(1., n) */
    double var = scale / n;
    if (uniform) {
        double limit = sqrt(3.0 * var);
        return nb_random_uniform(g, dtype, shape, -limit, limit, seed, name ? name : "random_uniform");
    }
    double stddev = sqrt(var) / 0.87962566103423978;
    return nb_truncated_normal(g, dtype, shape, 0.0, stddev, seed, name ? name : "truncated_normal");
}

nb_output nb_he_normal(nb_graph *g, nb_dtype dtype, nb_shape shape, int64_t seed, const char *name) {
    return nb_variance_scaling(g, dtype, shape, 2.0, NB_FAN_IN, false, seed, name ? name : "he_normal");
}

nb_output nb_he_uniform(nb_graph *g, nb_dtype dtype, nb_shape shape, int64_t seed, const char *name) {
    return nb_variance_scaling(g, dtype, shape, 2.0, NB_FAN_IN, true, seed, name ? name : "he_uniform");
}

/*** Shared layer machinery ***/

static const nb_layer_options default_options = {NB_INIT_GLOROT_UNIFORM, false, false, 0, NULL};

/* Builds the kernel's initial value inside "<var>/Initializer/", named as TF's
 * initializers name their ops. */
static nb_output kernel_init(nb_graph *g, nb_dtype dt, nb_shape shape, const nb_layer_options *o) {
    int64_t seed = o->has_seed ? o->seed : NB_SEED_NONE;
    switch (o->kernel_initializer) {
    case NB_INIT_GLOROT_UNIFORM:
        return nb_glorot_uniform(g, dt, shape, seed, "random_uniform");
    case NB_INIT_HE_NORMAL:
        return nb_variance_scaling(g, dt, shape, 2.0, NB_FAN_IN, false, seed, "truncated_normal");
    case NB_INIT_HE_UNIFORM:
        return nb_variance_scaling(g, dt, shape, 2.0, NB_FAN_IN, true, seed, "random_uniform");
    case NB_INIT_ZEROS:
        return nb_zeros(g, dt, shape, "zeros");
    }
    nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "unknown kernel initializer %d", (int)o->kernel_initializer);
    return nb_nil;
}

/* A trainable variable "<scope><name>" whose initial value is built under
 * "<scope><name>/Initializer/" by init (kernel) or as zeros (init NULL). */
static nb_output layer_variable(nb_graph *g, const char *name, nb_dtype dt, nb_shape shape,
                                const nb_layer_options *o, bool is_kernel) {
    if (!nbi_graph_ok(g)) return nb_nil;
    const char *vs = nb_name_scope_push(g, name);
    char *vscope = nbi_strdup(vs);
    nb_name_scope_push(g, "Initializer");
    nb_output init = is_kernel ? kernel_init(g, dt, shape, o) : nb_zeros(g, dt, shape, "zeros");
    nb_name_scope_pop(g);
    nb_name_scope_pop(g);
    if (!vscope) {
        nbi_graph_error(g, NB_ERR_OUT_OF_MEMORY, "out of memory");
        return nb_nil;
    }
    nb_output v = nb_variable(g, init, vscope); /* trailing '/': exactly that name */
    nbi_free(vscope);
    return v;
}

static nb_output apply_activation(nb_graph *g, nb_output z, nb_activation act,
                                  const nb_layer_options *o) {
    if (o->activation_fn) return o->activation_fn(g, z, NULL);
    switch (act) {
    case NB_ACT_NONE: return z;
    case NB_ACT_RELU: return nb_relu(g, z, NULL);
    case NB_ACT_SIGMOID: return nb_sigmoid(g, z, NULL);
    case NB_ACT_TANH: return nb_tanh(g, z, NULL);
    case NB_ACT_SOFTMAX: return nb_nn_softmax(g, z, NULL);
    case NB_ACT_RELU6: return nb_nn_relu6(g, z, NULL);
    case NB_ACT_LEAKY_RELU: return nb_nn_leaky_relu(g, z, 0.2, NULL);
    case NB_ACT_ELU: return nb_nn_elu(g, z, NULL);
    case NB_ACT_SELU: return nb_nn_selu(g, z, NULL);
    case NB_ACT_SOFTPLUS: return nb_nn_softplus(g, z, NULL);
    case NB_ACT_SOFTSIGN: return nb_nn_softsign(g, z, NULL);
    case NB_ACT_SWISH: return nb_nn_swish(g, z, NULL);
    case NB_ACT_GELU: return nb_nn_gelu(g, z, false, NULL);
    }
    nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "unknown activation %d", (int)act);
    return nb_nil;
}

/* Enters the layer's scope ("dense", "dense_1", or the caller's name). Returns
 * false, having recorded nothing new, when the graph is already in error. */
static bool layer_enter(nb_graph *g, const char *name, const char *defname) {
    if (!nbi_graph_ok(g)) return false;
    nb_name_scope_push(g, name && *name ? name : defname);
    return nbi_graph_ok(g);
}

/*** Dense ***/

nb_output nb_layers_dense_ex(nb_graph *g, nb_output x, int64_t units, nb_activation activation,
                             const nb_layer_options *opt, const char *name) {
    if (!nbi_graph_ok(g)) return nb_nil;
    const nb_layer_options *o = opt ? opt : &default_options;
    if (nb_output_is_nil(x)) {
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "dense: the input is nil");
        return nb_nil;
    }
    nb_shape xs = nb_output_shape(x);
    nb_dtype dt = nb_output_dtype(x);
    char buf[128];
    if (units <= 0) {
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "dense: units must be positive, got %lld", (long long)units);
        return nb_nil;
    }
    if (dt != NB_FLOAT32 && dt != NB_FLOAT64) {
        nbi_graph_error(g, NB_ERR_DTYPE, "dense: the input must be float32 or float64, not %s", nb_dtype_name(dt));
        return nb_nil;
    }
    if (xs.rank != 2 || xs.dims[1] < 0) {
        nbi_graph_error(g, NB_ERR_SHAPE,
                        "dense: the input must be [batch, features] with the features known, got %s "
                        "(flatten it first with nb_layers_flatten)",
                        nb_shape_string(xs, buf, sizeof buf));
        return nb_nil;
    }
    if (!layer_enter(g, name, "dense")) return nb_nil;
    nb_output kernel = layer_variable(g, "kernel", dt, NB_SHAPE(xs.dims[1], units), o, true);
    nb_output y = nb_matmul(g, x, kernel, false, false, "MatMul");
    if (!o->no_bias) {
        nb_output bias = layer_variable(g, "bias", dt, NB_SHAPE(units), o, false);
        y = nb_nn_bias_add(g, y, bias, "BiasAdd");
    }
    y = apply_activation(g, y, activation, o);
    nb_name_scope_pop(g);
    return nbi_graph_ok(g) ? y : nb_nil;
}

nb_output nb_layers_dense(nb_graph *g, nb_output x, int64_t units, nb_activation activation,
                          const char *name) {
    return nb_layers_dense_ex(g, x, units, activation, NULL, name);
}

/*** Conv2D ***/

nb_output nb_layers_conv2d_ex(nb_graph *g, nb_output x, int64_t filters, int kh, int kw,
                              int stride, const char *padding, nb_activation activation,
                              const nb_layer_options *opt, const char *name) {
    if (!nbi_graph_ok(g)) return nb_nil;
    const nb_layer_options *o = opt ? opt : &default_options;
    if (nb_output_is_nil(x)) {
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "conv2d: the input is nil");
        return nb_nil;
    }
    nb_shape xs = nb_output_shape(x);
    nb_dtype dt = nb_output_dtype(x);
    char buf[128];
    if (filters <= 0 || kh <= 0 || kw <= 0 || stride <= 0) {
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT,
                        "conv2d: filters, kernel size and stride must be positive");
        return nb_nil;
    }
    if (dt != NB_FLOAT32 && dt != NB_FLOAT64) {
        nbi_graph_error(g, NB_ERR_DTYPE, "conv2d: the input must be float32 or float64, not %s", nb_dtype_name(dt));
        return nb_nil;
    }
    if (xs.rank != 4 || xs.dims[3] < 0) {
        nbi_graph_error(g, NB_ERR_SHAPE,
                        "conv2d: the input must be NHWC [batch, height, width, channels] with the "
                        "channels known, got %s", nb_shape_string(xs, buf, sizeof buf));
        return nb_nil;
    }
    if (!layer_enter(g, name, "conv2d")) return nb_nil;
    nb_output kernel = layer_variable(g, "kernel", dt, NB_SHAPE(kh, kw, xs.dims[3], filters), o, true);
    int strides[4] = {1, stride, stride, 1};
    nb_output y = nb_nn_conv2d(g, x, kernel, strides, padding ? padding : "VALID", NULL, "Conv2D");
    if (!o->no_bias) {
        nb_output bias = layer_variable(g, "bias", dt, NB_SHAPE(filters), o, false);
        y = nb_nn_bias_add(g, y, bias, "BiasAdd");
    }
    y = apply_activation(g, y, activation, o);
    nb_name_scope_pop(g);
    return nbi_graph_ok(g) ? y : nb_nil;
}

nb_output nb_layers_conv2d(nb_graph *g, nb_output x, int64_t filters, int kh, int kw, int stride,
                           const char *padding, nb_activation activation, const char *name) {
    return nb_layers_conv2d_ex(g, x, filters, kh, kw, stride, padding, activation, NULL, name);
}

/*** Flatten ***/

nb_output nb_layers_flatten(nb_graph *g, nb_output x, const char *name) {
    if (!nbi_graph_ok(g)) return nb_nil;
    if (nb_output_is_nil(x)) {
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "flatten: the input is nil");
        return nb_nil;
    }
    nb_shape xs = nb_output_shape(x);
    if (xs.rank == 0 || xs.rank == 1) {
        char buf[128];
        nbi_graph_error(g, NB_ERR_SHAPE, "flatten: the input needs a batch dim and at least one more, got %s",
                        nb_shape_string(xs, buf, sizeof buf));
        return nb_nil;
    }
    if (!layer_enter(g, name, "flatten")) return nb_nil;
    bool rest_known = xs.rank > 1;
    int64_t rest = 1;
    for (int i = 1; i < xs.rank && rest_known; i++) {
        if (xs.dims[i] < 0) rest_known = false;
        else rest *= xs.dims[i];
    }
    nb_output y;
    if (rest_known) {
        /* [batch, prod(rest)]: a known batch is kept; an unknown one becomes -1,
         * which shape inference turns back into '?'. */
        int64_t dims[2] = {xs.dims[0] >= 0 ? xs.dims[0] : -1, rest};
        y = nb_reshape(g, x, 2, dims, "Reshape");
    } else {
        /* Only known at run time: the shape is concat(shape(x)[0:1], [-1]). */
        nb_output sh = nb_shape_of(g, x, NULL);
        nb_output batch = nb_slice(g, sh, (int64_t[]){0}, (int64_t[]){1}, 1, NULL);
        nb_output minus1 = nb_constant_array(g, NB_INT32, 1, (int64_t[]){1}, (int32_t[]){-1}, NULL);
        nb_output target = nb_concat(g, (nb_output[]){batch, minus1}, 2, 0, NULL);
        y = nb_reshape_t(g, x, target, "Reshape");
    }
    nb_name_scope_pop(g);
    return nbi_graph_ok(g) ? y : nb_nil;
}
