/*
 * nabla.h — TensorFlow 1.x's graph model in C.
 *
 * Worked example (linear model trained by gradient descent):
 *
 *   nb_graph *g = nb_graph_new();
 *   nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 2), "x");
 *   nb_output y = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 1), "y");
 *   nb_output W = nb_variable(g, nb_zeros(g, NB_FLOAT32, NB_SHAPE(2, 1), NULL), "weights");
 *   nb_output b = nb_variable(g, nb_constant_f32(g, 0.0f, NULL), "bias");
 *   nb_output pred = nb_add(g, nb_matmul(g, x, W, false, false, NULL), b, NULL);
 *   nb_output loss = nb_reduce_sum(g, nb_squared_difference(g, y, pred, NULL),
 *                                  NULL, NB_ALL_AXES, false, NULL);
 *   nb_output train = nb_train_gradient_descent_minimize(g, 1e-6, loss);
 *   nb_output init = nb_global_variables_initializer(g);
 *   if (nb_graph_status(g) != NB_OK) die(nb_graph_errmsg(g));   // one check for all of it
 *
 *   nb_session *s = nb_session_new(g);
 *   nb_session_run(s, NULL, 0, &init, 1, NULL);
 *   nb_feed feeds[2] = {{x, X}, {y, Y}};                       // X, Y: nb_tensor *
 *   for (int i = 0; i < 1000; i++) nb_session_run(s, feeds, 2, &train, 1, NULL);
 *   nb_tensor *w = nb_session_eval(s, W, NULL, 0);             // new reference
 *   nb_tensor_print(stdout, w);  nb_tensor_unref(w);
 *   nb_session_free(s); nb_graph_free(g);
 *
 * Conventions
 *   - Prefix nb_ for everything public; NB_ for constants. Types are opaque
 *     handles (nb_graph, nb_op, nb_session, nb_tensor) or small value types
 *     (nb_output, nb_shape, nb_feed, nb_error).
 *   - Ownership is stated on every function: "new reference" (you unref it),
 *     "borrowed" (valid as long as the owner named), "owned by ...".
 *   - Errors. Graph-building calls (op constructors, scopes, variables,
 *     gradients, optimizers) are *sticky*: the first error is kept on the graph
 *     with a TensorFlow-style message, the failing call returns a nil output,
 *     and every later building call becomes a no-op that returns nil. Check
 *     nb_graph_status() once at the end. Running and I/O calls return an
 *     nb_status and keep the message on the object they act on
 *     (nb_session_errmsg) or in a caller's nb_error.
 *   - Every _free/_unref accepts NULL. The library never aborts or exits.
 *   - Node names follow TensorFlow 1.x: default names from the op type,
 *     "_1", "_2" suffixes, name scopes joined with '/'.
 */
#ifndef NABLA_H
#define NABLA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NB_VERSION_MAJOR 0
#define NB_VERSION_MINOR 1
#define NB_VERSION_PATCH 0
/** The library's version as "MAJOR.MINOR.PATCH" (static string). */
const char *nb_version(void);

/*** Status codes ************************************************************/

/** Status codes. Stable: new values are only ever added at the end. */
typedef enum nb_status {
    NB_OK = 0,
    NB_ERR_INVALID_ARGUMENT,    /* bad value, missing feed, API misuse */
    NB_ERR_SHAPE,               /* incompatible shapes */
    NB_ERR_DTYPE,               /* incompatible dtypes */
    NB_ERR_NOT_FOUND,           /* a name, file or column that does not exist */
    NB_ERR_UNIMPLEMENTED,       /* e.g. no gradient defined for an op */
    NB_ERR_OUT_OF_MEMORY,
    NB_ERR_IO,                  /* a file could not be read or written, or is malformed */
    NB_ERR_INTERNAL,
    NB_ERR_FAILED_PRECONDITION, /* e.g. an uninitialized variable */
    NB_STATUS_COUNT
} nb_status;

/** A short English name for a status ("OK", "invalid argument", ...). Static string. */
const char *nb_status_string(nb_status status);

/** An error report filled by calls that act on no object (file readers, ...).
 *  code is NB_OK when nothing went wrong; message is NUL-terminated. */
typedef struct nb_error {
    nb_status code;
    char message[512];
} nb_error;

/*** Data types **************************************************************/

/** Element types. The values are TensorFlow's DataType enum numbers. */
typedef enum nb_dtype {
    NB_DTYPE_INVALID = 0,
    NB_FLOAT32 = 1,
    NB_FLOAT64 = 2,
    NB_INT32 = 3,
    NB_UINT8 = 4,
    NB_INT64 = 9,
    NB_BOOL = 10
} nb_dtype;

/** The numpy-style name of a dtype ("float32", "int64", "bool"); "invalid" otherwise. */
const char *nb_dtype_name(nb_dtype dtype);
/** Bytes per element (4, 8, 4, 1, 8, 1); 0 for an invalid dtype. */
size_t nb_dtype_size(nb_dtype dtype);

/*** Shapes ******************************************************************/

#define NB_MAX_RANK 8
/** A dimension whose size is not known until run time (TensorFlow's None, printed '?'). */
#define NB_DIM_UNKNOWN (-1)

/** A static shape: rank -1 means the rank itself is unknown. A value type. */
typedef struct nb_shape {
    int rank;
    int64_t dims[NB_MAX_RANK];
} nb_shape;

/** Builds a shape from rank and dims (dims may be NULL when rank <= 0).
 *  A rank outside -1..NB_MAX_RANK yields the unknown-rank shape. */
nb_shape nb_shape_make(int rank, const int64_t *dims);

/** NB_SHAPE(2, 3) is the shape [2,3]; NB_SHAPE(NB_DIM_UNKNOWN, 1) is [?,1]. C only. */
#define NB_SHAPE(...)                                                               \
    nb_shape_make((int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)),        \
                  (int64_t[]){__VA_ARGS__})
/** The shape of a scalar (rank 0). */
#define NB_SHAPE_SCALAR nb_shape_make(0, NULL)
/** A shape of unknown rank (TensorFlow's shape=None). */
#define NB_SHAPE_UNKNOWN_RANK nb_shape_make(-1, NULL)

/*** Tensors (concrete n-dimensional values) *********************************/

/** A reference-counted, row-major, 64-byte aligned n-d array. Opaque. */
typedef struct nb_tensor nb_tensor;

/** A new tensor of the given dtype and dims (rank 0..8), its data copied from
 *  `data` (rank product × element size bytes), or zero-filled when data is NULL.
 *  Returns a new reference, or NULL on a bad argument or out of memory. */
nb_tensor *nb_tensor_new(nb_dtype dtype, int rank, const int64_t *dims, const void *data);

/** Wraps foreign memory without copying (TF_NewTensor). `data` must hold `nbytes`
 *  bytes, at least the product of dims × element size. When the last reference
 *  goes, deleter(data, nbytes, ctx) is called (deleter may be NULL).
 *  Returns a new reference, or NULL on a bad argument (the deleter is then
 *  called at once, so the caller never leaks). */
nb_tensor *nb_tensor_wrap(nb_dtype dtype, int rank, const int64_t *dims, void *data,
                          size_t nbytes, void (*deleter)(void *data, size_t nbytes, void *ctx),
                          void *ctx);

/** Scalar (rank 0) tensors. New references. */
nb_tensor *nb_tensor_scalar(nb_dtype dtype, double value);
/** Tensors filled with 0, 1 or `value` (converted to dtype). New references. */
nb_tensor *nb_tensor_zeros(nb_dtype dtype, int rank, const int64_t *dims);
nb_tensor *nb_tensor_ones(nb_dtype dtype, int rank, const int64_t *dims);
nb_tensor *nb_tensor_fill(nb_dtype dtype, int rank, const int64_t *dims, double value);
/** 1-d [start, start+delta, ...) stopping before `limit` (numpy arange). New reference;
 *  NULL when delta is 0. */
nb_tensor *nb_tensor_range(nb_dtype dtype, double start, double limit, double delta);
/** 1-d `num` evenly spaced values from start to stop inclusive (numpy linspace). */
nb_tensor *nb_tensor_linspace(nb_dtype dtype, double start, double stop, int64_t num);

/** Random tensors from the counter-based Philox4x32-10 generator: the same
 *  seed gives the same values on every machine. dtype is NB_FLOAT32 or NB_FLOAT64.
 *  normal: N(mean, stddev²) by Box-Muller; uniform: [lo, hi);
 *  truncated normal: N(mean, stddev²) redrawn when beyond two stddevs.
 *  New references; NULL on a bad argument. */
nb_tensor *nb_tensor_random_normal(nb_dtype dtype, int rank, const int64_t *dims, double mean,
                                   double stddev, uint64_t seed);
nb_tensor *nb_tensor_random_uniform(nb_dtype dtype, int rank, const int64_t *dims, double lo,
                                    double hi, uint64_t seed);
nb_tensor *nb_tensor_truncated_normal(nb_dtype dtype, int rank, const int64_t *dims,
                                      double mean, double stddev, uint64_t seed);

/** Takes one more reference; returns t. Accepts NULL. */
nb_tensor *nb_tensor_ref(nb_tensor *t);
/** Drops one reference; frees on the last. Accepts NULL. */
void nb_tensor_unref(nb_tensor *t);

nb_dtype nb_tensor_dtype(const nb_tensor *t);
int nb_tensor_rank(const nb_tensor *t);
/** Size of dimension i (0 <= i < rank); -1 when out of range. */
int64_t nb_tensor_dim(const nb_tensor *t, int i);
/** The dims array (borrowed; valid while the tensor lives). */
const int64_t *nb_tensor_dims(const nb_tensor *t);
/** The shape as a value. */
nb_shape nb_tensor_shape(const nb_tensor *t);
/** Number of elements (1 for a scalar, 0 for an empty tensor). */
int64_t nb_tensor_size(const nb_tensor *t);
size_t nb_tensor_nbytes(const nb_tensor *t);
/** The element buffer, row-major (borrowed; valid while the tensor lives).
 *  Writing through it is allowed only on a tensor you alone hold. */
void *nb_tensor_data(nb_tensor *t);
const void *nb_tensor_data_const(const nb_tensor *t);

/** Element i of the flattened tensor converted to double (0 when out of range). */
double nb_tensor_get_flat(const nb_tensor *t, int64_t i);
/** Sets flattened element i from a double, converting to the dtype. Returns NB_OK,
 *  or NB_ERR_INVALID_ARGUMENT when i is out of range. */
nb_status nb_tensor_set_flat(nb_tensor *t, int64_t i, double value);
/** Element at a multi-index of `rank` coordinates, as double (0 when out of range). */
double nb_tensor_get(const nb_tensor *t, const int64_t *index);
/** The first element as double: the value of a scalar. */
double nb_tensor_scalar_f64(const nb_tensor *t);

/** True when the caller's reference is the only way to reach t's elements: t is
 *  no view of another tensor, wraps no foreign memory, and no one else holds it
 *  (a session's buffer pool does not count: it reuses a buffer only once every
 *  other reference is gone). Writing through nb_tensor_data is then safe, e.g.
 *  handing a fetched tensor's buffer to numpy as a writable array; otherwise
 *  copy it first (a fetched constant or variable value is shared). */
bool nb_tensor_is_exclusive(const nb_tensor *t);
/** A deep copy (new reference). */
nb_tensor *nb_tensor_copy(const nb_tensor *t);
/** A copy converted to another dtype as numpy's astype does (new reference). */
nb_tensor *nb_tensor_cast(const nb_tensor *t, nb_dtype dtype);
/** A copy with new dims of the same element count (new reference; NULL if counts differ).
 *  One dim may be -1 and is inferred. */
nb_tensor *nb_tensor_reshape(const nb_tensor *t, int rank, const int64_t *dims);
/** True when both have the same dtype, dims and elements (NaN equals NaN). */
bool nb_tensor_equal(const nb_tensor *a, const nb_tensor *b);
/** Gathers a batch out of a data set in memory, as numpy's X[rows] * scale:
 *  row i of dst (its elements after the first dim) becomes row rows[i] of src
 *  times scale, converted to dst's dtype. The rows need the same element count,
 *  not the same dims ([60000,28,28] uint8 images into a [64,784] float32
 *  batch), and dst must have exactly n_rows rows. dtypes: a float32/float64 dst
 *  takes any number dtype and any scale (computed in double, then rounded;
 *  uint8 and float32 into float32 in float); an int32/int64 dst takes integers
 *  no wider than itself (uint8 labels into int32) with scale 1; any dtype
 *  copies into its own with scale 1. Rows are prefetched a few ahead (a
 *  shuffled batch's rows miss the caches) and split over the library's threads
 *  from 64 KiB of output. dst's elements are written in place, so dst must be
 *  the caller's alone (nb_tensor_is_exclusive, or the caller's own wrapped
 *  memory), as for writing through nb_tensor_data. Returns NB_OK, or
 *  NB_ERR_INVALID_ARGUMENT with err naming the problem ("nb_tensor_gather_rows:
 *  rows[3] is 60000, outside src's 60000 rows (0..59999)", a row-size or dtype
 *  mismatch, a scale that is not finite (or beyond float32 for a float32 dst),
 *  dst and src sharing memory, a scalar, a NULL argument); dst is untouched on
 *  error. err may be NULL. */
nb_status nb_tensor_gather_rows(nb_tensor *dst, const nb_tensor *src, const int64_t *rows, int64_t n_rows,
                                double scale, nb_error *err);

/** Formats as numpy's str() does: "[[1. 2.]\n [3. 4.]]", "1.5", "[ True False]".
 *  Returns a malloc'd string the caller frees with free(); NULL when out of memory. */
char *nb_tensor_to_string(const nb_tensor *t);
/** Writes nb_tensor_to_string(t) and a newline to f. */
void nb_tensor_print(FILE *f, const nb_tensor *t);

/** Writes a tensor as a numpy .npy file (format 1.0, little-endian, C order),
 *  atomically (temporary file, then rename). Returns a status; err may be NULL. */
nb_status nb_npy_save(const char *path, const nb_tensor *t, nb_error *err);
/** Reads a .npy file (format 1.x/2.x, dtypes <f4 <f8 <i4 <i8 |u1 |b1, C order).
 *  Returns a new reference, or NULL with err filled (naming the file and byte). */
nb_tensor *nb_npy_load(const char *path, nb_error *err);

/*** Graphs, ops and outputs *************************************************/

typedef struct nb_graph nb_graph;
/** A node of a graph (TensorFlow's Operation). Borrowed; owned by its graph. */
typedef struct nb_op nb_op;

/** One output of an op (TensorFlow's Tensor): op and output index. A value type.
 *  The nil output {NULL, 0} is what a failed constructor returns; every
 *  constructor accepts it and returns nil again. */
typedef struct nb_output {
    nb_op *op;
    int index;
} nb_output;

/** The nil output, e.g. for "no global step" in nb_optimizer_minimize. */
static const nb_output nb_nil = {NULL, 0};

/** True for the nil output. */
static inline bool nb_output_is_nil(nb_output o) { return o.op == NULL; }

/** A new, empty graph; NULL only when out of memory. Free with nb_graph_free. */
nb_graph *nb_graph_new(void);
/** Frees the graph and every op in it. Accepts NULL. Sessions keep their own
 *  reference, so a graph may be freed before its sessions. Threads: sessions
 *  on one graph may be created, run and freed from several threads at once
 *  (the reference count is atomic), and nb_graph_free may race with them.
 *  Building (adding ops, scopes, control dependencies) is not thread-safe, as
 *  in TensorFlow: build from one thread, and not while a session on the graph
 *  runs in another. */
void nb_graph_free(nb_graph *g);

/** The graph's sticky status: NB_OK, or the first error any building call met. */
nb_status nb_graph_status(const nb_graph *g);
/** The first error's message ("" when none). Borrowed; valid until the graph is freed. */
const char *nb_graph_errmsg(const nb_graph *g);
/** Forgets the graph's sticky error, so that building can go on (TF1 raises at
 *  the failing call and the graph stays usable; language bindings call this
 *  after turning the error into an exception). A failed single-op constructor
 *  leaves no op behind; ops a composite builder (a layer, a random op, an
 *  optimizer) made before failing stay in the graph, unused. Accepts NULL. */
void nb_graph_clear_error(nb_graph *g);

/** Sets the graph-level random seed (tf.set_random_seed). Ops with no seed of
 *  their own then get a deterministic one derived from the graph seed and the op's position. */
void nb_graph_set_seed(nb_graph *g, int64_t seed);

/** Number of ops; the i-th op in creation order (NULL when out of range). Borrowed. */
int nb_graph_num_ops(const nb_graph *g);
nb_op *nb_graph_op(const nb_graph *g, int i);
/** The op with this full name ("Middle_section/prod_b"), or NULL. Borrowed. */
nb_op *nb_graph_find_op(const nb_graph *g, const char *name);
/** The output named "op_name:k" (":0" may be omitted); nil when absent. */
nb_output nb_graph_find_output(const nb_graph *g, const char *name);

/** Enters a name scope (tf.name_scope). A plain name nests under the current scope
 *  and is made unique ("outer/inner", then "outer/inner_1"); a name ending in '/'
 *  re-enters that exact absolute scope; "" or NULL enters the root.
 *  Returns the new scope with a trailing '/' ("" for the root); borrowed, valid
 *  until the graph is freed. Every push needs a pop. */
const char *nb_name_scope_push(nb_graph *g, const char *name);
/** Leaves the innermost scope (no-op at the root). */
void nb_name_scope_pop(nb_graph *g);
/** The current scope with a trailing '/' ("" at the root). Borrowed; valid until the next push/pop. */
const char *nb_name_scope_current(const nb_graph *g);

/** Makes later ops depend on these ops (tf.control_dependencies): each op
 *  created until the matching pop gets them as control inputs. An op of another
 *  graph puts g in error (NB_ERR_INVALID_ARGUMENT "control_dependencies:
 *  dependency 0 comes from another graph ('name')"); the frame is pushed anyway,
 *  so the matching pop stays balanced. */
void nb_control_dependencies_push(nb_graph *g, const nb_output *deps, int n);
void nb_control_dependencies_pop(nb_graph *g);

/** The op's full name, its TensorFlow op type ("MatMul"), its number of inputs
 *  and outputs. Strings are borrowed; valid until the graph is freed. */
const char *nb_op_name(const nb_op *op);
const char *nb_op_type(const nb_op *op);
int nb_op_num_inputs(const nb_op *op);
int nb_op_num_outputs(const nb_op *op);
int nb_op_num_control_inputs(const nb_op *op);
/** Input i of an op (nil when out of range) and control input i (NULL when out of range). */
nb_output nb_op_input(const nb_op *op, int i);
nb_op *nb_op_control_input(const nb_op *op, int i);
/** Output k of an op as an nb_output (nil when out of range). */
nb_output nb_op_output(nb_op *op, int k);

/** Static dtype and shape of an output (what shape inference knows before running). */
nb_dtype nb_output_dtype(nb_output o);
nb_shape nb_output_shape(nb_output o);
/** Writes "name:k" of an output into buf (snprintf rules); returns buf. */
char *nb_output_name(nb_output o, char *buf, size_t n);
/** Formats a shape as TensorFlow does: "[?,3]", "<unknown>", "[]". Returns buf. */
char *nb_shape_string(nb_shape s, char *buf, size_t n);

/*** Sources: placeholders, constants, variables *****************************/

/** A value fed at run time (tf.placeholder). Dims or the whole rank may be unknown.
 *  Default name "Placeholder". */
nb_output nb_placeholder(nb_graph *g, nb_dtype dtype, nb_shape shape, const char *name);
/** tf.placeholder_with_default(input, shape): input's value unless the output is
 *  fed (any value compatible with `shape` and of input's dtype). `shape` may be
 *  less precise than input's (NB_SHAPE_UNKNOWN_RANK, unknown dims) and becomes
 *  the output's static shape; it must be compatible with input's ("Dimension 0
 *  in both shapes must be equal, but are 2 and 3. Shapes are [2] and [3]. for
 *  ..."). Op PlaceholderWithDefault, default name "PlaceholderWithDefault";
 *  the gradient passes to input. */
nb_output nb_placeholder_with_default(nb_graph *g, nb_output input, nb_shape shape, const char *name);
/** A constant holding a copy of t's value (tf.constant). Default name "Const". */
nb_output nb_constant(nb_graph *g, const nb_tensor *t, const char *name);
/** Scalar constants, and constants from C arrays (copied). Default name "Const". */
nb_output nb_constant_f32(nb_graph *g, float v, const char *name);
nb_output nb_constant_f64(nb_graph *g, double v, const char *name);
nb_output nb_constant_i32(nb_graph *g, int32_t v, const char *name);
nb_output nb_constant_array(nb_graph *g, nb_dtype dtype, int rank, const int64_t *dims,
                            const void *data, const char *name);
/** tf.zeros / tf.ones / tf.fill(shape, value) with a fully known shape: a Const named
 *  "zeros" / "ones" / "Fill" by default. */
nb_output nb_zeros(nb_graph *g, nb_dtype dtype, nb_shape shape, const char *name);
nb_output nb_ones(nb_graph *g, nb_dtype dtype, nb_shape shape, const char *name);

/** A variable (tf.Variable(initial_value, name)): a VariableV2 op named "Variable"
 *  by default, its "<name>/Assign" from the initial value, and "<name>/read".
 *  Returns the read output, which ops consume; pass it to nb_assign and to the
 *  optimizers to mean the variable. The variable is trainable. Its value lives
 *  in each session and must be initialized there (nb_global_variables_initializer). */
nb_output nb_variable(nb_graph *g, nb_output initial_value, const char *name);
/** As nb_variable, choosing whether it joins the trainable collection. */
nb_output nb_variable_ex(nb_graph *g, nb_output initial_value, bool trainable, const char *name);
/** A variable initialized from a tensor value (a "<name>/initial_value" Const). */
nb_output nb_variable_from_tensor(nb_graph *g, const nb_tensor *value, const char *name);
/** Number of variables, and the i-th (its read output) in creation order. */
int nb_graph_num_variables(const nb_graph *g);
nb_output nb_graph_variable(const nb_graph *g, int i);
/** Whether a variable is trainable (false for non-variables). */
bool nb_variable_is_trainable(nb_output var);
/** The VariableV2 op behind a variable's read output (or the op itself); NULL otherwise. */
nb_op *nb_variable_op(nb_output var);

/** ref = value (tf.assign). Shapes must match. Default name "Assign". The output is
 *  the new value. */
nb_output nb_assign(nb_graph *g, nb_output ref, nb_output value, const char *name);
/** ref += value / ref -= value. Default names "AssignAdd", "AssignSub". */
nb_output nb_assign_add(nb_graph *g, nb_output ref, nb_output value, const char *name);
nb_output nb_assign_sub(nb_graph *g, nb_output ref, nb_output value, const char *name);

/** A NoOp named "init" running every variable's Assign (tf.global_variables_initializer).
 *  Fetch it to initialize; it has no value (its fetched tensor is NULL). */
nb_output nb_global_variables_initializer(nb_graph *g);
/** A NoOp with control inputs on each of `deps` (tf.group). Default name "group_deps". */
nb_output nb_group(nb_graph *g, const nb_output *deps, int n, const char *name);
/** A NoOp (tf.no_op). Default name "NoOp". */
nb_output nb_no_op(nb_graph *g, const char *name);

/*** Random ops (seeded as in TF1: graph seed + op seed) *********************/

/** Pass as an op seed to mean "none": TF1 rules then derive one from the
 *  graph seed, or draw a fresh one per session when the graph has none either. */
#define NB_SEED_NONE INT64_MIN

/** tf.random_normal(shape, mean, stddev): scope "random_normal" holding
 *  RandomStandardNormal, mul and the returned add. */
nb_output nb_random_normal(nb_graph *g, nb_dtype dtype, nb_shape shape, double mean,
                           double stddev, int64_t seed, const char *name);
/** tf.random_uniform(shape, minval, maxval): scope "random_uniform". */
nb_output nb_random_uniform(nb_graph *g, nb_dtype dtype, nb_shape shape, double minval,
                            double maxval, int64_t seed, const char *name);
/** tf.truncated_normal(shape, mean, stddev): scope "truncated_normal". */
nb_output nb_truncated_normal(nb_graph *g, nb_dtype dtype, nb_shape shape, double mean,
                              double stddev, int64_t seed, const char *name);
/** Glorot (Xavier) uniform for a weight of fully known `shape`: U(-l, l) with
 *  l = sqrt(6 / (fan_in + fan_out)). Rank 2 [in, out]: fan_in = in, fan_out = out;
 *  rank 4 conv kernel [h, w, in, out]: both multiplied by h*w; rank 1: both = dim.
 *  Scope "glorot_uniform". */
nb_output nb_glorot_uniform(nb_graph *g, nb_dtype dtype, nb_shape shape, int64_t seed,
                            const char *name);

/** Which fan a variance-scaling initializer divides by (fans as for Glorot). */
typedef enum nb_fan_mode { NB_FAN_IN = 0, NB_FAN_OUT = 1, NB_FAN_AVG = 2 } nb_fan_mode;
/** tf.variance_scaling_initializer(scale, mode, distribution) for a fully known
 *  `shape`: variance = scale / max(1, n), n the fan chosen by mode. uniform:
 *  U(-l, l) with l = sqrt(3 * variance) (scope "random_uniform"); otherwise a
 *  normal truncated at two stddevs with stddev = sqrt(variance) / 0.8796...
 *  so that the drawn values have the variance asked for (scope "truncated_normal").
 *  Seeds as every random op (NB_SEED_NONE: from the graph seed). Errors:
 *  NB_ERR_SHAPE for a shape not fully known, NB_ERR_INVALID_ARGUMENT for scale <= 0. */
nb_output nb_variance_scaling(nb_graph *g, nb_dtype dtype, nb_shape shape, double scale,
                              nb_fan_mode mode, bool uniform, int64_t seed, const char *name);
/** He (Kaiming) initializers (tf.keras.initializers.he_normal / he_uniform):
 *  variance scaling with scale 2 over fan_in. he_normal: truncated normal of
 *  stddev sqrt(2 / fan_in) after correction, scope "he_normal"; he_uniform:
 *  U(-sqrt(6 / fan_in), sqrt(6 / fan_in)), scope "he_uniform". */
nb_output nb_he_normal(nb_graph *g, nb_dtype dtype, nb_shape shape, int64_t seed, const char *name);
nb_output nb_he_uniform(nb_graph *g, nb_dtype dtype, nb_shape shape, int64_t seed, const char *name);

/*** Elementwise math (numpy broadcasting for the binary ones) ***************/
/* Binary ops require both inputs of the same dtype and broadcast-compatible
 * shapes: dims are aligned from the right, and each pair must be equal or 1.
 * Unknown dims stay unknown. Default names mirror the Python code a course
 * student writes: nb_add "add" (a + b), nb_subtract "sub", nb_multiply "mul",
 * nb_divide "truediv" (op RealDiv), nb_negative "Neg"; the rest use the op type. */

nb_output nb_add(nb_graph *g, nb_output x, nb_output y, const char *name);      /* x + y */
nb_output nb_subtract(nb_graph *g, nb_output x, nb_output y, const char *name); /* x - y */
nb_output nb_multiply(nb_graph *g, nb_output x, nb_output y, const char *name); /* x * y */
nb_output nb_divide(nb_graph *g, nb_output x, nb_output y, const char *name);   /* x / y (RealDiv; integer types truncate) */
nb_output nb_floor_div(nb_graph *g, nb_output x, nb_output y, const char *name);/* floor(x / y) */
nb_output nb_mod(nb_graph *g, nb_output x, nb_output y, const char *name);      /* x - floor(x/y)*y (FloorMod) */
nb_output nb_pow(nb_graph *g, nb_output x, nb_output y, const char *name);      /* x ^ y */
nb_output nb_maximum(nb_graph *g, nb_output x, nb_output y, const char *name);  /* max(x, y) */
nb_output nb_minimum(nb_graph *g, nb_output x, nb_output y, const char *name);  /* min(x, y) */
nb_output nb_squared_difference(nb_graph *g, nb_output x, nb_output y, const char *name); /* (x-y)^2 */
/** Sum of n same-shape inputs (tf.add_n, op AddN). */
nb_output nb_add_n(nb_graph *g, const nb_output *xs, int n, const char *name);

nb_output nb_negative(nb_graph *g, nb_output x, const char *name);   /* -x */
nb_output nb_abs(nb_graph *g, nb_output x, const char *name);        /* |x| */
nb_output nb_sign(nb_graph *g, nb_output x, const char *name);       /* -1, 0, 1 */
nb_output nb_square(nb_graph *g, nb_output x, const char *name);     /* x^2 */
nb_output nb_sqrt(nb_graph *g, nb_output x, const char *name);       /* sqrt(x) */
nb_output nb_rsqrt(nb_graph *g, nb_output x, const char *name);      /* 1/sqrt(x) */
nb_output nb_exp(nb_graph *g, nb_output x, const char *name);        /* e^x */
nb_output nb_log(nb_graph *g, nb_output x, const char *name);        /* ln x */
nb_output nb_log1p(nb_graph *g, nb_output x, const char *name);      /* ln(1 + x) */
nb_output nb_reciprocal(nb_graph *g, nb_output x, const char *name); /* 1/x */
nb_output nb_sigmoid(nb_graph *g, nb_output x, const char *name);    /* 1/(1+e^-x) */
nb_output nb_tanh(nb_graph *g, nb_output x, const char *name);       /* tanh x */
nb_output nb_relu(nb_graph *g, nb_output x, const char *name);       /* max(x, 0) */

/** More elementwise math (src/ops/math_more.c): one float32/float64 input of any
 *  shape (unknown dims kept), output of its shape and dtype. Default names are
 *  the op types ("Floor", "Ceil", "Round", "Sin", ...). A non-float input
 *  records NB_ERR_DTYPE ("Value for attr 'T' of int32 is not in the list of
 *  allowed values: float, double for 'Sin' (op: 'Sin') with input shapes: [2]."). */
nb_output nb_floor(nb_graph *g, nb_output x, const char *name);  /* largest integer <= x; no gradient */
nb_output nb_ceil(nb_graph *g, nb_output x, const char *name);   /* smallest integer >= x; no gradient */
/** Rounds half to even (banker's rounding, as TF's Round): 0.5 -> 0, 1.5 -> 2,
 *  2.5 -> 2, -0.5 -> -0. Also takes int32/int64 (the identity). No gradient. */
nb_output nb_round(nb_graph *g, nb_output x, const char *name);
nb_output nb_sin(nb_graph *g, nb_output x, const char *name);    /* sin x; d = cos x */
nb_output nb_cos(nb_graph *g, nb_output x, const char *name);    /* cos x; d = -sin x */
nb_output nb_tan(nb_graph *g, nb_output x, const char *name);    /* tan x; d = 1/cos^2 x */
nb_output nb_asin(nb_graph *g, nb_output x, const char *name);   /* asin x (NaN outside [-1,1]); d = 1/sqrt(1-x^2) */
nb_output nb_acos(nb_graph *g, nb_output x, const char *name);   /* acos x; d = -1/sqrt(1-x^2) */
nb_output nb_atan(nb_graph *g, nb_output x, const char *name);   /* atan x; d = 1/(1+x^2) */
nb_output nb_sinh(nb_graph *g, nb_output x, const char *name);   /* sinh x; d = cosh x */
nb_output nb_cosh(nb_graph *g, nb_output x, const char *name);   /* cosh x; d = sinh x */
nb_output nb_erf(nb_graph *g, nb_output x, const char *name);    /* erf x; d = 2/sqrt(pi) e^(-x^2) */
nb_output nb_expm1(nb_graph *g, nb_output x, const char *name);  /* e^x - 1, exact near 0; d = e^x */
/** tf.atan2(y, x): the angle of (x, y) in [-pi, pi], elementwise with numpy
 *  broadcasting, float32/float64 of one dtype. Op Atan2, default name "Atan2".
 *  Gradient: (x, -y) * dy / (x^2 + y^2), summed back over broadcast dims. */
nb_output nb_atan2(nb_graph *g, nb_output y, nb_output x, const char *name);
/** Float classes (tf.is_nan, tf.is_inf, tf.is_finite): bool outputs; no gradient. */
nb_output nb_is_nan(nb_graph *g, nb_output x, const char *name);
nb_output nb_is_inf(nb_graph *g, nb_output x, const char *name);
nb_output nb_is_finite(nb_graph *g, nb_output x, const char *name);

/** Comparisons: bool output, broadcasting. */
nb_output nb_equal(nb_graph *g, nb_output x, nb_output y, const char *name);
nb_output nb_not_equal(nb_graph *g, nb_output x, nb_output y, const char *name);
nb_output nb_less(nb_graph *g, nb_output x, nb_output y, const char *name);
nb_output nb_less_equal(nb_graph *g, nb_output x, nb_output y, const char *name);
nb_output nb_greater(nb_graph *g, nb_output x, nb_output y, const char *name);
nb_output nb_greater_equal(nb_graph *g, nb_output x, nb_output y, const char *name);
/** Logical ops on bool tensors. */
nb_output nb_logical_and(nb_graph *g, nb_output x, nb_output y, const char *name);
nb_output nb_logical_or(nb_graph *g, nb_output x, nb_output y, const char *name);
nb_output nb_logical_not(nb_graph *g, nb_output x, const char *name);
/** TF1's tf.where(cond, x, y) (op Select): x where cond is true, else y.
 *  x and y must have the same shape (and dtype); cond is bool and either a
 *  scalar (picks x or y whole), of x's shape (elementwise), or, when x has rank
 *  >= 2, a vector of length x's first dimension (picks whole rows: out[i, ...] =
 *  cond[i] ? x[i, ...] : y[i, ...]). No broadcasting: NB_ERR_SHAPE with TF1's
 *  texts ("'then' and 'else' must have the same size.  but are: [2,3] vs. [3]",
 *  "'then' and 'cond' must have the same size.  but are: ...", "Number of batches
 *  of 'then' must match size of 'cond', but saw: 4 vs. 3"), at build time when
 *  the shapes are known, else at run time. NB_ERR_DTYPE for a non-bool cond or
 *  x, y of different dtypes. Gradient: dy routed to x where cond, to y elsewhere
 *  (none to cond). A GraphDef with Select means the same to TensorFlow 1.x. */
nb_output nb_where(nb_graph *g, nb_output cond, nb_output x, nb_output y, const char *name);
/** tf.where_v2 / TF2's tf.where (op SelectV2): like nb_where, but cond, x and y
 *  broadcast together numpy-style (out shape = broadcast of all three). Gradient:
 *  dy routed as in nb_where, then summed back to x's and y's shapes. */
nb_output nb_where_v2(nb_graph *g, nb_output cond, nb_output x, nb_output y, const char *name);
/** Converts to another dtype (tf.cast; op Cast). */
nb_output nb_cast(nb_graph *g, nb_output x, nb_dtype dtype, const char *name);

/*** Reductions **************************************************************/

/** Pass as n_axes (with axes NULL) to reduce over every axis (axis=None). */
#define NB_ALL_AXES (-1)

/** tf.reduce_sum(x, axis, keep_dims): axes may be negative (counted from the end).
 *  The axes become a Const input ("<name>/reduction_indices"; "Const" for all axes).
 *  Output shape: x's shape without the reduced axes, or with them set to 1 when keep_dims.
 *  Default names "Sum", "Mean", "Prod", "Max", "Min".
 *  Gradients: Sum and Mean broadcast dy back (Mean divided by the group size);
 *  Prod gives each element the product of the other elements of its group, never
 *  dividing by a zero (one zero in a group: the others get 0 and the zero gets the
 *  product of the rest; two zeros: 0 for all); Max and Min share dy equally among
 *  the elements equal to the extreme. */
nb_output nb_reduce_sum(nb_graph *g, nb_output x, const int *axes, int n_axes, bool keep_dims,
                        const char *name);
nb_output nb_reduce_mean(nb_graph *g, nb_output x, const int *axes, int n_axes, bool keep_dims,
                         const char *name);
nb_output nb_reduce_prod(nb_graph *g, nb_output x, const int *axes, int n_axes, bool keep_dims,
                         const char *name);
nb_output nb_reduce_max(nb_graph *g, nb_output x, const int *axes, int n_axes, bool keep_dims,
                        const char *name);
nb_output nb_reduce_min(nb_graph *g, nb_output x, const int *axes, int n_axes, bool keep_dims,
                        const char *name);
/** As above with the axes given by a graph tensor (int32, rank 0 or 1). */
nb_output nb_reduce_sum_t(nb_graph *g, nb_output x, nb_output axes, bool keep_dims,
                          const char *name);
nb_output nb_reduce_mean_t(nb_graph *g, nb_output x, nb_output axes, bool keep_dims,
                           const char *name);
/** tf.reduce_any / tf.reduce_all over bool x (ops Any, All; bool output; no
 *  gradient): axes and keep_dims as nb_reduce_sum (NB_ALL_AXES: every axis; an
 *  empty list copies x; the axes Const is "<name>/reduction_indices", or "Const"
 *  for all axes). A non-bool x records NB_ERR_DTYPE ("Input 'input' of 'Any' Op
 *  has type float that does not match expected type of bool ..."). Default
 *  names "Any", "All". */
nb_output nb_reduce_any(nb_graph *g, nb_output x, const int *axes, int n_axes, bool keep_dims,
                        const char *name);
nb_output nb_reduce_all(nb_graph *g, nb_output x, const int *axes, int n_axes, bool keep_dims,
                        const char *name);
/** tf.cumsum(x, axis, exclusive, reverse) (op Cumsum, axis a Const "<name>/axis",
 *  default name "Cumsum"): y[..., i, ...] = sum of x[..., j, ...] over j <= i
 *  along axis (j < i when exclusive; j >= i / j > i when reverse). float32,
 *  float64, int32, int64; same shape as x. An axis outside [-rank, rank) is
 *  "ScanOp: Expected scan axis in the range [-2, 2), but got 2". Gradient:
 *  cumsum of dy with reverse flipped. */
nb_output nb_cumsum(nb_graph *g, nb_output x, int axis, bool exclusive, bool reverse, const char *name);
/** tf.cumprod(x, axis, exclusive, reverse) (op Cumprod, axis a Const "<name>/axis",
 *  default name "Cumprod"): y[..., i, ...] = product of x[..., j, ...] over j <= i
 *  along axis (j < i when exclusive, the empty product being 1; j >= i / j > i
 *  when reverse). float32, float64, int32, int64 (integer products wrap, as TF's);
 *  same shape as x; axis errors as nb_cumsum's. Gradient (TF's):
 *  cumsum(y * dy, exclusive, !reverse) / x, defined where x has no zeros. */
nb_output nb_cumprod(nb_graph *g, nb_output x, int axis, bool exclusive, bool reverse, const char *name);
/** tf.nn.top_k(x, k, sorted): the k largest entries along the last dim of x
 *  (rank >= 1; float32/float64/int32/int64/uint8), in descending order, equal
 *  values by lower index first -- also when sorted is false: TF1 leaves the order
 *  unspecified then, and nabla returns the same sorted order (sorted is kept as
 *  the op's attr and in GraphDef). Op TopKV2 with outputs 0 values (x's dtype) and
 *  1 indices (int32, nb_op_output(result.op, 1)), both of x's shape with the
 *  last dim k; k is a Const "<name>/k". Errors: "Need k >= 0, got -1", "input
 *  must have last dimension >= k = 5 but is 3" (run: "input must have at
 *  least k columns. Had 3, needed 5"). Gradient to x: dy placed at the chosen
 *  positions (needs x's last dim known). Default name "TopKV2". */
nb_output nb_top_k(nb_graph *g, nb_output x, int k, bool sorted, const char *name);
/** tf.nn.in_top_k(predictions, targets, k): bool [batch], true where
 *  predictions[i, targets[i]] is among the k largest of row i (ties at the
 *  boundary count as in; fewer than k strictly larger values). An out-of-range
 *  target or a non-finite value in the row gives false, as TF. predictions
 *  float32 [batch, classes], targets int32/int64 [batch]. Op InTopKV2 named
 *  as TF1's Python does: "in_top_k/InTopKV2" (with a name: "<name>/<name>"),
 *  k a Const "<op>/k". Not differentiable. */
nb_output nb_in_top_k(nb_graph *g, nb_output predictions, nb_output targets, int k, const char *name);
/** tf.where(condition) with one argument: the coordinates of the nonzero
 *  (true) elements in row-major order, an int64 [count, rank(condition)]
 *  tensor. Op Where, default name "Where". Not differentiable. (Three-argument
 *  tf.where is nb_where.) */
nb_output nb_where_true(nb_graph *g, nb_output condition, const char *name);
/** Index of the largest / smallest value along `axis` (int64 output). Default names
 *  "ArgMax", "ArgMin"; the axis is a Const "<name>/dimension". */
nb_output nb_argmax(nb_graph *g, nb_output x, int axis, const char *name);
nb_output nb_argmin(nb_graph *g, nb_output x, int axis, const char *name);
/** tf.argmax / tf.argmin with TF1's output_type: as nb_argmax / nb_argmin, with
 *  the output dtype output_type, NB_INT32 or NB_INT64 (TF's default); the op's
 *  output_type attr records it (GraphDef export and import). Another dtype
 *  records a dtype error on the graph, "nb_argmax_ex: Value for attr
 *  'output_type' of float is not in the list of allowed values: int32, int64".
 *  With NB_INT32, a run whose reduction axis has more than 2^31-1 entries fails
 *  (invalid argument) rather than wrap. */
nb_output nb_argmax_ex(nb_graph *g, nb_output x, int axis, nb_dtype output_type, const char *name);
nb_output nb_argmin_ex(nb_graph *g, nb_output x, int axis, nb_dtype output_type, const char *name);

/*** Linear algebra **********************************************************/

/** Matrix product (tf.matmul). Rank 2: [m,k]x[k,n] -> [m,n], with optional
 *  transposes (op MatMul, through BLAS for floats). Rank >= 3: batched over the
 *  leading dims, which broadcast (op BatchMatMulV2). When an input's rank is
 *  unknown the op is BatchMatMulV2 (as in TF1), which also takes rank-2 values;
 *  its static shape is then unknown. Dimensions above 2^31-1 are computed in
 *  blocks the BLAS can take. On CPUs with AVX-512, float32 products with a
 *  batch-sized side (a dense layer's forward and gradients at batch 8..~1000)
 *  use nabla's own kernel instead of the BLAS: the same values up to float32
 *  rounding (the order of the sums differs); NABLA_SMALL_GEMM=0 in the
 *  environment, read at the first product, keeps every product on the BLAS.
 *  Default name "MatMul". */
nb_output nb_matmul(nb_graph *g, nb_output a, nb_output b, bool transpose_a, bool transpose_b,
                    const char *name);

/*** Array ops ***************************************************************/

/** Batched diagonals (src/ops/diag.c; the main diagonal, any dtype):
 *  nb_matrix_diag: [..., n] -> [..., n, n] with the values on the diagonal and
 *  zeros elsewhere (tf.matrix_diag; tf.eye is matrix_diag of ones), op
 *  MatrixDiag. nb_matrix_diag_part: [..., m, n] -> [..., min(m, n)], the
 *  diagonal (tf.matrix_diag_part; tf.trace sums it), op MatrixDiagPart.
 *  nb_matrix_set_diag: x [..., m, n] with its diagonal replaced by
 *  diagonal [..., min(m, n)] (tf.matrix_set_diag), op MatrixSetDiag; other
 *  shapes are "must have diagonal.shape == input.shape[:-2] +
 *  min(input.shape[-2:]), but received input shape: [2,3] and diagonal
 *  shape: [3] ...". Default names are the op types. Gradients as TF's
 *  array_grad.py (each is another's). */
nb_output nb_matrix_diag(nb_graph *g, nb_output diagonal, const char *name);
nb_output nb_matrix_diag_part(nb_graph *g, nb_output x, const char *name);
nb_output nb_matrix_set_diag(nb_graph *g, nb_output x, nb_output diagonal, const char *name);

/** tf.transpose(x, perm): perm NULL reverses the axes. Default name "transpose". */
nb_output nb_transpose(nb_graph *g, nb_output x, const int *perm, int n_perm, const char *name);
/** tf.reshape(x, shape): one dim may be -1 and is inferred. The dims become a Const
 *  "<name>/shape", int32, or int64 when a dim is above 2^31-1 (as TF stores it).
 *  Default name "Reshape". */
nb_output nb_reshape(nb_graph *g, nb_output x, int rank, const int64_t *dims, const char *name);
/** Reshape to a shape given by a graph tensor (int32 or int64, rank 1). */
nb_output nb_reshape_t(nb_graph *g, nb_output x, nb_output shape, const char *name);
/** Inserts a dim of size 1 at `axis` (negative counts from the end). Default "ExpandDims". */
nb_output nb_expand_dims(nb_graph *g, nb_output x, int axis, const char *name);
/** tf.squeeze(x, axis): removes the listed size-1 dims (negative counts from the end),
 *  or every size-1 dim when n_axes is 0 (then an unknown dim makes the static rank
 *  unknown). A listed dim that is not 1 records NB_ERR_INVALID_ARGUMENT ("Can not
 *  squeeze dim[1], expected a dimension of 1, got 3"), or fails the run when only
 *  known then. Default "Squeeze". */
nb_output nb_squeeze(nb_graph *g, nb_output x, const int *axes, int n_axes, const char *name);
/** tf.concat(xs, axis): joins n >= 1 tensors of one dtype and rank >= 1 along an
 *  existing axis (negative counts from the end); the other dims must agree. Op ConcatV2
 *  with the axis as a Const "<name>/axis". Default "concat". */
nb_output nb_concat(nb_graph *g, const nb_output *xs, int n, int axis, const char *name);
/** tf.stack(xs, axis): stacks n >= 1 same-shape, same-dtype tensors along a new axis
 *  (in [-(rank+1), rank]); output shape inserts n at axis. Op Pack. Default "stack". */
nb_output nb_stack(nb_graph *g, const nb_output *xs, int n, int axis, const char *name);
/** tf.slice(x, begin, size): x[begin : begin+size] per dim; a size of -1 takes the
 *  rest. Requires 0 <= begin[i] <= begin[i]+size[i] <= dim i. begin and size become
 *  Consts "<name>/begin" and "<name>/size". Default "Slice". */
nb_output nb_slice(nb_graph *g, nb_output x, const int64_t *begin, const int64_t *size, int rank,
                   const char *name);
/** Python's extended slicing, x[1:, ::-1, None, ..., 0] (op StridedSlice, TF1's
 *  semantics exactly). Entry i of the n-entry (n <= 31) spec begin/end/strides
 *  (strides NULL: all 1) addresses one dim of x, unless bit i of a mask says
 *  otherwise: begin_mask / end_mask bit i ignores begin[i] / end[i] (the whole
 *  range in the stride's direction); ellipsis_mask (at most one bit) makes
 *  entry i "..." (as many full dims as needed); new_axis_mask inserts a dim of
 *  size 1 (None); shrink_axis_mask takes the single index begin[i] and drops
 *  the dim (x[3]; negative counts from the end; out of range is an error
 *  "slice index 5 of dimension 0 out of bounds."). Otherwise dim d takes
 *  begin, begin+stride, ... stopping before end, where negative begin/end
 *  count from the end and both are clamped into the dim (so x[2:100] is fine).
 *  Without an ellipsis one is implied after the last entry. Output dim per
 *  sliced dim: ceil((end - begin) / stride), or 0 when the interval is empty.
 *  Errors (graph, or run when values are known only then): "strides[1] must be
 *  non-zero", "Multiple ellipses in slice spec not allowed", "Index out of
 *  range using input dim 2; input has only 2 dims", "only stride 1 allowed on
 *  non-range indexing.". begin/end/strides become int32 Consts (int64 when a
 *  value needs it) "<name>/stack", "<name>/stack_1", "<name>/stack_2", as TF's
 *  indexing builds them. Default name "strided_slice". Gradient:
 *  StridedSliceGrad, which scatters dy into zeros of x's shape. */
nb_output nb_strided_slice(nb_graph *g, nb_output x, const int64_t *begin, const int64_t *end,
                           const int64_t *strides, int n, int begin_mask, int end_mask,
                           int ellipsis_mask, int new_axis_mask, int shrink_axis_mask,
                           const char *name);
/** tf.strided_slice with begin, end and strides given as graph tensors (rank 1,
 *  one length, one dtype int32 or int64): as nb_strided_slice; the output shape
 *  is known statically only where the inputs' values are (strides must be).
 *  Default name "StridedSlice". */
nb_output nb_strided_slice_t(nb_graph *g, nb_output x, nb_output begin, nb_output end,
                             nb_output strides, int begin_mask, int end_mask, int ellipsis_mask,
                             int new_axis_mask, int shrink_axis_mask, const char *name);
/** tf.unstack(value, num, axis): splits value along `axis` (negative counts from
 *  the end) into num tensors of rank - 1 (op Unpack, default name "unstack").
 *  num < 0 takes it from value's static shape ("Cannot infer num from shape
 *  (?, 3)" when that dim is unknown). Returns output 0; output k is
 *  nb_op_output(result.op, k) and their count nb_op_num_outputs(result.op)
 *  (num may be 0). A fed value whose dim differs fails the run ("Input shape
 *  axis 0 must equal 3, got shape [4,2]"). Gradient: the stacked gradients
 *  (zeros for outputs none flowed into). */
nb_output nb_unstack(nb_graph *g, nb_output value, int num, int axis, const char *name);
/** tf.split(value, num_split, axis) with an integer count: num_split >= 1
 *  equal pieces along axis (op Split, whose axis is a Const "<name>/split_dim";
 *  default name "split"). The dim must divide evenly ("Dimension size must be
 *  evenly divisible by 3 but is 4 ..."). Returns output 0; the others as for
 *  nb_unstack. Gradient: ConcatV2 of the gradients (zeros where none flowed). */
nb_output nb_split(nb_graph *g, nb_output value, int num_split, int axis, const char *name);
/** tf.split(value, size_splits, axis) with a list of sizes: piece k has
 *  size_splits[k] along axis; one size may be -1 (the rest). The sizes must add
 *  up to the dim (or stay below it with a -1). Op SplitV; the sizes are a Const
 *  "Const" made outside the op's scope (as tf.split does), the axis a Const
 *  "<name>/split_dim"; default name "split". Returns output 0; the others as
 *  for nb_unstack. Gradient: ConcatV2 of the gradients. */
nb_output nb_split_v(nb_graph *g, nb_output value, const int64_t *size_splits, int num_split, int axis,
                     const char *name);
/** Takes slices of params along `axis` at the int32/int64 `indices` (op GatherV2;
 *  the axis, negative counting from the end, is a Const "<name>/axis").
 *  Output shape: params.shape[:axis] + indices.shape + params.shape[axis+1:].
 *  An index outside [0, params.shape[axis]) fails the run ("indices[1] = 5 is not in
 *  [0, 3)"). The gradient (an UnsortedSegmentSum) works along axis 0 for any shapes,
 *  and along other axes when params' shape is fully known.
 *  The course's w[1] is nb_gather(g, w, nb_constant_i32(g, 1, NULL), 0, NULL).
 *  Default "GatherV2". */
nb_output nb_gather(nb_graph *g, nb_output params, nb_output indices, int axis, const char *name);
/** tf.gather_nd(params, indices): indices (int32/int64) has shape [..., m] with
 *  m <= rank(params); each innermost row [i0, ..., i(m-1)] picks the slice
 *  params[i0, ..., i(m-1)]. Output shape indices.shape[:-1] + params.shape[m:].
 *  An index out of range fails the run ("indices[1] = [2, 0] does not index
 *  into param shape [2,3]"); m > rank(params) is "indices.shape[-1] must be <=
 *  params.rank, but saw indices shape: [1,2] and params shape: [2] ...". Op
 *  GatherNd, default name "GatherNd". Gradient: ScatterNd of dy (repeated
 *  indices add up). */
nb_output nb_gather_nd(nb_graph *g, nb_output params, nb_output indices, const char *name);
/** tf.scatter_nd(indices, updates, shape): zeros of the given shape (rank <= 8)
 *  with each slice of updates added at its index row (repeats add up).
 *  updates has shape indices.shape[:-1] + shape[m:] (m = indices.shape[-1]).
 *  float32/float64/int32/int64 updates. shape becomes a Const "<name>/shape" of
 *  indices' dtype. Op ScatterNd, default name "ScatterNd". Gradient to updates:
 *  GatherNd of dy. */
nb_output nb_scatter_nd(nb_graph *g, nb_output indices, nb_output updates, const int64_t *shape, int rank,
                        const char *name);
/** Sums the rows of data into num_segments buckets (tf.unsorted_segment_sum):
 *  out[s, ...] = sum of data[i..., ...] over the positions i... where segment_ids[i...] == s.
 *  segment_ids (int32/int64) has a shape that prefixes data's; ids < 0 are dropped, ids
 *  >= num_segments are a run-time error. num_segments is an int32/int64 scalar tensor.
 *  Output shape: [num_segments] + data.shape[rank(segment_ids):]. Default "UnsortedSegmentSum". */
nb_output nb_unsorted_segment_sum(nb_graph *g, nb_output data, nb_output segment_ids,
                                  nb_output num_segments, const char *name);
/** tf.reverse(x, axis): reverses x along each listed axis (negative counts
 *  from the end; each at most once: "axis 0 specified more than once."; out of
 *  range: "'axis'[0] = 2 is out of valid range [0, 1]"). Op ReverseV2, axes a
 *  Const "<name>/axis", default name "ReverseV2". Gradient: dy reversed. */
nb_output nb_reverse(nb_graph *g, nb_output x, const int *axes, int n_axes, const char *name);
/** Repeats x multiples[i] times along dim i: output dim i = dim i * multiples[i]
 *  (a product above 2^63-1 is an invalid-argument error, TF's "Negative dimension size
 *  caused by overflow when multiplying ..."). The Const "<name>/multiples" is int32,
 *  or int64 when a value needs it. Default "Tile". */
nb_output nb_tile(nb_graph *g, nb_output x, const int64_t *multiples, int rank, const char *name);
/** tf.pad(x, paddings) with zeros: paddings is rank × 2 non-negative (before, after)
 *  values, row-major, and becomes a [rank,2] Const "<name>/paddings". Output dim i is
 *  before + dim i + after. Default "Pad". TF1's constant_values and REFLECT/SYMMETRIC
 *  modes: nb_pad_ex. */
nb_output nb_pad(nb_graph *g, nb_output x, const int64_t *paddings, int rank, const char *name);
/** tf.one_hot(indices, depth, on_value, off_value, dtype): one-hot encoding of
 *  uint8/int32/int64 indices into a new last axis of size depth >= 0, as dtype
 *  (NB_DTYPE_INVALID means float32): on_value where the index matches, off_value
 *  elsewhere; an index outside [0, depth) gives a row of off_value, as in TF. Scope
 *  "one_hot" with Consts "one_hot/on_value", "one_hot/off_value", "one_hot/depth"
 *  and the OneHot op "one_hot". Not differentiable. TF1's axis: nb_one_hot_axis. */
nb_output nb_one_hot(nb_graph *g, nb_output indices, int64_t depth, double on_value,
                     double off_value, nb_dtype dtype, const char *name);
/** The padding modes of tf.pad (TF1's mode argument). */
typedef enum nb_pad_mode {
    NB_PAD_CONSTANT = 0,  /**< pad with a constant value */
    NB_PAD_REFLECT = 1,   /**< mirror without the edge: [1,2,3] padded (2,2) gives [3,2,1,2,3,2,1] */
    NB_PAD_SYMMETRIC = 2  /**< mirror with the edge: [1,2,3] padded (2,2) gives [2,1,1,2,3,3,2] */
} nb_pad_mode;
/** tf.pad(x, paddings, mode, constant_values) as TF1 builds it. paddings is rank × 2
 *  (before, after) values, row-major, stored as a [rank,2] Const "<name>/paddings".
 *  Output dim i = before + dim i + after, checked for int64 overflow (TF's
 *  "Dimension size overflow from adding ..."). Negative paddings, a rank mismatch or
 *  an unknown mode are invalid-argument errors.
 *  - NB_PAD_CONSTANT with constant_value 0: exactly nb_pad (op "Pad").
 *  - NB_PAD_CONSTANT otherwise: op "PadV2" (default name "PadV2") with a scalar Const
 *    "<name>/constant_values" of x's dtype holding constant_value; padded cells hold it.
 *    The gradient reaches x only (TF1 gives constant_values none).
 *  - NB_PAD_REFLECT / NB_PAD_SYMMETRIC: op "MirrorPad" (default name "MirrorPad", attr
 *    mode "REFLECT"/"SYMMETRIC"); constant_value is ignored, as in TF1. Each padding
 *    must be at most dim - 1 (REFLECT) or dim (SYMMETRIC), else TF's "paddings must
 *    be no greater than the dimension size: B, A greater than N" (checked when the op
 *    is built if the dims are known, else at run time). The gradient is the op
 *    "MirrorPadGrad", which adds each padded cell's gradient into the cell it mirrors
 *    (float32, float64, int32, int64). */
nb_output nb_pad_ex(nb_graph *g, nb_output x, const int64_t *paddings, int rank, nb_pad_mode mode,
                    double constant_value, const char *name);
/** tf.one_hot(indices, depth, on_value, off_value, axis, dtype): nb_one_hot with TF1's
 *  axis. The new axis of size depth goes at position axis of the output: -1 (the
 *  last, as nb_one_hot) or 0..rank(indices). So for indices of shape [N] the output is
 *  [N, depth] for axis -1 or 1 and [depth, N] for axis 0; for [N, M] and axis 1 it is
 *  [N, depth, M]. An axis below -1 is TF's "axis must be >= -1"; one above rank is
 *  "Expected axis to be -1 or between [0, rank+1).  But received: A" (at build time
 *  when the rank is known, else at run time). Names, dtype and errors as nb_one_hot. */
nb_output nb_one_hot_axis(nb_graph *g, nb_output indices, int64_t depth, double on_value,
                          double off_value, nb_dtype dtype, int axis, const char *name);
/** tf.fill(dims, value): dims an int32 rank-1 tensor, value a scalar. Default "Fill". */
nb_output nb_fill(nb_graph *g, nb_output dims, nb_output value, const char *name);
/** Same shape and dtype as x, all zeros / ones. Defaults "zeros_like", "ones_like". */
nb_output nb_zeros_like(nb_graph *g, nb_output x, const char *name);
nb_output nb_ones_like(nb_graph *g, nb_output x, const char *name);
/** x's shape (int32 rank-1), element count (int32 scalar), rank (int32 scalar).
 *  Default names "Shape", "Size", "Rank". */
nb_output nb_shape_of(nb_graph *g, nb_output x, const char *name);
nb_output nb_size(nb_graph *g, nb_output x, const char *name);
nb_output nb_rank(nb_graph *g, nb_output x, const char *name);
/** tf.shape(x, out_type) and tf.size(x, out_type): as nb_shape_of / nb_size, with
 *  the output dtype out_type, NB_INT32 (TF's default) or NB_INT64. With int32, a run
 *  whose dim (Shape) or element count (Size) is above 2^31-1 fails with TF's
 *  "Shape output type is 32-bit  but dim I is N" / "Number of elements was larger
 *  than representable by 32-bit output type" (invalid argument) instead of
 *  wrapping; ask for NB_INT64 for such tensors. Another out_type records a dtype
 *  error on the graph. Default names "Shape", "Size". */
nb_output nb_shape_of_ex(nb_graph *g, nb_output x, nb_dtype out_type, const char *name);
nb_output nb_size_ex(nb_graph *g, nb_output x, nb_dtype out_type, const char *name);
/** [start, start+delta, ...) stopping before limit (tf.range; op Range). The three
 *  inputs are scalars of one dtype; int32/int64 ranges are computed in integer
 *  arithmetic (exact over the whole int64 range); 10^12 elements or more is an
 *  invalid-argument error. Default "range". */
nb_output nb_range(nb_graph *g, nb_output start, nb_output limit, nb_output delta, const char *name);
/** tf.linspace(start, stop, num): num evenly spaced values from start to stop
 *  inclusive (op LinSpace): out[i] = start + i * (stop - start) / (num - 1), the
 *  last exactly stop; num = 1 gives [start]. start and stop are float32/float64
 *  scalars of one dtype, num an int32/int64 scalar > 0 ("Requires num > 0: 0").
 *  Output shape [num] ([?] when num is not a constant). Not differentiable.
 *  Default name "LinSpace". */
nb_output nb_linspace(nb_graph *g, nb_output start, nb_output stop, nb_output num, const char *name);
/** tf.Print(input, data, message, first_n, summarize): an identity of input
 *  that, each time it runs, writes one line to stderr: message followed by
 *  "[...]" for each of the n_data data tensors, each showing at most
 *  `summarize` elements (< 0: all) in TF1's layout ("[[1 2][3...]...]"; floats
 *  with 6 significant digits, or 9 when needed to read back; 17/15 for
 *  doubles). first_n >= 0 prints only the first first_n runs of each session
 *  (counted per session, as TF1's Print kernel lives in its session); -1 always. TF's defaults: first_n -1,
 *  summarize 3. Op Print (stateful: never pruned as a constant), default name
 *  "Print"; the gradient passes to input, none to data. */
nb_output nb_print(nb_graph *g, nb_output input, const nb_output *data, int n_data, const char *message,
                   int first_n, int summarize, const char *name);
/** y = x. Default "Identity". */
nb_output nb_identity(nb_graph *g, nb_output x, const char *name);
/** y = x, but gradients do not flow through. Default "StopGradient". */
nb_output nb_stop_gradient(nb_graph *g, nb_output x, const char *name);

/*** Convolution and pooling *************************************************/

/* Layout is TensorFlow's default: images are NHWC [batch, height, width,
 * channels], filters HWIO [height, width, in_channels, out_channels].
 * strides, dilations and ksize are 4 ints [1, h, w, 1] as in TensorFlow (the
 * batch and channel entries must be 1); padding is "SAME" or "VALID":
 *   VALID: out = (in - ((k - 1) * d + 1) + s) / s   (an error if negative)
 *   SAME:  out = ceil(in / s), padded with max((out - 1) * s + (k - 1) * d + 1 - in, 0)
 *          cells of which the smaller half goes on top/left, the extra on bottom/right.
 * Dtypes: float32 or float64, the same for every data input. Unknown dims
 * (a None batch) stay unknown. Each returns output 0 of the new op (borrowed
 * from the graph; nil on error). Errors (sticky, naming the node): a wrong
 * rank, a channel mismatch, a bad padding string, a stride, dilation or
 * window entry that is not positive, or an output size that would be negative. */

/** tf.nn.conv2d (op "Conv2D"): y[n,i,j,o] = sum_{a,b,c} x[n, i*sh + a*dh - pt,
 *  j*sw + b*dw - pl, c] * filter[a,b,c,o], padded cells being 0.
 *  input [N,H,W,C], filter [fh,fw,C,O] -> [N,OH,OW,O]. dilations may be NULL
 *  (all 1). float32 with at most 4 input channels (a first layer) runs a direct
 *  kernel; float32 5x5 or 3x3, stride 1, channels multiples of 8 runs Winograd
 *  F(2x2, 5x5) or F(4x4, 3x3) (see nb_set_winograd); everything else im2col
 *  and the BLAS.
 *  The two backprop ops choose the same way. */
nb_output nb_nn_conv2d(nb_graph *g, nb_output input, nb_output filter, const int *strides,
                       const char *padding, const int *dilations, const char *name);
/** tf.nn.conv2d_backprop_input (op "Conv2DBackpropInput"): the gradient of
 *  conv2d with respect to its input. input_sizes is an int32 [4] tensor (the
 *  input's shape); out_backprop [N,OH,OW,O]. Result: shape input_sizes. */
nb_output nb_nn_conv2d_backprop_input(nb_graph *g, nb_output input_sizes, nb_output filter,
                                      nb_output out_backprop, const int *strides,
                                      const char *padding, const int *dilations,
                                      const char *name);
/** tf.nn.conv2d_backprop_filter (op "Conv2DBackpropFilter"): the gradient of
 *  conv2d with respect to its filter. filter_sizes is an int32 [4] tensor.
 *  Result: shape filter_sizes. */
nb_output nb_nn_conv2d_backprop_filter(nb_graph *g, nb_output input, nb_output filter_sizes,
                                       nb_output out_backprop, const int *strides,
                                       const char *padding, const int *dilations,
                                       const char *name);
/** tf.nn.max_pool (op "MaxPool"): y = max over each ksize window; SAME padding
 *  cells are ignored (never the max). [N,H,W,C] -> [N,OH,OW,C]. */
nb_output nb_nn_max_pool(nb_graph *g, nb_output value, const int *ksize, const int *strides,
                         const char *padding, const char *name);
/** MaxPoolGrad (TF's gen_nn_ops.max_pool_grad): routes grad [N,OH,OW,C] to the
 *  argmax of each window of orig_input (the first max in row-major window
 *  order on ties); orig_output is MaxPool(orig_input). Result: orig_input's shape. */
nb_output nb_nn_max_pool_grad(nb_graph *g, nb_output orig_input, nb_output orig_output,
                              nb_output grad, const int *ksize, const int *strides,
                              const char *padding, const char *name);
/** tf.nn.avg_pool (op "AvgPool"): the mean of each window; with SAME padding
 *  the divisor is the number of cells inside the input, as TensorFlow does. */
nb_output nb_nn_avg_pool(nb_graph *g, nb_output value, const int *ksize, const int *strides,
                         const char *padding, const char *name);
/** AvgPoolGrad (gen_nn_ops.avg_pool_grad): spreads grad [N,OH,OW,C] evenly
 *  over each window's valid cells. orig_input_shape: an int32 [4] tensor. */
nb_output nb_nn_avg_pool_grad(nb_graph *g, nb_output orig_input_shape, nb_output grad,
                              const int *ksize, const int *strides, const char *padding,
                              const char *name);
/** tf.nn.fused_batch_norm (op "FusedBatchNorm", outputs y, batch_mean,
 *  batch_variance, reserve_space_1, reserve_space_2):
 *    y = scale * (x - mean) / sqrt(variance + epsilon) + offset, per channel (last dim).
 *  x is [N,H,W,C] or [N,C] (rank 2 is a nabla extension); scale, offset, mean
 *  and variance are [C]. is_training: mean and variance are the batch's, over
 *  every axis but the last (variance divided by the count); the `mean` and
 *  `variance` arguments must then be nil (TF passes empty tensors, and so does
 *  this constructor); batch_variance is the unbiased (count - 1) variance, as
 *  TensorFlow reports it for running averages. Inference: the given mean and
 *  variance are used and returned as batch_mean/batch_variance.
 *  Gradients flow to x, scale and offset (in both modes), not to mean and
 *  variance, and not from batch_mean/batch_variance (as in TensorFlow).
 *  batch_mean and batch_variance may be NULL; they receive outputs 1 and 2. */
nb_output nb_nn_fused_batch_norm(nb_graph *g, nb_output x, nb_output scale, nb_output offset,
                                 nb_output mean, nb_output variance, double epsilon,
                                 bool is_training, nb_output *batch_mean,
                                 nb_output *batch_variance, const char *name);

/*** Neural networks *********************************************************/
/* tf.nn activations, softmax, losses, dropout and bias_add (src/ops/activation.c, nn.c).
 * Data inputs are float32 or float64 (NB_ERR_DTYPE otherwise); unknown dims
 * stay unknown. Each returns output 0 of its op (borrowed from the graph; nil
 * on error, which is sticky on the graph and names the node). Every op here
 * has a gradient; the activations' gradients are TF's helper ops (Relu6Grad,
 * LeakyReluGrad, EluGrad, SeluGrad, SoftplusGrad, SoftsignGrad, and nabla's
 * GeluGrad), which are differentiable again (second derivatives).
 * Large tensors (8192 elements or more) are computed on nb_get_num_threads()
 * threads. The unary activations fit nb_layer_options.activation_fn. */

/** tf.nn.relu: y = max(x, 0) (op "Relu"; the same as nb_relu). */
nb_output nb_nn_relu(nb_graph *g, nb_output x, const char *name);
/** tf.nn.relu6: y = min(max(x, 0), 6). Default name "Relu6". */
nb_output nb_nn_relu6(nb_graph *g, nb_output x, const char *name);
/** tf.nn.leaky_relu: y = x if x > 0 else alpha * x (TF's default alpha is 0.2).
 *  Default name "LeakyRelu"; alpha is the op's attribute. */
nb_output nb_nn_leaky_relu(nb_graph *g, nb_output x, double alpha, const char *name);
/** tf.nn.elu: y = x if x > 0 else exp(x) - 1 (computed with expm1). Default "Elu". */
nb_output nb_nn_elu(nb_graph *g, nb_output x, const char *name);
/** tf.nn.selu: y = scale * (x if x > 0 else alpha * (exp(x) - 1)) with
 *  alpha = 1.6732632423543772, scale = 1.0507009873554805. Default "Selu". */
nb_output nb_nn_selu(nb_graph *g, nb_output x, const char *name);
/** tf.nn.softplus: y = log(1 + exp(x)), computed as max(x, 0) + log1p(exp(-|x|))
 *  so it neither overflows nor loses small values. Default "Softplus". */
nb_output nb_nn_softplus(nb_graph *g, nb_output x, const char *name);
/** tf.nn.softsign: y = x / (1 + |x|). Default "Softsign". */
nb_output nb_nn_softsign(nb_graph *g, nb_output x, const char *name);
/** tf.nn.swish: y = x * sigmoid(x), built from ops in scope "swish": the
 *  Sigmoid "swish/Sigmoid" and the returned Mul named "swish". */
nb_output nb_nn_swish(nb_graph *g, nb_output x, const char *name);
/** tf.nn.gelu: exact y = x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)), or with
 *  approximate, 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). One op
 *  "Gelu" with the attribute approximate (TensorFlow builds it from Erf or
 *  Tanh ops; nabla fuses it, so TensorBoard shows a single node). */
nb_output nb_nn_gelu(nb_graph *g, nb_output x, bool approximate, const char *name);

/** tf.nn.softmax over the last axis: y = exp(x - max x) / sum exp(x - max x),
 *  rank >= 1 (NB_ERR_SHAPE for a scalar). Default "Softmax". */
nb_output nb_nn_softmax(nb_graph *g, nb_output logits, const char *name);
/** tf.nn.log_softmax over the last axis: y = x - max x - log sum exp(x - max x).
 *  Default "LogSoftmax". */
nb_output nb_nn_log_softmax(nb_graph *g, nb_output logits, const char *name);

/** tf.nn.softmax_cross_entropy_with_logits(labels, logits) (the _v2 form):
 *  op "SoftmaxCrossEntropyWithLogits" (inputs logits, labels) with two outputs:
 *  0, loss [batch] = -sum_j labels_j * log_softmax(logits)_j; 1, backprop
 *  [batch, classes] = softmax(logits) - labels. Returns output 0; reach the
 *  other with nb_op_output(loss.op, 1). logits and labels are [batch, classes]
 *  of one dtype and one shape (NB_ERR_SHAPE / NB_ERR_DTYPE otherwise); each
 *  labels row should be a distribution. The gradient wrt logits is
 *  dloss[:, None] * backprop; gradients also flow into labels (wrap them in
 *  nb_stop_gradient for TF1's deprecated v1 behaviour). Default name
 *  "softmax_cross_entropy_with_logits". */
nb_output nb_nn_softmax_cross_entropy_with_logits(nb_graph *g, nb_output labels, nb_output logits,
                                                  const char *name);
/** tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits): labels are
 *  class indices, int32 or int64 [batch]; logits [batch, classes]. Op
 *  "SparseSoftmaxCrossEntropyWithLogits" (outputs loss [batch] and backprop
 *  [batch, classes] = softmax - one_hot(labels)) in a scope of the same name:
 *  "SparseSoftmaxCrossEntropyWithLogits/SparseSoftmaxCrossEntropyWithLogits", or
 *  "<name>/<name>". A label outside [0, classes) fails the run with
 *  NB_ERR_INVALID_ARGUMENT: "Received a label value of 5 which is outside the
 *  valid range of [0, 3) at labels[1].  Label values: 0 5 2". No gradient
 *  flows to labels. */
nb_output nb_nn_sparse_softmax_cross_entropy_with_logits(nb_graph *g, nb_output labels,
                                                         nb_output logits, const char *name);
/** tf.nn.sigmoid_cross_entropy_with_logits(labels, logits), built from ops as
 *  TF does: max(x, 0) - x * z + log1p(exp(-|x|)) with x = logits, z = labels,
 *  elementwise, in scope "logistic_loss" (the returned add is "logistic_loss").
 *  logits and labels: one float dtype and the same shape. */
nb_output nb_nn_sigmoid_cross_entropy_with_logits(nb_graph *g, nb_output labels, nb_output logits,
                                                  const char *name);
/** tf.nn.l2_loss: y = sum(t^2) / 2, a scalar (accumulated in double). Default "L2Loss". */
nb_output nb_nn_l2_loss(nb_graph *g, nb_output t, const char *name);
/** tf.losses.mean_squared_error(labels, predictions) with weights 1:
 *  y = mean((predictions - labels)^2) over every element, a scalar. Scope
 *  "mean_squared_error" holding SquaredDifference and the Mean "value".
 *  Same dtype and shape required. */
nb_output nb_losses_mean_squared_error(nb_graph *g, nb_output labels, nb_output predictions,
                                       const char *name);

/** tf.nn.dropout(x, keep_prob, seed) as TF1 builds it, in scope "dropout":
 *    y = x / keep_prob * floor(keep_prob + U[0, 1))
 *  with U a RandomUniform of x's run-time shape ("dropout/random_uniform/
 *  RandomUniform"), so each element is kept with probability keep_prob and
 *  scaled by 1/keep_prob; the gradient flows through the same mask. A new mask
 *  is drawn on every run; seed is the op seed (NB_SEED_NONE: from the graph
 *  seed, as every random op). keep_prob must be in (0, 1]
 *  (NB_ERR_INVALID_ARGUMENT); at exactly 1 x itself is returned, as in TF.
 *  training: nil for always on, or a bool scalar (e.g. a placeholder fed per
 *  run) selecting the dropped value when true and x unchanged when false
 *  (a Select named "dropout"). */
nb_output nb_nn_dropout(nb_graph *g, nb_output x, double keep_prob, int64_t seed, nb_output training,
                        const char *name);
/** As nb_nn_dropout with keep_prob a scalar graph tensor of x's dtype (so it can
 *  be fed: 0.5 when training, 1 when evaluating). Its value is not checked. */
nb_output nb_nn_dropout_t(nb_graph *g, nb_output x, nb_output keep_prob, int64_t seed,
                          nb_output training, const char *name);

/** tf.nn.bias_add(value, bias), NHWC: y[..., c] = value[..., c] + bias[c].
 *  value has rank >= 2, bias is [C] with C value's last dim (NB_ERR_SHAPE).
 *  Default "BiasAdd"; its bias gradient is the op "BiasAddGrad", the sum of the
 *  incoming gradient over every axis but the last. */
nb_output nb_nn_bias_add(nb_graph *g, nb_output value, nb_output bias, const char *name);

/*** Layers ******************************************************************/
/* tf.layers: each call opens a name scope ("dense", then "dense_1", ...; or the
 * given name, made unique the same way) holding the layer's trainable
 * variables and ops with TensorFlow's names:
 *   dense:   "dense/kernel" [in, units], "dense/bias" [units], "dense/MatMul",
 *            "dense/BiasAdd", then the activation ("dense/Relu", ...)
 *   conv2d:  "conv2d/kernel" [kh, kw, in, filters], "conv2d/bias" [filters],
 *            "conv2d/Conv2D", "conv2d/BiasAdd", the activation
 *   flatten: "flatten/Reshape"
 * A variable's initial value is built under "<var>/Initializer/" (the kernel
 * by Glorot uniform unless the options say otherwise, "random_uniform"; the
 * bias by "zeros"). Create the layers before nb_global_variables_initializer.
 * Each returns the layer's output (nil on error; errors are sticky on the
 * graph and name the layer). */

/** Activation applied inside a layer's scope, named after TF's op ("Relu",
 *  "Sigmoid", "Tanh", "Softmax" over the last axis, ...): the op of the same
 *  name in the elementwise or neural-network sections. LEAKY_RELU uses TF's
 *  default alpha 0.2; GELU is the exact (erf) form. */
typedef enum nb_activation {
    NB_ACT_NONE = 0,
    NB_ACT_RELU,
    NB_ACT_SIGMOID,
    NB_ACT_TANH,
    NB_ACT_SOFTMAX,
    NB_ACT_RELU6,
    NB_ACT_LEAKY_RELU,
    NB_ACT_ELU,
    NB_ACT_SELU,
    NB_ACT_SOFTPLUS,
    NB_ACT_SOFTSIGN,
    NB_ACT_SWISH,
    NB_ACT_GELU
} nb_activation;

/** Kernel initializers for layers. */
typedef enum nb_initializer {
    NB_INIT_GLOROT_UNIFORM = 0, /* TF's default for tf.layers */
    NB_INIT_HE_NORMAL,          /* nb_he_normal: good under ReLU */
    NB_INIT_HE_UNIFORM,         /* nb_he_uniform */
    NB_INIT_ZEROS
} nb_initializer;

/** Options for the _ex layer constructors. A zero-filled struct (or NULL) gives
 *  TF's defaults: Glorot uniform kernel, a bias, seeds from the graph seed. */
typedef struct nb_layer_options {
    nb_initializer kernel_initializer;
    bool no_bias;         /* true: no bias variable and no BiasAdd (use_bias=False) */
    bool has_seed;        /* true: `seed` is the kernel initializer's op seed */
    int64_t seed;
    /* When not NULL, used instead of the activation enum: called as
     * fn(g, z, NULL) inside the layer's scope (e.g. an nb_nn_* activation). */
    nb_output (*activation_fn)(nb_graph *g, nb_output z, const char *name);
} nb_layer_options;

/** tf.layers.dense(x, units, activation): y = act(x W + b). x is [batch, in]
 *  with `in` known (batch may be unknown), float32 or float64; y is [batch, units].
 *  Errors: NB_ERR_SHAPE for another rank or an unknown `in` (flatten first),
 *  NB_ERR_DTYPE, NB_ERR_INVALID_ARGUMENT for units <= 0. */
nb_output nb_layers_dense(nb_graph *g, nb_output x, int64_t units, nb_activation activation,
                          const char *name);
nb_output nb_layers_dense_ex(nb_graph *g, nb_output x, int64_t units, nb_activation activation,
                             const nb_layer_options *options, const char *name);
/** tf.layers.conv2d(x, filters, (kh, kw), strides=(stride, stride), padding):
 *  y = act(conv2d(x, W) + b). x is NHWC with known channels; padding "SAME"
 *  or "VALID" (NULL: "VALID", TF's default). Shapes and errors as nb_nn_conv2d. */
nb_output nb_layers_conv2d(nb_graph *g, nb_output x, int64_t filters, int kh, int kw, int stride,
                           const char *padding, nb_activation activation, const char *name);
nb_output nb_layers_conv2d_ex(nb_graph *g, nb_output x, int64_t filters, int kh, int kw,
                              int stride, const char *padding, nb_activation activation,
                              const nb_layer_options *options, const char *name);
/** tf.layers.flatten(x): [batch, d1, d2, ...] -> [batch, d1*d2*...], keeping an
 *  unknown batch dim unknown ([?,28,28,1] -> [?,784]). When some of d1.. are
 *  unknown too, the target shape is computed at run time (Shape, Slice,
 *  ConcatV2 in the scope). x must have rank >= 2 (or unknown rank). */
nb_output nb_layers_flatten(nb_graph *g, nb_output x, const char *name);

/*** Datasets ****************************************************************/
/* An image folder: one sub-folder per class, holding that class's images
 * (the Stanford Dogs layout, Keras' image_dataset_from_directory):
 *     dir/n02085620-Chihuahua/n02085620_10074.jpg
 *     dir/n02085782-Japanese_spaniel/...
 * Class names are the sub-folder names in byte order; label i is the i-th
 * name. Within a class, files are taken in name order. Files whose names end
 * in .jpg .jpeg .png .bmp .pgm .ppm .pnm (any case) are images; other files,
 * hidden entries and deeper folders are ignored. The format is told by the
 * file's first bytes, not its name. JPEG (baseline, progressive, arithmetic;
 * grey, YCbCr, RGB, CMYK) is decoded by libjpeg-turbo and PNG (1-16 bits,
 * palette, interlaced) by libpng; BMP (uncompressed 1, 4, 8, 24, 32 bits and
 * 16/32-bit bit fields; no RLE) and binary PGM/PPM (P5, P6; maxval up to
 * 65535, scaled to 0..255; '#' comments) by nabla's own readers. A JPEG whose
 * data is cut short or corrupt (libjpeg's "premature end", "bad Huffman code"
 * warnings) is an error, not a grey-filled image. Images wider or taller than
 * 32768 pixels or of more than 2^26 pixels are refused before any pixel
 * memory is allocated. Each image is converted to 1 channel (luminance,
 * (77 R + 150 G + 29 B) >> 8) or 3 (RGB; grey is replicated, alpha dropped;
 * 16-bit samples keep their high byte) and resized bilinearly to height x
 * width, sampling at pixel centres (TF's resize_bilinear with
 * half_pixel_centers, no antialiasing), then rounded.
 *
 * Memory: every image is decoded and resized once, when the dataset is opened,
 * and kept as uint8, height*width*channels bytes per image (Stanford Dogs' 20,580
 * images at 64x64x3 take 253 MB); batches are converted to float32 in [0, 1]
 * (value / 255) as they are asked for.
 *
 * A file that cannot be read or decoded (corrupt, truncated, not an image) is
 * skipped and a warning "PATH: reason" is kept on the dataset; with
 * NB_IMAGES_STRICT opening fails instead with NB_ERR_IO naming the file. */

typedef struct nb_image_dataset nb_image_dataset;

/** Flags for nb_image_dataset_open. */
enum {
    NB_IMAGES_STRICT = 1u << 0,         /* an undecodable image is an error, not a warning */
    NB_IMAGES_PRINT_WARNINGS = 1u << 1  /* also print each warning to stderr */
};

/** Opens and loads an image folder, resizing to height x width x channels
 *  (channels 1 or 3). Returns the dataset (free with nb_image_dataset_free) or
 *  NULL with err (may be NULL) filled: NB_ERR_NOT_FOUND when dir cannot be
 *  opened, has no class sub-folder or no readable image; NB_ERR_IO for an
 *  unreadable image in strict mode (the message names the file);
 *  NB_ERR_INVALID_ARGUMENT for bad sizes; NB_ERR_OUT_OF_MEMORY. */
nb_image_dataset *nb_image_dataset_open(const char *dir, int height, int width, int channels,
                                        unsigned flags, nb_error *err);
/** Decodes one JPEG, PNG, BMP, PGM or PPM file (as described above) and resizes it (bilinear, half-pixel centres) to
 *  height x width with 1 (grey) or 3 (RGB) channels: a new float32 [height, width,
 *  channels] tensor in [0, 1], or NULL with err naming the file (NB_ERR_NOT_FOUND,
 *  NB_ERR_IO for a corrupt or truncated image, NB_ERR_OUT_OF_MEMORY). */
nb_tensor *nb_image_load(const char *path, int height, int width, int channels, nb_error *err);
/** Frees the dataset. Accepts NULL. */
void nb_image_dataset_free(nb_image_dataset *ds);

/** Number of images loaded (skipped files not counted). */
int64_t nb_image_dataset_size(const nb_image_dataset *ds);
/** Number of classes (sub-folders, including any that held no readable image)
 *  and class i's name (borrowed; valid until the dataset is freed; NULL out of range). */
int nb_image_dataset_num_classes(const nb_image_dataset *ds);
const char *nb_image_dataset_class_name(const nb_image_dataset *ds, int i);
/** Image i's label and file path (borrowed), in load order (class, then file name).
 *  -1 / NULL out of range. */
int nb_image_dataset_label(const nb_image_dataset *ds, int64_t i);
const char *nb_image_dataset_path(const nb_image_dataset *ds, int64_t i);
/** Files skipped, and warning i: "PATH: reason" (borrowed; NULL out of range). */
int nb_image_dataset_num_skipped(const nb_image_dataset *ds);
const char *nb_image_dataset_skipped(const nb_image_dataset *ds, int i);

/** Every image as float32 [n, height, width, channels] in [0, 1], and every
 *  label as int32 [n], in load order. New references; NULL when out of memory. */
nb_tensor *nb_image_dataset_images(const nb_image_dataset *ds);
nb_tensor *nb_image_dataset_labels(const nb_image_dataset *ds);
/** The images and labels at n indices (e.g. a train/test split), as above.
 *  *images and *labels receive new references (either pointer may be NULL).
 *  NB_ERR_INVALID_ARGUMENT for an index out of range. */
nb_status nb_image_dataset_gather(const nb_image_dataset *ds, const int64_t *indices, int64_t n,
                                  nb_tensor **images, nb_tensor **labels);
/** The label (class index) of every image file of a folder, in load order
 *  (class, then file name; every DIR/CLASS/FILE with an image extension),
 *  without decoding any: a new int32 [n_files] tensor, or NULL with err as
 *  nb_image_dataset_open (except that an empty class list is still
 *  NB_ERR_NOT_FOUND and no file is checked). Its length is the number of
 *  rows nb_image_dataset_open_rows indexes. */
nb_tensor *nb_image_folder_labels(const char *dir, nb_error *err);
/** nb_image_dataset_open of chosen files only (a data shard): image i of the
 *  dataset is file rows[i] of the folder's listing (the order of
 *  nb_image_folder_labels; any order, repeats allowed), and only
 *  those files are read and decoded. A file that cannot be decoded is skipped
 *  as nb_image_dataset_open skips it (the dataset is then shorter than n_rows:
 *  use NB_IMAGES_STRICT where shards must stay aligned); n_rows 0 gives an
 *  empty dataset. Errors as nb_image_dataset_open, plus
 *  NB_ERR_INVALID_ARGUMENT "nb_image_dataset_open_rows: rows[I] is R, outside
 *  the N image files of DIR (0..N-1)". */
nb_image_dataset *nb_image_dataset_open_rows(const char *dir, int height, int width, int channels,
                                             unsigned flags, const int64_t *rows, int64_t n_rows,
                                             nb_error *err);

/** Restarts the batch iterator at epoch 0 with this shuffling seed (the seed
 *  is 0 until set). Epoch e visits the images in a permutation drawn from
 *  Philox(seed, e): the same seed gives the same batches on every machine. */
void nb_image_dataset_shuffle(nb_image_dataset *ds, uint64_t seed);
/** The next mini-batch of at most batch_size images of the current epoch, as
 *  float32 [b, height, width, channels] and int32 [b] (new references). Batches
 *  never span epochs: the last one of an epoch holds the remainder, and the
 *  call after it starts the next epoch with a new permutation.
 *  NB_ERR_INVALID_ARGUMENT for batch_size <= 0; NB_ERR_OUT_OF_MEMORY. */
nb_status nb_image_dataset_next_batch(nb_image_dataset *ds, int64_t batch_size,
                                      nb_tensor **images, nb_tensor **labels);
/** The current epoch (0 until the first epoch has been fully served and
 *  another batch asked for). */
int64_t nb_image_dataset_epoch(const nb_image_dataset *ds);

/*** Sessions ****************************************************************/

typedef struct nb_session nb_session;

/** One feed: a graph output (usually a placeholder) and the value to use for it. */
typedef struct nb_feed {
    nb_output output;
    const nb_tensor *value;
} nb_feed;

/** A session over a graph (tf.Session). Holds variable values. The graph must be
 *  free of errors; a session on a graph in error is returned in error state
 *  (every run fails with the graph's message). NULL only when out of memory.
 *  Ops may be added to the graph after the session is made (TF1 allows it). */
nb_session *nb_session_new(nb_graph *g);
/** Frees the session and its variable values. Accepts NULL. */
void nb_session_free(nb_session *s);

/** Runs the graph: computes `fetches` (and runs any op that has no value, such
 *  as a train op or an initializer) given `feeds`. Only what the fetches need is
 *  run. outputs[i] receives a new reference for fetches[i] (NULL for an op with
 *  no value); outputs may be NULL when nothing is wanted back. On error every
 *  outputs[i] is NULL and the message is on the session. A (feeds, fetches)
 *  signature is compiled once into a plan and cached. */
nb_status nb_session_run(nb_session *s, const nb_feed *feeds, int n_feeds,
                         const nb_output *fetches, int n_fetches, nb_tensor **outputs);
/** Evaluates one output (tf.Tensor.eval): a new reference, or NULL on error
 *  (message on the session). */
nb_tensor *nb_session_eval(nb_session *s, nb_output x, const nb_feed *feeds, int n_feeds);
/** The last run's status and message ("" when none): the last run (or failed
 *  nb_session_set_variable) this thread made on s, else the last of any
 *  thread. Borrowed; valid until this thread's next run of any session. */
nb_status nb_session_status(const nb_session *s);
const char *nb_session_errmsg(const nb_session *s);
/** The graph a session runs (borrowed). */
nb_graph *nb_session_graph(const nb_session *s);
/** The current value of a variable in this session (new reference; NULL when
 *  uninitialized or not a variable). */
nb_tensor *nb_session_variable_value(nb_session *s, nb_output var);
/** Sets a variable's value directly (copied). Shape and dtype must match. */
nb_status nb_session_set_variable(nb_session *s, nb_output var, const nb_tensor *value);
/* Threads: nb_session_run, nb_session_variable_value and nb_session_set_variable
 * may be called on one session from several threads at once and give the same
 * results as the same calls made serially, as TensorFlow guarantees. Runs of one
 * session are serialized by a mutex (each run holds it from start to end), so
 * they do not overlap; use one session per thread for parallel throughput.
 * Tensors returned by a run may be dropped from any thread. nb_session_status and
 * nb_session_errmsg report the calling thread's own last run on the session
 * (kept per thread, so a concurrent run of another thread neither clears nor
 * overwrites it); a thread that has not run the session sees the most recent
 * run of any thread. */

/*** Debugging ***************************************************************/

/** tf.debugging.check_numerics: y = x (same tensor), but a run fails with
 *  NB_ERR_INVALID_ARGUMENT "<message> : Tensor had NaN values" (or "Inf", or
 *  "Inf and NaN") naming this node when x holds a NaN or an infinity. x float32
 *  or float64 (NB_ERR_DTYPE otherwise). Gradient: identity. Default "CheckNumerics". */
nb_output nb_check_numerics(nb_graph *g, nb_output x, const char *message, const char *name);
/** When on, every run scans each float output of every op it runs, in order, and
 *  fails at the first one holding a NaN or an infinity with NB_ERR_INVALID_ARGUMENT
 *  "Tensor had NaN values in output 0 of node 'name' (op: Type)" (the ops run up
 *  to that one have taken effect). Off by default (it costs a pass over every output). */
void nb_session_set_check_numerics(nb_session *s, bool on);

/*** Threads *****************************************************************/

/** Sets the number of threads used by nabla's kernels and the BLAS (clamped to
 *  1..cores). The default is every core. nb_get_num_threads returns the setting.
 *
 *  A shared machine: the setting is a maximum. While other processes keep cores
 *  busy, nabla runs with fewer threads, so that a run with 2 threads is not
 *  slower than one with 1 when another process holds a core (without this,
 *  OpenMP threads that spin while they wait, and a static split over a core
 *  that another process shares, made a Fashion-MNIST MLP epoch about 14 times
 *  slower). At most every 0.1 s, at the start of a session run, nabla reads the
 *  machine's busy CPU time from /proc/stat (the first window starts when the
 *  library is loaded), subtracts its own process's CPU
 *  time, and uses min(setting, cores - other processes' load in cores, a
 *  thread counted where 0.6 of a core is free; at least 1) threads until the
 *  next probe. No environment
 *  variable is needed; OMP_WAIT_POLICY and GOMP_SPINCOUNT still work as
 *  libgomp documents them. Where /proc/stat cannot be read, the setting is used.
 *  Reductions split over the team (filter gradients, sums) group their partial
 *  sums by thread, so a change of team size can change results in the last
 *  bits: call nb_set_adaptive_threads(false) for bitwise-reproducible runs. */
void nb_set_num_threads(int n);
int nb_get_num_threads(void);
/** Turns the sizing to idle cores described at nb_set_num_threads on (the
 *  default) or off (the team is always the setting). The environment variable
 *  NABLA_ADAPTIVE_THREADS=0, read at the first session run, turns it off;
 *  nb_set_adaptive_threads changes it at any time, process-wide. */
void nb_set_adaptive_threads(bool on);
bool nb_get_adaptive_threads(void);
/** The number of threads nabla's kernels and the BLAS use now: the setting, or
 *  fewer while other processes keep cores busy. */
int nb_get_active_threads(void);

/** Whether float32 Conv2D, Conv2DBackpropInput and Conv2DBackpropFilter with a
 *  5x5 or 3x3 window, stride 1, no dilation and channel counts that are
 *  multiples of 8 (>= 8) use Winograd's minimal filtering, F(2x2, 5x5) or
 *  F(4x4, 3x3), instead of im2col + GEMM: 2.8 and 4 times less arithmetic (the
 *  course CNN's second layer and its gradients run about 2.5 times faster, a
 *  3x3 32->64 layer about 2 times), at the price of rounding errors of about 1e-6
 *  (forward, input gradient) and 1e-5 (filter gradient) of the outputs' largest
 *  magnitude, against ~1e-7 for im2col. On by default, as cuDNN's Winograd
 *  algorithms are for TensorFlow on GPUs. The environment variable
 *  NABLA_WINOGRAD=0, read at the first convolution (or the first
 *  nb_get_winograd), turns it off; nb_set_winograd changes it at any time,
 *  process-wide like nb_set_num_threads. */
void nb_set_winograd(bool on);
bool nb_get_winograd(void);

/** Whether a session run folds a MatMul into the op that consumes it (TF's
 *  Grappler makes such rewrites for its runs; the graph and its GraphDef are
 *  unchanged). These are folded, each when the MatMul's output (and a
 *  BiasAdd's in a chain) is used only there (not fetched, not fed) and no op
 *  between them writes a variable the MatMul reads:
 *    - MatMul -> BiasAdd (a dense layer's x W + b): the bias is added to each
 *      finished tile of the product;
 *    - MatMul -> BiasAdd -> Relu (a dense layer with a ReLU): the bias and the
 *      ReLU, on each tile;
 *    - MatMul -> ReluGrad (the backward product dY W^T of the next layer):
 *      the ReLU mask is applied to each tile;
 *    - MatMul -> ApplyMomentum (a weight gradient X^T dY, non-Nesterov): each
 *      tile updates the accumulator and the variable, and the gradient is
 *      never stored.
 *  Only float32 products that nabla's AVX-512 kernel computes are fused (for
 *  Momentum, a batch of at most 256: the product's depth); others run the two
 *  kernels one after the other. Fused results are bit-identical to unfused
 *  ones (tests/test_fusion.c). On by default; the environment variable
 *  NABLA_FUSION=0, read at the first run (or the first nb_get_fusion), turns
 *  it off; nb_set_fusion changes it at any time, process-wide. A session that
 *  checks numerics never fuses (every intermediate is computed and checked). */
void nb_set_fusion(bool on);
bool nb_get_fusion(void);

/*** Gradients ***************************************************************/

/** Adds to the graph the symbolic gradients of sum(ys) with respect to each of
 *  xs (tf.gradients), under the scope "gradients/" ("gradients_1/", ...).
 *  grad_ys may be NULL (ones), else one initial gradient per y.
 *  dxs[i] receives d(sum ys)/d xs[i], or nil when ys do not depend on xs[i]
 *  (test with nb_output_is_nil). An op on the path with no gradient records
 *  NB_ERR_UNIMPLEMENTED: "No gradient defined for operation 'name' (op type: T)". */
void nb_gradients(nb_graph *g, const nb_output *ys, int n_ys, const nb_output *xs, int n_xs,
                  const nb_output *grad_ys, nb_output *dxs);

/*** Optimizers (tf.train) ***************************************************/

typedef struct nb_optimizer nb_optimizer;

/** Optimizers. The learning rate is a constant (lr) or, when lr_tensor is not
 *  nil, a scalar graph tensor (so it can decay). Owned by the graph: freed
 *  with it, never by the caller. Names as TF: "GradientDescent", "Momentum",
 *  "Adagrad", "RMSProp", "Adam". */
nb_optimizer *nb_train_gradient_descent(nb_graph *g, double lr);
nb_optimizer *nb_train_momentum(nb_graph *g, double lr, double momentum, bool use_nesterov);
nb_optimizer *nb_train_adagrad(nb_graph *g, double lr, double initial_accumulator_value);
nb_optimizer *nb_train_rmsprop(nb_graph *g, double lr, double decay, double momentum,
                               double epsilon);
nb_optimizer *nb_train_adam(nb_graph *g, double lr, double beta1, double beta2, double epsilon);
/** Uses a scalar graph tensor as the learning rate instead of the constant. */
void nb_optimizer_set_learning_rate_tensor(nb_optimizer *opt, nb_output lr);

/** compute_gradients: fills grads[i] with d loss / d vars[i] (nil when unconnected),
 *  under "gradients/". Pass the variables explicitly (their read outputs). */
void nb_optimizer_compute_gradients(nb_optimizer *opt, nb_output loss, const nb_output *vars,
                                    int n_vars, nb_output *grads);
/** apply_gradients: one update op per (grad, var) pair with a non-nil grad, grouped in a
 *  NoOp named after the optimizer, which is returned. With global_step non-nil (an
 *  int64/int32 variable) the returned op is an AssignAdd incrementing it after the updates. */
nb_output nb_optimizer_apply_gradients(nb_optimizer *opt, const nb_output *grads,
                                       const nb_output *vars, int n, nb_output global_step);
/** minimize(loss): compute_gradients + apply_gradients over vars (NULL/0: all trainable).
 *  No gradient for any variable records "No gradients provided for any variable". */
nb_output nb_optimizer_minimize(nb_optimizer *opt, nb_output loss, const nb_output *vars,
                                int n_vars, nb_output global_step);
/** Shorthand: tf.train.GradientDescentOptimizer(lr).minimize(loss). */
nb_output nb_train_gradient_descent_minimize(nb_graph *g, double lr, nb_output loss);
/** A non-trainable int64 scalar variable "global_step" starting at 0. */
nb_output nb_train_create_global_step(nb_graph *g);

/*** Machine learning ********************************************************/
/* Library routines that run on tensors directly (no graph): k-means, the
 * dataset splits of model evaluation (holdout, k-fold, leave-one-out,
 * bootstrap) with a helper that runs a user's train-and-score function on
 * every split, and a reader for the IDX files of MNIST and Fashion-MNIST.
 * Like I/O, they return an nb_status and fill a caller's nb_error (which may
 * be NULL). Randomness comes from the Philox generator: a seed gives the same
 * result on every machine. */

/** Options of nb_kmeans. Start from nb_kmeans_options_default(k) and change
 *  fields; new fields are only ever added at the end. */
typedef struct nb_kmeans_options {
    int k;                        /* number of clusters, 1 <= k <= rows */
    int n_init;                   /* runs from different k-means++ seeds; the lowest
                                     inertia wins (ignored with init_centroids). Default 10 */
    int max_iter;                 /* Lloyd iterations per run. Default 300 */
    double tol;                   /* stop when the centroids move by at most
                                     tol * mean(var(x, axis 0)) in total squared distance
                                     (scikit-learn's rule). Default 1e-4 */
    uint64_t seed;                /* k-means++ seed; run r uses Philox stream r. Default 0 */
    const nb_tensor *init_centroids; /* [k, d] float32/float64 starting centroids, or
                                     NULL for k-means++. Borrowed for the call. Default NULL */
} nb_kmeans_options;

/** The defaults above for k clusters (scikit-learn 1.2's KMeans defaults). */
nb_kmeans_options nb_kmeans_options_default(int k);

/** What nb_kmeans returns. The tensors are new references: release them with
 *  nb_kmeans_result_clear. */
typedef struct nb_kmeans_result {
    nb_tensor *centroids;  /* [k, d], the dtype of x */
    nb_tensor *labels;     /* [n] int64: each row's cluster, 0..k-1 */
    double inertia;        /* sum of squared distances of the rows to their centroids */
    int n_iter;            /* Lloyd iterations of the best run */
    int best_run;          /* which of the n_init runs won (0-based) */
} nb_kmeans_result;

/** k-means (Lloyd's algorithm) on the rows of x, a [n, d] float32 or float64 tensor.
 *  Each iteration labels every row with its nearest centroid, the distances coming
 *  from BLAS GEMMs (||x||² - 2 x·c + ||c||²) over blocks of rows shared among
 *  nb_get_num_threads() threads (for k <= 32 on CPUs with AVX2, a fused kernel
 *  that reads each row once computes the x·c instead; the environment variable
 *  NABLA_KMEANS_GEMM=1, read at each call, keeps the GEMMs there too, to compare
 *  the two: they may differ in the last bits), then moves each centroid
 *  to the mean of its rows;
 *  a cluster left empty is re-seeded with the row farthest from its centroid, as
 *  scikit-learn does. A run stops when the labels repeat or the centroids move less
 *  than the tolerance; the final labels belong to the final centroids. The data are
 *  centered internally (a copy of x is made), as scikit-learn does for accuracy.
 *  Results repeat bit for bit for the same seed and thread count.
 *  On success fills *result (its tensors are new references). On error *result is
 *  zeroed and err (may be NULL) says why: NB_ERR_SHAPE (x not rank 2, init_centroids
 *  not [k, d]), NB_ERR_DTYPE (not float32/float64), NB_ERR_INVALID_ARGUMENT (no rows,
 *  no columns, k < 1 or k > rows, n_init < 1, max_iter < 1, tol < 0, a NaN or
 *  infinity in the data), NB_ERR_OUT_OF_MEMORY. */
nb_status nb_kmeans(const nb_tensor *x, const nb_kmeans_options *options,
                    nb_kmeans_result *result, nb_error *err);
/** Drops the result's tensors and zeroes it. Accepts NULL and a zeroed result. */
void nb_kmeans_result_clear(nb_kmeans_result *result);

/** A list of (train, test) row-index splits of n rows. Opaque; free with
 *  nb_splits_free. Splits are made on demand by nb_splits_get, so even
 *  leave-one-out on many rows costs O(n) memory. */
typedef struct nb_splits nb_splits;

/** Holdout: a shuffled split with ceil(test_fraction * n) test rows (scikit-learn's
 *  ShuffleSplit), repeated `repeats` times with independent shuffles (repeat r uses
 *  Philox stream r of seed). With strata (n integer labels: any integer dtype, or
 *  floats holding integers; NULL for none) each class gives its share of the test
 *  rows, rounded by largest remainder, so every class is within one row of its
 *  proportion. nb_splits_holdout is the single-repeat form.
 *  Returns the splits, or NULL with err: NB_ERR_INVALID_ARGUMENT (n < 2, test_fraction
 *  outside (0, 1) or leaving the train or test side empty, repeats < 1, labels that are
 *  not integers), NB_ERR_SHAPE (strata not of n elements), NB_ERR_OUT_OF_MEMORY. */
nb_splits *nb_splits_holdout(int64_t n, double test_fraction, const nb_tensor *strata,
                             uint64_t seed, nb_error *err);
nb_splits *nb_splits_repeated_holdout(int64_t n, double test_fraction, int repeats,
                                      const nb_tensor *strata, uint64_t seed, nb_error *err);
/** k-fold: every row is in exactly one test fold. Without strata the rows (shuffled
 *  when shuffle is true, else in order) are cut into k contiguous folds whose sizes
 *  differ by at most one (scikit-learn's KFold). With strata each class's rows
 *  (shuffled when asked) are dealt round-robin over the folds, so each fold holds
 *  every class within one row of its proportion and fold sizes differ by at most one.
 *  Errors: NB_ERR_INVALID_ARGUMENT for n < 1 ("empty data"), k < 2, k > n, or a class
 *  with fewer rows than folds when stratifying; as holdout otherwise. */
nb_splits *nb_splits_kfold(int64_t n, int k, bool shuffle, const nb_tensor *strata,
                           uint64_t seed, nb_error *err);
/** Leave-one-out: n splits, split i testing row i alone. n >= 2. */
nb_splits *nb_splits_leave_one_out(int64_t n, nb_error *err);
/** Bootstrap: `repeats` splits; split r draws n rows with replacement (Philox stream r
 *  of seed) as the training rows, in draw order and with repeats, and the rows never
 *  drawn (about 36.8% of them for large n) form the test set, ascending. For tiny n
 *  the test set can be empty. n >= 2, repeats >= 1. */
nb_splits *nb_splits_bootstrap(int64_t n, int repeats, uint64_t seed, nb_error *err);
/** Number of splits. 0 for NULL. */
int nb_splits_count(const nb_splits *s);
/** Split i (0 <= i < count) as two 1-d int64 tensors of row indices: *train and *test
 *  receive new references (test rows ascending; train rows ascending except for the
 *  bootstrap). The same splits object always gives the same split.
 *  Errors: NB_ERR_INVALID_ARGUMENT (NULL, i out of range), NB_ERR_OUT_OF_MEMORY. */
nb_status nb_splits_get(const nb_splits *s, int i, nb_tensor **train, nb_tensor **test,
                        nb_error *err);
/** Frees the splits. Accepts NULL. */
void nb_splits_free(nb_splits *s);

/** A user's model evaluation: fit on the rows in train_idx, return the error rate
 *  (or any loss) on the rows in test_idx. Both are 1-d int64 tensors, borrowed for
 *  the call. On failure return NAN; to say why, fill the nb_error that was passed to
 *  nb_cv_evaluate / nb_cv_bootstrap632 (reach it through ctx) with a status and message. */
typedef double (*nb_cv_fit_score)(const nb_tensor *train_idx, const nb_tensor *test_idx,
                                  void *ctx);

/** The outcome of an evaluation over splits. */
typedef struct nb_cv_result {
    int n_splits;       /* splits evaluated (splits with an empty test set are skipped) */
    double mean;        /* mean test error over the splits */
    double std;         /* its standard deviation over the splits (population, numpy's std) */
    double train_mean;  /* nb_cv_bootstrap632: mean resubstitution error; NAN otherwise */
    double estimate;    /* nb_cv_evaluate: mean; nb_cv_bootstrap632: the 0.632 estimate */
} nb_cv_result;

/** Calls fit_and_score(train, test, ctx) on every split of s in order and fills
 *  *result. errors, when not NULL, receives each split's error (count entries; NAN
 *  for a skipped split). When the callback returns NAN the evaluation stops: it
 *  returns the status the callback left in err (its message prefixed with the split
 *  number), or NB_ERR_INVALID_ARGUMENT when err is NULL or was left NB_OK. err is
 *  cleared to NB_OK before each call. Also NB_ERR_INVALID_ARGUMENT for NULL splits or
 *  callback, or when every test set is empty. */
nb_status nb_cv_evaluate(const nb_splits *s, nb_cv_fit_score fit_and_score, void *ctx,
                         nb_cv_result *result, double *errors, nb_error *err);
/** The 0.632 bootstrap (Efron 1983, as the course defines it): for each split of s
 *  (made by nb_splits_bootstrap; NB_ERR_INVALID_ARGUMENT otherwise) the callback is
 *  called twice, first as fit_and_score(train, test, ctx) for the out-of-bag error
 *  e_test, then as fit_and_score(train, train, ctx) — the same tensor twice — for the
 *  resubstitution error e_train. (A callback may test train_idx == test_idx and reuse
 *  the model it fitted in the call just before.) result->mean and std describe
 *  e_test, train_mean is the mean of e_train, and
 *      estimate = 0.632 * mean(e_test) + 0.368 * mean(e_train).
 *  Errors as nb_cv_evaluate. */
nb_status nb_cv_bootstrap632(const nb_splits *s, nb_cv_fit_score fit_and_score, void *ctx,
                             nb_cv_result *result, nb_error *err);

/** Reads an IDX file (the format of MNIST and Fashion-MNIST: two zero bytes, a type
 *  byte, the rank, big-endian uint32 dims, big-endian data), gzip-compressed (.gz)
 *  or plain — detected from the content, not the name. Types: unsigned byte (0x08)
 *  gives NB_UINT8; signed byte, short and int (0x09, 0x0B, 0x0C) give NB_INT32;
 *  float (0x0D) NB_FLOAT32; double (0x0E) NB_FLOAT64. Fashion-MNIST's image files
 *  give uint8 [n, 28, 28], its label files uint8 [n].
 *  Returns a new reference, or NULL with err naming the file and, for a truncated,
 *  corrupt or malformed file, the byte offset (in the decompressed stream) where
 *  reading failed: NB_ERR_NOT_FOUND (no file), NB_ERR_IO, NB_ERR_OUT_OF_MEMORY. */
nb_tensor *nb_idx_load(const char *path, nb_error *err);

/*** Plots *******************************************************************/
/* Figures drawn with PLplot's cairo devices and saved as PNG or SVG: line and
 * scatter series, histograms and functions, several per figure, with a title,
 * axis labels, a grid, log axes and a legend. Data come straight from tensors
 * of any numeric dtype and any rank (read flattened, in row-major order).
 *
 *   nb_figure *fig = nb_figure_new(800, 600);
 *   nb_figure_title(fig, "Sigmoid function and the scatter points");
 *   nb_figure_scatter(fig, xs, ys, "data", NB_COLOR_AUTO, NB_MARKER_CIRCLE);
 *   nb_figure_function(fig, sigmoid, &w, -10, 10, "model", 0xd62728);
 *   nb_figure_grid(fig, true);
 *   nb_error err;
 *   if (nb_figure_save(fig, "figures/sigmoid.png", &err) != NB_OK) puts(err.message);
 *   nb_figure_free(fig);
 *
 * Errors are sticky, as on a graph: the calls that add to a figure return an
 * nb_status, and the first error (empty data, mismatched lengths, no finite
 * value, a bad argument, out of memory) is kept on the figure
 * (nb_figure_errmsg); later additions are ignored and nb_figure_save reports
 * it. Figures are independent of one another; saving is serialised inside the
 * library because PLplot keeps global state. */

/** A figure being described; drawn only when saved. Opaque. */
typedef struct nb_figure nb_figure;

/** An rgb colour 0xRRGGBB, or NB_COLOR_AUTO: the next colour of the default cycle
 *  (matplotlib's ten "tab" colours: blue, orange, green, red, purple, ...). */
#define NB_COLOR_AUTO 0xFFFFFFFFu

/** Scatter markers. */
typedef enum nb_marker {
    NB_MARKER_CIRCLE = 0, /* filled disc */
    NB_MARKER_SQUARE,
    NB_MARKER_TRIANGLE,
    NB_MARKER_DIAMOND,
    NB_MARKER_CROSS,      /* x */
    NB_MARKER_PLUS,       /* + */
    NB_MARKER_POINT,      /* small filled disc */
    NB_MARKER_COUNT
} nb_marker;

/** A new, empty figure of width × height pixels (16..16384 each; for SVG the
 *  size is in points, one point per pixel). Returns a new figure that you free
 *  with nb_figure_free, or NULL when out of memory. A size out of range is
 *  recorded as the figure's error (NB_ERR_INVALID_ARGUMENT). */
nb_figure *nb_figure_new(int width_px, int height_px);
/** Frees a figure. Accepts NULL. */
void nb_figure_free(nb_figure *fig);

/** The figure's first error (NB_OK when none). NB_ERR_INVALID_ARGUMENT for NULL. */
nb_status nb_figure_status(const nb_figure *fig);
/** The message of the figure's first error ("" when none). Owned by the figure;
 *  valid until it is freed. */
const char *nb_figure_errmsg(const nb_figure *fig);

/** Title above the plot, and the axis labels (UTF-8; copied; NULL clears). */
nb_status nb_figure_title(nb_figure *fig, const char *title);
nb_status nb_figure_xlabel(nb_figure *fig, const char *label);
nb_status nb_figure_ylabel(nb_figure *fig, const char *label);
/** Light grey grid lines at the major ticks (off by default). */
nb_status nb_figure_grid(nb_figure *fig, bool on);
/** Logarithmic (base-10) axes. Values <= 0 on a log axis are left out, like
 *  non-finite ones; saving fails when a series then has nothing left to draw. */
nb_status nb_figure_log_x(nb_figure *fig, bool on);
nb_status nb_figure_log_y(nb_figure *fig, bool on);
/** Shows or hides the legend. By default it is shown when a series has a label;
 *  it lists the labelled series in the order they were added, in the corner of
 *  the plot with the fewest data points. */
nb_status nb_figure_legend(nb_figure *fig, bool show);

/** Adds a line through the points (x[i], y[i]); x NULL means 0, 1, ..., n-1
 *  (matplotlib's plt.plot(y)). x and y may have any numeric dtype and rank and
 *  must hold the same number of values. A non-finite point breaks the line.
 *  label may be NULL (not in the legend); rgb is 0xRRGGBB or NB_COLOR_AUTO.
 *  The values are copied: the tensors may be freed at once.
 *  Errors: NB_ERR_INVALID_ARGUMENT (NULL y, empty data, no finite point, rgb
 *  above 0xFFFFFF), NB_ERR_SHAPE (lengths differ), NB_ERR_DTYPE (an invalid
 *  dtype), NB_ERR_OUT_OF_MEMORY. */
nb_status nb_figure_line(nb_figure *fig, const nb_tensor *x, const nb_tensor *y,
                         const char *label, uint32_t rgb);
/** Adds the points (x[i], y[i]) as markers (x NULL: 0..n-1); non-finite points are
 *  left out. Arguments and errors as nb_figure_line, plus NB_ERR_INVALID_ARGUMENT
 *  for a marker outside nb_marker. */
nb_status nb_figure_scatter(nb_figure *fig, const nb_tensor *x, const nb_tensor *y,
                            const char *label, uint32_t rgb, nb_marker marker);
/** Adds a histogram of the finite values (any dtype and rank) in `bins` equal
 *  bins spanning their range (bins 0: 10, as matplotlib; at most 100000), drawn
 *  as filled bars. Errors as nb_figure_line (a negative or too large bins:
 *  NB_ERR_INVALID_ARGUMENT). */
nb_status nb_figure_histogram(nb_figure *fig, const nb_tensor *values, int bins,
                              const char *label, uint32_t rgb);
/** Adds the curve y = f(x, ctx) for x from x0 to x1 (x0 < x1, both finite),
 *  drawn over the data (a fitted model over its points). f is called now, 512
 *  times, at evenly spaced x (geometrically spaced when the x axis is already
 *  logarithmic); ctx need not outlive the call. Where f returns a non-finite
 *  value the curve breaks. Errors as nb_figure_line (NULL f, bad range, no
 *  finite value: NB_ERR_INVALID_ARGUMENT). */
nb_status nb_figure_function(nb_figure *fig, double (*f)(double x, void *ctx), void *ctx,
                             double x0, double x1, const char *label, uint32_t rgb);

/** Draws the figure and writes it to path: PNG for ".png", SVG for ".svg" (the
 *  extension, case-insensitive, chooses), white background, anti-aliased. The
 *  file is written to a temporary file in the same directory and renamed over
 *  path, so path is never left half-written.
 *  Returns NB_OK, or an error with err's message naming the path:
 *  the figure's sticky error, NB_ERR_INVALID_ARGUMENT (nothing to draw, an
 *  unknown extension, NULL arguments), NB_ERR_IO (the directory does not exist
 *  or is not writable, a write failed), NB_ERR_UNIMPLEMENTED (PLplot's cairo
 *  driver, Debian's plplot-driver-cairo, is missing), NB_ERR_INTERNAL (PLplot
 *  failed; its message is included). */
nb_status nb_figure_save(const nb_figure *fig, const char *path, nb_error *err);

/*** CSV *********************************************************************/

/** Reads numeric columns of a CSV file (RFC 4180 quoting, CRLF or LF) into a
 *  [rows, n_cols] tensor of dtype. With has_header the first line names the
 *  columns and `columns` may select by name; otherwise by index ("0", "2").
 *  columns NULL (n_cols 0) takes every column. Returns a new reference, or
 *  NULL with err naming the file, line and column of what was wrong (a row
 *  longer than nb_csv_set_max_row_bytes allows is one such error). */
nb_tensor *nb_csv_read(const char *path, bool has_header, const char *const *columns,
                       int n_cols, nb_dtype dtype, nb_error *err);
/** Sets the most bytes nb_csv_read may hold for one row (line, with any quoted
 *  line breaks): the row's text plus 16 bytes per field. n 0 restores the
 *  default, 64 MiB. A longer row fails with NB_ERR_IO, "FILE:LINE: the row
 *  starting on this line is longer than the limit of N bytes ...", before the
 *  reader holds much more than the limit. Process-wide and thread-safe; a read
 *  already running keeps the limit it started with. Returns the previous limit. */
size_t nb_csv_set_max_row_bytes(size_t n);
/** The number of data rows of a CSV file (the header not counted), through
 *  the same tokenizer and quoting rules as nb_csv_read (the whole file is
 *  scanned; cells are not parsed). It checks what the tokenizer sees: NULL
 *  path or n (NB_ERR_INVALID_ARGUMENT), a file that cannot be opened
 *  (NB_ERR_NOT_FOUND / NB_ERR_IO), a read error, bad quoting, a quoted field
 *  never closed, a row over nb_csv_set_max_row_bytes, a blank line before more
 *  data, an empty file (NB_ERR_IO, naming the file and line). It does NOT check
 *  that each row has the first row's field count, nor the cells: a file it
 *  counts may still fail nb_csv_read. On error *n is 0. */
nb_status nb_csv_num_rows(const char *path, bool has_header, int64_t *n, nb_error *err);
/** nb_csv_read of chosen data rows only (a data shard): a [n_rows, n_cols]
 *  tensor whose row i is data row rows[i] (0-based, the header not counted;
 *  any order, repeats allowed). The file is tokenized to its end (CSV has no
 *  row index), but only the rows asked for are checked and parsed: the field
 *  count and the cells of other rows are not looked at. Errors as nb_csv_read,
 *  plus NB_ERR_INVALID_ARGUMENT "PATH: rows[I] is R, below 0" and "PATH: row R
 *  was asked for, but the file has N data rows (0..N-1)". */
nb_tensor *nb_csv_read_rows(const char *path, bool has_header, const char *const *columns,
                            int n_cols, nb_dtype dtype, const int64_t *rows, int64_t n_rows,
                            nb_error *err);

/*** Data shards *************************************************************/
/* Data-parallel training (see "Distributed") reads on each rank only the rows
 * it trains on. Each epoch has one global order, the same on every rank for a
 * (seed, epoch): nb_shard_permutation. It is cut into global batches, and each
 * batch into the ranks' shares; nb_shard_rows lists one rank's rows of an
 * epoch, and the row readers read just those rows from disk:
 * nb_idx_read_rows, nb_csv_read_rows, nb_image_dataset_open_rows. Nothing here
 * needs MPI: rank and size come from nb_dist_rank / nb_dist_size or anywhere. */

/** perm receives the order of n examples in epoch `epoch` for `seed`: a
 *  permutation of 0..n-1, the same on every machine (Fisher-Yates on
 *  splitmix64 seeded with seed ^ (0xD1B54A32D192ED03 * (epoch + 1)));
 *  nb_dist_epoch_permutation is this function. Errors:
 *  NB_ERR_INVALID_ARGUMENT for n < 0 or a NULL perm (err may be NULL). */
nb_status nb_shard_permutation(int64_t n, uint64_t seed, int64_t epoch, int64_t *perm,
                               nb_error *err);
/** The rows that rank `rank` of `size` trains on in an epoch, in the order it
 *  uses them: the epoch's order (nb_shard_permutation(n, seed, epoch)) is cut
 *  into global batches of global_batch positions (the last one shorter, or
 *  dropped with drop_remainder); of a batch of m positions, rank r takes
 *  positions floor(m r / size) .. floor(m (r+1) / size) - 1 (as
 *  nb_dist_shard_range). So the ranks' lists are disjoint and together hold
 *  every row of the epoch (all n without drop_remainder); with size dividing
 *  global_batch each batch gives each rank global_batch / size rows, one
 *  after the other in the result. Returns a new int64 [k] tensor of row
 *  indices, or NULL with err: NB_ERR_INVALID_ARGUMENT "nb_shard_rows: rank 2
 *  is not one of the 2 ranks 0..1", n < 0, global_batch < 1, global_batch <
 *  size ("... leaves some of the 3 ranks without a row ..."); NB_ERR_OUT_OF_MEMORY. */
nb_tensor *nb_shard_rows(int64_t n, int64_t global_batch, int rank, int size, uint64_t seed,
                         int64_t epoch, bool drop_remainder, nb_error *err);
/** An IDX file's header: its dtype (as nb_idx_load gives it), rank and dims
 *  (room for NB_MAX_RANK); reads only the header, also of a gzip file.
 *  Errors as nb_idx_load. */
nb_status nb_idx_header(const char *path, nb_dtype *dtype, int *rank, int64_t *dims, nb_error *err);
/** Chosen rows (indices along dim 0) of an IDX file: a tensor [n_rows,
 *  dims 1..] of nb_idx_load's dtype whose row i is the file's row rows[i] (any
 *  order, repeats allowed). A plain file is read with pread(2): the header and
 *  those rows' bytes, nothing else (its size must match its header). A gzip
 *  file (gzip has no random access) is decompressed forward up to the last row
 *  asked for, keeping only the rows asked for (memory: the result and 128 KiB);
 *  its CRC is not checked. For repeated shard reads, store the files
 *  uncompressed. Errors as nb_idx_load, plus NB_ERR_INVALID_ARGUMENT "PATH:
 *  rows[I] is R, outside the file's N rows (0..N-1)", a rank-0 file, and
 *  NB_ERR_IO "PATH: the file has B bytes but its header promises W ..." (plain)
 *  or "PATH: row R ends at byte E of the decompressed stream, more than the
 *  file's B bytes can hold ..." (gzip: checked before anything is allocated). */
nb_tensor *nb_idx_read_rows(const char *path, const int64_t *rows, int64_t n_rows, nb_error *err);


/*** TensorBoard *************************************************************/
/* Event files as TensorFlow writes them (TFRecord framing, masked CRC32C,
 * Event protobufs), the graph as a GraphDef, and the summary ops of TF1
 * (tf.summary.scalar / histogram / merge_all). A run is a directory holding
 * event files; `tensorboard --logdir DIR` shows every run below DIR. */

/** CRC-32C (Castagnoli) of n bytes; _extend continues from an earlier crc.
 *  Uses the CPU's CRC32 instruction when it has SSE4.2. */
uint32_t nb_crc32c(const void *data, size_t n);
uint32_t nb_crc32c_extend(uint32_t crc, const void *data, size_t n);
/** The masked CRC stored in TFRecord files (rotate right 15, add 0xa282ead8), and back. */
uint32_t nb_crc32c_mask(uint32_t crc);
uint32_t nb_crc32c_unmask(uint32_t masked);

/** Serializes a graph as a TensorFlow GraphDef protobuf, as TF 1.x would for the
 *  same program: node names, TF op types, inputs "name", "name:k" and control
 *  inputs "^name", the attrs TF writes (T, dtype, shape, value, transpose_a,
 *  keep_dims, Tidx, ...), and "_output_shapes" on every node.
 *  *bytes receives a malloc'd buffer the caller frees with free(), *len its size.
 *  Returns NB_ERR_INVALID_ARGUMENT for a NULL or failed graph, NB_ERR_OUT_OF_MEMORY. */
nb_status nb_graph_to_graphdef(const nb_graph *g, void **bytes, size_t *len);

/** A summary writer (tf.summary.FileWriter): one event file in a log directory. */
typedef struct nb_summary_writer nb_summary_writer;

/** Opens a new event file "events.out.tfevents.<10-digit epoch>.<host>.<pid>.<n>"
 *  in logdir (created with its parents), writes the first event (file_version
 *  "brain.Event:2") and, when g is not NULL, an event holding g's GraphDef.
 *  Returns the writer (close with nb_summary_writer_close), or NULL with err
 *  (may be NULL) naming the directory or file: NB_ERR_IO, NB_ERR_OUT_OF_MEMORY.
 *  Events are flushed on close, by nb_summary_writer_flush, and by an add call
 *  made more than 2 s after the last flush. */
nb_summary_writer *nb_summary_writer_open(const char *logdir, nb_graph *g, nb_error *err);
/** The event file's path. Borrowed; valid until the writer is closed. */
const char *nb_summary_writer_path(const nb_summary_writer *w);
/** The writer's last error message ("" when none). Borrowed; valid until the next call. */
const char *nb_summary_writer_errmsg(const nb_summary_writer *w);

/** Writes an event holding g's GraphDef (add_graph). */
nb_status nb_summary_writer_add_graph(nb_summary_writer *w, const nb_graph *g);
/** Writes a scalar (float32) for tag at step. By default in TF1's form
 *  (Summary.Value.simple_value); after nb_summary_writer_set_tensor_scalars(w, true)
 *  in the tensor form (a rank-0 DT_FLOAT tensor, with "scalars" plugin metadata
 *  on the first value of each tag in the file).
 *  Every add call needs a non-empty tag of valid UTF-8 (a protobuf string, which
 *  TensorBoard and protoc check): otherwise NB_ERR_INVALID_ARGUMENT, nothing is
 *  written, and nb_summary_writer_errmsg says "... tag '<tag, bad bytes as
 *  \xNN>' is not valid UTF-8 (byte K is 0xNN); ...". */
nb_status nb_summary_writer_add_scalar(nb_summary_writer *w, const char *tag, int64_t step,
                                       double value);
void nb_summary_writer_set_tensor_scalars(nb_summary_writer *w, bool tensor_form);
/** Writes a histogram of every element of t (any numeric dtype) with TensorFlow's
 *  default buckets (limits growing by 10% from 1e-12 to 1e20, mirrored, plus
 *  ±DBL_MAX) and min, max, num, sum, sum_squares. Non-finite values give
 *  NB_ERR_INVALID_ARGUMENT, as in TF ("Nan in summary histogram"). */
nb_status nb_summary_writer_add_histogram(nb_summary_writer *w, const char *tag, int64_t step,
                                          const nb_tensor *t);
/** Writes an image, PNG-encoded: t is [height, width, channels] (channels 1, 3
 *  or 4) or [height, width]; uint8 values are used as they are, float values
 *  are rescaled as TF's ImageSummary does (all >= 0: largest -> 255; otherwise
 *  0 -> 127 and the scale fits both ends). */
nb_status nb_summary_writer_add_image(nb_summary_writer *w, const char *tag, int64_t step,
                                      const nb_tensor *t);
/** Writes a Summary produced by a summary op (the uint8 vector of serialized
 *  bytes that nb_summary_scalar, nb_summary_merge_all, ... evaluate to) at step
 *  (FileWriter.add_summary). NB_ERR_INVALID_ARGUMENT when the bytes are not a
 *  Summary or a value's tag is not valid UTF-8. */
nb_status nb_summary_writer_add_summary(nb_summary_writer *w, const nb_tensor *summary,
                                        int64_t step);
/** Writes buffered events to the file. */
nb_status nb_summary_writer_flush(nb_summary_writer *w);
/** Flushes and closes the file, frees the writer. Accepts NULL. Returns the
 *  status of the final flush. */
nb_status nb_summary_writer_close(nb_summary_writer *w);

/** Summary ops (TF1's tf.summary.*). Their output is a uint8 vector holding a
 *  serialized Summary protobuf (TensorFlow's is a DT_STRING scalar; nabla has no
 *  string dtype, and the GraphDef shows TensorFlow's types). Fetch it and pass it
 *  to nb_summary_writer_add_summary. No gradients flow through them.
 *
 *  nb_summary_scalar: tf.summary.scalar(name, x): x a scalar of a real dtype.
 *  The op takes the scope "<scope>/<name>" (uniquified: "<name>_1" the second
 *  time) as its name and as its tag, with the tag constant "<name>/tags"
 *  (op ScalarSummary). nb_summary_histogram: tf.summary.histogram(name, x), the
 *  same naming with "<name>/tag" (op HistogramSummary; non-finite values fail
 *  the run). nb_summary_merge: tf.summary.merge(outputs) (op MergeSummary in
 *  scope "Merge", or "<name>/<name>"). nb_summary_merge_all: every scalar,
 *  histogram and image summary op in the graph so far merged into "Merge/MergeSummary";
 *  nil without an error when there are none (TF returns None). */
nb_output nb_summary_scalar(nb_graph *g, const char *name, nb_output x);
nb_output nb_summary_histogram(nb_graph *g, const char *name, nb_output x);
/** tf.summary.image(name, images, max_outputs): images is [batch, height, width,
 *  channels] with 1, 3 or 4 channels, uint8 (used as is) or float32/float64
 *  (each image rescaled as TF's ImageSummary: over its finite values, all >= 0
 *  maps the largest to 255, otherwise 0 maps to 128 and the larger magnitude to
 *  0 or 255; values truncate; pixels with a non-finite channel become opaque
 *  red). The first min(batch, max_outputs >= 1) images become PNG values tagged
 *  "<tag>/image/<i>", or "<tag>/image" when max_outputs is 1 (TF's rule: the
 *  count asked for, not produced). Op ImageSummary, scoped and tagged as
 *  nb_summary_scalar, tag constant "<name>/tag"; joins nb_summary_merge_all.
 *  Errors: "Tensor must be 4-D with last dim 1, 3, or 4, not [2,3]" (graph, or
 *  run when the shape is known only then). */
nb_output nb_summary_image(nb_graph *g, const char *name, nb_output images, int max_outputs);
/** nb_summary_image with ImageSummary's bad_color attr (TF1's op attr; tf.summary.image
 *  has no argument for it): float pixels with a non-finite channel get the first
 *  `channels` entries of bad_color[0 .. n_bad_color) instead of the default opaque
 *  red {255, 0, 0, 255}. n_bad_color 0 (bad_color may be NULL) keeps the default;
 *  1 to 14 entries are taken (copied), kept in GraphDef as a uint8 vector. Errors:
 *  "nb_summary_image_ex: bad_color must have 1 to 14 entries, got 15"; at run, TF's
 *  "expected depth <= bad_color.size, got depth = 3, bad_color.size = 2". */
nb_output nb_summary_image_ex(nb_graph *g, const char *name, nb_output images, int max_outputs,
                              const uint8_t *bad_color, int n_bad_color);
nb_output nb_summary_merge(nb_graph *g, const nb_output *summaries, int n, const char *name);
nb_output nb_summary_merge_all(nb_graph *g);

/** Reading event files. */
typedef struct nb_event_reader nb_event_reader;
/** One event read from a file (opaque; read it with the accessors below). */
typedef struct nb_event nb_event;

/** What an event holds. */
typedef enum nb_event_kind {
    NB_EVENT_OTHER = 0,        /* session log, run metadata, meta graph, ... */
    NB_EVENT_FILE_VERSION = 1, /* the first event: "brain.Event:2" */
    NB_EVENT_GRAPH = 2,        /* a serialized GraphDef */
    NB_EVENT_SUMMARY = 3       /* summary values */
} nb_event_kind;

/** What one summary value holds. */
typedef enum nb_value_kind {
    NB_VALUE_OTHER = 0,     /* audio, a non-scalar tensor, ... */
    NB_VALUE_SCALAR = 1,    /* simple_value, or a rank-0 DT_FLOAT tensor */
    NB_VALUE_HISTOGRAM = 2,
    NB_VALUE_IMAGE = 3
} nb_value_kind;

/** Opens an event file for reading. Returns the reader (close with
 *  nb_event_reader_close) or NULL with err naming the file. */
nb_event_reader *nb_event_reader_open(const char *path, nb_error *err);
/** Reads the next record, checking both CRCs and decoding the Event.
 *  On success *ev is the event (borrowed; valid until the next call or close),
 *  or NULL at the clean end of the file. A bad CRC, a truncated record or an
 *  undecodable Event returns NB_ERR_IO with err naming the file and the byte
 *  offset of the record; every record before it was returned by earlier calls. */
nb_status nb_event_reader_next(nb_event_reader *r, const nb_event **ev, nb_error *err);
/** Byte offset in the file of the next record to read. */
uint64_t nb_event_reader_offset(const nb_event_reader *r);
void nb_event_reader_close(nb_event_reader *r);

/** Accessors of an event (borrowed strings and arrays, valid as the event is). */
nb_event_kind nb_event_get_kind(const nb_event *ev);
double nb_event_wall_time(const nb_event *ev);
int64_t nb_event_step(const nb_event *ev);
/** Byte offset of the event's record in its file. */
uint64_t nb_event_offset(const nb_event *ev);
/** "brain.Event:2" for a file-version event, else NULL. */
const char *nb_event_file_version(const nb_event *ev);
/** The serialized GraphDef of a graph event (and its size in *len), else NULL. */
const void *nb_event_graph_def(const nb_event *ev, size_t *len);
/** Number of summary values (0 for events without a summary). */
int nb_event_num_values(const nb_event *ev);
/** Tag, kind and plugin name ("" when none) of value i. */
const char *nb_event_value_tag(const nb_event *ev, int i);
nb_value_kind nb_event_value_kind(const nb_event *ev, int i);
const char *nb_event_value_plugin(const nb_event *ev, int i);
/** The value of a scalar value (NaN for other kinds). */
double nb_event_value_scalar(const nb_event *ev, int i);
/** A histogram value: stats receives min, max, num, sum, sum_squares; *limits and
 *  *counts the n buckets (borrowed). Returns n, or -1 when value i is no histogram. */
int nb_event_value_histogram(const nb_event *ev, int i, double stats[5], const double **limits,
                             const double **counts);
/** An image value: the encoded bytes (PNG/JPEG; borrowed) and their size, with
 *  height, width and colorspace (channels); NULL when value i is no image.
 *  Any of the out-pointers may be NULL. */
const void *nb_event_value_image(const nb_event *ev, int i, size_t *len, int *height, int *width,
                                 int *channels);

/** Finds the event files under path, recursively: every file whose name contains
 *  "tfevents". path may also be one event file. *files receives the paths and
 *  *runs each file's run (its directory relative to path, "." for path itself),
 *  sorted by run then file name (TensorBoard's reading order); *n their count.
 *  Symbolic links are followed, but each directory is entered and each file
 *  listed once, by (device, inode): a link to an ancestor ends there, and a run
 *  reachable by two paths is listed under the first (in each directory, entries
 *  that are not links come first, then by name).
 *  Free both with nb_events_list_free. Returns NB_ERR_NOT_FOUND or NB_ERR_IO
 *  with err naming the path. */
nb_status nb_events_list_files(const char *path, char ***files, char ***runs, int *n,
                               nb_error *err);
void nb_events_list_free(char **files, char **runs, int n);

/*** Save and restore ********************************************************/
/* Checkpoints hold a session's variables in the safetensors format (an 8-byte
 * little-endian header length, a JSON header {"name": {"dtype": "F32", "shape":
 * [..], "data_offsets": [begin, end]}, "__metadata__": {"format": "nabla"}}, then
 * little-endian data), readable by Hugging Face's safetensors and by numpy.
 * Graph files are binary GraphDefs (.pb). Every file is written atomically
 * (temporary file, fsync, rename), so a crash mid-save leaves the old file
 * whole. Readers check every length and offset: a truncated or corrupt file is
 * an NB_ERR_IO naming the file and what is wrong. */

/** Saves every initialized variable of the session's graph, named by its
 *  VariableV2 op ("weights", "dense/kernel", "w/Momentum"), to path.
 *  Errors (in err, may be NULL): NB_ERR_IO naming the path, NB_ERR_DTYPE,
 *  NB_ERR_OUT_OF_MEMORY, NB_ERR_INVALID_ARGUMENT. */
nb_status nb_checkpoint_save(nb_session *s, const char *path, nb_error *err);
/** Restores every variable of the session's graph from path, by name. Checks
 *  all of them first (NB_ERR_NOT_FOUND for a variable the file lacks,
 *  NB_ERR_DTYPE / NB_ERR_SHAPE for a mismatch, each naming the variable), so
 *  on error no variable has changed. Entries the graph lacks are ignored. */
nb_status nb_checkpoint_restore(nb_session *s, const char *path, nb_error *err);
/** Reads every tensor of a safetensors file: *n entries, (*names)[i] and
 *  (*values)[i] (new references), freed with nb_checkpoint_read_free. */
nb_status nb_checkpoint_read(const char *path, int *n, char ***names, nb_tensor ***values,
                             nb_error *err);
void nb_checkpoint_read_free(int n, char **names, nb_tensor **values);
/** tf.train.Saver: saves to "<prefix>-<step>.safetensors", records it as the
 *  latest in the "checkpoint" index file of the prefix's directory (TF's text
 *  format: model_checkpoint_path / all_model_checkpoint_paths lines, names
 *  relative to the directory) and deletes the oldest files the index lists
 *  beyond max_to_keep (0: keep all). *saved_path (may be NULL) receives the
 *  file's path, malloc'd, freed with free(). */
nb_status nb_checkpoint_save_step(nb_session *s, const char *prefix, int64_t step,
                                  int max_to_keep, char **saved_path, nb_error *err);
/** The path of the latest checkpoint recorded in dir's "checkpoint" index
 *  (tf.train.latest_checkpoint), malloc'd (free with free()), or NULL with err:
 *  NB_ERR_NOT_FOUND when there is no index, NB_ERR_IO when it is malformed. */
char *nb_checkpoint_latest(const char *dir, nb_error *err);

/** Writes nb_graph_to_graphdef's bytes to path (a binary .pb), atomically. */
nb_status nb_graph_save_graphdef(const nb_graph *g, const char *path, nb_error *err);
/** Adds the nodes of a serialized GraphDef to g (tf.import_graph_def), each
 *  named prefix + "/" + its name when prefix is not NULL or "" (e.g. "import").
 *  Op types map to nabla's ops by their TF names, attrs by the table the
 *  exporter uses; inputs "name", "name:k" and "^name" may name nodes in any
 *  order; shapes are inferred again. VariableV2 nodes become variables again
 *  (with their Assign and read), so a checkpoint can be restored into g.
 *  Const values come from tensor_content or the typed *_val lists (one value
 *  broadcast to the whole shape). An import is a graph-building call: an
 *  error (unknown op type, missing input, cycle, bad attr, each naming the
 *  node; NB_ERR_IO for bytes that are not a GraphDef) is also sticky on g. */
nb_status nb_graph_import_graphdef(nb_graph *g, const void *bytes, size_t len, const char *prefix,
                                   nb_error *err);
/** Reads a .pb file and imports it as nb_graph_import_graphdef does. */
nb_status nb_graph_load_graphdef(nb_graph *g, const char *path, const char *prefix, nb_error *err);
/** Freezes a trained model (convert_variables_to_constants): *frozen receives
 *  a new graph (free with nb_graph_free) holding only the ops `outputs` need,
 *  under the same names, with each VariableV2 replaced by a Const holding the
 *  session's current value. Errors: NB_ERR_FAILED_PRECONDITION for an
 *  uninitialized variable, NB_ERR_INVALID_ARGUMENT when an output needs an
 *  op that updates a variable (a train op). */
nb_status nb_graph_freeze(nb_session *s, const nb_output *outputs, int n, nb_graph **frozen,
                          nb_error *err);

/*** Distributed (data-parallel training over MPI) ***************************/

/* Every function of this section lives in libnabla_dist (link nabla_dist,
 * which brings nabla), built only when CMake finds MPI (Debian: libopenmpi-dev,
 * openmpi-bin); libnabla itself never links MPI. The collective ops are
 * registered in libnabla like every other op (GraphDef names HorovodAllreduce,
 * HorovodGroupedAllreduce, HorovodBroadcast, HorovodAllgather), so graphs
 * holding them import, export and draw anywhere; running one without
 * nb_dist_init fails with NB_ERR_FAILED_PRECONDITION "<Type> needs the
 * distributed runtime: nabla was built without MPI, or nb_dist_init was not
 * called ...". Model (Horovod's): one process per rank, each with the whole
 * graph, its own session and its shard of each batch; every rank must build
 * the same graph and run the same collectives in the same order (a session
 * runs ops in creation order, so identical graphs and fetches suffice). A
 * rank that does not enter a collective within the timeout makes the others'
 * runs fail naming it; see nb_dist_set_timeout. The Python module's
 * nabla.distributed (Horovod's TF1 names) binds this section. */

/** Reduction of an all-reduce (Horovod's numbers). */
typedef enum nb_dist_reduce { NB_DIST_AVERAGE = 0, NB_DIST_SUM = 1 } nb_dist_reduce;

/** Starts the runtime: MPI_Init_thread with MPI_THREAD_SERIALIZED (unless the
 *  program initialized MPI itself, which must then provide at least that),
 *  installs the collective kernels. argc/argv may be NULL. Run without mpirun
 *  it is one rank of size 1 (Open MPI's singleton). A second call does
 *  nothing. Errors: NB_ERR_INTERNAL when MPI fails to start,
 *  NB_ERR_FAILED_PRECONDITION for a thread level below SERIALIZED. Reads
 *  NABLA_DIST_TIMEOUT (seconds) and NABLA_FUSION_THRESHOLD (bytes). */
nb_status nb_dist_init(int *argc, char ***argv, nb_error *err);
/** Ends the runtime (MPI_Finalize when nb_dist_init started MPI). After a
 *  collective failed (a peer gone), it does not call MPI_Finalize, which could
 *  wait forever, and returns NB_ERR_FAILED_PRECONDITION: end the job with
 *  nb_dist_abort. */
nb_status nb_dist_finalize(void);
/** Ends every rank of the job (MPI_Abort with code); returns only when MPI is
 *  not running. The one nabla call that ends the process: for programs, after
 *  a collective failed. */
void nb_dist_abort(int code);
/** Whether this process was started by mpirun (Open MPI's or PMIx's variables). */
bool nb_dist_launched(void);
/** This process's rank and the job's size (0 and 1 before nb_dist_init); the
 *  rank among the processes of this machine and their number. */
int nb_dist_rank(void);
int nb_dist_size(void);
int nb_dist_local_rank(void);
int nb_dist_local_size(void);
/** rank == 0: the rank that writes event files and checkpoints. */
bool nb_dist_is_root(void);
/** How long a collective waits for the other ranks before failing with
 *  "... no answer from rank R within T s" (default 120 s; > 0). */
void nb_dist_set_timeout(double seconds);
double nb_dist_get_timeout(void);
/** Gradients of one dtype whose bytes add up to at most this are fused into one
 *  buffer for one all-reduce (default 64 MiB; 0: never fuse). Read when
 *  nb_dist_compute_gradients builds the graph. */
void nb_dist_set_fusion_threshold(size_t bytes);
size_t nb_dist_get_fusion_threshold(void);
/** Overlap of the all-reduce with the backward pass (default on, buckets of at
 *  most max(1 MiB, ranks x 64 KiB), the per-rank part from env
 *  NABLA_DIST_OVERLAP_PER_RANK bytes; a size set here or by env
 *  NABLA_DIST_OVERLAP bytes is used as it is; nb_dist_get_overlap gives the
 *  size in effect). With bucket_bytes > 0,
 *  nb_dist_compute_gradients fills buckets (one dtype, at most
 *  min(bucket_bytes, fusion threshold) bytes) in the order the backward pass
 *  finishes the gradients and starts each bucket's all-reduce
 *  (NablaAllreduceStart) right after its last gradient is made: a
 *  communication thread runs it while the session runs the backward ops of the
 *  layers below; a NablaAllreduceWait per bucket, after the backward pass,
 *  gives the averaged gradients to apply_gradients. The results are the same
 *  bits as without overlap. 0: no overlap (HorovodAllreduce /
 *  HorovodGroupedAllreduce ops after the backward pass, fused by the fusion
 *  threshold alone). Read when nb_dist_compute_gradients builds the graph. */
void nb_dist_set_overlap(size_t bucket_bytes);
/** The all-reduce algorithm: a pipelined ring (each rank talks to its two
 *  neighbours; 1 MiB segments) for jobs of at least min_ranks ranks and
 *  buffers of at least min_bytes (default 8 ranks, 1 MiB; env
 *  NABLA_DIST_RING "ranks,bytes"); otherwise the direct one (each rank sends
 *  its chunk to every rank). Both sum in rank order 0..size-1: the same bits.
 *  Must be the same on every rank (a difference fails the all-reduce with
 *  "ranks disagree ... different all-reduce algorithms"). min_ranks < 1
 *  counts as 1. */
void nb_dist_set_ring(int min_ranks, size_t min_bytes);
/** The ring thresholds now in force (nb_dist_set_ring or NABLA_DIST_RING);
 *  either pointer may be NULL. */
void nb_dist_get_ring(int *min_ranks, size_t *min_bytes);
/** The overlap bucket size now in force (nb_dist_set_overlap or
 *  NABLA_DIST_OVERLAP); 0: no overlap. */
size_t nb_dist_get_overlap(void);
/** Counters of the overlapped all-reduces since nb_dist_init (this process):
 *  how many were started, how many the communication thread began and how
 *  many it finished before the session reached any NablaAllreduceWait after
 *  their start, that is while the backward pass was still running. */
typedef struct nb_dist_stats {
    int64_t overlap_allreduces, overlap_started, overlap_finished;
} nb_dist_stats;
void nb_dist_get_stats(nb_dist_stats *stats);
/** The overlapped all-reduce requests of this process started
 *  (NablaAllreduceStart) and not yet waited for (NablaAllreduceWait): 0
 *  between complete training steps. A run that ends between a Start and its
 *  Wait (it failed, or fetched only the handle) leaves its request (a copy of
 *  the bucket); the next run of the same Start op replaces it (frees it once
 *  its all-reduce, which every rank makes, is done), so at most one such
 *  request per Start op stays. All remaining ones are freed by
 *  nb_dist_finalize. 0 before nb_dist_init. */
int64_t nb_dist_pending_allreduces(void);

/** All-reduce (op): y = the elementwise sum over ranks of x (Average: divided
 *  by size). Same shape and dtype; every rank gets the same bits. Sum takes
 *  every dtype (int32/int64 wrap, uint8 wraps, bool is logical or); Average
 *  float32/float64 only (NB_ERR_DTYPE otherwise). The sum runs in rank order
 *  0..size-1 for every element, whatever the tensor's size or fusion. Ranks
 *  must pass the same element count (else the run fails naming both ranks).
 *  Gradient: the same all-reduce of dy. Default name "HorovodAllreduce". */
nb_output nb_dist_allreduce(nb_graph *g, nb_output x, nb_dist_reduce op, const char *name);
/** One all-reduce of n tensors of one dtype packed into one buffer
 *  (HorovodGroupedAllreduce); ys[i] is nb_dist_allreduce(xs[i]), the same bits.
 *  ys[i] nil on error; ys NULL: NB_ERR_INVALID_ARGUMENT on g, nothing written. */
void nb_dist_grouped_allreduce(nb_graph *g, const nb_output *xs, int n, nb_dist_reduce op,
                               const char *name, nb_output *ys);
/** y = rank 0's x on every rank (shapes must match across ranks). No
 *  gradient flows through it. Default name "HorovodBroadcast". */
nb_output nb_dist_broadcast(nb_graph *g, nb_output x, const char *name);
/** y = the ranks' x concatenated along axis 0 in rank order (rank >= 1; the
 *  dims after the first must match; the first may differ). No gradient flows
 *  through it. Default name "HorovodAllgather". */
nb_output nb_dist_allgather(nb_graph *g, nb_output x, const char *name);

/** The distributed optimizer (hvd.DistributedOptimizer): compute_gradients of
 *  any optimizer, then each gradient all-reduced with op (Average for a loss
 *  that is each rank's mean; Sum for a loss already divided by the global
 *  batch), fused per nb_dist_set_fusion_threshold, under the scope
 *  "DistributedOptimizer". Then nb_optimizer_apply_gradients works unchanged. */
void nb_dist_compute_gradients(nb_optimizer *opt, nb_output loss, const nb_output *vars, int n_vars,
                               nb_dist_reduce op, nb_output *grads);
/** nb_dist_compute_gradients without an optimizer: grads[i] = d loss / d
 *  vars[i] (nb_gradients; nil where unconnected), all-reduced with op exactly
 *  as nb_dist_compute_gradients does it, by the same code: overlapped buckets
 *  (NablaAllreduceStart/Wait) when nb_dist_get_overlap() > 0, else
 *  HorovodAllreduce / HorovodGroupedAllreduce after the backward pass, fused
 *  per the fusion threshold; under the scope "DistributedOptimizer". Python's
 *  nabla.distributed.DistributedOptimizer uses it (every nabla optimizer's
 *  compute_gradients is nb_gradients). grads: caller's array of n_vars.
 *  Errors (on loss's graph, grads all nil): a vars[i] that is not a variable,
 *  n_vars < 0 or vars NULL with n_vars > 0 (NB_ERR_INVALID_ARGUMENT). loss nil
 *  or grads NULL: nothing is done. */
void nb_dist_gradients(nb_output loss, const nb_output *vars, int n_vars, nb_dist_reduce op,
                       nb_output *grads);
/** minimize with nb_dist_compute_gradients (vars NULL/0: all trainable). */
nb_output nb_dist_minimize(nb_optimizer *opt, nb_output loss, const nb_output *vars, int n_vars,
                           nb_dist_reduce op, nb_output global_step);
/** hvd.broadcast_global_variables(0): first checks (now, collectively) that
 *  every rank's graph has the same variables (names, dtypes, shapes, in
 *  order); a difference records NB_ERR_FAILED_PRECONDITION on g: "...
 *  variable lists differ between ranks ...: rank R has N variables, rank 0 has
 *  M; variable i is 'name dtype [dims]' on rank 0 and ... on rank R". Returns
 *  an op that assigns rank 0's value to every variable: run it after the
 *  initializer, and after rank 0 alone restores a checkpoint. */
nb_output nb_dist_broadcast_global_variables(nb_graph *g, const char *name);
/** All-reduces count elements at data in place, outside any graph (same rules
 *  as nb_dist_allreduce). */
nb_status nb_dist_allreduce_buffer(void *data, int64_t count, nb_dtype dtype, nb_dist_reduce op,
                                   nb_error *err);
/** Waits until every rank calls it (within the timeout). */
nb_status nb_dist_barrier(nb_error *err);

/** Data sharding. perm receives the global order of n examples for (seed,
 *  epoch): a permutation of 0..n-1, the same on every rank and machine (a
 *  Fisher-Yates shuffle on splitmix64; it is libnabla's nb_shard_permutation;
 *  see "Data shards" for the row readers). Errors: NB_ERR_INVALID_ARGUMENT for
 *  n < 0 or a NULL perm. */
nb_status nb_dist_epoch_permutation(int64_t n, uint64_t seed, int64_t epoch, int64_t *perm);
/** A rank's rows [*begin, *end) of a global batch of global_batch rows:
 *  floor(B r / size) .. floor(B (r+1) / size), so shares differ by at most one
 *  row when size does not divide B (with such shares, use a loss divided by
 *  the global B and NB_DIST_SUM, which gives the 1-process gradient; Average of
 *  per-rank means would weigh rows unequally). */
void nb_dist_shard_range(int64_t global_batch, int rank, int size, int64_t *begin, int64_t *end);

#ifdef __cplusplus
}
#endif
#endif /* NABLA_H */
